"""What each provider puts on the wire: max_tokens, temperature only when set, thinking off."""

from __future__ import annotations

from typing import Any

import pytest
from collect.collector.providers.base import ChatResult
from collect.collector.providers.openai_compat import thinking_off_fields

from tests.providers.scripted_calls import (
    CASES,
    FAKE_KEY,
    MFQ_REQUEST,
    call_outcomes,
    with_changes,
)
from tests.servers.scripted import ScriptedCall, ScriptedServer


def sent(kind: str, *requests: Any) -> list[ScriptedCall]:
    with ScriptedServer(CASES[kind].protocol(), api_key=FAKE_KEY) as server:
        outcomes = call_outcomes(server, kind, list(requests))
        calls = server.calls
    assert all(isinstance(o, ChatResult) and o.outcome == "ok" for o in outcomes), outcomes
    return calls


def test_openai_body() -> None:
    default, warm = sent(
        "openai",
        MFQ_REQUEST,
        with_changes(temperature=0.7, extra_body={"enable_thinking": False}),
    )
    assert default.body["max_tokens"] == 10
    assert "temperature" not in default.body
    assert default.body["messages"] == [
        {"role": "system", "content": MFQ_REQUEST.system},
        {"role": "user", "content": MFQ_REQUEST.user},
    ]
    assert warm.body["temperature"] == 0.7
    assert warm.body["enable_thinking"] is False
    # built by the openai SDK, without its telemetry headers (OS, Python version, retry count)
    assert default.headers["user-agent"].startswith("AsyncOpenAI/Python")
    assert default.headers["content-type"] == "application/json"
    stainless = {name for name in default.headers if name.startswith("x-stainless")}
    assert stainless == {"x-stainless-raw-response"}


@pytest.mark.parametrize(
    ("base_url", "fields"),
    [
        ("https://dashscope-intl.aliyuncs.com/compatible-mode/v1", {"enable_thinking": False}),
        ("https://open.bigmodel.cn/api/paas/v4", {"thinking": {"type": "disabled"}}),
        ("https://api.deepseek.com", {}),
        (None, {}),
    ],
)
def test_openai_thinking_switch_follows_the_host(base_url: str | None, fields: dict) -> None:
    assert thinking_off_fields(base_url) == fields


def test_dashscope_native_body() -> None:
    default, warm = sent(
        "dashscope",
        MFQ_REQUEST,
        with_changes(temperature=0.7, disable_thinking=False, extra_body={"seed": 7}),
    )
    parameters = default.body["parameters"]
    assert default.body["model"] == MFQ_REQUEST.api_model
    assert parameters == {"result_format": "message", "max_tokens": 10, "enable_thinking": False}
    assert default.body["input"]["messages"][0] == {"role": "system", "content": MFQ_REQUEST.system}
    assert warm.body["parameters"] == {
        "result_format": "message",
        "max_tokens": 10,
        "temperature": 0.7,
        "seed": 7,
    }


def test_anthropic_body_and_headers() -> None:
    default, warm = sent("anthropic", MFQ_REQUEST, with_changes(temperature=1.0))
    assert default.path == "/v1/messages"
    assert default.headers["anthropic-version"] == "2023-06-01"
    assert default.body["system"] == MFQ_REQUEST.system
    assert default.body["messages"] == [{"role": "user", "content": MFQ_REQUEST.user}]
    assert default.body["max_tokens"] == 10
    assert default.body["thinking"] == {"type": "disabled"}
    assert "temperature" not in default.body
    assert warm.body["temperature"] == 1.0


def test_gemini_body_url_and_key_placement() -> None:
    default, tuned = sent(
        "gemini",
        MFQ_REQUEST,
        with_changes(temperature=0.5, extra_body={"generationConfig": {"topK": 1}}),
    )
    assert default.path == f"/v1beta/models/{MFQ_REQUEST.api_model}:generateContent"
    assert default.query == ""
    assert default.key_ok
    assert default.body["systemInstruction"] == {"parts": [{"text": MFQ_REQUEST.system}]}
    assert default.body["contents"] == [{"role": "user", "parts": [{"text": MFQ_REQUEST.user}]}]
    assert default.body["generationConfig"] == {
        "maxOutputTokens": 10,
        "thinkingConfig": {"thinkingBudget": 0},
    }
    assert tuned.body["generationConfig"] == {
        "maxOutputTokens": 10,
        "temperature": 0.5,
        "thinkingConfig": {"thinkingBudget": 0},
        "topK": 1,
    }
