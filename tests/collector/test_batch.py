"""Batch mode against the scripted OpenAI Batch API: splitting, faults, resuming, detaching."""

from __future__ import annotations

import signal
import sqlite3
import time
from collections import Counter
from pathlib import Path

import pandas as pd
import pytest
from collect.collector.batch import BATCH_CLIENTS, BatchCollector, new_batch_key, split_lines
from collect.collector.design import plan_calls
from collect.collector.export import release_item_means
from collect.collector.providers.base import ProviderError
from collect.collector.runner import RunObserver, RunReport
from collect.collector.store import Store
from collect.collector.study import BatchSettings, load_study
from collect.errors import InputError

from tests.collector.cli_runs import run_collect, start_collect
from tests.collector.runs import run_study
from tests.collector.studyfiles import TEST_KEY, TEST_KEY_ENV, calls_per_model, write_study
from tests.servers.anthropic_batch import AnthropicBatchServer
from tests.servers.openai_batch import BatchFaults, OpenAIBatchServer
from tests.servers.openai_chat import OpenAIChat
from tests.servers.scripted import ScriptedServer

PLANNED = 2 * calls_per_model()  # models alpha and beta
FAST_POLLS = {"batch_poll_interval_s": 0.01, "batch_poll_max_s": 0.05}


@pytest.fixture(autouse=True)
def _key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(TEST_KEY_ENV, TEST_KEY)


def _rating(text: str) -> str:
    """A deterministic answer that differs by item and condition."""
    return str(sum(text.encode()) % 5 + 1)


def _batch_answer(body: dict[str, object]) -> str:
    messages = body["messages"]
    assert isinstance(messages, list)
    return _rating(messages[0]["content"] + messages[1]["content"])


def _batch_study(folder: Path, server: OpenAIBatchServer, **options: object) -> Path:
    settings = {"mode": "batch", **FAST_POLLS, **options}
    return write_study(folder, server.api_base, provider_options=settings)


def _run_batches(study_file: Path, db: Path, detach: bool = False) -> RunReport:
    study = load_study(study_file)
    with Store(db) as store:
        return BatchCollector(study, store, RunObserver(), detach=detach).run(plan_calls(study))


def _stored(db: Path) -> pd.DataFrame:
    with sqlite3.connect(db) as conn:
        return pd.read_sql_query("SELECT * FROM calls", conn)


def _assert_each_line_answered_once(server: OpenAIBatchServer | AnthropicBatchServer,
                                    db: Path) -> None:
    answered = Counter(server.answered)
    if isinstance(server, AnthropicBatchServer):  # custom ids are "<line>_<batch key>"
        answered = Counter(cid.split("_")[0] for cid in server.answered)
    assert len(answered) == PLANNED and max(answered.values()) == 1
    calls = _stored(db)
    assert len(calls) == PLANNED and set(calls["status"]) == {"valid"}


def test_batches_are_split_to_the_limits_and_every_line_stored_once(tmp_path: Path) -> None:
    with OpenAIBatchServer(TEST_KEY, answer=_batch_answer) as server:
        study_file = _batch_study(tmp_path, server, batch_max_lines=20)
        report = _run_batches(study_file, tmp_path / "db.sqlite")
    assert report.counts["valid"] == PLANNED
    assert sorted(len(b.lines) for b in server.batches.values()) == [4, 4, 20, 20]
    assert all(len({line["body"]["model"] for line in b.lines}) == 1
               for b in server.batches.values())
    assert server.violations == []
    _assert_each_line_answered_once(server, tmp_path / "db.sqlite")
    with Store(tmp_path / "db.sqlite") as store:
        rows = store.batches("mini")
    assert [row.collected for row in rows] == [True] * 4
    assert {row.status for row in rows} == {"completed"}


def test_split_respects_the_byte_limit() -> None:
    lines = [(str(i), b"x" * 40) for i in range(10)]
    chunks = list(split_lines(lines, BatchSettings(max_lines=100, max_bytes=100)))
    assert [len(chunk) for chunk in chunks] == [2, 2, 2, 2, 2]
    with pytest.raises(ValueError, match="larger than batch_max_bytes"):
        list(split_lines([("big", b"x" * 101)], BatchSettings(max_bytes=100)))


