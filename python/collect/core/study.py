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
from dataclasses import dataclass, field
from pathlib import Path

from collect.core.studyfile import (
    BASE_WORDING,
    InstrumentEntry,
    StudyFile,
    TemplateEntry,
    read_study_file,
)
from collect.errors import InputError, MissingDataError
from collect.paths import PATHS
from collect.vocab import NO_PERSONA

TEMPLATE_FIELDS = frozenset({"persona_line", "item_text", "scale_min", "scale_max", "options"})


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
    options: tuple[str, ...] | None = None  # option labels, lowest rating first
    option_line: str = "{number}: {label}"
    variants: Mapping[str, tuple[str, str]] = field(default_factory=dict)  # name -> system, user

    def wording(self, variant: str) -> tuple[str, str]:
        """The (system, user) templates of `variant` ("base": the template's own)."""
        return (self.system, self.user) if variant == BASE_WORDING else self.variants[variant]


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

    @property
    def wordings(self) -> tuple[str, ...]:
        """The instruction wordings asked: "base" and the templates' variants."""
        first = next(iter(self.templates.values()))
        return (BASE_WORDING, *first.variants)


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
    presentations: tuple[str, ...] = ("published",)
    assignment: str = "counterbalanced"  # or "random" (seeded, per call)
    assignment_seed: int = 0

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
    """Read and check the design part of a study file; collection settings are checked but not
    kept."""
    return design_of(read_study_file(Path(path)), Path(path))


def load_vocabulary(path: str | Path) -> StudyVocabulary:
    """Read and check what a study speaks of, without reading its item files."""
    return vocabulary_of(read_study_file(Path(path)), Path(path))


def design_of(parsed: StudyFile, path: Path) -> StudyDesign:
    """The design of a study file already validated as `parsed`."""
    vocabulary = vocabulary_of(parsed, path)
    instruments = _load_instruments(parsed, vocabulary.languages, vocabulary.personas, path)
    head = parsed.study
    presentations = tuple(head.presentations)
    if len(set(presentations)) != len(presentations):
        raise InputError(f"must be a list without repeats, got {list(presentations)}",
                         file=path, column="study.presentations")
    for name, spec in instruments.items():
        _check_design_factors(head.repetitions, head.assignment, presentations, name, spec,
                              path)
    return StudyDesign(**vars(vocabulary), instruments=instruments, presentations=presentations,
                       assignment=head.assignment, assignment_seed=head.assignment_seed)


def _check_design_factors(repetitions: int, assignment: str, presentations: tuple[str, ...],
                          name: str, spec: InstrumentSpec, path: Path) -> None:
    """Options where a presentation other than the published one needs them; repetitions that
    a counterbalanced assignment can balance."""
    for language, templates in spec.templates.items():
        where = f"templates.{name}.{language}"
        if templates.options is None and presentations != ("published",):
            raise InputError(f"presentations {list(presentations)} need the option labels "
                             "(`options`, lowest rating first)", file=path, column=where)
        count = spec.scale_max - spec.scale_min + 1
        if templates.options is not None and len(templates.options) != count:
            raise InputError(f"expected {count} option labels ({spec.scale_min} to "
                             f"{spec.scale_max}), got {len(templates.options)}", file=path,
                             column=f"{where}.options")
    combinations = len(presentations) * len(spec.wordings)
    if assignment == "counterbalanced" and repetitions % combinations:
        raise InputError(
            f"repetitions ({repetitions}) must be a multiple of the {combinations} presentation "
            f"x wording combinations of instrument {name!r} to counterbalance them",
            file=path, column="study.repetitions")


