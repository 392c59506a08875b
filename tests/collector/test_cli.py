"""`moralign collect run/status/export` end to end, as users run them, against scripted servers."""

from __future__ import annotations

import signal
import sqlite3
import time
from pathlib import Path

import pandas as pd
import pytest
from collect.collector.study import load_study

from tests.collector.cli_runs import (
    run_collect,
    start_collect,
    stored_key_counts,
    stored_rows,
    wait_for_rows,
)
from tests.collector.studyfiles import TEST_KEY, calls_per_model, write_study
from tests.servers.openai_chat import OpenAIChat
from tests.servers.scripted import Fault, ScriptedServer

PLANNED = 2 * calls_per_model()
RELEASE_COLUMNS = ["survey", "LLM", "language", "persona", "item", "iteration", "response",
                   "model_fullname", "date", "model_nation", "API", "temperature",
                   "llm_response", "valid_response", "prop_na", "valid_item", "valid_llm"]


def _server(**options: object) -> ScriptedServer:
    return ScriptedServer(OpenAIChat(), api_key=TEST_KEY, **options)  # type: ignore[arg-type]


def _varied(call: object) -> str:
    return str(1 + call.index % 5)  # type: ignore[attr-defined]


def test_run_status_export_rerun(tmp_path: Path) -> None:
    db, out = tmp_path / "calls.sqlite", tmp_path / "export"
    with _server(answer=_varied, script=[Fault.rate_limit(0.05)]) as server:
        study = str(write_study(tmp_path, server.api_base))
        first = run_collect("run", "--study", study, "--db", str(db))
        assert first.returncode == 0, first.stderr
        assert server.request_count == PLANNED + 1
        assert f"planned {PLANNED}, already stored 0, made now {PLANNED}" in first.stderr
        assert "retries 1" in first.stderr and "quality gates: all passed" in first.stderr

        status = run_collect("status", "--study", study, "--db", str(db))
        assert status.returncode == 0, status.stderr
        assert f"total: {PLANNED} planned, {PLANNED} finished" in status.stdout
        assert "0 pending" in status.stdout

        export = run_collect("export", "--study", study, "--db", str(db), "--out", str(out))
        assert export.returncode == 0, export.stderr

        again = run_collect("run", "--study", study, "--db", str(db))
        assert again.returncode == 0, again.stderr
        assert server.request_count == PLANNED + 1  # nothing asked twice
        assert f"already stored {PLANNED}, made now 0" in again.stderr

    means = pd.read_csv(out / "llm_mfq_responses.csv", keep_default_na=False)
    assert list(means.columns) == RELEASE_COLUMNS
    assert len(means) == 2 * 3 * 2 * 2  # models x items x languages x personas
    per_call = pd.read_csv(out / "llm_mfq_calls.csv")
    assert list(per_call.columns) == [*RELEASE_COLUMNS, "status", "presentation", "variant"]
    assert len(per_call) == PLANNED and set(per_call["presentation"]) == {"published"}
    canonical = pd.read_csv(out / "llm_calls.csv")
    assert len(canonical) == PLANNED and canonical["valid"].all()
    _imports_into_canonical_tables(tmp_path, Path(study), out / "llm_mfq_responses.csv", means)


def _imports_into_canonical_tables(
    tmp_path: Path, study: Path, export: Path, means: pd.DataFrame
) -> None:
    """What `collect export` writes is what `data import --llm-responses` reads."""
    from collect.data.canonical import build_canonical, load
    from collect.data.sources import fetch_all

    from tests.conftest import fetched_external

    external = tmp_path / "external"
    fetch_all(mirror=fetched_external(), external=external)
    folder = tmp_path / "canonical"
    build_canonical(external=external, out=folder, wvs7_file=tmp_path / "absent.csv",
                    llm_files=[export], study_file=study)
    ratings = load("llm_ratings", folder)
    assert len(ratings) == len(means)
    merged = ratings.merge(means.rename(columns={"LLM": "model"}),
                           on=["model", "language", "persona", "item"])
    assert len(merged) == len(means)
    assert (merged["mean"] - merged["llm_response"].astype(float)).abs().max() < 1e-12
    assert set(load("models", folder)["model"]) >= set(means["LLM"])


def test_dry_run_makes_no_call(tmp_path: Path) -> None:
    with _server() as server:
        study = str(write_study(tmp_path, server.api_base))
        result = run_collect("run", "--study", study, "--db", str(tmp_path / "d.sqlite"),
                             "--dry-run")
        assert server.request_count == 0
    assert result.returncode == 0, result.stderr
    assert f"{PLANNED} calls, {PLANNED} not stored yet" in result.stdout
    for condition in ("mini / English / persona none", "mini / Chinese / persona USA"):
        assert condition in result.stdout
    assert "您来自美国。\n请仅回复1到5之间的数字。" in result.stdout
    assert not (tmp_path / "d.sqlite").exists()


