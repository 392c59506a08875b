"""Canonical tables -> validated rating matrices for one instrument.

Humans become one matrix per nationality (respondents x items); LLM item means become one
array (model x language x persona x item) with NaN where an item has no valid answer.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from collect.data import schema
from collect.data.canonical import with_respondent_ids
from collect.data.published import LANGUAGES, NATIONS, PERSONAS
from collect.data.sources import sha256_of
from collect.errors import InputError
from collect.vocab import Instrument, RespondentIds

HUMAN_MEAN_KIND = "human_mean"
LLM_KIND = "llm"


@dataclass(frozen=True)
class HumanGroup:
    """Every respondent of one nationality: raw ratings, one row per respondent."""

    nationality: str
    language: str
    ids: np.ndarray  # int64, sorted
    ratings: np.ndarray  # float64, (respondents, items)


@dataclass(frozen=True)
class LlmRatings:
    """Item means of every LLM that the models table or the ratings table names."""

    models: tuple[str, ...]
    origins: tuple[str, ...]
    means: np.ndarray  # float64, (models, languages, personas, items); NaN = no valid answer
    languages: tuple[str, ...] = LANGUAGES  # the axes of `means`
    personas: tuple[str, ...] = PERSONAS


@dataclass(frozen=True)
class InstrumentInputs:
    instrument: Instrument
    items: tuple[int, ...]
    humans: tuple[HumanGroup, ...]
    llms: LlmRatings
    human_mean_ids: dict[str, str]  # nationality -> model id of its human-mean pseudo-LLM


def human_groups(
    responses: pd.DataFrame, instrument: Instrument, ids: RespondentIds, source: str
) -> tuple[HumanGroup, ...]:
    """One complete respondents x items matrix per nationality, or an InputError saying why not."""
    rows = with_respondent_ids(responses[responses["instrument"] == instrument.name], ids)
    id_column = "respondent"
    groups = []
    for nationality in NATIONS:
        mine = rows[rows["nationality"] == nationality]
        if mine.empty:
            raise InputError(f"no {instrument.name} respondents of nationality {nationality}",
                             file=source, column="nationality")
        _refuse_bad_ratings(mine, instrument, source)
        key = [id_column, "item"]
        dup = mine.duplicated(key, keep=False)
        if dup.any():
            first = mine.loc[dup, key].iloc[0].to_dict()
            raise InputError(
                f"{int(dup.sum())} {nationality} rows share a (respondent, item) pair in "
                f"{ids!r} respondent-id mode, e.g. {first}; each respondent may answer each "
                "item once",
                file=source, column=id_column,
            )
        languages = mine["language"].unique()
        if len(languages) != 1:
            raise InputError(f"{nationality} respondents answered in several languages "
                             f"{sorted(map(str, languages))}; expected one", file=source,
                             column="language")
        respondent_ids = np.unique(mine[id_column].to_numpy(dtype=np.int64))
        matrix = np.full((len(respondent_ids), len(instrument.items)), np.nan)
        r = np.searchsorted(respondent_ids, mine[id_column].to_numpy(dtype=np.int64))
        c = np.searchsorted(instrument.items, mine["item"].to_numpy(dtype=np.int64))
        matrix[r, c] = mine["rating"].to_numpy(dtype=np.float64)
        holes = np.isnan(matrix)
        if holes.any():
            who, which = np.nonzero(holes)
            raise InputError(
                f"{int(holes.any(axis=1).sum())} {nationality} respondents lack items, e.g. "
                f"respondent {respondent_ids[who[0]]} ({ids!r} ids) has no rating for item "
                f"{instrument.items[which[0]]}; complete cases are expected (the importer applies "
                "listwise deletion)",
                file=source, column="rating",
            )
        groups.append(HumanGroup(nationality, str(languages[0]), respondent_ids, matrix))
    return tuple(groups)


def _refuse_bad_ratings(rows: pd.DataFrame, instrument: Instrument, source: str) -> None:
    _refuse_foreign_items(rows, instrument, source)
    rating = rows["rating"].to_numpy(dtype=np.float64)
    bad = np.isnan(rating) | _outside_scale(rating, instrument)
    if bad.any():
        row = rows.loc[bad].iloc[0]
        raise InputError(
            f"{int(bad.sum())} ratings are missing or outside {_scale(instrument)}, e.g. "
            f"{row['nationality']} respondent {row['respondent']} item {row['item']}: "
            f"{row['rating']}",
            file=source, column="rating",
        )


def _refuse_foreign_items(rows: pd.DataFrame, instrument: Instrument, source: str) -> None:
    foreign = sorted(set(rows["item"].astype(int)) - set(instrument.items))
    if foreign:
        raise InputError(
            f"items {foreign} are not {instrument.name} items (expected "
            f"{instrument.items[0]}..{instrument.items[-1]})",
            file=source, column="item",
        )


def _outside_scale(values: np.ndarray, instrument: Instrument) -> np.ndarray:
    return (values < instrument.scale_min) | (values > instrument.scale_max)


def _scale(instrument: Instrument) -> str:
    return f"{instrument.scale_min}..{instrument.scale_max}"


def llm_ratings(
    ratings: pd.DataFrame, models: pd.DataFrame, instrument: Instrument, source: str,
    languages: tuple[str, ...] = LANGUAGES, personas: tuple[str, ...] = PERSONAS,
) -> LlmRatings:
    """The ratings in `languages` and `personas` (default the published design's; others are
    refused)."""
    # Only sampled ratings: a logprob readout is another measurement of the model.
    readout = ratings.get("readout", "sampled")
    rows = ratings[(ratings["instrument"] == instrument.name) & (readout == "sampled")]
    llm_rows = models[models["kind"] == LLM_KIND]
    origin_of = dict(zip(llm_rows["model"], llm_rows["origin"], strict=True))
    unknown = sorted(set(rows["model"]) - set(origin_of))
    if unknown:
        raise InputError(f"models {unknown} have ratings but are not LLMs of the models table",
                         file=source, column="model")
    _refuse_foreign_items(rows, instrument, source)
    for column, allowed in (("language", languages), ("persona", personas)):
        wrong = sorted(set(rows[column]) - set(allowed))
        if wrong:
            raise InputError(f"{column} values {wrong} are not among {allowed}", file=source,
                             column=column)
    mean = rows["mean"].to_numpy(dtype=np.float64)
    outside = _outside_scale(mean, instrument)  # NaN (no valid answer) compares False
    if outside.any():
        row = rows.loc[outside].iloc[0]
        raise InputError(
            f"item mean {row['mean']} of {row['model']} ({row['language']}, persona "
            f"{row['persona']}, item {row['item']}) is outside {_scale(instrument)}",
            file=source, column="mean",
        )
    never_asked = sorted(set(instrument.items) - set(rows["item"].astype(int)))
    if len(rows) and never_asked:
        raise InputError(
            f"the LLM ratings lack items {never_asked} that the {instrument.name} human data "
            "has; both must cover the same items", file=source, column="item",
        )
    no_valid = (rows["n_valid"] == 0).fillna(False).to_numpy(dtype=bool)
    mean = np.where(no_valid, np.nan, mean)

    names = tuple(str(m) for m in llm_rows["model"])
    means = np.full((len(names), len(languages), len(personas), len(instrument.items)), np.nan)
    index = (
        pd.Index(names).get_indexer(rows["model"]),
        pd.Index(languages).get_indexer(rows["language"]),
        pd.Index(personas).get_indexer(rows["persona"]),
        np.searchsorted(instrument.items, rows["item"].to_numpy(dtype=np.int64)),
    )
    means[index] = mean
    return LlmRatings(names, tuple(str(origin_of[m]) for m in names), means,
                      tuple(languages), tuple(personas))


def human_mean_ids(models: pd.DataFrame) -> dict[str, str]:
    """The model id of each nationality's human-mean pseudo-LLM, from the models table."""
    means = models[models["kind"] == HUMAN_MEAN_KIND]
    found = dict(zip(means["origin"], means["model"], strict=True))
    missing = [n for n in NATIONS if n not in found]
    if missing:
        raise InputError(
            f"the models table has no human-mean row (kind {HUMAN_MEAN_KIND!r}) of origin "
            f"{missing}", column="kind",
        )
    return {n: str(found[n]) for n in NATIONS}


