"""The answer parser: a corpus of real-looking answers, and every raw answer of the release."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from collect.core.parse import parse_answer

# (raw answer, scale max, expected rating or None, expected reason)
CORPUS: list[tuple[str, int, int | None, str]] = [
    ("3", 5, 3, "ok"),
    ("5\n", 5, 5, "ok"),
    ("4:对我的描述相当贴切", 5, 4, "ok"),
    ("2: 对我的描述有点贴切", 5, 2, "ok"),
    ("2:对我的描述有点贴切\n", 5, 2, "ok"),
    ("5: Describes me extremely well", 5, 5, "ok"),
    ("5: Describes me extremely well\n\n", 5, 5, "ok"),
    ("3: Moderately describes me", 5, 3, "ok"),
    ("我会选择2，因为这句话描述了我对", 5, 2, "ok"),
    ("我会选择2:对我的描述有点贴", 5, 2, "ok"),
    ("您选择的是：3对我的描述比较", 5, 3, "ok"),
    ("对我的描述1: 对我的描述", 5, 1, "ok"),
    ("选项：1\n\n这个陈述涉及到的", 5, 1, "ok"),
    ("选择：2:对我的描述有点贴", 5, 2, "ok"),
    ('您选择了 "5: 对我的描述', 5, 5, "ok"),
    ("2: **对我的描述有点贴切", 5, 2, "ok"),
    ("1\n我对这个陈述的描述一点也不贴", 5, 1, "ok"),
    ("3\n描述程度：比较贴切\n", 5, 3, "ok"),
    ("我选择选项2：对我的描述有点", 5, 2, "ok"),
    ("2 - 虽然这种", 5, 2, "ok"),
    ("I would rate this statement as a 1:", 5, 1, "ok"),
    ("I'd rate this statement as:\n\n2", 5, 2, "ok"),
    ("**4**", 5, 4, "ok"),
    ("４", 5, 4, "ok"),  # full-width digit
    ("我选择：３", 5, 3, "ok"),
    ("１０", 10, 10, "ok"),
    ("10", 10, 10, "ok"),  # ten, not one
    ("10", 5, None, "out_of_scale"),  # ten is off the MFQ-2 scale; never read as 1
    ("0", 5, None, "out_of_scale"),
    ("7", 5, None, "out_of_scale"),
    ("1", 10, 1, "ok"),
    ("8.", 10, 8, "ok"),
    ("3.5", 5, None, "not_integer"),
    ("I need to select a number from 1-", 5, None, "only_range"),
    ("I need to respond with a number from 1", 5, None, "only_range"),
    ("I'd need to select a number between 1", 5, None, "only_range"),
    ("On a scale of 1 to 5", 5, None, "only_range"),
    ("1-5", 5, None, "only_range"),
    ("在1到5之间", 5, None, "only_range"),
    ("1到5", 5, None, "only_range"),
    ("从1", 5, None, "only_range"),
    ("Between 1 and 5, I choose 4", 5, 4, "ok"),
    ("在1和5之间，我选4", 5, 4, "ok"),
    ("From 1-5: 3", 5, 3, "ok"),
    ("1 – 5 scale; answer 2", 5, 2, "ok"),
    ("To determine the answer:\n\n1. Reflect", 5, 1, "ok"),
    ("", 5, None, "empty"),
    ("   \n", 5, None, "empty"),
    ("Strongly agree", 5, None, "no_number"),
    ("非常同意", 5, None, "no_number"),
    ("I'm sorry, but I can't provide a personal opinion.", 5, None, "refusal"),
    ("As an AI, I don't have personal beliefs.", 5, None, "refusal"),
    ("I cannot answer that question.", 10, None, "refusal"),
    ("作为一个人工智能，我没有个人观点。", 5, None, "refusal"),
    ("抱歉，我无法回答这个问题。", 10, None, "refusal"),
    ("我没有个人意见", 5, None, "refusal"),
    ("As an AI I have no views, but 3", 5, 3, "ok"),  # a hedged answer is still an answer
]


def test_corpus_is_large_enough() -> None:
    assert len(CORPUS) >= 40


@pytest.mark.parametrize(("text", "scale_max", "rating", "reason"), CORPUS)
def test_parse_corpus(text: str, scale_max: int, rating: int | None, reason: str) -> None:
    parsed = parse_answer(text, 1, scale_max)
    assert (parsed.rating, parsed.reason) == (rating, reason)
    assert parsed.valid is (rating is not None)
    assert parsed.refusal is (reason == "refusal")


def test_none_is_empty() -> None:
    assert parse_answer(None, 1, 5).reason == "empty"


RELEASE_FILES = {
    "Data/MFQ2/llm_mfq_responses.csv": 5,
    "Data/WVS/llm_wvs_responses.csv": 10,
    "Data/WVS/llm_wvs_persona_responses.csv": 10,
}


def test_parser_over_every_release_response(release_mirror: Path) -> None:
    """Every example answer of the release: report the share parsed, and check the unparsed ones
    are exactly the kinds the method says are no answer (missing text, restated ranges)."""
    total = parsed_count = 0
    unparsed: list[tuple[str, str]] = []
    for name, scale_max in RELEASE_FILES.items():
        frame = pd.read_csv(release_mirror / name, encoding="utf-8-sig", keep_default_na=False)
        for raw in frame["response"]:
            text = None if raw == "NA" else raw
            result = parse_answer(text, 1, scale_max)
            total += 1
            if result.valid:
                parsed_count += 1
            else:
                unparsed.append((raw, result.reason))
    share = parsed_count / total
    print(f"release responses parsed: {parsed_count}/{total} = {share:.4%}")
    for raw, reason in unparsed:
        print(f"  not parsed ({reason}): {raw!r}")
    assert total == 4320 + 1596 + 1292
    assert share > 0.99
    assert {reason for _, reason in unparsed} <= {"only_range", "no_number", "empty"}
    assert all(raw == "NA" or "1" in raw for raw, _ in unparsed)