def test_an_expired_batch_keeps_its_done_lines_and_sends_only_the_rest(tmp_path: Path) -> None:
    faults = BatchFaults(expire_after_lines=10)
    with OpenAIBatchServer(TEST_KEY, faults=faults, answer=_batch_answer) as server:
        report = _run_batches(_batch_study(tmp_path, server), tmp_path / "db.sqlite")
    first, _, second = server.batches.values()  # alpha, beta, alpha's unanswered lines
    per_model = calls_per_model()
    assert (first.status, first.completed, first.failed) == ("expired", 10, per_model - 10)
    assert len(second.lines) == per_model - 10
    assert {line["custom_id"] for line in first.lines[:10]}.isdisjoint(
        line["custom_id"] for line in second.lines)
    assert report.counts["valid"] == PLANNED
    _assert_each_line_answered_once(server, tmp_path / "db.sqlite")


def test_line_errors_are_classified_and_only_those_lines_sent_again(tmp_path: Path) -> None:
    erring: set[str] = set()

    def first_time_alpha_item_1(cid: str) -> bool:
        if cid.startswith("alpha|mini|") and "|1|" in cid and cid not in erring:
            erring.add(cid)
            return True
        return False

    faults = BatchFaults(line_error=first_time_alpha_item_1)
    with OpenAIBatchServer(TEST_KEY, faults=faults, answer=_batch_answer) as server:
        report = _run_batches(_batch_study(tmp_path, server), tmp_path / "db.sqlite")
    first, _, second = server.batches.values()  # alpha, beta, alpha's erring lines
    assert first.failed == len(erring) == 8
    assert {line["custom_id"] for line in second.lines} == erring
    assert report.counts["failed"] == 8 and report.counts["valid"] == PLANNED
    _assert_each_line_answered_once(server, tmp_path / "db.sqlite")


def test_lines_failing_every_round_end_as_failed_rows(tmp_path: Path) -> None:
    faults = BatchFaults(line_error=lambda cid: cid.startswith("beta|"))
    with OpenAIBatchServer(TEST_KEY, faults=faults, answer=_batch_answer) as server:
        report = _run_batches(_batch_study(tmp_path, server, batch_max_rounds=2),
                              tmp_path / "db.sqlite")
    assert len(server.batches) == 3  # alpha once, beta twice
    calls = _stored(tmp_path / "db.sqlite")
    beta = calls[calls["model"] == "beta"]
    assert set(beta["status"]) == {"failed"} and set(beta["error_class"]) == {"server_error"}
    assert set(calls.loc[calls["model"] == "alpha", "status"]) == {"valid"}
    assert report.counts["failed"] == 2 * calls_per_model()


def test_a_failed_batch_is_submitted_again(tmp_path: Path) -> None:
    faults = BatchFaults(fail_validation=1)
    with OpenAIBatchServer(TEST_KEY, faults=faults, answer=_batch_answer) as server:
        _run_batches(_batch_study(tmp_path, server), tmp_path / "db.sqlite")
    assert [b.status for b in server.batches.values()] == ["failed", "completed", "completed"]
    _assert_each_line_answered_once(server, tmp_path / "db.sqlite")


def test_a_dropped_download_and_throttled_polls_are_retried(tmp_path: Path) -> None:
    faults = BatchFaults(drop_first_download=True, rate_limit_polls=3)
    with OpenAIBatchServer(TEST_KEY, faults=faults, answer=_batch_answer) as server:
        _run_batches(_batch_study(tmp_path, server), tmp_path / "db.sqlite")
    assert len(server.batches) == 2
    downloads = [r for r in server.requests if r.endswith("/content")]
    assert len(downloads) == 3  # the dropped one, its retry, the other batch's
    _assert_each_line_answered_once(server, tmp_path / "db.sqlite")


def test_detach_submits_and_a_later_run_collects(tmp_path: Path) -> None:
    db = tmp_path / "db.sqlite"
    with OpenAIBatchServer(TEST_KEY, answer=_batch_answer) as server:
        study_file = _batch_study(tmp_path, server)
        _run_batches(study_file, db, detach=True)
        assert len(server.batches) == 2 and not server.answered
        with Store(db) as store:
            rows = store.batches("mini")
        assert all(row.batch_id is not None and not row.collected for row in rows)
        status = run_collect("status", "--study", str(study_file), "--db", str(db))
        for row in rows:  # whole, to be copied into the provider's console
            assert f" {row.batch_id} " in status.stdout, status.stdout
        _run_batches(study_file, db)
    assert len(server.batches) == 2
    _assert_each_line_answered_once(server, db)


