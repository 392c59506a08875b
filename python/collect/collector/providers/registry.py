"""`make_provider`: the implementation for a study's provider entry, chosen by `config.kind`."""

from __future__ import annotations

from collections.abc import Callable

from collect.collector.providers.anthropic_messages import AnthropicMessagesProvider
from collect.collector.providers.base import Provider, ProviderConfig
from collect.collector.providers.dashscope_native import DashScopeNativeProvider
from collect.collector.providers.gemini import GeminiProvider
from collect.collector.providers.openai_compat import OpenAICompatProvider

PROVIDER_KINDS: dict[str, Callable[[ProviderConfig], Provider]] = {
    "openai": OpenAICompatProvider,
    "dashscope": DashScopeNativeProvider,
    "anthropic": AnthropicMessagesProvider,
    "gemini": GeminiProvider,
}


class UnknownProviderKind(ValueError):
    pass


def make_provider(config: ProviderConfig) -> Provider:
    """A ready provider; raises UnknownProviderKind, or PermanentError when its key is not set."""
    try:
        factory = PROVIDER_KINDS[config.kind]
    except KeyError:
        known = ", ".join(repr(kind) for kind in PROVIDER_KINDS)
        raise UnknownProviderKind(
            f"provider {config.name!r} has kind {config.kind!r}; known kinds are {known}"
        ) from None
    return factory(config)
