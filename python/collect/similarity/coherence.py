"""Group coherence, and an LLM's alignment with a group's mean direction.

With u_i the unit z-vector of respondent i and v the LLM's, the LLM's mean cosine with a group
of n respondents is mean_i(u_i . v) = m . v, where m = mean_i(u_i). Writing m = |m| * d:

    mean cosine = coherence x alignment,  coherence = |m|,  alignment = d . v.

Coherence (0 to 1) is how much the members point the same way; alignment is the cosine between
the LLM and the group's mean direction. A group whose members disagree has a low coherence, so
every LLM (and every member) has a low mean cosine with it, however well aligned.
"""

from __future__ import annotations

import numpy as np

from collect.similarity.metrics import mean_direction


def coherence(humans: np.ndarray) -> float:
    """Length of the mean of the members' unit z-vectors (humans: members x items, raw)."""
    return float(np.linalg.norm(mean_direction(humans)))
