"""The device manufacturer's intended-use check: an intended-use profile (``schema/intended_use.yaml``)
against a model card's declared applicability and evidence.

The profile is untrusted input: it is read with the card loader's limits and validated against its
generated JSON Schema (``intended_use.schema.json``); a profile that cannot be read or is not valid
stops the check with a located diagnostic (:class:`FitProfileError`). The card is read with the same
loader and read defensively (a value of the wrong type counts as not stated; ``validate`` judges the
card itself).

Each dimension the profile states (``FitDimension`` in the schema) gets a status (``FitStatus``):
covered, partly covered, not covered, not stated by the card (never treated as covered) or not
comparable (a unit that cannot be converted), with the card's evidence as JSON Pointers and values
and the findings behind the status (registered diagnostics, both languages). A range is covered when
the profile's range lies within the card's, partly covered when they overlap, not covered when they
are disjoint; an open bound is open (a profile's range open at a side the card's range closes is not
within it). The dimensions of the task combination (task type, modality, body part, population,
acquisition) are compared with each of the card's intended tasks as a whole and the best task is
reported; input specifications and datasets are evidence, not coverage. A body part the task does
not list is not stated (no hierarchy of body parts), not not covered. A range from the datasets is at
most partly covered unless every dataset states it, and an open bound of a data distribution is not
stated. Placeholder texts of the schema are no values. The card's unsupported uses, cautioned uses
and warnings that mention the profile's codes or terms are listed with the kind of match
(``FitMatchKind``); they do not change the statuses. The overall verdict (``FitVerdict``) follows from
the statuses (:func:`verdict`), kept at fits_partly by the profile's free text (listed, not compared)
and by an unsupported use that names a code of the profile (:func:`limit`). Dimensions are listed in
the order the schema gives them (``mcs:order``).
"""

from __future__ import annotations

import itertools
import math
import re
from dataclasses import dataclass
from functools import lru_cache

from ..spec import pointers
from ..spec.catalogue import placeholder
from ..spec.diagnostics import CardLoadError, DiagnosticError, diagnostic
from ..spec.registry import Check, register
from ..spec.resources import artifact_json, schema_index
from .loading import LoadedCard, read_card
from .structural import document_validator

register(Check("fit.profile", "error", "The intended-use profile can be read and is valid",
               "预期用途文件可以读取且有效",
               {"unreadable": ("the intended-use profile cannot be read: {detail}", "预期用途文件无法读取：{detail_zh}"),
                "invalid": ("the intended-use profile is not valid at {pointer}: {detail} ({count} problem(s) in all)",
                            "预期用途文件在 {pointer} 处无效：{detail}（共 {count} 处问题）"),
                "range-order": ("the intended-use profile's range at {pointer} has a minimum {minimum} above its "
                                "maximum {maximum}",
                                "预期用途文件在 {pointer} 处的范围最小值 {minimum} 大于最大值 {maximum}")},
               scope="command"))

# The findings behind each dimension's status. Parameters: ``dimension`` (its English title; the
# Chinese one in ``dimension_zh``), ``field`` (the profile's field, a JSON Pointer into the profile),
# values and ranges written neutrally (codes, numbers with units, interval notation).
register(Check("fit.finding", "info", "What the card states about a dimension of the intended use",
               "模型卡关于预期用途某一维度的说明",
               {"values-covered": ("{dimension}: the card states {stated}, which includes {asked}",
                                   "{dimension_zh}：模型卡写明{stated_zh}，包含{asked_zh}"),
                "values-partly": ("{dimension}: the card states {stated}; it includes {covered} but not {missing}",
                                  "{dimension_zh}：模型卡写明{stated_zh}；包含{covered_zh}，不包含{missing_zh}"),
                "values-not": ("{dimension}: the card states {stated}, which does not include {missing} "
                               "(profile field {field})",
                               "{dimension_zh}：模型卡写明{stated_zh}，不包含{missing_zh}（预期用途文件字段 {field}）"),
                "values-unstated": ("{dimension}: the card states {stated} (covered: {covered}) and does not list "
                                    "{missing}; whether a region it states contains {missing} is not compared (body "
                                    "parts have no hierarchy here), so this is not stated by the card, not not covered",
                                    "{dimension_zh}：模型卡写明{stated_zh}（已覆盖：{covered_zh}），未列出{missing_zh}；"
                                    "其写明的部位是否包含{missing_zh}不作比较（此处身体部位没有层级关系），故视为模型卡未写明，而非未覆盖"),
                "not-stated": ("{dimension}: the card states nothing at {card_fields}",
                               "{dimension_zh}：模型卡在 {card_fields} 处未作说明"),
                "range-within": ("{dimension}: {asked} lies within the card's {stated} ({pointer})",
                                 "{dimension_zh}：{asked_zh} 位于模型卡的 {stated_zh} 之内（{pointer}）"),
                "range-overlap": ("{dimension}: {asked} overlaps the card's {stated} only in part ({pointer})",
                                  "{dimension_zh}：{asked_zh} 与模型卡的 {stated_zh} 仅部分重叠（{pointer}）"),
                "range-disjoint": ("{dimension}: {asked} lies outside the card's {stated} ({pointer}; profile "
                                   "field {field})",
                                   "{dimension_zh}：{asked_zh} 位于模型卡的 {stated_zh} 之外（{pointer}；预期用途文件字段 {field}）"),
                "range-open": ("{dimension}: {asked} needs a side the card's {stated} leaves open ({pointer}); an "
                               "open bound of a data distribution is not stated",
                               "{dimension_zh}：{asked_zh} 涉及模型卡的 {stated_zh} 未封闭的一侧（{pointer}）；数据分布的开放边界视为未写明"),
                "range-unit": ("{dimension}: {asked} and the card's {stated} ({pointer}) are in units that cannot be "
                               "compared",
                               "{dimension_zh}：{asked_zh} 与模型卡的 {stated_zh}（{pointer}）单位不同，无法比较"),
                "range-axes": ("{dimension}: the profile gives {asked} axes, the card {stated} ({pointer})",
                               "{dimension_zh}：预期用途文件给出 {asked} 个轴，模型卡给出 {stated} 个（{pointer}）"),
                "from-data": ("{dimension}: the card's intended task does not state it; what its datasets state (their "
                              "distribution or acquisition) is used instead",
                              "{dimension_zh}：模型卡的预期目标任务未写明该项，改用其数据集的相应内容（数据分布或采集情况）"),
                "from-some-data": ("{dimension}: the card's intended task does not state it; {count} of its {total} "
                                   "dataset(s) state it in their distribution, the others are unknown, so it is at "
                                   "most partly covered; an open bound of a data distribution is not stated, not "
                                   "unlimited",
                                   "{dimension_zh}：模型卡的预期目标任务未写明该项；其 {total} 个数据集中有 {count} 个在数据分布中写明，"
                                   "其余未知，故至多部分覆盖；数据分布的开放边界视为未写明，而非无限制"),
                "population-text": ("{dimension}: the intended task states its population in text only, not compared: "
                                    "“{text}” ({pointer})",
                                    "{dimension_zh}：预期目标任务仅以文字说明目标人群，未作比较：“{text}”（{pointer}）"),
                "no-input": ("{dimension}: the card has no input specification for node {node}",
                             "{dimension_zh}：模型卡没有节点 {node} 的输入规格"),
                "device-covered": ("{dimension}: {asked} is listed by the card ({pointer})",
                                   "{dimension_zh}：模型卡列出了 {asked}（{pointer}）"),
                "device-maker": ("{dimension}: the card lists the manufacturer of {asked} but not that model ({pointer})",
                                 "{dimension_zh}：模型卡列出了 {asked} 的制造商，但未列出该型号（{pointer}）"),
                "device-text": ("{dimension}: the card names the manufacturer of {asked} in free text only ({pointer})",
                                "{dimension_zh}：模型卡仅以自由文本提及 {asked} 的制造商（{pointer}）"),
                "device-missing": ("{dimension}: the card lists no device of {asked} (profile field {field})",
                                   "{dimension_zh}：模型卡未列出 {asked} 的设备（预期用途文件字段 {field}）"),
                "hardware-covered": ("{dimension}: the card's runtime environment has a {kind} with {stated} GB; the "
                                     "profile's has {asked} GB ({pointer})",
                                     "{dimension_zh}：模型卡运行环境中的 {kind} 内存为 {stated} GB，预期用途文件为 {asked} GB（{pointer}）"),
                "hardware-less": ("{dimension}: the profile's {kind} has {asked} GB, less than the {stated} GB of the "
                                  "card's runtime environment ({pointer}; profile field {field})",
                                  "{dimension_zh}：预期用途文件中 {kind} 的内存为 {asked} GB，少于模型卡运行环境的 {stated} GB"
                                  "（{pointer}；预期用途文件字段 {field}）"),
                "hardware-unsized": ("{dimension}: the card's runtime environment has a {kind}, but the memory of it or "
                                     "of the profile's is not stated ({pointer})",
                                     "{dimension_zh}：模型卡运行环境中有 {kind}，但其内存或预期用途文件中的内存未写明（{pointer}）"),
                "hardware-kind": ("{dimension}: the card's runtime environment has no {kind} (profile field {field})",
                                  "{dimension_zh}：模型卡运行环境中没有 {kind}（预期用途文件字段 {field}）"),
                "memory-enough": ("{dimension}: the profile's {asked} GB are at least the {stated} GB the card's "
                                  "runtime environment has ({pointer})",
                                  "{dimension_zh}：预期用途文件的 {asked} GB 不少于模型卡运行环境的 {stated} GB（{pointer}）"),
                "memory-less": ("{dimension}: the profile's {asked} GB are less than the {stated} GB the card's runtime "
                                "environment has ({pointer}; profile field {field})",
                                "{dimension_zh}：预期用途文件的 {asked} GB 少于模型卡运行环境的 {stated} GB（{pointer}；预期用途文件字段 {field}）"),
                "subgroups": ("{dimension}: {count} subgroup result(s) of the card name {asked} in their subgroup",
                              "{dimension_zh}：模型卡有 {count} 项亚组结果在亚组名称中提及 {asked}")},
               scope="fragment"))

