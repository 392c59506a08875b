"""Noise ceilings, baseline responders and centrality against plain loop computations, on
synthetic groups and through the measure tables of both respondent-id modes."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from collect.data.reference import CountryMeans
from collect.similarity import measures as m
from collect.similarity.baselines import (
    baseline_gaps,
    baseline_scores,
    shuffle_mean_test,
    shuffle_tests,
    shuffled_profiles,
    uniform_profiles,
)
from collect.similarity.ceilings import (
    ceiling_tables,
    leave_one_out_values,
    reliability,
    spearman_brown,
    split_half,
)
from collect.similarity.centrality import country_centrality, llm_centrality
from collect.similarity.inputs import HumanGroup, LlmRatings, instrument_inputs, read_canonical
from collect.similarity.measure_tables import invariant_items_table, measure_tables
from collect.vocab import MFQ2, WVS7

WVS7_FIVE = replace(WVS7, items=(1, 2, 3, 4, 5))


def _groups_and_side(canonical: Path, ids: str) -> tuple[tuple[HumanGroup, ...], m.ComparedSide]:
    inputs = instrument_inputs(read_canonical(canonical), MFQ2, ids)
    return tuple(m.varying(g) for g in inputs.humans), m.compared_side(inputs)


def test_leave_one_out_values_are_each_respondents_correlation_with_the_others() -> None:
    ratings = np.random.default_rng(1).integers(1, 6, (15, 12)).astype(float)
    for metric, ranked in (("cosine_z", False), ("spearman", True)):
        def r(a: np.ndarray, b: np.ndarray, ranked: bool = ranked) -> float:
            if ranked:
                a, b = pd.Series(a).rank().to_numpy(), pd.Series(b).rank().to_numpy()
            return float(np.corrcoef(a, b)[0, 1])
        expected = [r(ratings[i], np.delete(ratings, i, 0).mean(0)) for i in range(15)]
        assert np.abs(leave_one_out_values(ratings, metric) - expected).max() < 1e-12


def test_split_half_is_the_correlation_of_the_halves_means_and_spearman_brown() -> None:
    ratings = np.random.default_rng(2).normal(size=(21, 8))
    order = np.random.default_rng(5).permutation(21)
    a, b = ratings[order[:10]].mean(0), ratings[order[10:20]].mean(0)
    assert split_half(ratings, np.random.default_rng(5)) == pytest.approx(np.corrcoef(a, b)[0, 1])
    assert spearman_brown(0.5) == pytest.approx(2 / 3)
    # a profile shared by everyone plus little noise is reliable; pure noise is not
    shared = np.linspace(1, 5, 8) + np.random.default_rng(3).normal(0, 0.3, (40, 8))
    assert reliability(shared, np.random.default_rng(0), 50) > 0.95
    noise = np.random.default_rng(4).normal(size=(40, 8))
    assert reliability(noise, np.random.default_rng(0), 50) < 0.6


@pytest.mark.parametrize("ids", ["paper", "respondent"])
def test_ceiling_tables_divide_by_the_ceiling_and_bracket_it(synthetic_canonical: Path,
                                                             ids: str) -> None:
    groups, side = _groups_and_side(synthetic_canonical, ids)
    tables = ceiling_tables(groups, side, replicates=60, splits=20)
    ceilings = tables["noise_ceilings"]
    assert ((ceilings["conf_low"] <= ceilings["ceiling"])
            & (ceilings["ceiling"] <= ceilings["conf_high"])).all()
    for g in groups:
        row = ceilings.query("nationality == @g.nationality and metric == 'cosine_z'").iloc[0]
        assert row["ceiling"] == pytest.approx(leave_one_out_values(g.ratings, "cosine_z").mean())
    rel = tables["ceiling_relative"]
    shares = rel[rel["scale"] == "share_of_ceiling"]
    assert np.allclose(shares["relative"], shares["similarity"] / shares["ceiling"])
    dis = rel[rel["scale"] == "disattenuated"]
    reliable = dis["ceiling"] > 0  # random synthetic answers may have no reliable profile
    assert np.allclose(dis.loc[reliable, "relative"],
                       dis.loc[reliable, "similarity"] / np.sqrt(dis.loc[reliable, "ceiling"]))
    assert dis.loc[~reliable, "relative"].isna().all()
    gap = tables["ceiling_gap"].query("metric == 'cosine_z'").set_index("llm")
    wide = shares.query("metric == 'cosine_z'").pivot(index="llm", columns="nationality",
                                                      values="relative")
    assert np.allclose(gap.loc[wide.index, "gap_relative"], wide["China"] - wide["USA"])


def test_baseline_profiles_stay_on_the_scale_and_shuffles_keep_the_ratings() -> None:
    rng = np.random.default_rng(0)
    uniform = uniform_profiles(MFQ2, 36, 50, rng)
    assert uniform.min() >= 1 and uniform.max() <= 5 and (uniform == np.round(uniform)).all()
    assert set(np.unique(uniform)) == {1, 2, 3, 4, 5}
    ratings = rng.integers(1, 6, (3, 36)).astype(float)
    shuffled = shuffled_profiles(ratings, 7, rng)
    assert shuffled.shape == (21, 36)
    for k in range(3):
        block = shuffled[7 * k:7 * (k + 1)]
        assert (np.sort(block, axis=1) == np.sort(ratings[k])).all()
        assert (block != ratings[k]).any(axis=1).all()


@pytest.mark.parametrize("ids", ["paper", "respondent"])
def test_baselines_are_scored_as_the_llms(synthetic_canonical: Path, ids: str) -> None:
    groups, side = _groups_and_side(synthetic_canonical, ids)
    scores = baseline_scores(MFQ2, groups, side, draws=5)
    metric_llm = m.metric_llm_table(groups, side)
    llm = scores[scores["responder_type"].isin(["llm", "human_mean"])].merge(
        metric_llm, on=["llm", "metric", "nationality"], validate="one_to_one")
    assert len(llm) == len(metric_llm)
    assert np.abs(llm["similarity_x"] - llm["similarity_y"]).max() < 1e-12
    midpoint = scores.query("responder_type == 'midpoint'").set_index(["metric", "nationality"])
    for g in groups:
        assert midpoint.loc[("neg_mean_abs_diff", g.nationality), "similarity"] == \
            pytest.approx(-np.abs(g.ratings - 3).mean())
        assert np.isnan(midpoint.loc[("cosine_z", g.nationality), "similarity"])
    gaps = baseline_gaps(scores).set_index(["responder_type", "metric"])
    shuffled = scores.query("responder_type == 'shuffled' and metric == 'cosine_z'")
    wide = shuffled.pivot(index=["llm", "draw"], columns="nationality", values="similarity")
    gap = wide["China"] - wide["USA"]
    row = gaps.loc[("shuffled", "cosine_z")]
    assert row["n_profiles"] == len(gap) == 5 * (~side.is_human_mean).sum()
    assert row["mean_gap"] == pytest.approx(gap.mean())
    assert row["share_closer_to_usa"] == pytest.approx((gap < 0).mean())
    assert "cosine_z" not in gaps.loc["midpoint"].index


def test_measure_tables_carry_the_ceilings_and_baselines(synthetic_canonical: Path,
                                                        fetched_release: Path) -> None:
    tables = measure_tables(read_canonical(synthetic_canonical), MFQ2, "respondent",
                            external=fetched_release, say=lambda _: None)
    for name in ("noise_ceilings", "ceiling_relative", "ceiling_gap", "baseline_scores",
                 "baseline_gaps", "world_profile", "centrality_countries", "centrality_llms"):
        assert not tables[name].empty, name
    assert set(tables["baseline_scores"]["responder_type"]) == {
        "uniform", "midpoint", "low_end", "high_end", "shuffled", "llm", "human_mean"}


def _countries() -> CountryMeans:
    rng = np.random.default_rng(7)
    means = rng.uniform(1, 10, (6, 5))
    means[2, 1] = np.nan  # a country not asked one item
    names = ("Aland", "Borduria", "Carpania", "Dorado", "Elbonia", "USA")
    return CountryMeans("wvs7", ("a", "b", "c", "d", "e"), names, means, "test")


def test_country_centrality_compares_each_country_with_the_others_mean() -> None:
    countries = _countries()
    table = country_centrality(countries).query("metric == 'cosine_z'").set_index("country")
    for i, name in enumerate(countries.countries):
        others = np.delete(countries.means, i, axis=0)
        world = np.array([np.mean(others[:, u][~np.isnan(others[:, u])]) for u in range(5)])
        own = countries.means[i]
        asked = ~np.isnan(own)
        expected = np.corrcoef(own[asked], world[asked])[0, 1]
        assert table.loc[name, "similarity_to_world"] == pytest.approx(expected)
        usa = countries.means[-1]
        assert table.loc[name, "similarity_to_usa"] == pytest.approx(
            np.corrcoef(own[asked], usa[asked])[0, 1])
    assert table.loc["Carpania", "n_units"] == 4
    distances = country_centrality(countries).query("metric == 'neg_euclidean'")
    carpania = distances.set_index("country").loc["Carpania"]
    others = np.delete(countries.means, 2, axis=0).mean(axis=0)
    own = countries.means[2]
    asked = ~np.isnan(own)
    scaled = np.sqrt(((own[asked] - others[asked]) ** 2).sum()) * np.sqrt(5 / 4)
    assert carpania["similarity_to_world"] == pytest.approx(-scaled)


def test_llm_centrality_is_the_similarity_to_the_mean_of_all_countries() -> None:
    countries = _countries()
    rng = np.random.default_rng(8)
    means = rng.uniform(1, 10, (3, 2, 3, 5))
    llms = LlmRatings(("a", "b", "c"), ("China", "USA", "USA"), means)
    table = llm_centrality(countries, llms, WVS7_FIVE, replicates=40)
    assert set(table["persona"]) == {"none"}
    world = np.nanmean(countries.means, axis=0)
    row = table.query("metric == 'cosine_z' and llm == 'b' and language == 'Chinese'").iloc[0]
    profile = means[1, 1, 0]
    assert row["similarity_to_world"] == pytest.approx(np.corrcoef(profile, world)[0, 1])
    assert row["similarity_to_usa"] == pytest.approx(
        np.corrcoef(profile, countries.means[-1])[0, 1])
    assert row["usa_minus_world"] == pytest.approx(
        row["similarity_to_usa"] - row["similarity_to_world"])
    assert (table["world_conf_low"] <= table["world_conf_high"]).all()
    assert (table["difference_conf_low"] <= table["difference_conf_high"]).all()


def test_invariant_items_table_leaves_out_the_reworded_items(synthetic_canonical: Path) -> None:
    groups, side = _groups_and_side(synthetic_canonical, "paper")
    inputs = instrument_inputs(read_canonical(synthetic_canonical), MFQ2, "paper")
    table = invariant_items_table(inputs, groups, side).query("metric == 'cosine_z'")
    gaps = table.pivot(index="llm", columns="nationality", values="similarity")
    consistency = m.language_consistency(inputs, groups, side).set_index("llm")
    mine = (gaps["China"] - gaps["USA"]).loc[consistency.index]
    assert np.abs(mine - consistency["gap_without_reworded"]).max() < 1e-12
    keep = [i for i in range(36) if i + 1 not in (16, 28, 34)]
    china = groups[0]
    assert table.query("nationality == 'China'")["similarity"].iloc[0] == pytest.approx(
        np.mean([np.corrcoef(r[keep], side.in_language("Chinese")[0][keep])[0, 1]
                 for r in china.ratings]))


def test_shuffle_tests_count_the_shuffles_as_far_from_zero(synthetic_canonical: Path) -> None:
    groups, side = _groups_and_side(synthetic_canonical, "respondent")
    scores = baseline_scores(MFQ2, groups, side, draws=9)
    table = shuffle_tests(scores).query("metric == 'spearman'").set_index("llm")
    llm = str(np.asarray(side.names)[~side.is_human_mean][1])
    rows = scores.query("metric == 'spearman' and llm == @llm")
    by_nation = {n: rows[rows["nationality"] == n].set_index(["responder_type", "draw"])
                 ["similarity"] for n in ("China", "USA")}
    gap = by_nation["China"] - by_nation["USA"]
    own, shuffled = gap.loc[("llm", 0)], gap.loc["shuffled"]
    assert table.loc[llm, "gap"] == pytest.approx(own)
    assert table.loc[llm, "n_shuffles"] == 9
    assert table.loc[llm, "p_value"] == pytest.approx(
        (1 + (shuffled.abs() >= abs(own)).sum()) / 10)
    assert len(table) == (~side.is_human_mean).sum()


def test_shuffle_mean_test_averages_one_shuffle_of_each_llm_per_draw(
        synthetic_canonical: Path) -> None:
    groups, side = _groups_and_side(synthetic_canonical, "paper")
    scores = baseline_scores(MFQ2, groups, side, draws=7).query("metric == 'cosine_z'")
    row = shuffle_mean_test(scores).iloc[0]
    wide = scores.pivot_table(index=["responder_type", "llm", "draw"], columns="nationality",
                              values="similarity")
    gap = wide["China"] - wide["USA"]
    observed = gap.loc["llm"].mean()
    per_draw = gap.loc["shuffled"].groupby(level="draw").mean()
    assert row["mean_gap"] == pytest.approx(observed)
    assert row["n_draws"] == 7 and row["n_llms"] == (~side.is_human_mean).sum()
    assert row["shuffle_mean_gap"] == pytest.approx(per_draw.mean())
    assert row["p_value"] == pytest.approx((1 + (per_draw.abs() >= abs(observed)).sum()) / 8)


def test_wvs_ceilings_and_baselines_use_its_ten_point_scale(
        synthetic_canonical_with_wvs: Path) -> None:
    inputs = instrument_inputs(read_canonical(synthetic_canonical_with_wvs), WVS7, "paper")
    groups = tuple(m.varying(g) for g in inputs.humans)
    side = m.compared_side(inputs)
    scores = baseline_scores(WVS7, groups, side, draws=4)
    midpoint = scores.query("responder_type == 'midpoint' and metric == 'neg_mean_abs_diff'")
    for g in groups:
        value = midpoint.query("nationality == @g.nationality")["similarity"].iloc[0]
        assert value == pytest.approx(-np.abs(g.ratings - 5.5).mean())
    ceilings = ceiling_tables(groups, side, replicates=20, splits=5)["noise_ceilings"]
    assert set(ceilings["nationality"]) == {"China", "USA"}
    assert (ceilings["n_respondents"] == [len(g.ids) for g in groups for _ in range(3)]).all()
