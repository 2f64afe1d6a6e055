"""Rules on the applicability area: performance requirements set against the reported results, and
the algorithm risks the inspection guide names."""

from __future__ import annotations

from ...spec.resources import schema_index
from .base import Context, found, rule, is_number, as_text

_REQUIREMENTS = "/applicability/performance_requirements"
_ASPECT = "applicability.performance_requirements[].aspect"
_RISK_KIND = "applicability.risks[].kind"


def _applicability(ctx: Context) -> dict:
    app = ctx.data.get("applicability")
    return app if isinstance(app, dict) else {}


def _list(value) -> list:
    return value if isinstance(value, list) else []


def _applicable_requirements(app: dict):
    """(index, requirement, metric) of each performance requirement that applies and names a metric."""
    for i, req in enumerate(_list(app.get("performance_requirements"))):
        if isinstance(req, dict) and req.get("applies") is True and isinstance(req.get("acceptance_metric"), str):
            yield i, req, req["acceptance_metric"]


def _results(app: dict):
    """(pointer, result) of every reported result: the transfer performance and the robustness tests'."""
    for i, result in enumerate(_list(app.get("transfer_performance"))):
        if isinstance(result, dict):
            yield f"/applicability/transfer_performance/{i}", result
    for t, test in enumerate(_list(app.get("robustness_tests"))):
        for i, result in enumerate(_list(test.get("results")) if isinstance(test, dict) else []):
            if isinstance(result, dict):
                yield f"/applicability/robustness_tests/{t}/results/{i}", result


@rule("performance.result-reported", ("MCS-AP-09",), "error",
      "An applicable performance requirement has a result with its metric", "适用的性能指标要求有以其评价指标报告的结果",
      messages={"": ("the {aspect} requirement applies and is measured by {metric}, but neither the transfer "
                     "performance nor a robustness test reports a {metric} result",
                     "性能指标要求“{aspect}”适用且以 {metric} 衡量，但迁移性能和鲁棒性测试结果中均没有 {metric} 的结果")},
      labels={"aspect": "value:field", "field": "field"})
def performance_result_reported(ctx: Context):
    app = _applicability(ctx)
    reported = {r.get("metric") for _, r in _results(app) if isinstance(r.get("metric"), str)}
    for i, req, metric in _applicable_requirements(app):
        if metric not in reported:
            yield found(f"{_REQUIREMENTS}/{i}/acceptance_metric", aspect=as_text(req.get("aspect")), metric=metric, field=_ASPECT)


@rule("performance.acceptance", ("MCS-AP-09",), "warning",
      "Reported results meet the card's own acceptance criteria", "报告的结果满足模型卡自身的接受准则",
      messages={
          "below": ("the {metric} result {value} ({result}) is below the acceptance minimum {minimum} of the {aspect} "
                    "requirement: restrict the intended uses accordingly or explain the shortfall",
                    "{metric} 结果 {value}（{result}）低于性能指标要求“{aspect}”的接受下限 {minimum}：应相应限制预期用途或说明原因"),
          "above": ("the {metric} result {value} ({result}) is above the acceptance maximum {maximum} of the {aspect} "
                    "requirement: restrict the intended uses accordingly or explain the shortfall",
                    "{metric} 结果 {value}（{result}）高于性能指标要求“{aspect}”的接受上限 {maximum}：应相应限制预期用途或说明原因"),
      },
      labels={"aspect": "value:field", "field": "field"})
def performance_acceptance(ctx: Context):
    """At the criterion (what the card sets), naming the result that falls outside it."""
    app = _applicability(ctx)
    results = list(_results(app))
    for i, req, metric in _applicable_requirements(app):
        for ptr, result in results:
            value = result.get("value")
            if result.get("metric") != metric or not is_number(value):
                continue
            common = dict(metric=metric, value=value, aspect=as_text(req.get("aspect")), result=ptr, field=_ASPECT)
            low, high = req.get("minimum"), req.get("maximum")
            if is_number(low) and value < low:
                yield found(f"{_REQUIREMENTS}/{i}/minimum", "below", minimum=low, **common)
            if is_number(high) and value > high:
                yield found(f"{_REQUIREMENTS}/{i}/maximum", "above", maximum=high, **common)


