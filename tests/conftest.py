"""Fixtures shared by every test folder: the release mirror and canonical tables built from it."""

from __future__ import annotations

from pathlib import Path

import pytest
from collect.data.canonical import build_canonical
from collect.data.sources import fetch_all
from collect.paths import ROOT

SHARED_DATA = ROOT.parent / "shared" / "data"
RELEASE_MIRROR = SHARED_DATA / "made_in_china"


@pytest.fixture(scope="session")
def release_mirror() -> Path:
    if not RELEASE_MIRROR.is_dir():
        pytest.fail(f"the release mirror {RELEASE_MIRROR} is missing; tests need ../shared/data")
    return RELEASE_MIRROR


@pytest.fixture(scope="session")
def fetched_release(release_mirror: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """data/external as `moralign data fetch --mirror` leaves it, in a temporary folder: every
    dataset of data/sources.toml, from the shared data folder (each dataset in its mirror_dir)."""
    external = tmp_path_factory.mktemp("external")
    fetch_all(mirror=SHARED_DATA, external=external)
    return external


@pytest.fixture(scope="session")
def canonical_dir(fetched_release: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Canonical tables of the release (no WVS-7 humans: that file is user-supplied)."""
    out = tmp_path_factory.mktemp("canonical")
    build_canonical(external=fetched_release, out=out, wvs7_file=out / "absent.csv")
    return out
