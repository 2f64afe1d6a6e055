"""Scan pickle streams without unpickling them.

A pickle is a small program: its GLOBAL / STACK_GLOBAL / INST opcodes import any callable and REDUCE
calls it, so loading an untrusted ``.pt``/``.pth``/``.bin``/``.ckpt``/``.pkl`` file can run any code.
This module never calls :mod:`pickle`'s loader. It reads the opcode stream itself (the opcode table
is :mod:`pickletools`') and runs a *symbolic* stack machine in which every import becomes an inert
:class:`Global` and every call an inert :class:`Call`. That gives

* every imported global, classified against an allow-list of what PyTorch's and NumPy's own
  serialisation needs (the tensor-rebuild functions, storage types, ``OrderedDict``, NumPy array
  reconstruction, ...); anything else is a critical finding;
* the tensors a PyTorch checkpoint holds (``_rebuild_tensor_v2(storage, offset, size, ...)``
  with the storage's dtype from its persistent id), so parameters can be counted without torch.

Nothing in the file is trusted: payloads longer than :data:`KEEP_BYTES` are skipped, never read, and
a length that runs past the end of the data is an error; every cost (bytes, opcodes, memo entries,
nesting, objects walked, time) is charged to one :class:`Budget` per model file; dict keys that are
not scalars are never hashed or printed, and no walk recurses.
"""

from __future__ import annotations

import codecs
import dataclasses
import io
import pickletools
import re
import struct
import time
from dataclasses import dataclass, field

from ..spec.textsafe import encodable

# What PyTorch's weights-only unpickler and NumPy's array pickling need, and nothing that can reach
# the file system, processes, the network or the interpreter.
_TORCH_REBUILD = {
    "_rebuild_tensor", "_rebuild_tensor_v2", "_rebuild_tensor_v3", "_rebuild_parameter",
    "_rebuild_parameter_with_state", "_rebuild_qtensor", "_rebuild_sparse_tensor",
    "_rebuild_device_tensor_from_numpy", "_rebuild_meta_tensor_no_storage",
    "_rebuild_wrapper_subclass", "_rebuild_nested_tensor", "_rebuild_device_tensor_from_cpu_tensor",
}
STORAGE_DTYPES = {
    "FloatStorage": "float32", "DoubleStorage": "float64", "HalfStorage": "float16",
    "BFloat16Storage": "bfloat16", "LongStorage": "int64", "IntStorage": "int32",
    "ShortStorage": "int16", "CharStorage": "int8", "ByteStorage": "uint8", "BoolStorage": "bool",
    "ComplexFloatStorage": "complex64", "ComplexDoubleStorage": "complex128",
    "QInt8Storage": "qint8", "QUInt8Storage": "quint8", "QInt32Storage": "qint32",
}
_TORCH_DTYPES = {
    "float32", "float", "float64", "double", "float16", "half", "bfloat16", "int64", "long",
    "int32", "int", "int16", "short", "int8", "uint8", "bool", "complex64", "complex128",
    "qint8", "quint8", "qint32", "float8_e4m3fn", "float8_e5m2",
}
ALLOWED: dict[str, set[str]] = {
    "collections": {"OrderedDict", "defaultdict", "Counter"},
    "torch._utils": _TORCH_REBUILD,
    "torch": set(STORAGE_DTYPES) | _TORCH_DTYPES | {"Size", "device", "dtype", "UntypedStorage",
                                                    "per_tensor_affine", "per_channel_affine",
                                                    "contiguous_format", "channels_last", "strided"},
    "torch._tensor": {"_rebuild_from_type_v2"},
    "torch.nn.parameter": {"Parameter"},
    "torch.serialization": {"_get_layout"},
    "numpy.core.multiarray": {"_reconstruct", "scalar"},
    "numpy._core.multiarray": {"_reconstruct", "scalar"},
    "numpy": {"ndarray", "dtype"},
    "numpy.dtypes": {"Float32DType", "Float64DType", "Float16DType", "Int64DType", "Int32DType",
                     "Int16DType", "Int8DType", "UInt8DType", "BoolDType"},
    "_codecs": {"encode"},
    "copyreg": {"_reconstructor"},
    "builtins": {"set", "frozenset", "bytearray", "bytes", "slice", "complex", "tuple", "list",
                 "dict", "int", "float", "str", "bool", "object"},
    "__builtin__": {"set", "frozenset", "bytearray", "slice", "complex", "object"},
}
# Modules whose import alone is enough to name the finding "known dangerous" in messages.
DANGEROUS_MODULES = {
    "os", "posix", "nt", "subprocess", "sys", "socket", "shutil", "runpy", "importlib", "pickle",
    "_pickle", "marshal", "types", "ctypes", "pty", "webbrowser", "code", "codeop", "pdb", "timeit",
    "asyncio", "multiprocessing", "urllib", "http", "requests", "ftplib", "smtplib", "telnetlib",
    "tempfile", "glob", "pathlib", "io", "_io", "signal", "threading", "bdb", "cProfile", "profile",
    "torch.storage", "torch.hub", "dill", "commands", "popen2", "cPickle", "__main__",
}
DANGEROUS_BUILTINS = {
    "eval", "exec", "compile", "open", "__import__", "getattr", "setattr", "delattr", "globals",
    "locals", "vars", "input", "breakpoint", "help", "memoryview", "exit", "quit", "apply",
    "execfile", "reload", "file",
}

# --- errors and limits --------------------------------------------------------------------------
# The scanner's own exceptions carry what went wrong as data (a variant and its parameters, a limit
# and its value); the model-file layer turns them into located diagnostics (:func:`.modelinfo.scan_error`)
# of checks whose templates are made from the tables below.

# Why a stream is not a pickle this scanner can follow: variant -> (English, Chinese) templates.
STREAM_PROBLEMS = {
    "truncated": ("the data ends in the middle of an opcode or before its STOP opcode",
                  "数据在某个操作码中途或 STOP 操作码之前结束"),
    "read": ("cannot read the data: {reason}", "无法读取数据：{reason}"),
    "length": ("a length field declares {declared:,} bytes but only {left:,} remain",
               "长度字段声明了 {declared:,} 字节，但其后仅剩 {left:,} 字节"),
    "underflow": ("the opcode stream pops more than it pushed", "操作码流弹出的对象多于压入的对象"),
    "no-mark": ("MARK expected but not found", "缺少所需的 MARK 标记"),
    "text-too-long": ("the text argument of {opcode} is longer than {limit:,} bytes", "{opcode} 的文本参数超过 {limit:,} 字节"),
    "text-not-utf8": ("the text argument of {opcode} is not UTF-8", "{opcode} 的文本参数不是 UTF-8 编码"),
    "invalid-number": ("{opcode} has an invalid number {text!r}", "{opcode} 的数值无效：{text!r}"),
    "string-not-utf8": ("a string is not valid UTF-8", "字符串不是有效的 UTF-8"),
    "memo-unset": ("memo key {key} is read before it is written", "备忘录键 {key} 在写入之前被读取"),
    "memo-unset-long": ("memo key (a long number) is read before it is written", "备忘录键 （一个很长的数） 在写入之前被读取"),
    "unknown-opcode": ("unknown opcode 0x{code:02x}", "未知的操作码 0x{code:02x}"),
    "protocol": ("unsupported pickle protocol {protocol}", "不支持的 pickle 协议 {protocol}"),
    "unhashable-key": ("a dict key is a list, dict or set (or a tuple holding one), which pickle.load refuses",
                       "字典的键是列表、字典或集合（或含有它们的元组），pickle.load 会拒绝"),
    "odd-items": ("odd number of items in a dictionary", "字典的项数为奇数"),
    "stack-global": ("STACK_GLOBAL requires two strings", "STACK_GLOBAL 需要两个字符串"),
    "obj-no-class": ("OBJ without a class", "OBJ 缺少类"),
    "string-unquoted": ("the STRING argument is not quoted", "STRING 的参数未加引号"),
    "string-escape": ("the STRING argument has an invalid escape", "STRING 的参数含无效转义"),
    "unicode-escape": ("the UNICODE argument has an invalid escape", "UNICODE 的参数含无效转义"),
    "negative-length": ("negative length", "长度为负数"),
    "negative-put": ("negative PUT argument", "PUT 的参数为负数"),
}


