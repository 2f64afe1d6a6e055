"""ONNX model files, read with a streaming protobuf reader over a memory map: tensor payloads are
skipped, never copied, so a 2 GB model costs a few MB of memory. Gives IR version, producer, opsets,
operator counts (sub-graphs included), custom-domain operators, graph inputs and outputs with
symbolic dimensions, initializers and their dtypes; the data a tensor stores in the file is checked
against its dims, and data kept in other files is checked by :mod:`.externaldata`.

The module is not named ``onnx`` so that it never stands for the ``onnx`` package."""

from __future__ import annotations

import mmap
import os
from collections import deque
from pathlib import Path

from . import pickles
from .externaldata import ExternalData, check_external_data, leave_out_unchecked
from .modelinfo import (ModelFileError, ModelInfo, Node, element_count, register_model_file_check, scan_error,
                        summarise_tensors)

# ONNX TensorProto.DataType codes to the schema's DType values.
ONNX_DTYPES = {1: "float32", 2: "uint8", 3: "int8", 4: "uint16", 5: "int16", 6: "int32", 7: "int64",
               8: "string", 9: "bool", 10: "float16", 11: "float64", 12: "uint32", 13: "uint64",
               14: "complex64", 15: "complex128", 16: "bfloat16", 17: "float8e4m3fn",
               18: "float8e4m3fnuz", 19: "float8e5m2", 20: "float8e5m2fnuz", 21: "uint4", 22: "int4"}

# Constant nodes whose ``value`` is a tensor of one of these types and of rank 1 or more are counted
# as parameters: exporters other than torch.onnx (spox, constant-folding converters) keep the weights
# there instead of in initializers. One whose data is in another file is checked but not counted
# (external data is checked for initializers only). Scalars (rank 0) are left out: they are the numbers of the
# computation (epsilons, exponents, shifts), not weights; integer and boolean tensors are shapes,
# axes and indices. The count is then uncertain (a vector of floating-point constants need not be a
# weight), so it is kept apart (ModelInfo.constant_elements) and validate --model says so.
CONSTANT_WEIGHT_DTYPES = {"float32", "float16", "bfloat16", "float64", "float8e4m3fn", "float8e4m3fnuz",
                          "float8e5m2", "float8e5m2fnuz"}

# The standard ONNX operator domains; any other domain is a custom operator set.
STANDARD_DOMAINS = {"", "ai.onnx", "ai.onnx.ml", "ai.onnx.training", "ai.onnx.preview.training"}

# --- a protobuf wire-format reader that skips payloads -------------------------------------------

MAX_ONNX_STRING = 1 << 16  # longest name, type or domain read (they are identifiers, not data)

register_model_file_check("modelfile.onnx", "The file is a well-formed ONNX model", "文件为格式正确的 ONNX 模型", {
    "varint-truncated": ("truncated protobuf varint", "protobuf 变长整数被截断"),
    "varint-malformed": ("malformed protobuf varint", "protobuf 变长整数格式错误"),
    "wire-type": ("unsupported protobuf wire type {wire}", "不支持的 protobuf 编码类型 {wire}"),
    "field-overrun": ("protobuf field runs past the end of its message", "protobuf 字段超出其所在消息的末尾"),
    "name-too-long": ("a name of {length:,} bytes is longer than {limit:,} bytes", "名称长 {length:,} 字节，超过 {limit:,} 字节"),
    "negative-dimension": ("initializer {name!r} has a negative dimension {dims!s}", "初始化器 {name!r} 的维度 {dims!s} 中有负数"),
    "raw-data": ("initializer {name!r} ({dtype}, dims {dims!s}) needs {need:,} bytes of raw_data, the file holds {held:,}",
                 "初始化器 {name!r}（{dtype}，维度 {dims!s}）需要 {need:,} 字节的 raw_data，文件中为 {held:,} 字节"),
    "values": ("initializer {name!r} ({dtype}, dims {dims!s}) has {count:,} elements, the file stores {held:,}",
               "初始化器 {name!r}（{dtype}，维度 {dims!s}）应有 {count:,} 个元素，文件中存储了 {held:,} 个"),
    "empty": ("empty file", "文件为空"),
    "not-onnx": ("not an ONNX model: no ir_version or graph", "不是 ONNX 模型：缺少 ir_version 或 graph"),
})
_LOW_BYTES = bytes(range(128))


def _varint(buf, pos: int, end: int) -> tuple[int, int]:
    result = shift = 0
    start = pos
    while True:
        if pos >= end:
            raise ModelFileError("modelfile.onnx", "varint-truncated", offset=start)
        b = buf[pos]
        pos += 1
        result |= (b & 0x7F) << shift
        if not b & 0x80:
            return result, pos
        shift += 7
        if shift > 70:
            raise ModelFileError("modelfile.onnx", "varint-malformed", offset=start)


def _fields(buf, start: int, end: int, budget: pickles.Budget):
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
            raise scan_error(budget.exceeded("fields", at))
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
            raise ModelFileError("modelfile.onnx", "wire-type", offset=at, wire=wire)
        if pos > end:
            raise ModelFileError("modelfile.onnx", "field-overrun", offset=at)
        yield number, wire, value, at


