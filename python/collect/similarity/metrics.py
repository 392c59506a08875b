"""The registry of similarity measures: each one a named, documented, vectorised function.

Every measure takes raw rating vectors (humans or countries x units, LLMs x units, on the
instrument's scale) and returns a similarity where larger always means closer: distances are
negated (similarity = -distance). Two kinds:

- `pair`: one value per (human, LLM) pair; a group's similarity to an LLM is the mean over its
  members.
- `profile`: one value per (group, LLM), from the group as a whole (its mean profile or its mean
  direction); the humans' matrix is the whole group.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

import numpy as np

DEFAULT_METRIC = "cosine_z"


def unit_centred(matrix: np.ndarray) -> np.ndarray:
    """Rows centred on their own mean and scaled to length 1 (rows must vary).

    The cosine of two such rows is the cosine of their z-scores and their Pearson correlation:
    z-scoring divides by a positive constant per row, which a cosine ignores.
    """
    centred = matrix - matrix.mean(axis=1, keepdims=True)
    return centred / np.sqrt(np.einsum("ij,ij->i", centred, centred))[:, None]


def row_ranks(matrix: np.ndarray) -> np.ndarray:
    """Ranks within each row, ties given their average rank (as R's `rank`)."""
    below = (matrix[:, None, :] < matrix[:, :, None]).sum(axis=2)
    equal = (matrix[:, None, :] == matrix[:, :, None]).sum(axis=2)
    return below + (equal + 1) / 2


def cosine_z(humans: np.ndarray, llms: np.ndarray) -> np.ndarray:
    """Cosine of within-vector z-scores (the study's measure; equal to Pearson r)."""
    return np.clip(unit_centred(humans) @ unit_centred(llms).T, -1.0, 1.0)


def spearman(humans: np.ndarray, llms: np.ndarray) -> np.ndarray:
    """Spearman rank correlation: Pearson r of the within-vector ranks (average ranks for ties)."""
    return cosine_z(row_ranks(humans), row_ranks(llms))


def _differences(humans: np.ndarray, llms: np.ndarray) -> np.ndarray:
    return humans[:, None, :] - llms[None, :, :]


def neg_euclidean(humans: np.ndarray, llms: np.ndarray) -> np.ndarray:
    """Minus the Euclidean distance between the raw rating vectors (rating-scale units)."""
    d = _differences(humans, llms)
    return -np.sqrt(np.einsum("ijk,ijk->ij", d, d))


def neg_mean_abs_diff(humans: np.ndarray, llms: np.ndarray) -> np.ndarray:
    """Minus the mean absolute difference between the raw ratings (rating-scale points)."""
    return -np.abs(_differences(humans, llms)).mean(axis=2)


def profile_correlation(humans: np.ndarray, llms: np.ndarray) -> np.ndarray:
    """Pearson r between the LLM's ratings and the group's mean ratings (the human-mean
    pseudo-LLM's measure)."""
    return cosine_z(humans.mean(axis=0, keepdims=True), llms)[0]


def profile_neg_euclidean(humans: np.ndarray, llms: np.ndarray) -> np.ndarray:
    """Minus the Euclidean distance between the LLM's ratings and the group's mean ratings."""
    return neg_euclidean(humans.mean(axis=0, keepdims=True), llms)[0]


def mean_direction(humans: np.ndarray) -> np.ndarray:
    """The mean of the members' unit z-vectors: its length is the group's coherence."""
    return unit_centred(humans).mean(axis=0)


def coherence_alignment(humans: np.ndarray, llms: np.ndarray) -> np.ndarray:
    """Cosine between the LLM's z-vector and the group's mean direction: the mean cosine divided
    by the group's coherence (see `collect.similarity.coherence`)."""
    direction = mean_direction(humans)
    return np.clip(unit_centred(llms) @ (direction / np.linalg.norm(direction)), -1.0, 1.0)


@dataclass(frozen=True)
class Measure:
    name: str
    label: str
    kind: Literal["pair", "profile"]
    scale: str  # what one unit of the similarity is
    compute: Callable[[np.ndarray, np.ndarray], np.ndarray]

    @property
    def description(self) -> str:
        return (self.compute.__doc__ or "").split("\n\n")[0].replace("\n", " ")

    def group_similarity(self, humans: np.ndarray, llms: np.ndarray) -> np.ndarray:
        """(llms,) similarity of each LLM to the group `humans`."""
        values = self.compute(humans, llms)
        return values.mean(axis=0) if self.kind == "pair" else values


MEASURES: dict[str, Measure] = {m.name: m for m in (
    Measure("cosine_z", "Cosine of z-scores", "pair", "correlation", cosine_z),
    Measure("spearman", "Spearman rank correlation", "pair", "correlation", spearman),
    Measure("neg_euclidean", "Euclidean distance (negated)", "pair", "rating points",
            neg_euclidean),
    Measure("neg_mean_abs_diff", "Mean absolute difference (negated)", "pair",
            "rating points", neg_mean_abs_diff),
    Measure("profile_correlation", "Correlation with the group's mean profile", "profile",
            "correlation", profile_correlation),
    Measure("profile_neg_euclidean", "Distance to the group's mean profile (negated)",
            "profile", "rating points", profile_neg_euclidean),
    Measure("coherence_alignment", "Alignment with the group's mean direction", "profile",
            "correlation", coherence_alignment),
)}
PAIR_MEASURES = tuple(name for name, m in MEASURES.items() if m.kind == "pair")


def measure(name: str) -> Measure:
    if name not in MEASURES:
        raise KeyError(f"unknown similarity measure {name!r}; expected one of {list(MEASURES)}")
    return MEASURES[name]