# The reasons of the verdict.
register(Check("fit.verdict", "info", "Why the intended use fits the card or not", "预期用途是否适用的理由",
               {"not-covered": ("not covered by the card: {dimension} (profile field {field})",
                                "模型卡未覆盖{dimension_zh}（预期用途文件字段 {field}）"),
                "partly": ("covered only in part: {dimension} (profile field {field})",
                           "{dimension_zh}仅部分覆盖（预期用途文件字段 {field}）"),
                "not-stated": ("the card does not state {dimension} (profile field {field}); not taken as covered",
                               "模型卡未写明{dimension_zh}（预期用途文件字段 {field}）；不视为覆盖"),
                "not-comparable": ("not comparable, the units differ: {dimension} (profile field {field})",
                                   "{dimension_zh}无法比较：单位不同（预期用途文件字段 {field}）"),
                "core-not-stated": ("the card does not state {dimension} (profile field {field}), so the fit cannot "
                                    "be judged",
                                    "模型卡未写明{dimension_zh}（预期用途文件字段 {field}），无法判定是否适用"),
                "all-covered": ("every coded dimension the profile states ({count}) is covered by the card",
                                "预期用途文件以编码写明的全部 {count} 个维度均在模型卡的覆盖范围内"),
                "free-text": ("the profile states {count} thing(s) in free text only ({fields}); the check does not "
                              "compare free text, so the verdict is at most fits partly: read them against the card",
                              "预期用途文件有 {count} 项内容仅以自由文本说明（{fields}）；本核对不比较自由文本，故结论至多为部分适用，"
                              "请对照模型卡逐项阅读"),
                "unsupported-code": ("the card's unsupported use {pointer} names a code of the profile ({terms}), so "
                                     "the verdict is at most fits partly: “{text}”",
                                     "模型卡的禁用场景 {pointer} 提及预期用途文件的编码（{terms}），故结论至多为部分适用：“{text}”"),
                "unsupported-term": ("the card's unsupported use {pointer} mentions a term of the profile ({terms}): "
                                     "read it: “{text}”",
                                     "模型卡的禁用场景 {pointer} 提及预期用途文件的术语（{terms}），请阅读：“{text}”"),
                "task": ("compared with the card's intended task {pointer} (“{description}”), the one of its {count} "
                         "intended task(s) that fits best; each is compared as a whole",
                         "与模型卡的预期目标任务 {pointer}（“{description}”）核对，该任务是其 {count} 个预期目标任务中最适用的一个；"
                         "每个预期目标任务均作为整体核对"),
                "nothing-asked": ("the profile states no dimension the check can compare",
                                  "预期用途文件未写明可供核对的维度")},
               scope="fragment"))

COVERED, PARTLY, NOT_COVERED, NOT_STATED, NOT_COMPARABLE = (
    "covered", "partly_covered", "not_covered", "not_stated", "not_comparable")
FITS, FITS_PARTLY, DOES_NOT_FIT, UNDETERMINED = "fits", "fits_partly", "does_not_fit", "undetermined"
CORE = ("task_type", "modality")  # not covered: does not fit; not stated: undetermined
_RANK = {COVERED: 0, PARTLY: 1, NOT_COMPARABLE: 2, NOT_COVERED: 3}
MAX_ITEMS = 1000  # items of one list of the profile or the card looked at
# Exact conversions between units of the same quantity (UCUM codes): factor to the first unit.
_UNITS_ZH = {"a": "岁", "mo": "月", "d": "天"}  # time units as Chinese readers write ages
_UNITS = {("a", "mo"): 12.0, ("mm", "um"): 1000.0, ("cm", "mm"): 10.0, ("T", "mT"): 1000.0, ("d", "h"): 24.0}


def _enum(name: str) -> dict:
    return schema_index()["enums"][name]["values"]


# Checked at import: the names this module uses are the schema's.
for _names, _enum_name in (((COVERED, PARTLY, NOT_COVERED, NOT_STATED, NOT_COMPARABLE), "FitStatus"),
                           ((FITS, FITS_PARTLY, DOES_NOT_FIT, UNDETERMINED), "FitVerdict")):
    assert set(_names) == set(_enum(_enum_name)), _enum_name


class FitProfileError(DiagnosticError):
    """An intended-use profile that cannot be read or is not valid (exit code 2)."""

    def __init__(self, variant: str, file: str, *, path: str = "", line: int | None = None,
                 column: int | None = None, **params):
        super().__init__("fit.profile", variant, where=file, path=path, line=line, column=column, **params)


@dataclass(frozen=True)
class Profile:
    file: str  # the path as given, as reports show it
    sha256: str
    data: dict


