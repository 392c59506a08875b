"""Anthropic's Message Batches as a scripted server: real HTTP on 127.0.0.1.

`POST /v1/messages/batches` takes the requests inline, `GET /v1/messages/batches` lists,
`GET /v1/messages/batches/{id}` polls (in_progress for `polls_in_progress` polls, then ended) and
`GET /v1/messages/batches/{id}/results` serves the JSONL results. Faults as in `BatchFaults`:
lines expired after a number done, lines errored, the first download dropped, polls throttled.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from tests.servers.openai_batch import BatchFaults
from tests.servers.scripted import serve_in_thread


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
class AnthropicBatchServer:
    api_key: str
    faults: BatchFaults = field(default_factory=BatchFaults)
    answer: Callable[[dict[str, Any]], str] = lambda params: "3"
    polls_in_progress: int = 1
    batches: dict[str, _MessageBatch] = field(default_factory=dict)
    answered: list[str] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)
    _ids: Any = field(default_factory=itertools.count)

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
        requests = (await request.json())["requests"]
        batch = _MessageBatch(f"msgbatch_{next(self._ids)}", requests,
                              datetime.now(UTC).isoformat().replace("+00:00", "Z"))
        self.batches[batch.id] = batch
        return JSONResponse(batch.body(self._server.root_url))

    async def _list(self, request: Request) -> Response:
        if not self._authorised(request):
            return _error(401, "authentication_error")
        data = [b.body(self._server.root_url) for b in reversed(self.batches.values())]
        return JSONResponse({"data": data, "has_more": False})

    async def _retrieve(self, request: Request) -> Response:
        if not self._authorised(request):
            return _error(401, "authentication_error")
        if self.faults.rate_limit_polls > 0:
            self.faults.rate_limit_polls -= 1
            return JSONResponse({"type": "error", "error": {"type": "rate_limit_error",
                                                            "message": "Rate limited"}},
                                status_code=429, headers={"retry-after": "0"})
        batch = self.batches[request.path_params["batch_id"]]
        batch.polls += 1
        if not batch.ended and batch.polls > self.polls_in_progress:
            self._finish(batch)
        return JSONResponse(batch.body(self._server.root_url))

    def _finish(self, batch: _MessageBatch) -> None:
        limit = self.faults.expire_after_lines
        self.faults.expire_after_lines = None
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
        batch = self.batches[request.path_params["batch_id"]]
        content = "".join(json.dumps(r) + "\n" for r in batch.results)
        return Response(content, media_type="application/binary")


def _error(status: int, kind: str) -> Response:
    return JSONResponse({"type": "error", "error": {"type": kind, "message": kind}},
                        status_code=status)
