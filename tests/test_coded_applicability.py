"""Coded applicability (issue 18): DICOM body parts, populations and acquisition ranges as the rules,
the vocabulary and the card view read them."""

from __future__ import annotations

import copy

import pytest

from conftest import EXAMPLES
from modelcard_spec.check.loading import read_card
from modelcard_spec.check.pipeline import check_data
from modelcard_spec.output.card_view import markdown
from modelcard_spec.spec.resources import schema_index
from modelcard_spec.spec.vocabulary import body_part_term

CXR = EXAMPLES / "cxr-classification-backbone"


def cxr():
    return copy.deepcopy(read_card(CXR / "card.yaml").data)


def issues(data, rule):
    return [i for i in check_data(data, CXR)[0] if i.rule == rule]


def test_the_body_part_vocabulary_is_dicoms_with_snomed_meanings_and_chinese_labels():
    values = schema_index()["enums"]["BodyPart"]["values"]
    assert len(values) >= 300 and {"CHEST", "ABDOMEN", "HEAD", "BREAST", "LUNG", "LIVER", "WHOLEBODY"} <= set(values)
    assert values["CHEST"]["meaning"] == "http://snomed.info/id/43799004"
    assert values["ABDOMEN"]["title_zh"] == "腹部" and values["CHEST"]["title_zh"] == "胸部"
    assert all(v["title_zh"] and v["title_zh"] != v["title"] for v in values.values())
    assert all(v["meaning"].startswith("http://snomed.info/id/") for v in values.values() if v.get("meaning"))
    assert schema_index()["prefixes"]["sct"] == "http://snomed.info/id/"


@pytest.mark.parametrize("text,term", [("chest", "CHEST"), ("Chest", "CHEST"), ("THORAX", "THORAX"),
                                       ("abdomen and pelvis", "ABDOMENPELVIS"), (" Entire  body ", "WHOLEBODY"),
                                       ("lymph node", None), ("thoracic", None), ("chest wall", None), ("", None),
                                       (3, None)])
def test_text_is_a_term_only_when_it_is_the_term_or_its_code_meaning(text, term):
    assert body_part_term(text) == term


def test_a_free_text_body_part_is_rejected_by_the_schema():
    data = cxr()
    data["applicability"]["intended_tasks"][0]["body_parts"] = ["banana"]
    found = [i for i in check_data(data, CXR)[0] if i.path == "/applicability/intended_tasks/0/body_parts/0"]
    assert found and found[0].severity == "error"


def test_a_note_that_is_a_dicom_term_gets_a_hint_in_both_languages_where_it_is():
    data = cxr()
    data["input_output"]["inputs"][0]["body_part_notes"] = ["posteroanterior view", "chest"]
    data["source_task_data"]["datasets"][0]["body_part_notes"] = ["Abdomen and Pelvis"]
    found = sorted(issues(data, "body-parts.coded"), key=lambda i: i.path)
    assert [(i.path, i.requirement, i.severity) for i in found] == [
        ("/input_output/inputs/0/body_part_notes/1", "MCS-IO-01", "info"),
        ("/source_task_data/datasets/0/body_part_notes/0", "MCS-SD-03", "info")]
    assert "CHEST" in found[0].message and "胸部（CHEST）" in found[0].message_zh
    assert "ABDOMENPELVIS" in found[1].message and "腹盆部（ABDOMENPELVIS）" in found[1].message_zh


def test_ranges_minimum_above_maximum_and_units_of_the_wrong_kind_are_errors():
    data = cxr()
    data["applicability"]["intended_tasks"][0]["target_population"] = {"age_range": {"minimum": 18, "unit": "mo"}}
    data["applicability"]["intended_tasks"][0]["acquisition"] = {
        "slice_thickness": {"minimum": 5, "maximum": 1, "unit": "mm"},
        "pixel_spacing": {"maximum": 0.8, "unit": "T"},
        "field_strength": {"minimum": 1.5, "maximum": 3, "unit": "T"}}
    data["source_task_data"]["datasets"][0]["acquisition_profile"] = {"pixel_spacing": {"minimum": 0.1}}
    order = issues(data, "range.order")
    assert [(i.path, i.requirement) for i in order] == [
        ("/applicability/intended_tasks/0/acquisition/slice_thickness/minimum", "MCS-AP-01")]
    assert "5" in order[0].message and "下限 5 大于上限 1" in order[0].message_zh
    unit = sorted(issues(data, "range.unit"), key=lambda i: i.path)
    assert [(i.path, i.requirement) for i in unit] == [
        ("/applicability/intended_tasks/0/acquisition/pixel_spacing/unit", "MCS-AP-01"),
        ("/source_task_data/datasets/0/acquisition_profile/pixel_spacing", "MCS-SD-04")]
    assert "not a length" in unit[0].message and "不是长度单位" in unit[0].message_zh
    assert "no unit" in unit[1].message and "没有单位" in unit[1].message_zh


def test_open_ranges_and_units_of_their_kind_pass():
    data = cxr()
    data["applicability"]["intended_tasks"][0]["target_population"] = {"age_range": {"minimum": 28, "unit": "d"},
                                                                       "sexes": ["female"]}
    data["applicability"]["intended_tasks"][0]["acquisition"] = {"slice_thickness": {"maximum": 2.5, "unit": "mm"},
                                                                 "pixel_spacing": {"minimum": 100, "unit": "um"}}
    assert not issues(data, "range.order") and not issues(data, "range.unit")


def test_the_card_view_shows_ranges_and_populations_in_one_line_and_body_parts_with_their_term():
    data = cxr()
    data["applicability"]["intended_tasks"][0]["target_population"] = {
        "age_range": {"minimum": 18.0, "maximum": 92, "unit": "a"}, "sexes": ["female", "male"], "description": "Adults"}
    text = markdown(data)
    assert "18–92 a; Female / 女性, Male / 男性; Adults" in text
    assert "Chest / 胸部 (CHEST)" in text
