"""A study's design, read from its study file: the instruments with their item texts and prompt
templates, the languages, personas and repetitions, the nations it speaks of, and the LLMs with
their origins and makers. The study file is the one home of this vocabulary: nations, personas,
languages and origins are open sets, not lists typed in code.

How the LLMs are reached (providers, call settings, retries, prices, quality gates) is collection
configuration, read from the same file by collect.collector.study. A study file is TOML (see
`studies/made_in_china.toml` for a commented example); every error names the file and the field.
"""

from __future__ import annotations

import csv
import string
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from collect.core.tomlfields import Fields, read_toml
from collect.errors import InputError, MissingDataError
from collect.paths import PATHS
from collect.vocab import NO_PERSONA

TEMPLATE_FIELDS = frozenset({"persona_line", "item_text", "scale_min", "scale_max"})
# The fields of the design; the collector adds its own to each table.
SECTIONS = frozenset({"study", "models", "instruments", "templates", "nations"})
HEAD_FIELDS = frozenset({"name", "title", "description", "repetitions", "languages", "personas",
                         "compare"})
LLM_FIELDS = frozenset({"id", "display_name", "origin", "maker", "instruments", "note"})
NATION_FIELDS = frozenset({"adjective", "language", "note"})


@dataclass(frozen=True)
class Nation:
    """A nation a study speaks of (an LLM's origin, a persona, a group of human respondents):
    the adjective its labels use and the language its respondents answer in."""

    adjective: str
    language: str


# What a study that does not say otherwise compares: the nations of the first study.
DEFAULT_COMPARE = ("China", "USA")
DEFAULT_NATIONS: Mapping[str, Nation] = {
    "China": Nation("Chinese", "Chinese"),
    "USA": Nation("American", "English"),
}


@dataclass(frozen=True)
class Llm:
    """An LLM as the design knows it: the id its answers carry, its name and its origin."""

    id: str  # the LLM column of the release
    display_name: str
    origin: str
    instruments: tuple[str, ...] | None = None  # None: every instrument of the study
    maker: str | None = None  # the company behind the LLM; None when unknown

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
class StudyVocabulary:
    """What a study speaks of, read without its item files: names, nations, LLMs and makers."""

    name: str
    path: Path
    title: str
    description: str
    repetitions: int
    languages: tuple[str, ...]
    personas: tuple[str, ...]
    compare: tuple[str, str]  # the pair a two-nation analysis contrasts; the first coded +0.5
    nations: Mapping[str, Nation]  # every nation of the study: origins, personas, compared pair
    models: tuple[Llm, ...]
    instrument_names: tuple[str, ...]

    @property
    def origins(self) -> tuple[str, ...]:
        """The LLMs' origins, in the order the study first names them."""
        return tuple(dict.fromkeys(model.origin for model in self.models))

@dataclass(frozen=True)
class StudyDesign(StudyVocabulary):
    instruments: Mapping[str, InstrumentSpec]

    def select_models(self, model_ids: list[str] | None) -> tuple[Llm, ...]:
        if not model_ids:
            return self.models
        known = {model.id for model in self.models}
        unknown = [m for m in model_ids if m not in known]
        if unknown:
            raise InputError(
                f"unknown model(s) {unknown}; the study has {sorted(known)}", file=self.path
            )
        return tuple(model for model in self.models if model.id in model_ids)


def resolve_project_path(text: str) -> Path:
    """A path from a study file: `{external}/...` is under the fetched-data folder; a relative
    path is relative to the project root."""
    if text.startswith("{external}"):
        return PATHS.external / text.removeprefix("{external}").lstrip("/")
    path = Path(text)
    return path if path.is_absolute() else PATHS.root / path


def load_design(path: str | Path) -> StudyDesign:
    """Read and check the design part of a study file; collection settings are not read."""
    return design_of(read_toml(Path(path)), Path(path))


def load_vocabulary(path: str | Path) -> StudyVocabulary:
    """Read and check what a study speaks of, without reading its item files."""
    return vocabulary_of(read_toml(Path(path)), Path(path))


def design_of(raw: Mapping[str, Any], path: Path) -> StudyDesign:
    """The design part of a study file already read as `raw`."""
    vocabulary = vocabulary_of(raw, path)
    top = Fields(raw, "(top level)", path)
    instruments = _load_instruments(top.get("instruments", dict), top.get("templates", dict),
                                    vocabulary.languages, vocabulary.personas, path)
    return StudyDesign(**vars(vocabulary), instruments=instruments)


