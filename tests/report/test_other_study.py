"""The book of another study: rendered from the results folder of a synthetic study (other nations,
languages, personas, models, makers, counts, title; tests/report/study_results.py), it names that
study and nothing of the shipped one."""

from __future__ import annotations

import json
import os
import re
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml
from collect.paths import ROOT

from tests.report.conftest import RENDER_SCRIPT, PipelineOutputs, run
from tests.report.pages import BookPage, read_pages
from tests.report.study_results import (
    EXTRA_MODEL,
    SHIPPED_NATIONS,
    read_csv,
    shipped_summary,
    synthetic_study,
)

pytestmark = pytest.mark.slow


@dataclass(frozen=True)
class OtherBook:
    results: Path
    study: dict[str, Any]
    pages: dict[str, BookPage]

    def text(self, page: str) -> str:
        return self.pages[page].text.replace("\u2019", "'")


def render(results: Path, folder: Path) -> dict[str, BookPage]:
    env = {**os.environ, "MORALIGN_RESULTS_DIR": str(results)}
    run(["Rscript", str(RENDER_SCRIPT), "--results", str(results), "--output-dir", str(folder)],
        env)
    return read_pages(folder)


def synthetic_results(outputs: PipelineOutputs, folder: Path) -> dict[str, Any]:
    return synthetic_study(outputs.results, folder, outputs.derived / "paper" / "manifest.json",
                           outputs.canonical / "models.csv")


@pytest.fixture(scope="module")
def other_book(pipeline_outputs: PipelineOutputs,
               tmp_path_factory: pytest.TempPathFactory) -> OtherBook:
    results = tmp_path_factory.mktemp("other") / "results"
    study = synthetic_results(pipeline_outputs, results)
    pages = render(results, tmp_path_factory.mktemp("other-book"))
    return OtherBook(results, study, pages)


def configured_title() -> list[str]:
    """The title and subtitle _quarto.yml gives the book when no study says one."""
    book = yaml.safe_load((ROOT / "_quarto.yml").read_text(encoding="utf-8"))["book"]
    return [book[key] for key in ("title", "subtitle") if key in book]


def shipped_words(outputs: PipelineOutputs) -> list[str]:
    summary = shipped_summary(outputs.canonical / "models.csv")
    words = {"Haslett", "Made in China", summary["title"]}
    for nation, entry in SHIPPED_NATIONS.items():
        words |= {nation, entry["adjective"], entry["language"]}
    for model in summary["models"]:
        words |= {model["id"], model["display_name"]}
        if model["maker"]:
            words.add(model["maker"])
    return sorted(words, key=len, reverse=True)


def test_the_book_names_nothing_of_the_shipped_study(
    other_book: OtherBook, pipeline_outputs: PipelineOutputs
) -> None:
    pattern = re.compile(r"(?<![\w-])(?:" + "|".join(
        re.escape(w) for w in shipped_words(pipeline_outputs)) + r")(?![\w-])")
    for name, page in other_book.pages.items():
        text = page.text
        for title in configured_title():  # the renderer's part: see the test below
            text = text.replace(title, "")
        found = [text[max(0, m.start() - 60):m.end() + 60] for m in pattern.finditer(text)]
        assert found == [], f"{name} names the shipped study: {found[:5]}"


def test_the_book_is_titled_by_the_study(other_book: OtherBook) -> None:
    text = other_book.text("index.html")
    assert other_book.study["title"] in text
    for title in configured_title():
        assert title not in text, "the book keeps the shipped study's title"


def test_the_overview_describes_the_study(other_book: OtherBook) -> None:
    text = other_book.text("index.html")
    study = other_book.study
    assert study["description"] in text
    assert f"study file {study['file']}" in text
    design = json.loads((other_book.results / "design.json").read_text(encoding="utf-8"))
    assert f"({design['items']['mfq2']} MFQ-2 items)" in text
    assert f"asked {design['calls_per_item']} times in each condition" in text
    origins = design["llms_by_origin"]
    assert (f"{origins['Brazil']} LLMs made in Brazil, {origins['Germany']} made in Germany and "
            f"{origins['India']} made in India") in text
    assert "are Brazilian LLMs closer to Brazilian respondents than German LLMs are?" in text
    assert ("Brazilian respondents are compared with the LLMs' answers to Portuguese prompts and "
            "German respondents with their answers to German prompts") in text
    assert "personas (no persona, Brazil, Germany and India)" in text


