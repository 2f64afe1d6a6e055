"""Compare what a card declares with what the delivered model file contains (``validate --model``).

Each mismatch is an :class:`..spec.diagnostics.Issue` located at the card field that disagrees, with the
requirement that field serves. The file side comes from :func:`..modelfiles.reader.inspect_file`.
"""

from __future__ import annotations

from pathlib import Path

from ..spec.diagnostics import Issue
from ..spec.registry import Check, register
from ..modelfiles.externaldata import external_problem
from ..modelfiles.modelinfo import ModelFileError, ModelInfo
from ..modelfiles.reader import inspect_file
from ..spec import shapes
from ..spec.catalogue import get_in

# TRANSITIONAL: the model.* checks are registered as one family until each has its templates.
register(Check("model", "error",
               "The card agrees with the delivered model file (validate --model): digest, size, format, "
               "parameter count, precision, nodes, opset, operators, no unsafe pickle globals",
               "模型卡与交付的模型文件一致（validate --model）：摘要、大小、格式、参数量、精度、节点、算子集、算子、无不安全的 pickle 全局对象",
               requirements=("MCS-PA-01", "MCS-PA-02", "MCS-PA-03", "MCS-PA-06", "MCS-ND-01", "MCS-ND-04"),
               family=True))


def _issue(rule: str, path: str, req: str, en: str, zh: str, severity: str = "error") -> Issue:
    return Issue(severity, rule, path, en, zh, req)


def _weight_entry(data: dict, info: ModelInfo) -> tuple[int | None, dict | None]:
    files = get_in(data, "model_parameters", "weight_files")
    if not isinstance(files, list):
        return None, None
    name = Path(info.path).name
    for i, entry in enumerate(files):
        if isinstance(entry, dict) and (entry.get("sha256") == info.sha256 or entry.get("file_name") == name):
            return i, entry
    return None, None


# Suffixes of the pickle-based formats (MCS-PA-06): a file with one of them that cannot be read to its
# end is not shown to be free of code-running imports.
PICKLE_SUFFIXES = (".pt", ".pth", ".bin", ".ckpt", ".pkl", ".pickle")


def model_issues(data: dict, model_path: str) -> tuple[list[Issue], ModelInfo | None]:
    """Issues from comparing the card's data with one model file."""
    name = Path(model_path).name
    try:
        info = inspect_file(model_path)
    except ModelFileError as exc:
        return _unreadable_issues(data, name, exc), None
    except OSError as exc:
        return [_issue("model.unreadable", "/model_parameters/weight_files", "MCS-PA-03",
                       f"model file {name} cannot be read: {exc.strerror or exc}",
                       f"无法读取模型文件 {name}：{exc.strerror or exc}")], None
    issues: list[Issue] = []
    index, entry = _weight_entry(data, info)
    if entry is None:
        issues.append(_issue("model.unlisted", "/model_parameters/weight_files", "MCS-PA-03",
                             f"{name} (SHA-256 {info.sha256}) is not listed in weight_files by name or digest",
                             f"{name}（SHA-256 {info.sha256}）未在 weight_files 中按名称或摘要列出"))
    else:
        base = f"/model_parameters/weight_files/{index}"
        if entry.get("sha256") not in (None, info.sha256):
            issues.append(_issue("model.sha256", base + "/sha256", "MCS-PA-03",
                                 f"SHA-256 of {name} is {info.sha256}, the card declares {entry.get('sha256')}",
                                 f"{name} 的 SHA-256 为 {info.sha256}，模型卡声明为 {entry.get('sha256')}"))
        if entry.get("size_bytes") not in (None, info.size_bytes):
            issues.append(_issue("model.size", base + "/size_bytes", "MCS-PA-03",
                                 f"{name} has {info.size_bytes} bytes, the card declares {entry.get('size_bytes')}",
                                 f"{name} 大小为 {info.size_bytes} 字节，模型卡声明为 {entry.get('size_bytes')}"))
        if entry.get("format") not in (None, info.format):
            issues.append(_issue("model.format", base + "/format", "MCS-PA-03",
                                 f"{name} is a {info.format} file ({info.container}), the card declares {entry.get('format')}",
                                 f"{name} 是 {info.format} 文件（{info.container}），模型卡声明为 {entry.get('format')}"))
    issues += _finding_issues(info, index, name)
    issues += _parameter_issues(data, info, name)
    if info.container == "onnx":
        issues += _node_issues(data, info, name)
        issues += _operator_issues(data, info, name)
    return issues, info


