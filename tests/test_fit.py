"""The intended-use check (``modelcard-spec fit``): statuses, ranges, verdicts, text matches, hostile
profiles, renderings and determinism, on small cards and on the shipped examples."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from conftest import EXAMPLES
from modelcard_spec import cli
from modelcard_spec.check import fit as F
from modelcard_spec.check.fit import Range, compare_ranges
from modelcard_spec.check.loading import parse_card_bytes
from modelcard_spec.output import fit_report

CT_CARD = EXAMPLES / "ct-foundation-encoder" / "card.yaml"
CT_PROFILE = EXAMPLES / "intended-use" / "ct-abdominal-organ-segmentation.yaml"
MR_PROFILE = EXAMPLES / "intended-use" / "mr-prostate-segmentation.yaml"


def _card(data: dict):
    return parse_card_bytes(yaml.safe_dump(data, allow_unicode=True).encode("utf-8"), Path("card.yaml"))


def _profile(data: dict):
    base = {"identifier": "p-1", "title": "A device", "target_task": {"task_type": "segmentation"},
            "modalities": ["ct"]}
    base.update(data)
    return F.check_profile(_card(base), "profile.yaml")


CARD = {
    "identifier": "m", "name": "Model", "version": "1.0.0",
    "applicability": {
        "intended_tasks": [{
            "task_type": "segmentation", "modalities": ["ct"], "body_parts": ["ABDOMEN", "CHEST"],
            "target_population": {"age_range": {"minimum": 18, "maximum": 90, "unit": "a"},
                                  "sexes": ["female", "male"], "description": "Adults"},
            "acquisition": {"devices": [{"manufacturer": "Siemens Healthineers", "model": "SOMATOM Force",
                                         "modality": "ct"}],
                            "slice_thickness": {"minimum": 0.5, "maximum": 5.0, "unit": "mm"},
                            "intensity": {"minimum": -1024, "unit": "[hnsf'U]"},
                            "image_size_minimum": [256, 256], "image_size_maximum": [1024, 1024]}}],
        "transfer_performance": [{"metric": "dice_coefficient", "value": 0.8, "dataset": "d",
                                  "subgroup": "female, age 60-79"}],
        "unsupported_uses": ["Non-CT modalities (MR, PET) without re-training."],
        "cautioned_uses": ["腹部增强扫描以外的检查应慎用。"],
        "warnings": ["Validate on the target population."]},
    "input_output": {"inputs": [{"node": "image", "modality": "ct", "value_range": {"minimum": 0, "maximum": 1,
                                                                                        "unit": "1"},
                                 "spacing": [1.5, 1.5, 2.0], "spacing_unit": "mm"}]},
    "model_framework": {"runtime_environment": {"hardware": [{"kind": "gpu", "model": "RTX A4000", "memory_gb": 16}],
                                                "system_memory_gb": 32}},
    "lifecycle": {"deployment": {"mode": "workstation"}},
}


def _dims(rep: dict) -> dict:
    return {d["dimension"]: d for d in rep["dimensions"]}


def _fit(profile: dict, card: dict = CARD) -> dict:
    return F.fit(_card(card), _profile(profile), "card.yaml")


# --------------------------------------------------------------------------- ranges

@pytest.mark.parametrize("asked, stated, expected", [
    (Range(20, 80, "a"), Range(18, 90, "a"), "covered"),            # inside
    (Range(18, 90, "a"), Range(18, 90, "a"), "covered"),            # the bounds themselves
    (Range(10, 80, "a"), Range(18, 90, "a"), "partly_covered"),     # overlap
    (Range(0, 17, "a"), Range(18, 90, "a"), "not_covered"),         # disjoint
    (Range(20, 80, "a"), Range(18, None, "a"), "covered"),          # the card's range open above
    (Range(20, None, "a"), Range(18, 90, "a"), "partly_covered"),   # the profile's open above, the card's closed
    (Range(20, None, "a"), Range(18, None, "a"), "covered"),        # both open above
    (Range(None, 10, "a"), Range(18, None, "a"), "not_covered"),    # open bounds, still disjoint
    (Range(240, 960, "mo"), Range(18, 90, "a"), "covered"),         # months within years: converted exactly
    (Range(1, 2, "mm"), Range(1, 2, "[hnsf'U]"), "not_comparable"),  # units that cannot be compared
    (Range(1, 2, "mm"), Range(1, 2, None), "not_comparable"),       # a unit against none
    (Range(0, 1, None), Range(0, 1, None), "covered"),
])
def test_range_comparison(asked, stated, expected):
    assert compare_ranges(asked, stated) == expected


def test_an_open_range_is_written_as_open():
    assert Range(18, None, "a").text() == "[18, +∞) a"
    assert Range(None, 2.5, "mm").text() == "(-∞, 2.5] mm"


# --------------------------------------------------------------------------- statuses and verdicts

def test_every_dimension_covered_fits():
    rep = _fit({"body_parts": ["ABDOMEN"],
                "population": {"age_range": {"minimum": 20, "maximum": 80, "unit": "a"}, "sexes": ["female"]},
                "acquisition": {"devices": [{"manufacturer": "siemens healthineers", "model": "SOMATOM Force"}],
                                "slice_thickness": {"minimum": 1, "maximum": 2.5, "unit": "mm"},
                                "image_size_minimum": [512, 512], "image_size_maximum": [512, 512]},
                "inputs": [{"node": "image", "value_range": {"minimum": 0, "maximum": 1, "unit": "1"},
                            "spacing": {"minimum": 1.5, "maximum": 2.0, "unit": "mm"}}],
                "deployment": {"mode": "workstation", "hardware": [{"kind": "gpu", "model": "A5000", "memory_gb": 24}],
                               "system_memory_gb": 64}})
    dims = _dims(rep)
    assert {d: v["status"] for d, v in dims.items()} == {d: "covered" for d in dims}
    assert set(dims) == {"task_type", "modality", "body_part", "population_age", "population_sex",
                         "acquisition_device", "slice_thickness", "image_size", "input_value_range", "input_spacing",
                         "deployment_mode", "deployment_hardware", "system_memory"}
    assert rep["verdict"] == "fits"
    assert dims["modality"]["evidence"][0] == {"kind": "intended_task", "pointer": "/applicability/intended_tasks/0/modalities",
                                               "value": ["ct"]}
    assert dims["population_age"]["evidence"][0]["pointer"] == "/applicability/intended_tasks/0/target_population/age_range"
    # the subgroup result naming the sex and the age is cited as evidence too
    assert any(e["kind"] == "subgroup_result" and e["pointer"] == "/applicability/transfer_performance/0/subgroup"
               for e in dims["population_sex"]["evidence"])


def test_a_modality_the_card_does_not_cover_does_not_fit_and_names_the_field():
    rep = _fit({"modalities": ["mr"]})
    assert _dims(rep)["modality"]["status"] == "not_covered"
    assert rep["verdict"] == "does_not_fit"
    assert rep["reasons"][0]["params"]["field"] == "/modalities"
    assert rep["intended_task"] == "/applicability/intended_tasks/0"
    assert "/modalities" in rep["reasons"][0]["message"] and "/modalities" in rep["reasons"][0]["message_zh"]
    assert "Modality" in rep["reasons"][0]["message"] and "模态" in rep["reasons"][0]["message_zh"]


def test_a_task_type_the_card_does_not_cover_does_not_fit():
    rep = _fit({"target_task": {"task_type": "classification"}})
    assert _dims(rep)["task_type"]["status"] == "not_covered"
    assert rep["verdict"] == "does_not_fit"
    assert rep["reasons"][0]["params"]["field"] == "/target_task/task_type"


def test_partly_covered_values_and_ranges_fit_partly():
    rep = _fit({"modalities": ["ct", "pet"], "population": {"age_range": {"minimum": 10, "maximum": 80, "unit": "a"}}})
    dims = _dims(rep)
    assert dims["modality"]["status"] == "partly_covered"
    assert dims["population_age"]["status"] == "partly_covered"
    assert rep["verdict"] == "fits_partly"
    assert {r["params"]["field"] for r in rep["reasons"]} == {"/modalities", "/population/age_range"}


def test_not_stated_is_not_not_covered_and_never_covered():
    card = json.loads(json.dumps(CARD))
    del card["applicability"]["intended_tasks"][0]["body_parts"]
    rep = _fit({"body_parts": ["ABDOMEN"]}, card)
    assert _dims(rep)["body_part"]["status"] == "not_stated"
    assert rep["verdict"] == "fits_partly"
    assert rep["reasons"][0]["message"] == ("the card does not state Body part (profile field /body_parts); "
                                            "not taken as covered")
    # a body part the card does not list is not stated by it (no hierarchy: CHEST or ABDOMEN may contain
    # it), not not covered
    rep = _fit({"body_parts": ["HEAD"]})
    assert _dims(rep)["body_part"]["status"] == "not_stated"
    assert "does not list HEAD" in _dims(rep)["body_part"]["findings"][0]["message"]
    assert rep["verdict"] == "fits_partly"
    rep = _fit({"body_parts": ["ABDOMEN", "LIVER"]})
    assert _dims(rep)["body_part"]["status"] == "partly_covered"


def test_a_card_without_intended_tasks_or_inputs_is_undetermined():
    rep = _fit({}, {"identifier": "m", "applicability": {}})
    assert _dims(rep)["task_type"]["status"] == "not_stated"
    assert _dims(rep)["modality"]["status"] == "not_stated"
    assert rep["verdict"] == "undetermined"


def test_a_unit_mismatch_is_not_comparable_and_said_so():
    rep = _fit({"acquisition": {"slice_thickness": {"minimum": 1, "maximum": 2, "unit": "[hnsf'U]"}}})
    dim = _dims(rep)["slice_thickness"]
    assert dim["status"] == "not_comparable"
    assert dim["findings"][0]["message"].endswith("are in units that cannot be compared")
    assert rep["verdict"] == "fits_partly"
    assert any(r["message"].startswith("not comparable, the units differ: Slice thickness") for r in rep["reasons"])


def test_an_open_card_range_covers_and_a_disjoint_range_does_not():
    assert _dims(_fit({"acquisition": {"intensity": {"minimum": -1000, "maximum": 3000, "unit": "[hnsf'U]"}}})) \
        ["intensity"]["status"] == "covered"
    rep = _fit({"acquisition": {"slice_thickness": {"minimum": 6, "unit": "mm"}}})
    assert _dims(rep)["slice_thickness"]["status"] == "not_covered"
    assert rep["verdict"] == "does_not_fit"


def test_an_age_range_from_the_datasets_when_the_intended_tasks_give_none():
    card = json.loads(json.dumps(CARD))
    del card["applicability"]["intended_tasks"][0]["target_population"]
    card["source_task_data"] = {"datasets": [{"id": "d", "distribution": {"population": {
        "age_range": {"minimum": 40, "maximum": 75, "unit": "a"}}}}]}
    dim = _dims(_fit({"population": {"age_range": {"minimum": 50, "maximum": 70, "unit": "a"}}}, card))["population_age"]
    assert dim["status"] == "covered"
    assert dim["evidence"][0] == {"kind": "source_data", "pointer": "/source_task_data/datasets/0/distribution/population/age_range",
                                  "value": {"minimum": 40.0, "maximum": 75.0, "unit": "a"}}
    assert dim["findings"][-2]["message"].startswith("Population: age: the card's intended task does not state it; what "
                                                     "its datasets state")


def test_an_age_range_of_some_datasets_is_partial_and_an_open_bound_is_not_stated():
    """SF9: one of five datasets states {minimum: 50}; children are not stated, not not covered."""
    card = json.loads(json.dumps(CARD))
    card["applicability"]["intended_tasks"][0]["target_population"] = {"description": "Adults"}
    card["source_task_data"] = {"datasets": [{"id": f"d{i}"} for i in range(4)] + [
        {"id": "d4", "distribution": {"population": {"age_range": {"minimum": 50, "unit": "a"}}}}]}
    dim = _dims(_fit({"population": {"age_range": {"minimum": 0, "maximum": 17, "unit": "a"}}}, card))["population_age"]
    assert dim["status"] == "not_stated"
    messages = [f["message"] for f in dim["findings"]]
    assert any("“Adults” (/applicability/intended_tasks/0/target_population/description)" in m for m in messages)
    assert any("1 of its 5 dataset(s)" in m for m in messages)
    assert any("[50, ?) a" in m for m in messages)
    # within the open side: not stated either (the data's upper end is unknown, not unlimited)
    dim = _dims(_fit({"population": {"age_range": {"minimum": 60, "maximum": 70, "unit": "a"}}}, card))["population_age"]
    assert dim["status"] == "not_stated"
    # every dataset states a closed range: a covered range is covered, a disjoint one not covered
    card["source_task_data"]["datasets"] = [{"id": "d", "distribution": {"population": {
        "age_range": {"minimum": 50, "maximum": 80, "unit": "a"}}}}]
    assert _dims(_fit({"population": {"age_range": {"minimum": 0, "maximum": 17, "unit": "a"}}}, card)) \
        ["population_age"]["status"] == "not_covered"
    card["source_task_data"]["datasets"].append({"id": "e"})
    assert _dims(_fit({"population": {"age_range": {"minimum": 60, "maximum": 70, "unit": "a"}}}, card)) \
        ["population_age"]["status"] == "partly_covered"


def test_each_intended_task_is_compared_as_a_whole():
    """B2: tasks {segmentation, ct, ABDOMEN} and {classification, mr, BRAIN} do not make
    {segmentation, mr, BRAIN} fit."""
    card = {"identifier": "m", "applicability": {"intended_tasks": [
        {"task_type": "segmentation", "modalities": ["ct"], "body_parts": ["ABDOMEN"]},
        {"task_type": "classification", "modalities": ["mr"], "body_parts": ["BRAIN"]}]},
        "input_output": {"inputs": [{"node": "image", "modality": "mr", "body_parts": ["BRAIN"]}]}}
    rep = _fit({"target_task": {"task_type": "segmentation"}, "modalities": ["mr"], "body_parts": ["BRAIN"]}, card)
    assert rep["verdict"] == "does_not_fit"
    assert rep["intended_task"] in ("/applicability/intended_tasks/0", "/applicability/intended_tasks/1")
    assert rep["notes"][0]["params"]["pointer"] == rep["intended_task"]
    assert all(e["pointer"].startswith((rep["intended_task"], "/input_output")) for d in rep["dimensions"]
               for e in d["evidence"])
    rep = _fit({"target_task": {"task_type": "classification"}, "modalities": ["mr"], "body_parts": ["BRAIN"]}, card)
    assert rep["verdict"] == "fits" and rep["intended_task"] == "/applicability/intended_tasks/1"
    # an input specification is evidence, not coverage of the task
    card["applicability"]["intended_tasks"] = [{"task_type": "segmentation", "body_parts": ["BRAIN"]}]
    rep = _fit({"target_task": {"task_type": "segmentation"}, "modalities": ["mr"], "body_parts": ["BRAIN"]}, card)
    assert _dims(rep)["modality"]["status"] == "not_stated" and rep["verdict"] == "undetermined"
    assert _dims(rep)["modality"]["evidence"][0]["kind"] == "input_specification"


def test_free_text_of_the_profile_is_listed_and_keeps_the_verdict_at_fits_partly():
    """B4 (b)."""
    assert _fit({})["verdict"] == "fits" and _fit({})["not_compared"] == []
    rep = _fit({"population": {"description": "Adults referred for CT"}, "description": "TBD"})
    assert rep["not_compared"] == [{"field": "/population/description", "text": "Adults referred for CT"}]
    assert rep["verdict"] == "fits_partly"
    assert "does not compare free text" in rep["reasons"][-1]["message"]
    assert "不比较自由文本" in rep["reasons"][-1]["message_zh"]


def test_an_unsupported_use_that_names_the_profile_is_a_reason_of_the_verdict():
    """SF10: named by code, the verdict is at most fits partly; by a term, it is a reason to read."""
    card = json.loads(json.dumps(CARD))
    card["applicability"]["unsupported_uses"] = ["Paediatric CT."]
    rep = _fit({}, card)
    assert rep["verdict"] == "fits_partly"
    assert rep["reasons"][-1]["message"].startswith("the card's unsupported use /applicability/unsupported_uses/0 "
                                                    "names a code of the profile (CT)")
    assert rep["reasons"][-1]["params"]["pointer"] == "/applicability/unsupported_uses/0"
    card["applicability"]["unsupported_uses"] = ["Segmentation without review."]
    rep = _fit({}, card)
    assert rep["verdict"] == "fits" and "mentions a term of the profile" in rep["reasons"][-1]["message"]
    # "non-CT" names every modality but CT
    card["applicability"]["unsupported_uses"] = ["Non-CT modalities (MR, PET) without re-training.", "非CT图像"]
    rep = _fit({}, card)
    assert rep["verdict"] == "fits" and rep["text_matches"] == []


def test_the_ct_example_profile_codes_the_liver_and_fits_only_partly():
    """B4 (a): the liver is coded; the card's tasks list ABDOMEN and SPLEEN, not LIVER."""
    rep = F.fit_files(str(CT_CARD), str(CT_PROFILE))
    assert "LIVER" in _dims(rep)["body_part"]["profile_value"]
    assert _dims(rep)["body_part"]["status"] == "partly_covered"
    assert rep["verdict"] == "fits_partly"
    assert rep["intended_task"] == "/applicability/intended_tasks/1"
    assert {f["field"] for f in rep["not_compared"]} >= {"/description", "/population/description"}


