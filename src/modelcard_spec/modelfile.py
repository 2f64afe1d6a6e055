"""Inspect a delivered model file without running it and without loading it whole into memory.

Supported formats:

* **ONNX** — read with a streaming protobuf reader over a memory map: tensor payloads are skipped,
  never copied, so a 2 GB model costs a few MB of memory. Gives IR version, producer, opsets,
  operator counts (sub-graphs included), custom-domain operators, graph inputs and outputs with
  symbolic dimensions, initializers and their dtypes.
* **safetensors** — the JSON header only.
* **PyTorch checkpoints** — zip (``torch.save`` since 1.6, TorchScript) and legacy (concatenated
  pickles). The pickles are never unpickled: :mod:`.picklescan` follows their opcodes symbolically,
  which lists the imported globals (unsafe ones are findings) and the tensors with dtype and shape.
* **plain pickle** (``.pkl``) — scanned for globals only.

The SHA-256 is computed by streaming the file in 1 MiB blocks.
"""

from __future__ import annotations

import hashlib
import json
import mmap
import os
import struct
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

from . import picklescan

HASH_BLOCK = 1 << 20
MAX_SAFETENSORS_HEADER = 100 << 20
MAX_PICKLE_BYTES = 512 << 20

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
    """The file cannot be read as the format it claims to be."""


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


def sha256_file(path: str | os.PathLike) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while True:
            block = fh.read(HASH_BLOCK)
            if not block:
                break
            digest.update(block)
    return digest.hexdigest()


def detect(path: Path) -> str:
    """The container kind, from the file's first bytes (then its suffix)."""
    with open(path, "rb") as fh:
        head = fh.read(16)
    if head[:4] == b"PK\x03\x04":
        with zipfile.ZipFile(path) as zf:
            names = zf.namelist()
        if any(n.endswith("/constants.pkl") or n == "constants.pkl" for n in names):
            return "torchscript"
        if any(n.endswith("data.pkl") for n in names):
            return "pytorch-zip"
        if "config.json" in names and any(n.endswith(".weights.h5") for n in names):
            return "keras"
        raise ModelFileError("a zip archive that is neither a PyTorch checkpoint nor a Keras model")
    if len(head) >= 8:
        (n,) = struct.unpack("<Q", head[:8])
        if 2 <= n <= MAX_SAFETENSORS_HEADER and head[8:9] == b"{":
            return "safetensors"
    if head[:1] == b"\x80" and head[1:2] and head[1] <= 5:
        # torch's legacy format starts with the pickled magic number 0x1950a86a20f9469cfc6c
        return "pytorch-legacy" if head[2:3] == b"\x8a" else "pickle"
    suffix = path.suffix.lower()
    if suffix == ".onnx" or head[:1] == b"\x08":  # ModelProto starts with field 1 (ir_version)
        return "onnx"
    if suffix in (".pkl", ".pickle"):
        return "pickle"
    raise ModelFileError("unknown model file format (supported: ONNX, safetensors, PyTorch, pickle)")


def inspect_file(path: str | os.PathLike) -> ModelInfo:
    """Inspect one model file. Raises :class:`ModelFileError` or :class:`OSError`."""
    p = Path(path)
    if not p.is_file():
        raise ModelFileError("not a regular file")
    container = detect(p)
    size = p.stat().st_size
    suffix = p.suffix.lower().lstrip(".")
    fmt = {"onnx": "onnx", "safetensors": "safetensors", "torchscript": "torchscript",
           "keras": "keras"}.get(container)
    if fmt is None:
        fmt = suffix if suffix in ("pt", "pth", "bin", "ckpt", "pkl") else ("pkl" if container == "pickle" else "pt")
    info = ModelInfo(path=str(p), format=fmt, container=container, size_bytes=size, sha256=sha256_file(p))
    if container == "onnx":
        _inspect_onnx(p, info)
    elif container == "safetensors":
        _inspect_safetensors(p, info)
    elif container in ("pytorch-zip", "torchscript"):
        _inspect_torch_zip(p, info)
    elif container == "pytorch-legacy":
        _inspect_torch_legacy(p, info)
    elif container == "pickle":
        info.pickle_based = True
        with open(p, "rb") as fh:
            _scan_pickles(fh, info, labels=[p.name])
    else:
        raise ModelFileError(f"{container} files are recognised but not yet inspected")
    return info


# --- ONNX: a protobuf wire-format reader that skips payloads -------------------------------------

def _varint(buf, pos: int, end: int) -> tuple[int, int]:
    result = shift = 0
    while True:
        if pos >= end:
            raise ModelFileError("truncated protobuf varint")
        b = buf[pos]
        pos += 1
        result |= (b & 0x7F) << shift
        if not b & 0x80:
            return result, pos
        shift += 7
        if shift > 70:
            raise ModelFileError("malformed protobuf varint")


def _fields(buf, start: int, end: int):
    """Yield (field number, wire type, value) of one message; length-delimited values are
    (offset, end) pairs into ``buf``, never copies."""
    pos = start
    while pos < end:
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
            raise ModelFileError(f"unsupported protobuf wire type {wire}")
        if pos > end:
            raise ModelFileError("protobuf field runs past the end of its message")
        yield number, wire, value