def _str(buf, span) -> str:
    if span[1] - span[0] > MAX_ONNX_STRING:
        raise ModelFileError("modelfile.onnx", "name-too-long", offset=span[0], length=span[1] - span[0],
                             limit=MAX_ONNX_STRING)
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
        raise ModelFileError("modelfile.onnx", "negative-dimension", offset=span[0], name=name, dims=dims)
    numel = element_count(dims, "initializer", name, span[0])
    if external:
        externals.append(ExternalData(name, entries.get("location"), entries.get("offset"), entries.get("length"),
                                      _ONNX_BITS.get(code), numel, span[0], initializer))
        return name, dtype, tuple(dims)
    if code not in _ONNX_BITS:
        return name, dtype, tuple(dims)
    if raw is not None:
        need = (numel * _ONNX_BITS[code] + 7) // 8
        if raw != need:
            raise ModelFileError("modelfile.onnx", "raw-data", offset=span[0], name=name, dtype=dtype, dims=dims,
                                 need=need, held=raw)
    elif code in _ONNX_VALUE_FIELD and code not in (21, 22):
        number, per = _ONNX_VALUE_FIELD[code]
        held = values.get(number, 0)
        if held != numel * per:
            raise ModelFileError("modelfile.onnx", "values", offset=span[0], name=name, dtype=dtype, dims=dims,
                                 count=numel, held=held // per if per else held)
    return name, dtype, tuple(dims)


def _sparse_tensor(buf, span, budget, externals: list) -> None:
    """The values and indices of a SparseTensorProto, for the external data they may name."""
    for num, wire, val, _ in _fields(buf, *span, budget):
        if num in (1, 2) and wire == 2:
            _onnx_tensor(buf, val, budget, externals, initializer=False)


def _onnx_graphs(buf, span, info: ModelInfo, tensors: list, budget: pickles.Budget) -> None:
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
                op_type, domain, output = "", "", None
                values = []  # (attribute name, tensor) of the node's tensor-valued attributes
                for nnum, nwire, nval, nat in _fields(buf, *val, budget):
                    if nnum == 4 and nwire == 2:
                        op_type = _str(buf, nval)
                    elif nnum == 7 and nwire == 2:
                        domain = _str(buf, nval)
                    elif nnum == 2 and nwire == 2 and output is None:
                        output = _str(buf, nval)
                    elif nnum == 5 and nwire == 2:  # AttributeProto: sub-graphs of If, Loop, Scan
                        attribute = ""
                        for anum, awire, aval, aat in _fields(buf, *nval, budget):
                            if anum == 1 and awire == 2:
                                attribute = _str(buf, aval)
                            elif anum in (6, 11) and awire == 2:
                                if level + 1 > budget.max_depth:
                                    raise scan_error(budget.exceeded("depth", aat))
                                pending.append((aval, level + 1))
                            elif anum == 5 and awire == 2:  # a tensor value (Constant's value)
                                held = len(info.external_data)
                                tensor = _onnx_tensor(buf, aval, budget, info.external_data, initializer=False)
                                if len(info.external_data) == held:  # external data: checked, never counted
                                    values.append((attribute, tensor))
                            elif anum == 10 and awire == 2:
                                _onnx_tensor(buf, aval, budget, info.external_data, initializer=False)
                            elif anum in (22, 23) and awire == 2:
                                _sparse_tensor(buf, aval, budget, info.external_data)
                if op_type == "Constant" and domain in ("", "ai.onnx"):
                    for attribute, (name, dtype, dims) in values:
                        if attribute == "value" and dtype in CONSTANT_WEIGHT_DTYPES and dims:
                            tensors.append((output or name, dtype, dims))
                            info.constant_elements += element_count(dims, "initializer", output or name)
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


def _onnx_function(buf, span, info: ModelInfo, budget: pickles.Budget) -> None:
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
                            raise scan_error(budget.exceeded("depth", aat))
                        pending.append((aval, "graph", level + 1))
                    elif anum in (5, 10) and awire == 2:
                        _onnx_tensor(buf, aval, budget, info.external_data, initializer=False)
                    elif anum in (22, 23) and awire == 2:
                        _sparse_tensor(buf, aval, budget, info.external_data)


def inspect_onnx(path: Path, info: ModelInfo, budget: pickles.Budget) -> None:
    """Fill ``info`` from the ONNX file at ``path`` within ``budget``."""
    info.framework = "ONNX"
    if info.size_bytes == 0:
        raise ModelFileError("modelfile.onnx", "empty")
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
        raise ModelFileError("modelfile.onnx", "not-onnx")
    if producer:
        info.notes.append(f"produced by {producer} {producer_version or ''}".strip())
    info.opset_version = info.opsets.get("ai.onnx")
    info.framework_version = f"IR version {info.ir_version}"
    summarise_tensors(info, tensors)
    if info.external_data:
        check_external_data(path.parent, info.external_data, budget)
        leave_out_unchecked(info)


def onnx_external_data(path: str | os.PathLike) -> list[ExternalData]:
    """Every tensor of the ONNX file ``path`` that keeps its data in another file, each checked by
    :func:`.externaldata.check_external_data` (``problem`` set where it is refused). The file is read as
    :func:`.reader.inspect_file` reads it, within the default budget (no SHA-256); raises
    :class:`ModelFileError` or :class:`OSError` as it does."""
    p = Path(path)
    info = ModelInfo(path=str(p), format="onnx", container="onnx", size_bytes=p.stat().st_size, sha256="")
    budget = pickles.Budget()
    budget.start()
    try:
        inspect_onnx(p, info, budget)
    except pickles.LimitExceeded as exc:
        raise scan_error(exc) from None
    return info.external_data
