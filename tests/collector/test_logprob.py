"""The logprob readout: distributions from recorded response shapes, and a real local model."""

from __future__ import annotations

import math
import re
from pathlib import Path

import pandas as pd
import pytest
from collect.collector.design import plan_calls
from collect.collector.logprob import read_distribution, token_positions
from collect.collector.study import load_study
from collect.errors import InputError

from tests.collector.cli_runs import run_collect
from tests.collector.conftest import STUDIES
from tests.collector.studyfiles import write_study
from tests.servers.llama import LOCAL_KEY_ENV, LocalLLM, local_llm  # noqa: F401


def _top(*pairs: tuple[str, float]) -> list[dict[str, object]]:
    return [{"token": token, "logprob": math.log(p), "bytes": list(token.encode())}
            for token, p in pairs]


# The shape of OpenAI's chat completion `choices[0].logprobs` (API reference, "logprobs": content
# entries with token, logprob, bytes and top_logprobs), which llama-cpp-python's server also sends.
OPENAI_SHAPE = {
    "content": [{"token": "4", "logprob": math.log(0.6), "bytes": [52],
                 "top_logprobs": _top(("4", 0.6), ("3", 0.2), (" 4", 0.05), ("5", 0.05),
                                      ("I", 0.04))}],
    "refusal": None,
}


def test_first_token_candidates_make_the_distribution() -> None:
    readout = read_distribution(token_positions(OPENAI_SHAPE), 1, 5)
    assert readout.distribution == pytest.approx({1: 0, 2: 0, 3: 0.2, 4: 0.65, 5: 0.05})
    assert readout.valid_mass == pytest.approx(0.9)
    assert readout.expected == pytest.approx((3 * 0.2 + 4 * 0.65 + 5 * 0.05) / 0.9)
    assert readout.modal == 4 and readout.split == "none"


def test_ten_as_one_token_needs_no_split() -> None:
    positions = [{"token": "10", "logprob": math.log(0.5),
                  "top_logprobs": _top(("10", 0.5), ("1", 0.1), ("7", 0.4))}]
    readout = read_distribution(positions, 1, 10)
    assert readout.distribution[10] == pytest.approx(0.5)
    assert readout.distribution[1] == pytest.approx(0.1)  # the sampled token was not "1"
    assert readout.split == "none"


def test_one_without_a_second_token_and_no_whole_ten_is_unsplit() -> None:
    positions = [{"token": "7", "logprob": math.log(0.6),
                  "top_logprobs": _top(("7", 0.6), ("1", 0.3), ("8", 0.1))}]
    readout = read_distribution(positions, 1, 10)
    assert readout.split == "unsplit"
    assert readout.distribution[1] == pytest.approx(0.3)


def test_one_then_zero_is_split_by_the_second_token() -> None:
    positions = [
        {"token": "1", "logprob": math.log(0.7), "top_logprobs": _top(("1", 0.7), ("8", 0.3))},
        {"token": "0", "logprob": math.log(0.9),
         "top_logprobs": _top(("0", 0.9), ("\n", 0.08), ("1", 0.02))},
    ]
    readout = read_distribution(positions, 1, 10)
    assert readout.split == "second_token"
    assert readout.distribution[10] == pytest.approx(0.63)
    assert readout.distribution[1] == pytest.approx(0.7 * 0.08 + 0.7 * 0.02)  # "11" off scale
    assert readout.distribution[8] == pytest.approx(0.3)
    assert readout.modal == 10
    assert readout.valid_mass == pytest.approx(1.0)


def test_no_digit_means_no_valid_mass() -> None:
    positions = [{"token": "I", "logprob": -0.1, "top_logprobs": _top(("I", 0.9), ("As", 0.1))}]
    readout = read_distribution(positions, 1, 5)
    assert readout.valid_mass == 0 and readout.expected is None and readout.modal is None
    with pytest.raises(ValueError):
        token_positions({"tokens": []})


def test_logprob_models_are_asked_once_per_condition(tmp_path: Path) -> None:
    study_file = write_study(tmp_path, "http://127.0.0.1:9/v1")
    text = study_file.read_text().replace('id = "beta"', 'id = "beta"\nreadout = "logprob"\n'
                                                         'top_logprobs = 5', 1)
    study_file.write_text(text)
    calls = plan_calls(load_study(study_file))
    beta = [c for c in calls if c.key.model == "beta"]
    assert len(beta) == 3 * 2 * 2 and {c.key.iteration for c in beta} == {0}
    assert beta[0].request.extra_body == {"logprobs": True, "top_logprobs": 5}
    assert beta[0].request.max_tokens == 2
    study_file.write_text(text.replace('readout = "logprob"', 'readout = "guess"'))
    with pytest.raises(InputError, match="readout"):
        load_study(study_file)


@pytest.mark.llm
def test_logprob_readout_of_the_local_model(
    local_llm: LocalLLM,  # noqa: F811
    external_items: Path,
    tmp_path: Path,
) -> None:
    text = (STUDIES / "demo_local.toml").read_text(encoding="utf-8")
    text = text.replace('local_server = "smollm2"', f'base_url = "{local_llm.server.base_url}"')
    text = re.sub(r'api_key_env = "[A-Z_]+"', f'api_key_env = "{LOCAL_KEY_ENV}"', text)
    text = text.replace("only_items = [1, 2, 3, 4, 5, 6]", "only_items = [1, 2]")
    study, db, out = tmp_path / "local.toml", tmp_path / "local.sqlite", tmp_path / "out"
    study.write_text(text, encoding="utf-8")
    result = run_collect("run", "--study", str(study), "--db", str(db), timeout=900)
    assert result.returncode in (0, 1), result.stderr  # 1: the tiny model fails quality gates
    export = run_collect("export", "--study", str(study), "--db", str(db), "--out", str(out))
    assert export.returncode == 0, export.stderr
    readouts = pd.read_csv(out / "llm_logprob_readouts.csv")
    assert set(readouts["model"]) == {"smollm2-135m-logprob"}  # the demo's logprob entry only
    assert len(readouts) == 2 * 2 * 3  # items x languages x personas, once each
    assert set(readouts["split"]) <= {"none", "unsplit", "second_token"}
    scale = readouts[[f"p_{r}" for r in range(1, 6)]]
    assert (scale.sum(axis=1) - readouts["valid_mass"]).abs().max() < 1e-9
    assert readouts["valid_mass"].between(0, 1 + 1e-9).all() and readouts["valid_mass"].max() > 0
    rated = readouts.dropna(subset=["expected_rating"])
    assert rated["expected_rating"].between(1, 5).all()
    sampled = pd.read_csv(out / "llm_mfq_responses.csv")
    assert set(sampled["LLM"]) == {"smollm2-135m"}  # the logprob entry stays out of it
