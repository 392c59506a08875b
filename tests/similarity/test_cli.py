"""`moralign similarity` end to end on synthetic canonical tables."""

from __future__ import annotations

import json
from pathlib import Path

import pyreadr
from collect.cli import app
from typer.testing import CliRunner

from tests.similarity.synthetic import ORIGINS

ANALYSES = ("rq1", "rq2", "rq3", "rq3_persona")
COLUMNS = ["respondent", "nationality", "llm", "llm_origin", "is_human_mean", "language",
           "persona", "cosine", "removed", "congruent_language", "congruent_persona",
           "congruent_origin"]


def similarity(*args: str):
    return CliRunner().invoke(app, ["similarity", *args], catch_exceptions=False)


def test_builds_mfq2_and_skips_wvs7_naming_the_missing_file(synthetic_canonical: Path,
                                                            tmp_path: Path) -> None:
    out = tmp_path / "derived"
    result = similarity("--canonical", str(synthetic_canonical), "--out", str(out))
    assert result.exit_code == 0, result.output
    assert "WVS-7 tables skipped" in result.output
    assert "WVS_Cross-National_Wave_7_csv_v5_0.csv" in result.output
    assert "moralign data import" in result.output
    manifest = json.loads((out / "paper" / "manifest.json").read_text())
    assert manifest["instruments"]["wvs7"]["status"] == "skipped"
    mfq = manifest["instruments"]["mfq2"]
    assert mfq["options"]["respondent_ids"] == "paper"
    assert set(mfq["inputs_sha256"]) == {"human_responses.csv", "llm_ratings.csv", "models.csv"}
    for name in ANALYSES:
        table = pyreadr.read_r(out / "paper" / "mfq2" / f"{name}.rds")[None]
        assert list(table.columns) == COLUMNS
        assert len(table) == mfq["tables"][name]["rows"] > 0
        assert not table["cosine"].isna().any()
        assert set(table["llm"]) - {"Human mean, China", "Human mean, USA"} == set(ORIGINS)
    assert mfq["tables"]["rq1"]["human_mean_rows"] == 2 * (5 + 4)
    # without WVS respondents only the country placement and centrality (published country
    # means) are built
    wvs = {p.stem for p in (out / "paper" / "wvs7").glob("*.rds")}
    assert wvs <= {"placement", "country_profiles", "world_profile", "centrality_countries",
                   "centrality_llms"}


def test_both_id_modes_and_instruments_share_one_manifest_per_mode(
        synthetic_canonical_with_wvs: Path, tmp_path: Path) -> None:
    out = tmp_path / "derived"
    for ids in ("paper", "respondent"):
        for instrument in ("mfq2", "wvs7"):
            result = similarity("--respondent-ids", ids, "--instrument", instrument,
                                "--canonical", str(synthetic_canonical_with_wvs), "--out",
                                str(out))
            assert result.exit_code == 0, result.output
        manifest = json.loads((out / ids / "manifest.json").read_text())
        assert manifest["options"]["respondent_ids"] == ids
        assert {k: v["status"] for k, v in manifest["instruments"].items()} == {
            "mfq2": "built", "wvs7": "built"}
        rq3 = pyreadr.read_r(out / ids / "wvs7" / "rq3.rds")[None]
        assert sorted(set(rq3["removed"]), key=lambda s: (s != "none", s)) == [
            "none", *map(str, range(177, 196))]
        assert len(rq3) == (7 + 6) * len(ORIGINS) * 20


def test_an_absent_canonical_folder_is_a_clear_error(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["similarity", "--canonical", str(tmp_path / "nowhere"),
                                      "--out", str(tmp_path / "derived")])
    assert result.exit_code != 0
    assert "moralign data import" in str(result.exception)


def test_skipping_wvs7_removes_its_stale_tables(synthetic_canonical: Path, tmp_path: Path
                                                ) -> None:
    stale = tmp_path / "derived" / "paper" / "wvs7" / "rq1.rds"
    stale.parent.mkdir(parents=True)
    stale.write_bytes(b"old")
    result = similarity("--canonical", str(synthetic_canonical), "--out",
                        str(tmp_path / "derived"))
    assert result.exit_code == 0 and not stale.exists()
    assert f"removed {stale}" in result.output
