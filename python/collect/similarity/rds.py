"""Writes a data frame as an R `.rds` file: R's serialisation format 2, big-endian, uncompressed.

Whole columns go out as arrays, so writing the largest MFQ-2 table takes milliseconds. Text
columns become factors (levels written once); R's reader (`read_rds_table`) turns them back
into character vectors. Missing values become R's NA of the column's type. Every column is
encoded before the first byte is written, so a column R cannot hold fails with no file left.
"""

from __future__ import annotations

import struct
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import numpy as np
import pandas as pd
from pandas.api import types

# SEXP types and header bits of R's serialisation format (R Internals, section 1.8).
NILVALUE, SYMSXP, LISTSXP, CHARSXP = 254, 1, 2, 9
LGLSXP, INTSXP, REALSXP, STRSXP, VECSXP = 10, 13, 14, 16, 19
IS_OBJECT, HAS_ATTR, HAS_TAG = 1 << 8, 1 << 9, 1 << 10
ASCII_LEVEL, UTF8_LEVEL = 64 << 12, 8 << 12
NA_INTEGER = -(2**31)
NA_REAL_BITS = 0x7FF00000000007A2  # R's NA_real_, a NaN with payload 1954
WRITER_VERSION = (4 << 16) | (2 << 8)  # the format as written by R 4.2
READER_VERSION = (2 << 16) | (3 << 8)  # readable by R >= 2.3


class UnsupportedColumn(TypeError):
    pass


@dataclass(frozen=True)
class RColumn:
    sexp_type: int  # LGLSXP, INTSXP or REALSXP
    data: bytes  # big-endian, NA already in R's coding
    length: int
    levels: tuple[bytes, ...] | None = None  # UTF-8 factor levels


def write_rds_frame(frame: pd.DataFrame, path: Path) -> None:
    names = [str(name) for name in frame.columns]
    repeated = sorted({name for name in names if names.count(name) > 1})
    if repeated:
        raise UnsupportedColumn(f"column names appear more than once: {', '.join(repeated)}")
    columns = [encode_column(frame.iloc[:, i], name) for i, name in enumerate(names)]
    with path.open("wb") as out:
        out.write(b"X\n")
        _ints(out, [2, WRITER_VERSION, READER_VERSION])
        _header(out, VECSXP, object_=True, attributes=True)
        _ints(out, [len(columns)])
        for column in columns:
            _write_column(out, column)
        _attributes(out, [
            ("names", lambda: _strings(out, [name.encode() for name in names])),
            ("class", lambda: _strings(out, [b"data.frame"])),
            ("row.names", lambda: _vector(out, INTSXP,
                                          _big_endian(np.array([NA_INTEGER, -len(frame)])), 2)),
        ])


def encode_column(column: pd.Series, name: str) -> RColumn:
    dtype = column.dtype
    missing = column.isna().to_numpy()
    if isinstance(dtype, pd.CategoricalDtype):
        return _factor(column.cat.codes.to_numpy(), [str(level) for level in dtype.categories],
                       name)
    if types.is_integer_dtype(dtype):
        values = column.fillna(0).to_numpy(dtype=np.int64)
        if values.size and (values.min() <= NA_INTEGER or values.max() >= 2**31):
            raise UnsupportedColumn(f"column {name!r}: integers outside R's 32-bit range")
        return RColumn(INTSXP, _big_endian(np.where(missing, NA_INTEGER, values)), len(column))
    if types.is_float_dtype(dtype):
        bits = column.to_numpy(dtype=np.float64).astype(">f8").view(">u8")
        bits[missing] = NA_REAL_BITS
        return RColumn(REALSXP, bits.tobytes(), len(column))
    # bool, object and string columns: what they hold, missing values aside
    held = "boolean" if types.is_bool_dtype(dtype) else str(types.infer_dtype(column, skipna=True))
    if held == "boolean":
        values = column.fillna(False).astype(bool).to_numpy().astype(np.int64)
        return RColumn(LGLSXP, _big_endian(np.where(missing, NA_INTEGER, values)), len(column))
    if held in ("string", "empty"):
        codes, levels = pd.factorize(column)
        return _factor(codes, list(levels), name)
    raise UnsupportedColumn(f"column {name!r} has type {dtype}; expected numbers, logicals or text")


def _factor(codes: np.ndarray, levels: list[str], name: str) -> RColumn:
    """`codes`: 0-based, -1 for missing (pandas' convention)."""
    if len(set(levels)) < len(levels):
        raise UnsupportedColumn(f"column {name!r}: two categories have the same text")
    try:
        encoded = tuple(level.encode("utf-8") for level in levels)
    except UnicodeEncodeError as err:
        raise UnsupportedColumn(f"column {name!r}: text that is not valid Unicode ({err.reason})"
                                ) from None
    codes = codes.astype(np.int64)  # pandas' codes may be int8, too narrow for R's NA
    return RColumn(INTSXP, _big_endian(np.where(codes < 0, NA_INTEGER, codes + 1)), len(codes),
                   encoded)


def _big_endian(integers: np.ndarray) -> bytes:
    return integers.astype(">i4").tobytes()


def _write_column(out: BinaryIO, column: RColumn) -> None:
    if column.levels is None:
        _vector(out, column.sexp_type, column.data, column.length)
        return
    _header(out, INTSXP, object_=True, attributes=True)
    _ints(out, [column.length])
    out.write(column.data)
    levels = column.levels
    _attributes(out, [
        ("levels", lambda: _strings(out, list(levels))),
        ("class", lambda: _strings(out, [b"factor"])),
    ])


def _vector(out: BinaryIO, sexp_type: int, data: bytes, length: int) -> None:
    _header(out, sexp_type)
    _ints(out, [length])
    out.write(data)


def _strings(out: BinaryIO, values: list[bytes]) -> None:
    _header(out, STRSXP)
    _ints(out, [len(values)])
    for value in values:
        _charsxp(out, value)


def _charsxp(out: BinaryIO, value: bytes) -> None:
    level = ASCII_LEVEL if value.isascii() else UTF8_LEVEL
    _ints(out, [CHARSXP | level, len(value)])
    out.write(value)


def _attributes(out: BinaryIO, attributes: list[tuple[str, Callable[[], None]]]) -> None:
    """A pairlist of tagged nodes; each value is written by its callable."""
    for tag, write_value in attributes:
        _ints(out, [LISTSXP | HAS_TAG, SYMSXP])
        _charsxp(out, tag.encode())
        write_value()
    _ints(out, [NILVALUE])


def _header(out: BinaryIO, sexp_type: int, object_: bool = False,
            attributes: bool = False) -> None:
    _ints(out, [sexp_type | (IS_OBJECT if object_ else 0) | (HAS_ATTR if attributes else 0)])


def _ints(out: BinaryIO, values: list[int]) -> None:
    out.write(struct.pack(f">{len(values)}i", *values))
