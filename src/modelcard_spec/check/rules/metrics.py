"""Rules on metric results: agreement with confusion-matrix counts, confidence intervals, proportions, sample sizes."""

from __future__ import annotations

from typing import Callable

from ...spec import catalogue
from ..conformity import declaration, is_claimed
from .base import Context, found, rule, enum_annotation, enum_label, text_value, as_text, is_number, decimal_places


_FROM_COUNTS: dict[str, Callable[[int, int, int, int], float | None]] = {
    "sensitivity": lambda tp, fp, tn, fn: tp / (tp + fn) if tp + fn else None,
    "specificity": lambda tp, fp, tn, fn: tn / (tn + fp) if tn + fp else None,
    "false_positive_rate": lambda tp, fp, tn, fn: fp / (fp + tn) if fp + tn else None,
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


# --- The shape of a result: a single value, a curve, or a matrix -------------------------------------------

_AREAS = ("auc", "average_precision")  # areas under a curve: they may carry the points of their curve


def _kind(metric) -> str | None:
    return enum_annotation("Metric", metric, "kind")


def _curve_of(m: dict) -> str | None:
    """The curve metric an area result is the area under (average precision: always precision-recall)."""
    if m.get("metric") == "average_precision":
        return "precision_recall_curve"
    curve_type = m.get("curve_type")
    if m.get("metric") == "auc" and isinstance(curve_type, str) and enum_label("CurveType", curve_type)[0] != curve_type:
        return f"{curve_type}_curve"
    return None


@rule("metric.result-shape", ("MCS-AP-03",), "error",
      "A single-valued metric gives a value; a curve gives its points and a confusion matrix its counts, neither a value",
      "单一数值的指标给出数值；曲线给出各点、混淆矩阵给出计数，二者均不给出数值",
      messages={
          "curve-value": ("{metric} is a curve, not a single number: give its points under curve instead of value {value}",
                          "{metric} 是曲线而非单一数值：应在“曲线”下给出各点，而非数值 {value}"),
          "curve-missing": ("{metric} is a curve but the result gives no curve points",
                            "{metric} 是曲线，但该结果未给出曲线各点"),
          "matrix-value": ("a confusion matrix is a table of counts, not a single number: give its counts "
                           "(confusion_matrix or multiclass_confusion_matrix) instead of value {value}",
                           "混淆矩阵是计数表而非单一数值：应给出各项计数（混淆矩阵或多分类混淆矩阵），而非数值 {value}"),
          "matrix-missing": ("the result is a confusion matrix but gives no counts (confusion_matrix or "
                             "multiclass_confusion_matrix)",
                             "该结果为混淆矩阵，但未给出计数（混淆矩阵或多分类混淆矩阵）"),
          "value-missing": ("{metric} is a single number but the result gives no value",
                            "{metric} 是单一数值，但该结果未给出数值"),
          "scalar-curve": ("{metric} is a single number: curve points belong to a curve result (roc_curve, froc_curve, "
                           "afroc_curve, precision_recall_curve) or to the area under one",
                           "{metric} 是单一数值：曲线各点应属于曲线类结果（roc_curve、froc_curve、afroc_curve、"
                           "precision_recall_curve）或曲线下面积"),
          "curve-type": ("curve_type {curve_type} names the curve of an area (auc); {metric} is not one",
                         "曲线类型 {curve_type} 用于注明曲线下面积（auc）所属的曲线；{metric} 不是曲线下面积"),
      })
def metric_result_shape(ctx: Context):
    for ptr, m in ctx.instances("MetricResult"):
        metric, kind = m.get("metric"), _kind(m.get("metric"))
        if kind is None:
            continue  # not a metric of the vocabulary: the structural check says so
        has_value = "value" in m and m["value"] is not None
        if kind == "curve":
            if has_value:
                yield found(f"{ptr}/value", "curve-value", metric=metric, value=as_text(m["value"]))
            if not isinstance(m.get("curve"), dict):
                yield found(ptr, "curve-missing", metric=metric)
        elif kind == "table":
            if has_value:
                yield found(f"{ptr}/value", "matrix-value", value=as_text(m["value"]))
            if not isinstance(m.get("confusion_matrix"), dict) and not isinstance(m.get("multiclass_confusion_matrix"), dict):
                yield found(ptr, "matrix-missing")
        else:
            if not has_value:
                yield found(ptr, "value-missing", metric=metric)
            if "curve" in m and metric not in _AREAS:
                yield found(f"{ptr}/curve", "scalar-curve", metric=metric)
        if "curve_type" in m and metric != "auc":
            yield found(f"{ptr}/curve_type", "curve-type", curve_type=as_text(m["curve_type"]), metric=metric)


@rule("metric.area-curve", ("MCS-AP-03",), "warning",
      "An area under a curve says which curve it is the area under", "曲线下面积注明其所属曲线",
      messages={"": ("{metric} {value} does not say which curve it is the area under: add curve_type (roc, froc, "
                     "afroc or precision_recall)",
                     "{metric} {value} 未注明是哪条曲线下的面积：应补充曲线类型（roc、froc、afroc 或 precision_recall）")})
def metric_area_curve(ctx: Context):
    for ptr, m in ctx.instances("MetricResult"):
        if m.get("metric") == "auc" and "curve_type" not in m:
            yield found(ptr, metric="auc", value=as_text(m.get("value")))


def _points(curve) -> list[tuple[int, float, float]]:
    """(index, x, y) of the curve's points that have two numbers."""
    points = curve.get("points") if isinstance(curve, dict) else None
    if not isinstance(points, list):
        return []
    return [(i, p["x"], p["y"]) for i, p in enumerate(points)
            if isinstance(p, dict) and is_number(p.get("x")) and is_number(p.get("y"))]


def _axis_bound(axis) -> tuple[float, float | None] | None:
    """The range of an axis metric: a proportion lies in [0, 1], a rate (per case) is at least 0."""
    kind = _kind(axis)
    return (0.0, 1.0) if kind == "proportion" else (0.0, None) if kind == "rate" else None


def _expected_axes(curve_metric: str) -> tuple[str | None, str | None]:
    return enum_annotation("Metric", curve_metric, "x_axis"), enum_annotation("Metric", curve_metric, "y_axis")


@rule("metric.curve", ("MCS-AP-03",), "error",
      "A curve has the axes its definition gives, at least two points, rates within their range, and rises where it must",
      "曲线的横纵坐标符合其定义，至少有两个点，比率在其取值范围内，且按定义单调不减",
      messages={
          "axes": ("the {curve_title} plots {want_y} against {want_x}; this one gives {y_axis} against {x_axis}",
                   "{curve_title_zh}以{want_x_zh}为横坐标、{want_y_zh}为纵坐标；此处给出的是以 {x_axis} 为横坐标、"
                   "{y_axis} 为纵坐标"),
          "too-few": ("a curve needs at least two points; this one has {count}",
                      "曲线至少需要两个点；此处只有 {count} 个"),
          "out-of-range": ("{axis} {coordinate} = {number} is a {axis_title}, which lies in [{low}, {high}]",
                           "{axis} 坐标 {coordinate} = {number} 为{axis_title_zh}，应在 [{low}, {high}] 内"),
          "negative": ("{axis} {coordinate} = {number} is a {axis_title}, which is never negative",
                       "{axis} 坐标 {coordinate} = {number} 为{axis_title_zh}，不应为负"),
          "falls": ("the {curve_title} never falls as the threshold is lowered, but point ({x}, {y}) lies below "
                    "point ({prev_x}, {prev_y}) at a smaller or equal x",
                    "随阈值降低，{curve_title_zh}不会下降，但点 ({x}, {y}) 低于横坐标不大于它的点 ({prev_x}, {prev_y})"),
          "area-range": ("{metric} {value} of the {curve_title} is an area in a unit square, so it lies in [0, 1]",
                         "{curve_title_zh}的{metric} {value} 是单位正方形内的面积，应在 [0, 1] 内"),
          "area-negative": ("{metric} {value} is an area, which is never negative", "{metric} {value} 是面积，不应为负"),
      })
def metric_curve(ctx: Context):
    for ptr, m in ctx.instances("MetricResult"):
        metric = m.get("metric")
        curve_metric = metric if _kind(metric) == "curve" else _curve_of(m)
        value = m.get("value")
        if metric in _AREAS and is_number(value):
            if value < 0:
                yield found(f"{ptr}/value", "area-negative", metric=metric, value=value)
            elif value > 1 and curve_metric != "froc_curve":  # an FROC's horizontal axis is not bounded by 1
                title, title_zh = enum_label("Metric", curve_metric) if curve_metric else ("curve", "曲线")
                yield found(f"{ptr}/value", "area-range", metric=metric, value=value, curve_title=title,
                            curve_title_zh=title_zh)
        curve = m.get("curve")
        if not isinstance(curve, dict) or curve_metric is None:
            continue
        yield from _curve_findings(f"{ptr}/curve", curve, curve_metric)


def _curve_findings(ptr: str, curve: dict, curve_metric: str):
    title, title_zh = enum_label("Metric", curve_metric)
    want_x, want_y = _expected_axes(curve_metric)
    x_axis, y_axis = curve.get("x_axis"), curve.get("y_axis")
    if want_x and want_y and isinstance(x_axis, str) and isinstance(y_axis, str) and (x_axis, y_axis) != (want_x, want_y):
        yield found(ptr, "axes", curve_title=title, curve_title_zh=title_zh, x_axis=x_axis, y_axis=y_axis,
                    want_x=want_x, want_y=want_y, want_x_zh=enum_label("Metric", want_x)[1],
                    want_y_zh=enum_label("Metric", want_y)[1])
    raw = curve.get("points")
    if isinstance(raw, list) and len(raw) < 2:
        yield found(f"{ptr}/points", "too-few", count=len(raw))
    points = _points(curve)
    for axis, coordinate, position in ((want_x or x_axis, "x", 1), (want_y or y_axis, "y", 2)):
        bound = _axis_bound(axis)
        if bound is None:
            continue
        axis_title, axis_title_zh = enum_label("Metric", axis)
        for point in points:
            number = point[position]
            if number < bound[0] or (bound[1] is not None and number > bound[1]):
                variant = "negative" if bound[1] is None else "out-of-range"
                yield found(f"{ptr}/points/{point[0]}/{coordinate}", variant, axis=axis, coordinate=coordinate,
                            number=number, axis_title=axis_title.lower(), axis_title_zh=axis_title_zh,
                            low=bound[0], high=bound[1])
    if curve_metric != "precision_recall_curve":  # ROC, FROC and AFROC: both coordinates grow as the threshold falls
        ordered = sorted(points, key=lambda p: (p[1], p[2]))
        highest = None
        for point in ordered:
            if highest is not None and point[2] < highest[2]:
                yield found(f"{ptr}/points/{point[0]}", "falls", curve_title=title.lower(), curve_title_zh=title_zh,
                            x=point[1], y=point[2], prev_x=highest[1], prev_y=highest[2])
                break
            if highest is None or point[2] >= highest[2]:
                highest = point


# --- What arithmetic can check of a curve: its area and its operating point --------------------------------

AREA_TOLERANCE = 0.02  # a curve given by a sample of its points has a trapezoid area a little off the exact one
POINT_TOLERANCE = 0.01


def _polyline(curve_metric: str, points: list[tuple[int, float, float]]) -> list[tuple[float, float]]:
    """The curve's points in order of x (then y); an ROC curve always runs from (0, 0) to (1, 1)."""
    line = sorted((x, y) for _, x, y in points)
    if curve_metric == "roc_curve":
        line = [(0.0, 0.0)] + line + [(1.0, 1.0)]
    return line


def _trapezoid(line: list[tuple[float, float]]) -> float:
    return sum((x1 - x0) * (y0 + y1) / 2 for (x0, y0), (x1, y1) in zip(line, line[1:]))


def _on_line(line: list[tuple[float, float]], x: float, y: float) -> bool:
    for (x0, y0), (x1, y1) in zip(line, line[1:]):
        if not x0 - POINT_TOLERANCE <= x <= x1 + POINT_TOLERANCE:
            continue
        if x1 - x0 <= POINT_TOLERANCE:  # a vertical step
            if min(y0, y1) - POINT_TOLERANCE <= y <= max(y0, y1) + POINT_TOLERANCE:
                return True
        elif abs(y0 + (y1 - y0) * (min(max(x, x0), x1) - x0) / (x1 - x0) - y) <= POINT_TOLERANCE:
            return True
    return len(line) == 1 and abs(line[0][0] - x) <= POINT_TOLERANCE and abs(line[0][1] - y) <= POINT_TOLERANCE


def _same_measurement(m: dict) -> tuple:
    return tuple(as_text(m.get(k)) for k in ("dataset", "split", "subgroup", "task"))


@rule("metric.curve-agreement", ("MCS-AP-03",), "warning",
      "A declared area agrees with the area of its curve's points; the operating point lies on the curve",
      "所声明的曲线下面积与其曲线各点围成的面积一致；工作点位于曲线上",
      messages={
          "area": ("{metric} {value} differs by more than {tolerance} from the trapezoid area {area:.4f} under the "
                   "{count} points of its {curve_title}{where}",
                   "{metric} {value} 与其{curve_title_zh}的 {count} 个点按梯形法计算的面积 {area:.4f} 相差超过 "
                   "{tolerance}{where_zh}"),
          "operating-point": ("the operating point ({x}, {y}) does not lie on the {curve_title} through its points",
                              "工作点 ({x}, {y}) 不在由各点连成的{curve_title_zh}上"),
      })
def metric_curve_agreement(ctx: Context):
    results = ctx.instances("MetricResult")
    areas: dict[tuple, tuple[float, int] | None] = {}
    curves: dict[tuple, list[tuple[str, dict]]] = {}
    for ptr, m in results:
        if _kind(m.get("metric")) == "curve" and isinstance(m.get("curve"), dict):
            curves.setdefault((m["metric"], _same_measurement(m)), []).append((ptr, m["curve"]))
    for ptr, m in results:
        metric = m.get("metric")
        curve_metric = metric if _kind(metric) == "curve" else _curve_of(m)
        if curve_metric is None:
            continue
        title, title_zh = enum_label("Metric", curve_metric)
        curve = m.get("curve")
        if isinstance(curve, dict):
            line = _polyline(curve_metric, _points(curve))
            op = curve.get("operating_point")
            if (isinstance(op, dict) and is_number(op.get("x")) and is_number(op.get("y")) and line
                    and not _on_line(line, op["x"], op["y"])):
                yield found(f"{ptr}/curve/operating_point", "operating-point", x=op["x"], y=op["y"],
                            curve_title=title.lower(), curve_title_zh=title_zh)
        if metric != "auc" or not is_number(m.get("value")) or curve_metric == "froc_curve":
            # an FROC's area depends on where its unbounded horizontal axis is cut; average precision is
            # usually the step-wise sum (precision times recall increment), not the trapezoid area
            continue
        where, where_zh = "", ""
        if not isinstance(curve, dict):
            same = curves.get((curve_metric, _same_measurement(m)), [])
            if len(same) != 1:
                continue
            where, curve = f" ({same[0][0]})", same[0][1]
            where_zh = f"（{same[0][0]}）"
        key = (id(curve), curve_metric)
        if key not in areas:  # one curve may serve many area results: its area is computed once
            points = _points(curve)
            line = _polyline(curve_metric, points)
            spans = len(line) >= 2 and (curve_metric == "roc_curve" or (line[0][0] <= 0 and line[-1][0] >= 1))
            areas[key] = (_trapezoid(line), len(points)) if spans else None
        if areas[key] is None:
            continue  # the points do not span the horizontal axis: their area is not the curve's
        area, count = areas[key]
        if abs(area - m["value"]) > AREA_TOLERANCE:
            yield found(f"{ptr}/value", "area", metric=metric, value=m["value"], area=area, count=count,
                        tolerance=AREA_TOLERANCE, curve_title=title.lower(), curve_title_zh=title_zh,
                        where=where, where_zh=where_zh)


@rule("metric.matrix", ("MCS-AP-03",), "error",
      "A multi-class confusion matrix is square in the order of its labels and sums to the sample size",
      "多分类混淆矩阵按类别标签顺序构成方阵，且总数等于样本量",
      messages={
          "labels": ("class label '{label}' appears more than once", "类别标签“{label}”重复出现"),
          "rows": ("the matrix has {rows} rows for {labels} labels", "矩阵有 {rows} 行，但类别标签有 {labels} 个"),
          "row-label": ("row {row} is labelled '{label}' but the labels put '{expected}' there",
                        "第 {row} 行标为“{label}”，但按类别标签顺序应为“{expected}”"),
          "row-length": ("row '{label}' has {counts} counts for {labels} labels",
                         "“{label}”行有 {counts} 个计数，但类别标签有 {labels} 个"),
          "sample-size": ("sample size {sample_size} differs from the matrix total {total}",
                          "样本量 {sample_size} 与矩阵总数 {total} 不一致"),
      })
def metric_matrix(ctx: Context):
    for ptr, m in ctx.instances("MetricResult"):
        cm = m.get("multiclass_confusion_matrix")
        if not isinstance(cm, dict) or not isinstance(cm.get("labels"), list) or not isinstance(cm.get("rows"), list):
            continue
        base = f"{ptr}/multiclass_confusion_matrix"
        labels, rows = [as_text(label) for label in cm["labels"]], cm["rows"]
        for i, label in enumerate(labels):
            if label in labels[:i]:
                yield found(f"{base}/labels/{i}", "labels", label=label)
        if len(rows) != len(labels):
            yield found(f"{base}/rows", "rows", rows=len(rows), labels=len(labels))
        total, whole = 0, True
        for i, row in enumerate(rows):
            if not isinstance(row, dict):
                whole = False
                continue
            if i < len(labels) and "label" in row and as_text(row["label"]) != labels[i]:
                yield found(f"{base}/rows/{i}/label", "row-label", row=i + 1, label=as_text(row["label"]),
                            expected=labels[i])
            counts = row.get("cells")
            if not isinstance(counts, list) or not all(isinstance(c, int) and not isinstance(c, bool) for c in counts):
                whole = False
                continue
            if len(counts) != len(labels):
                yield found(f"{base}/rows/{i}/cells", "row-length", label=as_text(row.get("label")),
                            counts=len(counts), labels=len(labels))
            total += sum(counts)
        if whole and isinstance(m.get("sample_size"), int) and m["sample_size"] != total:
            yield found(f"{ptr}/sample_size", "sample-size", sample_size=m["sample_size"], total=total)


# --- Real-time performance and agreement of repeated measurements ------------------------------------------

@rule("metric.latency", ("MCS-AP-03",), "error",
      "A latency is in milliseconds, never negative, and its percentiles rise with the percentile",
      "时延以毫秒计、不为负，且百分位数越高时延不越低",
      messages={
          "unit": ("latency {value} is given in '{unit}'; write it in milliseconds (unit: ms)",
                   "时延 {value} 的单位为“{unit}”；应以毫秒表示（单位 ms）"),
          "negative": ("latency {value} ms is negative", "时延 {value} ms 为负"),
          "percentile": ("percentile {percentile} is not in (0, 100]: above 0 and at most 100",
                         "百分位数 {percentile} 不在 (0, 100] 内：应大于 0 且不大于 100"),
          "order": ("the {percentile}th-percentile latency {value} ms is below the {lower_percentile}th-percentile "
                    "latency {lower_value} ms measured under the same conditions",
                    "第 {percentile} 百分位时延 {value} ms 低于相同条件下测得的第 {lower_percentile} 百分位时延 {lower_value} ms"),
      })
def metric_latency(ctx: Context):
    groups: dict[tuple, list[tuple[float, float, str]]] = {}
    for ptr, m in ctx.instances("MetricResult"):
        if m.get("metric") != "latency":
            continue
        value, percentile = m.get("value"), m.get("percentile")
        if m.get("unit") != "ms":
            yield found(f"{ptr}/unit" if "unit" in m else ptr, "unit", value=as_text(value),
                        unit=as_text(m.get("unit", "")))
        if is_number(value) and value < 0:
            yield found(f"{ptr}/value", "negative", value=value)
        if is_number(percentile) and not 0 < percentile <= 100:
            yield found(f"{ptr}/percentile", "percentile", percentile=percentile)
        elif is_number(percentile) and is_number(value) and m.get("unit") == "ms":
            key = (*_same_measurement(m), as_text(m.get("measurement_conditions")))
            groups.setdefault(key, []).append((percentile, value, ptr))
    for entries in groups.values():
        entries.sort(key=lambda e: e[0])
        for (p0, v0, _), (p1, v1, ptr) in zip(entries, entries[1:]):
            if p1 > p0 and v1 < v0:
                yield found(f"{ptr}/value", "order", percentile=_number(p1), value=v1,
                            lower_percentile=_number(p0), lower_value=v0)


def _number(value: float) -> int | float:
    return int(value) if float(value).is_integer() else value


@rule("metric.repeated-measurement", ("MCS-AP-03",), "error",
      "A repeatability or reproducibility result says how it was repeated, and its counts agree with its kind",
      "重复性或再现性结果说明重复测量方式，且其计数与其类型相符",
      messages={
          "missing": ("{metric} {value} does not say how the measurement was repeated (repeated_measurement)",
                      "{metric} {value} 未说明测量是如何重复进行的（重复测量）"),
          "runs": ("{metric} compares repeated results, but each object was measured {runs} time(s); at least two "
                   "are needed", "{metric} 比较重复测量的结果，但每个对象只测量了 {runs} 次；至少需要 2 次"),
          "repeatability-changed": ("repeatability is measured by one operator on one test or measurement facility; "
                                    "this study counts operators: {operators}, facilities: {facilities}, which "
                                    "makes it a reproducibility study",
                                    "重复性应由同一操作员使用同一测试或测量设施测得；本研究有 {operators} 名操作员、"
                                    "{facilities} 个设施，属于再现性研究"),
          "reproducibility-unchanged": ("reproducibility is measured by different operators on different test or "
                                        "measurement facilities; this study had one operator on one facility, which "
                                        "makes it a repeatability study",
                                        "再现性应由不同的操作员使用不同的测试或测量设施测得；本研究只有一名操作员、"
                                        "一个设施，属于重复性研究"),
          "measurements": ("{measurements} results in total differ from the sample size {sample_size} times "
                           "{runs} measurements per object ({expected})",
                           "测试结果总数 {measurements} 与样本量 {sample_size} 乘以每个对象的测量次数 {runs}（{expected}）不一致"),
      })
def metric_repeated_measurement(ctx: Context):
    for ptr, m in ctx.instances("MetricResult"):
        metric = m.get("metric")
        if metric not in ("repeatability", "reproducibility"):
            continue
        study = m.get("repeated_measurement")
        if not isinstance(study, dict):
            yield found(ptr, "missing", metric=metric, value=as_text(m.get("value")))
            continue
        base = f"{ptr}/repeated_measurement"
        runs = study.get("repeated_runs")
        if isinstance(runs, int) and runs < 2:
            yield found(f"{base}/repeated_runs", "runs", metric=metric, runs=runs)
        operators, facilities = study.get("operators"), study.get("facilities")
        if metric == "repeatability" and any(isinstance(n, int) and n > 1 for n in (operators, facilities)):
            yield found(base, "repeatability-changed", operators=as_text(operators if operators is not None else 1),
                        facilities=as_text(facilities if facilities is not None else 1))
        if metric == "reproducibility" and operators == 1 and facilities == 1:
            yield found(base, "reproducibility-unchanged")
        total, size = study.get("measurements"), m.get("sample_size")
        if all(isinstance(n, int) and not isinstance(n, bool) for n in (total, size, runs)) and total != size * runs:
            yield found(f"{base}/measurements", "measurements", measurements=total, sample_size=size, runs=runs,
                        expected=size * runs)


# Kinds of single-number metric whose estimate comes with a confidence interval (a latency percentile,
# kind duration, describes a distribution and need not).
_WITH_INTERVAL = ("proportion", "score", "rate", "ratio", "distance")
TRANSFER = "MCS-AP-03"


@rule("metric.interval-missing", (TRANSFER,), "error",
      "Each single-number transfer result gives a confidence interval", "每个单一数值的迁移性能结果均给出置信区间",
      messages={"": ("{metric} {value} is given without a confidence interval", "{metric} {value} 未给出置信区间")})
def metric_interval_missing(ctx: Context):
    """MCS-AP-03 asks for results with confidence intervals; a curve or a confusion matrix has none of
    its own. A missing interval leaves the requirement incomplete (not failed), and is said only of a
    card that claims it."""
    kind = ctx.data.get("provider_kind")
    if not is_claimed(catalogue.by_id()[TRANSFER], declaration(ctx.data), kind if isinstance(kind, str) else None):
        return
    for ptr, m in ctx.instances("MetricResult"):
        if not ptr.startswith("/applicability/transfer_performance/"):
            continue
        value = m.get("value")
        if _kind(m.get("metric")) in _WITH_INTERVAL and is_number(value) and m.get("confidence_interval") is None:
            yield found(f"{ptr}/confidence_interval", metric=as_text(m.get("metric")), value=as_text(value))
