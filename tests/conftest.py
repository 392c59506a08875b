"""Fixtures shared by every test folder: the fetched release and canonical tables built from it.

The tests read the release where `moralign data fetch` put it (data/external/, or the folder
MORALIGN_EXTERNAL_DIR names), as `make test` leaves it. When files are missing there and
MORALIGN_DATA_MIRROR names a mirror, they are fetched from it first, as `moralign data fetch` does.
"""

from __future__ import annotations

import functools
import os
from pathlib import Path

import pytest
from collect.data.canonical import build_canonical
from collect.data.release import STUDY
from collect.data.sources import MIRROR_ENV, dataset_dir, fetch_all, load_sources, sha256_of
from collect.paths import PATHS


@functools.cache  # the hashes are checked once per test session
def fetched_external() -> Path:
    """data/external with every pinned file of every dataset in place and its sha256 checked."""
    sources = load_sources()
    missing = [s for s in sources if not s.target(PATHS.external).is_file()]
    if missing and os.environ.get(MIRROR_ENV):
        fetch_all(external=PATHS.external, sources=sources)
        missing = []
    if missing:
        pytest.fail(
            f"{PATHS.external} lacks {', '.join(s.local for s in missing)}: run `moralign data "
            f"fetch` (or `make test`, which fetches first), or set {MIRROR_ENV} to a local copy"
        )
    for source in sources:
        actual = sha256_of(source.target(PATHS.external))
        if actual != source.sha256:
            pytest.fail(f"{source.target(PATHS.external)} has sha256 {actual}, not the pinned "
                        f"{source.sha256}: run `moralign data fetch` again")
    return PATHS.external


def fetched_release_folder() -> Path:
    return dataset_dir(STUDY, fetched_external())


@pytest.fixture(scope="session")
def release_mirror() -> Path:
    """The fetched release folder; it also serves as a one-dataset mirror for fetch tests."""
    return fetched_release_folder()


@pytest.fixture(scope="session")
def fetched_release(release_mirror: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """data/external as `moralign data fetch --mirror` leaves it, in a temporary folder."""
    external = tmp_path_factory.mktemp("external")
    fetch_all(mirror=fetched_external(), external=external)
    return external


@pytest.fixture(scope="session")
def canonical_dir(fetched_release: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Canonical tables of the release (no WVS-7 humans: that file is user-supplied)."""
    out = tmp_path_factory.mktemp("canonical")
    build_canonical(external=fetched_release, out=out, wvs7_file=out / "absent.csv")
    return out