def _str(buf, span) -> str:
    return bytes(buf[span[0]:span[1]]).decode("utf-8", errors="replace")


def _packed_or_single(buf, wire, value) -> list[int]:
    if wire == 0:
        return [value]
    out, pos = [], value[0]
    while pos < value[1]:
        v, pos = _varint(buf, pos, value[1])
        out.append(v)
    return out


def _signed64(v: int) -> int:
    return v - (1 << 64) if v >= 1 << 63 else v


def _onnx_value_info(buf, span) -> Node:
    name, dtype, shape = "", None, None
    for num, wire, val in _fields(buf, *span):
        if num == 1 and wire == 2:
            name = _str(buf, val)
        elif num == 2 and wire == 2:  # TypeProto
            for tnum, twire, tval in _fields(buf, *val):
                if tnum == 1 and twire == 2:  # tensor_type
                    for fnum, fwire, fval in _fields(buf, *tval):
                        if fnum == 1 and fwire == 0:
                            dtype = ONNX_DTYPES.get(fval, f"onnx-type-{fval}")
                        elif fnum == 2 and fwire == 2:
                            shape = []
                            for dnum, dwire, dval in _fields(buf, *fval):
                                if dnum != 1 or dwire != 2:
                                    continue
                                dim = None
                                for xnum, xwire, xval in _fields(buf, *dval):
                                    if xnum == 1 and xwire == 0:
                                        dim = _signed64(xval)
                                    elif xnum == 2 and xwire == 2:
                                        dim = _str(buf, xval)
                                shape.append(dim)
    return Node(name, shape, dtype)


def _onnx_tensor(buf, span) -> tuple[str, str, int]:
    name, dtype, dims = "", None, []
    for num, wire, val in _fields(buf, *span):
        if num == 1:
            dims.extend(_signed64(v) for v in _packed_or_single(buf, wire, val))
        elif num == 2 and wire == 0:
            dtype = ONNX_DTYPES.get(val, f"onnx-type-{val}")
        elif num == 8 and wire == 2:
            name = _str(buf, val)
    numel = 1
    for d in dims:
        numel *= max(d, 0)
    return name, dtype or "unknown", numel


def _onnx_graph(buf, span, info: ModelInfo, tensors: list, top: bool) -> None:
    inputs, outputs, initializer_names = [], [], set()
    for num, wire, val in _fields(buf, *span):
        if wire != 2:
            continue
        if num == 1:  # NodeProto
            op_type, domain = "", ""
            for nnum, nwire, nval in _fields(buf, *val):
                if nnum == 4 and nwire == 2:
                    op_type = _str(buf, nval)
                elif nnum == 7 and nwire == 2:
                    domain = _str(buf, nval)
                elif nnum == 5 and nwire == 2:  # AttributeProto: sub-graphs of If, Loop, Scan
                    for anum, awire, aval in _fields(buf, *nval):
                        if anum in (6, 11) and awire == 2:
                            _onnx_graph(buf, aval, info, tensors, top=False)
            key = op_type if domain in ("", "ai.onnx") else f"{domain}::{op_type}"
            info.operator_counts[key] = info.operator_counts.get(key, 0) + 1
            if domain not in STANDARD_DOMAINS and key not in info.custom_operators:
                info.custom_operators.append(key)
        elif num == 5:  # initializer
            t = _onnx_tensor(buf, val)
            initializer_names.add(t[0])
            tensors.append(t)
        elif num == 11 and top:
            inputs.append(_onnx_value_info(buf, val))
        elif num == 12 and top:
            outputs.append(_onnx_value_info(buf, val))
    if top:
        # Before IR version 4, initializers were also listed as graph inputs.
        info.inputs = [n for n in inputs if n.name not in initializer_names]
        info.outputs = outputs


def _inspect_onnx(path: Path, info: ModelInfo) -> None:
    info.framework = "ONNX"
    if info.size_bytes == 0:
        raise ModelFileError("empty file")
    tensors: list = []
    producer = producer_version = None
    graph_seen = False
    with open(path, "rb") as fh, mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ) as mm:
        buf = memoryview(mm)
        try:
            for num, wire, val in _fields(buf, 0, len(buf)):
                if num == 1 and wire == 0:
                    info.ir_version = val
                elif num == 2 and wire == 2:
                    producer = _str(buf, val)
                elif num == 3 and wire == 2:
                    producer_version = _str(buf, val)
                elif num == 7 and wire == 2:
                    graph_seen = True
                    _onnx_graph(buf, val, info, tensors, top=True)
                elif num == 8 and wire == 2:
                    domain, version = "", None
                    for onum, owire, oval in _fields(buf, *val):
                        if onum == 1 and owire == 2:
                            domain = _str(buf, oval)
                        elif onum == 2 and owire == 0:
                            version = oval
                    info.opsets[domain or "ai.onnx"] = version
        finally:
            buf.release()
    if not graph_seen or info.ir_version is None:
        raise ModelFileError("not an ONNX model: no ir_version or graph")
    if producer:
        info.notes.append(f"produced by {producer} {producer_version or ''}".strip())
    info.opset_version = info.opsets.get("ai.onnx")
    info.framework_version = f"IR version {info.ir_version}"
    _summarise_tensors(info, [(name, dtype, (numel,)) for name, dtype, numel in tensors])


