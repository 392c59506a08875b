"""Where the book's files live: _quarto.yml and index.qmd at the project root, chapters in
reports/ sourcing their helpers by root-relative paths, and one chapter list for both engines."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import yaml
from collect.paths import ROOT

from tests.report.conftest import RENDER_SCRIPT

CONFIG = ROOT / "_quarto.yml"
# A helper sourced by a chapter, and a child document (`_*.qmd`) knitted by a helper.
SOURCED = re.compile(r'\bsource\("([^"]+)"\)')
CHILD_DOCUMENT = re.compile(r'"([^"]*_[^"/]*\.qmd)"')


def book_config() -> dict:
    return yaml.safe_load(CONFIG.read_text(encoding="utf-8"))


def listed_files(config: dict) -> list[str]:
    book = config["book"]
    return [*book["chapters"], *book.get("appendices", [])]


def render_script(
    args: list[str], cwd: Path, script: Path = RENDER_SCRIPT
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["Rscript", str(script), *args], cwd=cwd, capture_output=True,
                          text=True, check=False)


def test_the_book_is_configured_at_the_root_with_index_beside_it() -> None:
    config = book_config()
    assert config["project"]["type"] == "book"
    assert config["project"]["output-dir"] == "_book"
    assert config["project"]["execute-dir"] == "project"
    files = listed_files(config)
    assert files[0] == "index.qmd"
    assert (ROOT / "index.qmd").is_file()
    for chapter in files:
        assert (ROOT / chapter).is_file(), f"_quarto.yml lists {chapter}, which does not exist"
    assert (ROOT / config["format"]["html"]["css"]).is_file()
    assert not (ROOT / "reports" / "_quarto.yml").exists(), "a second, nested Quarto project"


def test_list_chapters_reads_the_root_config_from_any_folder(tmp_path: Path) -> None:
    done = render_script(["--list-chapters"], cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == listed_files(book_config())


def test_chapters_and_helpers_name_files_relative_to_the_root() -> None:
    sources = [ROOT / chapter for chapter in listed_files(book_config())]
    helpers = sorted((ROOT / "reports").glob("_*.R"))
    seen_sourced, seen_children = set(), set()
    for path in sources:
        for name in SOURCED.findall(path.read_text(encoding="utf-8")):
            assert (ROOT / name).is_file(), f"{path.name} sources {name}, not a root-relative file"
            seen_sourced.add(name)
    for path in helpers:
        for name in CHILD_DOCUMENT.findall(path.read_text(encoding="utf-8")):
            assert (ROOT / name).is_file(), f"{path.name} knits {name}, not a root-relative file"
            seen_children.add(name)
    assert "reports/_common.R" in seen_sourced
    assert "reports/_instrument-results.qmd" in seen_children


def test_render_names_a_chapter_the_config_lists_but_that_does_not_exist(tmp_path: Path) -> None:
    (tmp_path / "reports").mkdir()
    script = tmp_path / "reports" / "render.R"
    shutil.copy(RENDER_SCRIPT, script)
    (tmp_path / "index.qmd").write_text("# Overview\n", encoding="utf-8")
    config = book_config()
    config["book"]["chapters"] = ["index.qmd", "reports/absent-chapter.qmd"]
    config["book"].pop("appendices", None)
    (tmp_path / "_quarto.yml").write_text(yaml.safe_dump(config), encoding="utf-8")
    done = render_script(["--engine", "bookdown"], cwd=tmp_path, script=script)
    assert done.returncode != 0
    assert "lists chapters that do not exist" in done.stderr
    assert "reports/absent-chapter.qmd" in done.stderr
    assert not (tmp_path / "_book" / "index.html").exists()
