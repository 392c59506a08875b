"""Anthropic Messages API (`POST {base}/v1/messages`) through httpx.

`config.base_url` is the API root as in Anthropic's SDK (default https://api.anthropic.com).
`ChatRequest.extra_body` is merged into the request body.
"""

from __future__ import annotations

from typing import Any

from collect.collector.providers.base import ChatRequest, ChatResult, ProviderConfig
from collect.collector.providers.http_json import HttpAnswer, JsonPoster, deep_merge
from collect.collector.providers.results import field_object, finished, json_object

DEFAULT_BASE_URL = "https://api.anthropic.com"
ANTHROPIC_VERSION = "2023-06-01"
REFUSAL_STOP_REASONS = frozenset({"refusal"})


def messages_body(request: ChatRequest) -> dict[str, Any]:
    body: dict[str, Any] = {
        "model": request.api_model,
        "max_tokens": request.max_tokens,
        "system": request.system,
        "messages": [{"role": "user", "content": request.user}],
    }
    if request.temperature is not None:
        body["temperature"] = request.temperature
    if request.disable_thinking:
        body["thinking"] = {"type": "disabled"}
    return deep_merge(body, request.extra_body)


def messages_result(answer: HttpAnswer) -> ChatResult:
    """Read a 200 answer; raises ValueError when the body is not a Messages response."""
    body = json_object(answer.body)
    blocks = body.get("content")
    if not isinstance(blocks, list):
        raise ValueError("answer has no content list")
    usage = field_object(body, "usage")
    texts = [
        block.get("text", "")
        for block in blocks
        if isinstance(block, dict) and block.get("type") == "text"
    ]
    return finished(
        "".join(texts),
        body.get("stop_reason"),
        blocking_reasons=REFUSAL_STOP_REASONS,
        returned_model=body.get("model"),
        request_id=answer.headers.get("request-id") or body.get("id"),
        input_tokens=usage.get("input_tokens"),
        output_tokens=usage.get("output_tokens"),
        latency_s=answer.latency_s,
    )


class AnthropicMessagesProvider:
    def __init__(self, config: ProviderConfig) -> None:
        self.config = config
        key = config.api_key()
        self._url = (config.base_url or DEFAULT_BASE_URL).rstrip("/") + "/v1/messages"
        self._poster = JsonPoster(
            config, {"x-api-key": key, "anthropic-version": ANTHROPIC_VERSION}, key
        )

    async def complete(self, request: ChatRequest) -> ChatResult:
        answer = await self._poster.post(self._url, messages_body(request))
        if answer.status >= 300:
            raise self._poster.failure(answer)
        return self._poster.read(messages_result, answer)

    async def aclose(self) -> None:
        await self._poster.aclose()
