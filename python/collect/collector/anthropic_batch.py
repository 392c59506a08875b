"""Anthropic's Message Batches (`POST {base}/v1/messages/batches` with the requests inline,
`GET .../batches/{id}` until `processing_status` is "ended", then the JSONL at `results_url`),
behind the steps of `OpenAIBatchClient` so that batch.py drives both alike.

There is no file to upload and a batch takes no metadata, so the store's `batch_key` travels in
every line's custom_id (`<line id>_<batch_key>`; Anthropic allows letters, digits, "-" and "_",
at most 64, and a line id is a hash of the planned key). After a create whose outcome is unknown,
the batches no store row records, created since the row (less a margin for clock skew), are
looked at: one whose results carry the key is the row's; while any of them is still running the
answer is "not known yet" and nothing is sent; when all have ended without the key, none is.
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime, timedelta
from typing import Any

from collect.collector.design import CallKey
from collect.collector.openai_batch import OpenAIBatchClient, jsonl, whole
from collect.collector.providers.anthropic_messages import (
    ANTHROPIC_VERSION,
    DEFAULT_BASE_URL,
    messages_body,
    messages_result,
)
from collect.collector.providers.base import (
    ChatRequest,
    ChatResult,
    ErrorClass,
    ProviderError,
    TransientError,
)
from collect.collector.providers.failures import status_error
from collect.collector.providers.http_json import HttpAnswer
from collect.collector.providers.results import read_answer

CLOCK_SKEW = timedelta(minutes=5)
# The HTTP status of each error type (API reference, Errors): an errored batch line carries only
# the type, read as the online answer with that status would be.
ERROR_STATUS = {"invalid_request_error": 400, "authentication_error": 401,
                "billing_error": 402, "permission_error": 403, "not_found_error": 404,
                "request_too_large": 413, "rate_limit_error": 429, "api_error": 500,
                "timeout_error": 504, "overloaded_error": 529}
# Result types that mean "not run": the line is sent again.
NOT_RUN = frozenset({"canceled", "expired"})


class AnthropicBatchClient(OpenAIBatchClient):
    def _base_url(self) -> str:
        return (self.config.base_url or DEFAULT_BASE_URL).rstrip("/") + "/v1/messages/"

    def _headers(self, key: str) -> dict[str, str]:
        return {"x-api-key": key, "anthropic-version": ANTHROPIC_VERSION}

    uses_files = False

    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        self._keys_in: dict[str, set[str]] = {}  # ended batch id -> batch keys its lines carry

    def custom_id(self, key: CallKey) -> str:
        return hashlib.sha256(super().custom_id(key).encode()).hexdigest()[:40]

    def wire_id(self, custom_id: str, batch_key: str) -> str:
        return f"{custom_id}_{batch_key}"

    def line_id(self, wire_id: str) -> str:
        return wire_id.split("_", 1)[0]

    def line(self, custom_id: str, request: ChatRequest, batch_key: str) -> bytes:
        line = {"custom_id": self.wire_id(custom_id, batch_key),
                "params": messages_body(request)}
        return json.dumps(line, ensure_ascii=False, separators=(",", ":")).encode() + b"\n"

    def ensure_batch(self, batch_key: str, input_file_id: str | None, content: bytes,
                     study: str, since: str, known: set[str],
                     look_first: bool) -> dict[str, Any] | None:
        requests = [json.loads(line) for line in content.splitlines() if line.strip()]
        undecided = False

        def find() -> dict[str, Any] | None:
            nonlocal undecided
            found, undecided = self.find_batch(batch_key, since, known)
            return found

        def create() -> dict[str, Any] | None:
            if undecided:
                return None
            return _as_batch(self._json("POST", "batches", retry=False,
                                        json={"requests": requests}))

        return self._make_once(find, create, look_first)

    def find_batch(self, batch_key: str, since: str,
                   known: set[str]) -> tuple[dict[str, Any] | None, bool]:
        """The batch whose lines carry `batch_key`, and whether some batch that may be it is
        still running (its results, which alone name its lines, are not out yet)."""
        start = datetime.fromisoformat(since) - CLOCK_SKEW
        running = False
        for batch in self._pages("batches", {"limit": 100}):
            batch_id = str(batch.get("id"))
            if batch_id in known:
                continue
            if datetime.fromisoformat(str(batch.get("created_at"))) < start:
                continue
            if batch.get("processing_status") != "ended":
                running = True
                continue
            if batch_id not in self._keys_in:
                self._keys_in[batch_id] = {str(line.get("custom_id", "")).rpartition("_")[2]
                                           for line in self.results(_as_batch(batch))}
            if batch_key in self._keys_in[batch_id]:
                return _as_batch(batch), False
        return None, running

    def _next_page(self, page: dict[str, Any], data: list[dict[str, Any]]) -> dict[str, Any]:
        return {"after_id": page.get("last_id") or data[-1]["id"]}

    def retrieve(self, batch_id: str) -> dict[str, Any]:
        return _as_batch(self._json("GET", f"batches/{batch_id}"))

    def results(self, batch: dict[str, Any]) -> list[dict[str, Any]]:
        url = batch.get("output_file_id")
        if not url:
            return []
        lines = jsonl(self._send("GET", str(url)).content, self.config.name)
        return whole(lines, batch, self.config.name)

    def read_line(self, line: dict[str, Any]) -> ChatResult | ProviderError | None:
        result = line.get("result") or {}
        kind = result.get("type")
        name = self.config.name
        if kind in NOT_RUN:
            return None
        if kind == "succeeded":
            answer = HttpAnswer(200, result.get("message"), "", {}, 0.0)
            try:
                return read_answer(messages_result, answer, provider=name, secret=self._key)
            except TransientError as err:
                return err
        if kind == "errored":
            body = result.get("error") or {}
            status = ERROR_STATUS.get(_error_type(body), 400)
            return status_error(status, body, {}, provider=name, secret=self._key)
        return TransientError(ErrorClass.MALFORMED_RESPONSE,
                              f"{name}: batch result of unknown type {kind!r}")


def _error_type(body: dict[str, Any]) -> str:
    inner = body.get("error")
    return str(inner.get("type", "")) if isinstance(inner, dict) else ""


def _as_batch(batch: dict[str, Any]) -> dict[str, Any]:
    """Anthropic's batch object in the fields the store keeps (OpenAI's names)."""
    counts = batch.get("request_counts") or {}
    return {
        "id": batch.get("id"),
        "status": batch.get("processing_status", "unknown"),
        "request_counts": {
            "completed": counts.get("succeeded", 0),
            "failed": counts.get("errored", 0) + counts.get("expired", 0)
            + counts.get("canceled", 0),
        },
        "output_file_id": batch.get("results_url"),
    }
