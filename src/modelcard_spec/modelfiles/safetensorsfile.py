"""safetensors files: the JSON header only, checked as the safetensors library checks it. The data
section is never read.

The module is not named ``safetensors`` so that it never stands for the ``safetensors`` package."""

from __future__ import annotations

import json
import struct
from pathlib import Path

from . import pickles
from .modelinfo import ModelFileError, ModelInfo, element_count, printable_name, scan_error, summarise_tensors

# safetensors dtype names to the schema's DType values.
SAFETENSORS_DTYPES = {"F64": "float64", "F32": "float32", "F16": "float16", "BF16": "bfloat16",
                      "I64": "int64", "I32": "int32", "I16": "int16", "I8": "int8", "U8": "uint8",
                      "U16": "uint16", "U32": "uint32", "U64": "uint64", "BOOL": "bool",
                      "F8_E4M3": "float8e4m3fn", "F8_E5M2": "float8e5m2"}

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
        label = printable_name(name)
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
        numel = element_count(shape, f"safetensors entry {label!r}", f"safetensors 条目 {label!r}", 8)
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
    summarise_tensors(info, entries)
