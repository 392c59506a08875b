"""The rpy2 bridge: R's analysis functions return pandas DataFrames that agree with numpy."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pyreadr
import pytest
from collect import rbridge
from collect.errors import InputError

COEFFICIENT_COLUMNS = ["term", "estimate", "std_error", "statistic", "df", "p_value"]


def release_rq1(derived_paper: Path) -> pd.DataFrame:
    table = pyreadr.read_r(derived_paper / "mfq2" / "rq1.rds")[None]
    return table[~table["is_human_mean"].astype(bool)]


def test_rq1_ols_matches_numpy_least_squares(derived_paper: Path) -> None:
    table = rbridge.rq1_ols(derived_paper)
    assert list(table.columns[:7]) == ["model", *COEFFICIENT_COLUMNS]
    rows = release_rq1(derived_paper)
    participant = np.where(rows["nationality"] == "China", 0.5, -0.5)
    origin = np.where(rows["llm_origin"] == "China", 0.5, -0.5)
    participant -= participant.mean()
    origin -= origin.mean()
    design = np.column_stack([np.ones(len(rows)), participant, origin, participant * origin])
    beta, *_ = np.linalg.lstsq(design, rows["cosine"].to_numpy(), rcond=None)
    np.testing.assert_allclose(table["estimate"].to_numpy(), beta, rtol=1e-8, atol=1e-12)
    assert table["n_obs"].tolist() == [len(rows)] * 4
    assert table["df"].tolist() == [len(rows) - 4] * 4


def test_welch_per_llm_matches_the_welch_formula(derived_paper: Path) -> None:
    table = rbridge.welch_per_llm(derived_paper)
    rows = release_rq1(derived_paper)
    one = rows[rows["llm"] == "gpt-4o"]
    china = one.loc[one["nationality"] == "China", "cosine"].to_numpy()
    usa = one.loc[one["nationality"] == "USA", "cosine"].to_numpy()
    va, vb = china.var(ddof=1) / len(china), usa.var(ddof=1) / len(usa)
    t = (china.mean() - usa.mean()) / np.sqrt(va + vb)
    df = (va + vb) ** 2 / (va**2 / (len(china) - 1) + vb**2 / (len(usa) - 1))
    got = table[table["llm"] == "gpt-4o"].iloc[0]
    assert got["statistic"] == pytest.approx(t, rel=1e-10)
    assert got["df"] == pytest.approx(df, rel=1e-10)
    assert set(table["llm"]) >= {"Human mean, China", "Human mean, USA"}


def test_rq3_ols_terms_use_none_as_reference(derived_paper: Path) -> None:
    table = rbridge.rq3_ols(derived_paper)
    assert "removedCare" in set(table["term"])
    assert "removednone" not in set(table["term"])
    assert (table["model"] == "rq3_ols").all()


def test_rq1_lmm_on_simulated_data_returns_finite_df(tmp_path: Path) -> None:
    frame = rbridge.simulated_rq1(40, 40, 10, seed=3)
    rbridge.write_rds(frame, tmp_path / "mfq2" / "rq1.rds")
    result = rbridge.rq1_lmm(tmp_path)
    coefficients = result["coefficients"]
    assert list(coefficients["term"]) == ["(Intercept)", "chinese_participant",
                                          "chinese_origin", "chinese_participant:chinese_origin"]
    assert np.isfinite(coefficients["df"]).all()
    origin_df = coefficients.loc[coefficients["term"] == "chinese_origin", "df"].item()
    assert origin_df < 40  # an LLM-level effect: about the number of LLMs, not the rows
    assert result["selection"]["chosen"].sum() == 1
    assert len(result["diagnostics"]) == 1


def test_bad_derived_table_raises_input_error_naming_file_and_column(tmp_path: Path) -> None:
    frame = rbridge.simulated_rq1(5, 5, 2).drop(columns=["cosine"])
    path = tmp_path / "mfq2" / "rq1.rds"
    rbridge.write_rds(frame, path)
    with pytest.raises(InputError, match=r"rq1\.rds: missing column\(s\) cosine"):
        rbridge.rq1_ols(tmp_path)


def test_missing_derived_table_says_how_to_build_it(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="moralign similarity"):
        rbridge.rq1_ols(tmp_path)


def test_child_processes_still_start_after_r_is_embedded() -> None:
    import subprocess
    import sys

    rbridge.call("identity", 1)
    done = subprocess.run([sys.executable, "-c", "import ssl"], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
