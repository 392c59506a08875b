"""RQ1 under every similarity measure: per-LLM similarities to each nationality, group coherence
and alignment, foundation contributions, and each LLM's English-Chinese consistency.

Rows as RQ1 pairs them: persona none, each nationality's respondents (straight-liners dropped, as
for the cosine) against the LLMs' answers in the respondents' language, the LLMs kept by RQ1,
plus the two human-mean pseudo-LLMs (the item means of every respondent of a nationality).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from collect.data.published import LANGUAGE_OF_NATION, LANGUAGES, PERSONAS
from collect.similarity.analyses import analyses_for
from collect.similarity.build import llm_z_vectors
from collect.similarity.coherence import coherence
from collect.similarity.decomposition import item_contributions, unit_sums
from collect.similarity.inputs import HumanGroup, InstrumentInputs
from collect.similarity.metrics import MEASURES, cosine_z, measure, spearman
from collect.similarity.tables import CosineTable
from collect.similarity.zscore import zscore_rows
from collect.vocab import MFQ2, mfq2_foundation

# MFQ-2 items whose Chinese wording differs in meaning from the English (country for community,
# family for sports team): the release's item files.
REWORDED_MFQ2_ITEMS = (16, 28, 34)


@dataclass(frozen=True)
class ComparedSide:
    """The LLM side of RQ1 on the raw scale: kept LLMs, then the human-mean pseudo-LLMs."""

    names: list[str]
    origins: list[str]
    is_human_mean: np.ndarray
    ratings: np.ndarray  # (models, languages, items), persona none

    def in_language(self, language: str) -> np.ndarray:
        return self.ratings[:, LANGUAGES.index(language)]


def varying(group: HumanGroup) -> HumanGroup:
    """The group without its straight-liners (no z-score, no cosine)."""
    _, varies = zscore_rows(group.ratings)
    return HumanGroup(group.nationality, group.language, group.ids[varies],
                      group.ratings[varies])


def compared_side(inputs: InstrumentInputs) -> ComparedSide:
    _, kept, _ = llm_z_vectors(inputs, analyses_for(inputs.instrument)[0])
    codes = np.flatnonzero(kept)
    llm = inputs.llms.means[codes][:, :, PERSONAS.index("none")]
    human = np.stack([g.ratings.mean(axis=0) for g in inputs.humans])
    return ComparedSide(
        [inputs.llms.models[c] for c in codes] + [inputs.human_mean_ids[g.nationality]
                                                  for g in inputs.humans],
        [inputs.llms.origins[c] for c in codes] + [g.nationality for g in inputs.humans],
        np.r_[np.zeros(len(codes), bool), np.ones(len(inputs.humans), bool)],
        np.concatenate([llm, np.repeat(human[:, None, :], len(LANGUAGES), axis=1)]),
    )


def _llm_columns(side: ComparedSide) -> dict[str, object]:
    return {"llm": side.names, "llm_origin": side.origins, "is_human_mean": side.is_human_mean}


def metric_llm_table(groups: tuple[HumanGroup, ...], side: ComparedSide) -> pd.DataFrame:
    """One row per measure x nationality x LLM: the LLM's similarity to the nationality (mean
    over respondents for pair measures, with its SD and n), larger = closer."""
    parts = []
    for m in MEASURES.values():
        for g in groups:
            llms = side.in_language(LANGUAGE_OF_NATION[g.nationality])
            values = m.compute(g.ratings, llms)
            pair = m.kind == "pair"
            parts.append(pd.DataFrame({
                "metric": m.name, "kind": m.kind, **_llm_columns(side),
                "nationality": g.nationality, "language": LANGUAGE_OF_NATION[g.nationality],
                "similarity": values.mean(axis=0) if pair else values,
                "sd": values.std(axis=0, ddof=1) if pair else np.nan,
                "n": len(g.ids),
            }))
    return pd.concat(parts, ignore_index=True)


def measures_table() -> pd.DataFrame:
    """The registry as a table: name, label, kind, scale, description."""
    return pd.DataFrame([
        {"metric": m.name, "label": m.label, "kind": m.kind, "scale": m.scale,
         "description": m.description} for m in MEASURES.values()
    ])


def pair_table(groups: tuple[HumanGroup, ...], side: ComparedSide, metric: str) -> pd.DataFrame:
    """The rq1 table (same columns) with `cosine` holding the pair measure `metric`."""
    m = measure(metric)
    if m.kind != "pair":
        raise ValueError(f"{metric} is a group measure; only pair measures have per-respondent "
                         "rows")
    table = CosineTable(side.names, side.origins, list(side.is_human_mean), ["none"])
    codes = np.arange(len(side.names))
    for g in groups:
        language = LANGUAGE_OF_NATION[g.nationality]
        table.add(m.compute(g.ratings, side.in_language(language)), g.ids, codes,
                  nationality=g.nationality, language=language, persona="none", removed="none")
    return table.frame()


def coherence_table(groups: tuple[HumanGroup, ...], respondent_ids: str) -> pd.DataFrame:
    return pd.DataFrame({
        "respondent_ids": respondent_ids,
        "nationality": [g.nationality for g in groups],
        "coherence": [coherence(g.ratings) for g in groups],
        "n_respondents": [len(g.ids) for g in groups],
    })


def alignment_table(groups: tuple[HumanGroup, ...], side: ComparedSide) -> pd.DataFrame:
    """Each LLM's mean cosine with each nationality = coherence x alignment."""
    parts = []
    for g in groups:
        llms = side.in_language(LANGUAGE_OF_NATION[g.nationality])
        parts.append(pd.DataFrame({
            **_llm_columns(side), "nationality": g.nationality,
            "mean_cosine": cosine_z(g.ratings, llms).mean(axis=0),
            "coherence": coherence(g.ratings),
            "alignment": MEASURES["coherence_alignment"].compute(g.ratings, llms),
        }))
    return pd.concat(parts, ignore_index=True)


