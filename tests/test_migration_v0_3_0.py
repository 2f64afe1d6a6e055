"""The migration step 0.3.0 -> 0.4.0 (coded applicability), run directly on the four examples as
they were at 0.3.0 and on cards made for the purpose."""

from __future__ import annotations

import copy
import json
import shutil

import pytest

from conftest import ROOT, leaves, value_at
from modelcard_spec import validate
from modelcard_spec.check.loading import read_card
from modelcard_spec.spec.migrations import v0_3_0
from modelcard_spec.spec.resources import artifact_json, schema_index
from modelcard_spec.spec.vocabulary import body_part_term

OLD = ROOT / "tests" / "data" / "migrations" / "0.3.0"
EXAMPLES = sorted(p.parent.name for p in OLD.glob("*/card.yaml"))
VERSIONS = {"/schema_version"}  # the conformity claim's catalogue_version is the provider's: kept


def catalogue_version() -> str:
    return artifact_json("catalogue")["catalogue_version"]


def _nothing_lost(old: dict, new: dict, changes) -> None:
    """Every value of the old card is in the new one: where it was, or where a Change says it went
    (as the same value or as the DICOM term it is; a value that is not text is never made text)."""
    by_path = {c.path: c for c in changes}
    for ptr, value in leaves(old):
        if ptr in VERSIONS:
            assert by_path[ptr].kind == "version"
            continue
        place, rest = ptr, ""
        while place and place not in by_path:  # a change of a list or mapping moves what is inside it
            place, _, tail = place.rpartition("/")
            rest = f"/{tail}{rest}"
        change = by_path.get(place) if place else None
        if change is None:
            assert value_at(new, ptr) == value, ptr
            continue
        if rest:
            assert value_at(new, change.new_path + rest) == value, ptr
            continue
        assert change.old == value and value_at(new, change.new_path) == change.new, ptr
        # the value itself or the DICOM term it is
        assert change.new in (value, body_part_term(value)), ptr
        assert isinstance(change.new, str) == isinstance(value, str), ptr
        assert change.reason_en and change.reason_zh and change.reason_en != change.reason_zh


@pytest.mark.parametrize("name", EXAMPLES)
def test_each_example_at_0_3_0_migrates_loses_nothing_and_validates(name, tmp_path):
    old = read_card(OLD / name / "card.yaml").data  # read as the tool reads a card (YAML 1.2)
    before = copy.deepcopy(old)
    new, changes = v0_3_0.apply(old)
    assert old == before  # pure
    assert new["schema_version"] == v0_3_0.TARGET and changes[0].kind == "version"
    _nothing_lost(old, new, changes)
    assert new["conformity"]["catalogue_version"] == old["conformity"]["catalogue_version"]  # the provider's claim
    # Validated by this tool's schema, which has 0.4.0's shape (the card is given the tool's own version, and
    # the catalogue version, as a provider who has reviewed the claim sets it).
    folder = tmp_path / name
    shutil.copytree(ROOT / "examples" / name, folder)
    new = copy.deepcopy(new)
    new["schema_version"] = schema_index()["schema_version"]
    new["conformity"]["catalogue_version"] = catalogue_version()
    (folder / "card.yaml").write_text(json.dumps(new, ensure_ascii=False, indent=1), encoding="utf-8")  # JSON is YAML
    report = validate(folder / "card.yaml")
    assert report.valid, [i.to_dict() for r in report.results for i in r.issues if i.severity == "error"]


def test_the_examples_populations_and_the_pathology_lymph_node_move_as_said():
    old = read_card(OLD / "pathology-foundation-api" / "card.yaml").data
    new, changes = v0_3_0.apply(old)
    spec = new["input_output"]["inputs"][0]
    assert spec["body_parts"] == ["COLON", "STOMACH", "BREAST", "LUNG"] and spec["body_part_notes"] == ["LYMPH NODE"]
    population = new["source_task_data"]["datasets"][0]["distribution"]["population"]
    assert population == {"description": old["source_task_data"]["datasets"][0]["distribution"]["population"]}
    assert {c.kind for c in changes} == {"version", "moved"}


def _card(task: dict, inputs: list | None = None) -> dict:
    card = {"schema_version": "0.3.0", "applicability": {"intended_tasks": [task]}}
    if inputs is not None:
        card["input_output"] = {"inputs": inputs}
    return card


