"""Stored calls written out: the release's column format and the project's canonical `llm_calls`
and `models` tables.

Release format (the public data of the original study, one file per instrument):
- item means, `llm_<survey>_responses.csv`: one row per LLM x language x persona x item.
  `response` and `iteration` show one raw answer of the cell (that of its lowest iteration);
  `llm_response` is the mean over the cell's valid answers; `valid_response` says whether the cell
  has any valid answer; `prop_na` is the share of the condition's calls (LLM x language x persona,
  all items) without a valid answer; `valid_item` counts the condition's items with a valid answer;
  `valid_llm` counts the LLM's valid item x condition cells over the file.
- per call, `llm_<survey>_calls.csv`: the same columns, one row per stored call, `llm_response` and
  `valid_response` being that call's rating and validity, then `status`, `presentation` (how the
  options were shown) and `variant` (the instruction's wording; "base" is the template's own).
In a study with several presentations or wordings, the item mean is the counterbalanced mean: over
every valid answer of the cell whatever its presentation and wording (ratings are on the
published scale); per presentation means come from the per-call table.
Unlike the release, no LLM is dropped here: exclusion belongs to each analysis (docs/methods.md
section 1.7).
Calls that failed after all attempts (no answer from the provider) are not answers: they are left
out of the item means, `prop_na`, `valid_item` and `valid_llm`. The per-call tables keep them, with
a `status` column (the call's outcome: valid, invalid, refused or failed) that tells them apart
from unparseable answers.
Values are written as R writes them: TRUE/FALSE, NA, 4 rather than 4.0.
"""

from __future__ import annotations

import csv
import json
import math
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from collect.collector.agreement import readout_agreement, readout_cells, repetition_reliability
from collect.collector.logprob import readout_table
from collect.collector.study import STUDY_SUMMARY, Study, study_record
from collect.core.outcome import Outcome
from collect.data.canonical import study_models
from collect.data.schema import LLM_CALLS, MODELS, write_table

RELEASE_COLUMNS = (
    "survey", "LLM", "language", "persona", "item", "iteration", "response", "model_fullname",
    "date", "model_nation", "API", "temperature", "llm_response", "valid_response", "prop_na",
    "valid_item", "valid_llm",
)
CALL_COLUMNS = (*RELEASE_COLUMNS, "status", "presentation", "variant")
CONDITION = ["LLM", "language", "persona"]
CELL = [*CONDITION, "item"]


def release_calls(study: Study, calls: pd.DataFrame, instrument: str) -> pd.DataFrame:
    """One row per stored call of `instrument`, in the release's columns and `status`."""
    rows = calls.loc[calls["instrument"] == instrument]
    if rows.empty:
        return pd.DataFrame(columns=list(CALL_COLUMNS))
    spec = study.instruments[instrument]
    origins = {model.id: model.origin for model in study.models}
    out = pd.DataFrame(
        {
            "survey": spec.survey_label,
            "LLM": rows["model"],
            "language": rows["language"],
            "persona": rows["persona"],
            "item": rows["item"].astype("int64"),
            "iteration": rows["iteration"].astype("int64"),
            "response": rows["raw_text"],
            "model_fullname": rows["returned_model"].fillna(rows["api_model"]),
            "date": rows["finished_at"].str.slice(0, 10),
            "model_nation": rows["model"].map(origins),
            "API": rows["provider"],
            "temperature": rows["temperature"],
            "llm_response": rows["rating"].astype("float64"),
            "valid_response": rows["valid"].astype(bool),
            "status": rows["status"],
            "presentation": rows["presentation"],
            "variant": rows["variant"],
        }
    )
    cell_valid = out.groupby(CELL)["valid_response"].transform("any")
    out = _with_condition_counts(out, cell_valid=cell_valid)
    return _in_study_order(study, out)


def release_item_means(study: Study, calls: pd.DataFrame, instrument: str) -> pd.DataFrame:
    """One row per LLM x language x persona x item of `instrument`: the release's item means."""
    per_call = release_calls(study, calls, instrument)
    per_call = per_call.loc[per_call["status"] != Outcome.FAILED]
    if per_call.empty:
        return pd.DataFrame(columns=list(RELEASE_COLUMNS))
    ordered = per_call.sort_values([*CELL, "iteration"], kind="stable")
    cells = ordered.groupby(CELL, sort=False)
    first = cells.head(1).set_index(CELL)
    out = first.drop(columns=["llm_response", "valid_response"]).copy()
    out["llm_response"] = cells["llm_response"].mean()
    out["valid_response"] = cells["valid_response"].any()
    out["model_fullname"] = per_call.groupby("LLM")["model_fullname"].agg(_most_common).reindex(
        out.index.get_level_values("LLM")
    ).to_numpy()
    out["date"] = per_call.groupby("LLM")["date"].min().reindex(
        out.index.get_level_values("LLM")
    ).to_numpy()
    out = out.reset_index()
    return _in_study_order(study, out.loc[:, list(RELEASE_COLUMNS)])


