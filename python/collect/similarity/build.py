"""Build the cosine table of one analysis from validated inputs (docs/methods.md section 3)."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from collect.data.published import LANGUAGES, PERSONAS
from collect.errors import InputError
from collect.similarity.analyses import Analysis, removal_blocks
from collect.similarity.cosine import cosine_matrix
from collect.similarity.described import SetAside, add_described
from collect.similarity.exclusion import (
    DroppedLlm,
    constant_ratings,
    respondents_with_zero_remainders,
    without_answers,
    zero_remainders,
)
from collect.similarity.inputs import HumanGroup, InstrumentInputs, LlmRatings
from collect.similarity.tables import CosineTable
from collect.similarity.zscore import LlmScaling, zscore_llm_vectors, zscore_rows


@dataclass(frozen=True)
class StandardisedGroup:
    """One nationality's respondents after z-scoring, without the straight-liners."""

    nationality: str
    language: str
    ids: np.ndarray
    z: np.ndarray
    straight_liners: np.ndarray  # ids of the respondents dropped for zero variance
    item_means: np.ndarray  # raw item means over every respondent (the human-mean pseudo-LLM)


@dataclass
class AnalysisOutcome:
    analysis: Analysis
    table: pd.DataFrame
    kept_llms: list[str]
    dropped_llms: list[DroppedLlm]
    dropped_respondents: list[dict[str, object]] = field(default_factory=list)
    set_aside: list[SetAside] = field(default_factory=list)  # described conditions left out
    # Why the study cannot support the analysis (a condition it lacks, no LLM left); no table.
    not_possible: str | None = None


def standardise(group: HumanGroup) -> StandardisedGroup:
    z, varies = zscore_rows(group.ratings)
    return StandardisedGroup(group.nationality, group.language, group.ids[varies], z[varies],
                             group.ids[~varies], group.ratings.mean(axis=0))


def llm_z_vectors(inputs: InstrumentInputs, analysis: Analysis
                  ) -> tuple[np.ndarray, np.ndarray, list[DroppedLlm]]:
    """z-scored LLM vectors (models, languages, personas, items), the kept-model mask and the
    reasons for every model dropped from this analysis."""
    llms = inputs.llms
    scaled = analysis.scaled_personas
    vectors = llms.means[:, :, [PERSONAS.index(p) for p in scaled], :]
    dropped = without_answers(llms.models, vectors, scaled, inputs.items)
    z = np.empty_like(vectors)
    varies = np.empty(vectors.shape[:2], dtype=bool)
    for lang in range(len(LANGUAGES)):
        z[:, lang], varies[:, lang] = zscore_llm_vectors(vectors[:, lang], analysis.llm_scaling)
    for m, why in constant_ratings(llms.models, varies).items():
        dropped.setdefault(m, why)
    blocks = removal_blocks(inputs.instrument, analysis.leave_one_out)
    for m, why in zero_remainders(llms.models, z, blocks).items():
        dropped.setdefault(m, why)
    kept = np.ones(len(llms.models), dtype=bool)
    kept[list(dropped)] = False
    return z, kept, [dropped[m] for m in sorted(dropped)]


def human_mean_z(groups: tuple[StandardisedGroup, ...]) -> np.ndarray:
    """The human-mean pseudo-LLMs, z-scored like an LLM vector of one condition."""
    means = np.stack([g.item_means for g in groups])[:, None, :]
    z, varies = zscore_llm_vectors(means, LlmScaling.PER_CONDITION)
    if not varies.all():
        flat = [g.nationality for g, v in zip(groups, varies, strict=True) if not v]
        raise InputError(f"the item means of the {flat} respondents do not vary")
    return z[:, 0, :]


@dataclass(frozen=True)
class ComparedVectors:
    """The LLM side of an analysis: z-vectors of the kept models (models, languages, personas
    compared, items) and, in rq1, the human-mean pseudo-LLMs (pseudo-LLMs, items)."""

    z: np.ndarray
    codes: np.ndarray  # the kept models' positions in the table's list of LLMs
    human_means: np.ndarray | None
    human_mean_codes: np.ndarray

    def for_condition(self, language: str, items_kept: np.ndarray) -> np.ndarray:
        return self.z[:, LANGUAGES.index(language)][..., items_kept]


def add_cosines(table: CosineTable, analysis: Analysis, side: ComparedVectors,
                group: StandardisedGroup, keep: np.ndarray, removed: tuple[str, np.ndarray],
                language: str) -> None:
    """The kept respondents of a group against every LLM vector of one language, with one
    block of items removed."""
    label, items_kept = removed
    ids, humans = group.ids[keep], group.z[keep][:, items_kept]
    by_persona = side.for_condition(language, items_kept)
    where = {"nationality": group.nationality, "language": language, "removed": label}
    if analysis.concatenated_label:
        cos = cosine_matrix(np.tile(humans, by_persona.shape[1]),
                            by_persona.reshape(len(side.codes), -1))
        table.add(cos, ids, side.codes, persona=analysis.concatenated_label, **where)
        return
    for p, persona in enumerate(analysis.personas):
        llm_rows, codes = by_persona[:, p], side.codes
        if side.human_means is not None:
            llm_rows = np.vstack([llm_rows, side.human_means[:, items_kept]])
            codes = np.concatenate([codes, side.human_mean_codes])
        table.add(cosine_matrix(humans, llm_rows), ids, codes, persona=persona, **where)


