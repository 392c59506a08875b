"""The book Quarto renders from the pipeline's results, checked as HTML."""

from __future__ import annotations

import base64
import csv
import json
import re
import struct
import subprocess
import tomllib
import zlib
from pathlib import Path

import pytest
from collect.paths import ROOT

from tests.report.conftest import RENDER_SCRIPT, RenderedBook
from tests.report.pages import BookPage

pytestmark = pytest.mark.slow

# The published MFQ-2 RQ1 OLS coefficients (Haslett et al., paper ids), to three decimals.
PUBLISHED_RQ1_MFQ2 = {
    "(Intercept)": 0.207,
    "chinese_participant": -0.179,
    "chinese_origin": -0.008,
    "chinese_participant:chinese_origin": -0.002,
}
RQ1_TERM_LABELS = {
    "(Intercept)": "Intercept",
    "chinese_participant": "Chinese participant",
    "chinese_origin": "Chinese LLM",
    "chinese_participant:chinese_origin": "Chinese participant × Chinese LLM",
}
LEAKED_R_OUTPUT = re.compile(
    r"Error in |Error:|## Error|Warning:|## Warning|Warning message|Quitting from lines|"
    r"Execution halted"
)
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


INDEX = "index.qmd"
MFQ2 = "reports/results-mfq2.qmd"
WVS7 = "reports/results-wvs7.qmd"
METHODS = "reports/data-methods.qmd"
MIXED = "reports/mixed-effects.qmd"


def chapter_title(chapter: str) -> str:
    for line in (ROOT / chapter).read_text(encoding="utf-8").splitlines():
        if line.startswith("# "):
            return re.sub(r"\s*\{[^}]*\}\s*$", "", line[2:]).strip()
    raise AssertionError(f"{chapter} has no level-one heading")


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def png_problem(data: bytes) -> str | None:
    """Why `data` is not a complete, non-empty PNG (None when it is one)."""
    if not data.startswith(PNG_SIGNATURE):
        return "no PNG signature"
    position, seen = len(PNG_SIGNATURE), []
    while position < len(data):
        if position + 8 > len(data):
            return "truncated chunk header"
        length, kind = struct.unpack(">I4s", data[position:position + 8])
        body = data[position + 8:position + 8 + length]
        (crc,) = struct.unpack(">I", data[position + 8 + length:position + 12 + length])
        if zlib.crc32(kind + body) != crc:
            return f"bad CRC in chunk {kind!r}"
        if kind == b"IHDR":
            width, height = struct.unpack(">II", body[:8])
            if width == 0 or height == 0:
                return "zero-sized image"
        seen.append(kind)
        position += 12 + length
    if not seen or seen[0] != b"IHDR" or seen[-1] != b"IEND" or b"IDAT" not in seen:
        return f"chunks out of order or missing: {seen[:3]}...{seen[-2:]}"
    return None


def image_bytes(book: RenderedBook, page: BookPage, source: str) -> bytes:
    """An image of a page: embedded (a self-contained page) or a file beside the page."""
    if source.startswith("data:"):
        header, _, payload = source.partition(",")
        assert header == "data:image/png;base64", f"embedded image is not a PNG: {header}"
        return base64.b64decode(payload)
    return (book.folder / page.relative(source)).read_bytes()


def test_every_chapter_is_a_page_that_links_to_the_next(book: RenderedBook) -> None:
    assert book.chapters[0] == "index.qmd"
    for position, chapter in enumerate(book.chapters):
        page = book.pages.get(book.page_name(chapter))
        assert page is not None, f"no page {book.page_name(chapter)} for chapter {chapter}"
        title = chapter_title(chapter)
        assert any(title in heading for heading in page.headings), (
            f"{page.name} has headings {page.headings}, not the chapter title {title!r}"
        )
        if position + 1 < len(book.chapters):
            expected = book.page_name(book.chapters[position + 1])
            assert page.next_href == expected, f"{page.name} links next to {page.next_href}"
        else:
            assert page.next_href is None
    assert "Rendering the book with Quarto" in book.log
    assert "Book rendered with Quarto" in book.log


def test_rq1_table_shows_the_reproduced_mfq2_coefficients(book: RenderedBook) -> None:
    coefficients = read_csv(book.outputs.results / "mfq2" / "rq1_ols.csv")
    estimates = {row["term"]: float(row["estimate"]) for row in coefficients}
    assert set(estimates) == set(PUBLISHED_RQ1_MFQ2)
    for term, published in PUBLISHED_RQ1_MFQ2.items():
        assert round(estimates[term], 3) == pytest.approx(published, abs=1e-9), term

    [table] = book.page(MFQ2).tables_captioned("RQ1, OLS")
    shown = {row[0]: row for row in table.rows[1:]}
    for row in coefficients:
        label = RQ1_TERM_LABELS[row["term"]]
        assert label in shown, f"RQ1 table lacks the row {label!r}: {list(shown)}"
        assert shown[label][1] == f"{float(row['estimate']):.3f}"
        assert shown[label][2] == f"{float(row['std_error']):.3f}"


def test_every_figure_is_a_valid_png_shown_on_a_page(book: RenderedBook) -> None:
    figures = 0
    for page in book.pages.values():
        for source in page.images:
            problem = png_problem(image_bytes(book, page, source))
            assert problem is None, f"an image on {page.name} is not a valid PNG: {problem}"
            figures += 1
    assert len(book.page(MFQ2).images) >= 5, "the paper's five MFQ-2 figures"
    assert book.page(INDEX).images, "the overview shows the headline figure"
    assert book.page(MIXED).images, "the per-LLM contrast plot"
    assert figures >= 7


