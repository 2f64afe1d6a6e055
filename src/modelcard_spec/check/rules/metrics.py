"""Rules on metric results: agreement with confusion-matrix counts, confidence intervals, proportions, sample sizes."""

from __future__ import annotations

from typing import Callable

from .base import Context, found, rule, enum_annotation, enum_label, text_value, as_text, is_number, decimal_places


_FROM_COUNTS: dict[str, Callable[[int, int, int, int], float | None]] = {
    "sensitivity": lambda tp, fp, tn, fn: tp / (tp + fn) if tp + fn else None,
    "specificity": lambda tp, fp, tn, fn: tn / (tn + fp) if tn + fp else None,
    "miss_rate": lambda tp, fp, tn, fn: fn / (tp + fn) if tp + fn else None,
    "positive_predictive_value": lambda tp, fp, tn, fn: tp / (tp + fp) if tp + fp else None,
    "negative_predictive_value": lambda tp, fp, tn, fn: tn / (tn + fn) if tn + fn else None,
    "accuracy": lambda tp, fp, tn, fn: (tp + tn) / (tp + fp + tn + fn) if tp + fp + tn + fn else None,
    "f1_measure": lambda tp, fp, tn, fn: 2 * tp / (2 * tp + fp + fn) if 2 * tp + fp + fn else None,
    "youden_index": lambda tp, fp, tn, fn: (tp / (tp + fn) + tn / (tn + fp) - 1) if tp + fn and tn + fp else None,
    "balanced_accuracy": lambda tp, fp, tn, fn: (tp / (tp + fn) + tn / (tn + fp)) / 2 if tp + fn and tn + fp else None,
}


_COUNT_KEYS = ("true_positives", "false_positives", "true_negatives", "false_negatives")


@rule("metric.confusion-matrix", ("MCS-AP-03",), "error",
      "Metrics agree with their confusion-matrix counts", "指标与混淆矩阵计数一致",
      messages={
          "sample-size": ("sample size {sample_size} differs from the confusion-matrix total {total}",
                          "样本量 {sample_size} 与混淆矩阵总数 {total} 不一致"),
          "value": ("{metric} {value} disagrees with the confusion matrix (TP {true_positives}, FP {false_positives}, "
                    "TN {true_negatives}, FN {false_negatives} give {expected:.4f})",
                    "{metric} {value} 与混淆矩阵不一致（TP {true_positives}、FP {false_positives}、"
                    "TN {true_negatives}、FN {false_negatives} 计算得 {expected:.4f}）"),
      })
def metric_confusion_matrix(ctx: Context):
    for ptr, m in ctx.instances("MetricResult"):
        cm = m.get("confusion_matrix")
        metric, value = m.get("metric"), m.get("value")
        if not isinstance(cm, dict) or not all(isinstance(cm.get(k), int) for k in _COUNT_KEYS):
            continue
        counts = {k: cm[k] for k in _COUNT_KEYS}
        total = sum(counts.values())
        if isinstance(m.get("sample_size"), int) and m["sample_size"] != total:
            yield found(f"{ptr}/sample_size", "sample-size", sample_size=m["sample_size"], total=total)
        formula = _FROM_COUNTS.get(metric) if isinstance(metric, str) else None
        if formula is None or not is_number(value):
            continue
        expected = formula(*counts.values())
        if expected is None:
            continue
        tolerance = 0.5 * 10 ** -decimal_places(float(value)) + 1e-9
        if abs(expected - value) > tolerance:
            yield found(f"{ptr}/value", "value", metric=metric, value=value, expected=expected, **counts)


@rule("metric.interval", ("MCS-AP-03",), "error",
      "An estimate lies inside its confidence interval, whose level is in (0, 1)",
      "点估计位于置信区间内，且置信水平在 (0, 1) 内",
      messages={
          "level": ("confidence level {level} is not strictly between 0 and 1",
                    "置信水平 {level} 不在 0 与 1 之间（不含端点）"),
          "level-percent": ("confidence level {level} is not strictly between 0 and 1 (write 0.95, not 95)",
                            "置信水平 {level} 不在 0 与 1 之间（不含端点）（应写 0.95 而非 95）"),
          "inverted": ("interval lower bound {lower} exceeds its upper bound {upper}",
                       "置信区间下限 {lower} 大于上限 {upper}"),
          "outside": ("estimate {value} lies outside its confidence interval [{lower}, {upper}]",
                      "点估计 {value} 不在其置信区间 [{lower}, {upper}] 内"),
      })
