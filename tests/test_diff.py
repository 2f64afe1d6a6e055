"""``modelcard-spec diff``: the changes between two cards, their classification by the catalogue's update
rules and the new card's own update areas, and the checks of the new release (each error case fails
without its code); hostile inputs; determinism."""

from __future__ import annotations

import copy
import io
import json
import contextlib

import pytest
import yaml

from conftest import EXAMPLES, ROOT
from modelcard_spec import cli
from modelcard_spec import diff as api_diff
from modelcard_spec.check import diff as d
from modelcard_spec.check import updates
from modelcard_spec.check.loading import read_card
from modelcard_spec.output import diff_report
from modelcard_spec.spec.resources import catalogue_data, schema_index

CT = EXAMPLES / "ct-foundation-encoder"
R100 = CT / "releases" / "1.0.0.card.yaml"
R110 = CT / "releases" / "1.1.0.card.yaml"
R120 = CT / "card.yaml"


def main(*args) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = cli.main([str(a) for a in args])
        except SystemExit as stop:
            code = stop.code
    return code, out.getvalue(), err.getvalue()


def card(path=R120) -> dict:
    return copy.deepcopy(read_card(path).data)


def write(tmp_path, data, name="new.card.yaml"):
    path = tmp_path / name
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def rules_of(result, rule=None):
    return [(i.rule, i.severity, i.path) for i in result.issues if rule is None or i.rule == rule]


# --------------------------------------------------------------------------- the worked example


def test_release_1_1_0_is_flagged_as_contradicting_its_own_criteria():
    result = d.diff(R100, R110)
    assert (result.proposal, result.driver) == ("major", "algorithm_driven")
    assert (result.declared_type, result.declared_driver) == ("minor", "algorithm_driven")
    objective = next(a for a in result.areas if a.area == "pretraining_objective")
    assert (objective.update_class, objective.basis) == ("major", "card-major")
    assert {c.pointer for c in objective.changes} == {"/source_task_data/pretraining_task/description",
                                                      "/training_process/objective"}
    [issue] = [i for i in result.issues if i.severity == "error"]
    assert issue.rule == "diff.update-type" and issue.path == "/change_history/0/update_type"
    assert issue.params["areas"] == ["Pre-training objective"] and "预训练目标" in issue.message_zh
    assert issue.line == read_card(R110).locate("/change_history/0/update_type")[0]
    code, out, _ = main("diff", R100, R110)
    assert code == 1 and "diff.update-type" in out


def test_release_1_2_0_is_the_data_driven_minor_update_it_declares():
    result = d.diff(R110, R120)
    assert (result.proposal, result.driver) == ("minor", "data_driven")
    # only the note that the card's own minor areas make pre-training data minor (catalogue default: major)
    assert rules_of(result) == [("diff.below-default", "info", "/lifecycle/update_control/minor_update_areas/0")]
    by_area = {a.area: a for a in result.areas}
    assert by_area["source_data"].basis == "card-minor" and by_area["source_data"].default_class == "major"
    text = diff_report.to_text(result)
    assert "Minor by the card's minor update areas (catalogue default: Major)" in text
    assert "要求目录中的默认类别：重大更新" in diff_report.to_text(result, "zh")
    assert "/source_task_data/datasets/1" in {c.pointer for c in by_area["source_data"].changes}
    # weight files are matched by file name: 1.1.0's ONNX file removed, two files of 1.2.0 added
    assert sorted(c.kind for c in by_area["weights"].changes) == ["added", "added", "removed"]
    # the change history is matched by version: 1.1.0's and 1.0.0's entries are unchanged
    history = [c for c in by_area["release"].changes if c.pointer.startswith("/change_history")]
    assert [(c.pointer, c.kind) for c in history] == [("/change_history/0", "added")]
    assert main("diff", R110, R120)[0] == 0


