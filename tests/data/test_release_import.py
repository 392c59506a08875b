from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest
from collect.core.parse import parse_answer
from collect.data import release
from collect.data.canonical import load, with_respondent_ids
from collect.errors import InputError
from collect.vocab import INSTRUMENTS

HUMANS = "Data/MFQ2/human_mfq_responses.csv"
LLM_MFQ = "Data/MFQ2/llm_mfq_responses.csv"


def test_canonical_tables_have_the_release_sizes(canonical_dir: Path) -> None:
    assert len(load("items", canonical_dir)) == 2 * 36 + 2 * 19
    models = load("models", canonical_dir)
    assert (models["kind"] == "llm").sum() == 20
    assert models.groupby("origin").size().to_dict() == {"China": 11, "USA": 11}
    humans = load("human_responses", canonical_dir)
    assert humans.groupby("nationality")["respondent"].nunique().to_dict() == {
        "China": 517,
        "USA": 515,
    }
    ratings = load("llm_ratings", canonical_dir)
    # 20 LLMs x 6 conditions x 36 items; WVS: the union of both files (17 LLMs with persona, 14
    # of them also without)
    assert (ratings["instrument"] == "mfq2").sum() == 20 * 6 * 36
    wvs = ratings[ratings["instrument"] == "wvs7"]
    assert wvs.loc[wvs["persona"] == "none", "model"].nunique() == 14
    assert wvs.loc[wvs["persona"] != "none", "model"].nunique() == 17
    assert ratings["mean"].between(1, 10).all()


def test_both_respondent_id_modes_give_36_items_per_respondent(canonical_dir: Path) -> None:
    humans = load("human_responses", canonical_dir)
    for mode in ("paper", "respondent"):
        keyed = with_respondent_ids(humans, mode)
        per_person = keyed.groupby(["nationality", "respondent"])["item"]
        assert (per_person.nunique() == 36).all() and (per_person.size() == 36).all()
    paper = with_respondent_ids(humans, "paper")
    true = with_respondent_ids(humans, "respondent")
    first_paper = paper[(paper.nationality == "USA") & (paper.respondent == 1)].sort_values("item")
    first_true = true[(true.nationality == "USA") & (true.respondent == 1)].sort_values("item")
    assert (
        not first_paper["rating"]
        .reset_index(drop=True)
        .equals(first_true["rating"].reset_index(drop=True))
    )


def test_row_order_respondent_is_r_div_36(release_mirror: Path, canonical_dir: Path) -> None:
    raw = pd.read_csv(release_mirror / HUMANS, encoding="utf-8-sig")
    usa = raw[raw["Group"] == "USA"].reset_index(drop=True)
    humans = load("human_responses", canonical_dir)
    second = humans[(humans.nationality == "USA") & (humans.respondent == 2)].sort_values("item")
    assert second["rating"].tolist() == usa.loc[36:71, "Response"].tolist()


def test_unknown_respondent_id_mode_is_refused(canonical_dir: Path) -> None:
    with pytest.raises(InputError, match="respondent ids"):
        with_respondent_ids(load("human_responses", canonical_dir), "participant")  # type: ignore[arg-type]


@pytest.fixture()
def release_copy(fetched_release: Path, tmp_path: Path) -> Path:
    folder = tmp_path / "made_in_china"
    shutil.copytree(fetched_release / "made_in_china", folder)
    return folder


def _edit(path: Path, old: str, new: str, count: int = 1) -> None:
    text = path.read_text(encoding="utf-8-sig")
    assert old in text
    path.write_text(text.replace(old, new, count), encoding="utf-8")


def test_byte_order_mark_is_optional(release_copy: Path) -> None:
    info = release_copy / "Data/llm_info.csv"
    assert info.read_bytes().startswith(b"\xef\xbb\xbf")
    info.write_text(info.read_text(encoding="utf-8-sig"), encoding="utf-8")
    assert len(release.read_models(release_copy)) == 22


def test_missing_column_is_named(release_copy: Path) -> None:
    _edit(release_copy / HUMANS, "Item,Response", "Itm,Response")
    with pytest.raises(InputError, match=r"line 1: missing column\(s\) \['Item'\]"):
        release.read_human_mfq(release_copy)


def test_wrong_delimiter_is_named(release_copy: Path) -> None:
    path = release_copy / "Data/llm_info.csv"
    path.write_text(path.read_text(encoding="utf-8-sig").replace(",", ";"), encoding="utf-8")
    with pytest.raises(InputError, match="semicolon-delimited"):
        release.read_models(release_copy)


