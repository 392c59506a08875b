"""`moralign analyze`: build the similarity tables, run the R models and figures, and write what
the book shows besides them (`moralign book-inputs` alone)."""

from __future__ import annotations

import shutil
import subprocess
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from collect.errors import MissingDataError
from collect.paths import PATHS, ROOT
from collect.similarity.run import run_similarity
from collect.vocab import INSTRUMENTS, RespondentIds

R_ENTRY = ROOT / "R" / "analysis" / "run.R"


# Either respondent-id mode, or both one after the other.
IdsChoice = StrEnum("IdsChoice", {**{m.name: m.value for m in RespondentIds}, "BOTH": "both"})


def results_folder(results: Path, ids: str) -> Path:
    """Paper mode writes to RESULTS/, the respondent-mode robustness run to RESULTS/respondent/."""
    return results if ids == RespondentIds.PAPER else results / RespondentIds.RESPONDENT


def r_command(derived: Path, results: Path, instruments: list[str], *, mixed: bool = True,
              measures: bool = True) -> list[str]:
    rscript = shutil.which("Rscript")
    if rscript is None:
        raise MissingDataError("Rscript not found on PATH; install R (see the project README)")
    command = [rscript, str(R_ENTRY), "--derived", str(derived), "--results", str(results),
               "--instruments", ",".join(instruments)]
    return [*command, *(["--no-mixed"] if not mixed else []),
            *(["--no-measures"] if not measures else [])]


# The pipeline's folders, as both commands take them.
CanonicalFolder = Annotated[Path | None, typer.Option(
    help="Folder of the canonical tables (default: data/canonical).")]
DerivedFolder = Annotated[Path | None, typer.Option(
    help="Folder of the derived tables and their manifests (default: data/derived).")]
ResultsFolder = Annotated[Path | None, typer.Option(
    help="Folder of the result tables, figures and the book's other inputs (default: results).")]
StudyFile = Annotated[Path | None, typer.Option(
    "--study", help="The study file (default: the shipped study, made_in_china.toml in "
                    "studies/).")]


def analyze(
    respondent_ids: Annotated[IdsChoice, typer.Option(
        "--respondent-ids",
        help="paper: the published numbers, in results/. respondent: the robustness run, "
             "in its respondent/ subfolder. both: one, then the other.",
    )] = IdsChoice.PAPER,  # type: ignore[attr-defined]
    instrument: Annotated[list[str] | None, typer.Option(
        help="mfq2 and/or wvs7 (repeat the option); default both. WVS-7 is skipped with a "
             "message when its human file has not been imported.",
    )] = None,
    canonical: CanonicalFolder = None,
    derived: DerivedFolder = None,
    results: ResultsFolder = None,
    mixed: Annotated[bool, typer.Option(
        "--mixed/--no-mixed", help="Fit the mixed-effects reanalysis as well as the OLS models.",
    )] = True,
    measures: Annotated[bool, typer.Option(
        "--measures/--no-measures",
        help="Also compare under the other similarity measures and place the LLMs among "
             "countries (--no-mixed --no-measures: what the study's own scripts compute).",
    )] = True,
    similarity: Annotated[bool, typer.Option(
        "--similarity/--no-similarity",
        help="Rebuild the similarity tables first (--no-similarity uses the existing ones).",
    )] = True,
) -> None:
    """Run the similarity step, then the R models and figures, then the book's other inputs.

    The R models are the OLS fits as published, the mixed models and their emmeans contrasts;
    the book's other inputs are what `moralign book-inputs` writes. Tables go to
    `RESULTS/<instrument>/*.csv`, figures to RESULTS/figures/; see results/README.md for every
    file and column."""
    instruments = instrument or list(INSTRUMENTS)
    unknown = sorted(set(instruments) - set(INSTRUMENTS))
    if unknown:
        raise typer.BadParameter(f"unknown instrument(s) {unknown}; expected mfq2 or wvs7")
    derived_root = derived or PATHS.derived
    results_root = results or PATHS.results
    modes = (list(RespondentIds) if respondent_ids == "both"
             else [RespondentIds(respondent_ids.value)])
    for ids in modes:
        if similarity:
            run_similarity(canonical or PATHS.canonical, derived_root, ids,
                           instruments, PATHS.wvs7_file, say=typer.echo)
        command = r_command(derived_root / ids, results_folder(results_root, ids), instruments,
                            mixed=mixed, measures=measures)
        typer.echo(f"running {' '.join(command)}")
        completed = subprocess.run(command, cwd=ROOT, check=False)
        if completed.returncode != 0:
            typer.secho(f"the R analysis failed (exit status {completed.returncode})",
                        fg=typer.colors.RED, err=True)
            raise typer.Exit(completed.returncode)
    from collect.report_inputs import write_report_inputs  # reads study files: see book_inputs

    write_report_inputs(results_root, canonical or PATHS.canonical, derived_root, say=typer.echo)


def book_inputs(
    canonical: CanonicalFolder = None,
    derived: DerivedFolder = None,
    results: ResultsFolder = None,
    study: StudyFile = None,
) -> None:
    """Write what the book shows besides the models' results into RESULTS/: prompts.csv,
    models.csv, model_calls.csv, design.json, exclusions.json, study.json, python_packages.csv
    and provenance.json (written last). The book reads nothing else but RESULTS/."""
    # Imported here, not at the top: it loads the collector's study reader, which every other
    # command (`moralign similarity` above all) would otherwise pay for at start-up.
    from collect.report_inputs import write_report_inputs

    write_report_inputs(results, canonical, derived, study or PATHS.shipped_study,
                        say=typer.echo)
