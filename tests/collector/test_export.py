"""Export: the release's columns and semantics, and the canonical llm_calls table."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pandas as pd
import pytest
from collect.cli import app
from collect.collector.design import PlannedCall, plan_calls
from collect.collector.export import export_study, r_value
from collect.collector.store import CallRecord, Store
from collect.collector.study import Study, load_study
from collect.core.outcome import Outcome, answer_outcome
from collect.data.canonical import build_canonical, load
from collect.data.schema import LLM_CALLS, read_table
from collect.errors import InputError, MissingDataError
from typer.testing import CliRunner

from tests.collector.studyfiles import calls_per_model, write_study


def _record(call: PlannedCall, text: str | None, rating: int | None, status: str = "answer",
            day: str = "2026-03-0") -> CallRecord:
    stamp = f"{day}{1 + call.key.iteration}T10:00:00.000+00:00"
    return CallRecord(
        status=Outcome.FAILED if status == "failed" else answer_outcome(rating, refused=False),
        attempts=1, started_at=stamp, finished_at=stamp,
        raw_text=text, rating=rating, valid=rating is not None,
        parse_reason="ok" if rating is not None else "no_number",
        error_class="server_error" if status == "failed" else None,
        returned_model=f"{call.key.model}-2026" if status != "failed" else None,
    )


def _answer(call: PlannedCall) -> tuple[str | None, int | None, str]:
    """A known pattern: alpha answers (item + iteration) % 5 + 1, except that item 2 in
    English/none never gets a valid answer, and beta's iteration 1 of item 3 fails."""
    key = call.key
    if key.model == "alpha" and key.item == 2 and (key.language, key.persona) == ("English",
                                                                                   "none"):
        return "no idea", None, "answer"
    if key.model == "beta" and key.item == 3 and key.iteration == 1:
        return None, None, "failed"
    value = (key.item + key.iteration) % 5 + 1
    return f"{value}\n", value, "answer"


@pytest.fixture
def exported(tmp_path: Path) -> tuple[Study, pd.DataFrame, Path]:
    study = load_study(write_study(tmp_path, "http://127.0.0.1:9/v1", makers={"alpha": "Acme"}))
    with Store(tmp_path / "db.sqlite") as store:
        run_id = store.start_run(study.name, 0, 0)
        for call in plan_calls(study):
            text, rating, status = _answer(call)
            store.record(call, _record(call, text, rating, status), run_id)  # type: ignore[arg-type]
        calls = store.frame(study.name)
    out = tmp_path / "out"
    export_study(study, calls, out)
    return study, calls, out


def test_the_export_says_which_study_it_holds(
    exported: tuple[Study, pd.DataFrame, Path],
) -> None:
    study, _, out = exported
    summary = json.loads((out / "study.json").read_text(encoding="utf-8"))
    assert (summary["name"], summary["title"], summary["description"]) == (
        study.name, study.title, study.description)
    assert [m["id"] for m in summary["models"]] == [m.id for m in study.models]
    assert {m["id"]: m["maker"] for m in summary["models"]}["alpha"] == "Acme"


def test_item_means_follow_the_release_semantics(
    exported: tuple[Study, pd.DataFrame, Path],
) -> None:
    _, _, out = exported
    means = pd.read_csv(out / "llm_mfq_responses.csv", keep_default_na=False, dtype=str)
    assert len(means) == 2 * 3 * 2 * 2
    means["item"] = means["item"].astype(int)
    alpha = means.loc[means["LLM"] == "alpha"].set_index(["language", "persona", "item"])
    # mean over valid answers of the 2 iterations
    assert alpha.loc[("Chinese", "USA", 1), "llm_response"] == "2.5"  # (2 + 3) / 2
    assert alpha.loc[("English", "none", 2), "llm_response"] == "NA"
    assert alpha.loc[("English", "none", 2), "valid_response"] == "FALSE"
    assert alpha.loc[("English", "none", 1), "valid_response"] == "TRUE"
    # prop_na: invalid share over the condition's 3 items x 2 iterations
    assert alpha.loc[("English", "none", 1), "prop_na"] == repr(2 / 6)
    assert alpha.loc[("English", "USA", 1), "prop_na"] == "0"
    assert alpha.loc[("English", "none", 3), "valid_item"] == "2"
    assert alpha.loc[("Chinese", "none", 3), "valid_item"] == "3"
    assert set(alpha["valid_llm"]) == {"11"}  # 12 cells, one without a valid answer
    # the example answer is that of the lowest iteration, raw
    assert alpha.loc[("Chinese", "none", 1), "response"] == "2\n"
    assert set(alpha["iteration"]) == {"0"}
    assert set(alpha["model_fullname"]) == {"alpha-2026"}
    assert set(alpha["date"]) == {"2026-03-01"}
    assert set(alpha["API"]) == {"scripted"} and set(alpha["temperature"]) == {"0.7"}
    assert set(alpha["model_nation"]) == {"China"} and set(alpha["survey"]) == {"mfq"}

    beta = means.loc[means["LLM"] == "beta"].set_index(["language", "persona", "item"])
    assert beta.loc[("English", "none", 3), "llm_response"] == "4"  # only iteration 0 counts
    # the failed call is no answer: left out of the mean and of prop_na's denominator
    assert beta.loc[("English", "none", 3), "prop_na"] == "0"
    assert set(beta["valid_llm"]) == {"12"}
    assert "status" not in means.columns  # the release's columns, exactly


