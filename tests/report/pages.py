"""Reading the book Quarto rendered with the standard library's HTML parser. Quarto writes
index.html at the top of the book's folder and each chapter where its source lies
(reports/<chapter>.html), beside site_libs/ and search.json; every page lists the chapters in its
sidebar (`a.sidebar-link`), links the next page from `div.nav-page-next`, wraps each figure in
`div.quarto-float#fig-...` with a `figcaption`, and turns a resolved `@fig-` reference into
`a.quarto-xref` (an unresolved one stays as the text `?@fig-...`)."""

from __future__ import annotations

import posixpath
import re
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path, PurePosixPath

INVISIBLE = {"script", "style", "head", "title"}
# What R prints when a chunk fails or warns, should it reach a page.
LEAKED_R_OUTPUT = re.compile(
    r"Error in |Error:|## Error|Warning:|## Warning|Warning message|Quitting from lines|"
    r"Execution halted"
)
# Folders of a Quarto book that hold no pages of the book.
NOT_PAGES = {"site_libs", "search_files"}


def page_of(chapter: str) -> str:
    """The page (relative to the book's folder) of a chapter listed root-relative in _quarto.yml."""
    return str(PurePosixPath(chapter).with_suffix(".html"))


@dataclass
class Table:
    caption: str = ""
    rows: list[list[str]] = field(default_factory=list)


@dataclass
class Figure:
    identifier: str
    caption: str = ""
    images: list[str] = field(default_factory=list)


@dataclass
class BookPage:
    name: str  # relative to the book's folder
    headings: list[str] = field(default_factory=list)
    next_href: str | None = None
    images: list[str] = field(default_factory=list)
    tables: list[Table] = field(default_factory=list)
    missing_notes: list[str] = field(default_factory=list)
    sidebar: list[str] = field(default_factory=list)  # pages, relative to the book's folder
    figures: list[Figure] = field(default_factory=list)
    references: list[str] = field(default_factory=list)  # hrefs of resolved cross-references
    sections: list[str] = field(default_factory=list)  # anchors of the h2 and h3 headings
    contents: list[str] = field(default_factory=list)  # hrefs of the page's table of contents
    ids: set[str] = field(default_factory=set)
    text_parts: list[str] = field(default_factory=list)

    @property
    def text(self) -> str:
        return " ".join(" ".join(self.text_parts).split())

    def tables_captioned(self, words: str) -> list[Table]:
        return [t for t in self.tables if words in t.caption]

    def relative(self, href: str) -> str:
        """A link of this page as a path relative to the book's folder (no fragment)."""
        target = href.split("#")[0]
        return posixpath.normpath(posixpath.join(posixpath.dirname(self.name), target))


class _PageParser(HTMLParser):
    def __init__(self, page: BookPage) -> None:
        super().__init__(convert_charrefs=True)
        self.page = page
        self.hidden_depth = 0
        self.heading: list[str] | None = None
        self.caption: list[str] | None = None
        self.cell: list[str] | None = None
        self.row: list[str] | None = None
        self.missing: list[str] | None = None
        self.missing_depth = 0
        self.in_next_box = False
        self.figure: Figure | None = None
        self.figcaption: list[str] | None = None
        self.toc_depth = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = {k: v or "" for k, v in attrs}
        classes = attributes.get("class", "").split()
        if tag in INVISIBLE:
            self.hidden_depth += 1
        if tag == "h1":
            self.heading = []
        if tag == "div" and "nav-page-next" in classes:
            self.in_next_box = True
        if tag == "a" and self.in_next_box:
            self.page.next_href = self.page.relative(attributes.get("href", ""))
            self.in_next_box = False
        identifier = attributes.get("id", "")
        if tag == "nav" and identifier == "TOC":
            self.toc_depth = 1
        elif tag == "nav" and self.toc_depth:
            self.toc_depth += 1
        if tag == "a" and self.toc_depth:
            self.page.contents.append(attributes.get("href", ""))
        if tag in ("h2", "h3") and not self.toc_depth:
            self.page.sections.append(attributes.get("data-anchor-id") or identifier)
        if tag == "a" and "sidebar-link" in classes:
            self.page.sidebar.append(self.page.relative(attributes.get("href", "")))
        if tag == "a" and "quarto-xref" in classes:
            self.page.references.append(attributes.get("href", ""))
        if attributes.get("id"):
            self.page.ids.add(attributes["id"])
        if tag == "div" and "quarto-float" in classes and identifier.startswith("fig-"):
            self.figure = Figure(attributes["id"])
            self.page.figures.append(self.figure)
        if tag == "figcaption" and self.figure is not None:
            self.figcaption = []
        if tag == "img":
            self.page.images.append(attributes.get("src", ""))
            if self.figure is not None:
                self.figure.images.append(attributes.get("src", ""))
        if tag == "table":
            self.page.tables.append(Table())
        if tag == "caption":
            self.caption = []
        if tag == "tr":
            self.row = []
        if tag in ("td", "th"):
            self.cell = []
        if "missing-result" in classes:
            self.missing, self.missing_depth = [], 1
        elif self.missing is not None:
            self.missing_depth += 1

    def handle_endtag(self, tag: str) -> None:
        if tag == "nav" and self.toc_depth:
            self.toc_depth -= 1
        if tag in INVISIBLE:
            self.hidden_depth -= 1
        if tag == "h1" and self.heading is not None:
            self.page.headings.append(" ".join("".join(self.heading).split()))
            self.heading = None
        if tag == "figcaption" and self.figcaption is not None and self.figure is not None:
            self.figure.caption = " ".join("".join(self.figcaption).split())
            self.figcaption, self.figure = None, None
        if tag == "caption" and self.caption is not None and self.page.tables:
            self.page.tables[-1].caption = " ".join("".join(self.caption).split())
            self.caption = None
        if tag in ("td", "th") and self.cell is not None and self.row is not None:
            self.row.append(" ".join("".join(self.cell).split()))
            self.cell = None
        if tag == "tr" and self.row is not None and self.page.tables:
            self.page.tables[-1].rows.append(self.row)
            self.row = None
        if self.missing is not None:
            self.missing_depth -= 1
            if self.missing_depth == 0:
                self.page.missing_notes.append(" ".join("".join(self.missing).split()))
                self.missing = None

    def handle_data(self, data: str) -> None:
        if self.hidden_depth > 0:
            return
        self.page.text_parts.append(data)
        for collector in (self.heading, self.caption, self.cell, self.missing, self.figcaption):
            if collector is not None:
                collector.append(data)


def read_page(path: Path, folder: Path) -> BookPage:
    page = BookPage(path.relative_to(folder).as_posix())
    parser = _PageParser(page)
    parser.feed(path.read_text(encoding="utf-8"))
    parser.close()
    return page


def read_pages(folder: Path) -> dict[str, BookPage]:
    """Every page of the book, by its path relative to the book's folder."""
    paths = [path for path in sorted(folder.rglob("*.html"))
             if not NOT_PAGES & set(path.relative_to(folder).parts)]
    return {page.name: page for page in (read_page(path, folder) for path in paths)}