def test_no_r_error_or_warning_text_leaked_into_a_page(book: RenderedBook) -> None:
    for page in book.pages.values():
        leaked = LEAKED_R_OUTPUT.search(page.text)
        if leaked:
            context = page.text[max(0, leaked.start() - 80):leaked.end() + 120]
            pytest.fail(f"{page.name} shows R's error or warning output: ...{context}...")


def test_no_page_shows_where_the_project_lies(book: RenderedBook) -> None:
    """Paths (in notes, in messages the pipeline recorded) read relative to the project."""
    for page in book.pages.values():
        assert str(ROOT) not in page.text, f"{page.name} shows the project's absolute path"


@pytest.mark.parametrize("chapter", [INDEX, METHODS, MFQ2, MIXED, "reports/robustness.qmd",
                                     "reports/appendix.qmd"])
def test_the_pipeline_produced_everything_the_page_shows(book: RenderedBook, chapter: str) -> None:
    page = book.page(chapter)
    assert page.missing_notes == [], f"{page.name} shows missing results: {page.missing_notes}"


def test_wvs_chapter_shows_results_or_says_how_to_add_the_data(book: RenderedBook) -> None:
    page = book.page(WVS7)
    if (book.outputs.results / "wvs7" / "rq1_ols.csv").exists():
        assert page.tables_captioned("WVS-7 RQ1, OLS")
        assert page.missing_notes == []
    else:
        sources = tomllib.loads((ROOT / "data" / "sources.toml").read_text(encoding="utf-8"))
        manual = sources["manual"]["wvs7"]
        assert "No WVS-7 results in this build" in page.text
        assert manual["url"] in page.text
        assert manual["expected_path"] in page.text
        assert not page.tables


def test_prompts_shown_are_the_study_files_templates(book: RenderedBook) -> None:
    study = tomllib.loads((ROOT / "studies" / "made_in_china.toml").read_text(encoding="utf-8"))
    english = study["templates"]["mfq2"]["English"]["user"]
    first_line = english.split("\n")[0]
    page = book.page(METHODS)
    [table] = page.tables_captioned("MFQ-2 user messages")
    assert any(first_line in cell for row in table.rows for cell in row)


def test_provenance_lists_every_pinned_file_with_its_hash(book: RenderedBook) -> None:
    sources = tomllib.loads((ROOT / "data" / "sources.toml").read_text(encoding="utf-8"))
    pinned = {entry["path"]: entry["sha256"]
              for dataset in sources["datasets"].values() for entry in dataset["files"]}
    tables = book.page(METHODS).tables_captioned("checked by moralign data fetch")
    assert len(tables) == len(sources["datasets"])  # one table per pinned dataset
    shown = {row[1]: row[2] for table in tables for row in table.rows[1:]}
    assert shown == pinned


def test_exclusions_come_from_the_similarity_manifest(book: RenderedBook) -> None:
    manifest = json.loads((book.outputs.derived / "paper" / "manifest.json").read_text("utf-8"))
    rq1 = manifest["instruments"]["mfq2"]["tables"]["rq1"]
    [table] = book.page(METHODS).tables_captioned("LLMs kept and dropped per analysis")
    header, *rows = table.rows
    [row] = [r for r in rows if r[0] == "MFQ-2" and r[1] == "RQ1 (no persona)"]
    assert row[header.index("LLMs kept")] == str(len(rq1["kept_llms"]))
    assert row[header.index("Rows")] == f"{rq1['rows']:,}"


def test_render_refuses_an_unknown_argument_with_a_clear_message() -> None:
    done = subprocess.run(["Rscript", str(RENDER_SCRIPT), "--engine", "pdf"], cwd=ROOT,
                          capture_output=True, text=True, check=False)
    assert done.returncode != 0
    assert "unexpected argument '--engine'" in done.stderr


def test_models_table_shows_each_models_maker_from_the_canonical_table(book: RenderedBook) -> None:
    models = [row for row in read_csv(book.outputs.canonical / "models.csv")
              if row["kind"] == "llm"]
    assert models and all(row["maker"] for row in models), "models.csv gives every LLM a maker"
    [table] = book.page(INDEX).tables_captioned("The LLMs studied")
    header, *rows = table.rows
    shown = {row[header.index("Model")]: row[header.index("Maker")] for row in rows}
    assert shown == {row["display_name"]: row["maker"] for row in models}


def test_overview_introduces_the_study_of_study_json(book: RenderedBook) -> None:
    study = json.loads((book.outputs.results / "study.json").read_text(encoding="utf-8"))
    # Pandoc prints quotes typographically; the study file types them plainly.
    plain = str.maketrans({"\u2019": "'", "\u201c": '"', "\u201d": '"'})
    text = book.page(INDEX).text.translate(plain)
    assert f"This book describes the study {study['title']}" in text.replace("*", "")
    assert study["description"].translate(plain) in text
    design = json.loads((book.outputs.results / "design.json").read_text(encoding="utf-8"))
    items = " and ".join(f"{count} {label} items" for label, count in
                         zip(("MFQ-2", "WVS-7"), design["items"].values(), strict=True))
    assert f"every item of its surveys ({items})" in text
