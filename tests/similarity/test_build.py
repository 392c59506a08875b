"""The four analyses on synthetic inputs, checked against a per-pair reference."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from collect.data.published import LANGUAGE_OF_NATION, NATIONS
from collect.similarity.analyses import WvsNoPersona, analyses_for
from collect.similarity.build import build_analysis, standardise
from collect.similarity.inputs import inputs_from_frames
from collect.vocab import MFQ2, WVS7, Instrument, mfq2_foundation

from tests.similarity.reference import centred_cosine, concatenated_cosine
from tests.similarity.synthetic import (
    ORIGINS,
    human_frame,
    llm_frame,
    models_frame,
    random_means,
    random_ratings,
)

SIZES = {"China": 4, "USA": 3}


def build_all(instrument: Instrument, ratings: dict[str, np.ndarray],
              means: dict[tuple[str, str, str], np.ndarray], ids: str = "respondent",
              paper_ids: dict[str, np.ndarray] | None = None, origins: dict[str, str] = ORIGINS):
    inputs = inputs_from_frames(human_frame(instrument, ratings, paper_ids),
                                llm_frame(instrument, means), models_frame(origins), instrument,
                                ids)  # type: ignore[arg-type]
    groups = tuple(standardise(g) for g in inputs.humans)
    return {a.name: build_analysis(inputs, groups, a) for a in analyses_for(instrument)}


@pytest.fixture(params=[MFQ2, WVS7], ids=["mfq2", "wvs7"])
def study(request: pytest.FixtureRequest):
    instrument: Instrument = request.param
    rng = np.random.default_rng(11)
    ratings = random_ratings(instrument, rng, SIZES)
    means = random_means(instrument, rng)
    return instrument, ratings, means, build_all(instrument, ratings, means)


def row(table: pd.DataFrame, **where: object) -> pd.Series:
    mask = np.ones(len(table), dtype=bool)
    for column, value in where.items():
        mask &= (table[column] == value).to_numpy()
    assert mask.sum() == 1, where
    return table.loc[mask].iloc[0]


def test_rq1_pairs_each_respondent_with_own_language_llms_and_both_human_means(study) -> None:
    _, ratings, means, out = study
    table = out["rq1"].table
    n, m = sum(SIZES.values()), len(ORIGINS)
    assert len(table) == n * (m + 2)
    assert int(table["is_human_mean"].sum()) == 2 * n
    assert (table["language"] == table["nationality"].map(LANGUAGE_OF_NATION)).all()
    assert table["congruent_language"].all() and table["congruent_persona"].isna().all()
    for nation in NATIONS:
        language = LANGUAGE_OF_NATION[nation]
        for r in (1, SIZES[nation]):
            human = ratings[nation][r - 1]
            for model in ORIGINS:
                llm = means[(model, language, "none")]
                got = row(table, nationality=nation, respondent=r, llm=model)
                assert got["cosine"] == pytest.approx(centred_cosine(human, llm, llm.mean()))
                assert got["congruent_origin"] == (ORIGINS[model] == nation)
            for mean_of in NATIONS:
                item_means = ratings[mean_of].mean(axis=0)
                got = row(table, nationality=nation, respondent=r, llm=f"Human mean, {mean_of}")
                assert got["llm_origin"] == mean_of
                assert got["cosine"] == pytest.approx(
                    centred_cosine(human, item_means, item_means.mean()))


def test_rq2_covers_both_languages_and_personas_with_the_instruments_scaling(study) -> None:
    instrument, ratings, means, out = study
    table = out["rq2"].table
    assert len(table) == sum(SIZES.values()) * len(ORIGINS) * 2 * 2
    assert not table["is_human_mean"].any()
    for nation in NATIONS:
        human = ratings[nation][0]
        for model in ORIGINS:
            for language in ("English", "Chinese"):
                pair = [means[(model, language, p)] for p in ("China", "USA")]
                for persona, llm in zip(("China", "USA"), pair, strict=True):
                    # MFQ-2 (QUIRK): centred on the mean of both persona vectors
                    centre = np.concatenate(pair).mean() if instrument is MFQ2 else llm.mean()
                    got = row(table, nationality=nation, respondent=1, llm=model,
                              language=language, persona=persona)
                    assert got["cosine"] == pytest.approx(centred_cosine(human, llm, centre))
                    assert got["congruent_persona"] == (persona == nation)
                    assert got["congruent_language"] == (LANGUAGE_OF_NATION[nation] == language)


def removal_masks(instrument: Instrument) -> dict[str, np.ndarray]:
    items = np.array(instrument.items)
    if instrument is MFQ2:
        labels = np.array([mfq2_foundation(int(i)) for i in items])
        return {f: labels != f for f in ("Care", "Equality", "Proportionality", "Loyalty",
                                         "Authority", "Purity")}
    return {str(i): items != i for i in items}


def test_rq3_leaves_out_each_block_without_re_z_scoring(study) -> None:
    instrument, ratings, means, out = study
    table = out["rq3"].table
    masks = removal_masks(instrument)
    assert set(table["removed"]) == {"none", *masks}
    assert len(table) == sum(SIZES.values()) * len(ORIGINS) * (1 + len(masks))
    nation, model = "USA", "llm-cn-b"
    human, llm = ratings[nation][2], means[(model, "English", "none")]
    for label, keep in masks.items():
        got = row(table, nationality=nation, respondent=3, llm=model, removed=label)
        assert got["cosine"] == pytest.approx(centred_cosine(human, llm, llm.mean(), keep))
    none = table[table["removed"] == "none"].reset_index(drop=True)
    rq1 = out["rq1"].table
    rq1 = rq1[~rq1["is_human_mean"]].reset_index(drop=True)
    pd.testing.assert_series_equal(none["cosine"], rq1["cosine"])


def test_rq3_persona(study) -> None:
    instrument, ratings, means, out = study
    table = out["rq3_persona"].table
    masks = removal_masks(instrument)
    n, m = sum(SIZES.values()), len(ORIGINS)
    human = ratings["China"][1]
    model = "llm-us-a"
    if instrument is MFQ2:
        # QUIRK: one cosine per respondent x LLM x language over the 72-item concatenation
        assert len(table) == n * m * 2 * (1 + len(masks))
        assert set(table["persona"]) == {"both"} and table["congruent_persona"].isna().all()
        for label, keep in {"none": np.ones(36, dtype=bool), **masks}.items():
            pair = [means[(model, "English", p)] for p in ("China", "USA")]
            got = row(table, nationality="China", respondent=2, llm=model, language="English",
                      removed=label)
            assert got["cosine"] == pytest.approx(concatenated_cosine(human, pair, keep))
    else:
        assert len(table) == n * m * 2 * 2 * (1 + len(masks))
        llm = means[(model, "Chinese", "USA")]
        got = row(table, nationality="China", respondent=2, llm=model, language="Chinese",
                  persona="USA", removed="190")
        assert got["cosine"] == pytest.approx(
            centred_cosine(human, llm, llm.mean(), masks["190"]))


def test_no_table_holds_a_missing_value(study) -> None:
    for outcome in study[3].values():
        table = outcome.table.drop(columns="congruent_persona")
        assert not table.isna().any().any(), outcome.analysis.name
        assert table["cosine"].between(-1, 1).all()


def test_wvs_all_personas_variant_follows_the_released_scripts() -> None:
    rng = np.random.default_rng(21)
    ratings = random_ratings(WVS7, rng, SIZES)
    means = random_means(WVS7, rng)
    means[("llm-cn-b", "English", "China")][3] = np.nan  # drops it only in this variant
    inputs = inputs_from_frames(human_frame(WVS7, ratings), llm_frame(WVS7, means),
                                models_frame(), WVS7, "respondent")
    groups = tuple(standardise(g) for g in inputs.humans)
    out = {a.name: build_analysis(inputs, groups, a)
           for a in analyses_for(WVS7, WvsNoPersona.ALL_PERSONAS)}
    specified = {a.name: build_analysis(inputs, groups, a) for a in analyses_for(WVS7)}
    assert "llm-cn-b" in set(specified["rq1"].table["llm"])
    for name in ("rq1", "rq3"):
        assert [d.model for d in out[name].dropped_llms] == ["llm-cn-b"]
        assert "English/China: items 180" in out[name].dropped_llms[0].reason
    human = ratings["USA"][2]
    three = [means[("llm-us-b", "English", p)] for p in ("none", "China", "USA")]
    got = row(out["rq1"].table, nationality="USA", respondent=3, llm="llm-us-b")
    assert got["persona"] == "none"
    assert got["cosine"] == pytest.approx(
        centred_cosine(human, three[0], np.concatenate(three).mean()))
    rq3 = out["rq3"].table
    assert set(rq3["persona"]) == {"all"} and len(rq3) == 7 * 3 * 20
    for label, keep in {"none": np.ones(19, dtype=bool), **removal_masks(WVS7)}.items():
        got = row(rq3, nationality="USA", respondent=3, llm="llm-us-b", removed=label)
        assert got["cosine"] == pytest.approx(concatenated_cosine(human, three, keep))
