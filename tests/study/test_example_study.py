"""The shipped example of a new persona and a new instrument collects, exports and imports:
here its provider is pointed at a scripted OpenAI-compatible server instead of the local model."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pandas as pd

from tests.collector.cli_runs import collect_env
from tests.collector.studyfiles import TEST_KEY, TEST_KEY_ENV
from tests.conftest import fetched_external
from tests.servers.openai_chat import OpenAIChat
from tests.servers.scripted import ScriptedServer

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "studies" / "example_new_persona.toml"


def moralign(*args: str) -> subprocess.CompletedProcess[str]:
    env = {**collect_env(), "MORALIGN_EXTERNAL_DIR": str(fetched_external())}
    return subprocess.run([sys.executable, "-m", "collect", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=600, check=False)


def test_the_example_with_a_japanese_persona_collects_exports_and_imports(tmp_path: Path) -> None:
    with ScriptedServer(OpenAIChat(), api_key=TEST_KEY,  # type: ignore[arg-type]
                        answer=lambda call: str(1 + call.index % 4)) as server:
        text = re.sub(r"\[providers\.local\][^\[]*",
                      f'[providers.local]\nkind = "openai"\nbase_url = "{server.api_base}"\n'
                      f'api_key_env = "{TEST_KEY_ENV}"\n\n',
                      EXAMPLE.read_text(encoding="utf-8"))
        study = tmp_path / "example_new_persona.toml"
        study.write_text(text, encoding="utf-8")
        db = str(tmp_path / "calls.sqlite")
        done = moralign("collect", "run", "--study", str(study), "--db", db)
        assert done.returncode == 0, done.stderr
    export = tmp_path / "export"
    done = moralign("collect", "export", "--study", str(study), "--db", db, "--out", str(export))
    assert done.returncode == 0, done.stderr
    assert {"llm_mfq_responses.csv", "llm_helping_responses.csv"} <= {
        p.name for p in export.iterdir()}

    canonical = tmp_path / "canonical"
    done = moralign("data", "import", "--export", str(export), "--out", str(canonical))
    assert done.returncode == 0, done.stderr
    assert "not imported" in done.stdout and "llm_helping_responses.csv" in done.stdout
    ratings = pd.read_csv(canonical / "llm_ratings.csv")
    assert set(ratings["persona"]) == {"none", "Japan", "USA"}
    assert set(ratings["instrument"]) == {"mfq2"} and set(ratings["n_calls"]) == {2}
    models = pd.read_csv(canonical / "models.csv").set_index("model")
    assert models.loc["smollm2-135m", "maker"] == "Hugging Face"
