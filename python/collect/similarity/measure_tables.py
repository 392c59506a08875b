"""The derived tables of the measures-and-countries analysis of one instrument.

Written beside the cosine tables (derived/<ids>/<instrument>/):

| table | rows |
|---|---|
| metric_llm | measure x nationality x LLM (incl. human means): similarity, sd, n |
| measures | the registry: metric, label, kind, scale, description |
| coherence | both respondent-id modes x nationality: coherence, n_respondents |
| alignment | LLM x nationality: mean_cosine = coherence x alignment |
| contributions | LLM x MFQ-2 foundation / WVS item: contributions to mean cosines and gap |
| consistency | LLM: English-Chinese correlations (MFQ-2: gap with and without reworded items) |
| placement | LLM x language x persona x country x pair measure: similarity, rank, n_units |
| country_profiles | country x unit: the profiles placement compares |
| world_profile | unit: the mean profile of the countries placement compares |
| centrality_countries | country x pair measure: similarity to the other countries' mean, to USA |
| centrality_llms | LLM x language (no persona) x pair measure: to the world mean and to USA |
| invariance | MFQ-2: Atari et al. (2023) Table 6, % non-invariant parameters per foundation |
| rq1_<measure> | each pair measure asked for with --metric (but cosine_z): rq1's columns |
| noise_ceilings | nationality x measure: leave-one-out ceiling or split-half reliability |
| ceiling_relative | measure x nationality x LLM: similarity as a share of the ceiling |
| ceiling_gap | measure x LLM: gap (China minus USA), ceiling-relative and raw |
| baseline_scores | responder type x draw x measure x nationality: baseline similarities |
| shuffle_mean_test | measure: the mean gap over LLMs against the same mean over shuffles |
| shuffle_tests | LLM x measure: its gap against the gaps of its own shuffled answers |
| metric_llm_invariant | MFQ-2: metric_llm on the items worded alike in both languages |
| baseline_gaps | responder type x measure: mean similarities and gap over the profiles |

Without the WVS respondents only placement and country_profiles are built.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd

from collect.data.reference import (
    MFQ2_INVARIANCE,
    MFQ2_MEANS,
    WVS7_MEANS,
    read_mfq2_country_means,
    read_mfq2_invariance,
    read_wvs7_country_means,
    reference_file,
)
from collect.similarity import measures as m
from collect.similarity.baselines import (
    baseline_gaps,
    baseline_scores,
    shuffle_mean_test,
    shuffle_tests,
)
from collect.similarity.ceilings import ceiling_tables
from collect.similarity.centrality import country_centrality, llm_centrality, world_profile
from collect.similarity.countries import country_placement, country_profiles, with_study_nations
from collect.similarity.inputs import (
    CanonicalFrames,
    HumanGroup,
    InstrumentInputs,
    instrument_inputs,
)
from collect.similarity.metrics import DEFAULT_METRIC
from collect.vocab import MFQ2, Instrument, RespondentIds

STUDY_RESPONDENTS = "the study's respondents (release)"


def reference_tables(instrument: Instrument, humans: tuple[HumanGroup, ...],
                     frames: CanonicalFrames, external: Path | None,
                     say: Callable[[str], None]) -> dict[str, pd.DataFrame]:
    """placement, country_profiles (and MFQ-2 invariance), or nothing when the reference files
    have not been fetched."""
    mfq = instrument.name == MFQ2.name
    means_file = reference_file(MFQ2_MEANS if mfq else WVS7_MEANS, external)
    if not means_file.is_file():
        say(f"{instrument.name}: country placement skipped: {means_file} is missing "
            "(run `moralign data fetch`)")
        return {}
    reader = read_mfq2_country_means if mfq else read_wvs7_country_means
    countries = with_study_nations(reader(means_file), instrument, humans)
    llms = frames.all_llm_ratings(instrument)
    tables = {
        "placement": country_placement(countries, llms, instrument),
        "country_profiles": country_profiles(countries, STUDY_RESPONDENTS if mfq
                                             else countries.source),
        "world_profile": world_profile(countries),
        "centrality_countries": country_centrality(countries),
        "centrality_llms": llm_centrality(countries, llms, instrument),
    }
    invariance_file = reference_file(MFQ2_INVARIANCE, external)
    if mfq and invariance_file.is_file():
        tables["invariance"] = read_mfq2_invariance(invariance_file)
    return tables


def invariant_items_table(inputs: InstrumentInputs, groups: tuple[HumanGroup, ...],
                          side: m.ComparedSide) -> pd.DataFrame:
    """metric_llm without the reworded MFQ-2 items, every vector z-scored on the items kept
    (respondents who do not vary on them dropped)."""
    keep = ~np.isin(np.asarray(inputs.items), m.REWORDED_MFQ2_ITEMS)
    kept = tuple(m.varying(replace(g, ratings=g.ratings[:, keep])) for g in groups)
    return m.metric_llm_table(kept, replace(side, ratings=side.ratings[..., keep]))


def measure_tables(frames: CanonicalFrames, instrument: Instrument, ids: RespondentIds,
                   metrics: tuple[str, ...] = (DEFAULT_METRIC,), external: Path | None = None,
                   say: Callable[[str], None] = print) -> dict[str, pd.DataFrame]:
    """Every table above for one instrument and respondent-id mode."""
    if not frames.has_humans(instrument):
        return reference_tables(instrument, (), frames, external, say)
    inputs = instrument_inputs(frames, instrument, ids)
    groups = tuple(m.varying(g) for g in inputs.humans)
    side = m.compared_side(inputs)
    coherence = pd.concat([
        m.coherence_table(tuple(m.varying(g) for g in instrument_inputs(frames, instrument,
                                                                         mode).humans), mode)
        for mode in RespondentIds
    ], ignore_index=True)
    tables = {
        "metric_llm": m.metric_llm_table(groups, side),
        "measures": m.measures_table(),
        "coherence": coherence,
        "alignment": m.alignment_table(groups, side),
        "contributions": m.contributions_table(inputs, groups, side),
        "consistency": m.language_consistency(inputs, groups, side),
        **reference_tables(instrument, inputs.humans, frames, external, say),
        **ceiling_tables(groups, side),
    }
    tables["baseline_scores"] = baseline_scores(instrument, groups, side)
    tables["baseline_gaps"] = baseline_gaps(tables["baseline_scores"])
    tables["shuffle_tests"] = shuffle_tests(tables["baseline_scores"])
    tables["shuffle_mean_test"] = shuffle_mean_test(tables["baseline_scores"])
    if instrument.name == MFQ2.name:
        tables["metric_llm_invariant"] = invariant_items_table(inputs, groups, side)
    for metric in metrics:
        if metric != DEFAULT_METRIC:
            tables[f"rq1_{metric}"] = m.pair_table(groups, side, metric)
    return tables
