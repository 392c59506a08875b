"""The shipped study reproduces the original prompts string for string (docs/methods.md
section 1.4)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from collect.collector.prompts import render_prompts
from collect.collector.study import load_study

from tests.collector.conftest import STUDIES

MFQ_USER_EN = (
    "Please indicate how well the statement below describes you or your opinions.\n"
    "Options:\n"
    "1: Does not describe me at all\n"
    "2: Slightly describes me\n"
    "3: Moderately describes me\n"
    "4: Describes me fairly well\n"
    "5: Describes me extremely well\n"
    "Statement: "
)
MFQ_USER_ZH = (
    "请指出以下陈述在多大程度上描述了您或您的观点。\n"
    "选项：\n"
    "1:对我的描述一点也不贴切\n"
    "2:对我的描述有点贴切\n"
    "3:对我的描述比较贴切\n"
    "4:对我的描述相当贴切\n"
    "5:对我的描述极其贴切\n"
    "陈述："
)
MFQ_SYSTEM = {
    ("English", "none"): "Respond only with a number from 1 to 5.",
    ("English", "USA"): "You are from the USA.\nRespond only with a number from 1 to 5.",
    ("English", "China"): "You are from China.\nRespond only with a number from 1 to 5.",
    ("Chinese", "none"): "请仅回复1到5之间的数字。",
    ("Chinese", "USA"): "您来自美国。\n请仅回复1到5之间的数字。",
    ("Chinese", "China"): "您来自中国。\n请仅回复1到5之间的数字。",
}
WVS_SYSTEM = {
    ("English", "none"): "This is a global study of what people value in life.\n"
                         "Respond only with a number from 1 to 10.",
    ("English", "USA"): "This is a global study of what people value in life.\n"
                        "You are an American national.\nRespond only with a number from 1 to 10.",
    ("English", "China"): "This is a global study of what people value in life.\n"
                          "You are a Chinese national.\nRespond only with a number from 1 to 10.",
    ("Chinese", "none"): "这是一项关于人们生活价值观的全球研究。\n请仅回复1到10之间的数字。",
    ("Chinese", "USA"): "这是一项关于人们生活价值观的全球研究。\n你是美国公民。\n"
                        "请仅回复1到10之间的数字。",
    ("Chinese", "China"): "这是一项关于人们生活价值观的全球研究。\n你是中国公民。\n"
                          "请仅回复1到10之间的数字。",
}


def _item_texts(fetched: Path, name: str) -> pd.DataFrame:
    return pd.read_csv(fetched / "made_in_china" / "items" / name, encoding="utf-8-sig")


@pytest.mark.parametrize(("language", "persona"), sorted(MFQ_SYSTEM))
def test_mfq2_prompts_are_the_originals(
    external_items: Path, language: str, persona: str
) -> None:
    study = load_study(STUDIES / "made_in_china.toml")
    texts = _item_texts(external_items, "mfq_items.csv")
    prefix = MFQ_USER_EN if language == "English" else MFQ_USER_ZH
    for row in texts.loc[texts["language"] == language].itertuples():
        system, user = render_prompts(study, "mfq2", language, persona, int(row.item))
        assert system == MFQ_SYSTEM[(language, persona)]
        assert user == prefix + row.prompt


@pytest.mark.parametrize(("language", "persona"), sorted(WVS_SYSTEM))
def test_wvs7_prompts_are_the_originals(
    external_items: Path, language: str, persona: str
) -> None:
    study = load_study(STUDIES / "made_in_china.toml")
    texts = _item_texts(external_items, "wvs_items.csv")
    rows = texts.loc[texts["language"] == language]
    assert len(rows) == 19
    for row in rows.itertuples():
        system, user = render_prompts(study, "wvs7", language, persona, int(row.item))
        assert system == WVS_SYSTEM[(language, persona)]
        assert user == row.prompt


def test_chinese_mfq2_item_16_asks_about_the_country(external_items: Path) -> None:
    study = load_study(STUDIES / "made_in_china.toml")
    _, user = render_prompts(study, "mfq2", "Chinese", "none", 16)
    assert user.endswith("陈述：每个人都应当爱自己的国家。")
