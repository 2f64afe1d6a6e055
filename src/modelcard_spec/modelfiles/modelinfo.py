"""What reading a model file found (:class:`ModelInfo`), what stops it (:class:`ModelFileError`),
and the helpers every format's reader shares: the element count of a declared shape, the parameter
summary of a list of tensors, and names from the file made printable.

Every ModelFileError is the diagnostic of a registered check (scope "command"), registered with
:func:`register_model_file_check` by the module that raises it: its templates also in the forms
located at a member and a byte offset. This module registers the checks of the pickle scanner's
errors (:func:`scan_error`) and of tensor sizes."""

from __future__ import annotations

from dataclasses import dataclass, field

from . import pickles
from ..spec.diagnostics import DiagnosticError
from ..spec.registry import Check, register
from ..spec.textsafe import encodable

INT64_MAX = (1 << 63) - 1

# The last part of the names of tensors that PyTorch modules register as buffers, not parameters:
# BatchNorm's running statistics, the position and token-type ids of BERT-like embeddings, and the
# inverse frequencies of rotary embeddings. A fallback for files that do not mark buffers themselves
# (safetensors, state dicts, ONNX initializers): an output that relied on it says so
# (ModelInfo.buffer_rule "names"), and validate --model names both counts.
BUFFER_SUFFIXES = ("running_mean", "running_var", "num_batches_tracked", "position_ids", "token_type_ids",
                   "inv_freq")

# Precision of the weights, from the dtypes of the floating or quantised parameters.
_PRECISION_OF = {"float32": "fp32", "float16": "fp16", "bfloat16": "bf16", "int8": "int8",
                 "uint8": "int8", "qint8": "int8", "quint8": "int8", "int4": "int4", "uint4": "int4"}


def located(messages: dict) -> dict:
    """The templates of a model-file check: each variant as given, and the same variant located at
    a member (``VARIANT@member``), a byte offset (``VARIANT@offset``, 字节偏移: counted from 0) or
    both (``VARIANT@member@offset``)."""
    out = {}
    for variant, (en, zh) in messages.items():
        out[variant] = (en, zh)
        out[variant + "@member"] = ("{member}: " + en, "{member}：" + zh)
        out[variant + "@offset"] = ("byte {offset}: " + en, "字节偏移 {offset}：" + zh)
        out[variant + "@member@offset"] = ("{member}, byte {offset}: " + en, "{member} 字节偏移 {offset}：" + zh)
    return out


def register_model_file_check(check_id: str, title: str, title_zh: str, messages: dict) -> Check:
    """Register the check of a :class:`ModelFileError` (an error of the command that reads the file)
    with ``messages`` in their :func:`located` forms."""
    return register(Check(check_id, "error", title, title_zh, located(messages), scope="command"))


class ModelFileError(DiagnosticError):
    """The file cannot be read as the format it claims to be, or reading it would cost more than its
    :class:`~.pickles.Budget`: the diagnostic (``issue``) of the registered check ``check_id``,
    rendered from ``params``.

    ``member`` (a zip member or pickle stream) and ``offset`` (a byte offset in that member, or in
    the file) say where; they are parameters of the diagnostic too, and its messages (``message``,
    ``message_zh``; ``str()`` is ``message``) are located at them. ``variant`` is the check's
    variant without its location. ``info`` is what was read before the error (its ``findings``
    are imports found so far, which loading the file would run), or None."""

    info: "ModelInfo | None" = None

    def __init__(self, check_id: str, variant: str = "", *, member: str | None = None, offset: int | None = None,
                 **params):
        at = {**({"member": member} if member else {}), **({"offset": offset} if offset is not None else {})}
        super().__init__(check_id, variant + "".join(f"@{key}" for key in at), **params, **at)
        self.variant, self.member, self.offset = variant, member or None, offset

    def as_cause(self) -> dict:
        """The parameters of a diagnostic that reports this error within its own sentence: the
        located messages (``error``, ``error_zh``), and this error's check and parameters
        (``cause``, ``cause_params``)."""
        return {"error": self.message, "error_zh": self.message_zh, "cause": self.issue.rule,
                "cause_params": dict(self.issue.params or {})}