def vocabulary_of(raw: Mapping[str, Any], path: Path) -> StudyVocabulary:
    top = Fields(raw, "(top level)", path)
    head = Fields(top.get("study", dict), "study", path)
    name = head.get("name", str)
    repetitions = head.get("repetitions", int)
    if repetitions < 1:
        raise head.error("repetitions", f"must be at least 1, got {repetitions}")
    languages = head.strings("languages")
    personas = head.strings("personas")
    for label, values in (("languages", languages), ("personas", personas)):
        if not values or len(set(values)) != len(values):
            raise head.error(label, f"must be a non-empty list without repeats, got {values}")
    instrument_names = tuple(top.get("instruments", dict))
    if not instrument_names:
        raise InputError("the study declares no instruments", file=path, column="instruments")
    models = _load_llms(top.get("models", list), instrument_names, path)
    compare = head.strings("compare", DEFAULT_COMPARE)
    if len(compare) != 2 or compare[0] == compare[1]:
        raise head.error("compare", f"expected two different nations, got {list(compare)}")
    nations = _load_nations(top.get("nations", dict, {}), path)
    used = [("study.compare", nation) for nation in compare]
    used += [("study.personas", p) for p in personas if p != NO_PERSONA]
    used += [(f"models[{i}] ({m.id}).origin", m.origin) for i, m in enumerate(models)]
    for where, nation in used:
        if nation not in nations:
            raise InputError(
                f"nation {nation!r} has no [nations.{nation}] table giving its adjective and "
                "language", file=path, column=where)
    return StudyVocabulary(
        name=name,
        path=path,
        title=head.get("title", str, ""),
        description=head.get("description", str, ""),
        repetitions=repetitions,
        languages=languages,
        personas=personas,
        compare=(compare[0], compare[1]),
        nations=nations,
        models=models,
        instrument_names=instrument_names,
    )


def _load_nations(table: Mapping[str, Any], path: Path) -> dict[str, Nation]:
    """The study's [nations.<Name>] tables over the defaults for the first study's two."""
    nations = dict(DEFAULT_NATIONS)
    for name, entry in table.items():
        fields = Fields(entry, f"nations.{name}", path)
        fields.reject_unknown(NATION_FIELDS)
        nations[name] = Nation(fields.get("adjective", str), fields.get("language", str))
    return nations


def model_fields(entries: list[Any], path: Path) -> list[Fields]:
    """The study's model entries, each named by its index and id in errors."""
    out = []
    for index, entry in enumerate(entries):
        fields = Fields(entry, f"models[{index}]", path)
        fields.where = f"models[{index}] ({fields.get('id', str)})"
        out.append(fields)
    return out


def _load_llms(entries: list[Any], instruments: tuple[str, ...], path: Path) -> tuple[Llm, ...]:
    llms: list[Llm] = []
    seen: set[str] = set()
    for fields in model_fields(entries, path):
        model_id = fields.get("id", str)
        if model_id in seen:
            raise fields.error("id", f"duplicate model id {model_id!r}")
        seen.add(model_id)
        origin = fields.get("origin", str)
        if not origin.strip():
            raise fields.error("origin", "must name a nation")
        only = fields.strings("instruments", None)
        for instrument in only or ():
            if instrument not in instruments:
                raise fields.error("instruments", f"unknown instrument {instrument!r}")
        maker = fields.get("maker", str, None)
        if maker is not None and not maker.strip():
            raise fields.error("maker", "must name a company, or be left out when unknown")
        llms.append(Llm(model_id, fields.get("display_name", str, model_id), origin, only,
                        maker))
    if not llms:
        raise InputError("the study declares no models", file=path, column="models")
    return tuple(llms)


def _load_instruments(
    table: Mapping[str, Any],
    templates: Mapping[str, Any],
    languages: tuple[str, ...],
    personas: tuple[str, ...],
    path: Path,
) -> dict[str, InstrumentSpec]:
    instruments: dict[str, InstrumentSpec] = {}
    for name, entry in table.items():
        fields = Fields(entry, f"instruments.{name}", path)
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


def _read_items_file(fields: Fields, languages: tuple[str, ...]) -> dict[tuple[int, str], str]:
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


def _inline_items(fields: Fields, languages: tuple[str, ...]) -> dict[tuple[int, str], str]:
    entries = fields.get("items", list)
    texts: dict[tuple[int, str], str] = {}
    for index, entry in enumerate(entries):
        item_fields = Fields(entry, f"{fields.where}.items[{index}]", fields.file)
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
    fields: Fields,
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
    by_language = Fields(table[instrument], f"templates.{instrument}", path)
    out: dict[str, Templates] = {}
    for language in languages:
        if language not in by_language.table:
            raise by_language.error(language, f"unknown language {language!r}: no templates")
        fields = Fields(by_language.table[language], f"templates.{instrument}.{language}", path)
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


def _check_placeholders(fields: Fields, label: str, template: str) -> None:
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
