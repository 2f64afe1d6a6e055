"""Mutation fuzzing of model cards through every command path, in process.

Each case takes one of the shipped cards (the valid examples and the invalid ones), mutates its data
— type swaps (str, int, float, bool, null, list, mapping), huge and negative numbers, empty and
Unicode-heavy strings (control, reordering and invisible characters, HTML and Markdown structure,
very long text), deleted, duplicated, swapped and unknown keys, deep but legal nesting — writes it as
YAML or JSON, and runs it through the command line's own ``main()`` in this process:

* ``validate`` in every format (text, json, sarif, markdown), in English or Chinese;
* ``report`` (md, html, json); ``render`` (md, html);
* ``export`` (ttl, jsonld, nt — with or without the assessment — and cyclonedx);
* ``kg load`` into a temporary pyoxigraph store (several cards per store), then ``kg query``.

Some cases carry what no card file can (a lone surrogate, as from an undecodable file name or data
given to the library): those are put into the card's data after loading. Some cases get a hostile
file name (newlines, escapes, backticks, an undecodable byte).

A **crash** is any exception out of ``main()`` (the command line turns every documented error into an
exit code), an exit code other than 0, 1 or 2, or an output that is not what it claims to be: JSON
(validate json/sarif, report json, export jsonld/cyclonedx, kg query json) that does not parse,
N-Triples or Turtle that pyoxigraph cannot parse, raw control, reordering or invisible characters in
anything printed, HTML (report/render html, and every Markdown output rendered the way the site
renders it) with a tag, attribute or link that the tool does not write, a Markdown heading that does
not come from the tool, a refusal without a Chinese message, or a command that changed the card's
data. Crashes are counted once per (command path, exception type, innermost frame of the package's
code). A **slow case** spends more than ``--slow`` seconds in its commands.

Standard output and error are UTF-8 streams with strict errors, as on a terminal, so a character
that cannot be written is a crash too. To keep 50,000 cases affordable, each card file is read and
validated once per case and its graph built once (the commands' own calls are memoised for that file
name); every command's own code runs as it does from the shell.

    python tools/fuzz_cards.py --cases 50000 --seed 1 --report fuzz-report.json
    python tools/fuzz_cards.py --seed 1 --replay 1234      # one case again, with its tracebacks

Cases are deterministic: case ``i`` of seed ``s`` is always the same card.
"""

from __future__ import annotations

import argparse
import contextlib
import html.parser
import io
import logging
import json
import os
import random
import re
import shutil
import sys
import tempfile
import time
import traceback
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if not os.environ.get("PYTHONPATH"):
    sys.path.insert(0, str(ROOT / "src"))

import yaml  # noqa: E402

_DUMPER = getattr(yaml, "CSafeDumper", yaml.SafeDumper)

from modelcard_spec.graph import assessment
from modelcard_spec.graph.errors import KgError
from modelcard_spec.check import loading
from modelcard_spec.check import structural
from modelcard_spec.check import pipeline as validator
from modelcard_spec import cli
from modelcard_spec.output import conformity_report
from modelcard_spec.spec.resources import schema_index  # noqa: E402

EXAMPLES = ROOT / "examples"
# What must never reach a reader raw: C0 controls but newline and tab, DEL, C1, bidirectional controls,
# line/paragraph separators, BOM, invisible tag characters, a CR not ending a line (shown as \\u escapes).
RAW = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069\ufeff"
                 "\U000e0000-\U000e007f]|\r(?!\n)")
PACKAGE = str(Path(cli.__file__).resolve().parent)
MAX_DEPTH = loading.MAX_DEPTH

# --------------------------------------------------------------------------- values

HOSTILE_STRINGS = [
    "", " ", "   leading blanks", "\t", "\n", "\r\n", "x" * 3, "A" * 20_000,
    "\x1b[2J\x1b[H\x1b]0;pwned\x07", "\x1b[31mred\x1b[0m", "\x9b31m", "\x7f", "\x00", "\x08\x08\x08",
    "abc\u202edcba", "\u200f\u200e\u061c", "\u2066x\u2069", "\ufeffbom", "tag\U000e0041\U000e0042",
    "\u2028line\u2029para", "\x85nel",
    "<script>alert(1)</script>", '<img src=x onerror="alert(1)">', "<a href=\"javascript:alert(1)\">x</a>",
    "&lt;script&gt;", "&amp;", "<!-- x -->", "<div markdown=\"1\">*x*</div>",
    "\n\n## ✅ `forged.card.yaml`\n\nNo issues.\n\n", "| a | b |\n|---|---|\n| c | d |",
    "[click](javascript:alert(1))", "![x](http://example.org/x.png)", "<http://example.org>",
    "{: onclick=\"alert(1)\" }", "# heading", "> quote", "- item", "+ item", "1. item", "12) item",
    "---", "***", "___", "```", "````\ncode\n````", "`code`", "*em* _em_ **strong** ~~del~~",
    "\\", "\\|", "a|b", "{{ 7*7 }}", "{% raw %}", "%s%n", "${x}",
    "乳腺细针穿刺细胞学多层感知机", "😀" * 10, "e\u0301\u0301\u0301", "ﷺ" * 5, "𝕏𝕐ℤ",
    "0.1.0", "9.9.9", "1.0.0-rc.1", "2024-01-01", "2024-13-45", "2024-02-30T25:61:00Z", "1e5",
    "NaN", "inf", "-0", "true", "null", "~", "yes", "no",
    "a:b", "x:", "mcs:foo", "mcsm:auc", "urn:x", "http://", "https://example.org/a b", "https://例子.中国/路径",
    "http://[::1]/", "http://[zz]/", "%", "%zz", "ftp://example.org/x", "javascript:alert(1)", "data:text/html,x",
    "../../etc/passwd", "/etc/passwd", "evidence/../../x", "C:\\x", "a" * 300 + ".txt",
    "MCS-GEN-01", "MCS-XX-99", "0" * 64, "g" * 64, "F" * 64,
]
NUMBERS = [0, 1, -1, 2, 7, 255, 2**31, -2**31, 2**53 + 1, 2**63 - 1, -2**63, 10**18,
           0.0, -0.0, 0.5, 1.5, -1.5, 0.999999, 1e-308, 5e-324, 1e308, -1e308, 1.0000000001, 3.14159]
