"""The study file's one validation model: every table and field a study file may hold, its type,
default and meaning. Reading a study file validates it here once; collect.core.study builds the
design from the result and collect.collector.study the collection settings.

The same model publishes the JSON Schema editors check study files with (studies/study.schema.json)
and the reference page of every field (docs/study-file.md): `python -m collect.core.studyfile`
rewrites both.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from collect.core.tomlfields import read_toml
from collect.errors import InputError

PROVIDER_KINDS = ("openai", "dashscope", "anthropic", "gemini")
LOCAL_SERVERS = ("smollm2",)
READOUTS = ("sampled", "logprob")
# How the options of a scale are shown: listed lowest rating first as published, listed top rating
# first (each keeps its number), or numbered the other way (1 = the top label; recoded on parse).
PRESENTATIONS = ("published", "reversed", "renumbered")
BASE_WORDING = "base"  # the variant name of a template's own system and user messages
Note = Field(None, description="A free comment; not read.")


class Table(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


class StudyHead(Table):
    """`[study]`: what the study is and the design of its calls."""

    name: str = Field(description="The study's name: its answers, database and folders carry it.")
    title: str = Field("", description="The title of the book about the study.")
    description: str = Field("", description="One or two sentences about the study.")
    repetitions: int = Field(ge=1, description="Calls of each item in each condition.")
    languages: list[str] = Field(min_length=1, description="The languages items are asked in.")
    personas: list[str] = Field(
        min_length=1, description='The personas: "none" (no persona line) or a nation.')
    compare: list[str] = Field(
        ["China", "USA"], min_length=2, max_length=2,
        description="The two nations a two-nation analysis contrasts; the first is coded +0.5.")
    max_tokens: int = Field(10, ge=1, description="Default answer length limit of every model.")
    presentations: list[Literal["published", "reversed", "renumbered"]] = Field(
        ["published"], min_length=1,
        description="How options are shown: published order, reversed (top rating listed first), "
        "renumbered (1 = the top label, recoded to the published scale on parse). Other than "
        "published needs `options` in every template.")
    assignment: Literal["counterbalanced", "random"] = Field(
        "counterbalanced",
        description="counterbalanced: repetition r of an item gets presentation x variant number "
        "r mod their count (presentation-major); random: one drawn per call, seeded.")
    assignment_seed: int = Field(0, description="The seed of the random assignment.")


class NationEntry(Table):
    """`[nations.<Name>]`: a nation the study names (an origin, a persona, a human group)."""

    adjective: str = Field(description='The adjective of its labels ("Japanese").')
    language: str = Field(description="The language its respondents answer in.")
    note: str | None = Note


class ProviderEntry(Table):
    """`[providers.<name>]`: how a provider is reached, its limits and retries."""

    kind: Literal["openai", "dashscope", "anthropic", "gemini"] = Field(
        description="The client: any OpenAI-compatible API, DashScope native, Anthropic, Gemini.")
    base_url: str | None = Field(None, description="The API's address (required for openai).")
    api_key_env: str = Field(min_length=1, pattern=r"\S",
                             description="The environment variable holding the API key.")
    timeout_s: float = Field(60.0, gt=0, description="Seconds before a call times out.")
    max_concurrency: int = Field(8, ge=1, description="Calls in flight at once.")
    requests_per_minute: float | None = Field(None, gt=0, description="Request rate limit.")
    tokens_per_minute: float | None = Field(None, gt=0, description="Token rate limit.")
    max_attempts: int = Field(6, ge=1, description="Attempts of a call before it is failed.")
    backoff_base_s: float = Field(1.0, gt=0, description="First wait before a retry, seconds.")
    backoff_max_s: float = Field(60.0, gt=0, description="Longest wait before a retry, seconds.")
    max_retry_after_s: float = Field(
        300.0, gt=0, description="A longer Retry-After stops the provider like a spent quota.")
    local_server: Literal["smollm2"] | None = Field(
        None, description="Start this bundled local model server and call it.")
    mode: Literal["online", "batch"] = Field(
        "online", description="online calls, or batches (kinds openai and anthropic).")
    batch_max_lines: int | None = Field(None, ge=1, description="Requests per batch file.")
    batch_max_bytes: int | None = Field(None, ge=1, description="Bytes per batch file.")
    batch_poll_interval_s: float = Field(30.0, gt=0, description="First wait between polls.")
    batch_poll_max_s: float = Field(600.0, gt=0, description="Longest wait between polls.")
    batch_price_factor: float = Field(0.5, gt=0, description="Batch price / online price.")
    batch_max_rounds: int = Field(3, ge=1, description="Submissions of a line before it fails.")
    batch_time_budget_hours: float = Field(
        24.0, gt=0, description="Hours a batch line may wait; expired or failed batches are "
        "sent again within them.")
    note: str | None = Note


class ModelEntry(Table):
    """`[[models]]`: an LLM of the study and the settings of its calls."""

    id: str = Field(description="The id its answers carry.")
    display_name: str | None = Field(None, description="Its name in tables (default: id).")
    origin: str = Field(min_length=1, pattern=r"\S",
                        description="Its nation of origin (one of [nations] or a default).")
    maker: str | None = Field(None, min_length=1, pattern=r"\S",
                              description="The company that made it; leave out when unknown.")
    instruments: list[str] | None = Field(
        None, description="Only these instruments (default: every instrument).")
    provider: str = Field(description="The [providers] entry that serves it.")
    api_model: str = Field(description="The model name the provider's API takes.")
    temperature: float | None = Field(None, description="Sampling temperature (default: API's).")
    max_tokens: int | None = Field(None, ge=1, description="Answer length limit.")
    disable_thinking: bool = Field(False, description="Switch off a thinking mode.")
    extra_body: dict[str, Any] = Field({}, description="Fields sent as they are with each call.")
    temperature_by_instrument: dict[str, float] = Field(
        {}, description="A temperature per instrument, over `temperature`.")
    price_input_per_mtok: float | None = Field(
        None, ge=0, description="US dollars per million input tokens (the dry run's estimate).")
    price_output_per_mtok: float | None = Field(
        None, ge=0, description="US dollars per million output tokens.")
    readout: Literal["sampled", "logprob"] = Field(
        "sampled", description="sampled answers, or the rating distribution from logprobs.")
    top_logprobs: int = Field(20, ge=1, le=20, description="Log-probabilities read per token.")
    note: str | None = Note


class InlineItem(Table):
    """`[[instruments.<name>.items]]`: one item written in the study file."""

    item: int = Field(description="The item's number.")
    text: dict[str, str] = Field(description="The item's text in each language.")


class InstrumentEntry(Table):
    """`[instruments.<name>]`: a survey instrument, its scale and items."""

    survey_label: str | None = Field(
        None, description='The survey column of exported answers ("mfq", "wvs").')
    scale_min: int = Field(description="The lowest rating.")
    scale_max: int = Field(description="The highest rating.")
    items_file: str | None = Field(
        None, description="A CSV of item texts; {external} is the fetched-data folder.")
    items_columns: dict[str, str] = Field(
        {}, description="Column names of items_file: item, language, text.")
    items: list[InlineItem] | None = Field(None, description="Items written inline.")
    only_items: list[int] | None = Field(None, min_length=1,
                                         description="Ask only these items.")
    note: str | None = Note


class WordingEntry(Table):
    """`[templates.<instrument>.<language>.variants.<name>]`: another wording of the messages."""

    system: str = Field(description="System message; the template's placeholders.")
    user: str = Field(description="User message; the template's placeholders.")


class TemplateEntry(Table):
    """`[templates.<instrument>.<language>]`: the messages of one instrument in one language."""

    system: str = Field(description="System message; placeholders {persona_line}, {item_text}, "
                                    "{scale_min}, {scale_max}, {options}.")
    user: str = Field(description="User message; the same placeholders.")
    persona_lines: dict[str, str] = Field(description="The persona line of each persona.")
    options: list[str] | None = Field(
        None, min_length=2, description="The option labels, lowest rating first: {options} lists "
        "them as the presentation says.")
    option_line: str = Field("{number}: {label}",
                             description="How {options} writes one option.")
    variants: dict[str, WordingEntry] = Field(
        {}, description='Other wordings by name (the template\'s own is "base"); every language '
        "of an instrument names the same ones.")


class GatesEntry(Table):
    """`[gates]`: the quality gates of a run."""

    max_invalid_share: float = Field(0.2, description="Per model, instrument and condition.")
    max_refusal_share: float = Field(0.1, description="Share of refusals allowed.")
    min_completeness: float = Field(1.0, description="Share of planned calls stored.")
    check_degenerate: bool = Field(True, description="Fail on one answer to every item.")
    max_failed_share: float = Field(0.5, description="Above it, the run mostly failed.")
    note: str | None = Note


class StudyFile(Table):
    """A study file: TOML with these tables."""

    study: StudyHead
    nations: dict[str, NationEntry] = Field({}, description="Nations beyond China and USA.")
    providers: dict[str, ProviderEntry] = Field({}, description="How each LLM is reached.")
    models: list[ModelEntry] = Field(min_length=1, description="The LLMs asked.")
    instruments: dict[str, InstrumentEntry] = Field(min_length=1, description="The surveys.")
    templates: dict[str, dict[str, TemplateEntry]] = Field(
        {}, description="Prompt templates per instrument and language.")
    gates: GatesEntry = Field(GatesEntry(), description="Quality gates of a run.")


def read_study_file(path: Path) -> StudyFile:
    """The study file at `path`, validated, or an InputError naming the file and the field."""
    raw = read_toml(path)
    try:
        return StudyFile.model_validate(raw)
    except ValidationError as err:
        first = err.errors()[0]
        raise InputError(_message(first), file=path, column=where(first["loc"], raw)) from None


def where(loc: tuple[int | str, ...], raw: Any) -> str:
    """A location as errors name it: `models[1] (beta).provider`, `providers.p.kind`."""
    text, node = "", raw
    for part in loc:
        if isinstance(part, int):
            text += f"[{part}]"
            node = node[part] if isinstance(node, list) and part < len(node) else None
            if text.startswith("models[") and isinstance(node, dict) and text.count("[") == 1:
                text += f" ({node.get('id')})" if isinstance(node.get("id"), str) else ""
        else:
            text += f".{part}" if text else str(part)
            node = node.get(part) if isinstance(node, dict) else None
    return text or "(top level)"


KINDS = {"int_type": "an integer", "float_type": "a number", "string_type": "a string",
         "bool_type": "true or false", "list_type": "a list", "dict_type": "a table",
         "model_type": "a table", "model_attributes_type": "a table"}


def _message(error: Any) -> str:
    kind, context, value = error["type"], error.get("ctx", {}), error.get("input")
    if kind == "missing":
        return "required field is missing"
    if kind == "extra_forbidden":
        return f"unknown field; expected one of {_fields_at(error['loc'][:-1])}"
    if kind in KINDS:
        return f"expected {KINDS[kind]}, got {value!r}"
    if kind == "greater_than" and context.get("gt") == 0:
        return f"must be a positive number, got {value:g}"
    if kind == "greater_than_equal":
        return f"must be at least {context['ge']}, got {value!r}"
    if kind == "less_than_equal":
        return f"must be at most {context['le']}, got {value!r}"
    if kind == "literal_error":
        return f"expected {context['expected'].replace(chr(39), chr(34))}, got {value!r}"
    if kind in ("too_short", "string_pattern_mismatch"):
        return f"must not be empty, got {value!r}"
    if kind == "too_long":
        return f"too many values: {value!r}"
    return str(error["msg"])


def _fields_at(loc: tuple[int | str, ...]) -> list[str]:
    """The field names of the table at `loc`, for an unknown field's message."""
    model: Any = StudyFile
    for part in loc:
        if isinstance(part, int):
            continue
        field = model.model_fields.get(part) if isinstance(model, type) else None
        if field is None:  # a key of a dict of tables: the value's model
            continue
        model = _table_of(field.annotation)
    return sorted(model.model_fields) if isinstance(model, type) else []


