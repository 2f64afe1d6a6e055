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
import http.client
import io
import itertools
import json
import math
import os
import re
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from ..spec.version import __version__
from ..check import conformity
from . import rdf
from ..spec.resources import artifact_text, catalogue_data, schema_version
from ..spec.batch import chunks_in_order

VOCAB_GRAPH = "https://w3id.org/modelcard-spec/vocabularies/" + schema_version()


class KgError(Exception):
    """A store, query or endpoint problem, reported with exit code 2. ``str()`` is the English
    message, ``message_zh`` the Chinese one; ``where`` is the card file a message is about, if any
    (the messages do not name it again)."""

    def __init__(self, message: str, message_zh: str | None = None, where: str | None = None):
        super().__init__(message)
        self.message_zh = message_zh or message
        self.where = where


@dataclass
class CardGraph:
    card: str        # the file
    graph: str       # the card IRI, also the graph name
    lines: list[str]  # sorted N-Triples
    valid: bool
    action: str = ""  # what kg load did: added, replaced or unchanged


def card_graph(path: str) -> CardGraph:
    """Validate a card and turn it and its assessment into N-Triples. Raises KgError if unreadable."""
    from ..check.pipeline import validate_card

    result, loaded = validate_card(path)
    if loaded is None:
        issue = result.issues[0]
        raise KgError(issue.message, issue.message_zh, str(path))
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


def _pyoxigraph():
    try:
        import pyoxigraph
    except ImportError:
        raise KgError("the embedded store needs pyoxigraph: pip install 'modelcard-spec[kg]'",
                      "内嵌存储库需要 pyoxigraph：pip install 'modelcard-spec[kg]'") from None
    return pyoxigraph


def open_store(directory: str):
    """Open the store at ``directory`` for writing, creating it if the folder does not exist or is
    empty. An existing folder that holds anything but a store is refused: the store's database files
    are never written into someone else's folder."""
    ox = _pyoxigraph()
    check_store_folder(directory)
    try:
        return ox.Store(str(directory))
    except OSError as exc:
        raise KgError(f"cannot open the store {directory}: {exc}", f"无法打开存储库 {directory}：{exc}") from None


def check_store_folder(directory: str) -> None:
    """Raise KgError unless ``directory`` is a store, an empty folder or does not exist yet."""
    folder = Path(directory)
    if folder.exists() and not folder.is_dir():
        raise KgError(f"--store {directory} is not a folder", f"--store {directory} 不是文件夹")
    if folder.is_dir() and any(folder.iterdir()):
        try:
            _pyoxigraph().Store.read_only(str(directory))  # writes nothing
        except OSError:
            raise KgError(f"--store {directory} is a folder that holds other files, not a store; kg load creates a "
                          f"store only in a new or empty folder",
                          f"--store {directory} 是含有其他文件的文件夹，不是存储库；kg load 只在新的或空的文件夹中创建存储库") from None


def open_store_read_only(directory: str):
    """Open the existing store at ``directory`` read-only; never creates or changes anything."""
    ox = _pyoxigraph()
    if not Path(directory).is_dir():
        raise KgError(f"no store at {directory}; create it with `modelcard-spec kg load CARD... --store {directory}`",
                      f"{directory} 处没有存储库；请用 `modelcard-spec kg load CARD... --store {directory}` 创建")
    try:
        return ox.Store.read_only(str(directory))
    except OSError as exc:
        raise KgError(f"{directory} is not a store made by kg load, or cannot be read ({exc})",
                      f"{directory} 不是由 kg load 创建的存储库，或无法读取（{exc}）") from None


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
    error: tuple[str, str, str | None] | None = None  # (English, Chinese, the card file)

    def lines(self) -> list[str]:
        return self.trig.decode("utf-8").split("\n")[1:-2]


def _build_many(names: list[str]) -> list[_Built]:
    out = []
    for name in names:
        try:
            cg = card_graph(name)
        except KgError as exc:
            out.append(_Built(name, None, False, error=(str(exc), exc.message_zh, exc.where)))
            continue
        # The graph IRI and the lines come from rdf.py, which writes only well-formed terms.
        trig = (f"<{cg.graph}> {{\n" + "\n".join(cg.lines) + "\n}\n").encode("utf-8")
        out.append(_Built(name, cg.graph, cg.valid, len(cg.lines), rdf.graph_sha256(cg.lines, cg.graph), trig))
    return out


