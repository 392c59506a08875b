"""Noise ceilings: how similar a nation's own respondents are to the nation, and every LLM's
similarity on that scale.

Two ceilings per nationality (docs/methods.md section 7.5):

- Respondent ceiling (pair measures on the correlation scale, `cosine_z` and `spearman`): the
  mean similarity of each respondent to the mean profile of the other respondents of the nation
  (leave-one-out, `ceiling`), and to the mean profile of all of them (`ceiling_in_sample`, an
  upper bound). An LLM's mean similarity divided by the leave-one-out ceiling is its share of
  what a profile drawn from the nation itself reaches.
- Profile reliability: the correlation between the mean profiles of two random halves of the
  respondents, Spearman-Brown corrected to the full sample (2r / (1 + r)), averaged over random
  splits. An LLM's `profile_correlation` divided by its square root is the disattenuated
  correlation with the nation's true mean profile (the LLM's own answers taken as exact).

Intervals: percentiles over replicates that resample the respondents of each nation with
replacement (one random split per replicate for the split-half; a resample's distinct
respondents are fewer than the sample's, so the split-half replicates are centred on the
estimate: median moved onto it).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from collect.data.published import LANGUAGE_OF_NATION
from collect.similarity.inputs import HumanGroup
from collect.similarity.measures import ComparedSide
from collect.similarity.metrics import MEASURES, row_ranks, unit_centred

CEILING_MEASURES = ("cosine_z", "spearman")
RELIABILITY_MEASURE = "profile_correlation"
REPLICATES = 500
SPLITS = 200
SEED = 20230
LEVEL = 0.95


def _transform(metric: str, matrix: np.ndarray) -> np.ndarray:
    """Rows as the measure's cosine sees them: unit-centred ratings or ranks."""
    return unit_centred(row_ranks(matrix) if metric == "spearman" else matrix)


def leave_one_out_values(ratings: np.ndarray, metric: str) -> np.ndarray:
    """Each respondent's similarity to the mean profile of the others."""
    n = len(ratings)
    others = (ratings.sum(axis=0) - ratings) / (n - 1)
    return np.einsum("ij,ij->i", _transform(metric, ratings), _transform(metric, others))


def in_sample_ceiling(ratings: np.ndarray, metric: str) -> float:
    """Mean similarity of each respondent to the mean profile of all (themselves included)."""
    return float(MEASURES[metric].group_similarity(ratings, ratings.mean(axis=0)[None])[0])


def split_half(ratings: np.ndarray, rng: np.random.Generator,
               weights: np.ndarray | None = None) -> float:
    """Pearson r of the (weighted) mean profiles of two random halves of the rows (odd n: one
    row left out)."""
    weights = np.ones(len(ratings)) if weights is None else weights
    order = rng.permutation(len(ratings))
    half = len(ratings) // 2
    if half == 0:
        return np.nan
    a, b = order[:half], order[half:2 * half]
    means = [np.average(ratings[h], axis=0, weights=weights[h])[None] for h in (a, b)]
    return float(unit_centred(means[0])[0] @ unit_centred(means[1])[0])


def spearman_brown(r: float | np.ndarray) -> float | np.ndarray:
    return 2 * r / (1 + r)


def reliability(ratings: np.ndarray, rng: np.random.Generator, splits: int = SPLITS,
                weights: np.ndarray | None = None) -> float:
    """Spearman-Brown corrected split-half reliability of the mean profile, mean over splits."""
    return float(spearman_brown(np.mean([split_half(ratings, rng, weights)
                                         for _ in range(splits)])))


