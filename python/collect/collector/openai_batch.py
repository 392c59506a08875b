"""OpenAI's Batch API (also served by OpenAI-compatible providers such as DashScope's compatible
mode): upload a JSONL request file (`POST {base}/files`, purpose "batch"), create a batch from it
(`POST {base}/batches`), poll it (`GET {base}/batches/{id}`), download its output and error files
(`GET {base}/files/{id}/content`).

Reads (poll, list, download) are retried like online calls: transient failures (429, 5xx,
dropped connections, bodies that are cut off or not JSON) with backoff up to the provider's
attempt cap, permanent ones raised at once. Uploads and creates are never repeated blindly: a
try whose outcome is unknown is followed by a look for what it may have made (the file by its
name, the batch by the key in its metadata, both carrying the store's `batch_key`) before the
next try. Lines of the output and error files are read by the same code as online answers.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any, TypeVar

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
from collect.collector.study import RetryPolicy

T = TypeVar("T")

ENDPOINT = "/v1/chat/completions"
TERMINAL = frozenset({"completed", "expired", "failed", "cancelled", "ended"})  # "ended": Anthropic
# Line error codes that mean "not run": the line is asked again, it did not fail.
NOT_RUN_CODES = frozenset({"batch_expired", "batch_cancelled"})
KEY_FIELD = "moralign_batch"  # the batch metadata field holding the store's batch_key


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

    uses_files = True

    def custom_id(self, key: CallKey) -> str:
        """The line's id in the store: the planned key without the study."""
        return (f"{key.model}|{key.instrument}|{key.language}|{key.persona}|{key.item}|"
                f"{key.iteration}")

    def wire_id(self, custom_id: str, batch_key: str) -> str:
        """The line's custom_id in the batch sent (the batch's key travels in its metadata)."""
        return custom_id

    def line_id(self, wire_id: str) -> str:
        return wire_id

    def line(self, custom_id: str, request: ChatRequest, batch_key: str) -> bytes:
        line = {"custom_id": self.wire_id(custom_id, batch_key), "method": "POST",
                "url": ENDPOINT, "body": chat_body(self.config, request)}
        return json.dumps(line, ensure_ascii=False, separators=(",", ":")).encode() + b"\n"

    def ensure_file(self, batch_key: str, content: bytes, look_first: bool) -> str:
        """The id of the uploaded file of `batch_key`: found, or uploaded now."""
        name = file_name(batch_key)
        return self._make_once(lambda: self.find_file(name),
                               lambda: self.upload(content, name), look_first)

    def ensure_batch(self, batch_key: str, input_file_id: str | None, content: bytes,
                     study: str, since: str, known: set[str],
                     look_first: bool) -> dict[str, Any] | None:
        """The batch of `batch_key`: found, or created now (None: not known yet, look later)."""
        assert input_file_id is not None
        return self._make_once(lambda: self.find_batch(batch_key),
                               lambda: self.create(input_file_id, study, batch_key), look_first)

    def _make_once(self, find: Callable[[], T | None], make: Callable[[], T],
                   look_first: bool) -> T:
        """`make()`, tried again only after `find()` shows the try before made nothing."""
        attempt = 0
        while True:
            attempt += 1
            if look_first or attempt > 1:
                found = find()
                if found is not None:
                    return found
            try:
                return make()
            except TransientError as err:
                if attempt >= self.config.max_attempts:
                    raise
                time.sleep(backoff_delay(attempt, self.retry, err.retry_after_s))

    def results(self, batch: dict[str, Any]) -> list[dict[str, Any]]:
        """The lines of an ended batch's output and error files."""
        lines: list[dict[str, Any]] = []
        for field in ("output_file_id", "error_file_id"):
            if batch.get(field):
                lines += jsonl(self.content(str(batch[field])), self.config.name)
        return whole(lines, batch, self.config.name)

    def close(self) -> None:
        self._client.close()

    def _send(self, method: str, path: str, *, retry: bool = True,
              **kwargs: Any) -> httpx.Response:
        """The response to a request; with `retry` transient failures are tried again."""
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
            if not (retry and isinstance(error, TransientError)) or \
                    attempt >= self.config.max_attempts:
                raise error
            time.sleep(backoff_delay(attempt, self.retry, error.retry_after_s))

    def _json(self, method: str, path: str, *, retry: bool = True,
              **kwargs: Any) -> dict[str, Any]:
        """The JSON object of a reply; an unreadable one is transient (retried when `retry`)."""
        attempt = 0
        while True:
            attempt += 1
            response = self._send(method, path, retry=retry, **kwargs)
            try:
                body = response.json()
                if isinstance(body, dict):
                    return body
            except ValueError:
                pass
            if not retry or attempt >= self.config.max_attempts:
                raise TransientError(ErrorClass.MALFORMED_RESPONSE,
                                     f"{self.config.name}: {method} {path}: unreadable reply "
                                     f"{response.text[:120]!r}")
            time.sleep(backoff_delay(attempt, self.retry, None))

    def upload(self, content: bytes, name: str) -> str:
        body = self._json("POST", "files", retry=False, data={"purpose": "batch"},
                          files={"file": (name, content, "application/jsonl")})
        return str(body["id"])

    def find_file(self, name: str) -> str | None:
        """The id of the uploaded batch file called `name`, if there is one."""
        for file in self._pages("files", {"purpose": "batch", "limit": 100}):
            if file.get("filename") == name:
                return str(file["id"])
        return None

    def create(self, input_file_id: str, study: str, batch_key: str) -> dict[str, Any]:
        body = {"input_file_id": input_file_id, "endpoint": ENDPOINT,
                "completion_window": "24h", "metadata": {"study": study, KEY_FIELD: batch_key}}
        return self._json("POST", "batches", retry=False, json=body)

    def retrieve(self, batch_id: str) -> dict[str, Any]:
        return self._json("GET", f"batches/{batch_id}")

    def find_batch(self, batch_key: str) -> dict[str, Any] | None:
        """The batch whose metadata carries `batch_key`, if there is one."""
        for batch in self._pages("batches", {"limit": 100}):
            if (batch.get("metadata") or {}).get(KEY_FIELD) == batch_key:
                return batch
        return None

    def _pages(self, path: str, params: dict[str, Any]) -> list[dict[str, Any]]:
        """Every object of a paginated list (`after` the last id of a page while `has_more`)."""
        out: list[dict[str, Any]] = []
        while True:
            page = self._json("GET", path, params=params)
            data = [item for item in page.get("data") or [] if isinstance(item, dict)]
            out += data
            if not page.get("has_more") or not data:
                return out
            params = {**params, **self._next_page(page, data)}

    def _next_page(self, page: dict[str, Any], data: list[dict[str, Any]]) -> dict[str, Any]:
        """The parameters that ask for the page after `page`."""
        return {"after": data[-1]["id"]}

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
        # A code the online classifier knows (model_not_found, insufficient_quota, ...) keeps its
        # meaning; any other line error is asked again in the next round.
        known = status_error(400, {"error": error}, {}, provider=name, secret=self._key)
        if known.error_class is not ErrorClass.BAD_REQUEST:
            return known
        message = f"{name}: batch line error [{code}]: {error.get('message', '')}"
        return TransientError(ErrorClass.SERVER_ERROR, message[:300])



def file_name(batch_key: str) -> str:
    return f"moralign-{batch_key}.jsonl"


def jsonl(content: bytes, provider: str) -> list[dict[str, Any]]:
    """The objects of a JSONL download; a line that does not parse means the download was cut
    off or garbled (transient: downloaded again on the next poll)."""
    lines = []
    for number, raw in enumerate(content.splitlines(), 1):
        if not raw.strip():
            continue
        try:
            line = json.loads(raw)
        except ValueError:
            line = None
        if not isinstance(line, dict):
            raise TransientError(ErrorClass.MALFORMED_RESPONSE,
                                 f"{provider}: batch results line {number} is not a JSON object")
        lines.append(line)
    return lines


def whole(lines: list[dict[str, Any]], batch: dict[str, Any],
          provider: str) -> list[dict[str, Any]]:
    """`lines`, unless fewer than the batch counts: a download cut off at a line's end."""
    counts = batch.get("request_counts") or {}
    expected = int(counts.get("completed", 0)) + int(counts.get("failed", 0))
    if len(lines) < expected:
        raise TransientError(ErrorClass.MALFORMED_RESPONSE,
                             f"{provider}: batch {batch.get('id')} results hold {len(lines)} "
                             f"lines of {expected}")
    return lines
