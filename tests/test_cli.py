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


def test_every_collect_command_refuses_a_damaged_database_cleanly(tmp_path) -> None:
    from tests.collector.studyfiles import write_study

    study = write_study(tmp_path, "http://127.0.0.1:9/v1")
    damaged = tmp_path / "damaged.sqlite"
    damaged.write_bytes(b"this is not SQLite at all " * 400)
    before = damaged.read_bytes()
    for command in (["run"], ["status"], ["export", "--out", str(tmp_path / "out")]):
        done = subprocess.run(
            [sys.executable, "-m", "collect", "collect", *command, "--study", str(study),
             "--db", str(damaged)], capture_output=True, text=True,
        )
        assert done.returncode == 2, (command, done.stderr)
        assert "not a SQLite database" in done.stderr and "Traceback" not in done.stderr
    assert damaged.read_bytes() == before
