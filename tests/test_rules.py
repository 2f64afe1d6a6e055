"""Every semantic and conformity check has a failing and a passing card.

Failing cards are small, realistic mutations of the valid examples; the passing card for each
check is the unmutated example, which must not trigger it.
"""

from __future__ import annotations

import copy
import json
import shutil

import pytest

from conftest import EXAMPLES, INVALID_CARDS, VALID_CARDS, renderings
from modelcard_spec.check.loading import read_card
from modelcard_spec.check.rules import RULES, Context
from modelcard_spec.check.evidence_reader import MAX_SAMPLE_LISTS
from modelcard_spec.check.pipeline import check_data, validate_file

CXR = EXAMPLES / "cxr-classification-backbone"
CT = EXAMPLES / "ct-foundation-encoder"


def cxr():
    return copy.deepcopy(read_card(CXR / "card.yaml").data)


def ct():
    return copy.deepcopy(read_card(CT / "card.yaml").data)


def perf(d, i=0):
    return d["applicability"]["transfer_performance"][i]


def _not_adopting_pa06(d):
    d["conformity"]["requirements"].append({"requirement": "MCS-PA-06", "status": "not_adopted",
                                            "reason": "provider_choice", "justification": "Loaded only in a sandbox."})
    return d


def test_a_claimed_requirements_missing_statement_is_reported_once_as_its_error():
    data = cxr()
    data["model_parameters"]["weight_files"][0].pop("safe_loading")
    at = [i for i in check_data(data, CXR)[0] if i.path == "/model_parameters/weight_files/0/safe_loading"]
    assert [(i.rule, i.severity, i.requirement) for i in at] == [("conformity.missing-field", "error", "MCS-PA-06")]


def _set(d, path, value):
    *head, last = path
    for k in head:
        d = d[k]
    d[last] = value
    return d


MUTATIONS = {
    # rule id: (base card, mutation, requirement expected on the issue, severity)
    "metric.confusion-matrix": (cxr, lambda d: _set(perf(d, 1), ["value"], 0.95) and None, "MCS-AP-03", "error"),
    "metric.interval": (cxr, lambda d: _set(perf(d, 0), ["confidence_interval", "level"], 95), "MCS-AP-03", "error"),
    "metric.proportion-range": (cxr, lambda d: _set(perf(d, 0), ["value"], 91), "MCS-AP-03", "error"),
    "metric.subgroup-size": (cxr, lambda d: _set(perf(d, 4), ["sample_size"], 1500), "MCS-AP-03", "error"),
    "metric.split": (cxr, lambda d: _set(perf(d, 0), ["split"], "tuning"), "MCS-AP-03", "warning"),
    "metric.result-shape": (cxr, lambda d: _set(perf(d, 3), ["metric"], "roc_curve"), "MCS-AP-03", "error"),
    "metric.area-curve": (cxr, lambda d: perf(d, 3).pop("curve_type"), "MCS-AP-03", "warning"),
    "metric.curve": (cxr, lambda d: _set(perf(d, 3)["curve"]["points"][0], ["x"], 1.5), "MCS-AP-03", "error"),
    "metric.curve-agreement": (cxr, lambda d: _set(perf(d, 3), ["value"], 0.93), "MCS-AP-03", "warning"),
    "metric.matrix": (cxr, lambda d: d["applicability"]["transfer_performance"].append(
        {"metric": "confusion_matrix", "sample_size": 5, "dataset": "ds-cxr-cn-3h-test", "multiclass_confusion_matrix":
         {"labels": ["a", "b", "c"], "rows": [{"label": "a", "cells": [1, 0, 0]}, {"label": "b", "cells": [0, 2]}]}}),
        "MCS-AP-03", "error"),
    "metric.latency": (cxr, lambda d: _set(perf(d, 5), ["unit"], "s"), "MCS-AP-03", "error"),
    "metric.repeated-measurement": (cxr, lambda d: d["applicability"]["transfer_performance"].append(
        {"metric": "repeatability", "value": 0.94, "confidence_interval": {"lower": 0.9, "upper": 0.97, "level": 0.95},
         "sample_size": 100, "dataset": "ds-cxr-cn-3h-test", "repeated_measurement": {"repeated_runs": 1}}),
        "MCS-AP-03", "error"),
    "reference.unknown": (cxr, lambda d: _set(perf(d, 3), ["dataset"], "ds-typo"), "MCS-AP-03", "error"),
    "provenance.entry": (cxr, lambda d: d.setdefault("provenance", []).append(
        {"pointer": "/evidence/ev-verify-case1", "origin": "measured"}), None, "error"),
    "reference.duplicate-id": (cxr, lambda d: d["evidence"].append(dict(d["evidence"][0])), "MCS-LC-05", "error"),
    "splits.ratio-sum": (cxr, lambda d: _set(d["training_process"]["data_splits"]["splits"][2], ["ratio"], 0.15), "MCS-TR-03", "error"),
    "splits.disjoint": (cxr, lambda d: _set(d["training_process"]["data_splits"], ["disjoint"], False), "MCS-TR-04", "error"),
    "augmentation.test-set": (cxr, lambda d: _set(d["training_process"]["augmentations"][0], ["object"], "test_set"), "MCS-TR-02", "error"),
    "parameters.trainable": (cxr, lambda d: _set(d["model_parameters"], ["trainable_parameters"], 10**9), "MCS-PA-01", "error"),
    "compression.none-alone": (cxr, lambda d: _set(d["model_parameters"]["compression"], ["methods"], ["none", "pruning"]), "MCS-PA-04", "error"),
    "dates.order": (cxr, lambda d: _set(d, ["release_date"], "2024-06-01"), "MCS-GEN-04", "error"),
    "version.in-history": (cxr, lambda d: _set(d, ["version"], "3.1.0"), "MCS-GEN-04", "error"),
    # (with MCS-PA-06 claimed, the missing statement is that requirement's missing-field error instead)
    "weights.pickle-safe-loading": (cxr, lambda d: _not_adopting_pa06(d)["model_parameters"]["weight_files"][0]
                                    .pop("safe_loading"), "MCS-PA-06", "warning"),
    # 3.0.1 is declared minor; the card's own major update areas include the architecture
    "lifecycle.update-type-contradicts-criteria": (cxr, lambda d: d["change_history"][0]["changed_areas"].append(
        "architecture"), "MCS-LC-02", "warning"),
    "learning.self-learning-off": (cxr, lambda d: _set(d["lifecycle"]["continuous_learning"], ["capable"], True), "MCS-LC-04", "error"),
    "annotation.roles": (cxr, lambda d: _set(d["source_task_data"]["datasets"][2]["annotation"], ["roles_independent"], False), "MCS-SD-07", "error"),
    "io.node-names": (cxr, lambda d: _set(d["input_output"]["inputs"][0], ["node"], "input"), "MCS-IO-01", "error"),
    "adaptation.recommended-supported": (cxr, lambda d: _set(d["applicability"], ["recommended_adaptation"], "adapter"), "MCS-AP-02", "warning"),
    "dataset.amount-used": (cxr, lambda d: _set(d["source_task_data"]["datasets"][0], ["amount_used"], 200000), "MCS-SD-02", "error"),
    "evidence.path": (cxr, lambda d: _set(d["evidence"][0], ["path"], "../../etc/passwd"), "MCS-LC-05", "error"),
    "framework.combined-algorithms": (cxr, lambda d: d["model_framework"].pop("combined_algorithms"), "MCS-FW-08", "error"),
    "performance.result-reported": (cxr, lambda d: _set(d["applicability"]["performance_requirements"][0], ["acceptance_metric"], "f1_measure"),
                                    "MCS-AP-09", "error"),
    "performance.acceptance": (cxr, lambda d: _set(d["applicability"]["performance_requirements"][0], ["minimum"], 0.9),
                               "MCS-AP-09", "warning"),
    "risks.kinds": (cxr, lambda d: d["applicability"]["risks"].pop(4), "MCS-AP-13", "error"),
    "conformity.missing-field": (cxr, lambda d: d["model_framework"].pop("flowchart"), "MCS-FW-05", "error"),
    "conformity.unknown-requirement": (cxr, lambda d: d["conformity"]["requirements"].append({"requirement": "MCS-ZZ-99", "status": "claimed"}), "MCS-GEN-07", "error"),
    "conformity.duplicate": (cxr, lambda d: d["conformity"]["requirements"].append(dict(d["conformity"]["requirements"][1])), "MCS-GEN-07", "error"),
    "conformity.justification": (cxr, lambda d: d["conformity"]["requirements"][0].update(justification="n/a")
                                 or d["conformity"]["requirements"][0].pop("justification_zh"), "MCS-GEN-07", "error"),
    "conformity.kind": (cxr, lambda d: d["conformity"]["requirements"].append({"requirement": "MCS-GEN-09", "status": "claimed"}), "MCS-GEN-07", "warning"),
    "conformity.catalogue-version": (cxr, lambda d: _set(d["conformity"], ["catalogue_version"], "0.0.9"), "MCS-GEN-07", "warning"),
    "augmentation.gan-generator": (cxr, lambda d: d["training_process"]["augmentations"][0]["methods"]
                                   .append("generative_adversarial_network"), "MCS-TR-02", "error"),
    "augmentation.comparison": (cxr, lambda d: _set(d["training_process"]["augmentation_comparison"][0],
                                                    ["augmented_size"], 351722), "MCS-TR-02", "error"),
    "splits.distribution-size": (cxr, lambda d: _splits(d)[2]["distribution"].__setitem__(
                                     "sites", [{"category": "Hospital A", "count": 10**6}]),
                                 "MCS-TR-08", "error"),
    "dataset.historical": (cxr, lambda d: d["source_task_data"]["datasets"][2].pop("acquisition_quality_assessment"),
                           "MCS-SD-11", "error"),
    "dataset.public-evaluation-database": (cxr, lambda d: d["applicability"]["evaluation_datasets"][0].update(
        evaluation_database=True, public=True), "MCS-AP-11", "error"),
    "annotation.software": (cxr, lambda d: _claiming(d, "MCS-SD-13") and _annotation(d)["software"][0].pop("validation"),
                            "MCS-SD-13", "error"),
    "annotation.automatic-review": (cxr, lambda d: _claiming(d, "MCS-SD-13") and _annotation(d).pop("automatic_annotation_review"),
                                    "MCS-SD-13", "error"),
    "metric.interval-missing": (cxr, lambda d: perf(d, 0).pop("confidence_interval"), "MCS-AP-03", "error"),
    "dataset.evaluation-database-qualities": (cxr, lambda d: d["applicability"]["evaluation_datasets"][0].update(
        evaluation_database=True), "MCS-AP-11", "error"),
    "performance.aspects": (cxr, lambda d: d["applicability"]["performance_requirements"].pop(2), "MCS-AP-09", "error"),
    "performance.criterion": (cxr, lambda d: d["applicability"]["performance_requirements"][0].pop("minimum"),
                              "MCS-AP-09", "error"),
    "dataset.received-sensitive": (cxr, lambda d: _set(d["source_task_data"]["datasets"][2],
                                                       ["de_identified_before_receipt"], False), "MCS-SD-11", "error"),
    "evidence.traceability-report": (cxr, lambda d: d.__setitem__("evidence", [e for e in d["evidence"]
                                     if "MCS-LC-05" not in (e.get("supports") or [])]), "MCS-LC-05", "warning"),
    "processing.tool": (ct, lambda d: d["source_task_data"]["datasets"][0]["preprocessing"][0]["tool"]
                        .pop("runtime_environment"), "MCS-SD-06", "error"),
    "range.order": (cxr, lambda d: d["source_task_data"]["datasets"][2]["distribution"]["population"]["age_range"]
                    .update(minimum=95), "MCS-SD-03", "error"),
    "range.unit": (cxr, lambda d: d["source_task_data"]["datasets"][2]["distribution"]["population"]["age_range"]
                   .update(unit="years"), "MCS-SD-03", "error"),
    "body-parts.coded": (cxr, lambda d: d["applicability"]["intended_tasks"][1].update(body_part_notes=["Chest"]),
                         "MCS-AP-01", "info"),
}


