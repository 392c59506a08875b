"""`moralign power`: power of the origin tests for a planned study's design, by simulation
(R/analysis/power.R: power_grid())."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from collect.analysis_cli import rscript, run_step
from collect.paths import ROOT

R_ANALYSIS = ROOT / "R" / "analysis"
R_CALL = (
    "a <- commandArgs(TRUE); source(file.path(a[1], 'load.R'), chdir = TRUE); "
    "power_command(a[2], a[3], a[4], a[5], a[6], a[7], a[8])"
)

Values = Annotated[str, typer.Option(help="Comma-separated whole numbers; every combination "
                                          "of the three design options is one design.")]


def power(
    llms_per_origin: Values = "5,10,15",
    makers_per_origin: Values = "5",
    respondents: Annotated[str, typer.Option(
        help="Respondents per nationality, comma-separated.")] = "40",
    effects: Annotated[str, typer.Option(
        help="Effect sizes of the origin terms in units of the human nationality gap, "
             "comma-separated; include 0 for the type-I error.")] = "0,0.1,0.2,0.3,0.5",
    sets: Annotated[int, typer.Option(help="Simulated data sets per design and effect.")] = 200,
    seed: Annotated[int, typer.Option(help="Seed of the random-number streams.")] = 1,
    out: Annotated[Path, typer.Option(help="The power table (CSV).")] = Path("results/power.csv"),
) -> None:
    """Power of the primary (maker-level) and the LLM-level tests of the RQ1 origin terms and
    the RQ2 congruence terms that involve origin, per design, with Monte-Carlo intervals, the
    type-I error at effect 0 and the minimum detectable effect at power .8 (interpolated over
    the effect grid). Simulated from the variance components fitted
    on the MFQ-2 release; runs on the future plan MORALIGN_FUTURE_PLAN names (sequential,
    multisession, multisession:N), the same numbers on any plan. See results/README.md."""
    if sets < 1:
        raise typer.BadParameter("--sets must be at least 1")
    run_step([rscript(), "-e", R_CALL, str(R_ANALYSIS), llms_per_origin,
              makers_per_origin, respondents, effects, str(sets), str(seed), str(out)],
             "the power simulation")
