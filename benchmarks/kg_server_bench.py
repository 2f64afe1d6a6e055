"""Benchmark: the shipped queries over many cards in a server store (Virtuoso) against the embedded
store, on the same export, in one run.

The export is kg_query_bench.py's (``kg load`` of ``--cards`` cards of the corpus, dumped as N-Quads
and repeated ``--copies`` times with every card IRI renamed). It is loaded

* into the embedded store with ``oxigraph load`` and compacted, as ``kg load`` leaves a store it has
  at least doubled since it was last compacted; each shipped query runs through ``kg query``'s own code (median of ``--repeat``
  in a fresh process), as in kg_query_bench.py;
* into Virtuoso (Debian's ``virtuoso-opensource``, ``virtuoso-t`` started on loopback in a temporary
  folder with ``--buffers`` 8 KiB page buffers) with its own bulk loader, as the knowledge-graph guide
  describes (``ld_dir``, ``rdf_loader_run()`` in ``--loaders`` sessions at once, ``checkpoint``);
  each shipped query is then posted to its SPARQL endpoint (median of ``--repeat``, the whole reply
  read; SELECT as SPARQL JSON results, CONSTRUCT as N-Triples), with no query time limit and a row
  limit above every result, and a reply that Virtuoso marks as partial is reported as such.

The rows (or triples) each store returned are printed side by side, so that a query one store
answers differently from the other shows. ``card-graph`` is bound to one card (``--bind card=`` in
the embedded store; a ``VALUES`` clause at the start of the WHERE clause on the server).

    python3 benchmarks/kg_server_bench.py --cards 500 --copies 20      # 10,000 cards
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from kg_bench import COMPACT, _load, run, time_query  # noqa: E402
from kg_query_bench import build_export, one_card  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
from test_kg_push_servers import _free_port, virtuoso_ini  # noqa: E402  (the tests' Virtuoso, more buffers)

GRAPH = "https://w3id.org/modelcard-spec/graph/cards"  # the target graph of the default graph's triples


_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # loopback: never a proxy


def _post(endpoint: str, text: str, construct: bool) -> tuple[bytes, dict]:
    accept = "application/n-triples" if construct else "application/sparql-results+json"
    req = urllib.request.Request(endpoint, data=urllib.parse.urlencode({"query": text}).encode(),
                                 headers={"Accept": accept, "Content-Type": "application/x-www-form-urlencoded"})
    with _OPENER.open(req, timeout=3600) as reply:
        return reply.read(), {k.lower(): v for k, v in reply.headers.items()}


def _isql(port: int, sql: str) -> str:
    proc = subprocess.run([shutil.which("isql-vt") or "isql-vt", f"127.0.0.1:{port}", "dba", "dba", f"exec={sql}"],
                          capture_output=True, text=True)
    if proc.returncode != 0 or "*** Error" in proc.stdout + proc.stderr:
        raise SystemExit(f"isql-vt failed: {(proc.stdout + proc.stderr)[-2000:]}")
    return proc.stdout


def _peak_rss_mib(pid: int) -> int:
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) // 1024
    return 0


def virtuoso_queries(home: Path, big_nq: Path, one: str, args) -> tuple[list[str], dict]:
    """Start Virtuoso in ``home``, bulk-load ``big_nq`` and run each shipped query: the table's
    head lines and {query: (median seconds, rows, note)}."""
    from modelcard_spec.graph import sparql

    sql, http = _free_port(), _free_port()
    (home / "virtuoso.ini").write_text(virtuoso_ini(home, sql, http, args.buffers, 100_000_000), encoding="utf-8")
    proc = subprocess.Popen([shutil.which("virtuoso-t"), "-c", str(home / "virtuoso.ini"), "+foreground"], cwd=home,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    endpoint = f"http://127.0.0.1:{http}/sparql"
    try:
        for _ in range(240):
            try:
                _post(endpoint, "ASK {}", False)
                break
            except OSError:
                if proc.poll() is not None:
                    raise SystemExit("virtuoso-t stopped: " + (home / "virtuoso.log").read_text(errors="replace")[-2000:])
                time.sleep(0.5)
        os.link(big_nq, home / big_nq.name)  # inside DirsAllowed
        _isql(sql, f"ld_dir('{home}', '{big_nq.name}', '{GRAPH}');")
        start = time.perf_counter()
        loaders = [subprocess.Popen([shutil.which("isql-vt"), f"127.0.0.1:{sql}", "dba", "dba", "exec=rdf_loader_run();"],
                                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL) for _ in range(args.loaders)]
        for loader in loaders:
            loader.wait()
        _isql(sql, "checkpoint;")
        load_s = time.perf_counter() - start
        failed = _isql(sql, "SELECT ll_file, ll_error FROM DB.DBA.load_list WHERE ll_state <> 2 OR ll_error IS NOT NULL;")
        if "\n0 Rows." not in failed:
            raise SystemExit(f"the bulk load failed: {failed[-2000:]}")
        body, _ = _post(endpoint, "SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }", False)
        quads = int(json.loads(body)["results"]["bindings"][0]["n"]["value"])
        head = [f"Virtuoso ({_version()}): {args.buffers} buffers of 8 KiB, bulk load of {quads} quads "
                f"with {args.loaders} loaders and a checkpoint: {load_s:.0f} s."]
        out = {}
        for name, entry in sparql.shipped_queries().items():
            text = entry["text"]
            if name == "card-graph":  # Virtuoso 7 refuses a VALUES clause after a CONSTRUCT's WHERE
                where = text.index("{", text.index("WHERE")) + 1
                text = f"{text[:where]} VALUES ?card {{ <{one}> }}{text[where:]}"
            construct = _form(text) == "CONSTRUCT"
            times, note, rows = [], "", "-"
            for _ in range(args.repeat):
                start = time.perf_counter()
                try:
                    body, headers = _post(endpoint, text, construct)
                except urllib.error.HTTPError as exc:
                    note = f"error {exc.code}: {exc.read()[:200].decode('utf-8', 'replace').strip()}"
                    break
                times.append(time.perf_counter() - start)
                if any(h in headers for h in ("x-sql-state", "x-sparql-maxrows")):
                    note = "partial reply: " + ", ".join(f"{h}={headers[h]}" for h in headers if h.startswith("x-s"))
                rows = (sum(1 for line in body.splitlines() if line.strip() and not line.startswith(b"#")) if construct
                        else len(json.loads(body)["results"]["bindings"]))
            out[name] = (statistics.median(times) if times else None, rows, note)
        head.append(f"Peak resident memory of virtuoso-t: {_peak_rss_mib(proc.pid)} MiB.")
        return head, out
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def _form(text: str) -> str:
    """SELECT, CONSTRUCT, ASK or DESCRIBE: the query form, its first keyword outside comments."""
    code = "\n".join(line for line in text.splitlines() if not line.lstrip().startswith("#"))
    return re.search(r"\b(SELECT|CONSTRUCT|ASK|DESCRIBE)\b", code, re.IGNORECASE).group(1).upper()


def _version() -> str:
    proc = subprocess.run([shutil.which("virtuoso-t"), "-?"], capture_output=True, text=True)
    for line in (proc.stdout + proc.stderr).splitlines():
        if "Version" in line:
            return line.strip()
    return "version unknown"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cards", type=int, default=500)
    ap.add_argument("--copies", type=int, default=20)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--buffers", type=int, default=680000,
                    help="Virtuoso's NumberOfBuffers (8 KiB each; 680000 is its own suggestion for 8 GB of memory)")
    ap.add_argument("--loaders", type=int, default=os.cpu_count() or 1, help="rdf_loader_run() sessions at once")
    args = ap.parse_args()
    if not shutil.which("virtuoso-t") or not shutil.which("isql-vt"):
        raise SystemExit("virtuoso-t and isql-vt are needed (Debian: apt-get install virtuoso-opensource)")
    exe = Path(sys.executable).parent
    start_load = _load()
    from modelcard_spec.graph import sparql

    with tempfile.TemporaryDirectory() as tmp:
        big_nq, first_card_line = build_export(Path(tmp), args.cards, args.copies)
        one = one_card(first_card_line, args.copies)
        quads = sum(1 for _ in open(big_nq, "rb"))
        big = str(Path(tmp) / "big")
        seconds, _, _ = run([str(exe / "oxigraph"), "load", "--location", big, "--file", str(big_nq)])
        subprocess.run([sys.executable, "-c", COMPACT.format(store=big)], check=True)
        embedded = {}
        for name in sparql.shipped_queries():
            embedded[name] = time_query(big, name, [f"card={one}"] if name == "card-graph" else [], args.repeat)
            print(f"embedded {name} {embedded[name][0] * 1000:.0f} ms, {embedded[name][1]} rows", file=sys.stderr, flush=True)
        shutil.rmtree(big)
        home = Path(tmp) / "virtuoso"
        home.mkdir()
        head, server = virtuoso_queries(home, big_nq, one, args)
    print(f"Machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}; "
          f"{args.cards * args.copies} cards ({args.cards} loaded by kg load, × {args.copies} renamed copies), "
          f"{quads} quads; embedded store: `oxigraph load` {seconds:.0f} s, then compacted; "
          f"load average {start_load} at the start, {_load()} at the end.")
    for line in head:
        print(line)
    print("\n| Query | Embedded store (`kg query`), median | Virtuoso (SPARQL endpoint), median | Rows (embedded / Virtuoso) |")
    print("|---|---|---|---|")
    for name, (e_t, e_rows) in embedded.items():
        s_t, s_rows, note = server[name]
        s_cell = f"{s_t * 1000:.0f} ms" if s_t is not None else "-"
        print(f"| `{name}`{' (one card)' if name == 'card-graph' else ''} | {e_t * 1000:.0f} ms | {s_cell}"
              f"{' (' + note + ')' if note else ''} | {e_rows} / {s_rows} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
