"""SPARQL over the store: the shipped queries (``graph/queries/*.rq``) and their list, reading a
query given by name, file or text, the check for remote-service calls, running a query read-only
under a time limit, and rendering the results (table, CSV, SPARQL JSON)."""

from __future__ import annotations

import csv
import io
import json
import math
import re
from importlib import resources
from pathlib import Path

from ..spec.registry import Check, register
from .errors import KgError
from .rdf import XSD
from .store import open_store_read_only

# A query that cannot be read or run. ``reason`` and ``detail`` are what the operating system or
# the store (pyoxigraph) said, in English: the Chinese templates show them as such.
register(Check("kg.query-file", "error", "The query file can be read", "查询文件可以读取",
               {"missing": ("no such query file: {file}", "查询文件不存在：{file}"),
                "os-error": ("cannot read the query file {file}: {reason}", "无法读取查询文件 {file}：{reason}"),
                "too-large": ("the query file {file} is larger than this tool's limit for a query file ({limit:,} bytes)",
                              "查询文件 {file} 超过本工具对查询文件的上限（{limit:,} 字节）"),
                "invalid-utf-8": ("the query file {file} is not valid UTF-8 (byte offset {offset})",
                                  "查询文件 {file} 不是有效的 UTF-8 编码（字节偏移 {offset}）")}, scope="command"))
register(Check("kg.query-calls-service", "error", "A query calls no remote service unless --allow-service is given",
               "除非指定 --allow-service，查询不调用远程服务",
               {"": ("the query may call a remote service (SERVICE), which would send data over the network; "
                     "kg query does that only with --allow-service",
                     "该查询可能调用远程服务（SERVICE），会经网络发送数据；kg query 仅在指定 --allow-service 时执行此类查询")},
               scope="command"))
register(Check("kg.query-syntax", "error", "The query is valid SPARQL", "查询符合 SPARQL 语法",
               {"": ("SPARQL syntax error: {detail}", "SPARQL 语法错误：{detail}")}, scope="command"))
register(Check("kg.query-failed", "error", "The query runs to its end", "查询执行完成",
               {"": ("the query failed: {detail}", "查询执行失败：{detail}")}, scope="command"))
register(Check("kg.query-bind", "error", "Each --bind is NAME=VALUE", "每个 --bind 均为 NAME=VALUE",
               {"": ("--bind {pair!r} is not NAME=VALUE (a SPARQL variable name, then = and an IRI or a text)",
                     "--bind {pair!r} 不是 NAME=VALUE（SPARQL 变量名，其后为 = 和 IRI 或文本）")}, scope="command"))
register(Check("kg.query-timeout", "error", "The query finishes within --timeout", "查询在 --timeout 内完成",
               {"": ("the query did not finish within {timeout:g} s (--timeout)", "查询未在 {timeout:g} 秒内完成（--timeout）")},
               scope="command"))


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


def render_queries(lang: str = "en") -> str:
    """What kg queries prints: each shipped query's name and, indented below it, its title in ``lang``."""
    return "".join(f"{name}\n    {q['title_zh'] if lang == 'zh' else q['title']}\n"
                   for name, q in shipped_queries().items())


MAX_QUERY_BYTES = 1024 * 1024


def resolve_query(arg: str) -> str:
    """The text of a shipped query (by name), of a ``.rq``/``.sparql`` file, or ``arg`` itself."""
    queries = shipped_queries()
    if arg in queries:
        return queries[arg]["text"]
    p = Path(arg)
    if len(arg) < 4096 and p.suffix in (".rq", ".sparql"):
        if not p.is_file():
            raise KgError("kg.query-file", "missing", file=arg)
        try:
            with p.open("rb") as fh:
                raw = fh.read(MAX_QUERY_BYTES + 1)
        except OSError as exc:
            raise KgError("kg.query-file", "os-error", file=arg, reason=str(exc.strerror or exc)) from None
        if len(raw) > MAX_QUERY_BYTES:
            raise KgError("kg.query-file", "too-large", file=arg, limit=MAX_QUERY_BYTES)
        try:
            return raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise KgError("kg.query-file", "invalid-utf-8", file=arg, offset=exc.start) from None
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


