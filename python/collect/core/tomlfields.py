"""A TOML file read, or an error naming the file and what is wrong with it."""

from __future__ import annotations

import tomllib
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
