"""Reading vendors' failures: Retry-After, moderation and quota codes, key redaction."""

from __future__ import annotations

import email.utils
import time

import pytest
from collect.collector.providers.base import PermanentError, TransientError
from collect.collector.providers.failures import (
    moderation_code,
    redact,
    retry_after_seconds,
    status_error,
)


@pytest.mark.parametrize(
    ("headers", "seconds"),
    [
        ({"Retry-After": "7"}, 7.0),
        ({"retry-after": "0.5"}, 0.5),
        ({"retry-after-ms": "1500", "retry-after": "9"}, 1.5),
        ({"Retry-After": "-3"}, 0.0),
        ({"Retry-After": "soon"}, None),
        ({}, None),
    ],
)
def test_retry_after_in_seconds(headers: dict[str, str], seconds: float | None) -> None:
    assert retry_after_seconds(headers) == seconds


def test_retry_after_as_an_http_date() -> None:
    later = email.utils.formatdate(time.time() + 120, usegmt=True)
    seconds = retry_after_seconds({"Retry-After": later})
    assert seconds is not None and 100 < seconds <= 121


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"error": {"code": "data_inspection_failed", "type": "data_inspection_failed"}},
         "data_inspection_failed"),
        ({"code": "DataInspectionFailed", "message": "..."}, "DataInspectionFailed"),
        ({"contentFilter": [{"level": 1}], "error": {"code": "1301", "message": "..."}}, "1301"),
        ({"error": {"type": "content_filter", "message": "high risk"}}, "content_filter"),
        ({"error": {"code": "rate_limit_exceeded", "type": "requests"}}, None),
        ({"error": {"code": 1301}}, "1301"),
        ("not json", None),
    ],
)  # fmt: skip
def test_moderation_codes_of_each_vendor(body: object, code: str | None) -> None:
    assert moderation_code(body) == code


@pytest.mark.parametrize(
    ("status", "body", "error", "error_class"),
    [
        (429, {"error": {"code": "insufficient_quota"}}, PermanentError, "quota_exhausted"),
        (400, {"code": "Arrearage"}, PermanentError, "quota_exhausted"),
        (429, {"error": {"code": "1113"}}, PermanentError, "quota_exhausted"),
        (429, {"error": {"code": "1302"}}, TransientError, "rate_limited"),
        (402, {"error": {"message": "Insufficient Balance"}}, PermanentError, "quota_exhausted"),
        (429, {"error": {"type": "exceeded_current_quota_error"}}, PermanentError,
         "quota_exhausted"),
        (408, {}, TransientError, "server_error"),
        (502, None, TransientError, "server_error"),
        (529, {}, TransientError, "overloaded"),
        (401, {}, PermanentError, "unauthorized"),
        (403, {}, PermanentError, "forbidden"),
        (404, {}, PermanentError, "not_found"),
        (400, {"error": {"code": "invalid_parameter"}}, PermanentError, "bad_request"),
    ],
)
def test_status_classification(
    status: int, body: object, error: type[Exception], error_class: str
) -> None:
    failure = status_error(status, body, {}, provider="p", secret=None)
    assert type(failure) is error
    assert failure.error_class == error_class
    assert failure.http_status == status


def test_redact_removes_every_occurrence() -> None:
    text = "key test-key-abc and again test-key-abc"
    assert redact(text, "test-key-abc") == "key [redacted] and again [redacted]"
    assert redact(text, None) == text