def test_per_call_table(exported: tuple[Study, pd.DataFrame, Path]) -> None:
    _, _, out = exported
    per_call = pd.read_csv(out / "llm_mfq_calls.csv", keep_default_na=False, dtype=str)
    assert len(per_call) == 2 * calls_per_model()
    failed = per_call.loc[per_call["response"] == "NA"]
    assert len(failed) == 4 and set(failed["LLM"]) == {"beta"}  # one per condition
    assert set(failed["model_fullname"]) == {"beta-api"}  # no answer: the model asked for
    assert set(failed["valid_response"]) == {"FALSE"}
    # a failed call is told apart from an unparseable answer
    assert set(failed["status"]) == {"failed"}
    unparseable = per_call.loc[per_call["response"] == "no idea"]
    assert len(unparseable) == 2 and set(unparseable["status"]) == {"invalid"}
    assert set(unparseable["valid_response"]) == {"FALSE"}
    assert set(per_call["status"]) == {"valid", "invalid", "failed"}
    # prop_na of the per-call rows also runs over answered calls only
    assert set(per_call.loc[per_call["LLM"] == "beta", "prop_na"]) == {"0"}


def test_condition_of_only_failed_calls_has_no_item_means(tmp_path: Path) -> None:
    study = load_study(write_study(tmp_path, "http://127.0.0.1:9/v1"))
    with Store(tmp_path / "db.sqlite") as store:
        run_id = store.start_run(study.name, 0, 0)
        for call in plan_calls(study):
            failed = call.key.model == "beta" and call.key.persona == "USA"
            rating = None if failed else 3
            status = "failed" if failed else "answer"
            store.record(call, _record(call, "3" if rating else None, rating, status), run_id)  # type: ignore[arg-type]
        calls = store.frame(study.name)
    export_study(study, calls, tmp_path / "out")
    means = pd.read_csv(tmp_path / "out" / "llm_mfq_responses.csv")
    beta = means.loc[means["LLM"] == "beta"]
    assert set(beta["persona"]) == {"none"} and len(beta) == 3 * 2
    assert beta["prop_na"].eq(0).all() and means["llm_response"].eq(3).all()
    table = read_table(LLM_CALLS, tmp_path / "out")
    assert int(table["status"].eq("failed").sum()) == calls_per_model() // 2


def test_same_columns_and_value_style_as_the_release(
    exported: tuple[Study, pd.DataFrame, Path], release_mirror: Path
) -> None:
    _, _, out = exported
    release = release_mirror / "Data" / "MFQ2" / "llm_mfq_responses.csv"
    ours = (out / "llm_mfq_responses.csv").read_text(encoding="utf-8").splitlines()
    theirs = release.read_text(encoding="utf-8-sig").splitlines()
    assert ours[0] == theirs[0]
    release_frame = pd.read_csv(release, keep_default_na=False, dtype=str)
    assert set(release_frame["valid_response"]) == {"TRUE"}
    assert "1" in set(release_frame["temperature"])  # integers without ".0", as we write them
    assert r_value(1.0) == "1" and r_value(True) == "TRUE" and r_value(None) == "NA"
    assert r_value(float("nan")) == "NA" and r_value(2 / 7) == repr(2 / 7)


def test_canonical_llm_calls(exported: tuple[Study, pd.DataFrame, Path]) -> None:
    _, calls, out = exported
    table = read_table(LLM_CALLS, out)
    assert len(table) == len(calls) == 2 * calls_per_model()
    assert set(table["instrument"]) == {"mini"} and set(table["study"]) == {"mini"}
    assert int(table["valid"].sum()) == int(calls["valid"].sum())
    row = table.loc[(table["model"] == "alpha") & (table["item"] == 1)
                    & (table["iteration"] == 1) & (table["language"] == "English")
                    & (table["persona"] == "none")]
    assert row["raw_text"].tolist() == ["3\n"] and row["rating"].tolist() == [3.0]
    assert row["status"].tolist() == ["valid"]
    assert int(table["status"].eq("failed").sum()) == int(calls["status"].eq("failed").sum()) == 4


