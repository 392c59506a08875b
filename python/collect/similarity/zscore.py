"""z-scoring of rating vectors (docs/methods.md section 3.2), with the groupings the study uses."""

from __future__ import annotations

from enum import StrEnum

import numpy as np

# A standard deviation this small relative to the scale counts as zero (a straight-liner).
ZERO_SD = 1e-9


class LlmScaling(StrEnum):
    """Which ratings share one mean and standard deviation when an LLM's vectors are z-scored."""

    # One vector per (LLM, language, persona): every analysis without persona, and WVS with persona.
    PER_CONDITION = "per_condition"
    # MFQ-2 persona analyses (QUIRK): one z-score over both persona vectors of (LLM, language), so
    # each persona vector is centred on the mean of the two.
    POOLED_OVER_PERSONAS = "pooled_over_personas"


def zscore_rows(matrix: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """z-score every row (sample sd, as R's `scale`). Returns (z, varies); rows that do not vary
    have no z-score and come back as NaN with varies False."""
    mean = matrix.mean(axis=1, keepdims=True)
    centred = matrix - mean
    sd = np.sqrt((centred**2).sum(axis=1, keepdims=True) / max(matrix.shape[1] - 1, 1))
    varies = (sd[:, 0] > ZERO_SD) & np.isfinite(sd[:, 0])
    with np.errstate(invalid="ignore", divide="ignore"):
        z = np.where(varies[:, None], centred / sd, np.nan)
    return z, varies


def zscore_llm_vectors(vectors: np.ndarray, scaling: LlmScaling) -> tuple[np.ndarray, np.ndarray]:
    """z-score (models, personas, items) rating vectors. Returns (z of the same shape, varies per
    model); a model any of whose z-scoring groups does not vary is marked False."""
    models, personas, items = vectors.shape
    if scaling is LlmScaling.POOLED_OVER_PERSONAS:
        z, varies = zscore_rows(vectors.reshape(models, personas * items))
        return z.reshape(models, personas, items), varies
    z, varies = zscore_rows(vectors.reshape(models * personas, items))
    return z.reshape(models, personas, items), varies.reshape(models, personas).all(axis=1)
