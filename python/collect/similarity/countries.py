"""Placing each LLM among countries: its similarity to every country's mean profile.

Profiles: MFQ-2 foundation means (foundation = mean of its 6 items; the LLM's from its item
means, China's and the USA's from the release's respondents, the other 19 countries from Atari
et al. 2023, Study 2); WVS-7 item means on the 1-10 scale (55 countries, China and the USA
included). One row per LLM x language x persona x country x pair measure (every LLM, language
and persona of the study, the compared nations' or not), with the country's rank
(1 = most similar). An LLM condition with an item lacking a valid answer is left out.

Missing items (a WVS country not asked a question): that country is compared on the items it was
asked, the LLM's profile restricted to the same items; its Euclidean distance is scaled by
sqrt(items / items asked) so that it stays on the scale of a full profile (the mean absolute
difference and the correlations need no scaling). `n_units` says how many units were compared.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from collect.data.reference import STUDY_NATION_NAMES, CountryMeans
from collect.similarity.inputs import HumanGroup, LlmRatings
from collect.similarity.metrics import MEASURES, PAIR_MEASURES
from collect.vocab import MFQ2, MFQ2_FOUNDATIONS, Instrument, mfq2_foundation


def foundation_means(item_ratings: np.ndarray, items: tuple[int, ...]) -> np.ndarray:
    """(..., 36 items) -> (..., 6 foundations): the mean of each foundation's items."""
    foundation = np.array([mfq2_foundation(i) for i in items])
    return np.stack([item_ratings[..., foundation == f].mean(axis=-1)
                     for f in MFQ2_FOUNDATIONS], axis=-1)


def with_study_nations(reference: CountryMeans, instrument: Instrument,
                       humans: tuple[HumanGroup, ...]) -> CountryMeans:
    """MFQ-2: the reference countries plus China and the USA from the release's respondents
    (every respondent, foundation = mean of its 6 items). WVS-7: the reference's own China and
    USA, renamed as the study names them."""
    if instrument.name != MFQ2.name:
        names = tuple(STUDY_NATION_NAMES.get(c, c) for c in reference.countries)
        return CountryMeans(reference.instrument, reference.units, names, reference.means,
                            reference.source)
    study = np.stack([foundation_means(g.ratings, instrument.items).mean(axis=0)
                      for g in humans])
    return CountryMeans(reference.instrument, reference.units,
                        reference.countries + tuple(g.nationality for g in humans),
                        np.vstack([reference.means, study]), reference.source)


def llm_profiles(llms: LlmRatings, instrument: Instrument) -> tuple[pd.DataFrame, np.ndarray]:
    """(conditions frame: llm, llm_origin, language, persona; profiles: conditions x units) for
    every LLM condition whose ratings are complete and vary."""
    means = llms.means
    if instrument.name == MFQ2.name:
        means = foundation_means(means, instrument.items)
    model, language, persona = np.meshgrid(np.arange(len(llms.models)),
                                           np.arange(len(llms.languages)),
                                           np.arange(len(llms.personas)), indexing="ij")
    flat = means.reshape(-1, means.shape[-1])
    ok = ~np.isnan(flat).any(axis=1)
    ok[ok] = flat[ok].std(axis=1) > 0
    conditions = pd.DataFrame({
        "llm": np.asarray(llms.models)[model.ravel()],
        "llm_origin": np.asarray(llms.origins)[model.ravel()],
        "language": np.asarray(llms.languages)[language.ravel()],
        "persona": np.asarray(llms.personas)[persona.ravel()],
    })
    return conditions[ok].reset_index(drop=True), flat[ok]


def similarity_to_countries(countries: CountryMeans, profiles: np.ndarray,
                            metric: str) -> np.ndarray:
    """(conditions, countries) similarities, each country on the units it has."""
    m = MEASURES[metric]
    asked = ~np.isnan(countries.means)
    out = np.empty((len(profiles), len(countries.countries)))
    for pattern in np.unique(asked, axis=0):
        rows = (asked == pattern).all(axis=1)
        values = m.compute(profiles[:, pattern], countries.means[rows][:, pattern])
        if metric == "neg_euclidean":
            values = values * np.sqrt(pattern.size / pattern.sum())
        out[:, rows] = values
    return out


def country_placement(countries: CountryMeans, llms: LlmRatings, instrument: Instrument,
                      metrics: tuple[str, ...] = PAIR_MEASURES) -> pd.DataFrame:
    """llm, llm_origin, language, persona, country, metric, similarity, rank, n_units."""
    conditions, profiles = llm_profiles(llms, instrument)
    n_cond, n_country = len(conditions), len(countries.countries)
    n_units = (~np.isnan(countries.means)).sum(axis=1)
    parts = []
    for metric in metrics:
        similarity = similarity_to_countries(countries, profiles, metric)
        order = np.argsort(-similarity, axis=1, kind="stable")
        rank = np.empty_like(order)
        np.put_along_axis(rank, order, np.arange(1, n_country + 1)[None, :], axis=1)
        parts.append(pd.DataFrame({
            **{k: np.repeat(v.to_numpy(), n_country) for k, v in conditions.items()},
            "country": np.tile(countries.countries, n_cond),
            "metric": metric,
            "similarity": similarity.ravel(),
            "rank": rank.ravel(),
            "n_units": np.tile(n_units, n_cond),
        }))
    return pd.concat(parts, ignore_index=True)


def country_profiles(countries: CountryMeans, study_source: str) -> pd.DataFrame:
    """Long table of the profiles compared: country, unit, mean, source."""
    n_country, n_unit = countries.means.shape
    source = np.where(np.isin(countries.countries, list(STUDY_NATION_NAMES.values())),
                      study_source, countries.source)
    return pd.DataFrame({
        "country": np.repeat(countries.countries, n_unit),
        "unit": np.tile(countries.units, n_country),
        "mean": countries.means.ravel(),
        "source": np.repeat(source, n_unit),
    })
