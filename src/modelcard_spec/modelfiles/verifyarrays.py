"""The arrays of an input/output example of ``verify``: its evidence files, read under limits, and
the arrays they hold, mapped onto the model's inputs.

Evidence files are found by the same containment rule as ``validate`` (:func:`..spec.evidence.evidence_bytes`:
relative, inside the card's folder, a regular file), read once, and their SHA-256 checked on the
bytes that are then used. Arrays are parsed without pickle and within a size limit
(:data:`MAX_ARRAY_BYTES` for the input and expected output of one example together): every
``.npy`` header's shape x dtype, and every ``.npz`` member's declared uncompressed size, is checked
against it before any data is read or inflated, every input header's shape against its declared
node (the caller's check, binding symbols such as ``batch``), and only numeric and boolean arrays
are accepted.

What keeps an example from running is a diagnostic (:class:`..spec.diagnostics.Issue`) of a
registered check: ``verify.evidence`` (the file), ``verify.arrays`` (its arrays) or
``verify.inputs`` (the arrays against the model's inputs).
"""

from __future__ import annotations

import hashlib
import io
import math
import zipfile
from pathlib import Path

from ..spec.diagnostics import DiagnosticError, Issue, diagnostic
from ..spec.evidence import EvidenceError, evidence_bytes
from ..spec.registry import Check, register
from ._onnxchild import first_line

# Most array data (decoded) the input and expected output of one example may declare together;
# see the README for what it leaves for ONNX Runtime.
MAX_ARRAY_BYTES = 16 << 20
MAX_FILE_BYTES = MAX_ARRAY_BYTES + (1 << 20)  # an example file: its arrays, their headers and the zip structure
MAX_NPZ_MEMBERS = 1024
NPY_HEADER_BYTES = 65_546  # the longest header of a version 1.0 .npy file (magic, length, text)

# The evidence an example names (``role``: "input" or "expected-output") and what is wrong with it.
_ROLES = {"input": ("input", "输入"), "expected-output": ("expected output", "预期输出")}
_EVIDENCE = {
    "not-listed": (" evidence {evidence!r} is not in the card's evidence list", "证据 {evidence!r} 不在模型卡的证据列表中"),
    "no-path": (" evidence {evidence!r} has no local path to run on", "证据 {evidence!r} 没有可供运行的本地路径"),
    "unreadable": (" file '{file}' {reason}", "文件“{file}”{reason_zh}"),
    "sha256": (" file '{file}' has SHA-256 {sha256}, the card declares {declared}",
               "文件“{file}”的 SHA-256 为 {sha256}，模型卡声明为 {declared}"),
}
register(Check("verify.evidence", "error", "The input and the expected output of an example are local files as declared",
               "示例的输入和预期输出是与声明一致的本地文件",
               {f"{role}:{problem}": (word + en, word_zh + zh) for role, (word, word_zh) in _ROLES.items()
                for problem, (en, zh) in _EVIDENCE.items()}, scope="command"))

# The limit of one example's arrays, and what the arrays read before took of it.
_OVER = ("over the limit of {limit:,} bytes for the arrays of one example (input and expected output together)",
         "超过上限 {limit:,} 字节（一个示例的输入与预期输出数组合计）")
_OVER_AFTER = ("over the limit of {limit:,} bytes for the arrays of one example (input and expected output together), "
               "of which the arrays read before hold {used:,}",
               "超过上限 {limit:,} 字节（一个示例的输入与预期输出数组合计，其中此前读取的数组已占 {used:,} 字节）")