class PickleError(ValueError):
    """The stream is not a pickle this scanner can follow.

    ``variant`` (a key of :data:`STREAM_PROBLEMS`) and ``params`` say why; ``offset`` is the byte
    offset in the stream where it was found. ``str()`` is the English sentence."""

    def __init__(self, variant: str, offset: int | None = None, **params):
        super().__init__(variant)
        self.variant, self.params, self.offset = variant, params, offset

    def __str__(self) -> str:
        return STREAM_PROBLEMS[self.variant][0].format(**self.params)


class TruncatedError(PickleError):
    """The data ends before the pickle does."""

    def __init__(self):
        super().__init__("truncated")


class ReadError(PickleError):
    """The bytes under the pickle cannot be read (a zip member's CRC, its compressed data): it is
    located at the member, not at an opcode. ``reason``: what the stream raised."""

    def __init__(self, reason: str):
        super().__init__("read", reason=reason)


class LimitExceeded(Exception):
    """Reading the file would cost more than its :class:`Budget` allows: ``kind`` (a key of
    :data:`UNITS`) is the limit, ``limit`` its value."""

    def __init__(self, kind: str, limit: int | float, offset: int | None = None):
        super().__init__(kind)
        self.kind, self.limit, self.offset = kind, limit, offset

    def __str__(self) -> str:
        limit = f"{self.limit:,}" if isinstance(self.limit, int) else f"{self.limit:g}"
        return f"over the limit of {limit} {UNITS[self.kind][0]}"


# What each limit counts, for its message: (English unit, Chinese unit).
UNITS = {
    "bytes": ("bytes of pickle data", "pickle 数据字节数"),
    "opcodes": ("pickle opcodes", "pickle 操作码数"),
    "memo": ("memo entries", "备忘录（memo）条目数"),
    "depth": ("levels of nesting", "嵌套层数"),
    "objects": ("objects in the walk over its tensors", "遍历张量时访问的对象数"),
    "globals": ("distinct imported globals", "导入的不同全局对象数"),
    "fields": ("protobuf fields", "protobuf 字段数"),
    "json_bytes": ("bytes of JSON header", "JSON 头部字节数"),
    "members": ("archive members", "归档成员数"),
    "streams": ("pickle streams", "pickle 数据流数"),
    "seconds": ("seconds of inspection", "检查用时"),
    "line": ("bytes in one text argument of an opcode", "单个操作码文本参数的字节数"),
}


@dataclass
class Budget:
    """What reading one model file may cost, summed over every stream, member and walk in it.

    The defaults admit real checkpoints (a data.pkl of some 30 opcodes per tensor, ONNX graphs of
    a few hundred thousand nodes) and stop crafted files long before they cost seconds or memory."""

    max_bytes: int = 256 << 20      # pickle bytes read or skipped by reading (decompressed)
    max_opcodes: int = 1_000_000
    max_memo: int = 1_000_000
    max_depth: int = 1_000          # what Python's own pickler can write (its recursion limit)
    max_objects: int = 2_000_000
    max_globals: int = 10_000
    max_fields: int = 5_000_000
    max_json_bytes: int = 16 << 20
    max_members: int = 20_000
    max_streams: int = 100_000      # pickles in one file (each costs more than its opcodes)
    max_seconds: float = 30.0
    max_line: int = 1 << 20         # a number written as text (INT, LONG, FLOAT, GET, PUT), before any NUL
    used: dict = field(default_factory=dict, init=False, repr=False)
    deadline: float | None = field(default=None, init=False, repr=False)
    _machine: object = field(default=None, init=False, repr=False, compare=False)
    _sniffer: object = field(default=None, init=False, repr=False, compare=False)

    def sniffer(self) -> "Budget":
        """A small budget of its own for telling whether a member's first bytes are a pickle (made
        once per file, its counts cleared for each use)."""
        if self._sniffer is None:
            self._sniffer = Budget(max_opcodes=256, max_bytes=1 << 16, max_seconds=float("inf"))
        self._sniffer.used.clear()
        return self._sniffer

    def machine(self) -> "_Machine":
        """The pickle machine of this file (made once, reused for each of its pickles)."""
        if self._machine is None:
            self._machine = _Machine(self)
        return self._machine

    def start(self) -> None:
        if self.deadline is None:
            self.deadline = time.monotonic() + self.max_seconds

    def exceeded(self, kind: str, offset: int | None = None) -> LimitExceeded:
        return LimitExceeded(kind, getattr(self, f"max_{kind}"), offset)

    def spend(self, kind: str, n: int = 1, offset: int | None = None) -> None:
        total = self.used.get(kind, 0) + n
        self.used[kind] = total
        if total > getattr(self, f"max_{kind}"):
            raise self.exceeded(kind, offset)

    def left(self, kind: str) -> int:
        return getattr(self, f"max_{kind}") - self.used.get(kind, 0)

    def check_time(self, offset: int | None = None) -> None:
        if self.deadline is not None and time.monotonic() > self.deadline:
            raise self.exceeded("seconds", offset)


# String and bytes values up to this size are kept; longer payloads are skipped and become a Blob.
KEEP_BYTES = 1 << 16
# The longest protocol-0 text argument that names something (a global, a memo key, a number).
MAX_NAME_LINE = 1 << 16
_STREAM_ERRORS: tuple = (OSError, EOFError, ValueError)


# --- symbolic values ----------------------------------------------------------------------------

@dataclass(frozen=True)
class Global:
    module: str
    name: str

    @property
    def dotted(self) -> str:
        return f"{self.module}.{self.name}"


@dataclass(eq=False)
class Call:
    func: object
    args: object
    state: object = None                      # set by BUILD
    items: dict = field(default_factory=dict)  # set by SETITEM(S) on an object built by a call
    elements: list = field(default_factory=list)  # set by APPEND(S)
    depth: int = 1


@dataclass(eq=False)
class PersistentRef:
    pid: object


