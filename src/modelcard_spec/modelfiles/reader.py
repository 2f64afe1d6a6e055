"""Inspect a delivered model file without running it and without loading it whole into memory.

Supported formats:

* **ONNX** — read with a streaming protobuf reader over a memory map: tensor payloads are skipped,
  never copied, so a 2 GB model costs a few MB of memory. Gives IR version, producer, opsets,
  operator counts (sub-graphs included), custom-domain operators, graph inputs and outputs with
  symbolic dimensions, initializers and their dtypes.
* **safetensors** — the JSON header only.
* **PyTorch checkpoints** — zip (``torch.save`` since 1.6, TorchScript), legacy (concatenated
  pickles) and the oldest tar format. The pickles are never unpickled: :mod:`.picklescan` follows
  their opcodes symbolically, which lists the imported globals (unsafe ones are findings) and the
  tensors with dtype and shape.
* **plain pickle** (any protocol, recognised by its content whatever the file's suffix) — scanned
  for globals only.

The SHA-256 is computed by streaming the file in 1 MiB blocks.
"""

from __future__ import annotations

import json
import mmap
import os
import re
import struct
import tarfile
import zipfile
import zlib
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path

try:
    import lzma
except ImportError:  # pragma: no cover - Python built without lzma
    lzma = None

from . import pickles as picklescan
from ..spec.digests import sha256_file

SCAN_BLOCK = 1 << 20  # bytes scanned at a time for import opcodes
MAX_SAFETENSORS_HEADER = 100 << 20  # the format's own limit; inspect reads at most Budget.max_json_bytes

# Names of tensors that are running statistics, not parameters (BatchNorm buffers).
BUFFER_SUFFIXES = ("running_mean", "running_var", "num_batches_tracked")

# ONNX TensorProto.DataType codes, and safetensors dtype names, to the schema's DType values.
ONNX_DTYPES = {1: "float32", 2: "uint8", 3: "int8", 4: "uint16", 5: "int16", 6: "int32", 7: "int64",
               8: "string", 9: "bool", 10: "float16", 11: "float64", 12: "uint32", 13: "uint64",
               14: "complex64", 15: "complex128", 16: "bfloat16", 17: "float8e4m3fn",
               18: "float8e4m3fnuz", 19: "float8e5m2", 20: "float8e5m2fnuz", 21: "uint4", 22: "int4"}
SAFETENSORS_DTYPES = {"F64": "float64", "F32": "float32", "F16": "float16", "BF16": "bfloat16",
                      "I64": "int64", "I32": "int32", "I16": "int16", "I8": "int8", "U8": "uint8",
                      "U16": "uint16", "U32": "uint32", "U64": "uint64", "BOOL": "bool",
                      "F8_E4M3": "float8e4m3fn", "F8_E5M2": "float8e5m2"}
# The standard ONNX operator domains; any other domain is a custom operator set.
STANDARD_DOMAINS = {"", "ai.onnx", "ai.onnx.ml", "ai.onnx.training", "ai.onnx.preview.training"}
# Precision of the weights, from the dtypes of the floating or quantised parameters.
_PRECISION_OF = {"float32": "fp32", "float16": "fp16", "bfloat16": "bf16", "int8": "int8",
                 "uint8": "int8", "qint8": "int8", "quint8": "int8", "int4": "int4", "uint4": "int4"}


class ModelFileError(Exception):
    """The file cannot be read as the format it claims to be, or reading it would cost more than its
    :class:`~.picklescan.Budget`.

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


def _scan_error(exc: Exception, member: str | None) -> ModelFileError:
    """A scanner error as a located ModelFileError."""
    if isinstance(exc, picklescan.ReadError):
        return ModelFileError(exc.en, exc.zh, member=member)
    if isinstance(exc, picklescan.PickleError):
        return ModelFileError(f"cannot follow the pickle stream: {exc.en}", f"无法解析 pickle 数据流：{exc.zh}",
                              member=member, offset=exc.offset)
    return ModelFileError(exc.en, exc.zh, member=member, offset=getattr(exc, "offset", None))


@dataclass
class Node:
    name: str
    shape: list | None          # ints, symbol strings, or None for an unknown dimension
    dtype: str | None


@dataclass
class ModelInfo:
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
    external_data: list = field(default_factory=list)  # ExternalData of an ONNX file's initializers


@dataclass
class ExternalData:
    """An ONNX initializer whose data is kept in another file (``data_location: EXTERNAL``)."""
    name: str
    location: str | None        # the external_data entries as written
    offset: str | None
    length: str | None
    bits: int | None            # per element of its dtype (None: no fixed size)
    numel: int
    at: int                     # byte offset of the tensor in the model file
    initializer: bool = True    # False: a tensor attribute or a sparse initializer (not counted)
    problem: tuple | None = None  # why its data is not checked (en, zh); None once it is


# What reading a zip archive can raise on a damaged or unusual member (and what we turn into a
# located ModelFileError): bad headers and CRCs, truncated or invalid compressed data, encryption.
ZIP_ERRORS = (zipfile.BadZipFile, zipfile.LargeZipFile, NotImplementedError, RuntimeError, zlib.error,
              EOFError, OSError, ValueError, struct.error, UnicodeDecodeError) + (
              (lzma.LZMAError,) if lzma is not None else ())
# Compression methods zipfile reads (PyTorch itself writes only stored and deflated members).
ZIP_METHODS = {zipfile.ZIP_STORED: "stored", zipfile.ZIP_DEFLATED: "deflated", zipfile.ZIP_BZIP2: "bzip2",
               zipfile.ZIP_LZMA: "lzma"}
ZIP_METHOD_NAMES = {9: "deflate64", 6: "implode", 93: "zstd", 98: "ppmd"}
INT64_MAX = (1 << 63) - 1


def _zip_error(exc: Exception, member: str | None = None) -> ModelFileError:
    return ModelFileError(f"cannot read the zip archive: {exc}", f"无法读取 zip 归档：{exc}", member=member)


def _zip_entry_count(fh, size: int, limit: int) -> int:
    """How many central-directory entries zipfile would read, counted up to ``limit + 1``, found the
    way zipfile finds them, before zipfile builds an object for each."""
    end_record = getattr(zipfile, "_EndRecData", None)
    if end_record is None:  # pragma: no cover - present in every CPython 3
        return 0
    try:
        rec = end_record(fh)
    except ZIP_ERRORS:
        return 0  # zipfile says what is wrong when it opens the file
    if not rec:
        return 0  # zipfile says what is wrong
    size_cd, offset_cd, location = rec[zipfile._ECD_SIZE], rec[zipfile._ECD_OFFSET], rec[zipfile._ECD_LOCATION]
    concat = location - size_cd - offset_cd
    if rec[zipfile._ECD_SIGNATURE] == zipfile.stringEndArchive64:
        concat -= zipfile.sizeEndCentDir64 + zipfile.sizeEndCentDir64Locator
    pos = start = offset_cd + concat
    count = 0
    while 0 <= pos and pos - start < size_cd and count <= limit:
        fh.seek(pos)
        head = fh.read(46)
        if len(head) != 46 or head[:4] != b"PK\x01\x02":
            break
        pos += 46 + sum(struct.unpack_from("<3H", head, 28))
        count += 1
    return count


def _open_zip(path: Path, budget: picklescan.Budget) -> zipfile.ZipFile:
    with open(path, "rb") as fh:
        if _zip_entry_count(fh, path.stat().st_size, budget.max_members) > budget.max_members:
            raise _zip_error_limit(budget)
    try:
        return zipfile.ZipFile(path)
    except ZIP_ERRORS as exc:
        raise _zip_error(exc) from None


def _zip_error_limit(budget: picklescan.Budget) -> ModelFileError:
    exc = budget.exceeded("members")
    return ModelFileError(exc.en, exc.zh)


def _zip_kind(zf: zipfile.ZipFile) -> str:
    base = {n.lower().rsplit("/", 1)[-1] for n in zf.namelist()}
    if "constants.pkl" in base:
        return "torchscript"
    if "data.pkl" in base:
        return "pytorch-zip"
    names = zf.namelist()
    if "config.json" in names and any(n.endswith(".weights.h5") for n in names):
        return "keras"
    raise ModelFileError("a zip archive that is neither a PyTorch checkpoint (no data.pkl) nor a Keras model",
                         "该 zip 归档既不是 PyTorch 检查点（没有 data.pkl），也不是 Keras 模型")


TORCH_MAGIC = 0x1950A86A20F9469CFC6C  # the first pickle of torch's legacy format
HEAD_BYTES = 512  # a tar header


def _detect(path: Path, budget: picklescan.Budget) -> tuple[str, zipfile.ZipFile | None]:
    """The container kind, in the order ``torch.load`` tries them: a zip by its first bytes, then a
    tar archive (the oldest torch format), then a pickle; safetensors and ONNX by their headers. A
    pickle of any protocol is recognised by its content whatever the file's suffix, since
    ``pickle.load`` and ``torch.load`` read it whatever the file is called."""
    with open(path, "rb") as fh:
        head = fh.read(HEAD_BYTES)
    if head[:4] == b"PK\x03\x04":
        zf = _open_zip(path, budget)
        try:
            return _zip_kind(zf), zf
        except BaseException:
            zf.close()
            raise
    if len(head) >= 8:
        (n,) = struct.unpack("<Q", head[:8])
        if 2 <= n <= MAX_SAFETENSORS_HEADER and head[8:9] == b"{":
            return "safetensors", None
    if _is_tar(head):
        return "pytorch-tar", None
    suffix = path.suffix.lower()
    if suffix == ".onnx" or head[:1] == b"\x08":  # ModelProto starts with field 1 (ir_version)
        return "onnx", None
    if picklescan.sniff(head[:SNIFF_BYTES], budget) or suffix in (".pkl", ".pickle"):
        return ("pytorch-legacy" if _is_torch_legacy(head, budget) else "pickle"), None
    raise ModelFileError("unknown model file format (supported: ONNX, safetensors, PyTorch, pickle)",
                         "未知的模型文件格式（支持 ONNX、safetensors、PyTorch、pickle）")


def _is_tar(head: bytes) -> bool:
    """Whether tarfile (which torch.load tries first on a file that is not a zip) reads ``head`` as a
    tar header: a block whose checksum is right."""
    try:
        tarfile.TarInfo.frombuf(head, "utf-8", "surrogateescape")
    except (tarfile.HeaderError, ValueError):
        return False
    return True


def _is_torch_legacy(head: bytes, budget: picklescan.Budget) -> bool:
    """Whether the first pickle is torch's magic number (torch.load then reads four more)."""
    try:
        roots = picklescan.scan_bytes(head, "magic", budget.sniffer()).roots
    except (picklescan.PickleError, picklescan.LimitExceeded):
        return False
    return type(roots[0]) is int and roots[0] == TORCH_MAGIC


