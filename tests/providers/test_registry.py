from __future__ import annotations

import asyncio

import pytest
from collect.collector.providers.anthropic_messages import AnthropicMessagesProvider
from collect.collector.providers.base import ProviderConfig
from collect.collector.providers.dashscope_native import DashScopeNativeProvider
from collect.collector.providers.gemini import GeminiProvider
from collect.collector.providers.openai_compat import OpenAICompatProvider
from collect.collector.providers.registry import UnknownProviderKind, make_provider

from tests.providers.scripted_calls import KEY_ENV


@pytest.mark.parametrize(
    ("kind", "implementation"),
    [
        ("openai", OpenAICompatProvider),
        ("dashscope", DashScopeNativeProvider),
        ("anthropic", AnthropicMessagesProvider),
        ("gemini", GeminiProvider),
    ],
)
def test_kind_selects_the_implementation(kind: str, implementation: type) -> None:
    config = ProviderConfig(name="p", kind=kind, base_url=None, api_key_env=KEY_ENV)
    provider = make_provider(config)
    assert isinstance(provider, implementation)
    assert provider.config is config
    asyncio.run(provider.aclose())


def test_unknown_kind_names_the_known_ones() -> None:
    config = ProviderConfig(name="baidu", kind="qianfan", base_url=None, api_key_env=KEY_ENV)
    with pytest.raises(UnknownProviderKind) as raised:
        make_provider(config)
    message = str(raised.value)
    assert "'baidu'" in message and "'qianfan'" in message
    for kind in ("openai", "dashscope", "anthropic", "gemini"):
        assert repr(kind) in message
