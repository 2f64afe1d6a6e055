"""Benchmark: export + load of N cards into the embedded store, and the latency of the shipped
queries over them; compared in the same run with the floor of validating the same cards alone.

    python3 benchmarks/kg_bench.py --cards 10000

Target (issue): 10,000 cards loaded in ≤ 60 s with peak RSS ≤ 300 MB on the project's machine.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from validate_bench import child, make_corpus  # noqa: E402

LOAD = """
import resource, time
from modelcard_spec import kg
files = open({listing!r}).read().split()
start = time.perf_counter()
kg.load(files, {store!r}, bulk={bulk})
print('T=%f' % (time.perf_counter() - start))
print('RSS=%d' % resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
"""

VALIDATE = """
import resource, time
from modelcard_spec.validator import validate_file
files = open({listing!r}).read().split()
start = time.perf_counter()
for f in files:
    validate_file(f)
print('T=%f' % (time.perf_counter() - start))
print('RSS=%d' % resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
"""

QUERY = """
import time
from modelcard_spec import kg
text = kg.resolve_query({name!r})
times = []
for _ in range({repeat}):
    start = time.perf_counter()
    result = kg.query({store!r}, text)
    n = len(result[2]) if result[0] == 'select' else len(result[1]) if result[0] == 'graph' else 1
    times.append(time.perf_counter() - start)
import statistics
print('T=%f' % statistics.median(times))
print('ROWS=%d' % n)
print('RSS=0')
"""


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--cards", type=int, default=10000)
    ap.add_argument("--repeat", type=int, default=3, help="repeats per query")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        cards = make_corpus(Path(tmp) / "cards", args.cards)
        listing = Path(tmp) / "cards.txt"
        listing.write_text("\n".join(map(str, cards)))
        store = str(Path(tmp) / "store")
        v_t, v_rss, _ = child(VALIDATE.format(listing=str(listing)))
        l_t, l_rss, _ = child(LOAD.format(listing=str(listing), store=store, bulk=False))
        size = sum(f.stat().st_size for f in Path(store).rglob("*") if f.is_file()) / 2**20
        b_store = store + "-bulk"
        b_t, b_rss, _ = child(LOAD.format(listing=str(listing), store=b_store, bulk=True))
        print(f"Machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}; one run each, fresh processes.\n")
        print("| Benchmark | modelcard-spec | Baseline | Ratio | Target |")
        print("|---|---|---|---|---|")
        print(f"| Validate + export + load {args.cards} cards | {l_t:.1f} s, peak RSS {l_rss / 1024:.0f} MiB, store {size:.0f} MiB "
              f"| {v_t:.1f} s validating only | {l_t / v_t:.2f}× | ≤ 60 s, ≤ 300 MB |")
        print(f"| Same, `kg load --bulk` into an empty store | {b_t:.1f} s, peak RSS {b_rss / 1024:.0f} MiB "
              f"| {v_t:.1f} s validating only | {b_t / v_t:.2f}× | ≤ 60 s, ≤ 300 MB |")
        from modelcard_spec import kg
        for name in kg.shipped_queries():
            q_t, _, out = child(QUERY.format(name=name, repeat=args.repeat, store=store))
            rows = out.split("ROWS=")[1].split()[0]
            print(f"| Query `{name}` over {args.cards} cards | {q_t * 1000:.0f} ms ({rows} rows), median of {args.repeat} | - | - | - |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
