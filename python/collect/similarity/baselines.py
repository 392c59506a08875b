"""Baseline responders: profiles with no values, scored under every measure as the LLMs are.

- `uniform`: every item an independent uniform draw among the scale's points;
- `midpoint`, `low_end`, `high_end`: the scale's midpoint, lowest or highest point on every item
  (a constant profile: the correlation measures are undefined for it and left empty);
- `shuffled`: an LLM's own ratings (persona none, the respondents' language) permuted over
  items, which keeps its answer distribution and breaks the item order.

The LLMs and human means are in the same table (`responder_type` `llm` and `human_mean`).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from collect.data.published import LANGUAGE_OF_NATION
from collect.similarity.inputs import HumanGroup
from collect.similarity.measures import ComparedSide
from collect.similarity.metrics import MEASURES
from collect.vocab import Instrument

DRAWS = 500  # uniform profiles, and shuffles of each LLM (Holm over 20 LLMs needs p < .0025)
SEED = 20231
CHUNK = 100  # profiles scored at once (bounds the respondents x profiles x items array)


def constant_profiles(instrument: Instrument, n_items: int) -> dict[str, np.ndarray]:
    middle = (instrument.scale_min + instrument.scale_max) / 2
    return {name: np.full((1, n_items), float(value)) for name, value in (
        ("midpoint", middle), ("low_end", instrument.scale_min),
        ("high_end", instrument.scale_max))}


def uniform_profiles(instrument: Instrument, n_items: int, draws: int,
                     rng: np.random.Generator) -> np.ndarray:
    return rng.integers(instrument.scale_min, instrument.scale_max + 1,
                        (draws, n_items)).astype(float)


def shuffled_profiles(ratings: np.ndarray, draws: int,
                      rng: np.random.Generator) -> np.ndarray:
    """(llms * draws, items): each LLM's row permuted over items `draws` times, LLM by LLM."""
    return np.concatenate([rng.permuted(np.repeat(row[None], draws, axis=0), axis=1)
                           for row in ratings])


def score(humans: np.ndarray, profiles: np.ndarray, metric: str) -> np.ndarray:
    """(profiles,) similarity of each profile to the group, exactly as for an LLM; a constant
    profile gets NaN under the correlation measures."""
    m = MEASURES[metric]
    constant = profiles.std(axis=1) == 0
    out = np.full(len(profiles), np.nan)
    varying = np.flatnonzero(~constant if m.scale == "correlation" else np.ones_like(constant))
    for start in range(0, len(varying), CHUNK):
        rows = varying[start:start + CHUNK]
        out[rows] = m.group_similarity(humans, profiles[rows])
    return out


def baseline_scores(instrument: Instrument, groups: tuple[HumanGroup, ...],
                    side: ComparedSide, draws: int = DRAWS, seed: int = SEED) -> pd.DataFrame:
    """responder_type, draw, llm (the shuffled LLM, or the LLM / human mean itself), llm_origin,
    metric, nationality, similarity: one row per profile x measure x nationality."""
    rng = np.random.default_rng(seed)
    n_items = side.ratings.shape[-1]
    uniform = uniform_profiles(instrument, n_items, draws, rng)
    llm = ~side.is_human_mean
    shuffles = {g.nationality: shuffled_profiles(
        side.in_language(LANGUAGE_OF_NATION[g.nationality])[llm], draws, rng) for g in groups}
    names = np.asarray(side.names)
    origins = np.asarray(side.origins)
    parts = []
    for g in groups:
        own = side.in_language(LANGUAGE_OF_NATION[g.nationality])
        kinds = [
            ("uniform", uniform, np.arange(draws) + 1, "", ""),
            *((name, profile, np.array([1]), "", "")
              for name, profile in constant_profiles(instrument, n_items).items()),
            ("shuffled", shuffles[g.nationality], np.tile(np.arange(draws) + 1, llm.sum()),
             np.repeat(names[llm], draws), np.repeat(origins[llm], draws)),
            ("llm", own[llm], np.zeros(llm.sum(), int), names[llm], origins[llm]),
            ("human_mean", own[side.is_human_mean], np.zeros(side.is_human_mean.sum(), int),
             names[side.is_human_mean], origins[side.is_human_mean]),
        ]
        for responder, profiles, draw, source, origin in kinds:
            for metric in MEASURES:
                parts.append(pd.DataFrame({
                    "responder_type": responder, "draw": draw, "llm": source,
                    "llm_origin": origin, "metric": metric, "nationality": g.nationality,
                    "similarity": score(g.ratings, profiles, metric),
                }))
    return pd.concat(parts, ignore_index=True)


