"""Batch mode under faults on every endpoint, lost replies and SIGKILL: every line is answered
exactly once, no file is uploaded twice under one key, no batch is created twice from one file,
no line is in two live batches, and the export equals the same study run online."""

from __future__ import annotations

import asyncio
import os
import signal
from collections import Counter
from pathlib import Path

import pandas as pd
import pytest
from collect.collector.batch import BatchCollector
from collect.collector.design import plan_calls
from collect.collector.export import release_item_means
from collect.collector.providers.registry import make_provider
from collect.collector.runner import Runner, RunObserver
from collect.collector.store import Store
from collect.collector.study import load_study
from collect.paths import PATHS

from tests.collector.cli_runs import run_collect, start_collect
from tests.collector.studyfiles import TEST_KEY, TEST_KEY_ENV
from tests.collector.test_anthropic_batch import _answer as _anthropic_answer
from tests.collector.test_anthropic_batch import _study as _anthropic_study
from tests.collector.test_batch import (
    PLANNED,
    _assert_each_line_answered_once,
    _batch_answer,
    _batch_study,
    _rating,
    _run_batches,
    _same_means_as_online,
)
from tests.servers.anthropic_batch import AnthropicBatchServer
from tests.servers.openai_batch import BatchFaults, OpenAIBatchServer
from tests.servers.openai_chat import OpenAIChat
from tests.servers.scripted import ScriptedServer

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


@pytest.mark.parametrize(("endpoint", "nth"), [("create", 1), ("create", 2), ("retrieve", 1),
                                                ("results", 1)])
def test_sigkill_of_an_anthropic_run_finds_its_batches_by_their_lines(
    tmp_path: Path, endpoint: str, nth: int
) -> None:
    db = tmp_path / "db.sqlite"
    kill = KillAt(endpoint, nth)

    def varied(params: dict[str, object]) -> str:  # passes the quality gates of a real run
        return str(sum((str(params["system"]) + str(params["messages"])).encode()) % 5 + 1)

    with AnthropicBatchServer(TEST_KEY, answer=varied, on_acted=kill) as server:
        _killed_then_run_again(server, kill, _anthropic_study(tmp_path, server, **QUICK_RETRIES),
                               db)
    assert len(server.batches) == 2 and server.violations == []
    _assert_each_line_answered_once(server, db)


def test_the_shipped_studys_openai_models_in_batch_mode_match_the_online_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The shipped study's OpenAI provider (three models) switched to batch mode, one repetition,
    with faults on every endpoint: one batch per model, every line answered once, no documented
    rule broken, and the item means of the online run."""
    monkeypatch.setenv("OPENAI_API_KEY", TEST_KEY)
    script = {"upload": ["drop_after"], "list_files": ["cut_off"], "create": ["drop_after"],
              "list": ["cut_off"], "retrieve": ["cut_off", "drop_before"],
              "content": ["drop_after", "cut_off"]}
    faults = BatchFaults(script=script)
    with OpenAIBatchServer(TEST_KEY, faults=faults, answer=_batch_answer) as server:
        batch_study = load_study(_shipped_openai(tmp_path / "batch.toml", server.api_base,
                                                 mode="batch"))
        models = tuple(m for m in batch_study.models if m.provider == "openai")
        planned = plan_calls(batch_study, models)
        with Store(tmp_path / "batch.sqlite") as store:
            BatchCollector(batch_study, store, RunObserver()).run(planned)
            batch_calls = store.frame(batch_study.name)
    assert not any(faults.script.values())
    assert len(models) == 3 and len(server.batches) == 3
    assert Counter(server.answered) == Counter(line["custom_id"] for b in
                                               server.batches.values() for line in b.lines)
    assert len(server.answered) == len(planned) == len(batch_calls)
    _assert_made_once(server)
    with ScriptedServer(OpenAIChat(), api_key=TEST_KEY,
                        answer=lambda call: _rating(call.system + call.user)) as online:
        online_study = load_study(_shipped_openai(tmp_path / "online.toml", online.api_base,
                                                  mode="online"))
        with Store(tmp_path / "online.sqlite") as store:
            runner = Runner(online_study, store, make_provider)
            asyncio.run(runner.run(plan_calls(online_study, models)))
            online_calls = store.frame(online_study.name)
    means = release_item_means(batch_study, batch_calls, batch_study.name)
    pd.testing.assert_frame_equal(
        release_item_means(online_study, online_calls, online_study.name), means)
    assert means.select_dtypes("number").notna().all().all()


def _shipped_openai(path: Path, base_url: str, mode: str) -> Path:
    """The shipped study, one repetition, its OpenAI provider at `base_url` in `mode`."""
    text = (PATHS.studies / "made_in_china.toml").read_text(encoding="utf-8")
    entry = '[providers.openai]\nkind = "openai"\nbase_url = "https://api.openai.com/v1"\n'
    assert entry in text and "repetitions = 20\n" in text
    quick = (f'[providers.openai]\nkind = "openai"\nbase_url = "{base_url}"\nmode = "{mode}"\n'
             "backoff_base_s = 0.01\nbackoff_max_s = 0.05\n")
    if mode == "batch":
        quick += "batch_poll_interval_s = 0.01\nbatch_poll_max_s = 0.05\n"
    path.write_text(text.replace(entry, quick).replace("repetitions = 20\n", "repetitions = 1\n"),
                    encoding="utf-8")
    return path