def _built(names: list[str], jobs: int):
    """Each card's graph, in input order. With ``jobs`` > 1 the cards are validated and turned into
    triples in that many processes, at most a few chunks ahead of the consumer (bounded memory)."""
    for results in chunks_in_order(_build_many, names, jobs, 16):
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
            raise KgError(f"writing to the store failed: {self.error}", f"写入存储库失败：{self.error}")


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

    from ..check.pipeline import expand_inputs

    check_store_folder(directory)
    files, problems = expand_inputs([str(p) for p in paths])
    if problems:
        issue = problems[0].issues[0]
        raise KgError(issue.message, issue.message_zh, str(problems[0].card))
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
                raise KgError(*built.error)
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
    for item in sorted(resources.files("modelcard_spec.graph.queries").iterdir(), key=lambda p: p.name):
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


MAX_QUERY_BYTES = 1024 * 1024


def resolve_query(arg: str) -> str:
    """The text of a shipped query (by name), of a ``.rq``/``.sparql`` file, or ``arg`` itself."""
    queries = shipped_queries()
    if arg in queries:
        return queries[arg]["text"]
    p = Path(arg)
    if len(arg) < 4096 and p.suffix in (".rq", ".sparql"):
        if not p.is_file():
            raise KgError(f"no such query file: {arg}", f"查询文件不存在：{arg}")
        try:
            with p.open("rb") as fh:
                raw = fh.read(MAX_QUERY_BYTES + 1)
        except OSError as exc:
            raise KgError(f"cannot read the query file {arg}: {exc.strerror or exc}",
                          f"无法读取查询文件 {arg}：{exc.strerror or exc}") from None
        if len(raw) > MAX_QUERY_BYTES:
            raise KgError(f"the query file {arg} is larger than this tool's limit for a query file ({MAX_QUERY_BYTES:,} bytes)",
                          f"查询文件 {arg} 超过本工具对查询文件的上限（{MAX_QUERY_BYTES:,} 字节）")
        try:
            return raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise KgError(f"the query file {arg} is not valid UTF-8 (byte offset {exc.start})",
                          f"查询文件 {arg} 不是有效的 UTF-8 编码（字节偏移 {exc.start}）") from None
    return arg


# --- federated queries (SERVICE) ------------------------------------------------------------------
# pyoxigraph evaluates SERVICE by sending the inner pattern to the IRI it names, over HTTP, with no
# time limit, and offers no switch to turn that off. kg query therefore refuses a query that may hold
# a SERVICE clause unless the user allows it. pyoxigraph does not expose its parser either, so the
# check reads the query itself, erring on the side of refusal: it finds the keyword (in any letter
# case) wherever it could be read as code, outside comments, strings and IRIs, taking a "<" both as
# the start of an IRI and as a less-than sign (only the parser knows which), a backslash both as an
# escape and as itself, and reading the query both as written and with SPARQL 1.1 \u escapes
# replaced (pyoxigraph builds may or may not apply them). A keyword that is part of a variable name
# (?service) or of a prefixed name's local part (ex:service) is not one.

_SERVICE_WORD = re.compile("service", re.IGNORECASE)
_NOTABLE = re.compile("[#'\"<\\\\]|service", re.IGNORECASE)
_CODEPOINT = re.compile(r"\\u([0-9A-Fa-f]{4})|\\U([0-9A-Fa-f]{8})")
# An IRI whose characters, read as code after a less-than sign, could neither start a string, a
# comment or an escape nor hold a whole SERVICE clause (no spaces, braces or "<"): only such a
# "<...>" is read as an IRI alone.
_PLAIN_IRI = re.compile(r"<[^<>\"{}|^`\\\x00-\x20#']*>")
_STRING_REST = {q: re.compile(rest, re.S) for q, rest in (
    ("'", r"(?:[^'\\\r\n]|\\.)*'"), ('"', r'(?:[^"\\\r\n]|\\.)*"'),
    ("'''", r"(?:[^'\\]|\\.|'(?!''))*'''"), ('"""', r'(?:[^"\\]|\\.|"(?!""))*"""'))}


