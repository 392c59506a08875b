"""The position-bias audit recovers a planted bias: on a study collected from a scripted server
whose model answers the first-listed option with a known probability, and by simulation, where
its intervals cover the planted values at about their stated rate."""

from __future__ import annotations

import random
import re
from collections import Counter
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from collect.collector.position_bias import position_bias
from collect.collector.study import load_study

from tests.collector.runs import run_study
from tests.collector.studyfiles import (
    ITEMS,
    LABELS,
    LANGUAGES,
    TEST_KEY,
    TEST_KEY_ENV,
    write_counterbalanced_study,
)
from tests.servers.openai_chat import OpenAIChat
from tests.servers.scripted import ScriptedServer

BIAS = {"alpha-api": 0.3, "beta-api": 0.0}  # the planted chance of answering the first option
CONTENT = {1: (3, 4, 5), 2: (1, 2, 3), 3: (4, 5, 5)}  # what each item's content draws from
OPTION = re.compile(r"^(\d+): (.+)$", re.MULTILINE)
SCALE = (1, 5)


class BiasedModel:
    """Answers the first listed option with the model's planted chance, otherwise a rating drawn
    from the item's content, shown under its label. Draws are seeded by the prompt and how often
    it was asked, so the answers of a cell do not depend on the order calls arrive in."""

    def __init__(self) -> None:
        self.asked: Counter[tuple[str, str, str]] = Counter()

    def __call__(self, call: object) -> str:
        body, user = call.body, call.user  # type: ignore[attr-defined]
        prompt = (body["model"], call.system, user)  # type: ignore[attr-defined]
        self.asked[prompt] += 1
        draw = random.Random(f"{prompt}/{self.asked[prompt]}")
        options = [(int(n), label) for n, label in OPTION.findall(user)]
        if draw.random() < BIAS[body["model"]]:
            return str(options[0][0])
        item, language = next((i, language) for i, texts in ITEMS.items()
                              for language, text in zip(LANGUAGES, texts, strict=True)
                              if text in user)
        label = LABELS[language][draw.choice(CONTENT[item]) - 1]
        return str(next(n for n, shown in options if shown == label))


def test_the_audit_recovers_a_planted_position_bias(tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(TEST_KEY_ENV, TEST_KEY)
    with ScriptedServer(OpenAIChat(), api_key=TEST_KEY,  # type: ignore[arg-type]
                        answer=BiasedModel()) as server:
        path = write_counterbalanced_study(tmp_path, server.api_base, repetitions=30,
                                           wordings=False)
        report, calls = run_study(path, tmp_path / "db.sqlite")
    assert report.counts["valid"] == len(calls) == 2 * 3 * 2 * 2 * 30
    table = position_bias(load_study(path), calls).set_index(["model", "presentation"])
    assert set(table.index) == {(m, p) for m in ("alpha", "beta")
                                for p in ("reversed", "renumbered")}
    span = SCALE[1] - SCALE[0]
    for (model, _), row in table.iterrows():
        bias = BIAS[f"{model}-api"]
        assert row["cells"] == 12 and row["answers"] == 12 * 20
        assert row["shift_low"] <= bias * span <= row["shift_high"]
        assert row["first_low"] <= bias <= row["first_high"]
        assert row["last_excess"] == pytest.approx(-row["first_excess"])
    alpha = table.loc["alpha"]
    assert (alpha["first_low"] > 0).all() and (alpha["shift_low"] > 0).all()


def _simulated_calls(rng: np.random.Generator, bias: float, per_cell: int) -> pd.DataFrame:
    """Calls of one model: 12 cells, `per_cell` answers under each order."""
    rows = []
    for language in LANGUAGES:
        for persona in ("none", "USA"):
            for item, content in CONTENT.items():
                for presentation, first in (("published", SCALE[0]), ("reversed", SCALE[1])):
                    biased = rng.random(per_cell) < bias
                    ratings = np.where(biased, first, rng.choice(content, per_cell))
                    rows += [("alpha", "mini", language, persona, item, presentation, r,
                              "valid") for r in ratings]
    return pd.DataFrame(rows, columns=["model", "instrument", "language", "persona", "item",
                                       "presentation", "rating", "status"])


@pytest.mark.parametrize("bias", [0.0, 0.3])
def test_the_audit_intervals_cover_at_their_level(tmp_path: Path, bias: float) -> None:
    study = load_study(write_counterbalanced_study(tmp_path, "http://127.0.0.1:9/v1",
                                                   presentations=("published", "reversed"),
                                                   wordings=False, repetitions=2))
    rng = np.random.default_rng(20261208)
    covered: Counter[str] = Counter()
    draws = 300
    for _ in range(draws):
        row = position_bias(study, _simulated_calls(rng, bias, 10)).iloc[0]
        covered["shift"] += row["shift_low"] <= bias * 4 <= row["shift_high"]
        covered["first"] += row["first_low"] <= bias <= row["first_high"]
    for name, hits in covered.items():
        assert 0.91 <= hits / draws <= 0.99, (name, hits / draws)
