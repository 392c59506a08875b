"""What became of one call: the vocabulary of the store, the exports and the quality gates."""

from __future__ import annotations

from enum import StrEnum


class Outcome(StrEnum):
    VALID = "valid"  # an answer with a rating on the scale
    INVALID = "invalid"  # an answer without a rating (no number, out of scale, a range)
    REFUSED = "refused"  # the model declined, or its provider blocked the request
    FAILED = "failed"  # no answer after every attempt; a later run asks again


FINISHED: tuple[Outcome, ...] = (Outcome.VALID, Outcome.INVALID, Outcome.REFUSED)


def answer_outcome(rating: int | None, refused: bool) -> Outcome:
    """The outcome of a call that got an answer."""
    if refused:
        return Outcome.REFUSED
    return Outcome.VALID if rating is not None else Outcome.INVALID
