"""The chapter "Across measures and countries" shows the numbers of the results tables."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from tests.report.conftest import RenderedBook

pytestmark = pytest.mark.slow

PAGE = "reports/measures.html"


def rows_of(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def three(value: str) -> str:
    return f"{float(value) + 0:.3f}"


def cos(value: str) -> str:
    return three(value).replace("0.", ".", 1)


def test_the_chapter_shows_everything_it_reads(book: RenderedBook) -> None:
    page = book.pages[PAGE]
    assert page.missing_notes == []
    assert len(page.images) >= 5, "two heatmaps, two maps and the consistency figure"


def test_sensitivity_table_is_metric_sensitivity_csv(book: RenderedBook) -> None:
    expected = rows_of(book.outputs.results / "mfq2" / "metric_sensitivity.csv")
    [table] = book.pages[PAGE].tables_captioned("MFQ-2: the nationality gap")
    header, *body = table.rows
    assert len(body) == len(expected) == 7
    gap = header.index("Mean gap (China − USA)")
    closer = header.index("LLMs closer to China")
    for row, want in zip(body, expected, strict=True):
        assert row[0].replace("’", "'") == want["label"]  # typographic apostrophes
        assert row[gap] == three(want["mean_gap"])
        assert row[closer] == f"{want['n_llms_closer_to_china']} of {want['n_llms']}"


def test_human_mean_explanation_uses_the_coherence_tables(book: RenderedBook) -> None:
    rows = rows_of(book.outputs.results / "mfq2" / "coherence_alignment.csv")
    human = {r["nationality"]: r for r in rows if r["llm"] == "Human mean, China"}
    text = book.pages[PAGE].text
    for nation in ("China", "USA"):
        r = human[nation]
        product = f"{cos(r['coherence'])} × {cos(r['alignment'])} = {cos(r['mean_cosine'])}"
        assert product in text


def test_contributions_table_is_foundation_contributions_csv(book: RenderedBook) -> None:
    expected = rows_of(book.outputs.results / "mfq2" / "foundation_contributions.csv")
    [table] = book.pages[PAGE].tables_captioned("contribution of each foundation")
    shown = {row[0]: row[1] for row in table.rows[1:]}
    assert shown == {r["foundation"]: three(r["contribution_to_gap"]) for r in expected}
