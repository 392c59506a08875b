"""`moralign collect ...` as a real subprocess."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from tests.collector.studyfiles import TEST_KEY, TEST_KEY_ENV


def collect_env(**extra: str) -> dict[str, str]:
    return {**os.environ, TEST_KEY_ENV: TEST_KEY, "COLUMNS": "160", **extra}


def collect_command(*args: str) -> list[str]:
    return [sys.executable, "-m", "collect", "collect", *args]


def run_collect(*args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        collect_command(*args), env=collect_env(), capture_output=True, text=True,
        timeout=timeout,
    )


def start_collect(*args: str, log: Path) -> subprocess.Popen[bytes]:
    with log.open("wb") as handle:
        return subprocess.Popen(
            collect_command(*args), env=collect_env(), stdout=handle, stderr=subprocess.STDOUT
        )


def stored_rows(db: Path) -> int:
    if not db.exists():
        return 0
    try:
        with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=5) as conn:
            return int(conn.execute("SELECT count(*) FROM calls").fetchone()[0])
    except sqlite3.OperationalError:  # the schema is not there yet
        return 0


def stored_key_counts(db: Path) -> tuple[int, int, int, int]:
    """Rows, distinct call keys, and the fewest and most attempts of any row."""
    with sqlite3.connect(db) as conn:
        return conn.execute(
            "SELECT count(*), count(DISTINCT model || language || persona || item || '/' || "
            "iteration), min(attempts), max(attempts) FROM calls"
        ).fetchone()


def wait_for_rows(db: Path, at_least: int, process: subprocess.Popen[bytes],
                  timeout_s: float = 60) -> int:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        rows = stored_rows(db)
        if rows >= at_least:
            return rows
        if process.poll() is not None:
            raise AssertionError(f"collector exited early with {process.returncode}")
        time.sleep(0.05)
    raise AssertionError(f"fewer than {at_least} rows after {timeout_s} s")
