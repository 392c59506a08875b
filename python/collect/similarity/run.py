"""Build every similarity table of the chosen instruments and write them with their manifest."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from enum import StrEnum
from pathlib import Path
from typing import Any

import pandas as pd

from collect import __version__
from collect.core.study import StudyVocabulary
from collect.data import schema
from collect.data.published import LANGUAGES, NATIONS, PERSONAS
from collect.data.wvs7 import missing_file_message
from collect.errors import InputError, MissingDataError
from collect.similarity.analyses import WvsNoPersona, analyses_for
from collect.similarity.build import (
    AnalysisOutcome,
    build_analysis,
    standardise,
    zscores_frame,
)
from collect.similarity.contract import study_contract
from collect.similarity.derived import table_path, update_manifest, write_rds
from collect.similarity.inputs import (
    LLM_KIND,
    CanonicalFrames,
    human_mean_ids,
    instrument_inputs,
    read_canonical,
)
from collect.similarity.measure_tables import measure_tables
from collect.similarity.metrics import DEFAULT_METRIC
from collect.vocab import INSTRUMENTS, WVS7, Instrument, RespondentIds

ZSCORES = "zscores"
NOT_POSSIBLE = "not possible"  # the status of an analysis the study cannot support


class Exclusion(StrEnum):
    """What an item without enough valid answers drops (docs/methods.md section 1.7)."""

    LLM = "llm"  # the paper's rule: the LLM, from every analysis that uses the condition
    ITEM = "item"  # the item, for every LLM and respondent


@dataclass(frozen=True)
class InstrumentBuild:
    instrument: Instrument
    outcomes: tuple[AnalysisOutcome, ...]
    straight_liners: dict[str, list[int]]
    respondents: dict[str, int]
    zscores: pd.DataFrame  # the vectors rq1 compares, for figure 2


def build_instrument(frames: CanonicalFrames, instrument: Instrument, ids: RespondentIds,
                     wvs_no_persona: WvsNoPersona = WvsNoPersona.NONE_ONLY) -> InstrumentBuild:
    inputs = instrument_inputs(frames, instrument, ids)
    groups = tuple(standardise(g) for g in inputs.humans)
    analyses = analyses_for(instrument, wvs_no_persona)
    described = frames.all_llm_ratings(instrument)
    outcomes = tuple(build_analysis(inputs, groups, a, described) for a in analyses)
    return InstrumentBuild(
        instrument,
        outcomes,
        {g.nationality: [int(i) for i in g.straight_liners] for g in groups},
        {g.nationality: len(g.ids) + len(g.straight_liners) for g in groups},
        zscores_frame(inputs, groups, analyses[0]),
    )


def missing_wvs_message(frames: CanonicalFrames, wvs7_file: Path) -> str:
    return (
        f"WVS-7 tables skipped: {frames.folder}/human_responses.csv holds no {WVS7.name} "
        f"respondents: {missing_file_message(wvs7_file)} Then run `moralign data import` and "
        "`moralign similarity` again."
    )


def manifest_entry(build: InstrumentBuild, out: Path, ids: str, sha256: dict[str, str],
                   options: dict[str, Any]) -> dict[str, Any]:
    tables = {}
    for o in build.outcomes:
        if o.not_possible:
            tables[o.analysis.name] = {
                "status": NOT_POSSIBLE, "reason": o.not_possible,
                "dropped_llms": [{"model": d.model, "reason": d.reason} for d in o.dropped_llms],
            }
            continue
        human_mean_rows = int(o.table["is_human_mean"].sum())
        tables[o.analysis.name] = {
            "status": "built",
            "file": str(table_path(out, ids, build.instrument.name, o.analysis.name)
                        .relative_to(out / ids)),
            "rows": len(o.table),
            "llm_rows": len(o.table) - human_mean_rows,
            "human_mean_rows": human_mean_rows,
            "llm_scaling": o.analysis.llm_scaling.value,
            "personas": list(o.analysis.persona_labels),
            "z_scored_with_personas": list(o.analysis.scaled_personas),
            "languages": "both" if o.analysis.both_languages else "respondent's own",
            "kept_llms": o.kept_llms,
            "dropped_llms": [{"model": d.model, "reason": d.reason} for d in o.dropped_llms],
            "dropped_respondents": o.dropped_respondents,
            "described_set_aside": [vars(a) for a in o.set_aside],
        }
    return {
        "status": "built",
        "options": options,
        "inputs_sha256": sha256,
        "respondents": build.respondents,
        "dropped_respondents": {
            "zero_variance_count": {n: len(v) for n, v in build.straight_liners.items()},
            "zero_variance": build.straight_liners,
        },
        "tables": tables,
        "zscores": {"file": f"{build.instrument.name}/{ZSCORES}.rds", "rows": len(build.zscores)},
    }


def run_similarity(canonical: Path, out: Path, ids: RespondentIds, instruments: list[str],
                   wvs7_file: Path, say: Callable[[str], None] = print,
                   wvs_no_persona: WvsNoPersona = WvsNoPersona.NONE_ONLY,
                   metrics: tuple[str, ...] = (DEFAULT_METRIC,),
                   external: Path | None = None,
                   study: StudyVocabulary | None = None,
                   exclusion: Exclusion = Exclusion.LLM,
                   min_valid_answers: int = 1) -> dict[str, Any]:
    """Build, write and describe the tables; returns the manifest entries written.

    `metrics`: the pair measures whose per-respondent RQ1 table is written (rq1_<measure>.rds;
    cosine_z is rq1.rds itself); every measure's per-LLM summary is always written.
    `external`: where the fetched country reference files are (default: data/external).
    `study`: the study whose vocabulary the manifest's contract carries (default the shipped one).
    `exclusion`: the paper's rule (an LLM with an item without valid answer is dropped) or, for
    `Exclusion.ITEM`, an item is dropped for everyone when some LLM gave it fewer than
    `min_valid_answers` valid answers in a compared condition (docs/methods.md section 1.7).
    """
    frames, described_only = study_conditions(read_canonical(canonical), study, say)
    options = {"respondent_ids": ids, "wvs_no_persona": wvs_no_persona.value,
               "canonical": str(canonical), "moralign": __version__,
               "described_only": described_only, "exclusion": exclusion.value,
               "min_valid_answers": min_valid_answers}
    entries: dict[str, dict[str, Any]] = {}
    for name in instruments:
        instrument, frames = asked_items(frames, INSTRUMENTS[name], say)
        dropped_items: list[int] = []
        if exclusion is Exclusion.ITEM and frames.has_humans(instrument):
            instrument, frames, dropped_items = items_answered(frames, instrument,
                                                               min_valid_answers, say)
        if not frames.has_humans(instrument):
            if instrument.name != WVS7.name:
                raise_missing(frames, instrument)
            message = missing_wvs_message(frames, wvs7_file)
            say(message)
            fresh = write_measure_tables(frames, instrument, ids, out, metrics, external, say)
            entries[name] = {"status": "skipped", "reason": message, "measure_tables": fresh}
            for stale in sorted((out / ids / name).glob("*.rds")):
                if stale.stem not in fresh:
                    stale.unlink()
                    say(f"removed {stale}, built from data no longer present")
            continue
        build = build_instrument(frames, instrument, ids, wvs_no_persona)
        for outcome in build.outcomes:
            path = table_path(out, ids, name, outcome.analysis.name)
            if outcome.not_possible:
                path.unlink(missing_ok=True)
                say(f"{name} {outcome.analysis.name}: not possible, no table written: "
                    f"{outcome.not_possible}")
                continue
            if outcome.table["cosine"].isna().any():
                raise AssertionError(f"{path}: an undefined cosine escaped the exclusions")
            write_rds(outcome.table, path)
            dropped = ", ".join(d.model for d in outcome.dropped_llms) or "none"
            say(f"{path}: {len(outcome.table):,} rows; {len(outcome.kept_llms)} LLMs kept, "
                f"dropped: {dropped}")
            for a in outcome.set_aside:
                say(f"{path}: {a.model} in {a.language} with persona {a.persona} is not "
                    f"described: {a.reason}")
        write_rds(build.zscores, table_path(out, ids, name, ZSCORES))
        for nation, straight in build.straight_liners.items():
            say(f"{name} {nation}: {build.respondents[nation]:,} respondents, {len(straight)} "
                "dropped for zero variance")
        entries[name] = manifest_entry(build, out, ids, frames.sha256, options)
        entries[name]["dropped_items"] = dropped_items
        entries[name]["measure_tables"] = write_measure_tables(frames, instrument, ids, out,
                                                               metrics, external, say)
    models = frames.models.set_index("model")
    display_names = dict(zip(models.index, models["display_name"], strict=True))
    human_groups = [str(n) for n in pd.unique(frames.humans["nationality"].astype(str))]
    update_manifest(out / ids, {**options, "display_names": display_names}, entries,
                    study_contract(human_mean_ids(frames.models), study, human_groups))
    return entries


def study_conditions(frames: CanonicalFrames, study: StudyVocabulary | None,
                     say: Callable[[str], None]) -> tuple[CanonicalFrames, dict[str, list[str]]]:
    """The frames with the study's languages and personas, and what of the study lies outside
    the published design's nations, languages and personas: LLMs of other origins, other
    personas and languages. The tables carry those rows, described beside the compared ones
    (R's two-nation contrasts leave them out); each is said and listed in the manifest. Without a
    study the ratings may hold the published design's languages and personas only."""
    models = frames.models
    llm = models["kind"] == LLM_KIND
    others = {"origins": [str(o) for o in dict.fromkeys(models.loc[llm, "origin"])
                          if o not in NATIONS],
              "languages": [v for v in study.languages if v not in LANGUAGES] if study else [],
              "personas": [v for v in study.personas if v not in PERSONAS] if study else []}
    languages, personas = (*LANGUAGES, *others["languages"]), (*PERSONAS, *others["personas"])
    for column, allowed in (("language", languages), ("persona", personas)):
        wrong = sorted(set(frames.ratings[column].astype(str)) - set(allowed))
        if wrong:
            raise InputError(f"{column} values {wrong} are not among {list(allowed)}"
                             + ("" if study else "; name the study (--study) that asked them"),
                             file=f"{frames.folder}/{schema.LLM_RATINGS.filename}",
                             column=column)
    compared = {"origins": NATIONS, "languages": LANGUAGES, "personas": PERSONAS}
    for what, values in others.items():
        if values:
            say(f"{what} {values} are described beside {what} {list(compared[what])} in the "
                "tables; the two-nation contrasts leave them out")
    return replace(frames, languages=languages, personas=personas), others


def items_answered(frames: CanonicalFrames, instrument: Instrument, min_valid: int,
                   say: Callable[[str], None]) -> tuple[Instrument, CanonicalFrames, list[int]]:
    """The instrument without the items some LLM answered validly fewer than `min_valid` times
    in a compared condition (a missing cell counts as none), for every LLM and respondent."""
    compared = frames.compared_ratings()
    rows = compared[compared["instrument"] == instrument.name]
    counts = rows["n_valid"].astype("Float64")
    if counts.isna().any():
        if min_valid > 1:
            raise InputError(
                f"{frames.folder}/llm_ratings.csv does not count the valid answers of every "
                f"item (n_valid is empty), so a minimum of {min_valid} cannot be checked; import "
                "the answers from a `moralign collect export` folder, or use a minimum of 1",
                column="n_valid")
        counts = counts.fillna(rows["mean"].notna().astype("Float64"))
    cell = ["model", "language", "persona"]
    grid = pd.MultiIndex.from_product(
        [rows[c].unique() for c in cell] + [list(instrument.items)], names=[*cell, "item"])
    full = pd.Series(counts.to_numpy(float), index=pd.MultiIndex.from_frame(
        rows[[*cell, "item"]].astype({"item": int}))).reindex(grid, fill_value=0.0)
    fewest = full.groupby(level="item").min()
    dropped = [int(i) for i in fewest.index[fewest < min_valid]]
    kept = tuple(i for i in instrument.items if i not in dropped)
    if not kept:
        raise InputError(f"{instrument.name}: every item has an LLM with fewer than {min_valid} "
                         "valid answers in some condition; no item is left to compare")
    if dropped:
        say(f"{instrument.name}: items {dropped} dropped for every LLM and respondent: some LLM "
            f"gave fewer than {min_valid} valid answers to them in a compared condition")
    restricted = replace(instrument, items=kept)
    keep_humans = ~((frames.humans["instrument"] == instrument.name)
                    & frames.humans["item"].astype(int).isin(dropped))
    keep_ratings = ~((frames.ratings["instrument"] == instrument.name)
                     & frames.ratings["item"].astype(int).isin(dropped))
    return restricted, replace(frames, humans=frames.humans.loc[keep_humans],
                               ratings=frames.ratings.loc[keep_ratings]), dropped


def asked_items(frames: CanonicalFrames, instrument: Instrument,
                say: Callable[[str], None]) -> tuple[Instrument, CanonicalFrames]:
    """The instrument restricted to the items the LLMs were asked when they were asked only some
    (a study's `only_items`), with the human answers to those items only."""
    rows = frames.ratings[frames.ratings["instrument"] == instrument.name]
    asked = tuple(sorted(int(i) for i in rows["item"].unique()))
    if not asked or asked == instrument.items or not set(asked) < set(instrument.items):
        return instrument, frames
    say(f"{instrument.name}: the LLMs were asked items {list(asked)}; the humans' answers to "
        "those items are compared")
    humans = frames.humans
    other = (humans["instrument"] == instrument.name) & ~humans["item"].astype(int).isin(asked)
    return replace(instrument, items=asked), replace(frames, humans=humans.loc[~other])


def write_measure_tables(frames: CanonicalFrames, instrument: Instrument, ids: RespondentIds,
                         out: Path, metrics: tuple[str, ...], external: Path | None,
                         say: Callable[[str], None]) -> dict[str, int]:
    """The tables of the measures-and-countries analysis (collect.similarity.measure_tables)."""
    rows = {}
    for table, frame in measure_tables(frames, instrument, ids, metrics, external, say).items():
        write_rds(frame, table_path(out, ids, instrument.name, table))
        rows[table] = len(frame)
    if rows:
        say(f"{out / ids / instrument.name}: measure tables {', '.join(rows)}")
    return rows


def raise_missing(frames: CanonicalFrames, instrument: Instrument) -> None:
    raise MissingDataError(
        f"{frames.folder}/human_responses.csv holds no {instrument.name} respondents; build the "
        "canonical tables with `moralign data import`"
    )