def read_profile(path: str) -> Profile:
    """The intended-use profile at ``path``, read under the card loader's limits and validated."""
    try:
        loaded: LoadedCard = read_card(path)
    except CardLoadError as exc:
        raise FitProfileError("unreadable", str(path), line=exc.issue.line, column=exc.issue.column,
                              detail=exc.message, detail_zh=exc.message_zh) from None
    return check_profile(loaded, str(path))


def check_profile(loaded: LoadedCard, where: str) -> Profile:
    """``loaded`` validated as an intended-use profile (JSON Schema, then the order of each range)."""
    validator = document_validator(artifact_json("intended-use-schema"))
    errors = sorted(itertools.islice(validator.iter_errors(loaded.data), MAX_ITEMS),
                    key=lambda e: [str(p) for p in e.absolute_path])
    if errors:
        error = errors[0]
        pointer = "".join(f"/{pointers.escape(str(t))}" for t in error.absolute_path)
        line, column = loaded.locate(pointer)
        raise FitProfileError("invalid", where, path=pointer, line=line, column=column, pointer=pointer or "/",
                              detail=error.message[:300], count=len(errors))
    for pointer, value in _ranges(loaded.data):
        lo, hi = value.get("minimum"), value.get("maximum")
        if lo is not None and hi is not None and lo > hi:
            line, column = loaded.locate(pointer)
            raise FitProfileError("range-order", where, path=pointer, line=line, column=column, pointer=pointer,
                                  minimum=lo, maximum=hi)
    return Profile(where, loaded.sha256, loaded.data)


def _ranges(data: dict):
    """(pointer, range) of every NumericRange of a valid profile."""
    population, acquisition = data.get("population") or {}, data.get("acquisition") or {}
    if isinstance(population.get("age_range"), dict):
        yield "/population/age_range", population["age_range"]
    for name in ("field_strength", "slice_thickness", "pixel_spacing", "intensity"):
        if isinstance(acquisition.get(name), dict):
            yield f"/acquisition/{name}", acquisition[name]
    for i, item in enumerate(data.get("inputs") or []):
        for name in ("value_range", "spacing"):
            if isinstance(item.get(name), dict):
                yield f"/inputs/{i}/{name}", item[name]


# --------------------------------------------------------------------------- reading the card defensively

def _list(value) -> list:
    return value[:MAX_ITEMS] if isinstance(value, list) else []


def _dict(value) -> dict:
    return value if isinstance(value, dict) else {}


def _num(value) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return float(value) if math.isfinite(value) else None


def _text(value) -> str | None:
    """``value`` if it is text that says something: not white space, not a placeholder of the schema
    (``PlaceholderText``, e.g. "TBD" or "n/a"), which is no value."""
    return value if isinstance(value, str) and placeholder(value) is None else None


def _strings(value) -> list[str]:
    return [v for v in _list(value) if _text(v)]


def _datasets(card: dict):
    """(pointer, dataset, evidence kind) of the card's source and evaluation datasets."""
    for i, ds in enumerate(_list(_dict(card.get("source_task_data")).get("datasets"))):
        if isinstance(ds, dict):
            yield f"/source_task_data/datasets/{i}", ds, "source_data"
    for i, ds in enumerate(_list(_dict(card.get("applicability")).get("evaluation_datasets"))):
        if isinstance(ds, dict):
            yield f"/applicability/evaluation_datasets/{i}", ds, "evaluation_data"


# The key of a view of the card (:func:`_one_task`) that names the one intended task it shows; not a
# string, so no key of a card read from YAML or JSON can be it.
_ONLY = object()


def _one_task(card: dict, pointer: str) -> dict:
    """The card as seen by the comparison with one of its intended tasks (the task at ``pointer``)."""
    view = dict(card)
    view[_ONLY] = pointer
    return view


def _tasks(card: dict):
    only = card.get(_ONLY)
    for i, task in enumerate(_list(_dict(card.get("applicability")).get("intended_tasks"))):
        pointer = f"/applicability/intended_tasks/{i}"
        if isinstance(task, dict) and only in (None, pointer):
            yield pointer, task


def _inputs(card: dict):
    for i, spec in enumerate(_list(_dict(card.get("input_output")).get("inputs"))):
        if isinstance(spec, dict):
            yield f"/input_output/inputs/{i}", spec


def _subgroup_results(card: dict):
    """(pointer, subgroup text) of the card's transfer and robustness results on a subgroup."""
    app = _dict(card.get("applicability"))
    for i, r in enumerate(_list(app.get("transfer_performance"))):
        if isinstance(r, dict) and _text(r.get("subgroup")):
            yield f"/applicability/transfer_performance/{i}/subgroup", r["subgroup"]
    for i, test in enumerate(_list(app.get("robustness_tests"))):
        for j, r in enumerate(_list(_dict(test).get("results"))):
            if isinstance(r, dict) and _text(r.get("subgroup")):
                yield f"/applicability/robustness_tests/{i}/results/{j}/subgroup", r["subgroup"]


# --------------------------------------------------------------------------- ranges

@dataclass(frozen=True)
class Range:
    minimum: float | None
    maximum: float | None
    unit: str | None

    def text(self, open_: tuple[str, str] = ("-∞", "+∞"), zh: bool = False) -> str:
        """Interval notation with the unit (UCUM; for Chinese readers 岁, 月, 天 for a, mo, d)."""
        lo = open_[0] if self.minimum is None else _fmt(self.minimum)
        hi = open_[1] if self.maximum is None else _fmt(self.maximum)
        interval = f"{'(' if self.minimum is None else '['}{lo}, {hi}{')' if self.maximum is None else ']'}"
        unit = _UNITS_ZH.get(self.unit, self.unit) if zh else self.unit
        return f"{interval} {unit}" if unit else interval


def _fmt(x: float) -> str:
    x = float(x)
    return str(int(x)) if x.is_integer() and abs(x) < 1e15 else repr(x)


def as_range(value) -> Range | None:
    """A NumericRange or ValueRange of the card or the profile; None if it states no bound."""
    value = _dict(value)
    lo, hi = _num(value.get("minimum")), _num(value.get("maximum"))
    if (lo is None and value.get("minimum") is not None) or (hi is None and value.get("maximum") is not None):
        return None  # a bound that is not a number (minimum: "18") is no statement, never an open bound
    if lo is None and hi is None:
        return None
    unit = _text(value.get("unit"))
    return Range(lo, hi, unit.strip() if unit else None)


def _factor(unit: str | None, to: str | None) -> float | None:
    """The factor that converts a value in ``unit`` into ``to``; None if they cannot be converted."""
    if (unit or "") == (to or ""):
        return 1.0
    if unit is None or to is None:
        return None
    if (to, unit) in _UNITS:
        return 1.0 / _UNITS[(to, unit)]
    if (unit, to) in _UNITS:
        return _UNITS[(unit, to)]
    return None


def compare_ranges(asked: Range, stated: Range) -> str:
    """covered (``asked`` within ``stated``), partly_covered (they overlap), not_covered (disjoint) or
    not_comparable (units). An open bound of ``stated`` takes any value on its side; an open bound of
    ``asked`` is within ``stated`` only if ``stated`` is open on that side too."""
    factor = _factor(stated.unit, asked.unit)
    if factor is None:
        return NOT_COMPARABLE
    lo = None if stated.minimum is None else stated.minimum * factor
    hi = None if stated.maximum is None else stated.maximum * factor
    if (asked.maximum is not None and lo is not None and asked.maximum < lo) or \
            (asked.minimum is not None and hi is not None and asked.minimum > hi):
        return NOT_COVERED
    low_in = lo is None or (asked.minimum is not None and asked.minimum >= lo)
    high_in = hi is None or (asked.maximum is not None and asked.maximum <= hi)
    return COVERED if low_in and high_in else PARTLY