def detect(path: Path) -> str:
    """The container kind, from the file's first bytes (then its suffix)."""
    container, zf = _detect(Path(path), picklescan.Budget())
    if zf is not None:
        zf.close()
    return container


def inspect_file(path: str | os.PathLike, budget: picklescan.Budget | None = None) -> ModelInfo:
    """Inspect one model file within ``budget`` (default limits when None).

    Raises :class:`ModelFileError` (the file is not a readable model, or reading it would exceed the
    budget) or :class:`OSError` (the file cannot be opened)."""
    p = Path(path)
    if not p.is_file():
        raise ModelFileError("not a regular file", "不是普通文件")
    budget = budget or picklescan.Budget()
    container, zf = _detect(p, budget)
    info = None
    try:
        size = p.stat().st_size
        suffix = p.suffix.lower().lstrip(".")
        fmt = {"onnx": "onnx", "safetensors": "safetensors", "torchscript": "torchscript",
               "keras": "keras"}.get(container)
        if fmt is None:
            fmt = suffix if suffix in ("pt", "pth", "bin", "ckpt", "pkl") else ("pkl" if container == "pickle" else "pt")
        info = ModelInfo(path=str(p), format=fmt, container=container, size_bytes=size, sha256=sha256_file(p))
        budget.start()  # the digest is linear in the file size; the budget is for what follows
        if container == "onnx":
            _inspect_onnx(p, info, budget)
        elif container == "safetensors":
            _inspect_safetensors(p, info, budget)
        elif container in ("pytorch-zip", "torchscript"):
            _inspect_torch_zip(zf, info, budget)
        elif container == "pytorch-legacy":
            _inspect_torch_legacy(p, info, budget)
        elif container == "pytorch-tar":
            _inspect_torch_tar(p, info, budget)
        elif container == "pickle":
            _inspect_pickle(p, info, budget)
        else:
            raise ModelFileError(f"{container} files are recognised but not yet inspected",
                                 f"可识别 {container} 文件，但尚不能检查其内容")
    except picklescan.LimitExceeded as exc:
        error = _scan_error(exc, None)
        error.info = info
        raise error from None
    except ModelFileError as exc:
        exc.info = info  # with the findings read before the error
        raise
    finally:
        if zf is not None:
            zf.close()
    return info


# --- ONNX: a protobuf wire-format reader that skips payloads -------------------------------------

MAX_ONNX_STRING = 1 << 16  # longest name, type or domain read (they are identifiers, not data)
_LOW_BYTES = bytes(range(128))


def _varint(buf, pos: int, end: int) -> tuple[int, int]:
    result = shift = 0
    start = pos
    while True:
        if pos >= end:
            raise ModelFileError("truncated protobuf varint", "protobuf 变长整数被截断", offset=start)
        b = buf[pos]
        pos += 1
        result |= (b & 0x7F) << shift
        if not b & 0x80:
            return result, pos
        shift += 7
        if shift > 70:
            raise ModelFileError("malformed protobuf varint", "protobuf 变长整数格式错误", offset=start)


def _fields(buf, start: int, end: int, budget: picklescan.Budget):
    """Yield (field number, wire type, value, offset) of one message; length-delimited values are
    (offset, end) pairs into ``buf``, never copies. Each field is charged to ``budget``."""
    pos = start
    used = budget.used
    limit = budget.max_fields
    while pos < end:
        at = pos
        n = used.get("fields", 0) + 1
        used["fields"] = n
        if n > limit:
            raise ModelFileError(*_limit_text(budget, "fields"), offset=at)
        if not n & 0xFFFF:
            budget.check_time(at)
        key, pos = _varint(buf, pos, end)
        number, wire = key >> 3, key & 7
        if wire == 0:
            value, pos = _varint(buf, pos, end)
        elif wire == 1:
            value, pos = pos, pos + 8
        elif wire == 2:
            length, pos = _varint(buf, pos, end)
            value = (pos, pos + length)
            pos += length
        elif wire == 5:
            value, pos = pos, pos + 4
        else:
            raise ModelFileError(f"unsupported protobuf wire type {wire}", f"不支持的 protobuf 编码类型 {wire}", offset=at)
        if pos > end:
            raise ModelFileError("protobuf field runs past the end of its message", "protobuf 字段超出其所在消息的末尾",
                                 offset=at)
        yield number, wire, value, at


def _limit_text(budget: picklescan.Budget, kind: str) -> tuple[str, str]:
    exc = budget.exceeded(kind)
    return exc.en, exc.zh


def _str(buf, span) -> str:
    if span[1] - span[0] > MAX_ONNX_STRING:
        raise ModelFileError(f"a name of {span[1] - span[0]:,} bytes is longer than {MAX_ONNX_STRING:,} bytes",
                             f"名称长 {span[1] - span[0]:,} 字节，超过 {MAX_ONNX_STRING:,} 字节", offset=span[0])
    return bytes(buf[span[0]:span[1]]).decode("utf-8", errors="replace")