@dataclass(eq=False)
class Blob:
    """A string or bytes payload that was skipped, not read: only its kind and length are known."""
    kind: str
    length: int

    def __str__(self) -> str:
        return f"<{self.kind} of {self.length:,} bytes>" if self.length >= 0 else f"<long {self.kind}>"


class Seq(list):
    """A symbolic tuple, list, set or frozenset, with its nesting depth and whether Python could
    hash it (a tuple holding a list cannot be a dict key)."""
    __slots__ = ("kind", "depth", "hashable")


class Map(dict):
    """A symbolic dict, with its nesting depth; keys other than scalars are :class:`OpaqueKey`."""
    __slots__ = ("depth",)


class OpaqueKey:
    """Stands for a dict key that is not a scalar: it is never hashed, compared or printed."""
    __slots__ = ("kind",)

    def __init__(self, kind: str):
        self.kind = kind

    def __str__(self) -> str:
        return f"<{self.kind}>"


_SCALAR_KEYS = frozenset((str, int, float, bool, type(None), bytes, Global))


def _key(key):
    return key if type(key) in _SCALAR_KEYS else OpaqueKey(getattr(key, "kind", type(key).__name__))


def _depth(obj) -> int:
    t = type(obj)
    return obj.depth if t is Seq or t is Map or t is Call else 0


def _hashable(obj) -> bool:
    t = type(obj)
    if t is Seq:
        return obj.hashable
    return t is not Map


def _deepest(items, but=None) -> int:
    """The largest depth among ``items`` (0 for scalars), leaving out the object ``but``."""
    d = 0
    for i in items:
        t = type(i)
        if (t is Seq or t is Map or t is Call) and i.depth > d and i is not but:
            d = i.depth
    return d


def is_tuple(obj) -> bool:
    return type(obj) is Seq and obj.kind == "tuple"


MAX_LOCATIONS = 3  # places kept per finding; the rest are counted


@dataclass(eq=False)
class UnsafeGlobal:
    """One imported global that is not allow-listed, however often the file imports it."""
    name: str            # dotted name of the imported global
    classification: str  # "dangerous" or "not-allow-listed"
    offset: int          # byte offset of its first import in ``stream``
    stream: str          # the pickle of that import (file name inside an archive, or "#N" for concatenated pickles)
    count: int = 1       # pickle streams (or archive members) that import it
    locations: list = field(default_factory=list)  # (stream, offset) of the first MAX_LOCATIONS of them


@dataclass
class ScanResult:
    globals: list[str] = field(default_factory=list)     # every distinct global, in first-seen order
    findings: list[UnsafeGlobal] = field(default_factory=list)  # one per unsafe global, in first-seen order
    roots: list[object] = field(default_factory=list)    # the symbolic object of each pickle
    _seen: set = field(default_factory=set, repr=False)
    _by_name: dict = field(default_factory=dict, repr=False)

    def note(self, dotted: str, verdict: str | None, offset: int, stream: str) -> None:
        """``stream`` imports ``dotted`` at ``offset`` (called once per global and stream)."""
        if dotted not in self._seen:
            self._seen.add(dotted)
            self.globals.append(dotted)
        if verdict:
            found = self._by_name.get(dotted)
            if found is None:
                self._count(dotted, verdict, 1, [(stream, offset)])
                return
            found.count += 1  # the common case of many streams written out
            if len(found.locations) < MAX_LOCATIONS:
                found.locations.append((stream, offset))

    def _count(self, dotted: str, verdict: str, count: int, locations: list) -> None:
        found = self._by_name.get(dotted)
        if found is None:
            stream, offset = locations[0]
            found = self._by_name[dotted] = UnsafeGlobal(dotted, verdict, offset, stream, 0, [])
            self.findings.append(found)
        found.count += count
        found.locations.extend(locations[:MAX_LOCATIONS - len(found.locations)])

    def merge(self, other: "ScanResult") -> None:
        """Add what ``other`` found (a member scanned on its own) to this result."""
        for dotted in other.globals:
            if dotted not in self._seen:
                self._seen.add(dotted)
                self.globals.append(dotted)
        for f in other.findings:
            self._count(f.name, f.classification, f.count, f.locations)
        self.roots.extend(other.roots)


def classify(module: str, name: str) -> str | None:
    """None when allow-listed, else ``"dangerous"`` or ``"not-allow-listed"``."""
    if name in ALLOWED.get(module, ()):
        return None
    top = module.split(".")[0]
    if module in DANGEROUS_MODULES or top in DANGEROUS_MODULES:
        return "dangerous"
    if module in ("builtins", "__builtin__") and name in DANGEROUS_BUILTINS:
        return "dangerous"
    if module in ("operator", "functools") or name.startswith("__"):
        return "dangerous"  # attribute getters and partials are building blocks of pickle gadgets
    return "not-allow-listed"


# --- reading ------------------------------------------------------------------------------------

