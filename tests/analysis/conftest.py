"""Derived similarity tables of the release (MFQ-2, both respondent-id modes), built once per
session."""

from __future__ import annotations

from pathlib import Path

import pytest
from collect.paths import PATHS
from collect.similarity.run import run_similarity
from collect.vocab import RespondentIds


@pytest.fixture(scope="session")
def derived_root(canonical_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """OUT of `moralign similarity --out OUT --instrument mfq2`, in both respondent-id modes."""
    out = tmp_path_factory.mktemp("derived")
    for ids in RespondentIds:
        run_similarity(canonical_dir, out, ids, ["mfq2"], PATHS.wvs7_file, say=lambda _: None)
        if not (out / ids / "mfq2" / "rq1.rds").is_file():
            pytest.fail(f"the similarity step wrote no {out}/{ids}/mfq2/rq1.rds")
    return out


@pytest.fixture(scope="session")
def derived_paper(derived_root: Path) -> Path:
    return derived_root / "paper"