_ARRAYS = {
    "npy-version": (".npy format version {major}.{minor} is not read", "不读取 .npy 格式版本 {major}.{minor}"),
    "dtype": ("an array has dtype {dtype}; only numeric and boolean arrays are read",
              "数组的数据类型为 {dtype}；只读取数值和布尔数组"),
    "negative-dimension": ("an array declares a negative dimension {shape!s}", "数组声明的维度 {shape!s} 中有负数"),
    "short": ("an array holds less data than its header declares", "数组的数据少于其头部声明的数量"),
    "not-an-array-file": ("the file is neither a .npy array nor a .npz archive", "该文件既不是 .npy 数组也不是 .npz 归档"),
    "members": ("the archive has {members:,} members, over this tool's limit of {limit:,}",
                "归档中有 {members:,} 个成员，超过本工具对归档成员数的上限（{limit:,} 个）"),
    "member-not-npy": ("archive member {member!r} is not a .npy array", "归档成员 {member!r} 不是 .npy 数组"),
    "unreadable": ("{detail}", "{detail}"),  # what numpy or zipfile said (ValueError, EOFError, BadZipFile, ...)
    **{f"array-size{after}": ("an array declares shape {shape!s} of {dtype}, {size:,} bytes, " + over[0],
                              "数组声明的形状为 {shape!s}（{dtype}），共 {size:,} 字节，" + over[1])
       for after, over in (("", _OVER), ("-after", _OVER_AFTER))},
    **{f"archive-size{after}": ("the archive declares {size:,} bytes uncompressed, " + over[0],
                                "归档声明的解压后大小为 {size:,} 字节，" + over[1])
       for after, over in (("", _OVER), ("-after", _OVER_AFTER))},
}
register(Check("verify.arrays", "error", "The arrays of an example can be read within this tool's limits",
               "示例的数组可在本工具的限制内读取",
               {variant: ("cannot read the example arrays: " + en, "无法读取示例数组：" + zh)
                for variant, (en, zh) in _ARRAYS.items()}, scope="command"))

register(Check("verify.inputs", "error", "An example holds one array for each input of the model",
               "示例为模型的每个输入各提供一个数组", {
    "one-npy": ("the input is one .npy array but the model has {inputs} inputs; use .npz with one array per input name",
                "输入是单个 .npy 数组，但模型有 {inputs} 个输入；请用 .npz 为每个输入名各存一个数组"),
    "missing": ("no array for model input(s) {names}", "缺少模型输入 {names} 的数组"),
}, scope="command"))


class ArrayRefused(DiagnosticError):
    """An example array file that is not read: a variant of ``verify.arrays``."""

    def __init__(self, variant: str, **params):
        super().__init__("verify.arrays", variant, **params)


class ShapeRefused(Exception):
    """An example array whose header shape does not fit its declared node: not read, let alone
    inflated; ``issue`` is what the caller's check said."""

    def __init__(self, issue: Issue):
        super().__init__(issue.message)
        self.issue = issue


def _over_limit(variant: str, used: int, **params) -> ArrayRefused:
    """An array-data limit that was passed, when the arrays read before for the same example hold
    ``used`` bytes."""
    if used:
        return ArrayRefused(f"{variant}-after", limit=MAX_ARRAY_BYTES, used=used, **params)
    return ArrayRefused(variant, limit=MAX_ARRAY_BYTES, **params)


def _read_npy(np, fh, used: int = 0, check=None, raw: bytes | None = None):
    """One ``.npy`` array from ``fh``, whose header is checked before its data is read: numeric or
    boolean dtype, shape x itemsize within what ``used`` leaves of MAX_ARRAY_BYTES, and
    ``check(shape)`` (an issue, or None) passed. ``raw``: the bytes ``fh`` reads, used in place
    instead of copied."""
    fmt = np.lib.format
    version = fmt.read_magic(fh)
    if version == (1, 0):
        shape, fortran, dtype = fmt.read_array_header_1_0(fh)
    elif version == (2, 0):
        shape, fortran, dtype = fmt.read_array_header_2_0(fh)
    else:
        raise ArrayRefused("npy-version", major=version[0], minor=version[1])
    if dtype.hasobject or dtype.kind not in "biuf":
        raise ArrayRefused("dtype", dtype=str(dtype))
    if any(d < 0 for d in shape):
        raise ArrayRefused("negative-dimension", shape=list(shape))
    count = math.prod(shape)
    nbytes = count * dtype.itemsize
    if nbytes > MAX_ARRAY_BYTES - used:
        raise _over_limit("array-size", used, shape=list(shape), dtype=str(dtype), size=nbytes)
    problem = check(shape) if check else None
    if problem:
        raise ShapeRefused(problem)
    if raw is not None:
        if len(raw) - fh.tell() < nbytes:
            raise ArrayRefused("short")
        array = np.frombuffer(raw, dtype=dtype, count=count, offset=fh.tell())
    else:
        data = fh.read(nbytes)
        if len(data) != nbytes:
            raise ArrayRefused("short")
        array = np.frombuffer(data, dtype=dtype, count=count)
    return array.reshape(shape[::-1]).transpose() if fortran else array.reshape(shape)