def _claiming(d, requirement):
    """``d`` claiming ``requirement`` (a missing-information rule speaks only of claimed requirements)."""
    declared = d["conformity"].setdefault("requirements", [])
    declared[:] = [e for e in declared if e.get("requirement") != requirement]
    declared.append({"requirement": requirement, "status": "claimed"})
    return d


def _annotation(d):
    """The annotation of the CXR example's in-house dataset (with annotation software and pre-labels)."""
    return d["source_task_data"]["datasets"][2]["annotation"]


def issues_of(data, rule_id, folder=CXR):
    issues, _ = check_data(data, folder)
    return [i for i in issues if i.rule == rule_id]


@pytest.mark.parametrize("rule_id", sorted(MUTATIONS))
def test_failing_card_triggers_the_check(rule_id):
    base, mutate, requirement, severity = MUTATIONS[rule_id]
    data = base()
    mutate(data)
    found = issues_of(data, rule_id)
    assert found, f"{rule_id} did not fire"
    assert found[0].requirement == requirement and found[0].severity == severity
    assert found[0].path.startswith("/") and found[0].message_zh


@pytest.mark.parametrize("rule_id", sorted(MUTATIONS))
def test_passing_card_does_not_trigger_the_check(rule_id):
    base, *_ = MUTATIONS[rule_id]
    assert issues_of(base(), rule_id) == []


def test_a_result_outside_the_cards_acceptance_criterion_names_both_numbers_in_both_languages():
    data = cxr()
    _set(data["applicability"]["performance_requirements"][0], ["minimum"], 0.9)  # sensitivity 0.91, AP subgroup 0.87
    _set(data["applicability"]["performance_requirements"][4], ["maximum"], 0.95)  # AUC 0.962 (a nonsense maximum)
    found = [(i.path, i.message, i.message_zh) for i in issues_of(data, "performance.acceptance")]
    assert found == [
        ("/applicability/performance_requirements/0/minimum",
         "the sensitivity result 0.87 (/applicability/transfer_performance/4) is below the acceptance minimum 0.9 of the "
         "false_negatives requirement: restrict the intended uses accordingly or explain the shortfall",
         "sensitivity 结果 0.87（/applicability/transfer_performance/4）低于性能指标要求“假阴性（false_negatives）”的接受下限 0.9："
         "应相应限制预期用途或说明原因"),
        ("/applicability/performance_requirements/4/maximum",
         "the auc result 0.962 (/applicability/transfer_performance/3) is above the acceptance maximum 0.95 of the "
         "robustness requirement: restrict the intended uses accordingly or explain the shortfall",
         "auc 结果 0.962（/applicability/transfer_performance/3）高于性能指标要求“鲁棒性/健壮性（robustness）”的接受上限 0.95："
         "应相应限制预期用途或说明原因"),
    ]


def test_a_performance_requirement_that_does_not_apply_needs_no_result_and_sets_no_criterion():
    data = cxr()
    req = data["applicability"]["performance_requirements"][0]
    req.update(applies=False, acceptance_metric="f1_measure")
    assert issues_of(data, "performance.result-reported") == []
    req.update(acceptance_metric="sensitivity", minimum=0.99)
    assert issues_of(data, "performance.acceptance") == []
    req.update(applies=True)
    assert [i.params["result"] for i in issues_of(data, "performance.acceptance")] == [
        "/applicability/transfer_performance/0", "/applicability/transfer_performance/4"]


def test_a_result_of_a_robustness_test_counts_as_reported():
    data = cxr()
    app = data["applicability"]
    app["transfer_performance"].pop(3)  # the only transfer AUC; the adversarial test still reports one
    assert issues_of(data, "performance.result-reported") == []
    app["robustness_tests"].pop(1)
    found = [(i.path, i.message, i.message_zh) for i in issues_of(data, "performance.result-reported")]
    assert found == [("/applicability/performance_requirements/4/acceptance_metric",
                      "the robustness requirement applies and is measured by auc, but neither the transfer performance "
                      "nor a robustness test reports a auc result",
                      "性能指标要求“鲁棒性/健壮性（robustness）”适用且以 auc 衡量，但迁移性能和鲁棒性测试结果中均没有 auc 的结果")]