def _with_condition_counts(frame: pd.DataFrame, cell_valid: pd.Series) -> pd.DataFrame:
    """Adds prop_na, valid_item and valid_llm, computed over cells and conditions."""
    frame = frame.copy()
    answered = frame["status"] != Outcome.FAILED
    # Failed calls are NaN here, so the mean runs over the condition's answered calls only.
    frame["prop_na"] = (~frame["valid_response"]).astype("float64").where(answered).groupby(
        [frame[c] for c in CONDITION]
    ).transform("mean")
    cells = frame.assign(cell_valid=cell_valid).drop_duplicates(CELL)
    valid_item = cells.groupby(CONDITION)["cell_valid"].sum().rename("valid_item")
    valid_llm = cells.groupby("LLM")["cell_valid"].sum().rename("valid_llm")
    frame = frame.join(valid_item, on=CONDITION).join(valid_llm, on="LLM")
    frame["valid_item"] = frame["valid_item"].astype("int64")
    frame["valid_llm"] = frame["valid_llm"].astype("int64")
    return frame.loc[:, list(CALL_COLUMNS)]


def _most_common(values: pd.Series) -> Any:
    counts = values.dropna().value_counts()
    return counts.index[0] if len(counts) else None


def _in_study_order(study: Study, frame: pd.DataFrame) -> pd.DataFrame:
    model_rank = {model.id: rank for rank, model in enumerate(study.models)}
    language_rank = {language: rank for rank, language in enumerate(study.languages)}
    persona_rank = {persona: rank for rank, persona in enumerate(study.personas)}
    order = pd.DataFrame(
        {
            "m": frame["LLM"].map(model_rank),
            "l": frame["language"].map(language_rank),
            "p": frame["persona"].map(persona_rank),
            "i": frame["item"],
            "r": frame["iteration"],
        }
    )
    index = order.sort_values(["m", "l", "p", "i", "r"], kind="stable").index
    return frame.loc[index].reset_index(drop=True)


def canonical_calls(calls: pd.DataFrame) -> pd.DataFrame:
    """The project's canonical `llm_calls` table (python/collect/data/schema.py)."""
    return pd.DataFrame(
        {
            "study": calls["study"],
            "instrument": calls["instrument"],
            "model": calls["model"],
            "language": calls["language"],
            "persona": calls["persona"],
            "item": calls["item"],
            "iteration": calls["iteration"],
            "raw_text": calls["raw_text"],
            "rating": calls["rating"].astype("float64"),
            "valid": calls["valid"].astype(bool),
            "status": calls["status"],
        }
    )


def r_value(value: Any) -> str:
    """A cell as R's write.csv would print it: NA, TRUE/FALSE, integers without a decimal."""
    if isinstance(value, np.generic):
        value = value.item()
    if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
        return "NA"
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def write_release_csv(frame: pd.DataFrame, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".csv.tmp")
    with tmp.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(frame.columns)
        for row in frame.itertuples(index=False, name=None):
            writer.writerow([r_value(v) for v in row])
    tmp.replace(path)
    return path


def export_study(study: Study, calls: pd.DataFrame, out: Path,
                 logprobs: pd.DataFrame | None = None) -> list[Path]:
    """Writes the canonical `llm_calls` and `models` tables and, per instrument, the release's
    two tables. With the models table beside them, `moralign data import --llm-responses` needs
    no study file. Models with the logprob readout are left out of these (they have one call per
    cell, not repeated samples); their distributions go to `llm_logprob_readouts.csv` and their
    agreement with a sampled twin to `llm_readout_agreement.csv` (cell by cell in
    `llm_readout_cells.csv`); the spread and split-half
    reliability of the sampled answers to `llm_repetition_reliability.csv` (agreement.py).
    `study.json` says what the study is (its name, title, description, vocabulary and models,
    as `moralign book-inputs` writes it), for whoever reads the folder without the study file."""
    by_logprob = {model.id for model in study.models if model.readout == "logprob"}
    sampled = calls.loc[~calls["model"].isin(by_logprob)]
    written = [write_release_csv(repetition_reliability(sampled),
                                 out / "llm_repetition_reliability.csv")]
    if by_logprob and logprobs is not None:
        readouts = readout_table(study, logprobs.loc[logprobs["model"].isin(by_logprob)])
        cells = readout_cells(study, sampled, readouts)
        written += [
            write_release_csv(readouts, out / "llm_logprob_readouts.csv"),
            write_release_csv(cells, out / "llm_readout_cells.csv"),
            write_release_csv(readout_agreement(cells), out / "llm_readout_agreement.csv"),
        ]
    calls = sampled
    models = study_models(study)
    study_json = out / STUDY_SUMMARY
    study_json.parent.mkdir(parents=True, exist_ok=True)
    study_json.write_text(json.dumps(study_record(study), indent=2, ensure_ascii=False) + "\n",
                          encoding="utf-8")
    written += [
        study_json,
        write_table(canonical_calls(calls), LLM_CALLS, out),
        write_table(models[models["model"].isin(calls["model"])], MODELS, out),
    ]
    for name, spec in study.instruments.items():
        if not (calls["instrument"] == name).any():
            continue
        written.append(
            write_release_csv(
                release_item_means(study, calls, name),
                out / f"llm_{spec.survey_label}_responses.csv",
            )
        )
        written.append(
            write_release_csv(
                release_calls(study, calls, name), out / f"llm_{spec.survey_label}_calls.csv"
            )
        )
    return written
