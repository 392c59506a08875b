"""Presentation of the options and wording of the instruction as design factors: rendered,
assigned, recoded, stored (with the migration of older databases), collected from a scripted
server through a kill, and exported."""

from __future__ import annotations

import re
import signal
import sqlite3
from collections import Counter
from pathlib import Path

import pandas as pd
import pytest
from collect.collector.design import plan_calls
from collect.collector.prompts import render_prompts
from collect.collector.store import Store
from collect.collector.study import load_study
from collect.core.presentation import combinations, to_published_scale

from tests.collector.cli_runs import run_collect, start_collect, stored_key_counts, wait_for_rows
from tests.collector.studyfiles import (
    ITEMS,
    LABELS,
    LANGUAGES,
    TEST_KEY,
    calls_per_model,
    counterbalanced_toml,
    write_counterbalanced_study,
)
from tests.collector.test_store import _record
from tests.collector.test_study import _bad
from tests.servers.openai_chat import OpenAIChat
from tests.servers.scripted import ScriptedServer

URL = "http://127.0.0.1:9/v1"
OPTION = re.compile(r"^(\d+): (.+)$", re.MULTILINE)
COMBINATIONS = [(p, v) for p in ("published", "reversed", "renumbered") for v in ("base", "terse")]


def _options(user: str) -> list[tuple[int, str]]:
    return [(int(number), label) for number, label in OPTION.findall(user)]


def test_options_are_listed_as_each_presentation_says(tmp_path: Path) -> None:
    study = load_study(write_counterbalanced_study(tmp_path, URL))
    labels = LABELS["English"]
    shown = {p: _options(render_prompts(study, "mini", "English", "none", 1, p)[1])
             for p in ("published", "reversed", "renumbered")}
    assert shown["published"] == list(zip(range(1, 6), labels, strict=True))
    assert shown["reversed"] == list(zip(range(5, 0, -1), reversed(labels), strict=True))
    assert shown["renumbered"] == list(zip(range(1, 6), reversed(labels), strict=True))
    system, user = render_prompts(study, "mini", "Chinese", "USA", 2, "reversed", "terse")
    assert system == "您来自美国。\n只回复一个数字。"
    assert user.startswith("如果每个人都赚同样多的钱") and user.endswith("1: 一点也不")


def test_a_renumbered_rating_is_recoded_to_the_published_scale() -> None:
    assert [to_published_scale(r, "renumbered", 1, 5) for r in (1, 2, 5)] == [5, 4, 1]
    assert [to_published_scale(r, "renumbered", 1, 10) for r in (1, 10)] == [10, 1]
    assert to_published_scale(2, "reversed", 1, 5) == 2
    assert to_published_scale(None, "renumbered", 1, 5) is None


def test_counterbalanced_assignment_gives_each_cell_every_combination_once(
    tmp_path: Path,
) -> None:
    study = load_study(write_counterbalanced_study(tmp_path, URL, repetitions=12))
    assert combinations(study, study.instruments["mini"]) == COMBINATIONS
    planned = plan_calls(study)
    assert len(planned) == 2 * calls_per_model(12)
    per_cell: dict[tuple[object, ...], Counter[tuple[str, str]]] = {}
    for call in planned:
        key = call.key
        assert (call.presentation, call.variant) == COMBINATIONS[key.iteration % 6]
        cell = (key.model, key.language, key.persona, key.item)
        per_cell.setdefault(cell, Counter())[call.presentation, call.variant] += 1
    assert all(counts == dict.fromkeys(COMBINATIONS, 2) for counts in per_cell.values())
    # the prompt follows the assignment
    reversed_call = next(c for c in planned if c.presentation == "reversed")
    assert _options(reversed_call.request.user)[0][0] == 5


