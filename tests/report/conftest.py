"""Fixtures of the book's tests: the pipeline's results (built through the CLI if absent), the
book Quarto renders from them (in a copy of the project, so that a render in progress in the
project itself is left alone), and a fresh copy of the project without results."""

from __future__ import annotations

import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest
from collect.paths import PATHS, ROOT

from tests.conftest import fetched_external
from tests.report.pages import BookPage, page_of, read_page, read_pages

RENDER_SCRIPT = ROOT / "reports" / "render.R"
# What the book reads besides the models' results, written last by `moralign book-inputs`.
BOOK_INPUTS_DONE = "provenance.json"


@dataclass(frozen=True)
class PipelineOutputs:
    """Where the book reads from; passed to the renderer through the project's variables."""

    results: Path
    canonical: Path
    derived: Path
    external: Path

    def environment(self) -> dict[str, str]:
        return {
            **os.environ,
            "MORALIGN_EXTERNAL_DIR": str(self.external),
            "MORALIGN_RESULTS_DIR": str(self.results),
            "MORALIGN_CANONICAL_DIR": str(self.canonical),
            "MORALIGN_DERIVED_DIR": str(self.derived),
        }


@dataclass(frozen=True)
class RenderedBook:
    folder: Path
    log: str
    pages: dict[str, BookPage]
    chapters: list[str]
    outputs: PipelineOutputs

    def page_name(self, chapter: str) -> str:
        return page_of(chapter)

    def page(self, chapter: str) -> BookPage:
        return self.pages[self.page_name(chapter)]


def run(command: list[str], env: dict[str, str] | None = None) -> str:
    done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        pytest.fail(
            f"`{' '.join(command)}` exited with {done.returncode}:\n{done.stdout}\n{done.stderr}"
        )
    return done.stdout + done.stderr


def moralign() -> str:
    installed = ROOT / ".venv" / "bin" / "moralign"
    return str(installed) if installed.exists() else shutil.which("moralign") or "moralign"


def build_pipeline(folder: Path) -> PipelineOutputs:
    """Run the pipeline's commands, as `make report` does, with every output under `folder`."""
    outputs = PipelineOutputs(folder / "results", folder / "canonical", folder / "derived",
                              folder / "external")
    env = outputs.environment()
    run([moralign(), "data", "fetch", "--mirror", str(fetched_external()), "--external",
         str(outputs.external)], env)
    run([moralign(), "data", "import"], env)
    for ids in ("paper", "respondent"):
        run([moralign(), "similarity", "--respondent-ids", ids, "--canonical",
             str(outputs.canonical), "--out", str(outputs.derived)], env)
    # A small calibration: the chapters' calibration text is checked against whatever it holds.
    run(["Rscript", "R/analysis/run.R", "--derived", str(outputs.derived / "paper"),
         "--results", str(outputs.results), "--calibration-sets", "20"], env)
    run(["Rscript", "R/analysis/run.R", "--derived", str(outputs.derived / "respondent"),
         "--results", str(outputs.results / "respondent")], env)
    run([moralign(), "book-inputs", "--canonical", str(outputs.canonical), "--derived",
         str(outputs.derived), "--results", str(outputs.results)], env)
    return outputs


@pytest.fixture(scope="session")
def pipeline_outputs(tmp_path_factory: pytest.TempPathFactory) -> PipelineOutputs:
    """The project's results (or those the MORALIGN_*_DIR variables point at) when they exist;
    otherwise results built for this session."""
    project = PipelineOutputs(PATHS.results, PATHS.canonical, PATHS.derived, PATHS.external)
    if all((project.results / name).exists() for name in ("mfq2/rq1_ols.csv", BOOK_INPUTS_DONE)):
        return project
    return build_pipeline(tmp_path_factory.mktemp("pipeline"))


def quarto_environment(env: dict[str, str]) -> dict[str, str]:
    """`env` with QUARTO_PATH naming the Quarto `make test` installed (or the user's own)."""
    own = ROOT / ".venv" / "bin" / "quarto"
    quarto = str(own) if own.exists() else shutil.which("quarto")
    if quarto is None:
        pytest.fail("Quarto is not installed: run `tools/setup.sh --quarto` (`make test` does)")
    return {**env, "QUARTO_PATH": quarto}


def copy_project(folder: Path) -> Path:
    """The project's files as a fresh clone has them, copied into `folder`."""
    for name in project_files():
        target = folder / name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / name, target)
    return folder


def render_book(project: Path, results: Path, output: Path, env: dict[str, str]) -> str:
    """`Rscript reports/render.R` of the project copy `project`; its output."""
    done = subprocess.run(
        ["Rscript", str(project / RENDER_SCRIPT.relative_to(ROOT)), "--results", str(results),
         "--output-dir", str(output)],
        cwd=project, env=quarto_environment(env), capture_output=True, text=True, check=False,
    )
    if done.returncode != 0:
        pytest.fail(f"rendering the book exited with {done.returncode}:\n{done.stdout}\n"
                    f"{done.stderr}")
    return done.stdout + done.stderr


def render_chapter(chapter: str, results: Path, folder: Path) -> BookPage:
    """One chapter as `quarto render CHAPTER` renders it in a copy of the project (in `folder`),
    reading `results`."""
    project = copy_project(folder / "moralign")
    env = {**quarto_environment(dict(os.environ)), "MORALIGN_ROOT": str(project),
           "MORALIGN_RESULTS_DIR": str(results)}
    output = folder / "book"
    done = subprocess.run([env["QUARTO_PATH"], "render", chapter, "--to", "html", "--output-dir",
                           str(output)], cwd=project, env=env, capture_output=True, text=True,
                          check=False)
    if done.returncode != 0:
        pytest.fail(f"quarto render {chapter} exited with {done.returncode}:\n{done.stderr}")
    return read_page(output / page_of(chapter), output)


@pytest.fixture(scope="session")
def book(
    pipeline_outputs: PipelineOutputs, tmp_path_factory: pytest.TempPathFactory
) -> RenderedBook:
    """The book of the pipeline's results, its results copied into the project copy's results/
    so that every path the book shows is one inside the project."""
    project = copy_project(tmp_path_factory.mktemp("rendered") / "moralign")
    shutil.copytree(pipeline_outputs.results, project / "results", dirs_exist_ok=True)
    folder = project / "_book"
    log = render_book(project, project / "results", folder, pipeline_outputs.environment())
    chapters = run(["Rscript", str(RENDER_SCRIPT), "--list-chapters"]).split()
    return RenderedBook(folder, log, read_pages(folder), chapters, pipeline_outputs)


def project_files() -> list[str]:
    """The files a clone of the project holds: tracked, or new and not ignored."""
    listed = run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"])
    return sorted({name for name in listed.split("\0") if name and (ROOT / name).is_file()})


@pytest.fixture(scope="session")
def fresh_clone(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the project's files as a fresh clone has them: no data, no results."""
    folder = copy_project(tmp_path_factory.mktemp("clone") / "moralign")
    assert not list((folder / "results").rglob("*.csv")), "a fresh clone has no results"
    return folder


def environment_without_project_folders() -> dict[str, str]:
    """The environment minus every variable that points the project's code at other folders."""
    return {name: value for name, value in os.environ.items() if not name.startswith("MORALIGN_")}
