"""Benchmark: export + load of N cards into the embedded store, and the latency of the shipped
queries over them. Compared in the same run with three floors on the same cards:

* validating them alone (``validate --jobs`` with the same number of processes), since every card
  is validated to produce its conformity assessment;
* writing the very same quads with pyoxigraph in the batches ``kg load`` uses
  (``graph.store.BATCH_QUADS``), i.e. the writer thread of ``kg load`` with nothing else to do: the
  write-only floor of the store's layout (format 2: cards in the default graph, a side index). The
  quads are the TriG that kg load's own code builds for each card (``graph.store._built``, run
  beforehand into a file, timed on its own: see below);
* loading that TriG file with the store's own native bulk loader (``oxigraph load``), i.e. what the
  store costs with no Python at all.

Building that TriG (kg load's workers, with the same ``--jobs``, and no store) is timed too: a load
must build, write and (a first load) compact, so the CPU of the three divided by the machine's cores
is a lower bound on its wall time, which the table prints beside the load (no load reaches it: the
writer is one thread, the compaction follows the writes, and the bound counts three interpreter starts).

The shipped queries run over the store the first load leaves (which that load has compacted), then
again after the reloads. Reloads: unchanged; after a tool upgrade that changes no verdict (the same cards loaded by the
same code with another ``__version__``: the tool's version is outside ``graph_sha256``, so no card
changes); after changing every card. The machine's load average is printed at the start and end.

    python3 benchmarks/kg_bench.py --cards 10000

Peak memory is the peak of the summed proportional resident memory (PSS) of the whole process
tree (the command and its worker processes), sampled every 250 ms: every resident page is counted
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

DUMP = """
import pyoxigraph as ox
ox.Store.read_only({store!r}).dump(output={out!r}, format=ox.RdfFormat.N_QUADS)
"""

# The bytes kg load hands its writer, card by card, built by kg load's own code (validation, triples):
# each card's TriG preceded by a comment line giving its size and its quads, so that the file is
# TriG for ``oxigraph load`` too.
BUILD = """
from modelcard_spec.graph import assessment, store
names = [str(f) for f in assessment.card_files([{folder!r}])]
with open({out!r}, 'wb') as f:
    for built in store._built([(name, None) for name in names], {jobs}):
        f.write(b'# %d %d\\n' % (len(built.trig), built.quads))
        f.write(built.trig)
"""

# kg load's writer with nothing else to do: the store format and vocabularies first, then the cards
# in batches of BATCH_QUADS quads, each one bulk load, as graph.store._BatchWriter writes them.
WRITE_ONLY = """
import pyoxigraph as ox
from modelcard_spec.graph.store import BATCH_QUADS, _prepare
store = ox.Store({store!r})
_prepare(store, {store!r})
batch, quads = [], 0
with open({trig!r}, 'rb') as f:
    while True:
        head = f.readline()
        if not head:
            break
        size, count = map(int, head[2:].split())
        batch.append(f.read(size))
        quads += count
        if quads >= BATCH_QUADS:
            store.bulk_load(input=b''.join(batch), format=ox.RdfFormat.TRIG, lenient=True)
            batch, quads = [], 0
if batch:
    store.bulk_load(input=b''.join(batch), format=ox.RdfFormat.TRIG, lenient=True)
store.flush()
"""

# What kg load does at the end of a load after which the store holds at least twice the cards it held when last
# compacted (graph.store.compact).
COMPACT = """
import pyoxigraph as ox
from modelcard_spec.graph.store import compact
compact(ox.Store({store!r}))
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


CPU: dict[str, float] = {}  # command -> CPU seconds (user + system) of its whole process tree


def run(cmd: list[str]) -> tuple[float, int, str]:
    """Run a command; return (seconds, peak summed PSS of its process tree in MiB, stdout). Its CPU
    seconds (user + system, the command and the workers it waited for) go into ``CPU[" ".join(cmd)]``:
    on a shared machine they say more than the wall-clock time."""
    import resource

    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        start = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=out, stderr=err, text=True)
        peak = 0
        while proc.poll() is None:
            peak = max(peak, sum(_pss_kib(p) for p in _tree(proc.pid)))
            time.sleep(0.25)  # reading smaps_rollup costs CPU: sampled often, it slowed what it measured
        seconds = time.perf_counter() - start
        out.seek(0)
        err.seek(0)
        out, err = out.read(), err.read()
    if proc.returncode not in (0, 1):
        raise SystemExit(f"{cmd[:4]} failed ({proc.returncode}): {err[-2000:]}")
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    CPU[" ".join(cmd)] = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return seconds, peak // 1024, out