def test_random_assignment_is_seeded_and_covers_every_combination(tmp_path: Path) -> None:
    path = write_counterbalanced_study(tmp_path, URL, repetitions=5, assignment="random")
    first = [(c.presentation, c.variant) for c in plan_calls(load_study(path))]
    assert first == [(c.presentation, c.variant) for c in plan_calls(load_study(path))]
    assert set(first) == set(COMBINATIONS)  # 120 draws from six combinations
    path.write_text(path.read_text().replace('assignment = "random"',
                                             'assignment = "random"\nassignment_seed = 7'))
    other = [(c.presentation, c.variant) for c in plan_calls(load_study(path))]
    assert other != first


# (text in the study file, its replacement, the field the error names, words of the error)
BAD_FACTORS = [
    ('options = ["Not at all", "Slightly", "Moderately", "Fairly well", "Extremely well"]', "",
     "templates.mini.English", "need the option labels"),
    ('"Fairly well", ', "", "templates.mini.English.options", "expected 5 option labels"),
    ("repetitions = 6", "repetitions = 4", "study.repetitions", "must be a multiple of the 6"),
    ("Chinese.variants.terse]", "Chinese.variants.short]", "templates.mini",
     "every language must name the same variants"),
    ("variants.terse]", "variants.base]", "templates.mini.English.variants",
     "names the template's own wording"),
    ('"reversed", "renumbered"', '"reversed", "sideways"', "study.presentations[2]", "expected"),
]


@pytest.mark.parametrize(("old", "new", "field", "words"), BAD_FACTORS)
def test_bad_design_factors_name_the_field(tmp_path: Path, old: str, new: str, field: str,
                                           words: str) -> None:
    error = _bad(tmp_path, counterbalanced_toml(URL).replace(old, new))
    assert field in str(error) and words in str(error)


def test_shipped_and_example_studies(tmp_path: Path) -> None:
    root = Path(__file__).resolve().parents[2]
    shipped = plan_calls(load_study(root / "studies" / "made_in_china.toml"))
    assert {(c.presentation, c.variant) for c in shipped} == {("published", "base")}
    example = load_study(root / "studies" / "example_counterbalanced.toml")
    planned = plan_calls(example)
    for name, spec in example.instruments.items():
        pairs = Counter((c.presentation, c.variant) for c in planned if c.key.instrument == name)
        assert len(pairs) == len(combinations(example, spec)) > 2
        assert len(set(pairs.values())) == 1  # balanced


def test_a_schema_2_database_gets_the_design_factors(tmp_path: Path) -> None:
    study = load_study(write_counterbalanced_study(tmp_path, URL))
    planned = plan_calls(study)
    db = tmp_path / "db.sqlite"
    with Store(db) as store:
        run = store.start_run("mini", 2, 2)
        store.record(planned[0], _record(), run)
    with sqlite3.connect(db) as conn:  # the table as schema 2 had it
        conn.executescript(
            "ALTER TABLE calls DROP COLUMN presentation; ALTER TABLE calls DROP COLUMN variant; "
            "UPDATE meta SET value = '2' WHERE key = 'schema_version';")
        assert "presentation" not in {r[1] for r in conn.execute("PRAGMA table_info(calls)")}
    with Store(db, read_only=True) as store:
        frame = store.frame("mini")
        assert frame[["presentation", "variant"]].values.tolist() == [["published", "base"]]
    with Store(db) as store:
        version = store.db.execute("SELECT value FROM meta WHERE key = 'schema_version'")
        assert version.fetchone() == ("3",)
        reversed_call = next(c for c in planned if c.presentation == "renumbered")
        store.record(reversed_call, _record(), 1)
        frame = store.frame("mini")
    assert sorted(frame["presentation"]) == ["published", "renumbered"]
    assert len(frame) == 2


# The rating a model without position bias gives each item, whatever the options' order.
TRUE_RATING = {1: 4, 2: 2, 3: 5}


def _by_label(call: object) -> str:
    """A model without position bias: it picks its option by the label, not the position."""
    user: str = call.user  # type: ignore[attr-defined]
    item, language = next((item, language) for item, texts in ITEMS.items()
                          for language, text in zip(LANGUAGES, texts, strict=True)
                          if text in user)
    label = LABELS[language][TRUE_RATING[item] - 1]
    return str(next(n for n, text in _options(user) if text == label))


