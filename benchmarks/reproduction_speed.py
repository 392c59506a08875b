"""Side by side: the study's own MFQ-2 scripts and this project's reproduction of them.

The study's four R Markdown files (Scripts/Analysis/MFQ2/mfq_rq*.Rmd of the pinned release, the
`made_in_china_scripts` dataset of data/sources.toml, fetched on request) are knitted one after
the other, each by its own R process in a folder holding the three data files they read, as
their authors ran them. Together they compute the MFQ-2 cosines, the per-LLM t-tests, the OLS
models and the figures of the paper.

The project computes the same with `moralign similarity --respondent-ids paper --instrument mfq2`
and `Rscript R/analysis/run.R --instruments mfq2 --no-mixed --no-measures` (OLS models, Welch
tests, cell tables, figures 1-5), from the canonical tables `moralign data import` builds once
per release (timed too, and shown apart).

Prints the wall time and peak resident memory of every step (the largest of the step's
process and those it forked: figures are drawn in forked R processes), both totals and their
ratio, in one run on one machine. The project's pipeline first runs once untimed, so that both
sides meet warm file caches; then the scripts are knitted `--knit-repeat` times (default once,
about 100 s each) and the project's pipeline runs `--repeat` times; medians are compared.
Knitting needs the R packages rmarkdown, tidyverse and ggpubr (Debian: r-cran-rmarkdown
r-cran-tidyverse r-cran-ggpubr). The scripts also call lsa::cosine; where the lsa package is
missing (Debian does not package it), a stand-in holding only cosine(x, y) = sum(x * y) /
sqrt(sum(x^2) * sum(y^2)) is installed into a temporary library. `make bench` installs the
packages (tools/setup.sh --bench). Without them the ratio is taken against the times stated in
REFERENCE_SECONDS, measured on other days, and not judged against the floor.

Run: .venv/bin/python benchmarks/reproduction_speed.py [--repeat 3] [--knit-repeat 1] [--keep DIR]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from collect.data.sources import dataset_dir, fetch_all, load_sources
from collect.paths import ROOT

SCRIPTS = ("mfq_rq1", "mfq_rq2", "mfq_rq3", "mfq_rq3_with_persona")
SCRIPT_FOLDER = "Scripts/Analysis/MFQ2"
DATA_FILES = ("Data/llm_info.csv", "Data/MFQ2/human_mfq_responses.csv",
              "Data/MFQ2/llm_mfq_responses.csv")
KNIT_PACKAGES = ("rmarkdown", "tidyverse", "ggpubr")
# The four scripts knitted one after the other on this project's 2-core Debian 12 machines
# (R 4.2): the quickest time reported, and the time this script measured on 2026-11-29 (three
# runs, 102-103 s). Used only when the scripts cannot be knitted here.
REFERENCE_SECONDS = {"quickest reported": 59.0, "measured 2026-11-29": 102.0}
FLOOR = 12.0


@dataclass(frozen=True)
class Step:
    label: str
    seconds: float
    peak_mb: float
    error: str = ""


def run_step(label: str, command: list[str], cwd: Path, env: dict[str, str]) -> Step:
    """Runs `command`; its wall time and peak resident memory (of the largest process)."""
    with tempfile.TemporaryFile() as stderr:
        start = time.perf_counter()
        process = subprocess.Popen(command, cwd=cwd, env=env, stdout=subprocess.DEVNULL,
                                   stderr=stderr)
        _, status, usage = os.wait4(process.pid, 0)
        seconds = time.perf_counter() - start
        process.returncode = os.waitstatus_to_exitcode(status)
        error = ""
        if process.returncode != 0:
            stderr.seek(0)
            lines = stderr.read().decode(errors="replace").splitlines()
            error = next((line.strip() for line in reversed(lines)
                          if line.startswith(("Error", "!"))), f"exit {process.returncode}")
    return Step(label, seconds, usage.ru_maxrss / 1024, error)


def r_packages_present(packages: tuple[str, ...], env: dict[str, str]) -> bool:
    check = "quit(status = !all(vapply(commandArgs(TRUE), requireNamespace, TRUE, quietly = TRUE)))"
    return subprocess.run(["Rscript", "-e", check, *packages], env=env,
                          capture_output=True).returncode == 0


def with_cosine_stand_in(scratch: Path, env: dict[str, str]) -> dict[str, str]:
    """`env` whose R library path holds a package `lsa` exporting only cosine()."""
    if r_packages_present(("lsa",), env):
        return env
    source = scratch / "lsa"
    (source / "R").mkdir(parents=True)
    (source / "DESCRIPTION").write_text(
        "Package: lsa\nVersion: 0.0.0\nTitle: Stand-in for lsa::cosine\n"
        "Description: Cosine of two vectors, for knitting the study's scripts.\n"
        "License: MIT\n")
    (source / "NAMESPACE").write_text("export(cosine)\n")
    (source / "R" / "cosine.R").write_text(
        "cosine <- function(x, y) sum(x * y) / sqrt(sum(x * x) * sum(y * y))\n")
    library = scratch / "library"
    library.mkdir()
    subprocess.run(["R", "CMD", "INSTALL", f"--library={library}", str(source)], check=True,
                   capture_output=True)
    paths = [str(library), *filter(None, [env.get("R_LIBS", "")])]
    return {**env, "R_LIBS": os.pathsep.join(paths)}


def knit_study_scripts(work: Path, env: dict[str, str]) -> list[Step]:
    folder = work / "study_scripts"
    folder.mkdir(parents=True)
    scripts = dataset_dir("made_in_china_scripts") / SCRIPT_FOLDER
    for name in SCRIPTS:
        shutil.copy(scripts / f"{name}.Rmd", folder)
    for data_file in DATA_FILES:
        shutil.copy(dataset_dir("made_in_china") / data_file, folder)
    knit_env = with_cosine_stand_in(work, env)
    return [run_step(f"{name}.Rmd", ["Rscript", "-e",
                                     f'rmarkdown::render("{name}.Rmd", quiet = TRUE)'],
                     folder, knit_env)
            for name in SCRIPTS]


def project_pipeline(work: Path, env: dict[str, str]) -> list[Step]:
    moralign = [sys.executable, "-m", "collect"]
    return [
        run_step("moralign data import (once per release)",
                 [*moralign, "data", "import", "--out", str(work / "canonical"),
                  "--wvs7", str(work / "no_wvs7_file.csv")], ROOT, env),
        run_step("moralign similarity",
                 [*moralign, "similarity", "--respondent-ids", "paper", "--instrument", "mfq2",
                  "--canonical", str(work / "canonical"), "--out", str(work / "derived")],
                 ROOT, env),
        run_step("R analysis (--no-mixed --no-measures)",
                 ["Rscript", "R/analysis/run.R", "--derived", str(work / "derived" / "paper"),
                  "--results", str(work / "results"), "--instruments", "mfq2", "--no-mixed",
                  "--no-measures"], ROOT, env),
    ]


def median_steps(runs: list[list[Step]]) -> list[Step]:
    return [Step(steps[0].label, statistics.median(s.seconds for s in steps),
                 max(s.peak_mb for s in steps), next((s.error for s in steps if s.error), ""))
            for steps in zip(*runs, strict=True)]


def show(steps: list[Step]) -> None:
    for step in steps:
        note = f"   stopped at an error: {step.error}" if step.error else ""
        print(f"  {step.label:<42} {step.seconds:7.1f} s {step.peak_mb:7.0f} MB{note}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3,
                        help="runs of the project's pipeline (the median is shown)")
    parser.add_argument("--knit-repeat", type=int, default=1,
                        help="knittings of the study's scripts (the median is shown)")
    parser.add_argument("--keep", type=Path,
                        help="work in a new folder inside this one and leave it in place")
    args = parser.parse_args()
    fetch_all(sources=load_sources(datasets=["made_in_china", "made_in_china_scripts"]))
    if args.keep:
        args.keep.mkdir(parents=True, exist_ok=True)
    scratch = Path(tempfile.mkdtemp(prefix="reproduction_speed_", dir=args.keep))
    env = {**os.environ, "PYTHONPATH": str(ROOT / "python")}
    print(f"MFQ-2 half of the study, {os.cpu_count()} cores, load average "
          f"{os.getloadavg()[0]:.2f}")

    project_pipeline(scratch / "warm_up", env)
    measured = r_packages_present(KNIT_PACKAGES, env)
    if measured:
        print("the study's scripts, knitted one after the other:")
        study = median_steps([knit_study_scripts(scratch / f"knit_{run}", env)
                              for run in range(args.knit_repeat)])
        show(study)
        references = {"knitted in this run": sum(step.seconds for step in study)}
        print(f"  {'total':<42} {references['knitted in this run']:7.1f} s")
        if any(step.error for step in study):
            print("  (a script that stops at an error is timed up to there)")
    else:
        references = REFERENCE_SECONDS
        print(f"the study's scripts: not knitted here (needs the R packages "
              f"{', '.join(KNIT_PACKAGES)}; tools/setup.sh --bench installs them)")

    runs = [project_pipeline(scratch / f"run_{run}", env) for run in range(args.repeat)]
    project = median_steps(runs)
    print(f"this project, median of {args.repeat} run(s):")
    show(project)
    compared = sum(step.seconds for step in project[1:])
    print(f"  {'total, similarity + analysis':<42} {compared:7.1f} s")
    failed = [step.label for step in project if step.error]
    if failed:
        print(f"the project's pipeline failed ({', '.join(failed)}): no ratio")
        sys.exit(1)
    for label, reference in references.items():
        ratio = reference / compared
        with_import = reference / (compared + project[0].seconds)
        verdict = (f"floor {FLOOR:.0f}x {'met' if ratio >= FLOOR else 'NOT met'}" if measured
                   else "not judged against the floor: a time from another day")
        print(f"ratio to the scripts {label} ({reference:.1f} s): {ratio:.1f}x faster "
              f"({with_import:.1f}x counting the import); {verdict}")
    if args.keep is None:
        shutil.rmtree(scratch)


if __name__ == "__main__":
    main()
