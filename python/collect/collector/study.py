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
from collect.collector.providers.registry import PROVIDER_KINDS
from collect.core.study import (
    HEAD_FIELDS,
    LLM_FIELDS,
    SECTIONS,
    InstrumentSpec,
    Llm,
    StudyDesign,
    design_of,
    model_fields,
)
from collect.core.tomlfields import Fields, read_toml

LOCAL_SERVERS = ("smollm2",)
MODEL_SETTINGS = frozenset({"provider", "api_model", "temperature", "max_tokens",
                            "disable_thinking", "extra_body", "temperature_by_instrument",
                            "price_input_per_mtok", "price_output_per_mtok", "readout",
                            "top_logprobs"})
READOUTS = ("sampled", "logprob")


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
    """Read and check a study file: its design and its collection settings."""
    path = Path(path)
    raw = read_toml(path)
    design = design_of(raw, path)
    top = Fields(raw, "(top level)", path)
    top.reject_unknown(SECTIONS | {"providers", "gates"})
    head = Fields(top.get("study", dict), "study", path)
    head.reject_unknown(HEAD_FIELDS | {"max_tokens"})
    providers = _load_providers(top.get("providers", dict), path)
    models = _load_models(top.get("models", list), design, providers,
                          head.get("max_tokens", int, 10), path)
    return Study(
        **{**vars(design), "models": models},
        providers=providers,
        gates=_load_gates(top.get("gates", dict, {}), path),
    )


def _load_providers(table: Mapping[str, Any], path: Path) -> dict[str, ProviderSpec]:
    providers: dict[str, ProviderSpec] = {}
    for name, entry in table.items():
        fields = Fields(entry, f"providers.{name}", path)
        fields.reject_unknown({"kind", "base_url", "api_key_env", "timeout_s", "max_concurrency",
                               "requests_per_minute", "tokens_per_minute", "max_attempts",
                               "backoff_base_s", "backoff_max_s", "max_retry_after_s",
                               "local_server", "note", "mode", "batch_max_lines",
                               "batch_max_bytes", "batch_poll_interval_s", "batch_poll_max_s",
                               "batch_price_factor", "batch_max_rounds",
                               "batch_time_budget_hours"})
        kind = fields.get("kind", str)
        if kind not in PROVIDER_KINDS:
            raise fields.error("kind", f"unknown provider kind {kind!r}; expected one of "
                                       f"{list(PROVIDER_KINDS)}")
        api_key_env = fields.get("api_key_env", str)
        if not api_key_env.strip():
            raise fields.error("api_key_env", "must name an environment variable")
        config = ProviderConfig(
            name=name,
            kind=kind,
            base_url=fields.get("base_url", str, None),
            api_key_env=api_key_env,
            timeout_s=fields.positive("timeout_s", 60.0),
            max_concurrency=fields.get("max_concurrency", int, 8),
            requests_per_minute=fields.positive("requests_per_minute", None),
            tokens_per_minute=fields.positive("tokens_per_minute", None),
            max_attempts=fields.get("max_attempts", int, 6),
        )
        for label in ("max_concurrency", "max_attempts"):
            if getattr(config, label) < 1:
                raise fields.error(label, "must be at least 1")
        retry = RetryPolicy(
            backoff_base_s=fields.positive("backoff_base_s", 1.0),
            backoff_max_s=fields.positive("backoff_max_s", 60.0),
            max_retry_after_s=fields.positive("max_retry_after_s", 300.0),
        )
        local_server = fields.get("local_server", str, None)
        if local_server is not None and local_server not in LOCAL_SERVERS:
            raise fields.error("local_server", f"expected one of {list(LOCAL_SERVERS)}, got "
                                               f"{local_server!r}")
        if local_server is None and config.base_url is None and kind == "openai":
            raise fields.error("base_url", "required for an OpenAI-compatible provider")
        providers[name] = ProviderSpec(config, retry, local_server, _batch_settings(fields, kind),
                                       fields.positive("batch_time_budget_hours", 24.0))
    return providers


