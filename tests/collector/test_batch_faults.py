"""Batch mode under faults on every endpoint, lost replies and SIGKILL: every line is answered
exactly once, no file is uploaded twice under one key, no batch is created twice from one file,
no line is in two live batches, and the export equals the same study run online."""

from __future__ import annotations

import os
import signal
from collections import Counter
from pathlib import Path

import pytest
from collect.collector.store import Store

from tests.collector.cli_runs import run_collect, start_collect
from tests.collector.studyfiles import TEST_KEY, TEST_KEY_ENV
from tests.collector.test_anthropic_batch import _answer as _anthropic_answer
from tests.collector.test_anthropic_batch import _study as _anthropic_study
from tests.collector.test_batch import (
    PLANNED,
    _assert_each_line_answered_once,
    _batch_answer,
    _batch_study,
    _run_batches,
    _same_means_as_online,
)
from tests.servers.anthropic_batch import AnthropicBatchServer
from tests.servers.openai_batch import BatchFaults, OpenAIBatchServer

QUICK_RETRIES = {"backoff_base_s": 0.01, "backoff_max_s": 0.05}


@pytest.fixture(autouse=True)
def _key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(TEST_KEY_ENV, TEST_KEY)


def _assert_made_once(server: OpenAIBatchServer) -> None:
    """One file per name, one batch per file, and no documented rule broken."""
    assert max(Counter(server.file_names.values()).values()) == 1
    assert max(Counter(b.input_file_id for b in server.batches.values()).values()) == 1
    assert server.violations == []


def test_faults_on_every_openai_endpoint_are_survived(tmp_path: Path) -> None:
    script = {
        "upload": ["server_error", "drop_after", "cut_off"],
        "list_files": ["cut_off", "drop_before"],
        "create": ["rate_limit", "drop_after", "cut_off"],
        "list": ["cut_off", "drop_after"],
        "retrieve": ["cut_off", "drop_before", "server_error"],
        "content": ["cut_off", "drop_after"],
    }
    faults = BatchFaults(script={k: list(v) for k, v in script.items()})
    db = tmp_path / "db.sqlite"
    with OpenAIBatchServer(TEST_KEY, faults=faults, answer=_batch_answer) as server:
        _run_batches(_batch_study(tmp_path, server, **QUICK_RETRIES), db)
    assert not any(faults.script.values())  # every fault was met
    assert len(server.batches) == 2  # one per model
    _assert_made_once(server)
    _assert_each_line_answered_once(server, db)
    _same_means_as_online(tmp_path / "study.toml", db, tmp_path / "online")


def test_faults_on_every_anthropic_endpoint_are_survived(tmp_path: Path) -> None:
    script = {"create": ["drop_after"], "list": ["cut_off", "drop_before"],
              "retrieve": ["cut_off", "drop_after"], "results": ["cut_off", "drop_after"]}
    faults = BatchFaults(script={k: list(v) for k, v in script.items()})
    db = tmp_path / "db.sqlite"
    with AnthropicBatchServer(TEST_KEY, faults=faults, answer=_anthropic_answer) as server:
        _run_batches(_anthropic_study(tmp_path, server, **QUICK_RETRIES), db)
    assert not any(faults.script.values())
    assert len(server.batches) == 2 and server.violations == []
    _assert_each_line_answered_once(server, db)


def test_expired_batches_do_not_use_up_rounds(tmp_path: Path) -> None:
    faults = BatchFaults(expire_batches=3)
    db = tmp_path / "db.sqlite"
    with OpenAIBatchServer(TEST_KEY, faults=faults, answer=_batch_answer) as server:
        report = _run_batches(_batch_study(tmp_path, server, batch_max_rounds=1), db)
    assert [b.status for b in server.batches.values()].count("expired") == 3
    assert report.counts["valid"] == PLANNED and report.not_attempted == 0
    _assert_each_line_answered_once(server, db)


def test_resubmission_of_expired_batches_ends_with_the_time_budget(tmp_path: Path) -> None:
    faults = BatchFaults(expire_batches=10**6)
    db = tmp_path / "db.sqlite"
    with OpenAIBatchServer(TEST_KEY, faults=faults, answer=_batch_answer) as server:
        study_file = _batch_study(tmp_path, server, batch_max_rounds=1,
                                  batch_time_budget_hours=0.0003)  # about a second
        report = _run_batches(study_file, db)
    assert len(server.batches) > 2  # sent again beyond the single round a line may fail
    assert not server.answered and report.not_attempted == PLANNED
    with Store(db) as store:
        assert store.frame("mini").empty  # nothing stored as failed: never answered


class KillAt:
    """A server's `on_acted` hook that SIGKILLs the collector at the `nth` request to
    `endpoint`, after the server acted on it and before it replies."""

    def __init__(self, endpoint: str, nth: int = 1) -> None:
        self.endpoint, self.nth = endpoint, nth
        self.seen: Counter[str] = Counter()
        self.pid: int | None = None

    def __call__(self, name: str) -> None:
        self.seen[name] += 1
        if name == self.endpoint and self.seen[name] == self.nth and self.pid is not None:
            os.kill(self.pid, signal.SIGKILL)


def _killed_then_run_again(server: OpenAIBatchServer | AnthropicBatchServer, kill: KillAt,
                           study_file: Path, db: Path) -> None:
    process = start_collect("run", "--study", str(study_file), "--db", str(db),
                            log=db.with_suffix(".killed.log"))
    kill.pid = process.pid
    assert process.wait(timeout=60) == -signal.SIGKILL
    server.on_acted = None
    rerun = run_collect("run", "--study", str(study_file), "--db", str(db))
    assert rerun.returncode == 0, rerun.stdout + rerun.stderr


@pytest.mark.parametrize(("endpoint", "nth"), [("upload", 1), ("create", 1), ("create", 2),
                                                ("retrieve", 2), ("content", 1)])
def test_sigkill_after_the_server_acted_loses_nothing_and_pays_nothing_twice(
    tmp_path: Path, endpoint: str, nth: int
) -> None:
    """The collector is killed once the server has acted on a request and before the reply:
    after an upload, after a create, mid-poll, mid-download."""
    db = tmp_path / "db.sqlite"
    kill = KillAt(endpoint, nth)
    with OpenAIBatchServer(TEST_KEY, answer=_batch_answer, on_acted=kill) as server:
        study_file = _batch_study(tmp_path, server, **QUICK_RETRIES)
        _killed_then_run_again(server, kill, study_file, db)
    assert len(server.batches) == 2
    _assert_made_once(server)
    _assert_each_line_answered_once(server, db)
    _same_means_as_online(study_file, db, tmp_path / "online")


def test_sigkill_after_an_anthropic_create_finds_the_batch_by_its_lines(tmp_path: Path) -> None:
    db = tmp_path / "db.sqlite"
    kill = KillAt("create")

    def varied(params: dict[str, object]) -> str:  # passes the quality gates of a real run
        return str(sum((str(params["system"]) + str(params["messages"])).encode()) % 5 + 1)

    with AnthropicBatchServer(TEST_KEY, answer=varied, on_acted=kill) as server:
        _killed_then_run_again(server, kill, _anthropic_study(tmp_path, server, **QUICK_RETRIES),
                               db)
    assert len(server.batches) == 2 and server.violations == []
    _assert_each_line_answered_once(server, db)
