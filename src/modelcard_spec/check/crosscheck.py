"""Compare what a card declares with what the delivered model file contains (``validate --model``).

Each mismatch is the diagnostic of a registered ``model.*`` check, located at the card field that
disagrees. Its requirement is the one the catalogue ties to that field
(:func:`..spec.catalogue.primary_requirement`); where the catalogue ties several requirements to a
field and the check is about one of them, the check names the field that requirement is tied to
instead (``weight_files[].file_name`` for the weight file itself, ``weight_files[].safe_loading``
for what loading it runs), or, for the SHA-256 alone, its requirement. The file side comes from
:func:`..modelfiles.reader.inspect_file`.
"""

from __future__ import annotations

from pathlib import Path

from ..modelfiles.externaldata import external_problem
from ..modelfiles.modelinfo import ModelFileError, ModelInfo
from ..modelfiles.reader import inspect_file
from ..spec import catalogue, shapes
from ..spec.catalogue import get_in
from ..spec.diagnostics import Issue, diagnostic
from ..spec.registry import Check, lookup, register

_FIELD = ("the requirement the catalogue ties to the card field it compares", "要求目录中与其所比对的模型卡字段关联的要求")


def _check(check_id: str, title: str, title_zh: str, messages: dict, requirements: tuple = ()) -> None:
    register(Check(check_id, "error", title, title_zh, messages, requirements=requirements,
                   reports_against=None if requirements else _FIELD))


# The weight file entry (MCS-PA-03; see _WEIGHT_FILE)
_check("model.unreadable", "The delivered model file can be read and inspected", "交付的模型文件可以读取和检查", {
    "": ("model file {file} cannot be inspected: {error}", "无法检查模型文件 {file}：{error_zh}"),
    "os-error": ("model file {file} cannot be read: {reason}", "无法读取模型文件 {file}：{reason}"),
})
_check("model.unlisted", "The delivered model file is listed in weight_files", "交付的模型文件已列入 weight_files", {
    "": ("{file} (SHA-256 {sha256}) is not listed in weight_files by name or digest",
         "{file}（SHA-256 {sha256}）未在 weight_files 中按名称或摘要列出"),
})
# The catalogue ties weight_files[].sha256 to MCS-GEN-08 (open-source provision) before MCS-PA-03;
# a digest that differs from the delivered file's fails MCS-PA-03 for every kind of provider.
_check("model.sha256", "The declared SHA-256 is the delivered file's", "声明的 SHA-256 与交付文件一致", {
    "": ("SHA-256 of {file} is {actual}, the card declares {declared}", "{file} 的 SHA-256 为 {actual}，模型卡声明为 {declared}"),
}, requirements=("MCS-PA-03",))
_check("model.size", "The declared size is the delivered file's", "声明的大小与交付文件一致", {
    "": ("{file} has {actual} bytes, the card declares {declared}", "{file} 大小为 {actual} 字节，模型卡声明为 {declared}"),
})
_check("model.format", "The declared format is the delivered file's", "声明的格式与交付文件一致", {
    "": ("{file} is a {actual} file ({container}), the card declares {declared}",
         "{file} 是 {actual} 文件（{container}），模型卡声明为 {declared}"),
})
# What loading the file runs (MCS-PA-06; see _SAFE_LOADING)
_PICKLE_KINDS = {"dangerous": ("known dangerous", "已知危险"),  # pickles.classify
                 "not-allow-listed": ("not on the allow-list", "不在允许列表中")}
