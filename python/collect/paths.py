"""Where the project's files live: under the folder the user works in (the project root found
from the current directory). Every folder can be moved with an environment variable."""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass
from pathlib import Path

PROJECT_NAME = "moralign"
# The study the project ships and reproduces: its files keep the project's top-level folders.
SHIPPED_STUDY = "made_in_china"


def find_project_root(start: Path) -> Path:
    """The folder the user works in: the nearest ancestor of `start` (itself included) that holds
    the project's pyproject.toml (project name moralign), or else its studies/ and data/ folders;
    `start` itself when there is none. Never where the package is installed: two clones sharing
    one virtual environment each keep their own data."""
    start = start.resolve()
    for folder in (start, *start.parents):
        if _is_project(folder):
            return folder
    return start


def _is_project(folder: Path) -> bool:
    pyproject = folder / "pyproject.toml"
    if pyproject.is_file():
        try:
            name = tomllib.loads(pyproject.read_text(encoding="utf-8"))["project"]["name"]
        except (tomllib.TOMLDecodeError, KeyError, TypeError, UnicodeDecodeError):
            name = None
        if name == PROJECT_NAME:
            return True
    return (folder / "studies").is_dir() and (folder / "data").is_dir()


ROOT = find_project_root(Path.cwd())


@dataclass(frozen=True)
class ProjectPaths:
    root: Path = ROOT

    @property
    def sources(self) -> Path:
        return self.root / "data" / "sources.toml"

    @property
    def external(self) -> Path:
        return Path(os.environ.get("MORALIGN_EXTERNAL_DIR", self.root / "data" / "external"))

    @property
    def canonical(self) -> Path:
        return Path(os.environ.get("MORALIGN_CANONICAL_DIR", self.root / "data" / "canonical"))

    @property
    def derived(self) -> Path:
        return Path(os.environ.get("MORALIGN_DERIVED_DIR", self.root / "data" / "derived"))

    @property
    def results(self) -> Path:
        return Path(os.environ.get("MORALIGN_RESULTS_DIR", self.root / "results"))

    @property
    def wvs7_file(self) -> Path:
        """The official WVS wave 7 cross-national CSV, which users download themselves."""
        default = self.external / "wvs7" / "WVS_Cross-National_Wave_7_csv_v5_0.csv"
        return Path(os.environ.get("MORALIGN_WVS7_FILE", default))

    @property
    def studies(self) -> Path:
        return self.root / "studies"

    @property
    def shipped_study(self) -> Path:
        return self.studies / f"{SHIPPED_STUDY}.toml"

    def study(self, name: str) -> StudyPaths:
        """Where the files of the study called `name` live (see StudyPaths)."""
        if name == SHIPPED_STUDY:
            return StudyPaths(name, self.canonical, self.derived, self.results,
                              self.root / "_book", self.collected(name))
        data = self.root / "data" / "studies" / name
        return StudyPaths(name, data / "canonical", data / "derived",
                          self.results / "studies" / name, self.root / "_book-studies" / name,
                          self.collected(name))

    def collected(self, name: str) -> Path:
        """The default export folder of a study's collected answers."""
        return self.root / "data" / "collected" / name / "export"


@dataclass(frozen=True)
class StudyPaths:
    """One study's folders, apart from every other study's: the shipped study keeps
    data/canonical, data/derived/<mode>, results/ and _book/; any other study NAME has
    data/studies/NAME/{canonical,derived}, results/studies/NAME/ and _book-studies/NAME/.
    Its answers come from its export folder, data/collected/NAME/export."""

    name: str
    canonical: Path
    derived: Path
    results: Path
    book: Path
    export: Path


PATHS = ProjectPaths()


def shown(text: str) -> str:
    """Text with the project's absolute location removed, so paths read relative to it."""
    return text.replace(f"{ROOT}/", "")
