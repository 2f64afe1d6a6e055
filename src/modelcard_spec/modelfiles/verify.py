"""Reproduction run (``modelcard-spec verify``): run an ONNX model on the card's declared input
examples with ONNX Runtime on the CPU and compare the outputs with the declared ones.

Per example the verdict is

* ``reproduces`` — every compared output is within the declared tolerances (at most
  ``mismatch_budget`` of its elements outside ``|produced - expected| <= absolute + relative * |expected|``),
  its shape fits the declared node shape and its values lie in the declared value range;
* ``runs`` — the model ran but an output differs, has the wrong shape or leaves its range;
* ``fails`` — the example could not be run (missing or altered evidence, unreadable arrays, an
  input array that does not fit its declared node, a runtime error, a limit of the run reached).

The model never runs in this process. Before anything is loaded, the model file is read as
``inspect`` reads it, and every tensor that keeps its data in another file must name a regular file
inside the model's folder, by a relative path without "..", holding the bytes its dtype and dims
need (:func:`.onnxfile.onnx_external_data`); otherwise the model is not run. ONNX Runtime then runs
in a child process (:mod:`._onnxchild`, :class:`_Session`) under :class:`Limits`: a wall-clock
deadline for loading the model and for each example, after which the process is killed; an
address-space limit and a CPU-time limit that the process sets on itself; at most
:data:`MAX_OUTPUT_BYTES` of outputs per example. What ONNX Runtime prints never reaches the
terminal: its log is set to fatal messages only and the process's standard error is captured.

Evidence files are found by the same containment rule as ``validate`` (:func:`..spec.evidence.open_evidence`:
relative, inside the card's folder, a regular file), read once, and their SHA-256 checked on the
bytes that are then used. Arrays are parsed without pickle and within a size limit
(:data:`MAX_ARRAY_BYTES` for the input and expected output of one example together): every
``.npy`` header's shape x dtype, and every ``.npz`` member's declared uncompressed size, is checked
against it before any data is read or inflated, every input header's shape against its declared
node (binding symbols such as ``batch``), and only numeric and boolean arrays are accepted. Outputs
are compared a chunk at a time, so the comparison needs little memory beyond the arrays.

Produced outputs are written to the output folder under the policy of :mod:`.safewrite` (never an
input, never through a symbolic link, an existing file only with ``force``), one file per example
whose name :func:`output_stems` makes distinct for distinct examples.
"""

from __future__ import annotations

import hashlib
import io
import json
import math
import os
import re
import selectors
import signal
import subprocess
import sys
import time
import zipfile
from collections import Counter, deque
from dataclasses import dataclass, field
from pathlib import Path

from ..spec.version import __version__
from ..spec import safewrite
from ..spec import shapes
from ..spec.diagnostics import DiagnosticError
from ..spec.registry import Check, register
from ._onnxchild import HEADER, MAX_HEAD, contiguous, first_line, pack
from ..spec.digests import sha256_file
from .externaldata import external_problem
from .modelinfo import ModelFileError, printable_name
from .onnxfile import onnx_external_data
from ..spec.evidence import EvidenceError, evidence_bytes, evidence_files

WORST = 3
# Most array data (decoded) the input and expected output of one example may declare together;
# see the README for what it leaves for ONNX Runtime.
MAX_ARRAY_BYTES = 16 << 20
MAX_FILE_BYTES = MAX_ARRAY_BYTES + (1 << 20)  # an example file: its arrays, their headers and the zip structure
COMPARE_CHUNK = 1 << 18  # elements compared at a time
MAX_NPZ_MEMBERS = 1024
NPY_HEADER_BYTES = 65_546  # the longest header of a version 1.0 .npy file (magic, length, text)
OUTPUT_SUFFIX = ".outputs.npz"
# Limits of the ONNX Runtime process (see _Session and the README).
DEFAULT_TIMEOUT = 60.0            # seconds of wall-clock time to load the model, and to run each example
DEFAULT_MAX_MEMORY = 1 << 30      # bytes of address space beyond what the process holds after its imports
MAX_OUTPUT_BYTES = 32 << 20       # the produced outputs of one example, all together
START_SECONDS = 60.0              # to start Python and import numpy and ONNX Runtime (not the model's doing)
STDERR_KEPT = 4096                # the last bytes the process wrote to standard error, kept to quote


@dataclass
class OutputCheck:
    name: str
    shape: list
    compared: int = 0
    mismatched: int = 0
    max_abs_diff: float = 0.0
    worst: list = field(default_factory=list)   # [{"index": [...], "produced": x, "expected": y}]
    problems: list = field(default_factory=list)  # (en, zh)
    sha256: str | None = None


@dataclass
class ExampleResult:
    name: str
    pointer: str
    status: str = "fails"
    problems: list = field(default_factory=list)  # (en, zh)
    outputs: list = field(default_factory=list)
    saved: str | None = None
    over_limit: bool = False  # stopped by a limit of the ONNX Runtime process (exit code 2)

    def to_dict(self) -> dict:
        return {"name": self.name, "pointer": self.pointer, "status": self.status, "over_limit": self.over_limit,
                "problems": [{"message": en, "message_zh": zh} for en, zh in self.problems],
                "outputs": [o.__dict__ | {"problems": [{"message": en, "message_zh": zh} for en, zh in o.problems]}
                            for o in self.outputs],
                "saved": self.saved}


class VerifyError(DiagnosticError):
    """The run cannot start at all (the card declares no examples, no numpy/onnxruntime, the model
    cannot be read or loaded): the diagnostic of a registered ``verify.*`` check. ``where`` is the
    card's path when the error is about the card, not the model."""


register(Check("verify.examples", "error", "The card declares input/output examples to run", "模型卡声明了可运行的输入输出示例",
               {"": ("the card declares no input/output examples (input_output.examples)",
                     "模型卡未声明输入输出示例（input_output.examples）")}, scope="command"))