_check("model.pickle-global", "The delivered file imports no pickle global that is not allow-listed",
       "交付的文件不导入允许列表以外的 pickle 全局对象", {
    **{kind: ("{file} imports {imported} (" + kind_en + ") in {stream}: loading it with pickle could run code",
              "{file} 在 {stream} 中导入了 {imported}（" + kind_zh + "）：用 pickle 加载可能执行代码")
       for kind, (kind_en, kind_zh) in _PICKLE_KINDS.items()},
    **{f"{kind}:many": ("{file} imports {imported} (" + kind_en + ") in {count:,} pickle streams (first {stream}): "
                        "loading it with pickle could run code",
                        "{file} 在 {count:,} 个 pickle 数据流中（首个为 {stream}）导入了 {imported}（" + kind_zh
                        + "）：用 pickle 加载可能执行代码")
       for kind, (kind_en, kind_zh) in _PICKLE_KINDS.items()},
})
register(Check("model.torchscript-code", "warning", "The model file holds no code that runs when it is used",
               "模型文件不含使用时会执行的代码", {"": (
    "{file} is a TorchScript archive with {code_files:,} code file(s) defining {classes:,} module class(es): "
    "torch.jit.load compiles this code and the model runs it (TorchScript reaches PyTorch's operators, not arbitrary "
    "Python); review the code or deliver the weights in a format without code",
    "{file} 是 TorchScript 归档，含 {code_files:,} 个代码文件，定义了 {classes:,} 个模块类：torch.jit.load 会编译这些代码，"
    "模型运行时执行这些代码（TorchScript 只能调用 PyTorch 的算子，不能执行任意 Python 代码）；宜审核这些代码，或采用不含代码的格式交付权重")},
               reports_against=_FIELD))
_check("model.pickle-unscanned", "A pickle-based file is scanned to its end", "基于 pickle 的文件已完整扫描", {
    "": ("{file} is pickle-based and its scan did not finish, so it is not shown that loading it runs no code",
         "{file} 基于 pickle，且扫描未能完成，因此未能证明加载它不会执行代码"),
})
# What a parameter count rests on besides the file's own marking, each said in the message that
# reports the count: Constant-node tensors counted as parameters (ONNX), tensors taken as buffers
# by their names (safetensors, state dicts, ONNX initializers), or tensors the file itself marks as
# buffers or other module state (TorchScript), not counted.
_COUNT_PARTS = {
    "constants": ("; {constants} of them are elements of floating-point tensors in Constant nodes, {without_constants} "
                  "without them", "；其中 {constants} 个是 Constant 节点中浮点张量的元素，不计这些则为 {without_constants} 个"),
    "names": ("; {with_buffers} with the {buffers} elements of the tensors taken as buffers by their names "
              "({buffer_names})", "；若计入按名称视为缓冲区的张量（{buffer_names}）的 {buffers} 个元素，则为 {with_buffers} 个"),
    "file": ("; the file marks {buffers} more elements as buffers or other module state",
             "；此外文件将 {buffers} 个元素标为缓冲区或其他模块状态"),
}


def _count_variants(en: str, zh: str, tail: str = "", tail_zh: str = "") -> dict:
    """One variant per combination of :data:`_COUNT_PARTS` (``constants``, ``names``, ``file``,
    ``constants+names``, ``constants+file``)."""
    out = {}
    for constants in (False, True):
        for buffers in (None, "names", "file"):
            parts = (["constants"] if constants else []) + ([buffers] if buffers else [])
            out["+".join(parts)] = (en + "".join(_COUNT_PARTS[p][0] for p in parts) + tail,
                                    zh + "".join(_COUNT_PARTS[p][1] for p in parts) + tail_zh)
    return out


_check("model.parameters", "The declared parameter count is the file's", "声明的参数量与文件一致", {
    **_count_variants("{file} holds {actual} parameters", "{file} 含 {actual} 个参数", ", the card declares {declared}",
                      "，模型卡声明为 {declared}"),
})
register(Check("model.parameters-uncertain", "info", "The file shows the declared parameter count by its own marking",
               "文件本身的标记即可核对声明的参数量", {
    **{variant: (en, zh) for variant, (en, zh) in _count_variants(
        "the declared {declared} parameters match {file} by a count that rests on a rule, not on the file's marking of "
        "which tensors are parameters: it holds {actual} parameters",
        "模型卡声明的 {declared} 个参数与 {file} 一致，但所依据的计数基于规则，而非文件本身对哪些张量为参数的标记：文件含 {actual} 个参数").items()
       if variant and variant != "file"},
    "unmarked": ("the declared {declared} parameters match {file}, which does not mark which of its tensors are "
                 "buffers: every tensor element it holds is counted ({actual})",
                 "模型卡声明的 {declared} 个参数与 {file} 一致，但该文件未标明哪些张量是缓冲区：其全部张量元素均计为参数（{actual} 个）")},
    reports_against=_FIELD))
