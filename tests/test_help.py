"""`moralign --help` and every sub-command's help read well in an 80-column terminal.

Rich wraps help text greedily: a line ends only where the next word would not fit. A line that
ends mid-sentence although the next word would have fitted was broken by a newline in the source
text, which rich keeps in some places (the first paragraph of a command's help in the command
list): that is the ugly break these tests look for. Precisely, for two consecutive lines of a
help screen whose text starts in the same column (the last text column of a panel, or the prose
above the panels), the break is ugly when the first line does not end a sentence or clause
(`.`, `:`, `;`, `!`, `?`), the next line starts with a lowercase letter, a digit or a bracket, and
that next word would have fitted on the first line. Two more faults of narrow columns and
markup are checked: a word cut short with an ellipsis, and a `<placeholder>` in a path dropped as
markup (which leaves `//`).
"""

from __future__ import annotations

import itertools
import re

import pytest
import typer
from collect.cli import app
from typer.testing import CliRunner

WIDTH = 80
BORDER = "│"
COLUMN_GAP = re.compile(r"\S(\s{2,})(?=\S)")


def command_paths() -> list[list[str]]:
    paths: list[list[str]] = []

    def walk(command: object, path: list[str]) -> None:
        paths.append(path)
        if hasattr(command, "commands"):  # a group
            for name, sub in sorted(command.commands.items()):
                walk(sub, [*path, name])

    walk(typer.main.get_command(app), [])
    return paths


def render(path: list[str]) -> str:
    result = CliRunner().invoke(app, [*path, "--help"], env={"COLUMNS": str(WIDTH),
                                                            "TERMINAL_WIDTH": str(WIDTH)})
    assert result.exit_code == 0, result.output
    return result.output


def text_rows(screen: str) -> list[str | None]:
    """Each line's text between the panel borders (or after the margin); None between blocks."""
    rows: list[str | None] = []
    for line in screen.splitlines():
        if line.startswith(BORDER) and line.rstrip().endswith(BORDER):
            rows.append(line.rstrip()[1:-1])
        elif line.strip() and not line.lstrip().startswith(("Usage:", "╭", "╰")):
            rows.append(line.rstrip().ljust(WIDTH - 1))
        else:
            rows.append(None)
    return rows


def last_column_start(text: str) -> int:
    """Where the last text column of a row starts: after the last run of 2+ blanks, or at the
    first character."""
    gaps = list(COLUMN_GAP.finditer(text.rstrip()))
    return gaps[-1].end(1) if gaps else len(text) - len(text.lstrip())


def ugly_breaks(screen: str) -> list[str]:
    rows = text_rows(screen)
    found = []
    for line, after in itertools.pairwise(rows):
        if line is None or after is None or not after.strip():
            continue
        start = last_column_start(after)
        if start != last_column_start(line):
            continue  # not the same text column: a new row, or another column wrapping
        ending = line[start:].rstrip()
        next_word = after[start:].split()[0]
        room = len(line) - start - 1  # the cell's width, less its right padding
        if (ending and not ending.endswith((".", ":", ";", "!", "?"))
                and re.match(r"[a-z0-9(<\[`]", next_word)
                and len(ending) + 1 + len(next_word) < room):
            found.append(f"{ending!r} / {next_word!r}")
    return found


@pytest.mark.parametrize("path", command_paths(), ids=lambda p: " ".join(["moralign", *p]))
def test_help_has_no_forced_break_mid_sentence(path: list[str]) -> None:
    screen = render(path)
    assert max(len(line) for line in screen.splitlines()) == WIDTH  # rendered at 80 columns
    assert ugly_breaks(screen) == [], screen
    assert "…" not in screen, f"a word cut short to fit its column:\n{screen}"
    assert "//" not in screen, f"a `<placeholder>` taken for markup and dropped:\n{screen}"


def test_the_check_finds_a_forced_break() -> None:
    wrapped = ("│ run   Make every call of the study that is not stored yet, then check  │\n"
               "│       the quality gates.                                               │\n")
    forced = ("│ run   Make every call of the study that                                │\n"
              "│       is not stored yet.                                               │\n")
    assert ugly_breaks(wrapped) == []
    assert ugly_breaks(forced) == ["'Make every call of the study that' / 'is'"]