def _values_of(cls: str, slot: str) -> list[str]:
    """The values of the enum a slot of a class ranges over, in the generated schema index's order."""
    index = schema_index()
    return list(index["enums"][index["classes"][cls]["slots"][slot]["range"]]["values"])


def _not_given(entries, key: str, expected: list[str]) -> list[str]:
    """The values of ``expected`` that no entry of the list ``entries`` gives under ``key`` (none when
    there is no list: an absent list is the claimed requirement's missing field, not a rule's)."""
    if not isinstance(entries, list):
        return []
    present = {e.get(key) for e in entries if isinstance(e, dict) and isinstance(e.get(key), str)}
    return [value for value in expected if value not in present]


@rule("risks.kinds", ("MCS-AP-13",), "error",
      "Every kind of algorithm risk the guide names has an entry", "检查指南所列各类算法风险均有条目",
      messages={"": ("no entry for the risks {missing} (an entry may say why the risk does not arise for this model)",
                     "缺少以下算法风险的条目：{missing}（条目可说明该风险对本模型为何不存在）")},
      labels={"missing": "value:field", "field": "field"})
def risks_kinds(ctx: Context):
    missing = _not_given(_applicability(ctx).get("risks"), "kind", _values_of("Risk", "kind"))
    if missing:
        yield found("/applicability/risks", missing=missing, field=_RISK_KIND)


@rule("performance.aspects", ("MCS-AP-09",), "error",
      "Every performance indicator the guide names is stated as applying or not", "检查指南所列各项性能指标均已说明是否适用",
      messages={"": ("the performance requirements do not say whether {missing} apply (an entry with applies: false "
                     "and the rationale says why one does not)",
                     "性能指标要求未说明以下指标是否适用：{missing}（不适用的，以 applies: false 及理由说明）")},
      labels={"missing": "value:field", "field": "field"})
def performance_aspects(ctx: Context):
    aspects = [a for a in _values_of("PerformanceRequirement", "aspect") if a != "other"]  # "other": the card's own
    missing = _not_given(_applicability(ctx).get("performance_requirements"), "aspect", aspects)
    if missing:
        yield found(_REQUIREMENTS, missing=missing, field=_ASPECT)


@rule("performance.criterion", ("MCS-AP-09",), "error",
      "An indicator that applies has its metric and acceptance criterion, or says who sets them",
      "适用的性能指标给出度量和接受准则，或说明由谁确定",
      messages={"criterion": ("the {aspect} requirement names the metric {metric} but no acceptance criterion "
                              "(minimum or maximum)",
                              "性能指标要求“{aspect}”给出了度量 {metric}，但未给出接受准则（下限或上限）"),
                "nothing": ("the {aspect} requirement applies but gives neither a metric with an acceptance criterion "
                            "nor a rationale saying why the criterion is set elsewhere (e.g. by the device manufacturer)",
                            "性能指标要求“{aspect}”适用，但既未给出度量和接受准则，也未在理由中说明接受准则由何方确定（例如器械注册人）")},
      labels={"aspect": "value:field", "field": "field"})
def performance_criterion(ctx: Context):
    for i, req in enumerate(_list(_applicability(ctx).get("performance_requirements"))):
        if not isinstance(req, dict) or req.get("applies") is not True:
            continue
        metric = req.get("acceptance_metric")
        if isinstance(metric, str):
            if not is_number(req.get("minimum")) and not is_number(req.get("maximum")):
                yield found(f"{_REQUIREMENTS}/{i}/minimum", "criterion", aspect=as_text(req.get("aspect")),
                            metric=metric, field=_ASPECT)
        elif not (isinstance(req.get("rationale"), str) and req["rationale"].strip()):
            yield found(f"{_REQUIREMENTS}/{i}/acceptance_metric", "nothing", aspect=as_text(req.get("aspect")),
                        field=_ASPECT)


# ---------------------------------------------------------------- coded applicability (ranges, units, body parts)

def _requirement_at(ptr: str) -> str:
    """The requirement a structured applicability statement at ``ptr`` serves, by the card area it is in."""
    if ptr.startswith("/input_output/"):
        return "MCS-IO-01"
    if ptr.startswith("/source_task_data/"):
        return "MCS-SD-04" if any(t == "acquisition_profile" for t in ptr.split("/")) else "MCS-SD-03"
    return "MCS-AP-01"