register(Check("model.parameters-unconfirmed", "warning",
               "The file can confirm or refute the declared parameter count", "文件可以证实或否定声明的参数量", {
    "": ("{file} does not mark which of its tensors are parameters and which are buffers or other state: it holds "
         "{everything} tensor elements, {actual} of them counted as parameters by this tool's rules; the declared "
         "{declared} is fewer, which the file can neither confirm nor refute (if the declaration is right, the rest "
         "are buffers)",
         "{file} 未标明其张量中哪些是参数、哪些是缓冲区或其他状态：文件共含 {everything} 个张量元素，按本工具的规则计为参数的有 "
         "{actual} 个；模型卡声明的 {declared} 个少于此数，无法依据该文件证实或否定（声明若属实，其余元素即为缓冲区）"),
    "all": ("{file} does not mark which of its tensors are parameters and which are buffers or other state: it holds "
            "{everything} tensor elements, all counted as parameters; the declared {declared} is fewer, which the file "
            "can neither confirm nor refute (if the declaration is right, the rest are buffers)",
            "{file} 未标明其张量中哪些是参数、哪些是缓冲区或其他状态：文件共含 {everything} 个张量元素，均计为参数；模型卡声明的 "
            "{declared} 个少于此数，无法依据该文件证实或否定（声明若属实，其余元素即为缓冲区）"),
}, reports_against=_FIELD))
_check("model.parameters-unchecked", "The file shows the declared parameter count", "文件可用于核对声明的参数量", {
    variant: ("{file} keeps the data of {count:,} initializer(s) in external files that could not be checked, so the "
              "declared {declared} parameters are not shown by the file: {problem}" + more,
              "{file} 有 {count:,} 个初始化器的数据保存在无法核对的外部文件中，因此无法依据该文件核对模型卡声明的 {declared} 个参数："
              "{problem_zh}" + more_zh)
    for variant, more, more_zh in (("", "", ""), ("more", "; and {more:,} more", "；另有 {more:,} 个"))
})
_check("model.precision", "The declared precision is the file's", "声明的精度与文件一致", {
    "": ("{file} stores its parameters as {actual} ({dtypes}), the card declares {declared}",
         "{file} 的参数以 {actual} 存储（{dtypes}），模型卡声明为 {declared}"),
})
_NODE_KINDS = {"input": ("input_nodes", "输入"), "output": ("output_nodes", "输出")}
_check("model.node-missing", "Each declared graph input and output is in the file", "声明的每个图输入和输出节点都存在于文件中", {
    **{kind: ("{file} has no graph " + kind + " named {node!r} (it has: {actual})",
              "{file} 中没有名为 {node!r} 的" + zh + "节点（实际为：{actual}）") for kind, (_, zh) in _NODE_KINDS.items()},
    **{f"{kind}:none": ("{file} has no graph " + kind + " named {node!r} (it has: none)",
                        "{file} 中没有名为 {node!r} 的" + zh + "节点（实际为：无）") for kind, (_, zh) in _NODE_KINDS.items()},
})
_check("model.node-dtype", "Each declared node has the file's data type", "声明的节点数据类型与文件一致", {
    "": ("node {node!r} of {file} is {actual}, the card declares {declared}", "{file} 的节点 {node!r} 类型为 {actual}，模型卡声明为 {declared}"),
})
_check("model.node-shape", "Each declared node shape fits the file's", "声明的节点形状与文件相符", {
    "": ("node {node!r} of {file}: {reason}", "{file} 的节点 {node!r}：{reason_zh}"),
})
_check("model.node-undeclared", "Every graph input and output of the file is declared", "文件中的每个图输入和输出节点均已声明", {
    kind: ("graph " + kind + " {node!r} of {file} is not declared", "{file} 的" + zh + "节点 {node!r} 未在模型卡中声明")
    for kind, (_, zh) in _NODE_KINDS.items()
})
_check("model.opset", "The declared opset is the file's", "声明的算子集版本与文件一致", {
    "": ("{file} uses ONNX opset {actual}, the card declares {declared}", "{file} 使用 ONNX 算子集版本 {actual}，模型卡声明为 {declared}"),
})
_check("model.custom-operator", "Every custom operator of the file is declared", "文件中的每个自定义算子均已声明", {
    "": ("{file} uses the custom operator {operator}, which the card does not declare", "{file} 使用了自定义算子 {operator}，模型卡未声明"),
})
_check("model.operator-count", "The declared operator counts are the file's", "声明的算子数量与文件一致", {
    "": ("{file} has {actual} {operator} operators, the card declares {declared}", "{file} 含 {actual} 个 {operator} 算子，模型卡声明为 {declared}"),
})

