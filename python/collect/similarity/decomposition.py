"""Exact additive decomposition of cosines into item (and MFQ-2 foundation) contributions.

The cosine of two unit z-vectors is the sum over items of their products, so item j contributes
u_j * v_j; a group's mean cosine with an LLM is the sum over items of m_j * v_j, m the mean of the
members' unit vectors. A foundation's contribution is the sum over its items. Contributions add
up to the cosine exactly (to rounding), unlike leave-one-out changes, which re-centre and
re-scale the remaining items and so measure how disproportionate a unit's share is.
"""

from __future__ import annotations

import numpy as np

from collect.similarity.metrics import mean_direction, unit_centred


def item_contributions(humans: np.ndarray, llms: np.ndarray) -> np.ndarray:
    """(llms, items): each item's contribution to each LLM's mean cosine with the group
    (humans: members x items, llms: LLMs x items, both raw); rows sum to the mean cosine."""
    return unit_centred(llms) * mean_direction(humans)[None, :]


def unit_sums(contributions: np.ndarray, units: np.ndarray) -> tuple[list[str], np.ndarray]:
    """Sum item contributions (..., items) within units (one label per item), in first-seen
    order of the labels."""
    labels = list(dict.fromkeys(units.tolist()))
    return labels, np.stack([contributions[..., units == u].sum(axis=-1) for u in labels], -1)
