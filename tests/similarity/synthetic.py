"""Small SYNTHETIC canonical frames (random ratings) in the schema of collect.data.schema."""

from __future__ import annotations

import numpy as np
import pandas as pd
from collect.data import schema
from collect.data.published import LANGUAGE_OF_NATION, LANGUAGES, NATIONS, PERSONAS
from collect.vocab import Instrument

ORIGINS = {"llm-cn-a": "China", "llm-cn-b": "China", "llm-us-a": "USA", "llm-us-b": "USA"}


def human_frame(
    instrument: Instrument,
    ratings: dict[str, np.ndarray],
    paper_ids: dict[str, np.ndarray] | None = None,
) -> pd.DataFrame:
    """ratings: nationality -> (respondents x items). paper_ids: nationality -> same shape, the
    respondent label of every cell (default: the row-order respondent)."""
    parts = []
    for nation, matrix in ratings.items():
        n, k = matrix.shape
        respondent = np.repeat(np.arange(1, n + 1), k)
        labels = respondent if paper_ids is None else paper_ids[nation].reshape(-1)
        parts.append(
            pd.DataFrame(
                {
                    "instrument": instrument.name,
                    "respondent": respondent,
                    "paper_id": labels,
                    "nationality": nation,
                    "language": LANGUAGE_OF_NATION[nation],  # type: ignore[index]
                    "item": np.tile(instrument.items, n),
                    "rating": matrix.reshape(-1).astype(float),
                }
            )
        )
    return schema.conform(pd.concat(parts), schema.HUMAN_RESPONSES, "synthetic")


def llm_frame(
    instrument: Instrument, means: dict[tuple[str, str, str], np.ndarray]
) -> pd.DataFrame:
    """means: (model, language, persona) -> item means (NaN = no valid answer)."""
    parts = [
        pd.DataFrame(
            {
                "instrument": instrument.name,
                "model": model,
                "language": language,
                "persona": persona,
                "item": instrument.items,
                "mean": vector,
                "n_valid": pd.array([pd.NA] * len(vector), dtype="Int64"),
                "n_calls": 20,
                "condition_prop_invalid": 0.0,
            }
        )
        for (model, language, persona), vector in means.items()
    ]
    return schema.conform(pd.concat(parts), schema.LLM_RATINGS, "synthetic")


def models_frame(origins: dict[str, str] = ORIGINS) -> pd.DataFrame:
    rows = [
        {"model": m, "display_name": m.upper(), "maker": "Synthetic", "origin": o, "kind": "llm"}
        for m, o in origins.items()
    ]
    rows += [
        {
            "model": f"Human mean, {n}",
            "display_name": f"Human mean, {n}",
            "maker": None,
            "origin": n,
            "kind": "human_mean",
        }
        for n in NATIONS
    ]
    return schema.conform(pd.DataFrame(rows), schema.MODELS, "synthetic")


def random_means(
    instrument: Instrument, rng: np.random.Generator, origins: dict[str, str] = ORIGINS
) -> dict[tuple[str, str, str], np.ndarray]:
    k = len(instrument.items)
    return {
        (m, lang, p): rng.integers(2 * instrument.scale_min, 2 * instrument.scale_max + 1, size=k)
        / 2.0
        for m in origins
        for lang in LANGUAGES
        for p in PERSONAS
    }


def random_ratings(
    instrument: Instrument, rng: np.random.Generator, sizes: dict[str, int]
) -> dict[str, np.ndarray]:
    k = len(instrument.items)
    return {
        n: rng.integers(instrument.scale_min, instrument.scale_max + 1, size=(size, k)).astype(
            float
        )
        for n, size in sizes.items()
    }


def random_study(
    instrument: Instrument, seed: int = 1, sizes: dict[str, int] | None = None
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    rng = np.random.default_rng(seed)
    humans = human_frame(
        instrument, random_ratings(instrument, rng, sizes or {"China": 5, "USA": 4})
    )
    return humans, llm_frame(instrument, random_means(instrument, rng)), models_frame()