# Fields whose requirement an issue reports when the catalogue ties several to the issue's path:
# the weight file entry itself (MCS-PA-03), and how it can be loaded without running code (MCS-PA-06).
_WEIGHT_FILE = "/model_parameters/weight_files/0/file_name"
_SAFE_LOADING = "/model_parameters/weight_files/0/safe_loading"
_WEIGHT_FILES = "/model_parameters/weight_files"

# Suffixes of the pickle-based formats (MCS-PA-06): a file with one of them that cannot be read to its
# end is not shown to be free of code-running imports.
PICKLE_SUFFIXES = (".pt", ".pth", ".bin", ".ckpt", ".pkl", ".pickle")


class _Found:
    """The issues of one comparison, each reporting the requirement the catalogue ties to its field."""

    def __init__(self, data: dict, file: str):
        self.data, self.file, self.issues = data, file, []
        self.verified: set[str] = set()
        self.listed = True  # the file is one the card lists: only then does a comparison verify the card
        self.provider_kind = data.get("provider_kind") if isinstance(data.get("provider_kind"), str) else None

    def report(self, check_id: str, path: str, variant: str = "", *, field: str | None = None, **params) -> None:
        """A ``check_id`` issue at ``path``: against the check's own requirement if it names one, else
        the one the catalogue ties to ``field`` (default: the field at ``path``)."""
        requirement = self._requirement(check_id, path, field)
        self.issues.append(diagnostic(check_id, path, variant, requirement=requirement, file=self.file, **params))

    def compared(self, check_id: str, path: str, *, field: str | None = None) -> None:
        """Record that the comparison of ``check_id`` was made (whether or not it found a mismatch), so
        that its requirement counts as verified against the model file; a comparison skipped for
        want of information on either side, or made with a file the card does not list, is never
        recorded."""
        requirement = self._requirement(check_id, path, field)
        if requirement and self.listed:
            self.verified.add(requirement)

    def _requirement(self, check_id: str, path: str, field: str | None) -> str | None:
        own = lookup(check_id).requirements
        return own[0] if own else catalogue.primary_requirement(field or path, self.provider_kind)


def _weight_entry(data: dict, info: ModelInfo) -> tuple[int | None, dict | None]:
    files = get_in(data, "model_parameters", "weight_files")
    if not isinstance(files, list):
        return None, None
    name = Path(info.path).name
    for i, entry in enumerate(files):
        if isinstance(entry, dict) and (entry.get("sha256") == info.sha256 or entry.get("file_name") == name):
            return i, entry
    return None, None


