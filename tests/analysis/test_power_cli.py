"""`moralign power`: the R power grid behind a command, its table and its errors."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from collect.cli import app
from typer.testing import CliRunner


@pytest.mark.slow
def test_power_writes_one_row_per_design_effect_test_and_term(tmp_path: Path) -> None:
    out = tmp_path / "power.csv"
    result = CliRunner().invoke(app, [
        "power", "--llms-per-origin", "3,4", "--makers-per-origin", "2", "--respondents", "5",
        "--effects", "0,1", "--sets", "3", "--seed", "4", "--out", str(out)])
    assert result.exit_code == 0, result.output
    table = pd.read_csv(out)
    # 2 designs x 2 effects x 4 tests x (2 RQ1 + 4 RQ2 origin terms)
    assert len(table) == 96
    assert set(table["llms_per_origin"]) == {3, 4}
    assert (table["n_sets"] == 3).all()
    assert (table["mc_conf_low"] <= table["power"]).all()
    assert (table["power"] <= table["mc_conf_high"]).all()
    assert table["effect_scale"].str.startswith("units of the human nationality gap").all()
    assert set(table["analysis"]) == {"rq1", "rq2"}
    assert "maker permutation (primary)" in set(table["test"])


def test_power_refuses_a_design_value_that_is_not_a_number(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, [
        "power", "--llms-per-origin", "ten", "--sets", "1", "--out", str(tmp_path / "p.csv")])
    assert result.exit_code != 0
    assert not (tmp_path / "p.csv").exists()


def test_power_refuses_zero_sets(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["power", "--sets", "0", "--out", str(tmp_path / "p.csv")])
    assert result.exit_code == 2
    assert "--sets must be at least 1" in result.output
