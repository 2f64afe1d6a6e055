"""Curve- and matrix-valued metric results, the curve an AUC belongs to, the two false positive rates,
the annex's English names, and the latency / repeatability / reproducibility measures (issue 17, item 4).

Each check is run on the CXR example (which passes) and on small mutations of it."""

from __future__ import annotations

import copy
import re

import pytest

from conftest import EXAMPLES, ROOT
from modelcard_spec.check.loading import read_card
from modelcard_spec.check.pipeline import check_data
from modelcard_spec.spec.resources import described_schema_index

CXR = EXAMPLES / "cxr-classification-backbone"
DATASET = "ds-cxr-cn-3h-test"
METRICS = described_schema_index()["enums"]["Metric"]["values"]


def cxr():
    return copy.deepcopy(read_card(CXR / "card.yaml").data)


def results(d):
    return d["applicability"]["transfer_performance"]


def auc(d):
    [r] = [r for r in results(d) if r["metric"] == "auc"]
    return r


def add(d, **result):
    results(d).append({"dataset": DATASET, **result})
    return f"/applicability/transfer_performance/{len(results(d)) - 1}"


def found(data, rule):
    return [(i.path, i.message, i.message_zh, i.severity)
            for i in check_data(data, CXR)[0] if i.rule == rule]


def paths(data, rule):
    return sorted(i.path for i in check_data(data, CXR)[0] if i.rule == rule)


NEW_RULES = ("metric.result-shape", "metric.area-curve", "metric.curve", "metric.curve-agreement", "metric.matrix",
             "metric.latency", "metric.repeated-measurement")


def roc(points, **extra):
    return {"x_axis": "false_positive_rate", "y_axis": "sensitivity",
            "points": [{"x": x, "y": y} for x, y in points], **extra}


# ---------------------------------------------------------------------------------------------- the example


def test_the_example_with_a_curve_and_a_latency_passes_every_new_rule():
    data = cxr()
    assert any("curve" in r for r in results(data)) and any(r["metric"] == "latency" for r in results(data))
    issues = [i for i in check_data(data, CXR)[0] if i.rule in NEW_RULES]
    assert issues == []


# ---------------------------------------------------------------------------------------------- shape


def test_a_curve_given_as_one_number_is_refused_as_the_issue_describes():
    data = cxr()
    at = add(data, metric="roc_curve", value=0.973, sample_size=1000)
    issues = found(data, "metric.result-shape")
    assert [(p, sev) for p, _, _, sev in issues] == [(f"{at}/value", "error"), (at, "error")]
    assert "roc_curve is a curve, not a single number" in issues[0][1]
    assert "是曲线而非单一数值" in issues[0][2] and "未给出曲线各点" in issues[1][2]


def test_a_curve_with_points_and_no_value_is_accepted():
    data = cxr()
    add(data, metric="roc_curve", sample_size=1000, curve=roc([(0.05, 0.8), (0.2, 0.95)]))
    assert [i for i in check_data(data, CXR)[0] if i.rule in NEW_RULES] == []


def test_a_confusion_matrix_gives_counts_not_a_value():
    data = cxr()
    at = add(data, metric="confusion_matrix", value=0.9)
    assert paths(data, "metric.result-shape") == [at, f"{at}/value"]
    data = cxr()
    add(data, metric="confusion_matrix", sample_size=1000,
        confusion_matrix={"true_positives": 182, "false_positives": 56, "true_negatives": 744, "false_negatives": 18})
    assert paths(data, "metric.result-shape") == []


def test_a_single_number_needs_a_value_and_carries_no_curve():
    data = cxr()
    del results(data)[0]["value"]
    results(data)[1]["curve"] = roc([(0.1, 0.9), (0.2, 0.95)])
    assert paths(data, "metric.result-shape") == ["/applicability/transfer_performance/0",
                                                    "/applicability/transfer_performance/1/curve"]


def test_curve_type_belongs_to_an_auc_only():
    data = cxr()
    results(data)[0]["curve_type"] = "roc"
    assert paths(data, "metric.result-shape") == ["/applicability/transfer_performance/0/curve_type"]


# ---------------------------------------------------------------------------------------------- AUC's curve


def test_an_auc_names_its_curve():
    data = cxr()
    auc(data).pop("curve_type")
    [(path, message, message_zh, severity)] = found(data, "metric.area-curve")
    assert severity == "warning" and "add curve_type" in message and "未注明是哪条曲线下的面积" in message_zh


