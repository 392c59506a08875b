"""Derived similarity tables of the release (paper mode, MFQ-2), built once per session."""

from __future__ import annotations

from pathlib import Path

import pytest
from collect.paths import PATHS
from collect.similarity.run import run_similarity


@pytest.fixture(scope="session")
def derived_root(canonical_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """OUT of `moralign similarity --out OUT --instrument mfq2`, in paper mode."""
    out = tmp_path_factory.mktemp("derived")
    run_similarity(canonical_dir, out, "paper", ["mfq2"], PATHS.wvs7_file, say=lambda _: None)
    if not (out / "paper" / "mfq2" / "rq1.rds").is_file():
        pytest.fail(f"the similarity step wrote no {out}/paper/mfq2/rq1.rds")
    return out


@pytest.fixture(scope="session")
def derived_paper(derived_root: Path) -> Path:
    return derived_root / "paper"
