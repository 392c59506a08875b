"""The position-bias audit of a study with several presentations of the options: per LLM,
instrument and presentation other than the published one, how far the answers move and how much
the option listed first gains from being listed first.

Units are cells (language x persona x item) with valid answers under both presentations; each
cell is compared with itself, so the item's content cancels. Per cell:
- `shift`: mean rating under the presentation minus under the published one (ratings on the
  published scale). A model that answers the first-listed option with probability b, and
  otherwise by content, shifts by b x (scale_max - scale_min) when the options are turned round.
- `first_share`: the share of answers on the option listed first (pooled over the two orders);
  `first_predicted`: the share the same options get when listed in the other position, what the
  other order predicts without position bias; `first_excess` their difference (b for the model
  above). `last_*` likewise for the option listed last. With two orders, primacy and recency are
  identified only as their difference: `last_excess` is minus `first_excess`.
Intervals: 95% t intervals over cells (the cell means of these differences).
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from collect.collector.study import Study
from collect.core.presentation import PUBLISHED

COLUMNS = ("model", "instrument", "presentation", "cells", "answers", "shift", "shift_low",
           "shift_high", "first_share", "first_predicted", "first_excess", "first_low",
           "first_high", "last_share", "last_predicted", "last_excess", "last_low", "last_high")
CELL = ["language", "persona", "item"]
LEVEL = 0.95


def position_bias(study: Study, calls: pd.DataFrame) -> pd.DataFrame:
    """The audit table of the stored calls of `study` (Store.frame), one row per LLM x
    instrument x presentation other than published."""
    valid = calls.loc[calls["rating"].notna() & (calls["status"] == "valid")]
    rows = []
    for (model, instrument), answers in valid.groupby(["model", "instrument"], sort=False):
        spec = study.instruments[instrument]
        low, high = spec.scale_min, spec.scale_max
        for presentation in study.presentations:
            if presentation == PUBLISHED:
                continue
            pair = answers.loc[answers["presentation"].isin((PUBLISHED, presentation))]
            cells = _cells(pair, presentation, low, high)
            if cells.empty:
                continue
            shift = _interval(cells["shift"])
            first = _interval(cells["first_excess"])
            rows.append((model, instrument, presentation, len(cells), len(pair), *shift,
                         cells["first_share"].mean(), cells["first_predicted"].mean(), *first,
                         cells["first_predicted"].mean(), cells["first_share"].mean(),
                         -first[0], -first[2], -first[1]))
    return pd.DataFrame(rows, columns=list(COLUMNS))


def _cells(pair: pd.DataFrame, presentation: str, low: int, high: int) -> pd.DataFrame:
    """Per cell answered under both orders: the shift, and the shares of the option listed first
    (published: `low`; turned round: `high`) and of the same options in the other position."""
    shares = pair.assign(at_low=pair["rating"] == low, at_high=pair["rating"] == high).groupby(
        [*CELL, "presentation"])[["rating", "at_low", "at_high"]].mean().unstack("presentation")
    shares = shares.dropna()
    if shares.empty or presentation not in shares["rating"].columns:
        return pd.DataFrame()
    mean, at_low, at_high = shares["rating"], shares["at_low"], shares["at_high"]
    first = (at_low[PUBLISHED] + at_high[presentation]) / 2
    other = (at_low[presentation] + at_high[PUBLISHED]) / 2
    return pd.DataFrame({"shift": mean[presentation] - mean[PUBLISHED], "first_share": first,
                         "first_predicted": other, "first_excess": first - other})


def _interval(values: pd.Series) -> tuple[float, float, float]:
    """The mean of `values` and its t interval."""
    n = len(values)
    mean = float(values.mean())
    if n < 2:
        return mean, math.nan, math.nan
    half = t_quantile((1 + LEVEL) / 2, n - 1) * float(values.std(ddof=1)) / math.sqrt(n)
    return mean, mean - half, mean + half


def t_quantile(p: float, df: int) -> float:
    """The p quantile (p > 0.5) of Student's t with `df` degrees of freedom: the density
    integrated by Simpson's rule, the quantile found by bisection."""
    scale = math.exp(math.lgamma((df + 1) / 2) - math.lgamma(df / 2)) / math.sqrt(df * math.pi)

    def cdf(x: float) -> float:
        grid = np.linspace(0.0, x, 2001)
        density = scale * (1 + grid**2 / df) ** (-(df + 1) / 2)
        weights = np.ones_like(grid)
        weights[1:-1:2], weights[2:-1:2] = 4, 2
        return 0.5 + float(np.sum(weights * density)) * (x / 2000) / 3

    lower, upper = 0.0, 1.0
    while cdf(upper) < p:
        lower, upper = upper, upper * 2
    for _ in range(60):
        middle = (lower + upper) / 2
        lower, upper = (middle, upper) if cdf(middle) < p else (lower, middle)
    return (lower + upper) / 2
