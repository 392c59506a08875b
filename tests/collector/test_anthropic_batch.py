"""Batch mode against the scripted Anthropic Message Batches server."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest
from collect.collector.anthropic_batch import AnthropicBatchClient
from collect.collector.providers.base import ProviderError
from collect.collector.study import load_study

from tests.collector.studyfiles import TEST_KEY, TEST_KEY_ENV, calls_per_model, write_study
from tests.collector.test_batch import FAST_POLLS, _assert_each_line_answered_once, _run_batches
from tests.servers.anthropic_batch import AnthropicBatchServer
from tests.servers.openai_batch import BatchFaults

PLANNED = 2 * calls_per_model()


@pytest.fixture(autouse=True)
def _key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(TEST_KEY_ENV, TEST_KEY)


def _answer(params: dict[str, object]) -> str:
    return str(sum(str(params["system"]).encode()) % 5 + 1)


def _study(folder: Path, server: AnthropicBatchServer, **options: object) -> Path:
    settings = {"kind": "anthropic", "mode": "batch", **FAST_POLLS, **options}
    return write_study(folder, server.api_base, provider_options=settings)


def test_message_batches_split_and_answered_once(tmp_path: Path) -> None:
    with AnthropicBatchServer(TEST_KEY, answer=_answer) as server:
        report = _run_batches(_study(tmp_path, server, batch_max_lines=20),
                              tmp_path / "db.sqlite")
    assert sorted(len(b.requests) for b in server.batches.values()) == [4, 4, 20, 20]
    assert all(len({r["params"]["model"] for r in b.requests}) == 1
               for b in server.batches.values())
    assert server.violations == []
    assert report.counts["valid"] == PLANNED
    ids = [line["custom_id"] for b in server.batches.values() for line in b.requests]
    assert all(len(cid) <= 64 and cid.replace("_", "").isalnum() for cid in ids)
    _assert_each_line_answered_once(server, tmp_path / "db.sqlite")


def test_expired_and_errored_lines_are_sent_again(tmp_path: Path) -> None:
    erring: set[str] = set()

    def once_each_third(cid: str) -> bool:
        line = cid.split("_")[0]
        if int(line, 16) % 3 == 0 and line not in erring:
            erring.add(line)
            return True
        return False

    faults = BatchFaults(expire_after_lines=10, line_error=once_each_third,
                         drop_first_download=True, rate_limit_polls=2)
    with AnthropicBatchServer(TEST_KEY, faults=faults, answer=_answer) as server:
        report = _run_batches(_study(tmp_path, server), tmp_path / "db.sqlite")
    first = next(iter(server.batches.values()))
    kinds = Counter(r["result"]["type"] for r in first.results)
    assert kinds["expired"] == PLANNED // 2 - 10 and kinds["errored"] > 0
    assert report.counts["failed"] == len(erring) and report.counts["valid"] == PLANNED
    _assert_each_line_answered_once(server, tmp_path / "db.sqlite")



@pytest.mark.parametrize(("error_type", "error_class"), [
    ("not_found_error", "not_found"), ("authentication_error", "unauthorized"),
    ("overloaded_error", "overloaded"), ("invalid_request_error", "bad_request"),
])
def test_an_errored_line_keeps_the_meaning_of_its_error_type(
    tmp_path: Path, error_type: str, error_class: str
) -> None:
    """An errored result carries only the error's type: it is read as the online answer with
    that type's HTTP status (Anthropic's errors reference)."""
    with AnthropicBatchServer(TEST_KEY) as server:
        study = load_study(_study(tmp_path, server))
    spec = study.providers["scripted"]
    client = AnthropicBatchClient(spec.config, spec.retry)
    line = {"custom_id": "x", "result": {"type": "errored", "error": {
        "type": "error", "error": {"type": error_type, "message": "some words"}}}}
    error = client.read_line(line)
    client.close()
    assert isinstance(error, ProviderError) and error.error_class.value == error_class
