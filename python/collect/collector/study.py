"""A study as collection configuration: its design (collect.core.study) plus how each LLM is
reached: providers, call settings, retries, prices and the quality gates of a run.

Loading a study file checks everything that can be checked before a call is made, and every error
names the file and the field.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from collect.collector.providers.base import ProviderConfig
from collect.core.study import InstrumentSpec, Llm, StudyDesign, design_of, model_where
from collect.core.studyfile import ProviderEntry, StudyFile, read_study_file
from collect.errors import InputError
from collect.paths import shown


@dataclass(frozen=True)
class RetryPolicy:
    backoff_base_s: float = 1.0
    backoff_max_s: float = 60.0
    # A Retry-After longer than this is treated like an exhausted quota: the provider is stopped.
    max_retry_after_s: float = 300.0


# Per batch, by provider kind: OpenAI's Batch API takes at most 50,000 requests and 200 MB per
# file, Anthropic's Message Batches 100,000 requests and 256 MB.
BATCH_LIMITS = {"openai": (50_000, 200 * 1024 * 1024), "anthropic": (100_000, 256 * 1024 * 1024)}
BATCH_KINDS = tuple(BATCH_LIMITS)


@dataclass(frozen=True)
class BatchSettings:
    """How a provider with `mode = "batch"` is asked: one batch per file of at most
    `max_lines` requests and `max_bytes` bytes, polled every `poll_interval_s` seconds (doubling
    up to `poll_max_s`), at `price_factor` times the online price."""

    max_lines: int = BATCH_LIMITS["openai"][0]
    max_bytes: int = BATCH_LIMITS["openai"][1]
    poll_interval_s: float = 30.0
    poll_max_s: float = 600.0
    price_factor: float = 0.5
    max_rounds: int = 3  # submissions of the same line before it is left failed


@dataclass(frozen=True)
class ProviderSpec:
    config: ProviderConfig
    retry: RetryPolicy
    # "smollm2": `collect run` starts the bundled local model server and points base_url at it.
    local_server: str | None = None
    batch: BatchSettings | None = None  # None: online calls
    # Batch mode: how long a line may wait for its batches (expired or failed ones resubmitted).
    batch_time_budget_hours: float = 24.0


@dataclass(frozen=True, kw_only=True)
class ModelSpec(Llm):
    """An LLM of the design with the settings of its calls."""

    provider: str
    api_model: str
    temperature: float | None
    max_tokens: int
    disable_thinking: bool = False
    extra_body: Mapping[str, Any] = field(default_factory=dict)
    temperature_by_instrument: Mapping[str, float] = field(default_factory=dict)
    price_input_per_mtok: float | None = None  # US dollars per million input tokens
    price_output_per_mtok: float | None = None
    # "logprob": each item asked once per condition, the rating distribution read from the top
    # log-probabilities of the first answer tokens (collect.collector.logprob).
    readout: str = "sampled"
    top_logprobs: int = 20

    def temperature_for(self, instrument: str) -> float | None:
        return self.temperature_by_instrument.get(instrument, self.temperature)


@dataclass(frozen=True)
class GateThresholds:
    max_invalid_share: float = 0.2  # per model x instrument x condition
    max_refusal_share: float = 0.1
    min_completeness: float = 1.0
    check_degenerate: bool = True
    # Of the calls attempted in a run: above this share, the run "mostly failed".
    max_failed_share: float = 0.5


@dataclass(frozen=True, kw_only=True)
class Study(StudyDesign):
    models: tuple[ModelSpec, ...]
    providers: Mapping[str, ProviderSpec]
    gates: GateThresholds

    def select_models(self, model_ids: list[str] | None) -> tuple[ModelSpec, ...]:
        chosen = {model.id for model in super().select_models(model_ids)}
        return tuple(model for model in self.models if model.id in chosen)


def load_study(path: str | Path) -> Study:
    """Read and check a study file, once: its design and its collection settings."""
    path = Path(path)
    parsed = read_study_file(path)
    design = design_of(parsed, path)
    providers = _load_providers(parsed, path)
    models = _load_models(parsed, design, providers, path)
    gates = parsed.gates
    return Study(
        **{**vars(design), "models": models},
        providers=providers,
        gates=GateThresholds(
            max_invalid_share=gates.max_invalid_share,
            max_refusal_share=gates.max_refusal_share,
            min_completeness=gates.min_completeness,
            check_degenerate=gates.check_degenerate,
            max_failed_share=gates.max_failed_share,
        ),
    )


def _load_providers(parsed: StudyFile, path: Path) -> dict[str, ProviderSpec]:
    providers: dict[str, ProviderSpec] = {}
    for name, entry in parsed.providers.items():
        where = f"providers.{name}"
        if entry.local_server is None and entry.base_url is None and entry.kind == "openai":
            raise InputError("required for an OpenAI-compatible provider", file=path,
                             column=f"{where}.base_url")
        config = ProviderConfig(
            name=name,
            kind=entry.kind,
            base_url=entry.base_url,
            api_key_env=entry.api_key_env,
            timeout_s=entry.timeout_s,
            max_concurrency=entry.max_concurrency,
            requests_per_minute=entry.requests_per_minute,
            tokens_per_minute=entry.tokens_per_minute,
            max_attempts=entry.max_attempts,
        )
        retry = RetryPolicy(entry.backoff_base_s, entry.backoff_max_s, entry.max_retry_after_s)
        providers[name] = ProviderSpec(config, retry, entry.local_server,
                                       _batch_settings(entry, where, path),
                                       entry.batch_time_budget_hours)
    return providers


def _batch_settings(entry: ProviderEntry, where: str, path: Path) -> BatchSettings | None:
    if entry.mode == "online":
        return None
    if entry.kind not in BATCH_KINDS:
        raise InputError(f"batch mode is implemented for kinds {list(BATCH_KINDS)}, not "
                         f"{entry.kind!r}", file=path, column=f"{where}.mode")
    lines, size = BATCH_LIMITS[entry.kind]
    return BatchSettings(
        max_lines=entry.batch_max_lines or lines,
        max_bytes=entry.batch_max_bytes or size,
        poll_interval_s=entry.batch_poll_interval_s,
        poll_max_s=entry.batch_poll_max_s,
        price_factor=entry.batch_price_factor,
        max_rounds=entry.batch_max_rounds,
    )


def _load_models(
    parsed: StudyFile, design: StudyDesign, providers: Mapping[str, ProviderSpec], path: Path
) -> tuple[ModelSpec, ...]:
    instruments: Mapping[str, InstrumentSpec] = design.instruments
    models: list[ModelSpec] = []
    for index, (entry, llm) in enumerate(zip(parsed.models, design.models, strict=True)):
        where = model_where(index, entry.id)
        if entry.provider not in providers:
            raise InputError(f"unknown provider {entry.provider!r}; the study declares "
                             f"{sorted(providers)}", file=path, column=f"{where}.provider")
        unknown = sorted(set(entry.temperature_by_instrument) - set(instruments))
        if unknown:
            raise InputError(f"unknown instrument {unknown[0]!r}", file=path,
                             column=f"{where}.temperature_by_instrument")
        provider = providers[entry.provider]
        if entry.readout == "logprob" and (provider.config.kind != "openai"
                                           or provider.batch is not None):
            raise InputError("the logprob readout needs an online provider of kind 'openai'",
                             file=path, column=f"{where}.readout")
        models.append(
            ModelSpec(
                **vars(llm),
                provider=entry.provider,
                api_model=entry.api_model,
                temperature=entry.temperature,
                max_tokens=entry.max_tokens or parsed.study.max_tokens,
                disable_thinking=entry.disable_thinking,
                extra_body=dict(entry.extra_body),
                temperature_by_instrument=dict(entry.temperature_by_instrument),
                price_input_per_mtok=entry.price_input_per_mtok,
                price_output_per_mtok=entry.price_output_per_mtok,
                readout=entry.readout,
                top_logprobs=entry.top_logprobs,
            )
        )
    return tuple(models)


# What a study is, as the book and an export folder name it (study_record()).
STUDY_SUMMARY = "study.json"


def study_record(study: Study) -> dict[str, Any]:
    """The study as the book names it: its title, vocabulary, instruments and models."""
    return {
        "name": study.name,
        "title": study.title,
        "description": study.description,
        "file": shown(str(study.path.resolve())),
        "repetitions": study.repetitions,
        "languages": list(study.languages),
        "personas": list(study.personas),
        "nations": {name: {"adjective": n.adjective, "language": n.language}
                    for name, n in study.nations.items()},
        "compare": list(study.compare),
        "instruments": list(study.instruments),
        "models": [{"id": m.id, "display_name": m.display_name, "origin": m.origin,
                    "maker": m.maker, "provider": m.provider, "api_model": m.api_model,
                    "temperature": m.temperature} for m in study.models],
    }