def baseline_gaps(scores: pd.DataFrame) -> pd.DataFrame:
    """Per responder type and measure: over its profiles with a defined similarity, the mean
    similarity to each nationality, and the gap (China minus USA): mean, 2.5th and 97.5th
    percentiles, and the share of profiles closer to the USA (gap below zero)."""
    key = ["responder_type", "draw", "llm", "llm_origin", "metric"]
    china, usa = (scores[scores["nationality"] == n].drop(columns="nationality")
                  for n in ("China", "USA"))
    both = china.merge(usa, on=key, suffixes=("_china", "_usa"), validate="one_to_one")
    both = both.dropna(subset=["similarity_china", "similarity_usa"])
    both["gap"] = both["similarity_china"] - both["similarity_usa"]
    return both.groupby(["responder_type", "metric"], sort=False).agg(
        n_profiles=("gap", "size"),
        mean_similarity_china=("similarity_china", "mean"),
        mean_similarity_usa=("similarity_usa", "mean"),
        mean_gap=("gap", "mean"),
        gap_low=("gap", lambda x: x.quantile(0.025)),
        gap_high=("gap", lambda x: x.quantile(0.975)),
        share_closer_to_usa=("gap", lambda x: (x < 0).mean()),
    ).reset_index()


def shuffle_tests(scores: pd.DataFrame) -> pd.DataFrame:
    """Per LLM and measure: its gap against the gaps of its own shuffles (its answers without
    their item order): the shuffles' mean and 2.5th-97.5th percentiles, and the permutation
    p-value (1 + shuffles with a gap at least as far from 0) / (1 + shuffles), two-sided."""
    def gaps(rows: pd.DataFrame) -> pd.Series:
        wide = rows.pivot_table(index=["llm", "llm_origin", "draw", "metric"],
                                columns="nationality", values="similarity")
        return (wide["China"] - wide["USA"]).dropna().rename("gap")

    own = gaps(scores[scores["responder_type"] == "llm"]).droplevel("draw").reset_index()
    shuffled = gaps(scores[scores["responder_type"] == "shuffled"]).reset_index()
    both = shuffled.merge(own, on=["llm", "llm_origin", "metric"], suffixes=("", "_llm"),
                          validate="many_to_one")
    both["as_far"] = both["gap"].abs() >= both["gap_llm"].abs()
    return both.groupby(["llm", "llm_origin", "metric"], sort=False).agg(
        gap=("gap_llm", "first"),
        n_shuffles=("gap", "size"),
        shuffle_mean_gap=("gap", "mean"),
        shuffle_gap_low=("gap", lambda x: x.quantile(0.025)),
        shuffle_gap_high=("gap", lambda x: x.quantile(0.975)),
        p_value=("as_far", lambda x: (1 + x.sum()) / (1 + len(x))),
    ).reset_index()


def shuffle_mean_test(scores: pd.DataFrame) -> pd.DataFrame:
    """Per measure: the mean gap over LLMs against the same mean over one shuffle of each LLM,
    draw by draw: the shuffled means' mean and 2.5th-97.5th percentiles and the two-sided
    permutation p-value."""
    def gaps(responder: str) -> pd.DataFrame:
        rows = scores[scores["responder_type"] == responder]
        wide = rows.pivot_table(index=["llm", "draw", "metric"], columns="nationality",
                                values="similarity")
        return (wide["China"] - wide["USA"]).dropna().rename("gap").reset_index()

    own = gaps("llm").groupby("metric")["gap"].agg(["mean", "size"])
    shuffled = gaps("shuffled").groupby(["metric", "draw"])["gap"].mean().rename("mean_gap")
    rows = []
    for metric, draws in shuffled.groupby(level="metric", sort=False):
        observed = own.loc[metric, "mean"]
        rows.append({
            "metric": metric, "n_llms": int(own.loc[metric, "size"]), "mean_gap": observed,
            "n_draws": len(draws), "shuffle_mean_gap": draws.mean(),
            "shuffle_gap_low": draws.quantile(0.025), "shuffle_gap_high": draws.quantile(0.975),
            "p_value": (1 + (draws.abs() >= abs(observed)).sum()) / (1 + len(draws)),
        })
    return pd.DataFrame(rows)