def may_call_service(text: str) -> bool:
    """True unless ``text`` surely holds no SERVICE clause (see the comment above)."""
    def codepoint(m: re.Match) -> str:
        value = int(m.group(1) or m.group(2), 16)
        return chr(value) if value <= 0x10FFFF else m.group(0)

    unescaped = _CODEPOINT.sub(codepoint, text)
    return any(_service_in_code(t) for t in {text, unescaped})


def _service_in_code(text: str) -> bool:
    """Whether the keyword SERVICE can be read as code in ``text``. Every way of reading an ambiguous
    "<" or backslash is followed; a position read as code once need not be read again (what follows
    it is the same), so the work is about proportional to the length of the query."""
    if not _SERVICE_WORD.search(text):
        return False
    import bisect

    n = len(text)
    closers = [m.start() for m in re.finditer(">", text)]
    line_ends = [m.start() for m in re.finditer("[\r\n]", text)]
    budget = 30 * n + 10_000  # a query that needs more work is treated as holding SERVICE
    seen = bytearray(n + 1)   # positions already read as code
    todo = [0]
    while todo:
        i = todo.pop()
        while i < n and budget > 0:
            m = _NOTABLE.search(text, i)
            k = m.start() if m else n
            if seen.find(1, i, k + 1) != -1:
                break  # read from there on already
            seen[i:k + 1] = b"\x01" * (k + 1 - i)
            budget -= 1
            if k >= n:
                break
            c = text[k]
            if len(m.group()) > 1:  # the word
                start = k
                while start > 0 and text[start - 1].isascii() and (text[start - 1].isalnum() or text[start - 1] == "_"):
                    start -= 1
                budget -= k - start
                if start == 0 or text[start - 1] not in "?$:":  # not in ?var, $var or prefix:local
                    return True
                i = k + 1
            elif c == "#":  # a comment, to the end of the line
                j = bisect.bisect_left(line_ends, k)
                i = line_ends[j] if j < len(line_ends) else n
            elif c in "'\"":
                quote = c * 3 if text.startswith(c * 3, k) else c
                rest = _STRING_REST[quote].match(text, k + len(quote))
                budget -= (rest.end() if rest else n) - k
                i = rest.end() if rest else k + 1  # an unterminated string is read as code
            elif c == "<":
                j = bisect.bisect_right(closers, k)
                if j < len(closers):
                    if not _PLAIN_IRI.fullmatch(text, k, closers[j] + 1):
                        todo.append(k + 1)  # "<" as less-than
                    i = closers[j] + 1      # "<...>" as an IRI
                else:
                    i = k + 1
            else:  # a backslash
                todo.append(k + 1)  # as itself
                i = k + 2           # as the escape of the next character (ex:a\'b)
    return budget <= 0


def query(directory: str, text: str, allow_service: bool = False, timeout: float | None = None):
    """Run a query over the union of all graphs of the store at ``directory``, opened read-only.

    Returns ("select", vars, rows) | ("ask", bool) | ("graph", lines). A query that may call a remote
    service (SERVICE) is refused unless ``allow_service``. With ``timeout`` (seconds), a query still
    running after that long raises :class:`KgError`; pyoxigraph cannot cancel a query, so its thread
    is left to finish (or to end with the process)."""
    if not allow_service and may_call_service(text):
        raise KgError("the query may call a remote service (SERVICE), which would send data over the network; "
                      "kg query does that only with --allow-service",
                      "该查询可能调用远程服务（SERVICE），会经网络发送数据；kg query 仅在指定 --allow-service 时执行此类查询")
    store = open_store_read_only(directory)
    return _with_time_limit(lambda: _evaluate(store, text), timeout)


def _evaluate(store, text: str):
    import pyoxigraph as ox

    try:
        result = store.query(text, use_default_graph_as_union=True)
        if isinstance(result, ox.QuerySolutions):
            names = [v.value for v in result.variables]
            return ("select", names, [[sol[name] for name in names] for sol in result])
        if isinstance(result, ox.QueryBoolean):
            return ("ask", bool(result))
        return ("graph", sorted(f"{t} ." for t in result))
    except SyntaxError as exc:
        raise KgError(f"SPARQL syntax error: {exc}", f"SPARQL 语法错误：{exc}") from None
    except (OSError, ValueError, RuntimeError) as exc:  # evaluation errors (a failing SERVICE call, ...)
        raise KgError(f"the query failed: {exc}", f"查询执行失败：{exc}") from None


