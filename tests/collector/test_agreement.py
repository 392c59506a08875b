"""Readout agreement and repetition reliability on tables with known answers."""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd
import pytest
from collect.collector.agreement import readout_agreement, readout_cells, repetition_reliability
from collect.collector.study import load_study

from tests.collector.studyfiles import write_study


def _calls(rating_of: dict[tuple[int, int], float], model: str = "alpha") -> pd.DataFrame:
    rows = [{"model": model, "instrument": "mini", "language": "English", "persona": "none",
             "item": item, "iteration": iteration, "rating": rating, "status": "valid"}
            for (item, iteration), rating in rating_of.items()]
    return pd.DataFrame(rows)


def test_consistent_repetitions_are_fully_reliable() -> None:
    calls = _calls({(item, it): item for item in range(1, 5) for it in range(4)})
    (row,) = repetition_reliability(calls).itertuples(index=False)
    assert (row.items, row.repetitions, row.mean_item_sd) == (4, 4, 0)
    assert row.split_half_r == pytest.approx(1) and row.split_half_reliability == pytest.approx(1)


def test_halves_that_disagree_have_no_reliability() -> None:
    calls = _calls({(item, it): item if it % 2 == 0 else 5 - item
                    for item in range(1, 5) for it in range(4)})
    (row,) = repetition_reliability(calls).itertuples(index=False)
    assert row.split_half_r == pytest.approx(-1) and math.isnan(row.split_half_reliability)
    # each item alternates between item and 5 - item: sd over 4 answers
    expected_sd = pd.Series([pd.Series([i, 5 - i, i, 5 - i]).std() for i in range(1, 5)]).mean()
    assert row.mean_item_sd == pytest.approx(expected_sd)


def test_readout_agreement_pairs_a_model_with_its_logprob_twin(tmp_path: Path) -> None:
    study_file = write_study(tmp_path, "http://127.0.0.1:9/v1", models={"alpha": "scripted"})
    study_file.write_text(study_file.read_text().replace(
        "[instruments.mini]",
        '[[models]]\nid = "alpha-lp"\norigin = "USA"\nprovider = "scripted"\n'
        'api_model = "alpha-api"\nreadout = "logprob"\n\n[instruments.mini]'))
    study = load_study(study_file)
    calls = _calls({(item, it): item + it % 2 for item in range(1, 4) for it in range(2)})
    readouts = pd.DataFrame({"model": "alpha-lp", "instrument": "mini", "language": "English",
                             "persona": "none", "item": [1, 2, 3],
                             "expected_rating": [2.0, 3.0, 4.0]})
    cells = readout_cells(study, calls, readouts)
    assert cells["sampled_mean"].tolist() == [1.5, 2.5, 3.5]
    assert cells["sampled_answers"].tolist() == [2, 2, 2]
    (row,) = readout_agreement(cells).itertuples(index=False)
    assert (row.sampled_model, row.logprob_model, row.cells) == ("alpha", "alpha-lp", 3)
    assert row.pearson_r == pytest.approx(1) and row.mean_abs_diff == pytest.approx(0.5)