register(Check("verify.unavailable", "error", "ONNX Runtime can be run under limits on this system",
               "可在本系统上受限地运行 ONNX Runtime", {
    "not-installed": ("verify needs numpy and onnxruntime: pip install 'modelcard-spec[verify]'",
                      "verify 需要 numpy 和 onnxruntime：pip install 'modelcard-spec[verify]'"),
    "not-posix": ("verify runs ONNX Runtime in a child process under limits, which needs Linux or macOS",
                  "verify 在受限的子进程中运行 ONNX Runtime，这需要 Linux 或 macOS"),
}, scope="command"))
register(Check("verify.model", "error", "The model file exists, reads as ONNX and keeps no data where it may not",
               "模型文件存在、可作为 ONNX 读取，且未将数据保存在不允许的位置", {
    "missing": ("no such model file", "模型文件不存在"),
    "unreadable": ("cannot read {file} as an ONNX model: {error}", "无法将 {file} 作为 ONNX 模型读取：{error_zh}"),
    "os-error": ("cannot read {file}: {reason}", "无法读取 {file}：{reason}"),
    "external-data": ("{file} is not run: {problem}", "未运行 {file}：{problem_zh}"),
    "external-data-more": ("{file} is not run: {problem}; and {more:,} more", "未运行 {file}：{problem_zh}；另有 {more:,} 个"),
}, scope="command"))


def _not_installed() -> VerifyError:
    return VerifyError("verify.unavailable", "not-installed")


def _np():
    try:
        import numpy
        return numpy
    except ImportError:  # pragma: no cover - numpy comes with onnxruntime
        raise _not_installed() from None


class ArrayRefused(Exception):
    """An example array file that is not read: (en, zh)."""

    def __init__(self, en: str, zh: str):
        super().__init__(en)
        self.en, self.zh = en, zh


class ShapeRefused(ArrayRefused):
    """An example array whose header shape does not fit its declared node: not read, let alone inflated."""


def _over_limit(used: int) -> tuple[str, str]:
    """The words for an array-data limit that was passed (en, zh), when the arrays read before
    for the same example hold ``used`` bytes."""
    en = f"over the limit of {MAX_ARRAY_BYTES:,} bytes for the arrays of one example (input and expected output together)"
    zh = f"超过上限 {MAX_ARRAY_BYTES:,} 字节（一个示例的输入与预期输出数组合计"
    if used:
        return f"{en}, of which the arrays read before hold {used:,}", f"{zh}，其中此前读取的数组已占 {used:,} 字节）"
    return en, zh + "）"


def _read_npy(np, fh, used: int = 0, check=None, raw: bytes | None = None):
    """One ``.npy`` array from ``fh``, whose header is checked before its data is read: numeric or
    boolean dtype, shape x itemsize within what ``used`` leaves of MAX_ARRAY_BYTES, and
    ``check(shape)`` (an (en, zh) problem, or None) passed. ``raw``: the bytes ``fh`` reads, used in
    place instead of copied."""
    fmt = np.lib.format
    version = fmt.read_magic(fh)
    if version == (1, 0):
        shape, fortran, dtype = fmt.read_array_header_1_0(fh)
    elif version == (2, 0):
        shape, fortran, dtype = fmt.read_array_header_2_0(fh)
    else:
        raise ArrayRefused(f".npy format version {version[0]}.{version[1]} is not read",
                           f"不读取 .npy 格式版本 {version[0]}.{version[1]}")
    if dtype.hasobject or dtype.kind not in "biuf":
        raise ArrayRefused(f"an array has dtype {dtype}; only numeric and boolean arrays are read",
                           f"数组的数据类型为 {dtype}；只读取数值和布尔数组")
    if any(d < 0 for d in shape):
        raise ArrayRefused(f"an array declares a negative dimension {list(shape)}", f"数组声明的维度 {list(shape)} 中有负数")
    count = math.prod(shape)
    nbytes = count * dtype.itemsize
    if nbytes > MAX_ARRAY_BYTES - used:
        over = _over_limit(used)
        raise ArrayRefused(f"an array declares shape {list(shape)} of {dtype}, {nbytes:,} bytes, {over[0]}",
                           f"数组声明的形状为 {list(shape)}（{dtype}），共 {nbytes:,} 字节，{over[1]}")
    problem = check(shape) if check else None
    if problem:
        raise ShapeRefused(f"{problem[0]}; its data was not read", f"{problem[1]}；未读取其数据")
    if raw is not None:
        if len(raw) - fh.tell() < nbytes:
            raise ArrayRefused("an array holds less data than its header declares", "数组的数据少于其头部声明的数量")
        array = np.frombuffer(raw, dtype=dtype, count=count, offset=fh.tell())
    else:
        data = fh.read(nbytes)
        if len(data) != nbytes:
            raise ArrayRefused("an array holds less data than its header declares", "数组的数据少于其头部声明的数量")
        array = np.frombuffer(data, dtype=dtype, count=count)
    return array.reshape(shape[::-1]).transpose() if fortran else array.reshape(shape)


def _load_arrays(np, raw: bytes, used: int = 0, check=None) -> dict:
    """The arrays of an example file (``.npy``: one array under the name ""; ``.npz``: by member
    name), holding at most what ``used`` bytes leave of MAX_ARRAY_BYTES, checked before anything
    is inflated; ``check(name, shape)`` (an (en, zh) problem, or None) is asked about each array's
    header before its data is read."""
    def fits(name):
        return (lambda shape: check(name, shape)) if check else None

    if raw.startswith(b"\x93NUMPY"):
        return {"": _read_npy(np, io.BytesIO(raw), used, fits(""), raw)}
    if not raw.startswith(b"PK"):
        raise ArrayRefused("the file is neither a .npy array nor a .npz archive", "该文件既不是 .npy 数组也不是 .npz 归档")
    with zipfile.ZipFile(io.BytesIO(raw)) as archive:
        members = archive.infolist()
        if len(members) > MAX_NPZ_MEMBERS:
            raise ArrayRefused(f"the archive has {len(members):,} members, over this tool's limit of {MAX_NPZ_MEMBERS:,}",
                               f"归档中有 {len(members):,} 个成员，超过本工具对归档成员数的上限（{MAX_NPZ_MEMBERS:,} 个）")
        declared = sum(m.file_size for m in members)
        if declared > MAX_ARRAY_BYTES - used + NPY_HEADER_BYTES * len(members):
            over = _over_limit(used)
            raise ArrayRefused(f"the archive declares {declared:,} bytes uncompressed, {over[0]}",
                               f"归档声明的解压后大小为 {declared:,} 字节，{over[1]}")
        arrays = {}
        for member in members:
            if not member.filename.endswith(".npy"):
                raise ArrayRefused(f"archive member {member.filename!r} is not a .npy array",
                                   f"归档成员 {member.filename!r} 不是 .npy 数组")
            with archive.open(member) as fh:
                array = arrays[member.filename[:-4]] = _read_npy(np, fh, used, fits(member.filename[:-4]))
            used += array.nbytes
        return arrays


