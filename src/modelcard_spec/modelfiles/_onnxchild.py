"""The child process of ``verify``: one ONNX Runtime session, run under resource limits.

``verify`` never runs a model in its own process. It starts ``python -I -c`` with :func:`main`,
which imports numpy and ONNX Runtime, sets its own limits — address space (``RLIMIT_AS``: what the
process holds after those imports plus the allowance it is given), CPU time (``RLIMIT_CPU``, set
again before each step to what was used plus the step's allowance), no core files and no files
written (``RLIMIT_CORE``, ``RLIMIT_FSIZE``) — and only then loads the model. The parent keeps a
wall-clock deadline on every step and kills the process when it passes; the CPU limit stops the
child by itself should the parent be gone.

Everything goes through frames on the child's standard input and output (standard output is moved
to another descriptor first, so that nothing else the process prints can break a frame): an 8-byte
header holding the lengths of a JSON head and of a data part, the head, then the data. Arrays
travel as their raw bytes, described in the head by name, dtype (``numpy.dtype.str``) and shape:
nothing is pickled. ONNX Runtime's own log is set to fatal messages only; whatever the process
still writes to standard error goes to the parent, which never passes it to the terminal
unescaped.

This module imports only the standard library at module level: the parent imports it for
:func:`pack`, :data:`HEADER` and :func:`first_line`.
"""

from __future__ import annotations

import json
import os
import signal
import struct
import sys

HEADER = struct.Struct(">IQ")  # length of the JSON head, length of the data part
MAX_HEAD = 1 << 20             # a JSON head of either side (names of inputs and outputs)


def pack(head: dict, parts=()) -> list:
    """A frame as a list of buffers: the header, the JSON head and each data part (not copied)."""
    text = json.dumps(head, ensure_ascii=True, sort_keys=True).encode("ascii")
    views = [_bytes_of(p) for p in parts]
    return [HEADER.pack(len(text), sum(v.nbytes for v in views)), text, *views]


def _bytes_of(part) -> memoryview:
    """A flat byte view of a contiguous buffer (an array of no elements, or of no dimensions, too)."""
    view = memoryview(part)
    return view.cast("B") if view.nbytes else memoryview(b"")


def contiguous(np, array):
    """``array`` C-contiguous, in the machine's byte order (ONNX Runtime reads raw bytes as native:
    a big-endian ``>f4`` array would be fed as other numbers) and of the same shape
    (``numpy.ascontiguousarray`` makes a 0-d array 1-d)."""
    return np.ascontiguousarray(array, dtype=array.dtype.newbyteorder("=")).reshape(array.shape)


def _read_exact(fh, n: int) -> bytearray | None:
    buf = bytearray(n)
    view, got = memoryview(buf), 0
    while got < n:
        k = fh.readinto(view[got:])
        if not k:
            return None
        got += k
    return buf


def _receive(fh, max_data: int):
    """(head, data) of the next frame on ``fh``; None at the end of the input."""
    header = _read_exact(fh, HEADER.size)
    if header is None:
        return None
    head_len, data_len = HEADER.unpack(header)
    if head_len > MAX_HEAD or data_len > max_data:
        raise ValueError("frame over its limits")
    head = _read_exact(fh, head_len)
    data = _read_exact(fh, data_len) if data_len else bytearray()
    if head is None or data is None:
        return None
    return json.loads(head), data


def _send(fh, head: dict, parts=()) -> None:
    for buf in pack(head, parts):
        fh.write(buf)
    fh.flush()


