"""Rows a study adds beside the published design: its other personas, and every persona in its
other languages, compared with the respondents as the compared rows are (docs/methods.md section
1.7). The R analysis describes them in its cell tables and leaves them out of two-nation contrasts.

Each such vector is z-scored as its compared neighbours are: alone (per condition), or, where the
compared personas of an (LLM, language) share one mean and SD, with that mean and SD of the
compared personas' ratings in the same language, so its cosines sit on their scale.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from collect.data.published import LANGUAGES
from collect.similarity.analyses import NOTHING_REMOVED, Analysis
from collect.similarity.cosine import cosine_matrix
from collect.similarity.inputs import LlmRatings
from collect.similarity.tables import CosineTable
from collect.similarity.zscore import ZERO_SD, LlmScaling
from collect.vocab import NO_PERSONA


@dataclass(frozen=True)
class SetAside:
    """A described condition of one LLM left out, and why."""

    model: str
    language: str
    persona: str
    reason: str


def other_conditions(analysis: Analysis, llms: LlmRatings) -> list[tuple[str, str]]:
    """(language, persona) of the study that `analysis` describes beside those it compares."""
    if not analysis.describes_others:
        return []
    personas = [p for p in llms.personas if p != NO_PERSONA]
    return [(language, persona) for language in llms.languages for persona in personas
            if not (language in LANGUAGES and persona in analysis.personas)]


def described_z(llms: LlmRatings, model: int, language: str, persona: str,
                analysis: Analysis) -> tuple[np.ndarray | None, str]:
    """The z-scored vector of one LLM condition, or None and the reason it has none."""
    by_language = llms.means[model, llms.languages.index(language)]
    vector = by_language[llms.personas.index(persona)]
    if np.isnan(vector).any():
        return None, "an item without valid answer"
    scale = vector
    if analysis.llm_scaling is LlmScaling.POOLED_OVER_PERSONAS:
        scale = by_language[[llms.personas.index(p) for p in analysis.personas]].ravel()
        if np.isnan(scale).any():
            return None, (f"the personas {list(analysis.personas)} that give its scale lack a "
                          f"valid answer in {language}")
    sd = float(np.sqrt(((scale - scale.mean()) ** 2).sum() / max(scale.size - 1, 1)))
    if not sd > ZERO_SD:
        return None, "ratings do not vary (no z-score)"
    return (vector - scale.mean()) / sd, ""


def add_described(table: CosineTable, analysis: Analysis, llms: LlmRatings,
                  kept_codes: np.ndarray, groups: tuple[tuple[str, np.ndarray, np.ndarray], ...],
                  ) -> list[SetAside]:
    """Adds the described rows of the LLMs `analysis` kept, for each group (nationality, ids, z);
    returns the LLM conditions set aside."""
    set_aside = []
    for language, persona in other_conditions(analysis, llms):
        vectors, codes = [], []
        for code in kept_codes:
            z, why = described_z(llms, int(code), language, persona, analysis)
            if z is None:
                set_aside.append(SetAside(llms.models[code], language, persona, why))
                continue
            vectors.append(z)
            codes.append(code)
        if not codes:
            continue
        for nationality, ids, humans in groups:
            table.add(cosine_matrix(humans, np.stack(vectors)), ids, np.asarray(codes),
                      nationality=nationality, language=language, persona=persona,
                      removed=NOTHING_REMOVED)
    return set_aside