def _packed_or_single(buf, wire, value) -> list[int]:
    if wire == 0:
        return [value]
    if wire != 2:
        return []
    out, pos = [], value[0]
    while pos < value[1]:
        v, pos = _varint(buf, pos, value[1])
        out.append(v)
    return out


def _signed64(v: int) -> int:
    v &= (1 << 64) - 1
    return v - (1 << 64) if v >= 1 << 63 else v


def _onnx_value_info(buf, span, budget) -> Node:
    name, dtype, shape = "", None, None
    for num, wire, val, _ in _fields(buf, *span, budget):
        if num == 1 and wire == 2:
            name = _str(buf, val)
        elif num == 2 and wire == 2:  # TypeProto
            for tnum, twire, tval, _ in _fields(buf, *val, budget):
                if tnum == 1 and twire == 2:  # tensor_type
                    for fnum, fwire, fval, _ in _fields(buf, *tval, budget):
                        if fnum == 1 and fwire == 0:
                            dtype = ONNX_DTYPES.get(fval, f"onnx-type-{fval}")
                        elif fnum == 2 and fwire == 2:
                            shape = []
                            for dnum, dwire, dval, _ in _fields(buf, *fval, budget):
                                if dnum != 1 or dwire != 2:
                                    continue
                                dim = None
                                for xnum, xwire, xval, _ in _fields(buf, *dval, budget):
                                    if xnum == 1 and xwire == 0:
                                        dim = _signed64(xval)
                                    elif xnum == 2 and xwire == 2:
                                        dim = _str(buf, xval)
                                shape.append(dim)
    return Node(name, shape, dtype)


# Bits per element of each TensorProto.DataType with a fixed size (strings have none).
_ONNX_BITS = {1: 32, 2: 8, 3: 8, 4: 16, 5: 16, 6: 32, 7: 64, 9: 8, 10: 16, 11: 64, 12: 32, 13: 64, 14: 64,
              15: 128, 16: 16, 17: 8, 18: 8, 19: 8, 20: 8, 21: 4, 22: 4}
# Which typed value field of TensorProto holds each data type, and how many values make one element:
# float_data (4), int32_data (5), int64_data (7), double_data (10), uint64_data (11).
_ONNX_VALUE_FIELD = {1: (4, 1), 14: (4, 2), 2: (5, 1), 3: (5, 1), 4: (5, 1), 5: (5, 1), 6: (5, 1), 9: (5, 1),
                     10: (5, 1), 16: (5, 1), 17: (5, 1), 18: (5, 1), 19: (5, 1), 20: (5, 1), 7: (7, 1),
                     11: (10, 1), 15: (10, 2), 12: (11, 1), 13: (11, 1)}
_FIXED_WIDTH = {4: 4, 10: 8}  # packed float_data and double_data; the others are varints


def _count_values(buf, number: int, wire: int, value) -> int:
    """How many values one occurrence of a repeated numeric field holds (packed or not)."""
    if wire != 2:
        return 1
    start, end = value
    width = _FIXED_WIDTH.get(number)
    if width:
        return (end - start) // width
    count = 0  # varints: one value ends at each byte below 0x80
    for a in range(start, end, 1 << 24):
        chunk = bytes(buf[a:min(a + (1 << 24), end)])
        count += len(chunk) - len(chunk.translate(None, _LOW_BYTES))
    return count


def _onnx_tensor(buf, span, budget, externals: list, initializer: bool = True) -> tuple[str, str, tuple]:
    """A tensor's name, dtype and dims, after checking that the data it stores in the file agrees
    with its dims. One that keeps its data in another file (``data_location: EXTERNAL``, as ONNX
    Runtime decides) is added to ``externals``, to be checked there."""
    name, code, dims = "", None, []
    raw = None
    values = {}
    external = False
    entries = {}
    for num, wire, val, at in _fields(buf, *span, budget):
        if num == 1:
            dims.extend(_signed64(v) for v in _packed_or_single(buf, wire, val))
        elif num == 2 and wire == 0:
            code = val
        elif num == 8 and wire == 2:
            name = _str(buf, val)
        elif num == 9 and wire == 2:
            raw = (raw or 0) + val[1] - val[0]
        elif num in (4, 5, 7, 10, 11):
            values[num] = values.get(num, 0) + _count_values(buf, num, wire, val)
        elif num == 13 and wire == 2:  # StringStringEntryProto: location, offset, length, checksum
            key = value = ""
            for enum_, ewire, eval_, _ in _fields(buf, *val, budget):
                if enum_ == 1 and ewire == 2:
                    key = _str(buf, eval_)
                elif enum_ == 2 and ewire == 2:
                    value = _str(buf, eval_)
            entries[key] = value  # the last entry of a key counts
        elif num == 14 and wire == 0:
            external = val == 1
    dtype = ONNX_DTYPES.get(code, f"onnx-type-{code}") if code is not None else "unknown"
    if any(d < 0 for d in dims):
        raise ModelFileError(f"initializer {name!r} has a negative dimension {dims}",
                             f"初始化器 {name!r} 的维度 {dims} 中有负数", offset=span[0])
    numel = _numel(dims, f"initializer {name!r}", f"初始化器 {name!r}", span[0])
    if external:
        externals.append(ExternalData(name, entries.get("location"), entries.get("offset"), entries.get("length"),
                                      _ONNX_BITS.get(code), numel, span[0], initializer))
        return name, dtype, tuple(dims)
    if code not in _ONNX_BITS:
        return name, dtype, tuple(dims)
    if raw is not None:
        need = (numel * _ONNX_BITS[code] + 7) // 8
        if raw != need:
            raise ModelFileError(f"initializer {name!r} ({dtype}, dims {dims}) needs {need:,} bytes of raw_data, "
                                 f"the file holds {raw:,}",
                                 f"初始化器 {name!r}（{dtype}，维度 {dims}）需要 {need:,} 字节的 raw_data，"
                                 f"文件中为 {raw:,} 字节", offset=span[0])
    elif code in _ONNX_VALUE_FIELD and code not in (21, 22):
        number, per = _ONNX_VALUE_FIELD[code]
        held = values.get(number, 0)
        if held != numel * per:
            raise ModelFileError(f"initializer {name!r} ({dtype}, dims {dims}) has {numel:,} elements, "
                                 f"the file stores {held // per if per else held:,}",
                                 f"初始化器 {name!r}（{dtype}，维度 {dims}）应有 {numel:,} 个元素，"
                                 f"文件中存储了 {held // per if per else held:,} 个", offset=span[0])
    return name, dtype, tuple(dims)


def _sparse_tensor(buf, span, budget, externals: list) -> None:
    """The values and indices of a SparseTensorProto, for the external data they may name."""
    for num, wire, val, _ in _fields(buf, *span, budget):
        if num in (1, 2) and wire == 2:
            _onnx_tensor(buf, val, budget, externals, initializer=False)


