from __future__ import annotations

from pathlib import Path

import pytest
from collect.data.wvs7 import read_wvs7
from collect.errors import InputError, MissingDataError

from tests.data.wvs7_synthetic import write_synthetic_wvs7

COUNTRY_NAMES = {"CHN": "China", "USA": "USA"}


@pytest.mark.parametrize("delimiter", [";", ","])
def test_filters_and_counts_match_the_synthetic_truth(tmp_path: Path, delimiter: str) -> None:
    path = tmp_path / "wvs.csv"
    truth = write_synthetic_wvs7(path, delimiter=delimiter)
    humans, report = read_wvs7(path)
    assert report == {COUNTRY_NAMES[c]: counts for c, counts in truth.items() if c in COUNTRY_NAMES}
    assert set(humans["nationality"]) == {"China", "USA"}
    assert humans["rating"].between(1, 10).all()
    per_person = humans.groupby(["nationality", "respondent"]).size()
    assert (per_person == 19).all()
    assert per_person.groupby(level=0).size().to_dict() == {
        COUNTRY_NAMES[c]: truth[c]["kept"] for c in COUNTRY_NAMES
    }
    assert humans.loc[humans.nationality == "China", "language"].eq("Chinese").all()


def test_missing_file_says_where_to_put_it(tmp_path: Path) -> None:
    with pytest.raises(MissingDataError, match=r"download .* MORALIGN_WVS7_FILE"):
        read_wvs7(tmp_path / "wvs7" / "WVS.csv")


def _corrupt(path: Path, line: int, column: str, value: str) -> None:
    lines = path.read_text().splitlines()
    header = lines[0].split(";")
    fields = lines[line - 1].split(";")
    fields[header.index(column)] = value
    lines[line - 1] = ";".join(fields)
    path.write_text("\n".join(lines) + "\n")


def test_rating_above_the_scale_is_an_error(tmp_path: Path) -> None:
    path = tmp_path / "wvs.csv"
    write_synthetic_wvs7(path)
    _corrupt(path, 5, "Q180", "11")
    with pytest.raises(InputError, match=r"line 5, column 'Q180': value 11 is above"):
        read_wvs7(path)


def test_non_numeric_rating_is_an_error(tmp_path: Path) -> None:
    path = tmp_path / "wvs.csv"
    write_synthetic_wvs7(path)
    _corrupt(path, 9, "Q190", "often")
    with pytest.raises(InputError, match=r"line 9, column 'Q190': value 'often'"):
        read_wvs7(path)


def test_duplicated_interview_is_an_error(tmp_path: Path) -> None:
    path = tmp_path / "wvs.csv"
    write_synthetic_wvs7(path)
    lines = path.read_text().splitlines()
    path.write_text("\n".join([*lines, lines[3]]) + "\n")
    with pytest.raises(InputError, match="duplicated key"):
        read_wvs7(path)


def test_missing_item_column_is_named(tmp_path: Path) -> None:
    path = tmp_path / "wvs.csv"
    write_synthetic_wvs7(path)
    path.write_text(path.read_text().replace("Q183", "Q183x", 1))
    with pytest.raises(InputError, match=r"missing column\(s\) \['Q183'\]"):
        read_wvs7(path)


def test_canonical_build_adds_wvs_humans_when_the_file_is_there(
    fetched_release: Path, tmp_path: Path
) -> None:
    from collect.data.canonical import build_canonical, load

    wvs = tmp_path / "wvs.csv"
    truth = write_synthetic_wvs7(wvs)
    report = build_canonical(external=fetched_release, out=tmp_path / "canon", wvs7_file=wvs)
    assert report.wvs7_missing is None and str(wvs) in report.inputs
    humans = load("human_responses", tmp_path / "canon")
    kept = humans[humans.instrument == "wvs7"].groupby("nationality")["respondent"].nunique()
    assert kept.to_dict() == {"China": truth["CHN"]["kept"], "USA": truth["USA"]["kept"]}