# The pickle scanner's errors (pickles.PickleError, pickles.LimitExceeded), as ModelFileError.
register_model_file_check(
    "modelfile.pickle", "The pickle streams of the file can be followed without running them",
    "文件中的 pickle 数据流可在不执行的情况下解析",
    {variant: (en, zh) if variant == "read" else ("cannot follow the pickle stream: " + en, "无法解析 pickle 数据流：" + zh)
     for variant, (en, zh) in pickles.STREAM_PROBLEMS.items()})


def _limit_messages() -> dict:
    """The message of each limit of :class:`~.pickles.Budget` (a duration has its unit after the
    number; a Latin word is spaced from the Chinese before it)."""
    out = {}
    for kind, (unit, unit_zh) in pickles.UNITS.items():
        limit, after = ("{limit:g}", " 秒") if kind == "seconds" else ("{limit:,}", "")
        space = " " if unit_zh[:1].isascii() else ""
        out[kind] = (f"reading it needs more than {limit} {unit}, the inspection limit for one model file",
                     f"读取该文件所需的{space}{unit_zh}超过单个模型文件的检查上限 {limit}{after}")
    return out


register_model_file_check("modelfile.limit", "Reading the model file stays within the inspection limits",
                          "读取模型文件不超出检查上限", _limit_messages())


def scan_error(exc: Exception, member: str | None = None) -> ModelFileError:
    """A scanner error (:class:`.pickles.PickleError`, :class:`.pickles.LimitExceeded`) as a
    ModelFileError located at ``member`` and the error's offset."""
    if isinstance(exc, pickles.LimitExceeded):
        return ModelFileError("modelfile.limit", exc.kind, member=member, offset=exc.offset, limit=exc.limit)
    return ModelFileError("modelfile.pickle", exc.variant, member=member, offset=exc.offset, **exc.params)


# What declares a size: the subject of a tensor-size message.
_SUBJECTS = {"tensor": ("tensor {name!r}", "张量 {name!r}"), "initializer": ("initializer {name!r}", "初始化器 {name!r}"),
             "safetensors-entry": ("safetensors entry {name!r}", "safetensors 条目 {name!r}")}
MAX_SHAPE_SHOWN = 8  # dimensions of a shape named in a message

register_model_file_check(
    "modelfile.tensor-size", "Every tensor and the parameter count fit in a 64-bit count", "每个张量及参数总数均不超出 64 位计数的上限",
    {**{variant: (f"{en} declares more than 2^63-1 elements (shape [{{shape}}{more}])",
                  f"{zh} 声明的元素超过 2^63-1 个（形状 [{{shape}}{more}]）")
        for subject, (en, zh) in _SUBJECTS.items()
        for variant, more in ((subject, ""), (subject + "-long", ", ..."))},
     "parameters": ("the file declares {count:,} parameters, more than a 64-bit count holds",
                    "文件声明了 {count:,} 个参数，超过 64 位计数的上限")})


@dataclass
class Node:
    """A graph input or output as the file declares it."""
    name: str
    shape: list | None          # ints, symbol strings, or None for an unknown dimension
    dtype: str | None


@dataclass
class TorchScriptCode:
    """The code of a TorchScript archive: how many ``code/**/*.py`` files it holds, and the
    ``__torch__`` classes (defined there) that its pickles use."""
    code_files: int
    classes: list


