"""`moralign collect run` and `export` against a real (tiny) model: SmolLM2-135M via llama.cpp."""

from __future__ import annotations

import re
import sqlite3
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from tests.collector.cli_runs import run_collect
from tests.collector.demo_run import demo_study_text, export_demo
from tests.servers.llama import LocalLLM, local_llm  # noqa: F401

pytestmark = pytest.mark.llm

CONDITION = ["model", "instrument", "language", "persona"]
CELL = ["instrument", "language", "persona", "item"]


def _study_for(server_url: str, folder: Path) -> Path:
    """The demo's sampled model only, one repetition of three items."""
    text, removed = re.subn(r'\[\[models\]\]\nid = "smollm2-135m-logprob".*?readout = "logprob"\n',
                            "", demo_study_text(server_url), flags=re.S)
    assert removed == 1, "the demo study declares the logprob twin"
    text = text.replace("repetitions = 2", "repetitions = 1")
    text = text.replace("only_items = [1, 2, 3, 4, 5, 6]", "only_items = [1, 2, 3]")
    path = folder / "local.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_collect_run_against_the_local_model(
    local_llm: LocalLLM,  # noqa: F811
    external_items: Path,
    tmp_path: Path,
) -> None:
    study = str(_study_for(local_llm.server.base_url, tmp_path))
    db, out = tmp_path / "local.sqlite", tmp_path / "out"
    planned = 3 * 2 * 3  # items x languages x personas, one repetition
    result = run_collect("run", "--study", study, "--db", str(db), timeout=900)
    assert result.returncode == 0, result.stderr
    with sqlite3.connect(db) as conn:
        rows = conn.execute(
            "SELECT status, raw_text, returned_model, rating, valid, parse_reason FROM calls"
        ).fetchall()
    assert len(rows) == planned
    assert {row[0] for row in rows} <= {"valid", "invalid", "refused"}
    assert all(isinstance(row[1], str) for row in rows)  # the raw text is kept, valid or not
    assert {row[2] for row in rows} == {local_llm.model}
    for status, text, _, rating, valid, reason in rows:
        assert bool(valid) is (rating is not None) is (status == "valid")
        assert rating is None or 1 <= rating <= 5
        assert (reason == "ok") is bool(valid), text

    export = run_collect("export", "--study", study, "--db", str(db), "--out", str(out))
    assert export.returncode == 0, export.stderr
    means = pd.read_csv(out / "llm_mfq_responses.csv")
    assert len(means) == planned and set(means["LLM"]) == {"smollm2-135m"}


def _pearson(x: pd.Series, y: pd.Series) -> float:
    return float(np.corrcoef(x.to_numpy(float), y.to_numpy(float))[0, 1])


def test_the_demo_study_exports_both_readouts_and_their_agreement(
    local_llm: LocalLLM,  # noqa: F811
    external_items: Path,
    tmp_path: Path,
) -> None:
    """`make demo`'s study, as shipped: the agreement and reliability tables follow from the
    exported per-call answers and logprob readouts."""
    out = export_demo(local_llm.server.base_url, tmp_path)
    calls = pd.read_csv(out / "llm_calls.csv")
    readouts = pd.read_csv(out / "llm_logprob_readouts.csv")
    cells = pd.read_csv(out / "llm_readout_cells.csv")
    agreement = pd.read_csv(out / "llm_readout_agreement.csv")
    reliability = pd.read_csv(out / "llm_repetition_reliability.csv")
    assert set(calls["model"]) == {"smollm2-135m"}
    assert len(calls) == 6 * 2 * 3 * 2  # items x languages x personas x repetitions
    assert set(readouts["model"]) == {"smollm2-135m-logprob"} and len(readouts) == 6 * 2 * 3

    # The paired cells: every cell with a valid sampled answer and an expected rating.
    valid = calls.loc[calls["status"] == "valid"]
    sampled = valid.groupby(CELL)["rating"].agg(["mean", "count"]).reset_index()
    expected = readouts.dropna(subset=["expected_rating"]).merge(sampled, on=CELL)
    assert len(expected) > 0, "the tiny model answered some cells both ways"
    paired = cells.merge(expected, on=CELL, suffixes=("", "_readout"), validate="1:1")
    assert len(paired) == len(cells) == len(expected)
    assert (paired["expected_rating"] == paired["expected_rating_readout"]).all()
    assert np.allclose(paired["sampled_mean"], paired["mean"])
    assert (paired["sampled_answers"] == paired["count"]).all()
    assert cells[["expected_rating", "sampled_mean"]].stack().between(1, 5).all()

    (row,) = agreement.itertuples(index=False)
    assert (row.sampled_model, row.logprob_model, row.instrument, row.cells) == (
        "smollm2-135m", "smollm2-135m-logprob", "mfq2", len(cells))
    diff = (cells["expected_rating"] - cells["sampled_mean"]).abs().mean()
    assert row.mean_abs_diff == pytest.approx(diff)
    if cells["expected_rating"].std() > 0 and cells["sampled_mean"].std() > 0:
        assert row.pearson_r == pytest.approx(_pearson(cells["expected_rating"],
                                                       cells["sampled_mean"]))
    else:
        assert np.isnan(row.pearson_r)

    # Reliability: one row per condition with valid sampled answers, recomputed from the calls.
    conditions = valid.groupby(CONDITION)
    assert len(reliability) == conditions.ngroups
    for key, group in conditions:
        (mine,) = reliability.loc[
            (reliability[CONDITION] == pd.Series(key, index=CONDITION)).all(axis=1)
        ].itertuples(index=False)
        assert mine.items == group["item"].nunique()
        assert mine.repetitions == group["iteration"].nunique() <= 2
        item_sd = group.groupby("item")["rating"].std().mean()
        assert (np.isnan(mine.mean_item_sd) and np.isnan(item_sd)) or (
            mine.mean_item_sd == pytest.approx(item_sd))
        if np.isfinite(mine.split_half_r) and mine.split_half_r > -1:
            assert -1 <= mine.split_half_r <= 1
            assert mine.split_half_reliability == pytest.approx(
                2 * mine.split_half_r / (1 + mine.split_half_r))
