"""`moralign book-inputs`: what the book shows besides the models, written into the results
folder from the canonical tables, the similarity manifests, the study file and data/sources.toml."""

from __future__ import annotations

import csv
import hashlib
import json
import tomllib
from pathlib import Path

import pandas as pd
import pytest
from collect.collector.prompts import render_prompts
from collect.collector.study import load_study
from collect.errors import MissingDataError
from collect.paths import ROOT
from collect.report_inputs import OUTPUTS, STUDY_FILE, write_report_inputs

from tests.report.conftest import PipelineOutputs, moralign, run


@pytest.fixture(scope="module")
def written(pipeline_outputs: PipelineOutputs, tmp_path_factory: pytest.TempPathFactory) -> Path:
    results = tmp_path_factory.mktemp("book-inputs")
    run([moralign(), "book-inputs", "--canonical", str(pipeline_outputs.canonical),
         "--derived", str(pipeline_outputs.derived), "--results", str(results)])
    return results


def read_rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def test_every_file_is_written(written: Path) -> None:
    assert sorted(p.name for p in written.iterdir()) == sorted(OUTPUTS)


def test_prompts_are_the_collectors_for_each_instruments_first_item(written: Path) -> None:
    study = load_study(STUDY_FILE)
    rows = read_rows(written / "prompts.csv")
    expected = len(study.instruments) * len(study.languages) * len(study.personas)
    assert len(rows) == expected
    for row in rows:
        item = study.instruments[row["instrument"]].items[0]
        assert int(row["item"]) == item
        assert (row["system"], row["user"]) == render_prompts(
            study, row["instrument"], row["language"], row["persona"], item)


def test_design_counts_match_the_canonical_tables(
    written: Path, pipeline_outputs: PipelineOutputs
) -> None:
    design = json.loads((written / "design.json").read_text(encoding="utf-8"))
    canonical = pipeline_outputs.canonical
    models = pd.read_csv(canonical / "models.csv")
    humans = pd.read_csv(canonical / "human_responses.csv")
    llms = models[models["kind"] == "llm"]
    assert design["llms_by_origin"] == llms["origin"].value_counts().to_dict()
    assert design["canonical_rows"]["human_responses"] == len(humans)
    mfq2 = humans[humans["instrument"] == "mfq2"]
    for nation, rows in mfq2.groupby("nationality"):
        counts = design["respondents"]["mfq2"][nation]
        assert counts["respondents"] == rows["respondent"].nunique()
        assert counts["released_labels"] == rows["paper_id"].nunique()


def test_exclusions_follow_the_manifests_with_paths_relative_to_the_project(
    written: Path, pipeline_outputs: PipelineOutputs
) -> None:
    exclusions = json.loads((written / "exclusions.json").read_text(encoding="utf-8"))
    for mode in ("paper", "respondent"):
        manifest = json.loads((pipeline_outputs.derived / mode / "manifest.json").read_text())
        for instrument, entry in manifest["instruments"].items():
            shown = exclusions[mode][instrument]
            assert shown["status"] == entry["status"]
            if entry["status"] == "built":
                for name, table in entry["tables"].items():
                    assert shown["analyses"][name]["rows"] == table["rows"]
                    assert shown["analyses"][name]["llms_kept"] == len(table["kept_llms"])
    assert str(ROOT) not in (written / "exclusions.json").read_text(encoding="utf-8")


def test_provenance_records_hashes_of_the_files_read(
    written: Path, pipeline_outputs: PipelineOutputs
) -> None:
    provenance = json.loads((written / "provenance.json").read_text(encoding="utf-8"))
    study_bytes = STUDY_FILE.read_bytes()
    assert provenance["study_file"]["sha256"] == hashlib.sha256(study_bytes).hexdigest()
    models = pipeline_outputs.canonical / "models.csv"
    assert provenance["canonical_tables"]["models"]["sha256"] == (
        hashlib.sha256(models.read_bytes()).hexdigest()
    )
    sources = tomllib.loads((ROOT / "data" / "sources.toml").read_text(encoding="utf-8"))
    pinned = [f["sha256"] for d in sources["datasets"].values() for f in d["files"]]
    assert [f["sha256"] for d in provenance["datasets"] for f in d["files"]] == pinned
    assert len(provenance["project"]["commit"]) == 40


def test_a_canonical_folder_without_tables_is_refused_with_its_path(tmp_path: Path) -> None:
    with pytest.raises(MissingDataError, match=r"canonical table .*canonical/\w+\.csv does not"):
        write_report_inputs(tmp_path / "results", tmp_path / "canonical", tmp_path / "derived",
                            say=lambda _: None)


def test_study_json_names_the_study_its_vocabulary_and_models(written: Path) -> None:
    study = load_study(STUDY_FILE)
    record = json.loads((written / "study.json").read_text(encoding="utf-8"))
    assert record["name"] == study.name and record["title"] == study.title
    assert record["file"] == "studies/made_in_china.toml"
    assert record["repetitions"] == study.repetitions
    assert record["compare"] == list(study.compare)
    assert record["nations"]["China"] == {"adjective": "Chinese", "language": "Chinese"}
    assert [m["id"] for m in record["models"]] == [m.id for m in study.models]
    assert {m["maker"] for m in record["models"]} >= {"OpenAI", "Alibaba Cloud"}
    design = json.loads((written / "design.json").read_text(encoding="utf-8"))
    assert design["repetitions"] == study.repetitions
    assert set(design["items"]) == set(design["scales"]) <= set(record["instruments"])