def metric_interval(ctx: Context):
    for ptr, m in ctx.instances("MetricResult"):
        ci, value = m.get("confidence_interval"), m.get("value")
        if not isinstance(ci, dict):
            continue
        lower, upper, level = ci.get("lower"), ci.get("upper"), ci.get("level")
        if is_number(level) and not 0 < level < 1:
            yield found(f"{ptr}/confidence_interval/level", "level-percent" if level > 1 else "level", level=level)
        if is_number(lower) and is_number(upper) and lower > upper:
            yield found(f"{ptr}/confidence_interval", "inverted", lower=lower, upper=upper)
        elif is_number(lower) and is_number(upper) and is_number(value) and not lower <= value <= upper:
            yield found(f"{ptr}/value", "outside", value=value, lower=lower, upper=upper)


@rule("metric.proportion-range", ("MCS-AP-03",), "error",
      "Proportions are written as fractions between 0 and 1", "比例类指标以 0 到 1 之间的小数表示",
      messages={"": ("{metric} is a proportion but its value is {value} (write 0.91, not 91)",
                     "{metric} 为比例类指标，但数值为 {value}（应写 0.91 而非 91）")})
def metric_proportion_range(ctx: Context):
    for ptr, m in ctx.instances("MetricResult"):
        value = m.get("value")
        if enum_annotation("Metric", m.get("metric"), "kind") == "proportion" and is_number(value) and not 0 <= value <= 1:
            yield found(f"{ptr}/value", metric=m["metric"], value=value)


@rule("metric.subgroup-size", ("MCS-AP-03",), "error",
      "Subgroup and result sample sizes do not exceed their totals", "亚组及结果的样本量不超过总量",
      messages={
          "subgroup": ("subgroup '{subgroup}' has {sample_size} samples, more than the {total} of the whole result",
                       "亚组“{subgroup}”样本量 {sample_size} 超过整体结果的样本量 {total}"),
          "dataset": ("sample size {sample_size} exceeds the {amount_used} samples used from dataset '{dataset}'",
                      "样本量 {sample_size} 超过数据集“{dataset}”的使用量 {amount_used}"),
      })
def metric_subgroup_size(ctx: Context):
    datasets = ctx.by_id("Dataset")
    totals: dict[tuple, int] = {}
    results = ctx.instances("MetricResult")
    for _, m in results:
        if not m.get("subgroup") and isinstance(m.get("sample_size"), int):
            key = (text_value(m.get("dataset")), text_value(m.get("task")))
            totals[key] = max(totals.get(key, 0), m["sample_size"])
    for ptr, m in results:
        size = m.get("sample_size")
        if not isinstance(size, int):
            continue
        total = totals.get((text_value(m.get("dataset")), text_value(m.get("task"))))
        if m.get("subgroup") and total is not None and size > total:
            yield found(f"{ptr}/sample_size", "subgroup", subgroup=as_text(m["subgroup"]), sample_size=size, total=total)
        used = datasets.get(text_value(m.get("dataset")), {}).get("amount_used")
        if isinstance(used, int) and size > used:
            yield found(f"{ptr}/sample_size", "dataset", sample_size=size, amount_used=used, dataset=m["dataset"])


@rule("metric.split", ("MCS-AP-03",), "warning",
      "Transfer performance is measured on data not used to fit or select the model",
      "迁移性能在未用于拟合或选择模型的数据上测得",
      messages={
          "": ("{metric} {value} was measured on the {split_title} ({split}), which was used to fit or select the "
               "model: it is not an independent estimate of transfer performance",
               "{metric} {value} 是在{split_title_zh}（{split}）上测得的，该子集曾用于拟合或选择模型，不是对迁移性能的独立估计"),
      })
def metric_split(ctx: Context):
    for ptr, m in ctx.instances("MetricResult"):
        split = m.get("split")
        if ptr.startswith("/applicability/transfer_performance/") and split in ("training", "tuning"):
            title, title_zh = enum_label("SplitRole", split)
            yield found(f"{ptr}/split", metric=as_text(m.get("metric")), value=as_text(m.get("value")), split=split,
                        split_title=title.lower(), split_title_zh=title_zh)