def _unreadable_issues(data: dict, name: str, exc: ModelFileError) -> list[Issue]:
    """A file that cannot be inspected: that error (MCS-PA-03); the unsafe imports found before it;
    and for a pickle-based file, that it is not shown safe to load (MCS-PA-06), so that the
    requirement cannot conform on a file whose scan did not finish."""
    issues = [_issue("model.unreadable", "/model_parameters/weight_files", "MCS-PA-03",
                     f"model file {name} cannot be inspected: {exc.message}",
                     f"无法检查模型文件 {name}：{exc.message_zh}")]
    partial = exc.info
    index = _weight_entry(data, partial)[0] if partial is not None else None
    if partial is not None:
        issues += _finding_issues(partial, index, name)
    if partial.pickle_based if partial is not None else Path(name).suffix.lower() in PICKLE_SUFFIXES:
        where = f"/model_parameters/weight_files/{index}" if index is not None else "/model_parameters/weight_files"
        issues.append(_issue("model.pickle-unscanned", where, "MCS-PA-06",
                             f"{name} is pickle-based and its scan did not finish, so it is not shown that loading it "
                             "runs no code",
                             f"{name} 基于 pickle，且扫描未能完成，因此未能证明加载它不会执行代码"))
    return issues


def _finding_issues(info: ModelInfo, index: int | None, name: str) -> list[Issue]:
    """One issue per imported global that is not allow-listed, however many streams import it."""
    where = f"/model_parameters/weight_files/{index}" if index is not None else "/model_parameters/weight_files"
    out = []
    for f in info.findings:
        if f.count == 1:
            en, zh = f"in {f.stream}", f"在 {f.stream} 中"
        else:
            en, zh = f"in {f.count:,} pickle streams (first {f.stream})", f"在 {f.count:,} 个 pickle 数据流中（首个为 {f.stream}）"
        out.append(_issue("model.pickle-global", where, "MCS-PA-06",
                          f"{name} imports {f.name} ({f.classification}) {en}: loading it with pickle could run code",
                          f"{name} {zh}导入了 {f.name}（{_zh_class(f.classification)}）：用 pickle 加载可能执行代码"))
    return out


def _zh_class(classification: str) -> str:
    return "已知危险" if classification == "dangerous" else "不在允许列表中"


def _parameter_issues(data: dict, info: ModelInfo, name: str) -> list[Issue]:
    out = []
    declared = get_in(data, "model_parameters", "total_parameters")
    if isinstance(declared, int) and info.total_parameters is not None and info.tensor_count:
        accepted = {info.total_parameters, info.total_parameters + info.buffer_elements}
        if declared not in accepted:
            extra = f" (plus {info.buffer_elements} in normalisation buffers)" if info.buffer_elements else ""
            extra_zh = f"（另有归一化缓冲区 {info.buffer_elements} 个）" if info.buffer_elements else ""
            out.append(_issue("model.parameters", "/model_parameters/total_parameters", "MCS-PA-01",
                              f"{name} holds {info.total_parameters} parameters{extra}, the card declares {declared}",
                              f"{name} 含 {info.total_parameters} 个参数{extra_zh}，模型卡声明为 {declared}"))
    unchecked = [e for e in info.external_data if e.initializer and e.problem]
    if isinstance(declared, int) and unchecked:
        en, zh = external_problem(unchecked[0])
        more = (f"; and {len(unchecked) - 1:,} more", f"；另有 {len(unchecked) - 1:,} 个") if len(unchecked) > 1 else ("", "")
        out.append(_issue("model.parameters-unchecked", "/model_parameters/total_parameters", "MCS-PA-01",
                          f"{name} keeps the data of {len(unchecked):,} initializer(s) in external files that could not "
                          f"be checked, so the declared {declared} parameters are not shown by the file: {en}{more[0]}",
                          f"{name} 有 {len(unchecked):,} 个初始化器的数据保存在无法核对的外部文件中，因此无法依据该文件核对"
                          f"模型卡声明的 {declared} 个参数：{zh}{more[1]}"))
    precision = get_in(data, "model_parameters", "precision")
    if isinstance(precision, str) and info.precision and precision != info.precision:
        out.append(_issue("model.precision", "/model_parameters/precision", "MCS-PA-02",
                          f"{name} stores its parameters as {info.precision} ({_dtypes(info)}), the card declares {precision}",
                          f"{name} 的参数以 {info.precision} 存储（{_dtypes(info)}），模型卡声明为 {precision}"))
    return out


