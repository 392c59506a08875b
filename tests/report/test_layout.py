"""Where the book's files live: _quarto.yml and index.qmd at the project root, chapters in
reports/ that find their helpers from the root or from their own folder, one chapter list, a
renderer that says what is wrong before it starts Quarto, and page lookup in Quarto's layout."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml
from collect.paths import ROOT

from tests.report.conftest import RENDER_SCRIPT
from tests.report.pages import page_of, read_pages

CONFIG = ROOT / "_quarto.yml"
# A helper a chapter sources (`reports/_x.R`, or `_x.R` beside it), and a child document
# (`_*.qmd`) a helper knits.
SOURCED = re.compile(r'"((?:reports/)?_[\w-]+\.R)"')
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


def test_chapters_and_helpers_name_files_that_exist() -> None:
    sources = [ROOT / chapter for chapter in listed_files(book_config())]
    helpers = sorted((ROOT / "reports").glob("_*.R"))
    seen_sourced, seen_children = set(), set()
    for path in sources:
        for name in SOURCED.findall(path.read_text(encoding="utf-8")):
            helper = ROOT / "reports" / Path(name).name
            assert helper.is_file(), f"{path.name} sources {name}, which does not exist"
            seen_sourced.add(f"reports/{helper.name}")
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
    done = render_script([], cwd=tmp_path, script=script)
    assert done.returncode != 0
    assert "lists chapters that do not exist" in done.stderr
    assert "reports/absent-chapter.qmd" in done.stderr
    assert not (tmp_path / "_book" / "index.html").exists()


# Chapters that still source their helpers by root-relative paths only (strict: passes once
# they find them from their own folder too).

@pytest.mark.parametrize("chapter", listed_files(book_config()))
def test_a_chapters_setup_chunk_runs_from_the_chapters_own_folder(chapter: str) -> None:
    """As RStudio's "Run chunk" runs it: in the chapter's folder, not the project root."""
    script = (
        "lines <- readLines(commandArgs(TRUE)[[1]], encoding = 'UTF-8');"
        "start <- grep('^```\\\\{r', lines)[[1]];"
        "end <- start + grep('^```\\\\s*$', lines[-seq_len(start)])[[1]];"
        "eval(parse(text = lines[(start + 1):(end - 1)]), envir = globalenv());"
        "cat(PROJECT_ROOT, RESULTS_DIR, sep = '\\n')"
    )
    unset = ("MORALIGN_ROOT", "MORALIGN_RESULTS_DIR")
    env = {name: value for name, value in os.environ.items() if name not in unset}
    done = subprocess.run(["Rscript", "-e", script, (ROOT / chapter).name],
                          cwd=(ROOT / chapter).parent, env=env, capture_output=True, text=True,
                          check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == [str(ROOT), str(ROOT / "results")]


def test_without_quarto_the_renderer_says_how_to_install_it(tmp_path: Path) -> None:
    """A project without .venv/bin/quarto, no QUARTO_PATH and no quarto on the PATH."""
    (tmp_path / "reports").mkdir()
    script = tmp_path / "reports" / "render.R"
    shutil.copy(RENDER_SCRIPT, script)
    (tmp_path / "index.qmd").write_text("# Overview\n", encoding="utf-8")
    (tmp_path / "results").mkdir()
    config = book_config()
    config["book"]["chapters"] = ["index.qmd"]
    config["book"].pop("appendices", None)
    (tmp_path / "_quarto.yml").write_text(yaml.safe_dump(config), encoding="utf-8")
    path = "/usr/bin:/bin"
    assert shutil.which("quarto", path=path) is None, "this test needs a PATH without quarto"
    env = {name: value for name, value in os.environ.items()
           if name != "QUARTO_PATH" and not name.startswith("MORALIGN_")}
    done = subprocess.run(["Rscript", str(script)], cwd=tmp_path, env={**env, "PATH": path},
                          capture_output=True, text=True, check=False)
    assert done.returncode != 0
    assert "Quarto is not installed: `tools/setup.sh --quarto` installs it" in done.stderr


QUARTO_CHAPTER_PAGE = """<html><head><title>x</title></head><body>
<h1 class="title"><span class="chapter-number">2</span>&nbsp; <span class="chapter-title">MFQ-2
results</span></h1>
<figure class="figure"><img src="results-mfq2_files/figure-html/fig-mfq2-cells-1.png"></figure>
<nav class="page-navigation">
<div class="nav-page nav-page-previous"><a href="../reports/data-methods.html"
 class="pagination-link">Data and methods</a></div>
<div class="nav-page nav-page-next"><a href="../reports/results-wvs7.html"
 class="pagination-link">WVS-7 results</a></div>
</nav></body></html>"""


def test_pages_are_found_in_quartos_layout(tmp_path: Path) -> None:
    """Quarto's layout: chapters where their sources lie, links relative to each page."""
    (tmp_path / "site_libs" / "quarto-nav").mkdir(parents=True)
    (tmp_path / "site_libs" / "quarto-nav" / "nav.html").write_text("<p>library</p>")
    (tmp_path / "reports").mkdir()
    (tmp_path / "reports" / "results-mfq2.html").write_text(QUARTO_CHAPTER_PAGE)
    (tmp_path / "index.html").write_text(
        '<h1>Overview</h1><div class="nav-page nav-page-next">'
        '<a href="./reports/data-methods.html#top">next</a></div>')
    pages = read_pages(tmp_path)
    assert sorted(pages) == ["index.html", "reports/results-mfq2.html"]
    assert page_of("reports/results-mfq2.qmd") == "reports/results-mfq2.html"
    assert page_of("index.qmd") == "index.html"
    chapter = pages["reports/results-mfq2.html"]
    assert chapter.next_href == page_of("reports/results-wvs7.qmd")
    assert pages["index.html"].next_href == "reports/data-methods.html"
    assert chapter.relative(chapter.images[0]) == (
        "reports/results-mfq2_files/figure-html/fig-mfq2-cells-1.png"
    )
    assert "MFQ-2 results" in chapter.headings[0]
