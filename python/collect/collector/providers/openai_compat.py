"""OpenAI-compatible chat completions (OpenAI, DeepSeek, Moonshot, Zhipu, DashScope compatible mode,
Fireworks, Novita, local servers) through the openai SDK with any base URL.

The SDK builds the requests, authenticates and maps errors, with its own retries switched off (the
runner retries); its HTTP client sends over aiohttp (see `aiohttp_transport`), which costs far less
CPU per call than httpx2's default transport. The response body is read as plain JSON so vendor
extensions and malformed bodies are handled here rather than inside the SDK's models.
"""

from __future__ import annotations

import json
import time
from typing import Any
from urllib.parse import urlsplit

import openai

from collect.collector.providers.aiohttp_transport import SdkHttpClient
from collect.collector.providers.base import ChatRequest, ChatResult, ErrorClass, ProviderConfig
from collect.collector.providers.failures import (
    moderation_code,
    status_error,
    timeout_error,
    transient,
)
from collect.collector.providers.results import (
    FILTER_FINISH_REASONS,
    EmptyAnswer,
    field_object,
    finished,
    json_object,
    moderation_refusal,
    read_answer,
)

# Body fields that switch thinking off, by a fragment of the base URL's host. Hosts not listed get
# nothing: pass the switch in `ChatRequest.extra_body` for them.
THINKING_OFF_BY_HOST: dict[str, dict[str, Any]] = {
    "dashscope": {"enable_thinking": False},
    "bigmodel.cn": {"thinking": {"type": "disabled"}},
    "z.ai": {"thinking": {"type": "disabled"}},
}



def thinking_off_fields(base_url: str | None) -> dict[str, Any]:
    host = urlsplit(base_url or "").hostname or ""
    for fragment, fields in THINKING_OFF_BY_HOST.items():
        if fragment in host:
            return fields
    return {}


def request_body_extras(config: ProviderConfig, request: ChatRequest) -> dict[str, Any]:
    """Fields sent beyond the standard ones: the thinking switch, then the request's own extras."""
    extras: dict[str, Any] = {}
    if request.disable_thinking:
        extras.update(thinking_off_fields(config.base_url))
    extras.update(request.extra_body)
    return extras


def chat_body(config: ProviderConfig, request: ChatRequest) -> dict[str, Any]:
    """The chat completions request body, online and in batch files alike."""
    body: dict[str, Any] = {
        "model": request.api_model,
        "messages": [
            {"role": "system", "content": request.system},
            {"role": "user", "content": request.user},
        ],
        "max_tokens": request.max_tokens,
    }
    if request.temperature is not None:
        body["temperature"] = request.temperature
    body.update(request_body_extras(config, request))
    return body


def result_from_body(
    body: Any, *, latency_s: float | None, header_request_id: str | None
) -> ChatResult:
    """Read a 200 answer. Raises EmptyAnswer when it has no choices, ValueError when unreadable."""
    body = json_object(body)
    usage = field_object(body, "usage")
    metadata: dict[str, Any] = {
        "returned_model": _as_str(body.get("model")),
        "request_id": header_request_id or _as_str(body.get("id")),
        "input_tokens": usage.get("prompt_tokens"),
        "output_tokens": usage.get("completion_tokens"),
        "latency_s": latency_s,
    }
    code = moderation_code(body)
    if code is not None:
        return ChatResult(outcome="refused", text=None, vendor_code=code, **metadata)
    choices = body.get("choices")
    if not choices:
        raise EmptyAnswer("answer had no choices")
    choice = json_object(choices[0], "choice")
    return finished(
        field_object(choice, "message").get("content"),
        _as_str(choice.get("finish_reason")),
        blocking_reasons=FILTER_FINISH_REASONS,
        logprobs=choice.get("logprobs"),
        **metadata,
    )


def _as_str(value: Any) -> str | None:
    return None if value is None else str(value)


# The SDK's telemetry headers (its version, the OS, CPU architecture and Python version; its own
# retry count and read timeout): nothing a provider needs, and each costs CPU on every call.
_OMIT = openai.Omit()
_NO_TELEMETRY: Any = dict.fromkeys(
    (
        "X-Stainless-Lang",
        "X-Stainless-Package-Version",
        "X-Stainless-OS",
        "X-Stainless-Arch",
        "X-Stainless-Runtime",
        "X-Stainless-Runtime-Version",
        "X-Stainless-Async",
    ),
    _OMIT,
)
# Per call: ask for the undecoded response, as the SDK's `with_raw_response` accessors do, and
# leave out the per-call telemetry headers.
_CALL_OPTIONS: Any = {
    "headers": {
        "X-Stainless-Raw-Response": "true",
        "X-Stainless-Retry-Count": _OMIT,
        "X-Stainless-Read-Timeout": _OMIT,
    }
}


class OpenAICompatProvider:
    def __init__(self, config: ProviderConfig) -> None:
        self.config = config
        self._key = config.api_key()
        self._client = openai.AsyncOpenAI(
            api_key=self._key,
            base_url=config.base_url,
            timeout=config.timeout_s,
            max_retries=0,
            default_headers=_NO_TELEMETRY,
            http_client=SdkHttpClient(max(config.max_concurrency, 1) * 2, config.timeout_s),
        )
        # Joined to the base URL as the SDK joins a relative path, but once: given an absolute
        # address, the SDK skips re-parsing and re-joining the URL on every call.
        base = self._client.base_url
        self._endpoint = str(base.copy_with(raw_path=base.raw_path + b"chat/completions"))

    async def complete(self, request: ChatRequest) -> ChatResult:
        body = chat_body(self.config, request)
        name = self.config.name
        started = time.perf_counter()
        try:
            # The SDK's generic POST: its typed `chat.completions.create` re-validates every
            # parameter on each call, which costs more CPU than the whole rest of the collector.
            raw = await self._client.post(
                self._endpoint, body=body, cast_to=object, options=_CALL_OPTIONS
            )
            content = raw.content
        except openai.APIStatusError as exc:
            return self._status_failure(exc, time.perf_counter() - started)
        except openai.APITimeoutError:
            raise timeout_error(self.config.timeout_s, provider=name) from None
        except openai.APIConnectionError as exc:
            raise transient(
                ErrorClass.CONNECTION, _describe(exc), provider=name, secret=self._key
            ) from None
        except openai.APIResponseValidationError as exc:
            raise transient(
                ErrorClass.MALFORMED_RESPONSE, _describe(exc), provider=name, secret=self._key
            ) from None
        latency_s = time.perf_counter() - started
        request_id = raw.headers.get("x-request-id")
        return read_answer(
            lambda content: result_from_body(
                json.loads(content), latency_s=latency_s, header_request_id=request_id
            ),
            content,
            provider=name,
            secret=self._key,
        )

    def _status_failure(self, exc: openai.APIStatusError, latency_s: float) -> ChatResult:
        response = exc.response
        try:
            body = response.json()
        except ValueError:
            body = {"error": {"message": response.text[:300]}}
        refusal = moderation_refusal(
            response.status_code,
            body,
            request_id=response.headers.get("x-request-id"),
            latency_s=latency_s,
        )
        if refusal is not None:
            return refusal
        raise status_error(
            response.status_code,
            body,
            dict(response.headers),
            provider=self.config.name,
            secret=self._key,
        ) from None

    async def aclose(self) -> None:
        await self._client.close()


def _describe(exc: BaseException) -> str:
    cause = exc.__cause__ or exc.__context__
    detail = f"{type(exc).__name__}: {exc}"
    if cause is not None:
        detail += f" ({type(cause).__name__}: {cause})"
    return detail
