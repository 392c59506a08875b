"""Where the project's files live. Every folder can be moved with an environment variable."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path


def _project_root() -> Path:
    here = Path(__file__).resolve()
    for parent in here.parents:
        if (parent / "pyproject.toml").exists() and (parent / "data").is_dir():
            return parent
    return Path.cwd()


ROOT = _project_root()


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
