"""The exact system and user messages of every call, rendered from a study's templates."""

from __future__ import annotations

from collect.collector.study import Study
from collect.core.presentation import PUBLISHED, option_listing
from collect.core.studyfile import BASE_WORDING
from collect.errors import InputError


def render_prompts(
    study: Study, instrument: str, language: str, persona: str, item: int,
    presentation: str = PUBLISHED, variant: str = BASE_WORDING,
) -> tuple[str, str]:
    """The (system, user) messages asked of every model for this item in this condition, with
    the options shown as `presentation` says and the instruction worded as `variant`."""
    try:
        spec = study.instruments[instrument]
        templates = spec.templates[language]
        persona_line = templates.persona_lines[persona]
        item_text = spec.item_text(item, language)
        system, user = templates.wording(variant)
    except KeyError as missing:
        raise InputError(
            f"no prompt for instrument {instrument!r}, language {language!r}, persona "
            f"{persona!r}, item {item}, variant {variant!r}: {missing} is not in the study",
            file=study.path,
        ) from None
    values = {
        "persona_line": persona_line,
        "item_text": item_text,
        "scale_min": spec.scale_min,
        "scale_max": spec.scale_max,
        "options": option_listing(templates, presentation, spec.scale_min),
    }
    if templates.options is None and "{options}" in system + user:
        raise InputError("the template uses {options} but gives no `options`", file=study.path,
                         column=f"templates.{instrument}.{language}")
    return system.format(**values), user.format(**values)
