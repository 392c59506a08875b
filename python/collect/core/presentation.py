"""How an item is put to an LLM beyond its text: the presentation of the options and the wording
of the instruction, two design factors of a study (docs/methods.md section 1.4).

Presentations: `published` lists the options lowest rating first, numbered as published;
`reversed` lists them top rating first, each keeping its number; `renumbered` lists the numbers
in order but maps them the other way (1 = the top label), and a rating read from such an answer is
recoded to the published scale (`to_published_scale`).

Assignment: with `counterbalanced`, repetition r of an item gets combination r mod K of the
K = presentations x wordings combinations, taken presentation-major (every wording of the first
presentation, then of the next), so each cell of model x instrument x language x persona x item
gets every combination equally often; a run cut short leaves whole repetitions. With `random`,
each call draws its combination from a generator seeded by the study's `assignment_seed` and the
call's key, so a rerun plans the same draws. A logprob readout asks each cell once, as published
and in the base wording (collect.collector.design).
"""

from __future__ import annotations

import random
from itertools import product

from collect.core.study import InstrumentSpec, StudyDesign, Templates

PUBLISHED = "published"


def combinations(study: StudyDesign, instrument: InstrumentSpec) -> list[tuple[str, str]]:
    """The (presentation, wording) pairs of `instrument`, presentation-major."""
    return list(product(study.presentations, instrument.wordings))


def assigned(study: StudyDesign, instrument: InstrumentSpec, cell: tuple[object, ...],
             iteration: int) -> tuple[str, str]:
    """The (presentation, wording) of repetition `iteration` of a cell (model, instrument,
    language, persona, item)."""
    pairs = combinations(study, instrument)
    if study.assignment == "random":
        seed = "/".join(str(part) for part in (study.assignment_seed, *cell, iteration))
        return random.Random(seed).choice(pairs)
    return pairs[iteration % len(pairs)]


def option_listing(templates: Templates, presentation: str, scale_min: int) -> str:
    """The options as the `{options}` placeholder writes them, one per line."""
    labels = templates.options or ()
    numbered = [(scale_min + rank, label) for rank, label in enumerate(labels)]
    if presentation == "reversed":
        numbered.reverse()
    elif presentation == "renumbered":
        numbered = list(zip((n for n, _ in numbered), reversed(labels), strict=True))
    return "\n".join(templates.option_line.format(number=n, label=label) for n, label in numbered)


def to_published_scale(rating: int | None, presentation: str, scale_min: int,
                       scale_max: int) -> int | None:
    """A rating read under `presentation`, on the published scale."""
    if rating is None or presentation != "renumbered":
        return rating
    return scale_min + scale_max - rating
