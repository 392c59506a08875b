"""Anthropic's Message Batches (`POST {base}/v1/messages/batches` with the requests inline,
`GET .../batches/{id}` until `processing_status` is "ended", then the JSONL at `results_url`),
behind the steps of `OpenAIBatchClient` so that batch.py drives both alike.

There is no file to upload: the store records the lines under a local id ("local-...") before the
batch is created. A run killed after creating the batch and before recording its id finds it again
among the provider's batches created since that record with the same number of requests and not
recorded by any other row; when none matches the lines are sent again. Anthropic's custom ids
allow only letters, digits, "-" and "_" (at most 64): a line's id is a hash of the planned key.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from datetime import datetime, timedelta
from typing import Any

from collect.collector.design import CallKey
from collect.collector.openai_batch import OpenAIBatchClient
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
from collect.collector.store import BatchRow

CLOCK_SKEW = timedelta(minutes=5)
# Result types that mean "not run": the line is sent again.
NOT_RUN = frozenset({"canceled", "expired"})


class AnthropicBatchClient(OpenAIBatchClient):
    def _base_url(self) -> str:
        return (self.config.base_url or DEFAULT_BASE_URL).rstrip("/") + "/v1/messages/"

    def _headers(self, key: str) -> dict[str, str]:
        return {"x-api-key": key, "anthropic-version": ANTHROPIC_VERSION}

    def custom_id(self, key: CallKey) -> str:
        return hashlib.sha256(super().custom_id(key).encode()).hexdigest()[:40]

    def line(self, custom_id: str, request: ChatRequest) -> bytes:
        line = {"custom_id": custom_id, "params": messages_body(request)}
        return json.dumps(line, ensure_ascii=False, separators=(",", ":")).encode() + b"\n"

    def prepare(self, content: bytes) -> str:
        return f"local-{uuid.uuid4().hex}"

    def submit(self, input_id: str, content: bytes, study: str) -> dict[str, Any]:
        requests = [json.loads(line) for line in content.splitlines() if line.strip()]
        batch = self._send("POST", "batches", json={"requests": requests}).json()
        return _as_batch(batch, input_id)

    def retrieve(self, batch_id: str) -> dict[str, Any]:
        return _as_batch(self._send("GET", f"batches/{batch_id}").json())

    def recover(self, row: BatchRow, known: set[str], study: str) -> dict[str, Any] | None:
        """A batch of the row's number of requests, created since the row was recorded (less
        a margin for clock skew), whose id no other row has; None when there is none."""
        since = datetime.fromisoformat(row.created_at) - CLOCK_SKEW
        page = self._send("GET", "batches", params={"limit": 100}).json()
        for batch in page.get("data", []):
            counts = batch.get("request_counts") or {}
            created = datetime.fromisoformat(str(batch.get("created_at")))
            if (batch.get("id") not in known and created >= since
                    and sum(int(v) for v in counts.values()) == row.lines):
                return _as_batch(batch, row.input_file_id)
        return None

    def results(self, batch: dict[str, Any]) -> list[bytes]:
        url = batch.get("output_file_id")
        return self._send("GET", str(url)).content.splitlines() if url else []

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
            status = 500 if _error_type(body) in ("api_error", "overloaded_error") else 400
            return status_error(status, body, {}, provider=name, secret=self._key)
        return TransientError(ErrorClass.MALFORMED_RESPONSE,
                              f"{name}: batch result of unknown type {kind!r}")


def _error_type(body: dict[str, Any]) -> str:
    inner = body.get("error")
    return str(inner.get("type", "")) if isinstance(inner, dict) else ""


def _as_batch(batch: dict[str, Any], input_id: str | None = None) -> dict[str, Any]:
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
        "input_file_id": input_id,
    }
