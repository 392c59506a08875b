"""One contract between Python and R: the manifest carries the study's vocabulary and
R/analysis types none of it outside contract.R."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pyreadr
from collect.data.published import NATIONS
from collect.similarity.contract import study_contract
from collect.similarity.tables import COLUMNS
from collect.vocab import MFQ2_FOUNDATIONS, mfq2_foundation

ROOT = Path(__file__).resolve().parents[2]
ANALYSIS = ROOT / "R" / "analysis"
VOCABULARY = re.compile(
    r"\b(Care|Equality|Proportionality|Loyalty|Authority|Purity|China|USA|Chinese|English)\b"
    r"|Human mean"
)
STRING = re.compile(r'"(?:[^"\\]|\\.)*"|\'(?:[^\'\\]|\\.)*\'')


def code_strings(line: str) -> list[str]:
    """String literals of one R line, the comment after `#` (outside a string) dropped."""
    strings = []
    position = 0
    while position < len(line):
        if line[position] == "#":
            break
        found = STRING.match(line, position)
        if found:
            strings.append(found.group())
            position = found.end()
        else:
            position += 1
    return strings


def typed_vocabulary(path: Path) -> list[str]:
    return [f"{path.name}:{number}: {line.strip()}"
            for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
            if any(VOCABULARY.search(s) for s in code_strings(line))]


def test_r_analysis_types_no_study_vocabulary_outside_contract_r() -> None:
    files = sorted(p for p in ANALYSIS.glob("*.R") if p.name != "contract.R")
    assert len(files) > 10
    found = [hit for path in files for hit in typed_vocabulary(path)]
    assert found == [], "study vocabulary typed in R/analysis (read it from the contract):\n" + (
        "\n".join(found))


def test_the_vocabulary_check_sees_strings_and_skips_comments(tmp_path: Path) -> None:
    sample = tmp_path / "sample.R"
    sample.write_text('x == "China" # a "USA" comment\n# "Care"\ny <- "Human mean, USA"\n'
                      "z <- '#'; w <- \"Purity\"\n", encoding="utf-8")
    assert [hit.split(":")[1] for hit in typed_vocabulary(sample)] == ["1", "3", "4"]


def test_the_default_contract_beside_the_r_code_is_pythons() -> None:
    committed = json.loads((ANALYSIS / "contract.json").read_text(encoding="utf-8"))
    assert committed == study_contract(), (
        "R/analysis/contract.json is stale: python -m collect.similarity.contract "
        "R/analysis/contract.json")


def test_the_contract_states_the_foundation_rule_and_columns() -> None:
    contract = study_contract()
    assert contract["columns"] == list(COLUMNS)
    assert [contract["foundations"][(i - 1) % 6] for i in range(1, 37)] == [
        mfq2_foundation(i) for i in range(1, 37)]
    assert sorted(contract["foundation_figure_order"]) == sorted(MFQ2_FOUNDATIONS)
    assert contract["instrument_labels"] == {"mfq2": "MFQ-2", "wvs7": "WVS-7"}


def test_the_manifest_carries_the_contract_of_the_tables_it_describes(
        derived_paper: Path) -> None:
    manifest = json.loads((derived_paper / "manifest.json").read_text(encoding="utf-8"))
    contract = manifest["contract"]
    assert set(contract["human_mean_ids"]) == set(NATIONS)
    table = pyreadr.read_r(derived_paper / "mfq2" / "rq1.rds")[None]
    assert list(table.columns) == contract["columns"]
    for column, allowed in contract["allowed_values"].items():
        assert set(table[column].astype(str)) <= set(allowed), column
    human_means = set(table.loc[table["is_human_mean"], "llm"].astype(str))
    assert human_means == set(contract["human_mean_ids"].values())
