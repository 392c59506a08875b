"""The runner against real HTTP servers on 127.0.0.1: every fault ends handled and counted."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pandas as pd
import pytest
from collect.collector.export import export_study
from collect.collector.runner import (
    MAX_CONSECUTIVE_PERMANENT,
    MAX_THROTTLE_ROUNDS,
    ChangedSettingsError,
    RunReport,
)
from collect.collector.study import load_study
from collect.core.outcome import Outcome

from tests.collector.runs import run_study
from tests.collector.studyfiles import TEST_KEY, TEST_KEY_ENV, calls_per_model, write_study
from tests.providers.corpus import RecordedCase, load_corpus
from tests.providers.scripted_calls import CASES as PROVIDER_CASES
from tests.servers.dashscope_native import DashScopeNative
from tests.servers.openai_chat import OpenAIChat
from tests.servers.recorded import Replaying, asked_model
from tests.servers.scripted import Fault, ScriptedCall, ScriptedServer

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


# --- recorded answers (tests/providers/recorded/) through the runner and the export -----------

PROTOCOLS = {kind: case.protocol for kind, case in PROVIDER_CASES.items()}
MODEL_STOPS = ("model gone", "model quota stop")
ANSWERED = (Outcome.VALID, Outcome.INVALID)


def _replay_run(tmp_path: Path, case: RecordedCase) -> tuple[RunReport, pd.DataFrame, int]:
    """Runs the mini study (models alpha and beta, one at a time) against a server that gives
    `case`'s answer: to every call; to alpha's calls only when the case stops a model; to the
    first call only when it is transient (to every call when its wait is above the cap)."""
    expected = case.expected
    options: dict[str, object] = {"kind": case.client, "max_concurrency": 1}
    when: Callable[[ScriptedCall], bool] = lambda call: True  # noqa: E731
    if expected.class_ in MODEL_STOPS:
        when = lambda call: asked_model(call) == "alpha-api"  # noqa: E731
    elif expected.class_ == "transient" and (expected.retry_after_s or 0.0) > 1.0:
        options["max_retry_after_s"] = expected.retry_after_s / 2  # type: ignore[operator]
    elif expected.class_ == "transient":
        when = lambda call: call.index == 0  # noqa: E731
    protocol = Replaying(PROTOCOLS[case.client](), case.reply(), when)
    with ScriptedServer(protocol, api_key=TEST_KEY) as server:
        study = write_study(tmp_path, server.api_base, provider_options=options)
        report, calls = run_study(study, tmp_path / "db.sqlite")
        requests = server.request_count
    export_study(load_study(study), calls, tmp_path / "out")
    return report, calls, requests


@pytest.mark.parametrize("case", load_corpus(), ids=lambda case: case.id)
def test_recorded_answer_through_the_runner_and_the_export(
    tmp_path: Path, case: RecordedCase
) -> None:
    report, calls, requests = _replay_run(tmp_path, case)
    expected = case.expected
    failed = calls.loc[calls["status"] == "failed"]
    if expected.class_ == "answer":
        assert requests == PLANNED and report.attempted == PLANNED and failed.empty
        assert calls["status"].isin(ANSWERED).all() and calls["attempts"].eq(1).all()
        stored = [None if pd.isna(text) else text for text in calls["raw_text"]]
        assert stored == [expected.text] * PLANNED  # the answer, never the reasoning beside it
    elif expected.class_ == "refusal":
        assert requests == PLANNED == report.counts["refused"]  # never retried
        assert calls["status"].eq(Outcome.REFUSED).all() and calls["refusal"].astype(bool).all()
        assert calls["vendor_code"].eq(expected.vendor_code).all()
    elif expected.class_ == "transient":
        wait = expected.retry_after_s
        if wait is not None and wait > 1.0:  # above the cap: the wait is read, not waited
            assert requests == 1 and list(report.stopped_providers) == ["scripted"]
            assert f"wait {wait:g} s" in report.stopped_providers["scripted"]
            assert failed["error_class"].tolist() == ["retry_after_too_long"]
        else:
            assert requests == PLANNED + 1 and report.retries == 1 and failed.empty
            assert sorted(calls["attempts"])[-2:] == [1, 2]
    elif expected.class_ in MODEL_STOPS:
        assert list(report.stopped_models) == ["alpha"] and not report.stopped_providers
        assert failed["model"].tolist() == ["alpha"]
        assert failed["error_class"].tolist() == [expected.error_class]
        assert requests == 1 + calls_per_model()  # beta is asked everything
        assert calls.loc[calls["model"] == "beta", "status"].isin(ANSWERED).all()
    elif expected.class_ == "bad request":  # each call fails once; ten in a row stop a model
        per_model = MAX_CONSECUTIVE_PERMANENT
        assert requests == 2 * per_model and len(failed) == 2 * per_model
        assert set(report.stopped_models) == {"alpha", "beta"} and not report.stopped_providers
        assert calls["attempts"].eq(1).all() and failed["error_class"].eq("bad_request").all()
    else:  # quota and auth stops
        assert requests == 1 and list(report.stopped_providers) == ["scripted"]
        assert failed["error_class"].tolist() == [expected.error_class]
        assert report.not_attempted == PLANNED - 1
    _check_export(tmp_path / "out", calls)


def _check_export(out: Path, calls: pd.DataFrame) -> None:
    """The per-call status and prop_na: refusals are non-answers, failed calls are no calls."""
    per_call = pd.read_csv(out / "llm_mfq_calls.csv", keep_default_na=False, dtype=str)
    assert sorted(per_call["status"]) == sorted(calls["status"])
    answered = calls.loc[calls["status"] != "failed"]
    means = pd.read_csv(out / "llm_mfq_responses.csv")
    if answered.empty:
        assert means.empty
        return
    non_answer = (~answered["valid"].astype(bool)).groupby(
        [answered["model"], answered["language"], answered["persona"]]
    ).mean()
    for row in means.itertuples(index=False):
        assert row.prop_na == pytest.approx(non_answer[(row.LLM, row.language, row.persona)])


def test_allocation_throttle_pauses_without_using_up_attempts(tmp_path: Path) -> None:
    throttle = next(c for c in load_corpus() if c.id == "dashscope/allocated_quota_exceeded")
    # Throttled five times in a row (more than max_attempts = 3), then served.
    protocol = Replaying(OpenAIChat(), throttle.reply(), when=lambda call: call.index < 5)
    with ScriptedServer(protocol, api_key=TEST_KEY) as server:
        study = write_study(tmp_path, server.api_base, models={"alpha": "scripted"},
                            provider_options={"max_concurrency": 1})
        report, calls = run_study(study, tmp_path / "db.sqlite")
        assert server.request_count == calls_per_model() + 5
    assert not report.stopped_providers and report.retries == 5
    assert calls["status"].isin(ANSWERED).all()
    assert sorted(calls["attempts"])[-1] == 6


def test_allocation_throttle_that_never_clears_stops_the_provider(tmp_path: Path) -> None:
    throttle = next(c for c in load_corpus() if c.id == "dashscope_native/allocation_quota")
    protocol = Replaying(DashScopeNative(), throttle.reply(), when=lambda call: True)
    with ScriptedServer(protocol, api_key=TEST_KEY) as throttled, _server() as alive:
        study = write_study(
            tmp_path, {"throttled": throttled.api_base, "alive": alive.api_base},
            models={"alpha": "throttled", "beta": "alive"},
            provider_options={"max_concurrency": 2},
        )
        text = study.read_text(encoding="utf-8").replace(
            'kind = "openai"', 'kind = "dashscope"', 1)
        study.write_text(text, encoding="utf-8")
        report, calls = run_study(study, tmp_path / "db.sqlite")
        # Two workers: each round ends with one throttle per worker at most.
        assert MAX_THROTTLE_ROUNDS + 1 <= throttled.request_count <= 2 * (MAX_THROTTLE_ROUNDS + 1)
        assert alive.request_count == calls_per_model()
    reason = report.stopped_providers["throttled"]
    assert f"still throttled after {MAX_THROTTLE_ROUNDS} consecutive waits" in reason
    assert "Allocated quota exceeded" in reason
    failed = calls.loc[calls["status"] == "failed"]
    assert set(failed["error_class"]) == {"throttled_too_long"}
    assert set(failed["model"]) == {"alpha"}
    assert calls.loc[calls["model"] == "beta", "status"].isin(ANSWERED).all()