def test_the_release_cards_are_valid_and_the_rule_finds_1_1_0_in_the_history():
    code, out, _ = main("validate", R100, R110, R120, "--format", "json", "--jobs", "1")
    assert code == 0, out
    results = json.loads(out)["results"]
    warned = [(r["card"].rsplit("/", 1)[-1], i["path"]) for r in results for i in r["issues"]
              if i["rule"] == "lifecycle.update-type-contradicts-criteria"]
    assert warned == [("1.1.0.card.yaml", "/change_history/0/update_type"), ("card.yaml", "/change_history/1/update_type")]


def test_python_api_is_the_command():
    assert api_diff(R110, R120).to_dict() == d.diff(R110, R120).to_dict()


# --------------------------------------------------------------------------- the checks of NEW


def _mutate_identifier(n):
    n["identifier"] = "org.example.other"


def _mutate_version_same(n):
    n["version"] = "1.1.0"
    n["change_history"] = n["change_history"][1:]


def _mutate_version_text(n):
    n["version"] = "v1.2"
    n["change_history"][0]["version"] = "v1.2"


def _mutate_history_missing(n):
    n["change_history"] = n["change_history"][1:]


def _mutate_history_dropped(n):
    n["change_history"] = n["change_history"][:2]


def _mutate_history_altered(n):
    n["change_history"][1]["update_type"] = "major"


def _mutate_contradicts(n):
    n["model_framework"]["architecture_name"] = "Swin Transformer 3-D encoder, feature size 96"


def _mutate_undeclared(n):
    del n["change_history"][0]["update_type"]


def _mutate_over_declared(n):
    n["change_history"][0]["update_type"] = "major"


def _mutate_driver(n):
    n["training_process"]["optimizer"]["learning_rate"] = 2.0e-4
    n["change_history"][0]["changed_areas"].append("training_method")


def _mutate_changed_areas(n):
    n["change_history"][0]["changed_areas"].remove("deployment")


def _mutate_data_flow(n):
    n["applicability"]["evaluation_datasets"].append({"id": "ds-hnscc", "name": "HNSCC as a test set"})


def _mutate_data_flow_samples(n):
    n["training_process"]["data_splits"]["splits"].append(
        {"role": "test", "size": 216, "sample_list": "ev-old-tuning"})
    n["evidence"].append({"id": "ev-old-tuning", "title": "1.1.0's tuning list", "kind": "data_list",
                          "url": "https://openmed.example.org/old/split_tuning.txt",
                          "sha256": "2e4c6a8f0d1b3e5c7a9f2d4b6e8c0a1f3d5b7e9c2a4f6d8b0e1c3a5f7d9b2e4c"})


def _mutate_rollback_unstated(n):
    del n["lifecycle"]["update_control"]["rollback_supported"]


def _mutate_rollback_mechanism(n):
    del n["lifecycle"]["update_control"]["rollback_mechanism"]