def vocabulary_of(parsed: StudyFile, path: Path) -> StudyVocabulary:
    head = parsed.study
    for label in ("languages", "personas"):
        values = getattr(head, label)
        if len(set(values)) != len(values):
            raise InputError(f"must be a list without repeats, got {values}", file=path,
                             column=f"study.{label}")
    compare = head.compare
    if compare[0] == compare[1]:
        raise InputError(f"expected two different nations, got {compare}", file=path,
                         column="study.compare")
    models = _load_llms(parsed, path)
    nations = {**DEFAULT_NATIONS, **{name: Nation(n.adjective, n.language)
                                     for name, n in parsed.nations.items()}}
    used = [("study.compare", nation) for nation in compare]
    used += [("study.personas", p) for p in head.personas if p != NO_PERSONA]
    used += [(f"models[{i}] ({m.id}).origin", m.origin) for i, m in enumerate(models)]
    for where, nation in used:
        if nation not in nations:
            raise InputError(
                f"nation {nation!r} has no [nations.{nation}] table giving its adjective and "
                "language", file=path, column=where)
    return StudyVocabulary(
        name=head.name,
        path=path,
        title=head.title,
        description=head.description,
        repetitions=head.repetitions,
        languages=tuple(head.languages),
        personas=tuple(head.personas),
        compare=(compare[0], compare[1]),
        nations=nations,
        models=models,
        instrument_names=tuple(parsed.instruments),
    )


def model_where(index: int, model_id: str) -> str:
    """How errors name a model entry: `models[3] (gpt-4o)`."""
    return f"models[{index}] ({model_id})"


def _load_llms(parsed: StudyFile, path: Path) -> tuple[Llm, ...]:
    llms: list[Llm] = []
    seen: set[str] = set()
    for index, entry in enumerate(parsed.models):
        where = model_where(index, entry.id)
        if entry.id in seen:
            raise InputError(f"duplicate model id {entry.id!r}", file=path, column=f"{where}.id")
        seen.add(entry.id)
        for instrument in entry.instruments or ():
            if instrument not in parsed.instruments:
                raise InputError(f"unknown instrument {instrument!r}", file=path,
                                 column=f"{where}.instruments")
        only = tuple(entry.instruments) if entry.instruments is not None else None
        llms.append(Llm(entry.id, entry.display_name or entry.id, entry.origin, only,
                        entry.maker))
    return tuple(llms)


def _load_instruments(
    parsed: StudyFile, languages: tuple[str, ...], personas: tuple[str, ...], path: Path
) -> dict[str, InstrumentSpec]:
    instruments: dict[str, InstrumentSpec] = {}
    for name, entry in parsed.instruments.items():
        where = f"instruments.{name}"
        if entry.scale_min >= entry.scale_max:
            raise InputError(f"must exceed scale_min ({entry.scale_min})", file=path,
                             column=f"{where}.scale_max")
        if entry.items_file is not None and entry.items is not None:
            raise InputError("give either items_file or inline items, not both", file=path,
                             column=f"{where}.items")
        if entry.items_file is not None:
            texts = _read_items_file(entry, where, languages, path)
        else:
            texts = _inline_items(entry, where, languages, path)
        items = tuple(sorted({item for item, _ in texts}))
        if entry.only_items is not None:
            unknown = [item for item in entry.only_items if item not in items]
            if unknown:
                raise InputError(f"items {unknown} are not in the item source", file=path,
                                 column=f"{where}.only_items")
            items = tuple(sorted(set(entry.only_items)))
        _check_texts(texts, items, languages, f"{where}.items", path)
        instruments[name] = InstrumentSpec(
            name=name,
            survey_label=entry.survey_label or name,
            scale_min=entry.scale_min,
            scale_max=entry.scale_max,
            items=items,
            texts=texts,
            templates=_load_templates(parsed, name, languages, personas, path),
        )
    extra = sorted(set(parsed.templates) - set(instruments))
    if extra:
        raise InputError(f"templates for unknown instrument {extra[0]!r}", file=path,
                         column=f"templates.{extra[0]}")
    return instruments


def _read_items_file(entry: InstrumentEntry, where: str, languages: tuple[str, ...],
                     path: Path) -> dict[tuple[int, str], str]:
    source = resolve_project_path(entry.items_file or "")
    if not source.exists():
        raise MissingDataError(
            f"{path}: instruments field {where}.items_file points to {source}, "
            "which does not exist; run `moralign data fetch` to download the item tables"
        )
    columns = {"item": "item", "language": "language", "text": "prompt"}
    columns.update(entry.items_columns)
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


