"""OpenAI's Batch API as a scripted server: real HTTP on 127.0.0.1, faults decided by the test.

Files are uploaded with `POST /v1/files` (multipart, purpose "batch"), batches created with
`POST /v1/batches`, listed with `GET /v1/batches`, polled with `GET /v1/batches/{id}` and their
output and error files read with `GET /v1/files/{id}/content`. A batch moves on one step per poll:
validating, in_progress (for `polls_in_progress` polls), finalizing, then its end, which the
test's `BatchFaults` decide: completed, expired with only some lines done, failed at validation;
single lines may end with an error; the first download may drop the connection; polls may get 429.
`BatchFaults.script` adds faults on any endpoint, before or after the server acted (a reply
dropped after the file or batch was made, a body cut off). `on_acted` is called once the server
has acted on a request and before it replies (a test kills its client there).

The rules the real API enforces, and this server too (a broken rule fails the batch at
validation, as the real service does, and is listed in `violations`):
- one model per input file, `custom_id` unique within the file, every line with `custom_id`,
  `method` "POST", `url` equal to the batch's `endpoint`, and a `body` (OpenAI Batch guide,
  https://platform.openai.com/docs/guides/batch, "Each input file can only include requests to a
  single model"; novita.ai's OpenAI-compatible batch docs, "All requests within a single batch
  JSONL file must target the same model"),
- at most 50,000 requests and 200 MB per input file (OpenAI API reference, Create batch,
  `input_file_id`: "The file can contain up to 50,000 requests, and can be up to 200 MB in size"),
- `completion_window` "24h", `endpoint` one of the supported ones, metadata of at most 16 pairs
  (keys up to 64, values up to 512 characters) (same reference, Create batch).
The server also lists in `violations` any line put in a batch while it is in another live one.
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
    expire_batches: int = 0  # so many first batches expire with no line done
    fail_validation: int = 0  # so many first batches fail at validation
    line_error: Callable[[str], bool] = lambda custom_id: False  # these lines get HTTP 500
    drop_first_download: bool = False
    rate_limit_polls: int = 0  # the first so many polls get 429
    # endpoint name -> faults of its next requests, in order: "drop_before" (connection closed,
    # nothing done), "drop_after" (done, then the connection closed), "cut_off" (done, the body
    # cut in half), "server_error" (500), "rate_limit" (429). Endpoint names: upload,
    # list_files, create, list, retrieve, content.
    script: dict[str, list[str]] = field(default_factory=dict)


MAX_LINES = 50_000
MAX_BYTES = 200 * 1024 * 1024
ENDPOINTS = frozenset({"/v1/responses", "/v1/chat/completions", "/v1/embeddings",
                       "/v1/completions", "/v1/moderations"})


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
    metadata: dict[str, str] | None = None

    def body(self) -> dict[str, Any]:
        return {"id": self.id, "object": "batch", "endpoint": "/v1/chat/completions",
                "metadata": self.metadata,
                "input_file_id": self.input_file_id, "completion_window": "24h",
                "status": self.status, "output_file_id": self.output_file_id,
                "error_file_id": self.error_file_id, "errors": self.errors,
                "request_counts": {"total": len(self.lines), "completed": self.completed,
                                   "failed": self.failed}}


class FaultScript:
    """The faults of `BatchFaults.script` and the `on_acted` hook, for the batch servers."""

    faults: BatchFaults
    on_acted: Callable[[str], None] | None

    def _fault(self, endpoint: str) -> str | None:
        queue = self.faults.script.get(endpoint)
        return queue.pop(0) if queue else None

    def _reply(self, request: Request, endpoint: str, fault: str | None,
               response: Response) -> Response:
        """The reply to a request the server has acted on: whole, cut off, or dropped."""
        if self.on_acted is not None:
            self.on_acted(endpoint)
        if fault == "drop_after":
            request.scope["scripted.transport"].close()
            return Response(status_code=500)  # never sent: the connection is gone
        if fault == "cut_off":
            return Response(bytes(response.body)[: len(response.body) // 2],
                            media_type="application/json")
        return response


@dataclass
class OpenAIBatchServer(FaultScript):
    api_key: str
    faults: BatchFaults = field(default_factory=BatchFaults)
    answer: Callable[[dict[str, Any]], str] = lambda body: "3"
    polls_in_progress: int = 1
    model: str = "scripted-model-2026-01-01"  # the returned model, as ScriptedServer's
    files: dict[str, bytes] = field(default_factory=dict)
    file_names: dict[str, str] = field(default_factory=dict)
    max_lines: int = MAX_LINES
    max_bytes: int = MAX_BYTES
    violations: list[str] = field(default_factory=list)
    on_acted: Callable[[str], None] | None = None
    batches: dict[str, _Batch] = field(default_factory=dict)
    answered: list[str] = field(default_factory=list)  # custom ids, once per answered line
    requests: list[str] = field(default_factory=list)  # "METHOD path" in arrival order
    _ids: Any = field(default_factory=itertools.count)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def __enter__(self) -> OpenAIBatchServer:
        app = Starlette(routes=[
            Route("/v1/files", self._upload, methods=["POST"]),
            Route("/v1/files", self._list_files, methods=["GET"]),
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
        fault = self._fault("upload")
        if (early := fault_before(request, fault)) is not None:
            return early
        raw = await request.body()
        message = email.parser.BytesParser().parsebytes(
            b"content-type: " + request.headers["content-type"].encode() + b"\r\n\r\n" + raw)
        parts = {part.get_param("name", header="content-disposition"): part.get_payload(
            decode=True) for part in message.get_payload()}
        if parts.get("purpose") != b"batch":
            return _error(400, "invalid purpose")
        file_id = self._new_id("file")
        self.files[file_id] = parts["file"]
        self.file_names[file_id] = message.get_payload()[-1].get_filename() or "upload.jsonl"
        return self._reply(request, "upload", fault, JSONResponse(self._file(file_id)))

    def _file(self, file_id: str) -> dict[str, Any]:
        return {"id": file_id, "object": "file", "purpose": "batch",
                "filename": self.file_names.get(file_id, "output.jsonl"),
                "bytes": len(self.files[file_id])}

    async def _list_files(self, request: Request) -> Response:
        if not self._authorised(request):
            return _error(401, "invalid_api_key")
        fault = self._fault("list_files")
        if (early := fault_before(request, fault)) is not None:
            return early
        data = [self._file(f) for f in reversed(self.files) if f in self.file_names]
        return self._reply(request, "list_files", fault,
                           JSONResponse({"object": "list", "data": data, "has_more": False}))

    async def _create(self, request: Request) -> Response:
        if not self._authorised(request):
            return _error(401, "invalid_api_key")
        fault = self._fault("create")
        if (early := fault_before(request, fault)) is not None:
            return early
        body = await request.json()
        missing = [f for f in ("input_file_id", "endpoint", "completion_window") if f not in body]
        if missing:
            return _error(400, f"missing required parameter: {missing[0]}")
        content = self.files.get(body["input_file_id"])
        if content is None:
            return _error(400, "unknown input file")
        if body["endpoint"] not in ENDPOINTS or body["completion_window"] != "24h":
            return _error(400, "unsupported endpoint or completion window")
        metadata = body.get("metadata") or {}
        if len(metadata) > 16 or any(len(k) > 64 or len(str(v)) > 512
                                     for k, v in metadata.items()):
            return _error(400, "metadata: at most 16 pairs, keys up to 64, values up to 512")
        lines = [json.loads(line) for line in content.splitlines() if line.strip()]
        batch = _Batch(self._new_id("batch"), body["input_file_id"], lines, metadata=metadata)
        broken = self._broken_rules(content, lines, body["endpoint"])
        if broken:
            self.violations.append(f"{batch.id}: {broken}")
            batch.errors = {"object": "list", "data": [{"code": broken, "message": broken}]}
        live = {line.get("custom_id") for other in self.batches.values()
                if other.status not in ("completed", "failed", "expired", "cancelled")
                for line in other.lines}
        twice = [line["custom_id"] for line in lines if line.get("custom_id") in live]
        if twice:
            self.violations.append(f"{batch.id}: {len(twice)} lines in another live batch")
        self.batches[batch.id] = batch
        return self._reply(request, "create", fault, JSONResponse(batch.body()))

    def _broken_rules(self, content: bytes, lines: list[dict[str, Any]], endpoint: str) -> str:
        """The code of the first documented rule the input file breaks, or ""."""
        if len(lines) > self.max_lines or len(content) > self.max_bytes:
            return "too_large"
        for line in lines:
            if not {"custom_id", "method", "url", "body"} <= set(line):
                return "missing_required_field"
            if line["method"] != "POST" or line["url"] != endpoint:
                return "mismatched_endpoint"
        ids = [line["custom_id"] for line in lines]
        if len(set(ids)) != len(ids):
            return "duplicate_custom_id"
        if len({line["body"].get("model") for line in lines}) > 1:
            return "model_mismatch"
        return ""

    async def _list(self, request: Request) -> Response:
        if not self._authorised(request):
            return _error(401, "invalid_api_key")
        fault = self._fault("list")
        if (early := fault_before(request, fault)) is not None:
            return early
        data = [batch.body() for batch in reversed(self.batches.values())]
        return self._reply(request, "list", fault,
                           JSONResponse({"object": "list", "data": data, "has_more": False}))

    async def _retrieve(self, request: Request) -> Response:
        if not self._authorised(request):
            return _error(401, "invalid_api_key")
        if self.faults.rate_limit_polls > 0:
            self.faults.rate_limit_polls -= 1
            return JSONResponse({"error": {"message": "Rate limit reached", "type": "requests",
                                           "code": "rate_limit_exceeded"}},
                                status_code=429, headers={"retry-after": "0"})
        fault = self._fault("retrieve")
        if (early := fault_before(request, fault)) is not None:
            return early
        batch = self.batches.get(request.path_params["batch_id"])
        if batch is None:
            return _error(404, "no such batch")
        with self._lock:
            self._advance(batch)
        return self._reply(request, "retrieve", fault, JSONResponse(batch.body()))

    def _advance(self, batch: _Batch) -> None:
        batch.polls += 1
        if batch.status == "validating":
            if batch.errors is not None:
                batch.status = "failed"
            elif self.faults.fail_validation > 0:
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
        if self.faults.expire_batches > 0:
            self.faults.expire_batches -= 1
            limit = 0
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
        fault = self._fault("content")
        if (early := fault_before(request, fault)) is not None:
            return early
        content = self.files.get(request.path_params["file_id"])
        if content is None:
            return _error(404, "no such file")
        return self._reply(request, "content", fault,
                           Response(content, media_type="application/octet-stream"))


def _completion(cid: str, model: str, text: str) -> dict[str, Any]:
    return {"id": f"chatcmpl-{cid}", "object": "chat.completion", "model": model,
            "choices": [{"index": 0, "message": {"role": "assistant", "content": text},
                         "finish_reason": "stop"}],
            "usage": {"prompt_tokens": 20, "completion_tokens": 1, "total_tokens": 21}}


def _error(status: int, message: str) -> Response:
    return JSONResponse({"error": {"message": message, "type": "invalid_request_error",
                                   "code": None}}, status_code=status)


def fault_before(request: Request, fault: str | None) -> Response | None:
    """The reply of a fault that strikes before the server acts; None: act."""
    if fault == "drop_before":
        request.scope["scripted.transport"].close()
        return Response(status_code=500)
    if fault == "server_error":
        return JSONResponse({"error": {"message": "The server had an error",
                                       "type": "server_error", "code": None}}, status_code=500)
    if fault == "rate_limit":
        return JSONResponse({"error": {"message": "Rate limit reached", "type": "requests",
                                       "code": "rate_limit_exceeded"}},
                            status_code=429, headers={"retry-after": "0"})
    return None