def test_missing_risk_kinds_are_listed_in_one_error_with_their_labels():
    data = cxr()
    risks = data["applicability"]["risks"]
    risks[:] = [r for r in risks if r["kind"] not in ("underfitting", "population_difference")]
    found = [(i.path, i.message, i.message_zh) for i in issues_of(data, "risks.kinds")]
    assert found == [("/applicability/risks",
                      "no entry for the risks population_difference, underfitting (an entry may say why the risk does "
                      "not arise for this model)",
                      "缺少以下算法风险的条目：中外差异（population_difference）、欠拟合（underfitting）（条目可说明该风险对本模型为何不存在）")]
    data["applicability"].pop("risks")  # no list at all: the claimed requirement's missing field, not this rule
    assert issues_of(data, "risks.kinds") == []


def test_a_combined_technique_needs_an_entry_of_its_own_technique():
    data = ct()
    data["model_framework"]["algorithm_type"]["combined_techniques"] = ["transfer_learning", "ensemble_learning"]
    found = [(i.path, i.message_zh) for i in issues_of(data, "framework.combined-algorithms", CT)]
    assert found == [("/model_framework/combined_algorithms",
                      "/model_framework/algorithm_type/combined_techniques/1 声明组合使用了集成学习（ensemble_learning），"
                      "但此处没有该技术的条目（算法基本信息和选用依据）")]
    data["model_framework"]["algorithm_type"]["combined_techniques"] = ["none"]  # stated: nothing combined
    data["model_framework"].pop("combined_algorithms")
    assert issues_of(data, "framework.combined-algorithms", CT) == []


def test_an_unknown_reference_names_the_kind_of_object_in_both_languages():
    data = cxr()
    _set(perf(data, 3), ["dataset"], "ds-typo")
    data["explainability"]["factor_analysis"]["report"] = "ev-typo"
    found = {i.message: i.message_zh for i in issues_of(data, "reference.unknown")}
    assert found == {"no dataset with id 'ds-typo' is declared in the card": "模型卡中未声明标识为“ds-typo”的数据集",
                     "no evidence with id 'ev-typo' is declared in the card": "模型卡中未声明标识为“ev-typo”的证据"}


def test_provenance_names_a_value_of_the_card_and_an_inferred_value_its_rule():
    data = cxr()
    data["provenance"] = [{"pointer": "/evidence/ev-verify-case1", "origin": "measured"},
                          {"pointer": "/name", "origin": "inferred"},
                          {"pointer": "/name", "origin": "inferred", "rule": "monai.batch-first"},
                          {"pointer": "/evidence/0", "origin": "measured"},
                          {"pointer": "/evidence/00", "origin": "measured"},
                          {"pointer": "/provenance/0", "origin": "imported"},
                          {"pointer": "/evidence/\u00b2", "origin": "imported"},  # a digit, but no ASCII index
                          {"pointer": "", "origin": "imported"},
                          {"pointer": "/name", "origin": "imported", "rule": "made.up"},
                          {"pointer": "/nothing", "origin": "imported"}]
    found = [(i.path, i.params.get("pointer")) for i in issues_of(data, "provenance.entry")]
    assert found == [("/provenance/0/pointer", "/evidence/ev-verify-case1"), ("/provenance/1/rule", "/name"),
                     ("/provenance/4/pointer", "/evidence/00"), ("/provenance/5/pointer", "/provenance/0"),
                     ("/provenance/6/pointer", "/evidence/\u00b2"), ("/provenance/7/pointer", ""),
                     ("/provenance/8/rule", "/name"), ("/provenance/9/pointer", "/nothing")]


def test_a_rule_of_no_requirement_that_cannot_finish_is_still_reported(monkeypatch):
    """A check that fails on a card makes it invalid even when it reports against no requirement (it
    used to vanish: the failure was reported once per requirement of the check, and it had none)."""
    from modelcard_spec.check.rules import base

    def broken(ctx):
        raise ValueError("boom")
        yield

    monkeypatch.setitem(RULES, "provenance.entry", base.Rule(RULES["provenance.entry"].check, broken))
    issues, _ = check_data(cxr(), CXR)
    [issue] = [i for i in issues if i.rule == "internal.rule-failed"]
    assert issue.requirement is None and "provenance.entry" in issue.message and "无法确认模型卡有效" in issue.message_zh


def test_every_registered_rule_has_a_failing_card():
    file_based = {"evidence.sha256"}  # covered by the file tests below
    assert set(RULES) - file_based <= set(MUTATIONS)


def test_a_claimed_requirement_that_is_wrong_makes_its_status_nonconforming():
    data = cxr()
    _set(perf(data, 1), ["value"], 0.95)
    _, statuses = check_data(data, CXR)
    assert {s["id"]: s["status"] for s in statuses}["MCS-AP-03"] == "nonconforming"


def test_a_requirement_not_adopted_is_not_adopted_with_its_reason_and_justification():
    _, statuses = check_data(cxr(), CXR)
    entry = next(s for s in statuses if s["id"] == "MCS-ND-04")
    assert entry["status"] == "not_adopted" and entry["reason"] == "not_relevant_to_model"
    assert "state dict" in entry["justification"] and "状态字典" in entry["justification_zh"]


def test_conditional_requirement_only_applies_when_its_condition_holds():
    data = ct()  # white box? no: black box, so MCS-EX-03 applies (and awaits a reviewer)
    _, statuses = check_data(data, CT)
    assert {s["id"]: s["status"] for s in statuses}["MCS-EX-03"] == "awaiting_evaluation"
    data["model_framework"]["algorithm_type"]["transparency"] = "white_box"
    del data["explainability"]["factor_analysis"]
    _, statuses = check_data(data, CT)
    assert {s["id"]: s["status"] for s in statuses}["MCS-EX-03"] == "not_applicable"


def test_open_source_provision_is_required_of_open_source_cards_even_if_not_claimed():
    data = ct()
    data["conformity"]["claim_all"] = False
    del data["model_parameters"]["weight_files"][0]["download_url"]
    found = issues_of(data, "conformity.missing-field", CT)
    assert [i.requirement for i in found] == ["MCS-GEN-08"]


def copy_example(tmp_path, example=CT):
    target = tmp_path / example.name
    shutil.copytree(example, target)
    return target


def test_splits_that_share_samples_in_fact_are_reported(tmp_path):
    folder = copy_example(tmp_path)
    first = (folder / "evidence" / "split_training.txt").read_text().splitlines()[0]
    with (folder / "evidence" / "split_tuning.txt").open("a") as fh:
        fh.write(first + "\n")
    data = read_card(folder / "card.yaml").data
    found = issues_of(data, "splits.disjoint", folder)
    assert found and "share 1 sample" in found[0].message and first in found[0].message
    assert issues_of(read_card(CT / "card.yaml").data, "splits.disjoint", CT) == []


def test_split_roles_are_named_by_their_chinese_titles_from_the_schema(tmp_path):
    folder = copy_example(tmp_path)
    first = (folder / "evidence" / "split_training.txt").read_text().splitlines()[0]
    with (folder / "evidence" / "split_tuning.txt").open("a") as fh:
        fh.write(first + "\n")
    [found] = issues_of(read_card(folder / "card.yaml").data, "splits.disjoint", folder)
    assert found.message_zh.startswith("训练集的样本清单“evidence/split_training.txt”与调优集的样本清单“evidence/split_tuning.txt”"
                                       "有 1 个共同样本"), found.message_zh
    assert "自 " not in found.message_zh and " 的样本清单" not in found.message_zh  # no raw role value


def test_evidence_hash_mismatch_is_an_error_and_missing_file_a_warning(tmp_path):
    folder = copy_example(tmp_path)
    (folder / "evidence" / "flowchart.md").write_text("edited\n")
    (folder / "evidence" / "factor_analysis.md").unlink()
    result = validate_file(folder / "card.yaml")
    found = {(i.severity, i.path) for i in result.issues if i.rule == "evidence.sha256"}
    assert found == {("error", "/evidence/0/sha256"), ("warning", "/evidence/4/path")}


def test_symlink_leaving_the_folder_is_an_error(tmp_path):
    folder = copy_example(tmp_path)
    outside = tmp_path / "secret.txt"
    outside.write_text("outside\n")
    link = folder / "evidence" / "flowchart.md"
    link.unlink()
    link.symlink_to(outside)
    result = validate_file(folder / "card.yaml")
    assert any(i.rule == "evidence.path" and "leaves the card's folder" in i.message for i in result.issues)


