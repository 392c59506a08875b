"""The mixed-effects chapter and the overview's headline, checked against the result tables of
the true-respondent run: every number and verdict the prose gives must follow from the CSVs."""

from __future__ import annotations

import csv
import re
from pathlib import Path

import pytest

from tests.report.conftest import RenderedBook
from tests.report.pages import BookPage, Table

pytestmark = pytest.mark.slow

ALPHA = 0.05
CHAPTER = "reports/mixed-effects.html"


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def primary(book: RenderedBook, file: str) -> list[dict[str, str]]:
    return read_csv(book.outputs.results / "respondent" / "mfq2" / file)


def row(rows: list[dict[str, str]], **match: str) -> dict[str, str]:
    [found] = [r for r in rows if all(r[k] == v for k, v in match.items())]
    return found


def num(value: str | float, digits: int = 3) -> str:
    text = f"{round(float(value), digits) + 0:.{digits}f}"
    return "0." + "0" * digits if text == "-0." + "0" * digits else text


def p_cell(value: str | float) -> str:
    p = float(value)
    return "< .001" if p < 0.001 else re.sub(r"^(-?)0\.", r"\1.", num(p))


def p_prose(value: str | float, label: str = "p") -> str:
    cell = p_cell(value)
    return f"{label} {cell}" if cell.startswith("<") else f"{label} = {cell}"


def df_text(value: str | float) -> str:
    df = float(value)
    if df >= 100 or abs(df - round(df)) < 1e-9:
        return f"{round(df):,}"
    return f"{df:.1f}"


def stats_text(r: dict[str, str], p_column: str = "p_value", label: str = "p") -> str:
    return (f"b = {num(r['estimate'])}, SE = {num(r['std_error'])}, "
            f"t({df_text(r['df'])}) = {num(r['statistic'], 2)}, {p_prose(r[p_column], label)}")


def chapter(book: RenderedBook) -> BookPage:
    return book.pages[CHAPTER]


def text_of(page: BookPage) -> str:
    """The page's text with pandoc's typographic apostrophes made plain."""
    return page.text.replace("\u2019", "'")


def one_table(page: BookPage, words: str) -> Table:
    [table] = page.tables_captioned(words)
    return table


def test_nationality_verdict_and_numbers_follow_the_mixed_model(book: RenderedBook) -> None:
    gap = row(primary(book, "rq1_lmm.csv"), term="chinese_participant")
    text = text_of(chapter(book))
    assert stats_text(gap) in text
    survives = float(gap["p_value"]) < ALPHA
    assert ("The nationality gap survives." in text) == survives
    assert ("The nationality gap does not survive." in text) == (not survives)
    if survives:
        closer = "American" if float(gap["estimate"]) < 0 else "Chinese"
        assert f"resemble {closer} respondents more than" in text


def origin_verdict(lmm: dict[str, str], llm: dict[str, str]) -> str:
    p = [float(lmm["p_value"]), float(llm["p_value"]), float(llm["p_permutation"])]
    if all(x >= ALPHA for x in p):
        return "The effect of an LLM's origin does not survive."
    if all(x < ALPHA for x in p):
        return "answer " + ("less" if float(lmm["estimate"]) < 0 else "more")
    return "The tests of an LLM's origin disagree"


@pytest.mark.parametrize("page_name", [CHAPTER, "index.html"])
def test_origin_verdict_follows_the_llm_level_tests(book: RenderedBook, page_name: str) -> None:
    lmm = row(primary(book, "rq1_lmm.csv"), term="chinese_origin")
    llm = row(primary(book, "llm_level.csv"), analysis="rq1", term="chinese_origin")
    paper_ols = row(read_csv(book.outputs.results / "mfq2" / "rq1_ols.csv"),
                    term="chinese_origin")
    text = text_of(book.pages[page_name])
    assert origin_verdict(lmm, llm) in text
    assert f"mixed model: {stats_text(lmm)}" in text
    assert (f"t({df_text(llm['df'])}) = {num(llm['statistic'], 2)}, {p_prose(llm['p_value'])}, "
            f"permutation {p_prose(llm['p_permutation'])}") in text
    assert f"gives {p_prose(paper_ols['p_value'])} for the same effect" in text


def test_llm_level_table_shows_every_origin_term_of_rq1_and_rq2(book: RenderedBook) -> None:
    rows = [r for r in primary(book, "llm_level.csv") if r["analysis"] in ("rq1", "rq2")]
    loo = primary(book, "llm_level_loo.csv")
    table = one_table(chapter(book), "tested on the LLMs")
    header, *shown = table.rows
    assert len(shown) == len(rows)
    column = {name: header.index(name) for name in header}
    for expected, cells in zip(rows, shown, strict=True):
        assert cells[column["Question"]] == expected["analysis"].upper()
        assert cells[column["Estimate"]] == num(expected["estimate"])
        assert cells[column["p"]] == p_cell(expected["p_value"])
        assert cells[column["Permutation p"]] == p_cell(expected["p_permutation"])
        assert cells[column["Bootstrap SE"]] == num(expected["boot_se"])
        left_out = [float(r["p_value"]) for r in loo
                    if r["analysis"] == expected["analysis"] and r["term"] == expected["term"]]
        assert cells[column["p, one LLM left out"]] == (
            f"{p_cell(min(left_out))} to {p_cell(max(left_out))}")


