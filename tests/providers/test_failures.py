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
    stated_wait_seconds,
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
        ({"code": "InternalError.Algo.DataInspectionFailed"},
         "InternalError.Algo.DataInspectionFailed"),
        ({"error": {"message": "Content Exists Risk", "code": "invalid_request_error"}},
         "Content Exists Risk"),
        ({"detail": "Content Exists Risk"}, "Content Exists Risk"),
        ({"error": {"code": "invalid_prompt", "message": "flagged as violating our usage policy"}},
         "invalid_prompt"),
        ({"error": {"code": "invalid_prompt", "message": "Invalid schema for response_format"}},
         None),
        ({"error": {"code": "invalid_request_error", "message": "Insufficient Balance"}}, None),
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
        (400, {"error": {"message": "Your credit balance is too low to access the Anthropic API."}},
         PermanentError, "quota_exhausted"),
        (400, {"error": {"code": "1211"}}, PermanentError, "not_found"),
        (429, {"error": {"code": "insufficient_quota",
                         "message": "Allocated quota exceeded, please increase your quota limit."}},
         TransientError, "allocation_throttled"),
        (429, {"code": "Throttling.AllocationQuota"}, TransientError, "allocation_throttled"),
        (400, {"error": {"code": "insufficient_quota",
                         "message": "Allocated quota exceeded"}}, PermanentError,
         "quota_exhausted"),  # a throttle is a 429
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


@pytest.mark.parametrize(
    ("message", "seconds"),
    [
        ("request reached organization max RPM: 3, please try again after 1 seconds", 1.0),
        ("Limit: 10000 / min. Please try again in 6ms. Contact us", 0.006),
        ("Limit: 3 / min. Please try again in 20s. Contact us", 20.0),
        ("Used 14567, Requested 24754. Please try again in 18.642s. Visit", 18.642),
        ("Please try again in 1m30s.", 90.0),
        ("Daily free limit reached. Try again in 2h 16m", 8160.0),
        ("Please retry in 45.578569677s.", 45.578569677),
        ("Requests rate limit exceeded, please try again later.", None),
        ("Overloaded", None),
    ],
)
def test_wait_stated_in_the_message(message: str, seconds: float | None) -> None:
    assert stated_wait_seconds(message) == (pytest.approx(seconds) if seconds else None)


def test_retry_after_header_wins_over_the_stated_wait() -> None:
    body = {"error": {"message": "please try again after 1 seconds"}}
    assert status_error(429, body, {"Retry-After": "7"}, provider="p", secret=None
                        ).retry_after_s == 7.0  # type: ignore[attr-defined]
    assert status_error(429, body, {}, provider="p", secret=None
                        ).retry_after_s == 1.0  # type: ignore[attr-defined]