def _evidence_file(card: dict, folder: Path, ev_id, label: tuple[str, str]):
    """(content, problem) for an evidence id; problem is (en, zh) or None.

    The file is found by the same containment rule as ``validate``, read once, and its SHA-256
    checked on the bytes returned."""
    items = card.get("evidence") if isinstance(card.get("evidence"), list) else []
    ev = next((e for e in items if isinstance(e, dict) and e.get("id") == ev_id), None)
    if ev is None:
        return None, (f"{label[0]} evidence {ev_id!r} is not in the card's evidence list",
                      f"{label[1]}证据 {ev_id!r} 不在模型卡的证据列表中")
    rel = ev.get("path")
    if not isinstance(rel, str):
        return None, (f"{label[0]} evidence {ev_id!r} has no local path to run on",
                      f"{label[1]}证据 {ev_id!r} 没有可供运行的本地路径")
    try:
        raw = evidence_bytes(folder, rel, MAX_FILE_BYTES)
    except EvidenceError as exc:
        return None, (f"{label[0]} file '{rel}' {exc.reason}", f"{label[1]}文件“{rel}”{exc.reason_zh}")
    digest = hashlib.sha256(raw).hexdigest()
    if isinstance(ev.get("sha256"), str) and ev["sha256"] != digest:
        return None, (f"{label[0]} file '{rel}' has SHA-256 {digest}, the card declares {ev['sha256']}",
                      f"{label[1]}文件“{rel}”的 SHA-256 为 {digest}，模型卡声明为 {ev['sha256']}")
    return raw, None


_PLAIN_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")


def output_stems(names: list[str]) -> list[str]:
    """A file stem per example name, distinct for distinct examples (also where case is ignored).

    A name of at most 64 letters, digits, ``.``, ``_`` and ``-`` that starts with a letter or digit,
    has no ``--`` and is the only one of its spelling ignoring case is kept as it is; any other
    becomes ``SANITISED--HASH`` (characters outside that set replaced by ``_``, 12 hex digits of the
    SHA-256 of the name, and of its position when two examples have the same name). Kept names have
    no ``--``, so they never meet a changed one."""
    folded = Counter(n.casefold() for n in names)
    exact = Counter(names)
    stems = []
    for i, name in enumerate(names):
        if _PLAIN_NAME.fullmatch(name) and "--" not in name and folded[name.casefold()] == 1:
            stems.append(name)
            continue
        key = f"{i}\n{name}" if exact[name] > 1 else name
        digest = hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()[:12]
        safe = re.sub(r"[^A-Za-z0-9_.-]", "_", name).lstrip("._-")[:48] or "example"
        stems.append(f"{safe}--{digest}")
    return stems


def _declared_nodes(card: dict, kind: str) -> dict:
    nodes = (card.get("model_nodes") or {}).get(kind) if isinstance(card.get("model_nodes"), dict) else None
    return {n["name"]: n for n in nodes or [] if isinstance(n, dict) and isinstance(n.get("name"), str)}


def _value_ranges(card: dict) -> dict:
    io_ = card.get("input_output") if isinstance(card.get("input_output"), dict) else {}
    out = {}
    for spec in io_.get("outputs") or []:
        if isinstance(spec, dict) and isinstance(spec.get("node"), str) and isinstance(spec.get("value_range"), dict):
            out[spec["node"]] = spec["value_range"]
    return out


def _shape_problem(kind: tuple[str, str], name: str, node: dict | None, shape, env: dict) -> tuple[str, str] | None:
    """(en, zh) when the tensor ``name`` (an input or output, ``kind`` in English and Chinese) does
    not fit the shape its card node declares; dimension names are bound in ``env`` across tensors."""
    if not node or not isinstance(node.get("shape"), list):
        return None
    try:
        msg = shapes.match(node["shape"], shape, env)
    except shapes.ShapeError as exc:
        msg = f"the declared shape cannot be read ({exc})", f"无法解析声明的形状（{exc.message_zh}）"
    if not msg:
        return None
    return (f"{kind[0]} {name!r} does not fit the declared shape {node['shape']}: {msg[0]}",
            f"{kind[1]} {name!r} 不符合声明的形状 {node['shape']}：{msg[1]}")


def _tolerances(tol: dict) -> tuple[tuple[float, float, float], tuple[str, str] | None]:
    """(absolute, relative, mismatch_budget) of an example's tolerance, missing ones 0; and a
    problem (en, zh) if one of them is not a number."""
    values = []
    for key in ("absolute", "relative", "mismatch_budget"):
        value = tol.get(key)
        if value is None:
            value = 0.0
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
            return (0.0, 0.0, 0.0), (f"the tolerance's {key} {value!r} is not a number, so no output was compared",
                                     f"容差的 {key} {value!r} 不是数值，未比对任何输出")
        values.append(float(value))
    return tuple(values), None


