"""A scripted protocol server: real HTTP on 127.0.0.1, answers and faults decided by the test.

    with ScriptedServer(OpenAIChat(), api_key="test-key-abc", script=[Fault.rate_limit(2)]) as s:
        config = ProviderConfig(name="x", kind="openai", base_url=s.api_base, api_key_env=...)

The server runs uvicorn in a background thread on an ephemeral port. Every request is counted and
recorded (path, JSON body, whether the API key matched, headers minus the key) before the script
decides what to do with it: answer normally, or fail in one of the ways listed in `FaultKind`.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

FaultKind = Literal[
    "rate_limit",  # 429 with Retry-After
    "quota",  # 429 (or the vendor's status) saying the account's quota is exhausted
    "server_error",  # 500
    "unavailable",  # 503
    "overloaded",  # 529 (Anthropic's overloaded_error)
    "unauthorized",  # the vendor's bad-key answer even though the key is right
    "not_found",  # 404 unknown model
    "slow",  # sleeps `delay_s` (longer than the client's timeout) before a normal answer
    "drop",  # closes the connection without any response
    "malformed",  # 200 with a truncated JSON body
    "empty",  # 200 without choices / candidates / content
    "content_filter",  # the vendor's moderation block (HTTP 400 code, or its 200 refusal shape)
    "filter_finish",  # 200 whose finish reason says the output was filtered
]

AUTH_HEADERS = frozenset({"authorization", "x-api-key", "x-goog-api-key", "api-key"})


@dataclass(frozen=True)
class Fault:
    kind: FaultKind
    retry_after: float | None = None  # Retry-After header value (rate_limit, unavailable)
    delay_s: float = 0.0  # for "slow"
    vendor: str | None = None  # which vendor's shape (content_filter, quota), e.g. "zhipu"

    @classmethod
    def rate_limit(cls, retry_after: float | None = 1.0) -> Fault:
        return cls("rate_limit", retry_after=retry_after)

    @classmethod
    def slow(cls, delay_s: float) -> Fault:
        return cls("slow", delay_s=delay_s)

    @classmethod
    def content_filter(cls, vendor: str | None = None) -> Fault:
        return cls("content_filter", vendor=vendor)


@dataclass
class ScriptedCall:
    """One request as the server received it."""

    index: int  # 0-based arrival order
    path: str
    query: str
    body: Any  # parsed JSON, or None when the body was not JSON
    headers: dict[str, str]  # lower-case names, API-key headers removed
    key_ok: bool
    system: str = ""
    user: str = ""
    path_params: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Reply:
    status: int
    body: Any  # JSON-serialisable, or str sent as is
    headers: Mapping[str, str] = field(default_factory=dict)


class Protocol:
    """What differs between vendors: routes, key header, prompt location, body shapes."""

    name: str = ""
    routes: tuple[str, ...] = ()
    api_prefix: str = ""  # appended to http://127.0.0.1:port to make the provider's base_url

    def key_ok(self, headers: Mapping[str, str], query: str, expected: str) -> bool:
        return headers.get("authorization") == f"Bearer {expected}"

    def prompt(self, body: Any) -> tuple[str, str]:
        raise NotImplementedError

    def ok(self, call: ScriptedCall, text: str, model: str) -> Reply:
        raise NotImplementedError

    def fault(self, fault: Fault, call: ScriptedCall, model: str) -> Reply:
        raise NotImplementedError


Script = Sequence[Fault | None] | Callable[[int], Fault | None] | None
Answer = Callable[[ScriptedCall], str]
Latency = float | Callable[[int], float]

MALFORMED_BODY = '{"id": "truncated", "choices": [{"index": 0, "message": {"content": "3'


def count_tokens(text: str) -> int:
    """A deterministic stand-in for a tokenizer: whitespace-separated words, at least one."""
    return max(len(text.split()), 1)


class ScriptedServer:
    def __init__(
        self,
        protocol: Protocol,
        *,
        api_key: str = "test-key-scripted-0000",
        answer: Answer | None = None,
        latency_s: Latency = 0.0,
        script: Script = None,
        model: str = "scripted-model-2026-01-01",
    ) -> None:
        self.protocol = protocol
        self.api_key = api_key
        self.answer: Answer = answer or (lambda call: "3")
        self.latency_s = latency_s
        self.script = script
        self.model = model
        self.calls: list[ScriptedCall] = []
        self.port: int | None = None
        self._running: RunningServer | None = None

    # --- what tests read -------------------------------------------------------------------
    @property
    def request_count(self) -> int:
        return len(self.calls)

    @property
    def root_url(self) -> str:
        if self.port is None:
            raise RuntimeError("the scripted server is not running")
        return f"http://127.0.0.1:{self.port}"

    @property
    def api_base(self) -> str:
        """The value for `ProviderConfig.base_url`."""
        return self.root_url + self.protocol.api_prefix

    # --- lifecycle ---------------------------------------------------------------------------
    def __enter__(self) -> ScriptedServer:
        self.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def start(self) -> None:
        app = Starlette(
            routes=[Route(path, self._handle, methods=["POST"]) for path in self.protocol.routes]
        )
        self._running = serve_in_thread(app, self.protocol.name)
        self.port = self._running.port

    def stop(self) -> None:
        if self._running is not None:
            self._running.stop()
        self._running = None

    # --- one request -------------------------------------------------------------------------
    def _fault_for(self, index: int) -> Fault | None:
        if self.script is None:
            return None
        if callable(self.script):
            return self.script(index)
        return self.script[index] if index < len(self.script) else None

    def _latency_for(self, index: int) -> float:
        return self.latency_s(index) if callable(self.latency_s) else self.latency_s

    async def _handle(self, request: Request) -> Response:
        raw = await request.body()
        try:
            body = json.loads(raw) if raw else None
        except ValueError:
            body = None
        headers = {k.lower(): v for k, v in request.headers.items()}
        query = request.url.query
        call = ScriptedCall(
            index=len(self.calls),
            path=request.url.path,
            query=query,
            body=body,
            headers={k: v for k, v in headers.items() if k not in AUTH_HEADERS},
            key_ok=self.protocol.key_ok(headers, query, self.api_key),
            path_params=dict(request.path_params),
        )
        if body is not None:
            with contextlib.suppress(KeyError, IndexError, TypeError):
                call.system, call.user = self.protocol.prompt(body)
        self.calls.append(call)
        if not call.key_ok:
            return _response(self.protocol.fault(Fault("unauthorized"), call, self.model))
        fault = self._fault_for(call.index)
        latency = self._latency_for(call.index)
        if latency > 0 and not await _sleep_unless_stopped(latency):
            return Response(status_code=503)
        if fault is None:
            return _response(self.protocol.ok(call, self.answer(call), self.model))
        if fault.kind == "drop":
            request.scope["scripted.transport"].close()
            return Response(status_code=500)  # never sent: the connection is gone
        if fault.kind == "slow":
            if not await _sleep_unless_stopped(fault.delay_s):
                return Response(status_code=503)
            return _response(self.protocol.ok(call, self.answer(call), self.model))
        if fault.kind == "malformed":
            return Response(MALFORMED_BODY, status_code=200, media_type="application/json")
        return _response(self.protocol.fault(fault, call, self.model))


async def _sleep_unless_stopped(seconds: float) -> bool:
    """Sleep; False when the server shut down meanwhile (its loop cancels sleeping handlers)."""
    try:
        await asyncio.sleep(seconds)
    except asyncio.CancelledError:
        return False
    return True


def _response(reply: Reply) -> Response:
    if isinstance(reply.body, str):
        return Response(
            reply.body,
            status_code=reply.status,
            headers=dict(reply.headers),
            media_type="application/json",
        )
    return JSONResponse(reply.body, status_code=reply.status, headers=dict(reply.headers))


def retry_after_headers(fault: Fault) -> dict[str, str]:
    if fault.retry_after is None:
        return {}
    value = fault.retry_after
    return {"retry-after": str(int(value)) if float(value).is_integer() else str(value)}


class _TransportExposingApp:
    """Puts the connection's transport into the scope so a handler can drop the connection.

    uvicorn's `send` is a bound method of its request cycle, which holds the transport; ASGI itself
    has no way to close a connection without answering.
    """

    def __init__(self, app: Starlette) -> None:
        self.app = app

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "http":
            scope["scripted.transport"] = send.__self__.transport
        await self.app(scope, receive, send)


class RunningServer:
    """An ASGI app served by uvicorn in a background thread on an ephemeral 127.0.0.1 port."""

    def __init__(self, server: uvicorn.Server, thread: threading.Thread, port: int) -> None:
        self.server = server
        self.thread = thread
        self.port = port

    @property
    def root_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def stop(self) -> None:
        self.server.should_exit = True
        self.server.force_exit = True  # do not wait for "slow" handlers still sleeping
        self.thread.join(timeout=10)


def serve_in_thread(app: Starlette, name: str, timeout_s: float = 20.0) -> RunningServer:
    config = uvicorn.Config(
        _TransportExposingApp(app),
        host="127.0.0.1",
        port=0,
        log_level="error",
        access_log=False,
        lifespan="off",
        backlog=4096,
        timeout_keep_alive=30,
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name=f"scripted-{name}", daemon=True)
    thread.start()
    waited = 0.0
    while not server.started:
        if not thread.is_alive() or waited > timeout_s:
            raise RuntimeError(f"scripted {name} server did not start")
        threading.Event().wait(0.01)
        waited += 0.01
    return RunningServer(server, thread, server.servers[0].sockets[0].getsockname()[1])
