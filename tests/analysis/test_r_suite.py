"""Runs the testthat suite of R/analysis, one pytest test per testthat file.

Each file runs in its own R process with testthat's ListReporter; every failed, errored or
skipped expectation is reported by test name. A skip counts as a failure: the published-numbers
file gets its derived table from the `derived_root` fixture, so nothing should be skipped.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest
from collect.paths import ROOT

TESTTHAT = ROOT / "tests" / "testthat"
TEST_FILES = sorted(p.name for p in TESTTHAT.glob("test-*.R"))

RUNNER = r"""
args <- commandArgs(trailingOnly = TRUE)
reporter <- testthat::ListReporter$new()
suppressMessages(testthat::test_file(args[1], reporter = reporter, stop_on_failure = FALSE))
outcome <- function(expectation) {
  kind <- if (inherits(expectation, "expectation_success")) "success"
    else if (inherits(expectation, "expectation_skip")) "skip"
    else if (inherits(expectation, "expectation_error")) "error"
    else if (inherits(expectation, "expectation_warning")) "warning"
    else "failure"
  list(kind = kind, message = conditionMessage(expectation))
}
tests <- lapply(reporter$get_results(), function(test) {
  list(test = test$test, expectations = lapply(test$results, outcome))
})
writeLines(jsonlite::toJSON(tests, auto_unbox = TRUE), args[2])
"""


def run_testthat(file: str, report: Path, env: dict[str, str]) -> list[dict]:
    runner = report.with_suffix(".R")
    runner.write_text(RUNNER)
    completed = subprocess.run(
        ["Rscript", str(runner), str(TESTTHAT / file), str(report)],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=900, check=False,
    )
    if completed.returncode != 0 or not report.is_file():
        pytest.fail(f"R could not run {file} (exit {completed.returncode}):\n"
                    f"{completed.stdout[-3000:]}\n{completed.stderr[-3000:]}")
    return json.loads(report.read_text())


@pytest.mark.slow
@pytest.mark.parametrize("file", TEST_FILES)
def test_testthat_file(file: str, derived_root: Path, tmp_path: Path) -> None:
    env = {**os.environ, "MORALIGN_DERIVED_DIR": str(derived_root)}
    tests = run_testthat(file, tmp_path / "report.json", env)
    assert tests, f"{file} ran no tests"
    problems = [
        f"{test['test']}: {e['kind']}: {e['message']}"
        for test in tests
        for e in test["expectations"]
        if e["kind"] not in ("success", "warning")
    ]
    successes = sum(e["kind"] == "success" for t in tests for e in t["expectations"])
    assert not problems, f"{file}: {len(problems)} problem(s)\n" + "\n".join(problems)
    assert successes > 0, f"{file}: no expectation was checked"


def test_every_testthat_file_is_collected() -> None:
    assert len(TEST_FILES) >= 5
    assert "test-published.R" in TEST_FILES
