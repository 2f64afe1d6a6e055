"""safetensors files: the JSON header only, checked as the safetensors library checks it. The data
section is never read.

The module is not named ``safetensors`` so that it never stands for the ``safetensors`` package."""

from __future__ import annotations

import json
import struct
from pathlib import Path

from . import pickles
from .modelinfo import (ModelFileError, ModelInfo, element_count, printable_name, register_model_file_check, scan_error,
                        summarise_tensors)

# safetensors dtype names to the schema's DType values.
SAFETENSORS_DTYPES = {"F64": "float64", "F32": "float32", "F16": "float16", "BF16": "bfloat16",
                      "I64": "int64", "I32": "int32", "I16": "int16", "I8": "int8", "U8": "uint8",
                      "U16": "uint16", "U32": "uint32", "U64": "uint64", "BOOL": "bool",
                      "F8_E4M3": "float8e4m3fn", "F8_E5M2": "float8e5m2"}

# Bits per element of each safetensors dtype (the format's own table, sub-byte types included).
SAFETENSORS_BITS = {"F64": 64, "F32": 32, "F16": 16, "BF16": 16, "I64": 64, "I32": 32, "I16": 16, "I8": 8,
                    "U8": 8, "U16": 16, "U32": 32, "U64": 64, "BOOL": 8, "F8_E4M3": 8, "F8_E5M2": 8,
                    "F8_E8M0": 8, "F6_E2M3": 6, "F6_E3M2": 6, "F4": 4, "C64": 64}

register_model_file_check(
    "modelfile.safetensors", "The safetensors header is well-formed and its tensors tile the data",
    "safetensors 头部格式正确，且其张量恰好铺满数据区", {
        "duplicate-key": ("safetensors header names {key!r} twice", "safetensors 头部两次出现 {key!r}"),
        "truncated": ("safetensors header is truncated", "safetensors 头部被截断"),
        "too-deep": ("safetensors header is nested too deeply", "safetensors 头部嵌套过深"),
        "not-json": ("safetensors header is not JSON: {reason}", "safetensors 头部不是 JSON：{reason}"),
        "not-object": ("safetensors header is not a JSON object", "safetensors 头部不是 JSON 对象"),
        "metadata": ("safetensors __metadata__ is not a map of strings", "safetensors 的 __metadata__ 不是字符串映射"),
        "no-shape": ("safetensors entry {name!r} has no shape", "safetensors 条目 {name!r} 没有形状"),
        "invalid-shape": ("safetensors entry {name!r} has an invalid shape", "safetensors 条目 {name!r} 的形状无效"),
        "unknown-dtype": ("safetensors entry {name!r} has an unknown dtype", "safetensors 条目 {name!r} 的数据类型未知"),
        "outside": ("safetensors entry {name!r} points outside the file", "safetensors 条目 {name!r} 指向文件之外"),
        "span": ("safetensors entry {name!r} ({dtype}, shape {shape!s}) needs {need:,.0f} bytes, its data_offsets span {span:,}",
                 "safetensors 条目 {name!r}（{dtype}，形状 {shape!s}）需要 {need:,.0f} 字节，其 data_offsets 跨度为 {span:,} 字节"),
        "overlap": ("safetensors entry {name!r} (bytes {begin:,}-{end:,} of the data) overlaps the tensor before it",
                    "safetensors 条目 {name!r}（数据区字节偏移 {begin:,}-{end:,}）与前一个张量重叠"),
        "gap": ("safetensors entry {name!r} (bytes {begin:,}-{end:,} of the data) leaves a gap after the tensor before it",
                "safetensors 条目 {name!r}（数据区字节偏移 {begin:,}-{end:,}）与前一个张量之间有空隙"),
        "coverage": ("the tensors cover {covered:,} of the {size:,} data bytes", "张量只覆盖了数据区 {size:,} 字节中的 {covered:,} 字节"),
    })


def _unique_keys(pairs: list) -> dict:
    out: dict = {}
    for key, value in pairs:
        if key in out:
            raise ModelFileError("modelfile.safetensors", "duplicate-key", key=key)
        out[key] = value
    return out


def _is_count(v) -> bool:
    return type(v) is int and v >= 0


def inspect_safetensors(path: Path, info: ModelInfo, budget: pickles.Budget) -> None:
    """The JSON header, checked as the safetensors library checks it: every entry has a known dtype,
    a shape and data offsets whose span is exactly dtype x shape bytes, and the spans tile the data
    section without gaps or overlaps."""
    info.framework = "safetensors"
    with open(path, "rb") as fh:
        (n,) = struct.unpack("<Q", fh.read(8))
        if n > budget.max_json_bytes:
            raise scan_error(budget.exceeded("json_bytes", 0))
        raw = fh.read(n)
    if len(raw) != n:
        raise ModelFileError("modelfile.safetensors", "truncated", offset=8)
    try:
        header = json.loads(raw, object_pairs_hook=_unique_keys)
    except RecursionError:
        raise ModelFileError("modelfile.safetensors", "too-deep", offset=8) from None
    except (ValueError, UnicodeDecodeError) as exc:
        raise ModelFileError("modelfile.safetensors", "not-json", offset=8, reason=str(exc)) from None
    if not isinstance(header, dict):
        raise ModelFileError("modelfile.safetensors", "not-object", offset=8)
    data_size = info.size_bytes - 8 - n
    metadata = header.get("__metadata__", {})
    if not isinstance(metadata, dict) or not all(isinstance(v, str) for v in metadata.values()):
        raise ModelFileError("modelfile.safetensors", "metadata", offset=8)
    entries, spans = [], []
    for name, meta in sorted(header.items()):
        if name == "__metadata__":
            continue
        label = printable_name(name)
        if not isinstance(meta, dict) or not isinstance(meta.get("shape"), list):
            raise ModelFileError("modelfile.safetensors", "no-shape", offset=8, name=label)
        shape, dtype, offsets = meta["shape"], meta.get("dtype"), meta.get("data_offsets")
        if not all(_is_count(d) for d in shape):
            raise ModelFileError("modelfile.safetensors", "invalid-shape", offset=8, name=label)
        if not isinstance(dtype, str) or dtype not in SAFETENSORS_BITS:
            raise ModelFileError("modelfile.safetensors", "unknown-dtype", offset=8, name=label)
        if not (isinstance(offsets, list) and len(offsets) == 2 and all(_is_count(o) for o in offsets)
                and offsets[0] <= offsets[1] <= data_size):
            raise ModelFileError("modelfile.safetensors", "outside", offset=8, name=label)
        numel = element_count(shape, "safetensors-entry", label, 8)
        bits = numel * SAFETENSORS_BITS[dtype]
        if bits % 8 or bits // 8 != offsets[1] - offsets[0]:
            raise ModelFileError("modelfile.safetensors", "span", offset=8, name=label, dtype=dtype, shape=shape,
                                 need=bits / 8, span=offsets[1] - offsets[0])
        spans.append((offsets[0], offsets[1], label))
        entries.append((name, SAFETENSORS_DTYPES.get(dtype, dtype), tuple(shape)))
    end = 0
    for begin, stop, label in sorted(spans):
        if begin != end:
            raise ModelFileError("modelfile.safetensors", "overlap" if begin < end else "gap", offset=8 + n + begin,
                                 name=label, begin=begin, end=stop)
        end = stop
    if end != data_size:
        raise ModelFileError("modelfile.safetensors", "coverage", offset=8 + n + end, covered=end, size=data_size)
    summarise_tensors(info, entries)
