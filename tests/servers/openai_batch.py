"""OpenAI's Batch API as a scripted server: real HTTP on 127.0.0.1, faults decided by the test.

Files are uploaded with `POST /v1/files` (multipart, purpose "batch"), batches created with
`POST /v1/batches`, listed with `GET /v1/batches`, polled with `GET /v1/batches/{id}` and their
output and error files read with `GET /v1/files/{id}/content`. A batch moves on one step per poll:
validating, in_progress (for `polls_in_progress` polls), finalizing, then its end, which the
test's `BatchFaults` decide: completed, expired with only some lines done, failed at validation;
single lines may end with an error; the first download may drop the connection; polls may get 429.
"""

from __future__ import annotations

import email.parser
import itertools
import json
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from tests.servers.scripted import serve_in_thread


@dataclass
class BatchFaults:
    expire_after_lines: int | None = None  # the first batch expires with only so many lines done
    fail_validation: int = 0  # so many first batches fail at validation
    line_error: Callable[[str], bool] = lambda custom_id: False  # these lines get HTTP 500
    drop_first_download: bool = False
    rate_limit_polls: int = 0  # the first so many polls get 429


@dataclass
class _Batch:
    id: str
    input_file_id: str
    lines: list[dict[str, Any]]
    status: str = "validating"
    polls: int = 0
    output_file_id: str | None = None
    error_file_id: str | None = None
    completed: int = 0
    failed: int = 0
    errors: Any = None

    def body(self) -> dict[str, Any]:
        return {"id": self.id, "object": "batch", "endpoint": "/v1/chat/completions",
                "input_file_id": self.input_file_id, "completion_window": "24h",
                "status": self.status, "output_file_id": self.output_file_id,
                "error_file_id": self.error_file_id, "errors": self.errors,
                "request_counts": {"total": len(self.lines), "completed": self.completed,
                                   "failed": self.failed}}


