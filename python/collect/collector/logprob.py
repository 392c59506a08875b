"""The log-probability readout: a model's probability of each scale point, read from the top
log-probabilities of its first answer tokens instead of from repeated samples.

Rule (docs/providers.md, "Log-probability readout"): every candidate of the first token whose text,
stripped of white space, is a whole number on the scale adds exp(logprob) to that rating (" 3" and
"3" add up). On a scale that reaches 10 the candidate "1" may be a whole answer or the start of
"10": when the sampled first token was "1" the second token's candidates split it (a "0" sends
that share to 10, any other digit d to 1d when on the scale, the rest stays with 1: `split` =
"second_token"); when the sampled first token was something else the second position says nothing
about "1", and its whole mass stays with rating 1 (`split` = "unsplit": an upper bound for 1 and a
lower bound for 10). A tokenizer with "10" as one token needs no split (`split` = "none").
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd

from collect.collector.study import Study


@dataclass(frozen=True)
class Readout:
    distribution: dict[int, float]  # rating -> probability, over the scale
    valid_mass: float  # probability of any answer on the scale
    expected: float | None  # mean rating under the distribution renormalised to valid answers
    modal: int | None
    split: str  # "none", "second_token" or "unsplit"


def token_positions(logprobs: Any) -> list[Mapping[str, Any]]:
    """The per-token entries of a chat completion's `choices[0].logprobs` (OpenAI's shape, which
    llama.cpp's servers also return): each with `token`, `logprob` and `top_logprobs`."""
    if not isinstance(logprobs, Mapping) or not isinstance(logprobs.get("content"), list):
        raise ValueError("logprobs has no content list")
    return [entry for entry in logprobs["content"] if isinstance(entry, Mapping)]


def _candidates(position: Mapping[str, Any]) -> dict[str, float]:
    """Stripped token text -> probability, summed over variants (" 3", "3")."""
    out: dict[str, float] = {}
    for candidate in position.get("top_logprobs") or []:
        text = str(candidate.get("token", "")).strip()
        out[text] = out.get(text, 0.0) + math.exp(float(candidate["logprob"]))
    return out


def read_distribution(positions: Sequence[Mapping[str, Any]], scale_min: int,
                      scale_max: int) -> Readout:
    if not positions:
        raise ValueError("no token positions")
    first = _candidates(positions[0])
    distribution = {rating: 0.0 for rating in range(scale_min, scale_max + 1)}
    for text, p in first.items():
        if text.isdigit() and int(text) in distribution:
            distribution[int(text)] += p
    split = "none"
    sampled = str(positions[0].get("token", "")).strip()
    # "10" among the first token's candidates (or sampled): the tokenizer has it as one token.
    whole_ten = sampled == "10" or "10" in first
    ambiguous = (scale_max >= 10 and 1 in distribution and first.get("1", 0.0) > 0
                 and not whole_ten)
    if ambiguous:
        p_one = first["1"]
        if sampled == "1" and len(positions) > 1:
            split = "second_token"
            for text, q in _candidates(positions[1]).items():
                if text.isdigit() and len(text) == 1 and int("1" + text) in distribution:
                    distribution[int("1" + text)] += p_one * q
                    distribution[1] -= p_one * q
        else:
            split = "unsplit"
    valid_mass = sum(distribution.values())
    if valid_mass <= 0:
        return Readout(distribution, 0.0, None, None, split)
    expected = sum(r * p for r, p in distribution.items()) / valid_mass
    modal = max(distribution, key=lambda r: distribution[r])
    return Readout(distribution, valid_mass, expected, modal, split)


def readout_table(study: Study, logprobs: pd.DataFrame) -> pd.DataFrame:
    """One row per stored logprob call: key, the rule's `split`, `valid_mass`, `expected_rating`,
    `modal_rating` and `p_<rating>` for every scale point of the study's instruments (NA off the
    instrument's scale). A call whose logprobs are unreadable gets `split` = "unreadable"."""
    ratings = sorted({r for spec in study.instruments.values()
                      for r in range(spec.scale_min, spec.scale_max + 1)})
    rows = []
    for row in logprobs.itertuples(index=False):
        spec = study.instruments[row.instrument]
        out: dict[str, Any] = {"study": row.study, "instrument": row.instrument,
                               "model": row.model, "language": row.language,
                               "persona": row.persona, "item": row.item}
        try:
            readout = read_distribution(token_positions(row.content), spec.scale_min,
                                        spec.scale_max)
        except (ValueError, KeyError, TypeError):
            rows.append({**out, "split": "unreadable"})
            continue
        out.update(split=readout.split, valid_mass=readout.valid_mass,
                   expected_rating=readout.expected, modal_rating=readout.modal)
        out.update({f"p_{r}": readout.distribution.get(r) for r in ratings})
        rows.append(out)
    columns = ["study", "instrument", "model", "language", "persona", "item", "split",
               "valid_mass", "expected_rating", "modal_rating", *(f"p_{r}" for r in ratings)]
    return pd.DataFrame(rows, columns=columns).sort_values(columns[:6], ignore_index=True)
