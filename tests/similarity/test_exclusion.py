"""Exclusion of LLMs and respondents: each drop is listed with its reason, never a NaN."""

from __future__ import annotations

import numpy as np
import pandas as pd
from collect.similarity.analyses import analyses_for
from collect.similarity.build import build_analysis, standardise
from collect.similarity.inputs import inputs_from_frames
from collect.vocab import MFQ2, WVS7, Instrument

from tests.similarity.synthetic import (
    ORIGINS,
    human_frame,
    llm_frame,
    models_frame,
    random_means,
    random_ratings,
)


def run(instrument: Instrument, humans: pd.DataFrame, ratings: pd.DataFrame,
        models: pd.DataFrame | None = None):
    inputs = inputs_from_frames(humans, ratings, models if models is not None else
                                models_frame(), instrument, "respondent")
    groups = tuple(standardise(g) for g in inputs.humans)
    return groups, {a.name: build_analysis(inputs, groups, a) for a in analyses_for(instrument)}


def study(instrument: Instrument, seed: int = 2):
    rng = np.random.default_rng(seed)
    return random_ratings(instrument, rng, {"China": 4, "USA": 3}), random_means(instrument, rng)


def assert_no_nan(outcomes) -> None:
    for outcome in outcomes.values():
        assert not outcome.table["cosine"].isna().any()


def test_an_item_without_valid_answer_drops_the_llm_only_where_that_condition_is_used() -> None:
    ratings, means = study(WVS7)
    means[("llm-cn-a", "Chinese", "none")][4] = np.nan  # item 181
    _, out = run(WVS7, human_frame(WVS7, ratings), llm_frame(WVS7, means))
    for name in ("rq1", "rq3"):
        assert "llm-cn-a" not in set(out[name].table["llm"])
        (dropped,) = out[name].dropped_llms
        assert dropped.model == "llm-cn-a" and "Chinese/none: items 181" in dropped.reason
    for name in ("rq2", "rq3_persona"):
        assert "llm-cn-a" in set(out[name].table["llm"]) and not out[name].dropped_llms
    assert_no_nan(out)


def test_an_analysis_left_without_llms_is_not_possible_naming_each_reason() -> None:
    ratings, means = study(MFQ2)
    for key in means:
        if key[1:] == ("English", "China"):
            means[key][3] = np.nan  # every LLM lacks an item; the persona stays in the study
    _, out = run(MFQ2, human_frame(MFQ2, ratings), llm_frame(MFQ2, means))
    for name in ("rq2", "rq3_persona"):
        reason = out[name].not_possible
        assert reason is not None and reason.startswith("no LLM is left to compare")
        assert out[name].table.empty and not out[name].kept_llms
        for model in ORIGINS:
            assert f"{model}: no valid answer in" in reason
    for name in ("rq1", "rq3"):
        assert out[name].not_possible is None and set(out[name].table["llm"]) >= set(ORIGINS)


def test_an_analysis_needing_a_persona_the_study_lacks_is_not_possible() -> None:
    ratings, means = study(MFQ2)
    frame = llm_frame(MFQ2, means)
    _, out = run(MFQ2, human_frame(MFQ2, ratings), frame[frame["persona"] != "China"])
    for name in ("rq2", "rq3_persona"):
        assert out[name].not_possible == "no LLM of the study has ratings in persona China"
        assert out[name].table.empty
    for name in ("rq1", "rq3"):
        assert out[name].not_possible is None and not out[name].table.empty


def test_n_valid_zero_counts_as_no_valid_answer() -> None:
    ratings, means = study(MFQ2)
    frame = llm_frame(MFQ2, means)
    hit = ((frame["model"] == "llm-us-b") & (frame["persona"] == "USA")
           & (frame["item"] == 7) & (frame["language"] == "English"))
    frame.loc[hit, "n_valid"] = 0
    _, out = run(MFQ2, human_frame(MFQ2, ratings), frame)
    assert [d.model for d in out["rq2"].dropped_llms] == ["llm-us-b"]
    assert "English/USA: items 7" in out["rq2"].dropped_llms[0].reason
    assert not out["rq1"].dropped_llms