def _compare(np, name: str, produced, expected, tolerance: tuple[float, float, float], check: OutputCheck) -> None:
    """Compare one output element-wise, :data:`COMPARE_CHUNK` elements at a time (the float64
    temporaries stay small whatever the size of the arrays)."""
    atol, rtol, budget = tolerance
    if produced.shape != expected.shape:
        check.problems.append((f"output {name!r} has shape {list(produced.shape)}, the expected array {list(expected.shape)}",
                               f"输出 {name!r} 的形状为 {list(produced.shape)}，预期数组为 {list(expected.shape)}"))
        return
    a_all, b_all = np.ascontiguousarray(produced).reshape(-1), np.ascontiguousarray(expected).reshape(-1)
    worst = []  # (-difference, flat index, mismatched, produced, expected) of each chunk's largest differences
    for start in range(0, a_all.size, COMPARE_CHUNK):
        a = a_all[start:start + COMPARE_CHUNK].astype(np.float64)
        b = b_all[start:start + COMPARE_CHUNK].astype(np.float64)
        diff = np.abs(a - b)
        bad = ~(diff <= atol + rtol * np.abs(b))
        bad |= np.isnan(a) != np.isnan(b)
        check.mismatched += int(bad.sum())
        finite = np.where(np.isfinite(diff), diff, np.inf)
        check.max_abs_diff = max(check.max_abs_diff, float(finite.max()))
        for k in np.argsort(-finite, kind="stable")[:WORST]:
            worst.append((-float(finite[k]), start + int(k), bool(bad[k]), float(a[k]), float(b[k])))
    check.compared = int(a_all.size)
    for _, flat, mismatched, x, y in sorted(worst)[:WORST]:  # the largest differences of all, first index first
        if not mismatched and check.mismatched:
            continue
        index = np.unravel_index(flat, produced.shape)
        check.worst.append({"index": [int(i) for i in index], "produced": x, "expected": y})
    allowed = int(budget * a_all.size)
    if check.mismatched > allowed:
        check.problems.append((f"output {name!r}: {check.mismatched} of {a_all.size} elements outside the tolerances "
                               f"(absolute {atol}, relative {rtol}; budget {allowed}); largest difference {check.max_abs_diff:.3g}",
                               f"输出 {name!r}：{a_all.size} 个元素中有 {check.mismatched} 个超出容差（绝对 {atol}，相对 {rtol}；"
                               f"允许 {allowed} 个）；最大差值 {check.max_abs_diff:.3g}"))


def _examples(card: dict) -> list[tuple[int, dict]]:
    io_ = card.get("input_output") if isinstance(card.get("input_output"), dict) else {}
    examples = io_.get("examples") if isinstance(io_.get("examples"), list) else []
    return [(i, ex) for i, ex in enumerate(examples) if isinstance(ex, dict)]


def _example_name(i: int, ex: dict) -> str:
    return str(ex.get("name", i))


def _inputs(card: dict, card_path: Path, model_path: Path) -> list:
    """The files a run reads, which its outputs must never overwrite."""
    return [card_path, model_path, *evidence_files(card_path.parent, card)]


def output_targets(card: dict, card_path: Path, model_path: Path, out_dir: Path, force: bool = False) -> list[Path]:
    """The output file of each example in ``out_dir``, checked against the output policy
    (:class:`.safewrite.OutputError` if one may not be written); nothing is created yet."""
    names = [_example_name(i, ex) for i, ex in _examples(card)]
    targets = [out_dir / f"{stem}{OUTPUT_SUFFIX}" for stem in output_stems(names)]
    safewrite.prepare_folder(out_dir, create=False)  # a link or a file there is refused
    if out_dir.is_dir():
        inputs = _inputs(card, card_path, model_path)
        for target in targets:
            safewrite.check_target(target, inputs, force)
    return targets


@dataclass(frozen=True)
class Limits:
    """What running the model may cost: ``timeout`` seconds of wall-clock time to load it and again
    to run each example, and ``max_memory`` bytes of address space beyond what the ONNX Runtime
    process holds once numpy and ONNX Runtime are imported."""
    timeout: float = DEFAULT_TIMEOUT
    max_memory: int = DEFAULT_MAX_MEMORY

    @property
    def cpu_seconds(self) -> int:
        """The CPU time of one step after which the process stops itself (should the parent that
        keeps the wall-clock deadline be gone): the timeout, rounded up, and a second more."""
        return math.ceil(self.timeout) + 1


def _ended_messages() -> dict:
    """The process ended without a result: one variant per way it ended (``ended:HOW``), each also
    with the last line it wrote to standard error (``ended:HOW:last``)."""
    out = {}
    for how, (en, zh) in {"not-ended": ("it did not end within 5 s and was killed", "5 秒内未结束，已被强制终止"),
                          "cpu-limit": ("stopped at its CPU time limit", "因达到 CPU 时间上限而终止"),
                          "sigkill": ("killed by SIGKILL, perhaps by the system for lack of memory",
                                      "被 SIGKILL 终止，可能是系统内存不足所致"),
                          "signal": ("stopped by {signal}", "被信号 {signal} 终止"),
                          "status": ("exit status {status}", "退出状态 {status}")}.items():
        en = "the ONNX Runtime process ended without a result (" + en + ")"
        zh = "ONNX Runtime 进程未给出结果即终止（" + zh + "）"
        out[f"ended:{how}"] = (en, zh)
        out[f"ended:{how}:last"] = (en + "; its last message: {last}", zh + "；其最后一条消息：{last}")
    return out


register(Check("verify.runtime", "error", "The ONNX Runtime process gives a result within its limits",
               "ONNX Runtime 进程在其限制内给出结果", {
    "start-failed": ("the ONNX Runtime process could not be started: {reason}", "无法启动 ONNX Runtime 进程：{reason}"),
    "start-timeout": ("the ONNX Runtime process did not start within {seconds:g} s, and was stopped",
                      "ONNX Runtime 进程未能在 {seconds:g} 秒内启动，已被终止"),
    "load-timeout": ("ONNX Runtime did not load {file} within the time limit of {seconds:g} s (--timeout); its process "
                     "was stopped", "ONNX Runtime 未能在时间上限 {seconds:g} 秒（--timeout）内加载 {file}；已终止其进程"),
    "run-timeout": ("the model did not finish within the time limit of {seconds:g} s (--timeout); its ONNX Runtime "
                    "process was stopped", "模型未能在时间上限 {seconds:g} 秒（--timeout）内运行完毕；已终止其 ONNX Runtime 进程"),
    "malformed": ("the ONNX Runtime process sent a reply that cannot be read, and was stopped",
                  "ONNX Runtime 进程返回了无法读取的数据，已被终止"),
    "outputs-too-large": ("the outputs hold {size:,} bytes, over the limit of {limit:,} bytes for the outputs of one "
                          "example, so they were not transferred",
                          "输出共 {size:,} 字节，超过本工具对单个示例输出的上限（{limit:,} 字节），因此未传回"),
    "memory": ("ONNX Runtime reached the memory limit of {mib:g} MiB (--max-memory): {reason}",
               "ONNX Runtime 达到内存上限 {mib:g} MiB（--max-memory）：{reason}"),
    "load-failed": ("ONNX Runtime cannot load {file}: {reason}", "ONNX Runtime 无法加载 {file}：{reason}"),
    "run-failed": ("ONNX Runtime failed: {reason}", "ONNX Runtime 运行失败：{reason}"),
    **_ended_messages(),
}, scope="command"))


