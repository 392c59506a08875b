"""tools/install_quarto.sh: a supported Quarto on the PATH is used as it is, an older one is not,
Quarto's sources are refused when their sha256 is not the pinned one, and run again on an install
in place it only says so. Each case but the last runs the script in a project of its own."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest
from collect.data.sources import load_sources
from collect.paths import ROOT

INSTALLER = ROOT / "tools" / "install_quarto.sh"
SYSTEM_PATH = "/usr/local/bin:/usr/bin:/bin"


def scratch_project(folder: Path) -> Path:
    """A project holding the installer and a .venv whose python and moralign are the real ones."""
    (folder / "tools").mkdir(parents=True)
    shutil.copy2(INSTALLER, folder / "tools" / INSTALLER.name)
    (folder / ".venv" / "bin").mkdir(parents=True)
    for program in ("python", "moralign"):
        (folder / ".venv" / "bin" / program).symlink_to(ROOT / ".venv" / "bin" / program)
    return folder


def fake_quarto(folder: Path, version: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    program = folder / "quarto"
    program.write_text(f"#!/bin/sh\necho {version}\n")
    program.chmod(0o755)
    return folder


def install(project: Path, path: str, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {name: value for name, value in os.environ.items() if not name.startswith("MORALIGN_")}
    return subprocess.run([str(project / "tools" / INSTALLER.name)], cwd=project,
                          env={**clean, "PATH": path, **env}, capture_output=True, text=True,
                          timeout=120, check=False)


def test_a_supported_quarto_on_the_path_is_used_as_it_is(tmp_path: Path) -> None:
    project = scratch_project(tmp_path / "project")
    own_launcher = project / ".venv" / "bin" / "quarto"
    own_launcher.write_text("#!/bin/sh\necho 1.7.34\n")  # one the project built before
    users = fake_quarto(tmp_path / "user-bin", "1.6.40")
    done = install(project, f"{users}:{SYSTEM_PATH}")
    assert done.returncode == 0, done.stderr
    assert f"using your Quarto 1.6.40 at {users / 'quarto'}" in done.stdout
    assert not own_launcher.exists(), "the user's Quarto wins over the project's"
    assert not (project / ".venv" / "quarto").exists()


def test_quartos_sources_with_another_sha256_are_refused(tmp_path: Path) -> None:
    project = scratch_project(tmp_path / "project")
    older = fake_quarto(tmp_path / "user-bin", "1.3.450")
    [sources] = load_sources(datasets=["quarto_cli"])
    mirror = tmp_path / "mirror"
    (mirror / sources.mirror_dir).mkdir(parents=True)
    (mirror / sources.mirror_dir / sources.local).write_bytes(b"not Quarto's sources")
    done = install(project, f"{older}:{SYSTEM_PATH}", MORALIGN_DATA_MIRROR=str(mirror),
                   MORALIGN_EXTERNAL_DIR=str(tmp_path / "external"))
    assert done.returncode != 0
    assert "ignoring" in done.stderr and "1.3.450" in done.stderr
    assert f"sha256 mismatch, expected {sources.sha256}" in done.stderr
    assert not (project / ".venv" / "quarto").exists()
    assert not (project / ".venv" / "bin" / "quarto").exists()


def test_without_a_mirror_the_sources_fetch_says_where_to_put_them(tmp_path: Path) -> None:
    project = scratch_project(tmp_path / "project")
    done = install(project, SYSTEM_PATH, MORALIGN_EXTERNAL_DIR=str(tmp_path / "external"))
    assert done.returncode != 0
    assert "has no download address" in done.stderr
    assert "MORALIGN_DATA_MIRROR to a folder holding quarto_cli/quarto-cli-1.7.34" in done.stderr


def test_run_again_the_installer_only_checks(tmp_path: Path) -> None:
    """The project's own install, as `make report` and `make test` leave it."""
    if not (ROOT / ".venv" / "bin" / "quarto").exists() and shutil.which("quarto") is None:
        pytest.fail("Quarto is not installed: run `tools/setup.sh --quarto` (`make test` does)")
    done = subprocess.run([str(INSTALLER)], cwd=ROOT, capture_output=True, text=True,
                          timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    assert "is installed in .venv/quarto" in done.stdout or "using your Quarto" in done.stdout
    assert "building" not in done.stdout
