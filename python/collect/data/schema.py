"""The canonical tables: the one tidy format every importer writes and every later step reads.

Columns and meanings are documented in data/README.md; keep the two in step.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from collect.errors import InputError, MissingDataError


@dataclass(frozen=True)
class TableSpec:
    name: str
    columns: dict[str, str]  # column -> pandas dtype
    key: tuple[str, ...]
    # Values of columns that older tables lack (e.g. `readout`, added later): filled in on read.
    defaults: Mapping[str, object] = field(default_factory=dict)

    @property
    def filename(self) -> str:
        return f"{self.name}.csv"


ITEMS = TableSpec(
    "items",
    {
        "instrument": "string",
        "item": "int64",
        "dimension": "string",
        "language": "string",
        "text": "string",
    },
    ("instrument", "item", "language"),
)
MODELS = TableSpec(
    "models",
    {
        "model": "string",
        "display_name": "string",
        "maker": "string",
        "origin": "string",
        "kind": "string",
    },
    ("model",),
)
MODEL_CALLS = TableSpec(
    "model_calls",
    {
        "instrument": "string",
        "model": "string",
        "provider": "string",
        "api_model": "string",
        "temperature": "float64",
        "collected_on": "string",
    },
    ("instrument", "model", "provider", "api_model", "temperature", "collected_on"),
)
HUMAN_RESPONSES = TableSpec(
    "human_responses",
    {
        "instrument": "string",
        "respondent": "int64",
        "paper_id": "int64",
        "nationality": "string",
        "language": "string",
        "item": "int64",
        "rating": "float64",
    },
    ("instrument", "nationality", "respondent", "item"),
)
# How a rating was read: "sampled" (answers sampled and parsed) or "logprob" (read from the
# answer's token probabilities); tables written before the column existed are all sampled.
READOUT_DEFAULT = {"readout": "sampled"}
LLM_RATINGS = TableSpec(
    "llm_ratings",
    {
        "instrument": "string",
        "model": "string",
        "language": "string",
        "persona": "string",
        "item": "int64",
        "mean": "float64",
        "n_valid": "Int64",
        "n_calls": "int64",
        "condition_prop_invalid": "float64",
        "readout": "string",  # sampled | logprob
    },
    ("instrument", "model", "language", "persona", "item"),
    READOUT_DEFAULT,
)
LLM_CALLS = TableSpec(
    "llm_calls",
    {
        "study": "string",
        "instrument": "string",
        "model": "string",
        "language": "string",
        "persona": "string",
        "item": "int64",
        "iteration": "int64",
        "raw_text": "string",
        "rating": "float64",
        "valid": "bool",
        "status": "string",  # collect.core.outcome: valid, invalid, refused, failed
        "readout": "string",  # sampled | logprob
    },
    ("study", "instrument", "model", "language", "persona", "item", "iteration"),
    READOUT_DEFAULT,
)

TABLES: dict[str, TableSpec] = {
    spec.name: spec
    for spec in (ITEMS, MODELS, MODEL_CALLS, HUMAN_RESPONSES, LLM_RATINGS, LLM_CALLS)
}


def conform(frame: pd.DataFrame, spec: TableSpec, source: str | Path) -> pd.DataFrame:
    """Return `frame` with exactly the spec's columns and dtypes; refuse duplicated keys. Columns
    with a default that `frame` lacks get it."""
    frame = frame.assign(**{c: v for c, v in spec.defaults.items() if c not in frame.columns})
    missing = [c for c in spec.columns if c not in frame.columns]
    if missing:
        raise InputError(f"{spec.name} table lacks columns {missing}", file=source)
    out = frame.loc[:, list(spec.columns)].astype(spec.columns)
    dup = out.duplicated(list(spec.key), keep=False)
    if dup.any():
        first = out.loc[dup, list(spec.key)].iloc[0].to_dict()
        raise InputError(
            f"{int(dup.sum())} rows of the {spec.name} table share a key {spec.key}; "
            f"first: {first}",
            file=source,
        )
    return out.reset_index(drop=True)


def write_table(frame: pd.DataFrame, spec: TableSpec, folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / spec.filename
    tmp = path.with_suffix(".csv.tmp")
    conform(frame, spec, path).to_csv(tmp, index=False)
    tmp.replace(path)
    return path


def read_table(spec: TableSpec, folder: Path) -> pd.DataFrame:
    path = folder / spec.filename
    if not path.exists():
        raise MissingDataError(
            f"canonical table {path} does not exist; build it with `moralign data import`"
        )
    frame = pd.read_csv(
        path, dtype={c: t for c, t in spec.columns.items() if t != "bool"}, keep_default_na=True
    )
    return conform(frame, spec, path)
