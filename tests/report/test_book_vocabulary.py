"""The book types no word of a study: nations, their adjectives, languages, personas, foundations,
instrument labels, model ids and names, the human-mean ids, the paper, counts. Every one of them
comes from the results folder (manifest.json, study.json, design.json, the tables)."""

from __future__ import annotations

import re
import tomllib

from collect.paths import ROOT
from collect.vocab import INSTRUMENTS, MFQ2_FOUNDATIONS

from tests.report.study_results import SHIPPED_NATIONS

BOOK_FILES = sorted([ROOT / "index.qmd", *(ROOT / "reports").glob("*.qmd"),
                     *(ROOT / "reports").glob("*.R")])
# Prose about method, not about a study: (file, the whole line).
ALLOWED = {
    # A chapter's title is read before its code runs; the chapter is the instrument's.
    ("reports/results-mfq2.qmd", "# MFQ-2 results {#results-mfq2}"),
    ("reports/results-wvs7.qmd", "# WVS-7 results {#results-wvs7}"),
    # The split-half reliability's own minimum.
    ("reports/readouts.qmd",
     '"empty with fewer than 3 items answered in both halves or a constant half).\\n\\n"))'),
}
# "36 items", "twenty LLMs", "both languages": a count typed instead of read (a two-nation
# analysis and the five nearest countries are the method's).
TYPED_COUNT = re.compile(
    r"\b(?:\d+|three|four|six|seven|eight|nine|ten|twenty|both) "
    r"(?:LLMs|items|respondents|people|countries|repetitions|calls|foundations|models|personas|"
    r"languages|conditions|surveys|instruments|nations|origins)\b", re.IGNORECASE)
PAPER = ("Haslett", "Made in China", "2512.13723", "Aligned with the USA")


def study_words() -> set[str]:
    """Every name a shipped study file gives, and the method's names that studies choose among."""
    words = set(PAPER) | set(MFQ2_FOUNDATIONS) | {i.short_label for i in INSTRUMENTS.values()}
    words |= {"Human mean,", "America"}
    for path in (ROOT / "studies").glob("*.toml"):
        study = tomllib.loads(path.read_text(encoding="utf-8"))
        header = study["study"]
        words |= set(header.get("languages", [])) | set(header.get("personas", [])) - {"none"}
        for nation, entry in (study.get("nations") or SHIPPED_NATIONS).items():
            words |= {nation, entry["adjective"], entry["language"]}
        for model in study.get("models", []):
            words |= {model["id"], model.get("display_name", model["id"])}
    return words


def typed_words(name: str, text: str, words: set[str]) -> list[str]:
    """The words of a study and the counts typed in `text` (of the book's file `name`)."""
    pattern = re.compile(r"(?<![\w-])(?:" + "|".join(
        re.escape(w) for w in sorted(words, key=len, reverse=True)) + r")(?![\w-])")
    found = []
    for number, line in enumerate(text.splitlines(), start=1):
        if (name, line.strip()) in ALLOWED:
            continue
        for match in [*pattern.finditer(line), *TYPED_COUNT.finditer(line)]:
            found.append(f"{name}:{number}: {match.group(0)!r} in {line.strip()!r}")
    return found


def test_no_chapter_or_helper_types_a_word_of_a_study() -> None:
    words = study_words()
    assert {"China", "Chinese", "American", "English", "Purity", "MFQ-2"} <= words
    found = [hit for path in BOOK_FILES
             for hit in typed_words(path.relative_to(ROOT).as_posix(),
                                    path.read_text(encoding="utf-8"), words)]
    assert found == [], "typed instead of read from the results:\n" + "\n".join(found)


def test_the_check_finds_a_typed_word() -> None:
    text = "Chinese LLMs answer 36 items in both languages; the Purity foundation."
    found = typed_words("reports/example.qmd", text, study_words())
    assert [hit.split(": ")[1].split(" in ")[0] for hit in found] == [
        "'Chinese'", "'Purity'", "'36 items'", "'both languages'"]


def test_allowed_lines_exist_as_written() -> None:
    """An allowance for a line that no longer exists would hide nothing; keep the list true."""
    for name, line in ALLOWED:
        lines = [text.strip() for text in (ROOT / name).read_text(encoding="utf-8").splitlines()]
        assert line in lines, f"{name} has no line {line!r}"
