"""What the book shows besides the models' results, written into the results folder.

The book reads only the results folder. This step puts there what it needs from the rest of the
pipeline: the prompts (rendered by the collector's own prompt function), the models and how they
were called, the study design's counts, the exclusions the similarity step recorded, the
provenance of every input (files, sha256, the project's commit) and the Python packages used.
"""

from __future__ import annotations

import csv
import importlib.metadata
import json
import platform
import subprocess
import tomllib
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import pandas as pd

from collect.collector.prompts import render_prompts
from collect.collector.study import STUDY_SUMMARY, Study, load_study, study_record
from collect.data import canonical, schema
from collect.data.sources import sha256_of
from collect.errors import MissingDataError
from collect.paths import PATHS, ROOT, shown
from collect.similarity.derived import MANIFEST
from collect.vocab import RespondentIds

STUDY_FILE = PATHS.shipped_study
# Written last: its presence means every other file of this step is in place.
PROVENANCE = "provenance.json"
OUTPUTS = ("prompts.csv", "models.csv", "model_calls.csv", "design.json", "exclusions.json",
           STUDY_SUMMARY, "python_packages.csv", PROVENANCE)


def prompt_rows(study: Study) -> list[dict[str, Any]]:
    """The system and user messages of each instrument's first item, per language and persona."""
    rows = []
    for name, spec in study.instruments.items():
        item = spec.items[0]
        for language in study.languages:
            for persona in study.personas:
                system, user = render_prompts(study, name, language, persona, item)
                rows.append({"instrument": name, "item": item, "language": language,
                             "persona": persona, "system": system, "user": user})
    return rows


def respondent_counts(humans: pd.DataFrame) -> dict[str, dict[str, dict[str, int]]]:
    """Per instrument and nationality: respondents, released labels, respondents per label."""
    counts: dict[str, dict[str, dict[str, int]]] = {}
    for (instrument, nation), rows in humans.groupby(["instrument", "nationality"]):
        per_label = rows.groupby("paper_id")["respondent"].nunique()
        counts.setdefault(str(instrument), {})[str(nation)] = {
            "respondents": int(rows["respondent"].nunique()),
            "released_labels": int(rows["paper_id"].nunique()),
            "respondents_per_label_min": int(per_label.min()),
            "respondents_per_label_max": int(per_label.max()),
        }
    return counts


def design(tables: dict[str, pd.DataFrame], study: Study) -> dict[str, Any]:
    """The counts the overview and the methods chapter state, of the instruments with answers;
    `repetitions` is the study's, `calls_per_item` the most calls an item mean rests on."""
    models, ratings = tables["models"], tables["llm_ratings"]
    llms = models[models["kind"] == "llm"]
    asked = ratings.groupby("instrument")["item"].nunique()
    return {
        "items": {str(k): int(v) for k, v in asked.items()},
        "scales": {name: [spec.scale_min, spec.scale_max]
                   for name, spec in study.instruments.items() if name in asked.index},
        "llms_by_origin": {str(k): int(v) for k, v in llms["origin"].value_counts().items()},
        "languages": sorted(ratings["language"].unique().tolist()),
        "personas": sorted(ratings["persona"].unique().tolist()),
        "calls_per_item": int(ratings["n_calls"].max()),
        "repetitions": study.repetitions,
        "max_tokens": sorted({model.max_tokens for model in study.models}),
        "respondents": respondent_counts(tables["human_responses"]),
        "canonical_rows": {name: len(frame) for name, frame in tables.items()},
    }


def analysis_exclusions(table: dict[str, Any]) -> dict[str, Any]:
    if table.get("status") == "not possible":
        return {"status": "not possible", "reason": shown(str(table["reason"]))}
    return {
        "rows": table["rows"],
        "llms_kept": len(table["kept_llms"]),
        "llms_dropped": [{"model": d["model"], "reason": shown(str(d["reason"]))}
                         for d in table["dropped_llms"]],
    }


