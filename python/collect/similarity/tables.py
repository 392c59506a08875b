"""Long cosine tables in the derived-table contract, assembled from blocks of cosine matrices."""

from __future__ import annotations

import numpy as np
import pandas as pd

from collect.data.published import LANGUAGE_OF_NATION, LANGUAGES, NATIONS, PERSONAS
from collect.similarity.analyses import CONCATENATED_LABELS
from collect.vocab import NO_PERSONA

COLUMNS = (
    "respondent", "nationality", "llm", "llm_origin", "is_human_mean", "language", "persona",
    "cosine", "removed", "congruent_language", "congruent_persona", "congruent_origin",
)


class CosineTable:
    """Collects (respondents x llms) cosine blocks of one analysis; `frame()` makes the table.

    Rows come out block by block, respondent-major within a block, so no per-row work is done
    in Python.
    """

    def __init__(self, llms: list[str], origins: list[str], human_mean: list[bool],
                 removed_labels: list[str], languages: tuple[str, ...] = LANGUAGES,
                 personas: tuple[str, ...] = PERSONAS) -> None:
        """`languages` and `personas`: the table's labels, the published design's first; an
        LLM's origin may be any nation, the compared ones first among the labels."""
        self.llms = llms
        self.origins = [*NATIONS, *dict.fromkeys(o for o in origins if o not in NATIONS)]
        self.origin_code = np.array([self.origins.index(o) for o in origins], dtype=np.int8)
        self.human_mean = np.array(human_mean, dtype=bool)
        self.removed_labels = removed_labels
        self.languages = tuple(languages)
        self.persona_labels = (*personas, *CONCATENATED_LABELS)
        self._parts: dict[str, list[np.ndarray]] = {
            k: [] for k in ("respondent", "llm", "nationality", "language", "persona", "cosine",
                            "removed")
        }

    def add(self, cosines: np.ndarray, respondents: np.ndarray, llm_codes: np.ndarray, *,
            nationality: str, language: str, persona: str, removed: str) -> None:
        n, m = cosines.shape
        rows = n * m
        parts = self._parts
        parts["respondent"].append(np.repeat(respondents.astype(np.int32), m))
        parts["llm"].append(np.tile(llm_codes.astype(np.int16), n))
        parts["cosine"].append(cosines.reshape(rows))
        for key, code in (("nationality", NATIONS.index(nationality)),
                          ("language", self.languages.index(language)),
                          ("persona", self.persona_labels.index(persona)),
                          ("removed", self.removed_labels.index(removed))):
            parts[key].append(np.full(rows, code, dtype=np.int16))

    def frame(self) -> pd.DataFrame:
        if not self._parts["cosine"]:
            return empty_table()
        col = {k: np.concatenate(v) for k, v in self._parts.items()}
        nationality, llm = col["nationality"], col["llm"]
        origin = self.origin_code[llm]
        own_language = np.array([self.languages.index(LANGUAGE_OF_NATION[n]) for n in NATIONS])
        # The persona's nation among NATIONS; -2 for another nation's persona (congruent with
        # no respondent), -1 where no single persona speaks (no congruence at all).
        persona_nation = np.array([
            NATIONS.index(p) if p in NATIONS
            else -1 if p in (NO_PERSONA, *CONCATENATED_LABELS) else -2
            for p in self.persona_labels])[col["persona"]]
        congruent_persona = pd.array(persona_nation == nationality, dtype="boolean")
        congruent_persona[persona_nation == -1] = pd.NA
        return pd.DataFrame({
            "respondent": col["respondent"],
            "nationality": _factor(nationality, NATIONS),
            "llm": _factor(llm, self.llms),
            "llm_origin": _factor(origin, self.origins),
            "is_human_mean": self.human_mean[llm],
            "language": _factor(col["language"], self.languages),
            "persona": _factor(col["persona"], self.persona_labels),
            "cosine": col["cosine"],
            "removed": _factor(col["removed"], self.removed_labels),
            "congruent_language": own_language[nationality] == col["language"],
            "congruent_persona": congruent_persona,
            "congruent_origin": origin == nationality,
        })


def _factor(codes: np.ndarray, labels: list[str] | tuple[str, ...]) -> pd.Categorical:
    return pd.Categorical.from_codes(codes.astype(np.int16), categories=list(labels))


def empty_table() -> pd.DataFrame:
    return pd.DataFrame({
        "respondent": np.array([], dtype=np.int32),
        **{c: pd.Categorical([]) for c in ("nationality", "llm", "llm_origin")},
        "is_human_mean": np.array([], dtype=bool),
        **{c: pd.Categorical([]) for c in ("language", "persona")},
        "cosine": np.array([], dtype=np.float64),
        "removed": pd.Categorical([]),
        "congruent_language": np.array([], dtype=bool),
        "congruent_persona": pd.array([], dtype="boolean"),
        "congruent_origin": np.array([], dtype=bool),
    })