def _batch_settings(fields: Fields, kind: str) -> BatchSettings | None:
    mode = fields.get("mode", str, "online")
    if mode not in ("online", "batch"):
        raise fields.error("mode", f'expected "online" or "batch", got {mode!r}')
    if mode == "online":
        return None
    if kind not in BATCH_KINDS:
        raise fields.error("mode", f"batch mode is implemented for kinds {list(BATCH_KINDS)}, "
                                   f"not {kind!r}")
    settings = BatchSettings(
        max_lines=fields.get("batch_max_lines", int, BATCH_LIMITS[kind][0]),
        max_bytes=fields.get("batch_max_bytes", int, BATCH_LIMITS[kind][1]),
        poll_interval_s=fields.positive("batch_poll_interval_s", 30.0),
        poll_max_s=fields.positive("batch_poll_max_s", 600.0),
        price_factor=fields.positive("batch_price_factor", 0.5),
        max_rounds=fields.get("batch_max_rounds", int, 3),
    )
    for label in ("max_lines", "max_bytes", "max_rounds"):
        if getattr(settings, label) < 1:
            raise fields.error(f"batch_{label}", "must be at least 1")
    return settings


def _load_models(
    entries: list[Any],
    design: StudyDesign,
    providers: Mapping[str, ProviderSpec],
    default_max_tokens: int,
    path: Path,
) -> tuple[ModelSpec, ...]:
    instruments: Mapping[str, InstrumentSpec] = design.instruments
    models: list[ModelSpec] = []
    for fields, llm in zip(model_fields(entries, path), design.models, strict=True):
        fields.reject_unknown(LLM_FIELDS | MODEL_SETTINGS)
        provider = fields.get("provider", str)
        if provider not in providers:
            raise fields.error("provider", f"unknown provider {provider!r}; the study declares "
                                           f"{sorted(providers)}")
        by_instrument = fields.get("temperature_by_instrument", dict, {})
        for instrument, value in by_instrument.items():
            if instrument not in instruments or not isinstance(value, int | float):
                raise fields.error("temperature_by_instrument",
                                   f"expected instrument = number, got {instrument} = {value!r}")
        max_tokens = fields.get("max_tokens", int, default_max_tokens)
        if max_tokens < 1:
            raise fields.error("max_tokens", "must be at least 1")
        readout = fields.get("readout", str, "sampled")
        if readout not in READOUTS:
            raise fields.error("readout", f"expected one of {list(READOUTS)}, got {readout!r}")
        if readout == "logprob" and (providers[provider].config.kind != "openai"
                                     or providers[provider].batch is not None):
            raise fields.error("readout", "the logprob readout needs an online provider of kind "
                                          "'openai'")
        top_logprobs = fields.get("top_logprobs", int, 20)
        if not 1 <= top_logprobs <= 20:
            raise fields.error("top_logprobs", "must be between 1 and 20")
        models.append(
            ModelSpec(
                **vars(llm),
                provider=provider,
                api_model=fields.get("api_model", str),
                temperature=fields.number("temperature", None),
                max_tokens=max_tokens,
                disable_thinking=fields.get("disable_thinking", bool, False),
                extra_body=dict(fields.get("extra_body", dict, {})),
                temperature_by_instrument={k: float(v) for k, v in by_instrument.items()},
                price_input_per_mtok=fields.number("price_input_per_mtok", None),
                price_output_per_mtok=fields.number("price_output_per_mtok", None),
                readout=readout,
                top_logprobs=top_logprobs,
            )
        )
    return tuple(models)


def _load_gates(table: Mapping[str, Any], path: Path) -> GateThresholds:
    fields = Fields(table, "gates", path)
    fields.reject_unknown({"max_invalid_share", "max_refusal_share", "min_completeness",
                           "check_degenerate", "max_failed_share", "note"})
    defaults = GateThresholds()
    return GateThresholds(
        max_invalid_share=fields.number("max_invalid_share", defaults.max_invalid_share),
        max_refusal_share=fields.number("max_refusal_share", defaults.max_refusal_share),
        min_completeness=fields.number("min_completeness", defaults.min_completeness),
        check_degenerate=fields.get("check_degenerate", bool, defaults.check_degenerate),
        max_failed_share=fields.number("max_failed_share", defaults.max_failed_share),
    )
