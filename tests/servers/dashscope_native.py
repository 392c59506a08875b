"""DashScope native text generation (`POST /api/v1/services/aigc/text-generation/generation`)."""

from __future__ import annotations

from typing import Any

from tests.servers.scripted import (
    Fault,
    Protocol,
    Reply,
    ScriptedCall,
    count_tokens,
    retry_after_headers,
)

ERRORS: dict[str, tuple[int, str, str]] = {
    "content_filter": (
        400,
        "DataInspectionFailed",
        "Input data may contain inappropriate content.",
    ),
    "quota": (
        400,
        "Arrearage",
        "Access denied, please make sure your account is in good standing.",
    ),
    "unauthorized": (401, "InvalidApiKey", "Invalid API-key provided."),
    "not_found": (404, "ModelNotFound", "Model not exist."),
    "rate_limit": (429, "Throttling.RateQuota", "Requests rate limit exceeded, please try later."),
    "server_error": (
        500,
        "InternalError",
        "An internal error has occured, please try again later.",
    ),
    "unavailable": (503, "ServiceUnavailable", "The service is temporarily unavailable."),
    "overloaded": (529, "ServiceUnavailable", "The service is temporarily overloaded."),
}


class DashScopeNative(Protocol):
    name = "dashscope"
    routes = ("/api/v1/services/aigc/text-generation/generation",)
    api_prefix = "/api/v1"

    def prompt(self, body: Any) -> tuple[str, str]:
        messages = body["input"]["messages"]
        system = next((m["content"] for m in messages if m["role"] == "system"), "")
        return system, messages[-1]["content"]

    def _generation(
        self, call: ScriptedCall, choices: list[dict[str, Any]], completion_text: str
    ) -> dict[str, Any]:
        input_tokens = count_tokens(call.system) + count_tokens(call.user)
        output_tokens = count_tokens(completion_text)
        return {
            "output": {"choices": choices},
            "usage": {
                "input_tokens": input_tokens,
                "output_tokens": output_tokens,
                "total_tokens": input_tokens + output_tokens,
            },
            "request_id": f"dashscope-scripted-{call.index}",
        }

    def _choice(self, text: str, finish_reason: str) -> dict[str, Any]:
        return {"finish_reason": finish_reason, "message": {"role": "assistant", "content": text}}

    def ok(self, call: ScriptedCall, text: str, model: str) -> Reply:
        return Reply(200, self._generation(call, [self._choice(text, "stop")], text))

    def fault(self, fault: Fault, call: ScriptedCall, model: str) -> Reply:
        if fault.kind == "empty":
            return Reply(200, self._generation(call, [], ""))
        if fault.kind == "filter_finish":
            return Reply(200, self._generation(call, [self._choice("", "content_filter")], ""))
        status, code, message = ERRORS[fault.kind]
        body = {"code": code, "message": message, "request_id": f"dashscope-scripted-{call.index}"}
        return Reply(status, body, retry_after_headers(fault))