def compare_data_range(asked: Range, stated: Range) -> str:
    """``asked`` against the range of a data distribution, whose open bound is not stated (not
    unlimited): not_covered only where a stated bound excludes ``asked``; covered only within two
    stated bounds; not_stated where ``asked`` needs a side the data leave open."""
    status = compare_ranges(asked, stated)
    if status in (NOT_COMPARABLE, NOT_COVERED) or (stated.minimum is not None and stated.maximum is not None):
        return status
    return NOT_STATED


# --------------------------------------------------------------------------- the check

class _Dimension:
    """The status, findings and evidence of one dimension while it is worked out."""

    def __init__(self, name: str, field: str, asked):
        self.name, self.field, self.asked = name, field, asked
        labels = _enum("FitDimension")[name]
        self.title, self.title_zh = labels["title"], labels["title_zh"]
        self.status: str | None = None
        self.findings: list = []
        self.evidence: list[dict] = []
        self._cited: set = set()  # (kind, pointer) of the evidence: each cited once, in constant time
        self.unmet = 0  # coded values asked that the card does not list (ranks the intended tasks)

    def find(self, variant: str, **params) -> None:
        self.findings.append(diagnostic("fit.finding", self.field, variant, dimension=self.title,
                                        dimension_zh=self.title_zh, field=self.field, **params))

    def cite(self, kind: str, pointer: str, value) -> None:
        if (kind, pointer) not in self._cited:
            self._cited.add((kind, pointer))
            self.evidence.append({"kind": kind, "pointer": pointer, "value": value})

    def to_dict(self) -> dict:
        return {"dimension": self.name, "status": self.status, "profile_field": self.field, "profile_value": self.asked,
                "evidence": self.evidence, "findings": [f.to_dict() for f in self.findings]}


def _values(dim: _Dimension, asked: list[str], places: list[tuple[str, str, list[str]]], card_fields: list[str],
            complete: bool = True) -> None:
    """A dimension of coded values: ``places`` are (evidence kind, pointer, values) the card states.
    ``complete``: the card's list excludes what it does not name (task type, modality, sex), so a value
    it does not list is not covered; otherwise (body parts, which have no hierarchy here: ABDOMEN may
    contain LIVER) such a value is not stated by the card."""
    stated = sorted({v for _, _, values in places for v in values})
    if not stated:
        dim.status = NOT_STATED
        dim.find("not-stated", card_fields=card_fields)
        return
    for kind, pointer, values in places:
        if set(values) & set(asked):
            dim.cite(kind, pointer, values)
    covered = [v for v in asked if v in stated]
    missing = [v for v in asked if v not in stated]
    dim.unmet = len(missing)
    zh = _zh_labels(dim.name)
    if not missing:
        dim.status = COVERED
        dim.find("values-covered", stated=stated, asked=asked, stated_zh=zh(stated), asked_zh=zh(asked))
    elif not complete:
        dim.status = PARTLY if covered else NOT_STATED
        dim.find("values-unstated", stated=stated, missing=missing, stated_zh=zh(stated), missing_zh=zh(missing),
                 covered=covered or "-", covered_zh=zh(covered) or "-")
    elif covered:
        dim.status = PARTLY
        dim.find("values-partly", stated=stated, covered=covered, missing=missing, stated_zh=zh(stated),
                 covered_zh=zh(covered), missing_zh=zh(missing))
    else:
        dim.status = NOT_COVERED
        dim.find("values-not", stated=stated, missing=missing, stated_zh=zh(stated), missing_zh=zh(missing))


def _zh_labels(dimension: str):
    """A function writing coded values of ``dimension`` in Chinese, ``标签（value）`` each, with the
    labels of the enum that is the range of the dimension's profile field (a value the enum does not
    have is written as it is)."""
    index = schema_index()
    cls, slot = "IntendedUseProfile", None
    for part in _enum("FitDimension")[dimension]["annotations"]["profile_field"].split("."):
        slot = index["classes"].get(cls, {}).get("slots", {}).get(part.removesuffix("[]"))
        if slot is None:
            break
        cls = slot["range"]
    values = index["enums"].get(slot["range"], {}).get("values", {}) if slot else {}

    def write(codes: list[str]) -> str:
        out = []
        for code in codes:
            title = _plain_zh((values.get(code) or {}).get("title_zh"))
            out.append(f"{title}（{code}）" if title else code)
        return "、".join(out)
    return write


_RANGE_VARIANTS = {COVERED: "range-within", PARTLY: "range-overlap", NOT_COVERED: "range-disjoint",
                   NOT_COMPARABLE: "range-unit", NOT_STATED: "range-open"}
_DATA_RANK = {COVERED: 0, PARTLY: 1, NOT_STATED: 2, NOT_COMPARABLE: 3, NOT_COVERED: 4}


def _best_range(dim: _Dimension, asked: Range, places: list[tuple[str, str, Range]], card_fields: list[str],
                data: bool) -> str | None:
    """The best status over the card's ranges (``places``), each reported and cited; None if there
    are none (the dimension is then not stated). ``data``: the ranges describe data (datasets), whose
    open bound is not stated rather than unlimited."""
    if not places:
        dim.status = NOT_STATED
        dim.find("not-stated", card_fields=card_fields)
        return None
    compare, rank, open_as = (compare_data_range, _DATA_RANK, ("?", "?")) if data else (compare_ranges, _RANK, None)
    best = None
    for kind, pointer, stated in places:
        status = compare(asked, stated)
        dim.find(_RANGE_VARIANTS[status], asked=asked.text(), stated=stated.text(*([open_as] if data else [])),
                 pointer=pointer, asked_zh=asked.text(zh=True), stated_zh=stated.text(*([open_as] if data else []), zh=True))
        dim.cite(kind, pointer, {"minimum": stated.minimum, "maximum": stated.maximum, "unit": stated.unit})
        if best is None or rank[status] < rank[best]:
            best = status
    return best


def _range_dimension(dim: _Dimension, asked: Range, places: list[tuple[str, str, Range]], card_fields: list[str]) -> None:
    """A dimension of one range: the best status over the card's ranges (``places``)."""
    best = _best_range(dim, asked, places, card_fields, data=False)
    if best is not None:
        dim.status = best


def _data_range_dimension(dim: _Dimension, asked: Range, places: list[tuple[str, str, Range]], total: int,
                          card_fields: list[str]) -> None:
    """A range stated only by some of the card's ``total`` datasets (``places``): the rest are unknown."""
    best = _best_range(dim, asked, places, card_fields, data=True)
    if best is not None:
        dim.status = _partial_data(dim, best, len(places), total)


def _partial_data(dim: _Dimension, status: str, count: int, total: int) -> str:
    """``status`` from ``count`` of ``total`` datasets: at most partly covered, never not covered,
    when some datasets do not state the dimension."""
    if count >= total:
        dim.find("from-data")
        return status
    dim.find("from-some-data", count=count, total=total)
    return {COVERED: PARTLY, NOT_COVERED: NOT_STATED}.get(status, status)


def _population_text(dim: _Dimension, task_pops: list) -> None:
    for pointer, pop in task_pops:
        if _text(pop.get("description")):
            dim.find("population-text", text=pop["description"].strip()[:300], pointer=f"{pointer}/description")


def _sex_terms() -> dict[str, list[str]]:
    out = {}
    for name, v in _enum("Sex").items():
        out[name] = [t for t in (v["title"], _plain_zh(v["title_zh"])) if t]
    return out


