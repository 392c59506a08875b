"""Anthropic's Message Batches as a scripted server: real HTTP on 127.0.0.1.

`POST /v1/messages/batches` takes the requests inline, `GET /v1/messages/batches` lists,
`GET /v1/messages/batches/{id}` polls (in_progress for `polls_in_progress` polls, then ended) and
`GET /v1/messages/batches/{id}/results` serves the JSONL results. Faults as in `BatchFaults`:
lines expired after a number done, lines errored, the first download dropped, polls throttled,
and `BatchFaults.script` on any endpoint (create, list, retrieve, results), before or after the
server acted. `on_acted` is called once the server has acted and before it replies.

The rules of the real API, enforced here (a request breaking them gets 400
invalid_request_error and no batch, and is listed in `violations`): `requests` of 1 to 100,000
items, each with `custom_id` (1 to 64 of letters, digits, "-" and "_", unique within the batch)
and `params` holding `model`, `max_tokens` and `messages` (API reference, Create a Message Batch,
https://platform.claude.com/docs/en/api/creating-message-batches: "minItems: 1, maxItems:
100000", "pattern: ^[a-zA-Z0-9_-]{1,64}$", "Must be unique for each request within the Message
Batch"); a batch of at most 256 MB (Batch processing guide,
https://platform.claude.com/docs/en/build-with-claude/batch-processing, "Batch limitations").
The server also lists in `violations` any line put in a batch while it is in another live one.
"""

from __future__ import annotations

import itertools
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from tests.servers.openai_batch import BatchFaults, FaultScript, fault_before
from tests.servers.scripted import serve_in_thread

CUSTOM_ID = re.compile(r"[a-zA-Z0-9_-]{1,64}")


@dataclass
class _MessageBatch:
    id: str
    requests: list[dict[str, Any]]
    created_at: str
    polls: int = 0
    ended: bool = False
    results: list[dict[str, Any]] = field(default_factory=list)

    def body(self, root: str) -> dict[str, Any]:
        kinds = [r["result"]["type"] for r in self.results]
        counts = {kind: kinds.count(kind) for kind in ("succeeded", "errored", "canceled",
                                                        "expired")}
        counts["processing"] = 0 if self.ended else len(self.requests)
        return {"id": self.id, "type": "message_batch", "created_at": self.created_at,
                "processing_status": "ended" if self.ended else "in_progress",
                "request_counts": counts,
                "results_url": f"{root}/v1/messages/batches/{self.id}/results"
                if self.ended else None}


