"""Build the canonical tables from the fetched sources, and read them back for later steps."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from collect.core.study import StudyDesign, load_design
from collect.data import release, schema, wvs7
from collect.data.sources import dataset_dir, load_sources, sha256_of
from collect.errors import InputError, MissingDataError
from collect.paths import PATHS
from collect.vocab import RespondentIds

REPORT_FILE = "import_report.json"


@dataclass
class ImportReport:
    tables: dict[str, int] = field(default_factory=dict)
    wvs7: dict[str, dict[str, int]] | None = None
    wvs7_missing: str | None = None
    inputs: dict[str, str] = field(default_factory=dict)


def build_canonical(
    external: Path | None = None,
    out: Path | None = None,
    wvs7_file: Path | None = None,
    llm_files: list[Path] | None = None,
    study_file: Path | None = None,
) -> ImportReport:
    """Import every source into canonical tables under `out`; WVS humans only if present.

    By default the LLM answers are the release's. `llm_files` replaces them with files in the
    release's format (what `moralign collect export` writes). Their models are those of
    `study_file` when one is given; otherwise those of the models table `collect export` writes
    beside them; otherwise the release's.
    """
    external = external or PATHS.external
    out = out or PATHS.canonical
    for path in llm_files or ():
        check_item_mean_file(path)
    wvs7_file = wvs7_file or PATHS.wvs7_file
    folder = dataset_dir(release.STUDY, external)
    if not folder.is_dir():
        raise MissingDataError(f"{folder} does not exist: run `moralign data fetch` first")

    models = release.read_models(folder)
    human_means = models[models["kind"] == "human_mean"]
    design: StudyDesign | None = None
    if study_file is not None:
        design = load_design(study_file)
        study_name, llms = design.name, study_models(design)
    elif llm_files and (exported := exported_models(llm_files)) is not None:
        study_name, llms = exported  # with the makers the study file gave at export
        own_file = PATHS.studies / f"{study_name}.toml"
        design = load_design(own_file) if own_file.is_file() else None
        if design is None:
            vocabulary = exported_vocabulary(llm_files)
    else:
        study_name = release.STUDY
        llms = None
        models = with_makers(models, load_design(PATHS.shipped_study))
    if llms is not None:
        models = pd.concat([human_means, llms])
    if design is not None:
        vocabulary = release.LlmVocabulary.of(design)
    elif study_name == release.STUDY:
        vocabulary = release.RELEASE_VOCABULARY
    tables = {
        "items": release.read_items(folder),
        "models": models,
        "human_responses": release.read_human_mfq(folder),
        **release.read_llm_files(
            llm_files or release.release_llm_files(folder), models, study=study_name,
            vocabulary=vocabulary,
        ),
    }
    if llm_files:
        tables["llm_ratings"] = with_valid_counts(tables["llm_ratings"], llm_files)
    report = ImportReport(
        inputs={s.local: s.sha256 for s in load_sources() if s.dataset == release.STUDY}
    )
    try:
        wvs_humans, report.wvs7 = wvs7.read_wvs7(wvs7_file)
    except MissingDataError as missing:
        report.wvs7_missing = str(missing)
    else:
        tables["human_responses"] = pd.concat([tables["human_responses"], wvs_humans])
        report.inputs[str(wvs7_file)] = sha256_of(wvs7_file)

    for name, frame in tables.items():
        schema.write_table(frame, schema.TABLES[name], out)
        report.tables[name] = len(frame)
    (out / REPORT_FILE).write_text(json.dumps(report.__dict__, indent=2) + "\n")
    return report


def with_makers(models: pd.DataFrame, study: StudyDesign) -> pd.DataFrame:
    """Fill `maker` from the study file's `maker` of each model; empty where it names none."""
    known = {model.id: model.maker for model in study.models if model.maker is not None}
    return models.assign(maker=models["model"].map(known).astype("string"))


# What `moralign collect export` writes besides the item means, each with what it is.
NOT_ITEM_MEANS = {
    "llm_calls.csv": "the canonical per-call table",
    "models.csv": "the models table",
    "llm_logprob_readouts.csv": "the log-probability readouts",
    "llm_readout_cells.csv": "the readout cells",
    "llm_readout_agreement.csv": "the readout agreement",
}


def export_files(folder: Path) -> tuple[list[Path], list[Path]]:
    """The item-mean files of an export folder that the analysis can read (those of a method's
    instrument, `llm_<survey>_responses.csv`), and those of other instruments, left out."""
    if not folder.is_dir():
        raise MissingDataError(f"{folder} is not a folder: run `moralign collect export` first, "
                               "or name the export folder it wrote")
    found = sorted(folder.glob("llm_*_responses.csv"))
    known = [p for p in found if _survey_of(p) in release.SURVEY_NAMES]
    if not known:
        raise MissingDataError(
            f"{folder} holds no item-mean file of an instrument the analysis reads "
            f"({', '.join(f'llm_{s}_responses.csv' for s in release.SURVEY_NAMES)})")
    return known, [p for p in found if p not in known]


