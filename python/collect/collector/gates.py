"""Quality gates checked after a run, per model x instrument x condition (language x persona).

- completeness: the share of planned calls with a finished row;
- parse failures: the share of answered calls without a valid rating (refusals aside);
- refusals: the share of finished calls that were refused (moderation block or refusal text);
- degenerate output: every valid answer of the condition identical across several items.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from collect.collector.design import PlannedCall
from collect.collector.store import in_plan
from collect.collector.study import GateThresholds
from collect.core.outcome import Outcome

CELL = ["model", "instrument", "language", "persona"]
MIN_ANSWERS_FOR_DEGENERACY = 5


@dataclass(frozen=True)
class GateFailure:
    gate: str
    model: str
    instrument: str
    language: str
    persona: str
    value: float
    threshold: float

    def describe(self) -> str:
        where = f"{self.model} {self.instrument} {self.language}/{self.persona}"
        if self.gate == "degenerate":
            return f"{where}: every valid answer is {self.value:g} (degenerate output)"
        relation = "below" if self.gate == "completeness" else "above"
        return f"{where}: {self.gate} {self.value:.1%} is {relation} {self.threshold:.1%}"


def cell_summary(planned: list[PlannedCall], calls: pd.DataFrame) -> pd.DataFrame:
    """Per model x instrument x condition: planned, finished, valid, invalid, refused, failed.

    Only stored rows of planned calls count: rows the study no longer plans are ignored.
    """
    calls = in_plan(calls, planned)
    plan = pd.DataFrame(
        [(c.key.model, c.key.instrument, c.key.language, c.key.persona) for c in planned],
        columns=CELL,
    )
    summary = plan.groupby(CELL, sort=False).size().rename("planned").to_frame()
    if calls.empty:
        stats = pd.DataFrame(
            0, index=summary.index,
            columns=["finished", "valid", "invalid", "refused", "failed", "distinct_ratings",
                     "items_valid", "only_rating"],
        )
    else:
        flags = calls.assign(
            finished=calls["status"].ne(Outcome.FAILED),
            **{outcome.value: calls["status"].eq(outcome) for outcome in Outcome},
        )
        valid_rows = flags.loc[flags["valid"]]
        grouped = flags.groupby(CELL)
        stats = pd.DataFrame(
            {
                "finished": grouped["finished"].sum(),
                "valid": grouped["valid"].sum(),
                "invalid": grouped["invalid"].sum(),
                "refused": grouped["refused"].sum(),
                "failed": grouped["failed"].sum(),
            }
        )
        by_valid = valid_rows.groupby(CELL)
        stats["distinct_ratings"] = by_valid["rating"].nunique()
        stats["items_valid"] = by_valid["item"].nunique()
        stats["only_rating"] = by_valid["rating"].first()
    out = summary.join(stats, how="left").fillna(0)
    int_columns = ["finished", "valid", "invalid", "refused", "failed", "distinct_ratings",
                   "items_valid"]
    out[int_columns] = out[int_columns].astype("int64")
    return out.reset_index()


def check_gates(summary: pd.DataFrame, thresholds: GateThresholds) -> list[GateFailure]:
    failures: list[GateFailure] = []
    for row in summary.itertuples(index=False):
        where = (row.model, row.instrument, row.language, row.persona)
        completeness = row.finished / row.planned if row.planned else 1.0
        if completeness < thresholds.min_completeness:
            failures.append(
                GateFailure("completeness", *where, completeness, thresholds.min_completeness)
            )
        if row.finished == 0:
            continue
        answered = row.finished - row.refused
        invalid_share = row.invalid / answered if answered else 0.0
        if invalid_share > thresholds.max_invalid_share:
            failures.append(
                GateFailure("parse failures", *where, invalid_share, thresholds.max_invalid_share)
            )
        refusal_share = row.refused / row.finished
        if refusal_share > thresholds.max_refusal_share:
            failures.append(
                GateFailure("refusals", *where, refusal_share, thresholds.max_refusal_share)
            )
        if (
            thresholds.check_degenerate
            and row.valid >= MIN_ANSWERS_FOR_DEGENERACY
            and row.items_valid > 1
            and row.distinct_ratings == 1
        ):
            failures.append(GateFailure("degenerate", *where, float(row.only_rating), 1.0))
    return failures
