"""The collection database: SQLite in WAL mode, one row per call key, committed call by call.

A key is (study, model, instrument, language, persona, item, iteration). Each row's `status` is
its outcome (collect.core.outcome). A finished row (valid, invalid or refused: the provider
answered, or blocked the request) is never overwritten, so a rerun skips it; a failed row (errors
after the last attempt) is replaced when a later run gets through. Each result is
committed on its own (one autocommitted statement), so killing the process loses at most the
calls in flight. Text from providers is redacted of the API keys before it is stored.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from collections import Counter
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from operator import attrgetter
from pathlib import Path
from typing import Any

import pandas as pd

from collect.collector.design import CallKey, PlannedCall
from collect.collector.providers.failures import redact
from collect.core.outcome import Outcome
from collect.errors import InputError

# Schema 1 stored answered / blocked / failed; schema 2 stores the call's outcome; schema 3 adds
# each call's presentation of the options and wording of the instruction (rows of earlier
# schemas were asked as published, in the base wording).
SCHEMA_VERSION = "3"
_OUTCOME_OF_V1 = ("CASE WHEN status = 'failed' THEN 'failed' "
                  "WHEN status = 'blocked' OR refusal THEN 'refused' "
                  "WHEN valid THEN 'valid' ELSE 'invalid' END")

KEY_COLUMNS = ("study", "model", "instrument", "language", "persona", "item", "iteration")

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS prompts (
    sha TEXT PRIMARY KEY,
    system TEXT NOT NULL,
    user TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS runs (
    run_id INTEGER PRIMARY KEY,
    study TEXT NOT NULL,
    started_at TEXT NOT NULL,
    finished_at TEXT,
    planned INTEGER NOT NULL,
    pending INTEGER NOT NULL,
    outcome TEXT
);
"""
_KEY_COLUMNS_DDL = "".join(
    f"    {c} {'INTEGER' if c in ('item', 'iteration') else 'TEXT'} NOT NULL,\n"
    for c in KEY_COLUMNS
).rstrip()
# The design factors of a call beyond its key, with the value of rows stored before them.
DESIGN_FACTORS = {"presentation": "published", "variant": "base"}
_DESIGN_FACTORS_DDL = "\n".join(
    f"    {name} TEXT NOT NULL DEFAULT '{default}'," for name, default in DESIGN_FACTORS.items()
)
_CALLS_TABLE = f"""
CREATE TABLE IF NOT EXISTS calls (
{_KEY_COLUMNS_DDL}
    status TEXT NOT NULL CHECK (status IN ('valid', 'invalid', 'refused', 'failed')),
    provider TEXT NOT NULL,
    api_model TEXT NOT NULL,
    temperature REAL,
    prompt_sha TEXT NOT NULL REFERENCES prompts (sha),
{_DESIGN_FACTORS_DDL}
    raw_text TEXT,
    rating INTEGER,
    valid INTEGER NOT NULL,
    refusal INTEGER NOT NULL,
    parse_reason TEXT,
    vendor_code TEXT,
    error_class TEXT,
    error_message TEXT,
    attempts INTEGER NOT NULL,
    returned_model TEXT,
    request_id TEXT,
    input_tokens INTEGER,
    output_tokens INTEGER,
    finish_reason TEXT,
    latency_s REAL,
    started_at TEXT NOT NULL,
    finished_at TEXT NOT NULL,
    run_id INTEGER NOT NULL REFERENCES runs (run_id),
    PRIMARY KEY (study, model, instrument, language, persona, item, iteration)
) WITHOUT ROWID;
"""


