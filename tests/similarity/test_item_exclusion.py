"""The two exclusion rules of `moralign similarity` (docs/methods.md section 1.7): the paper's
drops an LLM with an unanswered item; the alternative drops the item, for everyone, when some LLM
answered it validly fewer times than a stated minimum."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pyreadr
import pytest
from collect.cli import app
from collect.data import schema
from typer.testing import CliRunner

from tests.similarity.synthetic import ORIGINS


def similarity(*args: str):
    return CliRunner().invoke(app, ["similarity", "--instrument", "mfq2", *args],
                              catch_exceptions=False)


def with_counts(canonical: Path, n_valid: int = 5) -> pd.DataFrame:
    """Every MFQ-2 item mean counted as resting on `n_valid` valid answers, as after an import of
    exported answers; returns the ratings written."""
    ratings = schema.read_table(schema.LLM_RATINGS, canonical)
    ratings["n_valid"] = pd.array([n_valid] * len(ratings), dtype="Int64")
    schema.write_table(ratings, schema.LLM_RATINGS, canonical)
    return ratings


def set_count(canonical: Path, model: str, item: int, n_valid: int) -> None:
    ratings = schema.read_table(schema.LLM_RATINGS, canonical)
    cell = ((ratings["instrument"] == "mfq2") & (ratings["model"] == model)
            & (ratings["item"] == item) & (ratings["language"] == "English")
            & (ratings["persona"] == "none"))
    assert cell.sum() == 1
    ratings.loc[cell, "n_valid"] = n_valid
    schema.write_table(ratings, schema.LLM_RATINGS, canonical)


def manifest(out: Path) -> dict:
    return json.loads((out / "paper" / "manifest.json").read_text(encoding="utf-8"))


def test_the_papers_rule_drops_the_llm_with_an_unanswered_item(synthetic_canonical: Path,
                                                              tmp_path: Path) -> None:
    with_counts(synthetic_canonical)
    set_count(synthetic_canonical, "llm-cn-a", 7, 0)
    out = tmp_path / "derived"
    assert similarity("--canonical", str(synthetic_canonical), "--out", str(out)).exit_code == 0
    mfq = manifest(out)["instruments"]["mfq2"]
    assert mfq["options"]["exclusion"] == "llm" and mfq["dropped_items"] == []
    rq1 = mfq["tables"]["rq1"]
    assert [d["model"] for d in rq1["dropped_llms"]] == ["llm-cn-a"]
    assert "English/none: items 7" in rq1["dropped_llms"][0]["reason"]


def test_the_item_rule_keeps_every_llm_and_drops_the_item_for_everyone(
        synthetic_canonical: Path, tmp_path: Path) -> None:
    with_counts(synthetic_canonical)
    set_count(synthetic_canonical, "llm-cn-a", 7, 0)
    set_count(synthetic_canonical, "llm-us-b", 13, 2)  # answered, but under the minimum of 3
    set_count(synthetic_canonical, "llm-us-a", 19, 3)  # exactly the minimum: kept
    out = tmp_path / "derived"
    result = similarity("--canonical", str(synthetic_canonical), "--out", str(out),
                        "--exclusion", "item", "--min-valid-answers", "3")
    assert result.exit_code == 0, result.output
    assert "items [7, 13] dropped for every LLM and respondent" in result.output
    mfq = manifest(out)["instruments"]["mfq2"]
    assert mfq["options"]["exclusion"] == "item"
    assert mfq["options"]["min_valid_answers"] == 3
    assert mfq["dropped_items"] == [7, 13]
    for name, table in mfq["tables"].items():
        assert table["dropped_llms"] == [], name
        assert sorted(table["kept_llms"]) == sorted(ORIGINS), name
    zscores = pyreadr.read_r(out / "paper" / "mfq2" / "zscores.rds")[None]
    assert {7, 13} & set(zscores["item"].astype(int)) == set()
    assert 19 in set(zscores["item"].astype(int))


def test_a_minimum_above_one_needs_counted_answers(synthetic_canonical: Path,
                                                   tmp_path: Path) -> None:
    ratings = schema.read_table(schema.LLM_RATINGS, synthetic_canonical)
    assert ratings["n_valid"].isna().all()  # as the release's item means
    result = CliRunner().invoke(app, [
        "similarity", "--instrument", "mfq2", "--canonical", str(synthetic_canonical), "--out",
        str(tmp_path / "derived"), "--exclusion", "item", "--min-valid-answers", "2"])
    assert result.exit_code != 0
    assert "n_valid" in str(result.exception) + result.output


@pytest.mark.parametrize("minimum", ["0", "-1"])
def test_the_minimum_is_at_least_one(synthetic_canonical: Path, tmp_path: Path,
                                     minimum: str) -> None:
    result = CliRunner().invoke(app, [
        "similarity", "--canonical", str(synthetic_canonical), "--out", str(tmp_path / "d"),
        "--exclusion", "item", "--min-valid-answers", minimum])
    assert result.exit_code == 2
