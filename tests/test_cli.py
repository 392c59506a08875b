from __future__ import annotations

import subprocess
import sys

from collect.cli import app
from typer.testing import CliRunner


def test_top_level_help_lists_the_pipeline() -> None:
    result = CliRunner().invoke(app, ["--help"])
    assert result.exit_code == 0
    for command in ("data", "similarity", "analyze", "collect"):
        assert command in result.output


def test_data_fetch_help_explains_mirror_and_checksums() -> None:
    result = CliRunner().invoke(app, ["data", "fetch", "--help"])
    assert result.exit_code == 0
    assert "--mirror" in result.output and "sha256" in result.output


def test_python_dash_m_entry_point() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "collect", "version"], capture_output=True, text=True, check=True
    )
    assert done.stdout.strip() == "0.1.0"


def test_user_errors_exit_2_without_traceback(tmp_path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "collect", "data", "import", "--external", str(tmp_path)],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 2
    assert "run `moralign data fetch` first" in done.stderr and "Traceback" not in done.stderr
