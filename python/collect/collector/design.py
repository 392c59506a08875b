"""The study's design expanded into fully specified calls, each with a stable key, before any call.

Order: model, instrument, language, persona, iteration, item. Iterations are the outer loop of a
condition so that a run cut short leaves whole replicates rather than whole items. Each call's
presentation of the options and wording of the instruction are assigned here
(collect.core.presentation); they are part of the call, not of its key.
"""

from __future__ import annotations

from dataclasses import dataclass

from collect.collector.prompts import render_prompts
from collect.collector.providers.base import ChatRequest
from collect.collector.study import ModelSpec, Study
from collect.core.presentation import PUBLISHED, assigned
from collect.core.studyfile import BASE_WORDING

LOGPROB_MAX_TOKENS = 2


@dataclass(frozen=True, order=True)
class CallKey:
    study: str
    model: str
    instrument: str
    language: str
    persona: str
    item: int
    iteration: int  # 0-based, as in the release


@dataclass(frozen=True)
class PlannedCall:
    key: CallKey
    provider: str
    request: ChatRequest
    presentation: str = PUBLISHED
    variant: str = BASE_WORDING

    @property
    def estimated_input_tokens(self) -> int:
        return estimate_tokens(self.request.system) + estimate_tokens(self.request.user) + 8


def estimate_tokens(text: str) -> int:
    """A rough count without a tokenizer: a token per CJK character, else one per 4 characters."""
    cjk = sum(1 for ch in text if "\u3000" <= ch <= "\u9fff" or "\uff00" <= ch <= "\uffef")
    return cjk + (len(text) - cjk + 3) // 4


def plan_calls(study: Study, models: tuple[ModelSpec, ...] | None = None) -> list[PlannedCall]:
    """Every call of the study (or of the chosen models), in a stable order."""
    prompts: dict[tuple[str, str, str, int, str, str], tuple[str, str]] = {}
    planned: list[PlannedCall] = []
    for model in models if models is not None else study.models:
        extra_body = dict(model.extra_body)
        repetitions, max_tokens = study.repetitions, model.max_tokens
        if model.readout == "logprob":
            # Once per condition; two tokens, so that a first token "1" can be split (logprob.py).
            repetitions, max_tokens = 1, LOGPROB_MAX_TOKENS
            extra_body.update(logprobs=True, top_logprobs=model.top_logprobs)
        for instrument, spec in study.instruments.items():
            if not model.runs(instrument):
                continue
            temperature = model.temperature_for(instrument)
            for language in study.languages:
                for persona in study.personas:
                    for iteration in range(repetitions):
                        for item in spec.items:
                            shown = _shown(study, model, (instrument, language, persona,
                                                          item), iteration)
                            where = (instrument, language, persona, item, *shown)
                            if where not in prompts:
                                prompts[where] = render_prompts(study, *where)
                            system, user = prompts[where]
                            planned.append(
                                PlannedCall(
                                    key=CallKey(study.name, model.id, instrument, language,
                                                persona, item, iteration),
                                    provider=model.provider,
                                    request=ChatRequest(
                                        api_model=model.api_model,
                                        system=system,
                                        user=user,
                                        max_tokens=max_tokens,
                                        temperature=temperature,
                                        disable_thinking=model.disable_thinking,
                                        extra_body=extra_body,
                                    ),
                                    presentation=shown[0],
                                    variant=shown[1],
                                )
                            )
    return planned


def _shown(study: Study, model: ModelSpec, cell: tuple[str, str, str, int],
           iteration: int) -> tuple[str, str]:
    """The presentation and wording of a call; a logprob readout's one call per cell is asked
    as published, in the base wording."""
    if model.readout == "logprob":
        return PUBLISHED, BASE_WORDING
    return assigned(study, study.instruments[cell[0]], (model.id, *cell), iteration)
