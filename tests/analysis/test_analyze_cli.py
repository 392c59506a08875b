"""`moralign analyze` end to end on the release's MFQ-2 tables (OLS only, to stay quick)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from collect.paths import ROOT


def moralign(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "collect", *args], cwd=ROOT,
                          capture_output=True, text=True, timeout=900, check=False)


@pytest.mark.slow
def test_analyze_writes_the_paper_tables(derived_root: Path, tmp_path: Path) -> None:
    results = tmp_path / "results"
    completed = moralign("analyze", "--no-similarity", "--no-mixed", "--derived",
                         str(derived_root), "--results", str(results))
    assert completed.returncode == 0, completed.stderr
    assert "skipping wvs7" in completed.stderr
    table = pd.read_csv(results / "mfq2" / "rq1_ols.csv")
    assert table["estimate"].round(3).tolist() == [0.207, -0.179, -0.008, -0.002]
    for name in ("rq2_ols", "rq3_ols", "rq3_persona_ols", "welch_per_llm", "rq1_followup_ols",
                 "metric_sensitivity", "country_placement", "noise_ceilings", "ceiling_gap_summary",
                 "baseline_gaps", "centrality_regression", "invariant_items_headline"):
        assert (results / "mfq2" / f"{name}.csv").is_file(), name
    assert (results / "figures" / "fig1_origin_by_nationality.png").stat().st_size > 10_000


def test_analyze_builds_similarity_first(canonical_dir: Path, tmp_path: Path) -> None:
    derived, results = tmp_path / "derived", tmp_path / "results"
    completed = moralign("analyze", "--no-mixed", "--no-measures", "--instrument", "mfq2",
                         "--canonical", str(canonical_dir), "--derived", str(derived),
                         "--results", str(results), "--respondent-ids", "respondent")
    assert completed.returncode == 0, completed.stderr
    assert (derived / "respondent" / "mfq2" / "rq1.rds").is_file()
    tables = {p.stem for p in (results / "respondent" / "mfq2").glob("*.csv")}
    # what the study's own scripts compute, and nothing of the measures or the mixed models
    assert {"rq1_ols", "welch_per_llm", "rq2_ols", "rq3_ols", "rq3_persona_ols"} <= tables
    assert not tables & {"metric_sensitivity", "country_placement", "rq1_lmm", "llm_level"}
    figures = {p.name for p in (results / "respondent" / "figures").glob("*.png")}
    assert figures == {"fig1_origin_by_nationality.png", "mfq2_fig2_zscores.png",
                       "mfq2_fig3_per_llm.png", "mfq2_fig4_language_persona.png",
                       "mfq2_fig5_removal_change.png"}


def test_analyze_without_derived_tables_fails_with_a_message(tmp_path: Path) -> None:
    completed = moralign("analyze", "--no-similarity", "--derived", str(tmp_path / "none"),
                         "--results", str(tmp_path / "results"))
    assert completed.returncode != 0
    assert "moralign similarity" in completed.stderr


def test_analyze_rejects_an_unknown_instrument(tmp_path: Path) -> None:
    completed = moralign("analyze", "--no-similarity", "--instrument", "gss")
    assert completed.returncode != 0
    assert "gss" in completed.stderr