def test_dry_run_names_the_models_without_a_price(tmp_path: Path) -> None:
    study_file = write_study(tmp_path, "http://127.0.0.1:9/v1")
    text = study_file.read_text().replace(
        'temperature = 0.7', 'temperature = 0.7\nprice_input_per_mtok = 1000.0\n'
                             'price_output_per_mtok = 4000.0', 1)
    study_file.write_text(text)
    priced = load_study(study_file).models[0].id
    unpriced = [m.id for m in load_study(study_file).models[1:]]
    assert unpriced
    result = run_collect("run", "--study", str(study_file), "--dry-run")
    assert result.returncode == 0, result.stderr
    said = " ".join(result.stdout.split())
    assert f"no price for {', '.join(unpriced)} (" in said
    assert priced not in said.split("no price for")[1]
    assert float(said.split("of the models with a price ")[1].split(" USD")[0]) > 0


def test_selected_models_only(tmp_path: Path) -> None:
    with _server(answer=_varied) as server:
        study = str(write_study(tmp_path, server.api_base))
        result = run_collect("run", "--study", study, "--db", str(tmp_path / "d.sqlite"),
                             "--models", "beta")
        assert server.request_count == calls_per_model()
    assert result.returncode == 0, result.stderr


def test_gate_failure_gives_exit_status_1(tmp_path: Path) -> None:
    with _server(answer=lambda call: "3") as server:  # the same answer to everything
        study = str(write_study(tmp_path, server.api_base))
        result = run_collect("run", "--study", study, "--db", str(tmp_path / "d.sqlite"))
    assert result.returncode == 1
    assert "degenerate output" in result.stderr


def test_unparseable_answers_fail_the_parse_gate(tmp_path: Path) -> None:
    with _server(answer=lambda call: "Strongly agree") as server:
        study = str(write_study(tmp_path, server.api_base))
        result = run_collect("run", "--study", study, "--db", str(tmp_path / "d.sqlite"))
    assert result.returncode == 1
    assert "parse failures 100.0% is above 20.0%" in result.stderr


def test_mostly_failed_run_gives_exit_status_3(tmp_path: Path) -> None:
    with _server(script=lambda index: Fault("quota")) as server:
        study = str(write_study(tmp_path, server.api_base))
        result = run_collect("run", "--study", study, "--db", str(tmp_path / "d.sqlite"))
    assert result.returncode == 3
    assert "provider scripted stopped" in result.stderr and "quota_exhausted" in result.stderr


def test_bad_study_is_reported_without_traceback(tmp_path: Path) -> None:
    path = tmp_path / "bad.toml"
    path.write_text(
        write_study(tmp_path, "http://127.0.0.1:9/v1").read_text().replace("{item_text}",
                                                                           "{itemtext}"),
        encoding="utf-8",
    )
    result = run_collect("run", "--study", str(path), "--db", str(tmp_path / "d.sqlite"))
    assert result.returncode == 2
    assert "bad template placeholder {itemtext}" in result.stderr and str(path) in result.stderr
    assert "Traceback" not in result.stderr


def test_api_key_is_never_stored_or_printed(tmp_path: Path) -> None:
    db, out = tmp_path / "calls.sqlite", tmp_path / "export"

    def echo_key(call: object) -> str:  # a provider that echoes the key back
        return f"3 {TEST_KEY}"

    outputs = []
    with _server(answer=echo_key, script=[Fault("server_error"), Fault("unauthorized")]) as s:
        study = str(write_study(tmp_path, s.api_base))
        outputs.append(run_collect("run", "--study", study, "--db", str(db)))
    with _server(answer=echo_key) as s:
        study = str(write_study(tmp_path, s.api_base))
        for args in (("run",), ("status",), ("export", "--out", str(out))):
            outputs.append(run_collect(*args, "--study", study, "--db", str(db)))
    assert stored_rows(db) == PLANNED
    for result in outputs:
        assert TEST_KEY not in result.stdout + result.stderr
    for path in [*tmp_path.rglob("*")]:
        if path.is_file():
            assert TEST_KEY.encode() not in path.read_bytes(), path
    with sqlite3.connect(db) as conn:
        texts = {row[0] for row in conn.execute("SELECT raw_text FROM calls")}
    assert texts == {"3 [redacted]"}


def test_kill_9_mid_run_loses_nothing_stored_and_duplicates_nothing(tmp_path: Path) -> None:
    db = tmp_path / "calls.sqlite"
    with _server(answer=_varied, latency_s=0.25) as server:
        study = str(write_study(tmp_path, server.api_base, repetitions=4))
        planned = 2 * calls_per_model(4)
        process = start_collect("run", "--study", study, "--db", str(db), log=tmp_path / "log")
        wait_for_rows(db, 10, process)
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=30)
        sent_before = server.request_count
        stored = stored_rows(db)
        assert 10 <= stored < planned
        assert sent_before - stored <= 4  # at most the calls in flight (max_concurrency 4)

        rerun = run_collect("run", "--study", study, "--db", str(db))
        assert rerun.returncode == 0, rerun.stderr
        assert server.request_count - sent_before == planned - stored
    with sqlite3.connect(db) as conn:
        first_run_rows = conn.execute("SELECT count(*) FROM calls WHERE run_id = 1").fetchone()
    assert stored_key_counts(db) == (planned, planned, 1, 1)
    assert first_run_rows[0] == stored  # rows of the killed run were kept, not redone


