"""Cosine similarity between every respondent and every LLM vector of a condition, as one
matrix product."""

from __future__ import annotations

import numpy as np

# Below this Euclidean norm a z-vector (or what is left of it) has no direction.
ZERO_NORM = 1e-9


def row_norms(matrix: np.ndarray) -> np.ndarray:
    return np.sqrt(np.einsum("ij,ij->i", matrix, matrix))


def has_direction(matrix: np.ndarray) -> np.ndarray:
    """Rows whose norm is large enough for a cosine to be defined."""
    return row_norms(matrix) > ZERO_NORM


def cosine_matrix(humans: np.ndarray, llms: np.ndarray) -> np.ndarray:
    """(respondents x items) and (llms x items) -> (respondents x llms) cosines.

    Every row must have a direction (see `has_direction`); the caller excludes the rest.
    """
    if not (has_direction(humans).all() and has_direction(llms).all()):
        raise ValueError("cosine of a zero vector is undefined; exclude such rows first")
    unit_humans = humans / row_norms(humans)[:, None]
    unit_llms = llms / row_norms(llms)[:, None]
    return np.clip(unit_humans @ unit_llms.T, -1.0, 1.0)