# --- evidence files: one containment rule, every entry on its own, a check that cannot finish fails

def test_a_rule_that_cannot_finish_makes_its_requirements_nonconforming(monkeypatch):
    from modelcard_spec.check.rules import Rule

    def broken(ctx):
        yield from ()
        raise OSError(36, "File name too long")

    original = RULES["splits.disjoint"]
    check = original.check.replace(requirements=("MCS-TR-04", "MCS-TR-03"))
    monkeypatch.setitem(RULES, "splits.disjoint", Rule(check, broken))
    issues, statuses = check_data(cxr(), CXR)
    failed = [i for i in issues if i.rule == "internal.rule-failed"]
    assert {(i.severity, i.requirement) for i in failed} == {("error", "MCS-TR-04"), ("error", "MCS-TR-03")}
    assert all("could not be completed" in i.message and "未能完成" in i.message_zh for i in failed)
    status = {s["id"]: s["status"] for s in statuses}
    assert status["MCS-TR-04"] == status["MCS-TR-03"] == "nonconforming"


@pytest.mark.parametrize("rel,reason", [("evidence/a\x00b.md", "cannot hold"), ("evidence/\ud800.md", "cannot hold"),
                                        ("/etc/passwd", "absolute"), ("../outside.md", "leaves the card's folder")])
def test_open_evidence_refuses_paths_it_cannot_contain(tmp_path, rel, reason):
    from modelcard_spec.spec.evidence import EvidenceError, open_evidence

    folder = copy_example(tmp_path)
    with pytest.raises(EvidenceError) as info:
        open_evidence(folder, rel)
    assert reason in info.value.reason and info.value.reason_zh and not info.value.missing


def test_an_unreadable_evidence_file_is_a_located_error(tmp_path, monkeypatch):
    import errno
    import os

    from modelcard_spec.spec import evidence

    folder = copy_example(tmp_path)
    real_open = os.open

    def denied(path, flags, *args, **kwargs):  # the tests may run as root, who can read any file
        if str(path).endswith("flowchart.md"):
            raise PermissionError(errno.EACCES, "Permission denied")
        return real_open(path, flags, *args, **kwargs)

    monkeypatch.setattr(evidence.os, "open", denied)
    result = validate_file(folder / "card.yaml")
    found = [i for i in result.issues if i.rule == "evidence.sha256"]
    assert [(i.severity, i.path) for i in found] == [("error", "/evidence/0/path")]
    assert "permission denied" in found[0].message and "无访问权限" in found[0].message_zh


def test_a_folder_swapped_for_a_link_while_the_file_is_opened_is_refused(tmp_path, monkeypatch):
    """The race that resolving first and opening later leaves: a folder on the resolved path is
    replaced by a link to outside between the two. Containment is checked again on what was opened."""
    import os

    from modelcard_spec.spec import evidence as evidence_module

    folder = copy_example(tmp_path)
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "flowchart.md").write_text("outside-secret\n")
    evidence = folder / "evidence"
    real_stat = os.stat

    def swap_then_stat(path, *args, **kwargs):
        if str(path).endswith("flowchart.md") and not evidence.is_symlink():
            os.rename(evidence, folder / "evidence-moved")
            evidence.symlink_to(outside)
        return real_stat(path, *args, **kwargs)

    monkeypatch.setattr(evidence_module.os, "stat", swap_then_stat)
    with pytest.raises(evidence_module.EvidenceError) as info:
        evidence_module.open_evidence(folder, "evidence/flowchart.md")
    assert "leaves the card's folder" in info.value.reason


def test_nothing_is_cached_across_validations(tmp_path):
    """A file changed in place, keeping its size and modification time, is read again."""
    import os

    folder = copy_example(tmp_path)
    evidence = folder / "evidence" / "flowchart.md"
    assert validate_file(folder / "card.yaml").valid
    st = evidence.stat()
    data = evidence.read_bytes()
    evidence.write_bytes(bytes([data[0] ^ 1]) + data[1:])
    os.utime(evidence, ns=(st.st_atime_ns, st.st_mtime_ns))
    assert [i.path for i in validate_file(folder / "card.yaml").issues if i.rule == "evidence.sha256"] == \
        ["/evidence/0/sha256"]


def test_a_sample_list_changed_between_validations_is_read_again(tmp_path):
    """Sample lists, like hashes, are remembered only within one validation."""
    folder = copy_example(tmp_path)
    first = (folder / "evidence" / "split_training.txt").read_text().splitlines()[0]
    assert issues_of(read_card(folder / "card.yaml").data, "splits.disjoint", folder) == []
    with (folder / "evidence" / "split_tuning.txt").open("a") as fh:
        fh.write(first + "\n")
    assert issues_of(read_card(folder / "card.yaml").data, "splits.disjoint", folder)


def test_paths_are_resolved_as_realpath_resolves_them(tmp_path):
    """The fast resolution below the card's real folder agrees with os.path.realpath."""
    import os

    from modelcard_spec.spec.evidence import _real_below

    root = os.path.realpath(tmp_path)
    (tmp_path / "a" / "b").mkdir(parents=True)
    (tmp_path / "a" / "b" / "f").write_text("x")
    (tmp_path / "a" / "l").symlink_to("b")
    (tmp_path / "a" / "out").symlink_to("/etc")
    (tmp_path / "a" / "b" / "g").symlink_to("../b/f")
    (tmp_path / "a" / "loop").symlink_to("loop")
    for rel in ("a/b/f", "a/l/f", "a/out/passwd", "a/b/g", "a/b/g/", "a/b/../b/f", "./a//b/f", "a/missing/x",
                "a/b/f/x", "..", "a/../../x", "a/l/../b/f", "a/loop/x", "a/" + "x" * 300 + "/f", "", ".", "a\\b"):
        assert _real_below(root, rel) == os.path.realpath(os.path.join(root, rel)), rel


def test_lines_are_counted_as_splitlines_splits_them():
    """Sample lists are measured in lines before they are split; the count is exact."""
    import random

    from modelcard_spec.check.evidence_reader import _line_count

    pieces = ["a", "b", " ", "\n", "\r", "\r\n", "\x0b", "\x0c", "\x1c", "\x1d", "\x1e", "\x85", "\u2028",
              "\u2029", "\u3000"]
    rng = random.Random(13)
    for _ in range(5000):
        text = "".join(rng.choice(pieces) for _ in range(rng.randrange(8)))
        assert _line_count(text) == len(text.splitlines()), repr(text)


# --------------------------------------------------------------------------- declared versions


def test_an_unknown_schema_version_is_an_error_naming_the_known_versions():
    from modelcard_spec.spec.resources import known_schema_versions

    data = cxr()
    data["schema_version"] = "9.9.9"
    (issue,) = issues_of(data, "schema.version")
    assert issue.severity == "error" and issue.path == "/schema_version" and issue.requirement == "MCS-GEN-01"
    for version in known_schema_versions():
        assert version in issue.message and version in issue.message_zh
    assert "'9.9.9'" in issue.message and "已知" in issue.message_zh
    assert not issues_of(cxr(), "schema.version")


# --------------------------------------------------------------------------- declarations of any shape


@pytest.mark.parametrize("conformity", [
    {"standard": "YY/T 1833.5-2024", "catalogue_version": "0.1.0", "claim_all": True, "requirements": 1.5},
    {"standard": "YY/T 1833.5-2024", "catalogue_version": "0.1.0", "claim_all": True, "requirements": "MCS-GEN-01"},
    {"standard": "YY/T 1833.5-2024", "catalogue_version": "0.1.0", "claim_all": True, "requirements": {"a": 1}},
    {"standard": "YY/T 1833.5-2024", "catalogue_version": "0.1.0", "claim_all": True,
     "requirements": [1, None, ["MCS-GEN-01"], {"requirement": ["MCS-GEN-01"]}, {"requirement": "MCS-GEN-02", "status": []}]},
    [1, 2], "claimed", 7,
])
def test_a_declaration_of_the_wrong_shape_gets_its_diagnostics(conformity):
    data = cxr()
    data["conformity"] = conformity
    issues, statuses = check_data(data, CXR)
    assert any(i.rule.startswith("schema.") and i.path.startswith("/conformity") for i in issues)
    assert not [i for i in issues if i.rule.startswith("internal")]
    # a declaration that claims all is broken: nonconforming; one that is no mapping claims nothing
    claims = isinstance(conformity, dict) and conformity.get("claim_all") is True
    assert {s["id"]: s["status"] for s in statuses}["MCS-GEN-07"] == ("nonconforming" if claims else "not_claimed")


