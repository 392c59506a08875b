"""The shipped study's provider addresses agree with the clients' own conventions."""

from __future__ import annotations

import tomllib
from urllib.parse import urlparse

import pytest
from collect.collector.providers import anthropic_messages, dashscope_native, gemini
from collect.paths import PATHS

DEFAULTS = {
    "anthropic": anthropic_messages.DEFAULT_BASE_URL,
    "dashscope": dashscope_native.DEFAULT_BASE_URL,
    "gemini": gemini.DEFAULT_BASE_URL,
}


@pytest.mark.parametrize("study", sorted(PATHS.studies.glob("*.toml")), ids=lambda p: p.name)
def test_native_providers_use_the_clients_base_url_form(study) -> None:
    providers = tomllib.loads(study.read_text())["providers"]
    for name, provider in providers.items():
        default = DEFAULTS.get(provider["kind"])
        url = provider.get("base_url")
        if default is None or url is None or urlparse(url).netloc != urlparse(default).netloc:
            continue
        assert url.rstrip("/") == default, f"{study.name}: providers.{name}.base_url"
