from __future__ import annotations

import pytest

from tests.providers.scripted_calls import FAKE_KEY, KEY_ENV


@pytest.fixture(autouse=True)
def provider_key(monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv(KEY_ENV, FAKE_KEY)
    return FAKE_KEY


from tests.servers.llama import local_llm  # noqa: E402, F401
