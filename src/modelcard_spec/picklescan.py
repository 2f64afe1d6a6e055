"""Scan pickle streams without unpickling them.

A pickle is a small program: its GLOBAL / STACK_GLOBAL / INST opcodes import any callable and REDUCE
calls it, so loading an untrusted ``.pt``/``.pth``/``.bin``/``.ckpt``/``.pkl`` file can run any code.
This module never calls :mod:`pickle`'s loader. It walks the opcode stream with
:func:`pickletools.genops` (a disassembler) and runs a *symbolic* stack machine in which every
import becomes an inert :class:`Global` and every call an inert :class:`Call`. That gives

* every imported global, classified against an allow-list of what PyTorch's and NumPy's own
  serialisation needs (the tensor-rebuild functions, storage types, ``OrderedDict``, NumPy array
  reconstruction, ...); anything else is a critical finding;
* the tensors a PyTorch checkpoint holds (``_rebuild_tensor_v2(storage, offset, size, ...)``
  with the storage's dtype from its persistent id), so parameters can be counted without torch.
"""

from __future__ import annotations

import io
import pickletools
from dataclasses import dataclass, field

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

MAX_OPCODES = 50_000_000


class PickleError(ValueError):
    """The stream is not a pickle this scanner can follow."""


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


@dataclass(frozen=True)
class PersistentRef:
    pid: object


@dataclass(frozen=True)
class Finding:
    name: str          # dotted name of the imported global
    classification: str  # "dangerous" or "not-allow-listed"
    offset: int        # byte offset of the opcode in the pickle stream
    stream: str        # which pickle (file name inside an archive, or "#N" for concatenated pickles)


@dataclass
class ScanResult:
    globals: list[str] = field(default_factory=list)     # every distinct global, in first-seen order
    findings: list[Finding] = field(default_factory=list)
    roots: list[object] = field(default_factory=list)    # the symbolic object of each pickle

    @property
    def critical(self) -> bool:
        return bool(self.findings)


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


class _Mark:
    pass


_MARK = _Mark()


def _pop_to_mark(stack: list) -> list:
    for i in range(len(stack) - 1, -1, -1):
        if stack[i] is _MARK:
            items = stack[i + 1:]
            del stack[i:]
            return items
    raise PickleError("MARK expected but not found")


def scan_stream(stream: io.BufferedIOBase, result: ScanResult, label: str) -> None:
    """Follow one pickle (up to its STOP opcode) from ``stream``, adding to ``result``."""
    stack: list = []
    memo: dict = {}
    seen = set(result.globals)
    count = 0

    def note_global(module: str, name: str, pos: int) -> Global:
        g = Global(str(module), str(name))
        if g.dotted not in seen:
            seen.add(g.dotted)
            result.globals.append(g.dotted)
        verdict = classify(g.module, g.name)
        if verdict and not any(f.name == g.dotted and f.stream == label for f in result.findings):
            result.findings.append(Finding(g.dotted, verdict, pos, label))
        return g

    try:
        for op, arg, pos in pickletools.genops(stream):
            count += 1
            if count > MAX_OPCODES:
                raise PickleError(f"more than {MAX_OPCODES} opcodes")
            name = op.name
            if name in ("PROTO", "FRAME"):
                continue
            if name == "STOP":
                result.roots.append(stack.pop() if stack else None)
                return
            if name == "MARK":
                stack.append(_MARK)
            elif name == "NONE":
                stack.append(None)
            elif name in ("NEWTRUE", "NEWFALSE"):
                stack.append(name == "NEWTRUE")
            elif name in ("INT", "BININT", "BININT1", "BININT2", "LONG", "LONG1", "LONG4", "FLOAT",
                          "BINFLOAT", "STRING", "BINSTRING", "SHORT_BINSTRING", "UNICODE",
                          "BINUNICODE", "SHORT_BINUNICODE", "BINUNICODE8", "BINBYTES",
                          "SHORT_BINBYTES", "BINBYTES8", "BYTEARRAY8"):
                stack.append(arg)
            elif name == "EMPTY_LIST":
                stack.append([])
            elif name == "EMPTY_DICT":
                stack.append({})
            elif name == "EMPTY_TUPLE":
                stack.append(())
            elif name == "EMPTY_SET":
                stack.append([])
            elif name == "TUPLE":
                stack.append(tuple(_pop_to_mark(stack)))
            elif name in ("TUPLE1", "TUPLE2", "TUPLE3"):
                n = int(name[-1])
                items = stack[-n:]
                del stack[-n:]
                stack.append(tuple(items))
            elif name == "LIST":
                stack.append(list(_pop_to_mark(stack)))
            elif name == "DICT":
                items = _pop_to_mark(stack)
                stack.append(_pairs(items))
            elif name == "FROZENSET":
                stack.append(list(_pop_to_mark(stack)))
            elif name == "APPEND":
                value = stack.pop()
                _append(stack[-1], [value])
            elif name in ("APPENDS", "ADDITEMS"):
                items = _pop_to_mark(stack)
                _append(stack[-1], items)
            elif name == "SETITEM":
                value = stack.pop()
                key = stack.pop()
                _setitems(stack[-1], [key, value])
            elif name == "SETITEMS":
                items = _pop_to_mark(stack)
                _setitems(stack[-1], items)
            elif name == "GLOBAL":
                module, _, gname = str(arg).partition(" ")
                stack.append(note_global(module, gname, pos))
            elif name == "STACK_GLOBAL":
                gname = stack.pop()
                module = stack.pop()
                stack.append(note_global(module, gname, pos))
            elif name == "INST":
                module, _, gname = str(arg).partition(" ")
                args = _pop_to_mark(stack)
                stack.append(Call(note_global(module, gname, pos), tuple(args)))
            elif name == "OBJ":
                items = _pop_to_mark(stack)
                if not items:
                    raise PickleError("OBJ without a class")
                stack.append(Call(items[0], tuple(items[1:])))
            elif name == "REDUCE":
                args = stack.pop()
                func = stack.pop()
                stack.append(Call(func, args))
            elif name == "NEWOBJ":
                args = stack.pop()
                cls = stack.pop()
                stack.append(Call(cls, args))
            elif name == "NEWOBJ_EX":
                kwargs = stack.pop()
                args = stack.pop()
                cls = stack.pop()
                stack.append(Call(cls, (args, kwargs)))
            elif name == "BUILD":
                state = stack.pop()
                if isinstance(stack[-1], Call):
                    stack[-1].state = state
            elif name in ("PUT", "BINPUT", "LONG_BINPUT"):
                memo[arg] = stack[-1]
            elif name == "MEMOIZE":
                memo[len(memo)] = stack[-1]
            elif name in ("GET", "BINGET", "LONG_BINGET"):
                if arg not in memo:
                    raise PickleError(f"memo key {arg} is read before it is written")
                stack.append(memo[arg])
            elif name == "POP":
                stack.pop()
            elif name == "POP_MARK":
                _pop_to_mark(stack)
            elif name == "DUP":
                stack.append(stack[-1])
            elif name == "PERSID":
                stack.append(PersistentRef(arg))
            elif name == "BINPERSID":
                stack.append(PersistentRef(stack.pop()))
            elif name in ("EXT1", "EXT2", "EXT4"):
                # The copyreg extension registry maps a code to any global: treat it as unknown.
                stack.append(note_global("copyreg.extension", str(arg), pos))
            elif name in ("NEXT_BUFFER", "READONLY_BUFFER"):
                if name == "NEXT_BUFFER":
                    stack.append(None)
            else:  # pragma: no cover - every opcode of protocols 0-5 is handled above
                raise PickleError(f"unsupported opcode {name}")
    except PickleError:
        raise
    except IndexError as exc:
        raise PickleError("the opcode stream pops more than it pushed") from exc
    except (ValueError, KeyError, TypeError, UnicodeDecodeError, EOFError) as exc:
        raise PickleError(str(exc) or exc.__class__.__name__) from exc
    raise PickleError("the stream ends before its STOP opcode")


