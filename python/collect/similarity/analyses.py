"""The four similarity analyses of each instrument and the normalisation each one uses."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

import numpy as np

from collect.data.published import PERSONAS, Persona
from collect.similarity.zscore import LlmScaling
from collect.vocab import MFQ2, WVS7, Instrument, mfq2_foundation

NOTHING_REMOVED = "none"
# Persona labels of rows whose cosine spans several persona vectors concatenated.
BOTH_PERSONAS = "both"
ALL_PERSONAS = "all"
CONCATENATED_LABELS = (BOTH_PERSONAS, ALL_PERSONAS)


class WvsNoPersona(StrEnum):
    """Which LLM ratings the WVS-7 analyses without persona (rq1, rq3) read."""

    # docs/methods.md section 3.3: the persona-none vector of each (LLM, language), z-scored alone.
    NONE_ONLY = "none-only"
    # What the released analysis scripts compute: they read the no-persona file without
    # selecting persona, so the none, China and USA vectors of (LLM, language) are z-scored
    # together; rq1 compares the (pooled-centred) none vector, rq3 the three concatenated.
    ALL_PERSONAS = "all-personas"


@dataclass(frozen=True)
class Analysis:
    name: str
    personas: tuple[Persona, ...]
    # False: each respondent meets only answers given in the respondent's own language.
    both_languages: bool
    llm_scaling: LlmScaling
    human_means: bool
    leave_one_out: bool
    # QUIRK (MFQ-2 rq3_persona): one cosine over the persona vectors concatenated, against the
    # respondent's vector repeated once per persona; the rows carry this persona label.
    concatenated_label: str | None = None
    # Personas z-scored (and required complete) together with `personas`, not compared.
    scaled_with: tuple[Persona, ...] = ()
    # Also the study's other personas in each of its languages, and the compared personas in its
    # other languages: rows described beside the compared ones (similarity/described.py).
    describes_others: bool = False

    @property
    def scaled_personas(self) -> tuple[Persona, ...]:
        """Every persona whose vectors the analysis reads, in vocabulary order."""
        wanted = set(self.personas) | set(self.scaled_with)
        return tuple(p for p in PERSONAS if p in wanted)

    @property
    def persona_labels(self) -> tuple[str, ...]:
        return (self.concatenated_label,) if self.concatenated_label else self.personas


NO_PERSONA: tuple[Persona, ...] = ("none",)
WITH_PERSONA: tuple[Persona, ...] = ("China", "USA")


def analyses_for(instrument: Instrument,
                 wvs_no_persona: WvsNoPersona = WvsNoPersona.NONE_ONLY) -> tuple[Analysis, ...]:
    """rq1, rq2, rq3, rq3_persona as the published study ran them (docs/methods.md sections 3-4)."""
    mfq = instrument.name == MFQ2.name
    pooled = LlmScaling.POOLED_OVER_PERSONAS
    per_condition = LlmScaling.PER_CONDITION
    rq1 = Analysis("rq1", NO_PERSONA, False, per_condition, human_means=True,
                   leave_one_out=False)
    rq3 = Analysis("rq3", NO_PERSONA, False, per_condition, human_means=False,
                   leave_one_out=True)
    if instrument.name == WVS7.name and wvs_no_persona is WvsNoPersona.ALL_PERSONAS:
        rq1 = Analysis("rq1", NO_PERSONA, False, pooled, human_means=True, leave_one_out=False,
                       scaled_with=WITH_PERSONA)
        rq3 = Analysis("rq3", PERSONAS, False, pooled, human_means=False, leave_one_out=True,
                       concatenated_label=ALL_PERSONAS)
    return (
        rq1,
        Analysis("rq2", WITH_PERSONA, True, pooled if mfq else per_condition, human_means=False,
                 leave_one_out=False, describes_others=True),
        rq3,
        Analysis("rq3_persona", WITH_PERSONA, True, pooled if mfq else per_condition,
                 human_means=False, leave_one_out=True,
                 concatenated_label=BOTH_PERSONAS if mfq else None),
    )


def removal_blocks(instrument: Instrument, leave_one_out: bool) -> list[tuple[str, np.ndarray]]:
    """(label, mask of the items kept): nothing removed first, then one block per MFQ-2 foundation
    or per WVS question."""
    items = np.asarray(instrument.items)
    blocks = [(NOTHING_REMOVED, np.ones(len(items), dtype=bool))]
    if not leave_one_out:
        return blocks
    if instrument.name == MFQ2.name:
        foundation = np.array([mfq2_foundation(int(i)) for i in items])
        labels = list(dict.fromkeys(foundation))
        return blocks + [(label, foundation != label) for label in labels]
    return blocks + [(str(item), items != item) for item in items]
