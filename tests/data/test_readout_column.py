"""The `readout` column of the LLM tables: sampled by default, and only sampled ratings compared."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from collect.data import schema
from collect.similarity.inputs import llm_ratings
from collect.vocab import MFQ2


def test_tables_without_the_column_read_as_sampled(canonical_dir: Path, tmp_path: Path) -> None:
    ratings = schema.read_table(schema.LLM_RATINGS, canonical_dir)
    assert set(ratings["readout"]) == {"sampled"}
    ratings.drop(columns="readout").to_csv(tmp_path / schema.LLM_RATINGS.filename, index=False)
    reread = schema.read_table(schema.LLM_RATINGS, tmp_path)
    pd.testing.assert_frame_equal(reread, ratings)


def test_similarity_reads_only_sampled_ratings(canonical_dir: Path) -> None:
    ratings = schema.read_table(schema.LLM_RATINGS, canonical_dir)
    models = schema.read_table(schema.MODELS, canonical_dir)
    mfq = ratings[ratings["instrument"] == MFQ2.name]
    logprob = mfq.assign(readout="logprob", mean=float(MFQ2.scale_max))
    both = pd.concat([mfq, logprob], ignore_index=True)
    sampled_only = llm_ratings(mfq, models, MFQ2, "test")
    with_logprob = llm_ratings(both, models, MFQ2, "test")
    assert np.array_equal(sampled_only.means, with_logprob.means, equal_nan=True)
    assert not np.array_equal(
        sampled_only.means, llm_ratings(logprob.assign(readout="sampled"), models, MFQ2,
                                        "test").means, equal_nan=True)
