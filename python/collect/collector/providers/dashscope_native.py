"""DashScope native text generation (`POST {base}/services/aigc/text-generation/generation`).

Spoken through httpx rather than the dashscope SDK: the SDK's base URL is a module-wide setting
(`dashscope.base_http_api_url`), so two providers with different endpoints (international and
mainland, or a test server) could not run side by side in one process, and its async path has
its own transport, timeouts and retries that would have to be undone for the runner's.

`config.base_url` is the API root as the SDK names it (default: the international endpoint
https://dashscope-intl.aliyuncs.com/api/v1). `ChatRequest.extra_body` is merged into `parameters`.
The native answer does not name the model version, so `returned_model` stays None. Answers come
as `output.choices` (result_format=message, which the collector asks for) or as `output.text`
(result_format=text, the default of older models and of some gateways); both are read.
"""

from __future__ import annotations

from typing import Any

from collect.collector.providers.base import ChatRequest, ChatResult, ProviderConfig
from collect.collector.providers.failures import moderation_code
from collect.collector.providers.http_json import HttpAnswer, JsonPoster, deep_merge
from collect.collector.providers.results import (
    FILTER_FINISH_REASONS,
    EmptyAnswer,
    field_object,
    finished,
    json_object,
    moderation_refusal,
)

DEFAULT_BASE_URL = "https://dashscope-intl.aliyuncs.com/api/v1"
GENERATION_PATH = "/services/aigc/text-generation/generation"


def generation_body(request: ChatRequest) -> dict[str, Any]:
    parameters: dict[str, Any] = {"result_format": "message", "max_tokens": request.max_tokens}
    if request.temperature is not None:
        parameters["temperature"] = request.temperature
    if request.disable_thinking:
        parameters["enable_thinking"] = False
    return {
        "model": request.api_model,
        "input": {
            "messages": [
                {"role": "system", "content": request.system},
                {"role": "user", "content": request.user},
            ]
        },
        "parameters": deep_merge(parameters, request.extra_body),
    }


def generation_result(answer: HttpAnswer) -> ChatResult:
    """Read a 200 answer. Raises EmptyAnswer, or ValueError when the body is unreadable."""
    body = json_object(answer.body)
    usage = field_object(body, "usage")
    metadata: dict[str, Any] = {
        "request_id": body.get("request_id"),
        "input_tokens": usage.get("input_tokens"),
        "output_tokens": usage.get("output_tokens"),
        "latency_s": answer.latency_s,
    }
    code = moderation_code(body)
    if code is not None:
        return ChatResult(outcome="refused", text=None, vendor_code=code, **metadata)
    output = json_object(body.get("output"), "output")
    choices = output.get("choices")
    if choices:
        choice = json_object(choices[0], "choice")
        text = field_object(choice, "message").get("content")
        finish_reason = choice.get("finish_reason")
    elif isinstance(output.get("text"), str):  # the result_format=text shape
        text, finish_reason = output["text"], output.get("finish_reason")
    else:
        raise EmptyAnswer("answer had neither choices nor output.text")
    return finished(text, finish_reason, blocking_reasons=FILTER_FINISH_REASONS, **metadata)


class DashScopeNativeProvider:
    def __init__(self, config: ProviderConfig) -> None:
        self.config = config
        key = config.api_key()
        self._url = (config.base_url or DEFAULT_BASE_URL).rstrip("/") + GENERATION_PATH
        self._poster = JsonPoster(config, {"authorization": f"Bearer {key}"}, key)

    async def complete(self, request: ChatRequest) -> ChatResult:
        answer = await self._poster.post(self._url, generation_body(request))
        if answer.status >= 300:
            refusal = moderation_refusal(
                answer.status, answer.body, request_id=None, latency_s=answer.latency_s
            )
            if refusal is not None:
                return refusal
            raise self._poster.failure(answer)
        return self._poster.read(generation_result, answer)

    async def aclose(self) -> None:
        await self._poster.aclose()