def _with_time_limit(func, timeout: float | None):
    """``func()``, or KgError when it has not returned after ``timeout`` seconds (None: no limit)."""
    if not timeout:
        return func()
    if not (timeout > 0 and math.isfinite(timeout)):
        raise KgError("--timeout must be a positive number of seconds, or 0 for no limit",
                      "--timeout 应为正的秒数，或为 0（表示不限时）")
    import threading

    box: dict = {}

    def run():
        try:
            box["value"] = func()
        except BaseException as exc:  # re-raised in the caller's thread
            box["error"] = exc

    worker = threading.Thread(target=run, name="kg-query", daemon=True)
    worker.start()
    worker.join(timeout)
    if worker.is_alive():
        raise KgError(f"the query did not finish within {timeout:g} s (--timeout)",
                      f"查询未在 {timeout:g} 秒内完成（--timeout）")
    if "error" in box:
        raise box["error"]
    return box["value"]


def _plain(term) -> str:
    if term is None:
        return ""
    if not hasattr(term, "value"):  # an RDF 1.2 triple term
        return str(term)
    return str(term.value)


def _json_term(term) -> dict:
    import pyoxigraph as ox

    if isinstance(term, ox.NamedNode):
        return {"type": "uri", "value": term.value}
    if isinstance(term, ox.BlankNode):
        return {"type": "bnode", "value": term.value}
    if isinstance(term, ox.Triple):  # SPARQL 1.2 results: a triple term
        return {"type": "triple", "value": {"subject": _json_term(term.subject), "predicate": _json_term(term.predicate),
                                            "object": _json_term(term.object)}}
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
    text = text[:limit + 1].replace("\n", " ")  # every character is at least one column wide
    while _width(text) > limit:
        text = text[:-2] + "…"
    return text


# --- remote store --------------------------------------------------------------------------------

# What of an error reply's body goes into the message: enough to show the server's reason.
ERROR_BODY_BYTES = 300


def push(paths: list[str], endpoint: str, user: str | None = None, password: str | None = None,
         token: str | None = None, timeout: float = 30.0, with_vocabulary: bool = True) -> list[tuple[str, str, int]]:
    """PUT each card's graph to a Graph Store Protocol endpoint (``?graph=<card IRI>``).

    Returns (card, graph, HTTP status) per card. PUT replaces the graph, so pushing is idempotent.
    ``timeout`` is a deadline for each request: connecting, sending the graph and reading the reply
    together take at most that long. Redirects are not followed; any answer but 2xx is an error."""
    parsed = urllib.parse.urlparse(endpoint)
    if parsed.scheme not in ("http", "https") or not parsed.netloc:
        raise KgError(f"--endpoint must be an http(s) URL of a Graph Store Protocol service, not {endpoint!r}",
                      f"--endpoint 应为 Graph Store Protocol 服务的 http(s) URL，而不是 {endpoint!r}")
    if not (timeout > 0 and math.isfinite(timeout)):
        raise KgError("--timeout must be a positive number of seconds", "--timeout 应为正的秒数")
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
    deadline = time.monotonic() + timeout
    try:
        with _opener(deadline).open(req) as resp:
            return resp.status
    except urllib.error.HTTPError as exc:
        detail = " ".join(_read_some(exc, ERROR_BODY_BYTES).decode("utf-8", "replace").split())
        reason = " ".join(str(exc.reason).split())[:100]
        hint = hint_zh = ""
        if exc.code in (401, 403):
            hint, hint_zh = " (check --user/--password or --token)", "（请检查 --user/--password 或 --token）"
        elif 300 <= exc.code < 400:
            target = " ".join(str((exc.headers or {}).get("Location", "")).split())[:200]
            hint = f" (a redirect to {target}; redirects are not followed: give the final URL)"
            hint_zh = f"（重定向至 {target}；不跟随重定向，请指定最终的 URL）"
        raise KgError(f"{endpoint} answered HTTP {exc.code} {reason} for graph {graph}{hint}: {detail}",
                      f"{endpoint} 对图 {graph} 返回 HTTP {exc.code} {reason}{hint_zh}：{detail}") from None
    except TimeoutError:
        raise KgError(f"{endpoint} did not complete the request for graph {graph} within {timeout:g} s (--timeout)",
                      f"{endpoint} 未在 {timeout:g} 秒内完成对图 {graph} 的请求（--timeout）") from None
    except (urllib.error.URLError, OSError, http.client.HTTPException) as exc:
        reason = getattr(exc, "reason", exc)
        if isinstance(reason, TimeoutError):
            raise KgError(f"{endpoint} did not complete the request for graph {graph} within {timeout:g} s (--timeout)",
                          f"{endpoint} 未在 {timeout:g} 秒内完成对图 {graph} 的请求（--timeout）") from None
        raise KgError(f"cannot reach {endpoint}: {reason}", f"无法连接 {endpoint}：{reason}") from None