CASES = {
    "identifier": (_mutate_identifier, "diff.identifier", "", "/identifier"),
    "version-same": (_mutate_version_same, "diff.version-order", "not-greater", "/version"),
    "version-text": (_mutate_version_text, "diff.version-order", "not-semantic", "/version"),
    "history-missing": (_mutate_history_missing, "diff.history", "missing", "/change_history"),
    "history-dropped": (_mutate_history_dropped, "diff.history", "dropped", "/change_history"),
    "history-altered": (_mutate_history_altered, "diff.history", "altered", "/change_history/1/update_type"),
    "contradicts": (_mutate_contradicts, "diff.update-type", "contradicts", "/change_history/0/update_type"),
    "undeclared": (_mutate_undeclared, "diff.update-type", "undeclared", "/change_history/0"),
    "over-declared": (_mutate_over_declared, "diff.update-type", "over-declared", "/change_history/0/update_type"),
    "driver": (_mutate_driver, "diff.update-type", "driver", "/change_history/0/update_driver"),
    "changed-areas": (_mutate_changed_areas, "diff.changed-areas", "", "/change_history/0/changed_areas"),
    "data-flow": (_mutate_data_flow, "diff.data-flow", "dataset", "/applicability/evaluation_datasets/2/id"),
    "data-flow-samples": (_mutate_data_flow_samples, "diff.data-flow", "samples",
                          "/training_process/data_splits/splits/2/sample_list"),
    "rollback-unstated": (_mutate_rollback_unstated, "diff.rollback", "unstated",
                          "/lifecycle/update_control/rollback_supported"),
    "rollback-mechanism": (_mutate_rollback_mechanism, "diff.rollback", "no-mechanism",
                           "/lifecycle/update_control/rollback_mechanism"),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_each_check_of_the_new_release_fails_its_case_and_only_it(tmp_path, name):
    mutate, rule, variant, path = CASES[name]
    assert not [i for i in d.diff(R110, R120).issues if i.severity != "info"]  # the release passes every check
    data = card()
    mutate(data)
    result = d.diff(R110, write(tmp_path, data))
    hits = [i for i in result.issues if i.rule == rule and i.path == path]
    assert hits, rules_of(result)
    from modelcard_spec.spec.registry import lookup
    check = lookup(rule)
    assert (hits[0].message, hits[0].message_zh) == check.render(variant, hits[0].params)
    assert hits[0].line is not None  # located in NEW
    code = main("diff", R110, write(tmp_path, data))[0]
    assert code == (1 if any(i.severity == "error" for i in result.issues) else 0)


def test_data_that_moves_from_testing_to_training_is_allowed(tmp_path):
    old = card()
    old["applicability"]["evaluation_datasets"].append({"id": "ds-extra", "name": "Held-out CT"})
    new = card()
    new["version"] = "1.3.0"
    new["change_history"].insert(0, {"version": "1.3.0", "release_date": "2024-06-01", "update_type": "minor",
                                     "update_driver": "data_driven", "changed_areas": ["source_data"],
                                     "description": "Held-out CT added to the tuning split."})
    new["training_process"]["data_splits"]["splits"][1]["datasets"].append("ds-extra")
    result = d.diff(write(tmp_path, old, "old.yaml"), write(tmp_path, new))
    assert not [i for i in result.issues if i.rule == "diff.data-flow"]
    # the reverse is refused: tuning data of the old card is test data of the next
    back = d.diff(write(tmp_path, new, "old2.yaml"), write(tmp_path, {**old, "version": "1.4.0"}, "new2.yaml"))
    assert [i.params["dataset"] for i in back.issues if i.rule == "diff.data-flow"] == ["ds-extra"]


# --------------------------------------------------------------------------- the rules


def test_every_field_of_the_card_is_in_exactly_one_change_area():
    import importlib.util

    spec = importlib.util.spec_from_file_location("generate", ROOT / "tools" / "generate.py")
    generate = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(generate)
    index = schema_index()
    areas = catalogue_data()["update_rules"]["areas"]
    assert generate.update_rule_problems(index, areas) == []
    paths = generate.schema_paths(index)
    assert "/source_task_data/datasets/*/id" in paths and len(paths) > 300
    for path in paths:
        assert updates.area_of(path.replace("*", "0")) is not None, path
    # a field left out of every area, or put in two, is refused
    lost = [dict(a, pointers=[p for p in a["pointers"] if p != "/lineage"]) for a in areas]
    assert any(p.startswith("/lineage/") and "in no change area" in p for p in generate.update_rule_problems(index, lost))
    twice = [dict(a, pointers=a["pointers"] + ["/lineage"]) if a["id"] == "weights" else a for a in areas]
    assert any("more than one change area" in p for p in generate.update_rule_problems(index, twice))
    typo = [dict(a, pointers=a["pointers"] + ["/linage"]) if a["id"] == "weights" else a for a in areas]
    assert any("names no field" in p for p in generate.update_rule_problems(index, typo))


def test_the_card_own_areas_come_before_the_defaults():
    data = card()
    assert updates.area_class("source_data", data) == ("minor", "card-minor")
    assert updates.area_class("pretraining_objective", data) == ("major", "card-major")
    assert updates.area_class("intended_use", data) == ("major", "default")
    del data["lifecycle"]["update_control"]["minor_update_areas"]
    assert updates.area_class("source_data", data) == ("major", "default")
    data["lifecycle"]["update_control"]["major_update_areas"] = ["weights"]
    data["lifecycle"]["update_control"]["minor_update_areas"] = ["weights"]
    assert updates.area_class("weights", data) == ("major", "card-major")  # listed both ways: major
    assert updates.area_class(None, data) == ("major", "unclassified")


def test_longest_pattern_wins():
    assert updates.area_of("/input_output/inputs/0/preprocessing/1/step") == "preprocessing"
    assert updates.area_of("/input_output/inputs/0/modality") == "input_output"
    assert updates.area_of("/training_process/objective") == "pretraining_objective"
    assert updates.area_of("/training_process/optimizer/learning_rate") == "training_method"
    assert updates.area_of("/lifecycle/deployment/modules/0/version") == "release"
    assert updates.area_of("/not_a_field") is None
    assert updates.area_of("/input_output/inputs/x/preprocessing") == "input_output"  # "*" stands for an index only


def test_semantic_version_order():
    key = d.semver_key
    assert key("1.10.0") > key("1.9.9") > key("1.9.9-rc.1") > key("1.9.9-beta") > key("1.9.9-alpha.10") > key("1.9.9-alpha.2")
    assert key("1.0.0+build.5") == key("1.0.0")
    assert key("1.0") is None and key("01.0.0") is None and key(3) is None


# --------------------------------------------------------------------------- hostile inputs


def test_same_file_twice_is_a_located_error_not_a_crash():
    result = d.diff(R120, R120)
    assert result.proposal == "none" and result.changes == []
    assert rules_of(result) == [("diff.version-order", "error", "/version")]
    code, out, _ = main("diff", R120, R120, "--format", "json")
    assert code == 1 and json.loads(out)["proposal"] == {"update_class": "none", "driver": "none"}


@pytest.mark.parametrize("text,rule", [
    ("- a\n- b\n", "load.not-a-mapping"),
    ("just text\n", "load.not-a-mapping"),
    ("a: " + "[" * 200 + "]" * 200 + "\n", "load.too-deep"),
    ("a: &a [x, x, x, x, x, x, x, x, x, x]\n" + "".join(
        f"{chr(98 + i)}: &{chr(98 + i)} [{', '.join(['*' + chr(97 + i)] * 10)}]\n" for i in range(8)), "load.too-large"),
    ("items:\n" + "".join(f"  - {i}\n" for i in range(30000)), "load.too-large"),
    ("", "load.empty"),
])
def test_an_unusable_card_is_exit_2_with_its_located_diagnostic(tmp_path, text, rule):
    bad = tmp_path / "bad.card.yaml"
    bad.write_text(text, encoding="utf-8")
    for args in (("diff", R120, bad), ("diff", bad, R120)):
        code, out, err = main(*args)
        assert code == 2 and out == "" and str(bad) in err and "错误" in err, (rule, err)
    with pytest.raises(d.CardLoadError) as caught:
        d.diff(R120, bad)
    assert caught.value.issue.rule.startswith(rule.split(".")[0]) and caught.value.where == str(bad)


def test_odd_shapes_and_unknown_fields_are_compared_without_a_crash(tmp_path):
    new = card()
    new["change_history"] = "not a list"
    new["lifecycle"]["update_control"] = ["not", "a", "mapping"]
    new["training_process"]["data_splits"] = {"splits": [1, None, {"role": "test", "datasets": [{"id": 1}], "sample_list": 5}]}
    new["evidence"] = [{"id": "ev-config"}, {"id": "ev-config"}, "x"]  # ids not distinct: matched by position
    new["zz_unknown"] = {"deep": [1, 2]}
    new["version"] = "2.0.0"
    result = d.diff(R120, write(tmp_path, new))
    unknown = [a for a in result.areas if a.area is None]
    assert unknown and unknown[0].basis == "unclassified" and result.proposal == "major"
    assert {"diff.history", "diff.rollback"} <= {i.rule for i in result.issues}
    for fmt in ("text", "json", "markdown"):
        for lang in ("en", "zh"):
            assert main("diff", R120, write(tmp_path, new), "--format", fmt, "--lang", lang)[0] == 1


def test_untrusted_text_is_escaped_in_every_format(tmp_path):
    new = card()
    new["version"] = "1.2.1"
    new["change_history"][0]["version"] = "1.2.1"
    new["summary"] = "evil\x1b[2J | # heading\n- list <script>alert(1)</script> \u202e"
    path = write(tmp_path, new)
    _, text, _ = main("diff", R120, path)
    assert "\x1b" not in text and "\u202e" not in text and "\\u001b" in text
    _, md, _ = main("diff", R120, path, "--format", "markdown")
    assert "<script>" not in md and "&lt;script&gt;" in md and "\\|" in md and "\x1b" not in md
    _, js, _ = main("diff", R120, path, "--format", "json")
    change = next(c for c in json.loads(js)["changes"] if c["pointer"] == "/summary")
    assert change["new"] == new["summary"] and "\\u202e" in js


def test_a_large_list_is_compared_by_key(tmp_path):
    old = card()
    new = card()
    new["version"] = "1.3.0"
    new["change_history"].insert(0, dict(new["change_history"][0], version="1.3.0"))
    extra = [{"id": f"ev-{i}", "title": "t", "kind": "report", "url": f"https://x.example/{i}"} for i in range(2000)]
    old["evidence"] = old["evidence"] + extra
    new["evidence"] = list(reversed(extra)) + new["evidence"]  # same items, another order
    result = d.diff(write(tmp_path, old, "old.yaml"), write(tmp_path, new))
    assert not [c for c in result.changes if c.pointer.startswith("/evidence")]


# --------------------------------------------------------------------------- outputs


def test_outputs_are_deterministic_and_json_has_the_documented_shape(tmp_path):
    runs = {(fmt, lang): main("diff", R100, R110, "--format", fmt, "--lang", lang)[1]
            for fmt in ("text", "json", "markdown") for lang in ("en", "zh")}
    again = {(fmt, lang): main("diff", R100, R110, "--format", fmt, "--lang", lang)[1]
             for fmt in ("text", "json", "markdown") for lang in ("en", "zh")}
    assert runs == again
    data = json.loads(runs[("json", "en")])
    assert set(data) == {"old", "new", "identifier", "proposal", "declared", "areas", "changes", "issues", "valid"}
    assert data["proposal"] == {"update_class": "major", "driver": "algorithm_driven"}
    assert set(data["areas"][0]) == {"area", "update_class", "basis", "driver", "default_class", "pointers"}
    assert all({"pointer", "kind", "area"} <= set(c) for c in data["changes"])
    assert "预训练目标" in runs[("markdown", "zh")] and "重大更新" in runs[("text", "zh")]
    assert diff_report.to_text(d.diff(R100, R110), "en") == runs[("text", "en")]


def test_output_file_and_its_policy(tmp_path):
    out = tmp_path / "diff.md"
    assert main("diff", R110, R120, "--format", "markdown", "-o", out)[0] == 0
    assert out.read_text(encoding="utf-8").startswith("# ")
    assert main("diff", R110, R120, "-o", out)[0] == 2  # exists: --force needed
    assert main("diff", R110, R120, "-o", R120, "--force")[0] == 2  # never an input


def test_nan_and_number_types_compare_as_values():
    assert d.changes({"a": float("nan"), "b": 1, "c": True}, {"a": float("nan"), "b": 1.0, "c": True}) == []
    assert [c.pointer for c in d.changes({"c": True, "n": 1}, {"c": 1, "n": True})] == ["/c", "/n"]


# --------------------------------------------------------------------------- review findings


def test_a_release_cannot_reclassify_itself_by_editing_its_own_criteria(tmp_path):
    """B1: moving the changed area from the major to the minor update areas in the same release does not
    make it minor: OLD's criteria (those in force) classify it, and the downgrade is a warning."""
    new = card(R110)
    control = new["lifecycle"]["update_control"]
    control["major_update_areas"].remove("pretraining_objective")
    control["minor_update_areas"].append("pretraining_objective")
    result = d.diff(R100, write(tmp_path, new))
    objective = next(a for a in result.areas if a.area == "pretraining_objective")
    assert (objective.update_class, objective.basis) == ("major", "old-card-major")
    assert result.proposal == "major"
    assert [i.rule for i in result.issues if i.severity == "error"] == ["diff.update-type"]
    [warned] = [i for i in result.issues if i.rule == "diff.update-control"]
    at = control["minor_update_areas"].index("pretraining_objective")
    assert warned.severity == "warning" and warned.path == f"/lifecycle/update_control/minor_update_areas/{at}"
    assert warned.params["area"] == "Pre-training objective" and "预训练目标" in warned.message_zh
    # the edit of the update control is itself at least minor, never editorial documentation
    control_area = next(a for a in result.areas if a.area == "update_control")
    assert control_area.update_class == "minor"
    assert updates.area_of("/lifecycle/update_control/major_update_areas/0") == "update_control"
    assert "old card's major update areas" in diff_report.to_text(result)
    assert main("diff", R100, write(tmp_path, new))[0] == 1


def test_an_edit_of_the_update_control_alone_is_a_minor_update(tmp_path):
    new = card()
    new["version"] = "1.2.1"
    new["change_history"].insert(0, {"version": "1.2.1", "release_date": "2024-06-01", "update_type": "minor",
                                     "changed_areas": ["update_control"], "description": "Criteria reworded."})
    new["lifecycle"]["update_control"]["major_update_criteria"] += " Also a new output."
    result = d.diff(R120, write(tmp_path, new))
    assert result.proposal == "minor"
    assert not [i for i in result.issues if i.rule == "diff.update-control"]  # no area lowered


def test_a_renamed_training_dataset_is_not_test_data_in_the_next_release(tmp_path):
    """SF1: datasets match by name and URL when the ID changes; training data that was also test data in
    OLD is no exception."""
    old = card()
    new = card()
    new["version"] = "1.3.0"
    new["change_history"].insert(0, dict(new["change_history"][0], version="1.3.0"))
    lidc = next(x for x in new["source_task_data"]["datasets"] if x["id"] == "ds-lidc")
    new["applicability"]["evaluation_datasets"].append(dict(lidc, id="ds-lidc-idri"))
    result = d.diff(write(tmp_path, old, "old.yaml"), write(tmp_path, new))
    [hit] = [i for i in result.issues if i.rule == "diff.data-flow"]
    assert (hit.params["dataset"], hit.params["old_dataset"], hit.params["matched_by"]) == \
        ("ds-lidc-idri", "ds-lidc", "name")
    assert hit.path.startswith("/applicability/evaluation_datasets/") and "G52" in hit.message
    # matched by URL alone (without its trailing slash), the name reworded
    luna = next(x for x in new["source_task_data"]["datasets"] if x["id"] == "ds-luna16")
    new["applicability"]["evaluation_datasets"][-1] = dict(luna, id="ds-luna", name="Another name",
                                                           url=luna["url"] + "/")
    result = d.diff(write(tmp_path, old, "old.yaml"), write(tmp_path, new))
    assert [(i.params["old_dataset"], i.params["matched_by"]) for i in result.issues
            if i.rule == "diff.data-flow"] == [("ds-luna16", "URL")]
    # OLD used the dataset for training and for testing: it still may not be test data now
    both = card()
    both["applicability"]["evaluation_datasets"].append({"id": "ds-hnscc", "name": "HNSCC"})
    newer = copy.deepcopy(both)
    newer["version"] = "1.3.0"
    newer["change_history"].insert(0, dict(newer["change_history"][0], version="1.3.0"))
    result = d.diff(write(tmp_path, both, "both.yaml"), write(tmp_path, newer, "newer.yaml"))
    assert [i.params["dataset"] for i in result.issues if i.rule == "diff.data-flow"] == ["ds-hnscc"]


def test_the_data_flow_message_cites_g52_and_quotes_it_in_chinese():
    from modelcard_spec.spec.registry import lookup

    en, zh = lookup("diff.data-flow").render("dataset", {
        "dataset": "a", "old_dataset": "b", "matched_by": "name", "matched_by_zh": "名称", "old_use": "training",
        "old_use_zh": "训练"})
    assert "(G52)" in en
    statement = next(s for s in yaml.safe_load((ROOT.parent / "shared" / "seeds" / "statements.yaml").read_text(
        encoding="utf-8")) if s["id"] == "G52") if (ROOT.parent / "shared" / "seeds").is_dir() else None
    quoted = zh[zh.index("（G52：“") + 6:zh.index("”）")]
    assert "测试集数据可变更为训练和调优使用" in quoted
    if statement is not None:
        assert quoted in statement["passage_zh"]


def test_removed_warnings_and_unsupported_uses_are_a_warning(tmp_path):
    """SF3."""
    old = card()
    new = card()
    new["version"] = "1.2.1"
    new["change_history"].insert(0, {"version": "1.2.1", "release_date": "2024-06-01", "update_type": "major",
                                     "changed_areas": ["limitations_and_risks", "intended_use"],
                                     "description": "Cautions revised."})
    applicability = new["applicability"]
    listed = [k for k in ("limitations", "known_failure_modes", "cautioned_uses", "warnings")
              if isinstance(applicability.get(k), list) and applicability[k]]
    assert listed, sorted(applicability)
    gone = applicability[listed[0]].pop(0)
    applicability["unsupported_uses"] = applicability["unsupported_uses"][1:]
    result = d.diff(write(tmp_path, old, "old.yaml"), write(tmp_path, new))
    warned = [i for i in result.issues if i.rule == "diff.removed-warnings"]
    assert {i.severity for i in warned} == {"warning"} and len(warned) == 2
    assert any(i.path == f"/applicability/{listed[0]}" for i in warned), [i.path for i in warned]
    assert any(i.path == "/applicability/unsupported_uses" for i in warned)
    text = gone if isinstance(gone, str) else json.dumps(gone, ensure_ascii=False, sort_keys=True)
    assert any(text[:60] in i.message for i in warned)
    # a risk removed from the head of the list is one finding, not one per risk shifted up
    again = card()
    removed = again["applicability"]["risks"].pop(0)
    result = d.diff(R120, write(tmp_path, again, "again.yaml"))
    warned = [i for i in result.issues if i.rule == "diff.removed-warnings"]
    assert [i.path for i in warned] == ["/applicability/risks"] and removed["description"][:40] in warned[0].message


def test_a_placeholder_is_no_rollback_mechanism(tmp_path):
    """SF4: the schema's placeholder texts are not a mechanism."""
    for text in ("TBD", "待定", "  n/a. "):
        new = card()
        new["lifecycle"]["update_control"]["rollback_mechanism"] = text
        result = d.diff(R110, write(tmp_path, new))
        assert [(i.rule, i.path) for i in result.issues if i.rule == "diff.rollback"] == \
            [("diff.rollback", "/lifecycle/update_control/rollback_mechanism")], text


def test_long_values_are_cut_around_their_first_difference(tmp_path):
    """SF5: both sides of a long value that differs late do not look the same."""
    base = "A long description of the pre-training task that runs on and on. " * 4
    change = d.Change("/summary", "changed", base + "old ending.", base + "new ending.")
    old_shown = diff_report._value(change.old, change.new)
    new_shown = diff_report._value(change.new, change.old)
    assert old_shown != new_shown and "old ending" in old_shown and "new ending" in new_shown
    assert old_shown.startswith("…") and len(old_shown) <= diff_report.VALUE_WIDTH
    assert diff_report._value("short", "other") == "short"
    new = card()
    new["summary"] = new["summary"] + " " + base + "A changed ending."
    old = card()
    old["summary"] = old["summary"] + " " + base + "The old ending."
    path, old_path = write(tmp_path, new), write(tmp_path, old, "old.yaml")
    for fmt, lang, says in (("text", "en", "the JSON output"), ("markdown", "en", "the JSON output"),
                            ("text", "zh", "JSON 输出"), ("markdown", "zh", "JSON 输出")):
        out = main("diff", old_path, path, "--format", fmt, "--lang", lang)[1]
        assert says in out and "changed ending" in out.replace("\\", "")


def test_new_weights_without_a_training_change_are_noted(tmp_path):
    new = card()
    new["version"] = "1.2.1"
    new["change_history"].insert(0, {"version": "1.2.1", "release_date": "2024-06-01", "update_type": "minor",
                                     "changed_areas": ["weights"], "description": "Weights re-exported."})
    new["model_parameters"]["weight_files"][0]["sha256"] = "0" * 64
    path = tmp_path / "new.card.yaml"  # JSON is YAML, and keeps the text "1e-5" a text (safe_dump does not)
    path.write_text(json.dumps(new, ensure_ascii=False, indent=1), encoding="utf-8")
    result = d.diff(R120, path)
    assert rules_of(result, "diff.weights-only") == [("diff.weights-only", "info", "/model_parameters/weight_files")]
    assert not rules_of(d.diff(R110, R120), "diff.weights-only")  # re-trained: no note


def test_a_split_whose_datasets_is_not_a_list_is_compared_without_a_crash(tmp_path):
    for datasets in (5, "ds-a", {"id": "ds-a"}):
        new = card()
        new["version"] = "2.0.0"
        new["training_process"]["data_splits"] = {"splits": [{"role": "test", "datasets": datasets}]}
        result = d.diff(R120, write(tmp_path, new))
        assert not [i for i in result.issues if i.rule == "diff.data-flow"]  # no dataset read out of a string's letters


def test_a_long_change_history_is_matched_by_version_once(tmp_path, monkeypatch):
    """The history is indexed by version once, not searched again for each entry of OLD."""
    calls = []
    original = d._history_entries
    monkeypatch.setattr(d, "_history_entries", lambda c: calls.append(1) or original(c))
    old, new = card(), card()
    new["version"] = "1.3.0"
    old["change_history"] = [{"version": f"0.0.{i}"} for i in range(500)]
    new["change_history"] = [{"version": "1.3.0"}] + [{"version": f"0.1.{i}"} for i in range(500)]
    result = d.diff(write(tmp_path, old, "old.yaml"), write(tmp_path, new))
    assert sum(i.rule == "diff.history" for i in result.issues) == 500
    assert len(calls) < 10


def test_an_unclassified_field_is_named_as_such_in_the_update_type_message(tmp_path):
    new = card()
    new["version"] = "1.3.0"
    new["change_history"].insert(0, dict(new["change_history"][0], version="1.3.0", update_type="minor"))
    new["zz_unknown"] = 1
    result = d.diff(R120, write(tmp_path, new))
    message = " ".join(i.message + i.message_zh for i in result.issues if i.rule == "diff.update-type")
    assert "None" not in message and "no update rule classifies" in message and "未归入任何更新规则" in message
