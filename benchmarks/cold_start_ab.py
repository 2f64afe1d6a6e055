"""The CPU of a one-card ``validate`` as a fresh process, for one or more source trees, against the
import floor, all in one run.

Each round runs, one after another: the import floor (``python -c "import yaml, jsonschema_rs"``),
then ``python -m modelcard_spec.cli validate CARD`` with ``PYTHONPATH`` set to each source tree
given, for each card. The CPU of each process (user + system, from ``wait4``) is recorded; the least
and the median of the rounds are printed, with their ratios to the floor's least and median. Rounds
are interleaved so that every variant sees the same machine; only ratios within one run compare.

Compile each tree's ``.pyc`` files first (``python -m compileall -q SRC``): with
``PYTHONDONTWRITEBYTECODE`` set, a stale ``.pyc`` is compiled again in every process.

Usage:  python benchmarks/cold_start_ab.py --src new=src [--src base=/path/to/other/src]
                                           [--card examples/ct-foundation-encoder/card.yaml ...] [--rounds 30]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def cpu_ms(cmd: list[str], env: dict) -> float:
    """CPU milliseconds (user + system) of ``cmd`` as a fresh process, its standard output discarded."""
    pid = os.posix_spawn(cmd[0], cmd, env, file_actions=[(os.POSIX_SPAWN_OPEN, 1, os.devnull, os.O_WRONLY, 0)])
    _, status, usage = os.wait4(pid, 0)
    code = os.waitstatus_to_exitcode(status)
    if code not in (0, 1):  # 1: a card with errors, still validated
        raise SystemExit(f"{' '.join(cmd)} exited with {code}")
    return (usage.ru_utime + usage.ru_stime) * 1000


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--src", action="append", required=True, metavar="NAME=PATH",
                        help="a source tree to measure (the folder holding modelcard_spec)")
    parser.add_argument("--card", action="append", type=Path, help="card(s) to validate (default: the CT example)")
    parser.add_argument("--rounds", type=int, default=30)
    args = parser.parse_args()
    cards = args.card or [ROOT / "examples" / "ct-foundation-encoder" / "card.yaml"]
    variants = {"import floor": ([sys.executable, "-c", "import yaml, jsonschema_rs"], dict(os.environ))}
    for spec in args.src:
        name, _, src = spec.partition("=")
        for card in cards:
            variants[f"{name}: {card.parent.name}/{card.name}"] = (
                [sys.executable, "-m", "modelcard_spec.cli", "validate", str(card.resolve())],
                {**os.environ, "PYTHONPATH": str(Path(src).resolve())})
    runs: dict[str, list[float]] = {name: [] for name in variants}
    for _ in range(args.rounds):
        for name, (cmd, env) in variants.items():
            runs[name].append(cpu_ms(cmd, env))
    floor_least, floor_median = min(runs["import floor"]), statistics.median(runs["import floor"])
    print(f"{args.rounds} interleaved rounds, CPU of each process (user + system); load average "
          f"{' '.join(f'{x:.2f}' for x in os.getloadavg())} at the end")
    print("| Variant | Least | Median | Ratio to the floor, least / median |")
    print("|---|---|---|---|")
    for name, values in runs.items():
        least, median = min(values), statistics.median(values)
        print(f"| {name} | {least:.1f} ms | {median:.1f} ms | {least / floor_least:.2f}× / {median / floor_median:.2f}× |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