def submit_without_recording(study_file: Path, db: Path) -> None:
    """Record a batch's lines and create it, as a run killed before recording its id leaves it."""
    study = load_study(study_file)
    spec = study.providers["scripted"]
    calls = [c for c in plan_calls(study) if c.key.model == "alpha"]
    client = BATCH_CLIENTS[spec.config.kind](spec.config, spec.retry)
    key = new_batch_key()
    ids = sorted(client.custom_id(c.key) for c in calls)
    by_id = {client.custom_id(c.key): c for c in calls}
    content = b"".join(client.line(cid, by_id[cid].request, key) for cid in ids)
    with Store(db) as store:
        store.add_batch("mini", "scripted", key, ids)
        (row,) = store.batches("mini")
    file_id = client.ensure_file(key, content, False) if client.uses_files else None
    client.ensure_batch(key, file_id, content, "mini", row.created_at, set(), False)
    client.close()


@pytest.mark.parametrize("kind", ["openai", "anthropic"])
def test_a_batch_created_but_not_recorded_is_found_not_created_again(
    tmp_path: Path, kind: str
) -> None:
    db = tmp_path / "db.sqlite"
    server_type = OpenAIBatchServer if kind == "openai" else AnthropicBatchServer
    with server_type(TEST_KEY) as server:
        study_file = _batch_study(tmp_path, server, kind=kind)  # type: ignore[arg-type]
        submit_without_recording(study_file, db)
        _run_batches(study_file, db)
    assert len(server.batches) == 2  # alpha's found, beta's created
    assert server.violations == []
    _assert_each_line_answered_once(server, db)


def test_killed_run_resumes_its_batches_without_paying_twice(tmp_path: Path) -> None:
    db = tmp_path / "db.sqlite"
    with OpenAIBatchServer(TEST_KEY, answer=_batch_answer, polls_in_progress=10**6) as server:
        study_file = _batch_study(tmp_path, server, batch_max_lines=30,
                                  batch_poll_interval_s=0.05)
        process = start_collect("run", "--study", str(study_file), "--db", str(db),
                                log=tmp_path / "first.log")
        deadline = time.monotonic() + 60
        while sum(b.polls for b in server.batches.values()) < 4:
            assert time.monotonic() < deadline and process.poll() is None
            time.sleep(0.02)
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=10)
        created = len(server.batches)
        assert created == 2 and not server.answered
        server.polls_in_progress = 1
        rerun = run_collect("run", "--study", str(study_file), "--db", str(db))
        assert rerun.returncode == 0, rerun.stdout + rerun.stderr
    assert len(server.batches) == created
    _assert_each_line_answered_once(server, db)
    _same_means_as_online(study_file, db, tmp_path / "online")


def _same_means_as_online(batch_file: Path, db: Path, folder: Path) -> None:
    """The item means of the batch run equal those of the same study run online."""
    folder.mkdir()
    with ScriptedServer(OpenAIChat(), api_key=TEST_KEY,
                        answer=lambda call: _rating(call.system + call.user)) as online:
        online_file = write_study(folder, online.api_base)
        _, online_calls = run_study(online_file, folder / "online.sqlite")
    with Store(db) as store:
        batch_calls = store.frame("mini")
    study = load_study(batch_file)
    online_means = release_item_means(study, online_calls, "mini")
    batch_means = release_item_means(study, batch_calls, "mini")
    pd.testing.assert_frame_equal(online_means, batch_means)
    assert batch_means.select_dtypes("number").notna().all().all()


def test_batch_and_online_runs_export_the_same_means(tmp_path: Path) -> None:
    (tmp_path / "batch").mkdir()
    faults = BatchFaults(expire_after_lines=7)
    db = tmp_path / "batch.sqlite"
    with OpenAIBatchServer(TEST_KEY, faults=faults, answer=_batch_answer) as server:
        batch_file = _batch_study(tmp_path / "batch", server)
        _run_batches(batch_file, db, detach=True)  # submitted, then the process goes away
        _run_batches(batch_file, db)
    _same_means_as_online(batch_file, db, tmp_path / "online")


@pytest.mark.parametrize(
    ("options", "message"),
    [({"mode": "sometimes"}, 'expected "online" or "batch"'),
     ({"mode": "batch", "kind": "gemini"}, "batch mode is implemented for kinds"),
     ({"mode": "batch", "batch_max_lines": 0}, "batch_max_lines': must be at least 1"),
     ({"mode": "batch", "batch_time_budget_hours": 0}, "must be a positive number")],
)
def test_batch_settings_are_checked(tmp_path: Path, options: dict[str, object],
                                    message: str) -> None:
    study_file = write_study(tmp_path, "http://127.0.0.1:9/v1", provider_options=options)
    with pytest.raises(InputError, match=message):
        load_study(study_file)