def test_an_area_is_in_the_unit_square_except_under_an_froc():
    data = cxr()
    at = add(data, metric="auc", curve_type="roc", value=1.2)
    assert paths(data, "metric.curve") == [f"{at}/value"]
    data = cxr()
    add(data, metric="auc", curve_type="froc", value=1.2)
    add(data, metric="average_precision", value=-0.1)
    assert paths(data, "metric.curve") == ["/applicability/transfer_performance/7/value"]


# ---------------------------------------------------------------------------------------------- curves


def test_the_axes_are_those_of_the_annex_definition():
    data = cxr()
    auc(data)["curve"]["x_axis"] = "case_false_positive_rate"
    [(path, message, message_zh, _)] = found(data, "metric.curve")
    assert path == "/applicability/transfer_performance/3/curve"
    assert "sensitivity against false_positive_rate" in message
    assert "以假阳性率（样本水平）为横坐标、灵敏度（召回率）为纵坐标" in message_zh


@pytest.mark.parametrize("metric,x_axis,y_axis", [
    ("roc_curve", "false_positive_rate", "sensitivity"),
    ("froc_curve", "non_lesion_localization_rate", "lesion_localization_rate"),
    ("afroc_curve", "case_false_positive_rate", "lesion_localization_rate"),
    ("precision_recall_curve", "sensitivity", "positive_predictive_value"),
])
def test_each_curve_declares_the_axes_the_annex_gives_it(metric, x_axis, y_axis):
    ann = METRICS[metric]["annotations"]
    assert (ann["x_axis"], ann["y_axis"], ann["kind"]) == (x_axis, y_axis, "curve")


def test_points_of_a_rate_axis_lie_in_zero_one_but_an_froc_may_go_beyond_one():
    data = cxr()
    at = add(data, metric="roc_curve", curve=roc([(0.1, 0.5), (0.3, 91)]))
    issues = found(data, "metric.curve")
    assert [p for p, *_ in issues] == [f"{at}/curve/points/1/y"]
    assert "lies in [0.0, 1.0]" in issues[0][1]
    data = cxr()
    at = add(data, metric="froc_curve", curve={"x_axis": "non_lesion_localization_rate", "y_axis": "lesion_localization_rate",
                                                "points": [{"x": -0.5, "y": 0.6}, {"x": 0.5, "y": 0.8}, {"x": 4, "y": 0.9}]})
    assert paths(data, "metric.curve") == [f"{at}/curve/points/0/x"]


def test_a_curve_needs_two_points():
    data = cxr()
    at = add(data, metric="roc_curve", curve=roc([(0.1, 0.5)]))
    assert paths(data, "metric.curve") == [f"{at}/curve/points"]


def test_an_roc_curve_never_falls_but_a_precision_recall_curve_may():
    data = cxr()
    at = add(data, metric="roc_curve", curve=roc([(0.1, 0.8), (0.3, 0.7), (0.5, 0.9)]))
    assert paths(data, "metric.curve") == [f"{at}/curve/points/1"]
    data = cxr()
    add(data, metric="precision_recall_curve", curve={"x_axis": "sensitivity", "y_axis": "positive_predictive_value",
                                                      "points": [{"x": 0.1, "y": 0.9}, {"x": 0.9, "y": 0.4}]})
    assert paths(data, "metric.curve") == []


def test_a_declared_auc_is_compared_with_the_trapezoid_area_of_its_points():
    data = cxr()
    auc(data)["value"] = 0.93  # the example's points give 0.9635
    [(path, message, message_zh, severity)] = found(data, "metric.curve-agreement")
    assert (path, severity) == ("/applicability/transfer_performance/3/value", "warning")
    assert "trapezoid area 0.9635 under the 8 points" in message and "按梯形法计算的面积 0.9635" in message_zh


def test_an_auc_is_compared_with_the_one_curve_result_of_the_same_measurement():
    data = cxr()
    auc(data).pop("curve")
    add(data, metric="roc_curve", task="pneumothorax detection (linear probe)",
        curve=roc([(0.1, 0.6), (0.3, 0.8)]))  # area 0.765
    [(path, message, _, _)] = found(data, "metric.curve-agreement")
    assert path == "/applicability/transfer_performance/3/value" and "(/applicability/transfer_performance/6)" in message
    add(data, metric="roc_curve", task="pneumothorax detection (linear probe)", curve=roc([(0.1, 0.9), (0.3, 0.99)]))
    assert found(data, "metric.curve-agreement") == []  # two curves: which one is meant is not known


