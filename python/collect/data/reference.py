"""Country reference profiles: published country means of MFQ-2 foundations and WVS-7 items.

MFQ-2: the 19 countries of Atari et al. (2023), Study 2 (foundation means on the 1-5 scale).
WVS-7: 55 countries' means of Q177-Q195 as published with Ramezani & Xu (2023), stored as
(mean - 5.5) / 4.5 and turned back into the 1-10 scale here. A WVS country that was not asked an
item has an empty cell: it stays NaN (never zero) and the similarity step compares that country
on the items it was asked (see `collect.similarity.countries`).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from collect.data.csvfile import LINE, numbers, one_of, read_records, refuse_duplicates
from collect.data.sources import dataset_dir
from collect.errors import InputError
from collect.vocab import MFQ2, MFQ2_FOUNDATIONS, WVS7

MFQ2_MEANS = ("mfq2_country_means", "validity/reference/mfq2_country_means.csv")
MFQ2_INVARIANCE = ("mfq2_invariance", "validity/reference/mfq2_alignment_table6_published.csv")
WVS7_MEANS = ("wvs7_country_means", "data/wvs_w7_mcm.csv")

# Atari et al. (2023), Study 2, with the authors' spelling of Colombia.
MFQ2_COUNTRIES = (
    "Argentina", "Belgium", "Chile", "Columbia", "Egypt", "France", "Ireland", "Japan", "Kenya",
    "Mexico", "Morocco", "New Zealand", "Nigeria", "Peru", "Russia", "Saudi Arabia",
    "South Africa", "Switzerland", "UAE",
)
WVS7_COUNTRIES = (
    "Andorra", "Argentina", "Armenia", "Australia", "Bangladesh", "Bolivia", "Brazil", "Canada",
    "Chile", "China", "Colombia", "Cyprus", "Ecuador", "Egypt", "Ethiopia", "Germany", "Greece",
    "Guatemala", "Indonesia", "Iran", "Iraq", "Japan", "Jordan", "Kazakhstan", "Kenya",
    "Kyrgyzstan", "Lebanon", "Libya", "Malaysia", "Maldives", "Mexico", "Mongolia", "Morocco",
    "Myanmar", "Netherlands", "New Zealand", "Nicaragua", "Nigeria", "Pakistan", "Peru",
    "Philippines", "Romania", "Russia", "Singapore", "South Korea", "Taiwan", "Tajikistan",
    "Thailand", "Tunisia", "Turkey", "Ukraine", "United States of America", "Venezuela",
    "Vietnam", "Zimbabwe",
)
# The file names the items by their wording; Q177..Q195 in this order.
WVS7_QUESTIONS = (
    "claiming government benefits to which you are not entitled",
    "avoiding a fare on public transport",
    "stealing property",
    "cheating on taxes",
    "someone accepting a bribe in the course of their duties",
    "homosexuality",
    "prostitution",
    "abortion",
    "divorce",
    "sex before marriage",
    "suicide",
    "euthanasia",
    "for a man to beat his wife",
    "parents beating children",
    "violence against other people",
    "terrorism as a political, ideological or religious mean",
    "having casual sex",
    "political violence",
    "death penalty",
)
# The study's two nations under the names the reference files use.
STUDY_NATION_NAMES = {"China": "China", "United States of America": "USA"}


@dataclass(frozen=True)
class CountryMeans:
    """One profile per country: (countries, units) means on the instrument's rating scale.

    Units are MFQ-2 foundations or WVS item numbers; NaN marks an item a country was not asked.
    """

    instrument: str
    units: tuple[str, ...]
    countries: tuple[str, ...]
    means: np.ndarray
    source: str


def reference_file(dataset: tuple[str, str], external: Path | None = None) -> Path:
    name, local = dataset
    return dataset_dir(name, external) / local


def _refuse_missing(found: pd.Series, expected: tuple[str, ...], name: str,
                    column: str = "country") -> None:
    missing = sorted(set(expected) - set(found))
    if missing:
        raise InputError(f"{missing} are missing; expected {len(expected)} values of {column}",
                         file=name, column=column)


def read_mfq2_country_means(path: Path) -> CountryMeans:
    """Foundation means (1-5) of the 19 Study 2 countries; every foundation must be present."""
    name = str(path)
    columns = ["country", "n", *(f.lower() for f in MFQ2_FOUNDATIONS)]
    records = read_records(path, columns)
    country = one_of(records, "country", MFQ2_COUNTRIES, name)
    refuse_duplicates(records.assign(country=country), ["country"], name)
    _refuse_missing(country, MFQ2_COUNTRIES, name)
    numbers(records, "n", name, integer=True, low=1)
    means = np.column_stack([
        numbers(records, f.lower(), name, low=MFQ2.scale_min, high=MFQ2.scale_max).to_numpy()
        for f in MFQ2_FOUNDATIONS
    ])
    return CountryMeans(MFQ2.name, MFQ2_FOUNDATIONS, tuple(country), means, name)


def read_wvs7_country_means(path: Path) -> CountryMeans:
    """Country means of Q177-Q195 on the 1-10 scale (from (mean - 5.5) / 4.5); each country has
    one row per item, in item order; an empty score is an item the country was not asked."""
    name = str(path)
    records = read_records(path, ["country", "question", "wvs_score"])
    country = one_of(records, "country", WVS7_COUNTRIES, name)
    question = one_of(records, "question", WVS7_QUESTIONS, name)
    records = records.assign(country=country, question=question)
    refuse_duplicates(records, ["country", "question"], name)
    _refuse_missing(country, WVS7_COUNTRIES, name)
    counts = records.groupby("country", sort=False)[LINE].agg(["size", "max"])
    short = counts[counts["size"] != len(WVS7.items)]
    if not short.empty:
        who = short.index[0]
        raise InputError(
            f"{who} has {short.loc[who, 'size']} items; the {WVS7.name} instrument has "
            f"{len(WVS7.items)} (Q{WVS7.items[0]}-Q{WVS7.items[-1]})",
            file=name, line=int(short.loc[who, "max"]), column="question",
        )
    score = numbers(records, "wvs_score", name, low=-1.0, high=1.0, allow_empty=True)
    means = np.full((len(WVS7_COUNTRIES), len(WVS7.items)), np.nan)
    rows = pd.Index(WVS7_COUNTRIES).get_indexer(records["country"])
    cols = pd.Index(WVS7_QUESTIONS).get_indexer(records["question"])
    means[rows, cols] = 5.5 + 4.5 * score.to_numpy()
    units = tuple(str(i) for i in WVS7.items)
    return CountryMeans(WVS7.name, units, WVS7_COUNTRIES, means, name)


def read_mfq2_invariance(path: Path) -> pd.DataFrame:
    """Atari et al. (2023) Table 6: per foundation, % non-invariant loadings and intercepts."""
    name = str(path)
    columns = ["foundation", "pct_noninvariant_loadings", "pct_noninvariant_intercepts"]
    records = read_records(path, columns)
    foundation = one_of(records, "foundation", [f.lower() for f in MFQ2_FOUNDATIONS], name)
    _refuse_missing(foundation, tuple(f.lower() for f in MFQ2_FOUNDATIONS), name, "foundation")
    return pd.DataFrame({
        "foundation": foundation.str.capitalize().to_numpy(),
        **{c: numbers(records, c, name, low=0, high=100).to_numpy() for c in columns[1:]},
    })
