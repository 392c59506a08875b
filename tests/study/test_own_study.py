"""A user's own study, end to end, as a user runs it: a new study file (new model ids, three
makers per origin, a new persona, five repetitions, twelve MFQ-2 items, MFQ-2 only) collected
from a scripted OpenAI-compatible server on 127.0.0.1, exported, imported from its export folder,
its similarity tables built, and its report made by `make report STUDY=...` in a clone of the
project of its own."""

from __future__ import annotations

import html
import json
import os
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pandas as pd
import pytest

from tests.collector.studyfiles import TEST_KEY, TEST_KEY_ENV
from tests.conftest import fetched_external
from tests.servers.openai_chat import OpenAIChat
from tests.servers.scripted import ScriptedServer

ROOT = Path(__file__).resolve().parents[2]
# What a clone holds that the pipeline reads (data/external is the fetched release).
PROJECT_PARTS = ("Makefile", "pyproject.toml", "python", "R", "reports", "tools", ".venv",
                 "_quarto.yml", "index.qmd", "renv.lock")
NAME = "own_values"
TITLE = "Own values of this year's assistants"
MODELS = {  # id: (display name, origin, maker)
    "lumen-7b-2026": ("Lumen 7B", "China", "Lumen Labs"),
    "quill-chat-v3": ("Quill Chat 3", "China", "Quill AI"),
    "tessera-large": ("Tessera Large", "China", "Tessera Tech"),
    "harbor-1-mini": ("Harbor 1 mini", "USA", "Harbor Systems"),
    "prairie-ultra": ("Prairie Ultra", "USA", "Prairie Compute"),
    "canyon-assist": ("Canyon Assist", "USA", "Canyon Research"),
}
ITEMS = list(range(1, 13))
REPETITIONS = 5
PERSONAS = ("none", "China", "USA", "Japan")
SYSTEM = "{persona_line}Answer with one digit between 1 and 5, nothing else."
SHIPPED_MODELS = ("gpt-4o", "qwen3-235b-a22b", "GPT-4o", "Made in China")


def study_text(base_url: str) -> str:
    models = "\n".join(
        f'[[models]]\nid = "{model}"\ndisplay_name = "{name}"\norigin = "{origin}"\n'
        f'maker = "{maker}"\nprovider = "scripted"\napi_model = "{model}"\ntemperature = 0.7\n'
        for model, (name, origin, maker) in MODELS.items())
    user = ("Does this statement describe you? 1 = not at all, 5 = extremely well.\\n"
            "Statement: {item_text}")
    lines = {"English": ('{ none = "", China = "You live in China.\\n", '
                         'USA = "You live in the United States.\\n", '
                         'Japan = "You live in Japan.\\n" }'),
             "Chinese": ('{ none = "", China = "您住在中国。\\n", USA = "您住在美国。\\n", '
                         'Japan = "您住在日本。\\n" }')}
    templates = "\n".join(
        f'[templates.mfq2.{language}]\nsystem = "{SYSTEM}"\nuser = "{user}"\n'
        f"persona_lines = {lines[language]}\n" for language in ("English", "Chinese"))
    return f"""
[study]
name = "{NAME}"
title = "{TITLE}"
description = "Six assistants of 2026, asked twelve MFQ-2 items with and without a persona."
repetitions = {REPETITIONS}
languages = ["English", "Chinese"]
personas = {json.dumps(list(PERSONAS))}
compare = ["China", "USA"]

[nations.Japan]
adjective = "Japanese"
language = "Japanese"

[providers.scripted]
kind = "openai"
base_url = "{base_url}"
api_key_env = "{TEST_KEY_ENV}"
max_concurrency = 8
max_attempts = 3
backoff_base_s = 0.01
backoff_max_s = 0.05

{models}
[instruments.mfq2]
survey_label = "mfq"
scale_min = 1
scale_max = 5
items_file = "{{external}}/made_in_china/items/mfq_items.csv"
only_items = {ITEMS}

{templates}
"""