# --------------------------------------------------------------------------- at most 1,000 diagnostics


def _card_with(tmp_path, name, mutate):
    """The CXR example, mutated, written as JSON beside a copy of its evidence."""
    import json

    data = cxr()
    mutate(data)
    path = tmp_path / "card" / name
    path.parent.mkdir(parents=True, exist_ok=True)
    shutil.copytree(CXR / "evidence", path.parent / "evidence", dirs_exist_ok=True)
    path.write_text(json.dumps(data, indent=1), encoding="utf-8")
    return path


def test_diagnostics_stop_at_1000_then_say_how_many_more(tmp_path):
    """994 schema errors and dozens of missing fields: every check ran, so the count is exact."""
    from modelcard_spec.check.pipeline import MAX_ISSUES, check_data, validate_card

    def mutate(data):
        data["license"]["use_restrictions"] = list(range(990))
        for key in ("model_framework", "input_output", "training_process", "applicability"):
            data.pop(key)

    path = _card_with(tmp_path, "card.json", mutate)
    everything, _ = check_data(read_card(path).data, path.parent)
    assert len(everything) > MAX_ISSUES
    result, _ = validate_card(path)
    assert len(result.issues) == MAX_ISSUES + 1
    last = result.issues[-1]
    assert last.rule == "internal.issue-limit" and last.severity == "error" and last.line
    more = len(everything) - MAX_ISSUES
    assert f"{more:,} more issue" in last.message and f"另有 {more:,} 个问题未列出" in last.message_zh
    assert "conforms" in {s["status"] for s in result.requirements}


def test_a_card_with_a_flood_of_errors_is_checked_only_up_to_the_limit(tmp_path, monkeypatch):
    """15,000 wrong items: checking stops after 1,001 schema errors (no more are made, counted, not
    timed: the time it takes is a benchmark's business), and then no requirement is reported as
    conforming, since not every field was checked."""
    from modelcard_spec.check import structural
    from modelcard_spec.check.pipeline import MAX_ISSUES, validate_card

    made = []
    iter_issues = structural.iter_issues

    def counted(*args, **kwargs):
        for issue in iter_issues(*args, **kwargs):
            made.append(issue)
            yield issue

    monkeypatch.setattr(structural, "iter_issues", counted)
    path = _card_with(tmp_path, "card.json", lambda d: d["license"].__setitem__("use_restrictions", [1] * 15_000))
    result, _ = validate_card(path)
    assert len(made) == MAX_ISSUES + 1
    assert len(result.issues) == MAX_ISSUES + 1 and not result.valid
    last = result.issues[-1]
    assert last.rule == "internal.issue-limit" and last.severity == "error"
    assert "at least" in last.message and "至少" in last.message_zh and "conforming" in last.message
    statuses = {s["status"] for s in result.requirements}
    assert "conforms" not in statuses and "nonconforming" in statuses
    unchecked = [s for s in result.requirements if s.get("justification", "").startswith("not every field")]
    assert unchecked and all(s["justification_zh"] for s in unchecked)


@pytest.mark.parametrize("fmt", ["json", "text", "sarif", "markdown"])
def test_the_limit_diagnostic_appears_in_every_format_and_language(tmp_path, fmt):
    import subprocess
    import sys

    path = _card_with(tmp_path, "card.json", lambda d: d["license"].__setitem__("use_restrictions", [1] * 1500))
    for lang, words in (("en", "more issue(s) from here on are not listed"), ("zh", "个问题未列出")):
        proc = subprocess.run([sys.executable, "-m", "modelcard_spec.cli", "validate", str(path), "--format", fmt,
                               "--lang", lang], capture_output=True, text=True, timeout=60)
        assert proc.returncode == 1 and "Traceback" not in proc.stderr
        assert "internal.issue-limit" in proc.stdout
        if fmt in ("json", "sarif"):
            assert "more issue(s) from here on are not listed" in proc.stdout and "个问题未列出" in proc.stdout
        else:
            assert words in proc.stdout


# --------------------------------------------------------------------------- one card's failure is its own


def test_a_failure_of_the_checks_fails_that_card_only_even_in_a_batch(tmp_path, monkeypatch, capsys):
    """A bug that raises on one card gives that card an internal.check-failed error (exit 1); the
    other cards of a --jobs batch are checked as usual (the pool's worker processes are forked after
    the patch, so they share it)."""
    from modelcard_spec.check import conformity
    from modelcard_spec import cli
    from modelcard_spec.check.pipeline import validate

    real = conformity.declaration_issues

    def broken(data, provider_kind):
        if data.get("name") == "boom":
            raise TypeError("a bug")
        return real(data, provider_kind)

    monkeypatch.setattr(conformity, "declaration_issues", broken)
    paths = []
    for i in range(4):
        path = _card_with(tmp_path / str(i), "card.json", (lambda d: d.__setitem__("name", "boom")) if i == 1 else (lambda d: None))
        paths.append(str(path))
    report = validate(paths, jobs=2)
    assert [r.card for r in report.results] == paths
    boom = report.results[1]
    assert [i.rule for i in boom.issues] == ["internal.check-failed"] and not boom.valid and boom.readable
    assert "TypeError" in boom.issues[0].message and "请报告" in boom.issues[0].message_zh
    assert all(r.valid for i, r in enumerate(report.results) if i != 1)
    assert cli.main(["validate", *paths, "--jobs", "2", "--format", "json"]) == 1
    assert "internal.check-failed" in capsys.readouterr().out


def test_the_compiled_validators_errors_are_reported_when_the_explaining_one_finds_none(monkeypatch):
    """The compiled validator decides whether a card is valid: should the pure-Python one, which words the
    messages, find nothing wrong with a card the compiled one rejects, the compiled one's errors are
    reported, so the card is never both rejected and without diagnostics."""
    import jsonschema

    from modelcard_spec.check import structural

    data = cxr()
    data["name"] = 42
    data["version"] = "1.0.0\n"
    monkeypatch.setattr(structural, "_validator", lambda: jsonschema.Draft201909Validator({}))
    issues = {i.path: i for i in structural.check(data)}
    assert issues["/name"].rule == "schema.type" and issues["/name"].requirement == "MCS-GEN-01"
    assert issues["/version"].rule == "schema.pattern" and "格式" in issues["/version"].message_zh


def test_patterns_end_where_the_text_ends_on_both_paths():
    """JSON Schema patterns are ECMA-262: '$' does not match before a final newline, on the compiled
    path and on the explaining path alike (here taken because the name is wrong too)."""
    from modelcard_spec.check import structural

    data = cxr()
    data["version"] = "1.0.0\n"
    assert [i.path for i in structural.check(data)] == ["/version"]
    data["name"] = 42
    assert sorted(i.path for i in structural.check(data)) == ["/name", "/version"]


def test_lone_surrogates_in_data_handed_to_the_library_are_located_errors():
    """The loader refuses files holding a lone surrogate; data given to the library directly can still
    hold one, and the compiled validator can neither encode nor judge it: each is a located error."""
    data = cxr()
    data["summary"] = "x\udcff"
    data["x\ud800"] = 1
    issues, statuses = check_data(data, CXR)
    found = {(i.rule, i.path) for i in issues}
    assert ("schema.text", "/summary") in found and ("schema.text", "/x\ud800") in found
    assert not [i for i in issues if i.rule.startswith("internal")]
    assert all(i.message_zh for i in issues if i.rule == "schema.text")