def check_item_mean_file(path: Path) -> None:
    """Refuses a file `collect export` wrote that is not an item-mean file, naming the right one."""
    name = path.name
    if name.startswith("llm_") and name.endswith("_calls.csv") and name != "llm_calls.csv":
        survey = name.removeprefix("llm_").removesuffix("_calls.csv")
        raise InputError(f"holds one row per call; import the item means "
                         f"llm_{survey}_responses.csv beside it (or the whole folder with "
                         "--export)", file=path)
    if name in NOT_ITEM_MEANS:
        raise InputError(f"is {NOT_ITEM_MEANS[name]}, not item means; import "
                         f"{' or '.join(f'llm_{s}_responses.csv' for s in release.SURVEY_NAMES)} "
                         "(or the whole folder with --export)", file=path)


def _survey_of(path: Path) -> str:
    return path.name.removeprefix("llm_").removesuffix("_responses.csv")


def exported_models(llm_files: list[Path]) -> tuple[str, pd.DataFrame] | None:
    """(study name, LLM rows of the models table) that `collect export` wrote beside the files,
    or None when none of their folders holds a models table."""
    folders = sorted({path.parent for path in llm_files})
    found = [folder for folder in folders if (folder / schema.MODELS.filename).is_file()]
    if not found:
        return None
    if len(found) != len(folders):
        lacking = sorted(set(folders) - set(found))
        raise MissingDataError(
            f"{lacking[0] / schema.MODELS.filename} does not exist, but {found[0]} has one: "
            "export every folder with `moralign collect export`, or name the models with --study"
        )
    tables = [schema.read_table(schema.MODELS, folder) for folder in found]
    studies = {name for folder in found for name in _exported_study_names(folder)}
    if len(studies) != 1:
        raise InputError(f"the exported folders {found} hold the calls of studies "
                         f"{sorted(studies)}; import one study at a time")
    llms = pd.concat(tables, ignore_index=True)
    twice = sorted(set(llms.loc[llms["model"].duplicated(), "model"]))
    if twice:
        raise InputError(f"models {twice} appear in more than one of the models tables of "
                         f"{found}; export each model once")
    return studies.pop(), llms[llms["kind"] == "llm"]


def with_valid_counts(ratings: pd.DataFrame, llm_files: list[Path]) -> pd.DataFrame:
    """`n_valid` of each item mean: the valid sampled answers of its cell, counted in the
    per-call tables `collect export` writes beside the item means (empty where none is)."""
    key = ["instrument", "model", "language", "persona", "item"]
    folders = sorted({path.parent for path in llm_files})
    found = [f for f in folders if (f / schema.LLM_CALLS.filename).is_file()]
    if not found:
        return ratings
    calls = pd.concat(schema.read_table(schema.LLM_CALLS, f) for f in found)
    calls = calls[calls["readout"].fillna("sampled") == "sampled"]
    counts = calls.groupby(key)["valid"].sum().rename("counted").reset_index()
    merged = ratings.merge(counts, on=key, how="left", validate="many_to_one")
    n_valid = merged["counted"].astype("Int64").to_numpy()
    return ratings.assign(n_valid=n_valid)


def exported_vocabulary(llm_files: list[Path]) -> release.LlmVocabulary:
    """The languages, personas and repetitions of exported calls whose study file is not at
    hand: those the per-call tables beside them hold (every planned iteration once collected)."""
    calls = pd.concat(
        pd.read_csv(folder / schema.LLM_CALLS.filename, dtype="string",
                    usecols=["language", "persona", "iteration"])
        for folder in sorted({path.parent for path in llm_files})
    )
    return release.LlmVocabulary(tuple(calls["language"].dropna().unique()),
                                 tuple(calls["persona"].dropna().unique()),
                                 int(calls["iteration"].astype(int).max()) + 1)


def _exported_study_names(folder: Path) -> set[str]:
    calls = folder / schema.LLM_CALLS.filename
    if not calls.is_file():
        raise MissingDataError(f"{calls} does not exist: `moralign collect export` writes it "
                               f"beside {schema.MODELS.filename}")
    return set(pd.read_csv(calls, usecols=["study"], dtype="string")["study"].dropna())


def study_models(study: StudyDesign) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "model": [m.id for m in study.models],
            "display_name": [m.display_name for m in study.models],
            "maker": pd.Series([m.maker for m in study.models], dtype="string"),
            "origin": [m.origin for m in study.models],
            "kind": "llm",
        }
    )


def load(name: str, folder: Path | None = None) -> pd.DataFrame:
    return schema.read_table(schema.TABLES[name], folder or PATHS.canonical)


def with_respondent_ids(humans: pd.DataFrame, mode: RespondentIds) -> pd.DataFrame:
    """Human responses keyed by the chosen respondent id (docs/methods.md section 2.2).

    `paper` uses the labels the release published (each MFQ-2 label mixes 36 people; the
    published numbers depend on it); `respondent` uses the true, row-order respondents.
    """
    if mode not in tuple(RespondentIds):
        raise InputError(f"respondent ids must be one of {[m.value for m in RespondentIds]}, "
                         f"not {mode!r}")
    if mode == RespondentIds.PAPER:
        return humans.drop(columns="respondent").rename(columns={"paper_id": "respondent"})
    return humans.drop(columns="paper_id")
