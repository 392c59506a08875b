"""The shipped demo study (`make demo`) pointed at a test's local model server."""

from __future__ import annotations

import re
from pathlib import Path

from collect.paths import ROOT

from tests.collector.cli_runs import run_collect
from tests.servers.llama import LOCAL_KEY_ENV

DEMO_STUDY = ROOT / "studies" / "demo_local.toml"


def demo_study_text(server_url: str, external: Path | None = None) -> str:
    """The demo study with the test's server and key (and `{external}` resolved when given)."""
    text = DEMO_STUDY.read_text(encoding="utf-8")
    text = text.replace('local_server = "smollm2"', f'base_url = "{server_url}"')
    text = re.sub(r'api_key_env = "[A-Z_]+"', f'api_key_env = "{LOCAL_KEY_ENV}"', text)
    return text if external is None else text.replace("{external}", str(external))


def export_demo(server_url: str, folder: Path, external: Path | None = None) -> Path:
    """Run the demo study and export it, as `make demo` does; returns the export folder."""
    study = folder / "demo.toml"
    study.write_text(demo_study_text(server_url, external), encoding="utf-8")
    db, out = folder / "demo.sqlite", folder / "demo"
    for args in (("run", "--db", str(db)), ("export", "--db", str(db), "--out", str(out))):
        done = run_collect(args[0], "--study", str(study), *args[1:], timeout=1800)
        assert done.returncode == 0, f"collect {args[0]}: {done.stderr}"
    return out
