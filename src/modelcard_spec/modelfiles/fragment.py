"""What ``inspect`` writes from a :class:`.modelinfo.ModelInfo`: the card fields the file
determines (with a provenance entry marking each as extracted), as YAML under a commented header or
with the summary of everything read for ``--format json``; the lines it prints for each unsafe
import the pickle scan found (``modelfile.unsafe-global``, MCS-PA-06); and what it says when the file
cannot be inspected (``modelfile.inspect``)."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

from .externaldata import problem_issue
from .modelinfo import ModelFileError, ModelInfo, Node
from ..spec.diagnostics import Issue, diagnostic
from ..spec.registry import Check, lookup, register
from ..spec import shapes

MAX_FINDINGS_SHOWN = 1000  # unsafe imports listed one by one; the rest are counted in one line

# How an unsafe import is classified (pickles.classify), in words.
_KINDS = {"dangerous": ("known dangerous", "已知危险"), "not-allow-listed": ("not on the allow-list", "不在允许列表中")}
_RUNS_CODE = ("; loading this file with pickle could run code", "；用 pickle 加载此文件可能执行代码")


def _finding_messages() -> dict:
    """One variant per classification: imported by one stream, by several (``:many``), by more
    than the places kept (``:many-more``); the place of one import; the count of those not listed."""
    out = {}
    for kind, (en, zh) in _KINDS.items():
        out[kind] = ("{stream} imports {imported} (" + en + ") at byte {offset}" + _RUNS_CODE[0],
                     "{stream} 在字节偏移 {offset} 处导入 {imported}（" + zh + "）" + _RUNS_CODE[1])
        for variant, more, more_zh in (("many", "", ""), ("many-more", ", ...", "等")):
            out[f"{kind}:{variant}"] = (
                "{count:,} pickle streams import {imported} (" + en + "), first {first}" + more + _RUNS_CODE[0],
                "共有 {count:,} 个 pickle 数据流导入 {imported}（" + zh + "），前几处位于 {first_zh}" + more_zh + _RUNS_CODE[1])
    return {**out, "location": ("{stream} at byte {offset}", "{stream} 的字节偏移 {offset}"),
            "more": ("and {rest:,} more imported globals that are not allow-listed", "另有 {rest:,} 个导入的全局对象不在允许列表中")}


register(Check("modelfile.unsafe-global", "error", "The pickle streams of a model file import only allow-listed globals",
               "模型文件的 pickle 数据流只导入允许列表中的全局对象", _finding_messages(),
               requirements=("MCS-PA-06",), scope="command"))
# TorchScript code (a TorchScript archive's code/**/*.py) is a risk of its own, graded apart from the
# pickle findings: torch.jit.load compiles it and the model runs it (a class's __setstate__ while
# loading, forward when called), but it is TorchScript, which reaches only the operators PyTorch
# registers (no import, no eval, no Python object), so it cannot do what a pickle global such as
# os.system does. A warning: the code should be reviewed, or the weights taken in a format without code.
# The pickles of the archive are still scanned: any global that is not TorchScript's own is a finding.
TORCHSCRIPT_CODE = {"": (
    "a TorchScript archive with {code_files:,} code file(s) defining the {classes:,} module class(es) its pickles "
    "use: torch.jit.load compiles this code and the model runs it (TorchScript reaches PyTorch's operators, not "
    "arbitrary Python); review the code or take the weights in a format without code",
    "TorchScript 归档，含 {code_files:,} 个代码文件，定义了其 pickle 数据流所用的 {classes:,} 个模块类：torch.jit.load "
    "会编译这些代码，模型运行时执行这些代码（TorchScript 只能调用 PyTorch 的算子，不能执行任意 Python 代码）；宜审核这些代码，"
    "或采用不含代码的格式交付权重")}
register(Check("modelfile.torchscript-code", "warning", "The model file holds no code that runs when it is used",
               "模型文件不含使用时会执行的代码", TORCHSCRIPT_CODE, requirements=("MCS-PA-06",), scope="command"))
register(Check("modelfile.inspect", "error", "The model file can be inspected", "模型文件可以检查", {
    "model-file": ("cannot inspect the model file: {error}", "无法检查模型文件：{error_zh}"),
    "os-error": ("cannot read the file: {reason}", "无法读取文件：{reason}"),
}, scope="command"))


def _unnamed_axes(node: Node) -> list[int]:
    """The axes of a node's shape that the file gives neither a size nor a name."""
    return [i for i, d in enumerate(node.shape or ()) if not (isinstance(d, str) and d) and not (isinstance(d, int) and d > 0)]