def test_an_area_is_not_compared_when_the_points_do_not_span_the_axis():
    data = cxr()
    add(data, metric="auc", curve_type="afroc", value=0.95,
        curve={"x_axis": "case_false_positive_rate", "y_axis": "lesion_localization_rate",
               "points": [{"x": 0.1, "y": 0.3}, {"x": 0.4, "y": 0.5}]})
    assert found(data, "metric.curve-agreement") == []
    data = cxr()
    at = add(data, metric="auc", curve_type="afroc", value=0.95,
             curve={"x_axis": "case_false_positive_rate", "y_axis": "lesion_localization_rate",
                    "points": [{"x": 0, "y": 0.3}, {"x": 1, "y": 0.5}]})
    assert paths(data, "metric.curve-agreement") == [f"{at}/value"]


def test_the_operating_point_lies_on_the_curve():
    data = cxr()
    auc(data)["curve"]["operating_point"] = {"x": 0.07, "y": 0.80}
    assert paths(data, "metric.curve-agreement") == ["/applicability/transfer_performance/3/curve/operating_point"]
    data = cxr()
    auc(data)["curve"]["operating_point"] = {"x": 0.15, "y": 0.95}  # halfway between (0.10, 0.935) and (0.20, 0.965)
    assert paths(data, "metric.curve-agreement") == []


# ---------------------------------------------------------------------------------------------- matrices


def test_a_multiclass_matrix_is_square_in_label_order_and_sums_to_the_sample_size():
    data = cxr()
    good = {"labels": ["normal", "pneumothorax", "effusion"],
            "rows": [{"label": "normal", "cells": [50, 2, 1]}, {"label": "pneumothorax", "cells": [3, 20, 0]},
                     {"label": "effusion", "cells": [1, 0, 23]}]}
    at = add(data, metric="confusion_matrix", sample_size=100, multiclass_confusion_matrix=good)
    assert paths(data, "metric.matrix") == [] and paths(data, "metric.result-shape") == []
    results(data)[-1]["sample_size"] = 99
    bad = copy.deepcopy(good)
    bad["labels"][2] = "normal"
    bad["rows"][1]["cells"] = [3, 20]
    add(data, metric="confusion_matrix", multiclass_confusion_matrix=bad)
    base = "/applicability/transfer_performance/7/multiclass_confusion_matrix"
    assert paths(data, "metric.matrix") == sorted([f"{at}/sample_size", f"{base}/labels/2", f"{base}/rows/1/cells",
                                                  f"{base}/rows/2/label"])


# ---------------------------------------------------------------------------------------------- latency


def latency(d, percentile, value, **extra):
    return add(d, metric="latency", value=value, unit="ms", percentile=percentile, sample_size=1000,
               task="pneumothorax detection (linear probe)", **extra)


def test_latency_percentiles_rise_with_the_percentile():
    data = cxr()  # the example gives p90 = 41.0 ms
    latency(data, 50, 30.0, measurement_conditions=results(data)[5]["measurement_conditions"])
    at = latency(data, 99, 38.5, measurement_conditions=results(data)[5]["measurement_conditions"])
    [(path, message, message_zh, _)] = found(data, "metric.latency")
    assert path == f"{at}/value"
    assert message == ("the 99th-percentile latency 38.5 ms is below the 90th-percentile latency 41.0 ms measured "
                       "under the same conditions")
    assert message_zh == "第 99 百分位时延 38.5 ms 低于相同条件下测得的第 90 百分位时延 41.0 ms"


def test_latencies_under_other_conditions_are_not_compared():
    data = cxr()
    latency(data, 99, 12.0, measurement_conditions="Batch size 32 on an A100, time per image")
    assert found(data, "metric.latency") == []


def test_a_latency_is_in_milliseconds_never_negative_with_a_percentile_up_to_100():
    data = cxr()
    results(data)[5].pop("unit")
    a = latency(data, 50, -3.0)
    b = latency(data, 150, 3.0)
    assert paths(data, "metric.latency") == sorted(["/applicability/transfer_performance/5", f"{a}/value",
                                                   f"{b}/percentile"])


# ---------------------------------------------------------------------------------------------- repeatability


def repeat(d, metric, **study):
    return add(d, metric=metric, value=0.93, sample_size=100, repeated_measurement=study)


