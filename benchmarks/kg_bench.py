"""Benchmark: export + load of N cards into the embedded store, and the latency of the shipped
queries over them. Compared in the same run with three floors on the same cards:

* validating them alone (``validate --jobs`` with the same number of processes), since every card
  is validated to produce its conformity assessment;
* loading the very same quads, already written as a TriG file, with the store's own native bulk
  loader (``oxigraph load``), i.e. what the store costs with no Python at all;
* writing the very same quads from that file with pyoxigraph in the batches ``kg load`` uses
  (``graph.store.BATCH_QUADS``), i.e. the writer thread of ``kg load`` with nothing else to do: the
  write-only floor of the store's layout (format 2: cards in the default graph, a side index).

Then reloads: unchanged; after a tool upgrade that changes no verdict (the same cards loaded by the
same code with another ``__version__``: the tool's version is outside ``graph_sha256``, so no card
changes); after changing every card. The machine's load average is printed at the start and end.

    python3 benchmarks/kg_bench.py --cards 10000

Peak memory is the peak of the summed proportional resident memory (PSS) of the whole process
tree (the command and its worker processes), sampled every 50 ms: every resident page is counted
once, pages shared by n processes 1/n in each.

Target (issue 19): 10,000 cards loaded in ≤ 60 s and ≤ 1.2× the write-only floor, peak ≤ 300 MB; an upgrade
reload as fast as an unchanged one; each shipped query ≤ 1 s.
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from validate_bench import make_corpus  # noqa: E402

EXPORT_TRIG = """
from modelcard_spec.graph import store as kg_store
names = open({listing!r}).read().split()
with open({out!r}, 'wb') as f:
    for built in kg_store._built([(name, None) for name in names], 2):
        f.write(built.trig)
"""

WRITE_ONLY = """
import pyoxigraph as ox
from modelcard_spec.graph.store import BATCH_QUADS
store = ox.Store({store!r})
batch, quads = [], 0
with open({trig!r}, 'rb') as f:
    for line in f:  # one block per card: '<graph> {{', its lines, '}}'
        batch.append(line)
        quads += line.endswith(b' .\\n')
        if line == b'}}\\n' and quads >= BATCH_QUADS:
            store.bulk_load(input=b''.join(batch), format=ox.RdfFormat.TRIG, lenient=True)
            batch, quads = [], 0
if batch:
    store.bulk_load(input=b''.join(batch), format=ox.RdfFormat.TRIG, lenient=True)
store.flush()
"""

UPGRADED = """
import sys
from modelcard_spec.spec import version
from modelcard_spec.graph import assessment
version.__version__ = assessment.__version__ = {version!r}  # what an upgrade changes in every assessment
from modelcard_spec.cli import main
sys.argv = ["modelcard-spec", *{args!r}]
sys.exit(main())
"""

QUERY = """
import statistics, time
from modelcard_spec.graph import sparql
text = sparql.resolve_query({name!r})
times = []
for _ in range({repeat}):
    start = time.perf_counter()
    result = sparql.query({store!r}, text, bind={bind!r})
    n = len(result[2]) if result[0] == 'select' else len(result[1]) if result[0] == 'graph' else 1
    times.append(time.perf_counter() - start)
