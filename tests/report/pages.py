"""Reading the rendered book's HTML pages with the standard library's parser."""

from __future__ import annotations

from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path

INVISIBLE = {"script", "style", "head", "title"}


@dataclass
class Table:
    caption: str = ""
    rows: list[list[str]] = field(default_factory=list)


@dataclass
class BookPage:
    name: str
    headings: list[str] = field(default_factory=list)
    next_href: str | None = None
    images: list[str] = field(default_factory=list)
    tables: list[Table] = field(default_factory=list)
    missing_notes: list[str] = field(default_factory=list)
    text_parts: list[str] = field(default_factory=list)

    @property
    def text(self) -> str:
        return " ".join(" ".join(self.text_parts).split())

    def tables_captioned(self, words: str) -> list[Table]:
        return [t for t in self.tables if words in t.caption]


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

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = {k: v or "" for k, v in attrs}
        classes = attributes.get("class", "").split()
        if tag in INVISIBLE:
            self.hidden_depth += 1
        if tag == "h1":
            self.heading = []
        if tag == "a" and "navigation-next" in classes:
            self.page.next_href = attributes.get("href")
        if tag == "img":
            self.page.images.append(attributes.get("src", ""))
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
        if tag in INVISIBLE:
            self.hidden_depth -= 1
        if tag == "h1" and self.heading is not None:
            self.page.headings.append(" ".join("".join(self.heading).split()))
            self.heading = None
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
        for collector in (self.heading, self.caption, self.cell, self.missing):
            if collector is not None:
                collector.append(data)


def read_page(path: Path) -> BookPage:
    page = BookPage(path.name)
    parser = _PageParser(page)
    parser.feed(path.read_text(encoding="utf-8"))
    parser.close()
    return page


def read_pages(folder: Path) -> dict[str, BookPage]:
    return {path.name: read_page(path) for path in sorted(folder.glob("*.html"))}