def test_a_repeatability_study_repeats_under_the_same_conditions():
    data = cxr()
    repeat(data, "repeatability", repeated_runs=3, operators=1, facilities=1, measurements=300,
           agreement_statistic="Fleiss' kappa")
    assert found(data, "metric.repeated-measurement") == []
    at = repeat(data, "repeatability", repeated_runs=2, operators=2)
    [(path, message, message_zh, _)] = found(data, "metric.repeated-measurement")
    assert path == f"{at}/repeated_measurement" and "makes it a reproducibility study" in message
    assert "属于再现性研究" in message_zh


def test_a_reproducibility_study_changes_operator_or_facility():
    data = cxr()
    repeat(data, "reproducibility", repeated_runs=3, operators=3, facilities=3)
    assert found(data, "metric.repeated-measurement") == []
    at = repeat(data, "reproducibility", repeated_runs=2, operators=1, facilities=1)
    assert paths(data, "metric.repeated-measurement") == [f"{at}/repeated_measurement"]


def test_a_repeated_measurement_has_two_runs_and_counts_that_multiply():
    data = cxr()
    a = repeat(data, "repeatability", repeated_runs=1)
    b = repeat(data, "reproducibility", repeated_runs=3, operators=3, measurements=200)
    c = add(data, metric="repeatability", value=0.9)
    assert paths(data, "metric.repeated-measurement") == sorted([f"{a}/repeated_measurement/repeated_runs",
                                                                f"{b}/repeated_measurement/measurements", c])
    [msg] = [m for p, m, _, _ in found(data, "metric.repeated-measurement") if p.endswith("measurements")]
    assert msg == "200 results in total differ from the sample size 100 times 3 measurements per object (300)"


# ---------------------------------------------------------------------------------------------- vocabulary


def test_the_two_false_positive_rates_are_separate_and_honestly_sourced():
    sample, case = METRICS["false_positive_rate"], METRICS["case_false_positive_rate"]
    assert sample["annotations"]["source"] == "kit-extension" and case["annotations"]["source"] == "guide-annex-2"
    assert sample["title_zh"] == "假阳性率（样本水平）" and case["title_zh"] == "假阳性率（病例水平）"
    assert "FP/(FP+TN)" in sample["description_zh"]
    assert case["description_zh"].startswith("假阳性病例数量（阴性病例中包含非病变定位）占全部阴性病例数量的比例")
    assert "false positive rate" in case["aliases"]


def test_the_sample_level_false_positive_rate_agrees_with_the_confusion_matrix():
    data = cxr()
    add(data, metric="false_positive_rate", value=0.07, sample_size=1000,
        confusion_matrix={"true_positives": 182, "false_positives": 56, "true_negatives": 744, "false_negatives": 18})
    assert found(data, "metric.confusion-matrix") == []
    results(data)[-1]["value"] = 0.09
    assert paths(data, "metric.confusion-matrix") == ["/applicability/transfer_performance/6/value"]


# English names of the annex-2 metric terms exactly as the annex writes them (the oracle).
ANNEX2_ENGLISH = {
    "sensitivity": ["sensitivity", "recall"], "specificity": ["specificity"], "miss_rate": ["miss rate"],
    "positive_predictive_value": ["precision", "positive prediction value"],
    "negative_predictive_value": ["negative prediction value"], "accuracy": ["accuracy"],
    "f1_measure": ["F1-measure"], "youden_index": ["Youden index"], "case_false_positive_rate": ["false positive rate"],
    "lesion_localization_rate": ["lesion localization rate"],
    "non_lesion_localization_rate": ["non-lesion localization rate"],
    "roc_curve": ["receiver operating characteristics curve", "ROC curve"], "auc": ["area under curve", "AUC"],
    "froc_curve": ["free-response receiver operating characteristics curve", "fROC"],
    "afroc_curve": ["alternative free receiver operating characteristics curve", "AFROC curve"],
    "precision_recall_curve": ["precision-recall curve", "P-R"], "average_precision": ["average precision", "AP"],
    "mean_average_precision": ["mean average precision", "MAP"],
    "intersection_over_union": ["intersection over union", "IoU"], "dice_coefficient": ["Dice coefficient"],
    "central_distance": ["central distance"], "confusion_matrix": ["confusion matrix"],
    "kappa_coefficient": ["Kappa coefficient"], "signal_to_noise_ratio": ["signal-to-noise ratio", "SNR"],
    "peak_signal_to_noise_ratio": ["peak signal-to-noise ratio"], "structural_similarity": ["structural similarity"],
    "cosine_similarity": ["cosine similarity"], "perplexity": ["perplexity"], "word_error_rate": ["word error rate"],
    "cross_entropy": ["cross-entropy"], "mutual_information": ["mutual information"],
    "service_availability": ["service availability"],
}