def test_the_models_table_lists_the_studys_models_and_makers(other_book: OtherBook) -> None:
    [table] = other_book.pages["index.html"].tables_captioned("The LLMs studied")
    header, *rows = table.rows
    shown = {row[header.index("Model")]: (row[header.index("Maker")], row[header.index("Origin")])
             for row in rows}
    expected = {m["display_name"]: (m["maker"] or "", m["origin"])
                for m in other_book.study["models"]}
    assert shown == expected
    assert shown[EXTRA_MODEL["display_name"]] == ("", "India")


def test_the_prompts_are_the_studys_with_every_persona(other_book: OtherBook) -> None:
    prompts = read_csv(other_book.results / "prompts.csv")
    methods = other_book.pages["reports/data-methods.html"]
    [table] = methods.tables_captioned("MFQ-2 system messages")
    _, *rows = table.rows
    assert [(r[0], r[1]) for r in rows] == [
        (p["language"], "no persona" if p["persona"] == "none" else p["persona"]) for p in prompts]
    assert {"India", "Brazil", "Germany", "no persona"} == {r[1] for r in rows}
    assert not other_book.pages["reports/data-methods.html"].tables_captioned("WVS-7")


def test_the_results_chapters_speak_of_the_compared_nations(other_book: OtherBook) -> None:
    results = other_book.text("reports/results-mfq2.html")
    assert "RQ1: are Brazilian LLMs closer to Brazilian respondents?" in results
    [table] = other_book.pages["reports/results-mfq2.html"].tables_captioned("RQ1, OLS")
    labels = [row[0] for row in table.rows[1:]]
    assert labels == ["Intercept", "Brazilian participant", "Brazilian LLM",
                      "Brazilian participant × Brazilian LLM"]
    [welch] = other_book.pages["reports/results-mfq2.html"].tables_captioned("per-LLM Welch tests")
    assert welch.rows[0][2:4] == ["Mean (Brazilian resp.)", "Mean (German resp.)"]
    assert "Human mean, Brazil" in results
    mixed = other_book.text("reports/mixed-effects.html")
    assert "cosine with Brazilian minus German respondents" in mixed
    measures = other_book.pages["reports/measures.html"]
    [sensitivity] = measures.tables_captioned("the nationality gap and the origin")
    assert "Mean gap (Brazil − Germany)" in sensitivity.rows[0]
    assert "LLMs closer to Brazil" in sensitivity.rows[0]


def test_an_instrument_the_study_did_not_ask_is_said_so(other_book: OtherBook) -> None:
    page = other_book.pages["reports/results-wvs7.html"]
    assert "This study did not ask the items of WVS-7" in page.text
    assert page.missing_notes == [] and page.tables == []


def test_every_page_shows_what_it_reads(other_book: OtherBook) -> None:
    for name, page in other_book.pages.items():
        if name != "reports/readouts.html":  # no export folder in this results folder
            assert page.missing_notes == [], f"{name}: {page.missing_notes}"


def test_without_the_manifest_and_study_json_pages_say_what_writes_them(
    other_book: OtherBook, tmp_path: Path
) -> None:
    results = tmp_path / "results"
    shutil.copytree(other_book.results, results)
    (results / "manifest.json").unlink()
    (results / "study.json").unlink()
    pages = render(results, tmp_path / "book")
    notes = pages["index.html"].missing_notes
    assert any("manifest.json was not produced" in n and "Rscript R/analysis/run.R" in n
               for n in notes), notes
    assert any("study.json was not produced" in n and "moralign book-inputs" in n
               for n in notes), notes
