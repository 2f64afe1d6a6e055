"""Semantic rules: checks of meaning that the JSON Schema cannot express.

Each rule is a small function registered with :func:`rule`, which gives it an ID, the catalogue
requirement(s) it serves, a default severity and a one-line bilingual title. A rule receives a
:class:`Context` and yields :class:`Finding` objects (pointer, message variant and parameters),
which the registry's templates render in English and Chinese.

Rules find the objects they check by schema class (``ctx.instances("MetricResult")``) using the
generated schema index, so they do not depend on where in the card an object sits.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from functools import lru_cache
from decimal import Decimal
from pathlib import Path
from typing import Callable, Iterator, Mapping

from ..spec import catalogue
from ..spec.resources import schema_index
from ..spec.schema import walk
from ..spec.registry import Check, register as register_check
from ..spec.evidence import MAX_SAMPLE_LISTS, EvidenceError, EvidenceReader


@dataclass(frozen=True)
class Finding:
    """What a rule found at ``path``: the variant of its message and the message's parameters
    (rendered by the rule's templates in :mod:`..spec.registry`). Make one with :func:`found`."""

    path: str
    variant: str = ""
    params: Mapping | None = None
    severity: str | None = None  # overrides the rule's default
    requirement: str | None = None  # overrides the rule's first requirement


def found(path: str, variant: str = "", *, severity: str | None = None, requirement: str | None = None,
          **params) -> Finding:
    """A finding at ``path`` with the message ``variant`` of its rule and its parameters."""
    return Finding(path, severity=severity, requirement=requirement, variant=variant, params=params)


@dataclass(frozen=True)
class Rule:
    """A rule function and the check it reports as (its ID, requirements, severity, titles and
    message templates live in the registry)."""

    check: Check
    run: Callable[["Context"], Iterator[Finding]]

    @property
    def id(self) -> str:
        return self.check.id

    @property
    def requirements(self) -> tuple[str, ...]:
        return self.check.requirements

    @property
    def severity(self) -> str:
        return self.check.severity

    @property
    def title(self) -> str:
        return self.check.title

    @property
    def title_zh(self) -> str:
        return self.check.title_zh


RULES: dict[str, Rule] = {}


def rule(rule_id: str, requirements: tuple[str, ...], severity: str, title: str, title_zh: str,
         messages: Mapping[str, tuple[str, str]] | None = None):
    """Register a rule function under ``rule_id`` with its check (see :class:`..spec.registry.Check`)."""
    def register(fn):
        check = register_check(Check(rule_id, severity, title, title_zh, messages or {}, tuple(requirements)))
        RULES[rule_id] = Rule(check, fn)
        return fn
    return register


@dataclass
class Context:
    """One validation of one card. The evidence read during it is remembered only here (see
    :class:`EvidenceReader`), never across validations."""

    data: dict
    folder: Path | None = None
    _instances: dict | None = field(default=None, repr=False)
    _walked: list | None = field(default=None, repr=False)
    _evidence: "EvidenceReader | None" = field(default=None, repr=False)

    @property
    def evidence(self) -> "EvidenceReader":
        """The card's evidence files as read during this validation (``folder`` must be set)."""
        if self._evidence is None:
            self._evidence = EvidenceReader(self.folder)
        return self._evidence

    def walked(self) -> list[tuple[str, str, dict]]:
        """Every class instance of the card with its pointer and class (computed once)."""
        if self._walked is None:
            self._walked = list(walk(self.data))
        return self._walked

    @property
    def provider_kind(self) -> str | None:
        kind = self.data.get("provider_kind")
        return kind if isinstance(kind, str) else None

    def instances(self, class_name: str) -> list[tuple[str, dict]]:
        """(pointer, object) for every object of a schema class in the card, in document order."""
        if self._instances is None:
            self._instances = {}
            for pointer, cls, obj in self.walked():
                self._instances.setdefault(cls, []).append((pointer, obj))
        return self._instances.get(class_name, [])

    def by_id(self, class_name: str) -> dict[str, dict]:
        """Objects of a class keyed by their (string) identifier; the first one wins."""
        out: dict[str, dict] = {}
        for _, obj in self.instances(class_name):
            if isinstance(obj.get("id"), str):
                out.setdefault(obj["id"], obj)
        return out

    def ids(self, class_name: str) -> set[str]:
        return set(self.by_id(class_name))


def _enum_annotation(enum: str, value, key: str) -> str | None:
    """An annotation of an enum's permissible value (e.g. Metric ``kind``), None if not a value."""
    if not isinstance(value, str):
        return None
    spec = schema_index()["enums"][enum]["values"].get(value)
    return spec["annotations"].get(key) if spec else None


def _text(value) -> str | None:
    return value if isinstance(value, str) else None


def _as_text(value) -> str:
    """A card value the schema wants to be a string, as a message shows it: anything else as ``str()``
    writes it (a list is not joined by ", "), so the parameter is a string whatever the card holds."""
    return value if isinstance(value, str) else str(value)


def _role_zh(role, initial: bool = False) -> str:
    """The Chinese wording of a split role before "的样本清单": its title from the schema ("测试集");
    a value that is not a role is shown as written, set off by spaces (" foo "), but not at the start
    of the message (``initial``: "foo ")."""
    index = schema_index()
    roles = index["enums"][index["classes"]["Split"]["slots"]["role"]["range"]]["values"]
    spec = roles.get(role) if isinstance(role, str) else None
    wording = spec["title_zh"] if spec else f" {role} "
    return wording.lstrip() if initial else wording


def _num(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _decimals(value: float) -> int:
    exponent = Decimal(repr(value)).as_tuple().exponent
    return max(0, -exponent) if isinstance(exponent, int) else 0


# --------------------------------------------------------------------------- metric results

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
        if formula is None or not _num(value):
            continue
        expected = formula(*counts.values())
        if expected is None:
            continue
        tolerance = 0.5 * 10 ** -_decimals(float(value)) + 1e-9
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
        if _num(level) and not 0 < level < 1:
            yield found(f"{ptr}/confidence_interval/level", "level-percent" if level > 1 else "level", level=level)
        if _num(lower) and _num(upper) and lower > upper:
            yield found(f"{ptr}/confidence_interval", "inverted", lower=lower, upper=upper)
        elif _num(lower) and _num(upper) and _num(value) and not lower <= value <= upper:
            yield found(f"{ptr}/value", "outside", value=value, lower=lower, upper=upper)


@rule("metric.proportion-range", ("MCS-AP-03",), "error",
      "Proportions are written as fractions between 0 and 1", "比例类指标以 0 到 1 之间的小数表示",
      messages={"": ("{metric} is a proportion but its value is {value} (write 0.91, not 91)",
                     "{metric} 为比例类指标，但数值为 {value}（应写 0.91 而非 91）")})
def metric_proportion_range(ctx: Context):
    for ptr, m in ctx.instances("MetricResult"):
        value = m.get("value")
        if _enum_annotation("Metric", m.get("metric"), "kind") == "proportion" and _num(value) and not 0 <= value <= 1:
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
            key = (_text(m.get("dataset")), _text(m.get("task")))
            totals[key] = max(totals.get(key, 0), m["sample_size"])
    for ptr, m in results:
        size = m.get("sample_size")
        if not isinstance(size, int):
            continue
        total = totals.get((_text(m.get("dataset")), _text(m.get("task"))))
        if m.get("subgroup") and total is not None and size > total:
            yield found(f"{ptr}/sample_size", "subgroup", subgroup=_as_text(m["subgroup"]), sample_size=size, total=total)
        used = datasets.get(_text(m.get("dataset")), {}).get("amount_used")
        if isinstance(used, int) and size > used:
            yield found(f"{ptr}/sample_size", "dataset", sample_size=size, amount_used=used, dataset=m["dataset"])


# --------------------------------------------------------------------------- references


@lru_cache(maxsize=1)
def _referenced_classes() -> tuple[str, ...]:
    """Classes the schema lets a card refer to by id (ranges of slots that are not inlined)."""
    return tuple(sorted({slot["range"] for c in schema_index()["classes"].values() for slot in c["slots"].values()
                         if slot["kind"] == "class" and not slot["inlined"]}))


@rule("reference.unknown", ("MCS-LC-05",), "error",
      "References name a dataset or evidence declared in the card", "引用指向模型卡中已声明的数据集或证据",
      messages={"": ("no {target_title} with id '{target}' is declared in the card",
                     "模型卡中未声明标识为“{target}”的{target_title_zh}")})
def reference_unknown(ctx: Context):
    index = schema_index()["classes"]
    declared = {cls: ctx.ids(cls) for cls in _referenced_classes()}
    for ptr, cls, obj in ctx.walked():
        for key, slot in index[cls]["slots"].items():
            if slot["kind"] != "class" or slot["inlined"] or key not in obj:
                continue
            targets = obj[key] if isinstance(obj[key], list) else [obj[key]]
            target_class = index[slot["range"]]
            for i, target in enumerate(targets):
                if isinstance(target, str) and target not in declared[slot["range"]]:
                    where = f"{ptr}/{key}" + (f"/{i}" if isinstance(obj[key], list) else "")
                    requirement = catalogue.primary_requirement(where, ctx.provider_kind)
                    yield found(where, requirement=requirement, target=target, target_class=slot["range"],
                                target_title=target_class["title"].lower(), target_title_zh=target_class["title_zh"])


@rule("reference.duplicate-id", ("MCS-LC-05",), "error",
      "Identifiers of datasets and evidence are unique", "数据集和证据的标识唯一",
      messages={"": ("id '{id}' is already used at {first}", "标识“{id}”已在 {first} 使用")})
def reference_duplicate_id(ctx: Context):
    for cls in _referenced_classes():
        seen: dict[str, str] = {}
        for ptr, obj in ctx.instances(cls):
            ident = obj.get("id")
            if isinstance(ident, str):
                if ident in seen:
                    yield found(f"{ptr}/id", id=ident, first=seen[ident])
                seen.setdefault(ident, ptr)


# --------------------------------------------------------------------------- data splits and augmentation


@rule("splits.ratio-sum", ("MCS-TR-03",), "error", "Split ratios sum to 1", "数据划分比例之和为 1",
      messages={"": ("split ratios sum to {sum:g}, not 1", "数据划分比例之和为 {sum:g}，而不是 1")})
def splits_ratio_sum(ctx: Context):
    for ptr, s in ctx.instances("DataSplits"):
        splits = s.get("splits") if isinstance(s.get("splits"), list) else []
        ratios = [x.get("ratio") for x in splits if isinstance(x, dict)]
        if ratios and all(_num(r) for r in ratios) and abs(sum(ratios) - 1) > 1e-3:
            yield found(f"{ptr}/splits", sum=sum(ratios))


_UNCHECKED = ", so whether the splits share samples could not be checked"
_UNCHECKED_ZH = "，无法核验各子集是否共享样本"


@rule("splits.disjoint", ("MCS-TR-04",), "error",
      "Training, tuning and test sets are pairwise disjoint, in declaration and in fact",
      "训练集、调优集、测试集在声明上和事实上两两无交集",
      messages={
          "declared": ("the splits are declared not disjoint; they must not share samples",
                       "声明各子集存在交集；各子集不得共享样本"),
          "too-many": ("{count} sample list(s), from the {role} sample list '{sample_list}' on, were not compared "
                       "with the others: at most {limit} sample lists are compared per card" + _UNCHECKED,
                       "自{role_zh}的样本清单“{sample_list}”起，有 {count} 个样本清单未参与比对：每张模型卡最多比对 "
                       "{limit} 个样本清单" + _UNCHECKED_ZH),
          "unreadable": ("the {role} sample list '{sample_list}' {reason}" + _UNCHECKED,
                         "{role_zh}的样本清单“{sample_list}”{reason_zh}" + _UNCHECKED_ZH),
          "shared": ("the {role} sample list '{sample_list}' and the {other_role} sample list "
                     "'{other_sample_list}' share {count} sample(s), e.g. {example}",
                     "{role_zh}的样本清单“{sample_list}”与{other_role_zh}的样本清单“{other_sample_list}”"
                     "有 {count} 个共同样本，例如 {example}"),
      })
def splits_disjoint(ctx: Context):
    evidence = ctx.by_id("Evidence")
    for ptr, s in ctx.instances("DataSplits"):
        if s.get("disjoint") is False:
            yield found(f"{ptr}/disjoint", "declared")
        if ctx.folder is None:
            continue
        lists = []  # (index, role, path) of every split that names a local sample list
        for i, split in enumerate(s.get("splits") if isinstance(s.get("splits"), list) else []):
            if isinstance(split, dict) and isinstance(split.get("sample_list"), str):
                ev = evidence.get(split["sample_list"])
                if isinstance(ev, dict) and isinstance(ev.get("path"), str):
                    lists.append((i, split.get("role", "?"), ev["path"]))
        if len(lists) > MAX_SAMPLE_LISTS:
            i, role, rel = lists[MAX_SAMPLE_LISTS]
            yield found(f"{ptr}/splits/{i}/sample_list", "too-many", count=len(lists) - MAX_SAMPLE_LISTS,
                        role=_as_text(role), role_zh=_role_zh(role), sample_list=rel, limit=MAX_SAMPLE_LISTS)
        members = []
        for i, role, rel in lists[:MAX_SAMPLE_LISTS]:
            try:
                members.append((i, role, rel, ctx.evidence.sample_list(rel)))
            except EvidenceError as exc:  # each list on its own: one bad list does not stop the others
                # an absent list too: evidence.sha256 warns that the file is not beside the card, but
                # the disjointness "in fact" that MCS-TR-04 asks for was not checked
                yield found(f"{ptr}/splits/{i}/sample_list", "unreadable", role=_as_text(role),
                            role_zh=_role_zh(role, initial=True), sample_list=rel,
                            reason=exc.reason, reason_zh=exc.reason_zh)
        for a in range(len(members)):
            for b in range(a + 1, len(members)):
                (_, ra, pa, la), (ib, rb, pb, lb) = members[a], members[b]
                shared, example = la.shared_with(lb)
                if shared:
                    yield found(f"{ptr}/splits/{ib}/sample_list", "shared",
                                role=_as_text(ra), role_zh=_role_zh(ra, initial=True), sample_list=pa,
                                other_role=_as_text(rb), other_role_zh=_role_zh(rb), other_sample_list=pb,
                                count=shared, example=example)


@rule("augmentation.test-set", ("MCS-TR-02",), "error",
      "The test set is not augmented (except adversarial test sets)", "除对抗测试外不得对测试集进行扩增",
      messages={"": ("the test set is augmented; only adversarial test sets may be",
                     "对测试集进行了扩增；仅对抗测试集可以扩增")})
def augmentation_test_set(ctx: Context):
    for ptr, a in ctx.instances("Augmentation"):
        if a.get("object") == "test_set":
            yield found(f"{ptr}/object")


# --------------------------------------------------------------------------- parameters, dates, versions


@rule("parameters.trainable", ("MCS-PA-01",), "error",
      "Trainable parameters do not exceed the total", "可训练参数量不超过参数总量",
      messages={"": ("trainable parameters ({trainable_parameters}) exceed the total ({total_parameters})",
                     "可训练参数量（{trainable_parameters}）超过参数总量（{total_parameters}）")})
def parameters_trainable(ctx: Context):
    for ptr, p in ctx.instances("ModelParameters"):
        total, trainable = p.get("total_parameters"), p.get("trainable_parameters")
        if isinstance(total, int) and isinstance(trainable, int) and trainable > total:
            yield found(f"{ptr}/trainable_parameters", trainable_parameters=trainable, total_parameters=total)


@rule("compression.none-alone", ("MCS-PA-04",), "error",
      "'none' is not combined with a compression method", "“无”不与其他压缩方法并列",
      messages={"": ("compression lists 'none' together with other methods", "压缩方法同时列出了“无”和其他方法")})
def compression_none_alone(ctx: Context):
    for ptr, c in ctx.instances("Compression"):
        methods = c.get("methods") if isinstance(c.get("methods"), list) else []
        if "none" in methods and len(methods) > 1:
            yield found(f"{ptr}/methods")


@rule("dates.order", ("MCS-GEN-04",), "error",
      "Release follows training; periods start before they end", "发布晚于训练结束；时间段起点早于终点",
      messages={
          "training": ("training ends ({end}) before it starts ({start})", "训练结束日期（{end}）早于开始日期（{start}）"),
          "release": ("the release date {release} is before training ended ({end})",
                      "发布日期 {release} 早于训练结束日期 {end}"),
          "collection": ("data collection ends ({end}) before it starts ({start})",
                         "数据采集截止日期（{end}）早于起始日期（{start}）"),
      })
def dates_order(ctx: Context):
    release = ctx.data.get("release_date")
    for ptr, t in ctx.instances("TrainingProcess"):
        start, end = t.get("training_start_date"), t.get("training_end_date")
        if isinstance(start, str) and isinstance(end, str) and start > end:
            yield found(f"{ptr}/training_end_date", "training", requirement="MCS-TR-01", start=start, end=end)
        if isinstance(release, str) and isinstance(end, str) and release < end:
            yield found("/release_date", "release", release=release, end=end)
    for ptr, d in ctx.instances("Dataset"):
        start, end = d.get("time_span_start"), d.get("time_span_end")
        if isinstance(start, str) and isinstance(end, str) and start > end:
            yield found(f"{ptr}/time_span_end", "collection", requirement="MCS-SD-02", start=start, end=end)


@rule("version.in-history", ("MCS-GEN-04",), "error",
      "The card's version appears in its change history", "模型卡版本出现在变更历史中",
      messages={"": ("version {version} is not in the change history ({versions})",
                     "版本 {version} 未出现在变更历史中（{versions}）")})
def version_in_history(ctx: Context):
    history = ctx.data.get("change_history")
    version = ctx.data.get("version")
    if isinstance(history, list) and history and isinstance(version, str):
        versions = [h.get("version") for h in history if isinstance(h, dict)]
        if version not in versions:
            yield found("/change_history", version=version, versions=versions)


# --------------------------------------------------------------------------- weights, learning, annotation

_PICKLE_UNSAFE = " (pickle-based, can run code when loaded) and has no safe-loading statement"
_PICKLE_UNSAFE_ZH = " 格式（基于 pickle，加载时可执行代码），但未给出安全加载说明"


@rule("weights.pickle-safe-loading", ("MCS-PA-06",), "warning",
      "Pickle-based weight files state how to load them safely", "基于 pickle 的权重文件说明安全加载方式",
      messages={
          "": ("{file_name} is {format}" + _PICKLE_UNSAFE, "{file_name} 为 {format}" + _PICKLE_UNSAFE_ZH),
          "unnamed": ("weight file is {format}" + _PICKLE_UNSAFE, "权重文件 为 {format}" + _PICKLE_UNSAFE_ZH),
      })
def weights_pickle_safe_loading(ctx: Context):
    for ptr, w in ctx.instances("WeightFile"):
        fmt = w.get("format")
        if _enum_annotation("WeightFormat", fmt, "pickle_based") == "true" and not w.get("safe_loading"):
            if "file_name" in w:
                yield found(f"{ptr}/safe_loading", file_name=_as_text(w["file_name"]), format=fmt)
            else:
                yield found(f"{ptr}/safe_loading", "unnamed", format=fmt)


@rule("learning.self-learning-off", ("MCS-LC-04",), "error",
      "A model able to keep learning has self-learning off at deployment, with a record",
      "具备持续学习能力的模型在部署时关闭自学习并有记录",
      messages={
          "not-disabled": ("the model can keep learning, but self-learning is not stated as disabled at deployment",
                           "模型具备持续学习能力，但未声明部署时已关闭自学习功能"),
          "no-record": ("no record confirms that self-learning was switched off at deployment",
                        "缺少确认部署时已关闭自学习功能的记录"),
      })
def learning_self_learning_off(ctx: Context):
    for ptr, c in ctx.instances("ContinuousLearning"):
        if c.get("capable") is True:
            if c.get("disabled_at_deployment") is not True:
                yield found(f"{ptr}/disabled_at_deployment", "not-disabled")
            if not c.get("confirmation_record"):
                yield found(f"{ptr}/confirmation_record", "no-record")


@rule("annotation.roles", ("MCS-SD-07",), "error",
      "Annotation has primary annotators, and one person never holds two roles on a case",
      "标注有初级标注人员，且同一例数据的角色不由同一人兼任",
      messages={
          "no-primary": ("the annotation roles include no primary annotator", "标注人员角色中没有初级标注人员"),
          "not-independent": ("primary annotation, review and arbitration of one case must be done by different people",
                              "同一例数据的初级标注、审核和仲裁人员不可相互兼任"),
      })
def annotation_roles(ctx: Context):
    for ptr, a in ctx.instances("AnnotationProcess"):
        roles = [r.get("role") for r in (a.get("roles") if isinstance(a.get("roles"), list) else []) if isinstance(r, dict)]
        if roles and "primary_annotator" not in roles:
            yield found(f"{ptr}/roles", "no-primary")
        if a.get("roles_independent") is False:
            yield found(f"{ptr}/roles_independent", "not-independent")


@rule("io.node-names", ("MCS-IO-01", "MCS-IO-04"), "error",
      "Input/output specifications name declared nodes", "输入输出规格所指节点均已声明",
      messages={
          "input": ("'{node}' is not one of the declared input nodes ({declared})", "“{node}”不是已声明的节点（{declared}）"),
          "output": ("'{node}' is not one of the declared output nodes ({declared})", "“{node}”不是已声明的节点（{declared}）"),
      })
def io_node_names(ctx: Context):
    nodes = ctx.data.get("model_nodes") if isinstance(ctx.data.get("model_nodes"), dict) else {}
    io = ctx.data.get("input_output") if isinstance(ctx.data.get("input_output"), dict) else {}
    for spec_key, node_key, variant, req in (("inputs", "input_nodes", "input", "MCS-IO-01"),
                                             ("outputs", "output_nodes", "output", "MCS-IO-04")):
        declared = {n["name"] for n in (nodes.get(node_key) if isinstance(nodes.get(node_key), list) else []) if isinstance(n, dict) and isinstance(n.get("name"), str)}
        if not declared:
            continue
        for i, spec in enumerate(io.get(spec_key) if isinstance(io.get(spec_key), list) else []):
            if isinstance(spec, dict) and isinstance(spec.get("node"), str) and spec["node"] not in declared:
                yield found(f"/input_output/{spec_key}/{i}/node", variant, requirement=req,
                            node=spec["node"], declared=sorted(declared))


@rule("adaptation.recommended-supported", ("MCS-AP-02",), "warning",
      "The recommended adaptation is among the supported ones", "推荐的适配方式属于支持的适配方式",
      messages={"": ("recommended adaptation '{recommended}' is not among the supported adaptations ({supported})",
                     "推荐的适配方式“{recommended}”不在支持的适配方式中（{supported}）")})
def adaptation_recommended_supported(ctx: Context):
    app = ctx.data.get("applicability") if isinstance(ctx.data.get("applicability"), dict) else {}
    nodes = ctx.data.get("model_nodes") if isinstance(ctx.data.get("model_nodes"), dict) else {}
    rec, supported = app.get("recommended_adaptation"), nodes.get("supported_adaptations")
    if isinstance(rec, str) and isinstance(supported, list) and supported and rec not in supported:
        yield found("/applicability/recommended_adaptation", recommended=rec, supported=supported)


@rule("dataset.amount-used", ("MCS-SD-02",), "error",
      "The amount used does not exceed the dataset's total size", "使用量不超过数据总量",
      messages={"": ("amount used ({amount_used}) exceeds the dataset's total size ({total_size})",
                     "使用量（{amount_used}）超过数据总量（{total_size}）")})
def dataset_amount_used(ctx: Context):
    for ptr, d in ctx.instances("Dataset"):
        total, used = d.get("total_size"), d.get("amount_used")
        if isinstance(total, int) and isinstance(used, int) and used > total:
            yield found(f"{ptr}/amount_used", amount_used=used, total_size=total)


@rule("evidence.path", ("MCS-LC-05",), "error",
      "Evidence paths are relative and stay inside the card's folder", "证据路径为相对路径且不超出模型卡所在文件夹",
      messages={"": ("evidence path '{file}' {reason}", "证据路径“{file}”{reason_zh}")})
def evidence_path(ctx: Context):
    if ctx.folder is None:
        return
    for ptr, e in ctx.instances("Evidence"):
        rel = e.get("path")
        if isinstance(rel, str):
            problem = ctx.evidence.problem(rel)
            if problem:
                yield found(f"{ptr}/path", file=rel, reason=problem[0], reason_zh=problem[1])


@rule("evidence.sha256", ("MCS-LC-05",), "error",
      "Evidence files present match their SHA-256", "现有证据文件与其 SHA-256 一致",
      messages={
          "missing": ("evidence file '{file}' is not present beside the card", "证据文件“{file}”不在模型卡旁"),
          "unreadable": ("evidence file '{file}' {reason}, so its SHA-256 could not be checked",
                         "证据文件“{file}”{reason_zh}，无法核验其 SHA-256"),
          "mismatch": ("evidence file '{file}' has SHA-256 {actual}, not the declared one",
                       "证据文件“{file}”的 SHA-256 为 {actual}，与声明值不符"),
      })
def evidence_sha256(ctx: Context):
    if ctx.folder is None:
        return
    for ptr, e in ctx.instances("Evidence"):
        rel, declared = e.get("path"), e.get("sha256")
        if not isinstance(rel, str) or ctx.evidence.problem(rel):
            continue  # reported by evidence.path
        try:
            if not isinstance(declared, str):  # nothing to compare with: present and readable is all
                os.close(ctx.evidence.open(rel)[0])
                continue
            actual = ctx.evidence.digest(rel)
        except EvidenceError as exc:
            if exc.missing:
                yield found(f"{ptr}/path", "missing", severity="warning", file=rel)
            else:
                yield found(f"{ptr}/path", "unreadable", file=rel, reason=exc.reason, reason_zh=exc.reason_zh)
            continue
        if actual != declared:
            yield found(f"{ptr}/sha256", "mismatch", file=rel, actual=actual, expected=declared)