def _onnx_graphs(buf, span, info: ModelInfo, tensors: list, budget: picklescan.Budget) -> None:
    """The top graph and, level by level, every sub-graph (If, Loop, Scan bodies) below it."""
    pending = deque([(span, 1)])
    custom = set(info.custom_operators)
    while pending:
        graph, level = pending.popleft()
        top = level == 1
        inputs, outputs, initializer_names = [], [], set()
        for num, wire, val, at in _fields(buf, *graph, budget):
            if wire != 2:
                continue
            if num == 1:  # NodeProto
                op_type, domain = "", ""
                for nnum, nwire, nval, nat in _fields(buf, *val, budget):
                    if nnum == 4 and nwire == 2:
                        op_type = _str(buf, nval)
                    elif nnum == 7 and nwire == 2:
                        domain = _str(buf, nval)
                    elif nnum == 5 and nwire == 2:  # AttributeProto: sub-graphs of If, Loop, Scan
                        for anum, awire, aval, aat in _fields(buf, *nval, budget):
                            if anum in (6, 11) and awire == 2:
                                if level + 1 > budget.max_depth:
                                    raise ModelFileError(*_limit_text(budget, "depth"), offset=aat)
                                pending.append((aval, level + 1))
                            elif anum in (5, 10) and awire == 2:  # a tensor value (Constant): not a parameter
                                _onnx_tensor(buf, aval, budget, info.external_data, initializer=False)
                            elif anum in (22, 23) and awire == 2:
                                _sparse_tensor(buf, aval, budget, info.external_data)
                key = op_type if domain in ("", "ai.onnx") else f"{domain}::{op_type}"
                info.operator_counts[key] = info.operator_counts.get(key, 0) + 1
                if domain not in STANDARD_DOMAINS and key not in custom:
                    custom.add(key)
                    info.custom_operators.append(key)
            elif num == 5:  # initializer
                t = _onnx_tensor(buf, val, budget, info.external_data)
                initializer_names.add(t[0])
                tensors.append(t)
            elif num == 15:  # sparse initializer (not counted as parameters)
                _sparse_tensor(buf, val, budget, info.external_data)
            elif num == 11 and top:
                inputs.append(_onnx_value_info(buf, val, budget))
            elif num == 12 and top:
                outputs.append(_onnx_value_info(buf, val, budget))
        if top:
            # Before IR version 4, initializers were also listed as graph inputs.
            info.inputs = [n for n in inputs if n.name not in initializer_names]
            info.outputs = outputs


def _onnx_function(buf, span, info: ModelInfo, budget: picklescan.Budget) -> None:
    """The tensors of a model-local function (ModelProto.functions): those in its nodes' attributes
    and its default attributes, and in the sub-graphs below them. ONNX Runtime loads them with the
    model, so their external data is checked like any other; they are not parameters of the model,
    and the operators of a function body are not counted (the node that calls the function is)."""
    pending = deque([(span, "function", 1)])
    while pending:
        span, kind, level = pending.popleft()
        for num, wire, val, _ in _fields(buf, *span, budget):
            if wire != 2:
                continue
            if (kind, num) in (("function", 7), ("graph", 1)):  # NodeProto: its attributes
                attributes = [nval for nnum, nwire, nval, _ in _fields(buf, *val, budget) if nnum == 5 and nwire == 2]
            elif (kind, num) == ("function", 11):  # a default AttributeProto
                attributes = [val]
            elif (kind, num) == ("graph", 5):  # a sub-graph's initializer
                _onnx_tensor(buf, val, budget, info.external_data, initializer=False)
                continue
            elif (kind, num) == ("graph", 15):
                _sparse_tensor(buf, val, budget, info.external_data)
                continue
            else:
                continue
            for attribute in attributes:
                for anum, awire, aval, aat in _fields(buf, *attribute, budget):
                    if anum in (6, 11) and awire == 2:
                        if level + 1 > budget.max_depth:
                            raise ModelFileError(*_limit_text(budget, "depth"), offset=aat)
                        pending.append((aval, "graph", level + 1))
                    elif anum in (5, 10) and awire == 2:
                        _onnx_tensor(buf, aval, budget, info.external_data, initializer=False)
                    elif anum in (22, 23) and awire == 2:
                        _sparse_tensor(buf, aval, budget, info.external_data)


def _inspect_onnx(path: Path, info: ModelInfo, budget: picklescan.Budget) -> None:
    info.framework = "ONNX"
    if info.size_bytes == 0:
        raise ModelFileError("empty file", "文件为空")
    tensors: list = []
    producer = producer_version = None
    graph_seen = False
    with open(path, "rb") as fh, mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ) as mm:
        buf = memoryview(mm)
        try:
            for num, wire, val, _ in _fields(buf, 0, len(buf), budget):
                if num == 1 and wire == 0:
                    info.ir_version = val
                elif num == 2 and wire == 2:
                    producer = _str(buf, val)
                elif num == 3 and wire == 2:
                    producer_version = _str(buf, val)
                elif num == 7 and wire == 2:
                    graph_seen = True
                    _onnx_graphs(buf, val, info, tensors, budget)
                elif num == 25 and wire == 2:  # FunctionProto
                    _onnx_function(buf, val, info, budget)
                elif num == 8 and wire == 2:
                    domain, version = "", None
                    for onum, owire, oval, _ in _fields(buf, *val, budget):
                        if onum == 1 and owire == 2:
                            domain = _str(buf, oval)
                        elif onum == 2 and owire == 0:
                            version = oval
                    info.opsets[domain or "ai.onnx"] = version
        finally:
            buf.release()
    if not graph_seen or info.ir_version is None:
        raise ModelFileError("not an ONNX model: no ir_version or graph", "不是 ONNX 模型：缺少 ir_version 或 graph")
    if producer:
        info.notes.append(f"produced by {producer} {producer_version or ''}".strip())
    info.opset_version = info.opsets.get("ai.onnx")
    info.framework_version = f"IR version {info.ir_version}"
    _summarise_tensors(info, tensors)
    if info.external_data:
        check_external_data(path.parent, info.external_data, budget)
        _leave_out_unchecked(info)


def onnx_external_data(path: str | os.PathLike) -> list[ExternalData]:
    """Every tensor of the ONNX file ``path`` that keeps its data in another file, each checked by
    :func:`check_external_data` (``problem`` set where it is refused). The file is read as
    :func:`inspect_file` reads it, within the default budget (no SHA-256); raises
    :class:`ModelFileError` or :class:`OSError` as it does."""
    p = Path(path)
    info = ModelInfo(path=str(p), format="onnx", container="onnx", size_bytes=p.stat().st_size, sha256="")
    budget = picklescan.Budget()
    budget.start()
    try:
        _inspect_onnx(p, info, budget)
    except picklescan.LimitExceeded as exc:
        raise _scan_error(exc, None) from None
    return info.external_data


def _external_file(folder: Path, location: str | None, known: dict):
    """((device, inode), size) of an external data file, or the (en, zh) reason it is refused.

    The file must lie in ``folder`` by the same containment rule as evidence files
    (:func:`..spec.evidence.open_evidence`: relative, its real path inside the folder, a regular file), and
    no part of ``location`` may be ".." (whether or not it stays inside)."""
    from ..spec import evidence

    if location in known:
        return known[location]
    shown = repr(_printable_name(location or ""))
    if not location:
        found = ("names no data file (no location entry)", "未指明数据文件（缺少 location 条目）")
    elif location.startswith(("/", "\\")) or (len(location) > 1 and location[1] == ":") or os.path.isabs(location):
        found = (f"names the data file {shown} by an absolute path; external data must lie in the model's folder",
                 f"以绝对路径指明数据文件 {shown}；外部数据应位于模型所在文件夹内")
    elif ".." in re.split(r"[/\\]", location):
        found = (f"names the data file {shown} through '..'; external data must lie in the model's folder",
                 f"经由“..”指明数据文件 {shown}；外部数据应位于模型所在文件夹内")
    else:
        try:
            fd = evidence.open_evidence(folder, location)
        except evidence.EvidenceError as exc:
            reason = (exc.reason, exc.reason_zh)
            if exc.outside:  # the rule's message is worded for a card's evidence
                reason = ("leaves the model's folder", "超出了模型所在文件夹")
            found = (f"has the data file {shown}, which {reason[0]}", f"的数据文件 {shown} {reason[1]}")
        else:
            try:
                st = os.fstat(fd)
            finally:
                os.close(fd)
            found = ((st.st_dev, st.st_ino), st.st_size)
    known[location] = found
    return found


_BYTE_COUNT = re.compile(r"[0-9]{1,19}")