@dataclass
class AnthropicBatchServer(FaultScript):
    api_key: str
    faults: BatchFaults = field(default_factory=BatchFaults)
    answer: Callable[[dict[str, Any]], str] = lambda params: "3"
    polls_in_progress: int = 1
    batches: dict[str, _MessageBatch] = field(default_factory=dict)
    answered: list[str] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)
    max_requests: int = 100_000
    max_bytes: int = 256 * 1024 * 1024
    violations: list[str] = field(default_factory=list)
    on_acted: Callable[[str], None] | None = None
    _ids: Any = field(default_factory=itertools.count)

    def _broken_rule(self, raw: bytes, requests: Any) -> str:
        if not isinstance(requests, list) or not 1 <= len(requests) <= self.max_requests:
            return "requests: expected 1 to 100000 items"
        if len(raw) > self.max_bytes:
            return "batch larger than 256 MB"
        ids = []
        for item in requests:
            params = item.get("params") or {}
            if not {"model", "max_tokens", "messages"} <= set(params):
                return "params: model, max_tokens and messages are required"
            cid = str(item.get("custom_id", ""))
            if not CUSTOM_ID.fullmatch(cid):
                return f"custom_id {cid!r} does not match ^[a-zA-Z0-9_-]{{1,64}}$"
            ids.append(cid)
        if len(set(ids)) != len(ids):
            return "custom_id must be unique within the batch"
        return ""

    def __enter__(self) -> AnthropicBatchServer:
        app = Starlette(routes=[
            Route("/v1/messages/batches", self._create, methods=["POST"]),
            Route("/v1/messages/batches", self._list, methods=["GET"]),
            Route("/v1/messages/batches/{batch_id}", self._retrieve, methods=["GET"]),
            Route("/v1/messages/batches/{batch_id}/results", self._results, methods=["GET"]),
        ])
        self._server = serve_in_thread(app, "anthropic-batch")
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.stop()

    @property
    def api_base(self) -> str:
        return self._server.root_url

    def _authorised(self, request: Request) -> bool:
        self.requests.append(f"{request.method} {request.url.path}")
        return (request.headers.get("x-api-key") == self.api_key
                and request.headers.get("anthropic-version") is not None)

    async def _create(self, request: Request) -> Response:
        if not self._authorised(request):
            return _error(401, "authentication_error")
        fault = self._fault("create")
        if (early := fault_before(request, fault)) is not None:
            return early
        raw = await request.body()
        requests = json.loads(raw).get("requests")
        broken = self._broken_rule(raw, requests)
        if broken:
            self.violations.append(broken)
            return JSONResponse({"type": "error", "error": {"type": "invalid_request_error",
                                                            "message": broken}}, status_code=400)
        live = {r["custom_id"].split("_")[0] for b in self.batches.values() if not b.ended
                for r in b.requests}
        if any(r["custom_id"].split("_")[0] in live for r in requests):
            self.violations.append("a line in two live batches")
        batch = _MessageBatch(f"msgbatch_{next(self._ids)}", requests,
                              datetime.now(UTC).isoformat().replace("+00:00", "Z"))
        self.batches[batch.id] = batch
        return self._reply(request, "create", fault,
                           JSONResponse(batch.body(self._server.root_url)))

    async def _list(self, request: Request) -> Response:
        if not self._authorised(request):
            return _error(401, "authentication_error")
        fault = self._fault("list")
        if (early := fault_before(request, fault)) is not None:
            return early
        for batch in self.batches.values():  # time passes for batches nobody polls too
            self._step(batch)
        data = [b.body(self._server.root_url) for b in reversed(self.batches.values())]
        return self._reply(request, "list", fault, JSONResponse({
            "data": data, "has_more": False, "first_id": data[0]["id"] if data else None,
            "last_id": data[-1]["id"] if data else None}))

    async def _retrieve(self, request: Request) -> Response:
        if not self._authorised(request):
            return _error(401, "authentication_error")
        if self.faults.rate_limit_polls > 0:
            self.faults.rate_limit_polls -= 1
            return JSONResponse({"type": "error", "error": {"type": "rate_limit_error",
                                                            "message": "Rate limited"}},
                                status_code=429, headers={"retry-after": "0"})
        fault = self._fault("retrieve")
        if (early := fault_before(request, fault)) is not None:
            return early
        batch = self.batches[request.path_params["batch_id"]]
        self._step(batch)
        return self._reply(request, "retrieve", fault,
                           JSONResponse(batch.body(self._server.root_url)))

    def _step(self, batch: _MessageBatch) -> None:
        batch.polls += 1
        if not batch.ended and batch.polls > self.polls_in_progress:
            self._finish(batch)

    def _finish(self, batch: _MessageBatch) -> None:
        limit = self.faults.expire_after_lines
        self.faults.expire_after_lines = None
        if self.faults.expire_batches > 0:
            self.faults.expire_batches -= 1
            limit = 0
        for index, line in enumerate(batch.requests):
            cid = line["custom_id"]
            if limit is not None and index >= limit:
                result: dict[str, Any] = {"type": "expired"}
            elif self.faults.line_error(cid):
                result = {"type": "errored", "error": {"type": "error", "error": {
                    "type": "api_error", "message": "Internal server error"}}}
            else:
                self.answered.append(cid)
                params = line["params"]
                result = {"type": "succeeded", "message": {
                    "id": f"msg_{cid[:12]}", "type": "message", "role": "assistant",
                    "model": params["model"], "stop_reason": "end_turn",
                    "content": [{"type": "text", "text": self.answer(params)}],
                    "usage": {"input_tokens": 20, "output_tokens": 1}}}
            batch.results.append({"custom_id": cid, "result": result})
        batch.ended = True

    async def _results(self, request: Request) -> Response:
        if not self._authorised(request):
            return _error(401, "authentication_error")
        if self.faults.drop_first_download:
            self.faults.drop_first_download = False
            request.scope["scripted.transport"].close()
            return Response(status_code=500)
        fault = self._fault("results")
        if (early := fault_before(request, fault)) is not None:
            return early
        batch = self.batches[request.path_params["batch_id"]]
        content = "".join(json.dumps(r) + "\n" for r in batch.results)
        return self._reply(request, "results", fault,
                           Response(content, media_type="application/binary"))


def _error(status: int, kind: str) -> Response:
    return JSONResponse({"type": "error", "error": {"type": kind, "message": kind}},
                        status_code=status)