class Reader:
    """Buffered reading of one byte stream within a :class:`Budget`.

    ``size`` is what the stream says it holds from here (a file's remaining bytes, a zip member's
    declared size): a length field asking for more than that is an error before anything is read.
    ``seekable`` streams skip payloads with ``seek``; others read and discard them, which counts."""

    CHUNK = 1 << 16

    def __init__(self, stream, budget: Budget, size: int | None = None, seekable: bool = False,
                 errors: tuple = _STREAM_ERRORS):
        self.stream, self.budget, self.seekable, self.errors = stream, budget, seekable, errors
        self.base = stream.tell() if seekable else 0  # offset of buf[0] in the stream
        self.end = None if size is None else self.base + size
        self.buf, self.pos, self.eof = b"", 0, False

    @property
    def offset(self) -> int:
        return self.base + self.pos

    def eof_error(self) -> PickleError:
        return TruncatedError()

    def _read(self, n: int) -> bytes:
        try:
            chunk = self.stream.read(n)
        except self.errors as exc:
            raise ReadError(str(exc)) from None
        self.budget.spend("bytes", len(chunk))
        return chunk

    def fill(self, need: int) -> bool:
        """Make ``need`` bytes available from ``pos``; False if the stream ends first."""
        avail = len(self.buf) - self.pos
        if avail >= need:
            return True
        parts = [self.buf[self.pos:]]
        while avail < need and not self.eof:
            chunk = self._read(max(self.CHUNK, need - avail))
            if not chunk:
                self.eof = True
                break
            parts.append(chunk)
            avail += len(chunk)
        self.base += self.pos
        self.buf, self.pos = b"".join(parts), 0
        return avail >= need

    def take(self, n: int) -> bytes:
        pos = self.pos
        end = pos + n
        if end <= len(self.buf):
            self.pos = end
            return self.buf[pos:end]
        if not self.fill(n):
            raise self.eof_error()
        data = self.buf[self.pos:self.pos + n]
        self.pos += n
        return data

    def uint(self, n: int) -> int:
        return int.from_bytes(self.take(n), "little")

    def u1(self) -> int:
        pos = self.pos
        if pos < len(self.buf):
            self.pos = pos + 1
            return self.buf[pos]
        return self.take(1)[0]

    def payload(self, n: int, keep: int = KEEP_BYTES) -> bytes | None:
        """The next ``n`` bytes when ``n <= keep``; otherwise they are skipped and None is returned."""
        if self.end is not None and self.offset + n > self.end:
            left = max(self.end - self.offset, 0)
            raise PickleError("length", declared=n, left=left)
        if n <= keep:
            return self.take(n)
        self.skip(n)
        return None

    def skip(self, n: int) -> None:
        avail = len(self.buf) - self.pos
        if n <= avail:
            self.pos += n
            return
        n -= avail
        self.base += len(self.buf)
        self.buf, self.pos = b"", 0
        if self.seekable and self.end is not None:
            if self.base + n > self.end:
                raise self.eof_error()
            try:
                self.stream.seek(self.base + n)
            except self.errors as exc:
                raise ReadError(str(exc)) from None
            self.base += n
            return
        while n > 0:
            chunk = self._read(min(n, 1 << 20))
            if not chunk:
                raise self.eof_error()
            n -= len(chunk)
            self.base += len(chunk)

    def drain(self) -> None:
        """Read (and count) the rest of the stream: zipfile checks a member's CRC at its end."""
        self.base += len(self.buf)
        self.buf, self.pos = b"", 0
        while True:
            chunk = self._read(1 << 20)
            if not chunk:
                return
            self.base += len(chunk)

    def number_line(self, limit: int) -> tuple[bytes, int, bool]:
        """The next line as CPython's number parsers see it: its bytes before the first NUL (all of
        them when it has none), the line's length and whether it holds a NUL. The line and its
        newline are consumed; what follows a NUL is skipped unread. More than ``limit`` bytes before
        the NUL (or the newline) exceed the budget's ``line`` limit."""
        kept: list[bytes] = []
        size = length = 0
        nul = False
        while True:
            buf, pos = self.buf, self.pos
            newline = buf.find(b"\n", pos)
            end = newline if newline >= 0 else len(buf)
            if not nul:
                zero = buf.find(b"\0", pos, end)
                stop = zero if zero >= 0 else end
                size += stop - pos
                if size > limit:
                    raise self.budget.exceeded("line")
                kept.append(buf[pos:stop])
                nul = zero >= 0
            length += end - pos
            if newline >= 0:
                self.pos = newline + 1
                return b"".join(kept), length, nul
            self.base += len(buf)
            self.buf, self.pos = self._read(self.CHUNK), 0
            if not self.buf:
                self.eof = True
                raise self.eof_error()

    def line(self, limit: int) -> bytes | None:
        """The bytes before the next newline (which is consumed), or None when there are more than
        ``limit`` of them (the line is then skipped)."""
        look = self.pos
        while True:
            i = self.buf.find(b"\n", look)
            if i >= 0:
                if i - self.pos > limit:
                    self.pos = i + 1
                    return None
                data = self.buf[self.pos:i]
                self.pos = i + 1
                return data
            if len(self.buf) - self.pos > limit:  # too long: skip to the newline, chunk by chunk
                while True:
                    self.base += len(self.buf)
                    self.buf, self.pos = self._read(self.CHUNK), 0
                    if not self.buf:
                        raise self.eof_error()
                    i = self.buf.find(b"\n")
                    if i >= 0:
                        self.pos = i + 1
                        return None
            look = len(self.buf)
            before = self.pos
            if not self.fill(len(self.buf) - self.pos + 1):
                raise self.eof_error()
            look -= before  # fill moved the unread bytes to the start of the buffer


# --- numbers written as text (protocols 0 and 1) --------------------------------------------------
# The scanner must follow every stream that CPython's unpickler follows, so the text arguments of
# INT, LONG, FLOAT, GET and PUT are accepted exactly when CPython accepts them. _pickle.c reads the
# line whatever its length and parses it as a C string, which ends at the first NUL byte:
#   INT   strtol(s, &end, 0) (C syntax: 0x for hex, a leading 0 for octal), accepted when it stops at
#         the newline or at a NUL and fits a C long; otherwise PyLong_FromString(s, NULL, 0), Python's
#         int literal syntax (0x, 0o, 0b, underscores, surrounding whitespace); a line of two bytes
#         holding 0 or 1 is False or True;
#   LONG  a trailing "L" dropped, then PyLong_FromString(s, NULL, 0);
#   GET, PUT  PyLong_FromString(s, NULL, 10) (PUT refuses a negative index);
#   FLOAT PyOS_string_to_double, accepted when it stops at the newline or at a NUL.
# The pure-Python unpickler (pickle._Unpickler) accepts a subset of this, except that its float()
# also takes whitespace, underscores and overflow: the union is accepted. So is a decimal number past
# int()'s 4,300-digit limit of Python 3.11+, which earlier versions read. Accepting what one CPython
# refuses only makes the scan follow a stream further than that loader would, never less far.
_SPACE = rb"[ \t\n\v\f\r]*"  # isspace() of the C locale, and Py_ISSPACE
_STRTOL = re.compile(rb"[ \t\v\f\r]*([+-]?)(?:0[xX]([0-9a-fA-F]+)|(0[0-7]*)|([1-9][0-9]*))")
_PY_INT = re.compile(_SPACE + rb"[+-]?(?:0[xX](?:_?[0-9a-fA-F])+|0[oO](?:_?[0-7])+|0[bB](?:_?[01])+|0(?:_?0)*"
                     rb"|[1-9](?:_?[0-9])*)" + _SPACE)
_PY_DECIMAL = re.compile(_SPACE + rb"([+-]?)([0-9](?:_?[0-9])*)" + _SPACE)
# unambiguous (each digit can be matched one way only), so a failed match of a long run of digits
# takes linear time, not quadratic: FLOAT arguments are up to a line long
_C_FLOAT = re.compile(rb"[+-]?(?:(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:e[+-]?[0-9]+)?|inf(?:inity)?|nan)", re.IGNORECASE)
_DIGITS = rb"[0-9](?:_?[0-9])*"
_PY_FLOAT = re.compile(_SPACE + rb"[+-]?(?:(?:" + _DIGITS + rb"(?:\.(?:" + _DIGITS + rb")?)?|\." + _DIGITS + rb")(?:e[+-]?"
                       + _DIGITS + rb")?|inf(?:inity)?|nan)" + _SPACE, re.IGNORECASE)
LONG_MAX = (1 << 63) - 1  # a C long where it is widest (LP64); narrower ones fall back to PyLong_FromString
_INT_DIGITS = 4000  # longer decimal numbers stay opaque: int() refuses them past 4,300 digits (3.11+)


_BIG_INT_DIGITS = 20_000  # int() converts a decimal number in time quadratic in its digits: 20,000 take ~10 ms


def _big_int(text: bytes, base: int):
    """int(text, base) for text that the syntax allows, or an opaque value past int()'s digit limit,
    or past _BIG_INT_DIGITS significant decimal digits where int() has no limit (Python 3.10, or a
    limit switched off), so that a line of a million digits cannot take seconds."""
    digits = text.replace(b"_", b"").strip().lstrip(b"+-")
    if not (base == 0 and digits[1:2] in (b"x", b"X", b"o", b"O", b"b", b"B")) \
            and len(digits.lstrip(b"0")) > _BIG_INT_DIGITS:
        return Blob("int", -1)
    try:
        return int(text, base)
    except ValueError:
        return Blob("int", -1)


