"""Google Gemini `models/{model}:generateContent` through httpx.

`config.base_url` includes the API version (default https://generativelanguage.googleapis.com/v1beta).
The key travels in the `x-goog-api-key` header, never in the URL, so it cannot reach access logs.
`ChatRequest.extra_body` is merged into the request body (e.g. `safetySettings`, or
`generationConfig.thinkingConfig` for models whose thinking cannot be switched off).
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import quote

from collect.collector.providers.base import (
    ChatRequest,
    ChatResult,
    ErrorClass,
    PermanentError,
    ProviderConfig,
    ProviderError,
    TransientError,
)
from collect.collector.providers.failures import retry_after_seconds, status_message
from collect.collector.providers.http_json import HttpAnswer, JsonPoster, deep_merge
from collect.collector.providers.results import EmptyAnswer, field_object, finished, json_object

DEFAULT_BASE_URL = "https://generativelanguage.googleapis.com/v1beta"
# RECITATION: stopped for reciting training data, a block like SAFETY (API reference,
# Candidate.FinishReason).
BLOCKING_FINISH_REASONS = frozenset(
    {"SAFETY", "PROHIBITED_CONTENT", "BLOCKLIST", "SPII", "RECITATION"})
# OTHER without text: the generation stopped for a reason the API does not name; asked again.
RETRIED_FINISH_REASONS = frozenset({"OTHER"})
# HTTP 400 FAILED_PRECONDITION with these words: the API is not offered where the caller is
# ("User location is not supported for the API use", and for the free tier "Gemini API free tier
# is not available in your country. Please enable billing ...").
LOCATION_MESSAGES = ("user location is not supported", "not available in your country")


def generate_content_body(request: ChatRequest) -> dict[str, Any]:
    generation_config: dict[str, Any] = {"maxOutputTokens": request.max_tokens}
    if request.temperature is not None:
        generation_config["temperature"] = request.temperature
    if request.disable_thinking:
        generation_config["thinkingConfig"] = {"thinkingBudget": 0}
    body = {
        "systemInstruction": {"parts": [{"text": request.system}]},
        "contents": [{"role": "user", "parts": [{"text": request.user}]}],
        "generationConfig": generation_config,
    }
    return deep_merge(body, request.extra_body)


def generate_content_result(answer: HttpAnswer) -> ChatResult:
    """Read a 200 answer. Raises EmptyAnswer, or ValueError when the body is unreadable."""
    body = json_object(answer.body)
    usage = field_object(body, "usageMetadata")
    metadata: dict[str, Any] = {
        "returned_model": body.get("modelVersion"),
        "request_id": body.get("responseId"),
        "input_tokens": usage.get("promptTokenCount"),
        "output_tokens": usage.get("candidatesTokenCount"),
        "latency_s": answer.latency_s,
    }
    block_reason = field_object(body, "promptFeedback").get("blockReason")
    if block_reason:
        return ChatResult(outcome="refused", text=None, vendor_code=block_reason, **metadata)
    candidates = body.get("candidates")
    if not candidates:
        raise EmptyAnswer("answer had no candidates")
    candidate = json_object(candidates[0], "candidate")
    texts = [
        part.get("text", "")
        for part in field_object(candidate, "content").get("parts") or []
        if isinstance(part, dict) and not part.get("thought")
    ]
    if candidate.get("finishReason") in RETRIED_FINISH_REASONS and not "".join(texts):
        raise EmptyAnswer(f"finishReason {candidate.get('finishReason')} without text")
    return finished(
        "".join(texts) if texts else None,
        candidate.get("finishReason"),
        blocking_reasons=BLOCKING_FINISH_REASONS,
        **metadata,
    )


def _error_details(body: Any) -> list[dict[str, Any]]:
    error = body.get("error") if isinstance(body, dict) else None
    details = error.get("details") if isinstance(error, dict) else None
    return [d for d in details if isinstance(d, dict)] if isinstance(details, list) else []


def _grpc_status(body: Any) -> str | None:
    error = body.get("error") if isinstance(body, dict) else None
    return str(error.get("status")) if isinstance(error, dict) else None


def _quota_ids(details: list[dict[str, Any]]) -> list[str]:
    return [
        str(violation.get("quotaId", ""))
        for d in details
        for violation in d.get("violations") or []
        if isinstance(violation, dict)
    ]


def _seconds(duration: str) -> float | None:
    """Seconds of a protobuf Duration string such as "27s" or "1.5s"."""
    match = re.fullmatch(r"\s*([0-9]+(?:\.[0-9]+)?)s\s*", duration)
    return float(match.group(1)) if match else None


class GeminiProvider:
    def __init__(self, config: ProviderConfig) -> None:
        self.config = config
        self._key = config.api_key()
        self._base = (config.base_url or DEFAULT_BASE_URL).rstrip("/")
        self._poster = JsonPoster(config, {"x-goog-api-key": self._key}, self._key)

    async def complete(self, request: ChatRequest) -> ChatResult:
        url = f"{self._base}/models/{quote(request.api_model, safe='-._~')}:generateContent"
        answer = await self._poster.post(url, generate_content_body(request))
        if answer.status >= 300:
            raise self._failure(answer)
        return self._poster.read(generate_content_result, answer)

    def _failure(self, answer: HttpAnswer) -> ProviderError:
        """Gemini-specific readings first: a bad key and an unserved country are 400s, a daily
        quota a 429 whose quota id says whether it counts per model or per project."""
        details = _error_details(answer.body)
        reasons = {str(d.get("reason")) for d in details}
        message = status_message(
            answer.status, answer.error_body, provider=self.config.name, secret=self._key
        )
        if "API_KEY_INVALID" in reasons:
            return PermanentError(ErrorClass.UNAUTHORIZED, message, http_status=answer.status)
        if _grpc_status(answer.body) == "FAILED_PRECONDITION" and any(
            marker in message.lower() for marker in LOCATION_MESSAGES
        ):
            return PermanentError(
                ErrorClass.LOCATION_UNSUPPORTED, message, http_status=answer.status
            )
        daily = [quota_id for quota_id in _quota_ids(details) if "PerDay" in quota_id]
        if answer.status == 429 and daily:
            per_model = all("PerModel" in quota_id for quota_id in daily)
            error_class = (
                ErrorClass.MODEL_QUOTA_EXHAUSTED if per_model else ErrorClass.QUOTA_EXHAUSTED
            )
            return PermanentError(error_class, message, http_status=answer.status)
        error = self._poster.failure(answer)
        delays = [
            _seconds(d["retryDelay"]) for d in details if isinstance(d.get("retryDelay"), str)
        ]
        if (
            isinstance(error, TransientError)
            and retry_after_seconds(answer.headers) is None
            and delays
            and delays[0] is not None
        ):
            error.retry_after_s = delays[0]
        return error

    async def aclose(self) -> None:
        await self._poster.aclose()
