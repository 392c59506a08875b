"""Turning a provider's failed HTTP exchange into a result or an error the runner understands.

Shared by every provider: which vendor answers mean "moderation block" (a refused answer, not an
error), which mean "quota exhausted" (never retry), which are throttles that clear by themselves,
how long the server asks to wait (Retry-After, or a delay written in the message), and how to
keep the API key out of any message. docs/providers.md lists every shape with its source.
"""

from __future__ import annotations

import email.utils
import re
import time
from collections.abc import Mapping
from typing import Any

from collect.collector.providers.base import (
    ErrorClass,
    PermanentError,
    ProviderError,
    TransientError,
)

# Vendor codes of moderation blocks, compared lower-case: DashScope (compatible and native modes;
# the native protocol may prefix it, as in InternalError.Algo.DataInspectionFailed), Zhipu
# BigModel, Moonshot, OpenAI.
MODERATION_CODES = frozenset(
    {
        "data_inspection_failed",
        "datainspectionfailed",
        "1301",
        "content_filter",
        "content_policy_violation",
    }
)
# Moderation blocks told only by their message: DeepSeek's "Content Exists Risk" (HTTP 400 with
# the generic code invalid_request_error, or {"detail": ...} in its older shape).
MODERATION_MESSAGES = ("content exists risk",)
# OpenAI's invalid_prompt is its moderation block when the message speaks of its usage policy or
# of safety; the same code also names malformed prompts, which are bad requests.
POLICY_CODE = "invalid_prompt"
POLICY_WORDS = ("usage policy", "safety")

# Codes and messages that mean the account cannot pay: retrying only burns the attempt budget.
# OpenAI's inactive billing (`billing_not_active`) comes as HTTP 429, like a throttle. Moonshot
# says `exceeded_current_quota_error`; DeepSeek's "Insufficient Balance" comes as HTTP 402;
# Anthropic's empty credit balance and its spend limit ("You have reached your specified API
# usage limits. You will regain access on ...") are HTTP 400 invalid_request_error. Zhipu's usage
# caps (1308: the 5-hour window, 1310: weekly or monthly) come as HTTP 429 naming the time they
# reset: the provider is stopped with that time in the message, not retried for hours.
QUOTA_CODES = frozenset(
    {
        "insufficient_quota",
        "arrearage",
        "1113",
        "1308",
        "1310",
        "billing_hard_limit_reached",
        "billing_not_active",
        "exceeded_current_quota_error",
    }
)
QUOTA_MESSAGES = ("credit balance is too low", "reached your specified api usage limits")
PAYMENT_REQUIRED = 402

# Codes that name an unknown model whatever the HTTP status (Zhipu answers 1211 with HTTP 400),
# and messages that do under a generic code (DeepSeek: HTTP 400 invalid_request_error "Model Not
# Exist").
MODEL_GONE_CODES = frozenset({"model_not_found", "1211"})
MODEL_GONE_MESSAGES = ("model not exist",)

# DashScope's per-minute allocation throttle: HTTP 429 with code Throttling.AllocationQuota
# (native) or insufficient_quota (compatible mode), whose message says "Allocated quota exceeded"
# or links Alibaba's error-code page at #token-limit. It clears within the minute: retried, not a
# billing stop, although its compatible-mode code is OpenAI's billing code.
ALLOCATION_CODES = frozenset({"throttling.allocationquota"})
ALLOCATION_MESSAGES = ("allocated quota exceeded", "error-code#token-limit")