def _strtol(text: bytes) -> int | None:
    """strtol(text, &end, 0) when it reads all of ``text`` and the value fits a C long, else None."""
    m = _STRTOL.fullmatch(text)
    if m is None:
        return None
    sign, hexa, octal, decimal = m.groups()
    base, digits = (16, hexa) if hexa is not None else (8, octal) if octal is not None else (10, decimal)
    digits = digits.lstrip(b"0") or b"0"
    if len(digits) > 22:  # more than 64 bits in any of the three bases
        return None
    value = int(digits, base)
    if value > LONG_MAX + (sign == b"-"):
        return None
    return -value if sign == b"-" else value


def int_argument(text: bytes, length: int, nul: bool):
    """What INT pushes for a line of ``length`` bytes whose part before any NUL is ``text``, or None
    when CPython refuses it."""
    if length == 0:
        return None  # "pickle data was truncated"
    value = _strtol(text) if text else 0  # with no text, strtol reads nothing and stops at the NUL
    if value is not None:
        return bool(value) if length == 2 and value in (0, 1) else value
    return _big_int(text, 0) if _PY_INT.fullmatch(text) else None


def long_argument(text: bytes, length: int, nul: bool):
    """What LONG pushes (see :func:`int_argument`)."""
    if length == 0:
        return None
    if not nul and text.endswith(b"L"):
        text = text[:-1]  # the "L" before the newline becomes the string's end
    return _big_int(text, 0) if _PY_INT.fullmatch(text) else None


def float_argument(text: bytes, length: int, nul: bool):
    """What FLOAT pushes (see :func:`int_argument`)."""
    if length == 0 or not (_C_FLOAT.fullmatch(text) or (not nul and _PY_FLOAT.fullmatch(text))):
        return None
    try:
        return float(text)
    except (ValueError, OverflowError):
        return float("nan")


def index_argument(text: bytes, length: int, nul: bool):
    """The memo index of GET or PUT (see :func:`int_argument`): an int, or for a number too long for
    int() its digits (a key no binary opcode can name)."""
    m = _PY_DECIMAL.fullmatch(text) if length else None
    if m is None:
        return None
    sign, digits = m.groups()
    digits = digits.replace(b"_", b"").lstrip(b"0") or b"0"
    if digits == b"0":
        return 0
    if len(digits) > _INT_DIGITS:
        return sign + digits
    return -int(digits) if sign == b"-" else int(digits)


# --- the symbolic machine -----------------------------------------------------------------------

_CODE = {op.code.encode("latin-1")[0]: op.name for op in pickletools.opcodes}


def scan_stream(stream, result: ScanResult, label: str, budget: Budget | None = None) -> None:
    """Follow one pickle (up to its STOP opcode), adding to ``result``.

    ``stream`` is a :class:`Reader` (which keeps its place for the next pickle in the same data) or a
    binary file object. Raises :class:`PickleError` or :class:`LimitExceeded`."""
    if budget is None:
        budget = stream.budget if isinstance(stream, Reader) else Budget()
    budget.start()
    r = stream if isinstance(stream, Reader) else Reader(stream, budget)
    try:
        budget.spend("streams", 1, r.offset)
        if not budget.used["streams"] & 0xFF:  # many tiny streams never reach the machine's own check
            budget.check_time(r.offset)
        budget.machine().run(r, result, label)
    except (PickleError, LimitExceeded) as exc:
        if exc.offset is None and not isinstance(exc, ReadError):
            exc.offset = r.offset
        raise


