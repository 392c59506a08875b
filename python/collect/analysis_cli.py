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
from collect.paths import PATHS, ROOT, SHIPPED_STUDY
from collect.similarity.run import run_similarity
from collect.vocab import INSTRUMENTS, RespondentIds

R_ENTRY = ROOT / "R" / "analysis" / "run.R"


# Either respondent-id mode, or both one after the other.
IdsChoice = StrEnum("IdsChoice", {**{m.name: m.value for m in RespondentIds}, "BOTH": "both"})


def results_folder(results: Path, ids: str) -> Path:
    """Paper mode writes to RESULTS/, the respondent-mode robustness run to RESULTS/respondent/."""
    return results if ids == RespondentIds.PAPER else results / RespondentIds.RESPONDENT


def rscript() -> str:
    found = shutil.which("Rscript")
    if found is None:
        raise MissingDataError("Rscript not found on PATH; install R (see the project README)")
    return found


def r_command(derived: Path, results: Path, instruments: list[str], *, mixed: bool = True,
              measures: bool = True, calibration_sets: int = 0) -> list[str]:
    command = [rscript(), str(R_ENTRY), "--derived", str(derived), "--results", str(results),
               "--instruments", ",".join(instruments)]
    return [*command, *(["--no-mixed"] if not mixed else []),
            *(["--no-measures"] if not measures else []),
            *(["--calibration-sets", str(calibration_sets)] if calibration_sets > 0 else [])]


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
        help="mfq2 and/or wvs7 (repeat the option); default those of the study. WVS-7 is "
             "skipped with a message when its human file has not been imported.",
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
    study: StudyFile = None,
    export: Annotated[Path | None, typer.Option(
        help="Export folder whose answers are imported first (default for a study other than "
             "the shipped one: its folder under data/collected/; the shipped study's canonical "
             "tables are used as they are).",
    )] = None,
    calibration_sets: Annotated[int, typer.Option(
        "--calibration", min=0,
        help="Simulated null data sets per test for calibration.csv, written with the paper-id "
             "run (0: none; `make calibrate` runs 1,000).",
    )] = 100,
    book: Annotated[bool, typer.Option(
        "--book/--no-book", help="Render the book about the study last (into _book/ for the "
                                 "shipped study, into a folder named after another study "
                                 "under _book-studies/).",
    )] = False,
) -> None:
    """Run the similarity step, then the R models and figures, then the book's other inputs.

    With `--study FILE` for a study other than the shipped one, its export folder is imported
    first and every output goes to that study's own folders (data/studies/NAME/,
    results/studies/NAME/): two studies never overwrite each other.

    The R models are the OLS fits as published, the mixed models and their emmeans contrasts;
    the book's other inputs are what `moralign book-inputs` writes. Tables go to
    `RESULTS/<instrument>/*.csv`, figures to RESULTS/figures/; see results/README.md for every
    file and column."""
    from collect.core.study import load_vocabulary

    study_file = study or PATHS.shipped_study
    vocabulary = load_vocabulary(study_file)
    layout = PATHS.study(vocabulary.name)
    ran = [name for name in INSTRUMENTS if name in vocabulary.instrument_names]
    instruments = instrument or ran or list(INSTRUMENTS)
    unknown = sorted(set(instruments) - set(INSTRUMENTS))
    if unknown:
        raise typer.BadParameter(f"unknown instrument(s) {unknown}; expected mfq2 or wvs7")
    canonical_dir = canonical or layout.canonical
    derived_root = derived or layout.derived
    results_root = results or layout.results
    if export is not None or vocabulary.name != SHIPPED_STUDY:
        import_export(export or layout.export, study_file, canonical_dir)
    modes = (list(RespondentIds) if respondent_ids == "both"
             else [RespondentIds(respondent_ids.value)])
    for ids in modes:
        if similarity:
            run_similarity(canonical_dir, derived_root, ids, instruments, PATHS.wvs7_file,
                           say=typer.echo, study=vocabulary)
        sets = calibration_sets if ids is RespondentIds.PAPER else 0
        run_step(r_command(derived_root / ids, results_folder(results_root, ids), instruments,
                           mixed=mixed, measures=measures, calibration_sets=sets),
                 "the R analysis")
    from collect.report_inputs import write_report_inputs  # reads study files: see book_inputs

    write_report_inputs(results_root, canonical_dir, derived_root, study_file, say=typer.echo)
    if book:
        run_step(book_command(results_root, layout.book), "the book")


def import_export(folder: Path, study_file: Path, canonical: Path) -> None:
    """The canonical tables of a study, from its export folder and the fetched human data."""
    from collect.data.canonical import build_canonical, export_files

    files, others = export_files(folder)
    for path in others:
        typer.secho(f"not imported: {path} (no human data of that instrument to compare with)",
                    fg=typer.colors.YELLOW)
    typer.echo(f"importing {', '.join(str(p) for p in files)} into {canonical}")
    build_canonical(out=canonical, llm_files=files, study_file=study_file)


def book_command(results: Path, output: Path) -> list[str]:
    return [rscript(), str(ROOT / "reports" / "render.R"), "--results", str(results),
            "--output-dir", str(output)]


def run_step(command: list[str], what: str) -> None:
    typer.echo(f"running {' '.join(command)}")
    completed = subprocess.run(command, cwd=ROOT, check=False)
    if completed.returncode != 0:
        typer.secho(f"{what} failed (exit status {completed.returncode})",
                    fg=typer.colors.RED, err=True)
        raise typer.Exit(completed.returncode)


def book_inputs(
    canonical: CanonicalFolder = None,
    derived: DerivedFolder = None,
    results: ResultsFolder = None,
    study: StudyFile = None,
) -> None:
    """Write what the book shows besides the models' results into RESULTS/: prompts.csv,
    models.csv, model_calls.csv, design.json, exclusions.json, study.json, python_packages.csv
    and provenance.json (written last). The book reads nothing else but RESULTS/.

    study.json holds the study's name, title, description, file, repetitions, languages,
    personas, nations, compared pair, instruments and models; `moralign collect export` writes
    the same file beside the tables it exports."""
    # Imported here, not at the top: it loads the collector's study reader, which every other
    # command (`moralign similarity` above all) would otherwise pay for at start-up.
    from collect.report_inputs import write_report_inputs

    write_report_inputs(results, canonical, derived, study or PATHS.shipped_study,
                        say=typer.echo)
