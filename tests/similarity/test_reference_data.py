"""The country reference files: the fetched ones read as expected; bad ones are refused with
file, line and column."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from collect.data.reference import (
    MFQ2_INVARIANCE,
    MFQ2_MEANS,
    WVS7_MEANS,
    read_mfq2_country_means,
    read_mfq2_invariance,
    read_wvs7_country_means,
    reference_file,
)
from collect.errors import InputError


def test_fetched_mfq2_means_hold_19_countries_on_the_scale(fetched_release: Path) -> None:
    means = read_mfq2_country_means(reference_file(MFQ2_MEANS, fetched_release))
    assert len(means.countries) == 19 and means.means.shape == (19, 6)
    japan = means.means[means.countries.index("Japan")]
    assert japan[0] == pytest.approx(3.0306) and japan[5] == pytest.approx(2.6288)
    table6 = read_mfq2_invariance(reference_file(MFQ2_INVARIANCE, fetched_release))
    purity = table6.set_index("foundation").loc["Purity", "pct_noninvariant_intercepts"]
    assert purity == table6["pct_noninvariant_intercepts"].max()


def test_fetched_wvs7_means_are_rescaled_and_keep_items_not_asked_missing(
        fetched_release: Path) -> None:
    means = read_wvs7_country_means(reference_file(WVS7_MEANS, fetched_release))
    assert means.means.shape == (55, 19)
    asked = ~np.isnan(means.means)
    assert asked.sum() == 55 * 19 - 17
    assert np.nanmin(means.means) >= 1 and np.nanmax(means.means) <= 10
    jordan = means.countries.index("Jordan")
    assert [means.units[j] for j in np.flatnonzero(~asked[jordan])] == ["178", "183", "193"]
    assert asked[means.countries.index("China")].all()


@pytest.fixture
def mfq2_file(fetched_release: Path, tmp_path: Path) -> tuple[list[str], Path]:
    lines = reference_file(MFQ2_MEANS, fetched_release).read_text().splitlines()
    return lines, tmp_path / "mfq2_country_means.csv"


def _write(path: Path, lines: list[str]) -> Path:
    path.write_text("\n".join(lines) + "\n")
    return path


def test_mfq2_wrong_header_names_file_and_line(mfq2_file) -> None:
    lines, path = mfq2_file
    lines[0] = lines[0].replace("purity,", "sanctity,", 1)
    with pytest.raises(InputError, match=r"mfq2_country_means\.csv, line 1: missing column.*"
                                         r"purity"):
        read_mfq2_country_means(_write(path, lines))


def test_mfq2_missing_country_is_named(mfq2_file) -> None:
    lines, path = mfq2_file
    kept = [line for line in lines if not line.startswith("Japan,")]
    with pytest.raises(InputError, match=r"column 'country'.*\['Japan'\] are missing"):
        read_mfq2_country_means(_write(path, kept))


def test_mfq2_out_of_range_mean_names_line_and_column(mfq2_file) -> None:
    lines, path = mfq2_file
    fields = lines[3].split(",")
    fields[7] = "5.7"  # purity of the third country
    lines[3] = ",".join(fields)
    with pytest.raises(InputError, match=r"line 4, column 'purity': value 5.7 is outside 1..5"):
        read_mfq2_country_means(_write(path, lines))


def test_wvs7_item_count_not_matching_the_instrument(fetched_release: Path,
                                                     tmp_path: Path) -> None:
    lines = reference_file(WVS7_MEANS, fetched_release).read_text().splitlines()
    cut = [line for i, line in enumerate(lines) if i != 5]  # Cyprus loses an item
    with pytest.raises(InputError, match=r"line 19, column 'question': Cyprus has 18 items; "
                                         r"the wvs7 instrument has 19"):
        read_wvs7_country_means(_write(tmp_path / "w.csv", cut))


def test_wvs7_unknown_question_and_out_of_range_score(fetched_release: Path,
                                                      tmp_path: Path) -> None:
    lines = reference_file(WVS7_MEANS, fetched_release).read_text().splitlines()
    bad = lines.copy()
    bad[2] = bad[2].replace("avoiding a fare", "dodging a fare")
    with pytest.raises(InputError, match=r"line 3, column 'question'"):
        read_wvs7_country_means(_write(tmp_path / "w.csv", bad))
    bad = lines.copy()
    bad[2] = bad[2].rsplit(",", 1)[0] + ",1.5"
    with pytest.raises(InputError, match=r"line 3, column 'wvs_score': value 1.5 is outside"):
        read_wvs7_country_means(_write(tmp_path / "w.csv", bad))