def answer(call: object) -> str:
    """Answers that vary over items and models, like real ones, with no respondent flat."""
    index = call.index  # type: ignore[attr-defined]
    return str(1 + (index * 7 + index // 13) % 5)


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A clone of the project in a folder of its own: the parts it runs, and the fetched data."""
    folder = tmp_path_factory.mktemp("clone")
    for part in PROJECT_PARTS:
        (folder / part).symlink_to(ROOT / part)
    (folder / "data").mkdir()
    (folder / "data" / "sources.toml").symlink_to(ROOT / "data" / "sources.toml")
    (folder / "data" / "external").symlink_to(fetched_external())
    (folder / "studies").mkdir()
    return folder


def run(project: Path, *command: str, timeout: float = 1800) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, TEST_KEY_ENV: TEST_KEY, "COLUMNS": "160"}
    for variable in ("MORALIGN_EXTERNAL_DIR", "MORALIGN_CANONICAL_DIR", "MORALIGN_DERIVED_DIR",
                     "MORALIGN_RESULTS_DIR"):
        env.pop(variable, None)
    return subprocess.run(list(command), cwd=project, env=env, capture_output=True, text=True,
                          timeout=timeout, check=False)


def moralign(*args: str) -> list[str]:
    return [sys.executable, "-m", "collect", *args]


@pytest.fixture(scope="module")
def collected(project: Path) -> Path:
    """The study collected and exported into its default export folder; returns the study file."""
    with ScriptedServer(OpenAIChat(), api_key=TEST_KEY, answer=answer) as server:  # type: ignore[arg-type]
        study = project / "studies" / f"{NAME}.toml"
        study.write_text(study_text(server.api_base), encoding="utf-8")
        done = run(project, *moralign("collect", "run", "--study", str(study)))
        assert done.returncode == 0, done.stderr
        planned = len(MODELS) * len(ITEMS) * 2 * len(PERSONAS) * REPETITIONS
        assert server.request_count == planned
    exported = run(project, *moralign("collect", "export", "--study", str(study)))
    assert exported.returncode == 0, exported.stderr
    return study


def test_the_answers_land_in_the_clone_not_in_the_installed_project(
    project: Path, collected: Path
) -> None:
    assert (project / "data" / "collected" / f"{NAME}.sqlite").is_file()
    export = project / "data" / "collected" / NAME / "export"
    assert (export / "llm_mfq_responses.csv").is_file()
    assert not (ROOT / "data" / "collected" / f"{NAME}.sqlite").exists()


def test_the_export_folder_imports_and_its_similarity_carries_the_study(
    project: Path, collected: Path
) -> None:
    canonical = project / "data" / "studies" / NAME / "canonical"
    derived = project / "data" / "studies" / NAME / "derived"
    # Without --out, a study's answers go to its own folder, never over data/canonical.
    done = run(project, *moralign("data", "import", "--export", f"data/collected/{NAME}/export"))
    assert done.returncode == 0, done.stderr
    assert not (project / "data" / "canonical").exists()
    models = pd.read_csv(canonical / "models.csv").set_index("model")
    llms = models[models["kind"] == "llm"]
    assert llms["maker"].to_dict() == {m: maker for m, (_, _, maker) in MODELS.items()}
    ratings = pd.read_csv(canonical / "llm_ratings.csv")
    assert sorted(ratings["item"].unique()) == ITEMS
    assert set(ratings["persona"]) == set(PERSONAS)
    assert set(ratings["n_calls"]) == {REPETITIONS}

    done = run(project, *moralign("similarity", "--study", str(collected), "--canonical",
                                  str(canonical), "--out", str(derived), "--instrument", "mfq2"))
    assert done.returncode == 0, done.stderr
    manifest = json.loads((derived / "paper" / "manifest.json").read_text(encoding="utf-8"))
    contract = manifest["contract"]
    assert contract["study"]["name"] == NAME and contract["study"]["title"] == TITLE
    assert contract["study"]["repetitions"] == REPETITIONS
    assert contract["personas"] == list(PERSONAS)
    assert [(m["id"], m["maker"]) for m in contract["models"]] == [
        (m, maker) for m, (_, _, maker) in MODELS.items()]
    assert manifest["instruments"]["mfq2"]["status"] == "built"
    # The new persona is described beside the compared ones, and said so.
    assert manifest["options"]["described_only"] == {"origins": [], "languages": [],
                                                     "personas": ["Japan"]}
    assert "personas ['Japan'] are described beside" in done.stdout
    rq1 = manifest["instruments"]["mfq2"]["tables"]["rq1"]
    assert sorted(rq1["kept_llms"]) == sorted(MODELS) and rq1["dropped_llms"] == []


def test_make_report_builds_the_book_about_the_study(project: Path, collected: Path) -> None:
    done = run(project, "make", "report", f"STUDY=studies/{NAME}.toml", "CALIBRATION_SETS=10")
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-4000:]
    results = project / "results" / "studies" / NAME
    study = json.loads((results / "study.json").read_text(encoding="utf-8"))
    assert study["title"] == TITLE and study["repetitions"] == REPETITIONS
    design = json.loads((results / "design.json").read_text(encoding="utf-8"))
    assert design["items"] == {"mfq2": len(ITEMS)} and design["repetitions"] == REPETITIONS
    prompts = pd.read_csv(results / "prompts.csv")
    assert set(prompts["instrument"]) == {"mfq2"}
    assert prompts["system"].str.contains("Answer with one digit").all()
    provenance = json.loads((results / "provenance.json").read_text(encoding="utf-8"))
    assert provenance["study_file"]["path"].endswith(f"studies/{NAME}.toml")
    assert not (project / "data" / "canonical").exists()  # the release was not imported over it

    book = project / "_book-studies" / NAME
    # Every page of the book (Quarto puts the chapters under reports/), typographic apostrophes
    # as typed.
    pages = "\n".join(p.read_text(encoding="utf-8") for p in book.rglob("*.html"))
    pages = html.unescape(pages).replace("\u2019", "'")
    assert (book / "index.html").is_file()
    assert TITLE in pages
    for name, _, _ in MODELS.values():
        assert name in pages
    assert "Answer with one digit between 1 and 5" in pages
    # The human respondents' data still comes from the published release, which the data
    # provenance cites by its title; nothing else of the shipped study appears.
    sources = tomllib.loads((ROOT / "data" / "sources.toml").read_text(encoding="utf-8"))
    for dataset in sources["datasets"].values():
        pages = pages.replace(dataset["title"], "")
    for shipped in SHIPPED_MODELS:
        assert shipped not in pages, shipped


def test_the_shipped_example_with_a_new_persona_collects_imports_and_renders(
    project: Path,
) -> None:
    """studies/example_new_persona.toml, its provider pointed at a scripted server, goes through
    collection, export and `make report STUDY=...` to a book about it."""
    example = ROOT / "studies" / "example_new_persona.toml"
    shipped = tomllib.loads(example.read_text(encoding="utf-8"))
    name = shipped["study"]["name"]
    with ScriptedServer(OpenAIChat(), api_key=TEST_KEY, answer=answer) as server:  # type: ignore[arg-type]
        text = re.sub(r"\[providers\.local\][^\[]*",
                      f'[providers.local]\nkind = "openai"\nbase_url = "{server.api_base}"\n'
                      f'api_key_env = "{TEST_KEY_ENV}"\n\n',
                      example.read_text(encoding="utf-8"))
        study = project / "studies" / example.name
        study.write_text(text, encoding="utf-8")
        done = run(project, *moralign("collect", "run", "--study", str(study)))
        assert done.returncode == 0, done.stderr
    done = run(project, *moralign("collect", "export", "--study", str(study)))
    assert done.returncode == 0, done.stderr
    done = run(project, "make", "report", f"STUDY=studies/{example.name}",
               "CALIBRATION_SETS=10")
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-4000:]
    book = project / "_book-studies" / name
    pages = "\n".join(p.read_text(encoding="utf-8") for p in book.rglob("*.html"))
    pages = html.unescape(pages).replace("\u2019", "'")
    assert shipped["study"]["title"] in pages
    assert "Japan" in pages  # the new persona, described beside the compared ones
    # Without a China persona and with LLMs of one origin, the analyses that need them are not
    # possible: the similarity manifest, the results and the book say why.
    derived = json.loads((project / "data" / "studies" / name / "derived" / "paper"
                          / "manifest.json").read_text(encoding="utf-8"))
    tables = derived["instruments"]["mfq2"]["tables"]
    assert tables["rq1"]["status"] == "built"
    for analysis in ("rq2", "rq3_persona"):
        assert tables[analysis]["status"] == "not possible"
        assert "persona China" in tables[analysis]["reason"]
    not_possible = pd.read_csv(project / "results" / "studies" / name / "mfq2"
                               / "not_possible.csv")
    assert {"rq2", "rq3_persona", "rq1 models"} <= set(not_possible["analysis"])
    text = re.sub(r"<[^>]+>", "", pages)
    assert "Not possible in this study: no LLM of the study has ratings in persona China" in text
    for model in shipped["models"]:
        assert model["display_name"] in pages