def model_issues(data: dict, model_path: str) -> tuple[list[Issue], ModelInfo | None, frozenset[str]]:
    """Issues from comparing the card's data with one model file, the file's description, and the
    requirements whose comparison was made (see :meth:`_Found.compared`)."""
    found = _Found(data, Path(model_path).name)
    try:
        info = inspect_file(model_path)
    except ModelFileError as exc:
        _unreadable_issues(found, exc)
        return found.issues, None, frozenset(found.verified)
    except OSError as exc:
        found.report("model.unreadable", _WEIGHT_FILES, "os-error", field=_WEIGHT_FILE, reason=exc.strerror or str(exc))
        return found.issues, None, frozenset(found.verified)
    index, entry = _weight_entry(data, info)
    if entry is None:
        found.listed = False
        found.report("model.unlisted", _WEIGHT_FILES, field=_WEIGHT_FILE, sha256=info.sha256)
    else:
        base = f"{_WEIGHT_FILES}/{index}"
        found.compared("model.sha256", base + "/sha256")
        if entry.get("sha256") not in (None, info.sha256):
            found.report("model.sha256", base + "/sha256", actual=info.sha256, declared=entry.get("sha256"))
        if entry.get("size_bytes") not in (None, info.size_bytes):
            found.report("model.size", base + "/size_bytes", actual=info.size_bytes, declared=entry.get("size_bytes"))
        if entry.get("format") not in (None, info.format):
            found.report("model.format", base + "/format", actual=info.format, container=info.container,
                      declared=entry.get("format"))
    _finding_issues(found, info, index)
    _parameter_issues(found, info)
    if info.container == "onnx":
        _node_issues(found, info)
        _operator_issues(found, info)
    return found.issues, info, frozenset(found.verified)


def _unreadable_issues(found: _Found, exc: ModelFileError) -> None:
    """A file that cannot be inspected: that error (MCS-PA-03); the unsafe imports found before it;
    and for a pickle-based file, that it is not shown safe to load (MCS-PA-06), so that the
    requirement cannot conform on a file whose scan did not finish."""
    found.report("model.unreadable", _WEIGHT_FILES, field=_WEIGHT_FILE, **exc.as_cause())
    partial = exc.info
    index = _weight_entry(found.data, partial)[0] if partial is not None else None
    if partial is not None:
        _finding_issues(found, partial, index)
    if partial.pickle_based if partial is not None else Path(found.file).suffix.lower() in PICKLE_SUFFIXES:
        where = f"{_WEIGHT_FILES}/{index}" if index is not None else _WEIGHT_FILES
        found.report("model.pickle-unscanned", where, field=_SAFE_LOADING)


def _finding_issues(found: _Found, info: ModelInfo, index: int | None) -> None:
    """One issue per imported global that is not allow-listed, however many streams import it."""
    where = f"{_WEIGHT_FILES}/{index}" if index is not None else _WEIGHT_FILES
    if info.pickle_based:
        found.compared("model.pickle-global", where, field=_SAFE_LOADING)
    if info.torchscript is not None:
        found.report("model.torchscript-code", where, field=_SAFE_LOADING, code_files=info.torchscript.code_files,
                     classes=len(info.torchscript.classes))
    for f in info.findings:
        found.report("model.pickle-global", where, f.classification if f.count == 1 else f"{f.classification}:many",
                  field=_SAFE_LOADING, imported=f.name, classification=f.classification, stream=f.stream,
                  count=f.count)


def _parameter_issues(found: _Found, info: ModelInfo) -> None:
    declared = get_in(found.data, "model_parameters", "total_parameters")
    if isinstance(declared, int) and not isinstance(declared, bool) and info.total_parameters is not None \
            and info.tensor_count:
        _parameter_count(found, info, declared)
    unchecked = [e for e in info.external_data if e.initializer and e.problem]
    if isinstance(declared, int) and unchecked:
        problem = external_problem(unchecked[0])
        found.report("model.parameters-unchecked", "/model_parameters/total_parameters", "more" if len(unchecked) > 1 else "",
                  count=len(unchecked), declared=declared, problem=problem.message, problem_zh=problem.message_zh,
                  more=len(unchecked) - 1)
    precision = get_in(found.data, "model_parameters", "precision")
    if isinstance(precision, str) and info.precision:
        found.compared("model.precision", "/model_parameters/precision")
    if isinstance(precision, str) and info.precision and precision != info.precision:
        found.report("model.precision", "/model_parameters/precision", actual=info.precision, declared=precision,
                  dtypes=[f"{k}: {v}" for k, v in info.parameters_by_dtype.items()],
                  parameters_by_dtype=dict(info.parameters_by_dtype))


