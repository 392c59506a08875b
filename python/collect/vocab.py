"""What is fixed by method, whatever the study: the instruments' scales and items, the MFQ-2
foundation rule, the respondent-id modes and the label of "no persona". A study's nations,
languages, personas, origins and makers come from its study file (collect.core.study); the
published design's are in collect.data.published."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

# The persona of a call asked without a persona line; every other persona is a nation.
NO_PERSONA = "none"


class RespondentIds(StrEnum):
    """Which id groups a human's MFQ-2 answers (docs/methods.md section 2.2)."""

    PAPER = "paper"  # the release's Participant labels: reproduces the published numbers
    RESPONDENT = "respondent"  # the true, row-order respondents


MFQ2_FOUNDATIONS: tuple[str, ...] = (
    "Care",
    "Equality",
    "Proportionality",
    "Loyalty",
    "Authority",
    "Purity",
)
# Figure 2's order (the published figure): Authority before Loyalty.
MFQ2_FIGURE_ORDER: tuple[str, ...] = tuple(MFQ2_FOUNDATIONS[i] for i in (0, 1, 2, 4, 3, 5))


@dataclass(frozen=True)
class Instrument:
    name: str
    label: str
    short_label: str  # in figure titles and tables
    scale_min: int
    scale_max: int
    items: tuple[int, ...]


MFQ2 = Instrument("mfq2", "Moral Foundations Questionnaire 2", "MFQ-2", 1, 5, tuple(range(1, 37)))
WVS7 = Instrument(
    "wvs7", "World Values Survey wave 7, justifiability", "WVS-7", 1, 10, tuple(range(177, 196))
)
INSTRUMENTS: dict[str, Instrument] = {MFQ2.name: MFQ2, WVS7.name: WVS7}


def mfq2_foundation(item: int) -> str:
    """MFQ-2 items cycle through the six foundations: item i belongs to (i - 1) mod 6."""
    return MFQ2_FOUNDATIONS[(item - 1) % 6]