class _Machine:
    """The symbolic stack machine: imports become :class:`Global`, calls :class:`Call`. One machine
    serves every pickle of a file (building its opcode table costs more than a tiny pickle)."""

    def __init__(self, budget: Budget):
        self.budget = budget
        self.r: Reader | None = None
        self.result, self.label = ScanResult(), ""
        self.stack: list = []
        self.marks: list[int] = []
        self.memo: dict = {}
        # every import of the file, made and classified once: (module, name) or the raw text lines of
        # a GLOBAL -> (Global, dotted name, verdict)
        self.known: dict = {}
        self.raw_globals: dict = {}
        self.distinct: set = set()   # dotted names of the file (what the budget's "globals" counts)
        self.in_stream: set = set()  # dotted names the current stream has imported
        self.at = 0  # offset of the current opcode
        self.table, self.set_reader = self.handlers()

    # -- helpers --
    def fail(self, variant: str, **params) -> PickleError:
        return PickleError(variant, self.at, **params)

    def fence(self) -> int:
        return self.marks[-1] if self.marks else 0

    def pop(self):
        if len(self.stack) <= self.fence():
            raise self.fail("underflow")
        return self.stack.pop()

    def top(self):
        if len(self.stack) <= self.fence():
            raise self.fail("underflow")
        return self.stack[-1]

    def pop_mark(self) -> list:
        if not self.marks:
            raise self.fail("no-mark")
        k = self.marks.pop()
        items = self.stack[k:]
        del self.stack[k:]
        return items

    def deeper(self, depth: int) -> int:
        if depth > self.budget.max_depth:
            raise self.budget.exceeded("depth", self.at)
        return depth

    def seq(self, items, kind: str) -> Seq:
        s = Seq(items)
        s.kind = kind
        s.hashable = kind == "frozenset" or (kind == "tuple" and all(map(_hashable, items)))
        d = _deepest(items) + 1
        s.depth = d if d <= self.budget.max_depth else self.deeper(d)
        return s

    def call(self, func, args) -> Call:
        c = Call(func, args)
        c.depth = self.deeper(1 + max(_depth(func), _depth(args)))
        return c

    def grow(self, target, items) -> None:
        """``target`` now holds ``items`` too: its depth is at least one more than theirs (a container
        holding itself is not counted as deeper each time)."""
        t = type(target)
        if (t is Seq or t is Map or t is Call) and items:
            d = _deepest(items, but=target) + 1
            if d > target.depth:
                target.depth = self.deeper(d)

    def note_global(self, module, name) -> Global:
        """The Global an import names, noted as imported by the current stream."""
        key = (module, name) if type(module) is str and type(name) is str else None
        entry = self.known.get(key) if key is not None else None
        if entry is None:
            entry = self.new_global(module, name)
            if key is not None:
                self.known[key] = entry
        return self.imported(entry)

    def new_global(self, module, name) -> tuple:
        module = encodable(module) if isinstance(module, str) else str(module)
        name = encodable(name) if isinstance(name, str) else str(name)
        g = Global(module, name)
        dotted = g.dotted
        if dotted not in self.distinct:
            self.budget.spend("globals", 1, self.at)
            self.distinct.add(dotted)
        return g, dotted, classify(module, name)

    def imported(self, entry: tuple) -> Global:
        g, dotted, verdict = entry
        if dotted not in self.in_stream:
            self.in_stream.add(dotted)
            self.result.note(dotted, verdict, self.at, self.label)
        return g

    def text_line(self, limit: int, what: str) -> str:
        data = self.r.line(limit)
        if data is None:
            raise self.fail("text-too-long", opcode=what, limit=limit)
        try:
            return data.decode("utf-8")
        except UnicodeDecodeError:
            raise self.fail("text-not-utf8", opcode=what) from None

    def number(self, what: str, parse):
        """The argument of INT, LONG, FLOAT, GET or PUT, as ``parse`` (one of the ``*_argument``
        functions) reads it; refused as CPython refuses it."""
        text, length, nul = self.r.number_line(self.budget.max_line)
        value = parse(text, length, nul)
        if value is None:
            raise self.fail("invalid-number", opcode=what, text=text[:40].decode("latin-1"))
        return value

    def counted(self, n: int, kind: str):
        """A length-prefixed payload: kept when small, else skipped as a Blob."""
        data = self.r.payload(n)
        if data is None:
            return Blob(kind, n)
        if kind == "str":
            try:
                return data.decode("utf-8", "surrogatepass")
            except UnicodeDecodeError:
                raise self.fail("string-not-utf8") from None
        if kind == "latin-1":
            return data.decode("latin-1")
        return data

    def memo_put(self, key) -> None:
        if key not in self.memo:
            self.budget.spend("memo", 1, self.at)
        self.memo[key] = self.top()

    def memo_get(self, key) -> None:
        if key not in self.memo:
            if type(key) is int and abs(key) < 1 << 64:
                raise self.fail("memo-unset", key=key)
            raise self.fail("memo-unset-long")
        self.stack.append(self.memo[key])

    # -- the loop --
    def run(self, reader: Reader, result: ScanResult, label: str) -> None:
        """Follow one pickle from ``reader`` up to its STOP opcode."""
        self.r, self.result, self.label, self.at = reader, result, label, reader.offset
        self.set_reader(reader)
        for state in (self.stack, self.marks, self.memo, self.in_stream):
            state.clear()
        r, budget, handlers = reader, self.budget, self.table
        limit = budget.left("opcodes")
        count = 0
        try:
            while True:
                if r.pos >= len(r.buf) and not r.fill(1):
                    self.at = r.offset
                    raise r.eof_error()
                code = r.buf[r.pos]
                self.at = r.base + r.pos
                r.pos += 1
                count += 1
                if count > limit:
                    raise budget.exceeded("opcodes", self.at)
                if not count & 0xFFF:
                    budget.check_time(self.at)
                handler = handlers[code]
                if handler is None:
                    raise self.fail("unknown-opcode", code=code)
                if handler():
                    return
        except (PickleError, LimitExceeded) as exc:
            if exc.offset is None and not isinstance(exc, ReadError):
                exc.offset = self.at  # errors from reading an argument are located at their opcode
            raise
        finally:
            budget.used["opcodes"] = budget.used.get("opcodes", 0) + min(count, limit + 1)

    def handlers(self) -> tuple:
        """The handler of each opcode byte (None for bytes that are not opcodes), and the function
        that points them at the next stream's reader."""
        r, stack, memo = self.r, self.stack, self.memo

        def set_reader(new: Reader) -> None:
            nonlocal r
            r = new
        push = stack.append
        seq, pop, top = self.seq, self.pop, self.top

        def stop():
            self.result.roots.append(pop())  # like CPython, ignore what is left under the result
            return True

        def proto():
            v = r.uint(1)
            if v > 5:
                raise self.fail("protocol", protocol=v)

        def frame():
            r.uint(8)  # a framing hint only; the opcodes inside are read one by one

        def mark():
            self.marks.append(len(stack))

        def pop_mark():
            self.pop_mark()

        def pop_op():
            if self.marks and self.marks[-1] == len(stack):
                self.marks.pop()  # CPython: POP right after MARK discards the mark
            else:
                pop()

        def tuple_n(n):
            def op():
                if len(stack) - n < (marks[-1] if marks else 0):
                    raise self.fail("underflow")
                if n:
                    items = stack[-n:]
                    del stack[-n:]
                    push(seq(items, "tuple"))
                else:
                    push(seq((), "tuple"))
            return op

        def unhashable_key():
            return self.fail("unhashable-key")

        def setitems(items, target):
            if len(items) % 2:
                raise self.fail("odd-items")
            if type(target) is Map:
                if not all(map(_hashable, items[::2])):
                    raise unhashable_key()
                dest = target
            elif type(target) is Call:
                dest = target.items
            else:
                return
            self.grow(target, items)
            for i in range(0, len(items), 2):
                dest[_key(items[i])] = items[i + 1]

        def appends(items, target):
            if type(target) is Seq:
                self.grow(target, items)
                target.extend(items)
            elif type(target) is Call:
                self.grow(target, items)
                target.elements.extend(items)

        def dict_op():
            items = self.pop_mark()
            d = Map()
            d.depth = 1
            setitems(items, d)
            push(d)

        def empty_dict():
            d = Map()
            d.depth = 1
            push(d)

        def setitem():  # written out like append
            if len(stack) - 3 < (marks[-1] if marks else 0):
                raise self.fail("underflow")
            value = stack.pop()
            key = stack.pop()
            target = stack[-1]
            t = type(target)
            if t is Map and not _hashable(key):
                raise unhashable_key()
            if t is Map or t is Call:
                d = max(_depth(key), _depth(value)) + 1
                if d > target.depth and value is not target and key is not target:
                    target.depth = self.deeper(d)
                (target if t is Map else target.items)[_key(key)] = value

        raw_globals = self.raw_globals

        def global_op():
            buf, pos = r.buf, r.pos
            i = buf.find(b"\n", pos, pos + MAX_NAME_LINE + 1)
            j = buf.find(b"\n", i + 1, i + MAX_NAME_LINE + 2) if i >= 0 else -1
            known = raw_globals.get(buf[pos:j]) if j >= 0 else None
            if known is not None:  # the same import again: no need to decode it
                r.pos = j + 1
                push(self.imported(known))
                return
            module = self.text_line(MAX_NAME_LINE, "GLOBAL")
            name = self.text_line(MAX_NAME_LINE, "GLOBAL")
            g = self.note_global(module, name)
            if j >= 0:
                raw_globals[buf[pos:j]] = self.known[(module, name)]
            push(g)

        def inst():
            module = self.text_line(MAX_NAME_LINE, "INST")
            name = self.text_line(MAX_NAME_LINE, "INST")
            args = self.pop_mark()
            push(self.call(self.note_global(module, name), seq(args, "tuple")))

        def stack_global():
            if len(stack) - 2 < (marks[-1] if marks else 0):
                raise self.fail("underflow")
            name = stack.pop()
            module = stack.pop()
            if not all(type(x) is str or (type(x) is Blob and x.kind == "str") for x in (module, name)):
                raise self.fail("stack-global")
            push(self.note_global(module, name))

        def obj():
            items = self.pop_mark()
            if not items:
                raise self.fail("obj-no-class")
            push(self.call(items[0], seq(items[1:], "tuple")))

        def reduce():
            args = pop()
            func = pop()
            push(self.call(func, args))

        def newobj_ex():
            kwargs = pop()
            args = pop()
            cls = pop()
            push(self.call(cls, seq([args, kwargs], "tuple")))

        def build():
            state = pop()
            target = top()
            if type(target) is Call:
                self.grow(target, [state])
                target.state = state

        def string_nl():
            data = r.line(KEEP_BYTES)
            if data is None:
                push(Blob("str", -1))
                return
            data = data.rstrip(b"\r")
            if len(data) < 2 or data[:1] not in (b"'", b'"') or data[-1:] != data[:1]:
                raise self.fail("string-unquoted")
            try:
                push(codecs.escape_decode(data[1:-1])[0].decode("latin-1"))
            except ValueError:
                raise self.fail("string-escape") from None

        def unicode_nl():
            data = r.line(KEEP_BYTES)
            if data is None:
                push(Blob("str", -1))
                return
            try:
                push(data.decode("raw-unicode-escape"))
            except UnicodeDecodeError:
                raise self.fail("unicode-escape") from None

        def long_n(width, signed_len):
            def op():
                n = int.from_bytes(r.take(width), "little", signed=signed_len)
                if n < 0:
                    raise self.fail("negative-length")
                data = r.payload(n, keep=64)
                push(Blob("int", n) if data is None else int.from_bytes(data, "little", signed=True))
            return op

        def counted(width, kind, signed_len=False):
            def op():
                n = r.u1() if width == 1 else int.from_bytes(r.take(width), "little", signed=signed_len)
                if n < 0:
                    raise self.fail("negative-length")
                pos = r.pos
                if kind == "str" and pos + n <= len(r.buf) and n <= KEEP_BYTES:  # the common case, inline
                    r.pos = pos + n
                    try:
                        push(r.buf[pos:pos + n].decode("utf-8", "surrogatepass"))
                    except UnicodeDecodeError:
                        raise self.fail("string-not-utf8") from None
                else:
                    push(self.counted(n, kind))
            return op

        def put_text():
            key = self.number("PUT", index_argument)
            if (type(key) is int and key < 0) or (type(key) is bytes and key[:1] == b"-"):
                raise self.fail("negative-put")
            self.memo_put(key)

        def persid():
            push(PersistentRef(self.text_line(MAX_NAME_LINE, "PERSID")))

        def ext(width, signed):
            def op():
                code = int.from_bytes(r.take(width), "little", signed=signed)
                push(self.note_global("copyreg.extension", str(code)))
            return op

        def frozenset_op():
            push(seq(self.pop_mark(), "frozenset"))

        def empty_set():
            s = Seq()
            s.kind, s.depth, s.hashable = "set", 1, False
            push(s)

        def empty_list():
            s = Seq()
            s.kind, s.depth, s.hashable = "list", 1, False
            push(s)

        def readonly_buffer():
            top()

        def dup():
            push(top())

        marks = self.marks

        def append():  # the commonest container opcode, so written out
            if len(stack) - 1 <= (marks[-1] if marks else 0):
                raise self.fail("underflow")
            value = stack.pop()
            target = stack[-1]
            t = type(target)
            if t is Seq or t is Call:
                d = _depth(value) + 1
                if d > target.depth and value is not target:
                    target.depth = self.deeper(d)
                (target if t is Seq else target.elements).append(value)

        def appends_op():
            items = self.pop_mark()
            appends(items, top())

        def newobj():
            args = pop()
            cls = pop()
            push(self.call(cls, args))

        def binpersid():
            push(PersistentRef(pop()))

        def memoize():
            self.memo_put(len(memo))

        def binget():
            key = r.u1()
            if key in memo:
                push(memo[key])
            else:
                self.memo_get(key)

        def binput():
            key = r.u1()
            if key in memo and len(stack) > (marks[-1] if marks else 0):
                memo[key] = stack[-1]
            else:
                self.memo_put(key)

        table = {
            "STOP": stop, "PROTO": proto, "FRAME": frame, "MARK": mark, "POP": pop_op,
            "POP_MARK": pop_mark, "DUP": dup,
            "NONE": lambda: push(None), "NEWTRUE": lambda: push(True), "NEWFALSE": lambda: push(False),
            "INT": lambda: push(self.number("INT", int_argument)), "BININT": lambda: push(int.from_bytes(r.take(4), "little", signed=True)),
            "BININT1": lambda: push(r.u1()), "BININT2": lambda: push(r.uint(2)),
            "LONG": lambda: push(self.number("LONG", long_argument)), "LONG1": long_n(1, False), "LONG4": long_n(4, True),
            "FLOAT": lambda: push(self.number("FLOAT", float_argument)),
            "BINFLOAT": lambda: push(struct.unpack(">d", r.take(8))[0]),
            "STRING": string_nl, "BINSTRING": counted(4, "latin-1", True), "SHORT_BINSTRING": counted(1, "latin-1"),
            "UNICODE": unicode_nl, "BINUNICODE": counted(4, "str"), "SHORT_BINUNICODE": counted(1, "str"),
            "BINUNICODE8": counted(8, "str"), "BINBYTES": counted(4, "bytes"), "SHORT_BINBYTES": counted(1, "bytes"),
            "BINBYTES8": counted(8, "bytes"), "BYTEARRAY8": counted(8, "bytes"),
            "NEXT_BUFFER": lambda: push(None), "READONLY_BUFFER": readonly_buffer,
            "EMPTY_LIST": empty_list, "APPEND": append, "APPENDS": appends_op,
            "LIST": lambda: push(seq(self.pop_mark(), "list")),
            "EMPTY_TUPLE": tuple_n(0), "TUPLE": lambda: push(seq(self.pop_mark(), "tuple")),
            "TUPLE1": tuple_n(1), "TUPLE2": tuple_n(2), "TUPLE3": tuple_n(3),
            "EMPTY_DICT": empty_dict, "DICT": dict_op, "SETITEM": setitem,
            "SETITEMS": lambda: setitems(self.pop_mark(), top()),
            "EMPTY_SET": empty_set, "ADDITEMS": appends_op, "FROZENSET": frozenset_op,
            "GET": lambda: self.memo_get(self.number("GET", index_argument)), "BINGET": binget,
            "LONG_BINGET": lambda: self.memo_get(r.uint(4)),
            "PUT": put_text, "BINPUT": binput,
            "LONG_BINPUT": lambda: self.memo_put(r.uint(4)), "MEMOIZE": memoize,
            "EXT1": ext(1, False), "EXT2": ext(2, False), "EXT4": ext(4, True),
            "GLOBAL": global_op, "STACK_GLOBAL": stack_global, "INST": inst, "OBJ": obj,
            "REDUCE": reduce, "NEWOBJ": newobj, "NEWOBJ_EX": newobj_ex, "BUILD": build,
            "PERSID": persid, "BINPERSID": binpersid,
        }
        missing = set(_CODE.values()) - set(table)
        assert not missing, missing  # every opcode of protocols 0-5 has a handler
        handlers = [None] * 256
        for code, name in _CODE.items():
            handlers[code] = table[name]
        return handlers, set_reader


