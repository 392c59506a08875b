"""Study files: the shipped ones load and expand; bad ones fail naming the file and the field."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from collect.collector.design import plan_calls
from collect.collector.study import load_study
from collect.errors import InputError, MissingDataError

from tests.collector.conftest import STUDIES
from tests.collector.studyfiles import calls_per_model, study_toml


def test_made_in_china_matches_the_release(external_items: Path, release_mirror: Path) -> None:
    study = load_study(STUDIES / "made_in_china.toml")
    info = pd.read_csv(release_mirror / "Data" / "llm_info.csv", encoding="utf-8-sig")
    llms = info.loc[info["group"] == "LLM"]
    assert [m.id for m in study.models] == list(llms["LLM"])
    assert {m.id: m.origin for m in study.models} == dict(zip(llms["LLM"], llms["llm_nation"],
                                                              strict=True))
    release = pd.read_csv(release_mirror / "Data" / "MFQ2" / "llm_mfq_responses.csv")
    recorded = release.drop_duplicates("LLM").set_index("LLM")
    for model in study.models:
        assert model.temperature_for("mfq2") == recorded.loc[model.id, "temperature"], model.id
        api = recorded.loc[model.id, "API"]
        assert model.provider == api, model.id
        assert model.max_tokens == 10
    assert study.repetitions == 20
    assert study.instruments["mfq2"].items == tuple(range(1, 37))
    assert study.instruments["wvs7"].items == tuple(range(177, 196))
    planned = plan_calls(study)
    assert len(planned) == 20 * (36 + 19) * 2 * 3 * 20
    assert len({call.key for call in planned}) == len(planned)


def test_thinking_is_switched_off_where_models_have_it(external_items: Path) -> None:
    study = load_study(STUDIES / "made_in_china.toml")
    thinking_off = {m.id for m in study.models if m.disable_thinking}
    assert {"qwen3-235b-a22b", "claude-3-7-sonnet-20250219", "claude-opus-4-20250514",
            "gemini-2.5-flash"} <= thinking_off


@pytest.mark.parametrize("name", ["demo_local.toml", "example_new_persona.toml"])
def test_other_shipped_studies_load(external_items: Path, name: str) -> None:
    study = load_study(STUDIES / name)
    assert plan_calls(study)


def test_example_adds_a_persona_and_an_instrument(external_items: Path) -> None:
    study = load_study(STUDIES / "example_new_persona.toml")
    assert "Japan" in study.personas
    assert study.instruments["helping"].scale_max == 7
    keys = {(c.key.instrument, c.key.persona) for c in plan_calls(study)}
    assert ("helping", "Japan") in keys and ("mfq2", "Japan") in keys


def test_missing_item_tables_say_how_to_get_them(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MORALIGN_EXTERNAL_DIR", str(tmp_path / "nothing-here"))
    with pytest.raises(MissingDataError, match="moralign data fetch"):
        load_study(STUDIES / "made_in_china.toml")


def test_inline_study_expands_to_every_key(tmp_path: Path) -> None:
    path = tmp_path / "s.toml"
    path.write_text(study_toml({"p": "http://127.0.0.1:9/v1"}), encoding="utf-8")
    study = load_study(path)
    planned = plan_calls(study)
    assert len(planned) == 2 * calls_per_model()
    assert len({c.key for c in planned}) == len(planned)
    iterations = {c.key.iteration for c in planned}
    assert iterations == {0, 1}


def _bad(tmp_path: Path, text: str) -> InputError:
    path = tmp_path / "bad.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(InputError) as caught:
        load_study(path)
    assert str(path) in str(caught.value)
    return caught.value


GOOD = study_toml({"p": "http://127.0.0.1:9/v1"})


@pytest.mark.parametrize(
    ("change", "field", "words"),
    [
        (lambda s: s.replace('provider = "p"\napi_model = "beta-api"',
                             'provider = "nowhere"\napi_model = "beta-api"'),
         "models[1] (beta).provider", "unknown provider 'nowhere'"),
        (lambda s: s.replace('api_key_env = "MORALIGN_TEST_API_KEY"\n', ""),
         "providers.p.api_key_env", "required field is missing"),
        (lambda s: s.replace("Statement: {item_text}", "Statement: {item}"),
         "templates.mini.English.user", "bad template placeholder {item}"),
        (lambda s: s.replace('id = "beta"', 'id = "alpha"'),
         "models[1] (alpha).id", "duplicate model id 'alpha'"),
        (lambda s: s.replace('languages = ["English", "Chinese"]',
                             'languages = ["English", "Japanese"]'),
         "instruments.mini.items", "unknown language 'Japanese'"),
        (lambda s: s.replace('personas = ["none", "USA"]', 'personas = ["none", "Japan"]')
         + '\n[nations.Japan]\nadjective = "Japanese"\nlanguage = "Japanese"\n',
         "templates.mini.English.persona_lines", "unknown persona 'Japan'"),
        (lambda s: s.replace('personas = ["none", "USA"]', 'personas = ["none", "Japan"]'),
         "study.personas", "nation 'Japan' has no [nations.Japan] table"),
        (lambda s: s.replace('kind = "openai"', 'kind = "telepathy"'),
         "providers.p.kind", 'expected "openai", "dashscope", "anthropic" or "gemini", got'),
        (lambda s: s.replace("repetitions = 2", "repetitions = 0"),
         "study.repetitions", "must be at least 1"),
        (lambda s: s.replace("repetitions = 2", 'repetitions = "twenty"'),
         "study.repetitions", "expected an integer"),
        (lambda s: s.replace("scale_max = 5", "scale_max = 1"),
         "instruments.mini.scale_max", "must exceed scale_min"),
        (lambda s: s.replace('origin = "USA"', 'origin = "Mars"'),
         "models[1] (beta).origin", "nation 'Mars' has no [nations.Mars] table"),
        (lambda s: s.replace('personas = ["none", "USA"]', 'personas = ["none", "USA"]\n'
                             'compare = ["USA", "USA"]'),
         "study.compare", "expected two different nations"),
        (lambda s: s.replace('origin = "USA"', 'origin = "USA"\nmaker = " "'),
         "models[1] (beta).maker", "must not be empty"),
        (lambda s: s + '\n[nations.Japan]\nadjective = "Japanese"\n',
         "nations.Japan.language", "required field is missing"),
        (lambda s: s.replace("temperature = 0.7", "temprature = 0.7", 1),
         "models[0] (alpha).temprature", "unknown field"),
        (lambda s: s.replace('kind = "openai"', 'kind = "openai"\nmax_retry_after_s = 0'),
         "providers.p.max_retry_after_s", "must be a positive number, got 0"),
        (lambda s: s.replace('kind = "openai"', 'kind = "openai"\nrequests_per_minute = 0'),
         "providers.p.requests_per_minute", "must be a positive number, got 0"),
        (lambda s: s.replace("timeout_s = 10.0", "timeout_s = 10.0\nbatch_time_budget_hours = 0"),
         "providers.p.batch_time_budget_hours", "must be a positive number, got 0"),
        (lambda s: s.replace("timeout_s = 10.0", "timeout_s = -5"),
         "providers.p.timeout_s", "must be a positive number, got -5"),
    ],
)
def test_validation_errors_name_file_and_field(
    tmp_path: Path, change, field: str, words: str
) -> None:
    assert change(GOOD) != GOOD
    error = _bad(tmp_path, change(GOOD))
    assert error.column == field
    assert words in str(error)


def test_not_toml(tmp_path: Path) -> None:
    assert "not valid TOML" in str(_bad(tmp_path, "[study\nname = 1"))


def test_unknown_model_selection(tmp_path: Path) -> None:
    path = tmp_path / "s.toml"
    path.write_text(GOOD, encoding="utf-8")
    with pytest.raises(InputError, match="unknown model"):
        load_study(path).select_models(["gamma"])


def test_the_study_file_is_the_home_of_its_vocabulary(external_items: Path) -> None:
    study = load_study(STUDIES / "made_in_china.toml")
    assert study.title == "Made in China, Aligned with the USA"
    assert study.compare == ("China", "USA")
    assert study.origins == ("China", "USA")
    assert {n: (v.adjective, v.language) for n, v in study.nations.items()} == {
        "China": ("Chinese", "Chinese"), "USA": ("American", "English")}
    makers = {m.id: m.maker for m in study.models}
    assert None not in makers.values()
    assert makers["qwen3-235b-a22b"] == makers["qwen2.5-72b-instruct"] == "Alibaba Cloud"
    assert len(set(makers.values())) == 11


def test_any_nation_can_be_an_origin_or_a_persona(tmp_path: Path) -> None:
    text = GOOD.replace('origin = "USA"', 'origin = "Japan"\nmaker = "Sakana"') + (
        '\n[nations.Japan]\nadjective = "Japanese"\nlanguage = "Japanese"\n')
    path = tmp_path / "japan.toml"
    path.write_text(text, encoding="utf-8")
    study = load_study(path)
    assert study.origins == ("China", "Japan")
    assert [m.maker for m in study.models] == [None, "Sakana"]
    assert study.nations["Japan"].adjective == "Japanese"


def test_a_provider_states_how_long_its_batches_may_take(tmp_path: Path) -> None:
    path = tmp_path / "s.toml"
    path.write_text(GOOD, encoding="utf-8")
    assert load_study(path).providers["p"].batch_time_budget_hours == 24.0
    path.write_text(GOOD.replace("timeout_s = 10.0", "timeout_s = 10.0\n"
                                 "batch_time_budget_hours = 2.5"), encoding="utf-8")
    assert load_study(path).providers["p"].batch_time_budget_hours == 2.5


def test_the_shipped_study_prices_the_models_with_a_published_list_price(
    external_items: Path,
) -> None:
    study = load_study(STUDIES / "made_in_china.toml")
    priced = {m.id: (m.price_input_per_mtok, m.price_output_per_mtok) for m in study.models
              if m.price_input_per_mtok is not None}
    assert priced["gpt-4o"] == (2.5, 10.0) and priced["claude-opus-4-20250514"] == (15.0, 75.0)
    assert len(priced) == 10
    assert all(m.price_output_per_mtok is not None for m in study.models
               if m.id in priced)
    text = (STUDIES / "made_in_china.toml").read_text(encoding="utf-8")
    assert text.count("# Price: ") == len(priced)  # each with its source and date
