"""Building a `ChatResult` from a successful answer body, shared by the providers."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from collect.collector.providers.base import ChatResult, ErrorClass, ProviderError
from collect.collector.providers.failures import moderation_code, transient

T = TypeVar("T")

# finish_reason values that mean the provider's moderation cut the answer (Zhipu says "sensitive").
FILTER_FINISH_REASONS = frozenset({"content_filter", "sensitive"})


class EmptyAnswer(LookupError):
    """A 200 answer without any choice or candidate: a glitch worth retrying."""


def json_object(value: Any, what: str = "answer") -> dict[str, Any]:
    if not isinstance(value, dict):
        raise ValueError(f"{what} is not a JSON object")
    return value


def field_object(body: dict[str, Any], key: str) -> dict[str, Any]:
    """`body[key]` when it is an object, else an empty one (optional sections such as usage)."""
    value = body.get(key)
    return value if isinstance(value, dict) else {}


def finished(
    text: str | None,
    finish_reason: str | None,
    *,
    blocking_reasons: frozenset[str],
    **metadata: Any,
) -> ChatResult:
    """An answer that ran to its end: refused when the finish reason is a moderation cut."""
    if finish_reason in blocking_reasons:
        return ChatResult(
            outcome="refused",
            text=text,
            finish_reason=finish_reason,
            vendor_code=finish_reason,
            **metadata,
        )
    return ChatResult(outcome="ok", text=text, finish_reason=finish_reason, **metadata)


def moderation_refusal(
    status: int, body: Any, *, request_id: str | None, latency_s: float | None
) -> ChatResult | None:
    """The refused result when an error answer (4xx) is the vendor's moderation block."""
    code = moderation_code(body)
    if code is None or status >= 500:
        return None
    if request_id is None and isinstance(body, dict) and body.get("request_id") is not None:
        request_id = str(body["request_id"])
    return ChatResult(
        outcome="refused", text=None, vendor_code=code, request_id=request_id, latency_s=latency_s
    )


def read_answer(
    reader: Callable[[T], ChatResult], answer: T, *, provider: str, secret: str | None
) -> ChatResult:
    """`reader(answer)`, with an empty or unreadable answer turned into a TransientError."""
    try:
        return reader(answer)
    except EmptyAnswer as exc:
        error: ProviderError = transient(
            ErrorClass.EMPTY_CHOICES, str(exc), provider=provider, secret=secret
        )
    except (ValueError, TypeError, AttributeError, KeyError, IndexError) as exc:
        error = transient(
            ErrorClass.MALFORMED_RESPONSE,
            f"unreadable answer body ({type(exc).__name__}: {exc})",
            provider=provider,
            secret=secret,
        )
    raise error
