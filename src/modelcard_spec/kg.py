"""Knowledge graphs of cards: an embedded on-disk store (pyoxigraph), shipped SPARQL queries, and
pushing to a remote store over the SPARQL 1.1 Graph Store HTTP Protocol.

Each card lives in its own named graph, named by the card's IRI (:func:`.rdf.card_iri`), holding
the card, its evidence and the validator's conformity assessment. Loading a card replaces its graph
in one SPARQL update (``DROP SILENT GRAPH`` + ``INSERT DATA``), which the store runs as one
transaction, so a card is loaded atomically and loading twice gives the same store. The SKOS
vocabularies (metrics, requirements) go into the graph ``VOCAB_GRAPH``, replaced the same way.
"""

from __future__ import annotations

import base64
import csv
import io
import json
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


def replace_graph(store, graph: str, lines: list[str]) -> None:
    """Put ``lines`` as the named graph ``graph``, atomically.

    A new graph is added with one ``Store.extend`` (a single transaction); an existing graph is
    replaced by one SPARQL update (``DROP`` + ``INSERT DATA``, also a single transaction)."""
    import pyoxigraph as ox

    name = ox.NamedNode(graph)
    body = "\n".join(lines)
    if store.contains_named_graph(name):
        store.update(f"DROP SILENT GRAPH <{graph}> ;\nINSERT DATA {{ GRAPH <{graph}> {{\n{body}\n}} }}")
        return
    store.extend(ox.parse(_nquads(graph, lines), format=ox.RdfFormat.N_QUADS))


def _nquads(graph: str, lines: list[str]) -> bytes:
    suffix = f" <{graph}> ."
    return "\n".join(line[:-2] + suffix for line in lines).encode("utf-8")


def load(paths: list[str], directory: str, progress=None, bulk: bool = False) -> list[CardGraph]:
    """Load cards into the store at ``directory``, one named graph each.

    By default every card is its own transaction. ``bulk=True`` is for large first loads: cards new
    to the store go through the store's bulk loader in batches (several times faster, but a batch
    interrupted half-way leaves part of it loaded; run the load again to complete it), while cards
    already in the store are still replaced one transaction each."""
    import pyoxigraph as ox

    store = open_store(directory)
    replace_graph(store, VOCAB_GRAPH, vocabulary_lines())
    loaded, batch = [], []

    def flush_batch():
        if batch:
            store.bulk_extend(q for item in batch for q in ox.parse(item, format=ox.RdfFormat.N_QUADS))
            batch.clear()

    for n, path in enumerate(paths, 1):
        cg = card_graph(path)
        if bulk and not store.contains_named_graph(ox.NamedNode(cg.graph)):
            batch.append(_nquads(cg.graph, cg.lines))
            if len(batch) >= 500:
                flush_batch()
        else:
            replace_graph(store, cg.graph, cg.lines)
        cg.lines = []
        loaded.append(cg)
        if progress:
            progress(n, len(paths))
    flush_batch()
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