HOSTILE_KEYS = ["\n\n## ✅ `x`\n\nNo issues.\n", "\x1b[2J", "<script>alert(1)</script>", "a|b", "`x`",
                "\u202ereversed", "x" * 500, "", " ", "~1/~0", "$ref", "__proto__", "0", "名称", "a.b", "#"]
# file names: each still names a card; a newline, an escape, markup, an undecodable byte
HOSTILE_NAMES = ["\n\n## ✅ forged\n", "\x1b[31mred", "`<script>alert(1)<\\script>` <img src=x onerror=alert(1)>", "|x|", "\u202eevil",
                 "\udcff", "a b", "[x](javascript:x)"]
SURROGATES = ["\ud800", "\udfff", "\udcff", "x\ud83dy"]


@dataclass
class Pools:
    strings: list
    keys: list
    subtrees: list
    by_key: dict  # field name -> the scalar values the shipped cards give it


def _pools(seeds) -> Pools:
    index = schema_index()
    strings, subtrees, by_key = set(), [], {}
    for _, data, _ in seeds:
        for where, value, _ in _walk(data):
            if isinstance(value, str) and len(value) < 200:
                strings.add(value)
            elif isinstance(value, (dict, list)) and value:
                subtrees.append(value)
            if where is not None and isinstance(where[1], str) and not isinstance(value, (dict, list)):
                by_key.setdefault(where[1], set()).add(value)
    for enum in index["enums"].values():
        strings.update(enum["values"])
    keys = sorted({name for cls in index["classes"].values() for name in cls["slots"]})
    return Pools(sorted(strings), keys, subtrees, {k: sorted(v, key=repr) for k, v in sorted(by_key.items())})


def _walk(data, limit: int = 5000):
    """((container, key), value, depth) of every node under ``data`` (the root: (None, data, 0))."""
    out = [(None, data, 0)]
    stack = [(data, 0)]
    while stack and len(out) < limit:
        node, depth = stack.pop()
        items = node.items() if isinstance(node, dict) else enumerate(node) if isinstance(node, list) else ()
        for key, value in items:
            out.append(((node, key), value, depth + 1))
            if isinstance(value, (dict, list)):
                stack.append((value, depth + 1))
    return out