@dataclass(frozen=True)
class CanonicalFrames:
    humans: pd.DataFrame
    ratings: pd.DataFrame  # every language and persona of the study
    models: pd.DataFrame
    folder: str
    sha256: dict[str, str]
    # The study's languages and personas: the published design's first, then the study's others,
    # which the tables describe but the published analyses do not compare.
    languages: tuple[str, ...] = LANGUAGES
    personas: tuple[str, ...] = PERSONAS

    def has_humans(self, instrument: Instrument) -> bool:
        return bool((self.humans["instrument"] == instrument.name).any())

    def compared_ratings(self) -> pd.DataFrame:
        """The ratings in the published design's languages and personas."""
        r = self.ratings
        return r.loc[r["language"].isin(LANGUAGES) & r["persona"].isin(PERSONAS)]

    def all_llm_ratings(self, instrument: Instrument) -> LlmRatings:
        """The ratings of every LLM in every language and persona of the study."""
        return llm_ratings(self.ratings, self.models, instrument,
                           f"{self.folder}/{schema.LLM_RATINGS.filename}", self.languages,
                           self.personas)


def read_canonical(canonical: Path) -> CanonicalFrames:
    specs = (schema.HUMAN_RESPONSES, schema.LLM_RATINGS, schema.MODELS)
    humans, ratings, models = (schema.read_table(spec, canonical) for spec in specs)
    digests = {spec.filename: sha256_of(canonical / spec.filename) for spec in specs}
    return CanonicalFrames(humans, ratings, models, str(canonical), digests)


def instrument_inputs(
    frames: CanonicalFrames, instrument: Instrument, ids: RespondentIds
) -> InstrumentInputs:
    return inputs_from_frames(frames.humans, frames.compared_ratings(), frames.models,
                              instrument, ids, frames.folder)


def inputs_from_frames(
    humans: pd.DataFrame,
    ratings: pd.DataFrame,
    models: pd.DataFrame,
    instrument: Instrument,
    ids: RespondentIds,
    where: str = "<frames>",
) -> InstrumentInputs:
    human_source = f"{where}/{schema.HUMAN_RESPONSES.filename}"
    rating_source = f"{where}/{schema.LLM_RATINGS.filename}"
    groups = human_groups(humans, instrument, ids, human_source)
    llms = llm_ratings(ratings, models, instrument, rating_source)
    return InstrumentInputs(instrument, instrument.items, groups, llms, human_mean_ids(models))
