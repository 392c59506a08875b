"""The appendix "Readouts and repetition reliability" shows the tables of every export folder
under results/ (here: the demo study run against the local model), and says how to make one when
there is none. Quarto renders the chapter (`quarto render reports/readouts.qmd`)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.collector.demo_run import export_demo
from tests.report.conftest import render_chapter as render_with_quarto
from tests.report.pages import LEAKED_R_OUTPUT, BookPage
from tests.report.test_measures_chapter import rows_of, three
from tests.servers.llama import LocalLLM, local_llm  # noqa: F401

pytestmark = pytest.mark.slow

CHAPTER = "reports/readouts.qmd"


def as_shown(value: str) -> str:
    """A number as the chapter's tables show it (NA as an empty cell)."""
    return "" if value == "NA" else three(value)


def render_chapter(results: Path, folder: Path) -> BookPage:
    page = render_with_quarto(CHAPTER, results, folder)
    assert LEAKED_R_OUTPUT.search(page.text) is None, page.text
    return page


@pytest.fixture(scope="module")
def demo_results(
    local_llm: LocalLLM,  # noqa: F811
    fetched_release: Path,
    tmp_path_factory: pytest.TempPathFactory,
) -> Path:
    """A results folder holding only `make demo`'s export, from a real run of the demo study."""
    results = tmp_path_factory.mktemp("results")
    export_demo(local_llm.server.base_url, results, external=fetched_release)
    return results


@pytest.mark.llm
def test_the_chapter_shows_the_demo_exports_tables(demo_results: Path, tmp_path: Path) -> None:
    page = render_chapter(demo_results, tmp_path)
    demo = demo_results / "demo"
    assert page.missing_notes == []
    # The demo study says itself that its model is tiny (its description, exported with it).
    from tests.report.study_results import study_description

    assert study_description("demo_local") in page.text
    assert len(page.images) == 1, "the figure of expected rating against sampled mean"

    agreement = rows_of(demo / "llm_readout_agreement.csv")
    [table] = page.tables_captioned("Agreement of the log-probability readout")
    header, *body = table.rows
    assert len(body) == len(agreement) == 1
    for row, want in zip(body, agreement, strict=True):
        shown = dict(zip(header, row, strict=True))
        assert shown["Sampled model"] == want["sampled_model"]
        assert shown["Logprob readout"] == want["logprob_model"]
        assert shown["r (expected rating, sampled mean)"] == as_shown(want["pearson_r"])
        assert shown["Mean absolute difference (scale points)"] == as_shown(want["mean_abs_diff"])
        assert shown["Cells"] == want["cells"]
    cells = rows_of(demo / "llm_readout_cells.csv")
    assert int(agreement[0]["cells"]) == len(cells)
    assert f"({len(cells)} cells in all)" in page.text

    reliability = rows_of(demo / "llm_repetition_reliability.csv")
    [table] = page.tables_captioned("Repetition reliability")
    header, *body = table.rows
    assert len(body) == len(reliability) > 0
    for row, want in zip(body, reliability, strict=True):
        shown = dict(zip(header, row, strict=True))
        assert (shown["Model"], shown["Language"], shown["Persona"]) == (
            want["model"], want["language"], want["persona"])
        assert (shown["Items"], shown["Repetitions"]) == (want["items"], want["repetitions"])
        assert shown["Mean item SD (scale points)"] == as_shown(want["mean_item_sd"])
        assert shown["Split-half r"] == as_shown(want["split_half_r"])
        assert shown["Spearman-Brown reliability"] == as_shown(want["split_half_reliability"])


def test_without_an_export_folder_the_chapter_says_how_to_make_one(tmp_path: Path) -> None:
    results = tmp_path / "results"
    (results / "mfq2").mkdir(parents=True)  # an analysis folder is no export folder
    page = render_chapter(results, tmp_path / "knitted")
    [note] = page.missing_notes
    assert "make demo" in note and "llm_repetition_reliability.csv" in note
    assert "moralign collect export --out results/<name>" in page.text
    assert page.tables == [] and page.images == []
