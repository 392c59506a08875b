"""`moralign collect run` and `export` against a real (tiny) model: SmolLM2-135M via llama.cpp."""

from __future__ import annotations

import re
import sqlite3
from pathlib import Path

import pandas as pd
import pytest

from tests.collector.cli_runs import run_collect
from tests.collector.conftest import STUDIES
from tests.servers.llama import LOCAL_KEY_ENV, LocalLLM, local_llm  # noqa: F401

pytestmark = pytest.mark.llm


def _study_for(server_url: str, folder: Path) -> Path:
    text = (STUDIES / "demo_local.toml").read_text(encoding="utf-8")
    text = text.replace('local_server = "smollm2"', f'base_url = "{server_url}"')
    text = re.sub(r'api_key_env = "[A-Z_]+"', f'api_key_env = "{LOCAL_KEY_ENV}"', text)
    text = text.replace("repetitions = 2", "repetitions = 1")
    text = text.replace("only_items = [1, 2, 3, 4, 5, 6]", "only_items = [1, 2, 3]")
    path = folder / "local.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_collect_run_against_the_local_model(
    local_llm: LocalLLM,  # noqa: F811
    external_items: Path,
    tmp_path: Path,
) -> None:
    study = str(_study_for(local_llm.server.base_url, tmp_path))
    db, out = tmp_path / "local.sqlite", tmp_path / "out"
    planned = 3 * 2 * 3  # items x languages x personas, one repetition
    result = run_collect("run", "--study", study, "--db", str(db), timeout=900)
    assert result.returncode == 0, result.stderr
    with sqlite3.connect(db) as conn:
        rows = conn.execute(
            "SELECT status, raw_text, returned_model, rating, valid, parse_reason FROM calls"
        ).fetchall()
    assert len(rows) == planned
    assert {row[0] for row in rows} <= {"valid", "invalid", "refused"}
    assert all(isinstance(row[1], str) for row in rows)  # the raw text is kept, valid or not
    assert {row[2] for row in rows} == {local_llm.model}
    for status, text, _, rating, valid, reason in rows:
        assert bool(valid) is (rating is not None) is (status == "valid")
        assert rating is None or 1 <= rating <= 5
        assert (reason == "ok") is bool(valid), text

    export = run_collect("export", "--study", study, "--db", str(db), "--out", str(out))
    assert export.returncode == 0, export.stderr
    means = pd.read_csv(out / "llm_mfq_responses.csv")
    assert len(means) == planned and set(means["LLM"]) == {"smollm2-135m"}