def test_refusals_count_in_prop_na_and_failed_calls_do_not(tmp_path: Path) -> None:
    """As in the release, a refused call is a non-answer of its condition; a call that failed
    (no answer from the provider) is no call at all."""
    study = load_study(write_study(tmp_path, "http://127.0.0.1:9/v1"))
    with Store(tmp_path / "db.sqlite") as store:
        run_id = store.start_run(study.name, 0, 0)
        for call in plan_calls(study):
            key = call.key
            record = _record(call, "3", 3)
            if (key.model, key.language, key.persona) == ("alpha", "English", "none"):
                if (key.item, key.iteration) == (1, 0):  # DeepSeek's moderation block
                    record = replace(
                        _record(call, None, None), status=Outcome.REFUSED,
                        refusal=True, parse_reason="blocked", vendor_code="Content Exists Risk",
                    )
                elif (key.item, key.iteration) == (2, 0):  # no answer after every attempt
                    record = _record(call, None, None, status="failed")
            store.record(call, record, run_id)
        calls = store.frame(study.name)
    export_study(study, calls, tmp_path / "out")
    per_call = pd.read_csv(tmp_path / "out" / "llm_mfq_calls.csv")
    condition = per_call.loc[(per_call["LLM"] == "alpha") & (per_call["language"] == "English")
                             & (per_call["persona"] == "none")]
    assert sorted(condition["status"]) == ["failed", "refused", "valid", "valid", "valid", "valid"]
    # 1 refusal among the 5 calls that got an answer; the failed call counts nowhere.
    assert condition["prop_na"].eq(1 / 5).all()
    means = pd.read_csv(tmp_path / "out" / "llm_mfq_responses.csv")
    alpha = means.loc[(means["LLM"] == "alpha") & (means["language"] == "English")
                      & (means["persona"] == "none")].set_index("item")
    assert alpha["prop_na"].eq(1 / 5).all() and alpha["valid_item"].eq(3).all()
    assert alpha.loc[1, "llm_response"] == 3  # the other iteration's answer
    other = means.loc[(means["LLM"] == "alpha") & (means["persona"] == "USA")]
    assert other["prop_na"].eq(0).all()
    table = read_table(LLM_CALLS, tmp_path / "out")
    assert int(table["status"].eq("refused").sum()) == 1
    assert int(table["status"].eq("failed").sum()) == 1


def test_data_import_reads_the_exported_models_without_a_study_file(
    exported: tuple[Study, pd.DataFrame, Path], fetched_release: Path, tmp_path: Path
) -> None:
    study, _, out = exported
    canonical = tmp_path / "canonical"
    build_canonical(external=fetched_release, out=canonical, wvs7_file=tmp_path / "absent.csv",
                    llm_files=[out / "llm_mfq_responses.csv"])
    models = load("models", canonical)
    llms = models.loc[models["kind"] == "llm"].set_index("model")
    assert llms["origin"].to_dict() == {m.id: m.origin for m in study.models}
    # The makers the study file named travel with the export; an unknown maker stays empty.
    assert llms.loc["alpha", "maker"] == "Acme" and pd.isna(llms.loc["beta", "maker"])
    assert set(models.loc[models["kind"] == "human_mean", "model"]) == {
        "Human mean, China", "Human mean, USA"}
    assert set(load("llm_calls", canonical)["study"]) == {study.name}
    assert set(load("llm_ratings", canonical)["model"]) == set(llms.index)


def test_data_import_refuses_a_folder_without_the_models_table(
    exported: tuple[Study, pd.DataFrame, Path], fetched_release: Path, tmp_path: Path
) -> None:
    _, _, out = exported
    bare = tmp_path / "bare"
    bare.mkdir()
    (bare / "llm_mfq_responses.csv").write_bytes((out / "llm_mfq_responses.csv").read_bytes())
    with pytest.raises(MissingDataError, match=r"bare/models\.csv does not exist"):
        build_canonical(external=fetched_release, out=tmp_path / "canonical",
                        wvs7_file=tmp_path / "absent.csv",
                        llm_files=[out / "llm_mfq_responses.csv", bare / "llm_mfq_responses.csv"])


@pytest.mark.parametrize(("wrong", "right"), [
    ("llm_mfq_calls.csv", "llm_mfq_responses.csv"),
    ("llm_calls.csv", "llm_mfq_responses.csv"),
    ("models.csv", "llm_mfq_responses.csv"),
])
def test_importing_the_wrong_export_file_names_the_right_one(
    exported: tuple[Study, pd.DataFrame, Path], fetched_release: Path, tmp_path: Path,
    wrong: str, right: str,
) -> None:
    _, _, out = exported
    with pytest.raises(InputError, match=right) as caught:
        build_canonical(external=fetched_release, out=tmp_path / "canonical",
                        wvs7_file=tmp_path / "absent.csv", llm_files=[out / wrong])
    assert wrong in str(caught.value)


def test_data_import_picks_the_files_of_an_export_folder(
    exported: tuple[Study, pd.DataFrame, Path], fetched_release: Path, tmp_path: Path
) -> None:
    study, _, out = exported
    (out / "llm_helping_responses.csv").write_text("survey\n", encoding="utf-8")
    canonical = tmp_path / "canonical"
    result = CliRunner().invoke(app, [
        "data", "import", "--export", str(out), "--external", str(fetched_release),
        "--out", str(canonical), "--wvs7", str(tmp_path / "absent.csv")])
    assert result.exit_code == 0, result.output
    assert f"importing {out / 'llm_mfq_responses.csv'}" in result.output
    assert "not imported" in result.output and "llm_helping_responses.csv" in result.output
    ratings = load("llm_ratings", canonical)
    assert set(ratings["model"]) == {m.id for m in study.models}
    assert set(ratings["n_calls"]) == {study.repetitions}