def test_free_text_body_parts_map_only_when_they_are_a_term_or_its_meaning():
    old = _card({"task_type": "segmentation",
                 "body_parts": ["chest", "Lymph node", "Chest", "Abdomen and Pelvis", "  entire   BODY ", "LIVER",
                                "thoracic", 42]})
    new, changes = v0_3_0.apply(old)
    task = new["applicability"]["intended_tasks"][0]
    assert task["body_parts"] == ["CHEST", "ABDOMENPELVIS", "WHOLEBODY", "LIVER", 42]  # not text: left as written
    assert task["body_part_notes"] == ["Lymph node", "thoracic"]
    kinds = {c.path.rsplit("/", 1)[-1]: (c.kind, c.new_path.rsplit("/", 2)[-2:]) for c in changes if "body_parts" in c.path}
    assert kinds == {"0": ("converted", ["body_parts", "0"]), "1": ("moved", ["body_part_notes", "0"]),
                     "2": ("converted", ["body_parts", "0"]), "3": ("converted", ["body_parts", "1"]),
                     "4": ("converted", ["body_parts", "2"]), "5": ("moved", ["body_parts", "3"]),
                     "6": ("moved", ["body_part_notes", "1"]), "7": ("moved", ["body_parts", "4"])}
    _nothing_lost(old, new, changes)


def test_a_list_of_terms_only_is_left_as_it_is_and_an_all_free_text_list_leaves_no_empty_codes():
    new, changes = v0_3_0.apply(_card({"body_parts": ["CHEST", "ABDOMEN"]}, [{"node": "x", "body_parts": ["lymph node"]}]))
    assert new["applicability"]["intended_tasks"][0]["body_parts"] == ["CHEST", "ABDOMEN"]
    spec = new["input_output"]["inputs"][0]
    assert "body_parts" not in spec and spec["body_part_notes"] == ["lymph node"]
    assert [c.kind for c in changes] == ["version", "moved"]


def test_population_strings_move_to_the_description_and_are_not_parsed():
    old = _card({"target_population": "Adults aged 18-80, female"})
    old["source_task_data"] = {"datasets": [{"name": "d", "distribution": {"population": "Children (China)"}}]}
    new, changes = v0_3_0.apply(old)
    assert new["applicability"]["intended_tasks"][0]["target_population"] == {"description": "Adults aged 18-80, female"}
    assert new["source_task_data"]["datasets"][0]["distribution"]["population"] == {"description": "Children (China)"}
    moved = [c for c in changes if c.kind == "moved"]
    assert [c.new_path for c in moved] == ["/applicability/intended_tasks/0/target_population/description",
                                           "/source_task_data/datasets/0/distribution/population/description"]
    assert "age range" in moved[0].reason_en and "年龄范围" in moved[0].reason_zh


def test_null_and_other_values_that_are_not_text_are_never_made_text():
    """SF6: a null target population became {description: "null"} and a null body part the note "null"."""
    old = _card({"target_population": None, "body_parts": [None, "lymph node", True, ["CHEST"], "CHEST"]},
                [{"node": "x", "body_parts": [None]}])
    old["source_task_data"] = {"datasets": [{"name": "d", "distribution": {"population": 3}}]}
    new, changes = v0_3_0.apply(old)
    task = new["applicability"]["intended_tasks"][0]
    assert task["target_population"] is None
    assert task["body_parts"] == [None, True, ["CHEST"], "CHEST"] and task["body_part_notes"] == ["lymph node"]
    assert new["input_output"]["inputs"][0] == {"node": "x", "body_parts": [None]}
    assert new["source_task_data"]["datasets"][0]["distribution"]["population"] == 3
    assert "null" not in json.dumps([c.new for c in changes])
    shifted = [c for c in changes if c.kind == "moved" and c.new_path.endswith("/body_parts/1")]
    assert shifted[0].old is True and shifted[0].new is True and "not text" in shifted[0].reason_en
    _nothing_lost(old, new, changes)


@pytest.mark.parametrize("notes", ["an older note", None, {"a": 1}])
def test_body_part_notes_that_are_not_a_list_are_never_overwritten(notes):
    """A 0.3.0 card that already has body_part_notes (not a field of 0.3.0) as something other than a
    list kept only the free-text body parts: the notes were overwritten and lost."""
    old = _card({"body_parts": ["CHEST", "chest", "lymph node"], "body_part_notes": notes})
    new, changes = v0_3_0.apply(old)
    task = new["applicability"]["intended_tasks"][0]
    assert task["body_part_notes"] == notes
    assert task["body_parts"] == ["CHEST", "lymph node"]  # the text stays, where validate reports it
    assert [c.kind for c in changes] == ["version", "converted", "moved"]
    assert "not a list" in changes[2].reason_en and changes[2].new_path.endswith("/body_parts/1")
    _nothing_lost(old, new, changes)