def _cpu(cmd: list[str]) -> str:
    return f"{CPU[' '.join(cmd)]:.1f} CPU-s"


def _load() -> str:
    with open("/proc/loadavg") as f:
        return " ".join(f.read().split()[:3])


def _say(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def time_query(store: str, name: str, bind: list[str], repeat: int) -> tuple[float, str]:
    """The median time of a shipped query over the store (``repeat`` runs in one fresh process), and
    how many rows (or triples) it gave."""
    proc = subprocess.run([sys.executable, "-c", QUERY.format(name=name, repeat=repeat, store=store, bind=bind)],
                          capture_output=True, text=True, check=True)
    return float(proc.stdout.split("T=")[1].split()[0]), proc.stdout.split("ROWS=")[1].split()[0]


def _queries(store: str, one: list[str], args, when: str) -> list[str]:
    """Each shipped query over the store, median of ``args.repeat`` runs in a fresh process."""
    from modelcard_spec.graph import sparql

    rows = []
    for name in sparql.shipped_queries():
        bind = one if name == "card-graph" else []
        q_t, n = time_query(store, name, bind, args.repeat)
        _say(f"query {name} ({when}) {q_t * 1000:.0f} ms, {n} rows")
        rows.append(f"| Query `{name}`{' --bind card=…' if bind else ''} over {args.cards} cards, {when} | "
                    f"{q_t * 1000:.0f} ms ({n} rows), median of {args.repeat} | - | - | ≤ 1 s |")
    return rows


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--cards", type=int, default=10000)
    ap.add_argument("--repeat", type=int, default=3, help="repeats per query")
    ap.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    ap.add_argument("--skip-validate", action="store_true", help="do not time `validate` of the same cards")
    ap.add_argument("--skip-native", action="store_true", help="do not time `oxigraph load` of the same quads")
    args = ap.parse_args()
    exe = Path(sys.executable).parent
    cli = [str(exe / "modelcard-spec")]
    load_before = _load()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        cards = make_corpus(Path(tmp) / "cards", args.cards)
        store = str(Path(tmp) / "store")
        jobs = ["--jobs", str(args.jobs)]
        folder = str(Path(tmp) / "cards")
        load_cmd = cli + ["kg", "load", folder, "--store", store, *jobs]
        l_t, l_rss, _ = run(load_cmd)
        l_cpu = _cpu(load_cmd)
        size = sum(f.stat().st_size for f in Path(store).rglob("*") if f.is_file()) / 2**20
        _say(f"load {l_t:.1f} s {l_cpu} {l_rss} MiB, store {size:.0f} MiB (load average {_load()})")
        trig = Path(tmp) / "cards.trig"
        build_cmd = [sys.executable, "-c", BUILD.format(folder=folder, out=str(trig), jobs=args.jobs)]
        b_t, b_rss, _ = run(build_cmd)
        b_cpu = CPU[" ".join(build_cmd)]
        _say(f"build only {b_t:.1f} s {b_cpu:.1f} CPU-s {b_rss} MiB")
        with open(trig, "rb") as f:
            quads = sum(int(line.split()[2]) for line in f if line.startswith(b"# "))
        floor = str(Path(tmp) / "floor")
        write_cmd = [sys.executable, "-c", WRITE_ONLY.format(store=floor, trig=str(trig))]
        w_t, w_rss, _ = run(write_cmd)
        w_cpu = _cpu(write_cmd)
        _say(f"write-only {w_t:.1f} s {w_cpu} {w_rss} MiB, {quads} quads (load average {_load()})")
        compact_cmd = [sys.executable, "-c", COMPACT.format(store=floor)]
        k_t, k_rss, _ = run(compact_cmd)
        # What a first load must do in all, on this machine's cores: the floor's writing, the workers'
        # building and the compaction at the end, which a load overlaps but cannot shrink.
        bound = (CPU[" ".join(write_cmd)] + b_cpu + CPU[" ".join(compact_cmd)]) / (os.cpu_count() or 1)
        _say(f"compacting the floor's store {k_t:.1f} s {k_rss} MiB")
        shutil.rmtree(floor)
        rows.append(f"| `kg load` of {args.cards} cards into an empty store (validate, build the triples, load) | {l_t:.1f} s ({l_cpu}), "
                    f"peak memory {l_rss} MiB, store {size:.0f} MiB | {w_t:.1f} s ({w_cpu}), {w_rss} MiB: pyoxigraph writing the same "
                    f"{quads} quads (the TriG kg load's workers hand its writer) in the batches `kg load` uses | {l_t / w_t:.2f}× | ≤ 60 s, "
                    f"≤ 1.2× the write-only floor, ≤ 300 MB |")
        rows.append(f"| Of which compacting the store at the end (`kg load` does it when the cards in the store have at "
                    f"least doubled since it was last compacted) | - | {k_t:.1f} s ({_cpu(compact_cmd)}), {k_rss} MiB: compacting the floor's store, the same quads written the "
                    f"same way | - | - |")
        if not args.skip_native:
            n_t, n_rss, _ = run([str(exe / "oxigraph"), "load", "--location", floor, "--file", str(trig)])
            shutil.rmtree(floor)
            _say(f"native {n_t:.1f} s {n_rss} MiB")
            rows.append(f"| The same `kg load` (first row) | {l_t:.1f} s | {n_t:.1f} s, {n_rss} MiB: `oxigraph load` (Rust, no Python) of the same "
                        f"quads | {l_t / n_t:.2f}× | - |")
        rows.append(f"| Building the same quads alone (kg load's workers: validate each card, build its triples; no store) "
                    f"| - | {b_t:.1f} s ({b_cpu:.1f} CPU-s), {b_rss} MiB, --jobs {args.jobs} | - | - |")
        rows.append(f"| Lower bound on the wall time of building, writing and compacting on {os.cpu_count()} cores "
                    f"(the CPU-seconds of the write-only floor, the building and the compaction, divided by the cores) | {l_t:.1f} s | {bound:.1f} s | {l_t / bound:.2f}× | - |")
        trig.unlink()
        from modelcard_spec.graph import assessment
        one = [f"card={assessment.card_graph(str(cards[len(cards) // 2])).graph}"]
        rows += _queries(store, one, args, "after the first load")
        if not args.skip_validate:
            v_t, v_rss, _ = run(cli + ["validate", folder, "--format", "json", *jobs])
            _say(f"validate {v_t:.1f} s {v_rss} MiB")
            rows.append(f"| The same `kg load` (first row) | {l_t:.1f} s | {v_t:.1f} s, {v_rss} MiB: `validate` of the same cards | {l_t / v_t:.2f}× | - |")
        r_t, r_rss, _ = run(load_cmd)
        r_cpu = _cpu(load_cmd)
        _say(f"reload {r_t:.1f} s {r_rss} MiB (load average {_load()})")
        rows.append(f"| `kg load` of the same cards again (all unchanged) | {r_t:.1f} s ({r_cpu}), peak memory {r_rss} MiB "
                    f"| {l_t:.1f} s first load | {r_t / l_t:.2f}× | - |")
        from modelcard_spec.spec.version import __version__
        upgrade_cmd = [sys.executable, "-c", UPGRADED.format(
            version=__version__ + "+upgrade", args=["kg", "load", folder, "--store", store, *jobs])]
        u_t, u_rss, u_out = run(upgrade_cmd)
        _say(f"upgrade reload {u_t:.1f} s {u_rss} MiB: {u_out.strip()}")
        rows.append(f"| `kg load` after a tool upgrade that changes no verdict ({u_out.strip().split(': ')[-1]}) | "
                    f"{u_t:.1f} s ({_cpu(upgrade_cmd)}), peak memory {u_rss} MiB | {r_t:.1f} s unchanged reload | {u_t / r_t:.2f}× | "
                    f"as fast as an unchanged reload |")
        for card in cards:  # a new name in every card: every graph changes
            text = card.read_text(encoding="utf-8")
            card.write_text(re.sub(r"^name: (.+)$", r"name: \1 (revised)", text, count=1, flags=re.M), encoding="utf-8")
        c_t, c_rss, _ = run(load_cmd)
        _say(f"all changed {c_t:.1f} s {c_rss} MiB (load average {_load()})")
        rows.append(f"| `kg load` after changing every card (all updated in place) | {c_t:.1f} s ({_cpu(load_cmd)}), peak memory {c_rss} MiB "
                    f"| {l_t:.1f} s first load | {c_t / l_t:.2f}× | - |")
        rows += _queries(store, one, args, "after every card changed")
    print(f"Machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}; "
          f"{args.cards} cards, {quads} quads; one run each, fresh processes, --jobs {args.jobs}; "
          f"load average (1, 5, 15 min) {load_before} at the start, {_load()} at the end.\n")
    print("| Benchmark | modelcard-spec | Baseline | Ratio | Target |")
    print("|---|---|---|---|---|")
    print("\n".join(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
