"""The .rds writer, read back by R itself and by pyreadr (an independent reader)."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import numpy as np
import pandas as pd
import pyreadr
import pytest
from collect.similarity.rds import UnsupportedColumn, write_rds_frame

READ_IN_R = """
data <- readRDS(commandArgs(TRUE)[1])
column <- function(x) list(type = typeof(x), class = class(x), na = is.na(x),
                           values = if (is.factor(x)) as.character(x) else x)
cat(jsonlite::toJSON(list(class = class(data), nrow = nrow(data), names = names(data),
                          columns = lapply(data, column)), digits = NA, na = "null"))
"""


def read_in_r(path: Path) -> dict:
    completed = subprocess.run(["Rscript", "-e", READ_IN_R, str(path)], capture_output=True,
                               text=True, check=True)
    return json.loads(completed.stdout)


@pytest.fixture()
def frame() -> pd.DataFrame:
    return pd.DataFrame({
        "respondent": np.array([1, 2, 3], dtype=np.int32),
        "count": pd.array([4, None, 6], dtype="Int64"),
        "cosine": [0.25, np.nan, -1.5e-300],
        "is_human_mean": [True, False, True],
        "congruent_persona": pd.Series([True, None, False], dtype=object),
        "nationality": pd.Categorical(["China", "USA", None], categories=["USA", "China"]),
        "text": ["中文 prompt", None, "plain"],
    })


def test_r_reads_every_column_type_with_its_missing_values(frame: pd.DataFrame,
                                                           tmp_path: Path) -> None:
    path = tmp_path / "table.rds"
    write_rds_frame(frame, path)
    read = read_in_r(path)
    assert read["class"] == ["data.frame"] and read["nrow"] == [3]
    assert read["names"] == list(frame.columns)
    columns = read["columns"]
    expected_types = {"respondent": "integer", "count": "integer", "cosine": "double",
                      "is_human_mean": "logical", "congruent_persona": "logical",
                      "nationality": "integer", "text": "integer"}
    assert {name: c["type"][0] for name, c in columns.items()} == expected_types
    assert columns["nationality"]["class"] == ["factor"]
    assert columns["count"]["na"] == [False, True, False]
    # NaN arrives as R's NA (is.na), and tiny doubles keep every bit
    assert columns["cosine"]["na"] == [False, True, False]
    assert columns["cosine"]["values"][2] == -1.5e-300
    assert columns["congruent_persona"]["values"] == [True, None, False]
    assert columns["nationality"]["values"] == ["China", "USA", None]
    assert columns["text"]["values"] == ["中文 prompt", None, "plain"]


def test_pyreadr_reads_back_the_same_values(frame: pd.DataFrame, tmp_path: Path) -> None:
    path = tmp_path / "table.rds"
    write_rds_frame(frame, path)
    back = pyreadr.read_r(path)[None]
    assert back["respondent"].tolist() == [1, 2, 3]
    assert back["cosine"].iloc[0] == 0.25 and np.isnan(back["cosine"].iloc[1])
    assert back["text"].astype(object).where(back["text"].notna(), None).tolist() == [
        "中文 prompt", None, "plain"]


def test_an_empty_frame_keeps_its_columns(tmp_path: Path) -> None:
    path = tmp_path / "empty.rds"
    write_rds_frame(pd.DataFrame({"x": pd.Series([], dtype=float),
                                  "y": pd.Series([], dtype=object)}), path)
    read = read_in_r(path)
    assert read["nrow"] == [0] and read["names"] == ["x", "y"]


def test_unsupported_columns_are_named(tmp_path: Path) -> None:
    with pytest.raises(UnsupportedColumn, match="column 'when' has type datetime64"):
        write_rds_frame(pd.DataFrame({"when": pd.to_datetime(["2026-01-01"])}),
                        tmp_path / "t.rds")
    with pytest.raises(UnsupportedColumn, match="column 'big': integers outside"):
        write_rds_frame(pd.DataFrame({"big": [2**40]}), tmp_path / "t.rds")
    with pytest.raises(UnsupportedColumn, match="column 'mixed' has type object"):
        write_rds_frame(pd.DataFrame({"mixed": ["a", 1]}), tmp_path / "t.rds")


def test_frames_r_cannot_hold_leave_no_file(tmp_path: Path) -> None:
    path = tmp_path / "t.rds"
    with pytest.raises(UnsupportedColumn, match="column names appear more than once: x"):
        write_rds_frame(pd.DataFrame([[1, 2]], columns=["x", "x"]), path)
    with pytest.raises(UnsupportedColumn, match="column 'c': two categories have the same text"):
        write_rds_frame(pd.DataFrame({"c": pd.Categorical([1, "1"])}), path)
    with pytest.raises(UnsupportedColumn, match="column 's': text that is not valid Unicode"):
        write_rds_frame(pd.DataFrame({"ok": [1.0], "s": ["\ud800"]}), path)
    assert not path.exists()