def _card_path(ptr: str) -> str:
    """The card path (``a.b[].c``) of the field at a JSON Pointer into the card."""
    from ...spec.pointers import is_index, tokens

    return ".".join("[]" if is_index(t) else t for t in tokens(ptr)).replace(".[]", "[]")


@rule("range.order", ("MCS-AP-01", "MCS-SD-03", "MCS-SD-04"), "error",
      "A range's minimum does not exceed its maximum", "范围的下限不大于上限",
      messages={"": ("the minimum {minimum} of {field} exceeds its maximum {maximum}",
                     "{field}的下限 {minimum} 大于上限 {maximum}")},
      labels={"field": "field"})
def range_order(ctx: Context):
    for ptr, r in ctx.instances("NumericRange"):
        low, high = r.get("minimum"), r.get("maximum")
        if is_number(low) and is_number(high) and low > high:
            yield found(f"{ptr}/minimum", requirement=_requirement_at(ptr), minimum=low, maximum=high,
                        field=_card_path(ptr))


def _has_bound(r) -> bool:
    return isinstance(r, dict) and (is_number(r.get("minimum")) or is_number(r.get("maximum")))


@rule("range.unit", ("MCS-AP-01", "MCS-SD-03", "MCS-SD-04"), "error",
      "Ages and lengths are given in units of their kind", "年龄和长度以相应的单位给出",
      messages={
          "age": ("the unit {unit} of {field} is not an age unit (one of {units}: years, months, days)",
                  "{field}的单位 {unit} 不是年龄单位（应为 {units} 之一，即年、月、天）"),
          "age-missing": ("{field} has bounds but no unit (one of {units}: years, months, days)",
                          "{field}给出了上下限但没有单位（应为 {units} 之一，即年、月、天）"),
          "length": ("the unit {unit} of {field} is not a length (one of {units})",
                     "{field}的单位 {unit} 不是长度单位（应为 {units} 之一）"),
          "length-missing": ("{field} has bounds but no unit (a length: one of {units})",
                             "{field}给出了上下限但没有单位（应为长度单位 {units} 之一）"),
      },
      labels={"field": "field"})
def range_unit(ctx: Context):
    from ...spec.vocabulary import AGE_UNITS, LENGTH_UNITS

    checked = [(ptr, pop.get("age_range"), f"{ptr}/age_range", "age", AGE_UNITS)
               for ptr, pop in ctx.instances("Population")]
    checked += [(ptr, profile.get(key), f"{ptr}/{key}", "length", LENGTH_UNITS)
                for ptr, profile in ctx.instances("AcquisitionProfile") for key in ("slice_thickness", "pixel_spacing")]
    for ptr, r, at, kind, units in checked:
        if not _has_bound(r):
            continue
        unit = r.get("unit")
        if unit is None:
            yield found(at, f"{kind}-missing", requirement=_requirement_at(ptr), field=_card_path(at), units=list(units))
        elif unit not in units:
            yield found(f"{at}/unit", kind, requirement=_requirement_at(ptr), field=_card_path(at), unit=as_text(unit),
                        units=list(units))


@rule("body-parts.coded", ("MCS-AP-01", "MCS-IO-01", "MCS-SD-03"), "info",
      "Body parts that DICOM defines are coded, not written as notes", "DICOM 已定义的部位以编码给出，而非写作补充说明",
      messages={"": ("the note '{note}' is the DICOM Body Part Examined term {term} ({meaning}): give it in {field} "
                     "(the notes are for what the codes cannot say)",
                     "补充说明“{note}”即 DICOM 检查部位术语 {term}（代码含义 {meaning}）：宜在{field}中以编码给出（补充说明用于编码无法表达的内容）")},
      labels={"term": "value:field", "field": "field"})
def body_parts_coded(ctx: Context):
    from ...spec.vocabulary import body_part_term

    index = schema_index()
    holders = [name for name, cls in index["classes"].items() if "body_part_notes" in cls["slots"]]
    values = index["enums"]["BodyPart"]["values"]
    for cls in holders:
        for ptr, obj in ctx.instances(cls):
            notes = obj.get("body_part_notes")
            for i, note in enumerate(notes if isinstance(notes, list) else []):
                term = body_part_term(note)
                if term:
                    yield found(f"{ptr}/body_part_notes/{i}", requirement=_requirement_at(ptr), note=note, term=term,
                                meaning=values[term]["title"], field=_card_path(f"{ptr}/body_parts"))