def test_devices_hardware_and_inputs():
    rep = _fit({"acquisition": {"devices": [{"manufacturer": "Siemens Healthineers", "model": "SOMATOM go.Top"},
                                            {"manufacturer": "United Imaging"}]},
                "inputs": [{"node": "other", "value_range": {"minimum": 0, "maximum": 1, "unit": "1"}}],
                "deployment": {"mode": "cloud", "hardware": [{"kind": "gpu", "model": "T4", "memory_gb": 8},
                                                               {"kind": "ai_chip", "model": "Ascend 310"}]}})
    dims = _dims(rep)
    assert dims["acquisition_device"]["status"] == "partly_covered"  # the maker only; another maker not at all
    assert [f["message"] for f in dims["acquisition_device"]["findings"]] == [
        "Acquisition devices: the card lists the manufacturer of Siemens Healthineers SOMATOM go.Top but not that model "
        "(/applicability/intended_tasks/0/acquisition/devices/0)",
        "Acquisition devices: the card lists no device of United Imaging (profile field /acquisition/devices)"]
    assert dims["input_value_range"]["status"] == "not_stated"      # no input named "other"
    assert dims["deployment_mode"]["status"] == "not_covered"
    assert dims["deployment_hardware"]["status"] == "not_covered"   # less memory, and no AI chip
    assert rep["verdict"] == "does_not_fit"