def _interval(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    tail = (1 - LEVEL) / 2 * 100
    return (np.nanpercentile(values, tail, axis=0), np.nanpercentile(values, 100 - tail, axis=0))


def _disattenuated(similarity: np.ndarray, reliability_: float) -> np.ndarray:
    if not reliability_ > 0:  # NaN or no reliable profile
        return similarity * np.nan
    return similarity / np.sqrt(reliability_)


def _resampled(group: HumanGroup, llms: np.ndarray, rng: np.random.Generator,
               replicates: int) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """measure -> (ceiling per replicate, LLMs' relative values per replicate x LLM), each
    replicate drawing the respondents with replacement. The leave-one-out values and the pair
    similarities are the respondents' own, averaged over the draw; the split-half keeps the
    copies of a respondent in one half."""
    n = len(group.ids)
    draws = rng.integers(0, n, (replicates, n))
    out = {}
    for metric in CEILING_MEASURES:
        own = leave_one_out_values(group.ratings, metric)[draws].mean(axis=1)
        pairs = MEASURES[metric].compute(group.ratings, llms)
        similarity = np.stack([pairs[d].mean(axis=0) for d in draws])
        out[metric] = (own, similarity / own[:, None])
    ceilings, relatives = [], []
    for d in draws:
        rows, counts = np.unique(d, return_counts=True)
        ratings = group.ratings[rows]
        rel = reliability(ratings, rng, 1, counts.astype(float))
        profile = np.average(ratings, axis=0, weights=counts)[None]
        ceilings.append(rel)
        relatives.append(_disattenuated(MEASURES[RELIABILITY_MEASURE].compute(profile, llms),
                                        rel))
    out[RELIABILITY_MEASURE] = (np.array(ceilings), np.stack(relatives))
    return out


def ceiling_tables(groups: tuple[HumanGroup, ...], side: ComparedSide,
                   replicates: int = REPLICATES, splits: int = SPLITS,
                   seed: int = SEED) -> dict[str, pd.DataFrame]:
    """noise_ceilings (nationality x measure), ceiling_relative (measure x nationality x LLM) and
    ceiling_gap (measure x LLM, China minus USA on the ceiling-relative scale)."""
    rng = np.random.default_rng(seed)
    ceilings, relative = [], []
    boot_rel: dict[str, dict[str, np.ndarray]] = {}
    for g in groups:
        llms = side.in_language(LANGUAGE_OF_NATION[g.nationality])
        boots = _resampled(g, llms, rng, replicates)
        boot_rel[g.nationality] = {metric: b[1] for metric, b in boots.items()}
        for metric, (b_ceiling, b_rel) in boots.items():
            profile = metric == RELIABILITY_MEASURE
            similarity = MEASURES[metric].group_similarity(g.ratings, llms)
            if profile:
                ceiling = reliability(g.ratings, rng, splits)
                rel = _disattenuated(similarity, ceiling)
            else:
                ceiling = float(leave_one_out_values(g.ratings, metric).mean())
                rel = similarity / ceiling
            if profile:
                # A resample holds about 63% distinct respondents, whose halves are less
                # reliable than the sample's: the replicates are centred on the estimate.
                b_ceiling = b_ceiling - np.nanmedian(b_ceiling) + ceiling
                b_rel = b_rel - np.nanmedian(b_rel, axis=0) + rel
                boot_rel[g.nationality][metric] = b_rel
            low, high = _interval(b_ceiling)
            ceilings.append({
                "nationality": g.nationality, "language": LANGUAGE_OF_NATION[g.nationality],
                "metric": metric,
                "ceiling_type": "split_half_reliability" if profile else "leave_one_out",
                "ceiling": ceiling, "conf_low": float(low), "conf_high": float(high),
                "ceiling_in_sample": np.nan if profile else in_sample_ceiling(g.ratings, metric),
                "n_respondents": len(g.ids), "replicates": replicates,
                "splits": splits if profile else 0,
            })
            r_low, r_high = _interval(b_rel)
            relative.append(pd.DataFrame({
                "metric": metric,
                "scale": "disattenuated" if profile else "share_of_ceiling",
                "llm": side.names, "llm_origin": side.origins,
                "is_human_mean": side.is_human_mean, "nationality": g.nationality,
                "similarity": similarity, "ceiling": ceiling, "relative": rel,
                "conf_low": r_low, "conf_high": r_high,
            }))
    relative_table = pd.concat(relative, ignore_index=True)
    return {"noise_ceilings": pd.DataFrame(ceilings), "ceiling_relative": relative_table,
            "ceiling_gap": _gaps(relative_table, boot_rel, side)}


def _gaps(relative: pd.DataFrame, boot_rel: dict[str, dict[str, np.ndarray]],
          side: ComparedSide) -> pd.DataFrame:
    """Per measure and LLM: the gap (China minus USA) on the ceiling-relative and on the raw
    scale, with the respondent-resampling interval of the relative gap."""
    rows = []
    for metric in relative["metric"].unique():
        part = relative[relative["metric"] == metric]
        china, usa = (part[part["nationality"] == n] for n in ("China", "USA"))
        low, high = _interval(boot_rel["China"][metric] - boot_rel["USA"][metric])
        rows.append(pd.DataFrame({
            "metric": metric, "scale": part["scale"].iloc[0], "llm": side.names,
            "llm_origin": side.origins, "is_human_mean": side.is_human_mean,
            "gap_relative": china["relative"].to_numpy() - usa["relative"].to_numpy(),
            "gap_raw": china["similarity"].to_numpy() - usa["similarity"].to_numpy(),
            "conf_low": low, "conf_high": high,
        }))
    return pd.concat(rows, ignore_index=True)