# `logprobs`: the answer's choices[0].logprobs (JSON) for calls of the logprob readout.
# Batch mode: one row per batch the collector means to create, keyed by a run-unique
# `batch_key` recorded with its lines before anything is created (the key goes into the file's
# name and the batch's metadata, so a run that lost a reply finds what exists); `input_file_id`
# and `batch_id` are filled in as they become known. A line's `outcome` is set when its batch is
# collected: answered, failed (its own error) or not_run (the batch expired, failed or was
# cancelled).
_BATCH_TABLES = f"""
CREATE TABLE IF NOT EXISTS batches (
    batch_key TEXT PRIMARY KEY,
    study TEXT NOT NULL,
    provider TEXT NOT NULL,
    input_file_id TEXT,
    batch_id TEXT,
    status TEXT NOT NULL,
    lines INTEGER NOT NULL,
    completed INTEGER NOT NULL DEFAULT 0,
    failed INTEGER NOT NULL DEFAULT 0,
    output_file_id TEXT,
    error_file_id TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    collected INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS logprobs (
{_KEY_COLUMNS_DDL}
    content TEXT NOT NULL,
    PRIMARY KEY (study, model, instrument, language, persona, item, iteration)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS batch_lines (
    batch_key TEXT NOT NULL REFERENCES batches (batch_key),
    custom_id TEXT NOT NULL,
    outcome TEXT,
    PRIMARY KEY (batch_key, custom_id)
) WITHOUT ROWID;
"""
# Databases written before batches were keyed by `batch_key` (keyed by their input file id).
_BATCH_TABLES_BEFORE_KEYS = """
ALTER TABLE batches RENAME TO batches_old;
ALTER TABLE batch_lines RENAME TO batch_lines_old;
"""
_BATCH_ROWS_FROM_BEFORE_KEYS = """
INSERT INTO batches SELECT input_file_id, study, provider, input_file_id, batch_id, status, lines,
    completed, failed, output_file_id, error_file_id, created_at, updated_at, collected
    FROM batches_old;
INSERT INTO batch_lines SELECT input_file_id, custom_id, NULL FROM batch_lines_old;
DROP TABLE batch_lines_old;
DROP TABLE batches_old;
"""


@dataclass(frozen=True)
class BatchRow:
    batch_key: str
    provider: str
    input_file_id: str | None
    batch_id: str | None
    status: str
    lines: int
    completed: int
    failed: int
    output_file_id: str | None
    error_file_id: str | None
    created_at: str
    collected: bool


def utc_now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds")


def prompt_sha(system: str, user: str) -> str:
    return hashlib.sha256(f"{system}\x00{user}".encode()).hexdigest()[:16]


@dataclass(frozen=True)
class CallRecord:
    """What is stored for one call; the key and request come from the planned call."""

    status: Outcome
    attempts: int
    started_at: str
    finished_at: str
    raw_text: str | None = None
    rating: int | None = None
    valid: bool = False
    refusal: bool = False
    parse_reason: str | None = None
    vendor_code: str | None = None
    error_class: str | None = None
    error_message: str | None = None
    returned_model: str | None = None
    request_id: str | None = None
    input_tokens: int | None = None
    output_tokens: int | None = None
    finish_reason: str | None = None
    latency_s: float | None = None


_RECORD_FIELDS = tuple(CallRecord.__dataclass_fields__)
_TEXT_FIELDS = ("raw_text", "error_message", "vendor_code", "returned_model", "request_id")
_TEXT_INDEXES = tuple(_RECORD_FIELDS.index(name) for name in _TEXT_FIELDS)
_INSERT_COLUMNS = (*KEY_COLUMNS, "provider", "api_model", "temperature", "prompt_sha",
                   *DESIGN_FACTORS, *_RECORD_FIELDS, "run_id")
_UPSERT = (
    f"INSERT INTO calls ({', '.join(_INSERT_COLUMNS)}) "
    f"VALUES ({', '.join('?' for _ in _INSERT_COLUMNS)}) "
    "ON CONFLICT DO UPDATE SET "
    + ", ".join(
        f"{c} = excluded.{c}" for c in _INSERT_COLUMNS if c not in KEY_COLUMNS and c != "attempts"
    )
    + ", attempts = calls.attempts + excluded.attempts WHERE calls.status = 'failed'"
)


# The request settings stored with each row; a finished row asked with other settings is stale.
SETTING_COLUMNS = ("api_model", "temperature", "prompt_sha", *DESIGN_FACTORS)


def _settings(call: PlannedCall) -> tuple[str, float | None, str, str, str]:
    request = call.request
    return (request.api_model, request.temperature, prompt_sha(request.system, request.user),
            call.presentation, call.variant)


@dataclass(frozen=True)
class ChangedCall:
    """A planned call whose finished row differs from the plan in `fields`."""

    call: PlannedCall
    fields: tuple[str, ...]


def in_plan(calls: pd.DataFrame, planned: Iterable[PlannedCall]) -> pd.DataFrame:
    """The stored rows whose key is one of the planned calls."""
    key_of = attrgetter(*KEY_COLUMNS)
    keys = pd.DataFrame([key_of(call.key) for call in planned], columns=list(KEY_COLUMNS))
    if calls.empty or keys.empty:
        return calls.iloc[0:0]
    keys = keys.astype({c: calls[c].dtype for c in KEY_COLUMNS})
    marked = calls.merge(keys.assign(_planned=True), on=list(KEY_COLUMNS), how="left")
    return calls.loc[marked["_planned"].fillna(False).astype(bool).to_numpy()]