_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


def bindings(pairs) -> dict:
    """``NAME=VALUE`` pairs (kg query --bind) as SPARQL substitutions: a value in double quotes is the
    plain literal between them (so that a name such as ``TCGA:BRCA`` can be given as text), else
    ``<...>`` or an absolute IRI is an IRI, anything else a plain literal. KgError ``kg.query-bind``
    for a pair without a name."""
    if not pairs:
        return {}
    from ..spec.iris import is_absolute_iri
    from .errors import pyoxigraph

    ox = pyoxigraph("store")
    out = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        name = name.strip().lstrip("?$")
        if not sep or not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name) or _LONE_SURROGATE.search(value):
            raise KgError("kg.query-bind", pair=pair)  # (a value that is not text: bytes not UTF-8 on the command line)
        if len(value) >= 2 and value.startswith('"') and value.endswith('"'):
            out[ox.Variable(name)] = ox.Literal(value[1:-1])
            continue
        iri = value[1:-1] if value.startswith("<") and value.endswith(">") else value
        out[ox.Variable(name)] = ox.NamedNode(iri) if is_absolute_iri(iri) else ox.Literal(value)
    return out


def query(directory: str, text: str, allow_service: bool = False, timeout: float | None = None, bind=()):
    """Run a query over the store at ``directory``, opened read-only (the dataset: :func:`dataset`).

    Returns ("select", vars, rows) | ("ask", bool) | ("graph", lines). A query that may call a remote
    service (SERVICE) is refused unless ``allow_service``. ``bind``: NAME=VALUE pairs
    (:func:`bindings`) substituted into the query. With ``timeout`` (seconds), a query still
    running after that long raises :class:`KgError`; pyoxigraph cannot cancel a query, so its thread
    is left to finish (or to end with the process)."""
    if not allow_service and may_call_service(text):
        raise KgError("kg.query-calls-service")
    substitutions = bindings(bind)
    store = open_store_read_only(directory)
    return _with_time_limit(lambda: _evaluate(store, text, substitutions), timeout)


def dataset(store) -> dict:
    """The dataset a query sees (the layout: :mod:`.store`): the store's default graph (the cards and
    the vocabularies) as the default graph, and its named graphs by name: the side index
    (``GRAPH <.../kg/index> { ?card kg:root ?root }``) and any graph a user added."""
    return {}


def _evaluate(store, text: str, substitutions: dict | None = None):
    import pyoxigraph as ox

    try:
        return _materialised(store.query(text, substitutions=substitutions or None, **dataset(store)), ox)
    except SyntaxError as exc:
        error = KgError("kg.query-syntax", detail=str(exc))
    except (OSError, ValueError, RuntimeError) as exc:  # evaluation errors (a failing SERVICE call, ...)
        error = KgError("kg.query-failed", detail=str(exc))
    # Raised here, once the store's exception is gone: its traceback holds the frames that hold
    # pyoxigraph's result, which must be dropped by the thread that made it (the query runs in a
    # worker thread, see _with_time_limit); dropped by another thread it printed a RuntimeError.
    raise error


def _materialised(result, ox):
    """The rows, the answer or the triples of a query's result, read to the end."""
    if isinstance(result, ox.QuerySolutions):
        names = [v.value for v in result.variables]
        return ("select", names, [[sol[name] for name in names] for sol in result])
    if isinstance(result, ox.QueryBoolean):
        return ("ask", bool(result))
    return ("graph", sorted({f"{t} ." for t in result}))  # a graph: each triple once


def _with_time_limit(func, timeout: float | None):
    """``func()``, or KgError when it has not returned after ``timeout`` seconds (None: no limit)."""
    if not timeout:
        return func()
    if not (timeout > 0 and math.isfinite(timeout)):
        raise KgError("kg.timeout-invalid", "query")
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
        raise KgError("kg.query-timeout", timeout=timeout)
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
    elif term.datatype and term.datatype.value != XSD + "string":
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
