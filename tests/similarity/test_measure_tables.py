"""The measure tables on the release and on synthetic data: cosine_z agrees with the rq1 table,
identities hold per LLM, placement ranks and the missing-item rule."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pyreadr
import pytest
from collect.cli import app
from collect.data.published import LANGUAGES, PERSONAS
from collect.data.reference import CountryMeans
from collect.similarity.countries import country_placement, foundation_means
from collect.similarity.inputs import LlmRatings, read_canonical
from collect.similarity.measure_tables import measure_tables
from collect.similarity.run import build_instrument, run_similarity
from collect.vocab import MFQ2, WVS7
from typer.testing import CliRunner

from tests.similarity import reference as ref


@pytest.fixture(scope="module")
def release_tables(canonical_dir: Path, fetched_release: Path) -> dict[str, pd.DataFrame]:
    return measure_tables(read_canonical(canonical_dir), MFQ2, "paper", ("spearman",),
                          external=fetched_release)


@pytest.fixture(scope="module")
def release_rq1(canonical_dir: Path) -> pd.DataFrame:
    build = build_instrument(read_canonical(canonical_dir), MFQ2, "paper")
    return next(o.table for o in build.outcomes if o.analysis.name == "rq1")


def test_cosine_z_summary_is_the_rq1_tables_mean_cosine(release_tables, release_rq1) -> None:
    mine = release_tables["metric_llm"].query("metric == 'cosine_z'")
    theirs = (release_rq1.groupby(["llm", "nationality"], observed=True)["cosine"]
              .agg(["mean", "size"]).reset_index())
    merged = mine.merge(theirs, on=["llm", "nationality"], validate="one_to_one")
    assert len(merged) == len(mine) == 44  # 20 LLMs + 2 human means, two nationalities
    assert np.abs(merged["similarity"] - merged["mean"]).max() < 1e-12
    assert (merged["n"] == merged["size"]).all()


def test_contributions_sum_to_each_llms_gap(release_tables) -> None:
    gaps = (release_tables["metric_llm"].query("metric == 'cosine_z'")
            .pivot(index="llm", columns="nationality", values="similarity"))
    sums = release_tables["contributions"].groupby("llm")["contribution_to_gap"].sum()
    assert np.abs(sums - (gaps["China"] - gaps["USA"]).loc[sums.index]).max() < 1e-12
    assert set(release_tables["contributions"]["unit"]) == {
        "Care", "Equality", "Proportionality", "Loyalty", "Authority", "Purity"}


def test_alignment_rows_multiply_to_the_mean_cosine(release_tables) -> None:
    a = release_tables["alignment"]
    assert np.abs(a["coherence"] * a["alignment"] - a["mean_cosine"]).max() < 1e-12
    c = release_tables["coherence"]
    assert sorted(zip(c["respondent_ids"], c["nationality"], strict=True)) == [
        ("paper", "China"), ("paper", "USA"), ("respondent", "China"), ("respondent", "USA")]
    assert c["coherence"].between(0, 1).all()


def test_spearman_rq1_table_matches_the_reference_per_pair(canonical_dir, release_tables
                                                           ) -> None:
    table = release_tables["rq1_spearman"]
    frames = read_canonical(canonical_dir)
    humans = frames.humans.query("instrument == 'mfq2' and nationality == 'USA'")
    first = humans[humans["paper_id"] == 1].sort_values("item")["rating"].to_numpy(float)
    llm = frames.ratings.query("instrument == 'mfq2' and model == 'gpt-4o' and "
                               "language == 'English' and persona == 'none'")
    llm_vector = llm.sort_values("item")["mean"].to_numpy(float)
    row = table.query("nationality == 'USA' and respondent == 1 and llm == 'gpt-4o'")
    assert row["cosine"].item() == pytest.approx(ref.spearman(first, llm_vector), abs=1e-12)


def test_placement_includes_study_nations_from_the_respondents(canonical_dir, release_tables
                                                               ) -> None:
    profiles = release_tables["country_profiles"]
    assert profiles["country"].nunique() == 21
    frames = read_canonical(canonical_dir)
    china = frames.humans.query("instrument == 'mfq2' and nationality == 'China'")
    care = china[(china["item"] - 1) % 6 == 0]["rating"].mean()
    got = profiles.query("country == 'China' and unit == 'Care'")["mean"].item()
    assert got == pytest.approx(care, abs=1e-12)
    placement = release_tables["placement"]
    ranks = placement.groupby(["llm", "language", "persona", "metric"])["rank"]
    assert (ranks.min() == 1).all() and (ranks.max() == 21).all() and (ranks.nunique() == 21).all()


def test_placement_ranks_by_similarity_and_compares_missing_items_on_what_was_asked() -> None:
    countries = CountryMeans(
        WVS7.name, tuple(str(i) for i in WVS7.items), ("A", "B", "C"),
        np.array([np.linspace(1, 10, 19), np.linspace(10, 1, 19), np.linspace(1, 10, 19)]),
        "synthetic")
    countries.means[2, 3] = np.nan  # C was not asked Q180
    means = np.full((1, len(LANGUAGES), len(PERSONAS), 19), np.nan)
    profile = np.linspace(1, 10, 19) + np.sin(np.arange(19))
    means[0, 0, 0] = profile
    table = country_placement(countries, LlmRatings(("m",), ("USA",), means), WVS7)
    assert set(table["persona"]) == {"none"}  # incomplete conditions are left out
    cos = table.query("metric == 'cosine_z'").set_index("country")
    assert cos.loc["A", "similarity"] == pytest.approx(ref.pearson(profile,
                                                                   countries.means[0]))
    assert cos.loc["B", "rank"] == 3
    asked = ~np.isnan(countries.means[2])
    assert cos.loc["C", "similarity"] == pytest.approx(
        ref.pearson(profile[asked], countries.means[2, asked]))
    assert cos.loc["C", "n_units"] == 18
    euclid = table.query("metric == 'neg_euclidean'").set_index("country")
    assert euclid.loc["C", "similarity"] == pytest.approx(
        -ref.euclidean(profile[asked], countries.means[2, asked]) * np.sqrt(19 / 18))
    assert not table["similarity"].isna().any()


def test_foundation_means_average_six_items() -> None:
    items = np.arange(1, 37, dtype=float)[None, :]
    np.testing.assert_allclose(foundation_means(items, MFQ2.items)[0],
                               [16, 17, 18, 19, 20, 21])


def test_run_similarity_writes_the_measure_tables_for_both_instruments(
        synthetic_canonical_with_wvs: Path, fetched_release: Path, tmp_path: Path) -> None:
    out = tmp_path / "derived"
    entries = run_similarity(synthetic_canonical_with_wvs, out, "respondent", ["mfq2", "wvs7"],
                             tmp_path / "absent.csv", say=lambda _: None,
                             metrics=("neg_mean_abs_diff",), external=fetched_release)
    for instrument in ("mfq2", "wvs7"):
        written = entries[instrument]["measure_tables"]
        assert {"metric_llm", "coherence", "contributions", "placement",
                "rq1_neg_mean_abs_diff"} <= set(written)
        read = {name: pyreadr.read_r(out / "respondent" / instrument / f"{name}.rds")[None]
                for name in ("metric_llm", "contributions", "rq1_neg_mean_abs_diff")}
        contributions = read["contributions"]
        cos = read["metric_llm"].query("metric == 'cosine_z'")
        gaps = cos.pivot(index="llm", columns="nationality", values="similarity")
        sums = contributions.groupby("llm", observed=True)["contribution_to_gap"].sum()
        assert np.abs(sums - (gaps["China"] - gaps["USA"]).loc[sums.index]).max() < 1e-12
        units = contributions["unit"].astype(str).unique()
        assert len(units) == (6 if instrument == "mfq2" else 19)
        mad = read["rq1_neg_mean_abs_diff"]
        summary = read["metric_llm"].query("metric == 'neg_mean_abs_diff'")
        means = mad.groupby(["llm", "nationality"], observed=True)["cosine"].mean()
        merged = summary.set_index(["llm", "nationality"])["similarity"]
        assert np.abs(means - merged.loc[means.index]).max() < 1e-12
        assert (mad["cosine"] <= 0).all()


def test_cli_metric_option_writes_per_measure_tables_and_refuses_unknown_ones(
        synthetic_canonical: Path, tmp_path: Path) -> None:
    out = tmp_path / "derived"
    base = ["similarity", "--instrument", "mfq2", "--canonical", str(synthetic_canonical),
            "--out", str(out)]
    done = CliRunner().invoke(app, [*base, "--metric", "spearman", "--metric", "neg_euclidean"])
    assert done.exit_code == 0, done.output
    written = {p.stem for p in (out / "paper" / "mfq2").glob("rq1_*.rds")}
    assert written == {"rq1_spearman", "rq1_neg_euclidean"}
    bad = CliRunner().invoke(app, [*base, "--metric", "cosine"])
    assert bad.exit_code != 0
    assert "--metric takes a pair measure" in bad.output
