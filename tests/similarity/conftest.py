"""Fixtures of the similarity tests: synthetic canonical tables written to a folder."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from collect.data import schema
from collect.vocab import MFQ2, WVS7

from tests.similarity.synthetic import random_study


def write_canonical(folder: Path, humans: pd.DataFrame, ratings: pd.DataFrame,
                    models: pd.DataFrame) -> Path:
    for frame, spec in ((humans, schema.HUMAN_RESPONSES), (ratings, schema.LLM_RATINGS),
                        (models, schema.MODELS)):
        schema.write_table(frame, spec, folder)
    return folder


@pytest.fixture
def synthetic_canonical(tmp_path: Path) -> Path:
    """MFQ-2 humans and LLMs, WVS-7 LLMs only (as when the user has not supplied the WVS file)."""
    humans, mfq_ratings, models = random_study(MFQ2, seed=3)
    _, wvs_ratings, _ = random_study(WVS7, seed=4)
    return write_canonical(tmp_path / "canonical", humans,
                           pd.concat([mfq_ratings, wvs_ratings]), models)


@pytest.fixture
def synthetic_canonical_with_wvs(tmp_path: Path) -> Path:
    mfq_humans, mfq_ratings, models = random_study(MFQ2, seed=5)
    wvs_humans, wvs_ratings, _ = random_study(WVS7, seed=6, sizes={"China": 7, "USA": 6})
    return write_canonical(tmp_path / "canonical", pd.concat([mfq_humans, wvs_humans]),
                           pd.concat([mfq_ratings, wvs_ratings]), models)