def test_unsupported_uses_and_warnings_that_mention_the_profile_say_how():
    rep = _fit({"modalities": ["mr"], "search_terms": ["增强扫描"]})
    matches = {t["pointer"]: t["matches"] for t in rep["text_matches"]}
    assert {"kind": "code", "term": "MR"} in matches["/applicability/unsupported_uses/0"]
    assert matches["/applicability/cautioned_uses/0"] == [{"kind": "term_zh", "term": "增强扫描"}]
    assert "/applicability/warnings/0" not in matches
    rep = _fit({"modalities": ["ct"], "search_terms": ["target population"]})
    assert {"kind": "term_en", "term": "target population"} in \
        {t["pointer"]: t["matches"] for t in rep["text_matches"]}["/applicability/warnings/0"]


def test_a_card_with_wrong_types_is_read_as_not_stated():
    card = {"applicability": {"intended_tasks": [5, {"task_type": ["segmentation"], "modalities": "ct",
                                                     "target_population": "adults"}],
                              "unsupported_uses": [{"x": 1}], "transfer_performance": "x"},
            "input_output": {"inputs": {"node": "image"}}, "model_framework": [], "lifecycle": {"deployment": 3}}
    rep = _fit({"population": {"age_range": {"minimum": 1, "unit": "a"}}, "deployment": {"mode": "cloud"}}, card)
    assert {d["status"] for d in rep["dimensions"]} == {"not_stated"}
    assert rep["verdict"] == "undetermined"