def scan_bytes(data: bytes, label: str = "#0", budget: Budget | None = None) -> ScanResult:
    """Scan the one pickle at the start of ``data``."""
    budget = budget or Budget()
    result = ScanResult()
    scan_stream(Reader(io.BytesIO(data), budget, size=len(data), seekable=True), result, label, budget)
    return result


SNIFF_BYTES = 256  # the head of a file or zip member read to tell whether it is a pickle by content


def sniff(head: bytes, budget: Budget | None = None) -> bool:
    """Whether data starting with ``head`` may be a pickle by its content: a protocol 2-5 header, or
    protocol 0/1 opcodes that parse without error to the end of ``head`` (or to a STOP), or up to an
    import (GLOBAL, INST). A candidate counts as a pickle only if it then scans to its STOP opcode.
    ``budget`` is the file's: its :meth:`Budget.sniffer` is used."""
    if len(head) >= 2 and head[0] == 0x80 and 2 <= head[1] <= 5:
        return True
    if not head or head[0] not in _CODE or head[0] == 0x80:
        return False
    probe = ScanResult()
    small = budget.sniffer() if budget is not None else Budget(max_opcodes=256, max_bytes=1 << 16,
                                                                max_seconds=float("inf"))
    try:
        scan_stream(Reader(io.BytesIO(head), small, size=len(head), seekable=True), probe, "sniff", small)
    except (TruncatedError, LimitExceeded):
        return True  # every opcode so far was valid
    except PickleError:
        return bool(probe.globals)
    return True


