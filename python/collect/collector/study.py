"""A study as configuration: providers, models, instruments, conditions, repetitions and prompts.

A study file is TOML (see `studies/made_in_china.toml` for a commented example). Loading it checks
everything that can be checked before a call is made, and every error names the file and the field.
"""

from __future__ import annotations

import csv
import string
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from collect.collector.providers.base import ProviderConfig
from collect.errors import InputError, MissingDataError
from collect.paths import PATHS
from collect.vocab import NATIONS

PROVIDER_KINDS = ("openai", "dashscope", "anthropic", "gemini")
LOCAL_SERVERS = ("smollm2",)
TEMPLATE_FIELDS = frozenset({"persona_line", "item_text", "scale_min", "scale_max"})
ORIGINS = NATIONS  # an LLM's country of origin is one of the respondents' nations


@dataclass(frozen=True)
class RetryPolicy:
    backoff_base_s: float = 1.0
    backoff_max_s: float = 60.0
    # A Retry-After longer than this is treated like an exhausted quota: the provider is stopped.
    max_retry_after_s: float = 300.0


@dataclass(frozen=True)
class ProviderSpec:
    config: ProviderConfig
    retry: RetryPolicy
    # "smollm2": `collect run` starts the bundled local model server and points base_url at it.
    local_server: str | None = None


@dataclass(frozen=True)
class ModelSpec:
    id: str  # the LLM column of the release
    display_name: str
    origin: str
    provider: str
    api_model: str
    temperature: float | None
    max_tokens: int
    disable_thinking: bool = False
    extra_body: Mapping[str, Any] = field(default_factory=dict)
    temperature_by_instrument: Mapping[str, float] = field(default_factory=dict)
    instruments: tuple[str, ...] | None = None  # None: every instrument of the study
    price_input_per_mtok: float | None = None  # US dollars per million input tokens
    price_output_per_mtok: float | None = None

    def temperature_for(self, instrument: str) -> float | None:
        return self.temperature_by_instrument.get(instrument, self.temperature)

    def runs(self, instrument: str) -> bool:
        return self.instruments is None or instrument in self.instruments


@dataclass(frozen=True)
class Templates:
    """The system and user message templates of one instrument in one language."""

    system: str
    user: str
    persona_lines: Mapping[str, str]


@dataclass(frozen=True)
class InstrumentSpec:
    name: str
    survey_label: str  # the release's `survey` column: "mfq", "wvs"
    scale_min: int
    scale_max: int
    items: tuple[int, ...]
    texts: Mapping[tuple[int, str], str]  # (item, language) -> text
    templates: Mapping[str, Templates]  # language -> templates

    def item_text(self, item: int, language: str) -> str:
        return self.texts[(item, language)]


@dataclass(frozen=True)
class GateThresholds:
    max_invalid_share: float = 0.2  # per model x instrument x condition
    max_refusal_share: float = 0.1
    min_completeness: float = 1.0
    check_degenerate: bool = True
    # Of the calls attempted in a run: above this share, the run "mostly failed".
    max_failed_share: float = 0.5


@dataclass(frozen=True)
class Study:
    name: str
    path: Path
    description: str
    repetitions: int
    languages: tuple[str, ...]
    personas: tuple[str, ...]
    providers: Mapping[str, ProviderSpec]
    models: tuple[ModelSpec, ...]
    instruments: Mapping[str, InstrumentSpec]
    gates: GateThresholds

    def select_models(self, model_ids: list[str] | None) -> tuple[ModelSpec, ...]:
        if not model_ids:
            return self.models
        known = {model.id for model in self.models}
        unknown = [m for m in model_ids if m not in known]
        if unknown:
            raise InputError(
                f"unknown model(s) {unknown}; the study has {sorted(known)}", file=self.path
            )
        return tuple(model for model in self.models if model.id in model_ids)


