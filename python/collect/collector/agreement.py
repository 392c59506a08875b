"""How far the answers of a run can be trusted: agreement of the two readouts of one model, and
the reliability of repeated sampling.

- Readout agreement: a model declared twice on the same provider and `api_model`, once sampled
  and once with `readout = "logprob"`, gets per instrument the Pearson correlation, across its
  item x condition cells, of the logprob readout's expected rating with the mean of the sampled
  valid answers, and their mean absolute difference (in scale points).
- Repetition reliability, per sampled model x instrument x language x persona: the mean over
  items of the standard deviation of the valid sampled answers (scale points), and the split-half
  reliability of the item profile: item means over even and over odd iterations, correlated
  across items (Pearson r), Spearman-Brown corrected to the full number of repetitions,
  2r / (1 + r). NA when fewer than 3 items have answers in both halves or a half is constant.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from collect.collector.study import Study

CONDITION = ["instrument", "language", "persona"]
CELL = [*CONDITION, "item"]


def readout_cells(study: Study, calls: pd.DataFrame, readouts: pd.DataFrame) -> pd.DataFrame:
    """Per sampled/logprob pair and item x condition cell with both readouts: the logprob
    `expected_rating` beside the mean (`sampled_mean`) and number (`sampled_answers`) of the
    sampled valid answers."""
    columns = ["sampled_model", "logprob_model", *CELL, "expected_rating", "sampled_mean",
               "sampled_answers"]
    valid = calls.loc[calls["status"] == "valid"]
    sampled = valid.groupby(["model", *CELL])["rating"].agg(sampled_mean="mean",
                                                           sampled_answers="count")
    pairs = []
    for model in (m for m in study.models if m.readout == "sampled"):
        if model.id not in sampled.index.get_level_values("model"):
            continue
        means = sampled.loc[model.id].reset_index()
        for other in study.models:
            if other.readout != "logprob" or (other.provider, other.api_model) != (
                    model.provider, model.api_model):
                continue
            mine = readouts.loc[readouts["model"] == other.id].dropna(subset=["expected_rating"])
            paired = mine.loc[:, [*CELL, "expected_rating"]].merge(means, on=CELL)
            pairs.append(paired.assign(sampled_model=model.id, logprob_model=other.id))
    if not pairs:
        return pd.DataFrame(columns=columns)
    return pd.concat(pairs, ignore_index=True).loc[:, columns]


def readout_agreement(cells: pd.DataFrame) -> pd.DataFrame:
    """Per pair and instrument, from `readout_cells`: cells, Pearson r, mean absolute difference."""
    columns = ["sampled_model", "logprob_model", "instrument", "cells", "pearson_r",
               "mean_abs_diff"]
    rows = []
    for key, group in cells.groupby(["sampled_model", "logprob_model", "instrument"],
                                    sort=False):
        diff = (group["expected_rating"] - group["sampled_mean"]).abs().mean()
        rows.append([*key, len(group),
                     _pearson(group["expected_rating"], group["sampled_mean"]), diff])
    return pd.DataFrame(rows, columns=columns)


def repetition_reliability(calls: pd.DataFrame) -> pd.DataFrame:
    columns = ["model", *CONDITION, "items", "repetitions", "mean_item_sd", "split_half_r",
               "split_half_reliability"]
    valid = calls.loc[calls["status"] == "valid"]
    rows = []
    for key, group in valid.groupby(["model", *CONDITION]):
        item_sd = group.groupby("item")["rating"].std(ddof=1)
        half = group.assign(half=group["iteration"] % 2)
        profile = half.pivot_table(index="item", columns="half", values="rating",
                                   aggfunc="mean").dropna()
        r = np.nan
        if profile.shape[1] == 2 and len(profile) >= 3:
            r = _pearson(profile[0], profile[1])
        reliability = 2 * r / (1 + r) if np.isfinite(r) and r > -1 else np.nan
        rows.append([*key, group["item"].nunique(), group["iteration"].nunique(),
                     item_sd.mean(), r, reliability])
    return pd.DataFrame(rows, columns=columns)


def _pearson(x: pd.Series, y: pd.Series) -> float:
    if len(x) < 3 or x.std() == 0 or y.std() == 0:
        return float("nan")
    return float(np.corrcoef(x.to_numpy(float), y.to_numpy(float))[0, 1])
