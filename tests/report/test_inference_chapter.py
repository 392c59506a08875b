"""The mixed-effects chapter and the overview's headline, checked against the result tables of
the true-respondent run: every number and verdict the prose gives must follow from the CSVs."""

from __future__ import annotations

import csv
import re
import shutil
from pathlib import Path

import pytest

from tests.report.conftest import RenderedBook, render_chapter
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


def rows_shown(book: RenderedBook, caption: str,
               expected: list[dict[str, str]]) -> list[tuple[dict[str, str], dict[str, str]]]:
    """Each expected CSV row with the cells of its table row, by column name (one row each)."""
    header, *shown = one_table(chapter(book), caption).rows
    assert len(shown) == len(expected)
    return [(want, dict(zip(header, cells, strict=True)))
            for want, cells in zip(expected, shown, strict=True)]


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


def origin_verdict(llm: dict[str, str]) -> str:
    """The verdict rests on the primary test alone."""
    if float(llm["p_primary"]) >= ALPHA:
        return "The effect of an LLM's origin does not survive."
    return "answer " + ("less" if float(llm["primary_estimate"]) < 0 else "more")


def units(unit: str) -> str:
    return "LLMs" if unit == "llm" else f"{unit}s"


def primary_prose(llm: dict[str, str]) -> str:
    welch = float(llm["primary_estimate"]) / float(llm["primary_std_error"])
    return (f"primary test, {llm['primary_test']}, {llm['n_units_first']} Chinese against "
            f"{llm['n_units_second']} American {units(llm['primary_unit'])}: "
            f"b = {num(llm['primary_estimate'])}, SE = {num(llm['primary_std_error'])}, "
            f"Welch t({df_text(llm['primary_df'])}) = {num(welch, 2)}, "
            f"{p_prose(llm['p_primary'])}")


@pytest.mark.parametrize("page_name", [CHAPTER, "index.html"])
def test_origin_verdict_follows_the_primary_test(book: RenderedBook, page_name: str) -> None:
    lmm = row(primary(book, "rq1_lmm.csv"), term="chinese_origin")
    llm = row(primary(book, "llm_level.csv"), analysis="rq1", term="chinese_origin")
    paper_ols = row(read_csv(book.outputs.results / "mfq2" / "rq1_ols.csv"),
                    term="chinese_origin")
    text = text_of(book.pages[page_name])
    assert origin_verdict(llm) in text
    assert primary_prose(llm) in text
    if llm["primary_unit"] == "llm":
        assert f"the test falls back to the LLMs as units: {llm['primary_note']}" in text
    assert f"mixed model: {stats_text(lmm)}" in text
    assert (f"t({df_text(llm['df'])}) = {num(llm['statistic'], 2)}, {p_prose(llm['p_value'])}, "
            f"permutation {p_prose(llm['p_permutation'])}") in text
    if llm["p_maker_model"]:
        assert f"(1 | maker) model check: {p_prose(llm['p_maker_model'])}" in text
    assert f"gives {p_prose(paper_ols['p_value'])} for the same effect" in text


def test_origin_congruence_verdict_follows_the_primary_holm_p(book: RenderedBook) -> None:
    rq2 = row(primary(book, "rq2_lmm.csv"), term="congruent_origin")
    text = text_of(chapter(book))
    p = float(rq2["p_primary_adjusted"])
    effect = ("makes no detectable difference" if p >= ALPHA else
              "raises similarity" if float(rq2["primary_estimate"]) > 0 else "lowers similarity")
    assert (f"an LLM made in the respondent's country {effect} (primary test over "
            f"{units(rq2['primary_unit'])}: b = {num(rq2['primary_estimate'])}, ") in text
    assert f"{p_prose(rq2['p_primary_adjusted'], 'Holm p')}; mixed model: " in text


def test_llm_level_table_shows_every_origin_term_of_rq1_and_rq2(book: RenderedBook) -> None:
    rows = [r for r in primary(book, "llm_level.csv") if r["analysis"] in ("rq1", "rq2")]
    loo = primary(book, "llm_level_loo.csv")
    header = one_table(chapter(book), "tested on the LLMs").rows[0]
    assert header.index("Primary p") < header.index("p"), "the primary test comes first"
    for expected, cells in rows_shown(book, "tested on the LLMs", rows):
        assert cells["Question"] == expected["analysis"].upper()
        assert cells["Primary unit"] == units(expected["primary_unit"])
        assert cells["Primary estimate"] == num(expected["primary_estimate"])
        assert cells["Primary 95% CI"] == (
            f"[{num(expected['primary_conf_low'])}, {num(expected['primary_conf_high'])}]")
        assert cells["Primary p"] == p_cell(expected["p_primary"])
        assert cells["Primary Welch p"] == p_cell(expected["p_primary_welch"])
        assert cells["Estimate"] == num(expected["estimate"])
        assert cells["p"] == p_cell(expected["p_value"])
        assert cells["Permutation p"] == p_cell(expected["p_permutation"])
        assert cells["Bootstrap SE"] == num(expected["boot_se"])
        assert cells["(1 | maker) model p"] == (
            p_cell(expected["p_maker_model"]) if expected["p_maker_model"] else "")
        left_out = [float(r["p_value"]) for r in loo
                    if r["analysis"] == expected["analysis"] and r["term"] == expected["term"]]
        assert cells["p, one LLM left out"] == (
            f"{p_cell(min(left_out))} to {p_cell(max(left_out))}")


