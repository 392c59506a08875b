"""`make_provider`: the implementation for a study's provider entry, chosen by `config.kind`.

Each kind names its module, imported on first use: reading a study or running the analysis
must not pay for the provider SDKs (the OpenAI SDK alone takes over a second to import)."""

from __future__ import annotations

from importlib import import_module

from collect.collector.providers.base import Provider, ProviderConfig

PROVIDER_KINDS: dict[str, str] = {
    "openai": "openai_compat:OpenAICompatProvider",
    "dashscope": "dashscope_native:DashScopeNativeProvider",
    "anthropic": "anthropic_messages:AnthropicMessagesProvider",
    "gemini": "gemini:GeminiProvider",
}


class UnknownProviderKind(ValueError):
    pass


def make_provider(config: ProviderConfig) -> Provider:
    """A ready provider; raises UnknownProviderKind, or PermanentError when its key is not set."""
    try:
        module_name, class_name = PROVIDER_KINDS[config.kind].split(":")
    except KeyError:
        known = ", ".join(repr(kind) for kind in PROVIDER_KINDS)
        raise UnknownProviderKind(
            f"provider {config.name!r} has kind {config.kind!r}; known kinds are {known}"
        ) from None
    module = import_module(f"{__package__}.{module_name}")
    provider: Provider = getattr(module, class_name)(config)
    return provider
