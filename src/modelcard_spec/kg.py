"""Knowledge graphs of cards: an embedded on-disk store (pyoxigraph), shipped SPARQL queries, and
pushing to a remote store over the SPARQL 1.1 Graph Store HTTP Protocol.

Each card lives in its own named graph, named by the card's IRI (:func:`.rdf.card_iri`), holding
the card, its evidence and the validator's conformity assessment. Cards new to the store are written
in batches by the store's bulk loader, each batch one atomic write; a card already in the store is
left alone if its graph is unchanged (``graph_sha256``) and otherwise brought up to date by one SPARQL
update (``DELETE DATA`` + ``INSERT DATA`` of the triples that differ), also atomic. So a card is
never half-loaded, and loading twice gives the same store. The SKOS vocabularies (metrics,
requirements) go into the graph ``VOCAB_GRAPH``, replaced the same way.
"""

from __future__ import annotations

import base64
import csv
import io
import itertools
import json
import os
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from . import __version__, conformity, rdf
from ._resources import artifact_text, catalogue_data, schema_version

VOCAB_GRAPH = "https://w3id.org/modelcard-spec/vocabularies/" + schema_version()


class KgError(Exception):
    """A store, query or endpoint problem, reported with exit code 2."""


@dataclass
class CardGraph:
    card: str        # the file
    graph: str       # the card IRI, also the graph name
    lines: list[str]  # sorted N-Triples
    valid: bool
    action: str = ""  # what kg load did: added, replaced or unchanged


def card_graph(path: str) -> CardGraph:
    """Validate a card and turn it and its assessment into N-Triples. Raises KgError if unreadable."""
    from .validator import validate_card

    result, loaded = validate_card(path)
    if loaded is None:
        issue = result.issues[0]
        raise KgError(f"{path}: {issue.message} / {issue.message_zh}")
    data = loaded.data
    summary = conformity.summary(result.requirements or [])
    meta = {"tool": f"modelcard-spec {__version__}", "schema_version": schema_version(),
            "catalogue_version": catalogue_data()["catalogue_version"], "card_sha256": result.sha256,
            "completeness": summary.get("completeness")}
    lines = rdf.card_triples(data, result.requirements, result.issues, meta)
    return CardGraph(str(path), rdf.card_iri(data), lines, result.valid)


def vocabulary_lines() -> list[str]:
    import pyoxigraph as ox

    triples = ox.parse(artifact_text("skos").encode("utf-8"), format=ox.RdfFormat.TURTLE)
    return sorted(f"{t} ." for t in triples)


def open_store(directory: str):
    try:
        import pyoxigraph as ox
    except ImportError:
        raise KgError("the embedded store needs pyoxigraph: pip install 'modelcard-spec[kg]'") from None
    try:
        return ox.Store(str(directory))
    except OSError as exc:
        raise KgError(f"cannot open the store {directory}: {exc}") from None


def graph_changes(store, graph: str, lines: list[str]) -> str:
    """The SPARQL update that turns the store's graph ``graph`` into exactly ``lines`` (N-Triples),
    touching only the triples that differ; "" when there is nothing to change. Run as one update it
    is one transaction, so the graph goes from the old content to the new at once.

    The store keeps some literals in a canonical form ("80"^^xsd:float for "80.0"); such a triple
    shows up as deleted and inserted again, which the update (deletions first) turns into a no-op."""
    import pyoxigraph as ox

    new = set(lines)
    old = set(store.dump(format=ox.RdfFormat.N_TRIPLES, from_graph=ox.NamedNode(graph)).decode("utf-8").splitlines())
    parts = []
    for verb, triples in (("DELETE", old - new), ("INSERT", new - old)):
        if triples:
            body = "\n".join(sorted(triples))
            parts.append(f"{verb} DATA {{ GRAPH <{graph}> {{\n{body}\n}} }}")
    return " ;\n".join(parts)


def replace_graph(store, graph: str, lines: list[str]) -> None:
    """Make the named graph ``graph`` hold exactly ``lines``, in one transaction."""
    update = graph_changes(store, graph, lines)
    if update:
        store.update(update)


# Quads per bulk write. Each write is one atomic ingestion into the store; with this size a write
# takes well under a second and the loader's buffers stay small (see benchmarks/kg_bench.py).
BATCH_QUADS = 50_000
# Changed cards per update: an update is one transaction, held in memory until it commits.
CHANGED_PER_UPDATE = 200
AUTO_JOBS_FROM = 16


@dataclass
class _Built:
    card: str
    graph: str | None
    valid: bool
    quads: int = 0
    digest: str | None = None
    trig: bytes = b""  # the graph as one TriG block ("<graph> {", the N-Triples lines, "}")
    error: str | None = None

    def lines(self) -> list[str]:
        return self.trig.decode("utf-8").split("\n")[1:-2]