def _population(card: dict, profile: dict, out: list) -> None:
    population = _dict(profile.get("population"))
    task_pops = [(f"{p}/target_population", _dict(t.get("target_population"))) for p, t in _tasks(card)]
    data_pops = [(f"{p}/distribution/population", _dict(_dict(ds.get("distribution")).get("population")), kind)
                 for p, ds, kind in _datasets(card)]
    subgroups = list(_subgroup_results(card))
    age = as_range(population.get("age_range"))
    if age is not None:
        dim = _Dimension("population_age", "/population/age_range", population["age_range"])
        places = [("intended_task", f"{p}/age_range", r) for p, pop in task_pops
                  if (r := as_range(pop.get("age_range"))) is not None]
        fields = ["/applicability/intended_tasks/*/target_population/age_range",
                  "/source_task_data/datasets/*/distribution/population/age_range"]
        if places:
            _range_dimension(dim, age, places, fields)
        else:
            _population_text(dim, task_pops)
            _data_range_dimension(dim, age, [(kind, f"{p}/age_range", r) for p, pop, kind in data_pops
                                             if (r := as_range(pop.get("age_range"))) is not None],
                                  len(data_pops), fields)
        _subgroup_evidence(dim, subgroups, [r"\bage", "岁", r"\byears?\b", r"\bpaediatric", r"\bpediatric",
                                            r"\badult", "儿童", "成人", "老年"], ["age"])
        out.append(dim)
    sexes = _strings(population.get("sexes"))
    if sexes:
        dim = _Dimension("population_sex", "/population/sexes", sexes)
        places = [("intended_task", f"{p}/sexes", _strings(pop.get("sexes"))) for p, pop in task_pops
                  if _strings(pop.get("sexes"))]
        from_data = not places
        if from_data:
            _population_text(dim, task_pops)
            places = [(kind, f"{p}/sexes", _strings(pop.get("sexes"))) for p, pop, kind in data_pops
                      if _strings(pop.get("sexes"))]
        _values(dim, sexes, places, ["/applicability/intended_tasks/*/target_population/sexes",
                                     "/source_task_data/datasets/*/distribution/population/sexes"])
        if from_data and places:
            dim.status = _partial_data(dim, dim.status, len(places), len(data_pops))
        terms = _sex_terms()
        _subgroup_evidence(dim, subgroups, [re.escape(t) if not t.isascii() else rf"\b{re.escape(t)}"
                                            for s in sexes for t in terms.get(s, [])], sexes)
        out.append(dim)


def _subgroup_evidence(dim: _Dimension, subgroups, patterns: list[str], asked) -> None:
    """The card's subgroup results whose subgroup mentions one of ``patterns`` (case-insensitive)."""
    if not patterns:
        return
    regex = re.compile("|".join(patterns), re.IGNORECASE)
    found = [(p, text) for p, text in subgroups if regex.search(text)]
    for pointer, text in found:
        dim.cite("subgroup_result", pointer, text)
    if found:
        dim.find("subgroups", count=len(found), asked=asked)


def _acquisitions(card: dict):
    """(evidence kind, pointer, AcquisitionProfile) the card states: its intended tasks' first; the
    datasets' if no intended task states one. Second item: whether the datasets' were used."""
    tasks = [("intended_task", f"{p}/acquisition", t["acquisition"]) for p, t in _tasks(card)
             if isinstance(t.get("acquisition"), dict)]
    if tasks:
        return tasks, False
    return [(kind, f"{p}/acquisition_profile", ds["acquisition_profile"]) for p, ds, kind in _datasets(card)
            if isinstance(ds.get("acquisition_profile"), dict)], True


def _same(a, b) -> bool:
    return bool(_text(a) and _text(b)) and a.strip().casefold() == b.strip().casefold()


def _devices(card: dict, profile: dict, out: list) -> None:
    asked = [d for d in _list(_dict(profile.get("acquisition")).get("devices")) if isinstance(d, dict)]
    if not asked:
        return
    dim = _Dimension("acquisition_device", "/acquisition/devices", asked)
    coded = []  # (kind, pointer, device) of coded devices (AcquisitionDevice) the card lists
    for p, t in _tasks(card):
        for i, d in enumerate(_list(_dict(t.get("acquisition")).get("devices"))):
            if isinstance(d, dict):
                coded.append(("intended_task", f"{p}/acquisition/devices/{i}", d))
    for p, ds, kind in _datasets(card):
        for i, d in enumerate(_list(_dict(ds.get("acquisition_profile")).get("devices"))):
            if isinstance(d, dict):
                coded.append((kind, f"{p}/acquisition_profile/devices/{i}", d))
    texts = []  # (kind, pointer, text, modalities) of free-text manufacturers and device categories
    for p, spec in _inputs(card):
        modality = [spec["modality"]] if isinstance(spec.get("modality"), str) else []
        for i, a in enumerate(_list(spec.get("acquisition"))):
            if isinstance(a, dict) and _text(a.get("manufacturer")):
                texts.append(("input_specification", f"{p}/acquisition/{i}/manufacturer", a["manufacturer"], modality))
    for p, ds, kind in _datasets(card):
        modalities = _strings(ds.get("modalities"))
        for i, a in enumerate(_list(ds.get("acquisition"))):
            if isinstance(a, dict) and _text(a.get("manufacturer")):
                texts.append((kind, f"{p}/acquisition/{i}/manufacturer", a["manufacturer"], modalities))
        for i, c in enumerate(_list(_dict(ds.get("distribution")).get("devices"))):
            if isinstance(c, dict) and _text(c.get("category")):
                texts.append((kind, f"{p}/distribution/devices/{i}/category", c["category"], modalities))
    if not coded and not texts:
        dim.status = NOT_STATED
        dim.find("not-stated", card_fields=["/applicability/intended_tasks/*/acquisition/devices",
                                            "/source_task_data/datasets/*/acquisition_profile/devices",
                                            "/input_output/inputs/*/acquisition"])
        out.append(dim)
        return
    by_maker: dict[str, list] = {}  # the coded devices by manufacturer (as _same compares them), built once
    for entry in coded:
        maker_of = entry[2].get("manufacturer")
        if _text(maker_of):
            by_maker.setdefault(maker_of.strip().casefold(), []).append(entry)
    statuses = []
    for j, device in enumerate(asked):
        name = " ".join(str(device[k]) for k in ("manufacturer", "model") if _text(device.get(k))) or f"#{j}"
        maker, model, modality = device.get("manufacturer"), device.get("model"), device.get("modality")

        def same_modality(theirs: list) -> bool:  # a device of another modality is another device
            return not isinstance(modality, str) or not theirs or modality in theirs

        candidates = by_maker.get(maker.strip().casefold(), []) if _text(maker) else []
        same_maker = [(k, p, d) for k, p, d in candidates
                      if same_modality([d["modality"]] if isinstance(d.get("modality"), str) else [])]
        full = [(k, p, d) for k, p, d in same_maker if not _text(model) or _same(d.get("model"), model)]
        in_text = [(k, p, t) for k, p, t, modalities in texts if _text(maker) and same_modality(modalities)
                   and re.search(rf"(?<!\w){re.escape(maker.strip())}(?!\w)", t, re.IGNORECASE)]
        if full:
            statuses.append(COVERED)
            for k, p, d in full:
                dim.cite(k, p, d)
            dim.find("device-covered", asked=name, pointer=full[0][1])
        elif same_maker or in_text:
            statuses.append(PARTLY)
            for k, p, d in same_maker + in_text:
                dim.cite(k, p, d)
            variant = "device-maker" if same_maker else "device-text"
            dim.find(variant, asked=name, pointer=(same_maker or in_text)[0][1])
        else:
            statuses.append(NOT_COVERED)
            dim.find("device-missing", asked=name)
    dim.status = _combine(statuses)
    _subgroup_evidence(dim, list(_subgroup_results(card)),
                       [rf"(?<!\w){re.escape(d['manufacturer'].strip())}(?!\w)" for d in asked
                        if _text(d.get("manufacturer"))], [d.get("manufacturer") for d in asked
                                                          if _text(d.get("manufacturer"))])
    out.append(dim)