def test_an_absent_sample_list_leaves_disjointness_unchecked(tmp_path):
    """A sample list that is not beside the card was only a warning of evidence.sha256 (MCS-LC-05)
    and MCS-TR-04 conformed without the splits ever being compared: now splits.disjoint says the
    check could not be made, an error under MCS-TR-04, located at the split's sample_list."""
    folder = copy_example(tmp_path)
    (folder / "evidence" / "split_tuning.txt").unlink()
    result = validate_file(folder / "card.yaml")
    [found] = [i for i in result.issues if i.rule == "splits.disjoint"]
    assert found.severity == "error" and found.requirement == "MCS-TR-04"
    assert found.path.startswith("/training_process/data_splits/splits/") and found.path.endswith("/sample_list")
    assert "split_tuning.txt' does not exist, so whether the splits share samples could not be checked" in found.message
    assert "不存在，无法核验各子集是否共享样本" in found.message_zh
    assert [i.severity for i in result.issues if i.rule == "evidence.sha256"] == ["warning"]


def test_structural_messages_quote_field_titles_in_chinese():
    """A title holding Latin text (SHA-256) is set off by quotation marks, never run into the Chinese;
    the field's key follows its title in brackets."""
    from modelcard_spec.check import structural

    data = cxr()
    data["model_parameters"]["weight_files"][0]["sha256"] = "zz"
    data["model_parameters"]["total_parameters"] = "x"
    issues = {i.path: i.message_zh for i in structural.check(data, data.get("provider_kind"))}
    assert issues["/model_parameters/weight_files/0/sha256"] == ("'zz' 不符合“SHA-256（model_parameters.weight_files[].sha256）”"
                                                             "的格式（正则表达式 ^[a-f0-9]{64}$）")
    assert issues["/model_parameters/total_parameters"] == "“参数总量（model_parameters.total_parameters）”应为整数，而不是字符串（'x'）"


# --- messages: every variant of every rule renders in both languages from the parameters it is given

def _evidence_folder(tmp_path):
    """A copy of the CT example whose files give the file-based variants something to find: the tuning
    list shares a sample with the training list, the flowchart was edited after it was hashed, the
    factor analysis is gone, and there is a folder where a file could be named."""
    folder = copy_example(tmp_path)
    first = (folder / "evidence" / "split_training.txt").read_text().splitlines()[0]
    with (folder / "evidence" / "split_tuning.txt").open("a") as fh:
        fh.write(first + "\n")
    (folder / "evidence" / "flowchart.md").write_text("edited\n")
    (folder / "evidence" / "factor_analysis.md").unlink()
    (folder / "evidence" / "a-folder").mkdir()
    return folder


def _splits(d):
    return d["training_process"]["data_splits"]["splits"]


def _evidence_of(d, ident):
    return next(e for e in d["evidence"] if e["id"] == ident)


def _result(**result):
    """A mutation appending a metric result on the CXR test set."""
    return lambda d: d["applicability"]["transfer_performance"].append({"dataset": "ds-cxr-cn-3h-test", **result})


def _roc(*points, **extra):
    return {"x_axis": "false_positive_rate", "y_axis": "sensitivity", "points": [{"x": x, "y": y} for x, y in points],
            **extra}


VARIANTS = {
    # (rule id, message variant): (base card, mutation) for the variants that neither the examples nor
    # MUTATIONS reach; a base of None is the CT example in the folder of _evidence_folder
    ("range.unit", "age-missing"): (cxr, lambda d: d["source_task_data"]["datasets"][2]["distribution"]["population"]
                                    ["age_range"].pop("unit")),
    ("range.unit", "length"): (cxr, lambda d: d["source_task_data"]["datasets"][0].update(
        acquisition_profile={"slice_thickness": {"maximum": 5, "unit": "T"}})),
    ("range.unit", "length-missing"): (cxr, lambda d: d["source_task_data"]["datasets"][0].update(
        acquisition_profile={"pixel_spacing": {"minimum": 0.1}})),
    ("body-parts.coded", "spelling"): (cxr, lambda d: d["applicability"]["intended_tasks"][0].update(
        body_parts=["Chest"])),
    ("augmentation.test-set", "justified"): (cxr, lambda d: d["training_process"]["augmentations"][0].update(
        object="test_set", justification="Test images are rotated to measure invariance the device relies on.")),
    ("metric.result-shape", "curve-missing"): (cxr, _result(metric="froc_curve")),
    ("metric.result-shape", "matrix-value"): (cxr, _result(metric="confusion_matrix", value=0.9)),
    ("metric.result-shape", "matrix-missing"): (cxr, _result(metric="confusion_matrix")),
    ("metric.result-shape", "value-missing"): (cxr, _result(metric="dice_coefficient")),
    ("metric.result-shape", "scalar-curve"): (cxr, _result(metric="accuracy", value=0.9, curve=_roc((0.1, 0.8), (0.2, 0.9)))),
    ("metric.result-shape", "curve-type"): (cxr, _result(metric="accuracy", value=0.9, curve_type="roc")),
    ("metric.curve", "axes"): (cxr, _result(metric="roc_curve", curve={**_roc((0.1, 0.8), (0.2, 0.9)),
                                                                       "x_axis": "case_false_positive_rate"})),
    ("metric.curve", "too-few"): (cxr, _result(metric="roc_curve", curve=_roc((0.1, 0.8)))),
    ("metric.curve", "negative"): (cxr, _result(metric="froc_curve", curve={
        "x_axis": "non_lesion_localization_rate", "y_axis": "lesion_localization_rate",
        "points": [{"x": -1, "y": 0.5}, {"x": 2, "y": 0.9}]})),
    ("metric.curve", "falls"): (cxr, _result(metric="roc_curve", curve=_roc((0.1, 0.8), (0.2, 0.7)))),
    ("metric.curve", "area-range"): (cxr, _result(metric="auc", curve_type="roc", value=1.5)),
    ("metric.curve", "area-negative"): (cxr, _result(metric="average_precision", value=-0.5)),
    ("metric.curve-agreement", "operating-point"): (cxr, _result(metric="roc_curve", curve=_roc(
        (0.1, 0.8), (0.2, 0.9), operating_point={"x": 0.5, "y": 0.5}))),
    ("metric.matrix", "labels"): (cxr, _result(metric="confusion_matrix", multiclass_confusion_matrix={
        "labels": ["a", "a"], "rows": [{"label": "a", "cells": [1, 0]}, {"label": "a", "cells": [0, 1]}]})),
    ("metric.matrix", "row-label"): (cxr, _result(metric="confusion_matrix", multiclass_confusion_matrix={
        "labels": ["a", "b"], "rows": [{"label": "b", "cells": [1, 0]}, {"label": "a", "cells": [0, 1]}]})),
    ("metric.latency", "negative"): (cxr, _result(metric="latency", value=-1.0, unit="ms")),
    ("metric.latency", "percentile"): (cxr, _result(metric="latency", value=10.0, unit="ms", percentile=120)),
    ("metric.latency", "order"): (cxr, _result(metric="latency", value=30.0, unit="ms", percentile=99, sample_size=1000,
                                               task="pneumothorax detection (linear probe)", measurement_conditions=(
        "One NVIDIA T4 16 GB, batch size 1, 512 × 512 input, feature extraction and linear head, file already in memory."))),
    ("metric.repeated-measurement", "missing"): (cxr, _result(metric="reproducibility", value=0.9)),
    ("metric.repeated-measurement", "repeatability-changed"): (cxr, _result(
        metric="repeatability", value=0.9, repeated_measurement={"repeated_runs": 2, "facilities": 2})),
    ("metric.repeated-measurement", "reproducibility-unchanged"): (cxr, _result(
        metric="reproducibility", value=0.9, repeated_measurement={"repeated_runs": 2, "operators": 1, "facilities": 1})),
    ("metric.repeated-measurement", "measurements"): (cxr, _result(
        metric="repeatability", value=0.9, sample_size=10, repeated_measurement={"repeated_runs": 2, "measurements": 30})),
    ("performance.criterion", "nothing"): (cxr, lambda d: d["applicability"]["performance_requirements"][2].pop("rationale")),
    ("annotation.roles", "no-primary"):
        (cxr, lambda d: _set(d["source_task_data"]["datasets"][2]["annotation"], ["roles"], [{"role": "reviewer"}])),
    ("provenance.entry", "no-rule"): (cxr, lambda d: d.setdefault("provenance", []).append(
        {"pointer": "/name", "origin": "inferred"})),
    ("provenance.entry", "rule-not-inferred"): (cxr, lambda d: d.setdefault("provenance", []).append(
        {"pointer": "/name", "origin": "imported", "rule": "made.up"})),
    ("dates.order", "training"): (cxr, lambda d: _set(d["training_process"], ["training_start_date"], "2030-01-01")),
    ("dates.order", "collection"):
        (cxr, lambda d: _set(d["source_task_data"]["datasets"][0], ["time_span_start"], "2999-01-01")),
    ("io.node-names", "output"): (cxr, lambda d: _set(d["input_output"]["outputs"][0], ["node"], "pooled")),
    ("metric.confusion-matrix", "sample-size"): (cxr, lambda d: _set(perf(d, 1), ["sample_size"], 1)),
    ("metric.interval", "level"): (cxr, lambda d: _set(perf(d, 0), ["confidence_interval", "level"], 1)),
    ("metric.interval", "inverted"): (cxr, lambda d: perf(d, 0)["confidence_interval"].update(lower=0.9, upper=0.1)),
    ("weights.pickle-safe-loading", "unnamed"):
        (cxr, lambda d: [_not_adopting_pa06(d)["model_parameters"]["weight_files"][0].pop(k)
                         for k in ("safe_loading", "file_name")]),
    ("splits.disjoint", "shared"): (None, lambda d: None),
    ("splits.disjoint", "unreadable"): (None, lambda d: _set(_evidence_of(d, "ev-split-tuning"), ["path"], "evidence/absent.txt")),
    ("splits.disjoint", "too-many"): (None, lambda d: _splits(d).extend([dict(_splits(d)[0])] * MAX_SAMPLE_LISTS)),
    ("evidence.sha256", "mismatch"): (None, lambda d: None),
    ("evidence.sha256", "missing"): (None, lambda d: None),
    ("evidence.sha256", "unreadable"): (None, lambda d: _set(_evidence_of(d, "ev-config"), ["path"], "evidence/a-folder")),
    # an area the card's update control does not classify, major by the catalogue's update rules
    ("lifecycle.update-type-contradicts-criteria", "minor-default"):
        (cxr, lambda d: d["change_history"][0]["changed_areas"].append("intended_use")),
    # 3.0.0 is declared major, but only a training run and weights changed (a note)
    ("lifecycle.update-type-contradicts-criteria", "major"):
        (cxr, lambda d: _set(d["change_history"][1], ["changed_areas"], ["training_run", "weights"])),
    ("performance.acceptance", "above"):
        (ct, lambda d: _set(d["applicability"]["performance_requirements"][6], ["maximum"], 3.0)),
}