def _node(node: Node, dtypes: set[str]) -> dict:
    """A graph input or output as a card's tensor node. An axis the file leaves unnamed (neither a
    size nor a symbol) is written ``?`` (:data:`..spec.shapes.UNNAMED`), the schema's dynamic axis
    tied to no other: a made-up symbol would claim that axes are equal which the file does not tie
    together (a symbol is one size wherever it appears)."""
    out: dict = {"name": node.name}
    if node.shape is not None:
        unnamed = set(_unnamed_axes(node))
        out["shape"] = [shapes.UNNAMED if i in unnamed else d for i, d in enumerate(node.shape)]
    if node.dtype in dtypes:
        out["dtype"] = node.dtype
    return out


def card_fragment(info: ModelInfo, tool: str) -> dict:
    """The card fields this file determines, with a provenance entry marking each as extracted (or,
    for a parameter count that leaves out tensors taken as buffers by their names, inferred by that
    rule)."""
    from ..spec.resources import schema_index

    enums = schema_index()["enums"]
    dtypes = set(enums["DType"]["values"])
    source = f"{tool}, {Path(info.path).name}"
    fragment: dict = {}
    pointers: list[str] = []
    nodes: dict = {}
    if info.inputs or info.outputs:
        nodes["input_nodes"] = [_node(n, dtypes) for n in info.inputs]
        nodes["output_nodes"] = [_node(n, dtypes) for n in info.outputs]
        pointers += ["/model_nodes/input_nodes", "/model_nodes/output_nodes"]
    if info.operator_counts:
        ops: dict = {}
        if info.opset_version is not None:
            ops["opset_version"] = info.opset_version
        ops["operator_counts"] = [{"name": k, "value": str(v)} for k, v in sorted(info.operator_counts.items())]
        ops["custom_operators"] = list(info.custom_operators)
        nodes["operators"] = ops
        pointers.append("/model_nodes/operators")
    if nodes:
        fragment["model_nodes"] = nodes
    params: dict = {}
    if info.total_parameters:
        params["total_parameters"] = info.total_parameters
        params["parameters_by_dtype"] = [{"name": k, "value": str(v)} for k, v in info.parameters_by_dtype.items()]
        pointers += ["/model_parameters/total_parameters", "/model_parameters/parameters_by_dtype"]
    if info.precision in enums["Precision"]["values"]:
        params["precision"] = info.precision
        pointers.append("/model_parameters/precision")
    params["weight_files"] = [{"file_name": Path(info.path).name, "format": info.format,
                               "size_bytes": info.size_bytes, "sha256": info.sha256}]
    pointers.append("/model_parameters/weight_files/0")
    fragment["model_parameters"] = params
    # a count that leaves out tensors taken as buffers by their names rests on that rule: inferred
    by_names = info.buffer_rule == "names" and info.buffer_elements > 0
    counted = ("/model_parameters/total_parameters", "/model_parameters/parameters_by_dtype")
    fragment["provenance"] = [{"pointer": p, "origin": "extracted", "source": source, "source_sha256": info.sha256}
                              if not (by_names and p in counted) else
                              {"pointer": p, "origin": "inferred", "source": source, "source_sha256": info.sha256,
                               "rule": BUFFER_NAMES_RULE}
                              for p in pointers]
    return fragment