def _table_of(annotation: Any) -> Any:
    """The model class a field holds, through list[...] and dict[str, ...]."""
    while not (isinstance(annotation, type) and issubclass(annotation, BaseModel)):
        args = getattr(annotation, "__args__", ())
        if not args:
            return annotation
        annotation = args[-1]
    return annotation


SCHEMA_FILE = "study.schema.json"


def json_schema() -> dict[str, Any]:
    schema = StudyFile.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "moralign study file"
    return schema


def reference_page() -> str:
    """docs/study-file.md: every table and field, with its type, default and meaning."""
    lines = ["# Study file reference", "",
             "Generated from `collect.core.studyfile` (`python -m collect.core.studyfile`); the "
             f"same model publishes `studies/{SCHEMA_FILE}`. See `studies/made_in_china.toml` "
             "for a commented example.", ""]
    for model in (StudyHead, NationEntry, ProviderEntry, ModelEntry, InstrumentEntry,
                  InlineItem, TemplateEntry, WordingEntry, GatesEntry):
        heading, meaning = (model.__doc__ or "").split(":", 1)
        lines += [f"## {heading.strip()}", "", meaning.strip().capitalize(), "",
                  "| field | type | default | meaning |", "|---|---|---|---|"]
        for name, field in model.model_fields.items():
            default = "required" if field.is_required() else f"`{json.dumps(field.default)}`"
            limits = "".join(f", {_LIMITS[type(m).__name__]} {_limit(m)}" for m in field.metadata
                             if type(m).__name__ in _LIMITS)
            lines.append(f"| `{name}` | {_type_name(field.annotation)}{limits} | {default} | "
                         f"{field.description or ''} |")
        lines.append("")
    return "\n".join(lines)