# --------------------------------------------------------------------------- hostile profiles

def _write(tmp_path, text: str, name: str = "profile.yaml") -> str:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return str(path)


VALID = "identifier: p\ntitle: t\ntarget_task: {task_type: segmentation}\nmodalities: [ct]\n"


@pytest.mark.parametrize("text, variant, line", [
    (VALID.replace("modalities: [ct]", "modalities: 5"), "invalid", 4),                     # wrong type
    (VALID.replace("[ct]", "[ct, banana]"), "invalid", 4),                                   # not a modality
    (VALID + "population: {age_range: {minimum: 90, maximum: 18, unit: a}}\n", "range-order", 5),
    (VALID + "population: {age_range: {minimum: '18'}}\n", "invalid", 5),
    (VALID + "colour: blue\n", "invalid", 1),                                               # unknown field
    (VALID.replace("identifier: p\n", ""), "invalid", 1),                                   # required field
    ("- a\n- b\n", "unreadable", 1),                                                        # not a mapping
    ("a: &a [1]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]\nc: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]\n"
     "d: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c]\ne: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d]\n"
     "f: &f [*e, *e, *e, *e, *e, *e, *e, *e, *e]\ng: [*f, *f, *f, *f, *f, *f, *f, *f, *f]\n", "unreadable", None),
    ("a: " + "[" * 200 + "]" * 200 + "\n", "unreadable", 1),                                 # deep nesting
    ("a: !!python/object:os.system x\n", "unreadable", 1),
    (VALID + "modalities: [mr]\n", "unreadable", 5),                                        # duplicate key
])
def test_a_hostile_profile_gets_a_located_diagnostic(tmp_path, text, variant, line):
    with pytest.raises(F.FitProfileError) as info:
        F.read_profile(_write(tmp_path, text))
    issue = info.value.issue
    assert issue.rule == "fit.profile" and issue.message and issue.message_zh
    assert (issue.params or {}) or variant == "unreadable"
    assert issue.message.startswith("the intended-use profile")
    if line is not None:
        assert issue.line == line


