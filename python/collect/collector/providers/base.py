"""The one interface every provider implements.

A provider turns a `ChatRequest` into a `ChatResult`. It raises `TransientError` for what the
runner should retry (429, 5xx, timeouts, dropped connections, malformed bodies) and
`PermanentError` for what it must not (bad key, unknown model, exhausted quota). Every error
carries an `ErrorClass`, which also says what the runner stops when it occurs. A provider's
moderation block is not an error: it is a `ChatResult` with outcome "refused" and the vendor code.
API keys are read from the environment by the provider and never appear in results or messages.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from enum import Enum, StrEnum
from typing import Any, Literal, Protocol

Outcome = Literal["ok", "refused"]


class Stops(Enum):
    """What a permanent error makes the runner stop besides the call itself."""

    CALL = "call"
    MODEL = "model"
    PROVIDER = "provider"


class ErrorClass(StrEnum):
    """Why a call got no answer; the value is what the store keeps in `error_class`."""

    # Transient: retried.
    RATE_LIMITED = "rate_limited"
    ALLOCATION_THROTTLED = "allocation_throttled"  # DashScope's per-minute allocation
    SERVER_ERROR = "server_error"
    OVERLOADED = "overloaded"
    TIMEOUT = "timeout"
    CONNECTION = "connection"
    MALFORMED_RESPONSE = "malformed_response"
    EMPTY_CHOICES = "empty_choices"
    # The account cannot pay, or will not be served soon enough: stop the provider.
    QUOTA_EXHAUSTED = "quota_exhausted"
    RETRY_AFTER_TOO_LONG = "retry_after_too_long"
    THROTTLED_TOO_LONG = "throttled_too_long"
    # The provider refuses this key or this place: stop the provider.
    MISSING_API_KEY = "missing_api_key"
    UNAUTHORIZED = "unauthorized"
    FORBIDDEN = "forbidden"
    LOCATION_UNSUPPORTED = "location_unsupported"
    REDIRECTED = "redirected"
    # Only this model cannot be served: stop the model.
    NOT_FOUND = "not_found"
    MODEL_QUOTA_EXHAUSTED = "model_quota_exhausted"
    # This call alone failed.
    BAD_REQUEST = "bad_request"
    CLIENT_EXCEPTION = "client_exception"

    @property
    def category(self) -> str:
        """The class as docs/providers.md names it."""
        return _CATEGORY.get(self, "transient")

    @property
    def stops(self) -> Stops:
        if self.category in ("quota stop", "auth stop"):
            return Stops.PROVIDER
        if self.category in ("model gone", "model quota stop"):
            return Stops.MODEL
        return Stops.CALL


_CATEGORY = {
    ErrorClass.QUOTA_EXHAUSTED: "quota stop",
    ErrorClass.RETRY_AFTER_TOO_LONG: "quota stop",
    ErrorClass.THROTTLED_TOO_LONG: "quota stop",
    ErrorClass.MISSING_API_KEY: "auth stop",
    ErrorClass.UNAUTHORIZED: "auth stop",
    ErrorClass.FORBIDDEN: "auth stop",
    ErrorClass.LOCATION_UNSUPPORTED: "auth stop",
    ErrorClass.REDIRECTED: "auth stop",
    ErrorClass.NOT_FOUND: "model gone",
    ErrorClass.MODEL_QUOTA_EXHAUSTED: "model quota stop",
    ErrorClass.BAD_REQUEST: "bad request",
    ErrorClass.CLIENT_EXCEPTION: "bad request",
}


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
                ErrorClass.MISSING_API_KEY,
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
    logprobs: Any = None  # choices[0].logprobs when the request asked for them


class ProviderError(Exception):
    def __init__(
        self, error_class: ErrorClass, message: str, *, http_status: int | None = None
    ) -> None:
        self.error_class = error_class
        self.http_status = http_status
        super().__init__(f"{error_class.value}: {message}")


class TransientError(ProviderError):
    """Worth retrying; `retry_after_s` is the wait the server asked for (Retry-After header, or a
    delay stated in its body), None when it named none."""

    def __init__(
        self,
        error_class: ErrorClass,
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
