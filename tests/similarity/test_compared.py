"""What the similarity analyses do not compare (LLMs of another origin than the published
design's two nations) is set aside, said and listed in the manifest, not a crash."""

from __future__ import annotations

import json
from pathlib import Path

import pyreadr
from collect.cli import app
from collect.data import schema
from typer.testing import CliRunner


def test_an_llm_of_another_origin_is_set_aside_and_said(synthetic_canonical: Path,
                                                        tmp_path: Path) -> None:
    models = schema.read_table(schema.MODELS, synthetic_canonical)
    models.loc[models["model"] == "llm-us-b", "origin"] = "Japan"
    schema.write_table(models, schema.MODELS, synthetic_canonical)
    out = tmp_path / "derived"
    result = CliRunner().invoke(app, ["similarity", "--instrument", "mfq2", "--canonical",
                                      str(synthetic_canonical), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "origins ['Japan'] are not compared with human respondents" in result.output
    manifest = json.loads((out / "paper" / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["options"]["not_compared"]["origins"] == ["Japan"]
    table = pyreadr.read_r(out / "paper" / "mfq2" / "rq1.rds")[None]
    assert "llm-us-b" not in set(table["llm"].astype(str))
    assert {"llm-cn-a", "llm-cn-b", "llm-us-a"} <= set(table["llm"].astype(str))
