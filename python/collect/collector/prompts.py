"""The exact system and user messages of every call, rendered from a study's templates."""

from __future__ import annotations

from collect.collector.study import Study
from collect.errors import InputError


def render_prompts(
    study: Study, instrument: str, language: str, persona: str, item: int
) -> tuple[str, str]:
    """The (system, user) messages asked of every model for this item in this condition."""
    try:
        spec = study.instruments[instrument]
        templates = spec.templates[language]
        persona_line = templates.persona_lines[persona]
        item_text = spec.item_text(item, language)
    except KeyError as missing:
        raise InputError(
            f"no prompt for instrument {instrument!r}, language {language!r}, persona "
            f"{persona!r}, item {item}: {missing} is not in the study",
            file=study.path,
        ) from None
    values = {
        "persona_line": persona_line,
        "item_text": item_text,
        "scale_min": spec.scale_min,
        "scale_max": spec.scale_max,
    }
    return templates.system.format(**values), templates.user.format(**values)
