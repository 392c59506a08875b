"""The chapter "How big is the gap?" states the numbers of the ceiling, baseline and centrality
tables of both respondent-id modes, each checked here by a plain computation on the CSV."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.report.conftest import RenderedBook
from tests.report.pages import page_of
from tests.report.test_measures_chapter import rows_of
from tests.report.test_quarto_book import NUMBERED_CAPTION

pytestmark = pytest.mark.slow

CHAPTER = "reports/gap-size.qmd"
MODES = {"respondent": Path("respondent"), "paper": Path()}
METRIC = "cosine_z"


def three(value: str) -> str:
    """Three decimals; a value that rounds to zero shows no sign."""
    return f"{round(float(value), 3) + 0:.3f}"


def cos(value: str) -> str:
    """Three decimals without the leading zero, negative values too."""
    text = three(value)
    return text.replace("0.", ".", 1) if text.startswith(("0.", "-0.")) else text


def interval(low: str, high: str, form=three) -> str:
    return f"[{form(low)}, {form(high)}]"


def p_words(value: str) -> str:
    p = float(value)
    return "p < .001" if p < 0.001 else f"p = {cos(value)}"


def share(row: dict[str, str]) -> str:
    return f"{100 * float(row['share_closer_to_usa']):.0f}%"


def mode_tables(book: RenderedBook, mode: str) -> Path:
    return book.outputs.results / MODES[mode] / "mfq2"


def metric_rows(book: RenderedBook, mode: str, file: str) -> list[dict[str, str]]:
    """The rows of the measure the chapter's sentences speak of."""
    return [r for r in rows_of(mode_tables(book, mode) / file) if r["metric"] == METRIC]


def text_of(book: RenderedBook) -> str:
    return book.page(CHAPTER).text.replace("’", "'")  # typographic apostrophes


def second_adjective(book: RenderedBook) -> str:
    manifest = json.loads((book.outputs.results / "manifest.json").read_text("utf-8"))
    contract = manifest.get("contract", manifest)
    return contract["nation_adjectives"][contract["nations"][1]]


def test_the_chapter_follows_the_measures_chapter_in_the_sidebar(book: RenderedBook) -> None:
    chapters = book.chapters
    assert chapters.index(CHAPTER) == chapters.index("reports/measures.qmd") + 1
    assert page_of(CHAPTER) in book.page(CHAPTER).sidebar
    assert "How big is the gap?" in book.page(CHAPTER).headings[0]


def test_the_baseline_figures_are_numbered_for_both_modes(book: RenderedBook) -> None:
    figures = {f.identifier: f for f in book.page(CHAPTER).figures}
    for mode in MODES:
        figure = figures[f"fig-gap-baselines-mfq2-{mode}"]
        assert NUMBERED_CAPTION.match(figure.caption), figure.caption
        assert figure.images


@pytest.mark.parametrize("mode", list(MODES))
def test_chance_sentences_are_the_baseline_tables(book: RenderedBook, mode: str) -> None:
    text = text_of(book)
    baselines = rows_of(mode_tables(book, mode) / "baseline_gaps.csv")
    # Responders with no value under the cosine are shown under the first measure scoring them.
    constant = {r["responder_type"] for r in baselines} - {
        r["responder_type"] for r in baselines if r["metric"] == METRIC}
    scoring = [r["metric"] for r in baselines if r["responder_type"] in constant]
    for metric in [METRIC, *scoring[:1]]:
        [llm] = [r for r in baselines if r["responder_type"] == "llm" and r["metric"] == metric]
        assert (f"respondents) is {three(llm['mean_gap'])}; {share(llm)} of the LLMs' profiles"
                in text)
        for row in baselines:
            if row["metric"] == metric and row["responder_type"] not in ("llm", "human_mean"):
                name = row["responder_type"].replace("_", " ")
                assert f"{name} {three(row['mean_gap'])} ({share(row)} of profiles" in text
    [test] = metric_rows(book, mode, "shuffle_mean_test.csv")
    inside = float(test["shuffle_gap_low"]) <= float(test["mean_gap"]) <= float(
        test["shuffle_gap_high"])
    verdict = "survives" if float(test["p_value"]) < 0.05 else "does not survive"
    assert (f"({int(test['n_draws']):,} draws) gives a mean gap of "
            f"{cos(test['shuffle_mean_gap'])} (95% of draws in "
            f"{interval(test['shuffle_gap_low'], test['shuffle_gap_high'], cos)}); the LLMs' "
            f"mean gap of {cos(test['mean_gap'])} lies {'inside' if inside else 'outside'} that "
            f"range (permutation {p_words(test['p_value'])}): the gap {verdict}") in text


