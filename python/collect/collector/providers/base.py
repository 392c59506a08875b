"""The one interface every provider implements.

A provider turns a `ChatRequest` into a `ChatResult`. It raises `TransientError` for what the
runner should retry (429, 5xx, timeouts, dropped connections, malformed bodies) and
`PermanentError` for what it must not (bad key, unknown model, exhausted quota). A provider's
moderation block is not an error: it is a `ChatResult` with outcome "refused" and the vendor code.
API keys are read from the environment by the provider and never appear in results or messages.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

Outcome = Literal["ok", "refused"]


@dataclass(frozen=True)
class ProviderConfig:
    """One provider entry of a study file."""

    name: str  # the study's name for it, e.g. "dashscope_intl"
    kind: str  # implementation: "openai", "dashscope", "anthropic", "gemini"
    base_url: str | None
    api_key_env: str  # name of the environment variable that holds the key
    timeout_s: float = 60.0
    max_concurrency: int = 8
    requests_per_minute: float | None = None
    tokens_per_minute: float | None = None
    max_attempts: int = 6

    def api_key(self) -> str:
        key = os.environ.get(self.api_key_env)
        if not key:
            raise PermanentError(
                "missing_api_key",
                f"environment variable {self.api_key_env} (API key of provider {self.name!r}) "
                "is not set",
            )
        return key


@dataclass(frozen=True)
class ChatRequest:
    api_model: str
    system: str
    user: str
    max_tokens: int
    temperature: float | None  # None: leave it to the provider's default
    disable_thinking: bool = False
    extra_body: dict[str, Any] = field(default_factory=dict)  # provider-specific fields


@dataclass(frozen=True)
class ChatResult:
    outcome: Outcome
    text: str | None
    returned_model: str | None = None
    request_id: str | None = None
    input_tokens: int | None = None
    output_tokens: int | None = None
    finish_reason: str | None = None
    vendor_code: str | None = None  # moderation or error code the provider returned
    latency_s: float | None = None


class ProviderError(Exception):
    def __init__(self, error_class: str, message: str, *, http_status: int | None = None) -> None:
        self.error_class = error_class
        self.http_status = http_status
        super().__init__(f"{error_class}: {message}")


class TransientError(ProviderError):
    """Worth retrying; `retry_after_s` is the server's Retry-After when it sent one."""

    def __init__(
        self,
        error_class: str,
        message: str,
        *,
        http_status: int | None = None,
        retry_after_s: float | None = None,
    ) -> None:
        super().__init__(error_class, message, http_status=http_status)
        self.retry_after_s = retry_after_s


class PermanentError(ProviderError):
    """Not worth retrying: authentication, unknown model, exhausted quota, bad request."""


class Provider(Protocol):
    config: ProviderConfig

    async def complete(self, request: ChatRequest) -> ChatResult: ...

    async def aclose(self) -> None: ...
