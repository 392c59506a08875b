"""Where the project's files live: under the folder the user works in (the project root found
from the current directory). Every folder can be moved with an environment variable."""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass
from pathlib import Path

PROJECT_NAME = "moralign"


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


PATHS = ProjectPaths()