@pytest.mark.parametrize("mode", list(MODES))
def test_ceiling_sentences_are_the_ceiling_tables(book: RenderedBook, mode: str) -> None:
    text = text_of(book)
    for row in rows_of(mode_tables(book, mode) / "noise_ceilings.csv"):
        assert (f"{cos(row['ceiling'])} {interval(row['conf_low'], row['conf_high'], cos)}"
                " for") in text
    summary = [r for r in rows_of(mode_tables(book, mode) / "ceiling_gap_summary.csv")
               if r["llm_group"] == "all"]
    assert {r["scale"] for r in summary} == {"share_of_ceiling", "disattenuated"}
    for row in summary:
        low, high = float(row["conf_low"]), float(row["conf_high"])
        verdict = "survives" if high < 0 or low > 0 else "does not survive"
        sentence = (f"the mean gap over the {row['n_llms']} LLMs is "
                    f"{three(row['mean_gap_relative'])} (95% CI "
                    f"{interval(row['conf_low'], row['conf_high'])}; raw "
                    f"{three(row['mean_gap_raw'])}); {row['n_llms_closer_to_usa']} of "
                    f"{row['n_llms']} LLMs are closer to {second_adjective(book)} respondents "
                    f"on this scale: the gap {verdict}")
        # Each scale speaks of one measure: the cosine where the scale has it, else its first.
        of_scale = [r["metric"] for r in summary if r["scale"] == row["scale"]]
        if row["metric"] == (METRIC if METRIC in of_scale else of_scale[0]):
            assert sentence in text


@pytest.mark.parametrize("mode", list(MODES))
def test_centre_sentences_are_the_centrality_tables(book: RenderedBook, mode: str) -> None:
    text = text_of(book)
    for row in metric_rows(book, mode, "centrality_usa_vs_world.csv"):
        if row["llm_group"] != "all":
            continue
        assert (f"Prompted in {row['language']}, the LLMs' similarity to "
                f"{second_adjective(book)} respondents minus their similarity to the world mean "
                f"profile is {three(row['mean_usa_minus_world'])} on average (95% CI "
                f"{interval(row['conf_low'], row['conf_high'])}, t({float(row['df']):.0f}), "
                f"{p_words(row['p_value'])}); {row['n_llms_closer_to_usa']} of "
                f"{row['n_llms']} LLMs") in text
    fit = {r["term"]: r for r in metric_rows(book, mode, "centrality_regression.csv")
           if r["fit"] == "mean_over_llms" and r["llm_group"] == "all"}
    centrality, usa = fit["centrality"], fit["usa_similarity"]
    centrality_ci = interval(centrality["conf_low"], centrality["conf_high"])
    assert (f"changes by {three(centrality['estimate'])} per SD of the country's similarity to the "
            f"world mean profile (95% CI {centrality_ci}, {p_words(centrality['p_value'])})"
            ) in text
    assert f"and by {three(usa['estimate'])} per SD of its similarity to" in text
    correlation = float(centrality["predictor_correlation"])
    caveat = "hardly tell them apart" if abs(correlation) >= 0.7 else "separate them"
    assert (f"correlate at r = {cos(centrality['predictor_correlation'])} across the countries, "
            f"so the model can {caveat}") in text


@pytest.mark.parametrize("mode", list(MODES))
def test_invariant_items_sentence_is_the_headline_table(book: RenderedBook, mode: str) -> None:
    rows = {r["items"]: r for r in metric_rows(book, mode, "invariant_items_headline.csv")}
    kept, every = rows["invariant"], rows["all"]
    assert (f"the mean gap is {cos(kept['mean_gap'])} ({kept['n_llms_closer_to_china']} of "
            f"{kept['n_llms']} LLMs closer to") in text_of(book)
    assert (f"against {cos(every['mean_gap'])} on all items ({every['n_llms_closer_to_china']} "
            f"of {every['n_llms']})") in text_of(book)
    assert (f"is {three(kept['origin_x_nationality'])} (95% CI "
            f"{interval(kept['conf_low'], kept['conf_high'])}, {p_words(kept['p_value'])}) "
            f"against {three(every['origin_x_nationality'])} on all items") in text_of(book)


def test_only_tables_that_need_absent_respondents_are_missing(book: RenderedBook) -> None:
    """Every MFQ-2 table is shown; a WVS-7 table is missing only without the WVS-7 results, and
    its note names the file and the command that writes it."""
    for note in book.page(CHAPTER).missing_notes:
        [path] = [word for word in note.split() if word.startswith("results/")]
        assert "/wvs7" in path or path.split("/")[-1].startswith("wvs7"), note
        folder = book.outputs.results / ("respondent" if "/respondent/" in path else "")
        assert not (folder / "wvs7" / "rq1_ols.csv").exists(), note
        assert not (book.outputs.results.parent / path).exists(), note
        assert "It is written by Rscript R/analysis/run.R." in note