def test_an_llm_without_any_ratings_is_listed_as_dropped() -> None:
    ratings, means = study(WVS7)
    origins = {**ORIGINS, "never-asked": "USA"}
    _, out = run(WVS7, human_frame(WVS7, ratings), llm_frame(WVS7, means), models_frame(origins))
    for outcome in out.values():
        assert [d.model for d in outcome.dropped_llms] == ["never-asked"]
        assert "no ratings" in outcome.dropped_llms[0].reason


def test_an_llm_with_constant_ratings_is_dropped_not_turned_into_nan() -> None:
    ratings, means = study(MFQ2)
    means[("llm-cn-b", "English", "none")][:] = 3.0
    _, out = run(MFQ2, human_frame(MFQ2, ratings), llm_frame(MFQ2, means))
    assert [d.model for d in out["rq1"].dropped_llms] == ["llm-cn-b"]
    assert "do not vary in English" in out["rq1"].dropped_llms[0].reason
    assert_no_nan(out)


def test_straight_liners_are_dropped_and_counted() -> None:
    ratings, means = study(MFQ2)
    ratings["USA"][1, :] = 4.0
    groups, out = run(MFQ2, human_frame(MFQ2, ratings), llm_frame(MFQ2, means))
    usa = next(g for g in groups if g.nationality == "USA")
    assert usa.straight_liners.tolist() == [2] and usa.ids.tolist() == [1, 3]
    assert 2 not in set(out["rq1"].table.query("nationality == 'USA'")["respondent"])
    # the human-mean pseudo-LLM is the mean over every respondent, straight-liners included
    item_means = usa.item_means
    np.testing.assert_allclose(item_means, ratings["USA"].mean(axis=0))
    assert_no_nan(out)


def test_a_respondent_left_with_a_zero_vector_by_leave_one_out_is_dropped_from_rq3() -> None:
    ratings, means = study(MFQ2)
    # every non-Care item at the respondent's mean: without Care nothing is left to compare
    person = np.full(36, 3.0)
    person[0::6] = [1, 5, 1, 5, 1, 5]
    ratings["China"][0] = person
    _, out = run(MFQ2, human_frame(MFQ2, ratings), llm_frame(MFQ2, means))
    for name in ("rq3", "rq3_persona"):
        assert out[name].dropped_respondents == [
            {"nationality": "China", "respondent": 1, "reason": "zero vector with Care removed"}]
        assert 1 not in set(out[name].table.query("nationality == 'China'")["respondent"])
    assert 1 in set(out["rq1"].table.query("nationality == 'China'")["respondent"])
    assert_no_nan(out)


def test_an_llm_left_with_a_zero_vector_by_leave_one_out_is_dropped_from_rq3() -> None:
    ratings, means = study(MFQ2)
    vector = np.full(36, 3.0)
    vector[0::6] = [1, 5, 1, 5, 1, 5]  # only the Care items differ from the mean
    means[("llm-us-a", "English", "none")] = vector
    _, out = run(MFQ2, human_frame(MFQ2, ratings), llm_frame(MFQ2, means))
    assert [d.model for d in out["rq3"].dropped_llms] == ["llm-us-a"]
    assert "Care removed" in out["rq3"].dropped_llms[0].reason
    assert "llm-us-a" in set(out["rq1"].table["llm"])
    assert_no_nan(out)


def test_a_persona_vector_at_the_pooled_mean_drops_the_llm_from_pooled_analyses() -> None:
    ratings, means = study(MFQ2)
    means[("llm-cn-a", "Chinese", "China")] = np.full(36, 3.0)
    means[("llm-cn-a", "Chinese", "USA")] = np.tile([1.0, 5.0], 18)  # pooled mean 3
    _, out = run(MFQ2, human_frame(MFQ2, ratings), llm_frame(MFQ2, means))
    for name in ("rq2", "rq3_persona"):
        assert [d.model for d in out[name].dropped_llms] == ["llm-cn-a"]
        assert "pooled mean" in out[name].dropped_llms[0].reason
    assert not out["rq1"].dropped_llms
    assert_no_nan(out)
