"""The study file's one validation model, the JSON Schema and the reference page it publishes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from collect.collector.providers.registry import PROVIDER_KINDS
from collect.collector.study import load_study
from collect.core.studyfile import (
    PROVIDER_KINDS as STUDY_FILE_KINDS,
)
from collect.core.studyfile import (
    SCHEMA_FILE,
    StudyFile,
    json_schema,
    reference_page,
)
from collect.errors import InputError

from tests.collector.studyfiles import study_toml

ROOT = Path(__file__).resolve().parents[2]
GOOD = study_toml({"p": "http://127.0.0.1:9/v1"})


def test_the_committed_schema_is_the_models() -> None:
    committed = json.loads((ROOT / "studies" / SCHEMA_FILE).read_text(encoding="utf-8"))
    assert committed == json_schema(), (
        "studies/study.schema.json is stale: python -m collect.core.studyfile")


def test_the_reference_page_names_every_field_and_is_current() -> None:
    page = (ROOT / "docs" / "study-file.md").read_text(encoding="utf-8")
    assert page == reference_page(), "docs/study-file.md is stale: python -m collect.core.studyfile"
    tables = [StudyFile, *(f.annotation for f in StudyFile.model_fields.values())]
    assert "`batch_time_budget_hours` | number, > 0 | `24.0`" in page
    assert "`maker` | string (optional)" in page
    assert len(tables) == 8


def test_the_schema_knows_every_provider_kind_the_collector_has() -> None:
    assert set(STUDY_FILE_KINDS) == set(PROVIDER_KINDS)
    kinds = json_schema()["$defs"]["ProviderEntry"]["properties"]["kind"]["enum"]
    assert set(kinds) == set(PROVIDER_KINDS)


@pytest.mark.parametrize(("change", "field", "words"), [
    (lambda s: s + "\n[extras]\nx = 1\n", "extras", "unknown field; expected one of"),
    (lambda s: s.replace("repetitions = 2", "repetitions = true"),
     "study.repetitions", "expected an integer, got True"),
    (lambda s: s + '\n[nations.Japan]\nadjective = "Japanese"\nlanguage = "Japanese"\n'
                   'capital = "Tokyo"\n',
     "nations.Japan.capital", "unknown field; expected one of ['adjective', 'language', 'note']"),
    (lambda s: s.replace("temperature = 0.7", 'temperature = "warm"', 1),
     "models[0] (alpha).temperature", "expected a number, got 'warm'"),
    (lambda s: s.replace('kind = "openai"', 'kind = "openai"\nmode = "sometimes"'),
     "providers.p.mode", 'expected "online" or "batch", got \'sometimes\''),
])
def test_the_model_names_the_field_and_what_was_expected(tmp_path: Path, change, field: str,
                                                         words: str) -> None:
    path = tmp_path / "bad.toml"
    path.write_text(change(GOOD), encoding="utf-8")
    with pytest.raises(InputError) as caught:
        load_study(path)
    assert caught.value.column == field and words in str(caught.value)
    assert str(path) in str(caught.value)
