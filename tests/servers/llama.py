"""Pytest fixture: SmolLM2-135M served by llama-cpp-python on 127.0.0.1 for the whole session.

Use it from a conftest with `from tests.servers.llama import local_llm  # noqa: F401`.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from collect.collector.local_model import LocalModelServer, local_model_server
from collect.collector.providers.base import ProviderConfig

LOCAL_KEY_ENV = "MORALIGN_LOCAL_LLM_TEST_KEY"


@dataclass(frozen=True)
class LocalLLM:
    server: LocalModelServer
    config: ProviderConfig  # an "openai" provider entry pointing at the server

    @property
    def model(self) -> str:
        return self.server.model_alias


@pytest.fixture(scope="session")
def local_llm() -> Iterator[LocalLLM]:
    key = f"test-key-llama-{secrets.token_hex(6)}"
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv(LOCAL_KEY_ENV, key)
        # A slow first answer under CPU contention is normal: generous timeouts throughout.
        with local_model_server(api_key=key, startup_timeout_s=300.0) as server:
            config = ProviderConfig(
                name="smollm2_local",
                kind="openai",
                base_url=server.base_url,
                api_key_env=LOCAL_KEY_ENV,
                timeout_s=180.0,
                max_concurrency=2,
                max_attempts=3,
            )
            yield LocalLLM(server, config)