print('T=%f ROWS=%d' % (statistics.median(times), n))
"""


def _tree(pid: int) -> list[int]:
    pids, todo = [], [pid]
    while todo:
        p = todo.pop()
        pids.append(p)
        try:
            for task in os.listdir(f"/proc/{p}/task"):
                with open(f"/proc/{p}/task/{task}/children") as f:
                    todo.extend(int(c) for c in f.read().split())
        except OSError:
            pass
    return pids


def _pss_kib(pid: int) -> int:
    """Proportional set size: resident memory with pages shared by n processes counted 1/n each,
    so the sum over a process tree (forked workers share the parent's pages) is not inflated."""
    try:
        with open(f"/proc/{pid}/smaps_rollup") as f:
            for line in f:
                if line.startswith("Pss:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def run(cmd: list[str]) -> tuple[float, int, str]:
    """Run a command; return (seconds, peak summed PSS of its process tree in MiB, stdout)."""
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        start = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=out, stderr=err, text=True)
        peak = 0
        while proc.poll() is None:
            peak = max(peak, sum(_pss_kib(p) for p in _tree(proc.pid)))
            time.sleep(0.05)
        seconds = time.perf_counter() - start
        out.seek(0)
        err.seek(0)
        out, err = out.read(), err.read()
    if proc.returncode not in (0, 1):
        raise SystemExit(f"{cmd[:4]} failed ({proc.returncode}): {err[-2000:]}")
    return seconds, peak // 1024, out


def _load() -> str:
    with open("/proc/loadavg") as f:
        return " ".join(f.read().split()[:3])


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--cards", type=int, default=10000)
    ap.add_argument("--repeat", type=int, default=3, help="repeats per query")
    ap.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    args = ap.parse_args()
    exe = Path(sys.executable).parent
    cli = [str(exe / "modelcard-spec")]
    load_before = _load()
    with tempfile.TemporaryDirectory() as tmp:
        cards = make_corpus(Path(tmp) / "cards", args.cards)
        listing = Path(tmp) / "cards.txt"
        listing.write_text("\n".join(map(str, cards)))
        store = str(Path(tmp) / "store")
        jobs = ["--jobs", str(args.jobs)]
        v_t, v_rss, _ = run(cli + ["validate", str(Path(tmp) / "cards"), "--format", "json", *jobs])
        l_t, l_rss, _ = run(cli + ["kg", "load", str(Path(tmp) / "cards"), "--store", store, *jobs])
        size = sum(f.stat().st_size for f in Path(store).rglob("*") if f.is_file()) / 2**20
        r_t, r_rss, _ = run(cli + ["kg", "load", str(Path(tmp) / "cards"), "--store", store, *jobs])
        from modelcard_spec.spec.version import __version__
        upgraded = __version__ + "+upgrade"
        u_t, u_rss, u_out = run([sys.executable, "-c", UPGRADED.format(
            version=upgraded, args=["kg", "load", str(Path(tmp) / "cards"), "--store", store, *jobs])])
        for card in cards:  # a new name in every card: every graph changes
            text = card.read_text(encoding="utf-8")
            card.write_text(re.sub(r"^name: (.+)$", r"name: \1 (revised)", text, count=1, flags=re.M), encoding="utf-8")
        c_t, c_rss, _ = run(cli + ["kg", "load", str(Path(tmp) / "cards"), "--store", store, *jobs])
        trig = Path(tmp) / "cards.trig"
        subprocess.run([sys.executable, "-c", EXPORT_TRIG.format(listing=str(listing), out=str(trig))], check=True)
        quads = sum(1 for line in open(trig, "rb") if line.endswith(b" .\n"))
        native = str(Path(tmp) / "native")
        n_t, n_rss, _ = run([str(exe / "oxigraph"), "load", "--location", native, "--file", str(trig)])
        shutil.rmtree(native)
        w_t, w_rss, _ = run([sys.executable, "-c", WRITE_ONLY.format(store=native, trig=str(trig))])
        trig.unlink()
        shutil.rmtree(native)
        print(f"Machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}; "
              f"{args.cards} cards, {quads} quads; one run each, fresh processes, --jobs {args.jobs}; "
              f"load average (1, 5, 15 min) {load_before} at the start, {_load()} at the end.\n")
        print("| Benchmark | modelcard-spec | Baseline | Ratio | Target |")
        print("|---|---|---|---|---|")
        print(f"| `kg load` of {args.cards} cards into an empty store (validate, export, load) | {l_t:.1f} s, "
              f"peak memory {l_rss} MiB, store {size:.0f} MiB | {n_t:.1f} s, {n_rss} MiB: `oxigraph load` of the same "
              f"quads from a TriG file | {l_t / n_t:.2f}× | ≤ 60 s, ≤ 300 MB |")
        print(f"| Same | {l_t:.1f} s | {w_t:.1f} s, {w_rss} MiB: pyoxigraph writing the same quads from that file in "
              f"the batches `kg load` uses | {l_t / w_t:.2f}× | - |")
        print(f"| Same | {l_t:.1f} s | {v_t:.1f} s, {v_rss} MiB: `validate` of the same cards | {l_t / v_t:.2f}× | - |")
        print(f"| `kg load` of the same cards again (all unchanged) | {r_t:.1f} s, peak memory {r_rss} MiB "
              f"| {l_t:.1f} s first load | {r_t / l_t:.2f}× | - |")
        print(f"| `kg load` after a tool upgrade that changes no verdict ({u_out.strip().split(': ')[-1]}) | {u_t:.1f} s, "
              f"peak memory {u_rss} MiB | {r_t:.1f} s unchanged reload | {u_t / r_t:.2f}× | as fast as an unchanged reload |")
        print(f"| `kg load` after changing every card (all updated in place) | {c_t:.1f} s, peak memory {c_rss} MiB "
              f"| {l_t:.1f} s first load | {c_t / l_t:.2f}× | - |")
        from modelcard_spec.graph import sparql
        from modelcard_spec.graph import assessment
        one = [f"card={assessment.card_graph(str(cards[len(cards) // 2])).graph}"]
        for name in sparql.shipped_queries():
            bind = one if name == "card-graph" else []
            proc = subprocess.run([sys.executable, "-c", QUERY.format(name=name, repeat=args.repeat, store=store,
                                                                      bind=bind)],
                                  capture_output=True, text=True, check=True)
            q_t = float(proc.stdout.split("T=")[1].split()[0])
            rows = proc.stdout.split("ROWS=")[1].split()[0]
            print(f"| Query `{name}`{' --bind card=…' if bind else ''} over {args.cards} cards | {q_t * 1000:.0f} ms "
                  f"({rows} rows), median of {args.repeat} | - | - | ≤ 1 s |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
