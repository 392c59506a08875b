"""The world's centre: the mean profile of the countries placement compares, and how close every
country and every LLM is to it.

The world mean profile is the unweighted mean over countries of their profiles (MFQ-2
foundation means; WVS-7 item means, each item over the countries asked it). A country is
compared with the mean of the other countries (its own profile left out), an LLM with the mean
of all; every comparison uses the measures and the missing-item rule of placement
(`collect.similarity.countries`). Intervals for the LLMs: percentiles over replicates that
resample the countries with replacement before averaging them.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from collect.data.published import NATIONS
from collect.data.reference import CountryMeans
from collect.similarity.countries import llm_profiles, similarity_to_countries
from collect.similarity.inputs import LlmRatings
from collect.similarity.metrics import PAIR_MEASURES
from collect.vocab import Instrument

REFERENCE_NATION = NATIONS[1]  # the USA: the second compared nation
REPLICATES = 500
SEED = 20232
LEVEL = 0.95


def world_mean(means: np.ndarray) -> np.ndarray:
    """(countries, units) -> (units,): each unit's mean over the countries that have it."""
    return np.nanmean(means, axis=0)


def _as_countries(countries: CountryMeans, names: tuple[str, ...],
                  means: np.ndarray) -> CountryMeans:
    return CountryMeans(countries.instrument, countries.units, names, means, countries.source)


def _reference_row(countries: CountryMeans) -> np.ndarray:
    if REFERENCE_NATION not in countries.countries:
        raise ValueError(f"the country profiles hold no {REFERENCE_NATION}; centrality compares "
                         "with it")
    row = countries.means[countries.countries.index(REFERENCE_NATION)]
    if np.isnan(row).any():
        raise ValueError(f"{REFERENCE_NATION}'s profile misses units; it is compared on all")
    return row


def country_centrality(countries: CountryMeans,
                       metrics: tuple[str, ...] = PAIR_MEASURES) -> pd.DataFrame:
    """country, metric, similarity_to_world (mean of the other countries), similarity_to_usa,
    n_units."""
    n = len(countries.countries)
    others = np.stack([world_mean(np.delete(countries.means, i, axis=0)) for i in range(n)])
    reference = _reference_row(countries)
    parts = []
    for metric in metrics:
        parts.append(pd.DataFrame({
            "country": countries.countries, "metric": metric,
            "similarity_to_world": np.diag(similarity_to_countries(countries, others, metric)),
            "similarity_to_usa": similarity_to_countries(countries, reference[None], metric)[0],
            "n_units": (~np.isnan(countries.means)).sum(axis=1),
        }))
    return pd.concat(parts, ignore_index=True)


def llm_centrality(countries: CountryMeans, llms: LlmRatings, instrument: Instrument,
                   metrics: tuple[str, ...] = PAIR_MEASURES, replicates: int = REPLICATES,
                   seed: int = SEED) -> pd.DataFrame:
    """Per LLM condition without persona and measure: similarity to the world mean profile
    (with its interval over resampled countries), to the USA, and the difference USA minus
    world (positive: closer to the USA than to the world's centre)."""
    conditions, profiles = llm_profiles(llms, instrument)
    keep = (conditions["persona"] == "none").to_numpy()
    conditions, profiles = conditions[keep].reset_index(drop=True), profiles[keep]
    rng = np.random.default_rng(seed)
    n = len(countries.countries)
    draws = rng.integers(0, n, (replicates, n))
    world = world_mean(countries.means)
    boot_worlds = np.stack([world_mean(countries.means[d]) for d in draws])
    as_one = _as_countries(countries, ("world",), world[None])
    usa = _as_countries(countries, (REFERENCE_NATION,), _reference_row(countries)[None])
    tail = (1 - LEVEL) / 2 * 100
    parts = []
    for metric in metrics:
        to_world = similarity_to_countries(as_one, profiles, metric)[:, 0]
        to_usa = similarity_to_countries(usa, profiles, metric)[:, 0]
        boot = np.stack([similarity_to_countries(_as_countries(countries, ("world",), w[None]),
                                                 profiles, metric)[:, 0] for w in boot_worlds])
        difference = to_usa[None] - boot
        parts.append(conditions.assign(
            metric=metric, similarity_to_world=to_world,
            world_conf_low=np.percentile(boot, tail, axis=0),
            world_conf_high=np.percentile(boot, 100 - tail, axis=0),
            similarity_to_usa=to_usa, usa_minus_world=to_usa - to_world,
            difference_conf_low=np.percentile(difference, tail, axis=0),
            difference_conf_high=np.percentile(difference, 100 - tail, axis=0),
            replicates=replicates,
        ))
    return pd.concat(parts, ignore_index=True)


def world_profile(countries: CountryMeans) -> pd.DataFrame:
    """unit, mean, n_countries: the world mean profile."""
    return pd.DataFrame({"unit": countries.units, "mean": world_mean(countries.means),
                         "n_countries": (~np.isnan(countries.means)).sum(axis=0)})
