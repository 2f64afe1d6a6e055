"""The ONNX Runtime session of ``verify``, in a child process (:mod:`._onnxchild`) under :class:`Limits`.

The model never runs in the process of the tool. ONNX Runtime runs in a child process
(:class:`Session`): a wall-clock deadline for loading the model and for each example, after which
the process is killed; an address-space limit and a CPU-time limit that the process sets on itself;
at most :data:`MAX_OUTPUT_BYTES` of outputs per example, and at most
:data:`.verifyarrays.MAX_ARRAY_BYTES` of inputs. What ONNX Runtime prints never reaches the
terminal: its log is set to fatal messages only and the process's standard error is captured.

A step that gives no result is a :class:`Stopped` (``verify.runtime``); a run that cannot start at
all is a :class:`VerifyError` (``verify.unavailable`` here; the card's and the model file's checks
are raised by :mod:`.verify`).
"""

from __future__ import annotations

import json
import math
import os
import re
import selectors
import signal
import subprocess
import sys
import time
from collections import deque
from dataclasses import dataclass
from pathlib import Path

from ..spec.diagnostics import DiagnosticError
from ..spec.registry import Check, register
from ._onnxchild import HEADER, MAX_HEAD, contiguous, first_line, pack
from .verifyarrays import MAX_ARRAY_BYTES

DEFAULT_TIMEOUT = 60.0            # seconds of wall-clock time to load the model, and to run each example
DEFAULT_MAX_MEMORY = 1 << 30      # bytes of address space beyond what the process holds after its imports
MAX_OUTPUT_BYTES = 32 << 20       # the produced outputs of one example, all together
START_SECONDS = 60.0              # to start Python and import numpy and ONNX Runtime (not the model's doing)
STDERR_KEPT = 4096                # the last bytes the process wrote to standard error, kept to quote


class VerifyError(DiagnosticError):
    """The run cannot start at all (the card declares no examples, no numpy/onnxruntime, the model
    cannot be read or loaded): the diagnostic of a registered ``verify.*`` check. ``where`` is the
    card's path when the error is about the card, not the model."""


register(Check("verify.unavailable", "error", "ONNX Runtime can be run under limits on this system",
               "可在本系统上受限地运行 ONNX Runtime", {
    "not-installed": ("verify needs numpy and onnxruntime: pip install 'modelcard-spec[verify]'",
                      "verify 需要 numpy 和 onnxruntime：pip install 'modelcard-spec[verify]'"),
    "not-posix": ("verify runs ONNX Runtime in a child process under limits, which needs Linux or macOS",
                  "verify 在受限的子进程中运行 ONNX Runtime，这需要 Linux 或 macOS"),
}, scope="command"))


def not_installed() -> VerifyError:
    return VerifyError("verify.unavailable", "not-installed")


def numpy_module():
    """numpy, imported when a run needs it (:class:`VerifyError` if it is not installed)."""
    try:
        import numpy
        return numpy
    except ImportError:  # pragma: no cover - numpy comes with onnxruntime
        raise not_installed() from None


def runnable():
    """numpy, once ONNX Runtime is known to be installed and runnable under limits here
    (:class:`VerifyError` if it is not): asked before the model file is read."""
    import importlib.util

    np = numpy_module()
    if importlib.util.find_spec("onnxruntime") is None:
        raise not_installed()
    if os.name != "posix":
        raise VerifyError("verify.unavailable", "not-posix")
    return np


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


class Stopped(VerifyError):
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


class Session:
    """One ONNX Runtime session in a child process (:mod:`._onnxchild`) under :class:`Limits`.

    Every step — starting, loading the model, running an example — has a wall-clock deadline,
    after which the process is killed; the process sets its own address-space and CPU limits. A
    step that does not complete raises :class:`Stopped`; a run after the process ended starts a
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
        """Start the process and load the model: :class:`Stopped` if that fails."""
        self._stderr = b""
        try:
            self.proc = subprocess.Popen(_child_argv(), stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                         stderr=subprocess.PIPE, close_fds=True)
        except OSError as exc:  # no process could be started (EAGAIN, EMFILE, ENOMEM)
            raise Stopped("start-failed", True, reason=exc.strerror or type(exc).__name__) from None
        for stream in (self.proc.stdin, self.proc.stdout, self.proc.stderr):
            os.set_blocking(stream.fileno(), False)
        # absolute but not resolved: ONNX Runtime looks for external data next to the path it is given,
        # as verify's check of the model's external data did
        config = {"model": os.path.abspath(self.model), "parent": os.getpid(), "memory": self.limits.max_memory,
                  "cpu_seconds": self.limits.cpu_seconds, "max_input_bytes": MAX_ARRAY_BYTES,
                  "max_output_bytes": MAX_OUTPUT_BYTES}
        head, _ = self._exchange(pack(config), START_SECONDS, 0, "start")
        if "started" not in head:
            self.close()
            raise not_installed()
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
        arrays = {name: contiguous(numpy_module(), a) for name, a in feeds.items()}
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
        np = numpy_module()
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
    def _error(self, head: dict, step: str) -> Stopped:
        """A reply that reports an error: ONNX Runtime's message, or a limit that was reached."""
        reason = first_line(head["error"]) if head.get("error") is not None else ""
        if isinstance(head.get("over"), int):
            return Stopped("outputs-too-large", True, size=head["over"], limit=MAX_OUTPUT_BYTES)
        if head.get("memory"):
            return Stopped("memory", True, mib=self.limits.max_memory / (1 << 20), reason=reason)
        if step == "load":
            return Stopped("load-failed", False, file=self.model.name, reason=reason)
        return Stopped("run-failed", False, reason=reason)

    def _timed_out(self, step: str) -> Stopped:
        if step == "start":
            return Stopped("start-timeout", True, seconds=START_SECONDS)
        if step == "load":
            return Stopped("load-timeout", True, file=self.model.name, seconds=self.limits.timeout)
        return Stopped("run-timeout", True, seconds=self.limits.timeout)

    def _ended(self) -> Stopped:
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
        return Stopped(f"ended:{how}" + (":last" if last else ""), True, **params, **({"last": last} if last else {}))

    def _malformed(self) -> Stopped:
        self.close()
        return Stopped("malformed", True)


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
