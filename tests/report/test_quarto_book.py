"""What a reader of Quarto's book sees: every chapter in the sidebar in _quarto.yml's order,
every section in its page's table of contents, every figure numbered with its caption, every
figure reference resolved, a search index, no R error or warning text and no absolute path; a
fresh clone without results renders with notes in place of what is missing; another study's book
takes its title from its study.json and survives a render of the default book; `quarto render`
by hand gives the same pages as reports/render.R."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import pytest

from tests.report.conftest import (
    RenderedBook,
    environment_without_project_folders,
    quarto_environment,
    render_book,
)
from tests.report.pages import LEAKED_R_OUTPUT, BookPage, page_of, read_pages

pytestmark = pytest.mark.slow

# "Figure 2.1: ..." in a chapter, "Figure A.1: ..." in an appendix, "Figure 1: ..." on the
# unnumbered first page.
NUMBERED_CAPTION = re.compile(r"^Figure\s+(?:\d+|[A-Z])(?:\.\d+)?: \S")


def chapter_pages(page: BookPage) -> list[str]:
    return [link for link in page.sidebar if link.endswith(".html")]


def test_the_sidebar_lists_every_chapter_in_the_configs_order(book: RenderedBook) -> None:
    expected = [page_of(chapter) for chapter in book.chapters]
    assert len(book.pages) == len(expected)
    for page in book.pages.values():
        assert chapter_pages(page) == expected, page.name


def test_every_section_is_in_its_pages_table_of_contents(book: RenderedBook) -> None:
    """Quarto leaves out of the table of contents a heading that a chunk's output wraps."""
    for page in book.pages.values():
        listed = {href.removeprefix("#") for href in page.contents}
        assert set(page.sections) <= listed, (page.name, set(page.sections) - listed)
    methods = book.page("reports/data-methods.qmd").sections
    assert {"mfq-2", "wvs-7"} <= set(methods), "the per-instrument prompt headings"


def test_every_figure_is_numbered_with_its_caption_and_an_image(book: RenderedBook) -> None:
    figures = [(page, figure) for page in book.pages.values() for figure in page.figures]
    assert len(figures) >= 7, "the paper's figures, the headline and the per-LLM contrasts"
    for page, figure in figures:
        assert NUMBERED_CAPTION.match(figure.caption), (
            f"{page.name}: figure {figure.identifier} is not numbered: {figure.caption[:80]!r}"
        )
        assert figure.images, f"{page.name}: figure {figure.identifier} shows no image"
    identifiers = [figure.identifier for _, figure in figures]
    assert len(identifiers) == len(set(identifiers)), "figure labels repeat across chapters"
    images = {image for page in book.pages.values() for image in page.images}
    assert images, "the book shows images"


def test_every_figure_reference_resolves_to_a_figure(book: RenderedBook) -> None:
    references = 0
    for page in book.pages.values():
        assert "?@fig-" not in page.text, f"{page.name} has an unresolved figure reference"
        for href in page.references:
            target, _, anchor = href.partition("#")
            target_page = book.pages[page.relative(target)] if target else page
            assert anchor in target_page.ids, f"{page.name}: {href} points at nothing"
            references += 1 if anchor.startswith("fig-") else 0
    assert references > 0, "the text refers to its figures"


def test_the_search_index_covers_every_chapter(book: RenderedBook) -> None:
    entries = json.loads((book.folder / "search.json").read_text(encoding="utf-8"))
    indexed = {entry["href"].split("#")[0] for entry in entries}
    assert {page_of(chapter) for chapter in book.chapters} <= indexed


def test_no_page_shows_r_errors_or_absolute_paths(book: RenderedBook) -> None:
    project = book.folder.parent
    for page in book.pages.values():
        assert LEAKED_R_OUTPUT.search(page.text) is None, page.name
        assert str(project) not in page.text, f"{page.name} shows the project's absolute path"


def index_title(book_folder: Path) -> str:
    html = (book_folder / "index.html").read_text(encoding="utf-8")
    found = re.search(r"<title>([^<]*)</title>", html)
    assert found, "index.html has no title"
    return found.group(1)


def test_a_fresh_clone_renders_with_notes_and_keeps_other_studies_books(fresh_clone: Path) -> None:
    env = environment_without_project_folders()
    # Another study's book first: its title comes from its study.json.
    study_results = fresh_clone / "results" / "studies" / "hand_made"
    study_results.mkdir(parents=True)
    (study_results / "study.json").write_text(json.dumps(
        {"name": "hand_made", "title": "A study made by hand", "description": "For a test."}))
    study_book = fresh_clone / "_book-studies" / "hand_made"
    render_book(fresh_clone, study_results, study_book, env)
    assert index_title(study_book).startswith("A study made by hand")
    assert not (fresh_clone / "_quarto-study.yml").exists(), "the default study has no title"

    log = render_book(fresh_clone, fresh_clone / "results", fresh_clone / "_book", env)
    assert "Book rendered with Quarto" in log
    assert (study_book / "index.html").is_file(), "rendering the default book removed another"
    assert not index_title(fresh_clone / "_book").startswith("A study made by hand")
    pages = read_pages(fresh_clone / "_book")
    assert len(pages) == len((fresh_clone / "_quarto.yml").read_text().split(".qmd")) - 1
    for page in pages.values():
        assert LEAKED_R_OUTPUT.search(page.text) is None, page.name
        assert str(fresh_clone) not in page.text, f"{page.name} shows an absolute path"
        assert all("results/" in note for note in page.missing_notes), page.missing_notes
    # The robustness chapter lists only the instruments with results, so it has nothing to say.
    silent = {"reports/robustness.html"}
    assert {name for name, page in pages.items() if not page.missing_notes} == silent

    # `quarto render` by hand gives the same pages.
    by_hand = fresh_clone / "by-hand"
    done = subprocess.run([quarto_environment(env)["QUARTO_PATH"], "render", "--output-dir",
                           str(by_hand)], cwd=fresh_clone, env=env, capture_output=True,
                          text=True, check=False)
    assert done.returncode == 0, done.stderr
    for name in pages:
        assert (by_hand / name).read_bytes() == (fresh_clone / "_book" / name).read_bytes(), name
