"""Turning a provider's failed HTTP exchange into a result or an error the runner understands.

Shared by every provider: which vendor codes mean "moderation block" (a refused answer, not an
error), which mean "quota exhausted" (never retry), how to read Retry-After, and how to keep the
API key out of any message.
"""

from __future__ import annotations

import email.utils
import time
from collections.abc import Mapping
from typing import Any

from collect.collector.providers.base import PermanentError, ProviderError, TransientError

# Vendor codes of moderation blocks, compared lower-case: DashScope (compatible and native modes),
# Zhipu BigModel, Moonshot, OpenAI.
MODERATION_CODES = frozenset(
    {
        "data_inspection_failed",
        "datainspectionfailed",
        "1301",
        "content_filter",
        "content_policy_violation",
    }
)

# Codes that mean the account cannot pay: retrying only burns the attempt budget. Moonshot says
# `exceeded_current_quota_error`; DeepSeek's "Insufficient Balance" comes as HTTP 402.
QUOTA_CODES = frozenset(
    {
        "insufficient_quota",
        "arrearage",
        "1113",
        "billing_hard_limit_reached",
        "exceeded_current_quota_error",
    }
)
PAYMENT_REQUIRED = 402

REDACTED = "[redacted]"
_MAX_MESSAGE_CHARS = 300


def redact(text: str, secret: str | None) -> str:
    """`text` with every occurrence of `secret` replaced, so messages can be logged safely."""
    if secret:
        text = text.replace(secret, REDACTED)
    return text


def _error_part(body: Any) -> Mapping[str, Any]:
    if isinstance(body, Mapping):
        inner = body.get("error")
        if isinstance(inner, Mapping):
            return inner
        return body
    return {}


def vendor_codes(body: Any) -> list[str]:
    """The code-like fields (`code`, `type`, `status`) of an error body's `error` object, or of the
    body itself when it has none (DashScope's native protocol)."""
    part = _error_part(body)
    codes = [
        str(part[key])
        for key in ("code", "type", "status")
        if part.get(key) is not None and not isinstance(part[key], Mapping | list)
    ]
    return list(dict.fromkeys(codes))


def moderation_code(body: Any) -> str | None:
    """The vendor's moderation code if `body` reports a moderation block, else None."""
    for code in vendor_codes(body):
        if code.lower() in MODERATION_CODES:
            return code
    return None


def vendor_message(body: Any) -> str:
    message = _error_part(body).get("message")
    return str(message)[:_MAX_MESSAGE_CHARS] if message is not None else ""


def retry_after_seconds(headers: Mapping[str, str]) -> float | None:
    """Seconds to wait from `retry-after-ms` or `Retry-After` (seconds or an HTTP date)."""
    lowered = {key.lower(): value for key, value in headers.items()}
    millis = lowered.get("retry-after-ms")
    if millis is not None:
        try:
            return max(float(millis) / 1000.0, 0.0)
        except ValueError:
            pass
    value = lowered.get("retry-after")
    if value is None:
        return None
    try:
        return max(float(value), 0.0)
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(when.timestamp() - time.time(), 0.0)


def status_message(status: int, body: Any, *, provider: str, secret: str | None) -> str:
    """`HTTP <status> from <provider> [<vendor codes>]: <vendor message>`, without the key."""
    codes = vendor_codes(body)
    code_text = f" [{', '.join(codes)}]" if codes else ""
    detail = vendor_message(body)
    return redact(f"HTTP {status} from {provider}{code_text}: {detail}".rstrip(": "), secret)


def status_error(
    status: int,
    body: Any,
    headers: Mapping[str, str],
    *,
    provider: str,
    secret: str | None,
) -> ProviderError:
    """The error for a non-2xx answer that is not a moderation block."""
    if 300 <= status < 400:
        location = {key.lower(): value for key, value in headers.items()}.get("location", "?")
        message = (f"HTTP {status} from {provider}: redirected to {location}; the collector does "
                   "not follow redirects, set the provider's base_url to the final address")
        return PermanentError("redirected", redact(message, secret), http_status=status)
    codes = vendor_codes(body)
    message = status_message(status, body, provider=provider, secret=secret)
    if status == PAYMENT_REQUIRED or any(code.lower() in QUOTA_CODES for code in codes):
        return PermanentError("quota_exhausted", message, http_status=status)
    if status == 429:
        return TransientError(
            "rate_limited",
            message,
            http_status=status,
            retry_after_s=retry_after_seconds(headers),
        )
    if status in (408, 409, 425) or status >= 500:
        error_class = "overloaded" if status == 529 else "server_error"
        return TransientError(
            error_class, message, http_status=status, retry_after_s=retry_after_seconds(headers)
        )
    permanent_classes = {401: "unauthorized", 403: "forbidden", 404: "not_found"}
    return PermanentError(permanent_classes.get(status, "bad_request"), message, http_status=status)


def transient(
    error_class: str, detail: str, *, provider: str, secret: str | None
) -> TransientError:
    return TransientError(error_class, redact(f"{provider}: {detail}", secret))


def timeout_error(timeout_s: float, *, provider: str) -> TransientError:
    return TransientError("timeout", f"{provider}: no answer within {timeout_s} s")