def test_every_variant_of_every_rule_renders_in_both_languages_from_its_parameters(tmp_path):
    """Run every rule over the examples, the invalid examples and the mutated cards: each issue of a rule
    carries parameters (JSON values) from which the registry renders exactly its two messages, and every
    message variant of every rule is reached this way."""
    folder = _evidence_folder(tmp_path)
    ct_in_folder = read_card(folder / "card.yaml").data
    cards = [("example " + p.name, read_card(p).data, p.parent, None) for p in VALID_CARDS + INVALID_CARDS]
    for rule_id, (base, mutate, *_) in sorted(MUTATIONS.items()):
        data = base()
        mutate(data)
        cards.append((rule_id, data, CXR, None))
    for key, (base, mutate) in VARIANTS.items():
        data = base() if base else copy.deepcopy(ct_in_folder)
        mutate(data)
        cards.append((key, data, CXR if base else folder, key))
    seen = set()
    for label, data, where, wanted in cards:
        issues, _ = check_data(data, where)
        for issue in (i for i in issues if i.rule in RULES):
            check = RULES[issue.rule].check
            assert (issue.message, issue.message_zh) in renderings(check, issue.params or {}), (label, issue)
            assert json.loads(json.dumps(issue.params or {}, allow_nan=False)) == (issue.params or {}), (label, issue)
        reported = {(i.rule, i.path, i.message, i.message_zh): i.params for i in issues}
        ctx, found = Context(data, where), set()
        for rule in RULES.values():
            for finding in rule.run(ctx):
                en, zh = rule.check.render(finding.variant, finding.params)
                assert en and zh and reported[(rule.id, finding.path, en, zh)] == (finding.params or None), label
                found.add((rule.id, finding.variant))
        assert wanted is None or wanted in found, f"{label} did not reach its variant: {sorted(found)}"
        seen |= found
    assert seen == {(rule.id, variant) for rule in RULES.values() for variant in rule.check.messages}


@pytest.mark.parametrize("rule_id,variant", [("compression.none-alone", "no-such-variant"),
                                             ("metric.proportion-range", "")])  # a variant, its parameters
def test_a_finding_the_rules_templates_cannot_render_fails_the_rule(monkeypatch, rule_id, variant):
    from modelcard_spec.check.rules import Rule, found

    original = RULES[rule_id]
    with pytest.raises(KeyError):
        original.check.render(variant, {})
    monkeypatch.setitem(RULES, rule_id, Rule(original.check, lambda ctx: iter([found("/name", variant)])))
    issues, statuses = check_data(cxr(), CXR)
    assert not [i for i in issues if i.rule == rule_id]
    failed = [i for i in issues if i.rule == "internal.rule-failed"]
    assert [(i.requirement, i.params["check"], i.params["exception"]) for i in failed] == \
        [(original.requirements[0], rule_id, "KeyError")]
    assert {s["id"]: s["status"] for s in statuses}[original.requirements[0]] == "nonconforming"


def test_a_remembered_evidence_error_keeps_why_it_was_refused(tmp_path):
    """The reader remembers a refused path and raises it again as a new error: that error still says
    the path leaves the folder (``outside``), as the first one did, and is the same diagnostic."""
    from modelcard_spec.check.evidence_reader import EvidenceReader
    from modelcard_spec.spec.evidence import EvidenceError

    (tmp_path / "card").mkdir()
    (tmp_path / "secret.md").write_text("x")
    (tmp_path / "card" / "link.md").symlink_to(tmp_path / "secret.md")
    reader = EvidenceReader(tmp_path / "card")
    raised = []
    for _ in range(2):
        with pytest.raises(EvidenceError) as info:
            reader.resolve("link.md")
        raised.append(info.value)
    assert raised[0] is not raised[1]
    assert [e.outside for e in raised] == [True, True] and raised[0].issue == raised[1].issue
    assert raised[1].reason == "leaves the card's folder" and raised[1].reason_zh == "超出了模型卡所在文件夹"


# --- the rules on the source-task data and training fields, case by case

def _rule_issues(data, rule_id, folder=CXR):
    return [(i.path, i.severity, i.requirement, i.message, i.message_zh) for i in issues_of(data, rule_id, folder)]


def test_an_augmented_test_set_is_an_error_without_a_justification_and_a_warning_for_a_reviewer_with_one():
    data = cxr()
    augmentation = data["training_process"]["augmentations"][0]
    augmentation["object"] = "test_set"
    [(path, severity, _, en, zh)] = _rule_issues(data, "augmentation.test-set")
    assert (path, severity) == ("/training_process/augmentations/0/object", "error")
    assert "no justification" in en and "原则上不得对测试集进行数据扩增，对抗测试除外" in zh
    augmentation["justification"] = "Rotated copies measure the rotation invariance the device relies on."
    [(path, severity, _, en, zh)] = _rule_issues(data, "augmentation.test-set")
    assert severity == "warning" and "a reviewer must judge" in en and "应由审核人员判断" in zh
    augmentation["justification"] = "  "  # a blank justification is none
    assert [i[1] for i in _rule_issues(data, "augmentation.test-set")] == ["error"]
    augmentation["object"] = "adversarial_test_set"
    assert _rule_issues(data, "augmentation.test-set") == []


def test_the_test_set_rule_does_not_call_the_guides_in_principle_absolute():
    check = RULES["augmentation.test-set"].check
    assert "原则上" in check.title_zh and "不应" not in check.title_zh and "In principle" in check.title


def test_a_gan_augmentation_needs_the_networks_description():
    data = cxr()
    augmentation = data["training_process"]["augmentations"][0]
    augmentation["methods"] = ["generative_adversarial_network"]
    assert [i[0] for i in _rule_issues(data, "augmentation.gan-generator")] == ["/training_process/augmentations/0/methods"]
    augmentation["generator"] = "StyleGAN2 trained on the training set only, chosen for rare-finding synthesis."
    assert _rule_issues(data, "augmentation.gan-generator") == []