VERDICT_WORDS = {
    "different": "different from zero",
    "equivalent": "equivalent to zero within the smallest effect of interest",
    "inconclusive": "neither different from zero nor shown equivalent",
}


def test_equivalence_paragraph_and_table_follow_equivalence_csv(book: RenderedBook) -> None:
    rows = primary(book, "equivalence.csv")
    assert rows, "every origin term has an equivalence row"
    text = text_of(chapter(book))
    nulls = [r for r in rows if r["verdict"] != "different"]
    first = rows[0]
    assert (f"The smallest effect of interest (SESOI) is {num(first['sesoi'])} on the "
            f"{first['scale']} scale ({first['sesoi_basis']}; the nationality gap is "
            f"{num(first['nationality_gap'])}). {len(nulls)} of the {len(rows)} origin terms "
            "are not different from zero") in text
    for r in nulls:
        if r["analysis"] == "rq3":
            continue
        assert (f"effects beyond ±{num(r['rules_out_beyond'])} are ruled out (95% CI "
                f"[{num(r['conf_low_95'])}, {num(r['conf_high_95'])}]); 90% CI "
                f"[{num(r['conf_low_90'])}, {num(r['conf_high_90'])}], TOST "
                f"{p_prose(r['p_tost'])}, so {VERDICT_WORDS[r['verdict']]}; 80% power only "
                f"for effects of {num(r['mde_80'])} or more") in text
        bound = max(abs(float(r["conf_low_95"])), abs(float(r["conf_high_95"])))
        assert abs(bound - float(r["rules_out_beyond"])) < 1e-9
    rq3 = [r for r in nulls if r["analysis"] == "rq3"]
    if rq3:
        beyond = [float(r["rules_out_beyond"]) for r in rq3]
        assert (f"RQ3 ({len(rq3)} terms): effects beyond ±{num(min(beyond))} to "
                f"±{num(max(beyond))} are ruled out; "
                f"{sum(r['verdict'] == 'equivalent' for r in rq3)} of them equivalent") in text

    for expected, cells in rows_shown(book, "what the primary test of each origin term rules out",
                                      rows):
        assert cells["SESOI"] == num(expected["sesoi"])
        assert cells["SESOI basis"] == expected["sesoi_basis"]
        assert cells["90% CI"] == (
            f"[{num(expected['conf_low_90'])}, {num(expected['conf_high_90'])}]")
        assert cells["TOST p"] == p_cell(expected["p_tost"])
        assert cells["Rules out beyond ±"] == num(expected["rules_out_beyond"])
        assert cells["MDE (80% power)"] == num(expected["mde_80"])
        assert cells["Verdict"] == expected["verdict"]


def rate(value: str | float) -> str:
    return re.sub(r"^(-?)0\.", r"\1.", num(value))


def calibration_rows(book: RenderedBook) -> tuple[str, list[dict[str, str]]]:
    for name in ("calibration_full.csv", "calibration.csv"):
        path = book.outputs.results / name
        if path.exists():
            return name, read_csv(path)
    pytest.fail("the pipeline writes calibration.csv (make report)")


