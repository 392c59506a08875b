"""The scripted server itself: scripts as functions, latency, key check, recording."""

from __future__ import annotations

import httpx

from tests.servers.openai_chat import OpenAIChat
from tests.servers.recorded import Replaying, asked_model
from tests.servers.scripted import Fault, Reply, ScriptedServer

KEY = "test-key-server-5d21"


def post(
    client: httpx.Client, server: ScriptedServer, key: str = KEY, timeout_s: float = 30.0
) -> httpx.Response:
    body = {
        "model": "m",
        "messages": [
            {"role": "system", "content": "s"},
            {"role": "user", "content": f"question {key[-2:]}"},
        ],
    }
    headers = {"authorization": f"Bearer {key}"}
    url = f"{server.api_base}/chat/completions"
    return client.post(url, json=body, headers=headers, timeout=timeout_s)


def test_script_as_a_function_of_the_request_count() -> None:
    every_third = lambda index: Fault.rate_limit(2) if index % 3 == 2 else None  # noqa: E731
    answer = lambda call: call.user.upper()  # noqa: E731
    with (
        ScriptedServer(OpenAIChat(), api_key=KEY, script=every_third, answer=answer) as server,
        httpx.Client() as client,
    ):
        statuses = [post(client, server).status_code for _ in range(6)]
        first = post(client, server).json()
        count = server.request_count
    assert statuses == [200, 200, 429, 200, 200, 429]
    assert first["choices"][0]["message"]["content"] == "QUESTION 21"
    assert count == 7


def test_wrong_key_is_refused_and_recorded_without_the_key() -> None:
    with ScriptedServer(OpenAIChat(), api_key=KEY) as server, httpx.Client() as client:
        response = post(client, server, key="test-key-other-0000")
        calls = server.calls
    assert response.status_code == 401
    assert [call.key_ok for call in calls] == [False]
    assert "authorization" not in calls[0].headers
    assert calls[0].body["model"] == "m"


def test_dropped_connection_gives_no_response() -> None:
    with (
        ScriptedServer(OpenAIChat(), api_key=KEY, script=[Fault("drop")]) as server,
        httpx.Client() as client,
    ):
        try:
            post(client, server)
            dropped = False
        except httpx.RemoteProtocolError:
            dropped = True
        after = post(client, server).status_code
    assert dropped
    assert after == 200


def test_latency_as_a_function_delays_only_the_chosen_requests() -> None:
    latencies = {1: 0.3}
    with (
        ScriptedServer(OpenAIChat(), api_key=KEY, latency_s=lambda i: latencies.get(i, 0.0)) as s,
        httpx.Client() as client,
    ):
        first = post(client, s).status_code
        try:
            post(client, s, timeout_s=0.1)
            timed_out = False
        except httpx.ReadTimeout:
            timed_out = True
    assert first == 200
    assert timed_out


def test_replaying_answers_chosen_requests_with_the_recorded_reply_verbatim() -> None:
    raw = '\n\n{"id": "x", "choices": []}'
    protocol = Replaying(OpenAIChat(), Reply(200, raw, {"x-request-id": "req-1"}),
                         when=lambda call: call.index == 1)
    with (
        ScriptedServer(protocol, api_key=KEY) as server,
        httpx.Client() as client,
    ):
        first, second = post(client, server), post(client, server)
        calls = server.calls
    assert first.json()["choices"][0]["message"]["content"] == "3"  # the protocol's own answer
    assert second.text == raw and second.headers["x-request-id"] == "req-1"
    assert [asked_model(call) for call in calls] == ["m", "m"]