def exclusions(derived: Path) -> dict[str, Any]:
    """Per respondent-id mode and instrument: built or not (and why), respondents, straight-liners
    dropped, and the LLMs kept and dropped per analysis, from the similarity manifests."""
    found: dict[str, Any] = {}
    for mode in RespondentIds:
        path = derived / mode / MANIFEST
        if not path.exists():
            continue
        manifest = json.loads(path.read_text(encoding="utf-8"))
        found[mode.value] = {}
        for instrument, entry in manifest["instruments"].items():
            summary: dict[str, Any] = {"status": entry["status"]}
            if entry["status"] != "built":
                summary["reason"] = shown(str(entry.get("reason", "")))
            else:
                summary["exclusion"] = entry["options"].get("exclusion", "llm")
                summary["min_valid_answers"] = entry["options"].get("min_valid_answers", 1)
                summary["dropped_items"] = entry.get("dropped_items", [])
                summary["respondents"] = entry["respondents"]
                summary["straight_liners"] = entry["dropped_respondents"]["zero_variance_count"]
                summary["analyses"] = {name: analysis_exclusions(table)
                                       for name, table in entry["tables"].items()}
            found[mode.value][instrument] = summary
    return found


def git_commit() -> dict[str, Any]:
    """The project's commit, and whether tracked files differed from it."""
    def git(*args: str) -> str | None:
        try:
            done = subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True,
                                  check=False, timeout=30)
        except OSError:
            return None
        return done.stdout.strip() if done.returncode == 0 else None

    commit = git("rev-parse", "HEAD")
    changes = git("status", "--porcelain", "--untracked-files=no") if commit else None
    return {"commit": commit, "modified": bool(changes) if changes is not None else None}


def file_record(path: Path) -> dict[str, str]:
    return {"path": shown(str(path)), "sha256": sha256_of(path)}


def provenance(sources_file: Path, study_file: Path, canonical_dir: Path,
               tables: dict[str, pd.DataFrame]) -> dict[str, Any]:
    sources = tomllib.loads(sources_file.read_text(encoding="utf-8"))
    datasets = []
    for name, dataset in sources.get("datasets", {}).items():
        files = [{"local": f["local"], "path": f["path"], "sha256": f["sha256"],
                  "url": dataset["url_pattern"].format(commit=dataset["commit"], path=f["path"])}
                 for f in dataset["files"]]
        datasets.append({"name": name, **{key: dataset.get(key, "") for key in (
            "title", "citation", "repository", "commit", "licence")}, "files": files})
    manual = [{"name": name, **entry} for name, entry in sources.get("manual", {}).items()]
    canonical_files = {
        name: {**file_record(canonical_dir / schema.TABLES[name].filename), "rows": len(frame)}
        for name, frame in tables.items()
    }
    return {
        "project": git_commit(),
        "moralign": importlib.metadata.version("moralign"),
        "python": platform.python_version(),
        "study_file": file_record(study_file),
        "sources_file": file_record(sources_file),
        "datasets": datasets,
        "manual": manual,
        "canonical_tables": canonical_files,
    }


def python_packages() -> list[dict[str, str]]:
    versions = {(d.metadata["Name"] or "?"): d.version for d in importlib.metadata.distributions()}
    return [{"package": name, "version": versions[name]}
            for name in sorted(versions, key=str.lower)]


def write_csv(rows: Iterable[dict[str, Any]], path: Path) -> None:
    rows = list(rows)
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)


def write_json(value: Any, path: Path) -> None:
    path.write_text(json.dumps(value, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def write_report_inputs(
    results: Path | None = None,
    canonical_dir: Path | None = None,
    derived: Path | None = None,
    study_file: Path = STUDY_FILE,
    say: Callable[[str], None] = print,
) -> list[Path]:
    """Write the book's inputs into `results`; returns the files written."""
    results = results or PATHS.results
    canonical_dir = canonical_dir or PATHS.canonical
    derived = derived or PATHS.derived
    tables = {name: canonical.load(name, canonical_dir) for name in schema.TABLES}
    if tables["models"].empty:
        raise MissingDataError(f"{canonical_dir / 'models.csv'} lists no models")
    study = load_study(study_file)
    results.mkdir(parents=True, exist_ok=True)
    written = [results / name for name in OUTPUTS]
    paths = dict(zip(OUTPUTS, written, strict=True))
    write_csv(prompt_rows(study), paths["prompts.csv"])
    tables["models"].to_csv(paths["models.csv"], index=False)
    tables["model_calls"].to_csv(paths["model_calls.csv"], index=False)
    write_json(design(tables, study), paths["design.json"])
    write_json(exclusions(derived), paths["exclusions.json"])
    write_json(study_record(study), paths[STUDY_SUMMARY])
    write_csv(python_packages(), paths["python_packages.csv"])
    write_json(provenance(PATHS.sources, study_file, canonical_dir, tables),
               paths[PROVENANCE])
    for path in written:
        say(f"wrote {shown(str(path))}")
    return written
