"""Results folders of a study as the book reads them: the results manifest (the contract the
analysis run used) and study.json beside the tables, for the shipped study and for a synthetic
study whose every name differs from the shipped one's.

The synthetic study is the shipped study's results with each name of the study replaced (nations,
adjectives, languages, personas, model ids and names, makers, human-mean ids, the title): its
numbers are real results, its words are not the shipped study's, so a book that types a word of
the shipped study shows it.

    python -m tests.report.study_results RESULTS DERIVED_MANIFEST MODELS_CSV
writes the shipped study's manifest.json and study.json into RESULTS.
"""

from __future__ import annotations

import csv
import json
import re
import shutil
import sys
import tomllib
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

from collect.paths import ROOT

SHIPPED_STUDY = ROOT / "studies" / "made_in_china.toml"
# The shipped study's words a study file states in [nations] (the fixture's stand-in until it does).
SHIPPED_NATIONS = {"China": {"adjective": "Chinese", "language": "Chinese"},
                   "USA": {"adjective": "American", "language": "English"}}
SHIPPED_TITLE = "Made in China, aligned with the USA? A reproduction and mixed-effects reanalysis"


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def write_json(value: Any, path: Path) -> None:
    path.write_text(json.dumps(value, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def study_description(name: str) -> str:
    """The `[study] description` of studies/NAME.toml."""
    path = ROOT / "studies" / f"{name}.toml"
    return tomllib.loads(path.read_text(encoding="utf-8"))["study"]["description"]


def shipped_summary(models_csv: Path) -> dict[str, Any]:
    """study.json of the shipped study, as `moralign book-inputs` writes it."""
    text = SHIPPED_STUDY.read_text(encoding="utf-8")
    study = tomllib.loads(text)
    header = study["study"]
    nations = study.get("nations") or SHIPPED_NATIONS
    models = [row for row in read_csv(models_csv) if row["kind"] == "llm"]
    return {
        "name": header["name"],
        "title": header.get("title", SHIPPED_TITLE),
        "description": header["description"],
        "file": str(SHIPPED_STUDY.relative_to(ROOT)),
        "repetitions": header["repetitions"],
        "languages": header["languages"],
        "personas": header["personas"],
        "nations": nations,
        "compare": header.get("compare", list(SHIPPED_NATIONS)),
        "instruments": sorted(study["templates"]),
        "models": [{"id": m["model"], "display_name": m["display_name"], "origin": m["origin"],
                    "maker": m["maker"] or None} for m in models],
    }


def results_manifest(contract: dict[str, Any], summary: dict[str, Any],
                     human_groups: list[str]) -> dict[str, Any]:
    """The manifest R writes: today's contract plus the study's vocabulary."""
    keys = ("name", "title", "description", "file", "repetitions")
    models = [{k: m[k] for k in ("id", "display_name", "origin", "maker")}
              for m in summary["models"]]
    return {"contract": {
        **contract,
        "study": {k: summary[k] for k in keys},
        "nation_adjectives": {n: v["adjective"] for n, v in summary["nations"].items()},
        "origins": sorted({m["origin"] for m in models}),
        "models": models,
        "human_groups": human_groups,
    }}


def write_shipped_study_files(results: Path, derived_manifest: Path, models_csv: Path) -> None:
    contract = json.loads(derived_manifest.read_text(encoding="utf-8"))["contract"]
    summary = shipped_summary(models_csv)
    write_json(summary, results / "study.json")
    write_json(results_manifest(contract, summary, list(contract["nations"])),
               results / "manifest.json")


# ---- a synthetic study ------------------------------------------------------------------------

def alternatives(words: dict[str, str], before: str, after: str) -> re.Pattern[str]:
    """One pattern matching any of `words`, longest first."""
    ordered = sorted(words, key=len, reverse=True)
    return re.compile(before + "(?:" + "|".join(map(re.escape, ordered)) + ")" + after)


@dataclass(frozen=True)
class Renaming:
    """Every name of the shipped study and the synthetic study's name for it."""

    nations: dict[str, str]
    adjectives: dict[str, str]
    languages: dict[str, str]
    models: dict[str, str]  # ids and display names
    makers: dict[str, str]

    @cached_property
    def words(self) -> dict[str, str]:
        return {**self.nations, **self.adjectives, **self.makers}

    def cell(self, column: str, value: str) -> str:
        if value in self.models:
            return self.models[value]
        if column in LANGUAGE_FIELDS and value in self.languages:
            return self.languages[value]
        if column in ("maker",) and value in self.makers:
            return self.makers[value]
        return self.text(value)

    def text(self, value: str) -> str:
        value = self.model_pattern.sub(lambda m: self.models[m.group(0)], value)
        return self.word_pattern.sub(lambda m: self.words[m.group(0)], value)

    @cached_property
    def model_pattern(self) -> re.Pattern[str]:
        return alternatives(self.models, r"(?<![\w-])", r"(?![\w-])")

    @cached_property
    def word_pattern(self) -> re.Pattern[str]:
        return alternatives(self.words, r"\b", r"\b")


SYNTHETIC_NATIONS = {"China": "Brazil", "USA": "Germany"}
SYNTHETIC_ADJECTIVES = {"Chinese": "Brazilian", "American": "German"}
SYNTHETIC_LANGUAGES = {"Chinese": "Portuguese", "English": "German"}
# A persona and an origin beyond the compared pair, shown descriptively.
EXTRA_NATION = {"India": {"adjective": "Indian", "language": "Hindi"}}
EXTRA_MODEL = {"id": "ganga-lm-1", "display_name": "Ganga LM 1", "origin": "India",
               "maker": None}
SYNTHETIC_TITLE = "Samba or Sauerkraut: whom do this year's LLMs answer like?"
SYNTHETIC_DESCRIPTION = ("Five repetitions of the MFQ-2 items asked of Brazilian and German LLMs "
                         "in Portuguese and German, with and without a national persona.")


def renaming(models_csv: Path) -> Renaming:
    models = [row for row in read_csv(models_csv)]
    ids: dict[str, str] = {}
    makers: dict[str, str] = {}
    counters = {"China": 0, "USA": 0}
    for row in models:
        if row["kind"] != "llm":
            continue
        counters[row["origin"]] += 1
        stem = "tupi" if row["origin"] == "China" else "rhein"
        number = counters[row["origin"]]
        ids[row["model"]] = f"{stem}-lm-{number}"
        ids[row["display_name"]] = f"{stem.title()} LM {number}"
        if row["maker"]:
            makers.setdefault(row["maker"], f"{stem.title()} Labs {len(makers) + 1}")
    return Renaming(SYNTHETIC_NATIONS, SYNTHETIC_ADJECTIVES, SYNTHETIC_LANGUAGES, ids, makers)


def rename_csv(source: Path, target: Path, names: Renaming) -> None:
    with source.open(encoding="utf-8", newline="") as handle:
        reader = csv.reader(handle)
        header = next(reader)
        rows = list(reader)
    if "instrument" in header:  # the synthetic study asks MFQ-2 only
        rows = [row for row in rows if row[header.index("instrument")] != "wvs7"]
    with target.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)  # R names columns by the nations' positions, not their names
        writer.writerows([[names.cell(h, v) for h, v in zip(header, row, strict=True)]
                          for row in rows])


# Fields whose values are languages (the same words as some adjectives).
LANGUAGE_FIELDS = {"language", "languages", "language_of_nation"}


def rename_json(value: Any, names: Renaming, key: str = "") -> Any:
    if isinstance(value, dict):
        return {names.text(k): rename_json(v, names, key if key in LANGUAGE_FIELDS else k)
                for k, v in value.items()}
    if isinstance(value, list):
        return [rename_json(v, names, key) for v in value]
    if isinstance(value, str):
        return names.cell(key, value)
    return value


def synthetic_study(shipped: Path, target: Path, derived_manifest: Path,
                    models_csv: Path) -> dict[str, Any]:
    """Write the synthetic study's results folder (MFQ-2 only) from the shipped study's results;
    returns its study.json."""
    names = renaming(models_csv)
    for source in sorted(shipped.rglob("*")):
        relative = source.relative_to(shipped)
        if source.is_dir() or "wvs7" in relative.parts or relative.name.startswith("wvs7"):
            continue
        if relative.parts[0] not in ("mfq2", "respondent", "figures") and len(relative.parts) > 1:
            continue  # export folders of other studies
        out = target / relative
        out.parent.mkdir(parents=True, exist_ok=True)
        if source.suffix == ".csv":
            rename_csv(source, out, names)
        elif source.suffix == ".json" and source.name not in ("manifest.json", "study.json"):
            write_json(rename_json(json.loads(source.read_text("utf-8")), names), out)
        elif source.suffix == ".png":
            shutil.copy2(source, out)
    with (target / "models.csv").open("a", encoding="utf-8", newline="") as handle:
        header = read_csv(target / "models.csv")[0].keys()
        row = {k: "" for k in header} | {"model": EXTRA_MODEL["id"], "kind": "llm",
                                         "display_name": EXTRA_MODEL["display_name"],
                                         "origin": EXTRA_MODEL["origin"]}
        csv.DictWriter(handle, fieldnames=list(header)).writerow(row)
    design = json.loads((target / "design.json").read_text("utf-8"))
    design["items"] = {"mfq2": 24}
    design["scales"] = {"mfq2": design["scales"]["mfq2"]}
    design["repetitions"] = design["calls_per_item"] = 5
    design["llms_by_origin"][EXTRA_MODEL["origin"]] = 1
    design["personas"] = [*design["personas"], "India"]
    write_json(design, target / "design.json")
    prompts = read_csv(target / "prompts.csv")
    extra = [{**row, "persona": "India", "system": row["system"].replace("Brazil", "India")}
             for row in prompts if row["persona"] == "Brazil"]
    with (target / "prompts.csv").open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(prompts[0]))
        writer.writeheader()
        writer.writerows([*prompts, *extra])
    provenance = json.loads((target / "provenance.json").read_text("utf-8"))
    provenance["study_file"]["path"] = "studies/samba.toml"
    for dataset in provenance["datasets"]:
        dataset.update(title="Synthetic respondents", citation="Synthetic respondents (2026)",
                       repository="https://example.org/synthetic")
    write_json(provenance, target / "provenance.json")

    contract = rename_json(json.loads(derived_manifest.read_text("utf-8"))["contract"], names)
    contract["personas"] = [*contract["personas"], "India"]
    contract["allowed_values"]["persona"] = contract["personas"]
    shipped_models = rename_json(shipped_summary(models_csv)["models"], names)
    nations = {SYNTHETIC_NATIONS[n]: {"adjective": SYNTHETIC_ADJECTIVES[v["adjective"]],
                                      "language": SYNTHETIC_LANGUAGES[v["language"]]}
               for n, v in SHIPPED_NATIONS.items()} | EXTRA_NATION
    summary = {
        "name": "samba", "title": SYNTHETIC_TITLE, "description": SYNTHETIC_DESCRIPTION,
        "file": "studies/samba.toml", "repetitions": 5,
        "languages": list(SYNTHETIC_LANGUAGES.values()),
        "personas": design["personas"], "nations": nations,
        "compare": list(SYNTHETIC_NATIONS.values()), "instruments": ["mfq2"],
        "models": [*shipped_models, EXTRA_MODEL],
    }
    write_json(summary, target / "study.json")
    write_json(results_manifest(contract, summary, list(SYNTHETIC_NATIONS.values())),
               target / "manifest.json")
    respondent = target / "respondent"
    shutil.copy2(target / "manifest.json", respondent / "manifest.json")
    return summary


if __name__ == "__main__":
    write_shipped_study_files(Path(sys.argv[1]), Path(sys.argv[2]), Path(sys.argv[3]))
