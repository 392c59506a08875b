from __future__ import annotations

import json
import subprocess

from collect.paths import ROOT


def test_renv_lock_matches_what_the_r_code_loads() -> None:
    done = subprocess.run(
        ["Rscript", "tools/write_renv_lock.R", "--check"], cwd=ROOT, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_renv_lock_has_renv_shape() -> None:
    lock = json.loads((ROOT / "renv.lock").read_text())
    assert lock["R"]["Version"].startswith("4.")
    assert lock["Packages"], "no packages recorded"
    for name, entry in lock["Packages"].items():
        assert entry["Package"] == name and entry["Source"] == "Repository"
        assert len(entry["Hash"]) == 32
    assert not (ROOT / "renv" / "activate.R").exists() and not (ROOT / ".Rprofile").exists()
