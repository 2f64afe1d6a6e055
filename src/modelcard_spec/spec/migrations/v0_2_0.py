"""Schema 0.2.0 -> 0.3.0 (trace every statement of the sources).

What changed for a card (CHANGELOG.md, docs/guides/versioning.md "Updating a card from schema 0.2.0",
the JSON Schemas of the two releases compared): every new field is optional, so the card's own
fields keep their places. The metrics changed meaning or shape:

* ``false_positive_rate`` was, in 0.2.0, annex 2's case-level rate; from 0.3.0 that rate is
  ``case_false_positive_rate`` and ``false_positive_rate`` is the sample-level FP/(FP+TN). The value
  is renamed to keep its meaning.
* a curve (a metric whose ``mcs:kind`` is ``curve``) gives its points under ``curve`` and a
  confusion matrix (kind ``table``) its counts, neither a ``value``: a 0.2.0 ``value`` of such a
  result has no place in 0.3.0 and is kept in ``extensions`` (a value that is not text as its JSON
  text, which the change says; a null is left as written); the curve's points are not invented.
* an ``auc`` names its curve (``curve_type``), which 0.2.0 did not ask: not guessed.
"""

from __future__ import annotations

from .. import pointers
from ..resources import schema_index
from .base import Change, copied, instances, reasons, set_version, to_extensions

SOURCE = "0.2.0"
TARGET = "0.3.0"

_change = reasons(SOURCE, TARGET, {
    "case-fpr": ("in 0.2.0 false_positive_rate was annex 2's case-level rate, which 0.3.0 calls "
                 "case_false_positive_rate (false_positive_rate is now the sample-level FP/(FP+TN)); rename it "
                 "back only if the figure is the sample-level rate",
                 "0.2.0 版的 false_positive_rate 为附件 2 的病例水平假阳性率，0.3.0 版称为 case_false_positive_rate"
                 "（false_positive_rate 现为样本水平的 FP/(FP+TN)）；仅当该数值为样本水平时才改回"),
    "shape-value": ("{metric} is not a single number in 0.3.0 (a curve gives its points, a confusion matrix its "
                    "counts): the value has no place there and is kept in extensions",
                    "0.3.0 版中 {metric} 不是单一数值（曲线给出各点，混淆矩阵给出计数）：该数值无对应字段，保留于扩展信息中"),
    "shape-json": ("{metric} is not a single number in 0.3.0 (a curve gives its points, a confusion matrix its "
                   "counts): the value has no place there and is kept in extensions, as its JSON text (an "
                   "extensions value is text)",
                   "0.3.0 版中 {metric} 不是单一数值（曲线给出各点，混淆矩阵给出计数）：该数值无对应字段，以其 JSON 文本"
                   "保留于扩展信息中（扩展信息的取值为文字）"),
    "curve-points": ("{metric} gives its points under curve from 0.3.0 on; the 0.2.0 card has none: not invented",
                     "自 0.3.0 版起，{metric} 应在 curve 下给出各点；0.2.0 版模型卡未给出：迁移不自行生成"),
    "curve-type": ("an auc names the curve it is the area under from 0.3.0 on (curve_type); the 0.2.0 card does "
                   "not say: not guessed",
                   "自 0.3.0 版起，auc 应注明所属曲线（curve_type）；0.2.0 版模型卡未注明：迁移不作推测"),
})


def _metric_kinds() -> dict[str, str]:
    """Each metric of the current vocabulary with its kind (mcs:kind: curve, table, proportion, ...)."""
    return {name: meta["annotations"].get("kind", "") for name, meta in schema_index()["enums"]["Metric"]["values"].items()}


def apply(card: dict) -> tuple[dict, list[Change]]:
    new = copied(card)
    changes = set_version(new, SOURCE, TARGET)
    kinds = _metric_kinds()
    for ptr, result in instances(card, SOURCE, "MetricResult"):
        target = pointers.resolve(new, pointers.tokens(ptr))
        metric = result.get("metric")
        if metric == "false_positive_rate":
            target["metric"] = "case_false_positive_rate"
            changes.append(_change("renamed", f"{ptr}/metric", f"{ptr}/metric", metric, "case_false_positive_rate",
                                   "case-fpr"))
        elif isinstance(metric, str) and kinds.get(metric) in ("curve", "table"):
            if result.get("value") is not None:  # a null says nothing: left as written, never made text
                value = target.pop("value")
                why = _change("to_extensions", "", None, None, None,
                              "shape-value" if isinstance(value, str) else "shape-json", metric=metric)
                changes.append(to_extensions(new, SOURCE, f"{ptr}/value", value, why.reason_en, why.reason_zh))
            if kinds[metric] == "curve":
                changes.append(_change("missing", ptr, f"{ptr}/curve", None, None, "curve-points", metric=metric))
        elif metric == "auc" and "curve_type" not in result:
            changes.append(_change("missing", ptr, f"{ptr}/curve_type", None, None, "curve-type"))
    return new, changes