def _combine(statuses: list[str]) -> str:
    """One status from those of the items of a dimension."""
    if all(s == COVERED for s in statuses):
        return COVERED
    if all(s == NOT_COVERED for s in statuses):
        return NOT_COVERED
    return PARTLY


def _acquisition_ranges(card: dict, profile: dict, out: list) -> None:
    acquisition = _dict(profile.get("acquisition"))
    places_all, from_data = _acquisitions(card)
    for name in ("field_strength", "slice_thickness", "pixel_spacing", "intensity"):
        asked = as_range(acquisition.get(name))
        if asked is None:
            continue
        dim = _Dimension(name, f"/acquisition/{name}", acquisition[name])
        places = [(k, f"{p}/{name}", r) for k, p, a in places_all if (r := as_range(a.get(name))) is not None]
        fields = [f"/applicability/intended_tasks/*/acquisition/{name}",
                  f"/source_task_data/datasets/*/acquisition_profile/{name}"]
        if from_data:  # a data distribution: open bounds not stated, the datasets that do not state it unknown
            _data_range_dimension(dim, asked, places, len(list(_datasets(card))), fields)
        else:
            _range_dimension(dim, asked, places, fields)
        out.append(dim)
    smallest = [n for n in _list(acquisition.get("image_size_minimum")) if _num(n) is not None]
    largest = [n for n in _list(acquisition.get("image_size_maximum")) if _num(n) is not None]
    if smallest or largest:
        dim = _Dimension("image_size", "/acquisition/image_size_minimum",
                         {"minimum": smallest, "maximum": largest})
        _image_size(dim, smallest, largest, places_all, from_data)
        out.append(dim)


def _image_size(dim: _Dimension, smallest: list, largest: list, places_all, from_data: bool) -> None:
    axes = max(len(smallest), len(largest))
    statuses = []
    for kind, pointer, a in places_all:
        cmin = [n for n in _list(a.get("image_size_minimum")) if _num(n) is not None]
        cmax = [n for n in _list(a.get("image_size_maximum")) if _num(n) is not None]
        if not cmin and not cmax:
            continue
        card_axes = max(len(cmin), len(cmax))
        dim.cite(kind, pointer, {"minimum": cmin, "maximum": cmax})
        if card_axes != axes:
            dim.find("range-axes", asked=axes, stated=card_axes, pointer=pointer)
            statuses.append(NOT_COMPARABLE)
            continue
        per_axis = []
        for i in range(axes):
            asked = Range(_at(smallest, i), _at(largest, i), None)
            stated = Range(_at(cmin, i), _at(cmax, i), None)
            per_axis.append(compare_ranges(asked, stated))
        status = max(per_axis, key=_RANK.get) if NOT_COVERED not in per_axis else NOT_COVERED
        asked_text = " × ".join(Range(_at(smallest, i), _at(largest, i), None).text() for i in range(axes))
        stated_text = " × ".join(Range(_at(cmin, i), _at(cmax, i), None).text() for i in range(axes))
        variant = {COVERED: "range-within", PARTLY: "range-overlap", NOT_COVERED: "range-disjoint"}[status]
        dim.find(variant, asked=asked_text, stated=stated_text, pointer=pointer, asked_zh=asked_text,
                 stated_zh=stated_text)
        statuses.append(status)
    if not statuses:
        dim.status = NOT_STATED
        dim.find("not-stated", card_fields=["/applicability/intended_tasks/*/acquisition/image_size_minimum",
                                            "/applicability/intended_tasks/*/acquisition/image_size_maximum"])
        return
    if from_data:
        dim.find("from-data")
    dim.status = min(statuses, key=_RANK.get)


def _at(values: list, i: int) -> float | None:
    return _num(values[i]) if i < len(values) else None


def _inputs_dimensions(card: dict, profile: dict, out: list) -> None:
    specs = list(_inputs(card))
    for i, item in enumerate(_list(profile.get("inputs"))):
        node = item.get("node")
        if _text(node):
            matches = [(p, s) for p, s in specs if s.get("node") == node]
        else:
            matches = specs if len(specs) == 1 else []
        for name, dimension in (("value_range", "input_value_range"), ("spacing", "input_spacing")):
            asked = as_range(item.get(name))
            if asked is None:
                continue
            dim = _Dimension(dimension, f"/inputs/{i}/{name}", item[name])
            if not matches and _text(node):
                dim.status = NOT_STATED
                dim.find("no-input", node=node)
                out.append(dim)
                continue
            places = []
            for p, spec in matches:
                if name == "value_range" and (r := as_range(spec.get("value_range"))) is not None:
                    places.append(("input_specification", f"{p}/value_range", r))
                elif name == "spacing":
                    values = [v for v in (_num(x) for x in _list(spec.get("spacing"))) if v is not None]
                    unit = _text(spec.get("spacing_unit"))
                    if values:
                        places.append(("input_specification", f"{p}/spacing",
                                       Range(min(values), max(values), unit.strip() if unit else None)))
            _range_dimension(dim, asked, places, [f"/input_output/inputs/*/{name}"])
            out.append(dim)


def _deployment(card: dict, profile: dict, out: list) -> None:
    deployment = _dict(profile.get("deployment"))
    card_mode = _dict(_dict(card.get("lifecycle")).get("deployment")).get("mode")
    if _text(deployment.get("mode")):
        dim = _Dimension("deployment_mode", "/deployment/mode", deployment["mode"])
        places = [("deployment", "/lifecycle/deployment/mode", [card_mode])] if _text(card_mode) else []
        _values(dim, [deployment["mode"]], places, ["/lifecycle/deployment/mode"])
        out.append(dim)
    env = _dict(_dict(card.get("model_framework")).get("runtime_environment"))
    hardware = [(f"/model_framework/runtime_environment/hardware/{i}", h)
                for i, h in enumerate(_list(env.get("hardware"))) if isinstance(h, dict)]
    asked_units = [h for h in _list(deployment.get("hardware")) if isinstance(h, dict)]
    if asked_units:
        dim = _Dimension("deployment_hardware", "/deployment/hardware", asked_units)
        if not hardware:
            dim.status = NOT_STATED
            dim.find("not-stated", card_fields=["/model_framework/runtime_environment/hardware"])
        else:
            statuses = []
            for unit in asked_units:
                kind = unit.get("kind")
                same = [(p, h) for p, h in hardware if h.get("kind") == kind]
                if not same:
                    statuses.append(NOT_COVERED)
                    dim.find("hardware-kind", kind=kind)
                    continue
                asked_gb = _num(unit.get("memory_gb"))
                sized = [(p, h, gb) for p, h in same if (gb := _num(h.get("memory_gb"))) is not None]
                if asked_gb is None or not sized:
                    statuses.append(PARTLY)
                    dim.cite("runtime_environment", same[0][0], same[0][1])
                    dim.find("hardware-unsized", kind=kind, pointer=same[0][0])
                    continue
                p, h, gb = min(sized, key=lambda x: x[2])  # the smallest unit of the kind the card names
                dim.cite("runtime_environment", p, h)
                if asked_gb >= gb:
                    statuses.append(COVERED)
                    dim.find("hardware-covered", kind=kind, asked=_fmt(asked_gb), stated=_fmt(gb), pointer=p)
                else:
                    statuses.append(NOT_COVERED)
                    dim.find("hardware-less", kind=kind, asked=_fmt(asked_gb), stated=_fmt(gb), pointer=p)
            dim.status = _combine(statuses)
        out.append(dim)
    asked_gb = _num(deployment.get("system_memory_gb"))
    if asked_gb is not None:
        dim = _Dimension("system_memory", "/deployment/system_memory_gb", asked_gb)
        gb = _num(env.get("system_memory_gb"))
        pointer = "/model_framework/runtime_environment/system_memory_gb"
        if gb is None:  # compared as numbers, as the memory of a processing unit
            dim.status = NOT_STATED
            dim.find("not-stated", card_fields=[pointer])
        else:
            dim.cite("runtime_environment", pointer, gb)
            enough = asked_gb >= gb
            dim.status = COVERED if enough else NOT_COVERED
            dim.find("memory-enough" if enough else "memory-less", asked=_fmt(asked_gb), stated=_fmt(gb),
                     pointer=pointer)
        out.append(dim)