class _Stopped(VerifyError):
    """A step of the ONNX Runtime process that gave no result (``verify.runtime``): at the start it
    stops the run, in an example it is that example's problem. ``limit`` when a limit stopped it
    (the time, the memory, the size of the outputs) or the process ended abnormally."""

    def __init__(self, variant: str, limit: bool, **params):
        super().__init__("verify.runtime", variant, **params)
        self.limit = limit


# how a signal that ended the ONNX Runtime process is told: a variant of verify.runtime's "ended"
_SIGNAL_WORDS = {getattr(signal, "SIGXCPU", None): "cpu-limit", signal.SIGKILL: "sigkill"}


def _signal_name(number: int) -> str:
    try:
        return signal.Signals(number).name
    except ValueError:
        return f"signal {number}"
_DTYPE_STR = re.compile(r"[<>|][biuf][1-9][0-9]?")


def _child_argv() -> list[str]:
    """``python -I -B -c ...`` running :mod:`._onnxchild`: isolated from the environment, the user's
    site and the current folder, with the folders that hold this package, numpy and ONNX Runtime
    on its path."""
    import importlib.util

    folders = [str(Path(__file__).resolve().parents[2])]  # the folder that holds the package
    for name in ("numpy", "onnxruntime"):
        spec = importlib.util.find_spec(name)
        if spec is not None and spec.origin:
            folders.append(str(Path(spec.origin).resolve().parent.parent))
    code = (f"import sys; sys.path[:0] = {list(dict.fromkeys(folders))!r}\n"
            "from modelcard_spec.modelfiles._onnxchild import main; main()")
    return [sys.executable, "-I", "-B", "-c", code]