def _load_arrays(np, raw: bytes, used: int = 0, check=None) -> dict:
    """The arrays of an example file (``.npy``: one array under the name ""; ``.npz``: by member
    name), holding at most what ``used`` bytes leave of MAX_ARRAY_BYTES, checked before anything
    is inflated; ``check(name, shape)`` (an issue, or None) is asked about each array's header
    before its data is read."""
    def fits(name):
        return (lambda shape: check(name, shape)) if check else None

    if raw.startswith(b"\x93NUMPY"):
        return {"": _read_npy(np, io.BytesIO(raw), used, fits(""), raw)}
    if not raw.startswith(b"PK"):
        raise ArrayRefused("not-an-array-file")
    with zipfile.ZipFile(io.BytesIO(raw)) as archive:
        members = archive.infolist()
        if len(members) > MAX_NPZ_MEMBERS:
            raise ArrayRefused("members", members=len(members), limit=MAX_NPZ_MEMBERS)
        declared = sum(m.file_size for m in members)
        if declared > MAX_ARRAY_BYTES - used + NPY_HEADER_BYTES * len(members):
            raise _over_limit("archive-size", used, size=declared)
        arrays = {}
        for member in members:
            if not member.filename.endswith(".npy"):
                raise ArrayRefused("member-not-npy", member=member.filename)
            with archive.open(member) as fh:
                array = arrays[member.filename[:-4]] = _read_npy(np, fh, used, fits(member.filename[:-4]))
            used += array.nbytes
        return arrays


def _evidence_file(card: dict, folder: Path, ev_id, role: str) -> tuple[bytes | None, Issue | None]:
    """(content, problem) for an evidence id, the example's ``role`` ("input" or "expected-output");
    problem is a ``verify.evidence`` issue or None.

    The file is found by the same containment rule as ``validate``, read once, and its SHA-256
    checked on the bytes returned."""
    items = card.get("evidence") if isinstance(card.get("evidence"), list) else []
    ev = next((e for e in items if isinstance(e, dict) and e.get("id") == ev_id), None)
    if ev is None:
        return None, diagnostic("verify.evidence", variant=f"{role}:not-listed", role=role, evidence=ev_id)
    rel = ev.get("path")
    if not isinstance(rel, str):
        return None, diagnostic("verify.evidence", variant=f"{role}:no-path", role=role, evidence=ev_id)
    try:
        raw = evidence_bytes(folder, rel, MAX_FILE_BYTES)
    except EvidenceError as exc:
        return None, diagnostic("verify.evidence", variant=f"{role}:unreadable", role=role, file=rel, reason=exc.reason,
                                reason_zh=exc.reason_zh)
    digest = hashlib.sha256(raw).hexdigest()
    if isinstance(ev.get("sha256"), str) and ev["sha256"] != digest:
        return None, diagnostic("verify.evidence", variant=f"{role}:sha256", role=role, file=rel, sha256=digest,
                                declared=ev["sha256"])
    return raw, None


def example_arrays(np, card: dict, folder: Path, ev_id, role: str, used: int = 0,
                   check=None) -> tuple[dict | None, Issue | None]:
    """(arrays, problem) of an example's input or expected-output evidence (``role``), the card's
    folder ``folder``: at most what ``used`` bytes leave of MAX_ARRAY_BYTES, every header asked
    ``check(name, shape)`` (an issue, or None) before its data is read."""
    raw, problem = _evidence_file(card, folder, ev_id, role)
    if problem:
        return None, problem
    try:
        return _load_arrays(np, raw, used, check), None
    except ShapeRefused as exc:
        return None, exc.issue
    except ArrayRefused as exc:
        return None, exc.issue
    except Exception as exc:  # numpy and zipfile raise ValueError/EOFError/BadZipFile/... for bad files
        return None, diagnostic("verify.arrays", variant="unreadable", detail=first_line(exc, type(exc).__name__))


def model_feeds(arrays: dict, input_names: list) -> tuple[dict | None, Issue | None]:
    """(feeds, problem): the example's input arrays by the model's input names (a single ``.npy``
    array feeds a model of one input), or the ``verify.inputs`` issue why they cannot be fed."""
    if "" in arrays:
        if len(input_names) != 1:
            return None, diagnostic("verify.inputs", variant="one-npy", inputs=len(input_names))
        arrays = {input_names[0]: arrays[""]}
    missing = [n for n in input_names if n not in arrays]
    if missing:
        return None, diagnostic("verify.inputs", variant="missing", names=missing)
    return {n: arrays[n] for n in input_names}, None