def _inline_items(entry: InstrumentEntry, where: str, languages: tuple[str, ...],
                  path: Path) -> dict[tuple[int, str], str]:
    texts: dict[tuple[int, str], str] = {}
    for index, inline in enumerate(entry.items or ()):
        for language, text in inline.text.items():
            if (inline.item, language) in texts:
                raise InputError(f"item {inline.item} appears twice", file=path,
                                 column=f"{where}.items[{index}].item")
            if language in languages:
                texts[(inline.item, language)] = text
    return texts


def _check_texts(
    texts: Mapping[tuple[int, str], str],
    items: tuple[int, ...],
    languages: tuple[str, ...],
    column: str,
    path: Path,
) -> None:
    if not items:
        raise InputError("no items found", file=path, column=column)
    for language in languages:
        lacking = [item for item in items if (item, language) not in texts]
        if lacking:
            raise InputError(f"unknown language {language!r} for items {lacking[:5]}: "
                             "no item text in that language", file=path, column=column)


def _load_templates(
    parsed: StudyFile,
    instrument: str,
    languages: tuple[str, ...],
    personas: tuple[str, ...],
    path: Path,
) -> dict[str, Templates]:
    if instrument not in parsed.templates:
        raise InputError("no prompt templates for this instrument", file=path,
                         column=f"templates.{instrument}")
    by_language = parsed.templates[instrument]
    out: dict[str, Templates] = {}
    for language in languages:
        if language not in by_language:
            raise InputError(f"unknown language {language!r}: no templates", file=path,
                             column=f"templates.{instrument}.{language}")
        entry = by_language[language]
        where = f"templates.{instrument}.{language}"
        for label, template in (("system", entry.system), ("user", entry.user)):
            _check_placeholders(template, f"{where}.{label}", path)
        for persona in personas:
            if persona not in entry.persona_lines:
                raise InputError(f"unknown persona {persona!r}: no persona line", file=path,
                                 column=f"{where}.persona_lines")
        out[language] = _templates(entry, where, path)
    names = {language: sorted(t.variants) for language, t in out.items()}
    if len({tuple(v) for v in names.values()}) > 1:
        raise InputError(f"every language must name the same variants, got {names}", file=path,
                         column=f"templates.{instrument}")
    return out


def _templates(entry: TemplateEntry, where: str, path: Path) -> Templates:
    variants = {}
    for name, wording in entry.variants.items():
        if name == BASE_WORDING:
            raise InputError(f"{BASE_WORDING!r} names the template's own wording; choose another "
                             "name", file=path, column=f"{where}.variants")
        for label, template in (("system", wording.system), ("user", wording.user)):
            _check_placeholders(template, f"{where}.variants.{name}.{label}", path)
        variants[name] = (wording.system, wording.user)
    try:
        entry.option_line.format(number=1, label="")
    except (KeyError, IndexError, ValueError) as err:
        raise InputError(f"bad option line: {err}; placeholders {{number}} and {{label}}",
                         file=path, column=f"{where}.option_line") from None
    options = tuple(entry.options) if entry.options is not None else None
    return Templates(system=entry.system, user=entry.user,
                     persona_lines=dict(entry.persona_lines), options=options,
                     option_line=entry.option_line, variants=variants)


def _check_placeholders(template: str, column: str, path: Path) -> None:
    try:
        names = [name for _, name, _, _ in string.Formatter().parse(template) if name is not None]
    except ValueError as err:
        raise InputError(f"bad template: {err}", file=path, column=column) from None
    for name in names:
        if name not in TEMPLATE_FIELDS:
            raise InputError(
                f"bad template placeholder {{{name}}}; allowed: "
                f"{', '.join('{' + f + '}' for f in sorted(TEMPLATE_FIELDS))}",
                file=path, column=column)