class _Fields:
    """Typed reads from one TOML table, with errors that name the file and the field."""

    def __init__(self, table: Any, where: str, file: Path) -> None:
        if not isinstance(table, Mapping):
            raise InputError(f"{where} must be a table", file=file, column=where)
        self.table = table
        self.where = where
        self.file = file

    def error(self, name: str, message: str) -> InputError:
        return InputError(message, file=self.file, column=f"{self.where}.{name}")

    def get(self, name: str, kind: type | tuple[type, ...], default: Any = ...) -> Any:
        if name not in self.table:
            if default is ...:
                raise self.error(name, "required field is missing")
            return default
        value = self.table[name]
        if isinstance(value, bool) and bool not in (kind if isinstance(kind, tuple) else (kind,)):
            raise self.error(name, f"expected {_kind_name(kind)}, got {value!r}")
        if not isinstance(value, kind):
            raise self.error(name, f"expected {_kind_name(kind)}, got {value!r}")
        return value

    def number(self, name: str, default: Any = ...) -> float | None:
        value = self.get(name, (int, float), default)
        return None if value is None else float(value)

    def positive(self, name: str, default: Any = ...) -> float | None:
        """A number above zero (seconds, a rate), or None when absent and defaulting to None."""
        value = self.number(name, default)
        if value is not None and not value > 0:
            raise self.error(name, f"must be a positive number, got {value:g}")
        return value

    def strings(self, name: str, default: Any = ...) -> tuple[str, ...] | None:
        value = self.get(name, list, default)
        if value is None:
            return None
        if not all(isinstance(v, str) for v in value):
            raise self.error(name, f"expected a list of strings, got {value!r}")
        return tuple(value)

    def reject_unknown(self, allowed: set[str]) -> None:
        extra = sorted(set(self.table) - allowed)
        if extra:
            raise self.error(extra[0], f"unknown field; expected one of {sorted(allowed)}")


def _kind_name(kind: type | tuple[type, ...]) -> str:
    kinds = kind if isinstance(kind, tuple) else (kind,)
    names = {int: "an integer", float: "a number", str: "a string", bool: "true or false",
             list: "a list", dict: "a table"}
    return " or ".join(names.get(k, k.__name__) for k in kinds)


def resolve_project_path(text: str) -> Path:
    """A path from a study file: `{external}/...` is under the fetched-data folder; a relative
    path is relative to the project root."""
    if text.startswith("{external}"):
        return PATHS.external / text.removeprefix("{external}").lstrip("/")
    path = Path(text)
    return path if path.is_absolute() else PATHS.root / path


def load_study(path: str | Path) -> Study:
    """Read and check a study file."""
    path = Path(path)
    if not path.exists():
        raise InputError("study file does not exist", file=path)
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as err:
        raise InputError(f"not valid TOML: {err}", file=path) from None
    top = _Fields(raw, "", path)
    top.where = "(top level)"
    top.reject_unknown({"study", "providers", "models", "instruments", "templates", "gates"})
    head = _Fields(top.get("study", dict), "study", path)
    head.reject_unknown({"name", "description", "repetitions", "languages", "personas",
                         "max_tokens"})
    name = head.get("name", str)
    repetitions = head.get("repetitions", int)
    if repetitions < 1:
        raise head.error("repetitions", f"must be at least 1, got {repetitions}")
    languages = head.strings("languages")
    personas = head.strings("personas")
    for label, values in (("languages", languages), ("personas", personas)):
        if not values or len(set(values)) != len(values):
            raise head.error(label, f"must be a non-empty list without repeats, got {values}")
    default_max_tokens = head.get("max_tokens", int, 10)

    providers = _load_providers(top.get("providers", dict), path)
    instruments = _load_instruments(
        top.get("instruments", dict), top.get("templates", dict), languages, personas, path
    )
    models = _load_models(top.get("models", list), providers, instruments, default_max_tokens,
                          path)
    gates = _load_gates(top.get("gates", dict, {}), path)
    return Study(
        name=name,
        path=path,
        description=head.get("description", str, ""),
        repetitions=repetitions,
        languages=languages,
        personas=personas,
        providers=providers,
        models=models,
        instruments=instruments,
        gates=gates,
    )


def _load_providers(table: Mapping[str, Any], path: Path) -> dict[str, ProviderSpec]:
    providers: dict[str, ProviderSpec] = {}
    for name, entry in table.items():
        fields = _Fields(entry, f"providers.{name}", path)
        fields.reject_unknown({"kind", "base_url", "api_key_env", "timeout_s", "max_concurrency",
                               "requests_per_minute", "tokens_per_minute", "max_attempts",
                               "backoff_base_s", "backoff_max_s", "max_retry_after_s",
                               "local_server", "note"})
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
        providers[name] = ProviderSpec(config, retry, local_server)
    return providers


