"""Errors the user can act on: each names the file, line or field and what was expected."""

from __future__ import annotations

from pathlib import Path


class MoralignError(Exception):
    """Base class for errors reported to the user without a traceback."""


class InputError(MoralignError):
    """Bad input data, located as precisely as possible."""

    def __init__(
        self,
        message: str,
        *,
        file: str | Path | None = None,
        line: int | None = None,
        column: str | None = None,
    ) -> None:
        self.file = str(file) if file is not None else None
        self.line = line
        self.column = column
        where = ", ".join(
            part
            for part in (
                self.file,
                f"line {line}" if line is not None else None,
                f"column {column!r}" if column is not None else None,
            )
            if part
        )
        super().__init__(f"{where}: {message}" if where else message)


class MissingDataError(MoralignError):
    """A data file the step needs is not there; the message says how to get it."""
