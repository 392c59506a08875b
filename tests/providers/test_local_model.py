"""MFQ-2 prompts through the "openai" provider to a real model (SmolLM2-135M via llama.cpp)."""

from __future__ import annotations

import asyncio

import pytest
from collect.collector.local_model import smollm2_gguf_path
from collect.collector.providers.base import ChatRequest, ChatResult, PermanentError
from collect.collector.providers.registry import make_provider

from tests.servers.llama import LOCAL_KEY_ENV, LocalLLM

pytestmark = pytest.mark.llm

ENGLISH_OPTIONS = (
    "Please indicate how well the statement below describes you or your opinions.\n"
    "Options:\n1: Does not describe me at all\n2: Slightly describes me\n"
    "3: Moderately describes me\n4: Describes me fairly well\n5: Describes me extremely well\n"
    "Statement: "
)
CHINESE_OPTIONS = (
    "请指出以下陈述在多大程度上描述了您或您的观点。\n选项：\n1:对我的描述一点也不贴切\n"
    "2:对我的描述有点贴切\n3:对我的描述比较贴切\n4:对我的描述相当贴切\n5:对我的描述极其贴切\n陈述："
)
PROMPTS = [
    ("Respond only with a number from 1 to 5.",
     ENGLISH_OPTIONS + "Caring for people who have suffered is an important virtue."),
    ("You are from the USA.\nRespond only with a number from 1 to 5.",
     ENGLISH_OPTIONS + "I believe that one of the most important values to teach children is "
     "to have respect for authority."),
    ("您来自中国。\n请仅回复1到5之间的数字。",
     CHINESE_OPTIONS + "我认为照顾受苦的人是一种重要的美德。"),
]  # fmt: skip


def test_gguf_ships_with_the_installed_package() -> None:
    path = smollm2_gguf_path()
    assert path.suffix == ".gguf"
    assert path.stat().st_size > 10_000_000


def test_mfq2_prompts_get_text_back_from_a_real_model(local_llm: LocalLLM) -> None:
    requests = [
        ChatRequest(local_llm.model, system, user, max_tokens=10, temperature=0.7)
        for system, user in PROMPTS
    ]

    async def ask_all() -> list[ChatResult]:
        provider = make_provider(local_llm.config)
        try:
            return [await provider.complete(request) for request in requests]
        finally:
            await provider.aclose()

    results = asyncio.run(ask_all())
    for result in results:
        assert result.outcome == "ok"
        assert isinstance(result.text, str) and result.text.strip()
        assert result.returned_model == local_llm.model
        assert result.request_id
        assert result.input_tokens is not None and result.input_tokens > 10
        assert result.output_tokens is not None and 1 <= result.output_tokens <= 10
        assert result.finish_reason in ("stop", "length")


def test_real_server_rejects_a_wrong_key(
    local_llm: LocalLLM, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(LOCAL_KEY_ENV, "test-key-not-the-servers")
    request = ChatRequest(local_llm.model, "s", "u", max_tokens=10, temperature=None)

    async def ask() -> ChatResult:
        provider = make_provider(local_llm.config)
        try:
            return await provider.complete(request)
        finally:
            await provider.aclose()

    with pytest.raises(PermanentError) as raised:
        asyncio.run(ask())
    assert raised.value.error_class == "unauthorized"
    assert "test-key-not-the-servers" not in str(raised.value)