def test_rq3_table_and_sentence_use_holm_within_families(book: RenderedBook) -> None:
    comparison = primary(book, "rq3_ols_vs_lmm.csv")
    table = one_table(chapter(book), "MFQ-2 RQ3, true respondents")
    header, *shown = table.rows
    assert len(shown) == len(comparison)
    family = header.index("Family")
    holm = header.index("Mixed p (Holm)")
    for expected, cells in zip(comparison, shown, strict=True):
        assert cells[family] == expected["family"]
        assert cells[holm] == p_cell(expected["lmm_p_adjusted"])
    lmm = primary(book, "rq3_lmm.csv")
    text = text_of(chapter(book))
    meanings = {
        "nationality x removal": "the gap between Chinese and American respondents",
        "origin x removal": "the difference between Chinese and American LLMs",
        "nationality x origin x removal": "how that respondent gap differs between LLM origins",
    }
    for name, meaning in meanings.items():
        members = [r for r in lmm if r["family"] == name]
        kept = [r for r in members if float(r["p_adjusted"]) < ALPHA]
        if not kept:
            assert f"changes {meaning} detectably (0 of {len(members)})" in text
            continue
        names = [r["term"].rsplit("removed", 1)[1] for r in kept]
        units = names[0] if len(names) == 1 else ", ".join(names[:-1]) + " or " + names[-1]
        adjusted = ", ".join(p_prose(r["p_adjusted"], "Holm p") for r in kept)
        assert f"removing {units} changes {meaning} ({len(kept)} of {len(members)}: " \
               f"{adjusted})" in text


def test_what_changes_calls_rq3_terms_significant_only_after_holm(book: RenderedBook) -> None:
    text = text_of(chapter(book))
    match = re.search(r"MFQ-2 RQ3 \(p Holm-adjusted within each family\)\. Significant "
                      r"\(p < \.05\) under both: (.*?)\. Significant under OLS only", text)
    assert match, "the RQ3 summary names its adjustment"
    comparison = primary(book, "rq3_ols_vs_lmm.csv")
    both = [r["term"] for r in comparison if r["term"] != "(Intercept)"
            and float(r["ols_p_adjusted"]) < ALPHA and float(r["lmm_p_adjusted"]) < ALPHA]
    shown = [] if match.group(1) == "none" else match.group(1).split("; ")
    assert len(shown) == len(both)


def test_diagnostics_show_no_lme4_internals(book: RenderedBook) -> None:
    table = one_table(chapter(book), "structure, fit and diagnostics")
    header, *rows = table.rows
    icc = header.index(next(h for h in header if h.startswith("ICC")))
    respondents = header.index("Respondents")
    for cells in rows:
        assert not re.search(r"respondent_key|llm\.\d|\bllm\b", cells[icc]), cells[icc]
        assert cells[respondents] != "0"


def test_effect_sizes_name_their_scale(book: RenderedBook) -> None:
    table = one_table(chapter(book), "within each LLM origin")
    header = table.rows[0]
    assert "b / SD of one cosine" in header
    assert not any("Standardised" in h for h in header)


def test_headline_figure_caption_names_the_model_behind_its_intervals(book: RenderedBook) -> None:
    figure = read_csv(book.outputs.results / "respondent" / "figures" /
                      "fig1_origin_by_nationality.csv")
    assert {r["interval"] for r in figure} == {"mixed_model"}
    text = text_of(book.pages["index.html"])
    assert "95% CI from the RQ1 mixed model's estimated cell means" in text
    low, high = min(float(r["df"]) for r in figure), max(float(r["df"]) for r in figure)
    assert f"df {df_text(low)} to {df_text(high)}" in text
    assert book.pages["index.html"].images


def test_rq2_comparison_and_candidate_tables_follow_the_csvs(book: RenderedBook) -> None:
    comparison = primary(book, "rq2_ols_vs_lmm.csv")
    table = one_table(chapter(book), "MFQ-2 RQ2, true respondents: OLS and mixed model")
    header, *shown = table.rows
    assert header[:3] == ["Term", "OLS estimate", "OLS SE"]
    assert len(shown) == len(comparison)
    for expected, cells in zip(comparison, shown, strict=True):
        assert cells[header.index("Mixed estimate")] == num(expected["lmm_estimate"])
        assert cells[header.index("Mixed SE")] == num(expected["lmm_std_error"])
        assert cells[header.index("Mixed p")] == p_cell(expected["lmm_p_value"])

    selection = primary(book, "lmm_selection.csv")
    candidates = one_table(chapter(book), "candidate random-effects structures")
    shown_rows = [(r[0], r[1], r[6]) for r in candidates.rows[1:]]
    expected_rows = [(r["model"], r["structure"], r["chosen"].upper()) for r in selection
                     if r["model"] in ("rq1_lmm", "rq2_lmm")]
    assert shown_rows == expected_rows