BUFFER_NAMES_RULE = "inspect.buffer-names"  # tensors taken as buffers by their names (modelinfo.BUFFER_SUFFIXES)


def summary(info: ModelInfo) -> dict:
    """Everything inspect read, for ``--format json``: the fragment's facts and the pickle scan."""
    return {
        "file": Path(info.path).name, "container": info.container, "format": info.format,
        "size_bytes": info.size_bytes, "sha256": info.sha256, "framework": info.framework,
        "framework_version": info.framework_version, "opsets": info.opsets, "notes": info.notes,
        "tensor_count": info.tensor_count, "total_parameters": info.total_parameters,
        "buffer_elements": info.buffer_elements, "buffer_rule": info.buffer_rule, "buffer_names": info.buffer_names,
        "constant_elements": info.constant_elements,
        "parameters_by_dtype": info.parameters_by_dtype,
        "nodes": {kind: [{"name": n.name, "shape": _shown_shape(n), "dtype": n.dtype} for n in nodes]
                  for kind, nodes in (("inputs", info.inputs), ("outputs", info.outputs))},
        "precision": info.precision, "pickle_based": info.pickle_based, "globals": info.globals,
        "torchscript": dataclasses.asdict(info.torchscript) if info.torchscript else None,
        "findings": [{"global": f.name, "classification": f.classification, "stream": f.stream,
                      "offset": f.offset, "count": f.count,
                      "locations": [{"stream": st, "offset": at} for st, at in f.locations]}
                     for f in info.findings],
        "external_data": [{"tensor": e.name, "initializer": e.initializer, "location": e.location,
                           "offset": e.offset, "length": e.length, "checked": e.problem is None,
                           **(_problem(e) if e.problem else {})}
                          for e in info.external_data],
    }


def inspection(info: ModelInfo, tool: str) -> dict:
    """What ``inspect --format json`` writes: the card fragment and the summary."""
    return {"card_fragment": card_fragment(info, tool), "inspection": summary(info)}


def inspection_yaml(info: ModelInfo, tool: str) -> str:
    """What ``inspect`` writes by default: the card fragment as YAML, under comments that say where
    it comes from and what the file holds besides."""
    from ..spec.textsafe import one_line, yaml_dump

    detail = " ".join(x for x in (info.framework, info.framework_version) if x)
    head = [f"# Card fields read from {info.path} by {tool}",
            f"# ({info.container}; {detail})." if detail else f"# ({info.container})."]
    head += [f"# {note}" for note in info.notes]
    head += buffer_lines(info)
    for kind, nodes in (("input", info.inputs), ("output", info.outputs)):
        for n in nodes:
            if _unnamed_axes(n):
                axes = _unnamed_axes(n)
                head.append(f"# The file leaves {'axes' if len(axes) > 1 else 'axis'} {', '.join(map(str, axes))} "
                            f"of {kind} {n.name!r} unnamed: written '?', a dynamic axis tied to no other.")
    if info.pickle_based:
        head.append(f"# Pickle scan: {len(info.globals)} imported global(s), {len(info.findings)} finding(s).")
    fragment = json.loads(json.dumps(card_fragment(info, tool)))
    return "".join(one_line(h) + "\n" for h in head) + yaml_dump(fragment, sort_keys=False, width=100)


def _shown_shape(node: Node) -> list | None:
    """A node's shape as the file gives it, ``None`` for each unnamed axis."""
    if node.shape is None:
        return None
    unnamed = set(_unnamed_axes(node))
    return [None if i in unnamed else d for i, d in enumerate(node.shape)]


MAX_BUFFER_NAMES = 5  # tensors named in the line about a name-based count


