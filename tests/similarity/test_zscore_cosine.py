"""Properties of z-scoring and cosine similarity, and tiny hand-computed examples."""

from __future__ import annotations

import numpy as np
import pytest
from collect.similarity.cosine import cosine_matrix
from collect.similarity.zscore import LlmScaling, zscore_llm_vectors, zscore_rows
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

ratings = st.floats(min_value=1, max_value=10, allow_nan=False, width=32)


def varied_pair(n: int):
    return st.tuples(arrays(np.float64, n, elements=ratings), arrays(np.float64, n,
                                                                     elements=ratings))


def _varies(x: np.ndarray) -> bool:
    return float(np.ptp(x)) > 1e-3


@settings(max_examples=200, deadline=None)
@given(st.integers(3, 40).flatmap(varied_pair))
def test_cosine_of_z_vectors_is_pearson_correlation_of_raw_vectors(pair) -> None:
    x, y = pair
    assume(_varies(x) and _varies(y))
    zx, _ = zscore_rows(x[None, :])
    zy, _ = zscore_rows(y[None, :])
    pearson = np.corrcoef(x, y)[0, 1]
    assert cosine_matrix(zx, zy)[0, 0] == pytest.approx(pearson, abs=1e-9)


@settings(max_examples=200, deadline=None)
@given(st.integers(3, 40).flatmap(varied_pair),
       st.floats(0.01, 100), st.floats(-50, 50), st.booleans())
def test_cosine_is_invariant_to_rescaling_and_flips_with_the_sign(pair, scale, shift, negate
                                                                  ) -> None:
    x, y = pair
    assume(_varies(x) and _varies(y))
    factor = -scale if negate else scale
    z_before = zscore_rows(np.vstack([x, y]))[0]
    z_after = zscore_rows(np.vstack([factor * x + shift, y]))[0]
    before = cosine_matrix(z_before[:1], z_before[1:])[0, 0]
    after = cosine_matrix(z_after[:1], z_after[1:])[0, 0]
    assert after == pytest.approx(-before if negate else before, abs=1e-7)


def test_zscore_uses_the_sample_sd_like_r_scale() -> None:
    z, varies = zscore_rows(np.array([[1.0, 2.0, 3.0, 6.0]]))
    # mean 3, sample sd sqrt((4 + 1 + 0 + 9) / 3)
    assert varies.tolist() == [True]
    np.testing.assert_allclose(z[0], np.array([-2, -1, 0, 3]) / np.sqrt(14 / 3))


def test_rows_without_variance_are_flagged_and_have_no_z_score() -> None:
    z, varies = zscore_rows(np.array([[3.0, 3.0, 3.0], [1.0, 2.0, 2.0]]))
    assert varies.tolist() == [False, True]
    assert np.isnan(z[0]).all() and np.isfinite(z[1]).all()


def test_per_condition_scaling_centres_each_persona_vector_on_its_own_mean() -> None:
    vectors = np.array([[[1.0, 2.0, 3.0], [3.0, 4.0, 5.0]]])  # 1 model, 2 personas, 3 items
    z, varies = zscore_llm_vectors(vectors, LlmScaling.PER_CONDITION)
    assert varies.tolist() == [True]
    np.testing.assert_allclose(z[0, 0], [-1, 0, 1])
    np.testing.assert_allclose(z[0, 1], [-1, 0, 1])


def test_pooled_scaling_centres_both_persona_vectors_on_the_mean_of_the_two() -> None:
    vectors = np.array([[[1.0, 2.0, 3.0], [3.0, 4.0, 5.0]]])
    z, _ = zscore_llm_vectors(vectors, LlmScaling.POOLED_OVER_PERSONAS)
    # pooled mean 3; pooled sample sd sqrt((4+1+0+0+1+4)/5) = sqrt(2)
    np.testing.assert_allclose(z[0, 0], np.array([-2, -1, 0]) / np.sqrt(2))
    np.testing.assert_allclose(z[0, 1], np.array([0, 1, 2]) / np.sqrt(2))


def test_pooled_scaling_flags_a_model_only_if_the_pooled_ratings_are_constant() -> None:
    constant_each = np.array([[[2.0, 2.0], [4.0, 4.0]], [[3.0, 3.0], [3.0, 3.0]]])
    _, per_condition = zscore_llm_vectors(constant_each, LlmScaling.PER_CONDITION)
    _, pooled = zscore_llm_vectors(constant_each, LlmScaling.POOLED_OVER_PERSONAS)
    assert per_condition.tolist() == [False, False]
    assert pooled.tolist() == [True, False]


def test_cosine_matrix_hand_example() -> None:
    humans = np.array([[1.0, 0.0, -1.0], [1.0, 1.0, -2.0]])
    llms = np.array([[2.0, 0.0, -2.0], [0.0, 1.0, -1.0]])
    expected = np.array([[1.0, 0.5], [3 / np.sqrt(12), 3 / np.sqrt(12)]])
    np.testing.assert_allclose(cosine_matrix(humans, llms), expected)


def test_cosine_matrix_refuses_zero_vectors() -> None:
    with pytest.raises(ValueError, match="zero vector"):
        cosine_matrix(np.zeros((1, 3)), np.ones((1, 3)))