def test_a_huge_profile_list_is_refused_or_checked_within_bounds(tmp_path):
    path = _write(tmp_path, VALID.replace("[ct]", "[" + ", ".join(["ct"] * 200_000) + "]"))
    with pytest.raises(F.FitProfileError) as info:  # over the loader's value limit
        F.read_profile(path)
    assert info.value.issue.params["detail"].startswith("the document holds more values than")
    path = _write(tmp_path, VALID.replace("[ct]", "[" + ", ".join(["ct"] * 15_000) + "]") + "search_terms: ["
                  + ", ".join(f"t{i}" for i in range(3000)) + "]\n")
    rep = F.fit(parse_card_bytes(CT_CARD.read_bytes(), CT_CARD), F.read_profile(path))
    assert len(_dims(rep)["modality"]["profile_value"]) == F.MAX_ITEMS
    assert _dims(rep)["modality"]["status"] == "covered"


def test_a_hostile_profile_through_the_command_line(tmp_path, capsys):
    path = _write(tmp_path, VALID.replace("modalities: [ct]", "modalities: {a: 1}"))
    assert cli.main(["fit", str(CT_CARD), "--use", path]) == 2
    err = capsys.readouterr().err
    assert f"{path}:4:" in err and "错误：预期用途文件在 /modalities 处无效" in err
    assert cli.main(["fit", str(CT_CARD), "--use", str(tmp_path / "missing.yaml")]) == 2
    assert cli.main(["fit", str(tmp_path / "missing.yaml"), "--use", str(CT_PROFILE)]) == 2