def test_dry_run_prices_batch_calls_at_the_batch_factor(tmp_path: Path) -> None:
    costs = {}
    for mode in ("online", "batch"):
        (tmp_path / mode).mkdir()
        study_file = write_study(tmp_path / mode, "http://127.0.0.1:9/v1",
                                 provider_options={"mode": mode, "batch_price_factor": 0.5}
                                 if mode == "batch" else {})
        text = study_file.read_text().replace(
            'temperature = 0.7', 'temperature = 0.7\nprice_input_per_mtok = 1000.0\n'
                                 'price_output_per_mtok = 4000.0')
        study_file.write_text(text)
        result = run_collect("run", "--study", str(study_file), "--dry-run")
        assert result.returncode == 0, result.stderr
        costs[mode] = float(result.stdout.split("total ")[1].split(" USD")[0])
    assert costs["online"] > 0 and costs["batch"] == pytest.approx(costs["online"] / 2, abs=0.01)


def test_the_time_budget_is_read_from_the_provider_entry(tmp_path: Path) -> None:
    study_file = write_study(tmp_path, "http://127.0.0.1:9/v1", provider_options={
        "mode": "batch", "batch_time_budget_hours": 6.5})
    assert load_study(study_file).providers["scripted"].batch_time_budget_hours == 6.5
    (tmp_path / "default").mkdir()
    default = write_study(tmp_path / "default", "http://127.0.0.1:9/v1",
                          provider_options={"mode": "batch"})
    assert load_study(default).providers["scripted"].batch_time_budget_hours == 24


def test_batches_recorded_by_input_file_are_kept_under_a_key(tmp_path: Path) -> None:
    """A database written when batches were keyed by their input file id opens with each batch
    under that id as its key, its lines and its state kept."""
    db = tmp_path / "old.sqlite"
    Store(db).close()  # a collection database; its batch tables are put back in the old shape
    with sqlite3.connect(db) as conn:
        conn.executescript("""
            DROP TABLE batch_lines;
            DROP TABLE batches;
            CREATE TABLE batches (input_file_id TEXT PRIMARY KEY, study TEXT NOT NULL,
                provider TEXT NOT NULL, batch_id TEXT, status TEXT NOT NULL,
                lines INTEGER NOT NULL, completed INTEGER NOT NULL DEFAULT 0,
                failed INTEGER NOT NULL DEFAULT 0, output_file_id TEXT, error_file_id TEXT,
                created_at TEXT NOT NULL, updated_at TEXT NOT NULL,
                collected INTEGER NOT NULL DEFAULT 0);
            CREATE TABLE batch_lines (input_file_id TEXT NOT NULL REFERENCES batches
                (input_file_id), custom_id TEXT NOT NULL, PRIMARY KEY (input_file_id, custom_id))
                WITHOUT ROWID;
            INSERT INTO batches VALUES ('file-7', 'mini', 'scripted', 'batch-3', 'in_progress',
                2, 0, 0, NULL, NULL, '2026-01-01T00:00:00.000+00:00',
                '2026-01-01T00:00:00.000+00:00', 0);
            INSERT INTO batch_lines VALUES ('file-7', 'a'), ('file-7', 'b');
        """)
    with Store(db) as store:
        (row,) = store.batches("mini", open_only=True)
        assert (row.batch_key, row.input_file_id, row.batch_id) == ("file-7", "file-7", "batch-3")
        assert store.batch_custom_ids("file-7") == ["a", "b"]
        assert store.batch_line_ids("mini", open_only=True) == Counter({"a": 1, "b": 1})


@pytest.mark.parametrize(("code", "error_class"), [
    ("model_not_found", "not_found"), ("insufficient_quota", "quota_exhausted"),
    ("some_new_code", "server_error"),
])
def test_an_error_line_keeps_the_meaning_of_its_code(tmp_path: Path, code: str,
                                                     error_class: str) -> None:
    study = load_study(write_study(tmp_path, "http://127.0.0.1:9/v1",
                                   provider_options={"mode": "batch"}))
    spec = study.providers["scripted"]
    client = BATCH_CLIENTS["openai"](spec.config, spec.retry)
    error = client.read_line({"custom_id": "x", "response": None,
                              "error": {"code": code, "message": "some words"}})
    client.close()
    assert isinstance(error, ProviderError) and error.error_class.value == error_class