def test_calibration_paragraph_and_table_follow_the_calibration_csv(book: RenderedBook) -> None:
    name, rows = calibration_rows(book)
    text = text_of(chapter(book))
    used = [r for r in rows if r["book_uses"] == "TRUE"]
    wrong = [r for r in rows if r["book_uses"] == "FALSE"]
    assert used and wrong
    rates = [float(r["rejection_rate"]) for r in used]
    sets = sorted({int(r["n_sets"]) for r in rows})
    assert (f"On {'/'.join(f'{n:,}' for n in sets)} simulated data sets with no origin effect "
            f"(results/{name}), the tests the book uses reject a true null at .05 "
            f"{rate(min(rates))} to {rate(max(rates))} of the time ({len(used)} rows).") in text
    outside = [r for r in used if not 0.03 <= float(r["rejection_rate"]) <= 0.07]
    if outside:
        assert (f"Not every test the book uses is within [.03, .07]: {len(outside)} of "
                f"{len(used)} are outside") in text
    else:
        assert "Every test the book uses is within [.03, .07]." in text
    wrong_rates = [float(r["rejection_rate"]) for r in wrong]
    above = sum(rate > 0.07 for rate in wrong_rates)
    assert (f"reject {rate(min(wrong_rates))} to {rate(max(wrong_rates))} of the time "
            f"(above .07 for {above} of their {len(wrong)} rows)") in text

    for expected, cells in rows_shown(book, "Calibration: the rejection rate", rows):
        assert cells["Test"] == expected["test"]
        assert cells["Type-I error"] == num(expected["rejection_rate"])
        assert cells["Monte-Carlo 95% CI"] == (
            f"[{num(expected['mc_conf_low'])}, {num(expected['mc_conf_high'])}]")
        assert cells["Sets"] == f"{int(expected['n_sets']):,}"
        within = 0.03 <= float(expected["rejection_rate"]) <= 0.07
        assert cells["Within [.03, .07]"] == ("yes" if within else "no")
        assert cells["Book uses"] == ("yes" if expected["book_uses"] == "TRUE" else "no")


def test_missing_equivalence_and_calibration_tables_show_notes(
    book: RenderedBook, tmp_path: Path
) -> None:
    results = shutil.copytree(book.outputs.results, tmp_path / "results")
    (results / "respondent" / "mfq2" / "equivalence.csv").unlink()
    for name in ("calibration.csv", "calibration_full.csv"):
        (results / name).unlink(missing_ok=True)
    page = render_chapter("reports/mixed-effects.qmd", results, tmp_path / "rendered")
    notes = [" ".join(note.split()) for note in page.missing_notes]
    assert any("respondent/mfq2/equivalence.csv was not produced" in note
               and "Rscript R/analysis/run.R" in note for note in notes), notes
    assert any("calibration.csv was not produced" in note and "make calibrate" in note
               and "--calibration-sets" in note for note in notes), notes
    assert "the data rule out" not in page.text


def test_a_primary_test_on_the_llms_says_why(book: RenderedBook, tmp_path: Path) -> None:
    """Results of a study whose makers are unknown: the primary test falls back to the LLMs."""
    results = shutil.copytree(book.outputs.results, tmp_path / "results")
    path = results / "respondent" / "mfq2" / "llm_level.csv"
    rows = read_csv(path)
    note = f"makers unknown for {rows[0]['n_china_llms']} of {len(rows)} LLMs"
    for r in rows:
        r.update(primary_unit="llm", primary_note=note,
                 primary_test="exact permutation of origin over llms (Welch t)")
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    page = render_chapter("reports/mixed-effects.qmd", results, tmp_path / "rendered")
    text = page.text.replace("\u2019", "'")
    assert f"American LLMs: b = {num(rows[0]['primary_estimate'])}" in text
    assert f"the test falls back to the LLMs as units: {note}" in text
    [table] = page.tables_captioned("tested on the LLMs")
    header, *shown = table.rows
    assert {cells[header.index("Primary unit")] for cells in shown} == {"LLMs"}
    assert {cells[header.index("Note")] for cells in shown} == {note}


def test_the_full_calibration_is_shown_when_it_exists(book: RenderedBook, tmp_path: Path) -> None:
    """`make calibrate`'s 1,000 sets take precedence over the pipeline's smaller run."""
    results = shutil.copytree(book.outputs.results, tmp_path / "results")
    _, rows = calibration_rows(book)
    for r in rows:
        r.update(n_sets="1000", rejected=str(int(r["rejected"]) * 10))
    with (results / "calibration_full.csv").open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    page = render_chapter("reports/mixed-effects.qmd", results, tmp_path / "rendered")
    assert re.search(r"On 1,000 simulated data sets with no origin effect \(\S*"
                     r"/calibration_full\.csv\)", page.text)
    [table] = page.tables_captioned("Calibration: the rejection rate")
    header, *shown = table.rows
    assert {cells[header.index("Sets")] for cells in shown} == {"1,000"}


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


def test_rq2_congruence_table_shows_the_primary_test(book: RenderedBook) -> None:
    rows = primary(book, "emmeans_rq2_congruence.csv")
    for expected, cells in rows_shown(book, "congruent minus incongruent", rows):
        assert cells["p (Holm)"] == p_cell(expected["p_adjusted"])
        assert cells["Primary unit"] == units(expected["primary_unit"])
        assert cells["Primary estimate"] == num(expected["primary_estimate"])
        assert cells["Primary p"] == p_cell(expected["p_primary"])
        assert cells["Primary p (Holm)"] == p_cell(expected["p_primary_adjusted"])


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
