"""Which LLMs and respondents an analysis keeps, and why the others are dropped.

An LLM is dropped from an analysis if, in any condition the analysis uses, some item has no valid
answer (docs/methods.md section 1.7). Two further rules keep cosines defined: an LLM whose ratings
in a z-scoring group do not vary, and an LLM or respondent left with a zero vector once a block of
items is removed (leave-one-out), is dropped from that analysis.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from collect.data.published import LANGUAGES
from collect.similarity.analyses import NOTHING_REMOVED
from collect.similarity.cosine import has_direction


@dataclass(frozen=True)
class DroppedLlm:
    model: str
    reason: str


def without_answers(
    models: tuple[str, ...], vectors: np.ndarray, personas: tuple[str, ...], items: tuple[int, ...]
) -> dict[int, DroppedLlm]:
    """Models with an item without any valid answer; vectors are (models, languages, personas,
    items)."""
    missing = np.isnan(vectors)
    dropped = {}
    for m in np.flatnonzero(missing.any(axis=(1, 2, 3))):
        cells = [
            f"{LANGUAGES[lang]}/{personas[p]}: items "
            + ",".join(str(items[i]) for i in np.flatnonzero(missing[m, lang, p]))
            for lang in range(missing.shape[1])
            for p in range(missing.shape[2])
            if missing[m, lang, p].any()
        ]
        if all(missing[m, lang, p].all() for lang in range(missing.shape[1])
               for p in range(missing.shape[2])):
            reason = "no ratings in any condition this analysis uses"
        else:
            reason = "no valid answer in " + "; ".join(cells)
        dropped[int(m)] = DroppedLlm(models[m], reason)
    return dropped


def constant_ratings(models: tuple[str, ...], varies: np.ndarray) -> dict[int, DroppedLlm]:
    """varies is (models, languages): whether each z-scoring group of the model varies."""
    return {
        int(m): DroppedLlm(models[m], "ratings do not vary in "
                           + ", ".join(LANGUAGES[lang] for lang in np.flatnonzero(~varies[m]))
                           + " (no z-score)")
        for m in np.flatnonzero(~varies.all(axis=1))
    }


def zero_remainders(
    models: tuple[str, ...], z: np.ndarray, blocks: list[tuple[str, np.ndarray]]
) -> dict[int, DroppedLlm]:
    """Models whose z-vector (models, languages, personas, items) becomes zero when a block of
    items is removed, so that a leave-one-out cosine would be undefined."""
    dropped = {}
    for label, keep in blocks:
        left = z[..., keep]
        flat = left.reshape(-1, left.shape[-1])
        ok = has_direction(np.nan_to_num(flat)).reshape(left.shape[:-1]).all(axis=(1, 2))
        why = (f"zero vector with {label} removed" if label != NOTHING_REMOVED
               else "a condition's z-vector is zero (it equals the pooled mean)")
        for m in np.flatnonzero(~ok):
            dropped.setdefault(int(m), DroppedLlm(models[m], why))
    return dropped


def respondents_with_zero_remainders(
    z: np.ndarray, blocks: list[tuple[str, np.ndarray]]
) -> tuple[np.ndarray, list[str]]:
    """(keep mask, reason per dropped row) for respondents' z-vectors (respondents x items)."""
    keep = np.ones(len(z), dtype=bool)
    reasons = [""] * len(z)
    for label, items_kept in blocks:
        ok = has_direction(z[:, items_kept])
        for r in np.flatnonzero(~ok & keep):
            reasons[r] = f"zero vector with {label} removed"
        keep &= ok
    return keep, [reasons[r] for r in np.flatnonzero(~keep)]
