"""A deliberately plain, per-pair reference of the cosines, written from docs/methods.md
section 3."""

from __future__ import annotations

import numpy as np


def centred_cosine(human: np.ndarray, llm: np.ndarray, llm_centre: float,
                   keep: np.ndarray | None = None) -> float:
    """Cosine of the human vector centred on its own mean and the LLM vector centred on
    `llm_centre`, both over all items, then restricted to the kept items (no re-centring)."""
    h = human - human.mean()
    x = llm - llm_centre
    if keep is not None:
        h, x = h[keep], x[keep]
    return float(h @ x / np.sqrt((h @ h) * (x @ x)))


def concatenated_cosine(human: np.ndarray, personas: list[np.ndarray],
                        keep: np.ndarray) -> float:
    """Persona vectors centred on their pooled mean and concatenated, against the human vector
    repeated once per persona (MFQ-2 rq3_persona; WVS rq3 as the released scripts ran it)."""
    centre = np.concatenate(personas).mean()
    h = np.concatenate([(human - human.mean())[keep]] * len(personas))
    x = np.concatenate([(p - centre)[keep] for p in personas])
    return float(h @ x / np.sqrt((h @ h) * (x @ x)))


def pearson(x: np.ndarray, y: np.ndarray) -> float:
    return float(np.corrcoef(x, y)[0, 1])


def average_ranks(x: np.ndarray) -> np.ndarray:
    """Ranks 1..n by sorting, tied values sharing the mean of their positions."""
    order = sorted(range(len(x)), key=lambda i: x[i])
    ranks = np.empty(len(x))
    start = 0
    while start < len(order):
        end = start
        while end + 1 < len(order) and x[order[end + 1]] == x[order[start]]:
            end += 1
        for position in range(start, end + 1):
            ranks[order[position]] = (start + end) / 2 + 1
        start = end + 1
    return ranks


def spearman(x: np.ndarray, y: np.ndarray) -> float:
    return pearson(average_ranks(x), average_ranks(y))


def euclidean(x: np.ndarray, y: np.ndarray) -> float:
    return float(np.sqrt(sum((a - b) ** 2 for a, b in zip(x, y, strict=True))))


def mean_abs_diff(x: np.ndarray, y: np.ndarray) -> float:
    return float(np.mean([abs(a - b) for a, b in zip(x, y, strict=True)]))
