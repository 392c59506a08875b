"""The project stands alone: no tracked file reads or cites anything outside the repository.

Only `.ci/run` may name the folder beside the checkout that CI copies as a stand-in download.
The methods text the code cites is docs/methods.md, which ships with the project.
"""

from __future__ import annotations

import re
import shutil
import subprocess

import pytest
from collect.paths import ROOT

ALLOWED = {".ci/run"}
# Assembled from parts so that this file does not itself name what it looks for.
_BESIDE = "shared"
FORBIDDEN = (f"../{_BESIDE}", f"{_BESIDE}/data", "method" + ".md")
# "docs/methods.md section 3.2", "docs/methods.md sections 3-4", possibly across a line break
SEPARATOR = re.compile(r"\s*(?:-|and|,)\s*")
CITATION = re.compile(r"docs/methods\.md,?\s+sections?\s+(\d[\d.]*(?:" + SEPARATOR.pattern
                      + r"\d[\d.]*)*)")


def tracked_files() -> list[str]:
    if shutil.which("git") is None or not (ROOT / ".git").exists():
        pytest.fail(f"{ROOT} is not a git checkout: this test lists the tracked files with git")
    listing = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True,
                             check=True)
    return [name for name in listing.stdout.decode().split("\0") if name]


def test_no_tracked_file_points_outside_the_repository() -> None:
    files = tracked_files()
    assert "docs/methods.md" in files
    found = []
    for name in files:
        if name in ALLOWED or not (ROOT / name).is_file():
            continue
        text = (ROOT / name).read_bytes().decode("utf-8", errors="replace")
        for number, line in enumerate(text.splitlines(), start=1):
            found += [f"{name}:{number}: {word!r}" for word in FORBIDDEN if word in line]
    assert found == [], "\n".join(found)


def test_every_cited_methods_section_exists() -> None:
    methods = (ROOT / "docs" / "methods.md").read_text(encoding="utf-8")
    sections = {line.split()[1].rstrip(".") for line in methods.splitlines()
                if line.startswith("## ") and line.split()[1][0].isdigit()}
    sections |= {line.split()[1] for line in methods.splitlines()
                 if line.startswith("### ") and line.split()[1][0].isdigit()}
    cited = set()
    for name in tracked_files():
        if name.endswith((".py", ".R", ".md", ".qmd")) and (ROOT / name).is_file():
            text = (ROOT / name).read_text(encoding="utf-8", errors="replace")
            cited |= _cited_sections(text)
    assert cited, "no file cites docs/methods.md by section"
    assert cited <= sections, f"cited sections that docs/methods.md lacks: {cited - sections}"


def _cited_sections(text: str) -> set[str]:

    found: set[str] = set()
    for match in CITATION.finditer(text):
        found |= {part.rstrip(".") for part in SEPARATOR.split(match.group(1))}
    return found
