"""The vocabulary the R analysis reads from the manifest instead of typing it again.

Every value comes from its one home here (collect.vocab, the table columns, the analyses);
R/analysis/contract.R reads and validates it. `R/analysis/contract.json` is the same contract
with the release's human-mean ids, for R code that runs without derived data (simulations);
tests/analysis/test_contract.py keeps it equal to `study_contract()`.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from collect.similarity.analyses import NOTHING_REMOVED
from collect.similarity.tables import COLUMNS, PERSONA_LABELS
from collect.vocab import (
    INSTRUMENTS,
    LANGUAGE_OF_NATION,
    LANGUAGES,
    MFQ2_FIGURE_ORDER,
    MFQ2_FOUNDATIONS,
    NATIONS,
    PERSONAS,
)

# The release's model ids of the human-mean rows (Data/llm_info.csv); the manifest carries the
# ids of the models table actually read.
RELEASE_HUMAN_MEAN_IDS: dict[str, str] = {n: f"Human mean, {n}" for n in NATIONS}


def study_contract(human_mean_ids: dict[str, str] | None = None) -> dict[str, Any]:
    return {
        "columns": list(COLUMNS),
        "allowed_values": {
            "nationality": list(NATIONS),
            "llm_origin": list(NATIONS),
            "language": list(LANGUAGES),
            "persona": list(PERSONA_LABELS),
        },
        "nations": list(NATIONS),
        "languages": list(LANGUAGES),
        "language_of_nation": dict(LANGUAGE_OF_NATION),
        "personas": list(PERSONAS),
        "no_persona": PERSONAS[0],
        "nothing_removed": NOTHING_REMOVED,
        "foundations": list(MFQ2_FOUNDATIONS),
        "foundation_rule": "MFQ-2 item i belongs to foundations[(i - 1) mod 6]",
        "foundation_figure_order": list(MFQ2_FIGURE_ORDER),
        "instrument_labels": {name: i.short_label for name, i in INSTRUMENTS.items()},
        "human_mean_ids": dict(human_mean_ids or RELEASE_HUMAN_MEAN_IDS),
    }


def write_default_contract(path: Path) -> None:
    """Writes R/analysis/contract.json: `python -m collect.similarity.contract PATH`."""
    path.write_text(json.dumps(study_contract(), indent=2, ensure_ascii=False) + "\n",
                    encoding="utf-8")


if __name__ == "__main__":
    import sys

    write_default_contract(Path(sys.argv[1]))
