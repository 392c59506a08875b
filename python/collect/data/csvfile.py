"""Strict CSV reading: every value keeps the line it came from, so errors can point at it."""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from collect.errors import InputError

LINE = "_line"  # physical line (1-based) where a record starts; header is line 1

_OTHER_DELIMITERS = {";": "semicolon", "\t": "tab", "|": "pipe", ",": "comma"}


def read_records(
    path: Path, required: Iterable[str], *, delimiter: str = ",", label: str | None = None
) -> pd.DataFrame:
    """Read `path` as text, check the header, return the required columns plus `_line`.

    A byte-order mark is accepted. A header that looks split by another delimiter, or that lacks
    a required column, is an error naming the file and what was expected.
    """
    required = list(required)
    name = label or str(path)
    if not path.is_file():
        raise InputError("file not found", file=name)
    with path.open(newline="", encoding="utf-8-sig") as handle:
        reader = csv.reader(handle, delimiter=delimiter)
        try:
            header = [column.strip() for column in next(reader)]
        except StopIteration:
            raise InputError("file is empty; expected a header line", file=name, line=1) from None
        _check_header(header, required, delimiter, name)
        positions = [header.index(column) for column in required]
        rows: list[list[str]] = []
        lines: list[int] = []
        start = reader.line_num + 1
        for record in reader:
            if not record:
                start = reader.line_num + 1
                continue
            if len(record) != len(header):
                raise InputError(
                    f"has {len(record)} fields, the header has {len(header)}",
                    file=name,
                    line=start,
                )
            rows.append([record[i] for i in positions])
            lines.append(start)
            start = reader.line_num + 1
    frame = pd.DataFrame(rows, columns=required, dtype="string")
    frame[LINE] = np.asarray(lines, dtype="int64")
    return frame


def _check_header(header: list[str], required: list[str], delimiter: str, name: str) -> None:
    missing = [column for column in required if column not in header]
    if not missing:
        return
    if len(header) == 1:
        for other, word in _OTHER_DELIMITERS.items():
            if other != delimiter and other in header[0]:
                raise InputError(
                    f"the header looks {word}-delimited; expected "
                    f"{_OTHER_DELIMITERS.get(delimiter, repr(delimiter))}-delimited columns "
                    f"{required}",
                    file=name,
                    line=1,
                )
    raise InputError(
        f"missing column(s) {missing}; expected {required}, found {header}", file=name, line=1
    )


def refuse_rows(
    frame: pd.DataFrame, bad: pd.Series, column: str, name: str, message: Callable[[Any], str]
) -> None:
    """Raise for the first row flagged `bad`, naming its line and `column`."""
    if bad.any():
        row = frame.loc[bad].iloc[0]
        raise InputError(message(row), file=name, line=int(row[LINE]), column=column)


def numbers(
    frame: pd.DataFrame,
    column: str,
    name: str,
    *,
    integer: bool = False,
    low: float | None = None,
    high: float | None = None,
    allow_empty: bool = False,
) -> pd.Series:
    """Parse `column` as numbers; the first bad value is an error naming its line and column."""
    text = frame[column].astype("string").str.strip()
    empty = text.isna() | (text == "") | text.str.upper().isin(["NA", "NAN"])
    values = pd.to_numeric(text.where(~empty), errors="coerce")
    bad = values.isna() & ~empty
    if integer:
        bad |= values.notna() & (values != np.floor(values))
    kind = "an integer" if integer else "a number"
    refuse_rows(frame, bad, column, name, lambda row: f"value {row[column]!r} is not {kind}")
    if not allow_empty:
        refuse_rows(frame, empty, column, name, lambda row: "value is empty; expected a number")
    outside = values.notna() & (
        (values < low if low is not None else False)
        | (values > high if high is not None else False)
    )
    refuse_rows(
        frame, outside, column, name, lambda row: f"value {row[column]} is outside {low}..{high}"
    )
    return values.astype("Int64" if integer else "float64")


def one_of(frame: pd.DataFrame, column: str, allowed: Iterable[str], name: str) -> pd.Series:
    allowed = list(allowed)
    values = frame[column].astype("string").str.strip()
    refuse_rows(
        frame,
        ~values.isin(allowed),
        column,
        name,
        lambda row: f"value {row[column]!r} is not one of {allowed}",
    )
    return values


def refuse_duplicates(frame: pd.DataFrame, key: list[str], name: str) -> None:
    dup = frame.duplicated(key, keep=False)
    if dup.any():
        rows = frame.loc[dup].sort_values([*key, LINE])
        first = rows.iloc[0]
        lines = rows.loc[(rows[key] == first[key]).all(axis=1), LINE].tolist()
        raise InputError(
            f"duplicated key {dict(first[key])} on lines {lines}", file=name, line=int(lines[0])
        )
