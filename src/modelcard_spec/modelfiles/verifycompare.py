"""What ``verify`` checks of the tensors of a run against the card: each input's and output's shape
against its declared node, each output's values against its declared range, and each output
against its expected array within the example's tolerances.

An output is within the tolerances when at most ``mismatch_budget`` of its elements lie outside
``|produced - expected| <= absolute + relative * |expected|`` (a NaN matches only a NaN). Outputs
are compared a chunk at a time (:data:`COMPARE_CHUNK` elements), so the comparison needs little
memory beyond the arrays. Every problem is a diagnostic of a registered check: ``verify.shape``,
``verify.tolerance``, ``verify.output`` or ``verify.compare``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from ..spec import shapes
from ..spec.diagnostics import Issue, diagnostic
from ..spec.registry import Check, register

WORST = 3                # the largest differences listed per output
COMPARE_CHUNK = 1 << 18  # elements compared at a time

# A tensor that does not fit its declared shape (``problem``: the shape.mismatch or shape.expression
# message). An input is checked on its array's header, before its data is read.
_SHAPES = {"": ("{problem}", "{problem_zh}"),
           "-unreadable": ("the declared shape cannot be read ({problem})", "无法解析声明的形状（{problem_zh}）")}
register(Check("verify.shape", "error", "The inputs and outputs of a run fit the shapes the card declares",
               "运行的输入和输出符合模型卡声明的形状", {
    **{f"input{how}": ("input {name!r} does not fit the declared shape {declared!s}: " + en + "; its data was not read",
                       "输入 {name!r} 不符合声明的形状 {declared!s}：" + zh + "；未读取其数据")
       for how, (en, zh) in _SHAPES.items()},
    **{f"output{how}": ("output {name!r} does not fit the declared shape {declared!s}: " + en,
                        "输出 {name!r} 不符合声明的形状 {declared!s}：" + zh)
       for how, (en, zh) in _SHAPES.items()},
}, scope="command"))
register(Check("verify.tolerance", "error", "The tolerances of an example are numbers", "示例的容差为数值", {
    "": ("the tolerance's {key} {value!r} is not a number, so no output was compared",
         "容差的 {key} {value!r} 不是数值，未比对任何输出"),
}, scope="command"))
register(Check("verify.output", "error", "An output is a numeric array within its declared value range",
               "输出为数值数组且在声明的取值范围内", {
    "not-numeric": ("output {name!r} is not a numeric array, so it was neither checked nor saved",
                    "输出 {name!r} 不是数值数组，未核验也未保存"),
    "range": ("output {name!r} spans [{low:.6g}, {high:.6g}], outside the declared range [{minimum!s}, {maximum!s}]",
              "输出 {name!r} 的取值范围为 [{low:.6g}, {high:.6g}]，超出声明的范围 [{minimum!s}, {maximum!s}]"),
}, scope="command"))
register(Check("verify.compare", "error", "The outputs match the expected arrays within the tolerances",
               "输出在容差范围内与预期数组一致", {
    "shape": ("output {name!r} has shape {shape!s}, the expected array {expected!s}",
              "输出 {name!r} 的形状为 {shape!s}，预期数组为 {expected!s}"),
    "outside": ("output {name!r}: {mismatched} of {compared} elements outside the tolerances (absolute {absolute}, "
                "relative {relative}; budget {allowed}); largest difference {largest:.3g}",
                "输出 {name!r}：{compared} 个元素中有 {mismatched} 个超出容差（绝对 {absolute}，相对 {relative}；"
                "允许 {allowed} 个）；最大差值 {largest:.3g}"),
    "unknown": ("expected arrays {names} name no model output", "预期数组 {names} 不对应任何模型输出"),
    "nothing-compared": ("no expected array matches a model output, so nothing was compared",
                         "没有预期数组与模型输出对应，未作任何比对"),
}, scope="command"))


@dataclass
class OutputCheck:
    """What was found of one output of one example."""
    name: str
    shape: list
    compared: int = 0
    mismatched: int = 0
    max_abs_diff: float = 0.0
    worst: list = field(default_factory=list)     # [{"index": [...], "produced": x, "expected": y}]
    problems: list = field(default_factory=list)  # issues
    sha256: str | None = None


def shape_problem(role: str, name: str, node: dict | None, shape, env: dict) -> Issue | None:
    """The ``verify.shape`` issue when the tensor ``name`` (``role``: "input" or "output") does not
    fit the shape its card node declares, else None; dimension names are bound in ``env`` across
    tensors."""
    if not node or not isinstance(node.get("shape"), list):
        return None
    how = ""
    try:
        msg = shapes.match(node["shape"], shape, env)
    except shapes.ShapeError as exc:
        how, msg = "-unreadable", (exc.message, exc.message_zh)
    if not msg:
        return None
    return diagnostic("verify.shape", variant=role + how, role=role, name=name, declared=node["shape"], problem=msg[0],
                      problem_zh=msg[1])


def _tolerances(tol: dict) -> tuple[tuple[float, float, float], Issue | None]:
    """(absolute, relative, mismatch_budget) of an example's tolerance, missing ones 0; and the
    ``verify.tolerance`` issue if one of them is not a number."""
    values = []
    for key in ("absolute", "relative", "mismatch_budget"):
        value = tol.get(key)
        if value is None:
            value = 0.0
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
            return (0.0, 0.0, 0.0), diagnostic("verify.tolerance", key=key, value=value)
        values.append(float(value))
    return tuple(values), None


def _compare(np, name: str, produced, expected, tolerance: tuple[float, float, float], check: OutputCheck) -> None:
    """Compare one output element-wise, :data:`COMPARE_CHUNK` elements at a time (the float64
    temporaries stay small whatever the size of the arrays)."""
    atol, rtol, budget = tolerance
    if produced.shape != expected.shape:
        check.problems.append(diagnostic("verify.compare", variant="shape", name=name, shape=list(produced.shape),
                                         expected=list(expected.shape)))
        return
    a_all, b_all = np.ascontiguousarray(produced).reshape(-1), np.ascontiguousarray(expected).reshape(-1)
    worst = []  # (-difference, flat index, mismatched, produced, expected) of each chunk's largest differences
    for start in range(0, a_all.size, COMPARE_CHUNK):
        a = a_all[start:start + COMPARE_CHUNK].astype(np.float64)
        b = b_all[start:start + COMPARE_CHUNK].astype(np.float64)
        diff = np.abs(a - b)
        bad = ~(diff <= atol + rtol * np.abs(b))
        bad |= np.isnan(a) != np.isnan(b)
        check.mismatched += int(bad.sum())
        finite = np.where(np.isfinite(diff), diff, np.inf)
        check.max_abs_diff = max(check.max_abs_diff, float(finite.max()))
        for k in np.argsort(-finite, kind="stable")[:WORST]:
            worst.append((-float(finite[k]), start + int(k), bool(bad[k]), float(a[k]), float(b[k])))
    check.compared = int(a_all.size)
    for _, flat, mismatched, x, y in sorted(worst)[:WORST]:  # the largest differences of all, first index first
        if not mismatched and check.mismatched:
            continue
        index = np.unravel_index(flat, produced.shape)
        check.worst.append({"index": [int(i) for i in index], "produced": x, "expected": y})
    allowed = int(budget * a_all.size)
    if check.mismatched > allowed:
        check.problems.append(diagnostic("verify.compare", variant="outside", name=name, mismatched=check.mismatched,
                                         compared=check.compared, absolute=atol, relative=rtol, allowed=allowed,
                                         largest=check.max_abs_diff))


def _out_of_range(np, name: str, arr, value_range: dict | None) -> Issue | None:
    """The ``verify.output`` issue when the values of a numeric output leave its declared range."""
    if not value_range or not arr.size or not np.issubdtype(arr.dtype, np.number):
        return None
    low, high = float(np.nanmin(arr)), float(np.nanmax(arr))
    minimum, maximum = value_range.get("minimum"), value_range.get("maximum")
    if (isinstance(minimum, (int, float)) and low < minimum) or (isinstance(maximum, (int, float)) and high > maximum):
        return diagnostic("verify.output", variant="range", name=name, low=low, high=high, minimum=minimum,
                          maximum=maximum)
    return None


def check_outputs(np, names: list, produced: dict, expected: dict, tolerance: dict, declared: dict, ranges: dict,
                  env: dict) -> tuple[list[OutputCheck], list[Issue]]:
    """Check every output of a run (``produced``, by the model's output ``names``) against its declared
    node (``declared``, binding names in ``env``), its value range (``ranges``) and its expected
    array (``expected``) within ``tolerance`` (the example's, as the card gives it): an
    :class:`OutputCheck` per output, and the problems of the example as a whole. An output that is
    not a numeric array is removed from ``produced`` (it is neither compared nor saved)."""
    outputs, problems = [], []
    atol_rtol_budget, unusable = _tolerances(tolerance)
    if unusable:
        problems.append(unusable)
    for name in names:
        arr = produced[name]
        if not isinstance(arr, np.ndarray) or arr.dtype.kind not in "biuf":  # a string tensor, a sequence or a map
            del produced[name]
            outputs.append(OutputCheck(name, [], problems=[diagnostic("verify.output", variant="not-numeric", name=name)]))
            continue
        check = OutputCheck(name, list(arr.shape))
        outputs.append(check)
        problem = shape_problem("output", name, declared.get(name), arr.shape, env)
        if problem:
            check.problems.append(problem)
        problem = _out_of_range(np, name, arr, ranges.get(name))
        if problem:
            check.problems.append(problem)
        if name in expected and not unusable:
            _compare(np, name, arr, expected[name], atol_rtol_budget, check)
    unknown = sorted(set(expected) - set(names))
    if unknown:
        problems.append(diagnostic("verify.compare", variant="unknown", names=unknown))
    if not any(o.name in expected for o in outputs):
        problems.append(diagnostic("verify.compare", variant="nothing-compared"))
    return outputs, problems
