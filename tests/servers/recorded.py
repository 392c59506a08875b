"""A vendor protocol that answers chosen requests with a recorded reply instead of its own.

    Replaying(OpenAIChat(), reply, when=lambda call: call.index == 0)

Routes, key check and prompt reading stay the vendor's, so the client under test speaks to it as
to the real API; `when` picks the requests that get the recorded reply, the others get the
protocol's normal answer.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tests.servers.scripted import Fault, Protocol, Reply, ScriptedCall


def asked_model(call: ScriptedCall) -> str:
    """The model a request asked for: the body's `model`, or Gemini's path segment."""
    if isinstance(call.body, dict) and "model" in call.body:
        return str(call.body["model"])
    return call.path_params.get("target", "").split(":", 1)[0]


class Replaying(Protocol):
    def __init__(
        self, base: Protocol, reply: Reply, when: Callable[[ScriptedCall], bool]
    ) -> None:
        self.base = base
        self.reply = reply
        self.when = when
        self.name = f"{base.name}-replay"
        self.routes = base.routes
        self.api_prefix = base.api_prefix

    def key_ok(self, headers: Any, query: str, expected: str) -> bool:
        return self.base.key_ok(headers, query, expected)

    def prompt(self, body: Any) -> tuple[str, str]:
        return self.base.prompt(body)

    def ok(self, call: ScriptedCall, text: str, model: str) -> Reply:
        return self.reply if self.when(call) else self.base.ok(call, text, model)

    def fault(self, fault: Fault, call: ScriptedCall, model: str) -> Reply:
        return self.base.fault(fault, call, model)