# --------------------------------------------------------------------------- the examples, renderings, determinism

def test_the_ct_example_covers_the_coded_spleen_part_of_the_ct_profile(tmp_path):
    data = yaml.safe_load(CT_PROFILE.read_text(encoding="utf-8"))
    for key in ("description", "body_part_notes", "population"):
        data.pop(key)
    data["target_task"].pop("description")
    data["body_parts"] = ["ABDOMEN", "SPLEEN"]
    rep = F.fit_files(str(CT_CARD), _write(tmp_path, yaml.safe_dump(data)))
    assert rep["verdict"] == "fits", rep["reasons"]
    assert _dims(rep)["modality"]["status"] == "covered"


@pytest.mark.parametrize("card", sorted(EXAMPLES.glob("*/card.yaml")))
def test_the_mr_profile_is_not_covered_by_any_example_and_the_field_is_named(card):
    rep = F.fit_files(str(card), str(MR_PROFILE))
    assert rep["verdict"] == "does_not_fit"
    assert _dims(rep)["modality"]["status"] == "not_covered"
    assert "/modalities" in [r["params"]["field"] for r in rep["reasons"]]


def test_the_command_line_exit_codes_and_formats(tmp_path, capsys):
    assert cli.main(["fit", str(CT_CARD), "--use", str(CT_PROFILE)]) == 1
    assert "Verdict: Fits partly (fits_partly)" in capsys.readouterr().out
    assert cli.main(["fit", str(CT_CARD), "--use", str(CT_PROFILE), "--format", "markdown"]) == 1
    markdown = capsys.readouterr().out
    assert cli.main(["fit", str(CT_CARD), "--use", str(CT_PROFILE), "--format", "md"]) == 1
    assert capsys.readouterr().out == markdown and markdown.startswith("# Intended-use check")
    assert cli.main(["fit", str(CT_CARD), "--use", str(MR_PROFILE), "--format", "json"]) == 1
    assert json.loads(capsys.readouterr().out)["verdict"] == "does_not_fit"
    target = tmp_path / "fit.html"
    assert cli.main(["fit", str(CT_CARD), "--use", str(MR_PROFILE), "--format", "html", "--lang", "zh",
                     "-o", str(target)]) == 1
    assert "不适用" in target.read_text(encoding="utf-8")
    assert cli.main(["fit", str(CT_CARD), "--use", str(MR_PROFILE), "--format", "html", "-o", str(target)]) == 2