# --------------------------------------------------------------------------- text matches

def _plain_zh(title: str | None) -> str | None:
    """A Chinese label without its parenthesised code: ``磁共振成像（MR）`` -> ``磁共振成像``."""
    if not title:
        return None
    return re.sub(r"（[^）]*）", "", title).strip() or None


def _code(meaning: str | None) -> str | None:
    return meaning.rsplit("/", 1)[-1] if isinstance(meaning, str) and "/DCM/" in meaning else None


def profile_terms(profile: dict) -> list[tuple[str, str]]:
    """(match kind, term) the card's uses and warnings are searched for: the codes of the profile's
    modalities and body parts, the English and Chinese labels of its coded values, its search terms."""
    terms: list[tuple[str, str]] = []
    coded = [("Modality", m) for m in _strings(profile.get("modalities"))]
    coded += [("BodyPart", b) for b in _strings(profile.get("body_parts"))]
    task_type = _dict(profile.get("target_task")).get("task_type")
    for enum, value in coded + ([("TaskType", task_type)] if isinstance(task_type, str) else []):
        entry = _enum(enum).get(value) or {}
        if enum != "TaskType":
            terms.append(("code", value))
            if _code(entry.get("meaning")):
                terms.append(("code", _code(entry["meaning"])))
        if entry.get("title"):
            terms.append(("term_en", entry["title"]))
        if _plain_zh(entry.get("title_zh")):
            terms.append(("term_zh", _plain_zh(entry["title_zh"])))
    for term in _strings(profile.get("search_terms")):
        terms.append(("term_en" if term.isascii() else "term_zh", term.strip()))
    seen, out = set(), []
    for kind, term in terms:
        if len(term) >= 2 and (kind, term) not in seen:
            seen.add((kind, term))
            out.append((kind, term))
    return out


# "non-CT", "non CT", "非CT" name everything but CT: a term so prefixed is not mentioned
_NEGATED = re.compile(r"(?:\bnon[- ]?|" + "非" + ")$", re.IGNORECASE)


@lru_cache(maxsize=4096)
def _term_pattern(kind: str, term: str) -> re.Pattern:
    """The pattern of one term, compiled once (re's own cache holds 512: a profile with more search
    terms would compile them again for every text)."""
    if kind == "code" or term.isascii():  # a code as written, a term in any case; whole words
        return re.compile(rf"(?<![A-Za-z0-9]){re.escape(term)}(?![A-Za-z0-9])", 0 if kind == "code" else re.I)
    return re.compile(re.escape(term))


def _mentions(text: str, kind: str, term: str) -> bool:
    return any(not _NEGATED.search(text[:m.start()]) for m in _term_pattern(kind, term).finditer(text))


def text_matches(card: dict, profile: dict) -> list[dict]:
    """The card's unsupported uses, cautioned uses and warnings that mention the profile."""
    terms = [(kind, term, term if kind == "code" else term.casefold()) for kind, term in profile_terms(profile)]
    app = _dict(card.get("applicability"))
    out = []
    for name in ("unsupported_uses", "cautioned_uses", "warnings"):
        for i, text in enumerate(_list(app.get(name))):
            if not _text(text):
                continue
            folded = text.casefold()  # a term not even in the text as a substring cannot match: skip its pattern
            found = [{"kind": kind, "term": term} for kind, term, key in terms
                     if key in (text if kind == "code" else folded) and _mentions(text, kind, term)]
            if found:
                out.append({"list": name, "pointer": f"/applicability/{name}/{i}", "text": text, "matches": found})
    return out


# --------------------------------------------------------------------------- verdict and entry point

def verdict(dimensions: list[dict]) -> tuple[str, list]:
    """The verdict from the statuses, with its reasons (issues of ``fit.verdict``): not covered in any
    dimension -> does_not_fit (the target task and modality named first); the target task or the
    modality not stated -> undetermined; partly covered, not stated or not comparable -> fits_partly;
    else fits."""
    labels = _enum("FitDimension")

    def reason(variant: str, d: dict):
        return diagnostic("fit.verdict", d["profile_field"], variant, dimension=labels[d["dimension"]]["title"],
                          dimension_zh=labels[d["dimension"]]["title_zh"], field=d["profile_field"])

    if not dimensions:
        return UNDETERMINED, [diagnostic("fit.verdict", "", "nothing-asked")]
    ordered = sorted(dimensions, key=lambda d: d["dimension"] not in CORE)
    not_covered = [d for d in ordered if d["status"] == NOT_COVERED]
    if not_covered:
        return DOES_NOT_FIT, [reason("not-covered", d) for d in not_covered]
    core_unstated = [d for d in ordered if d["dimension"] in CORE and d["status"] == NOT_STATED]
    if core_unstated:
        return UNDETERMINED, [reason("core-not-stated", d) for d in core_unstated]
    variants = {PARTLY: "partly", NOT_STATED: "not-stated", NOT_COMPARABLE: "not-comparable"}
    open_ = [d for d in ordered if d["status"] in variants]
    if open_:
        return FITS_PARTLY, [reason(variants[d["status"]], d) for d in open_]
    return FITS, [diagnostic("fit.verdict", "", "all-covered", count=len(dimensions))]


def free_text(profile: dict) -> list[dict]:
    """(field, text) of what the profile states in free text only: the check does not compare it."""
    out = []
    for pointer, value in (("/description", profile.get("description")),
                           ("/target_task/description", _dict(profile.get("target_task")).get("description")),
                           ("/population/description", _dict(profile.get("population")).get("description")),
                           ("/acquisition/description", _dict(profile.get("acquisition")).get("description"))):
        if _text(value):
            out.append({"field": pointer, "text": value.strip()})
    for i, note in enumerate(_list(profile.get("body_part_notes"))):
        if _text(note):
            out.append({"field": f"/body_part_notes/{i}", "text": note.strip()})
    return out