def _external_problem(folder: Path, ref: ExternalData, known: dict, ranges: dict) -> tuple[str, str] | None:
    """Why ``ref``'s data is not checked (en, zh), or None when its file holds it: inside
    ``folder``, ``length`` (if given) equal to dtype x dims, the bytes within the file."""
    found = _external_file(folder, ref.location, known)
    if isinstance(found[1], str):
        return found
    key, size = found
    shown = repr(_printable_name(ref.location))
    for label, text in (("offset", ref.offset), ("length", ref.length)):
        if text is not None and not _BYTE_COUNT.fullmatch(text):
            return (f"has the {label} {_printable_name(text)!r} in {shown}, which is not a byte count",
                    f"在 {shown} 中的 {label} 为 {_printable_name(text)!r}，不是字节数")
    if ref.bits is None:
        return (f"has a data type of no fixed size, so its data in {shown} cannot be checked",
                f"的数据类型没有固定长度，无法核对其在 {shown} 中的数据")
    need = (ref.numel * ref.bits + 7) // 8
    offset = int(ref.offset or 0)
    if ref.length is not None and int(ref.length) != need:
        return (f"declares {int(ref.length):,} bytes of data in {shown}, its dtype and dims need {need:,}",
                f"声明其在 {shown} 中的数据为 {int(ref.length):,} 字节，按数据类型和维度应为 {need:,} 字节")
    if offset + need > size:
        return (f"needs {need:,} bytes from byte {offset:,} of {shown}, which has {size:,} bytes",
                f"需要 {shown} 中自字节偏移 {offset:,} 起的 {need:,} 字节，但该文件只有 {size:,} 字节")
    if need:
        ranges.setdefault(key, []).append((offset, offset + need, ref))
    return None


def check_external_data(folder: Path, refs: list[ExternalData], budget: picklescan.Budget) -> None:
    """Set each reference's ``problem`` where its data is not shown to be in its file: see
    :func:`_external_problem`; and no two tensors may share bytes of one file (so that one block
    of data cannot be counted as the parameters of many)."""
    known: dict = {}
    ranges: dict = {}
    for ref in refs:
        budget.check_time(ref.at)
        ref.problem = _external_problem(folder, ref, known, ranges)
    for spans in ranges.values():
        spans.sort(key=lambda s: (s[0], s[1]))
        reach, owner = 0, None
        for start, end, ref in spans:
            if start < reach:
                ref.problem = (f"has data (bytes {start:,} to {end - 1:,} of {_printable_name(ref.location)!r}) "
                               f"that overlaps that of {_printable_name(owner.name)!r}",
                               f"的数据（{_printable_name(ref.location)!r} 中字节偏移 {start:,} 至 {end - 1:,}）"
                               f"与 {_printable_name(owner.name)!r} 的数据重叠")
            if end > reach:
                reach, owner = end, ref


def external_problem(ref: ExternalData) -> tuple[str, str]:
    """The located sentence (en, zh) of a reference's problem."""
    kind = ("initializer", "初始化器") if ref.initializer else ("tensor", "张量")
    name = repr(_printable_name(ref.name))
    return (f"{kind[0]} {name} (byte {ref.at} of the model file) {ref.problem[0]}",
            f"{kind[1]} {name}（模型文件字节偏移 {ref.at}）{ref.problem[1]}")


def _leave_out_unchecked(info: ModelInfo) -> None:
    """A parameter count that rests on external data not checked is not reported, and a note says
    which initializers it rests on."""
    unchecked = [e for e in info.external_data if e.initializer and e.problem]
    if not unchecked:
        return
    info.total_parameters = None
    info.parameters_by_dtype = {}
    named = "; ".join(external_problem(e)[0] for e in unchecked[:3])
    more = f"; and {len(unchecked) - 3:,} more" if len(unchecked) > 3 else ""
    info.notes.append(f"{len(unchecked):,} initializer(s) keep their data in external files that could not be "
                      f"checked, so no parameter count is reported: {named}{more}")


# --- safetensors -------------------------------------------------------------------------------

# Bits per element of each safetensors dtype (the format's own table, sub-byte types included).
SAFETENSORS_BITS = {"F64": 64, "F32": 32, "F16": 16, "BF16": 16, "I64": 64, "I32": 32, "I16": 16, "I8": 8,
                    "U8": 8, "U16": 16, "U32": 32, "U64": 64, "BOOL": 8, "F8_E4M3": 8, "F8_E5M2": 8,
                    "F8_E8M0": 8, "F6_E2M3": 6, "F6_E3M2": 6, "F4": 4, "C64": 64}


def _unique_keys(pairs: list) -> dict:
    out: dict = {}
    for key, value in pairs:
        if key in out:
            raise ModelFileError(f"safetensors header names {key!r} twice", f"safetensors 头部两次出现 {key!r}")
        out[key] = value
    return out


def _is_count(v) -> bool:
    return type(v) is int and v >= 0


def _inspect_safetensors(path: Path, info: ModelInfo, budget: picklescan.Budget) -> None:
    """The JSON header, checked as the safetensors library checks it: every entry has a known dtype,
    a shape and data offsets whose span is exactly dtype x shape bytes, and the spans tile the data
    section without gaps or overlaps."""
    info.framework = "safetensors"
    with open(path, "rb") as fh:
        (n,) = struct.unpack("<Q", fh.read(8))
        if n > budget.max_json_bytes:
            raise ModelFileError(*_limit_text(budget, "json_bytes"), offset=0)
        raw = fh.read(n)
    if len(raw) != n:
        raise ModelFileError("safetensors header is truncated", "safetensors 头部被截断", offset=8)
    try:
        header = json.loads(raw, object_pairs_hook=_unique_keys)
    except RecursionError:
        raise ModelFileError("safetensors header is nested too deeply", "safetensors 头部嵌套过深", offset=8) from None
    except (ValueError, UnicodeDecodeError) as exc:
        raise ModelFileError(f"safetensors header is not JSON: {exc}", f"safetensors 头部不是 JSON：{exc}", offset=8) from None
    if not isinstance(header, dict):
        raise ModelFileError("safetensors header is not a JSON object", "safetensors 头部不是 JSON 对象", offset=8)
    data_size = info.size_bytes - 8 - n
    metadata = header.get("__metadata__", {})
    if not isinstance(metadata, dict) or not all(isinstance(v, str) for v in metadata.values()):
        raise ModelFileError("safetensors __metadata__ is not a map of strings", "safetensors 的 __metadata__ 不是字符串映射",
                             offset=8)
    entries, spans = [], []
    for name, meta in sorted(header.items()):
        if name == "__metadata__":
            continue
        label = _printable_name(name)
        if not isinstance(meta, dict) or not isinstance(meta.get("shape"), list):
            raise ModelFileError(f"safetensors entry {label!r} has no shape", f"safetensors 条目 {label!r} 没有形状", offset=8)
        shape, dtype, offsets = meta["shape"], meta.get("dtype"), meta.get("data_offsets")
        if not all(_is_count(d) for d in shape):
            raise ModelFileError(f"safetensors entry {label!r} has an invalid shape", f"safetensors 条目 {label!r} 的形状无效",
                                 offset=8)
        if not isinstance(dtype, str) or dtype not in SAFETENSORS_BITS:
            raise ModelFileError(f"safetensors entry {label!r} has an unknown dtype", f"safetensors 条目 {label!r} 的数据类型未知",
                                 offset=8)
        if not (isinstance(offsets, list) and len(offsets) == 2 and all(_is_count(o) for o in offsets)
                and offsets[0] <= offsets[1] <= data_size):
            raise ModelFileError(f"safetensors entry {label!r} points outside the file",
                                 f"safetensors 条目 {label!r} 指向文件之外", offset=8)
        numel = _numel(shape, f"safetensors entry {label!r}", f"safetensors 条目 {label!r}", 8)
        bits = numel * SAFETENSORS_BITS[dtype]
        if bits % 8 or bits // 8 != offsets[1] - offsets[0]:
            raise ModelFileError(f"safetensors entry {label!r} ({dtype}, shape {shape}) needs {bits / 8:,.0f} bytes, "
                                 f"its data_offsets span {offsets[1] - offsets[0]:,}",
                                 f"safetensors 条目 {label!r}（{dtype}，形状 {shape}）需要 {bits / 8:,.0f} 字节，"
                                 f"其 data_offsets 跨度为 {offsets[1] - offsets[0]:,} 字节", offset=8)
        spans.append((offsets[0], offsets[1], label))
        entries.append((name, SAFETENSORS_DTYPES.get(dtype, dtype), tuple(shape)))
    end = 0
    for begin, stop, label in sorted(spans):
        if begin != end:
            what, what_zh = ("overlaps the tensor before it", "与前一个张量重叠") if begin < end else (
                "leaves a gap after the tensor before it", "与前一个张量之间有空隙")
            raise ModelFileError(f"safetensors entry {label!r} (bytes {begin:,}-{stop:,} of the data) {what}",
                                 f"safetensors 条目 {label!r}（数据区字节偏移 {begin:,}-{stop:,}）{what_zh}", offset=8 + n + begin)
        end = stop
    if end != data_size:
        raise ModelFileError(f"the tensors cover {end:,} of the {data_size:,} data bytes",
                             f"张量只覆盖了数据区 {data_size:,} 字节中的 {end:,} 字节", offset=8 + n + end)
    _summarise_tensors(info, entries)


