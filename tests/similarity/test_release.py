"""The real release (read from the shared mirror through the importer): sizes and the
published MFQ-2 RQ1 regression (docs/methods.md section 4.2)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pyreadr
import pytest
from collect.data.canonical import build_canonical
from collect.similarity.run import run_similarity

from tests.data.wvs7_synthetic import write_synthetic_wvs7


@pytest.fixture(scope="module")
def derived(canonical_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("derived")
    for ids in ("paper", "respondent"):
        run_similarity(canonical_dir, out, ids, ["mfq2", "wvs7"],  # type: ignore[arg-type]
                       canonical_dir / "absent-wvs7.csv", say=lambda _: None)
    return out


def manifest(derived: Path, ids: str) -> dict:
    return json.loads((derived / ids / "manifest.json").read_text())["instruments"]


def centred(flag: pd.Series) -> np.ndarray:
    coded = np.where(flag, 0.5, -0.5)
    return coded - coded.mean()


def test_paper_mode_rq1_has_the_published_size_and_coefficients(derived: Path) -> None:
    rq1 = pyreadr.read_r(derived / "paper" / "mfq2" / "rq1.rds")[None]
    llms = rq1[~rq1["is_human_mean"]]
    assert len(llms) == 20_640 and int(rq1["is_human_mean"].sum()) == 2_064
    assert not rq1["cosine"].isna().any()
    chinese_participant = centred(llms["nationality"] == "China")
    chinese_llm = centred(llms["llm_origin"] == "China")
    design = np.column_stack([np.ones(len(llms)), chinese_participant, chinese_llm,
                              chinese_participant * chinese_llm])
    coef, *_ = np.linalg.lstsq(design, llms["cosine"].to_numpy(), rcond=None)
    # published: intercept .207, Chinese participant -.179, Chinese LLM -.008, interaction -.002
    assert np.round(coef, 3).tolist() == [0.207, -0.179, -0.008, -0.002]


def test_release_table_sizes_in_both_modes(derived: Path) -> None:
    paper, respondent = manifest(derived, "paper"), manifest(derived, "respondent")
    assert paper["wvs7"]["status"] == respondent["wvs7"]["status"] == "skipped"
    n_paper = 517 + 515
    assert paper["mfq2"]["dropped_respondents"]["zero_variance_count"] == {"China": 0, "USA": 0}
    # true respondents include one straight-liner in each group
    assert respondent["mfq2"]["dropped_respondents"]["zero_variance_count"] == {
        "China": 1, "USA": 1}
    for entry, n in ((paper["mfq2"], n_paper), (respondent["mfq2"], n_paper - 2)):
        tables = entry["tables"]
        assert tables["rq1"]["rows"] == n * 22
        assert tables["rq2"]["rows"] == n * 20 * 4
        assert tables["rq3"]["rows"] == n * 20 * 7
        assert tables["rq3_persona"]["rows"] == n * 20 * 2 * 7
        assert all(not t["dropped_llms"] for t in tables.values())


def test_modes_give_different_cosines(derived: Path) -> None:
    paper = pyreadr.read_r(derived / "paper" / "mfq2" / "rq2.rds")[None]
    true = pyreadr.read_r(derived / "respondent" / "mfq2" / "rq2.rds")[None]
    key = ["nationality", "respondent", "llm", "language", "persona"]
    both = paper.merge(true, on=key, suffixes=("_paper", "_true"))
    assert len(both) > 0
    assert (both["cosine_paper"] - both["cosine_true"]).abs().max() > 0.1


@pytest.fixture(scope="module")
def release_with_synthetic_wvs(fetched_release: Path,
                               tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Canonical tables of the release plus SYNTHETIC WVS-7 respondents (random ratings)."""
    folder = tmp_path_factory.mktemp("with-wvs")
    wvs_file = folder / "wvs7.csv"
    write_synthetic_wvs7(wvs_file, {"CHN": 60, "USA": 50})
    build_canonical(external=fetched_release, out=folder / "canonical", wvs7_file=wvs_file)
    run_similarity(folder / "canonical", folder / "derived", "paper", ["wvs7"], wvs_file,
                   say=lambda _: None)
    return folder / "derived"


def test_release_wvs_llm_exclusion_keeps_14_without_and_17_with_persona(
        release_with_synthetic_wvs: Path) -> None:
    tables = manifest(release_with_synthetic_wvs, "paper")["wvs7"]["tables"]
    for name, kept in (("rq1", 14), ("rq3", 14), ("rq2", 17), ("rq3_persona", 17)):
        assert len(tables[name]["kept_llms"]) == kept, name
        assert len(tables[name]["dropped_llms"]) == 20 - kept, name
    dropped = {d["model"]: d["reason"] for d in tables["rq1"]["dropped_llms"]}
    assert {"gpt-4o", "claude-opus-4-20250514", "ernie-4.5-300b-a47b"} <= set(dropped)
    rq1 = pyreadr.read_r(release_with_synthetic_wvs / "paper" / "wvs7" / "rq1.rds")[None]
    assert set(rq1["llm"]) - {"Human mean, China", "Human mean, USA"} == set(
        tables["rq1"]["kept_llms"])
    assert not rq1["cosine"].isna().any()


@pytest.mark.parametrize("ids", ["paper", "respondent"])
def test_zscores_table_holds_the_vectors_rq1_compares(derived: Path, ids: str) -> None:
    folder = derived / ids / "mfq2"
    z = pyreadr.read_r(folder / "zscores.rds")[None]
    rq1 = pyreadr.read_r(folder / "rq1.rds")[None]
    vectors = z.pivot_table(index=["who", "id", "language"], columns="item", values="z")
    assert vectors.shape[1] == 36
    assert np.allclose(vectors.mean(axis=1), 0, atol=1e-12)
    respondents = rq1.loc[~rq1["is_human_mean"], ["nationality", "respondent"]].drop_duplicates()
    humans = z[z["who"] == "human"][["group", "id"]].drop_duplicates()
    assert len(humans) == len(respondents)
    # one cosine of the rq1 table, recomputed from the two z-vectors it compared
    row = rq1[(~rq1["is_human_mean"]) & (rq1["nationality"] == "USA")].iloc[123]
    person = vectors.loc[("human", str(int(row["respondent"])), "English")].to_numpy()
    model = vectors.loc[("llm", row["llm"], "English")].to_numpy()
    cosine = person @ model / np.linalg.norm(person) / np.linalg.norm(model)
    assert cosine == pytest.approx(row["cosine"], abs=1e-12)


def test_manifest_names_every_model_for_the_figures(derived: Path) -> None:
    options = json.loads((derived / "paper" / "manifest.json").read_text())["options"]
    assert options["display_names"]["qwen3-235b-a22b"] == "Qwen3"
    assert len(options["display_names"]) == 22
