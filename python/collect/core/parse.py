"""Reading a rating out of an LLM's raw answer (docs/methods.md section 1.6).

The rule: the answer is the first integer in the text, if it lies in the scale; anything else is
missing. Integers are read whole ("10" is ten, never "1"), full-width digits count as digits, a
decimal number is not an integer answer, and a number that is only part of a range ("1-", "1 to 5",
"from 1", "1到5", "从1") is skipped, because models that start to restate the instructions ("I need
to select a number from 1-") have not answered. A refusal is an answer without a rating that says,
in English or Chinese, that the model will not or cannot answer.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Literal

Reason = Literal["ok", "empty", "no_number", "only_range", "out_of_scale", "not_integer", "refusal"]


@dataclass(frozen=True)
class ParsedAnswer:
    rating: int | None
    reason: Reason

    @property
    def valid(self) -> bool:
        return self.rating is not None

    @property
    def refusal(self) -> bool:
        return self.reason == "refusal"


_NUMBER = re.compile(r"\d+(?:\.\d+)?")
# What may join two ends of a range, between optional blanks.
_RANGE_JOIN = r"\s*(?:-|–|—|~|to|through|到|至)\s*"
_RANGE_AFTER = re.compile(_RANGE_JOIN + r"(?:\d|$)", re.IGNORECASE)
_RANGE_BEFORE = re.compile(r"\d" + _RANGE_JOIN + r"$", re.IGNORECASE)
# Words that open a range whose first number follows ("from 1", "between 1", "从1", "在1").
_RANGE_OPENER = re.compile(r"(?:\bfrom|\bbetween|从|在|介于)\s*$", re.IGNORECASE)
# The second end of "between 1 and 5", "在1和5之间".
_RANGE_BETWEEN = re.compile(r"(?:\bbetween|在|介于)\s*\d+\s*(?:and|和|与)\s*$", re.IGNORECASE)
_LOOKBACK = 20

_REFUSAL = re.compile(
    "|".join(
        (
            r"\bI\s*(?:can(?:'|’)?t|cannot|can not|won(?:'|’)?t|am unable|(?:'|’)m unable|"
            r"am not able|(?:'|’)m not able)\b",
            r"\bas an ai\b",
            r"\bas a language model\b",
            r"\bI (?:do not|don(?:'|’)t) have (?:personal|my own|opinions|beliefs|feelings)",
            r"\b(?:sorry|apologi[sz]e)\b",
            r"作为(?:一个|一名)?(?:人工智能|AI|ai|语言模型|大模型)",
            r"我(?:无法|不能|没法|不便|不会)(?:回答|提供|选择|给出|表达|评价|对此)",
            r"我没有(?:个人|自己的)?(?:观点|意见|看法|情感|信仰)",
            r"(?:抱歉|对不起|很遗憾)",
        )
    ),
    re.IGNORECASE,
)


def normalise(text: str) -> str:
    """Full-width digits, colons and letters folded to their ASCII forms."""
    return unicodedata.normalize("NFKC", text)


def _part_of_range(text: str, start: int, end: int) -> bool:
    before = text[max(0, start - _LOOKBACK) : start]
    return bool(
        _RANGE_AFTER.match(text, end)
        or _RANGE_BEFORE.search(before)
        or _RANGE_OPENER.search(before)
        or _RANGE_BETWEEN.search(before)
    )


def parse_answer(text: str | None, scale_min: int, scale_max: int) -> ParsedAnswer:
    """The rating in `text` on the scale `scale_min`..`scale_max`, or why there is none."""
    if text is None or not text.strip():
        return ParsedAnswer(None, "empty")
    folded = normalise(text)
    saw_range = False
    for match in _NUMBER.finditer(folded):
        start, end = match.span()
        if _part_of_range(folded, start, end):
            saw_range = True
            continue
        token = match.group()
        if "." in token:
            return ParsedAnswer(None, "not_integer")
        value = int(token)
        if scale_min <= value <= scale_max:
            return ParsedAnswer(value, "ok")
        return ParsedAnswer(None, "out_of_scale")
    if _REFUSAL.search(folded):
        return ParsedAnswer(None, "refusal")
    return ParsedAnswer(None, "only_range" if saw_range else "no_number")
