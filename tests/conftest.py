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


def run_measured(args, cwd=None, timeout: float = 60, input: str | None = None, env=None) -> Measured:
    """Run ``python -m modelcard_spec.cli *args`` and measure that one process.

    The child is killed after ``timeout`` seconds of wall time (the test then fails on the budget)."""
    import os
    import signal
    import subprocess
    import sys
    import tempfile
    import threading

    argv = [sys.executable, "-m", "modelcard_spec.cli", *map(str, args)]
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        proc = subprocess.Popen(argv, cwd=cwd, stdout=out, stderr=err, env=env,
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
        out.seek(0)
        err.seek(0)
        return Measured(argv[3:], proc.returncode, out.read().decode("utf-8", "replace"),
                        err.read().decode("utf-8", "replace"), usage.ru_utime + usage.ru_stime,
                        usage.ru_maxrss / 1024)


@pytest.fixture(scope="session", autouse=True)
def _byte_compiled_package():
    """Compile the package once up front, so that no measured process pays for compiling a module
    that changed since the last run (an installed package is compiled by pip already)."""
    import compileall

    import modelcard_spec

    compileall.compile_dir(Path(modelcard_spec.__file__).parent, quiet=1)