def buffer_lines(info: ModelInfo) -> list[str]:
    """The header lines that say which tensors the parameter count takes in or leaves out on a
    ground other than the file's own marking: Constant-node tensors, tensors named like buffers."""
    out = []
    if info.constant_elements:
        out.append(f"# {info.constant_elements:,} of the {info.total_parameters:,} parameters are the elements of "
                   "floating-point tensors (rank 1 or more) in Constant nodes, where this file keeps weights; without "
                   f"them the count is {info.total_parameters - info.constant_elements:,}.")
    if not info.buffer_elements:
        return out
    if info.buffer_rule == "file":
        return out + [f"# {info.buffer_elements:,} elements of tensors the file marks as buffers or other module state "
                "(not in a module's __parameters__) are not counted as parameters."]
    names = ", ".join(info.buffer_names[:MAX_BUFFER_NAMES]) + (", ..." if len(info.buffer_names) > MAX_BUFFER_NAMES else "")
    return out + [f"# {info.buffer_elements:,} elements of {len(info.buffer_names)} tensor(s) taken as buffers by their names "
            f"({names}) are not counted as parameters. The file does not mark buffers: this count relies on names; "
            f"with them it is {info.total_parameters + info.buffer_elements:,}."]


def finding_issues(findings: list) -> list[Issue]:
    """One diagnostic per unsafe import (the first :data:`MAX_FINDINGS_SHOWN`), with how many
    pickle streams import it and where the first of them do; then one counting the rest."""
    check = lookup("modelfile.unsafe-global")
    out = []
    for f in findings[:MAX_FINDINGS_SHOWN]:
        params = {"imported": f.name, "classification": f.classification, "stream": f.stream, "offset": f.offset,
                  "count": f.count}
        if f.count == 1:
            out.append(diagnostic("modelfile.unsafe-global", "", f.classification, **params))
            continue
        places = [check.render("location", {"stream": st, "offset": at}) for st, at in f.locations]
        variant = f"{f.classification}:many-more" if f.count > len(f.locations) else f"{f.classification}:many"
        out.append(diagnostic("modelfile.unsafe-global", "", variant, **params,
                              locations=[{"stream": st, "offset": at} for st, at in f.locations],
                              first=", ".join(en for en, _ in places), first_zh="、".join(zh for _, zh in places)))
    if len(findings) > MAX_FINDINGS_SHOWN:
        out.append(diagnostic("modelfile.unsafe-global", "", "more", rest=len(findings) - MAX_FINDINGS_SHOWN))
    return out


def torchscript_issue(info: ModelInfo) -> Issue | None:
    """The warning about a TorchScript archive's code, or None for any other file."""
    if info is None or info.torchscript is None:
        return None
    return diagnostic("modelfile.torchscript-code", "", code_files=info.torchscript.code_files,
                      classes=len(info.torchscript.classes))


def finding_lines(where: str, findings: list, info: ModelInfo | None = None) -> list[str]:
    """The lines ``inspect`` prints for ``findings``: each one critical, in English then in Chinese,
    with the requirement it fails; then the warning about TorchScript code, if ``info`` has any."""
    lines = []
    code = torchscript_issue(info)
    if code is not None:
        lines += [f"{where}: warning [{code.requirement}] {code.message}", f"{where}: 警告 [{code.requirement}] {code.message_zh}"]
    for issue in finding_issues(findings):
        lines += [f"{where}: critical [{issue.requirement}] {issue.message}",
                  f"{where}: 严重 [{issue.requirement}] {issue.message_zh}"]
    return lines


def failure(exc: Exception) -> Issue:
    """Why the file could not be inspected: a :class:`.modelinfo.ModelFileError` (its located
    message) or the OS's reason."""
    if isinstance(exc, ModelFileError):
        return diagnostic("modelfile.inspect", "", "model-file", **exc.as_cause())
    return diagnostic("modelfile.inspect", "", "os-error", reason=getattr(exc, "strerror", None) or str(exc))


def _problem(ref) -> dict:
    issue = problem_issue(ref)
    return {"problem": issue.message, "problem_zh": issue.message_zh}
