"""Benchmark: the shipped queries over a store of many cards, built quickly.

``kg load`` loads ``--cards`` distinct cards (the corpus of validate_bench.py) into a store; the
store's N-Quads dump is then repeated ``--copies`` times with every card IRI renamed (``…/id/card/
<identifier>.copyK/<version>``, the side index included) and loaded with the store's native bulk
loader (``oxigraph load``) into a second store of cards × copies cards in store format 2, which is
then compacted as ``kg load`` compacts a store it has at least doubled. Each
shipped query then runs over it in a fresh process (median of ``--repeat``; ``card-graph`` with
``--bind card=`` one card). The store is what ``kg load`` would write for that many cards, short
of the card identifiers and names inside the copies, which repeat (no shipped query groups by them
but ``verdicts-by-card``, which groups by assessment).

    python3 benchmarks/kg_query_bench.py --cards 500 --copies 20      # 10,000 cards
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from kg_bench import COMPACT, DUMP, _load, run, time_query  # noqa: E402
from validate_bench import make_corpus  # noqa: E402

CARD = re.compile(rb"(<https://w3id\.org/modelcard-spec/id/card/[^/>]+)")


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--cards", type=int, default=500)
    ap.add_argument("--copies", type=int, default=20)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    exe = Path(sys.executable).parent
    start_load = _load()
    with tempfile.TemporaryDirectory() as tmp:
        make_corpus(Path(tmp) / "cards", args.cards)
        small = str(Path(tmp) / "small")
        run([str(exe / "modelcard-spec"), "kg", "load", str(Path(tmp) / "cards"), "--store", small, "--jobs", "2"])
        nq = Path(tmp) / "small.nq"
        subprocess.run([sys.executable, "-c", DUMP.format(store=small, out=str(nq))], check=True)
        lines = nq.read_bytes().splitlines(keepends=True)
        card_lines = [line for line in lines if CARD.search(line)]
        shared = [line for line in lines if not CARD.search(line)]  # vocabularies, store format
        big_nq = Path(tmp) / "big.nq"
        with open(big_nq, "wb") as out:
            out.writelines(shared)
            for k in range(args.copies):
                out.writelines(CARD.sub(rb"\1.copy%d" % k, line) for line in card_lines)
        big = str(Path(tmp) / "big")
        seconds, _, _ = run([str(exe / "oxigraph"), "load", "--location", big, "--file", str(big_nq)])
        # as kg load leaves a store it has at least doubled (graph.store.compact)
        subprocess.run([sys.executable, "-c", COMPACT.format(store=big)], check=True)
        quads = sum(1 for _ in open(big_nq, "rb"))
        from modelcard_spec.graph import sparql

        one = [f"card={_card_of(card_lines[0])}.copy{args.copies // 2}/{_version_of(card_lines[0])}"]
        print(f"Machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}; "
              f"{args.cards * args.copies} cards ({args.cards} loaded by kg load, × {args.copies} renamed copies), "
              f"{quads} quads, native load {seconds:.0f} s; load average {start_load} at the start.\n")
        print("| Query | Time (median) | Rows | Target |")
        print("|---|---|---|---|")
        for name in sparql.shipped_queries():
            bind = one if name == "card-graph" else []
            q_t, n = time_query(big, name, bind, args.repeat)
            print(f"| `{name}`{' --bind card=…' if bind else ''} | {q_t * 1000:.0f} ms | {n} | ≤ 1 s |", flush=True)
        print(f"\nLoad average at the end: {_load()}.")
    return 0


def _card_of(line: bytes) -> str:
    return CARD.search(line).group(1).decode()[1:]


def _version_of(line: bytes) -> str:
    rest = line.split(CARD.search(line).group(1), 1)[1]
    return rest[1:].split(b"/")[0].split(b">")[0].decode()


if __name__ == "__main__":
    sys.exit(main())