_LIMITS = {"Gt": ">", "Ge": ">=", "Le": "<=", "MinLen": "length >=", "MaxLen": "length <="}
_NAMES = {str: "string", int: "integer", float: "number", bool: "true or false", Any: "any value"}


def _limit(metadata: Any) -> Any:
    """The bound of an annotated_types constraint (Gt(0).gt, MinLen(1).min_length, ...)."""
    return next(getattr(metadata, name) for name in ("gt", "ge", "le", "min_length", "max_length")
                if hasattr(metadata, name))


def _type_name(annotation: Any) -> str:
    origin, args = getattr(annotation, "__origin__", None), getattr(annotation, "__args__", ())
    if annotation in _NAMES:
        return _NAMES[annotation]
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return "table"
    if origin is Literal:
        return "one of " + ", ".join(f"`{json.dumps(a)}`" for a in args)
    if origin is list:
        return f"list of {_type_name(args[0])}"
    if origin is dict:
        return f"table of {_type_name(args[1])}"
    if type(None) in args:
        return " or ".join(_type_name(a) for a in args if a is not type(None)) + " (optional)"
    return str(annotation)


def write_published(root: Path) -> None:
    (root / "studies" / SCHEMA_FILE).write_text(
        json.dumps(json_schema(), indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    (root / "docs" / "study-file.md").write_text(reference_page(), encoding="utf-8")


if __name__ == "__main__":
    from collect.paths import PATHS

    write_published(PATHS.root)
