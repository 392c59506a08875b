"""Pinned external files: read data/sources.toml, fetch by URL or from a mirror, verify sha256."""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
import tomllib
import urllib.request
from collections.abc import Callable, Collection
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from collect.errors import InputError, MoralignError
from collect.paths import PATHS

MIRROR_ENV = "MORALIGN_DATA_MIRROR"


class ChecksumError(MoralignError):
    pass


@dataclass(frozen=True)
class SourceFile:
    dataset: str
    local: str  # path under data/external/<dataset>/ and in a mirror folder
    path: str  # path in the upstream repository
    url: str
    sha256: str
    mirror_dir: str = ""  # the dataset's folder inside a mirror that holds several datasets
    on_request: bool = False  # fetched only when named (`data fetch --dataset`), not by default

    def target(self, external: Path) -> Path:
        return external / self.dataset / self.local


def _datasets(path: Path) -> dict[str, Any]:
    """The `[datasets.*]` entries, then the `[tools.*]` ones (sources of the tools the project
    builds, fetched only when named and never described as the study's data)."""
    with path.open("rb") as handle:
        try:
            document = tomllib.load(handle)
        except tomllib.TOMLDecodeError as err:
            raise InputError(f"not valid TOML: {err}", file=path) from None
    tools = {name: {**entry, "on_request": True}
             for name, entry in document.get("tools", {}).items()}
    return {**document.get("datasets", {}), **tools}


def dataset_names(path: Path = PATHS.sources) -> list[str]:
    return list(_datasets(path))


def load_sources(path: Path = PATHS.sources, datasets: Collection[str] = ()) -> list[SourceFile]:
    """The files of `datasets`; by default of every dataset not marked `on_request`."""
    known = _datasets(path)
    unknown = sorted(set(datasets) - set(known))
    if unknown:
        raise InputError(f"no dataset {', '.join(unknown)}; known: {', '.join(known)}", file=path)
    files: list[SourceFile] = []
    for name, dataset in known.items():
        wanted = name in datasets if datasets else not dataset.get("on_request", False)
        if not wanted:
            continue
        for field in ("commit", "files"):
            if field not in dataset:
                raise InputError(f"dataset {name!r} needs a {field!r} entry", file=path)
        for entry in dataset["files"]:
            for field in ("local", "path", "sha256"):
                if field not in entry:
                    raise InputError(f"a file of dataset {name!r} lacks {field!r}", file=path)
            # without a url_pattern a file is only ever copied from a mirror
            url = dataset.get("url_pattern", "").format(commit=dataset["commit"],
                                                        path=entry["path"])
            files.append(SourceFile(name, entry["local"], entry["path"], url, entry["sha256"],
                                    dataset.get("mirror_dir", name),
                                    dataset.get("on_request", False)))
    return files


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _download(source: SourceFile, destination: Path) -> None:
    if not source.url:
        raise MoralignError(
            f"{source.dataset}/{source.local} has no download address (see data/sources.toml): "
            f"set {MIRROR_ENV} to a folder holding {source.mirror_dir}/{source.local}"
        )
    with urllib.request.urlopen(source.url, timeout=60) as response, destination.open("wb") as out:
        shutil.copyfileobj(response, out)


def _mirror_copier(mirror: Path) -> Callable[[SourceFile, Path], None]:
    def copy(source: SourceFile, destination: Path) -> None:
        # a mirror holds several datasets, each in its `mirror_dir` or laid out like data/external,
        # or is one dataset's folder laid out like data/external/<dataset>/ or like its repository
        folders = dict.fromkeys((mirror / (source.mirror_dir or source.dataset),
                                 mirror / source.dataset, mirror))
        candidates = [folder / name for folder in folders for name in (source.local, source.path)]
        for candidate in candidates:
            if candidate.is_file():
                shutil.copyfile(candidate, destination)
                return
        raise MoralignError(
            f"mirror {mirror} has no {source.local} (nor {source.path}) of dataset {source.dataset}"
        )

    return copy


def fetch_file(
    source: SourceFile, external: Path, get: Callable[[SourceFile, Path], None]
) -> tuple[Path, bool]:
    """Make sure `source` is in place with the right hash; return (path, whether it was fetched).

    The file is written under a temporary name and renamed only once its hash matches, so a
    failed or interrupted fetch never leaves a half-written file where a good one is expected.
    """
    target = source.target(external)
    if target.is_file() and sha256_of(target) == source.sha256:
        return target, False
    target.parent.mkdir(parents=True, exist_ok=True)
    handle, tmp_name = tempfile.mkstemp(
        dir=target.parent, prefix=f".{target.name}.", suffix=".part"
    )
    os.close(handle)
    tmp = Path(tmp_name)
    try:
        get(source, tmp)
        actual = sha256_of(tmp)
        if actual != source.sha256:
            raise ChecksumError(
                f"{source.dataset}/{source.local}: sha256 mismatch, expected {source.sha256}, "
                f"got {actual}; the file was not kept"
            )
        tmp.replace(target)
    finally:
        tmp.unlink(missing_ok=True)
    return target, True


def fetch_all(
    mirror: Path | None = None,
    external: Path | None = None,
    sources: list[SourceFile] | None = None,
) -> list[tuple[Path, bool]]:
    external = external or PATHS.external
    sources = sources if sources is not None else load_sources()
    if mirror is None and os.environ.get(MIRROR_ENV):
        mirror = Path(os.environ[MIRROR_ENV])
    if mirror is not None and not mirror.is_dir():
        raise MoralignError(f"mirror folder {mirror} does not exist")
    get = _mirror_copier(mirror) if mirror is not None else _download
    return [fetch_file(source, external, get) for source in sources]


def dataset_dir(dataset: str, external: Path | None = None) -> Path:
    return (external or PATHS.external) / dataset