def test_renderings_escape_what_the_card_says_and_are_deterministic():
    card = json.loads(json.dumps(CARD))
    card["applicability"]["unsupported_uses"] = ["<script>alert(1)</script> | MR # [x](http://e) \x1b[2J"]
    card["name"] = "<b>Model</b>"
    rep = _fit({"modalities": ["mr"]}, card)
    for lang in ("en", "zh"):
        page = fit_report.html_page(rep, lang)
        assert "<script>" not in page and "&lt;script&gt;" in page and "<b>Model" not in page
        assert "\x1b" not in page
        md = fit_report.markdown(rep, lang)
        assert "<script>" not in md and "\\[x\\]" in md and "\x1b" not in md
        assert "\x1b" not in fit_report.text(rep, lang)
    assert json.loads(fit_report.json_report(rep))["verdict"] == "does_not_fit"
    again = _fit({"modalities": ["mr"]}, card)
    assert again == rep
    for lang in ("en", "zh"):
        assert fit_report.markdown(again, lang) == fit_report.markdown(rep, lang)
        assert fit_report.html_page(again, lang) == fit_report.html_page(rep, lang)
        assert fit_report.text(again, lang) == fit_report.text(rep, lang)


def test_the_json_shape_is_stable():
    rep = json.loads(fit_report.json_report(F.fit_files(str(CT_CARD), str(MR_PROFILE))))
    assert list(rep) == ["tool", "schema_version", "profile", "card", "intended_task", "verdict", "reasons", "notes",
                         "dimensions", "not_compared", "text_matches"]
    for d in rep["dimensions"]:
        assert list(d) == ["dimension", "status", "profile_field", "profile_value", "evidence", "findings"]


def test_the_python_api_returns_a_typed_result_like_diff():
    """modelcard_spec.fit returned a dict where diff returns a result object; it returns a FitCheckResult
    whose to_dict() is the JSON output's shape (and whose fields can still be read as keys)."""
    import modelcard_spec

    result = modelcard_spec.fit(CT_CARD, MR_PROFILE)
    assert isinstance(result, F.FitCheckResult)
    assert result.verdict == "does_not_fit" and not result.fits and result["verdict"] == "does_not_fit"
    rep = json.loads(fit_report.json_report(F.fit_files(str(CT_CARD), str(MR_PROFILE))))
    assert result.to_dict() == {k: v for k, v in rep.items() if k not in ("tool", "schema_version")}
    assert list(result.to_dict()) == list(rep)[2:]
    with pytest.raises(KeyError):
        result["tool"]
    assert modelcard_spec.fit(CT_CARD, EXAMPLES / "intended-use" / "ct-abdominal-organ-segmentation.yaml").verdict \
        == "fits_partly"


