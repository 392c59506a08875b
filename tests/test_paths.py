"""The project root is the folder the user works in, not where the package is installed."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from collect.paths import find_project_root


def _clone(folder: Path) -> Path:
    (folder / "studies").mkdir(parents=True)
    (folder / "data").mkdir()
    (folder / "pyproject.toml").write_text('[project]\nname = "moralign"\n', encoding="utf-8")
    return folder


def test_the_root_is_the_nearest_project_above_the_current_folder(tmp_path: Path) -> None:
    clone = _clone(tmp_path / "second-clone")
    deep = clone / "results" / "figures"
    deep.mkdir(parents=True)
    assert find_project_root(deep) == clone.resolve()
    other = tmp_path / "elsewhere"
    other.mkdir()
    (other / "pyproject.toml").write_text('[project]\nname = "another"\n', encoding="utf-8")
    assert find_project_root(other) == other.resolve()  # no project above: where one stands


def test_a_second_clone_sharing_the_environment_writes_into_itself(tmp_path: Path) -> None:
    clone = _clone(tmp_path / "clone")
    shown = subprocess.run(
        [sys.executable, "-c", "from collect.paths import PATHS; print(PATHS.canonical)"],
        cwd=clone / "studies", capture_output=True, text=True, check=True,
        env={"PATH": "/usr/bin:/bin"},
    ).stdout.strip()
    assert Path(shown) == clone.resolve() / "data" / "canonical"


def test_each_study_has_folders_of_its_own_and_the_shipped_one_keeps_the_top_level(
    tmp_path: Path,
) -> None:
    from collect.paths import SHIPPED_STUDY, ProjectPaths

    paths = ProjectPaths(root=tmp_path)
    shipped, mine = paths.study(SHIPPED_STUDY), paths.study("mine")
    assert (shipped.canonical, shipped.results, shipped.book) == (
        paths.canonical, paths.results, tmp_path / "_book")
    assert mine.canonical == tmp_path / "data" / "studies" / "mine" / "canonical"
    assert mine.derived == tmp_path / "data" / "studies" / "mine" / "derived"
    assert mine.results == paths.results / "studies" / "mine"
    assert mine.book == tmp_path / "_book-studies" / "mine"
    assert mine.export == tmp_path / "data" / "collected" / "mine" / "export"
    assert not {mine.canonical, mine.derived, mine.results, mine.book} & {
        shipped.canonical, shipped.derived, shipped.results, shipped.book}
