"""Benchmark: the shipped queries over a store of many cards, built quickly.

``kg load`` loads ``--cards`` distinct cards (the corpus of validate_bench.py) into a store; the
store's N-Quads dump is then repeated ``--copies`` times with every card IRI renamed (``…/id/card/
<identifier>.copyK/<version>``, the side index included) and each card's identifier with it, and
loaded with the store's native bulk loader (``oxigraph load``) into a second store of cards × copies
cards in store format 2, which is then compacted as ``kg load`` compacts a store whose cards have
doubled since it was last compacted. Each shipped query then runs over it in a fresh process (median of ``--repeat``;
``card-graph`` with ``--bind card=`` one card), then the four slow ones bound to one card, model or dataset as the
knowledge-graph guide advises (:func:`narrowed`). The store is what ``kg load`` would write for that
many cards, short of the names inside the copies, which repeat (no shipped query groups by them).

    python3 benchmarks/kg_query_bench.py --cards 500 --copies 20      # 10,000 cards
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
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from kg_bench import COMPACT, DUMP, _load, run, time_query  # noqa: E402
from validate_bench import make_corpus  # noqa: E402

CARD = re.compile(rb"(<https://w3id\.org/modelcard-spec/id/card/[^/>]+)")
# a card's own identifier: the card IRI is .../id/card/<identifier>/<version>
IDENTIFIER = re.compile(rb'^(<https://w3id\.org/modelcard-spec/id/card/[^/>]+/[^/>]+> '
                        rb'<https://w3id\.org/modelcard-spec/vocab/identifier> "[^"]*)"')


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--cards", type=int, default=500)
    ap.add_argument("--copies", type=int, default=20)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    exe = Path(sys.executable).parent
    start_load = _load()
    with tempfile.TemporaryDirectory() as tmp:
        big_nq, first_card_line = build_export(Path(tmp), args.cards, args.copies)
        big = str(Path(tmp) / "big")
        seconds, _, _ = run([str(exe / "oxigraph"), "load", "--location", big, "--file", str(big_nq)])
        # as kg load leaves a store whose cards have at least doubled since it was compacted (graph.store.compact)
        subprocess.run([sys.executable, "-c", COMPACT.format(store=big)], check=True)
        quads = sum(1 for _ in open(big_nq, "rb"))
        from modelcard_spec.graph import sparql

        one = [f"card={one_card(first_card_line, args.copies)}"]
        print(f"Machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}; "
              f"{args.cards * args.copies} cards ({args.cards} loaded by kg load, × {args.copies} renamed copies), "
              f"{quads} quads, native load {seconds:.0f} s; load average {start_load} at the start.\n")
        print("| Query | Time (median) | Rows | Target |")
        print("|---|---|---|---|")
        for name in sparql.shipped_queries():
            bind = one if name == "card-graph" else []
            q_t, n = time_query(big, name, bind, args.repeat)
            print(f"| `{name}`{' --bind card=…' if bind else ''} | {q_t * 1000:.0f} ms | {n} | ≤ 1 s |", flush=True)
        print("\n| Query narrowed with `--bind` (what the knowledge-graph guide advises) | Time (median) | Rows |")
        print("|---|---|---|")
        for name, bind in narrowed(big, one[0].split("=", 1)[1]):
            q_t, n = time_query(big, name, bind, args.repeat)
            print(f"| `{name}` --bind {bind[0].split('=')[0]}=… | {q_t * 1000:.0f} ms | {n} |", flush=True)
        print(f"\nLoad average at the end: {_load()}.")
    return 0


def build_export(tmp: Path, cards: int, copies: int) -> tuple[Path, bytes]:
    """``kg load`` of ``cards`` cards of the corpus into a store in ``tmp``, dumped as N-Quads and
    repeated ``copies`` times with every card IRI and each card's identifier renamed: the path of ``tmp/big.nq`` and the first
    line that names a card (for :func:`one_card`)."""
    exe = Path(sys.executable).parent
    make_corpus(tmp / "cards", cards)
    small = str(tmp / "small")
    run([str(exe / "modelcard-spec"), "kg", "load", str(tmp / "cards"), "--store", small, "--jobs", "2"])
    nq = tmp / "small.nq"
    subprocess.run([sys.executable, "-c", DUMP.format(store=small, out=str(nq))], check=True)
    lines = nq.read_bytes().splitlines(keepends=True)
    card_lines = [line for line in lines if CARD.search(line)]
    shared = [line for line in lines if not CARD.search(line)]  # vocabularies, store format
    big_nq = tmp / "big.nq"
    with open(big_nq, "wb") as out:
        out.writelines(shared)
        for k in range(copies):
            suffix = b".copy%d" % k
            out.writelines(IDENTIFIER.sub(rb'\1%s"' % suffix, CARD.sub(rb"\1%s" % suffix, line)) for line in card_lines)
    shutil.rmtree(small)
    nq.unlink()
    return big_nq, card_lines[0]


NARROW = """PREFIX mcs: <https://w3id.org/modelcard-spec/vocab/>
SELECT ?identifier ?model ?dataset WHERE {{
  <{card}> mcs:identifier ?identifier ; mcs:name ?model ; mcs:source_task_data/mcs:datasets/mcs:name ?dataset }}
ORDER BY ?dataset LIMIT 1"""


def narrowed(store: str, card: str) -> list[tuple[str, list[str]]]:
    """The slow shipped queries bound to the card ``card``: its identifier, its model's name (which
    the copies share), the name of one of its datasets (the first in code-point order), or the card itself."""
    import pyoxigraph as ox

    row = next(iter(ox.Store.read_only(store).query(NARROW.format(card=card))))
    identifier, model, dataset = (row[v].value for v in ("identifier", "model", "dataset"))
    return [("metric-results", [f"model={model}"]), ("models-by-dataset", [f"model={model}"]),
            ("models-by-dataset", [f"dataset_name={dataset}"]), ("verdicts-by-card", [f"identifier={identifier}"]),
            ("standard-vocabularies-view", [f"card={card}"])]


def one_card(line: bytes, copies: int) -> str:
    """The IRI of one card of the export (of the middle copy), for card-graph's ``--bind card=``."""
    return f"{_card_of(line)}.copy{copies // 2}/{_version_of(line)}"


def _card_of(line: bytes) -> str:
    return CARD.search(line).group(1).decode()[1:]


def _version_of(line: bytes) -> str:
    rest = line.split(CARD.search(line).group(1), 1)[1]
    return rest[1:].split(b"/")[0].split(b">")[0].decode()


if __name__ == "__main__":
    sys.exit(main())
