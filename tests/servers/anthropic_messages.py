"""Anthropic Messages (`POST /v1/messages`, key in `x-api-key`)."""

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
    "quota": (
        400,
        "invalid_request_error",
        "Your credit balance is too low to access the Anthropic API. Please go to Plans & "
        "Billing to upgrade or purchase credits.",
    ),
    "unauthorized": (401, "authentication_error", "invalid x-api-key"),
    "not_found": (404, "not_found_error", "model: not found"),
    "rate_limit": (429, "rate_limit_error", "Number of request tokens has exceeded your limit."),
    "server_error": (500, "api_error", "Internal server error"),
    "unavailable": (503, "api_error", "Service unavailable"),
    "overloaded": (529, "overloaded_error", "Overloaded"),
}


class AnthropicMessages(Protocol):
    name = "anthropic"
    routes = ("/v1/messages",)
    api_prefix = ""

    def key_ok(self, headers: dict[str, str], query: str, expected: str) -> bool:
        return headers.get("x-api-key") == expected

    def prompt(self, body: Any) -> tuple[str, str]:
        content = body["messages"][-1]["content"]
        if isinstance(content, list):
            content = "".join(block.get("text", "") for block in content)
        return body.get("system", ""), content

    def _message(
        self, call: ScriptedCall, model: str, text: str | None, stop_reason: str
    ) -> dict[str, Any]:
        return {
            "id": f"msg_scripted_{call.index}",
            "type": "message",
            "role": "assistant",
            "model": model,
            "content": [] if text is None else [{"type": "text", "text": text}],
            "stop_reason": stop_reason,
            "stop_sequence": None,
            "usage": {
                "input_tokens": count_tokens(call.system) + count_tokens(call.user),
                "output_tokens": count_tokens(text or ""),
            },
        }

    def ok(self, call: ScriptedCall, text: str, model: str) -> Reply:
        return Reply(
            200, self._message(call, model, text, "end_turn"), self._request_id_header(call)
        )

    def _request_id_header(self, call: ScriptedCall) -> dict[str, str]:
        return {"request-id": f"req_scripted_{call.index}"}

    def fault(self, fault: Fault, call: ScriptedCall, model: str) -> Reply:
        headers = self._request_id_header(call)
        if fault.kind in ("content_filter", "filter_finish"):
            return Reply(200, self._message(call, model, None, "refusal"), headers)
        if fault.kind == "empty":
            return Reply(200, self._message(call, model, None, "end_turn"), headers)
        status, error_type, message = ERRORS[fault.kind]
        body = {
            "type": "error",
            "error": {"type": error_type, "message": message},
            "request_id": headers["request-id"],
        }
        return Reply(status, body, {**headers, **retry_after_headers(fault)})
