"""Fixtures of the collector tests: the shipped studies with the fetched item tables."""

from __future__ import annotations

from pathlib import Path

import pytest
from collect.paths import ROOT

STUDIES = ROOT / "studies"


@pytest.fixture
def external_items(fetched_release: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Point `{external}` in study files at a folder where the release was fetched."""
    monkeypatch.setenv("MORALIGN_EXTERNAL_DIR", str(fetched_release))
    return fetched_release