def _load_models(
    entries: list[Any],
    providers: Mapping[str, ProviderSpec],
    instruments: Mapping[str, InstrumentSpec],
    default_max_tokens: int,
    path: Path,
) -> tuple[ModelSpec, ...]:
    models: list[ModelSpec] = []
    seen: set[str] = set()
    for index, entry in enumerate(entries):
        fields = _Fields(entry, f"models[{index}]", path)
        model_id = fields.get("id", str)
        fields.where = f"models[{index}] ({model_id})"
        fields.reject_unknown({"id", "display_name", "origin", "provider", "api_model",
                               "temperature", "max_tokens", "disable_thinking", "extra_body",
                               "temperature_by_instrument", "instruments",
                               "price_input_per_mtok", "price_output_per_mtok", "note"})
        if model_id in seen:
            raise fields.error("id", f"duplicate model id {model_id!r}")
        seen.add(model_id)
        provider = fields.get("provider", str)
        if provider not in providers:
            raise fields.error("provider", f"unknown provider {provider!r}; the study declares "
                                           f"{sorted(providers)}")
        origin = fields.get("origin", str)
        if origin not in ORIGINS:
            raise fields.error("origin", f"expected one of {list(ORIGINS)}, got {origin!r}")
        only = fields.strings("instruments", None)
        for instrument in only or ():
            if instrument not in instruments:
                raise fields.error("instruments", f"unknown instrument {instrument!r}")
        by_instrument = fields.get("temperature_by_instrument", dict, {})
        for instrument, value in by_instrument.items():
            if instrument not in instruments or not isinstance(value, int | float):
                raise fields.error("temperature_by_instrument",
                                   f"expected instrument = number, got {instrument} = {value!r}")
        max_tokens = fields.get("max_tokens", int, default_max_tokens)
        if max_tokens < 1:
            raise fields.error("max_tokens", "must be at least 1")
        models.append(
            ModelSpec(
                id=model_id,
                display_name=fields.get("display_name", str, model_id),
                origin=origin,
                provider=provider,
                api_model=fields.get("api_model", str),
                temperature=fields.number("temperature", None),
                max_tokens=max_tokens,
                disable_thinking=fields.get("disable_thinking", bool, False),
                extra_body=dict(fields.get("extra_body", dict, {})),
                temperature_by_instrument={k: float(v) for k, v in by_instrument.items()},
                instruments=only,
                price_input_per_mtok=fields.number("price_input_per_mtok", None),
                price_output_per_mtok=fields.number("price_output_per_mtok", None),
            )
        )
    if not models:
        raise InputError("the study declares no models", file=path, column="models")
    return tuple(models)


def _load_instruments(
    table: Mapping[str, Any],
    templates: Mapping[str, Any],
    languages: tuple[str, ...],
    personas: tuple[str, ...],
    path: Path,
) -> dict[str, InstrumentSpec]:
    instruments: dict[str, InstrumentSpec] = {}
    if not table:
        raise InputError("the study declares no instruments", file=path, column="instruments")
    for name, entry in table.items():
        fields = _Fields(entry, f"instruments.{name}", path)
        fields.reject_unknown({"survey_label", "scale_min", "scale_max", "items_file",
                               "items_columns", "items", "only_items", "note"})
        scale_min = fields.get("scale_min", int)
        scale_max = fields.get("scale_max", int)
        if scale_min >= scale_max:
            raise fields.error("scale_max", f"must exceed scale_min ({scale_min})")
        if "items_file" in entry and "items" in entry:
            raise fields.error("items", "give either items_file or inline items, not both")
        if "items_file" in entry:
            texts = _read_items_file(fields, languages)
        else:
            texts = _inline_items(fields, languages)
        items = tuple(sorted({item for item, _ in texts}))
        only = fields.get("only_items", list, None)
        if only is not None:
            unknown = [item for item in only if item not in items]
            if unknown or not only:
                raise fields.error("only_items", f"items {unknown} are not in the item source")
            items = tuple(sorted(set(only)))
        _check_texts(fields, texts, items, languages)
        instruments[name] = InstrumentSpec(
            name=name,
            survey_label=fields.get("survey_label", str, name),
            scale_min=scale_min,
            scale_max=scale_max,
            items=items,
            texts=texts,
            templates=_load_templates(templates, name, languages, personas, path),
        )
    extra = sorted(set(templates) - set(instruments))
    if extra:
        raise InputError(f"templates for unknown instrument {extra[0]!r}", file=path,
                         column=f"templates.{extra[0]}")
    return instruments


