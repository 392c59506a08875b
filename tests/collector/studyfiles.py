"""Small study files for tests, pointed at scripted servers on 127.0.0.1."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

TEST_KEY_ENV = "MORALIGN_TEST_API_KEY"
TEST_KEY = "sk-test-7f3a9c1e5b2d4f6a8c0e"

ITEMS = {
    1: ("Caring for people who have suffered is an important virtue.",
        "关心受苦的人是一种重要的美德。"),
    2: ("The world would be a better place if everyone made the same amount of money.",
        "如果每个人都赚同样多的钱，那么这个世界会更美好。"),
    3: ("I think people who are more hard-working should end up with more money.",
        "我认为，更努力的人最终应当更有钱。"),
}
LANGUAGES = ("English", "Chinese")
PERSONAS = ("none", "USA")


def _provider(name: str, base_url: str, key_env: str, options: Mapping[str, object]) -> str:
    settings = {
        "kind": "openai",
        "base_url": base_url,
        "api_key_env": key_env,
        "max_concurrency": 4,
        "max_attempts": 3,
        "backoff_base_s": 0.01,
        "backoff_max_s": 0.05,
        "timeout_s": 10.0,
        **options,
    }
    lines = [f"[providers.{name}]"]
    lines += [f"{k} = {_toml(v)}" for k, v in settings.items() if v is not None]
    return "\n".join(lines)


def _toml(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return f'"{value}"'
    return str(value)


def study_toml(
    base_urls: Mapping[str, str],
    *,
    name: str = "mini",
    models: Mapping[str, str] | None = None,
    repetitions: int = 2,
    provider_options: Mapping[str, object] | None = None,
    key_envs: Mapping[str, str] | None = None,
    gates: str = "",
    makers: Mapping[str, str] | None = None,
) -> str:
    """A study of 3 MFQ-2-like items x 2 languages x 2 personas x `repetitions` per model.

    `base_urls` maps provider names to base URLs; `models` maps model ids to provider names
    (default: models "alpha" and "beta" on the first provider); `makers` maps model ids to their
    makers (default: none known).
    """
    first = next(iter(base_urls))
    models = models or {"alpha": first, "beta": first}
    providers = "\n\n".join(
        _provider(p, url, (key_envs or {}).get(p, TEST_KEY_ENV), provider_options or {})
        for p, url in base_urls.items()
    )
    model_entries = "\n\n".join(
        f'[[models]]\nid = "{m}"\norigin = "{"China" if i % 2 == 0 else "USA"}"\n'
        + (f'maker = "{(makers or {})[m]}"\n' if m in (makers or {}) else "")
        + f'provider = "{p}"\napi_model = "{m}-api"\ntemperature = 0.7'
        for i, (m, p) in enumerate(models.items())
    )
    items = "\n".join(
        f"[[instruments.mini.items]]\nitem = {item}\n"
        f'text = {{ English = "{en}", Chinese = "{zh}" }}'
        for item, (en, zh) in ITEMS.items()
    )
    return f"""
[study]
name = "{name}"
repetitions = {repetitions}
languages = ["English", "Chinese"]
personas = ["none", "USA"]

{providers}

{model_entries}

[instruments.mini]
survey_label = "mfq"
scale_min = 1
scale_max = 5
{items}

[templates.mini.English]
system = "{{persona_line}}Respond only with a number from {{scale_min}} to {{scale_max}}."
user = "Statement: {{item_text}}"
persona_lines = {{ none = "", USA = "You are from the USA.\\n" }}

[templates.mini.Chinese]
system = "{{persona_line}}请仅回复1到5之间的数字。"
user = "陈述：{{item_text}}"
persona_lines = {{ none = "", USA = "您来自美国。\\n" }}

[gates]
{gates}
"""


def calls_per_model(repetitions: int = 2) -> int:
    return len(ITEMS) * len(LANGUAGES) * len(PERSONAS) * repetitions


def write_study(folder: Path, base_urls: Mapping[str, str] | str, **options: object) -> Path:
    urls = {"scripted": base_urls} if isinstance(base_urls, str) else base_urls
    path = folder / "study.toml"
    path.write_text(study_toml(urls, **options), encoding="utf-8")  # type: ignore[arg-type]
    return path


LABELS = {
    "English": ("Not at all", "Slightly", "Moderately", "Fairly well", "Extremely well"),
    "Chinese": ("一点也不", "有点", "比较", "相当", "极其"),
}
# A second wording of each language's messages, named "terse".
TERSE = {"English": ("{persona_line}One number only.", "{item_text}\\n{options}"),
         "Chinese": ("{persona_line}只回复一个数字。", "{item_text}\\n{options}")}


def counterbalanced_toml(base_url: str, *, repetitions: int = 6,
                         presentations: tuple[str, ...] = ("published", "reversed", "renumbered"),
                         assignment: str = "counterbalanced", wordings: bool = True) -> str:
    """The `study_toml` study with its options listed by `{options}` under `presentations`
    and, if `wordings`, a second wording ("terse") in each language."""
    text = study_toml({"scripted": base_url}, repetitions=repetitions)
    text = text.replace(
        'personas = ["none", "USA"]\n',
        'personas = ["none", "USA"]\npresentations = ['
        + ", ".join(f'"{p}"' for p in presentations) + f']\nassignment = "{assignment}"\n')
    for language, user in (("English", "Statement: {item_text}"), ("Chinese", "陈述：{item_text}")):
        heading = f"[templates.mini.{language}]\n"
        head, rest = text.split(heading)
        rest = rest.replace(f'user = "{user}"', f'user = "{user}\\nOptions:\\n{{options}}"', 1)
        table_end = rest.index("\n\n")
        options = "options = [" + ", ".join(f'"{label}"' for label in LABELS[language]) + "]"
        extra = f"\n{options}"
        if wordings:
            system, user_text = TERSE[language]
            extra += (f"\n\n[templates.mini.{language}.variants.terse]\n"
                      f'system = "{system}"\nuser = "{user_text}"')
        text = head + heading + rest[:table_end] + extra + rest[table_end:]
    return text


def write_counterbalanced_study(folder: Path, base_url: str, **options: object) -> Path:
    path = folder / "study.toml"
    path.write_text(counterbalanced_toml(base_url, **options), encoding="utf-8")  # type: ignore[arg-type]
    return path
