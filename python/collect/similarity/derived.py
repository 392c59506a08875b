"""Writing derived tables (.rds for R) and the manifest that describes them."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pandas as pd

from collect.similarity.rds import write_rds_frame

MANIFEST = "manifest.json"


def table_path(out: Path, ids: str, instrument: str, analysis: str) -> Path:
    return out / ids / instrument / f"{analysis}.rds"


def write_rds(frame: pd.DataFrame, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".rds.tmp")
    try:
        write_rds_frame(frame, tmp)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    tmp.replace(path)


def update_manifest(folder: Path, options: dict[str, Any],
                    instruments: dict[str, dict[str, Any]], contract: dict[str, Any]) -> Path:
    """Replace the entries of the instruments just built; keep those of the others.

    `contract`: the vocabulary R reads (collect.similarity.contract)."""
    path = folder / MANIFEST
    current: dict[str, Any] = {}
    if path.exists():
        current = json.loads(path.read_text(encoding="utf-8"))
    merged = {**current.get("instruments", {}), **instruments}
    manifest = {"options": options, "contract": contract,
                "instruments": dict(sorted(merged.items()))}
    folder.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(manifest, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    tmp.replace(path)
    return path