# --- tensors ------------------------------------------------------------------------------------

# Bytes per element of each dtype name used here (storage types and torch dtypes).
ITEMSIZE = {"float32": 4, "float64": 8, "float16": 2, "bfloat16": 2, "int64": 8, "int32": 4, "int16": 2,
            "int8": 1, "uint8": 1, "bool": 1, "complex64": 8, "complex128": 16, "qint8": 1, "quint8": 1,
            "qint32": 4, "float8_e4m3fn": 1, "float8_e5m2": 1, "uint16": 2, "uint32": 4, "uint64": 8}
# torch dtype attribute names (torch.float, torch.half, ...) to the names above.
_TORCH_DTYPE_NAMES = {"float": "float32", "double": "float64", "half": "float16", "long": "int64",
                      "int": "int32", "short": "int16"}


@dataclass(frozen=True)
class TensorRef:
    name: str
    dtype: str
    shape: tuple
    storage_key: str | None
    storage_numel: int | None = None   # elements of the storage type, from the persistent id
    storage_itemsize: int | None = None
    offset: int = 0                    # storage offset, in elements of the tensor's dtype
    stride: tuple | None = None
    # (dotted class, attribute) when the tensor is an attribute in the state of an object built by
    # calling or instantiating a class (a TorchScript module: its __parameters__ say what it is)
    owner: tuple | None = None

    @property
    def numel(self) -> int:
        n = 1
        for d in self.shape:
            n *= d
        return n

    def extent(self) -> int:
        """Elements of storage the tensor reaches from its offset (0 for an empty tensor)."""
        if any(d == 0 for d in self.shape):
            return 0
        stride = self.stride if self.stride is not None and len(self.stride) == len(self.shape) else None
        if stride is None:
            return self.offset + self.numel
        return self.offset + 1 + sum((d - 1) * s for d, s in zip(self.shape, stride))


MAX_PATH = 512  # longest dotted tensor name kept (the tail: it ends with the parameter's own name)


def tensors(root, budget: Budget | None = None) -> list[TensorRef]:
    """The tensors of a symbolic PyTorch object tree, named by their dotted key path.

    Each ``_rebuild_tensor*`` call is one tensor: its storage (a persistent reference whose tuple
    names the storage type) gives the dtype, its ``size`` argument the shape. Every object is
    visited once, however often it is shared, so a tensor reached twice (shared weights) is counted
    once and a graph of shared containers costs its size, not the number of paths through it."""
    budget = budget or Budget()
    budget.start()
    out: list[TensorRef] = []
    seen: set[int] = set()
    walk = [("", None, root, 0, None)]  # (parent path, key or None, object, depth, owner class)
    while walk:
        parent, key, obj, depth, owner = walk.pop()
        t = type(obj)
        if t is not Seq and t is not Map and t is not Call:
            continue
        if id(obj) in seen:
            continue
        seen.add(id(obj))
        budget.spend("objects")
        if depth > budget.max_depth:
            raise budget.exceeded("depth")
        if not budget.used["objects"] & 0xFFF:
            budget.check_time()
        path = parent if key is None else _join(parent, key)
        if t is Call:
            func = obj.func
            if isinstance(func, Global) and func.module == "torch._utils" and func.name.startswith("_rebuild_tensor"):
                ref = _tensor_from_call(path, obj)
                if ref is not None:
                    if owner is not None and isinstance(key, str):
                        ref = dataclasses.replace(ref, owner=(owner, key))
                    out.append(ref)
                continue
            # an object built by a call: its arguments, state, and the items and elements set on it
            walk.extend((path, None, v, depth + 1, None) for v in reversed(obj.elements))
            walk.extend((path, k, v, depth + 1, None) for k, v in reversed(list(obj.items.items())))
            walk.append((path, None, obj.state, depth + 1, func.dotted if isinstance(func, Global) else None))
            walk.append((path, None, obj.args, depth + 1, None))
        elif t is Map:
            walk.extend((path, k, v, depth + 1, owner) for k, v in reversed(list(obj.items())))
        else:
            walk.extend((path, None, v, depth + 1, None) for v in reversed(obj))
    return out


def _join(parent: str, key) -> str:
    text = encodable(key) if isinstance(key, str) else (key.dotted if isinstance(key, Global) else str(key))
    path = f"{parent}.{text}" if parent else text
    return path if len(path) <= MAX_PATH else "…" + path[-MAX_PATH:]


def _ints(obj) -> tuple | None:
    if not is_tuple(obj) and not (type(obj) is Seq and obj.kind == "list"):
        return None
    if not all(type(d) is int and d >= 0 for d in obj):
        return None
    return tuple(obj)


def _tensor_from_call(path: str, call: Call) -> TensorRef | None:
    args = call.args if is_tuple(call.args) else ()
    if len(args) < 3 or not isinstance(args[0], PersistentRef):
        return None
    pid = args[0].pid
    size = _ints(args[2])
    if not (is_tuple(pid) and len(pid) >= 5) or size is None:
        return None
    storage_type = pid[1]
    storage_dtype = STORAGE_DTYPES.get(storage_type.name) if isinstance(storage_type, Global) else None
    if isinstance(storage_type, Global) and storage_type.name == "UntypedStorage":
        storage_dtype = "uint8"
    dtype = storage_dtype
    if call.func.name == "_rebuild_tensor_v3" and len(args) > 6 and isinstance(args[6], Global):
        name = args[6].name
        dtype = _TORCH_DTYPE_NAMES.get(name, name)
    offset = args[1] if type(args[1]) is int and args[1] >= 0 else 0
    stride = _ints(args[3]) if len(args) > 3 else None
    numel = pid[4] if type(pid[4]) is int and pid[4] >= 0 else None
    key = pid[2] if isinstance(pid[2], str) else str(pid[2]) if isinstance(pid[2], (int, Blob)) else None
    return TensorRef(path, dtype or "unknown", size, key, numel, ITEMSIZE.get(storage_dtype or ""), offset, stride)