def _dtypes(info: ModelInfo) -> str:
    return ", ".join(f"{k}: {v}" for k, v in info.parameters_by_dtype.items())


def _node_issues(data: dict, info: ModelInfo, name: str) -> list[Issue]:
    out: list[Issue] = []
    for kind, actual in (("input_nodes", info.inputs), ("output_nodes", info.outputs)):
        declared = get_in(data, "model_nodes", kind)
        if not isinstance(declared, list):
            continue
        by_name = {n.name: n for n in actual}
        declared_names = set()
        for i, node in enumerate(declared):
            if not isinstance(node, dict) or not isinstance(node.get("name"), str):
                continue
            base = f"/model_nodes/{kind}/{i}"
            declared_names.add(node["name"])
            real = by_name.get(node["name"])
            if real is None:
                out.append(_issue("model.node-missing", base + "/name", "MCS-ND-01",
                                  f"{name} has no graph {kind[:-6]} named {node['name']!r} (it has: {', '.join(sorted(by_name)) or 'none'})",
                                  f"{name} 中没有名为 {node['name']!r} 的{'输入' if kind == 'input_nodes' else '输出'}节点（实际为：{', '.join(sorted(by_name)) or '无'}）"))
                continue
            if isinstance(node.get("dtype"), str) and real.dtype and node["dtype"] != real.dtype:
                out.append(_issue("model.node-dtype", base + "/dtype", "MCS-ND-01",
                                  f"node {real.name!r} of {name} is {real.dtype}, the card declares {node['dtype']}",
                                  f"{name} 的节点 {real.name!r} 类型为 {real.dtype}，模型卡声明为 {node['dtype']}"))
            shape = node.get("shape")
            if isinstance(shape, list) and real.shape is not None:
                message = shapes.match(shape, real.shape)
                if message:
                    out.append(_issue("model.node-shape", base + "/shape", "MCS-ND-01",
                                      f"node {real.name!r} of {name}: {message[0]}",
                                      f"{name} 的节点 {real.name!r}：{message[1]}"))
        for real in actual:
            if real.name not in declared_names:
                out.append(_issue("model.node-undeclared", f"/model_nodes/{kind}", "MCS-ND-01",
                                  f"graph {kind[:-6]} {real.name!r} of {name} is not declared",
                                  f"{name} 的{'输入' if kind == 'input_nodes' else '输出'}节点 {real.name!r} 未在模型卡中声明"))
    return out


def _operator_issues(data: dict, info: ModelInfo, name: str) -> list[Issue]:
    out = []
    ops = get_in(data, "model_nodes", "operators")
    if not isinstance(ops, dict):
        return out
    opset = ops.get("opset_version")
    if isinstance(opset, int) and info.opset_version is not None and opset != info.opset_version:
        out.append(_issue("model.opset", "/model_nodes/operators/opset_version", "MCS-ND-04",
                          f"{name} uses ONNX opset {info.opset_version}, the card declares {opset}",
                          f"{name} 使用 ONNX 算子集版本 {info.opset_version}，模型卡声明为 {opset}"))
    declared_custom = ops.get("custom_operators") if isinstance(ops.get("custom_operators"), list) else []
    for op in info.custom_operators:
        short = op.split("::")[-1]
        if op not in declared_custom and short not in declared_custom:
            out.append(_issue("model.custom-operator", "/model_nodes/operators/custom_operators", "MCS-ND-04",
                              f"{name} uses the custom operator {op}, which the card does not declare",
                              f"{name} 使用了自定义算子 {op}，模型卡未声明"))
    counts = ops.get("operator_counts") if isinstance(ops.get("operator_counts"), list) else []
    for i, item in enumerate(counts):
        if not isinstance(item, dict) or not isinstance(item.get("name"), str):
            continue
        real = info.operator_counts.get(item["name"], 0)
        if str(item.get("value")).strip() != str(real):
            out.append(_issue("model.operator-count", f"/model_nodes/operators/operator_counts/{i}/value", "MCS-ND-04",
                              f"{name} has {real} {item['name']} operators, the card declares {item.get('value')}",
                              f"{name} 含 {real} 个 {item['name']} 算子，模型卡声明为 {item.get('value')}"))
    return out
