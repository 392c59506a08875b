"""What a study has beyond the published design (LLMs of another origin, other personas, other
languages) is carried through the similarity tables, described beside the compared rows and
labelled so that R's two-nation contrasts leave it out; the compared rows stay as they were."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pyreadr
import pytest
from collect.cli import app
from collect.data import schema
from collect.errors import InputError
from collect.paths import PATHS
from collect.similarity.run import run_similarity
from collect.similarity.zscore import zscore_rows
from typer.testing import CliRunner

KEY = ["respondent", "nationality", "llm", "language", "persona", "removed"]


def rds(out: Path, table: str) -> pd.DataFrame:
    frame = pyreadr.read_r(out / "paper" / "mfq2" / f"{table}.rds")[None]
    return frame.astype({c: str for c in frame.columns if frame[c].dtype.name == "category"})


def similarity(canonical: Path, out: Path, study_file: Path | None = None) -> str:
    args = ["similarity", "--instrument", "mfq2", "--canonical", str(canonical), "--out",
            str(out)]
    result = CliRunner().invoke(app, [*args, *(["--study", str(study_file)] if study_file
                                               else [])])
    assert result.exit_code == 0, result.output
    return result.output


def test_an_llm_of_another_origin_is_carried_and_labelled(synthetic_canonical: Path,
                                                          tmp_path: Path) -> None:
    similarity(synthetic_canonical, tmp_path / "before")
    models = schema.read_table(schema.MODELS, synthetic_canonical)
    models.loc[models["model"] == "llm-us-b", "origin"] = "Japan"
    schema.write_table(models, schema.MODELS, synthetic_canonical)
    out = tmp_path / "derived"
    said = similarity(synthetic_canonical, out)
    assert "origins ['Japan'] are described beside origins ['China', 'USA']" in said
    manifest = json.loads((out / "paper" / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["options"]["described_only"]["origins"] == ["Japan"]
    for table in ("rq1", "rq2", "rq3"):
        before, after = rds(tmp_path / "before", table), rds(out, table)
        # The same rows and cosines; only the LLM's origin and what it makes congruent differ.
        assert before[KEY].equals(after[KEY])
        np.testing.assert_array_equal(before["cosine"], after["cosine"])
        mine = after["llm"] == "llm-us-b"
        assert set(after.loc[mine, "llm_origin"]) == {"Japan"}
        assert not after.loc[mine, "congruent_origin"].any()
        assert before.loc[~mine, "llm_origin"].equals(after.loc[~mine, "llm_origin"])
    for table in ("metric_llm", "alignment", "contributions", "placement"):
        frame = rds(out, table)
        assert set(frame.loc[frame["llm"] == "llm-us-b", "llm_origin"]) == {"Japan"}, table


@pytest.fixture
def with_japan(synthetic_canonical: Path, tmp_path: Path) -> tuple[Path, Path]:
    """The synthetic study with a Japan persona answered like the China persona and Japanese
    prompts answered like the English ones; and a study file naming them."""
    ratings = schema.read_table(schema.LLM_RATINGS, synthetic_canonical)
    japan_persona = ratings[ratings["persona"] == "China"].assign(persona="Japan")
    japanese = ratings[ratings["language"] == "English"].assign(language="Japanese")
    japanese_japan = japanese[japanese["persona"] == "China"].assign(persona="Japan")
    schema.write_table(pd.concat([ratings, japan_persona, japanese, japanese_japan]),
                       schema.LLM_RATINGS, synthetic_canonical)
    text = PATHS.shipped_study.read_text(encoding="utf-8")
    text = text.replace('personas = ["none", "China", "USA"]',
                        'personas = ["none", "China", "USA", "Japan"]', 1)
    text = text.replace('languages = ["English", "Chinese"]',
                        'languages = ["English", "Chinese", "Japanese"]', 1)
    text += '\n[nations.Japan]\nadjective = "Japanese"\nlanguage = "Japanese"\n'
    study_file = tmp_path / "japan.toml"
    study_file.write_text(text, encoding="utf-8")
    return synthetic_canonical, study_file


def test_other_personas_and_languages_are_described_on_the_compared_scale(
    with_japan: tuple[Path, Path], tmp_path: Path
) -> None:
    canonical, study_file = with_japan
    out = tmp_path / "derived"
    said = similarity(canonical, out, study_file)
    assert "personas ['Japan'] are described beside" in said
    assert "languages ['Japanese'] are described beside" in said
    manifest = json.loads((out / "paper" / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["options"]["described_only"] == {"origins": [], "languages": ["Japanese"],
                                                     "personas": ["Japan"]}
    rq2 = rds(out, "rq2")
    compared = rq2["persona"].isin(["China", "USA"]) & rq2["language"].isin(
        ["English", "Chinese"])
    described = rq2[~compared]
    assert set(zip(described["language"], described["persona"], strict=True)) == {
        ("English", "Japan"), ("Chinese", "Japan"), ("Japanese", "China"),
        ("Japanese", "USA"), ("Japanese", "Japan")}
    def cosines(persona: str, language: str) -> np.ndarray:
        rows = rq2[(rq2["persona"] == persona) & (rq2["language"] == language)]
        return rows.sort_values(["nationality", "respondent", "llm"])["cosine"].to_numpy()

    for language in ("English", "Chinese", "Japanese"):
        # The Japan persona answered as the China persona: on the compared scale, the same.
        np.testing.assert_allclose(cosines("Japan", language), cosines("China", language),
                                   atol=1e-12)
    for persona in ("China", "USA", "Japan"):
        # Japanese prompts answered as the English ones: the same cosines as English.
        np.testing.assert_allclose(cosines(persona, "Japanese"), cosines(persona, "English"),
                                   atol=1e-12)
    assert described["congruent_persona"].notna().all()
    assert not described.loc[described["persona"] == "Japan", "congruent_persona"].any()
    assert not described.loc[described["language"] == "Japanese", "congruent_language"].any()
    # The compared rows are those of a run without the study's other personas and languages.
    plain = tmp_path / "plain"
    ratings = schema.read_table(schema.LLM_RATINGS, canonical)
    schema.write_table(ratings[ratings["persona"].isin(["none", "China", "USA"])
                               & ratings["language"].isin(["English", "Chinese"])],
                       schema.LLM_RATINGS, canonical)
    similarity(canonical, plain)
    for table in ("rq1", "rq2", "rq3", "rq3_persona", "metric_llm", "placement"):
        before, after = rds(plain, table), rds(out, table)
        if table in ("rq2", "placement"):
            after = after[after["persona"].isin(["none", "China", "USA"])
                          & after["language"].isin(["English", "Chinese"])]
        pd.testing.assert_frame_equal(before.reset_index(drop=True),
                                      after.reset_index(drop=True), check_categorical=False)
    placement = rds(out, "placement")
    assert {"Japan"} <= set(placement["persona"]) and {"Japanese"} <= set(placement["language"])


def test_a_described_persona_is_z_scored_with_the_compared_personas_scale(
    with_japan: tuple[Path, Path], tmp_path: Path
) -> None:
    """MFQ-2's persona rows share one scale per (LLM, language): the China and USA persona
    ratings pooled; a Japan persona vector is placed on that scale, computed here by hand."""
    canonical, study_file = with_japan
    ratings = schema.read_table(schema.LLM_RATINGS, canonical)
    mine = (ratings["persona"] == "Japan") & (ratings["model"] == "llm-cn-a") & (
        ratings["instrument"] == "mfq2")
    ratings.loc[mine, "mean"] = ratings.loc[mine, "item"].astype(int) % 5 + 1.0
    schema.write_table(ratings, schema.LLM_RATINGS, canonical)
    out = tmp_path / "derived"
    similarity(canonical, out, study_file)
    rq2 = rds(out, "rq2")
    humans = schema.read_table(schema.HUMAN_RESPONSES, canonical)
    usa = humans[(humans["nationality"] == "USA") & (humans["instrument"] == "mfq2")]
    respondent = int(rq2.loc[rq2["nationality"] == "USA", "respondent"].iloc[0])
    rating = usa[usa["respondent"] == respondent].sort_values("item")["rating"].to_numpy(float)
    human = zscore_rows(rating[None, :])[0][0]
    llm = ratings[(ratings["model"] == "llm-cn-a") & (ratings["instrument"] == "mfq2")
                  & (ratings["language"] == "English")]

    def vector(persona: str) -> np.ndarray:
        return llm[llm["persona"] == persona].sort_values("item")["mean"].to_numpy(float)

    pool = np.concatenate([vector("China"), vector("USA")])
    z = (vector("Japan") - pool.mean()) / pool.std(ddof=1)
    want = z @ human / np.linalg.norm(z) / np.linalg.norm(human)
    row = rq2[(rq2["llm"] == "llm-cn-a") & (rq2["persona"] == "Japan")
              & (rq2["language"] == "English") & (rq2["nationality"] == "USA")
              & (rq2["respondent"] == respondent)]
    assert row["cosine"].tolist() == pytest.approx([want], abs=1e-12)


def test_a_described_condition_without_answers_is_set_aside_and_said(
    with_japan: tuple[Path, Path], tmp_path: Path
) -> None:
    canonical, study_file = with_japan
    ratings = schema.read_table(schema.LLM_RATINGS, canonical)
    gone = (ratings["persona"] == "Japan") & (ratings["model"] == "llm-us-a") & (
        ratings["language"] == "Chinese") & (ratings["item"].astype(int) == 3)
    schema.write_table(ratings.loc[~gone], schema.LLM_RATINGS, canonical)
    out = tmp_path / "derived"
    said = similarity(canonical, out, study_file)
    assert "llm-us-a in Chinese with persona Japan is not described" in said
    manifest = json.loads((out / "paper" / "manifest.json").read_text(encoding="utf-8"))
    aside = manifest["instruments"]["mfq2"]["tables"]["rq2"]["described_set_aside"]
    assert [(a["model"], a["language"], a["persona"]) for a in aside] == [
        ("llm-us-a", "Chinese", "Japan")]
    rq2 = rds(out, "rq2")
    theirs = rq2[(rq2["llm"] == "llm-us-a") & (rq2["persona"] == "Japan")]
    assert set(theirs["language"]) == {"English", "Japanese"}
    assert "llm-us-a" in manifest["instruments"]["mfq2"]["tables"]["rq2"]["kept_llms"]


def test_without_a_study_other_languages_are_refused_by_name(
    with_japan: tuple[Path, Path], tmp_path: Path
) -> None:
    canonical, _ = with_japan
    with pytest.raises(InputError, match=r"language values \['Japanese'\].*--study"):
        run_similarity(canonical, tmp_path / "out", "paper", ["mfq2"], tmp_path / "none.csv",
                       say=lambda _: None)
