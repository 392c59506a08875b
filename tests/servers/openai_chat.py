"""OpenAI chat completions (`POST /v1/chat/completions`), with vendor moderation shapes."""

from __future__ import annotations

import time
from typing import Any

from tests.servers.scripted import (
    Fault,
    Protocol,
    Reply,
    ScriptedCall,
    count_tokens,
    retry_after_headers,
)

# The bodies vendors send with their moderation block (HTTP 400).
MODERATION_BODIES: dict[str, dict[str, Any]] = {
    "dashscope": {
        "error": {
            "code": "data_inspection_failed",
            "message": "Input data may contain inappropriate content.",
            "param": None,
            "type": "data_inspection_failed",
        },
    },
    "zhipu": {
        "contentFilter": [{"level": 1, "role": "user"}],
        "error": {"code": "1301", "message": "unsafe or sensitive content detected"},
    },
    "moonshot": {
        "error": {
            "type": "content_filter",
            "message": "The request was rejected because it was considered high risk",
        },
    },
}


def _error(status: int, message: str, code: str | None, kind: str) -> dict[str, Any]:
    return {"error": {"message": message, "type": kind, "param": None, "code": code}}


# How OpenAI-compatible vendors say the account cannot pay (Fault("quota", vendor=...)).
QUOTA_REPLIES = {
    "openai": Reply(429, _error(
        429, "You exceeded your current quota, please check your plan and billing details.",
        "insufficient_quota", "insufficient_quota",
    )),
    "deepseek": Reply(402, _error(402, "Insufficient Balance", "invalid_request_error",
                                  "unknown_error")),
    "moonshot": Reply(429, {"error": {
        "message": "Your account is suspended because it exceeded the current quota.",
        "type": "exceeded_current_quota_error",
    }}),
}


class OpenAIChat(Protocol):
    name = "openai"
    routes = ("/v1/chat/completions",)
    api_prefix = "/v1"

    def prompt(self, body: Any) -> tuple[str, str]:
        messages = body["messages"]
        system = next((m["content"] for m in messages if m["role"] == "system"), "")
        return system, messages[-1]["content"]

    def _completion(
        self, call: ScriptedCall, model: str, choices: list[dict[str, Any]], completion_text: str
    ) -> dict[str, Any]:
        prompt_tokens = count_tokens(call.system) + count_tokens(call.user)
        completion_tokens = count_tokens(completion_text)
        return {
            "id": f"chatcmpl-scripted-{call.index}",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": model,
            "choices": choices,
            "usage": {
                "prompt_tokens": prompt_tokens,
                "completion_tokens": completion_tokens,
                "total_tokens": prompt_tokens + completion_tokens,
            },
        }

    def _choice(self, text: str | None, finish_reason: str) -> dict[str, Any]:
        return {
            "index": 0,
            "message": {"role": "assistant", "content": text},
            "finish_reason": finish_reason,
        }

    def ok(self, call: ScriptedCall, text: str, model: str) -> Reply:
        body = self._completion(call, model, [self._choice(text, "stop")], text)
        return Reply(200, body, {"x-request-id": f"req-scripted-{call.index}"})

    def fault(self, fault: Fault, call: ScriptedCall, model: str) -> Reply:
        request_id = {"x-request-id": f"req-scripted-{call.index}"}
        kind = fault.kind
        if kind == "content_filter":
            return Reply(400, MODERATION_BODIES[fault.vendor or "dashscope"], request_id)
        if kind == "filter_finish":
            body = self._completion(call, model, [self._choice("", "content_filter")], "")
            return Reply(200, body, request_id)
        if kind == "empty":
            return Reply(200, self._completion(call, model, [], ""), request_id)
        if kind == "rate_limit":
            body = _error(429, "Rate limit reached for requests", "rate_limit_exceeded", "requests")
            return Reply(429, body, {**request_id, **retry_after_headers(fault)})
        if kind == "quota":
            return QUOTA_REPLIES[fault.vendor or "openai"]
        if kind == "unauthorized":
            message = "Incorrect API key provided."
            return Reply(401, _error(401, message, "invalid_api_key", "invalid_request_error"))
        if kind == "not_found":
            message = "The model does not exist or you do not have access to it."
            return Reply(404, _error(404, message, "model_not_found", "invalid_request_error"))
        statuses = {"server_error": 500, "unavailable": 503, "overloaded": 529}
        status = statuses[kind]
        body = _error(
            status, "The server had an error while processing your request.", None, "server_error"
        )
        return Reply(status, body, {**request_id, **retry_after_headers(fault)})