def test_non_numeric_rating_names_line_and_column(release_copy: Path) -> None:
    lines = (release_copy / HUMANS).read_text(encoding="utf-8-sig").splitlines()
    lines[3] = lines[3].replace(",4,", ",four,", 1)
    (release_copy / HUMANS).write_text("\n".join(lines) + "\n")
    with pytest.raises(
        InputError, match=r"line 4, column 'Response': value 'four' is not an integer"
    ):
        release.read_human_mfq(release_copy)


def test_out_of_range_rating_names_line(release_copy: Path) -> None:
    lines = (release_copy / HUMANS).read_text(encoding="utf-8-sig").splitlines()
    lines[2] = "2,7,2,USA,Equality"
    (release_copy / HUMANS).write_text("\n".join(lines) + "\n")
    with pytest.raises(InputError, match=r"line 3, column 'Response': value 7 is outside 1..5"):
        release.read_human_mfq(release_copy)


def test_broken_respondent_order_is_refused(release_copy: Path) -> None:
    lines = (release_copy / HUMANS).read_text(encoding="utf-8-sig").splitlines()
    lines[1], lines[2] = lines[2], lines[1]
    (release_copy / HUMANS).write_text("\n".join(lines) + "\n")
    with pytest.raises(InputError, match="respondent-major order"):
        release.read_human_mfq(release_copy)


def test_duplicated_llm_key_names_both_lines(release_copy: Path) -> None:
    path = release_copy / LLM_MFQ
    lines = path.read_text(encoding="utf-8-sig").splitlines()
    lines.insert(2, lines[1])
    path.write_text("\n".join(lines) + "\n")
    models = release.read_models(release_copy)
    with pytest.raises(InputError, match=r"duplicated key .* on lines \[2, 3\]"):
        release.read_llm_files(release.release_llm_files(release_copy), models)


def test_unknown_model_and_persona_are_named(release_copy: Path) -> None:
    models = release.read_models(release_copy)
    _edit(release_copy / LLM_MFQ, "mfq,yi-34b-chat,Chinese,none", "mfq,yi-35b,Chinese,none")
    with pytest.raises(InputError, match=r"line 2, column 'LLM': value 'yi-35b'"):
        release.read_llm_files(release.release_llm_files(release_copy), models)


def test_conflicting_wvs_overlap_is_refused(release_copy: Path) -> None:
    path = release_copy / "Data/WVS/llm_wvs_persona_responses.csv"
    _edit(
        path,
        "wvs,glm-4-plus,Chinese,China,177,0,2,glm-4-plus,2025-06-29,China,bigmodel,0.95,2.15",
        "wvs,glm-4-plus,Chinese,China,177,0,2,glm-4-plus,2025-06-29,China,bigmodel,0.95,2.25",
    )
    models = release.read_models(release_copy)
    with pytest.raises(InputError, match="disagree on the item mean"):
        release.read_llm_files(release.release_llm_files(release_copy), models)


def test_wrong_foundation_label_is_refused(release_copy: Path) -> None:
    _edit(release_copy / "items/mfq_items.csv", "1,Care,Chinese", "1,Purity,Chinese")
    with pytest.raises(InputError, match="belongs to Care"):
        release.read_items(release_copy)


def test_every_llm_of_the_release_has_a_maker(canonical_dir: Path) -> None:
    models = load("models", canonical_dir)
    llms = models[models["kind"] == "llm"]
    assert llms["maker"].notna().all(), llms.loc[llms["maker"].isna(), "model"].tolist()
    assert models.loc[models["model"] == "qwen3-235b-a22b", "maker"].item() == "Alibaba Cloud"



def test_release_answers_are_ok_or_refused_as_the_parser_says(canonical_dir: Path) -> None:
    calls = load("llm_calls", canonical_dir)
    # the release holds no failed call
    assert set(calls["status"]) <= {"valid", "invalid", "refused"}
    refused = [
        parse_answer(text, INSTRUMENTS[name].scale_min, INSTRUMENTS[name].scale_max).refusal
        for text, name in zip(calls["raw_text"].fillna(""), calls["instrument"], strict=True)
    ]
    assert calls["status"].eq("refused").tolist() == refused
    assert not calls.loc[calls["status"] == "refused", "valid"].any()
