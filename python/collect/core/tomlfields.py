"""Typed reads from one table of a TOML file, with errors that name the file and the field."""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from collect.errors import InputError


def read_toml(path: Path) -> dict[str, Any]:
    if not path.exists():
        raise InputError("file does not exist", file=path)
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as err:
        raise InputError(f"not valid TOML: {err}", file=path) from None


class Fields:
    """One TOML table; `where` names it in errors ("models[3] (gpt-4o)")."""

    def __init__(self, table: Any, where: str, file: Path) -> None:
        if not isinstance(table, Mapping):
            raise InputError(f"{where} must be a table", file=file, column=where)
        self.table = table
        self.where = where
        self.file = file

    def error(self, name: str, message: str) -> InputError:
        return InputError(message, file=self.file, column=f"{self.where}.{name}")

    def get(self, name: str, kind: type | tuple[type, ...], default: Any = ...) -> Any:
        if name not in self.table:
            if default is ...:
                raise self.error(name, "required field is missing")
            return default
        value = self.table[name]
        if isinstance(value, bool) and bool not in (kind if isinstance(kind, tuple) else (kind,)):
            raise self.error(name, f"expected {_kind_name(kind)}, got {value!r}")
        if not isinstance(value, kind):
            raise self.error(name, f"expected {_kind_name(kind)}, got {value!r}")
        return value

    def number(self, name: str, default: Any = ...) -> float | None:
        value = self.get(name, (int, float), default)
        return None if value is None else float(value)

    def positive(self, name: str, default: Any = ...) -> float | None:
        """A number above zero (seconds, a rate), or None when absent and defaulting to None."""
        value = self.number(name, default)
        if value is not None and not value > 0:
            raise self.error(name, f"must be a positive number, got {value:g}")
        return value

    def strings(self, name: str, default: Any = ...) -> tuple[str, ...] | None:
        value = self.get(name, list, default)
        if value is None:
            return None
        if not all(isinstance(v, str) for v in value):
            raise self.error(name, f"expected a list of strings, got {value!r}")
        return tuple(value)

    def reject_unknown(self, allowed: set[str] | frozenset[str]) -> None:
        extra = sorted(set(self.table) - allowed)
        if extra:
            raise self.error(extra[0], f"unknown field; expected one of {sorted(allowed)}")


def _kind_name(kind: type | tuple[type, ...]) -> str:
    kinds = kind if isinstance(kind, tuple) else (kind,)
    names = {int: "an integer", float: "a number", str: "a string", bool: "true or false",
             list: "a list", dict: "a table"}
    return " or ".join(names.get(k, k.__name__) for k in kinds)