def _copy(value):
    if isinstance(value, dict):
        return {k: _copy(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_copy(v) for v in value]
    return value


def _depth(data) -> int:
    best, stack = 0, [(data, 0)]
    while stack:
        node, d = stack.pop()
        best = max(best, d)
        children = node.values() if isinstance(node, dict) else node if isinstance(node, list) else ()
        stack.extend((c, d + 1) for c in children if isinstance(c, (dict, list)))
    return best


class Mutator:
    def __init__(self, rng: random.Random, pools: Pools):
        self.rng, self.pools = rng, pools
        self.log: list[str] = []

    def string(self) -> str:
        r = self.rng.random()
        if r < 0.45:
            return self.rng.choice(self.pools.strings)
        if r < 0.9:
            return self.rng.choice(HOSTILE_STRINGS)
        chars = [chr(self.rng.choice([self.rng.randrange(0x20, 0x7f), self.rng.randrange(0x80, 0x250),
                                      self.rng.randrange(0x4e00, 0x9fff), self.rng.randrange(0x1f300, 0x1f64f),
                                      self.rng.choice([0x1b, 0x7, 0x202e, 0x200b, 0x85, 0x2028])]))
                 for _ in range(self.rng.randrange(1, 40))]
        return "".join(chars)

    def number(self):
        if self.rng.random() < 0.7:
            return self.rng.choice(NUMBERS)
        return self.rng.choice([self.rng.randrange(-10**6, 10**6), self.rng.uniform(-1e6, 1e6), self.rng.random()])

    def key(self) -> str:
        return self.rng.choice(self.pools.keys) if self.rng.random() < 0.6 else self.rng.choice(HOSTILE_KEYS)

    def value(self, depth: int):
        kinds = ["str", "num", "bool", "none", "list", "dict", "pool", "nest"]
        kind = self.rng.choice(kinds if depth < MAX_DEPTH - 6 else kinds[:4])
        if kind == "str":
            return self.string()
        if kind == "num":
            return self.number()
        if kind == "bool":
            return self.rng.random() < 0.5
        if kind == "none":
            return None
        if kind == "list":
            return [self.value(depth + 1) for _ in range(self.rng.randrange(0, 4))]
        if kind == "dict":
            return {self.key(): self.value(depth + 1) for _ in range(self.rng.randrange(0, 4))}
        if kind == "pool":
            return _copy(self.rng.choice(self.pools.subtrees))
        # deep but legal nesting
        levels = self.rng.randrange(1, max(2, MAX_DEPTH - depth - 2))
        value = self.string() if self.rng.random() < 0.5 else self.number()
        for _ in range(levels):
            value = [value] if self.rng.random() < 0.5 else {self.key(): value}
        return value

    def gentle(self, data: dict) -> None:
        """Mutations that mostly keep a card valid, so that what only valid cards reach is reached:
        free text gets hostile text, a field gets a value another card gives the same field, list
        items are reordered, repeated or dropped."""
        for _ in range(1 + min(5, int(self.rng.expovariate(0.5)))):
            (where, value, _), op = self.rng.choice(_walk(data)[1:]), self.rng.randrange(4)
            parent, key = where
            if isinstance(value, str) and " " in value:
                hostile = self.rng.choice(HOSTILE_STRINGS[:60])
                parent[key] = self.rng.choice([hostile + value, value + hostile, hostile])
                self.log.append(f"hostile text in {key!r}")
            elif op == 0 and isinstance(key, str) and key in self.pools.by_key:
                parent[key] = self.rng.choice(self.pools.by_key[key])
                self.log.append(f"{key!r} = another card's value")
            elif op == 1 and isinstance(value, list) and value:
                self.rng.shuffle(value)
                if self.rng.random() < 0.5:
                    value.pop()
                self.log.append(f"reorder/drop items of {key!r}")
            elif op == 2 and isinstance(value, list) and value:
                value.append(_copy(value[0]))
                self.log.append(f"repeat an item of {key!r}")
            elif op == 3 and isinstance(parent, dict) and not isinstance(value, dict):
                del parent[key]
                self.log.append(f"delete {key!r}")

    def mutate(self, data: dict) -> None:
        for _ in range(1 + min(5, int(self.rng.expovariate(0.8)))):
            nodes = _walk(data)
            (where, value, depth), op = self.rng.choice(nodes), self.rng.randrange(9)
            room = MAX_DEPTH - depth - 2  # levels a new value may add and stay within the loader's limit
            if where is None:  # the root: add a key
                key = self.key()
                data[key] = self.value(depth + 1)
                self.log.append(f"add /{key!r}")
                continue
            parent, key = where
            if op == 0 or op == 1:
                parent[key] = self.value(depth)
                self.log.append(f"replace {key!r} with {type(parent[key]).__name__}")
            elif op == 2:
                del parent[key]
                self.log.append(f"delete {key!r}")
            elif op == 3 and isinstance(value, dict):
                new = self.key()
                value[new] = self.value(depth + 1)
                self.log.append(f"unknown key {new!r} in {key!r}")
            elif op == 4 and isinstance(value, list) and value:
                value.append(_copy(self.rng.choice(value)))
                self.log.append(f"duplicate an item of {key!r}")
            elif op == 5 and isinstance(parent, dict):
                other = self.rng.choice(nodes)
                if other[0] is not None and other[1] is not value and _depth(other[1]) < room:
                    parent[key] = _copy(other[1])
                    self.log.append(f"copy another field's value into {key!r}")
            elif op == 6 and isinstance(value, (int, float)) and not isinstance(value, bool):
                parent[key] = self.rng.choice(NUMBERS)
                self.log.append(f"number {key!r} = {parent[key]!r}")
            elif op == 7:
                parent[key] = self.rng.choice([[], {}, "", [value], {"value": value}] if room > 1 else ["", None])
                self.log.append(f"empty/wrap {key!r}")
            else:
                parent[key] = self.string()
                self.log.append(f"string {key!r}")

    def surrogates(self, data: dict) -> None:
        """What no card file can carry: lone surrogates in values and keys."""
        nodes = [n for n in _walk(data) if n[0] is not None]
        for _ in range(self.rng.randrange(1, 3)):
            (parent, key), value, _ = self.rng.choice(nodes)
            bad = self.rng.choice(SURROGATES)
            if isinstance(parent, dict) and self.rng.random() < 0.3 and key in parent:
                parent[f"{key}{bad}"] = parent.pop(key)
                self.log.append(f"surrogate in key {key!r}")
            else:
                parent[key] = (value if isinstance(value, str) else "") + bad
                self.log.append(f"surrogate in {key!r}")
            nodes = [n for n in _walk(data) if n[0] is not None]


# --------------------------------------------------------------------------- running commands

@dataclass
class Outcome:
    code: int | None
    out: bytes
    err: bytes
    seconds: float
    exc: BaseException | None = None
    tb: list | None = None


def run_cli(argv: list[str]) -> Outcome:
    """``modelcard-spec *argv`` in this process, with strict UTF-8 standard output and error."""
    out, err = io.BytesIO(), io.BytesIO()
    so = io.TextIOWrapper(out, encoding="utf-8", errors="strict", newline="")
    se = io.TextIOWrapper(err, encoding="utf-8", errors="strict", newline="")
    saved = sys.stdout, sys.stderr
    sys.stdout, sys.stderr = so, se
    start = time.perf_counter()
    code, exc, tb = None, None, None
    SWALLOWED.clear()
    try:
        code = cli.main(argv)
    except SystemExit as stop:  # argparse's usage errors
        code = stop.code if isinstance(stop.code, int) else 2
    except KeyboardInterrupt:
        raise
    except BaseException as caught:  # noqa: BLE001 - the point is to catch everything
        exc, tb = caught, traceback.extract_tb(caught.__traceback__)
    finally:
        seconds = time.perf_counter() - start
        sys.stdout, sys.stderr = saved
        for stream in (so, se):
            try:
                stream.flush()
            except Exception:  # noqa: BLE001 - a half-written character: the crash is already recorded
                pass
    if exc is None and SWALLOWED:  # a check that failed inside the validator is a crash site too
        exc = SWALLOWED[0]
        tb = traceback.extract_tb(exc.__traceback__)
    return Outcome(code, out.getvalue(), err.getvalue(), seconds, exc, tb)


class _Swallowed(logging.Handler):
    """Collects the exceptions the validator turns into ``internal.*`` errors of a card (it logs them
    at DEBUG level): each is a bug the fuzzer must report, not a result."""

    def emit(self, record):
        if record.exc_info and record.exc_info[1] is not None:
            SWALLOWED.append(record.exc_info[1])


SWALLOWED: list = []
_swallowed_log = logging.getLogger("modelcard_spec")
_swallowed_log.addHandler(_Swallowed(logging.DEBUG))
_swallowed_log.setLevel(logging.DEBUG)
_swallowed_log.propagate = False


class Memo:
    """One read, one validation and one graph per card file and case; the commands' calls return them.

    A cached card whose data a command changed would hide that change from the next command, so the
    data's fingerprint is compared at the end of each case."""

    def __init__(self):
        self.read: dict = {}
        self.validated: dict = {}
        self.graphs: dict = {}
        self.inject: dict = {}   # file name -> data to put in place of what was read
        self.fill_seconds: dict = {}
        self.failed: set = set()  # files whose validation raised: run alone in batch commands
        self.structure: dict = {}  # (id of the data, provider kind) -> (data, structural issues)
        self._originals = {}

    def clear(self):
        self.read.clear()
        self.validated.clear()
        self.graphs.clear()
        self.inject.clear()
        self.fill_seconds.clear()
        self.failed.clear()
        self.structure.clear()

    def __enter__(self):
        self._originals = {"loading.read_card": loading.read_card, "validator.read_card": validator.read_card,
                           "validator.validate_card": validator.validate_card, "assessment.card_graph": assessment.card_graph,
                           "cli.build_parser": cli.build_parser, "structural.check": structural.check}
        loading.read_card = validator.read_card = self._read_card
        validator.validate_card = self._validate_card
        assessment.card_graph = self._card_graph
        structural.check = self._structural
        parser = cli.build_parser()  # argparse parsers can be reused; building one costs more than most commands
        cli.build_parser = lambda command=None: parser
        return self

    def __exit__(self, *exc):
        loading.read_card = self._originals["loading.read_card"]
        validator.read_card = self._originals["validator.read_card"]
        validator.validate_card = self._originals["validator.validate_card"]
        assessment.card_graph = self._originals["assessment.card_graph"]
        cli.build_parser = self._originals["cli.build_parser"]
        structural.check = self._originals["structural.check"]

    def _once(self, cache: dict, key: str, compute, kept=()):
        """``compute()`` once per file: a documented error (``kept``) is raised again each time, as
        the command would meet it; a crash is not kept, so each command meets it itself."""
        if key not in cache:
            start = time.perf_counter()
            try:
                cache[key] = compute()
            except kept as exc:
                cache[key] = exc
            except Exception:
                self.failed.add(key)
                raise
            finally:
                self.fill_seconds[key] = self.fill_seconds.get(key, 0) + time.perf_counter() - start
        value = cache[key]
        if isinstance(value, BaseException):
            raise value
        return value

    def _read_card(self, path, max_bytes=loading.MAX_BYTES):
        def read():
            card = self._originals["loading.read_card"](path, max_bytes)
            card.data = self.inject.get(str(path), card.data)
            return card
        return self._once(self.read, str(path), read, loading.CardLoadError)

    def _validate_card(self, path, max_bytes=loading.MAX_BYTES, models=()):
        return self._once(self.validated, str(path),
                          lambda: self._originals["validator.validate_card"](path, max_bytes, models))

    def _structural(self, data, provider_kind=None, limit=None, source=None):
        key = (id(data), provider_kind, limit)
        if key not in self.structure:  # the data is kept, so its id is not reused within the batch (and so is
            #                            the card whose text ``source`` reads)
            self.structure[key] = (data, self._originals["structural.check"](data, provider_kind, limit, source))
        return list(self.structure[key][1])

    def _card_graph(self, path, *evaluated):
        # the fuzzer gives no records, so a card's graph depends on its path alone
        return self._once(self.graphs, str(path), lambda: self._originals["assessment.card_graph"](path, *evaluated),
                          KgError)


# --------------------------------------------------------------------------- output checks

# Tags and attributes the tool itself writes in HTML, and Python-Markdown writes for its Markdown
# (with the site's extensions). Anything else in a page came from a card.
ALLOWED_TAGS = {"html", "head", "meta", "title", "style", "body", "h1", "h2", "h3", "h4", "h5", "h6", "p", "table",
                "thead", "tbody", "tr", "th", "td", "code", "div", "ul", "li", "strong", "br", "pre", "a"}
ALLOWED_ATTRS = {"lang", "charset", "class", "id", "href", "title", "align"}


class _Page(html.parser.HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.problems: list[str] = []
        self.headings: list[tuple[str, str]] = []
        self._heading: list | None = None

    def handle_starttag(self, tag, attrs):
        if tag not in ALLOWED_TAGS:
            self.problems.append(f"tag <{tag}>")
        for name, value in attrs:
            if name not in ALLOWED_ATTRS:
                self.problems.append(f"attribute {name}= on <{tag}>")
            elif name == "href" and not (value or "").startswith(("#", "http://", "https://")):
                self.problems.append(f"link to {value!r}")
        if tag in ("h1", "h2", "h3", "h4", "h5", "h6"):
            self._heading = [tag, ""]

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)

    def handle_data(self, data):
        if self._heading is not None:
            self._heading[1] += data

    def handle_endtag(self, tag):
        if self._heading is not None and tag == self._heading[0]:
            self.headings.append((tag, self._heading[1].replace("¶", "").strip()))
            self._heading = None


def html_problems(text: str) -> tuple[list[str], list[tuple[str, str]]]:
    page = _Page()
    page.feed(text)
    page.close()
    return page.problems, page.headings


_TAG = re.compile(r"<([A-Za-z][A-Za-z0-9-]*)((?:[^>\"']|\"[^\"]*\"|'[^']*')*)>")
_ATTR = re.compile(r"([^\s=/>]+)(?:\s*=\s*(\"[^\"]*\"|'[^']*'|[^\s>]+))?")


def quick_html_problems(text: str) -> list[str]:
    """The checks of :func:`html_problems` by pattern (tags and attributes only), for every page;
    the parser runs on the sampled batches."""
    problems = []
    for tag, attrs in _TAG.findall(text):
        tag = tag.lower()
        if tag not in ALLOWED_TAGS:
            problems.append(f"tag <{tag}>")
        for name, value in _ATTR.findall(attrs):
            name = name.lower()
            if name not in ALLOWED_ATTRS:
                problems.append(f"attribute {name}= on <{tag}>")
            elif name == "href" and not value.strip("\"'").startswith(("#", "http://", "https://")):
                problems.append(f"link to {value!r}")
    return problems


_MARKDOWN = None


def markdown_to_html(text: str) -> str:
    """Markdown rendered as the site renders it (Python-Markdown with mkdocs.yml's extensions)."""
    global _MARKDOWN
    if _MARKDOWN is None:
        import markdown

        _MARKDOWN = markdown.Markdown(extensions=["attr_list", "md_in_html", "tables", "admonition", "toc"],
                                      extension_configs={"toc": {"permalink": True}})
    _MARKDOWN.reset()
    return _MARKDOWN.convert(text)


def _schema_labels() -> set[str]:
    from modelcard_spec.output.card_view import _label

    index = schema_index()
    return {_label(slot) for cls in index["classes"].values() for slot in cls["slots"].values()}


OUR_HEADINGS = {
    "report-md": {text for pair in conformity_report.HEADINGS.values() for text in pair},
}


# --------------------------------------------------------------------------- the fuzzer

@dataclass
class Finding:
    key: tuple
    kind: str           # crash | invalid-output | slow
    command: str
    detail: str
    frames: list
    site: str           # the innermost frame in the package's code (else the innermost frame)
    count: int = 0
    first_case: dict | None = None


@dataclass
class Stats:
    cases: int = 0
    commands: int = 0
    data_level: int = 0
    hostile_names: int = 0
    loaded: int = 0
    valid: int = 0
    slow: list = field(default_factory=list)
    findings: dict = field(default_factory=dict)


class Fuzzer:
    def __init__(self, seed: int, workdir: Path, slow: float = 2.0, check_every: int = 10, batch: int = 20,
                 store_every: int = 10, verbose: bool = False, data_level: float = 0.1):
        self.seed, self.workdir, self.slow, self.data_level = seed, workdir, slow, data_level
        self.check_every, self.batch, self.store_every, self.verbose = check_every, batch, store_every, verbose
        self.seeds = self._seeds()
        self.pools = _pools(self.seeds)
        self.stats = Stats()
        self.memo = Memo()
        self.labels = _schema_labels()
        self.batches = 0
        self.store: Path | None = None

    def _seeds(self):
        found = []
        self.valid_seeds = {p.parent.name for p in EXAMPLES.glob("*/card.yaml")}
        for path in sorted(EXAMPLES.glob("*/card.yaml")) + sorted((EXAMPLES / "invalid").glob("*.card.yaml")):
            name = path.parent.name if path.name == "card.yaml" else path.name.split(".")[0]
            folder = self.workdir / name
            folder.mkdir(parents=True, exist_ok=True)
            for extra in ("evidence", "model"):
                if (path.parent / extra).is_dir() and not (folder / extra).exists():
                    shutil.copytree(path.parent / extra, folder / extra)
            found.append((name, loading.read_card(path).data, folder))
        return found

    # -- one case -------------------------------------------------------------------------------
    def make_case(self, index: int) -> dict:
        rng = random.Random(f"{self.seed}:{index}")
        valid = [s for s in self.seeds if s[0] in self.valid_seeds]
        name, data, folder = rng.choice(valid if rng.random() < 0.6 else self.seeds)
        data_level = rng.random() < self.data_level
        mutator = Mutator(rng, self.pools)
        data = _copy(data)
        if rng.random() < 0.4:
            mutator.gentle(data)
        else:
            mutator.mutate(data)
        injected = None
        if data_level:
            injected = _copy(data)
            mutator.surrogates(injected)
        as_json = rng.random() < 0.3
        stem = f"case-{index}"
        if rng.random() < 0.05:
            stem += rng.choice(HOSTILE_NAMES)
        file = folder / (stem + (".card.json" if as_json else ".card.yaml"))
        corrupt = rng.choice(CORRUPTIONS) if rng.random() < 0.05 else None
        if corrupt:
            mutator.log.append(f"file: {corrupt}")
        return {"index": index, "seed_card": name, "mutations": mutator.log, "data": data, "injected": injected,
                "file": file, "json": as_json, "corrupt": corrupt, "cut": rng.random()}

    def write_case(self, case: dict) -> None:
        data = case["data"]
        if case["json"]:
            text = json.dumps(data, ensure_ascii=True, indent=1)
        else:
            text = yaml.dump(data, Dumper=_DUMPER, allow_unicode=True, sort_keys=False, width=1_000_000)
        text = _corrupt(text, case["corrupt"], case["json"], case["cut"])
        case["file"].write_text(text, encoding="utf-8", errors="surrogatepass")
        if case["injected"] is not None:
            self.memo.inject[str(case["file"])] = case["injected"]

    # -- findings -------------------------------------------------------------------------------
    def record(self, kind: str, command: str, detail: str, case: dict, frames=None, key_extra=()) -> None:
        frames = frames or []
        ours = [f for f in frames if f.filename.startswith(PACKAGE)]
        inner = ours[-1] if ours else (frames[-1] if frames else None)
        where = f"{Path(inner.filename).name}:{inner.lineno} {inner.name}" if inner else ""
        # a crash: its exception type and place; an invalid output: what is wrong, without positions
        what = detail.split(":")[0] if kind == "crash" else re.sub(r"\d+", "N", detail)[:90]
        key = (kind, command, what, where) + tuple(key_extra)
        finding = self.stats.findings.get(key)
        if finding is None:
            finding = self.stats.findings[key] = Finding(
                key, kind, command, detail, [f"{f.filename}:{f.lineno} {f.name}" for f in frames[-8:]], where,
                first_case={"index": case["index"], "seed_card": case["seed_card"],
                            "mutations": case["mutations"], "data_level": case["injected"] is not None,
                            "file": os.fsencode(str(case["file"].name)).decode("utf-8", "backslashreplace")})
            if self.verbose:
                print(f"NEW {kind} {command} {detail[:200]} at {where} (case {case['index']})", file=sys.__stderr__)
        finding.count += 1

    def problems(self, kind: str, outcome: Outcome, sample: bool, cards: int = 1) -> list[tuple]:
        """What is wrong with one command's outcome: (kind, detail, frames, key extra) each."""
        if outcome.exc is not None:
            return [("crash", f"{type(outcome.exc).__name__}: {str(outcome.exc)[:300]}", outcome.tb, ())]
        found = []
        if outcome.code not in (0, 1, 2):
            found.append(("invalid-output", f"exit code {outcome.code!r}", None, ()))
        out = outcome.out.decode("utf-8")
        err = outcome.err.decode("utf-8")
        for stream, text in (("stdout", out), ("stderr", err)):
            if RAW.search(text):
                found.append(("invalid-output", f"unescaped control/reordering character on {stream}", None, ()))
        if "Traceback" in err:
            found.append(("invalid-output", "traceback on stderr", None, ()))
        if outcome.code == 2 and kind in ("render-md", "render-html", "nt", "ttl", "jsonld", "cyclonedx") and \
                not re.search("[\u4e00-\u9fff]", err):
            found.append(("invalid-output", "refusal without a Chinese message", None, ()))
        if not out:
            return found
        try:
            if kind in ("json", "jsonld"):
                json.loads(out)
            elif kind == "sarif":
                doc = json.loads(out)
                if sample:
                    _sarif_validator().validate(doc)
            elif kind == "cyclonedx":
                json.loads(out)
                if sample:
                    from modelcard_spec.output import cyclonedx

                    error = cyclonedx.validate(out)
                    if error:
                        raise ValueError(f"not a valid CycloneDX 1.6 BOM: {error[:200]}")
            elif kind in ("nt", "ttl"):
                import pyoxigraph as ox

                list(ox.parse(out.encode("utf-8"), format=ox.RdfFormat.N_TRIPLES if kind == "nt" else ox.RdfFormat.TURTLE))
            elif kind in ("html", "render-html"):
                problems = html_problems(out)[0] if sample else quick_html_problems(out)
                if problems:
                    raise ValueError("HTML from the card: " + ", ".join(sorted(set(problems))[:5]))
            elif kind.endswith("md") and sample:
                problems, headings = html_problems(markdown_to_html(out))
                if problems:
                    raise ValueError("Markdown renders HTML from the card: " + ", ".join(sorted(set(problems))[:5]))
                self.check_headings(kind, headings, cards)
        except Exception as exc:  # noqa: BLE001
            found.append(("invalid-output", f"{kind} output does not parse or is unsafe: {type(exc).__name__}: "
                          f"{str(exc)[:300]}", None, (type(exc).__name__,)))
        return found

    def check(self, command: str, kind: str, outcome: Outcome, case: dict, sample: bool) -> list:
        found = self.problems(kind, outcome, sample)
        for what, detail, frames, extra in found:
            self.record(what, command, detail, case, frames, extra)
        return found

    def check_headings(self, kind: str, headings, cards: int) -> None:
        if kind == "validate-md":
            extra = [h for tag, h in headings if tag != "h1" and not h.startswith(("✅", "❌"))]
            sections = sum(1 for tag, h in headings if tag == "h2")
            if extra or sections != cards:
                raise ValueError(f"headings not written by the tool: {extra[:3]} / {sections} card sections")
        elif kind == "report-md":
            extra = [h for tag, h in headings if tag != "h1" and h not in OUR_HEADINGS["report-md"]]
            if extra or sum(1 for tag, _ in headings if tag == "h1") != 1:
                raise ValueError(f"headings not written by the tool: {extra[:3]}")
        elif kind == "render-md":
            extra = [h for tag, h in headings if tag != "h1" and h not in self.labels and not h.isdigit()]
            if extra or sum(1 for tag, _ in headings if tag == "h1") != 1:
                raise ValueError(f"headings not written by the tool: {extra[:3]}")

    # -- a batch of cases --------------------------------------------------------------------------
    def run_batch(self, indices: list[int]) -> None:
        self.memo.clear()
        cases = [self.make_case(i) for i in indices]
        for case in cases:
            self.write_case(case)
        self.stats.cases += len(cases)
        self.stats.data_level += sum(1 for c in cases if c["injected"] is not None)
        self.stats.hostile_names += sum(1 for c in cases if not c["file"].name.startswith(f"case-{c['index']}."))
        lang = ["--lang", "zh"] if self.batches % 2 else []
        sample = self.check_every > 0 and self.batches % self.check_every == 0
        files = [str(c["file"]) for c in cases]
        times = {f: 0.0 for f in files}
        fingerprints = {}

        def group_command(argv, kind, group, command) -> bool:
            """Run ``group`` at once; on a problem or a slow run, halve it until the cards are found.
            True if a problem was recorded."""
            outcome = run_cli(argv + [str(c["file"]) for c in group])
            self.stats.commands += 1
            if len(group) == 1:
                times[str(group[0]["file"])] += outcome.seconds
                return bool(self.check(command, kind, outcome, group[0], sample))
            found = self.problems(kind, outcome, sample, len(group))
            if not found and outcome.seconds <= self.slow * 3:
                for c in group:
                    times[str(c["file"])] += outcome.seconds / len(group)
                return False
            half = len(group) // 2
            alone = group_command(argv, kind, group[:half], command)
            alone = group_command(argv, kind, group[half:], command) or alone
            if found and not alone:  # only the combination of cards shows it
                for what, detail, frames, extra in found:
                    self.record(what, command + " (batch)", detail, group[0], frames, extra)
            return bool(found)

        def batch_command(argv, kind, subset):
            """The batch in one run; a card whose validation already failed runs alone."""
            command = " ".join(a for a in argv if not a.startswith(str(self.workdir)))
            known = [c for c in subset if str(c["file"]) in self.memo.failed]
            rest = [c for c in subset if str(c["file"]) not in self.memo.failed]
            for c in known:
                group_command(argv, kind, [c], command)
            if rest:
                group_command(argv, kind, rest, command)

        for c in cases:  # read and validate each card once, as the first command would
            SWALLOWED.clear()
            with contextlib.suppress(Exception):
                validator.validate_card(str(c["file"]))
            for exc in SWALLOWED:  # a check that failed: every command meets it as an internal.* error
                self.record("crash", "validate (checks)", f"{type(exc).__name__}: {str(exc)[:300]}", c,
                            traceback.extract_tb(exc.__traceback__))
            SWALLOWED.clear()

        for fmt, kind in (("text", "text"), ("json", "json"), ("sarif", "sarif"), ("markdown", "validate-md")):
            batch_command(["validate", "--format", fmt, "--jobs", "1", *lang], kind, cases)
        readable = [c for c in cases if not isinstance(self.memo.read.get(str(c["file"])), Exception)]
        self.stats.loaded += len(readable)
        self.stats.valid += sum(1 for c in readable if str(c["file"]) in self.memo.validated
                                and self.memo.validated[str(c["file"])][0].valid)
        for c in readable:
            fingerprints[str(c["file"])] = _fingerprint(self.memo.read[str(c["file"])].data)
        for c in cases:
            f = str(c["file"])
            for argv, kind in ((["report", f, "--format", "md", *lang], "report-md"),
                               (["report", f, "--format", "html", *lang], "html"),
                               (["report", f, "--format", "json", *lang], "json"),
                               (["render", f, "--to", "md"], "render-md"),
                               (["render", f, "--to", "html"], "render-html"),
                               (["export", f, "--to", "cyclonedx"], "cyclonedx")):
                outcome = run_cli(argv)
                self.stats.commands += 1
                times[f] += outcome.seconds
                self.check(" ".join(a for a in argv if a != f), kind, outcome, c, sample)
        no_assessment = ["--no-assessment"] if self.batches % 3 == 2 else []
        for fmt, kind in (("nt", "nt"), ("ttl", "ttl"), ("jsonld", "jsonld")):
            batch_command(["export", "--to", fmt, *no_assessment], kind, readable)
        if self.store is None or self.batches % self.store_every == 0:
            if self.store is not None:
                shutil.rmtree(self.store, ignore_errors=True)
            self.store = Path(tempfile.mkdtemp(prefix="store-", dir=self.workdir))
        batch_command(["kg", "load", "--store", str(self.store), "--jobs", "1"], "text", readable)
        for fmt, kind in (("json", "json"), ("table", "text")):
            outcome = run_cli(["kg", "query", "metric-results", "--store", str(self.store), "--format", fmt])
            self.stats.commands += 1
            self.check(f"kg query metric-results --format {fmt}", kind, outcome, cases[0], sample)
        for c in readable:
            f = str(c["file"])
            card = self.memo.read.get(f)
            if not isinstance(card, Exception) and _fingerprint(card.data) != fingerprints[f]:
                self.record("invalid-output", "(all commands)", "a command changed the card's data", c)
        for c in cases:
            f = str(c["file"])
            total = times[f] + self.memo.fill_seconds.get(f, 0.0)
            if total > self.slow:
                self.stats.slow.append({"index": c["index"], "seconds": round(total, 3), "seed_card": c["seed_card"],
                                        "mutations": c["mutations"]})
            c["file"].unlink()
        self.batches += 1

    def run(self, start: int, count: int, progress_every: int = 1000) -> None:
        began = time.perf_counter()
        with self.memo:
            for first in range(start, start + count, self.batch):
                self.run_batch(list(range(first, min(first + self.batch, start + count))))
                done = first + self.batch - start
                if progress_every and done % progress_every < self.batch:
                    crashes = sum(1 for f in self.stats.findings.values() if f.kind == "crash")
                    print(f"{min(done, count)}/{count} cases, {crashes} crash sites, "
                          f"{len(self.stats.findings) - crashes} invalid-output kinds, {len(self.stats.slow)} slow, "
                          f"{time.perf_counter() - began:.0f} s", file=sys.__stderr__, flush=True)
        self.wall = time.perf_counter() - began

    def replay(self, index: int) -> None:
        """Run one case and print every problem with its traceback."""
        self.verbose = True
        with self.memo:
            self.run_batch([index])
        for finding in self.stats.findings.values():
            print(f"{finding.kind} {finding.command}: {finding.detail}")
            for frame in finding.frames:
                print("   ", frame)

    def report(self) -> dict:
        findings = sorted(self.stats.findings.values(), key=lambda f: (f.kind, f.command, f.detail))
        return {
            "seed": self.seed, "cases": self.stats.cases, "batch": self.batch, "check_every": self.check_every, "commands": self.stats.commands,
            "cards_loaded": self.stats.loaded, "cards_valid": self.stats.valid,
            "data_level_cases": self.stats.data_level, "hostile_file_names": self.stats.hostile_names,
            "wall_seconds": round(getattr(self, "wall", 0.0), 1), "slow_threshold_seconds": self.slow,
            "crash_sites": sum(1 for f in findings if f.kind == "crash"),
            "invalid_output_kinds": sum(1 for f in findings if f.kind == "invalid-output"),
            "slow_cases": self.stats.slow,
            "crash_code_sites": sorted({f.site for f in findings if f.kind == "crash"}),
            "findings": [{"kind": f.kind, "command": f.command, "detail": f.detail, "count": f.count, "site": f.site,
                          "frames": f.frames, "first_case": f.first_case} for f in findings],
        }


# What a file can carry that its data cannot: the loader's errors, each command's refusal.
CORRUPTIONS = ["duplicate key", "truncated", "control character", "lone surrogate escape", "second document"]


def _corrupt(text: str, how: str | None, as_json: bool, cut: float) -> str:
    if how == "duplicate key":
        return text.rstrip().rstrip("}") + ',"name": "again"}' if as_json else text + "name: again\n"
    if how == "truncated":
        return text[:int(len(text) * cut)]
    if how == "control character":
        at = int(len(text) * cut)
        return text[:at] + "\x1b" + text[at:]
    if how == "lone surrogate escape":  # a JSON escape, or YAML's; the loader refuses or keeps it
        return text.rstrip().rstrip("}") + ',"extra\\ud800": "\\udfff"}' if as_json else text + 'extra: "\\ud800"\n'
    if how == "second document":
        return text + ("\n{}" if as_json else "---\nname: x\n")
    return text


def _fingerprint(data) -> str:
    return json.dumps(data, sort_keys=True, ensure_ascii=True, default=repr)


_SARIF = None


def _sarif_validator():
    global _SARIF
    if _SARIF is None:
        import jsonschema

        schema = json.loads((ROOT / "tests" / "data" / "sarif-2.1.0-rtm.5.json").read_text(encoding="utf-8"))
        _SARIF = jsonschema.Draft4Validator(schema)
    return _SARIF


def summary(report: dict) -> str:
    lines = [f"cases {report['cases']} (seed {report['seed']}; {report['cards_loaded']} loaded, "
             f"{report['cards_valid']} valid, {report['data_level_cases']} with data no file can carry, "
             f"{report['hostile_file_names']} hostile file names), {report['commands']} command runs, "
             f"{report['wall_seconds']} s",
             f"crash sites: {report['crash_sites']} (command path, exception, place; "
             f"{len(report['crash_code_sites'])} places in the code); "
             f"invalid-output kinds: {report['invalid_output_kinds']}; "
             f"slow cases (> {report['slow_threshold_seconds']} s): {len(report['slow_cases'])}"]
    for f in report["findings"]:
        lines.append(f"  {f['kind']} x{f['count']} [{f['command']}] {f['detail'][:160]}")
        if f["site"]:
            lines.append(f"      at {f['site']}")
        lines.append(f"      first: case {f['first_case']['index']} ({f['first_case']['seed_card']}: "
                     f"{'; '.join(f['first_case']['mutations'])[:200]})")
    return "\n".join(lines)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cases", type=int, default=1000)
    parser.add_argument("--start", type=int, default=0, help="first case index (to split a run)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--slow", type=float, default=2.0, help="seconds above which a case is slow")
    parser.add_argument("--batch", type=int, default=20, help="cards per validate/export/kg load run")
    parser.add_argument("--check-every", type=int, default=10,
                        help="also check SARIF and CycloneDX against their schemas and render the Markdown "
                             "outputs as the site does, every N batches (0: never)")
    parser.add_argument("--data-level", type=float, default=0.1, metavar="FRACTION",
                        help="share of cases that also get what no file can carry (lone surrogates)")
    parser.add_argument("--report", help="write the JSON report here")
    parser.add_argument("--replay", type=int, metavar="CASE", help="run one case and print its problems")
    parser.add_argument("--verbose", action="store_true", help="print each new finding as it is found")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="fuzz-cards-") as tmp:
        fuzzer = Fuzzer(args.seed, Path(tmp), slow=args.slow, check_every=args.check_every, batch=args.batch,
                        verbose=args.verbose, data_level=args.data_level)
        if args.replay is not None:
            fuzzer.replay(args.replay)
            return 1 if fuzzer.stats.findings else 0
        fuzzer.run(args.start, args.cases)
        report = fuzzer.report()
    if args.report:
        Path(args.report).write_text(json.dumps(report, ensure_ascii=True, indent=1) + "\n", encoding="utf-8")
    print(summary(report))
    return 1 if report["crash_sites"] or report["invalid_output_kinds"] else 0


if __name__ == "__main__":
    with contextlib.suppress(BrokenPipeError):
        sys.exit(main())