def missing_conditions(inputs: InstrumentInputs, groups: tuple[StandardisedGroup, ...],
                       analysis: Analysis) -> str | None:
    """What the analysis needs that no LLM of the study was asked: a persona it reads or a
    language it compares in; None when the study has every one."""
    asked = ~np.isnan(inputs.llms.means).all(axis=(0, 3))  # (languages, personas)
    languages = (LANGUAGES if analysis.both_languages
                 else tuple(dict.fromkeys(g.language for g in groups)))
    personas = [p for p in analysis.scaled_personas
                if not asked[:, PERSONAS.index(p)].any()]
    missing = [f"persona {p}" for p in personas]
    missing += [f"language {v}" for v in languages
                if not asked[LANGUAGES.index(v)].any()]
    if not missing:
        return None
    return "no LLM of the study has ratings in " + " or ".join(missing)


def build_analysis(inputs: InstrumentInputs, groups: tuple[StandardisedGroup, ...],
                   analysis: Analysis, described: LlmRatings | None = None) -> AnalysisOutcome:
    """The analysis's table; with `described` (every LLM rating of the study, in the order of
    the compared ones), also the rows it describes beside those it compares. An analysis the
    study cannot support comes back without table, saying why (`not_possible`)."""
    llms = inputs.llms
    lacking = missing_conditions(inputs, groups, analysis)
    if lacking:
        return AnalysisOutcome(analysis, pd.DataFrame(), [], [], not_possible=lacking)
    z, kept, dropped = llm_z_vectors(inputs, analysis)
    kept_codes = np.flatnonzero(kept)
    if kept_codes.size == 0:
        reason = "no LLM is left to compare; " + "; ".join(f"{d.model}: {d.reason}"
                                                         for d in dropped)
        return AnalysisOutcome(analysis, pd.DataFrame(), [], dropped, not_possible=reason)
    compared = [analysis.scaled_personas.index(p) for p in analysis.personas]
    names, origins = list(llms.models), list(llms.origins)
    human_mean = [False] * len(names)
    side = ComparedVectors(z[kept_codes][:, :, compared], kept_codes, None, np.array([], int))
    if analysis.human_means:
        side = ComparedVectors(side.z, kept_codes, human_mean_z(groups),
                               len(names) + np.arange(len(groups)))
        names += [inputs.human_mean_ids[g.nationality] for g in groups]
        origins += [g.nationality for g in groups]
        human_mean += [True] * len(groups)
    blocks = removal_blocks(inputs.instrument, analysis.leave_one_out)
    labels = described or llms
    table = CosineTable(names, origins, human_mean, [label for label, _ in blocks],
                        labels.languages, labels.personas)
    respondents_dropped: list[dict[str, object]] = []
    compared_respondents = []
    for group in groups:
        keep, reasons = respondents_with_zero_remainders(group.z, blocks)
        respondents_dropped += [
            {"nationality": group.nationality, "respondent": int(i), "reason": why}
            for i, why in zip(group.ids[~keep], reasons, strict=True)
        ]
        compared_respondents.append((group.nationality, group.ids[keep], group.z[keep]))
        languages = LANGUAGES if analysis.both_languages else (group.language,)
        for block in blocks:
            for language in languages:
                add_cosines(table, analysis, side, group, keep, block, language)
    set_aside = []
    if described is not None:
        if described.models != llms.models:
            raise AssertionError("the described ratings list other LLMs than the compared ones")
        set_aside = add_described(table, analysis, described, kept_codes,
                                  tuple(compared_respondents))
    return AnalysisOutcome(analysis, table.frame(), [llms.models[m] for m in kept_codes],
                           dropped, respondents_dropped, set_aside)


def zscores_frame(inputs: InstrumentInputs, groups: tuple[StandardisedGroup, ...],
                  analysis: Analysis) -> pd.DataFrame:
    """Every z-scored vector `analysis` compares, one row per vector and item (figure 2).

    Respondents without the straight-liners; the kept LLMs in each persona of the analysis, in
    both languages.
    """
    items = np.asarray(inputs.items)
    parts = [
        _long_z(g.z, items, who="human", group=g.nationality, ids=g.ids.astype(str),
                language=g.language, persona="none")
        for g in groups
    ]
    z, kept, _ = llm_z_vectors(inputs, analysis)
    codes = np.flatnonzero(kept)
    models = np.asarray(inputs.llms.models)[codes]
    origins = np.asarray(inputs.llms.origins)[codes]
    for p, persona in enumerate(analysis.scaled_personas):
        if persona not in analysis.personas:
            continue
        for lang, language in enumerate(LANGUAGES):
            parts.append(_long_z(z[codes, lang, p], items, who="llm", group=origins, ids=models,
                                 language=language, persona=persona))
    return pd.concat(parts, ignore_index=True)


def _long_z(z: np.ndarray, items: np.ndarray, *, who: str, group: object, ids: np.ndarray,
            language: str, persona: str) -> pd.DataFrame:
    rows, cols = z.shape
    return pd.DataFrame({
        "who": who,
        "group": np.repeat(group, cols) if isinstance(group, np.ndarray) else group,
        "id": np.repeat(ids, cols),
        "language": language,
        "persona": persona,
        "item": np.tile(items, rows),
        "z": z.ravel(),
    })
