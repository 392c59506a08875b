"""The SQLite store: finished rows are final, failed rows are replaced, secrets never stored."""

from __future__ import annotations

import sqlite3
from dataclasses import replace
from pathlib import Path

import pandas as pd
import pytest
from collect.collector.design import PlannedCall, plan_calls
from collect.collector.gates import cell_summary, check_gates
from collect.collector.store import CallRecord, Store
from collect.collector.study import GateThresholds, load_study
from collect.core.outcome import Outcome, answer_outcome
from collect.errors import InputError

from tests.collector.studyfiles import calls_per_model, write_study

SECRET = "sk-live-0123456789abcdef"


@pytest.fixture
def planned(tmp_path: Path) -> list[PlannedCall]:
    return plan_calls(load_study(write_study(tmp_path, "http://127.0.0.1:9/v1")))


def _record(status: Outcome | None = None, text: str | None = "3", rating: int | None = 3,
            attempts: int = 1, message: str | None = None) -> CallRecord:
    return CallRecord(
        status=status or answer_outcome(rating, refused=False), attempts=attempts,
        started_at="2026-01-01T00:00:00", finished_at="2026-01-01T00:00:01",
        raw_text=text, rating=rating, valid=rating is not None,
        error_class="server_error" if status == Outcome.FAILED else None, error_message=message,
    )


def test_wal_and_pending(tmp_path: Path, planned: list[PlannedCall]) -> None:
    with Store(tmp_path / "db.sqlite") as store:
        assert store.db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        run = store.start_run("mini", len(planned), len(planned))
        store.record(planned[0], _record(), run)
        store.record(planned[1], _record(Outcome.REFUSED, None, None), run)
        store.record(planned[2], _record(Outcome.FAILED, None, None, 3), run)
        pending = store.pending(planned)
    assert len(pending) == len(planned) - 2
    assert planned[2] in pending and planned[0] not in pending


def test_finished_rows_are_never_overwritten(tmp_path: Path, planned: list[PlannedCall]) -> None:
    with Store(tmp_path / "db.sqlite") as store:
        run = store.start_run("mini", 1, 1)
        store.record(planned[0], _record(text="4", rating=4), run)
        store.record(planned[0], _record(text="2", rating=2), run)
        store.record(planned[0], _record(Outcome.FAILED, None, None), run)
        frame = store.frame("mini")
    assert len(frame) == 1
    assert frame.loc[0, "raw_text"] == "4" and frame.loc[0, "attempts"] == 1


def test_failed_rows_are_replaced_and_attempts_add_up(
    tmp_path: Path, planned: list[PlannedCall]
) -> None:
    with Store(tmp_path / "db.sqlite") as store:
        first = store.start_run("mini", 1, 1)
        store.record(planned[0], _record(Outcome.FAILED, None, None, 6), first)
        second = store.start_run("mini", 1, 1)
        store.record(planned[0], _record(attempts=2), second)
        frame = store.frame("mini")
    assert frame.loc[0, "status"] == "valid"
    assert frame.loc[0, "attempts"] == 8 and frame.loc[0, "run_id"] == second


def test_secrets_are_redacted_before_storage(tmp_path: Path, planned: list[PlannedCall]) -> None:
    db = tmp_path / "db.sqlite"
    with Store(db, secrets=[SECRET]) as store:
        run = store.start_run("mini", 1, 1)
        store.record(planned[0], _record(text=f"3 {SECRET}"), run)
        store.record(planned[1], _record(Outcome.FAILED, None, None, 1, f"HTTP 401 key {SECRET}"),
                     run)
    with sqlite3.connect(db) as conn:
        dump = "\n".join(conn.iterdump())
    assert SECRET not in dump and "[redacted]" in dump
    for path in tmp_path.iterdir():
        assert SECRET.encode() not in path.read_bytes()


def test_prompts_are_stored_once(tmp_path: Path, planned: list[PlannedCall]) -> None:
    with Store(tmp_path / "db.sqlite") as store:
        run = store.start_run("mini", len(planned), len(planned))
        for call in planned:
            store.record(call, _record(), run)
        prompts = store.db.execute("SELECT count(*) FROM prompts").fetchone()[0]
        frame = store.frame("mini")
    assert prompts == 3 * 2 * 2  # items x languages x personas
    assert len(frame) == len(planned)
    first = frame.iloc[0]
    match = next(c for c in planned if (c.key.model, c.key.language, c.key.persona, c.key.item,
                                        c.key.iteration) == (first["model"], first["language"],
                                                             first["persona"], first["item"],
                                                             first["iteration"]))
    assert (first["system"], first["user"]) == (match.request.system, match.request.user)


