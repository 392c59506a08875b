"""Fixtures of the book's tests: the pipeline's results (built through the CLI if absent) and
the book rendered from them the offline way (bookdown) into a temporary folder."""

from __future__ import annotations

import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest
from collect.paths import PATHS, ROOT

from tests.conftest import fetched_external
from tests.report.pages import BookPage, read_pages

RENDER_SCRIPT = ROOT / "reports" / "render.R"


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
    run(["Rscript", "R/analysis/run.R", "--derived", str(outputs.derived / "paper"),
         "--results", str(outputs.results)], env)
    run(["Rscript", "R/analysis/run.R", "--derived", str(outputs.derived / "respondent"),
         "--results", str(outputs.results / "respondent")], env)
    return outputs


@pytest.fixture(scope="session")
def pipeline_outputs(tmp_path_factory: pytest.TempPathFactory) -> PipelineOutputs:
    """The project's results (or those the MORALIGN_*_DIR variables point at) when they exist;
    otherwise results built for this session."""
    project = PipelineOutputs(PATHS.results, PATHS.canonical, PATHS.derived, PATHS.external)
    if (project.results / "mfq2" / "rq1_ols.csv").exists():
        return project
    return build_pipeline(tmp_path_factory.mktemp("pipeline"))


@pytest.fixture(scope="session")
def book(
    pipeline_outputs: PipelineOutputs, tmp_path_factory: pytest.TempPathFactory
) -> RenderedBook:
    folder = tmp_path_factory.mktemp("book")
    env = pipeline_outputs.environment()
    log = run(["Rscript", str(RENDER_SCRIPT), "--engine", "bookdown", "--output-dir",
               str(folder)], env)
    chapters = run(["Rscript", str(RENDER_SCRIPT), "--list-chapters"], env).split()
    return RenderedBook(folder, log, read_pages(folder), chapters, pipeline_outputs)
