"""Running a study in-process against scripted servers, and reading what was stored."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pandas as pd
from collect.collector.design import plan_calls
from collect.collector.providers.registry import make_provider
from collect.collector.runner import Runner, RunReport
from collect.collector.store import Store
from collect.collector.study import load_study


def run_study(
    study_file: Path, db: Path, replace_changed: bool = False
) -> tuple[RunReport, pd.DataFrame]:
    study = load_study(study_file)
    planned = plan_calls(study)
    with Store(db) as store:
        runner = Runner(study, store, make_provider)
        report = asyncio.run(runner.run(planned, replace_changed=replace_changed))
        return report, store.frame(study.name)
