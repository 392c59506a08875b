"""A JSON-over-HTTP POST for the providers that speak their vendor's protocol through httpx."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import httpx

from collect.collector.providers.base import ChatResult, ErrorClass, ProviderConfig, ProviderError
from collect.collector.providers.failures import status_error, timeout_error, transient
from collect.collector.providers.results import read_answer


@dataclass(frozen=True)
class HttpAnswer:
    status: int
    body: Any  # parsed JSON; None when the body was not JSON
    text: str
    headers: Mapping[str, str]
    latency_s: float

    @property
    def error_body(self) -> Any:
        """The body for classifying a failure; non-JSON bodies (proxy pages) become a message."""
        if self.body is not None:
            return self.body
        return {"error": {"message": self.text[:300]}}


def deep_merge(base: Mapping[str, Any], extra: Mapping[str, Any]) -> dict[str, Any]:
    """`base` updated by `extra`, merging nested objects instead of replacing them."""
    merged = dict(base)
    for key, value in extra.items():
        if isinstance(value, Mapping) and isinstance(merged.get(key), Mapping):
            merged[key] = deep_merge(merged[key], value)
        else:
            merged[key] = value
    return merged


class JsonPoster:
    """Posts JSON with fixed headers; transport failures become TransientError without the key."""

    def __init__(self, config: ProviderConfig, headers: Mapping[str, str], secret: str) -> None:
        self._config = config
        self._secret = secret
        self._client = httpx.AsyncClient(
            timeout=httpx.Timeout(config.timeout_s),
            headers={"content-type": "application/json", **headers},
            limits=httpx.Limits(
                max_connections=max(config.max_concurrency, 1) * 2,
                max_keepalive_connections=max(config.max_concurrency, 1) * 2,
            ),
        )

    async def post(self, url: str, payload: Mapping[str, Any]) -> HttpAnswer:
        name = self._config.name
        started = time.perf_counter()
        try:
            response = await self._client.post(url, content=json.dumps(payload).encode())
        except httpx.TimeoutException:
            raise timeout_error(self._config.timeout_s, provider=name) from None
        except httpx.TransportError as exc:
            raise transient(
                ErrorClass.CONNECTION,
                f"{type(exc).__name__}: {exc}",
                provider=name,
                secret=self._secret,
            ) from None
        latency_s = time.perf_counter() - started
        try:
            body = response.json()
        except ValueError:
            body = None
        return HttpAnswer(response.status_code, body, response.text, response.headers, latency_s)

    def failure(self, answer: HttpAnswer) -> ProviderError:
        """The error for a non-2xx answer that is not a moderation block."""
        return status_error(
            answer.status,
            answer.error_body,
            answer.headers,
            provider=self._config.name,
            secret=self._secret,
        )

    def read(self, reader: Callable[[HttpAnswer], ChatResult], answer: HttpAnswer) -> ChatResult:
        """`reader(answer)` for a 2xx answer; empty or unreadable ones become TransientError."""
        return read_answer(reader, answer, provider=self._config.name, secret=self._secret)

    async def aclose(self) -> None:
        await self._client.aclose()