@dataclass
class OpenAIBatchServer:
    api_key: str
    faults: BatchFaults = field(default_factory=BatchFaults)
    answer: Callable[[dict[str, Any]], str] = lambda body: "3"
    polls_in_progress: int = 1
    model: str = "scripted-model-2026-01-01"  # the returned model, as ScriptedServer's
    files: dict[str, bytes] = field(default_factory=dict)
    batches: dict[str, _Batch] = field(default_factory=dict)
    answered: list[str] = field(default_factory=list)  # custom ids, once per answered line
    requests: list[str] = field(default_factory=list)  # "METHOD path" in arrival order
    _ids: Any = field(default_factory=itertools.count)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def __enter__(self) -> OpenAIBatchServer:
        app = Starlette(routes=[
            Route("/v1/files", self._upload, methods=["POST"]),
            Route("/v1/files/{file_id}/content", self._content, methods=["GET"]),
            Route("/v1/batches", self._create, methods=["POST"]),
            Route("/v1/batches", self._list, methods=["GET"]),
            Route("/v1/batches/{batch_id}", self._retrieve, methods=["GET"]),
        ])
        self._server = serve_in_thread(app, "openai-batch")
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.stop()

    @property
    def api_base(self) -> str:
        return self._server.root_url + "/v1"

    def _new_id(self, prefix: str) -> str:
        return f"{prefix}-{next(self._ids)}"

    def _authorised(self, request: Request) -> bool:
        self.requests.append(f"{request.method} {request.url.path}")
        return request.headers.get("authorization") == f"Bearer {self.api_key}"

    async def _upload(self, request: Request) -> Response:
        if not self._authorised(request):
            return _error(401, "invalid_api_key")
        raw = await request.body()
        message = email.parser.BytesParser().parsebytes(
            b"content-type: " + request.headers["content-type"].encode() + b"\r\n\r\n" + raw)
        parts = {part.get_param("name", header="content-disposition"): part.get_payload(
            decode=True) for part in message.get_payload()}
        if parts.get("purpose") != b"batch":
            return _error(400, "invalid purpose")
        file_id = self._new_id("file")
        self.files[file_id] = parts["file"]
        return JSONResponse({"id": file_id, "object": "file", "purpose": "batch",
                             "bytes": len(parts["file"])})

    async def _create(self, request: Request) -> Response:
        if not self._authorised(request):
            return _error(401, "invalid_api_key")
        body = await request.json()
        content = self.files.get(body.get("input_file_id"))
        if content is None or body.get("endpoint") != "/v1/chat/completions":
            return _error(400, "unknown input file or endpoint")
        lines = [json.loads(line) for line in content.splitlines() if line.strip()]
        batch = _Batch(self._new_id("batch"), body["input_file_id"], lines)
        self.batches[batch.id] = batch
        return JSONResponse(batch.body())

    async def _list(self, request: Request) -> Response:
        if not self._authorised(request):
            return _error(401, "invalid_api_key")
        data = [batch.body() for batch in reversed(self.batches.values())]
        return JSONResponse({"object": "list", "data": data, "has_more": False})

    async def _retrieve(self, request: Request) -> Response:
        if not self._authorised(request):
            return _error(401, "invalid_api_key")
        if self.faults.rate_limit_polls > 0:
            self.faults.rate_limit_polls -= 1
            return JSONResponse({"error": {"message": "Rate limit reached", "type": "requests",
                                           "code": "rate_limit_exceeded"}},
                                status_code=429, headers={"retry-after": "0"})
        batch = self.batches.get(request.path_params["batch_id"])
        if batch is None:
            return _error(404, "no such batch")
        with self._lock:
            self._advance(batch)
        return JSONResponse(batch.body())

    def _advance(self, batch: _Batch) -> None:
        batch.polls += 1
        if batch.status == "validating":
            if self.faults.fail_validation > 0:
                self.faults.fail_validation -= 1
                batch.status = "failed"
                batch.errors = {"object": "list", "data": [
                    {"code": "invalid_json_line", "message": "line 1 is not valid JSON",
                     "line": 1}]}
            else:
                batch.status = "in_progress"
        elif batch.status == "in_progress" and batch.polls > self.polls_in_progress:
            batch.status = "finalizing"
        elif batch.status == "finalizing":
            self._finish(batch)

    def _finish(self, batch: _Batch) -> None:
        limit = self.faults.expire_after_lines
        self.faults.expire_after_lines = None
        outputs, errors = [], []
        for index, line in enumerate(batch.lines):
            cid = line["custom_id"]
            if limit is not None and index >= limit:
                errors.append({"id": f"req-{cid}", "custom_id": cid, "response": None,
                               "error": {"code": "batch_expired",
                                         "message": "This request could not be executed "
                                                    "before the completion window expired."}})
            elif self.faults.line_error(cid):
                errors.append({"id": f"req-{cid}", "custom_id": cid, "error": None,
                               "response": {"status_code": 500, "request_id": f"r-{cid}",
                                            "body": {"error": {"message": "server error",
                                                               "type": "server_error"}}}})
            else:
                self.answered.append(cid)
                text = self.answer(line["body"])
                outputs.append({"id": f"req-{cid}", "custom_id": cid, "error": None,
                                "response": {"status_code": 200, "request_id": f"r-{cid}",
                                             "body": _completion(cid, self.model, text)}})
        batch.completed, batch.failed = len(outputs), len(errors)
        batch.status = "expired" if limit is not None else "completed"
        if outputs:
            batch.output_file_id = self._store_lines(outputs)
        if errors:
            batch.error_file_id = self._store_lines(errors)

    def _store_lines(self, lines: list[dict[str, Any]]) -> str:
        file_id = self._new_id("file")
        self.files[file_id] = b"".join(json.dumps(line).encode() + b"\n" for line in lines)
        return file_id

    async def _content(self, request: Request) -> Response:
        if not self._authorised(request):
            return _error(401, "invalid_api_key")
        if self.faults.drop_first_download:
            self.faults.drop_first_download = False
            request.scope["scripted.transport"].close()
            return Response(status_code=500)
        content = self.files.get(request.path_params["file_id"])
        if content is None:
            return _error(404, "no such file")
        return Response(content, media_type="application/octet-stream")


def _completion(cid: str, model: str, text: str) -> dict[str, Any]:
    return {"id": f"chatcmpl-{cid}", "object": "chat.completion", "model": model,
            "choices": [{"index": 0, "message": {"role": "assistant", "content": text},
                         "finish_reason": "stop"}],
            "usage": {"prompt_tokens": 20, "completion_tokens": 1, "total_tokens": 21}}


def _error(status: int, message: str) -> Response:
    return JSONResponse({"error": {"message": message, "type": "invalid_request_error",
                                   "code": None}}, status_code=status)