def _address_space() -> int | None:
    """The bytes of address space the process holds now (Linux), or None where it cannot be read."""
    try:
        with open("/proc/self/status", encoding="ascii", errors="replace") as fh:
            for line in fh:
                if line.startswith("VmSize:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    return None


def _limit(resource, kind: str, soft: int, keep_hard: bool = False) -> None:
    """Lower the limit ``kind`` to ``soft`` (never above a hard limit the process was started
    with), and the hard limit with it unless ``keep_hard``."""
    code = getattr(resource, kind, None)
    if code is not None:
        hard = resource.getrlimit(code)[1]
        if hard != resource.RLIM_INFINITY:
            soft = min(soft, hard)
        resource.setrlimit(code, (soft, hard if keep_hard else soft))


def _cpu_allowance(resource, seconds: int) -> None:
    """CPU time from now on: ``seconds`` more than used so far (then SIGXCPU ends the process)."""
    if resource is not None:
        usage = resource.getrusage(resource.RUSAGE_SELF)
        used = int(usage.ru_utime + usage.ru_stime) + 1
        _limit(resource, "RLIMIT_CPU", used + seconds, keep_hard=True)  # raised again before each step


def _is_memory_error(exc: BaseException) -> bool:
    text = str(exc)
    return isinstance(exc, MemoryError) or "bad_alloc" in text or "Failed to allocate memory" in text


def first_line(text, default: str = "") -> str:
    """The first line of ``text`` (a message, an exception), at most 300 characters; ``default``
    when it has none."""
    return (str(text).splitlines() or [default])[0][:300]


def _error(exc: BaseException) -> dict:
    return {"error": first_line(exc, type(exc).__name__), "memory": _is_memory_error(exc)}


def _session(ort, model: str):
    options = ort.SessionOptions()
    options.log_severity_level = 4  # fatal only: ONNX Runtime writes its log to stderr itself
    options.log_verbosity_level = 0
    options.intra_op_num_threads = 1
    options.inter_op_num_threads = 1
    options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    options.enable_cpu_mem_arena = False  # memory as the model needs it, not grown in doubling blocks
    options.enable_mem_pattern = False    # nor planned ahead from an earlier run
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    options.add_session_config_entry("session.inter_op.allow_spinning", "0")
    return ort.InferenceSession(model, sess_options=options, providers=["CPUExecutionProvider"])


def _outputs(np, names: list, values: list, max_bytes: int) -> tuple[dict, list]:
    """The head and data parts of a run's outputs; non-numeric outputs are named without data."""
    described, parts, total = [], [], 0
    for name, value in zip(names, values):
        if isinstance(value, np.ndarray) and value.dtype.kind in "biuf":
            value = contiguous(np, value)
            described.append({"name": name, "dtype": value.dtype.str, "shape": list(value.shape)})
            parts.append(value)
            total += value.nbytes
        else:
            described.append({"name": name, "dtype": None, "shape": None})
    if total > max_bytes:
        return {"error": f"the outputs hold {total:,} bytes", "over": total}, []
    return {"outputs": described}, parts


def _inputs(np, head: dict, data: bytearray) -> dict:
    feeds, pos = {}, 0
    for spec in head["arrays"]:
        dtype = np.dtype(spec["dtype"])
        count = 1
        for d in spec["shape"]:
            count *= d
        feeds[spec["name"]] = np.frombuffer(data, dtype=dtype, count=count, offset=pos).reshape(spec["shape"])
        pos += count * dtype.itemsize
    return feeds


def _die_with_parent(parent: int) -> None:
    """On Linux, have the kernel kill this process when the parent that started it ends (it
    cannot then keep a deadline); the process ends now if that parent is gone already."""
    if sys.platform.startswith("linux"):
        try:
            import ctypes

            ctypes.CDLL(None).prctl(1, int(signal.SIGKILL))  # PR_SET_PDEATHSIG
        except (OSError, AttributeError):  # pragma: no cover - a C library without prctl
            pass
    if os.getppid() != parent:
        os._exit(0)


def main() -> None:
    """Serve one session: a config frame, then one frame per example, until the input ends."""
    channel = os.fdopen(os.dup(1), "wb", buffering=0)
    os.dup2(2, 1)  # anything else written to standard output goes where the parent escapes it
    requests = sys.stdin.buffer
    config, _ = _receive(requests, 0)
    _die_with_parent(config["parent"])
    try:
        import resource
    except ImportError:  # pragma: no cover - Windows: only the parent's deadline applies
        resource = None
    if resource is not None:
        _limit(resource, "RLIMIT_CORE", 0)
        _limit(resource, "RLIMIT_FSIZE", 0)
    try:
        import numpy as np
        import onnxruntime as ort
    except ImportError as exc:
        _send(channel, {"error": f"cannot import {exc.name or 'onnxruntime'}", "memory": False, "import": True})
        return
    ort.set_default_logger_severity(4)
    if resource is not None:
        base = _address_space()
        if base is not None:
            _limit(resource, "RLIMIT_AS", base + config["memory"])
        _cpu_allowance(resource, config["cpu_seconds"])
    _send(channel, {"started": True})
    try:
        session = _session(ort, config["model"])
    except BaseException as exc:  # onnxruntime raises its own exception types
        _send(channel, _error(exc))
        return
    input_names = [i.name for i in session.get_inputs()]
    output_names = [o.name for o in session.get_outputs()]
    _send(channel, {"inputs": input_names, "outputs": output_names})
    while True:
        request = _receive(requests, config["max_input_bytes"])
        if request is None:
            return
        _cpu_allowance(resource, config["cpu_seconds"])
        try:
            feeds = _inputs(np, *request)
            del request
            values = session.run(None, feeds)
            del feeds
            head, parts = _outputs(np, output_names, values, config["max_output_bytes"])
        except BaseException as exc:
            head, parts = _error(exc), []
        _send(channel, head, parts)
        del parts
