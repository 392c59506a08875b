"""OpenAI's Batch API (also served by OpenAI-compatible providers such as DashScope's compatible
mode): upload a JSONL request file (`POST {base}/files`, purpose "batch"), create a batch from it
(`POST {base}/batches`), poll it (`GET {base}/batches/{id}`), download its output and error files
(`GET {base}/files/{id}/content`).

Each request is retried like an online call: transient failures (429, 5xx, dropped connections)
with backoff up to the provider's attempt cap, permanent ones raised at once. Lines of the output
and error files are read by the same code as online answers.
"""

from __future__ import annotations

import json
import time
from typing import Any

import httpx

from collect.collector.design import CallKey
from collect.collector.providers.base import (
    ChatRequest,
    ChatResult,
    ErrorClass,
    ProviderConfig,
    ProviderError,
    TransientError,
)
from collect.collector.providers.failures import status_error, transient
from collect.collector.providers.openai_compat import chat_body, result_from_body
from collect.collector.providers.results import moderation_refusal, read_answer
from collect.collector.runner import backoff_delay
from collect.collector.store import BatchRow
from collect.collector.study import RetryPolicy

ENDPOINT = "/v1/chat/completions"
TERMINAL = frozenset({"completed", "expired", "failed", "cancelled", "ended"})  # "ended": Anthropic
# Line error codes that mean "not run": the line is asked again, it did not fail.
NOT_RUN_CODES = frozenset({"batch_expired", "batch_cancelled"})


class OpenAIBatchClient:
    """The Batch API steps the collector takes (batch.py), for OpenAI's protocol."""

    def __init__(self, config: ProviderConfig, retry: RetryPolicy) -> None:
        self.config = config
        self.retry = retry
        self._key = config.api_key()
        self._client = httpx.Client(
            base_url=self._base_url(),
            headers=self._headers(self._key),
            timeout=httpx.Timeout(max(config.timeout_s, 60.0)),
        )

    def _base_url(self) -> str:
        return (self.config.base_url or "").rstrip("/") + "/"

    def _headers(self, key: str) -> dict[str, str]:
        return {"authorization": f"Bearer {key}"}

    def custom_id(self, key: CallKey) -> str:
        """The line's id in a batch: the planned key without the study."""
        return (f"{key.model}|{key.instrument}|{key.language}|{key.persona}|{key.item}|"
                f"{key.iteration}")

    def line(self, custom_id: str, request: ChatRequest) -> bytes:
        line = {"custom_id": custom_id, "method": "POST", "url": ENDPOINT,
                "body": chat_body(self.config, request)}
        return json.dumps(line, ensure_ascii=False, separators=(",", ":")).encode() + b"\n"

    def prepare(self, content: bytes) -> str:
        """Upload the lines; the id under which the store records them before the batch exists."""
        return self.upload(content)

    def submit(self, input_id: str, content: bytes, study: str) -> dict[str, Any]:
        return self.create(input_id, study)

    def recover(self, row: BatchRow, known: set[str], study: str) -> dict[str, Any] | None:
        """The batch of a recorded file whose batch id was not recorded: found, or created now
        (the file is on the server). None when nothing can be done: its lines are sent again."""
        return self.find(row.input_file_id) or self.create(row.input_file_id, study)

    def results(self, batch: dict[str, Any]) -> list[bytes]:
        """The lines of an ended batch's output and error files."""
        lines: list[bytes] = []
        for field in ("output_file_id", "error_file_id"):
            if batch.get(field):
                lines += self.content(str(batch[field])).splitlines()
        return lines

    def close(self) -> None:
        self._client.close()

    def _send(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        attempt = 0
        while True:
            attempt += 1
            try:
                response = self._client.request(method, path, **kwargs)
                response.read()
                if response.status_code < 300:
                    return response
                try:
                    body = response.json()
                except ValueError:
                    body = {"error": {"message": response.text[:300]}}
                error = status_error(response.status_code, body, dict(response.headers),
                                     provider=self.config.name, secret=self._key)
            except httpx.TransportError as exc:
                error = transient(ErrorClass.CONNECTION, f"{method} {path}: {type(exc).__name__}",
                                  provider=self.config.name, secret=self._key)
            if not isinstance(error, TransientError) or attempt >= self.config.max_attempts:
                raise error
            time.sleep(backoff_delay(attempt, self.retry, error.retry_after_s))

    def upload(self, content: bytes) -> str:
        response = self._send("POST", "files", data={"purpose": "batch"},
                              files={"file": ("requests.jsonl", content, "application/jsonl")})
        return str(response.json()["id"])

    def create(self, input_file_id: str, study: str) -> dict[str, Any]:
        body = {"input_file_id": input_file_id, "endpoint": ENDPOINT,
                "completion_window": "24h", "metadata": {"study": study}}
        return dict(self._send("POST", "batches", json=body).json())

    def retrieve(self, batch_id: str) -> dict[str, Any]:
        return dict(self._send("GET", f"batches/{batch_id}").json())

    def find(self, input_file_id: str) -> dict[str, Any] | None:
        """The batch created from `input_file_id`, if there is one (newest first)."""
        params: dict[str, Any] = {"limit": 100}
        while True:
            page = self._send("GET", "batches", params=params).json()
            for batch in page.get("data", []):
                if batch.get("input_file_id") == input_file_id:
                    return dict(batch)
            if not page.get("has_more") or not page.get("data"):
                return None
            params["after"] = page["data"][-1]["id"]

    def content(self, file_id: str) -> bytes:
        return self._send("GET", f"files/{file_id}/content").content

    def read_line(self, line: dict[str, Any]) -> ChatResult | ProviderError | None:
        """One output or error line: the answer, the error it got, or None when it was not run."""
        response = line.get("response")
        name = self.config.name
        if isinstance(response, dict) and response.get("status_code") is not None:
            status = int(response["status_code"])
            body = response.get("body")
            request_id = response.get("request_id")
            if status == 200:
                try:
                    return read_answer(
                        lambda b: result_from_body(b, latency_s=None,
                                                   header_request_id=request_id),
                        body, provider=name, secret=self._key,
                    )
                except TransientError as err:
                    return err
            refusal = moderation_refusal(status, body, request_id=request_id, latency_s=None)
            if refusal is not None:
                return refusal
            return status_error(status, body, {}, provider=name, secret=self._key)
        error = line.get("error") or {}
        code = str(error.get("code", ""))
        if code in NOT_RUN_CODES:
            return None
        message = f"{name}: batch line error [{code}]: {error.get('message', '')}"
        return TransientError(ErrorClass.SERVER_ERROR, message[:300])

