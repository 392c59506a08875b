"""Importer for the official WVS wave 7 cross-national CSV (docs/methods.md section 2.3).

Keeps China and the USA, drops respondents who are not nationals (Q254 == 5), turns the
negative missing-value codes of Q177-Q195 into missing, then drops respondents with any
missing item (listwise). Every drop is counted in the returned report.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from collect.data import schema
from collect.data.csvfile import numbers, read_records, refuse_duplicates, refuse_rows
from collect.data.published import LANGUAGE_OF_NATION
from collect.errors import InputError, MissingDataError
from collect.vocab import WVS7

COUNTRIES = {"CHN": "China", "USA": "USA"}
NOT_A_NATIONAL = 5
ITEM_COLUMNS = [f"Q{item}" for item in WVS7.items]
REQUIRED = ["B_COUNTRY_ALPHA", "D_INTERVIEW", "Q254", *ITEM_COLUMNS]


def missing_file_message(path: Path) -> str:
    return (
        f"the WVS wave 7 file is not at {path}. It may not be redistributed, so download the "
        "cross-national CSV (v5.0) yourself from https://www.worldvaluessurvey.org/"
        "WVSDocumentationWV7.jsp and put it there, or set MORALIGN_WVS7_FILE to its path. "
        "The MFQ-2 half of the study runs without it."
    )


def _delimiter(path: Path) -> str:
    with path.open(encoding="utf-8-sig", errors="replace") as handle:
        header = handle.readline()
    return ";" if header.count(";") > header.count(",") else ","


def read_wvs7(path: Path) -> tuple[pd.DataFrame, dict[str, dict[str, int]]]:
    if not path.is_file():
        raise MissingDataError(missing_file_message(path))
    name = str(path)
    raw = read_records(path, REQUIRED, delimiter=_delimiter(path), label=name)
    raw = raw[raw["B_COUNTRY_ALPHA"].str.strip().isin(COUNTRIES)].copy()
    raw["nationality"] = raw["B_COUNTRY_ALPHA"].str.strip().map(COUNTRIES)
    raw["respondent"] = numbers(raw, "D_INTERVIEW", name, integer=True)
    raw["Q254"] = numbers(raw, "Q254", name, integer=True, allow_empty=True)
    for column in ITEM_COLUMNS:
        value = numbers(raw, column, name, integer=True, allow_empty=True)
        refuse_rows(
            raw,
            value > WVS7.scale_max,
            column,
            name,
            lambda row, column=column: f"value {row[column]} is above the scale's {WVS7.scale_max}",
        )
        raw[column] = value.where(value >= WVS7.scale_min)  # negative codes mean missing
    refuse_duplicates(raw, ["nationality", "respondent"], name)

    report: dict[str, dict[str, int]] = {}
    kept = []
    for nation, rows in raw.groupby("nationality"):
        # only Q254 == 5 says "not a national"; a blank, like a negative code, says nothing
        national = rows[~rows["Q254"].eq(NOT_A_NATIONAL).fillna(False)]
        complete = national.dropna(subset=ITEM_COLUMNS)
        report[str(nation)] = {
            "rows": len(rows),
            "dropped_not_national": len(rows) - len(national),
            "dropped_incomplete": len(national) - len(complete),
            "kept": len(complete),
        }
        kept.append(complete)
    if not kept:
        raise InputError("no rows with B_COUNTRY_ALPHA CHN or USA", file=name)
    wide = pd.concat(kept)
    long = wide.melt(
        id_vars=["nationality", "respondent"],
        value_vars=ITEM_COLUMNS,
        var_name="column",
        value_name="rating",
    )
    long["item"] = long["column"].str.slice(1).astype("int64")
    long["instrument"] = WVS7.name
    long["paper_id"] = long["respondent"]
    long["language"] = long["nationality"].map(LANGUAGE_OF_NATION)
    return schema.conform(long, schema.HUMAN_RESPONSES, name), report