def test_gates(tmp_path: Path, planned: list[PlannedCall]) -> None:
    """alpha: complete, varied answers; beta: one refusal in a condition, half its other
    answers unparseable in another, the rest all '3', and one call missing."""
    with Store(tmp_path / "db.sqlite") as store:
        run = store.start_run("mini", len(planned), len(planned))
        for index, call in enumerate(planned):
            key = call.key
            if key.model == "alpha":
                value = 1 + index % 5
                store.record(call, _record(text=str(value), rating=value), run)
            elif (key.language, key.persona, key.item, key.iteration) == ("English", "none", 1, 0):
                continue  # never made
            elif (key.language, key.persona, key.item) == ("Chinese", "none", 1):
                store.record(call, replace(_record(Outcome.REFUSED, None, None), refusal=True), run)
            elif (key.language, key.persona) == ("Chinese", "USA") and key.iteration == 0:
                store.record(call, _record(text="agree", rating=None), run)
            else:
                store.record(call, _record(), run)
        calls = store.frame("mini")
    summary = cell_summary(planned, calls)
    assert int(summary["planned"].sum()) == len(planned) == 2 * calls_per_model()
    failures = check_gates(summary, GateThresholds(max_refusal_share=0.1))
    found = {(f.gate, f.model, f.language, f.persona) for f in failures}
    assert found == {
        ("completeness", "beta", "English", "none"),
        ("refusals", "beta", "Chinese", "none"),
        ("parse failures", "beta", "Chinese", "USA"),
        ("degenerate", "beta", "English", "none"),
        ("degenerate", "beta", "English", "USA"),
    }  # Chinese/none and Chinese/USA have too few valid answers (4, 3) to call degenerate
    assert not check_gates(summary.loc[summary["model"] == "alpha"], GateThresholds())
    assert isinstance(summary, pd.DataFrame)


def test_read_only_store_reads_during_a_write_and_never_writes(
    tmp_path: Path, planned: list[PlannedCall]
) -> None:
    db = tmp_path / "db.sqlite"
    with Store(db) as writer:
        run = writer.start_run("mini", len(planned), len(planned))
        writer.record(planned[0], _record(), run)
        writer.db.execute("BEGIN IMMEDIATE")  # a run in the middle of writing
        writer.db.execute("UPDATE runs SET outcome = 'writing'")
        files_before = {p.name: p.read_bytes() for p in tmp_path.iterdir()}
        with Store(db, read_only=True) as reader:
            assert len(reader.frame("mini")) == 1
            assert len(reader.pending(planned)) == len(planned) - 1
            with pytest.raises(sqlite3.OperationalError, match="readonly"):
                reader.start_run("mini", 1, 1)
        files_after = {p.name: p.read_bytes() for p in tmp_path.iterdir() if p.name in files_before}
        writer.db.execute("COMMIT")
    assert files_after == files_before


@pytest.mark.parametrize("content", [b"", b"model,rating\nalpha,3\n"])
def test_read_only_store_names_a_file_that_is_no_collection(
    tmp_path: Path, content: bytes
) -> None:
    path = tmp_path / "other.sqlite"
    path.write_bytes(content)
    with pytest.raises(InputError, match=r"not a (SQLite|collection) database") as error:
        Store(path, read_only=True)
    assert str(path) in str(error.value)


def test_a_schema_1_database_gets_outcomes(tmp_path: Path, planned: list[PlannedCall]) -> None:
    """Databases written before outcomes were stored (answered / blocked / failed) are read with
    outcomes, and rewritten with them when opened for writing."""
    db = tmp_path / "db.sqlite"
    with Store(db) as store:
        run = store.start_run("mini", 4, 4)
        for call, record in zip(planned, (_record(), _record(rating=None, text="agree"),
                                          _record(Outcome.REFUSED, None, None),
                                          _record(Outcome.FAILED, None, None)), strict=False):
            store.record(call, record, run)
        expected = store.frame("mini")["status"].tolist()
    with sqlite3.connect(db) as conn:  # the same rows as schema 1 stored them
        schema = conn.execute("SELECT sql FROM sqlite_master WHERE name = 'calls'").fetchone()[0]
        conn.executescript(
            "PRAGMA ignore_check_constraints = 1; ALTER TABLE calls RENAME TO new; "
            "UPDATE new SET status = CASE WHEN status = 'failed' THEN 'failed' "
            "WHEN status = 'refused' THEN 'blocked' ELSE 'answered' END; "
            "PRAGMA ignore_check_constraints = 0; "
            + schema.replace("'valid', 'invalid', 'refused', 'failed'",
                             "'answered', 'blocked', 'failed'")
            + "; INSERT INTO calls SELECT * FROM new; DROP TABLE new; "
            "UPDATE meta SET value = '1' WHERE key = 'schema_version';"
        )
    assert sorted(expected) == ["failed", "invalid", "refused", "valid"]
    with Store(db, read_only=True) as store:
        assert store.frame("mini")["status"].tolist() == expected
    with Store(db) as store:
        assert store.frame("mini")["status"].tolist() == expected
        assert store.db.execute("SELECT value FROM meta WHERE key = 'schema_version'"
                                ).fetchone() == ("3",)
        assert len(store.pending(planned[:4])) == 1  # the failed call
