"""Each similarity measure against a plain per-pair reference; coherence and decomposition
identities."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from collect.similarity import metrics
from collect.similarity.coherence import coherence
from collect.similarity.decomposition import item_contributions, unit_sums
from collect.vocab import MFQ2, mfq2_foundation

from tests.similarity import reference as ref

PAIR_REFERENCES = {
    "cosine_z": ref.pearson,
    "spearman": ref.spearman,
    "neg_euclidean": lambda x, y: -ref.euclidean(x, y),
    "neg_mean_abs_diff": lambda x, y: -ref.mean_abs_diff(x, y),
}


def ratings(rng: np.random.Generator, n: int, k: int = 36, top: int = 5) -> np.ndarray:
    """Integer ratings (many ties, as in surveys) with a few fractional LLM-like means."""
    values = rng.integers(1, top + 1, size=(n, k)).astype(float)
    values[::3] += rng.uniform(0, 0.9, size=values[::3].shape).round(2)
    return values


def test_every_pair_measure_has_a_reference_and_is_registered() -> None:
    assert set(PAIR_REFERENCES) == set(metrics.PAIR_MEASURES)
    assert metrics.DEFAULT_METRIC == "cosine_z"
    for m in metrics.MEASURES.values():
        assert m.description, f"{m.name} has no documentation"


@pytest.mark.parametrize("name", sorted(PAIR_REFERENCES))
def test_pair_measure_matches_the_plain_reference(name: str) -> None:
    rng = np.random.default_rng(11)
    humans, llms = ratings(rng, 30), ratings(rng, 7)
    got = metrics.MEASURES[name].compute(humans, llms)
    assert got.shape == (30, 7)
    want = np.array([[PAIR_REFERENCES[name](h, x) for x in llms] for h in humans])
    np.testing.assert_allclose(got, want, atol=1e-12)


def test_ranks_average_ties_like_the_reference() -> None:
    x = np.array([[3.0, 1.0, 3.0, 2.0, 3.0, 1.0]])
    np.testing.assert_array_equal(metrics.row_ranks(x)[0], ref.average_ranks(x[0]))
    np.testing.assert_array_equal(metrics.row_ranks(x)[0], [5.0, 1.5, 5.0, 3.0, 5.0, 1.5])


def test_closer_always_means_larger() -> None:
    human = np.array([[1.0, 2.0, 3.0, 4.0, 5.0]])
    near, far = human + 0.1 * np.array([1, -1, 1, -1, 1]), human[:, ::-1]
    for name in metrics.PAIR_MEASURES:
        values = metrics.MEASURES[name].compute(human, np.vstack([near, far]))[0]
        assert values[0] > values[1], name


def test_profile_measures_match_the_plain_reference() -> None:
    rng = np.random.default_rng(12)
    humans, llms = ratings(rng, 40), ratings(rng, 5)
    profile = humans.mean(axis=0)
    np.testing.assert_allclose(metrics.profile_correlation(humans, llms),
                               [ref.pearson(profile, x) for x in llms], atol=1e-12)
    np.testing.assert_allclose(metrics.profile_neg_euclidean(humans, llms),
                               [-ref.euclidean(profile, x) for x in llms], atol=1e-12)


def test_mean_cosine_is_coherence_times_alignment() -> None:
    rng = np.random.default_rng(13)
    humans, llms = ratings(rng, 50), ratings(rng, 6)
    units = [(h - h.mean()) / np.linalg.norm(h - h.mean()) for h in humans]
    plain_coherence = np.linalg.norm(np.mean(units, axis=0))
    assert coherence(humans) == pytest.approx(plain_coherence, abs=1e-14)
    mean_cos = np.array([np.mean([ref.pearson(h, x) for h in humans]) for x in llms])
    np.testing.assert_allclose(coherence(humans) * metrics.coherence_alignment(humans, llms),
                               mean_cos, atol=1e-12)
    # a group that agrees perfectly has coherence 1 and alignment equal to the cosine
    same = np.repeat(humans[:1], 4, axis=0)
    assert coherence(same) == pytest.approx(1.0)


def test_item_contributions_sum_to_the_mean_cosine_exactly() -> None:
    rng = np.random.default_rng(14)
    humans, llms = ratings(rng, 60), ratings(rng, 9)
    parts = item_contributions(humans, llms)
    mean_cos = metrics.cosine_z(humans, llms).mean(axis=0)
    assert np.abs(parts.sum(axis=1) - mean_cos).max() < 1e-12
    foundation = np.array([mfq2_foundation(i) for i in MFQ2.items])
    labels, sums = unit_sums(parts, foundation)
    assert labels == ["Care", "Equality", "Proportionality", "Loyalty", "Authority", "Purity"]
    assert np.abs(sums.sum(axis=1) - mean_cos).max() < 1e-12
    # plain: the care contribution of LLM 0, respondent by respondent
    care = foundation == "Care"
    x = llms[0] - llms[0].mean()
    plain = np.mean([((h - h.mean())[care] @ x[care])
                     / (np.linalg.norm(h - h.mean()) * np.linalg.norm(x)) for h in humans])
    assert sums[0, 0] == pytest.approx(plain, abs=1e-14)


def test_measures_table_lists_the_registry() -> None:
    from collect.similarity.measures import measures_table

    table = measures_table()
    assert list(table["metric"]) == list(metrics.MEASURES)
    assert isinstance(table, pd.DataFrame) and table["description"].str.len().min() > 20