class _Session:
    """One ONNX Runtime session in a child process (:mod:`._onnxchild`) under :class:`Limits`.

    Every step — starting, loading the model, running an example — has a wall-clock deadline,
    after which the process is killed; the process sets its own address-space and CPU limits. A
    step that does not complete raises :class:`_Stopped`; a run after the process ended starts a
    new one. Nothing the process writes to standard error reaches the terminal: the last
    :data:`STDERR_KEPT` bytes are kept, and their last line is quoted (by the caller's escaping
    writer) when the process ends abnormally."""

    def __init__(self, model_path: Path, limits: Limits):
        self.model, self.limits = model_path, limits
        self.proc = None
        self.input_names: list = []
        self.output_names: list = []
        self._stderr = b""

    # --- steps -----------------------------------------------------------------------------
    def start(self) -> None:
        """Start the process and load the model: :class:`_Stopped` if that fails."""
        self._stderr = b""
        try:
            self.proc = subprocess.Popen(_child_argv(), stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                         stderr=subprocess.PIPE, close_fds=True)
        except OSError as exc:  # no process could be started (EAGAIN, EMFILE, ENOMEM)
            raise _Stopped("start-failed", True, reason=exc.strerror or type(exc).__name__) from None
        for stream in (self.proc.stdin, self.proc.stdout, self.proc.stderr):
            os.set_blocking(stream.fileno(), False)
        # absolute but not resolved: ONNX Runtime looks for external data next to the path it is given,
        # as _check_external_data did
        config = {"model": os.path.abspath(self.model), "parent": os.getpid(), "memory": self.limits.max_memory,
                  "cpu_seconds": self.limits.cpu_seconds, "max_input_bytes": MAX_ARRAY_BYTES,
                  "max_output_bytes": MAX_OUTPUT_BYTES}
        head, _ = self._exchange(pack(config), START_SECONDS, 0, "start")
        if "started" not in head:
            self.close()
            raise _not_installed()
        head, _ = self._exchange([], self.limits.timeout, 0, "load")
        if "error" in head:
            self.close()
            raise self._error(head, "load")
        names = [head.get("inputs"), head.get("outputs")]
        if not all(isinstance(n, list) and all(isinstance(x, str) for x in n) for n in names):
            raise self._malformed()
        self.input_names, self.output_names = names

    def run(self, feeds: dict) -> dict:
        """The outputs of one run by name (a numeric array, or None for an output that is not one);
        the process is started first if it is not running."""
        if self.proc is None:
            self.start()
        arrays = {name: contiguous(_np(), a) for name, a in feeds.items()}
        specs = [{"name": n, "dtype": a.dtype.str, "shape": list(a.shape)} for n, a in arrays.items()]
        head, data = self._exchange(pack({"arrays": specs}, arrays.values()), self.limits.timeout,
                                    MAX_OUTPUT_BYTES, "run")
        if "error" in head:
            raise self._error(head, "run")
        return self._outputs(head, data)

    def close(self) -> None:
        """Kill the process (if it still runs) and collect it."""
        proc, self.proc = self.proc, None
        if proc is not None:
            if proc.poll() is None:
                proc.kill()
            proc.wait()
            for stream in (proc.stdin, proc.stdout, proc.stderr):
                try:
                    stream.close()
                except OSError:
                    pass

    # --- talking to the process -------------------------------------------------------------
    def _exchange(self, frames: list, seconds: float, max_data: int, step: str) -> tuple[dict, bytearray]:
        """Send ``frames`` and read one reply within ``seconds`` (the process is killed after that):
        (head, data), the data at most ``max_data`` bytes."""
        proc = self.proc
        deadline = time.monotonic() + seconds
        pending = deque(memoryview(f).cast("B") for f in frames if len(f))
        reply = _Reply(max_data)
        with selectors.DefaultSelector() as sel:
            if pending:
                sel.register(proc.stdin, selectors.EVENT_WRITE)
            sel.register(proc.stdout, selectors.EVENT_READ)
            sel.register(proc.stderr, selectors.EVENT_READ)
            while not reply.done:
                left = deadline - time.monotonic()
                if left <= 0:
                    self.close()
                    raise self._timed_out(step)
                for key, _ in sel.select(left):
                    if key.fileobj is proc.stdin:
                        if not self._write(pending):
                            sel.unregister(proc.stdin)
                    elif key.fileobj is proc.stderr:
                        chunk = _read(proc.stderr, 1 << 16)
                        if chunk == b"":
                            sel.unregister(proc.stderr)
                        elif chunk:
                            self._stderr = (self._stderr + chunk)[-STDERR_KEPT:]
                    else:
                        try:
                            more = reply.feed(proc.stdout)
                        except ValueError:
                            raise self._malformed() from None
                        if not more:  # the process closed its end: it has ended
                            raise self._ended()
        try:
            return json.loads(reply.head), reply.data
        except ValueError:
            raise self._malformed() from None

    def _write(self, pending: deque) -> bool:
        """Write what the pipe takes of ``pending``; False once all of it is written (or the process
        no longer reads, which its reply or its end will tell)."""
        try:
            n = os.write(self.proc.stdin.fileno(), pending[0][:1 << 20])
        except BlockingIOError:
            return True
        except (BrokenPipeError, ConnectionResetError):
            pending.clear()
            return False
        pending[0] = pending[0][n:]
        if not pending[0]:
            pending.popleft()
        return bool(pending)

    def _outputs(self, head: dict, data: bytearray) -> dict:
        """The arrays a reply describes, as views into its data, each checked against the reply's
        description (a malformed reply stops the process)."""
        np = _np()
        described = head.get("outputs")
        if not isinstance(described, list) or len(described) != len(self.output_names):
            raise self._malformed()
        produced, pos = {}, 0
        for name, spec in zip(self.output_names, described):
            if not isinstance(spec, dict) or spec.get("name") != name:
                raise self._malformed()
            if spec.get("dtype") is None:
                produced[name] = None
                continue
            dims = spec.get("shape")
            if not (isinstance(spec["dtype"], str) and _DTYPE_STR.fullmatch(spec["dtype"]) and isinstance(dims, list)
                    and all(type(d) is int and d >= 0 for d in dims)):
                raise self._malformed()
            dtype = np.dtype(spec["dtype"])
            count = math.prod(dims)
            if pos + count * dtype.itemsize > len(data):
                raise self._malformed()
            produced[name] = np.frombuffer(data, dtype=dtype, count=count, offset=pos).reshape(dims)
            pos += count * dtype.itemsize
        if pos != len(data):
            raise self._malformed()
        return produced

    # --- what went wrong --------------------------------------------------------------------
    def _error(self, head: dict, step: str) -> _Stopped:
        """A reply that reports an error: ONNX Runtime's message, or a limit that was reached."""
        reason = first_line(head["error"]) if head.get("error") is not None else ""
        if isinstance(head.get("over"), int):
            return _Stopped("outputs-too-large", True, size=head["over"], limit=MAX_OUTPUT_BYTES)
        if head.get("memory"):
            return _Stopped("memory", True, mib=self.limits.max_memory / (1 << 20), reason=reason)
        if step == "load":
            return _Stopped("load-failed", False, file=self.model.name, reason=reason)
        return _Stopped("run-failed", False, reason=reason)

    def _timed_out(self, step: str) -> _Stopped:
        if step == "start":
            return _Stopped("start-timeout", True, seconds=START_SECONDS)
        if step == "load":
            return _Stopped("load-timeout", True, file=self.model.name, seconds=self.limits.timeout)
        return _Stopped("run-timeout", True, seconds=self.limits.timeout)

    def _ended(self) -> _Stopped:
        """The process ended without a reply: by which signal or with which status, and the last
        line it wrote to standard error."""
        proc = self.proc
        try:
            code = proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            code = None
        for _ in range(64):  # what it wrote last and was not read yet (the pipe holds 64 KiB)
            chunk = _read(proc.stderr, 1 << 16)
            if not chunk:
                break
            self._stderr = (self._stderr + chunk)[-STDERR_KEPT:]
        self.close()
        if code is None:
            how, params = "not-ended", {}
        elif code < 0:
            how = _SIGNAL_WORDS.get(-code, "signal")
            params = {"signal": _signal_name(-code)} if how == "signal" else {}
        else:
            how, params = "status", {"status": code}
        lines = [ln for ln in self._stderr.decode("utf-8", "replace").splitlines() if ln.strip()]
        last = first_line(lines[-1]) if lines else ""
        return _Stopped(f"ended:{how}" + (":last" if last else ""), True, **params, **({"last": last} if last else {}))

    def _malformed(self) -> _Stopped:
        self.close()
        return _Stopped("malformed", True)


class _Reply:
    """One frame read from a pipe as it arrives, into a buffer of the size its header gives (the
    data part at most ``max_data`` bytes, else ValueError): ``head`` (bytes) and ``data`` (a view)
    once ``done``."""

    def __init__(self, max_data: int):
        self.max_data = max_data
        self.buf, self.pos = bytearray(HEADER.size), 0
        self.head_len = None
        self.head = self.data = None
        self.done = False

    def feed(self, pipe) -> bool:
        """Read what ``pipe`` has now; False at its end."""
        try:
            n = os.readv(pipe.fileno(), [memoryview(self.buf)[self.pos:]])
        except BlockingIOError:
            return True
        if n == 0:
            return False
        self.pos += n
        if self.pos == len(self.buf) and self.head_len is None:
            self.head_len, data_len = HEADER.unpack(self.buf)
            if self.head_len > MAX_HEAD or data_len > self.max_data:
                raise ValueError("frame over its limits")
            self.buf, self.pos = bytearray(self.head_len + data_len), 0
        if self.pos == len(self.buf) and self.head_len is not None:
            self.head = bytes(self.buf[:self.head_len])
            self.data = memoryview(self.buf)[self.head_len:]
            self.done = True
        return True