def _printable_name(name: str) -> str:
    text = picklescan._printable(name)
    return text if len(text) <= 200 else text[:200] + "…"


# --- PyTorch -----------------------------------------------------------------------------------

SNIFF_BYTES = 256  # the head of each zip member read to tell whether it is a pickle by content


def _check_method(item: zipfile.ZipInfo) -> None:
    if item.compress_type not in ZIP_METHODS:
        method = ZIP_METHOD_NAMES.get(item.compress_type, "unknown")
        raise ModelFileError(f"compression method {item.compress_type} ({method}) is not supported; "
                             "PyTorch writes stored or deflated members only",
                             f"不支持压缩方法 {item.compress_type}（{method}）；PyTorch 只写入未压缩或以 deflate 压缩的成员",
                             member=item.filename)


def _member_head(zf: zipfile.ZipFile, item: zipfile.ZipInfo, budget: picklescan.Budget, n: int) -> bytes:
    _check_method(item)
    try:
        with zf.open(item) as fh:
            head = fh.read(n)
    except ZIP_ERRORS as exc:
        raise _zip_error(exc, item.filename) from None
    budget.spend("bytes", len(head))
    return head


def _scan_member(zf: zipfile.ZipFile, item: zipfile.ZipInfo, result: picklescan.ScanResult,
                 budget: picklescan.Budget) -> None:
    """Scan the pickle at the start of one member, then read the member to its end so that zipfile
    checks its CRC (PyTorch's reader checks it too)."""
    _check_method(item)
    try:
        fh = zf.open(item)
    except ZIP_ERRORS as exc:
        raise _zip_error(exc, item.filename) from None
    with fh:
        reader = picklescan.Reader(fh, budget, size=item.file_size, errors=ZIP_ERRORS)
        picklescan.scan_stream(reader, result, item.filename, budget)
        reader.drain()


def _inspect_torch_zip(zf: zipfile.ZipFile, info: ModelInfo, budget: picklescan.Budget) -> None:
    """Every member PyTorch could load as a pickle is scanned: PyTorch finds a record such as
    ``data.pkl`` under the folder of the archive's first entry, comparing names case-insensitively
    (miniz), so every member whose name ends in ``.pkl`` in any case is scanned, and so is every
    other member that is a pickle by its content."""
    info.framework = "PyTorch"
    info.pickle_based = True
    items = zf.infolist()
    first = items[0].filename if items else ""
    prefix = first.split("/", 1)[0].lower() if "/" in first else ""
    result = picklescan.ScanResult()
    info.globals, info.findings = result.globals, result.findings  # so far, if an error follows
    data_root = fallback_root = None
    for item in sorted(items, key=lambda i: i.filename):
        if item.filename.endswith("/"):  # a folder (ZipInfo.is_dir fails on an empty name)
            continue
        lower = item.filename.lower()
        named = lower.endswith(".pkl")
        if not named and not picklescan.sniff(_member_head(zf, item, budget, SNIFF_BYTES), budget):
            continue
        member = picklescan.ScanResult()
        try:
            _scan_member(zf, item, member, budget)
        except picklescan.PickleError as exc:
            if named:
                result.merge(member)  # torch.load imports these before the error stops it
                raise _scan_error(exc, item.filename) from None
            continue  # it only looked like a pickle (source code starting "class", a storage's bytes)
        except picklescan.LimitExceeded as exc:
            result.merge(member)
            raise _scan_error(exc, item.filename) from None
        result.merge(member)
        if lower == f"{prefix}/data.pkl" and data_root is None:
            data_root = result.roots[-1]
        elif lower.rsplit("/", 1)[-1] == "data.pkl" and fallback_root is None:
            fallback_root = result.roots[-1]
    _read_archive_version(zf, items, prefix, info, budget)
    root = data_root if data_root is not None else fallback_root
    if root is None:
        return
    refs = picklescan.tensors(root, budget=budget)
    if info.container == "pytorch-zip":
        sizes: dict = {}
        for item in items:
            sizes.setdefault(item.filename.lower(), []).append(item.file_size)
        for ref in refs:
            key = ref.storage_key
            if key is None or ref.storage_numel is None or ref.storage_itemsize is None:
                continue
            record = f"{prefix}/data/{key}".lower()
            if record not in sizes:
                raise ModelFileError(f"tensor {_printable_name(ref.name)!r} refers to storage data/{key}, "
                                     "which the archive does not contain",
                                     f"张量 {_printable_name(ref.name)!r} 引用的存储 data/{key} 不在归档中",
                                     member=f"{prefix}/data.pkl")
            _check_storage(ref, sizes[record], f"{prefix}/data/{key}")
    _summarise_tensors(info, [(r.name, r.dtype, r.shape) for r in refs])


def _check_storage(ref: picklescan.TensorRef, held: list, record: str, offset: int | None = None) -> None:
    """A storage record holds numel x itemsize bytes, and the tensor lies inside its storage (both
    are what PyTorch checks when it loads the tensor)."""
    need = ref.storage_numel * ref.storage_itemsize
    for size in held:
        if size != need:
            raise ModelFileError(f"storage of tensor {_printable_name(ref.name)!r} holds {size:,} bytes, "
                                 f"its persistent id declares {ref.storage_numel:,} x {ref.storage_itemsize} = {need:,}",
                                 f"张量 {_printable_name(ref.name)!r} 的存储为 {size:,} 字节，"
                                 f"其持久化标识声明为 {ref.storage_numel:,} × {ref.storage_itemsize} = {need:,} 字节",
                                 member=record, offset=offset)
    itemsize = picklescan.ITEMSIZE.get(ref.dtype)
    if itemsize is None:
        return
    _numel(ref.shape, f"tensor {_printable_name(ref.name)!r}", f"张量 {_printable_name(ref.name)!r}")
    if ref.offset > INT64_MAX or any(s > INT64_MAX for s in ref.stride or ()):
        raise ModelFileError(f"tensor {_printable_name(ref.name)!r} has an offset or stride beyond 2^63-1",
                             f"张量 {_printable_name(ref.name)!r} 的偏移或步长超过 2^63-1", member=record, offset=offset)
    reach = ref.extent() * itemsize
    if reach > need:
        raise ModelFileError(f"tensor {_printable_name(ref.name)!r} (shape {list(ref.shape)}, offset {ref.offset:,}) "
                             f"reaches {reach:,} bytes into a storage of {need:,} bytes",
                             f"张量 {_printable_name(ref.name)!r}（形状 {list(ref.shape)}，偏移 {ref.offset:,}）"
                             f"需要 {reach:,} 字节，而其存储只有 {need:,} 字节", member=record, offset=offset)


def _read_archive_version(zf, items, prefix: str, info: ModelInfo, budget: picklescan.Budget) -> None:
    """The archive format version: a small decimal number (never more than 64 bytes are read)."""
    wanted = (f"{prefix}/.data/version", f"{prefix}/version")
    found = [i for i in items if i.filename.lower() in wanted]
    found.sort(key=lambda i: wanted.index(i.filename.lower()))
    if not found:
        return
    head = _member_head(zf, found[0], budget, 65)
    match = re.fullmatch(rb"\s*(\d{1,18})\s*", head)
    if match and found[0].file_size <= 64:
        info.framework_version = f"archive format {int(match.group(1))}"
    else:
        info.notes.append(f"{found[0].filename} ({found[0].file_size:,} bytes) is not a version number; not read")