def _read_some(response, limit: int) -> bytes:
    """Up to ``limit`` bytes of a reply body, what arrived before the deadline if it passes."""
    out = b""
    try:
        while len(out) < limit:
            chunk = response.read1(limit - len(out))
            if not chunk:
                break
            out += chunk
    except (OSError, http.client.HTTPException, ValueError, AttributeError):
        pass
    return out


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None  # the 3xx reply then surfaces as an HTTPError


def _opener(deadline: float):
    """A urllib opener (proxies from the environment as usual) whose connections stop at ``deadline``
    (time.monotonic()) and that follows no redirect."""
    import functools

    class HTTP(urllib.request.HTTPHandler):
        def http_open(self, req):
            return self.do_open(functools.partial(_DeadlineHTTP, deadline=deadline), req)

    class HTTPS(urllib.request.HTTPSHandler):
        def https_open(self, req):
            return self.do_open(functools.partial(_DeadlineHTTPS, deadline=deadline), req, context=self._context)

    return urllib.request.build_opener(HTTP, HTTPS, _NoRedirect)


class _DeadlineSocket:
    """A connected socket whose every send and receive waits at most until the deadline: a server
    that answers one byte at a time cannot stretch a request beyond it. Like a socket, it is closed
    for real once it and the readers made by :meth:`makefile` are all closed."""

    def __init__(self, sock, deadline: float):
        self._sock, self._deadline = sock, deadline
        self._readers, self._closing = 0, False

    def _arm(self) -> None:
        left = self._deadline - time.monotonic()
        if left <= 0:
            raise TimeoutError("the deadline passed")
        self._sock.settimeout(left)

    def sendall(self, data, *args):
        self._arm()
        return self._sock.sendall(data, *args)  # since Python 3.5 the timeout bounds the whole call

    def recv_into(self, buffer, *args):
        self._arm()
        return self._sock.recv_into(buffer, *args)

    def makefile(self, mode="rb", *args, **kwargs):
        self._readers += 1
        return io.BufferedReader(_DeadlineReader(self))

    def close(self) -> None:
        self._closing = True
        if not self._readers:
            self._sock.close()

    def _reader_closed(self) -> None:
        self._readers -= 1
        if self._closing and not self._readers:
            self._sock.close()

    def __getattr__(self, name):
        return getattr(self._sock, name)


class _DeadlineReader(io.RawIOBase):
    def __init__(self, sock: _DeadlineSocket):
        self._sock = sock

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        return self._sock.recv_into(buffer)

    def close(self) -> None:
        if not self.closed:
            self._sock._reader_closed()
        super().close()


class _DeadlineConnection:
    """Connects within the time left and wraps the socket in :class:`_DeadlineSocket`."""

    def __init__(self, *args, deadline: float, **kwargs):
        super().__init__(*args, **kwargs)
        self._deadline = deadline

    def connect(self):
        left = self._deadline - time.monotonic()
        if left <= 0:
            raise TimeoutError("the deadline passed")
        self.timeout = left  # bounds the TCP connection and the TLS handshake
        super().connect()
        self.sock = _DeadlineSocket(self.sock, self._deadline)


class _DeadlineHTTP(_DeadlineConnection, http.client.HTTPConnection):
    pass


class _DeadlineHTTPS(_DeadlineConnection, http.client.HTTPSConnection):
    pass
