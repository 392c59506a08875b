"""Gemini generateContent (`POST /v1beta/models/{model}:generateContent`, key in a header)."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs

from tests.servers.scripted import (
    Fault,
    Protocol,
    Reply,
    ScriptedCall,
    count_tokens,
    retry_after_headers,
)

ERRORS: dict[str, tuple[int, str, str]] = {
    "not_found": (404, "NOT_FOUND", "models/x is not found for API version v1beta"),
    "server_error": (500, "INTERNAL", "An internal error has occurred."),
    "unavailable": (503, "UNAVAILABLE", "The model is overloaded. Please try again later."),
    "overloaded": (529, "UNAVAILABLE", "The model is overloaded. Please try again later."),
}


def _error(status: int, grpc_status: str, message: str, details: list[Any]) -> dict[str, Any]:
    return {
        "error": {"code": status, "message": message, "status": grpc_status, "details": details}
    }


class GeminiGenerateContent(Protocol):
    name = "gemini"
    routes = ("/v1beta/models/{target}",)
    api_prefix = "/v1beta"

    def key_ok(self, headers: dict[str, str], query: str, expected: str) -> bool:
        # A key in the URL is refused even when right: it would leak into access logs.
        return headers.get("x-goog-api-key") == expected and "key" not in parse_qs(query)

    def prompt(self, body: Any) -> tuple[str, str]:
        system_parts = (body.get("systemInstruction") or {}).get("parts") or []
        user_parts = body["contents"][-1]["parts"]
        return (
            "".join(p.get("text", "") for p in system_parts),
            "".join(p.get("text", "") for p in user_parts),
        )

    def _response(
        self,
        call: ScriptedCall,
        model: str,
        candidates: list[dict[str, Any]] | None,
        completion_text: str,
        **extra: Any,
    ) -> dict[str, Any]:
        prompt_tokens = count_tokens(call.system) + count_tokens(call.user)
        body: dict[str, Any] = {
            "usageMetadata": {
                "promptTokenCount": prompt_tokens,
                "candidatesTokenCount": count_tokens(completion_text),
                "totalTokenCount": prompt_tokens + count_tokens(completion_text),
            },
            "modelVersion": model,
            "responseId": f"gemini-scripted-{call.index}",
            **extra,
        }
        if candidates is not None:
            body["candidates"] = candidates
        return body

    def ok(self, call: ScriptedCall, text: str, model: str) -> Reply:
        candidate = {
            "content": {"parts": [{"text": text}], "role": "model"},
            "finishReason": "STOP",
            "index": 0,
        }
        return Reply(200, self._response(call, model, [candidate], text))

    def fault(self, fault: Fault, call: ScriptedCall, model: str) -> Reply:
        kind = fault.kind
        if kind == "content_filter":
            feedback = {"promptFeedback": {"blockReason": fault.vendor or "PROHIBITED_CONTENT"}}
            return Reply(200, self._response(call, model, None, "", **feedback))
        if kind == "filter_finish":
            candidate = {"finishReason": "SAFETY", "index": 0}
            return Reply(200, self._response(call, model, [candidate], ""))
        if kind == "empty":
            return Reply(200, self._response(call, model, [], ""))
        if kind == "unauthorized":
            details = [
                {
                    "@type": "type.googleapis.com/google.rpc.ErrorInfo",
                    "reason": "API_KEY_INVALID",
                    "domain": "googleapis.com",
                }
            ]
            message = "API key not valid. Please pass a valid API key."
            return Reply(400, _error(400, "INVALID_ARGUMENT", message, details))
        if kind in ("rate_limit", "quota"):
            quota_id = (
                "GenerateRequestsPerDayPerProjectPerModel-FreeTier"
                if kind == "quota"
                else "GenerateRequestsPerMinutePerProjectPerModel"
            )
            details = [
                {
                    "@type": "type.googleapis.com/google.rpc.QuotaFailure",
                    "violations": [{"quotaId": quota_id}],
                },
            ]
            if kind == "rate_limit" and fault.retry_after is not None:
                details.append(
                    {
                        "@type": "type.googleapis.com/google.rpc.RetryInfo",
                        "retryDelay": f"{fault.retry_after:g}s",
                    }
                )
            message = "You exceeded your current quota, please check your plan and billing details."
            return Reply(429, _error(429, "RESOURCE_EXHAUSTED", message, details))
        status, grpc_status, message = ERRORS[kind]
        return Reply(status, _error(status, grpc_status, message, []), retry_after_headers(fault))
