"""The vocabulary the R analysis reads from the manifest instead of typing it again.

Every value comes from its one home: the study file (its name, title, nations, languages,
personas, LLMs and makers), collect.vocab (what is fixed by method), the table columns and the
analyses;
R/analysis/contract.R reads and validates it. `R/analysis/contract.json` is the same contract
with the release's human-mean ids, for R code that runs without derived data (simulations);
tests/analysis/test_contract.py keeps it equal to `study_contract()`.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from collect.core.study import StudyVocabulary, load_vocabulary
from collect.data.published import NATIONS
from collect.paths import PATHS
from collect.similarity.analyses import CONCATENATED_LABELS, NOTHING_REMOVED
from collect.similarity.tables import COLUMNS
from collect.vocab import INSTRUMENTS, MFQ2_FIGURE_ORDER, MFQ2_FOUNDATIONS, NO_PERSONA

# The release's model ids of the human-mean rows (Data/llm_info.csv); the manifest carries the
# ids of the models table actually read.
RELEASE_HUMAN_MEAN_IDS: dict[str, str] = {n: f"Human mean, {n}" for n in NATIONS}


def study_contract(
    human_mean_ids: dict[str, str] | None = None,
    study: StudyVocabulary | None = None,
    human_groups: list[str] | None = None,
) -> dict[str, Any]:
    """The contract of `study` (default the shipped one) whose humans are `human_groups`
    (default the nations the similarity tables compare)."""
    study = study or load_vocabulary(PATHS.shipped_study)
    groups = list(human_groups if human_groups is not None else NATIONS)
    # The human-mean rows carry their nationality as origin, a nation no LLM may come from.
    origins = list(dict.fromkeys([*study.origins, *groups]))
    return {
        "columns": list(COLUMNS),
        "allowed_values": {
            "nationality": list(NATIONS),
            "llm_origin": origins,
            "language": list(study.languages),
            "persona": [*study.personas, *CONCATENATED_LABELS],
        },
        "nations": list(study.compare),
        "languages": list(study.languages),
        "language_of_nation": {name: study.nations[name].language for name in study.compare},
        "personas": list(study.personas),
        "no_persona": NO_PERSONA,
        "nothing_removed": NOTHING_REMOVED,
        "foundations": list(MFQ2_FOUNDATIONS),
        "foundation_rule": "MFQ-2 item i belongs to foundations[(i - 1) mod 6]",
        "foundation_figure_order": list(MFQ2_FIGURE_ORDER),
        "instrument_labels": {name: i.short_label for name, i in INSTRUMENTS.items()},
        "human_mean_ids": dict(human_mean_ids or RELEASE_HUMAN_MEAN_IDS),
        "study": {
            "name": study.name,
            "title": study.title,
            "description": study.description,
            "file": project_relative(study.path),
            "repetitions": study.repetitions,
        },
        "nation_adjectives": {name: n.adjective for name, n in study.nations.items()},
        "origins": list(study.origins),
        "models": [{"id": m.id, "display_name": m.display_name, "origin": m.origin,
                    "maker": m.maker} for m in study.models],
        "human_groups": groups,
    }


def project_relative(path: Path) -> str:
    """A path as the project names it: relative to the project root when under it."""
    resolved = path.resolve()
    try:
        return str(resolved.relative_to(PATHS.root.resolve()))
    except ValueError:
        return str(resolved)


def write_default_contract(path: Path) -> None:
    """Writes R/analysis/contract.json: `python -m collect.similarity.contract PATH`."""
    path.write_text(json.dumps(study_contract(), indent=2, ensure_ascii=False) + "\n",
                    encoding="utf-8")


if __name__ == "__main__":
    import sys

    write_default_contract(Path(sys.argv[1]))