def test_ctrl_c_stops_cleanly(tmp_path: Path) -> None:
    db = tmp_path / "calls.sqlite"
    with _server(answer=_varied, latency_s=0.25) as server:
        study = str(write_study(tmp_path, server.api_base, repetitions=4))
        planned = 2 * calls_per_model(4)
        log = tmp_path / "log"
        process = start_collect("run", "--study", study, "--db", str(db), log=log)
        wait_for_rows(db, 10, process)
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=60) == 130
        sent = server.request_count
        stored = stored_rows(db)
        assert stored == sent < planned  # calls in flight finished and were stored
        text = log.read_text()
        assert "interrupted" in text and "Traceback" not in text

        rerun = run_collect("run", "--study", study, "--db", str(db))
        assert rerun.returncode == 0, rerun.stderr
        assert server.request_count - sent == planned - stored
    with sqlite3.connect(db) as conn:
        outcomes = [r[0] for r in conn.execute("SELECT outcome FROM runs ORDER BY run_id")]
    assert outcomes == ["interrupted", "completed"]
    assert stored_rows(db) == planned


@pytest.mark.parametrize("command", ["run", "status", "export"])
def test_help_is_the_manual(command: str) -> None:
    result = run_collect(command, "--help")
    assert result.returncode == 0
    assert "--study" in result.stdout


def test_second_ctrl_c_abandons_calls_in_flight(tmp_path: Path) -> None:
    db = tmp_path / "calls.sqlite"
    with _server(answer=_varied, latency_s=lambda index: 30.0 if index < 4 else 0.0) as server:
        study = str(write_study(tmp_path, server.api_base))
        log = tmp_path / "log"
        process = start_collect("run", "--study", study, "--db", str(db), "--grace", "600",
                                log=log)
        while server.request_count < 4:  # four calls in flight, each answered after 30 s
            assert process.poll() is None, log.read_text()
            time.sleep(0.05)
        process.send_signal(signal.SIGINT)
        time.sleep(0.5)
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=25) == 130  # well before the 30 s answers or the grace
        assert stored_rows(db) == 0
        assert "abandoning the calls in flight" in log.read_text()

        rerun = run_collect("run", "--study", study, "--db", str(db))
        assert rerun.returncode == 0, rerun.stderr
        assert server.request_count == 4 + PLANNED
    assert stored_rows(db) == PLANNED


def test_changed_settings_stop_the_run_until_replaced(tmp_path: Path) -> None:
    db = tmp_path / "calls.sqlite"
    with _server(answer=_varied) as server:
        study = write_study(tmp_path, server.api_base)
        assert run_collect("run", "--study", str(study), "--db", str(db)).returncode == 0
        text = study.read_text(encoding="utf-8")
        study.write_text(text.replace('api_model = "alpha-api"', 'api_model = "alpha-v2"'),
                         encoding="utf-8")
        refused = run_collect("run", "--study", str(study), "--db", str(db))
        assert refused.returncode != 0
        assert server.request_count == PLANNED
        assert f"{calls_per_model()} stored answers were asked with other settings" in (
            refused.stderr)
        assert "alpha mini English/none: 6 rows differ in api_model" in refused.stderr
        assert "--replace-changed" in refused.stderr and "Traceback" not in refused.stderr

        replaced = run_collect("run", "--study", str(study), "--db", str(db), "--replace-changed")
        assert replaced.returncode == 0, replaced.stderr
        assert server.request_count == PLANNED + calls_per_model()
    with sqlite3.connect(db) as conn:
        models = dict(conn.execute("SELECT model, group_concat(DISTINCT api_model) FROM calls "
                                   "GROUP BY model").fetchall())
        assert conn.execute("SELECT count(*) FROM calls").fetchone()[0] == PLANNED
    assert models == {"alpha": "alpha-v2", "beta": "beta-api"}


def test_export_and_gates_leave_out_rows_no_longer_planned(tmp_path: Path) -> None:
    db, out = tmp_path / "calls.sqlite", tmp_path / "export"
    with _server(answer=_varied) as server:
        study = write_study(tmp_path, server.api_base, repetitions=2)
        assert run_collect("run", "--study", str(study), "--db", str(db)).returncode == 0
    # The same study with one repetition: iteration 1 is no longer planned.
    write_study(tmp_path, server.api_base, repetitions=1)
    status = run_collect("status", "--study", str(study), "--db", str(db))
    assert f"total: {PLANNED // 2} planned, {PLANNED // 2} finished" in status.stdout
    export = run_collect("export", "--study", str(study), "--db", str(db), "--out", str(out))
    assert export.returncode == 0, export.stderr
    assert f"{PLANNED // 2} stored calls are no longer planned" in export.stderr
    per_call = pd.read_csv(out / "llm_mfq_calls.csv")
    assert len(per_call) == PLANNED // 2 and set(per_call["iteration"]) == {0}
    assert len(pd.read_csv(out / "llm_calls.csv")) == PLANNED // 2
