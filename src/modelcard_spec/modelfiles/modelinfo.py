"""What reading a model file found (:class:`ModelInfo`), what stops it (:class:`ModelFileError`),
and the helpers every format's reader shares: the element count of a declared shape, the parameter
summary of a list of tensors, and names from the file made printable."""

from __future__ import annotations

from dataclasses import dataclass, field

from . import pickles
from ..spec.textsafe import encodable

INT64_MAX = (1 << 63) - 1

# Names of tensors that are running statistics, not parameters (BatchNorm buffers).
BUFFER_SUFFIXES = ("running_mean", "running_var", "num_batches_tracked")

# Precision of the weights, from the dtypes of the floating or quantised parameters.
_PRECISION_OF = {"float32": "fp32", "float16": "fp16", "bfloat16": "bf16", "int8": "int8",
                 "uint8": "int8", "qint8": "int8", "quint8": "int8", "int4": "int4", "uint4": "int4"}


class ModelFileError(Exception):
    """The file cannot be read as the format it claims to be, or reading it would cost more than its
    :class:`~.pickles.Budget`.

    ``en`` and ``zh`` say what is wrong; ``member`` (a zip member or pickle stream) and ``offset``
    (a byte offset in that member, or in the file) say where. ``message`` and ``message_zh`` are the
    located sentences; ``str()`` is ``message``. ``info`` is what was read before the error (its
    ``findings`` are imports found so far, which loading the file would run), or None."""

    info: "ModelInfo | None" = None

    def __init__(self, en: str, zh: str | None = None, *, member: str | None = None, offset: int | None = None):
        self.en, self.zh, self.member, self.offset = en, zh or en, member, offset
        super().__init__(self.message)

    @property
    def message(self) -> str:
        where = ", ".join(([self.member] if self.member else []) + ([f"byte {self.offset}"] if self.offset is not None else []))
        return f"{where}: {self.en}" if where else self.en

    @property
    def message_zh(self) -> str:
        where = " ".join(([self.member] if self.member else []) + ([f"字节偏移 {self.offset}"] if self.offset is not None else []))
        return f"{where}：{self.zh}" if where else self.zh


def scan_error(exc: Exception, member: str | None = None) -> ModelFileError:
    """A scanner error (:class:`.pickles.PickleError`, :class:`.pickles.LimitExceeded`) as a located
    ModelFileError."""
    if isinstance(exc, pickles.ReadError):
        return ModelFileError(exc.en, exc.zh, member=member)
    if isinstance(exc, pickles.PickleError):
        return ModelFileError(f"cannot follow the pickle stream: {exc.en}", f"无法解析 pickle 数据流：{exc.zh}",
                              member=member, offset=exc.offset)
    return ModelFileError(exc.en, exc.zh, member=member, offset=getattr(exc, "offset", None))


@dataclass
class Node:
    """A graph input or output as the file declares it."""
    name: str
    shape: list | None          # ints, symbol strings, or None for an unknown dimension
    dtype: str | None


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
    buffer_elements: int = 0
    parameters_by_dtype: dict = field(default_factory=dict)
    precision: str | None = None
    pickle_based: bool = False
    globals: list = field(default_factory=list)
    findings: list = field(default_factory=list)
    notes: list = field(default_factory=list)
    external_data: list = field(default_factory=list)  # .externaldata.ExternalData of an ONNX file's tensors


def element_count(shape, what: str, what_zh: str, offset: int | None = None) -> int:
    """Elements of a shape; more than a 64-bit count can hold is an error, not a number."""
    if any(d == 0 for d in shape):
        return 0
    n = 1
    for d in shape:
        n *= d
        if n > INT64_MAX:
            raise ModelFileError(f"{what} declares more than 2^63-1 elements (shape {_short(shape)})",
                                 f"{what_zh} 声明的元素超过 2^63-1 个（形状 {_short(shape)}）", offset=offset)
    return n


def _short(shape) -> str:
    text = str(list(shape[:8]))
    return text if len(shape) <= 8 else text[:-1] + ", ...]"


def summarise_tensors(info: ModelInfo, entries) -> None:
    """Fill ``info``'s tensor count, parameters (by dtype) and precision from ``entries``, each a
    (name, dtype, shape); running statistics (:data:`BUFFER_SUFFIXES`) are counted apart."""
    total = buffers = 0
    by_dtype: dict[str, int] = {}
    for name, dtype, shape in entries:
        numel = element_count(shape, f"tensor {printable_name(name)!r}", f"张量 {printable_name(name)!r}")
        if name.rsplit(".", 1)[-1] in BUFFER_SUFFIXES:
            buffers += numel
            continue
        total += numel
        by_dtype[dtype] = by_dtype.get(dtype, 0) + numel
    if total > INT64_MAX or buffers > INT64_MAX:
        raise ModelFileError(f"the file declares {max(total, buffers):,} parameters, more than a 64-bit count holds",
                             f"文件声明了 {max(total, buffers):,} 个参数，超过 64 位计数的上限")
    info.tensor_count = len(entries)
    info.total_parameters = total
    info.buffer_elements = buffers
    info.parameters_by_dtype = dict(sorted(by_dtype.items(), key=lambda kv: (-kv[1], kv[0])))
    precisions = {_PRECISION_OF[d] for d, n in by_dtype.items() if d in _PRECISION_OF and n}
    info.precision = precisions.pop() if len(precisions) == 1 else ("mixed" if precisions else None)


def printable_name(name: str) -> str:
    """A name from the file as text that can always be encoded, cut at 200 characters."""
    text = encodable(name)
    return text if len(text) <= 200 else text[:200] + "…"
