"""The openai SDK's HTTP client over aiohttp: errors the SDK understands, bytes as sent.

A raw HTTP server on 127.0.0.1 answers with canned bytes and keeps what it received, so the tests
see the wire itself: headers, proxy request lines, compressed answers, redirects.
"""

from __future__ import annotations

import asyncio
import gzip
import json
import socket
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

import aiohttp
import httpx2
import pytest
from collect.collector.providers.aiohttp_transport import (
    SdkHttpClient,
    environment_proxy,
    httpx_error,
)
from collect.collector.providers.base import (
    ChatResult,
    PermanentError,
    ProviderConfig,
    TransientError,
)
from collect.collector.providers.openai_compat import OpenAICompatProvider

from tests.providers.scripted_calls import FAKE_KEY, KEY_ENV, MFQ_REQUEST, assert_key_hidden

ANSWER = {
    "id": "chatcmpl-raw",
    "model": "raw-model",
    "choices": [{"message": {"role": "assistant", "content": "4"}, "finish_reason": "stop"}],
    "usage": {"prompt_tokens": 12, "completion_tokens": 1},
}
PROXY_VARIABLES = ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY")


def http_answer(status: int, body: bytes, *headers: tuple[str, str]) -> bytes:
    head = [f"HTTP/1.1 {status} X", f"content-length: {len(body)}",
            *(f"{name}: {value}" for name, value in headers)]
    return ("\r\n".join(head) + "\r\n\r\n").encode() + body


def json_answer(payload: object = ANSWER, *headers: tuple[str, str]) -> bytes:
    return http_answer(200, json.dumps(payload).encode(), ("content-type", "application/json"),
                       *headers)


@dataclass
class RawServer:
    """Answers the n-th request with the n-th canned answer; keeps each request's head lines."""

    answers: list[bytes]
    heads: list[list[str]] = field(default_factory=list)
    port: int = 0

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        while self.answers:
            try:
                received = await reader.readuntil(b"\r\n\r\n")
            except asyncio.IncompleteReadError:  # the client closed the connection
                break
            head = received.decode("latin-1").split("\r\n")[:-2]
            length = next((int(line.split(":")[1]) for line in head
                           if line.lower().startswith("content-length:")), 0)
            await reader.readexactly(length)
            self.heads.append(head)
            writer.write(self.answers.pop(0))
            await writer.drain()
        writer.close()

    def header(self, index: int, name: str) -> list[str]:
        return [line.split(":", 1)[1].strip() for line in self.heads[index][1:]
                if line.split(":", 1)[0].lower() == name]


def serve(
    answers: list[bytes], use: Callable[[RawServer], Awaitable[object]]
) -> tuple[RawServer, object]:
    server = RawServer(list(answers))

    async def run() -> object:
        listening = await asyncio.start_server(server._serve, "127.0.0.1", 0)
        server.port = listening.sockets[0].getsockname()[1]
        async with listening:
            return await use(server)

    return server, asyncio.run(run())


def provider_call(base_url: Callable[[RawServer], str], timeout_s: float = 5.0):
    async def call(server: RawServer) -> ChatResult | Exception:
        config = ProviderConfig(name="raw", kind="openai", base_url=base_url(server),
                                api_key_env=KEY_ENV, timeout_s=timeout_s)
        provider = OpenAICompatProvider(config)
        try:
            return await provider.complete(MFQ_REQUEST)
        except Exception as exc:
            return exc
        finally:
            await provider.aclose()

    return call


def direct(server: RawServer) -> str:
    return f"http://127.0.0.1:{server.port}/v1"


@pytest.fixture(autouse=True)
def no_proxy_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in PROXY_VARIABLES:
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.lower(), raising=False)


@pytest.mark.parametrize(
    ("error", "mapped"),
    [
        (aiohttp.ServerDisconnectedError(), httpx2.RemoteProtocolError),
        (aiohttp.SocketTimeoutError("read"), httpx2.ReadTimeout),
        (aiohttp.ConnectionTimeoutError("connect"), httpx2.ConnectTimeout),
        (TimeoutError(), httpx2.ReadTimeout),
        (aiohttp.ClientPayloadError("cut short"), httpx2.ReadError),
        (aiohttp.ClientOSError(104, "reset by peer"), httpx2.NetworkError),
        (aiohttp.ClientError("other"), httpx2.TransportError),
    ],
)
def test_aiohttp_errors_become_the_httpx_errors_the_sdk_maps(
    error: Exception, mapped: type[Exception]
) -> None:
    request = httpx2.Request("POST", "http://127.0.0.1:9/v1/chat/completions")
    result = httpx_error(error, request)
    assert type(result) is mapped
    # the SDK makes the httpx2 timeouts APITimeoutError, every other one APIConnectionError
    is_timeout = isinstance(error, TimeoutError)
    assert isinstance(result, httpx2.TimeoutException) == is_timeout
    assert httpx_error(ValueError("not a transport failure"), request) is None


