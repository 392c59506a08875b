"""A SYNTHETIC file in the layout of the official WVS wave 7 cross-national CSV.

Nothing in it is real survey data: ratings are random. It only mimics the official file's
layout (semicolon-delimited here, country code B_COUNTRY_ALPHA, interview id D_INTERVIEW,
Q177-Q195 with negative missing-value codes, Q254 where 5 means "not a national", plus some
unrelated columns and countries), so the importer can be tested without the real file, which
may not be redistributed.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

ITEMS = [f"Q{i}" for i in range(177, 196)]
HEADER = [
    "version",
    "B_COUNTRY",
    "B_COUNTRY_ALPHA",
    "D_INTERVIEW",
    "Q1",
    *ITEMS,
    "Q254",
    "W_WEIGHT",
]
MISSING_CODES = (-1, -2, -4, -5)


def write_synthetic_wvs7(
    path: Path,
    n_per_country: dict[str, int] | None = None,
    *,
    seed: int = 7,
    delimiter: str = ";",
    share_missing: float = 0.02,
    share_not_national: float = 0.03,
) -> dict[str, dict[str, int]]:
    """Write the file; return the counts the importer must report per country code."""
    rng = np.random.default_rng(seed)
    n_per_country = n_per_country or {"CHN": 120, "USA": 100, "DEU": 30}
    lines = [delimiter.join(HEADER)]
    expected: dict[str, dict[str, int]] = {}
    interview = 100000
    for country, n in n_per_country.items():
        ratings = rng.integers(1, 11, size=(n, len(ITEMS)))
        holes = rng.random(size=ratings.shape) < share_missing
        ratings[holes] = rng.choice(MISSING_CODES, size=int(holes.sum()))
        nationality = np.where(rng.random(n) < share_not_national, 5, rng.integers(1, 5, n))
        national = nationality != 5
        blank_nationality = national & (rng.random(n) < 0.05)  # kept: not known to be foreign
        complete = national & ~holes.any(axis=1)
        expected[country] = {
            "rows": n,
            "dropped_not_national": int((~national).sum()),
            "dropped_incomplete": int((national & ~complete).sum()),
            "kept": int(complete.sum()),
        }
        for row in range(n):
            interview += 1
            values = [
                "7.0",
                "156",
                country,
                str(interview),
                str(rng.integers(1, 5)),
                *map(str, ratings[row]),
                "" if blank_nationality[row] else str(nationality[row]),
                "1.02",
            ]
            lines.append(delimiter.join(values))
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return expected
