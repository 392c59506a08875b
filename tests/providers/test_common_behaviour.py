"""Every provider against its scripted server: answers, faults and the API key's secrecy."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from collect.collector.providers.base import ChatResult, PermanentError, TransientError

from tests.providers.scripted_calls import (
    CASES,
    FAKE_KEY,
    KEY_ENV,
    MFQ_REQUEST,
    assert_key_hidden,
    call_once,
    call_outcomes,
)
from tests.servers.scripted import Fault, Reply, ScriptedCall, ScriptedServer, count_tokens

KINDS = sorted(CASES)


@dataclass(frozen=True)
class Expected:
    error: type[Exception] | None  # None: a ChatResult
    error_class: str | None = None
    http_status: int | None = None
    retry_after_s: float | None = None
    outcome: str | None = None
    vendor_code: str | None = None


COMMON_FAULTS: dict[str, tuple[Fault, Expected]] = {
    "rate_limit": (
        Fault.rate_limit(3),
        Expected(TransientError, "rate_limited", 429, retry_after_s=3.0),
    ),
    "server_error": (Fault("server_error"), Expected(TransientError, "server_error", 500)),
    "unavailable": (Fault("unavailable"), Expected(TransientError, "server_error", 503)),
    "overloaded": (Fault("overloaded"), Expected(TransientError, "overloaded", 529)),
    "drop": (Fault("drop"), Expected(TransientError, "connection")),
    "malformed": (Fault("malformed"), Expected(TransientError, "malformed_response")),
    "slow": (Fault.slow(5.0), Expected(TransientError, "timeout")),
    "not_found": (Fault("not_found"), Expected(PermanentError, "not_found")),
    "unauthorized": (Fault("unauthorized"), Expected(PermanentError, "unauthorized")),
}

# What differs between vendors.
VENDOR_FAULTS: dict[tuple[str, str], Expected] = {
    ("openai", "quota"): Expected(PermanentError, "quota_exhausted", 429),
    ("dashscope", "quota"): Expected(PermanentError, "quota_exhausted", 400),
    ("anthropic", "quota"): Expected(PermanentError, "quota_exhausted", 400),
    ("gemini", "quota"): Expected(PermanentError, "model_quota_exhausted", 429),
    ("openai", "empty"): Expected(TransientError, "empty_choices"),
    ("dashscope", "empty"): Expected(TransientError, "empty_choices"),
    ("anthropic", "empty"): Expected(None, outcome="ok"),
    ("gemini", "empty"): Expected(TransientError, "empty_choices"),
    ("openai", "content_filter"): Expected(
        None, outcome="refused", vendor_code="data_inspection_failed"
    ),
    ("dashscope", "content_filter"): Expected(
        None, outcome="refused", vendor_code="DataInspectionFailed"
    ),
    ("anthropic", "content_filter"): Expected(None, outcome="refused", vendor_code="refusal"),
    ("gemini", "content_filter"): Expected(
        None, outcome="refused", vendor_code="PROHIBITED_CONTENT"
    ),
    ("openai", "filter_finish"): Expected(None, outcome="refused", vendor_code="content_filter"),
    ("dashscope", "filter_finish"): Expected(None, outcome="refused", vendor_code="content_filter"),
    ("anthropic", "filter_finish"): Expected(None, outcome="refused", vendor_code="refusal"),
    ("gemini", "filter_finish"): Expected(None, outcome="refused", vendor_code="SAFETY"),
}

FAULT_CASES = [
    pytest.param(kind, fault, expected, id=f"{kind}-{name}")
    for kind in KINDS
    for name, (fault, expected) in COMMON_FAULTS.items()
] + [
    pytest.param(kind, Fault(name), expected, id=f"{kind}-{name}")
    for (kind, name), expected in VENDOR_FAULTS.items()
]


def check(outcome: object, expected: Expected) -> None:
    if expected.error is None:
        assert isinstance(outcome, ChatResult), outcome
        assert outcome.outcome == expected.outcome
        assert outcome.vendor_code == expected.vendor_code
        return
    assert isinstance(outcome, expected.error), outcome
    assert outcome.error_class == expected.error_class, outcome
    if expected.http_status is not None:
        assert outcome.http_status == expected.http_status
    if isinstance(outcome, TransientError):
        assert outcome.retry_after_s == expected.retry_after_s


@pytest.mark.parametrize("kind", KINDS)
def test_normal_answer_is_read_with_its_metadata(kind: str) -> None:
    case = CASES[kind]
    answer = lambda call: "4" if "Caring for people" in call.user else "no prompt seen"  # noqa: E731
    with ScriptedServer(case.protocol(), api_key=FAKE_KEY, answer=answer) as server:
        result = call_once(server, kind)
        model = server.model
        recorded = server.calls
    assert isinstance(result, ChatResult), result
    assert (result.outcome, result.text) == ("ok", "4")
    assert result.returned_model == (model if case.reports_model else None)
    assert result.request_id == f"{case.request_id_prefix}0"
    assert result.input_tokens == count_tokens(MFQ_REQUEST.system) + count_tokens(MFQ_REQUEST.user)
    assert result.output_tokens == 1
    assert result.latency_s is not None and result.latency_s > 0
    assert len(recorded) == 1 and recorded[0].key_ok
    assert recorded[0].system == MFQ_REQUEST.system
    assert_key_hidden(result)


@pytest.mark.parametrize(("kind", "fault", "expected"), FAULT_CASES)
def test_fault_ends_as_the_right_outcome_and_the_next_call_works(
    kind: str, fault: Fault, expected: Expected
) -> None:
    protocol = CASES[kind].protocol()
    with ScriptedServer(protocol, api_key=FAKE_KEY, script=[fault]) as server:
        faulty, after = call_outcomes(server, kind, [MFQ_REQUEST, MFQ_REQUEST], timeout_s=1.0)
        count = server.request_count
    check(faulty, expected)
    assert isinstance(after, ChatResult) and after.outcome == "ok", after
    assert count == 2
    assert_key_hidden(faulty)


@pytest.mark.parametrize("kind", KINDS)
def test_wrong_key_is_permanent_and_the_sent_key_stays_hidden(
    kind: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    wrong_key = "test-key-wrong-0b41e2"
    monkeypatch.setenv(KEY_ENV, wrong_key)
    with ScriptedServer(CASES[kind].protocol(), api_key=FAKE_KEY) as server:
        outcome = call_once(server, kind)
        recorded = server.calls
    assert isinstance(outcome, PermanentError), outcome
    assert outcome.error_class == "unauthorized"
    assert str(outcome).startswith("unauthorized: HTTP "), str(outcome)  # one class, once
    assert [call.key_ok for call in recorded] == [False]
    assert_key_hidden(outcome, wrong_key)
    assert_key_hidden(outcome, FAKE_KEY)


@pytest.mark.parametrize("kind", KINDS)
def test_missing_key_variable_is_a_permanent_error_naming_it(
    kind: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(KEY_ENV)
    with ScriptedServer(CASES[kind].protocol(), api_key=FAKE_KEY) as server:
        with pytest.raises(PermanentError, match=KEY_ENV) as raised:
            call_once(server, kind)
        assert server.request_count == 0
    assert raised.value.error_class == "missing_api_key"


@pytest.mark.parametrize("kind", KINDS)
def test_key_echoed_by_the_server_is_redacted(kind: str) -> None:
    """A proxy that echoes the request's key in its error page must not leak it into messages."""

    class KeyEchoingProxy(CASES[kind].protocol):  # type: ignore[name-defined, misc]
        def fault(self, fault: Fault, call: ScriptedCall, model: str) -> Reply:
            return Reply(502, f"<html>bad gateway for key {FAKE_KEY}</html>")

    with ScriptedServer(KeyEchoingProxy(), api_key=FAKE_KEY, script=[Fault("server_error")]) as s:
        outcome = call_once(s, kind)
    assert isinstance(outcome, TransientError), outcome
    assert outcome.http_status == 502
    assert "[redacted]" in str(outcome)
    assert_key_hidden(outcome)