# --- safetensors -------------------------------------------------------------------------------

def _inspect_safetensors(path: Path, info: ModelInfo) -> None:
    info.framework = "safetensors"
    with open(path, "rb") as fh:
        (n,) = struct.unpack("<Q", fh.read(8))
        raw = fh.read(n)
    if len(raw) != n:
        raise ModelFileError("safetensors header is truncated")
    try:
        header = json.loads(raw)
    except (ValueError, UnicodeDecodeError) as exc:
        raise ModelFileError(f"safetensors header is not JSON: {exc}") from None
    if not isinstance(header, dict):
        raise ModelFileError("safetensors header is not a JSON object")
    data_size = info.size_bytes - 8 - n
    entries = []
    for name, meta in sorted(header.items()):
        if name == "__metadata__":
            continue
        if not isinstance(meta, dict) or not isinstance(meta.get("shape"), list):
            raise ModelFileError(f"safetensors entry {name!r} has no shape")
        shape = meta["shape"]
        if not all(isinstance(d, int) and d >= 0 for d in shape):
            raise ModelFileError(f"safetensors entry {name!r} has an invalid shape")
        offsets = meta.get("data_offsets")
        if not (isinstance(offsets, list) and len(offsets) == 2 and 0 <= offsets[0] <= offsets[1] <= data_size):
            raise ModelFileError(f"safetensors entry {name!r} points outside the file")
        entries.append((name, SAFETENSORS_DTYPES.get(meta.get("dtype"), str(meta.get("dtype"))), tuple(shape)))
    _summarise_tensors(info, entries)


# --- PyTorch -----------------------------------------------------------------------------------

def _scan_pickles(fh, info: ModelInfo, labels: list[str], count: int = 1) -> picklescan.ScanResult:
    result = picklescan.ScanResult()
    for i in range(count):
        label = labels[i] if i < len(labels) else f"{labels[0]}#{i}"
        try:
            picklescan.scan_stream(fh, result, label)
        except picklescan.PickleError as exc:
            raise ModelFileError(f"cannot follow the pickle stream ({label}): {exc}") from None
    info.globals = result.globals
    info.findings = result.findings
    return result


def _inspect_torch_zip(path: Path, info: ModelInfo) -> None:
    info.framework = "PyTorch"
    info.pickle_based = True
    result = picklescan.ScanResult()
    data_root = None
    with zipfile.ZipFile(path) as zf:
        for item in sorted(zf.infolist(), key=lambda i: i.filename):
            if not item.filename.endswith(".pkl"):
                continue
            if item.file_size > MAX_PICKLE_BYTES:
                raise ModelFileError(f"{item.filename} is larger than {MAX_PICKLE_BYTES >> 20} MiB")
            with zf.open(item) as fh:
                try:
                    picklescan.scan_stream(fh, result, item.filename)
                except picklescan.PickleError as exc:
                    raise ModelFileError(f"cannot follow the pickle stream ({item.filename}): {exc}") from None
            if item.filename.endswith("data.pkl") and data_root is None:
                data_root = result.roots[-1]
        version = next((n for n in zf.namelist() if n.endswith("/version") or n == "version"), None)
        if version:
            info.framework_version = "archive format " + zf.read(version).decode("ascii", "replace").strip()
    info.globals, info.findings = result.globals, result.findings
    if data_root is not None:
        refs = picklescan.tensors(data_root)
        _summarise_tensors(info, [(r.name, r.dtype, r.shape) for r in refs])


def _inspect_torch_legacy(path: Path, info: ModelInfo) -> None:
    info.framework = "PyTorch"
    info.framework_version = "legacy (pre-1.6) serialisation"
    info.pickle_based = True
    with open(path, "rb") as fh:
        # magic number, protocol version, system info, the object, the storage keys
        result = _scan_pickles(fh, info, labels=["magic", "protocol", "sys_info", "data", "storage_keys"], count=5)
    refs = picklescan.tensors(result.roots[3])
    _summarise_tensors(info, [(r.name, r.dtype, r.shape) for r in refs])


# --- summary -----------------------------------------------------------------------------------

def _summarise_tensors(info: ModelInfo, entries) -> None:
    total = buffers = 0
    by_dtype: dict[str, int] = {}
    for name, dtype, shape in entries:
        numel = 1
        for d in shape:
            numel *= d
        if name.rsplit(".", 1)[-1] in BUFFER_SUFFIXES:
            buffers += numel
            continue
        total += numel
        by_dtype[dtype] = by_dtype.get(dtype, 0) + numel
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
    from ._resources import schema_index

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
                      "offset": f.offset} for f in info.findings],
    }