# A wait stated in the message when no Retry-After header came: Moonshot's "please try again after
# 1 seconds", OpenAI's "Please try again in 6ms" / "in 1m30s", Gemini's "Please retry in 45.5s".
_STATED_WAIT = re.compile(
    r"(?:try again|retry)\s+(?:after|in)\s+"
    r"((?:\d+(?:\.\d+)?\s*(?:ms|milliseconds?|seconds?|secs?|s|minutes?|m|hours?|h)(?![a-z])\s*)+)",
    re.IGNORECASE,
)
_WAIT_PART = re.compile(r"(\d+(?:\.\d+)?)\s*([a-z]+)", re.IGNORECASE)
_UNIT_SECONDS = {"ms": 0.001, "millisecond": 0.001, "s": 1.0, "sec": 1.0, "second": 1.0,
                 "m": 60.0, "minute": 60.0, "h": 3600.0, "hour": 3600.0}

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
    """The vendor's moderation code if `body` reports a moderation block, else None.

    For blocks told only by their message (DeepSeek) the message itself is the code.
    """
    codes = [code.lower() for code in vendor_codes(body)]
    for code, lowered in zip(vendor_codes(body), codes, strict=True):
        if lowered in MODERATION_CODES or lowered.rsplit(".", 1)[-1] in MODERATION_CODES:
            return code
    message = vendor_message(body)
    lowered_message = message.lower()
    if any(marker in lowered_message for marker in MODERATION_MESSAGES):
        return message
    if POLICY_CODE in codes and any(word in lowered_message for word in POLICY_WORDS):
        return POLICY_CODE
    return None


def vendor_message(body: Any) -> str:
    """The error's message (`message`, or `detail` in DeepSeek's older shape), shortened."""
    part = _error_part(body)
    message = part.get("message")
    if message is None and isinstance(part.get("detail"), str):
        message = part["detail"]
    return str(message)[:_MAX_MESSAGE_CHARS] if message is not None else ""


def stated_wait_seconds(message: str) -> float | None:
    """Seconds to wait as written in an error message, or None when it names no wait."""
    match = _STATED_WAIT.search(message)
    if match is None:
        return None
    total = 0.0
    for number, unit in _WAIT_PART.findall(match.group(1)):
        unit = unit.lower()
        scale = _UNIT_SECONDS.get(unit) or _UNIT_SECONDS.get(unit.rstrip("s"))
        if scale is None:
            return None
        total += float(number) * scale
    return total


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
        return PermanentError(ErrorClass.REDIRECTED, redact(message, secret), http_status=status)
    codes = [code.lower() for code in vendor_codes(body)]
    detail = vendor_message(body).lower()
    message = status_message(status, body, provider=provider, secret=secret)
    wait = retry_after_seconds(headers)
    if wait is None:
        wait = stated_wait_seconds(detail)
    if status == 429 and (
        any(code in ALLOCATION_CODES for code in codes)
        or any(marker in detail for marker in ALLOCATION_MESSAGES)
    ):
        return TransientError(
            ErrorClass.ALLOCATION_THROTTLED, message, http_status=status, retry_after_s=wait
        )
    if (
        status == PAYMENT_REQUIRED
        or any(code in QUOTA_CODES for code in codes)
        or any(marker in detail for marker in QUOTA_MESSAGES)
    ):
        return PermanentError(ErrorClass.QUOTA_EXHAUSTED, message, http_status=status)
    if any(code in MODEL_GONE_CODES for code in codes) or any(
        marker in detail for marker in MODEL_GONE_MESSAGES
    ):
        return PermanentError(ErrorClass.NOT_FOUND, message, http_status=status)
    if status == 429:
        return TransientError(
            ErrorClass.RATE_LIMITED, message, http_status=status, retry_after_s=wait
        )
    if status in (408, 409, 425) or status >= 500:
        error_class = ErrorClass.OVERLOADED if status == 529 else ErrorClass.SERVER_ERROR
        return TransientError(error_class, message, http_status=status, retry_after_s=wait)
    permanent_classes = {
        401: ErrorClass.UNAUTHORIZED,
        403: ErrorClass.FORBIDDEN,
        404: ErrorClass.NOT_FOUND,
    }
    return PermanentError(
        permanent_classes.get(status, ErrorClass.BAD_REQUEST), message, http_status=status
    )


def transient(
    error_class: ErrorClass, detail: str, *, provider: str, secret: str | None
) -> TransientError:
    return TransientError(error_class, redact(f"{provider}: {detail}", secret))


def timeout_error(timeout_s: float, *, provider: str) -> TransientError:
    return TransientError(ErrorClass.TIMEOUT, f"{provider}: no answer within {timeout_s} s")