def _parameter_count(found: _Found, info: ModelInfo, declared: int) -> None:
    """The declared count against the file's: the parameters as counted, or with the buffers added
    (a card may count them together), or without the Constant-node tensors. A count that matches
    only where a part of it rests on a rule (Constant nodes, buffers told by their names), or in a
    file that does not mark its buffers at all, is an info naming every count; a mismatch names them
    all too. A declared count below the tensor elements of a file that does not mark its buffers can
    be neither confirmed nor refuted: a warning says so, and the count counts as not compared."""
    total, buffers, constants = info.total_parameters, info.buffer_elements, info.constant_elements
    by_names = info.buffer_rule == "names" and buffers > 0
    parts = (["constants"] if constants else []) + (["names" if by_names else "file"] if buffers else [])
    params = {"actual": total, "declared": declared, "buffers": buffers, "with_buffers": total + buffers,
              "buffer_names": ", ".join(info.buffer_names[:5]) + (", ..." if len(info.buffer_names) > 5 else ""),
              "constants": constants, "without_constants": total - constants}
    accepted = {total, total + buffers} | ({total - constants} if 0 < constants < total else set())
    marks = info.buffer_rule == "file"  # only TorchScript says which tensors are buffers
    if declared not in accepted and not marks and declared < total + buffers:
        # fewer than the file's tensor elements: the rest may be buffers the file does not mark
        found.report("model.parameters-unconfirmed", "/model_parameters/total_parameters",
                     "" if buffers or constants else "all", actual=total, declared=declared, everything=total + buffers)
        return  # not compared: the model comparison does not evaluate the count
    found.compared("model.parameters", "/model_parameters/total_parameters")
    if declared not in accepted:
        found.report("model.parameters", "/model_parameters/total_parameters", "+".join(parts), **params)
    elif constants or by_names:
        found.report("model.parameters-uncertain", "/model_parameters/total_parameters",
                     "+".join(p for p in parts if p != "file"), **params)
    elif not marks:
        found.report("model.parameters-uncertain", "/model_parameters/total_parameters", "unmarked", **params)


def _node_issues(found: _Found, info: ModelInfo) -> None:
    for kind, actual in (("input", info.inputs), ("output", info.outputs)):
        slot = _NODE_KINDS[kind][0]
        declared = get_in(found.data, "model_nodes", slot)
        if not isinstance(declared, list):
            continue
        by_name = {n.name: n for n in actual}
        found.compared("model.node-missing", f"/model_nodes/{slot}")
        declared_names = set()
        for i, node in enumerate(declared):
            if not isinstance(node, dict) or not isinstance(node.get("name"), str):
                continue
            base = f"/model_nodes/{slot}/{i}"
            declared_names.add(node["name"])
            real = by_name.get(node["name"])
            if real is None:
                found.report("model.node-missing", base + "/name", kind if by_name else f"{kind}:none", node=node["name"],
                          actual=sorted(by_name))
                continue
            if isinstance(node.get("dtype"), str) and real.dtype and node["dtype"] != real.dtype:
                found.report("model.node-dtype", base + "/dtype", node=real.name, actual=real.dtype, declared=node["dtype"])
            shape = node.get("shape")
            if isinstance(shape, list) and real.shape is not None:
                message = shapes.match(shape, real.shape)
                if message:
                    found.report("model.node-shape", base + "/shape", node=real.name, reason=message[0],
                              reason_zh=message[1], actual=list(real.shape), declared=shape)
        for real in actual:
            if real.name not in declared_names:
                found.report("model.node-undeclared", f"/model_nodes/{slot}", kind, node=real.name)


