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
| invariance | MFQ-2: Atari et al. (2023) Table 6, % non-invariant parameters per foundation |
| rq1_<measure> | each pair measure asked for with --metric (but cosine_z): rq1's columns |

Without the WVS respondents only placement and country_profiles are built.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

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
from collect.similarity.countries import country_placement, country_profiles, with_study_nations
from collect.similarity.inputs import (
    CanonicalFrames,
    HumanGroup,
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
    }
    invariance_file = reference_file(MFQ2_INVARIANCE, external)
    if mfq and invariance_file.is_file():
        tables["invariance"] = read_mfq2_invariance(invariance_file)
    return tables


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
    }
    for metric in metrics:
        if metric != DEFAULT_METRIC:
            tables[f"rq1_{metric}"] = m.pair_table(groups, side, metric)
    return tables
