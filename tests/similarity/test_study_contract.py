"""The manifest's contract carries the vocabulary of the study it was built for."""

from __future__ import annotations

from pathlib import Path

from collect.core.study import load_vocabulary
from collect.similarity.contract import study_contract

from tests.collector.studyfiles import study_toml


def test_a_new_studys_contract_names_its_nations_models_and_makers(tmp_path: Path) -> None:
    text = study_toml({"p": "http://127.0.0.1:9/v1"}, name="mine", repetitions=5,
                      models={"a": "p", "b": "p", "c": "p"}, makers={"a": "Acme", "c": "Zeta"})
    text = text.replace('origin = "USA"', 'origin = "Japan"').replace(
        'repetitions = 5', 'repetitions = 5\ntitle = "My study"\ncompare = ["Japan", "China"]')
    text += '\n[nations.Japan]\nadjective = "Japanese"\nlanguage = "Japanese"\n'
    path = tmp_path / "mine.toml"
    path.write_text(text, encoding="utf-8")
    contract = study_contract({"China": "Human mean, China", "USA": "Human mean, USA"},
                              load_vocabulary(path), ["China", "USA"])
    assert contract["study"] == {"name": "mine", "title": "My study", "description": "",
                                 "file": str(path.resolve()), "repetitions": 5}
    assert contract["nations"] == ["Japan", "China"]
    assert contract["origins"] == ["China", "Japan"]
    # The human-mean rows carry their group's nationality as origin, here one no LLM has.
    assert contract["allowed_values"]["llm_origin"] == ["China", "Japan", "USA"]
    assert contract["personas"] == ["none", "USA"]
    assert contract["nation_adjectives"] == {"China": "Chinese", "USA": "American",
                                             "Japan": "Japanese"}
    assert contract["language_of_nation"] == {"Japan": "Japanese", "China": "Chinese"}
    assert contract["models"] == [
        {"id": "a", "display_name": "a", "origin": "China", "maker": "Acme"},
        {"id": "b", "display_name": "b", "origin": "Japan", "maker": None},
        {"id": "c", "display_name": "c", "origin": "China", "maker": "Zeta"},
    ]
    assert contract["human_groups"] == ["China", "USA"]


def test_the_shipped_contract_names_the_shipped_study() -> None:
    contract = study_contract()
    assert contract["study"]["file"] == "studies/made_in_china.toml"
    assert contract["study"]["repetitions"] == 20
    assert len(contract["models"]) == 20
    assert all(model["maker"] for model in contract["models"])
    assert contract["nation_adjectives"] == {"China": "Chinese", "USA": "American"}