@pytest.mark.parametrize("asked, status", [(16, "not_covered"), (32, "covered"), (64, "covered")])
def test_system_memory_is_compared_as_numbers(asked, status):
    rep = F.fit(_card(CARD), _profile({"deployment": {"system_memory_gb": asked}}))
    (dim,) = [d for d in rep["dimensions"] if d["dimension"] == "system_memory"]
    assert dim["status"] == status
    assert dim["evidence"][0]["pointer"] == "/model_framework/runtime_environment/system_memory_gb"


def test_placeholders_are_not_values():
    """SF4: the schema's placeholder texts (PlaceholderText) say nothing, in the card and the profile."""
    card = json.loads(json.dumps(CARD))
    task = card["applicability"]["intended_tasks"][0]
    task["acquisition"]["devices"] = [{"manufacturer": "unknown", "model": "TBD", "modality": "ct"}]
    task["target_population"]["sexes"] = ["n/a"]
    card["applicability"]["transfer_performance"][0]["subgroup"] = "TBD"
    card["applicability"]["unsupported_uses"] = ["TBD"]
    rep = _fit({"acquisition": {"devices": [{"manufacturer": "Unknown", "model": "tbd"}]},
                "population": {"sexes": ["female"]}, "description": "TBD.", "search_terms": ["TBD"]}, card)
    assert _dims(rep)["acquisition_device"]["status"] == "not_covered"
    assert _dims(rep)["population_sex"]["status"] == "not_stated"
    assert not any(e["kind"] == "subgroup_result" for d in rep["dimensions"] for e in d["evidence"])
    assert rep["text_matches"] == [] and rep["not_compared"] == []


def test_chinese_readers_see_ages_in_years_and_the_report_own_words():
    rep = _fit({"population": {"age_range": {"minimum": 20, "maximum": 80, "unit": "a"}}})
    age = _dims(rep)["population_age"]["findings"][0]
    assert "[20, 80] 岁" in age["message_zh"] and "[20, 80] a" in age["message"]
    out = fit_report.text(rep, "zh")
    assert "[已覆盖] 年龄" in out or "[已覆盖]" in out
    assert "脾脏（SPLEEN）" in fit_report.text(F.fit_files(str(CT_CARD), str(CT_PROFILE)), "zh")


def test_an_acquisition_range_from_some_datasets_is_at_most_partly_covered():
    card = json.loads(json.dumps(CARD))
    del card["applicability"]["intended_tasks"][0]["acquisition"]
    card["source_task_data"] = {"datasets": [
        {"id": "a", "acquisition_profile": {"slice_thickness": {"minimum": 0.5, "maximum": 5, "unit": "mm"}}},
        {"id": "b"}]}
    dim = _dims(_fit({"acquisition": {"slice_thickness": {"minimum": 1, "maximum": 2, "unit": "mm"}}}, card)) \
        ["slice_thickness"]
    assert dim["status"] == "partly_covered"
    assert any("1 of its 2 dataset(s)" in f["message"] for f in dim["findings"])
    card["source_task_data"]["datasets"][0]["acquisition_profile"]["slice_thickness"] = {"minimum": 0.5, "unit": "mm"}
    card["source_task_data"]["datasets"].pop()
    dim = _dims(_fit({"acquisition": {"slice_thickness": {"minimum": 1, "maximum": 2, "unit": "mm"}}}, card)) \
        ["slice_thickness"]
    assert dim["status"] == "not_stated"  # the data's upper end is open: not stated, not unlimited


def test_a_bound_that_is_not_a_number_is_no_statement_never_an_open_bound():
    """minimum: "18" on the card is not read as an open lower bound (which covered children)."""
    import copy

    card = copy.deepcopy(CARD)
    card["applicability"]["intended_tasks"][0]["target_population"]["age_range"]["minimum"] = "18"
    rep = _fit({"population": {"age_range": {"minimum": 2, "maximum": 12, "unit": "a"}}}, card)
    assert _dims(rep)["population_age"]["status"] != "covered" and rep["verdict"] != "fits"


def test_a_line_break_in_a_search_term_cannot_forge_a_line_of_the_text_report():
    import copy

    card = copy.deepcopy(CARD)
    card["applicability"]["warnings"] = ["evil\nVerdict: Fits (fits)"]
    rep = _fit({"search_terms": ["evil\nVerdict: Fits (fits)"]}, card)
    assert rep["text_matches"]
    assert len([line for line in fit_report.text(rep).splitlines() if line.startswith("Verdict:")]) == 1