def test_answer_is_read_and_the_request_is_sent_once_with_its_headers() -> None:
    server, result = serve([json_answer(ANSWER, ("x-request-id", "req-raw-1"))],
                           provider_call(direct))
    assert isinstance(result, ChatResult), result
    assert (result.outcome, result.text, result.request_id) == ("ok", "4", "req-raw-1")
    assert (result.input_tokens, result.output_tokens) == (12, 1)
    (head,) = server.heads
    assert head[0] == "POST /v1/chat/completions HTTP/1.1"
    assert server.header(0, "authorization") == [f"Bearer {FAKE_KEY}"]
    assert server.header(0, "host") == [f"127.0.0.1:{server.port}"]
    assert server.header(0, "content-type") == ["application/json"]
    assert len(server.header(0, "content-length")) == 1


def test_compressed_answer_is_decoded() -> None:
    body = gzip.compress(json.dumps(ANSWER).encode())
    answer = http_answer(200, body, ("content-type", "application/json"),
                         ("content-encoding", "gzip"))
    _, result = serve([answer], provider_call(direct))
    assert isinstance(result, ChatResult) and result.text == "4", result


def test_refused_connection_is_a_connection_error_not_a_timeout() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]  # closed again: nothing listens there
    _, result = serve([], provider_call(lambda _: f"http://127.0.0.1:{port}/v1"))
    assert isinstance(result, TransientError) and result.error_class == "connection", result
    assert_key_hidden(result)


def test_redirect_is_a_permanent_error_naming_the_new_address() -> None:
    moved = http_answer(308, b"", ("location", "https://api.example.org/v2/chat/completions"))
    server, result = serve([moved], provider_call(direct))
    assert isinstance(result, PermanentError) and result.error_class == "redirected", result
    assert "https://api.example.org/v2/chat/completions" in str(result)
    assert len(server.heads) == 1


def test_proxy_from_the_environment_is_used(monkeypatch: pytest.MonkeyPatch) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        target_port = probe.getsockname()[1]
    target = f"http://127.0.0.1:{target_port}/v1"

    async def through_proxy(server: RawServer) -> object:
        monkeypatch.setenv("HTTP_PROXY", f"http://127.0.0.1:{server.port}")
        return await provider_call(lambda _: target)(server)

    server, result = serve([json_answer()], through_proxy)
    assert isinstance(result, ChatResult) and result.text == "4", result
    assert server.heads[0][0] == f"POST {target}/chat/completions HTTP/1.1"


@pytest.mark.parametrize(
    ("variables", "url", "proxy"),
    [
        ({}, "https://api.deepseek.com/v1", None),
        ({"HTTPS_PROXY": "http://proxy:3128"}, "https://api.deepseek.com/v1", "http://proxy:3128"),
        ({"HTTPS_PROXY": "http://proxy:3128"}, "http://127.0.0.1:8080/v1", None),
        ({"HTTP_PROXY": "http://proxy:3128"}, "http://127.0.0.1:8080/v1", "http://proxy:3128"),
        ({"ALL_PROXY": "http://all:1080"}, "https://api.deepseek.com/v1", "http://all:1080"),
        ({"HTTPS_PROXY": "http://proxy:3128", "NO_PROXY": ".deepseek.com"},
         "https://api.deepseek.com/v1", None),
        ({"HTTPS_PROXY": "http://proxy:3128", "NO_PROXY": "example.org"},
         "https://api.deepseek.com/v1", "http://proxy:3128"),
    ],
)  # fmt: skip
def test_environment_proxy_choice(
    monkeypatch: pytest.MonkeyPatch, variables: dict[str, str], url: str, proxy: str | None
) -> None:
    for name, value in variables.items():
        monkeypatch.setenv(name, value)
    assert environment_proxy(url) == proxy


def test_client_takes_httpx2s_full_path_for_what_the_sdk_does_not_send() -> None:
    async def use(server: RawServer) -> object:
        client = SdkHttpClient(4, 5.0)
        try:
            request = client.build_request("GET", direct(server) + "/models", params={"a": "1"})
            assert request.url.query == b"a=1"
            response = await client.send(request, follow_redirects=True)
            return response.status_code, response.json()
        finally:
            await client.aclose()

    found = http_answer(307, b"", ("location", "/v1/models/found"))
    server, (status, body) = serve([found, json_answer({"data": []})], use)  # type: ignore[misc]
    assert (status, body) == (200, {"data": []})
    assert [head[0] for head in server.heads] == [
        "GET /v1/models?a=1 HTTP/1.1",
        "GET /v1/models/found HTTP/1.1",
    ]