class Store:
    def __init__(
        self, path: str | Path, secrets: Iterable[str] = (), *, read_only: bool = False
    ) -> None:
        """Open (creating it if needed) the database at `path`. `read_only` opens an existing one
        without writing anything, so it never waits for a run that is writing."""
        self.path = Path(path)
        self._secrets = tuple(s for s in secrets if s)
        self._known_prompts: set[str] = set()
        if read_only:
            self.db = sqlite3.connect(
                f"{self.path.absolute().as_uri()}?mode=ro", uri=True, isolation_level=None
            )
            self._check_collection_database()
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        existing = self.path.is_file() and self.path.stat().st_size > 0
        self.db = sqlite3.connect(self.path, isolation_level=None)
        if existing:  # a damaged or foreign file is refused before anything is written to it
            self._check_collection_database()
        self.db.execute("PRAGMA journal_mode = WAL")
        self.db.execute("PRAGMA synchronous = NORMAL")
        self.db.execute("PRAGMA foreign_keys = ON")
        self._migrate_batches_to_keys()
        self.db.executescript(_SCHEMA + _CALLS_TABLE + _BATCH_TABLES)
        if self._has_table("batches_old"):
            self.db.executescript("BEGIN;" + _BATCH_ROWS_FROM_BEFORE_KEYS + "COMMIT;")
        self.db.execute(
            "INSERT OR IGNORE INTO meta (key, value) VALUES ('schema_version', ?)",
            (SCHEMA_VERSION,),
        )
        if self._schema_version() == "1":
            self._migrate_from_v1()
        if self._schema_version() == "2":
            self._migrate_from_v2()

    def _migrate_batches_to_keys(self) -> None:
        """Set aside batch tables keyed by input file id; their rows are copied back keyed."""
        columns = {row[1] for row in self.db.execute("PRAGMA table_info(batches)")}
        if columns and "batch_key" not in columns:
            self.db.executescript("BEGIN;" + _BATCH_TABLES_BEFORE_KEYS + "COMMIT;")

    def _schema_version(self) -> str:
        row = self.db.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
        return row[0] if row else SCHEMA_VERSION

    def _migrate_from_v1(self) -> None:
        """Rewrites the calls table with outcomes in `status`, in one transaction."""
        columns = [row[1] for row in self.db.execute("PRAGMA table_info(calls)")]
        selected = [_OUTCOME_OF_V1 if c == "status" else c for c in columns]
        with self.transaction():
            self.db.execute("ALTER TABLE calls RENAME TO calls_v1")
            self.db.execute(_CALLS_TABLE)
            self.db.execute(f"INSERT INTO calls ({', '.join(columns)}) "
                            f"SELECT {', '.join(selected)} FROM calls_v1")
            self.db.execute("DROP TABLE calls_v1")
            self._set_schema_version()

    def _migrate_from_v2(self) -> None:
        """Adds the design factors to the calls table, in one transaction."""
        with self.transaction():
            for name, default in DESIGN_FACTORS.items():
                self.db.execute(f"ALTER TABLE calls ADD COLUMN {name} TEXT NOT NULL "
                                f"DEFAULT '{default}'")
            self._set_schema_version()

    def _set_schema_version(self) -> None:
        self.db.execute("UPDATE meta SET value = ? WHERE key = 'schema_version'",
                        (SCHEMA_VERSION,))

    def _check_collection_database(self) -> None:
        try:
            tables = {row[0] for row in self.db.execute("SELECT name FROM sqlite_master")}
        except sqlite3.DatabaseError as err:
            self.db.close()
            raise InputError(f"not a SQLite database ({err})", file=self.path) from None
        if not {"calls", "prompts", "runs"} <= tables:
            self.db.close()
            raise InputError(
                "not a collection database: it has no calls, prompts and runs tables",
                file=self.path,
            )

    def close(self) -> None:
        self.db.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def start_run(self, study: str, planned: int, pending: int) -> int:
        cursor = self.db.execute(
            "INSERT INTO runs (study, started_at, planned, pending) VALUES (?, ?, ?, ?)",
            (study, utc_now(), planned, pending),
        )
        return int(cursor.lastrowid or 0)

    def finish_run(self, run_id: int, outcome: str) -> None:
        self.db.execute(
            "UPDATE runs SET finished_at = ?, outcome = ? WHERE run_id = ?",
            (utc_now(), outcome, run_id),
        )

    def finished_keys(self, study: str) -> set[CallKey]:
        rows = self.db.execute(
            f"SELECT {', '.join(KEY_COLUMNS)} FROM calls WHERE study = ? AND status != 'failed'",
            (study,),
        )
        return {CallKey(*row) for row in rows}

    def changed(self, planned: list[PlannedCall]) -> list[ChangedCall]:
        """Planned calls whose finished row was asked with other settings than planned now."""
        if not planned:
            return []
        stored = {
            CallKey(*row[: len(KEY_COLUMNS)]): row[len(KEY_COLUMNS):]
            for row in self.db.execute(
                f"SELECT {', '.join(KEY_COLUMNS)}, {', '.join(SETTING_COLUMNS)} FROM calls "
                "WHERE study = ? AND status != 'failed'",
                (planned[0].key.study,),
            )
        }
        out: list[ChangedCall] = []
        for call in planned:
            row = stored.get(call.key)
            if row is None:
                continue
            now = _settings(call)
            fields = tuple(
                name for name, old, new in zip(SETTING_COLUMNS, row, now, strict=True)
                if old != new
            )
            if fields:
                out.append(ChangedCall(call, fields))
        return out

    def forget(self, keys: Iterable[CallKey]) -> int:
        """Delete the rows of `keys`, so that their calls are pending again."""
        cursor = self.db.executemany(
            f"DELETE FROM calls WHERE {' AND '.join(f'{c} = ?' for c in KEY_COLUMNS)}",
            [tuple(getattr(key, c) for c in KEY_COLUMNS) for key in keys],
        )
        return int(cursor.rowcount)

    def pending(self, planned: list[PlannedCall]) -> list[PlannedCall]:
        """The planned calls without a finished row."""
        if not planned:
            return []
        done = self.finished_keys(planned[0].key.study)
        return [call for call in planned if call.key not in done]

    def record(self, call: PlannedCall, record: CallRecord, run_id: int) -> None:
        """Store one call's outcome; committed when this returns."""
        self.db.execute(_UPSERT, self._row(call, record, run_id))

    def record_many(self, outcomes: Iterable[tuple[PlannedCall, CallRecord]], run_id: int) -> None:
        """Store many outcomes in one statement; committed together inside a `transaction()`."""
        self.db.executemany(_UPSERT, [self._row(call, record, run_id)
                                      for call, record in outcomes])

    def _row(self, call: PlannedCall, record: CallRecord, run_id: int) -> tuple[Any, ...]:
        values = [getattr(record, name) for name in _RECORD_FIELDS]
        if self._secrets:
            for index in _TEXT_INDEXES:
                if values[index] is not None:
                    for secret in self._secrets:
                        values[index] = redact(values[index], secret)
        request = call.request
        sha = prompt_sha(request.system, request.user)
        if sha not in self._known_prompts:
            # Autocommitted on its own: a prompt row without its call is harmless.
            self.db.execute(
                "INSERT OR IGNORE INTO prompts (sha, system, user) VALUES (?, ?, ?)",
                (sha, request.system, request.user),
            )
            self._known_prompts.add(sha)
        key = call.key
        return (key.study, key.model, key.instrument, key.language, key.persona, key.item,
                key.iteration, call.provider, request.api_model, request.temperature, sha,
                call.presentation, call.variant, *values, run_id)

    def frame(self, study: str) -> pd.DataFrame:
        """Every stored call of `study`, with its prompts, in key order. The rows of a schema-1
        database opened read-only get their outcome computed here, and those of a schema-1 or 2
        database their design factors' values from before them."""
        outcome = _OUTCOME_OF_V1 if self._schema_version() == "1" else "calls.status"
        frame = pd.read_sql_query(
            f"SELECT calls.*, {outcome} AS outcome, prompts.system, prompts.user FROM calls "
            "JOIN prompts ON prompts.sha = calls.prompt_sha WHERE study = ? "
            f"ORDER BY {', '.join(KEY_COLUMNS)}",
            self.db,
            params=(study,),
        )
        missing = {name: default for name, default in DESIGN_FACTORS.items()
                   if name not in frame.columns}
        return frame.assign(status=frame.pop("outcome"), **missing)

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """Everything written inside is committed together, or not at all."""
        self.db.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            self.db.execute("ROLLBACK")
            raise
        self.db.execute("COMMIT")

    def add_batch(self, study: str, provider: str, batch_key: str,
                  custom_ids: list[str]) -> None:
        """Record a batch about to be created and its lines, before anything is sent."""
        now = utc_now()
        with self.transaction():
            self.db.execute(
                "INSERT INTO batches (batch_key, study, provider, status, lines, created_at, "
                "updated_at) VALUES (?, ?, ?, 'intended', ?, ?, ?)",
                (batch_key, study, provider, len(custom_ids), now, now),
            )
            self.db.executemany(
                "INSERT INTO batch_lines (batch_key, custom_id) VALUES (?, ?)",
                [(batch_key, custom_id) for custom_id in custom_ids],
            )

    def batch_custom_ids(self, batch_key: str) -> list[str]:
        rows = self.db.execute("SELECT custom_id FROM batch_lines WHERE batch_key = ? "
                               "ORDER BY custom_id", (batch_key,))
        return [row[0] for row in rows]

    def set_input_file(self, batch_key: str, input_file_id: str) -> None:
        self.db.execute("UPDATE batches SET input_file_id = ?, status = 'uploaded', "
                        "updated_at = ? WHERE batch_key = ?", (input_file_id, utc_now(), batch_key))

    def update_batch(self, batch_key: str, batch: dict[str, Any]) -> None:
        """Store what the provider says of the batch recorded under `batch_key`."""
        counts = batch.get("request_counts") or {}
        self.db.execute(
            "UPDATE batches SET batch_id = ?, status = ?, completed = ?, failed = ?, "
            "output_file_id = ?, error_file_id = ?, updated_at = ? WHERE batch_key = ?",
            (batch.get("id"), batch.get("status", "unknown"), counts.get("completed", 0),
             counts.get("failed", 0), batch.get("output_file_id"), batch.get("error_file_id"),
             utc_now(), batch_key),
        )

    def mark_collected(self, batch_key: str, outcomes: dict[str, str] | None = None) -> None:
        """Close a batch; each of its lines gets its outcome (`not_run` when not named)."""
        outcomes = outcomes or {}
        self.db.executemany(
            "UPDATE batch_lines SET outcome = ? WHERE batch_key = ? AND custom_id = ?",
            [(outcomes.get(cid, "not_run"), batch_key, cid)
             for cid in self.batch_custom_ids(batch_key)],
        )
        self.db.execute("UPDATE batches SET collected = 1, updated_at = ? WHERE batch_key = ?",
                        (utc_now(), batch_key))

    def batches(self, study: str, *, open_only: bool = False) -> list[BatchRow]:
        """The study's batches in the order they were recorded; `open_only`: not collected yet."""
        where = "study = ?" + (" AND NOT collected" if open_only else "")
        if not self._has_table("batches"):
            return []
        columns = {row[1] for row in self.db.execute("PRAGMA table_info(batches)")}
        key = "batch_key" if "batch_key" in columns else "input_file_id"  # read-only, older
        rows = self.db.execute(
            f"SELECT {key}, provider, input_file_id, batch_id, status, lines, completed, failed, "
            f"output_file_id, error_file_id, created_at, collected FROM batches WHERE {where} "
            "ORDER BY created_at, rowid",
            (study,),
        )
        return [BatchRow(*row[:-1], bool(row[-1])) for row in rows]

    def record_logprobs(self, key: CallKey, logprobs: Any) -> None:
        """Keep a call's log-probabilities beside its row (replacing those of an earlier try)."""
        self.db.execute(
            f"INSERT OR REPLACE INTO logprobs ({', '.join(KEY_COLUMNS)}, content) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (*(getattr(key, c) for c in KEY_COLUMNS), json.dumps(logprobs)),
        )

    def logprobs(self, study: str) -> pd.DataFrame:
        """The stored log-probabilities of `study` (key columns and parsed `content`)."""
        if not self._has_table("logprobs"):
            return pd.DataFrame(columns=[*KEY_COLUMNS, "content"])
        frame = pd.read_sql_query("SELECT * FROM logprobs WHERE study = ?", self.db,
                                  params=(study,))
        return frame.assign(content=frame["content"].map(json.loads))

    def _has_table(self, name: str) -> bool:
        """False for a table added since the database was written, when opened read-only."""
        row = self.db.execute(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (name,)
        ).fetchone()
        return row is not None

    def batch_line_ids(self, study: str, *, open_only: bool) -> Counter[str]:
        """How often each call (by custom id) was put in a batch (of the open ones only)."""
        where = "b.study = ?" + (" AND NOT b.collected" if open_only else "")
        rows = self.db.execute(
            "SELECT l.custom_id FROM batch_lines l JOIN batches b USING (batch_key) "
            f"WHERE {where}",
            (study,),
        )
        return Counter(row[0] for row in rows)

    def batch_line_history(self, study: str) -> dict[str, tuple[int, str]]:
        """Per call (by custom id): the rounds it failed on its own, and when it was first put
        in a batch."""
        rows = self.db.execute(
            "SELECT l.custom_id, sum(l.outcome = 'failed'), min(b.created_at) FROM batch_lines l "
            "JOIN batches b USING (batch_key) WHERE b.study = ? GROUP BY l.custom_id",
            (study,),
        )
        return {cid: (int(failed or 0), first) for cid, failed, first in rows}