@dataclass
class ModelInfo:
    """Everything inspecting one model file found; the readers fill it in as they go, so that what
    was read before an error is kept (:attr:`ModelFileError.info`)."""
    path: str
    format: str                 # one of the schema's WeightFormat values
    container: str              # onnx | safetensors | pytorch-zip | torchscript | pytorch-legacy | pickle
    size_bytes: int
    sha256: str
    framework: str | None = None
    framework_version: str | None = None
    ir_version: int | None = None
    opset_version: int | None = None
    opsets: dict = field(default_factory=dict)
    operator_counts: dict = field(default_factory=dict)
    custom_operators: list = field(default_factory=list)
    inputs: list = field(default_factory=list)
    outputs: list = field(default_factory=list)
    tensor_count: int = 0
    total_parameters: int | None = None
    buffer_elements: int = 0    # elements of tensors not counted as parameters (buffers, other state)
    # How buffers were told from parameters: "file" (the file marks them: TorchScript's
    # __parameters__ and __buffers__), "names" (by BUFFER_SUFFIXES: the format does not mark them,
    # and some tensor was taken as a buffer by its name), or None (no tensor was taken as a buffer).
    buffer_rule: str | None = None
    buffer_names: list = field(default_factory=list)  # tensors taken as buffers by their names
    constant_elements: int = 0  # of total_parameters, the elements of ONNX Constant-node tensors
    parameters_by_dtype: dict = field(default_factory=dict)
    precision: str | None = None
    pickle_based: bool = False
    globals: list = field(default_factory=list)
    findings: list = field(default_factory=list)
    notes: list = field(default_factory=list)
    torchscript: "TorchScriptCode | None" = None  # a TorchScript archive's code; None for every other file
    external_data: list = field(default_factory=list)  # .externaldata.ExternalData of an ONNX file's tensors


def element_count(shape, subject: str, name: str, offset: int | None = None) -> int:
    """Elements of a shape; more than a 64-bit count can hold is an error, not a number. ``subject``
    (``tensor``, ``initializer``, ``safetensors-entry``) and ``name`` say whose shape it is."""
    if any(d == 0 for d in shape):
        return 0
    n = 1
    for d in shape:
        n *= d
        if n > INT64_MAX:
            shown = list(shape[:MAX_SHAPE_SHOWN])
            raise ModelFileError("modelfile.tensor-size", subject + ("-long" if len(shape) > MAX_SHAPE_SHOWN else ""),
                                 offset=offset, name=name, shape=shown)
    return n


def summarise_tensors(info: ModelInfo, entries, parameters: set | None = None) -> None:
    """Fill ``info``'s tensor count, parameters (by dtype) and precision from ``entries``, each a
    (name, dtype, shape). ``parameters``: the names of the tensors the file itself marks as
    parameters (every other tensor is not one); without it, tensors named like buffers
    (:data:`BUFFER_SUFFIXES`) are counted apart, and ``info.buffer_rule`` says so."""
    total = buffers = 0
    by_dtype: dict[str, int] = {}
    by_name = []
    for name, dtype, shape in entries:
        numel = element_count(shape, "tensor", printable_name(name))
        if parameters is not None:
            buffer = name not in parameters
        else:
            buffer = name.rsplit(".", 1)[-1] in BUFFER_SUFFIXES
            if buffer:
                by_name.append(printable_name(name))
        if buffer:
            buffers += numel
            continue
        total += numel
        by_dtype[dtype] = by_dtype.get(dtype, 0) + numel
    if total > INT64_MAX or buffers > INT64_MAX:
        raise ModelFileError("modelfile.tensor-size", "parameters", count=max(total, buffers))
    info.tensor_count = len(entries)
    info.total_parameters = total
    info.buffer_elements = buffers
    info.buffer_names = by_name
    info.buffer_rule = "file" if parameters is not None else ("names" if by_name else None)
    info.parameters_by_dtype = dict(sorted(by_dtype.items(), key=lambda kv: (-kv[1], kv[0])))
    precisions = {_PRECISION_OF[d] for d, n in by_dtype.items() if d in _PRECISION_OF and n}
    info.precision = precisions.pop() if len(precisions) == 1 else ("mixed" if precisions else None)


def printable_name(name: str) -> str:
    """A name from the file as text that can always be encoded, cut at 200 characters."""
    text = encodable(name)
    return text if len(text) <= 200 else text[:200] + "…"
