"""One `collect run` per database: a second run stops at once; the lock dies with its holder."""

from __future__ import annotations

import hashlib
import json
import os
import signal
import socket
import sqlite3
import time
from pathlib import Path

import pytest
from collect.collector.runlock import DatabaseInUseError, lock_path, run_lock

from tests.collector.cli_runs import (
    run_collect,
    start_collect,
    stored_key_counts,
    wait_for_rows,
)
from tests.collector.studyfiles import TEST_KEY, calls_per_model, write_study
from tests.servers.openai_chat import OpenAIChat
from tests.servers.scripted import ScriptedServer


def _store_state(db: Path) -> tuple[dict[str, str], list[tuple[object, ...]]]:
    """The bytes of the database files and every row of calls and runs, read without writing."""
    files = {
        path.name: hashlib.sha256(path.read_bytes()).hexdigest()
        for path in (db, db.with_name(db.name + "-wal"), lock_path(db))
        if path.exists()
    }
    with sqlite3.connect(f"{db.as_uri()}?mode=ro", uri=True) as conn:
        rows = conn.execute("SELECT * FROM calls ORDER BY item, iteration, language, persona")
        runs = conn.execute("SELECT * FROM runs ORDER BY run_id")
        return files, [*rows.fetchall(), *runs.fetchall()]


def _wait_until_stopped(pid: int, timeout_s: float = 10.0) -> None:
    """SIGSTOP takes effect asynchronously: wait until the kernel reports the process stopped."""
    if not Path("/proc").is_dir():  # no procfs to ask: give the signal time to land
        time.sleep(0.5)
        return
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        if state in ("T", "t"):
            return
        time.sleep(0.01)
    raise AssertionError(f"process {pid} did not stop within {timeout_s} s")


def test_second_run_is_refused_while_the_first_holds_the_database(tmp_path: Path) -> None:
    db = tmp_path / "calls.sqlite"
    answer = lambda call: str(1 + call.index % 5)  # noqa: E731
    with ScriptedServer(OpenAIChat(), api_key=TEST_KEY, answer=answer, latency_s=0.25) as server:
        study = str(write_study(tmp_path, server.api_base, repetitions=4))
        planned = 2 * calls_per_model(4)
        first = start_collect("run", "--study", study, "--db", str(db), log=tmp_path / "log")
        try:
            wait_for_rows(db, 4, first)
            first.send_signal(signal.SIGSTOP)  # holds the lock; its store stands still
            _wait_until_stopped(first.pid)
            before, sent = _store_state(db), server.request_count
            second = run_collect("run", "--study", study, "--db", str(db))
            readers = [
                run_collect(*args, "--study", study, "--db", str(db))
                for args in (("status",), ("run", "--dry-run"),
                             ("export", "--out", str(tmp_path / "out")))
            ]
            after = _store_state(db)
        finally:
            first.send_signal(signal.SIGKILL)
            first.wait(timeout=30)
        holder = json.loads(lock_path(db).read_text(encoding="utf-8"))  # left by the killed run
        assert second.returncode == 4, second.stderr
        message = " ".join(second.stderr.split())
        assert f"the database {db} is in use by another `moralign collect run`" in message
        assert f"process {first.pid} on host {socket.gethostname()}" in message
        assert f"running since {holder['started_at']}" in message
        assert holder["pid"] == first.pid
        assert "Traceback" not in second.stderr
        assert after == before
        assert server.request_count == sent
        assert [r.returncode for r in readers] == [0, 0, 0], [r.stderr for r in readers]
        assert "planned" in readers[0].stdout and "pending" in readers[0].stdout

        third = run_collect("run", "--study", study, "--db", str(db))  # kill -9 freed the lock
        assert third.returncode == 0, third.stderr
    assert stored_key_counts(db) == (planned, planned, 1, 1)  # every key once, asked once
    with sqlite3.connect(db) as conn:
        statuses = conn.execute("SELECT DISTINCT status FROM calls").fetchall()
        runs = conn.execute("SELECT run_id, outcome FROM runs ORDER BY run_id").fetchall()
    assert statuses == [("valid",)]
    assert runs == [(1, None), (2, "completed")]  # the refused run left no trace
    assert lock_path(db).read_text(encoding="utf-8") == ""  # released without stale details


def test_lock_is_held_per_open_and_freed_on_exit_within_one_process(tmp_path: Path) -> None:
    db = tmp_path / "calls.sqlite"
    with run_lock(db):
        with pytest.raises(DatabaseInUseError) as refused, run_lock(db):
            pass
        assert refused.value.holder is not None
        assert refused.value.holder["pid"] == os.getpid()
        assert str(db.absolute()) in str(refused.value)
    with run_lock(db):  # released: the same process can take it again
        details = json.loads(lock_path(db).read_text(encoding="utf-8"))
        assert details["pid"] == os.getpid()
        assert details["host"] == socket.gethostname()
    assert not db.exists()  # the lock never creates the database itself


def test_lock_is_freed_when_the_block_fails(tmp_path: Path) -> None:
    db = tmp_path / "calls.sqlite"
    with pytest.raises(RuntimeError), run_lock(db):
        raise RuntimeError("the run failed")
    with run_lock(db):
        pass


def test_refusal_while_the_holder_has_not_written_its_details(tmp_path: Path) -> None:
    db = tmp_path / "calls.sqlite"
    with run_lock(db):
        lock_path(db).write_text("", encoding="utf-8")  # as just after the holder's flock
        with pytest.raises(DatabaseInUseError, match="has just started"), run_lock(db):
            pass