def _operator_issues(found: _Found, info: ModelInfo) -> None:
    ops = get_in(found.data, "model_nodes", "operators")
    if not isinstance(ops, dict):
        return
    opset = ops.get("opset_version")
    if isinstance(opset, int) and info.opset_version is not None:
        found.compared("model.opset", "/model_nodes/operators/opset_version")
    if isinstance(opset, int) and info.opset_version is not None and opset != info.opset_version:
        found.report("model.opset", "/model_nodes/operators/opset_version", actual=info.opset_version, declared=opset)
    declared_custom = ops.get("custom_operators") if isinstance(ops.get("custom_operators"), list) else []
    for op in info.custom_operators:
        short = op.split("::")[-1]
        if op not in declared_custom and short not in declared_custom:
            found.report("model.custom-operator", "/model_nodes/operators/custom_operators", operator=op)
    counts = ops.get("operator_counts") if isinstance(ops.get("operator_counts"), list) else []
    for i, item in enumerate(counts):
        if not isinstance(item, dict) or not isinstance(item.get("name"), str):
            continue
        real = info.operator_counts.get(item["name"], 0)
        if str(item.get("value")).strip() != str(real):
            found.report("model.operator-count", f"/model_nodes/operators/operator_counts/{i}/value", operator=item["name"],
                      actual=real, declared=item.get("value"))


register(Check("provenance.model-digest", "error",
               "Values extracted from, measured on or inferred from a model file name the file given",
               "从模型文件提取、基于模型文件实测或由模型文件推断的值，其来源文件应为所给的模型文件",
               {"": ("the value at {pointer} is marked {origin} from a file with SHA-256 {declared}, which is none of "
                     "the model files given ({actual}): it was taken from another file, or the file has changed since",
                     "{pointer} 处的值标注为{origin_zh}所得，来源文件 SHA-256 为 {declared}，但所给模型文件均非该文件"
                     "（{actual}）：该值取自其他文件，或文件此后已被改动")}))

_ORIGIN_ZH = {"extracted": "提取", "measured": "实测", "inferred": "推断"}


def _from_model_file(entry: dict) -> bool:
    """Whether a provenance entry says its value came from a model file: extracted, measured, or
    inferred by one of inspect's rules (``inspect.*``)."""
    origin = entry.get("origin")
    return origin in ("extracted", "measured") or (
        origin == "inferred" and isinstance(entry.get("rule"), str) and entry["rule"].startswith("inspect."))


def provenance_issues(data: dict, digests: list[str]) -> list[Issue]:
    """The provenance entries of values from a model file (``extracted``, ``measured``, or ``inferred``
    by a rule of inspect) whose source digest is none of the
    ``digests`` of the model files given (``validate --model``), nor that of another weight file the
    card lists (not given, so not compared)."""
    entries = data.get("provenance")
    if not isinstance(entries, list) or not digests:
        return []
    files = get_in(data, "model_parameters", "weight_files")
    others = {f["sha256"] for f in files if isinstance(f, dict) and isinstance(f.get("sha256"), str)} - set(digests) \
        if isinstance(files, list) else set()
    issues = []
    for i, entry in enumerate(entries):
        if not isinstance(entry, dict) or not _from_model_file(entry):
            continue
        declared = entry.get("source_sha256")
        if isinstance(declared, str) and declared not in digests and declared not in others:
            issues.append(diagnostic("provenance.model-digest", f"/provenance/{i}/source_sha256",
                                     pointer=str(entry.get("pointer")), origin=entry["origin"],
                                     origin_zh=_ORIGIN_ZH[entry["origin"]], declared=declared,
                                     actual=", ".join(sorted(digests))))
    return issues
