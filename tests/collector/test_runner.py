"""The runner against real HTTP servers on 127.0.0.1: every fault ends handled and counted."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from collect.collector.runner import ChangedSettingsError

from tests.collector.runs import run_study
from tests.collector.studyfiles import TEST_KEY, TEST_KEY_ENV, calls_per_model, write_study
from tests.servers.openai_chat import OpenAIChat
from tests.servers.scripted import Fault, ScriptedServer

PLANNED = 2 * calls_per_model()  # models alpha and beta


@pytest.fixture(autouse=True)
def api_key(monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv(TEST_KEY_ENV, TEST_KEY)
    return TEST_KEY


def _server(**options: object) -> ScriptedServer:
    return ScriptedServer(OpenAIChat(), api_key=TEST_KEY, **options)  # type: ignore[arg-type]


@pytest.fixture
def healthy() -> Iterator[ScriptedServer]:
    with _server(answer=lambda call: str(1 + call.index % 5)) as server:
        yield server


def test_clean_run_stores_every_key_once(tmp_path: Path, healthy: ScriptedServer) -> None:
    report, calls = run_study(write_study(tmp_path, healthy.api_base), tmp_path / "db.sqlite")
    assert report.counts["valid"] == PLANNED == len(calls) == healthy.request_count
    assert not calls.duplicated(["model", "language", "persona", "item", "iteration"]).any()
    assert set(calls["status"]) == {"valid"}
    assert calls["returned_model"].eq("scripted-model-2026-01-01").all()
    assert calls["request_id"].str.startswith("req-scripted-").all()
    assert calls["input_tokens"].gt(0).all() and calls["attempts"].eq(1).all()
    # The stored prompt is the one the server received.
    sent = {(c.system, c.user) for c in healthy.calls}
    assert set(zip(calls["system"], calls["user"], strict=True)) == sent


def test_rerun_makes_no_call(tmp_path: Path, healthy: ScriptedServer) -> None:
    study = write_study(tmp_path, healthy.api_base)
    run_study(study, tmp_path / "db.sqlite")
    before = healthy.request_count
    report, calls = run_study(study, tmp_path / "db.sqlite")
    assert healthy.request_count == before
    assert report.pending_at_start == 0 and report.attempted == 0
    assert len(calls) == PLANNED


@pytest.mark.parametrize(
    "fault",
    [
        Fault.rate_limit(0.05),
        Fault.rate_limit(None),
        Fault("server_error"),
        Fault("unavailable", retry_after=0.05),
        Fault("overloaded"),
        Fault("drop"),
        Fault("malformed"),
        Fault("empty"),
    ],
    ids=lambda f: f"{f.kind}-{f.retry_after}",
)
def test_transient_fault_is_retried(tmp_path: Path, fault: Fault) -> None:
    with _server(script=[fault]) as server:
        report, calls = run_study(write_study(tmp_path, server.api_base), tmp_path / "db.sqlite")
        assert server.request_count == PLANNED + 1
    assert report.retries == 1
    assert report.counts["valid"] == PLANNED
    assert calls["status"].eq("valid").all()
    assert sorted(calls["attempts"])[-2:] == [1, 2]


def test_timeout_is_retried(tmp_path: Path) -> None:
    with _server(script=[Fault.slow(5.0)]) as server:
        study = write_study(tmp_path, server.api_base, provider_options={"timeout_s": 0.5})
        report, calls = run_study(study, tmp_path / "db.sqlite")
    assert report.retries == 1 and report.counts["valid"] == PLANNED
    assert calls["attempts"].max() == 2


def test_persistent_errors_fail_after_max_attempts_and_are_retried_next_run(
    tmp_path: Path, healthy: ScriptedServer
) -> None:
    db = tmp_path / "db.sqlite"
    with _server(script=lambda index: Fault("server_error")) as broken:
        report, calls = run_study(write_study(tmp_path, broken.api_base), db)
        assert broken.request_count == PLANNED * 3  # max_attempts = 3
    assert report.counts["failed"] == PLANNED and report.mostly_failed(0.5)
    assert calls["status"].eq("failed").all()
    assert calls["error_class"].eq("server_error").all()
    assert calls["attempts"].eq(3).all() and calls["raw_text"].isna().all()

    report, calls = run_study(write_study(tmp_path, healthy.api_base), db)
    assert healthy.request_count == PLANNED
    assert report.counts["valid"] == PLANNED and not report.mostly_failed(0.5)
    assert calls["status"].eq("valid").all() and calls["attempts"].eq(4).all()


@pytest.mark.parametrize("vendor", ["dashscope", "zhipu", "moonshot"])
def test_moderation_block_is_a_refusal_not_retried(tmp_path: Path, vendor: str) -> None:
    with _server(script=lambda i: Fault.content_filter(vendor) if i % 4 == 0 else None) as server:
        report, calls = run_study(write_study(tmp_path, server.api_base), tmp_path / "db.sqlite")
        assert server.request_count == PLANNED
    blocked = calls.loc[calls["status"] == "refused"]
    assert len(blocked) == PLANNED // 4 == report.counts["refused"]
    assert blocked["refusal"].astype(bool).all() and blocked["vendor_code"].notna().all()
    assert blocked["valid"].eq(0).all() and blocked["attempts"].eq(1).all()


def test_filtered_finish_is_a_refusal(tmp_path: Path) -> None:
    with _server(script=[Fault("filter_finish")]) as server:
        report, calls = run_study(write_study(tmp_path, server.api_base), tmp_path / "db.sqlite")
        assert server.request_count == PLANNED
    assert report.counts["refused"] == 1
    assert calls.loc[calls["status"] == "refused", "vendor_code"].tolist() == ["content_filter"]


def test_refusal_text_is_kept_and_flagged(tmp_path: Path) -> None:
    def answer(call: object) -> str:
        index = call.index  # type: ignore[attr-defined]
        return "I'm sorry, I can't share personal opinions." if index % 3 == 0 else "4"

    with _server(answer=answer) as server:
        report, calls = run_study(write_study(tmp_path, server.api_base), tmp_path / "db.sqlite")
        assert server.request_count == PLANNED
    refused = calls.loc[calls["refusal"].astype(bool)]
    assert len(refused) == PLANNED // 3 == report.counts["refused"]
    assert refused["raw_text"].str.startswith("I'm sorry").all()
    assert refused["status"].eq("refused").all() and refused["parse_reason"].eq("refusal").all()


@pytest.mark.parametrize("kind", ["quota", "unauthorized"])
def test_account_errors_stop_only_their_provider(tmp_path: Path, kind: str) -> None:
    with _server(script=lambda i: Fault(kind)) as dead, _server() as alive:
        study = write_study(
            tmp_path, {"dead": dead.api_base, "alive": alive.api_base},
            models={"alpha": "dead", "beta": "alive"},
            provider_options={"max_concurrency": 1},
        )
        report, calls = run_study(study, tmp_path / "db.sqlite")
        assert dead.request_count == 1
        assert alive.request_count == calls_per_model()
    assert list(report.stopped_providers) == ["dead"]
    assert report.counts["valid"] == calls_per_model()
    assert report.counts["failed"] == 1
    assert report.not_attempted == calls_per_model() - 1
    failed = calls.loc[calls["status"] == "failed"]
    assert failed["model"].tolist() == ["alpha"]
    assert failed["error_class"].iloc[0] in {"quota_exhausted", "unauthorized"}


def test_missing_key_stops_its_provider_before_any_call(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("MORALIGN_UNSET_KEY", raising=False)
    with _server() as keyless, _server() as alive:
        study = write_study(
            tmp_path, {"keyless": keyless.api_base, "alive": alive.api_base},
            models={"alpha": "keyless", "beta": "alive"},
            key_envs={"keyless": "MORALIGN_UNSET_KEY"},
        )
        report, calls = run_study(study, tmp_path / "db.sqlite")
        assert keyless.request_count == 0
        assert alive.request_count == calls_per_model()
    assert "MORALIGN_UNSET_KEY" in report.stopped_providers["keyless"]
    assert report.not_attempted == calls_per_model()
    assert set(calls["model"]) == {"beta"}


def test_unknown_model_stops_that_model(tmp_path: Path) -> None:
    with _server(script=lambda i: Fault("not_found")) as server:
        study = write_study(tmp_path, server.api_base, models={"alpha": "scripted"},
                            provider_options={"max_concurrency": 1})
        report, _ = run_study(study, tmp_path / "db.sqlite")
        assert server.request_count == 1
    assert list(report.stopped_models) == ["alpha"]
    assert report.counts["failed"] == 1 and report.not_attempted == calls_per_model() - 1


@pytest.mark.parametrize("vendor", ["deepseek", "moonshot"])
def test_vendor_quota_answers_stop_the_provider(tmp_path: Path, vendor: str) -> None:
    with _server(script=lambda i: Fault("quota", vendor=vendor)) as server:
        study = write_study(tmp_path, server.api_base, models={"alpha": "scripted"},
                            provider_options={"max_concurrency": 1})
        report, calls = run_study(study, tmp_path / "db.sqlite")
        assert server.request_count == 1
    assert list(report.stopped_providers) == ["scripted"]
    assert calls["error_class"].tolist() == ["quota_exhausted"]


def test_retry_after_above_the_cap_stops_the_provider(tmp_path: Path) -> None:
    with _server(script=lambda i: Fault.rate_limit(86400)) as slow, _server() as alive:
        study = write_study(
            tmp_path, {"slow": slow.api_base, "alive": alive.api_base},
            models={"alpha": "slow", "beta": "alive"},
            provider_options={"max_concurrency": 1, "max_retry_after_s": 30},
        )
        report, calls = run_study(study, tmp_path / "db.sqlite")
        assert slow.request_count == 1  # not retried: nobody waits a day
        assert alive.request_count == calls_per_model()
    reason = report.stopped_providers["slow"]
    assert "86400" in reason and "max_retry_after_s = 30" in reason
    failed = calls.loc[calls["status"] == "failed"]
    assert failed["error_class"].tolist() == ["retry_after_too_long"]
    assert report.not_attempted == calls_per_model() - 1


def test_retry_after_within_the_cap_is_waited(tmp_path: Path) -> None:
    with _server(script=[Fault.rate_limit(0.05)]) as server:
        study = write_study(tmp_path, server.api_base, provider_options={"max_retry_after_s": 1})
        report, calls = run_study(study, tmp_path / "db.sqlite")
    assert report.retries == 1 and not report.stopped_providers
    assert calls["status"].eq("valid").all() and len(calls) == PLANNED


def test_changed_temperature_is_refused_then_replaced(tmp_path: Path,
                                                      healthy: ScriptedServer) -> None:
    study = write_study(tmp_path, healthy.api_base)
    run_study(study, tmp_path / "db.sqlite")
    text = study.read_text(encoding="utf-8")
    study.write_text(text.replace("temperature = 0.7", "temperature = 0.2", 1), encoding="utf-8")
    with pytest.raises(ChangedSettingsError) as raised:
        run_study(study, tmp_path / "db.sqlite")
    assert len(raised.value.changed) == calls_per_model()
    assert {item.call.key.model for item in raised.value.changed} == {"alpha"}
    assert "alpha mini Chinese/USA: 6 rows differ in temperature" in str(raised.value)
    assert healthy.request_count == PLANNED
    report, calls = run_study(study, tmp_path / "db.sqlite", replace_changed=True)
    assert healthy.request_count == PLANNED + calls_per_model()
    assert report.counts["valid"] == calls_per_model()
    by_model = calls.groupby("model")["temperature"].agg(set).to_dict()
    assert by_model == {"alpha": {0.2}, "beta": {0.7}} and len(calls) == PLANNED


def test_changed_prompt_is_refused(tmp_path: Path, healthy: ScriptedServer) -> None:
    study = write_study(tmp_path, healthy.api_base)
    run_study(study, tmp_path / "db.sqlite")
    text = study.read_text(encoding="utf-8")
    study.write_text(text.replace('user = "Statement: ', 'user = "Claim: '), encoding="utf-8")
    with pytest.raises(ChangedSettingsError, match="prompt_sha"):
        run_study(study, tmp_path / "db.sqlite")