def units_of(inputs: InstrumentInputs) -> np.ndarray:
    """MFQ-2 foundation or WVS item number of each item."""
    if inputs.instrument.name == MFQ2.name:
        return np.array([mfq2_foundation(i) for i in inputs.items])
    return np.array([str(i) for i in inputs.items])


def contributions_table(inputs: InstrumentInputs, groups: tuple[HumanGroup, ...],
                        side: ComparedSide) -> pd.DataFrame:
    """Per LLM and unit: the unit's contribution to the mean cosine with each nationality and to
    the gap (China minus USA); over units they sum to the mean cosines and to the gap."""
    by_nation = {}
    for g in groups:
        llms = side.in_language(LANGUAGE_OF_NATION[g.nationality])
        labels, sums = unit_sums(item_contributions(g.ratings, llms), units_of(inputs))
        by_nation[g.nationality] = sums
    china, usa = by_nation["China"], by_nation["USA"]
    n_llm, n_unit = china.shape
    return pd.DataFrame({
        **{k: np.repeat(np.asarray(v), n_unit) for k, v in _llm_columns(side).items()},
        "unit": np.tile(labels, n_llm),
        "contribution_china": china.ravel(),
        "contribution_usa": usa.ravel(),
        "contribution_to_gap": (china - usa).ravel(),
    })


def language_consistency(inputs: InstrumentInputs, groups: tuple[HumanGroup, ...],
                         side: ComparedSide) -> pd.DataFrame:
    """Per LLM: Pearson and Spearman correlation of its English and Chinese ratings (persona
    none); for MFQ-2, its cosine gap (China minus USA) with and without the reworded items."""
    llm = ~side.is_human_mean
    english, chinese = side.in_language("English")[llm], side.in_language("Chinese")[llm]
    table = pd.DataFrame({
        "llm": np.asarray(side.names)[llm], "llm_origin": np.asarray(side.origins)[llm],
        "pearson": np.diag(cosine_z(english, chinese)),
        "spearman": np.diag(spearman(english, chinese)),
    })
    if inputs.instrument.name != MFQ2.name:
        return table
    keep = ~np.isin(np.asarray(inputs.items), REWORDED_MFQ2_ITEMS)

    def gap(items: np.ndarray) -> np.ndarray:
        means = {g.nationality: cosine_z(g.ratings[:, items],
                                         side.in_language(LANGUAGE_OF_NATION[g.nationality])
                                         [llm][:, items]).mean(axis=0) for g in groups}
        return means["China"] - means["USA"]

    everything = np.ones(len(inputs.items), dtype=bool)
    return table.assign(gap_all_items=gap(everything), gap_without_reworded=gap(keep))