def _inspect_torch_legacy(path: Path, info: ModelInfo, budget: picklescan.Budget) -> None:
    """Five pickles (magic number, protocol, system info, the object, the storage keys), then each
    storage as an int64 element count and its bytes."""
    info.framework = "PyTorch"
    info.framework_version = "legacy (pre-1.6) serialisation"
    info.pickle_based = True
    result = picklescan.ScanResult()
    info.globals, info.findings = result.globals, result.findings  # so far, if an error follows
    with open(path, "rb") as fh:
        reader = picklescan.Reader(fh, budget, size=info.size_bytes, seekable=True)
        for label in ("magic", "protocol", "sys_info", "data", "storage_keys"):
            try:
                picklescan.scan_stream(reader, result, label, budget)
            except (picklescan.PickleError, picklescan.LimitExceeded) as exc:
                raise _scan_error(exc, label) from None
        refs = picklescan.tensors(result.roots[3], budget=budget)
        _check_legacy_storages(fh, reader.offset, info.size_bytes, refs, result.roots[4])
    _summarise_tensors(info, [(r.name, r.dtype, r.shape) for r in refs])


TAR_ERRORS = (tarfile.TarError, OSError, EOFError, ValueError, UnicodeError)
TAR_RECORDS = ("storages", "tensors", "pickle")  # in the order torch.load reads them
MAX_TAR_READ = 2 << 20  # the largest single read tarfile may make (an extended header is read whole)


class _BoundedReads:
    """A file whose ``read`` refuses to return more than ``limit`` bytes at once. tarfile reads a
    member's extended header (pax, GNU long name) whole, so a header claiming a gigabyte is an
    error here rather than a gigabyte of memory; member data is read in small blocks."""

    def __init__(self, fh, limit: int):
        self.fh, self.limit = fh, limit

    def read(self, n: int = -1) -> bytes:
        if n is None or n < 0 or n > self.limit:
            raise ModelFileError(f"a tar header block larger than {self.limit:,} bytes", f"tar 头部块超过 {self.limit:,} 字节",
                                 offset=self.fh.tell())
        return self.fh.read(n)

    def seek(self, *args) -> int:
        return self.fh.seek(*args)

    def tell(self) -> int:
        return self.fh.tell()


def _inspect_torch_tar(path: Path, info: ModelInfo, budget: picklescan.Budget) -> None:
    """PyTorch's oldest format, a tar archive. ``torch.load`` tries it first on any file that is not
    a zip: it unpickles the member ``storages`` (a count; per storage a pickle, an int64 element
    count and the bytes; a pickle of views), then ``tensors`` (a count; per tensor a pickle, then
    its rank and sizes), then ``pickle`` (the object), each the last member of that exact name.
    Members are read in place, never extracted, within the file's budget; their tensors are not
    counted. A file whose first bytes are also a pickle is scanned as one too (``pickle.load``
    reads it)."""
    info.framework = "PyTorch"
    info.framework_version = "legacy (tar) serialisation"
    info.pickle_based = True
    result = picklescan.ScanResult()
    info.globals, info.findings = result.globals, result.findings  # so far, if an error follows
    error = None
    with open(path, "rb") as fh:
        head = fh.read(SNIFF_BYTES)
        fh.seek(0)  # tarfile starts where the file is
        try:
            with tarfile.open(fileobj=_BoundedReads(fh, MAX_TAR_READ), mode="r:") as tar:
                records = _tar_records(tar, budget)
                for name in TAR_RECORDS:
                    if name not in records:
                        raise ModelFileError(f"a tar archive without the member {name!r} of a legacy PyTorch checkpoint",
                                             f"该 tar 归档缺少旧版 PyTorch 检查点的成员 {name!r}")
                    _scan_tar_record(tar, records[name], result, budget)
        except TAR_ERRORS as exc:
            error = ModelFileError(f"cannot read the tar archive: {exc}", f"无法读取 tar 归档：{exc}")
        except ModelFileError as exc:
            error = exc
    # torch.load reads a file whose tar archive fails as a pickle; pickle.load reads any file as one
    if picklescan.sniff(head, budget):
        _scan_pickles(path, info, result, budget)
    if error is not None:
        raise error
    info.notes.append("tensors of the tar format are not counted")


def _tar_records(tar: tarfile.TarFile, budget: picklescan.Budget) -> dict:
    """The members torch.load reads, by name (the last of each name, as ``TarFile.getmember``
    finds it), after reading every header within the budget's member limit."""
    found: dict = {}
    while True:
        member = tar.next()
        if member is None:
            return found
        budget.spend("members", 1, member.offset)
        if not budget.used["members"] & 0xFF:
            budget.check_time(member.offset)
        if member.name in TAR_RECORDS:
            found[member.name] = member


def _scan_tar_record(tar: tarfile.TarFile, member: tarfile.TarInfo, result: picklescan.ScanResult,
                     budget: picklescan.Budget) -> None:
    """The pickles of one member, with the binary data torch.load reads between them skipped."""
    name = member.name
    if not member.isreg():
        raise ModelFileError("the member is a link or not a regular file; it is not followed",
                             "该成员是链接或不是普通文件，不予跟随", member=name)
    fh = tar.extractfile(member)
    reader = picklescan.Reader(fh, budget, size=member.size, seekable=True, errors=TAR_ERRORS)

    def scan(label: str):
        try:
            picklescan.scan_stream(reader, result, label, budget)
        except (picklescan.PickleError, picklescan.LimitExceeded) as exc:
            raise _scan_error(exc, label) from None
        return result.roots[-1]

    def take(n: int, what: str, what_zh: str) -> bytes:
        try:
            return reader.take(n) if n <= 64 else (reader.payload(n, keep=0) or b"")
        except picklescan.PickleError:
            raise ModelFileError(f"the member ends in {what}", f"该成员在读取{what_zh}时提前结束", member=name,
                                 offset=reader.offset) from None

    if name == "pickle":
        scan(name)
        return
    count = scan(name)
    if type(count) is not int or count < 0:
        raise ModelFileError(f"the first pickle of {name!r} is not a count", f"{name!r} 的第一个 pickle 不是计数",
                             member=name)
    for i in range(1, count + 1):
        args = scan(f"{name}#{i}")
        if name == "storages":
            itemsize = _tar_storage_itemsize(args)
            if itemsize is None:
                raise ModelFileError(f"storage {i} does not name a known storage type", f"第 {i} 个存储未指明已知的存储类型",
                                     member=f"{name}#{i}")
            numel = int.from_bytes(take(8, f"the size of storage {i}", f"第 {i} 个存储的大小"), "little", signed=True)
            if numel < 0:
                raise ModelFileError(f"storage {i} has a negative size", f"第 {i} 个存储的大小为负数", member=name,
                                     offset=reader.offset - 8)
            take(numel * itemsize, f"the data of storage {i}", f"第 {i} 个存储的数据")
        else:
            ndim = int.from_bytes(take(4, f"the rank of tensor {i}", f"第 {i} 个张量的秩"), "little", signed=True)
            if ndim < 0:
                raise ModelFileError(f"tensor {i} has a negative rank", f"第 {i} 个张量的秩为负数", member=name,
                                     offset=reader.offset - 4)
            take(4 + 16 * ndim + 8, f"the sizes of tensor {i}", f"第 {i} 个张量的尺寸")
    if name == "storages":
        scan(f"{name}#views")


def _tar_storage_itemsize(args) -> int | None:
    """Bytes per element of the storage type that a storage's pickle ``(key, location, type)`` names."""
    if not picklescan.is_tuple(args) or len(args) != 3 or not isinstance(args[2], picklescan.Global):
        return None
    return picklescan.ITEMSIZE.get(picklescan.STORAGE_DTYPES.get(args[2].name, ""))