def _read(pipe, n: int) -> bytes | None:
    """Up to ``n`` bytes that a non-blocking ``pipe`` holds now: b"" at its end, None if none yet."""
    try:
        return os.read(pipe.fileno(), n)
    except BlockingIOError:
        return None


@dataclass
class _Run:
    """What every example of one run shares."""
    np: object
    session: object
    card: dict
    folder: Path
    input_names: list
    output_names: list
    declared_in: dict
    declared_out: dict
    ranges: dict


def verify(card: dict, card_path: Path, model_path: Path, out_dir: Path | None,
           force: bool = False, limits: Limits | None = None) -> list[ExampleResult]:
    """Run every example; save the outputs to ``out_dir`` (None: not saved) under the output policy,
    replacing existing files only with ``force``. The model runs in a child process under
    ``limits`` (default :class:`Limits`). Raises :class:`VerifyError` if the run cannot start (the
    card declares no examples: before the model is read) and :class:`.safewrite.OutputError`
    (before anything runs) if an output may not be written."""
    if not _examples(card):
        raise VerifyError("verify.examples", where=str(card_path))
    targets = output_targets(card, card_path, model_path, out_dir, force) if out_dir is not None else None
    inputs = _inputs(card, card_path, model_path)
    np = _np()
    import importlib.util

    if importlib.util.find_spec("onnxruntime") is None:
        raise _not_installed()
    if os.name != "posix":
        raise VerifyError("verify.unavailable", "not-posix")
    _check_external_data(model_path)
    session = _Session(model_path, limits or Limits())
    try:
        session.start()  # a _Stopped here is the VerifyError of the run
        run = _Run(np, session, card, card_path.parent, session.input_names, session.output_names,
                   _declared_nodes(card, "input_nodes"), _declared_nodes(card, "output_nodes"), _value_ranges(card))
        return [_verify_example(run, position, i, ex, targets, out_dir, inputs, force)
                for position, (i, ex) in enumerate(_examples(card))]
    finally:
        session.close()


def _verify_example(run: _Run, position: int, i: int, ex: dict, targets, out_dir, inputs, force) -> ExampleResult:
    """Run, compare and save one example."""
    np = run.np
    res = ExampleResult(_example_name(i, ex), f"/input_output/examples/{i}")
    produced = _run_example(run, ex, res)
    if produced is None:
        return res
    if targets is not None:
        safewrite.prepare_folder(out_dir)
        safewrite.write_file(targets[position], _outputs_npz(np, produced), inputs, force)
        res.saved = str(targets[position])
        for o in res.outputs:
            if o.name in produced:
                o.sha256 = hashlib.sha256(np.ascontiguousarray(produced[o.name]).tobytes()).hexdigest()
    if not res.problems and not any(o.problems for o in res.outputs):
        res.status = "reproduces"
    return res


def _check_external_data(model_path: Path) -> None:
    """Refuse (VerifyError) a model that the inspection reader cannot read, or whose tensors keep
    their data in files it does not accept (outside the model's folder, through "..", not regular
    files, too short): checked here, before ONNX Runtime opens anything, whatever its own checks."""
    try:
        refs = onnx_external_data(model_path)
    except ModelFileError as exc:
        raise VerifyError("verify.model", "unreadable", file=model_path.name, **exc.as_cause()) from None
    except OSError as exc:
        raise VerifyError("verify.model", "os-error", file=model_path.name, reason=exc.strerror or str(exc)) from None
    refused = [ref for ref in refs if ref.problem]
    if refused:
        problem = external_problem(refused[0])
        raise VerifyError("verify.model", "external-data-more" if len(refused) > 1 else "external-data",
                          file=model_path.name, problem=problem.message, problem_zh=problem.message_zh,
                          tensor=printable_name(refused[0].name), more=len(refused) - 1)


def _example_arrays(run: _Run, ev_id, label: tuple[str, str], used: int, check):
    """(arrays, problem) of an example's input or expected-output evidence: at most what ``used``
    bytes leave of MAX_ARRAY_BYTES, every header asked ``check(name, shape)`` before its data is read."""
    raw, problem = _evidence_file(run.card, run.folder, ev_id, label)
    if problem:
        return None, problem
    try:
        return _load_arrays(run.np, raw, used, check), None
    except ShapeRefused as exc:
        return None, (exc.en, exc.zh)
    except ArrayRefused as exc:
        return None, (f"cannot read the example arrays: {exc.en}", f"无法读取示例数组：{exc.zh}")
    except Exception as exc:  # numpy and zipfile raise ValueError/EOFError/BadZipFile/... for bad files
        reason = first_line(exc, type(exc).__name__)
        return None, (f"cannot read the example arrays: {reason}", f"无法读取示例数组：{reason}")


