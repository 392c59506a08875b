"""reports/freezer.R, which _quarto.yml runs around every `quarto render`: the chapters frozen by
Quarto are thrown away when the results or the chapters' helpers change, and kept otherwise."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

from collect.paths import ROOT

FREEZER = ROOT / "reports" / "freezer.R"


def run_freezer(project: Path, command: str, render_all: bool = True) -> str:
    env = {**os.environ, "MORALIGN_RESULTS_DIR": str(project / "results")}
    env.pop("QUARTO_PROJECT_RENDER_ALL", None)
    if render_all:
        env["QUARTO_PROJECT_RENDER_ALL"] = "1"
    done = subprocess.run(["Rscript", str(FREEZER), command], cwd=project, env=env,
                          capture_output=True, text=True, check=True)
    return done.stdout


def frozen_project(folder: Path) -> Path:
    """A project whose chapters Quarto froze after rendering them all."""
    (folder / "reports").mkdir(parents=True)
    (folder / "results" / "mfq2").mkdir(parents=True)
    (folder / "results" / "mfq2" / "rq1_ols.csv").write_text("term,estimate\nx,0.1\n")
    (folder / "reports" / "_common.R").write_text("x <- 1\n")
    shutil.copy2(ROOT / "_quarto.yml", folder / "_quarto.yml")
    (folder / "_freeze" / "reports" / "measures").mkdir(parents=True)
    run_freezer(folder, "record")
    return folder


def test_the_freezer_is_kept_while_the_shared_inputs_stay_the_same(tmp_path: Path) -> None:
    project = frozen_project(tmp_path)
    (project / "reports" / "measures.qmd").write_text("# A chapter's own text\n")
    assert run_freezer(project, "thaw") == ""
    assert (project / "_freeze" / "reports" / "measures").is_dir()


def test_a_changed_result_empties_the_freezer(tmp_path: Path) -> None:
    project = frozen_project(tmp_path)
    (project / "results" / "mfq2" / "rq1_ols.csv").write_text("term,estimate\nx,0.2\n")
    assert "every chapter is knitted again" in run_freezer(project, "thaw")
    assert not (project / "_freeze").exists()


def test_a_changed_helper_empties_the_freezer(tmp_path: Path) -> None:
    project = frozen_project(tmp_path)
    (project / "reports" / "_common.R").write_text("x <- 2\n")
    run_freezer(project, "thaw")
    assert not (project / "_freeze").exists()


def test_a_render_of_some_chapters_records_nothing(tmp_path: Path) -> None:
    project = frozen_project(tmp_path)
    (project / "results" / "mfq2" / "rq1_ols.csv").write_text("term,estimate\nx,0.2\n")
    run_freezer(project, "thaw")
    (project / "_freeze" / "reports" / "measures").mkdir(parents=True)
    run_freezer(project, "record", render_all=False)
    assert not (project / "_freeze" / "shared-inputs.txt").exists()
    run_freezer(project, "thaw")
    assert not (project / "_freeze").exists(), "the next full render knits every chapter"
