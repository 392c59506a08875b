"""Bad input is refused with a message naming what is wrong and where; both id modes work."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from collect.errors import InputError
from collect.similarity.inputs import inputs_from_frames
from collect.vocab import MFQ2, WVS7

from tests.similarity.synthetic import (
    ORIGINS,
    human_frame,
    llm_frame,
    models_frame,
    random_means,
    random_ratings,
)


def frames(instrument=MFQ2, seed: int = 8):
    rng = np.random.default_rng(seed)
    return (human_frame(instrument, random_ratings(instrument, rng, {"China": 3, "USA": 3})),
            llm_frame(instrument, random_means(instrument, rng)), models_frame())


def load(humans: pd.DataFrame, ratings: pd.DataFrame, models: pd.DataFrame,
         instrument=MFQ2, ids: str = "respondent"):
    return inputs_from_frames(humans, ratings, models, instrument, ids,  # type: ignore[arg-type]
                              "canon")


def test_a_respondent_missing_an_item_is_named() -> None:
    humans, ratings, models = frames()
    humans = humans.drop(humans.index[(humans["nationality"] == "USA")
                                      & (humans["respondent"] == 2) & (humans["item"] == 17)])
    with pytest.raises(InputError, match=r"respondent 2 .* no rating for item 17") as err:
        load(humans, ratings, models)
    assert "canon/human_responses.csv" in str(err.value)


def test_a_duplicated_respondent_item_pair_is_refused_in_paper_mode() -> None:
    humans, ratings, models = frames()
    humans.loc[(humans["nationality"] == "China") & (humans["respondent"] == 3), "paper_id"] = 1
    with pytest.raises(InputError, match=r"share a \(respondent, item\) pair in 'paper'"):
        load(humans, ratings, models, ids="paper")
    assert load(humans, ratings, models, ids="respondent").humans[0].ratings.shape == (3, 36)


@pytest.mark.parametrize("value", [0.0, 6.0, np.nan])
def test_a_rating_outside_the_scale_is_refused(value: float) -> None:
    humans, ratings, models = frames()
    humans.loc[5, "rating"] = value
    with pytest.raises(InputError, match=r"outside 1\.\.5.*item 6"):
        load(humans, ratings, models)


def test_an_item_of_another_instrument_is_refused() -> None:
    humans, ratings, models = frames(WVS7)
    humans.loc[0, "item"] = 3
    with pytest.raises(InputError, match=r"items \[3\] are not wvs7 items"):
        load(humans, ratings, models, WVS7)


def test_item_sets_that_differ_between_humans_and_llms_are_refused() -> None:
    humans, ratings, models = frames()
    ratings = ratings[ratings["item"] != 36]
    with pytest.raises(InputError, match=r"LLM ratings lack items \[36\]"):
        load(humans, ratings, models)


def test_an_llm_mean_outside_the_scale_is_refused() -> None:
    humans, ratings, models = frames()
    ratings.loc[10, "mean"] = 5.5
    with pytest.raises(InputError, match=r"item mean 5.5 of .* outside 1\.\.5") as err:
        load(humans, ratings, models)
    assert "canon/llm_ratings.csv" in str(err.value) and "'mean'" in str(err.value)


def test_ratings_of_a_model_missing_from_the_models_table_are_refused() -> None:
    humans, ratings, _ = frames()
    models = models_frame({m: o for m, o in ORIGINS.items() if m != "llm-cn-a"})
    with pytest.raises(InputError, match=r"\['llm-cn-a'\] have ratings but are not LLMs"):
        load(humans, ratings, models)


def test_a_missing_human_mean_row_is_refused() -> None:
    humans, ratings, models = frames()
    with pytest.raises(InputError, match=r"no human-mean row .* \['USA'\]"):
        load(humans, ratings, models[models["model"] != "Human mean, USA"])


def test_paper_and_respondent_modes_key_respondents_differently() -> None:
    """In the release's layout, label r mod N + 1 mixes items of different people."""
    rng = np.random.default_rng(4)
    ratings = random_ratings(MFQ2, rng, {"China": 5, "USA": 7})
    paper_ids = {n: (np.arange(m.size) % len(m) + 1).reshape(m.shape) for n, m in ratings.items()}
    humans = human_frame(MFQ2, ratings, paper_ids)
    llms, models = llm_frame(MFQ2, random_means(MFQ2, rng)), models_frame()
    true = load(humans, llms, models, ids="respondent")
    paper = load(humans, llms, models, ids="paper")
    china = ratings["China"]
    np.testing.assert_array_equal(true.humans[0].ratings, china)
    flat = china.reshape(-1)
    rows = np.arange(flat.size)
    expected = np.full((5, 36), np.nan)
    expected[rows % 5, rows % 36] = flat
    np.testing.assert_array_equal(paper.humans[0].ratings, expected)