def _run_example(run: _Run, ex: dict, res: ExampleResult) -> dict | None:
    """Read, run and compare one example into ``res``; the produced outputs by name, or None if the
    model did not run. The input and expected arrays together hold at most MAX_ARRAY_BYTES, and an
    input array whose header does not fit its declared node is refused before its data is read."""
    np, env = run.np, {}
    single_input = run.input_names[0] if len(run.input_names) == 1 else None

    def input_fits(name, shape):
        name = name or single_input
        return _shape_problem(("input", "输入"), name, run.declared_in.get(name), shape, env)

    arrays, problem = _example_arrays(run, ex.get("input"), ("input", "输入"), 0, input_fits)
    if problem:
        res.problems.append(problem)
        return None
    used = sum(a.nbytes for a in arrays.values())
    expected, problem = _example_arrays(run, ex.get("expected_output"), ("expected output", "预期输出"), used, None)
    if problem:
        res.problems.append(problem)
        return None
    if "" in arrays:
        if single_input is None:
            res.problems.append((f"the input is one .npy array but the model has {len(run.input_names)} inputs; use .npz with one array per input name",
                                 f"输入是单个 .npy 数组，但模型有 {len(run.input_names)} 个输入；请用 .npz 为每个输入名各存一个数组"))
            return None
        arrays = {single_input: arrays[""]}
    missing = [n for n in run.input_names if n not in arrays]
    if missing:
        res.problems.append((f"no array for model input(s) {', '.join(missing)}", f"缺少模型输入 {', '.join(missing)} 的数组"))
        return None
    if "" in expected:
        expected = {run.output_names[0]: expected[""]}
    try:
        produced = run.session.run({n: arrays[n] for n in run.input_names})
    except _Stopped as exc:
        res.problems.append((exc.message, exc.message_zh))
        res.over_limit = exc.limit
        return None
    del arrays
    res.status = "runs"
    tolerance, unusable = _tolerances(ex.get("tolerance") if isinstance(ex.get("tolerance"), dict) else {})
    if unusable:
        res.problems.append(unusable)
    for name in run.output_names:
        arr = produced[name]
        if not isinstance(arr, np.ndarray) or arr.dtype.kind not in "biuf":  # a string tensor, a sequence or a map
            del produced[name]
            res.outputs.append(OutputCheck(name, [], problems=[(
                f"output {name!r} is not a numeric array, so it was neither checked nor saved",
                f"输出 {name!r} 不是数值数组，未核验也未保存")]))
            continue
        check = OutputCheck(name, list(arr.shape))
        res.outputs.append(check)
        problem = _shape_problem(("output", "输出"), name, run.declared_out.get(name), arr.shape, env)
        if problem:
            check.problems.append(problem)
        vr = run.ranges.get(name)
        if vr and arr.size and np.issubdtype(arr.dtype, np.number):
            lo, hi = float(np.nanmin(arr)), float(np.nanmax(arr))
            if (isinstance(vr.get("minimum"), (int, float)) and lo < vr["minimum"]) or \
                    (isinstance(vr.get("maximum"), (int, float)) and hi > vr["maximum"]):
                check.problems.append((f"output {name!r} spans [{lo:.6g}, {hi:.6g}], outside the declared range [{vr.get('minimum')}, {vr.get('maximum')}]",
                                       f"输出 {name!r} 的取值范围为 [{lo:.6g}, {hi:.6g}]，超出声明的范围 [{vr.get('minimum')}, {vr.get('maximum')}]"))
        if name in expected and not unusable:
            _compare(np, name, arr, expected[name], tolerance, check)
    unknown = sorted(set(expected) - set(run.output_names))
    if unknown:
        res.problems.append((f"expected arrays {', '.join(unknown)} name no model output",
                             f"预期数组 {', '.join(unknown)} 不对应任何模型输出"))
    if not any(o.name in expected for o in res.outputs):
        res.problems.append(("no expected array matches a model output, so nothing was compared",
                             "没有预期数组与模型输出对应，未作任何比对"))
    return produced


def _outputs_npz(np, arrays: dict) -> bytes:
    """The produced outputs as an ``.npz`` with members in name order, stored, at a fixed date: the
    same outputs always give the same bytes."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_STORED) as archive:
        for name in sorted(arrays):
            with archive.open(zipfile.ZipInfo(f"{name}.npy", date_time=(1980, 1, 1, 0, 0, 0)), "w") as fh:
                np.lib.format.write_array(fh, np.asanyarray(arrays[name]), allow_pickle=False)
    return out.getvalue()


def evidence_fragment(results: list[ExampleResult], model_name: str, model_sha256: str, card_dir: Path) -> dict:
    """Evidence entries and provenance (``measured``) for the saved outputs, to paste into the card."""
    evidence, provenance = [], []
    for res in results:
        if not res.saved:
            continue
        path = Path(res.saved)
        try:
            rel = path.resolve().relative_to(card_dir.resolve()).as_posix()
        except ValueError:
            rel = path.as_posix()
        ev_id = f"ev-verify-{path.name[:-len(OUTPUT_SUFFIX)]}"
        evidence.append({"id": ev_id, "title": f"Outputs of {model_name} on example {res.name} ({res.status})",
                         "kind": "example_output", "path": rel, "sha256": sha256_file(path), "supports": ["MCS-IO-05"]})
        provenance.append({"pointer": f"/evidence/{ev_id}", "origin": "measured",
                           "source": f"modelcard-spec verify {__version__}, {model_name}", "source_sha256": model_sha256})
    return {"evidence": evidence, "provenance": provenance}


def to_json(results: list[ExampleResult], fragment: dict, model: str) -> str:
    return json.dumps({"tool": {"name": "modelcard-spec", "version": __version__}, "model": model,
                       "examples": [r.to_dict() for r in results], "card_fragment": fragment},
                      ensure_ascii=False, indent=2, sort_keys=True) + "\n"


def to_text(results: list[ExampleResult], lang: str = "en") -> str:
    zh = lang == "zh"
    labels = {"reproduces": "复现", "runs": "可运行但未复现", "fails": "失败"}
    lines = []
    for r in results:
        status = labels[r.status] if zh else r.status
        lines.append(f"{r.name}: {status} ({r.pointer})")
        for en, zh_msg in r.problems:
            lines.append(f"  - {zh_msg if zh else en}")
        for o in r.outputs:
            head = f"  {o.name} {o.shape}: "
            if o.compared:
                head += (f"{o.mismatched}/{o.compared} 个元素超出容差，最大差值 {o.max_abs_diff:.3g}" if zh else
                         f"{o.mismatched}/{o.compared} elements outside tolerance, max |diff| {o.max_abs_diff:.3g}")
            else:
                head += "未比对" if zh else "not compared"
            lines.append(head)
            for w in o.worst if o.mismatched else []:
                lines.append(f"      at {w['index']}: produced {w['produced']:.7g}, expected {w['expected']:.7g}")
            for en, zh_msg in o.problems:
                lines.append(f"    - {zh_msg if zh else en}")
        if r.saved:
            lines.append(f"  {'输出已保存至' if zh else 'outputs saved to'} {r.saved}")
    counts = {s: sum(1 for r in results if r.status == s) for s in ("reproduces", "runs", "fails")}
    if zh:
        lines.append(f"{len(results)} 个示例：{counts['reproduces']} 个复现，{counts['runs']} 个可运行但未复现，{counts['fails']} 个失败。")
    else:
        lines.append(f"{len(results)} example(s): {counts['reproduces']} reproduce, {counts['runs']} run but differ, {counts['fails']} fail.")
    return "\n".join(lines) + "\n"
