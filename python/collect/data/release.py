"""Importer for the public release of the Made in China study (docs/methods.md sections 1-2).

Reads the fetched files under data/external/made_in_china/ and returns canonical tables.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from collect.core.outcome import answer_outcome
from collect.core.parse import parse_answer
from collect.data import schema
from collect.data.csvfile import (
    LINE,
    numbers,
    one_of,
    read_records,
    refuse_duplicates,
    refuse_rows,
)
from collect.data.published import LANGUAGE_OF_NATION, LANGUAGES, NATIONS, PERSONAS
from collect.errors import InputError
from collect.vocab import INSTRUMENTS, MFQ2, WVS7, Instrument, mfq2_foundation

if TYPE_CHECKING:
    from collect.core.study import StudyDesign

STUDY = "made_in_china"
CALLS_PER_ITEM = 20  # the release's calls of each item in each condition


@dataclass(frozen=True)
class LlmVocabulary:
    """What LLM answer files may hold: the study's languages and personas, and its repetitions
    (the calls of each item in each condition)."""

    languages: tuple[str, ...]
    personas: tuple[str, ...]
    repetitions: int

    @classmethod
    def of(cls, study: StudyDesign) -> LlmVocabulary:
        return cls(study.languages, study.personas, study.repetitions)


RELEASE_VOCABULARY = LlmVocabulary(LANGUAGES, PERSONAS, CALLS_PER_ITEM)
LLM_FILES = {
    "Data/MFQ2/llm_mfq_responses.csv": MFQ2.name,
    "Data/WVS/llm_wvs_responses.csv": WVS7.name,
    "Data/WVS/llm_wvs_persona_responses.csv": WVS7.name,
}
SURVEY_NAMES = {"mfq": MFQ2.name, "wvs": WVS7.name}
MFQ2_ITEMS = len(MFQ2.items)  # the human file's rows cycle through the items 1..36


def _name(folder: Path, local: str) -> str:
    return f"{folder.name}/{local}"


def read_items(folder: Path) -> pd.DataFrame:
    mfq_name = _name(folder, "items/mfq_items.csv")
    mfq = read_records(
        folder / "items/mfq_items.csv", ["item", "dimension", "language", "prompt"], label=mfq_name
    )
    mfq["item"] = numbers(mfq, "item", mfq_name, integer=True, low=1, high=MFQ2_ITEMS)
    mfq["language"] = one_of(mfq, "language", LANGUAGES, mfq_name)
    _refuse_wrong_foundation(mfq, "dimension", mfq_name)
    mfq["instrument"] = MFQ2.name

    wvs_name = _name(folder, "items/wvs_items.csv")
    wvs = read_records(
        folder / "items/wvs_items.csv", ["gloss", "item", "language", "prompt"], label=wvs_name
    )
    wvs["item"] = numbers(
        wvs, "item", wvs_name, integer=True, low=WVS7.items[0], high=WVS7.items[-1]
    )
    wvs["language"] = one_of(wvs, "language", LANGUAGES, wvs_name)
    wvs["dimension"] = wvs["gloss"].str.split(":", n=1).str[-1].str.strip()
    wvs["instrument"] = WVS7.name

    for frame, name, instrument in ((mfq, mfq_name, MFQ2), (wvs, wvs_name, WVS7)):
        refuse_duplicates(frame, ["item", "language"], name)
        _require_all_items(frame, instrument.items, name)
    items = pd.concat([mfq, wvs]).rename(columns={"prompt": "text"})
    return schema.conform(items, schema.ITEMS, folder)


def _require_all_items(frame: pd.DataFrame, items: tuple[int, ...], name: str) -> None:
    for language, rows in frame.groupby("language"):
        absent = sorted(set(items) - set(rows["item"].astype(int)))
        if absent:
            raise InputError(f"{language} items {absent} are missing", file=name)


def _refuse_wrong_foundation(frame: pd.DataFrame, column: str, name: str) -> None:
    expected = frame["item"].map(lambda item: mfq2_foundation(int(item)))
    refuse_rows(
        frame,
        frame[column].str.strip() != expected,
        column,
        name,
        lambda row: (
            f"item {row['item']} belongs to {mfq2_foundation(int(row['item']))}, "
            f"not {row[column]!r}"
        ),
    )


def read_models(folder: Path) -> pd.DataFrame:
    name = _name(folder, "Data/llm_info.csv")
    info = read_records(
        folder / "Data/llm_info.csv", ["llm_nation", "llm_name", "LLM", "group"], label=name
    )
    info["origin"] = one_of(info, "llm_nation", NATIONS, name)
    kinds = one_of(info, "group", ["LLM", "Human"], name)
    refuse_duplicates(info, ["LLM"], name)
    models = pd.DataFrame(
        {
            "model": info["LLM"].str.strip(),
            "display_name": info["llm_name"].str.strip(),
            "maker": pd.NA,
            "origin": info["origin"],
            "kind": kinds.map({"LLM": "llm", "Human": "human_mean"}),
        }
    )
    return schema.conform(models, schema.MODELS, name)


def read_human_mfq(folder: Path) -> pd.DataFrame:
    """The MFQ-2 human file, with both respondent ids (docs/methods.md section 2.2).

    Within each group the file is respondent-major: row r (0-based) holds item r mod 36 + 1 of
    respondent r div 36 + 1, while the released Participant label is r mod N + 1. `paper_id`
    keeps the released label (what the published numbers use); `respondent` is the true one.
    """
    name = _name(folder, "Data/MFQ2/human_mfq_responses.csv")
    raw = read_records(
        folder / "Data/MFQ2/human_mfq_responses.csv",
        ["Item", "Response", "Participant", "Group", "Dimension"],
        label=name,
    )
    raw["item"] = numbers(raw, "Item", name, integer=True, low=1, high=MFQ2_ITEMS)
    raw["rating"] = numbers(
        raw, "Response", name, integer=True, low=MFQ2.scale_min, high=MFQ2.scale_max
    )
    raw["paper_id"] = numbers(raw, "Participant", name, integer=True, low=1)
    raw["nationality"] = one_of(raw, "Group", NATIONS, name)
    parts = []
    for nation, rows in raw.groupby("nationality", sort=False):
        order = np.arange(len(rows))
        off = rows["item"].to_numpy() != order % MFQ2_ITEMS + 1
        if off.any():
            row = rows.loc[off].iloc[0]
            raise InputError(
                f"the {nation} rows are not in respondent-major order (item {row['item']} where "
                f"item {order[off][0] % MFQ2_ITEMS + 1} was expected), so row-order respondents "
                "cannot be recovered",
                file=name,
                line=int(row[LINE]),
                column="Item",
            )
        if len(rows) % MFQ2_ITEMS:
            raise InputError(
                f"{nation} has {len(rows)} rows, not a multiple of {MFQ2_ITEMS}", file=name
            )
        rows = rows.assign(respondent=order // MFQ2_ITEMS + 1)
        refuse_duplicates(rows, ["paper_id", "item"], name)
        parts.append(rows)
    humans = pd.concat(parts)
    _refuse_wrong_foundation(humans, "Dimension", name)
    humans["instrument"] = MFQ2.name
    humans["language"] = humans["nationality"].map(LANGUAGE_OF_NATION)
    return schema.conform(humans, schema.HUMAN_RESPONSES, name)


def release_llm_files(folder: Path) -> list[Path]:
    return [folder / local for local in LLM_FILES]


def read_llm_files(
    files: list[Path],
    models: pd.DataFrame,
    *,
    study: str = STUDY,
    vocabulary: LlmVocabulary = RELEASE_VOCABULARY,
) -> dict[str, pd.DataFrame]:
    """Item means, call metadata and example raw answers from files in the release's format.

    These are the release's LLM files, or what `moralign collect export` writes. The release's
    WVS files overlap (the no-persona file also holds persona rows of its 14 LLMs); a key present
    in two files must carry the same numbers, and is kept once.
    """
    columns = [
        "survey",
        "LLM",
        "language",
        "persona",
        "item",
        "iteration",
        "response",
        "model_fullname",
        "date",
        "API",
        "temperature",
        "llm_response",
        "prop_na",
    ]
    llms = models.loc[models["kind"] == "llm", "model"]
    frames = []
    for path in files:
        name = str(path)
        raw = read_records(path, columns, label=name)
        raw["instrument"] = one_of(raw, "survey", SURVEY_NAMES, name).map(SURVEY_NAMES)
        raw["model"] = one_of(raw, "LLM", llms, name)
        raw["language"] = one_of(raw, "language", vocabulary.languages, name)
        raw["persona"] = one_of(raw, "persona", vocabulary.personas, name)
        raw["condition_prop_invalid"] = numbers(raw, "prop_na", name, low=0, high=1)
        raw["temperature"] = numbers(raw, "temperature", name, low=0, high=2, allow_empty=True)
        for instrument_name, part in raw.groupby("instrument"):
            frames.append(_checked_ratings(part, INSTRUMENTS[str(instrument_name)], name,
                                           vocabulary.repetitions))
    rows = pd.concat(frames, ignore_index=True)
    key = ["instrument", "model", "language", "persona", "item"]
    for name, part in rows.groupby("file"):
        refuse_duplicates(part, key, str(name))
    _refuse_conflicting_overlap(rows, key)

    ratings = rows.drop_duplicates(key).assign(n_valid=pd.NA,
                                               n_calls=vocabulary.repetitions)
    calls = _parsed_examples(rows.drop_duplicates([*key, "iteration", "response"]), study)
    model_calls = rows.rename(
        columns={"API": "provider", "model_fullname": "api_model", "date": "collected_on"}
    ).drop_duplicates(
        ["instrument", "model", "provider", "api_model", "temperature", "collected_on"]
    )
    return {
        "llm_ratings": schema.conform(ratings, schema.LLM_RATINGS, "LLM files"),
        "llm_calls": schema.conform(calls, schema.LLM_CALLS, "LLM files"),
        "model_calls": schema.conform(model_calls, schema.MODEL_CALLS, "LLM files"),
    }


def _checked_ratings(
    raw: pd.DataFrame, instrument: Instrument, name: str, repetitions: int
) -> pd.DataFrame:
    items = (instrument.items[0], instrument.items[-1])
    return raw.assign(
        item=numbers(raw, "item", name, integer=True, low=items[0], high=items[1]),
        iteration=numbers(raw, "iteration", name, integer=True, low=0, high=repetitions - 1),
        mean=numbers(
            raw,
            "llm_response",
            name,
            low=instrument.scale_min,
            high=instrument.scale_max,
            allow_empty=True,
        ),
        file=name,
    )


def _parsed_examples(rows: pd.DataFrame, study: str) -> pd.DataFrame:
    """The release keeps one raw answer per item and condition; parse it like any call."""
    parsed = [
        parse_answer(text, INSTRUMENTS[instrument].scale_min, INSTRUMENTS[instrument].scale_max)
        for text, instrument in zip(rows["response"], rows["instrument"], strict=True)
    ]
    return rows.assign(
        study=study,
        raw_text=rows["response"],
        rating=[answer.rating for answer in parsed],
        valid=[answer.valid for answer in parsed],
        status=[answer_outcome(answer.rating, answer.refusal) for answer in parsed],
    )


def _refuse_conflicting_overlap(rows: pd.DataFrame, key: list[str]) -> None:
    values = ["mean", "condition_prop_invalid"]
    shared = rows[rows.duplicated(key, keep=False)]
    if shared.empty:
        return
    spread = shared.groupby(key)[values].agg(
        lambda s: s.max() - s.min() if s.notna().all() else (0.0 if s.isna().all() else np.inf)
    )
    conflict = spread[(spread > 1e-12).any(axis=1)]
    if not conflict.empty:
        first = dict(zip(key, conflict.index[0], strict=True))
        files = shared.set_index(key).loc[conflict.index[0], "file"].tolist()
        raise InputError(f"files {files} disagree on the item mean of {first}")