def test_every_annex_metric_keeps_the_annex_english_names():
    annex = {v for v, meta in METRICS.items() if meta["annotations"]["source"] == "guide-annex-2"}
    assert annex == set(ANNEX2_ENGLISH)
    missing = [(value, name) for value, names in ANNEX2_ENGLISH.items() for name in names
               if name not in METRICS[value]["aliases"] and name.lower() != METRICS[value]["title"].lower()]
    assert missing == []


def test_the_english_names_are_the_annexs_own():
    text = next((ROOT / "sources").glob("*gmp-guide-extract.txt")).read_text(encoding="utf-8")
    annex = text[text.index("附件2人工智能医疗器械常用术语"):]
    absent = [name for names in ANNEX2_ENGLISH.values() for name in names if name not in annex]
    assert absent == []


def test_the_fid_keeps_the_name_of_the_inception_network():
    fid = METRICS["frechet_inception_distance"]
    assert fid["title_zh"] == "Fréchet Inception 距离（FID）" and "起始" not in fid["description_zh"]


def test_new_measures_have_units_and_definitions():
    assert "ms" in METRICS["latency"]["description"] and METRICS["latency"]["annotations"]["kind"] == "duration"
    assert METRICS["repeatability"]["title_zh"] == "重复性" and METRICS["reproducibility"]["title_zh"] == "再现性"
    assert "同一操作员" in METRICS["repeatability"]["description_zh"]
    assert "不同的操作员" in METRICS["reproducibility"]["description_zh"]
    assert not re.search("重现性|可复现性", METRICS["reproducibility"]["description_zh"])


def test_an_importer_maps_a_name_to_its_own_metric_and_never_a_number_to_a_curve():
    from modelcard_spec.importers.common import metric_of

    assert metric_of("false_positive_rate") == "false_positive_rate"  # not the annex alias of the case-level rate
    assert metric_of("positive prediction value") == "positive_predictive_value"
    assert [metric_of(k) for k in ("froc", "roc_curve", "P-R", "confusion_matrix")] == [None] * 4


def test_a_curve_exported_to_cyclonedx_has_no_value_none():
    from modelcard_spec.output.cyclonedx import to_bom

    data = cxr()
    add(data, metric="roc_curve", curve=roc([(0.05, 0.8), (0.2, 0.95)]))
    [bom_metrics] = [c["modelCard"]["quantitativeAnalysis"]["performanceMetrics"] for c in to_bom(data)["components"]
                     if "modelCard" in c]
    assert bom_metrics[-1] == {"type": "roc_curve", "slice": DATASET} and bom_metrics[0]["value"] == "0.91"


def test_a_curve_result_has_no_value_or_interval_and_leaves_ap03_conforming_while_a_number_without_interval_is_incomplete():
    """MCS-AP-03 asks for intervals of single-number results only: a ROC curve result with its points
    (no value, no interval) adds no issue; a proportion without its interval makes MCS-AP-03 incomplete,
    not nonconforming, with one located error."""
    d = cxr()
    add(d, metric="roc_curve", sample_size=1000, curve={"x_axis": "false_positive_rate", "y_axis": "sensitivity",
                                                        "points": [{"x": 0.0, "y": 0.0}, {"x": 0.1, "y": 0.8},
                                                                   {"x": 1.0, "y": 1.0}]})
    issues, statuses = check_data(d, CXR)
    assert not [i for i in issues if i.requirement == "MCS-AP-03" and i.severity == "error"], \
        [i.message for i in issues if i.requirement == "MCS-AP-03"]
    ap03 = next(s for s in statuses if s["id"] == "MCS-AP-03")["status"]
    d = cxr()
    ptr = add(d, metric="accuracy", value=0.9, sample_size=1000)
    issues, statuses = check_data(d, CXR)
    missing = [i for i in issues if i.rule == "metric.interval-missing"]
    assert [i.path for i in missing] == [f"{ptr}/confidence_interval"]
    assert next(s for s in statuses if s["id"] == "MCS-AP-03")["status"] == "incomplete"
    assert ap03 != "incomplete"
