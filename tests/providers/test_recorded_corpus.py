"""Every answer of the corpus (tests/providers/recorded/) read by the real client over HTTP."""

from __future__ import annotations

import json
import tomllib
from pathlib import Path

import pytest
from collect.collector.providers.base import ChatResult, ProviderError, TransientError
from collect.collector.runner import MAX_CONSECUTIVE_PERMANENT, MAX_THROTTLE_ROUNDS

from tests.providers.corpus import (
    DOCS,
    CorpusError,
    Expected,
    RecordedCase,
    load_case,
    load_corpus,
    render_table,
    table_in_docs,
)
from tests.providers.scripted_calls import CASES, FAKE_KEY, assert_key_hidden, call_once
from tests.servers.recorded import Replaying
from tests.servers.scripted import ScriptedServer

CORPUS = load_corpus()
SHIPPED_STUDY = Path(__file__).parents[2] / "studies" / "made_in_china.toml"
# The shipped study's providers and the corpus folder of each.
FAMILY_OF = {
    "openai": "openai",
    "deepseek": "deepseek",
    "moonshot": "moonshot",
    "bigmodel": "zhipu",
    "dashscope": "dashscope",
    "fireworks": "fireworks",
    "novita": "novita",
    "anthropic": "anthropic",
    "gemini": "gemini",
}
# Providers of the shipped study without corpus cases, and why.
NOT_IN_CORPUS = {
    "llmapi": "no public record of its answers was found",
    "huggingface_local": "a server the user runs; tests/providers/test_local_model.py covers it",
}


def check_outcome(outcome: object, expected: Expected, status: int) -> None:
    """`outcome` (a ChatResult or the error raised) is what the corpus says it should be."""
    if expected.class_ in ("answer", "refusal"):
        assert isinstance(outcome, ChatResult), outcome
        if expected.class_ == "answer":
            assert (outcome.outcome, outcome.text) == ("ok", expected.text)
        else:
            assert (outcome.outcome, outcome.vendor_code) == ("refused", expected.vendor_code)
        return
    assert isinstance(outcome, ProviderError), outcome
    assert outcome.error_class is expected.error_class, outcome
    assert outcome.error_class.category == expected.class_
    # An HTTP error keeps its status; an unusable 200 (no text) is no HTTP error.
    assert outcome.http_status == (status if status >= 300 else None)
    assert isinstance(outcome, TransientError) == (expected.class_ == "transient")
    if isinstance(outcome, TransientError):
        if expected.retry_after_s is None:
            assert outcome.retry_after_s is None
        else:
            assert outcome.retry_after_s == pytest.approx(expected.retry_after_s)


@pytest.mark.parametrize("case", CORPUS, ids=lambda case: case.id)
def test_recorded_answer_is_classified_by_its_client(case: RecordedCase) -> None:
    protocol = Replaying(CASES[case.client].protocol(), case.reply(), when=lambda call: True)
    with ScriptedServer(protocol, api_key=FAKE_KEY) as server:
        outcome = call_once(server, case.client)
        assert server.request_count == 1
    check_outcome(outcome, case.expected, case.status)
    assert_key_hidden(outcome)


def test_corpus_covers_every_vendor_of_the_shipped_study() -> None:
    providers = tomllib.loads(SHIPPED_STUDY.read_text(encoding="utf-8"))["providers"]
    assert set(providers) == set(FAMILY_OF) | set(NOT_IN_CORPUS)
    by_family: dict[str, set[str]] = {}
    for case in CORPUS:
        by_family.setdefault(case.provider, set()).add(case.client)
    for name, family in FAMILY_OF.items():
        assert by_family.get(family) == {providers[name]["kind"]}, name
    assert by_family["dashscope_native"] == {"dashscope"}  # the native protocol, too
    assert len(CORPUS) >= 40


def test_corpus_holds_each_kind_of_answer() -> None:
    classes = {case.expected.class_ for case in CORPUS}
    assert {"answer", "refusal", "transient", "quota stop", "model quota stop", "auth stop",
            "model gone", "bad request"} <= classes
    shapes = " ".join(json.dumps(case.parsed_body()) for case in CORPUS if case.status == 200)
    for reasoning in ('"reasoning_content"', '"type": "thinking"', '"thought": true'):
        assert reasoning in shapes  # reasoning beside the answer, never taken as it
    assert any(case.raw_body and case.raw_body.startswith("\n") for case in CORPUS)
    assert sum(case.recorded for case in CORPUS) >= 25


def test_docs_table_is_generated_from_the_corpus() -> None:
    text = DOCS.read_text(encoding="utf-8")
    assert table_in_docs(text) == render_table(CORPUS), (
        "docs/providers.md is out of date: run python -m tests.providers.corpus --write"
    )
    # The runner's bounds, as the class table above the corpus table states them.
    assert f"after {MAX_THROTTLE_ROUNDS} consecutive rounds" in text
    assert f"{MAX_CONSECUTIVE_PERMANENT} in a row stop the model" in text


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"expected": {"class": "answr", "text": "3"}}, "expected.class is 'answr'"),
        ({"expected": {"class": "quota stop", "error_class": "rate_limited"}},
         "'rate_limited' is a 'transient', not a 'quota stop'"),
        ({"source": {"provenance": "recorded", "repository": "a/b", "where": "issue 1"}},
         "field 'url' is missing"),
        ({"raw_body": "{}"}, "exactly one of 'body' and 'raw_body'"),
    ],
)
def test_a_broken_case_names_its_file_and_field(
    tmp_path: Path, change: dict[str, object], message: str
) -> None:
    data = json.loads(CORPUS[0].path.read_text(encoding="utf-8")) | change
    path = tmp_path / CORPUS[0].provider / "broken.json"
    path.parent.mkdir()
    path.write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(CorpusError, match=str(path)) as raised:
        load_case(path)
    assert message in str(raised.value)