def limit(result: str, reasons: list, free: list[dict], matches: list[dict]) -> tuple[str, list]:
    """The verdict from the statuses (:func:`verdict`) with what the statuses do not show: the profile's
    free text, not compared, and the card's unsupported uses that mention the profile. Either keeps a
    verdict of ``fits`` at ``fits_partly`` (an unsupported use only when it names a code of the profile)."""
    if result not in (FITS, FITS_PARTLY):
        return result, reasons
    reasons = list(reasons)
    if free:
        reasons.append(diagnostic("fit.verdict", free[0]["field"], "free-text", count=len(free),
                                  fields=[f["field"] for f in free]))
        result = FITS_PARTLY
    for m in matches:
        if m["list"] != "unsupported_uses":
            continue
        coded = any(x["kind"] == "code" for x in m["matches"])
        terms = [x["term"] for x in m["matches"]]
        reasons.append(diagnostic("fit.verdict", m["pointer"], "unsupported-code" if coded else "unsupported-term",
                                  pointer=m["pointer"], terms=terms, text=m["text"][:300]))
        if coded:
            result = FITS_PARTLY
    return result, reasons


def _task_dimensions(data: dict, asked: dict) -> list[_Dimension]:
    """The dimensions of the task combination (task type, modality, body part, population,
    acquisition) against ``data``, a view of the card showing one intended task (:func:`_one_task`)
    or none. The card's input specifications and datasets add evidence; only the intended task's own
    statements make a value covered (population and acquisition fall back to the datasets, said so)."""
    dims: list[_Dimension] = []
    task_type = _dict(asked.get("target_task")).get("task_type")
    if isinstance(task_type, str):
        dim = _Dimension("task_type", "/target_task/task_type", task_type)
        _values(dim, [task_type], [("intended_task", f"{p}/task_type", [t["task_type"]]) for p, t in _tasks(data)
                                   if isinstance(t.get("task_type"), str)], ["/applicability/intended_tasks/*/task_type"])
        dims.append(dim)
    modalities = _strings(asked.get("modalities"))
    if modalities:
        dim = _Dimension("modality", "/modalities", modalities)
        places = [("intended_task", f"{p}/modalities", _strings(t.get("modalities"))) for p, t in _tasks(data)]
        _values(dim, modalities, places, ["/applicability/intended_tasks/*/modalities"])
        for p, s in _inputs(data):
            if isinstance(s.get("modality"), str) and s["modality"] in modalities:
                dim.cite("input_specification", f"{p}/modality", [s["modality"]])
        for p, ds, kind in _datasets(data):
            if set(_strings(ds.get("modalities"))) & set(modalities):
                dim.cite(kind, f"{p}/modalities", _strings(ds.get("modalities")))
        dims.append(dim)
    body_parts = _strings(asked.get("body_parts"))
    if body_parts:
        dim = _Dimension("body_part", "/body_parts", body_parts)
        places = [("intended_task", f"{p}/body_parts", _strings(t.get("body_parts"))) for p, t in _tasks(data)]
        _values(dim, body_parts, places, ["/applicability/intended_tasks/*/body_parts"], complete=False)
        for p, s in _inputs(data):
            if set(_strings(s.get("body_parts"))) & set(body_parts):
                dim.cite("input_specification", f"{p}/body_parts", _strings(s.get("body_parts")))
        for p, ds, kind in _datasets(data):
            if set(_strings(ds.get("body_parts"))) & set(body_parts):
                dim.cite(kind, f"{p}/body_parts", _strings(ds.get("body_parts")))
        dims.append(dim)
    _population(data, asked, dims)
    _devices(data, asked, dims)
    _acquisition_ranges(data, asked, dims)
    return dims


_VERDICT_ORDER = {FITS: 0, FITS_PARTLY: 1, UNDETERMINED: 2, DOES_NOT_FIT: 3}


def _best_task(data: dict, asked: dict):
    """(pointer of the intended task or None, the task, its dimensions, number of tasks compared): each intended
    task compared as a whole, the one that fits best (then: fewest dimensions not covered, most covered,
    fewest coded values not listed, the first)."""
    tasks = list(_tasks(data))
    if not tasks:
        return None, {}, _task_dimensions(data, asked), 0
    scored = []
    for n, (pointer, task) in enumerate(tasks):
        dims = _task_dimensions(_one_task(data, pointer), asked)
        statuses = [d.status for d in dims]
        result, _ = verdict([d.to_dict() for d in dims])
        scored.append(((_VERDICT_ORDER[result], statuses.count(NOT_COVERED), -statuses.count(COVERED),
                        sum(d.unmet for d in dims), n),
                       pointer, task, dims))
    _, pointer, task, dims = min(scored, key=lambda x: x[0])
    return pointer, task, dims, len(tasks)


def fit(card: LoadedCard, profile: Profile, card_name: str | None = None) -> dict:
    """The intended-use check of ``profile`` against ``card``: a dict of stable shape (header, the
    intended task compared, dimensions in the order of ``FitDimension``, text matches, verdict and its
    reasons)."""
    data, asked = card.data, profile.data
    task_pointer, task, dims, task_count = _best_task(data, asked)
    _inputs_dimensions(data, asked, dims)
    _deployment(data, asked, dims)
    order = {name: int(v["annotations"]["order"]) for name, v in _enum("FitDimension").items()}
    dimensions = [d.to_dict() for d in sorted(dims, key=lambda d: order[d.name])]
    free = free_text(asked)
    matches = text_matches(data, asked)
    result, reasons = limit(*verdict(dimensions), free, matches)
    notes = []
    if task_pointer is not None:
        notes.append(diagnostic("fit.verdict", task_pointer, "task", pointer=task_pointer, count=task_count,
                                description=(_text(task.get("description")) or "-")[:300]))
    return {
        "profile": {"file": profile.file, "sha256": profile.sha256, "identifier": asked.get("identifier"),
                    "title": asked.get("title")},
        "card": {"file": card_name or card.path.name, "sha256": card.sha256,
                 **{k: data.get(k) if isinstance(data.get(k), str) else None
                    for k in ("identifier", "name", "version")}},
        "intended_task": task_pointer,
        "verdict": result,
        "reasons": [r.to_dict() for r in reasons],
        "notes": [n.to_dict() for n in notes],
        "dimensions": dimensions,
        "not_compared": free,
        "text_matches": matches,
    }


@dataclass(frozen=True)
class FitCheckResult:
    """The intended-use check of one profile against one card (:func:`fit`), as :func:`fit_files`
    returns it to library users: the same fields as the JSON output's, typed; ``to_dict()`` gives
    the documented shape (docs/guides/fit.md). ``result["verdict"]`` still reads a field, as the dict
    that 0.4.0 returned was read."""

    profile: dict
    card: dict
    intended_task: str | None
    verdict: str
    reasons: list
    notes: list
    dimensions: list
    not_compared: list
    text_matches: list

    @property
    def fits(self) -> bool:
        """True only for the verdict that the intended use fits (every dimension covered)."""
        return self.verdict == "fits"

    def to_dict(self) -> dict:
        return {name: getattr(self, name) for name in self.__dataclass_fields__}

    def __getitem__(self, key: str):
        if key not in self.__dataclass_fields__:
            raise KeyError(key)
        return getattr(self, key)


def fit_result(card_path: str, profile_path: str) -> FitCheckResult:
    """:func:`fit_files` as a :class:`FitCheckResult`."""
    return FitCheckResult(**fit_files(card_path, profile_path))


def fit_files(card_path: str, profile_path: str) -> dict:
    """``fit`` of the files at the paths (raises ``CardLoadError`` or ``FitProfileError``)."""
    card = read_card(card_path)
    return fit(card, read_profile(profile_path), str(card_path))