def _read_items_file(fields: _Fields, languages: tuple[str, ...]) -> dict[tuple[int, str], str]:
    source = resolve_project_path(fields.get("items_file", str))
    if not source.exists():
        raise MissingDataError(
            f"{fields.file}: instruments field {fields.where}.items_file points to {source}, "
            "which does not exist; run `moralign data fetch` to download the item tables"
        )
    columns = {"item": "item", "language": "language", "text": "prompt"}
    columns.update(fields.get("items_columns", dict, {}))
    texts: dict[tuple[int, str], str] = {}
    with source.open(encoding="utf-8-sig", newline="") as handle:
        reader = csv.DictReader(handle)
        missing = [c for c in columns.values() if c not in (reader.fieldnames or [])]
        if missing:
            raise InputError(f"lacks columns {missing}", file=source)
        for line, row in enumerate(reader, start=2):
            try:
                item = int(row[columns["item"]])
            except ValueError:
                raise InputError(f"item {row[columns['item']]!r} is not an integer", file=source,
                                 line=line, column=columns["item"]) from None
            language = row[columns["language"]]
            if language not in languages:
                continue
            if (item, language) in texts:
                raise InputError(f"item {item} appears twice in {language}", file=source,
                                 line=line)
            texts[(item, language)] = row[columns["text"]]
    return texts


def _inline_items(fields: _Fields, languages: tuple[str, ...]) -> dict[tuple[int, str], str]:
    entries = fields.get("items", list)
    texts: dict[tuple[int, str], str] = {}
    for index, entry in enumerate(entries):
        item_fields = _Fields(entry, f"{fields.where}.items[{index}]", fields.file)
        item_fields.reject_unknown({"item", "text"})
        item = item_fields.get("item", int)
        by_language = item_fields.get("text", dict)
        for language, text in by_language.items():
            if not isinstance(text, str):
                raise item_fields.error(f"text.{language}", "expected a string")
            if (item, language) in texts:
                raise item_fields.error("item", f"item {item} appears twice")
            if language in languages:
                texts[(item, language)] = text
    return texts


def _check_texts(
    fields: _Fields,
    texts: Mapping[tuple[int, str], str],
    items: tuple[int, ...],
    languages: tuple[str, ...],
) -> None:
    if not items:
        raise fields.error("items", "no items found")
    for language in languages:
        lacking = [item for item in items if (item, language) not in texts]
        if lacking:
            raise fields.error(
                "items", f"unknown language {language!r} for items {lacking[:5]}: "
                         f"no item text in that language"
            )


def _load_templates(
    table: Mapping[str, Any],
    instrument: str,
    languages: tuple[str, ...],
    personas: tuple[str, ...],
    path: Path,
) -> dict[str, Templates]:
    if instrument not in table:
        raise InputError("no prompt templates for this instrument", file=path,
                         column=f"templates.{instrument}")
    by_language = _Fields(table[instrument], f"templates.{instrument}", path)
    out: dict[str, Templates] = {}
    for language in languages:
        if language not in by_language.table:
            raise by_language.error(language, f"unknown language {language!r}: no templates")
        fields = _Fields(by_language.table[language], f"templates.{instrument}.{language}", path)
        fields.reject_unknown({"system", "user", "persona_lines"})
        system = fields.get("system", str)
        user = fields.get("user", str)
        for label, template in (("system", system), ("user", user)):
            _check_placeholders(fields, label, template)
        lines = fields.get("persona_lines", dict)
        for persona in personas:
            if persona not in lines:
                raise fields.error("persona_lines", f"unknown persona {persona!r}: no persona line")
            if not isinstance(lines[persona], str):
                raise fields.error(f"persona_lines.{persona}", "expected a string")
        out[language] = Templates(system=system, user=user, persona_lines=dict(lines))
    return out


def _check_placeholders(fields: _Fields, label: str, template: str) -> None:
    try:
        names = [name for _, name, _, _ in string.Formatter().parse(template) if name is not None]
    except ValueError as err:
        raise fields.error(label, f"bad template: {err}") from None
    for name in names:
        if name not in TEMPLATE_FIELDS:
            raise fields.error(
                label, f"bad template placeholder {{{name}}}; allowed: "
                       f"{', '.join('{' + f + '}' for f in sorted(TEMPLATE_FIELDS))}"
            )


def _load_gates(table: Mapping[str, Any], path: Path) -> GateThresholds:
    fields = _Fields(table, "gates", path)
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