def _first_listed(call: object) -> str:
    """A model that always answers the first listed option's number."""
    return str(_options(call.user)[0][0])  # type: ignore[attr-defined]


def _server(answer, **options: object) -> ScriptedServer:
    return ScriptedServer(OpenAIChat(), api_key=TEST_KEY, answer=answer,  # type: ignore[arg-type]
                          **options)


def test_collection_recodes_and_exports_every_calls_presentation(tmp_path: Path) -> None:
    db, out = tmp_path / "calls.sqlite", tmp_path / "export"
    with _server(_first_listed) as server:
        study = str(write_counterbalanced_study(tmp_path, server.api_base))
        result = run_collect("run", "--study", study, "--db", str(db))
        assert result.returncode == 0, result.stderr
        exported = run_collect("export", "--study", study, "--db", str(db), "--out", str(out))
        assert exported.returncode == 0, exported.stderr
    calls = pd.read_csv(out / "llm_mfq_calls.csv")
    assert len(calls) == 2 * calls_per_model(6)
    expected = {"published": 1.0, "reversed": 5.0, "renumbered": 5.0}  # the first listed option
    assert calls["llm_response"].tolist() == calls["presentation"].map(expected).tolist()
    assert Counter(zip(calls["presentation"], calls["variant"], strict=True)) == dict.fromkeys(
        COMBINATIONS, len(calls) // 6)
    means = pd.read_csv(out / "llm_mfq_responses.csv")
    assert means["llm_response"].tolist() == pytest.approx([11 / 3] * len(means))


def test_counterbalanced_collection_resumes_after_a_kill(tmp_path: Path) -> None:
    db, out = tmp_path / "calls.sqlite", tmp_path / "export"
    planned = 2 * calls_per_model(6)
    with _server(_by_label, latency_s=0.1) as server:
        study = str(write_counterbalanced_study(tmp_path, server.api_base))
        process = start_collect("run", "--study", study, "--db", str(db), log=tmp_path / "log")
        wait_for_rows(db, 20, process)
        process.send_signal(signal.SIGKILL)
        assert process.wait(timeout=30) == -signal.SIGKILL
        sent_before = server.request_count
        with sqlite3.connect(db) as conn:
            stored = conn.execute("SELECT count(*) FROM calls").fetchone()[0]
        assert 20 <= stored < planned
        rerun = run_collect("run", "--study", study, "--db", str(db))
        assert rerun.returncode == 0, rerun.stderr
        assert server.request_count - sent_before == planned - stored
        exported = run_collect("export", "--study", study, "--db", str(db), "--out", str(out))
        assert exported.returncode == 0, exported.stderr
    assert stored_key_counts(db) == (planned, planned, 1, 1)
    calls = pd.read_csv(out / "llm_mfq_calls.csv")
    plan = {(c.key.model, c.key.language, c.key.persona, c.key.item, c.key.iteration):
            (c.presentation, c.variant) for c in plan_calls(load_study(study))}
    shown = {(r.LLM, r.language, r.persona, r.item, r.iteration): (r.presentation, r.variant)
             for r in calls.itertuples()}
    assert shown == plan
    # every answer, whatever its presentation, recoded to the published scale
    assert calls["llm_response"].tolist() == calls["item"].map(TRUE_RATING).tolist()


def test_dry_run_shows_the_design_factors(tmp_path: Path) -> None:
    study = str(write_counterbalanced_study(tmp_path, URL))
    result = run_collect("run", "--study", study, "--db", str(tmp_path / "db"), "--dry-run")
    assert result.returncode == 0, result.stderr
    rows = re.findall(r"│ (published|reversed|renumbered)\s+│ (base|terse)\s+│\s+(\d+) │",
                      result.stdout)
    assert sorted((p, v) for p, v, _ in rows) == sorted(COMBINATIONS)
    assert {int(n) for _, _, n in rows} == {2 * calls_per_model(6) // 6}
    assert "/ renumbered / variant terse" in result.stdout