def _check_legacy_storages(fh, pos: int, size: int, refs: list, keys) -> None:
    """Walk the storages after the pickles, one seek each, as far as their element sizes are known."""
    if not isinstance(keys, list) or not all(isinstance(k, str) for k in keys):
        return
    by_key: dict = {}
    for ref in refs:
        if ref.storage_key is not None and ref.storage_itemsize is not None and ref.storage_numel is not None:
            by_key.setdefault(ref.storage_key, []).append(ref)
    for key in keys:
        tied = by_key.get(key)
        if not tied:
            return  # a storage no tensor describes: its length in bytes is unknown, so stop here
        if pos + 8 > size:
            raise ModelFileError(f"the file ends before storage {key}", f"文件在存储 {key} 之前结束", offset=pos)
        fh.seek(pos)
        numel = int.from_bytes(fh.read(8), "little", signed=True)
        declared = tied[0].storage_numel
        if numel != declared:
            raise ModelFileError(f"storage {key} holds {numel:,} elements, its tensors' persistent id declares {declared:,}",
                                 f"存储 {key} 含 {numel:,} 个元素，其张量的持久化标识声明为 {declared:,} 个", offset=pos)
        need = declared * tied[0].storage_itemsize
        if pos + 8 + need > size:
            raise ModelFileError(f"storage {key} needs {need:,} bytes, the file has {max(size - pos - 8, 0):,} left",
                                 f"存储 {key} 需要 {need:,} 字节，文件只剩 {max(size - pos - 8, 0):,} 字节", offset=pos)
        for ref in tied:
            _check_storage(ref, [need], f"storage {key}", pos)
        pos += 8 + need


def _inspect_pickle(path: Path, info: ModelInfo, budget: picklescan.Budget) -> None:
    """Every pickle in the file, one after another (``pickle.load`` called again reads the next)."""
    info.pickle_based = True
    result = picklescan.ScanResult()
    info.globals, info.findings = result.globals, result.findings  # so far, if an error follows
    _scan_pickles(path, info, result, budget)


# The opcodes that import (GLOBAL, INST, STACK_GLOBAL, EXT1, EXT2, EXT4). Without an import there is
# nothing to call: every other opcode builds plain data (str, bytes, numbers, containers), and
# calling, building or appending to plain data runs only built-in code.
IMPORT_OPCODES = b"ci\x93\x82\x83\x84"


def _scan_pickles(path: Path, info: ModelInfo, result: picklescan.ScanResult, budget: picklescan.Budget) -> None:
    """Scan the pickles of a file from its start to its end. Bytes after the last complete pickle
    are an error unless no ``pickle.load`` can run code from them, whichever byte it starts at: they
    hold no import opcode. A loader that catches the error and calls ``pickle.load`` again goes on
    from wherever the failed load stopped, so nothing less than every remaining byte is proof."""
    with open(path, "rb") as fh:
        reader = picklescan.Reader(fh, budget, size=info.size_bytes, seekable=True)
        index = 0
        while True:
            label = path.name if index == 0 else f"{path.name}#{index}"
            start = reader.offset
            try:
                picklescan.scan_stream(reader, result, label, budget)
            except picklescan.PickleError as exc:
                if index == 0 or isinstance(exc, picklescan.ReadError):
                    raise _scan_error(exc, label) from None
                _check_trailing(fh, start, info, exc, label, budget)
                return
            except picklescan.LimitExceeded as exc:
                raise _scan_error(exc, label) from None
            if not reader.fill(1):
                return
            index += 1


def _check_trailing(fh, start: int, info: ModelInfo, exc: picklescan.PickleError, label: str,
                    budget: picklescan.Budget) -> None:
    """The bytes from ``start`` to the end of the file are not a complete pickle (``exc`` says why):
    a note when none of them is an import opcode, else an error."""
    rest = info.size_bytes - start
    at, at_zh = (f", at byte {exc.offset:,}", f"，位于字节偏移 {exc.offset:,} 处") if exc.offset is not None else ("", "")
    where = _first_import_opcode(fh, start, info.size_bytes, budget)
    if where is None:
        info.notes.append(f"{rest:,} bytes after the last pickle (from byte {start:,}) are not a pickle and hold "
                          "no import opcode, so pickle.load cannot run code from them")
        return
    raise ModelFileError(f"the {rest:,} bytes after the last complete pickle (from byte {start:,}) are not a pickle "
                         f"({exc.en}{at}), yet pickle.load could run code from them: byte {where:,} "
                         "is an import opcode; the file cannot be shown safe to load",
                         f"最后一个完整 pickle 之后的 {rest:,} 字节（自字节偏移 {start:,} 起）不是 pickle"
                         f"（{exc.zh}{at_zh}），但 pickle.load 仍可能从中执行代码："
                         f"字节偏移 {where:,} 处是导入操作码；未能证明加载该文件是安全的",
                         member=label, offset=start)


def _first_import_opcode(fh, start: int, end: int, budget: picklescan.Budget) -> int | None:
    """The offset of the first import opcode byte in ``fh`` from ``start`` to ``end``, or None."""
    fh.seek(start)
    pos = start
    while pos < end:
        block = fh.read(min(SCAN_BLOCK, end - pos))
        if not block:
            return None
        hits = [i for i in map(block.find, (bytes([b]) for b in IMPORT_OPCODES)) if i >= 0]
        if hits:
            return pos + min(hits)
        pos += len(block)
        budget.check_time(pos)
    return None


# --- summary -----------------------------------------------------------------------------------

def _numel(shape, what: str, what_zh: str, offset: int | None = None) -> int:
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


def _summarise_tensors(info: ModelInfo, entries) -> None:
    total = buffers = 0
    by_dtype: dict[str, int] = {}
    for name, dtype, shape in entries:
        numel = _numel(shape, f"tensor {_printable_name(name)!r}", f"张量 {_printable_name(name)!r}")
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


# --- the card fragment -------------------------------------------------------------------------

def _node(node: Node, dtypes: set[str]) -> dict:
    out: dict = {"name": node.name}
    if node.shape is not None:
        # an axis with neither a size nor a name in the file becomes the symbol d<axis>
        out["shape"] = [d if isinstance(d, str) or (isinstance(d, int) and d > 0) else f"d{i}"
                        for i, d in enumerate(node.shape)]
    if node.dtype in dtypes:
        out["dtype"] = node.dtype
    return out


def card_fragment(info: ModelInfo, tool: str) -> dict:
    """The card fields this file determines, with a provenance entry marking each as extracted."""
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
    fragment["provenance"] = [{"pointer": p, "origin": "extracted", "source": source, "source_sha256": info.sha256}
                              for p in pointers]
    return fragment


def summary(info: ModelInfo) -> dict:
    """Everything inspect read, for ``--format json``: the fragment's facts and the pickle scan."""
    return {
        "file": Path(info.path).name, "container": info.container, "format": info.format,
        "size_bytes": info.size_bytes, "sha256": info.sha256, "framework": info.framework,
        "framework_version": info.framework_version, "opsets": info.opsets, "notes": info.notes,
        "tensor_count": info.tensor_count, "total_parameters": info.total_parameters,
        "buffer_elements": info.buffer_elements, "parameters_by_dtype": info.parameters_by_dtype,
        "precision": info.precision, "pickle_based": info.pickle_based, "globals": info.globals,
        "findings": [{"global": f.name, "classification": f.classification, "stream": f.stream,
                      "offset": f.offset, "count": f.count,
                      "locations": [{"stream": st, "offset": at} for st, at in f.locations]}
                     for f in info.findings],
        "external_data": [{"tensor": e.name, "initializer": e.initializer, "location": e.location,
                           "offset": e.offset, "length": e.length, "checked": e.problem is None,
                           **({"problem": e.problem[0], "problem_zh": e.problem[1]} if e.problem else {})}
                          for e in info.external_data],
    }