@pytest.mark.parametrize("annotated,augmented,multiplier,fires", [
    (300, 600, 2, False),         # exact
    (341, 511, 1.5, False),       # 511.5 rounded down
    (341, 512, 1.5, False),       # and up
    (300, 400, 1.33, False),      # the multiplier is 400/300 rounded to two decimals
    (300, 401, 1.33, True),       # 401/300 = 1.3367 is 1.34, not 1.33
    (100, 160, 2, True),          # a whole multiplier is taken as exact
    (300, 450, 1.33, True),
    (0, 0, 3, False),
    (0, 1, 3, True),
])
def test_the_augmented_size_is_the_annotated_size_times_the_multiplier(annotated, augmented, multiplier, fires):
    data = cxr()
    data["training_process"]["augmentation_comparison"] = [
        {"split": "training", "annotated_size": annotated, "augmented_size": augmented, "multiplier": multiplier}]
    found = _rule_issues(data, "augmentation.comparison")
    assert bool(found) == fires
    if fires:
        [(path, severity, requirement, en, zh)] = found
        assert path == "/training_process/augmentation_comparison/0/augmented_size"
        assert (severity, requirement) == ("error", "MCS-TR-02")
        assert f"({augmented})" in en and "训练集的扩增数据库样本量" in zh


def test_the_site_and_device_counts_of_a_split_do_not_exceed_its_size_and_categories_may_overlap():
    """Each sample comes from one site and one device (a list may be partial); multi-label category
    counts may add up to more than the split's size."""
    data = cxr()
    split = _splits(data)[1]
    split["distribution"]["sites"] = [{"category": "Hospital A", "count": 19000}, {"category": "Hospital B", "count": 600}]
    [(path, _, requirement, en, zh)] = _rule_issues(data, "splits.distribution-size")
    assert (path, requirement) == ("/training_process/data_splits/splits/1/distribution/sites", "MCS-TR-08")
    assert en == "the sites counts of the tuning set sum to 19600, more than the set's size 19540"
    assert zh == "调优集的来源机构计数之和为 19600，超过该子集的样本量 19540"
    split["distribution"]["sites"][1]["count"] = 40  # partial
    split["distribution"]["categories"] = [{"category": "effusion", "count": 15000}, {"category": "edema", "count": 9000}]
    assert _rule_issues(data, "splits.distribution-size") == []


def test_historical_data_name_what_they_lack():
    data = cxr()
    dataset = data["source_task_data"]["datasets"][2]
    dataset.pop("exclusion_criteria")
    dataset["acquisition_quality_assessment"] = ""
    [(path, _, requirement, en, zh)] = _rule_issues(data, "dataset.historical")
    assert (path, requirement) == ("/source_task_data/datasets/2/historical", "MCS-SD-11")
    assert en.endswith("does not state its exclusion criteria, acquisition-quality assessment")
    assert zh.endswith("未说明排除标准、数据采集质量评估")
    dataset["historical"] = False
    assert _rule_issues(data, "dataset.historical") == []


def test_a_public_evaluation_database_quotes_the_guide():
    data = cxr()
    dataset = data["applicability"]["evaluation_datasets"][0]
    dataset.update(evaluation_database=True, public=False)
    assert _rule_issues(data, "dataset.public-evaluation-database") == []
    dataset["public"] = True
    [(path, _, requirement, en, zh)] = _rule_issues(data, "dataset.public-evaluation-database")
    assert (path, requirement) == ("/applicability/evaluation_datasets/0/public", "MCS-AP-11")
    source = data["source_task_data"]["datasets"][0]  # a public source dataset is not an evaluation database
    source.update(evaluation_database=True, public=True)
    assert len(_rule_issues(data, "dataset.public-evaluation-database")) == 1
    assert "a public database should not be used as an evaluation database" in en
    assert zh.endswith("指南规定“不应使用公开数据库作为测评数据库”")


def test_annotation_software_and_processing_tools_name_what_they_lack():
    data = ct()
    tool = data["source_task_data"]["datasets"][0]["cleaning"][0]["tool"]
    for key in ("version", "validation"):
        tool.pop(key)
    found = _rule_issues(data, "processing.tool", CT)
    # the tool is written once in the example and referred to by the second dataset (a YAML alias)
    assert [(p, r) for p, _, r, *_ in found] == [("/source_task_data/datasets/0/cleaning/0/tool", "MCS-SD-06"),
                                                 ("/source_task_data/datasets/1/cleaning/0/tool", "MCS-SD-06")]
    assert found[0][3] == ("the tool 'ct-curation' of cleaning step 'Excluded series with slice thickness > 2.5 mm or "
                           "missing slices (0 excluded)' does not state its full version, software validation")
    assert found[0][4].endswith("所用工具“ct-curation”未说明完整版本、软件确认")
    data = _claiming(cxr(), "MCS-SD-13")
    _annotation(data)["automatic_annotation"].pop("maker")
    [(path, _, requirement, en, zh)] = _rule_issues(data, "annotation.software")
    assert (path, requirement) == ("/source_task_data/datasets/2/annotation/automatic_annotation", "MCS-SD-13")
    assert zh == "标注软件“rv-prelabel”未说明制造商"


def test_automatic_annotation_needs_its_review():
    data = _claiming(cxr(), "MCS-SD-13")
    _annotation(data)["automatic_annotation_review"] = " "
    [(path, _, requirement, en, zh)] = _rule_issues(data, "annotation.automatic-review")
    assert (path, requirement) == ("/source_task_data/datasets/2/annotation/automatic_annotation", "MCS-SD-13")
    assert "rv-prelabel" in en and "自动标注结果不得直接使用" in zh
    _annotation(data).pop("automatic_annotation")
    assert _rule_issues(data, "annotation.automatic-review") == []


def test_lists_and_objects_where_a_metric_or_a_risk_kind_belongs_do_not_break_the_applicability_rules():
    """An unhashable value (a list, an object) in a result's metric or a risk's kind is the schema's
    error, not an internal failure of the rules that collect metrics and kinds into sets."""
    data = cxr()
    data["applicability"]["transfer_performance"][0]["metric"] = ["auc"]
    data["applicability"]["risks"][0]["kind"] = {"kind": "overfitting"}
    issues, _ = check_data(data, CXR)
    assert not [i for i in issues if i.rule.startswith("internal")], [i.message for i in issues if i.rule.startswith("internal")]


def test_a_missing_information_rule_says_nothing_of_a_requirement_not_adopted_and_leaves_a_claimed_one_incomplete():
    """The CXR card declares MCS-SD-13 not adopted (the publishers' labelling software is unknown): a software
    entry without its version then adds no issue. Claimed, the same gap makes SD-13 incomplete, not failed."""
    data = cxr()
    _annotation(data)["software"][0].pop("version")
    issues, statuses = check_data(data, CXR)
    assert not [i for i in issues if i.rule == "annotation.software"]
    assert next(s for s in statuses if s["id"] == "MCS-SD-13")["status"] == "not_adopted"
    _claiming(data, "MCS-SD-13")
    issues, statuses = check_data(data, CXR)
    assert [i.rule for i in issues if i.requirement == "MCS-SD-13" and i.rule == "annotation.software"]
    assert next(s for s in statuses if s["id"] == "MCS-SD-13")["status"] == "incomplete"


def test_a_value_in_none_of_a_fields_forms_is_explained_with_its_description():
    """The ``described`` message of ``schema.anyOf`` quotes the field's description in each language
    (read from schema_descriptions.json, which ships apart from the schema index)."""
    from types import SimpleNamespace

    from modelcard_spec.check import structural
    from modelcard_spec.spec.resources import described_schema_index

    slot = described_schema_index()["classes"]["AlgorithmType"]["slots"]["learning_method"]
    error = SimpleNamespace(validator="anyOf", instance=42, validator_value=[], message="42 is not valid")
    pointer = "/model_framework/algorithm_type/learning_method"
    at, check_id, variant, params = structural._message(error, pointer, {}, None)
    assert (at, check_id, variant) == (pointer, "schema.anyOf", "described")
    assert (params["description"], params["description_zh"]) == (slot["description"], slot["description_zh"])
    assert slot["description"] and slot["description_zh"]