def _pairs(items: list) -> dict:
    out: dict = {}
    _setitems(out, items)
    return out


def _hashable(key):
    try:
        hash(key)
        return key
    except TypeError:
        return repr(key)


def _setitems(target, items: list) -> None:
    if len(items) % 2:
        raise PickleError("odd number of items in a dictionary")
    if isinstance(target, dict):
        for i in range(0, len(items), 2):
            target[_hashable(items[i])] = items[i + 1]
    elif isinstance(target, Call):
        for i in range(0, len(items), 2):
            target.items[_hashable(items[i])] = items[i + 1]


def _append(target, items: list) -> None:
    if isinstance(target, list):
        target.extend(items)
    elif isinstance(target, Call):
        target.elements.extend(items)


def scan_bytes(data: bytes, label: str = "#0") -> ScanResult:
    result = ScanResult()
    scan_stream(io.BytesIO(data), result, label)
    return result


@dataclass(frozen=True)
class TensorRef:
    name: str
    dtype: str
    shape: tuple
    storage_key: str | None

    @property
    def numel(self) -> int:
        n = 1
        for d in self.shape:
            n *= d
        return n


def tensors(root, storage_dtype_of=None) -> list[TensorRef]:
    """The tensors of a symbolic PyTorch object tree, named by their dotted key path.

    Each ``_rebuild_tensor*`` call is one tensor: its storage (a persistent reference whose tuple
    names the storage type) gives the dtype, its ``size`` argument the shape. A tensor reached
    twice (shared weights) is counted once."""
    out: list[TensorRef] = []
    seen: set[int] = set()
    stack = [("", root)]
    visited = 0
    while stack:
        path, obj = stack.pop()
        visited += 1
        if visited > 5_000_000:
            break
        if isinstance(obj, Call):
            func = obj.func
            if isinstance(func, Global) and func.module == "torch._utils" and func.name.startswith("_rebuild_tensor"):
                if id(obj) in seen:
                    continue
                seen.add(id(obj))
                ref = _tensor_from_call(path, obj)
                if ref is not None:
                    out.append(ref)
                continue
            if obj.elements:
                stack.append((path, obj.elements))
            if obj.items:
                stack.append((path, obj.items))
            if obj.state is not None:
                stack.append((path, obj.state))
            stack.append((path, obj.args))
        elif isinstance(obj, dict):
            for key, value in reversed(list(obj.items())):
                stack.append((f"{path}.{key}" if path else str(key), value))
        elif isinstance(obj, (list, tuple)):
            for value in reversed(obj):
                stack.append((path, value))
    return out


def _tensor_from_call(path: str, call: Call) -> TensorRef | None:
    args = call.args if isinstance(call.args, tuple) else ()
    if len(args) < 3 or not isinstance(args[0], PersistentRef):
        return None
    pid = args[0].pid
    size = args[2]
    if not (isinstance(pid, tuple) and len(pid) >= 5 and isinstance(size, tuple)):
        return None
    storage_type = pid[1]
    dtype = STORAGE_DTYPES.get(storage_type.name) if isinstance(storage_type, Global) else None
    if not all(isinstance(d, int) and d >= 0 for d in size):
        return None
    return TensorRef(path, dtype or "unknown", tuple(size), str(pid[2]))