def _build_many(names: list[str]) -> list[_Built]:
    out = []
    for name in names:
        try:
            cg = card_graph(name)
        except KgError as exc:
            out.append(_Built(name, None, False, error=str(exc)))
            continue
        # The graph IRI and the lines come from rdf.py, which writes only well-formed terms.
        trig = (f"<{cg.graph}> {{\n" + "\n".join(cg.lines) + "\n}\n").encode("utf-8")
        out.append(_Built(name, cg.graph, cg.valid, len(cg.lines), rdf.graph_sha256(cg.lines, cg.graph), trig))
    return out


def _built(names: list[str], jobs: int):
    """Each card's graph, in input order. With ``jobs`` > 1 the cards are validated and turned into
    triples in that many processes, at most a few chunks ahead of the consumer (bounded memory)."""
    if jobs <= 1 or len(names) < 2:
        for name in names:
            yield from _build_many([name])
        return
    from collections import deque
    from concurrent.futures import ProcessPoolExecutor

    size = max(1, min(16, len(names) // (jobs * 4) or 1))
    chunks = iter([names[i:i + size] for i in range(0, len(names), size)])
    with ProcessPoolExecutor(max_workers=jobs) as pool:
        window = deque()
        for chunk in chunks:
            window.append(pool.submit(_build_many, chunk))
            if len(window) >= jobs * 2:
                break
        while window:
            results = window.popleft().result()
            nxt = next(chunks, None)
            if nxt is not None:
                window.append(pool.submit(_build_many, nxt))
            yield from results


class _BatchWriter:
    """Writes batches on a background thread, so that writing overlaps with building the next cards.

    Cards new to the store go through the bulk loader; cards whose graph changed are updated by one
    SPARQL update per batch (``DELETE DATA`` + ``INSERT DATA`` of what differs, per card). pyoxigraph
    (0.5+) applies each bulk load and each update atomically: a batch is in the store entirely or not
    at all (tested in tests/test_rdf_kg.py). Batches are written in the order they are submitted."""

    def __init__(self, store):
        import queue
        import threading

        self.store = store
        self.new: list[bytes] = []
        self.new_quads = 0
        self.changed: list[str] = []
        self.changed_quads = 0
        self.error: str | None = None
        self.queue: queue.Queue = queue.Queue(maxsize=1)
        self.thread = threading.Thread(target=self._run, name="kg-writer", daemon=True)
        self.thread.start()

    def _run(self) -> None:
        import pyoxigraph as ox

        while True:
            item = self.queue.get()
            try:
                if item is None:
                    return
                if self.error is None and isinstance(item, bytes):
                    # rdf.py writes only well-formed terms (IRIs from a card pass structural.is_absolute_iri,
                    # never looser than the store: tests/test_properties.py), so the loader need not re-check them
                    self.store.bulk_load(input=item, format=ox.RdfFormat.TRIG, lenient=True)
                elif self.error is None:
                    self.store.update(item)
            except BaseException as exc:  # reported by the caller's thread
                self.error = f"{type(exc).__name__}: {exc}"
            finally:
                self.queue.task_done()

    def add(self, built: "_Built") -> None:
        """A card new to the store."""
        self.new.append(built.trig)
        self.new_quads += built.quads
        if self.new_quads >= BATCH_QUADS:
            self._submit_new()

    def replace(self, update: str, quads: int) -> None:
        """The update (from :func:`graph_changes`) of a card whose graph is in the store."""
        self.changed.append(update)
        self.changed_quads += quads
        if self.changed_quads >= BATCH_QUADS or len(self.changed) >= CHANGED_PER_UPDATE:
            self._submit_changed()

    def wait(self) -> None:
        """Write everything pending and wait until it is in the store."""
        self._submit_new()
        self._submit_changed()
        self.queue.join()
        self._check()

    def _submit_new(self) -> None:
        if self.new:
            self.queue.put(b"".join(self.new))
            self.new, self.new_quads = [], 0
        self._check()

    def _submit_changed(self) -> None:
        if self.changed:
            self.queue.put(" ;\n".join(self.changed))
            self.changed, self.changed_quads = [], 0
        self._check()

    def close(self) -> None:
        """Write everything pending, wait for it, then stop the thread."""
        try:
            self.wait()
        finally:
            self.stop()

    def stop(self) -> None:
        """Stop the thread; what is not yet written is dropped (each batch is all or nothing)."""
        if self.thread.is_alive():
            self.new, self.changed = [], []
            self.queue.put(None)
            self.thread.join()
        self.store = None

    def _check(self) -> None:
        if self.error is not None:
            raise KgError(f"writing to the store failed: {self.error}")


def _stored_digest(store, graph: str) -> str | None:
    import pyoxigraph as ox

    for quad in store.quads_for_pattern(ox.NamedNode(graph + "/assessment"), ox.NamedNode(rdf.graph_sha256_predicate()), None,
                                        ox.NamedNode(graph)):
        return quad.object.value
    return None


def load(paths: list[str], directory: str, progress=None, jobs: int = 0) -> list[CardGraph]:
    """Load cards (files, folders or glob patterns) into the store at ``directory``, one named graph each.

    A card new to the store is added; a card already there is left alone when its graph is unchanged
    (same ``graph_sha256``) and otherwise replaced by changing only the triples that differ; of two
    files of the same card the later wins.
    Writes go in batches, each applied atomically, so a card is never half-loaded, and loading the
    same cards again gives the same store. Each returned :class:`CardGraph` says what was done.
    ``jobs`` > 1 builds the graphs in that many processes; ``jobs`` <= 0 uses every core for 16 or
    more cards. Raises :class:`KgError` on the first card that cannot be read; the cards before it
    are loaded."""
    import pyoxigraph as ox

    from .validator import expand_inputs

    files, problems = expand_inputs([str(p) for p in paths])
    if problems:
        issue = problems[0].issues[0]
        raise KgError(f"{problems[0].card}: {issue.message} / {issue.message_zh}")
    names = [str(f) for f in files]
    if jobs <= 0:
        jobs = (os.cpu_count() or 1) if len(names) >= AUTO_JOBS_FROM else 1
    graphs = _built(names, jobs)
    # Take the first card before the store and its writer thread exist: that forks the worker
    # processes while this process has a single thread and no open database.
    first = next(graphs, None)
    graphs = itertools.chain([first] if first else [], graphs)
    store = open_store(directory)
    replace_graph(store, VOCAB_GRAPH, vocabulary_lines())
    writer = _BatchWriter(store)
    loaded: list[CardGraph] = []
    seen: set[str] = set()
    try:
        for n, built in enumerate(graphs, 1):
            if built.error is not None:
                writer.close()  # the cards before this one are written
                raise KgError(built.error)
            if built.graph in seen:
                writer.wait()  # the earlier file of the same card must be in the store first
            if store.contains_named_graph(ox.NamedNode(built.graph)):
                action = "unchanged"
                if _stored_digest(store, built.graph) != built.digest:
                    update = graph_changes(store, built.graph, built.lines())
                    if update:
                        action = "replaced"
                        writer.replace(update, update.count("\n"))
            else:
                action = "added"
                writer.add(built)
            seen.add(built.graph)
            loaded.append(CardGraph(built.card, built.graph, [], built.valid, action))
            if progress:
                progress(n, len(names))
        writer.close()
    except BaseException:
        writer.stop()
        store = writer = None  # noqa: F841 - release the store (and its lock) while the exception lives on
        raise
    store.flush()
    return loaded


# --- queries -----------------------------------------------------------------------------------

def shipped_queries() -> dict[str, dict]:
    """Name -> {"title", "title_zh", "description", "text"} of the queries shipped in the package."""
    out = {}
    for item in sorted(resources.files("modelcard_spec.queries").iterdir(), key=lambda p: p.name):
        if not item.name.endswith(".rq"):
            continue
        text = item.read_text(encoding="utf-8")
        head = {}
        for line in text.splitlines():
            if line.startswith("# ") and ":" in line:
                key, _, value = line[2:].partition(":")
                head[key.strip()] = value.strip()
        out[item.name[:-3]] = {"title": head.get("title", ""), "title_zh": head.get("title_zh", ""),
                               "description": head.get("description", ""), "text": text}
    return out


def resolve_query(arg: str) -> str:
    queries = shipped_queries()
    if arg in queries:
        return queries[arg]["text"]
    p = Path(arg)
    if len(arg) < 4096 and p.suffix in (".rq", ".sparql") and p.is_file():
        return p.read_text(encoding="utf-8")
    if len(arg) < 4096 and p.suffix in (".rq", ".sparql"):
        raise KgError(f"no such query file: {arg}")
    return arg


def query(directory: str, text: str):
    """Run a query over the union of all graphs. Returns ("select", vars, rows) | ("ask", bool) | ("graph", lines)."""
    import pyoxigraph as ox

    if not Path(directory).is_dir():
        raise KgError(f"no store at {directory}; create it with `modelcard-spec kg load CARD... --store {directory}`")
    store = open_store(directory)
    try:
        result = store.query(text, use_default_graph_as_union=True)
    except SyntaxError as exc:
        raise KgError(f"SPARQL syntax error: {exc}") from None
    except OSError as exc:
        raise KgError(f"query failed: {exc}") from None
    if isinstance(result, bool):
        return ("ask", result)
    if isinstance(result, ox.QuerySolutions):
        names = [v.value for v in result.variables]
        rows = [[sol[name] for name in names] for sol in result]
        return ("select", names, rows)
    if isinstance(result, ox.QueryBoolean):
        return ("ask", bool(result))
    return ("graph", sorted(f"{t} ." for t in result))


def _plain(term) -> str:
    if term is None:
        return ""
    return str(term.value)


def _json_term(term) -> dict:
    import pyoxigraph as ox

    if isinstance(term, ox.NamedNode):
        return {"type": "uri", "value": term.value}
    if isinstance(term, ox.BlankNode):
        return {"type": "bnode", "value": term.value}
    out = {"type": "literal", "value": term.value}
    if term.language:
        out["xml:lang"] = term.language
    elif term.datatype and term.datatype.value != "http://www.w3.org/2001/XMLSchema#string":
        out["datatype"] = term.datatype.value
    return out


def render(result, fmt: str) -> str:
    kind = result[0]
    if kind == "ask":
        return json.dumps({"head": {}, "boolean": result[1]}) + "\n" if fmt == "json" else f"{str(result[1]).lower()}\n"
    if kind == "graph":
        return "\n".join(result[1]) + ("\n" if result[1] else "")
    names, rows = result[1], result[2]
    if fmt == "json":
        bindings = [{n: _json_term(v) for n, v in zip(names, row) if v is not None} for row in rows]
        return json.dumps({"head": {"vars": names}, "results": {"bindings": bindings}},
                          ensure_ascii=False, indent=2) + "\n"
    if fmt == "csv":
        buf = io.StringIO()
        writer = csv.writer(buf, lineterminator="\r\n")
        writer.writerow(names)
        for row in rows:
            writer.writerow([_plain(v) for v in row])
        return buf.getvalue()
    cells = [[_clip(_plain(v)) for v in row] for row in rows]
    widths = [max([_width(n)] + [_width(r[i]) for r in cells]) for i, n in enumerate(names)]
    fmt_row = lambda r: " | ".join(c + " " * (w - _width(c)) for c, w in zip(r, widths)).rstrip()  # noqa: E731
    lines = [fmt_row(names), "-+-".join("-" * w for w in widths)] + [fmt_row(r) for r in cells]
    lines.append(f"({len(rows)} row{'s' if len(rows) != 1 else ''})")
    return "\n".join(lines) + "\n"


def _width(text: str) -> int:
    """Display width: East Asian wide and full-width characters take two columns."""
    import unicodedata

    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def _clip(text: str, limit: int = 60) -> str:
    text = text.replace("\n", " ")
    while _width(text) > limit:
        text = text[:-2] + "…"
    return text


# --- remote store --------------------------------------------------------------------------------

def push(paths: list[str], endpoint: str, user: str | None = None, password: str | None = None,
         token: str | None = None, timeout: float = 30.0, with_vocabulary: bool = True) -> list[tuple[str, str, int]]:
    """PUT each card's graph to a Graph Store Protocol endpoint (``?graph=<card IRI>``).

    Returns (card, graph, HTTP status) per card. PUT replaces the graph, so pushing is idempotent."""
    parsed = urllib.parse.urlparse(endpoint)
    if parsed.scheme not in ("http", "https") or not parsed.netloc:
        raise KgError(f"--endpoint must be an http(s) URL of a Graph Store Protocol service, not {endpoint!r}")
    headers = {"Content-Type": "application/n-triples; charset=utf-8", "User-Agent": f"modelcard-spec/{__version__}"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    elif user is not None:
        raw = f"{user}:{password or ''}".encode("utf-8")
        headers["Authorization"] = "Basic " + base64.b64encode(raw).decode("ascii")
    graphs = [(p, card_graph(p)) for p in paths]
    results = []
    if with_vocabulary:
        results.append(("(vocabularies)", VOCAB_GRAPH, _put(endpoint, VOCAB_GRAPH, vocabulary_lines(), headers, timeout)))
    for path, cg in graphs:
        results.append((path, cg.graph, _put(endpoint, cg.graph, cg.lines, headers, timeout)))
    return results


def _put(endpoint: str, graph: str, lines: list[str], headers: dict, timeout: float) -> int:
    sep = "&" if "?" in endpoint else "?"
    url = f"{endpoint}{sep}graph={urllib.parse.quote(graph, safe='')}"
    body = ("\n".join(lines) + "\n").encode("utf-8")
    req = urllib.request.Request(url, data=body, method="PUT", headers=headers)
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            return resp.status
    except urllib.error.HTTPError as exc:
        detail = exc.read(300).decode("utf-8", "replace").strip()
        hint = " (check --user/--password or --token)" if exc.code in (401, 403) else ""
        raise KgError(f"{endpoint} answered HTTP {exc.code} {exc.reason} for graph {graph}{hint}: {detail}") from None
    except (urllib.error.URLError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        raise KgError(f"cannot reach {endpoint}: {reason}") from None
