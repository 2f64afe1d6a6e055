"""Injection into what people read: nothing from a card, a file name, a model file or a server reply
can drive the terminal, reorder text, add a Markdown section or run script in a page.

Each test writes a hostile input, runs the command line on it (one measured process each) and checks
the output as a terminal, a Markdown renderer (the site's Python-Markdown and extensions) or a
browser's HTML parser would see it."""

from __future__ import annotations

import html.parser
import http.server
import json
import os
import re
import threading
from pathlib import Path

import pytest
import yaml

from conftest import EXAMPLES, ROOT, run_measured

# What a terminal or a reader must never get raw (the tool writes these as \u escapes).
RAW = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u00ad\u061c\u115f\u1160\u180e\u200b-\u200f\u2028-\u202e"
                 "\u2060-\u206f\u3164\ufeff\uffa0\ufff9-\ufffb]")
ESC = "\x1b[2J\x1b[H\x1b]0;pwned\x07\x1b[31m"
FORGED_KEY = "\n\n## ✅ `forged.card.yaml`\n\nNo issues.\n\n"
SCRIPT = "<script>alert(1)</script>"
ONERROR = '<img src=x onerror="alert(2)">'
LINK = "[details](javascript:alert(3))"
ATTR = "{: onclick=\"alert(4)\" }"


def hostile_card(tmp_path: Path, name: str = "hostile.card.yaml") -> Path:
    """A valid example with hostile text in its summary, name, a value and an unknown key."""
    data = yaml.safe_load((EXAMPLES / "wdbc-cytology-mlp" / "card.yaml").read_text(encoding="utf-8"))
    data["summary"] = f"{SCRIPT} {ONERROR}\n\n# Fake heading {ATTR}\n\n{LINK} {ESC} \u202etxt.exe"
    data["name"] = f"WDBC {ONERROR} {ATTR}"
    data["provider"]["name"] = f"Lab {ESC}| cell | split |"
    data[FORGED_KEY + ESC] = SCRIPT
    path = tmp_path / name
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def cli(*args, cwd=None, env=None):
    proc = run_measured(args, cwd=cwd or ROOT, env=env)
    assert "Traceback" not in proc.stdout + proc.stderr, proc
    assert proc.within_budget(), proc
    return proc


def assert_terminal_safe(text: str) -> None:
    assert not RAW.search(text), repr(RAW.search(text).group())


# --------------------------------------------------------------------------- HTML as a browser sees it

class Page(html.parser.HTMLParser):
    """Tags, attributes and headings of an HTML page."""

    def __init__(self, text: str):
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict]] = []
        self.headings: list[str] = []
        self._in: str | None = None
        self.feed(text)
        self.close()

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))
        if re.fullmatch("h[1-6]", tag):
            self._in, self.headings = tag, self.headings + [""]

    def handle_startendtag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data):
        if self._in:
            self.headings[-1] += data

    def handle_endtag(self, tag):
        if tag == self._in:
            self._in = None


FORBIDDEN_TAGS = {"script", "img", "iframe", "object", "embed", "svg", "hr", "em", "blockquote", "ol"}


def assert_page_safe(text: str) -> Page:
    """No tag that only card content could have made, no event handler, no link but http(s) or #."""
    page = Page(text)
    assert not {tag for tag, _ in page.tags} & FORBIDDEN_TAGS, page.tags
    for tag, attrs in page.tags:
        assert not [a for a in attrs if a.startswith("on")], (tag, attrs)
        href = attrs.get("href")
        assert href is None or href.startswith(("#", "http://", "https://")), (tag, attrs)
        assert "alert(" not in str(attrs)
    return page


def site_markdown(text: str) -> str:
    """Markdown rendered as the MkDocs site renders it: Python-Markdown with mkdocs.yml's extensions."""
    markdown = pytest.importorskip("markdown")
    config = yaml.safe_load((ROOT / "mkdocs.yml").read_text(encoding="utf-8"))
    extensions, configs = [], {}
    for item in config["markdown_extensions"]:
        name, options = next(iter(item.items())) if isinstance(item, dict) else (item, None)
        extensions.append(name)
        if options:
            configs[name] = options
    return markdown.markdown(text, extensions=extensions, extension_configs=configs)


# --------------------------------------------------------------------------- Markdown and HTML

def test_a_key_cannot_forge_a_passed_section_in_validate_markdown(tmp_path):
    card = hostile_card(tmp_path)
    proc = cli("validate", card, "--format", "markdown")
    assert proc.returncode == 1
    assert not re.search(r"^#+ ✅", proc.stdout, re.M), proc.stdout
    assert not re.search(r"^No issues\.", proc.stdout, re.M)
    page = assert_page_safe(site_markdown(proc.stdout))
    assert [h.rstrip("¶") for h in page.headings if h.startswith(("✅", "❌"))] == [f"❌ {card}"]
    assert "forged" not in " ".join(page.headings)
    assert_terminal_safe(proc.stdout)


def test_a_key_cannot_forge_a_section_in_the_report(tmp_path):
    card = hostile_card(tmp_path)
    md = cli("report", card, "--format", "md")
    assert md.returncode == 1
    assert not re.search(r"^#+ (✅|Fake)", md.stdout, re.M), md.stdout
    page = assert_page_safe(site_markdown(md.stdout))
    from modelcard_spec.output.conformity_report import HEADINGS

    assert set(page.headings[1:]) <= {en + "¶" for en, _ in HEADINGS.values()}, page.headings
    assert_terminal_safe(md.stdout)


@pytest.mark.parametrize("args", [("render", "--to", "md"), ("report", "--format", "md"),
                                  ("validate", "--format", "markdown")], ids=lambda a: a[0])
def test_markdown_outputs_render_without_script_or_event_handlers(tmp_path, args):
    card = hostile_card(tmp_path)
    proc = cli(args[0], card, *args[1:])
    assert proc.returncode in (0, 1)
    rendered = site_markdown(proc.stdout)
    assert_page_safe(rendered)
    assert "<script" not in rendered
    if args[0] != "validate":
        assert "&lt;img src=x onerror=" in rendered  # the card's name, shown as text, not dropped


def test_render_markdown_keeps_the_card_text_and_its_structure(tmp_path):
    card = hostile_card(tmp_path)
    proc = cli("render", card)
    rendered = site_markdown(proc.stdout)
    page = assert_page_safe(rendered)
    assert page.headings[0].startswith('WDBC <img src=x onerror="alert(2)"> {: onclick="alert(4)" }')
    assert not any("Fake heading" in h for h in page.headings)
    assert "[details](javascript:alert(3))" in rendered and "\\u001b[2J" in rendered and "\\u202etxt.exe" in rendered


@pytest.mark.parametrize("args", [("render", "--to", "html"), ("report", "--format", "html")], ids=lambda a: a[0])
def test_html_outputs_escape_every_card_value(tmp_path, args):
    card = hostile_card(tmp_path)
    proc = cli(args[0], card, *args[1:])
    page = assert_page_safe(proc.stdout)
    assert {tag for tag, _ in page.tags} <= {"html", "head", "meta", "title", "style", "body", "h1", "h2", "h3",
                                            "h4", "h5", "h6", "p", "table", "tr", "th", "td", "code", "div",
                                            "ul", "li", "strong"}
    assert "&lt;img src=x onerror=&#34;alert(2)&#34;&gt;" in proc.stdout.replace("&quot;", "&#34;")
    assert_terminal_safe(proc.stdout)


def test_report_template_autoescapes():
    from modelcard_spec.output import conformity_report as report

    text = (ROOT / "src" / "modelcard_spec" / "output" / "templates" / "report.html").read_text(encoding="utf-8")
    assert "|safe" not in text.replace(" ", "") and "autoescape false" not in text
    assert re.findall(r'=\{\{', text) == [], "attribute values must be quoted"
    rep = {"header": {"tool": {"version": "0"}, "model": {"name": SCRIPT}, "card": ONERROR, "card_sha256": "x",
                      "schema_version": "0", "catalogue_version": "0", "valid": False},
           "summary": None, "requirements": [], "unattributed_issues": []}
    page = assert_page_safe(report.html_page(rep))
    assert page.headings[0].startswith("Conformity report: <script>")


# --------------------------------------------------------------------------- the terminal

def test_validate_text_escapes_keys_values_and_keeps_one_line_per_issue(tmp_path):
    card = hostile_card(tmp_path)
    proc = cli("validate", card)
    assert proc.returncode == 1
    assert_terminal_safe(proc.stdout)
    assert "\\u001b[2J" in proc.stdout and "\\u000a" in proc.stdout
    lines = proc.stdout.splitlines()
    assert all(line.startswith(str(card)) for line in lines[:-1]), lines
    assert lines[-1].startswith("1 card(s) checked")


def test_json_outputs_escape_del_c1_and_bidi_and_keep_their_meaning(tmp_path):
    data = yaml.safe_load((EXAMPLES / "wdbc-cytology-mlp" / "card.yaml").read_text(encoding="utf-8"))
    hostile = "a\x7fb\x9bc\u202ed\u2066e\ufefff"
    data["extra" + hostile] = 1
    card = tmp_path / "c.card.json"
    card.write_text(json.dumps(data), encoding="utf-8")
    for args in (("validate", card, "--format", "json"), ("validate", card, "--format", "sarif"),
                 ("report", card, "--format", "json")):
        proc = cli(*args)
        assert_terminal_safe(proc.stdout)
        assert "\\u202e" in proc.stdout
        assert hostile in json.dumps(json.loads(proc.stdout), ensure_ascii=False)


def test_file_names_with_escapes_and_newlines_are_shown_escaped(tmp_path):
    card = tmp_path / "x\x1b[31m\nforged.card.yaml"
    card.write_bytes((EXAMPLES / "wdbc-cytology-mlp" / "card.yaml").read_bytes())
    for fmt in ("text", "json", "markdown", "sarif"):
        proc = cli("validate", card, "--format", fmt)
        assert_terminal_safe(proc.stdout)
        if fmt == "text":
            assert all(line.startswith(str(tmp_path)) for line in proc.stdout.splitlines()[:-1])
    missing = cli("render", tmp_path / "gone\x1b]0;t\x07.yaml")
    assert missing.returncode == 2 and "\\u001b]0;t\\u0007" in missing.stderr
    assert_terminal_safe(missing.stderr)


def test_an_undecodable_file_name_and_a_non_utf8_terminal_do_not_crash(tmp_path):
    name = os.fsdecode(b"card-\xff.card.yaml")
    (tmp_path / name).write_bytes((EXAMPLES / "wdbc-cytology-mlp" / "card.yaml").read_bytes())
    env = dict(os.environ, PYTHONIOENCODING="utf-8:strict")
    for fmt in ("text", "json", "markdown", "sarif"):
        proc = cli("validate", tmp_path / name, "--format", fmt, env=env)
        assert proc.returncode in (0, 1) and "\\udcff" in proc.stdout, proc
        if fmt in ("json", "sarif"):
            json.loads(proc.stdout)
    ascii_terminal = dict(os.environ, PYTHONIOENCODING="ascii")
    proc = cli("validate", EXAMPLES / "invalid" / "split-ratio-above-one.card.yaml", "--lang", "zh", env=ascii_terminal)
    assert proc.returncode == 1 and "\\u5171" in proc.stdout  # 共, written as an escape


def test_pickle_global_names_cannot_erase_their_own_warning(tmp_path):
    model = tmp_path / "model.pkl"
    model.write_bytes(b"c" + b"os\x1b[2K\x1b[1A\n" + b"sys\x1b]0;ok\x07tem\n" + b"(S'true'\ntR.")
    proc = cli("inspect", model)
    assert proc.returncode == 1
    assert_terminal_safe(proc.stdout + proc.stderr)
    warnings = [line for line in proc.stderr.splitlines() if "MCS-PA-06" in line]
    assert len(warnings) == 2 and "\\u001b[2K" in warnings[0] and "critical" in warnings[0] and "严重" in warnings[1]


class _Hostile(http.server.BaseHTTPRequestHandler):
    def do_PUT(self):  # noqa: N802 - the http.server API
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        body = f"{ESC}nope\nkg push: all cards pushed\x1b[0m".encode()
        self.send_response(500)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


def test_kg_push_escapes_the_servers_error_body(tmp_path):
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Hostile)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        proc = cli("kg", "push", EXAMPLES / "wdbc-cytology-mlp" / "card.yaml", "--no-vocabulary",
                   "--endpoint", f"http://127.0.0.1:{server.server_address[1]}/store", "--timeout", "5")
    finally:
        server.shutdown()
    assert proc.returncode == 2
    assert_terminal_safe(proc.stderr)
    assert "\\u001b[2J" in proc.stderr and "错误" in proc.stderr
    assert not any(line.startswith("kg push: all cards") for line in proc.stderr.splitlines())


def test_inspect_and_import_yaml_carry_no_raw_reordering_characters(tmp_path):
    from modelcard_spec.spec.textsafe import yaml_dump

    value = {"na\u202eme": "x\x1b[31m\u2066y\x85z\U000e0041", "plain": "乳腺"}
    text = yaml_dump(value, sort_keys=False)
    assert_terminal_safe(text)
    assert "乳腺" in text and yaml.safe_load(text) == value
    readme = tmp_path / "README.md"
    readme.write_text("---\nlicense: apache-2.0\nmodel-index:\n- name: \"evil\\u202egpj.exe\"\n---\n# Model\n",
                      encoding="utf-8")
    proc = cli("import", "huggingface", readme, "--version", "1.0.0", "--provider", "Lab \u202eX",
               "--provider-kind", "open_source")
    assert proc.returncode == 0, proc
    assert_terminal_safe(proc.stdout + proc.stderr)
    assert yaml.safe_load(proc.stdout)["provider"]["name"] == "Lab \u202eX"


def test_textsafe_escapes_what_a_reader_must_not_get_and_nothing_else():
    from modelcard_spec.spec import textsafe

    assert textsafe.terminal("a\x1b[2Jb\rc\r\nd\te\u202ef") == "a\\u001b[2Jb\\u000dc\r\nd\te\\u202ef"
    assert textsafe.one_line("a\nb\tc") == "a\\u000ab\\u0009c"
    assert textsafe.terminal("x\U000e0041\ud800") == "x\\U000e0041\\ud800"
    assert json.loads(textsafe.json_text(json.dumps("x\U000e0041\ud800\x9b", ensure_ascii=False))) == "x\U000e0041\ud800\x9b"
    assert textsafe.terminal("乳腺 é 😀 e\u0301") == "乳腺 é 😀 e\u0301"
    md = textsafe.markdown
    assert md("a|b <i>&amp; *x* _y_ [l](u) `c` #h ~~s~~ {: x }") == \
        "a\\|b &lt;i&gt;&amp;amp; \\*x\\* \\_y\\_ \\[l\\](u) \\`c\\` \\#h &#126;&#126;s&#126;&#126; \\{: x \\}"
    assert md("1. x") == "1\\. x" and md("- x") == "\\- x" and md("  + x") == "\\+ x" and md("1.5 kg") == "1.5 kg"
    assert md("a\r\nb\nc") == "a<br>b<br>c" and md("a\nb", " ") == "a b"


INVISIBLE = ("\u00ad\u034f\u115f\u1160\u17b4\u180e\u200b\u200c\u200d\u2065\u3164\uffa0\ufff9\ufffa\ufffb"
             "\U0001bca0\U0001d173\U000e0080")


@pytest.mark.parametrize("char", INVISIBLE, ids=lambda c: f"U+{ord(c):04X}")
def test_invisible_characters_are_shown_as_escapes_in_every_writer(char):
    from modelcard_spec.spec import textsafe

    escape = f"\\u{ord(char):04x}" if ord(char) <= 0xFFFF else f"\\U{ord(char):08x}"
    text = f"a{char}b"
    assert textsafe.terminal(text) == textsafe.one_line(text) == f"a{escape}b"
    assert char not in textsafe.markdown(text) and escape in textsafe.markdown(text)
    dumped = textsafe.json_text(json.dumps(text, ensure_ascii=False))
    assert char not in dumped and json.loads(dumped) == text
    dumped = textsafe.yaml_dump({"k": text})
    assert char not in dumped and yaml.safe_load(dumped) == {"k": text}


def test_variation_selectors_and_ordinary_text_are_left_as_they_are():
    from modelcard_spec.spec import textsafe

    for text in ("\u2764\ufe0f", "\u845b\U000e0100", "乳腺 é e\u0301 😀", "ᠮᠣᠩᠭᠣᠯ\u180b"):
        assert textsafe.terminal(text) == textsafe.one_line(text) == textsafe.markdown(text) == text, text


def test_validate_shows_invisible_characters_of_a_card_as_escapes(tmp_path):
    data = yaml.safe_load((EXAMPLES / "wdbc-cytology-mlp" / "card.yaml").read_text(encoding="utf-8"))
    data["wdbc\u200bmodel\u00ad"] = "x"
    card = tmp_path / "card.yaml"
    card.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    for fmt in ("text", "json", "markdown", "sarif"):
        out = cli("validate", card, "--format", fmt, cwd=tmp_path).stdout
        assert "\u200b" not in out and "\u00ad" not in out and "u200b" in out, fmt


# --------------------------------------------------------------------------- the library's writers

SURROGATE_CARD = {"schema_version": "0.1.0", "identifier": "x\ud800", "name": "n\udcff", "version": "1.0.0",
                  "summary": "s\udfff", "provider": {"name": "p\ud800", "website": "https://example.org/\ud800"},
                  "provider_kind": "manufacturer", "k\ud800": "v"}


def test_lone_surrogates_reach_no_writer_raw():
    from modelcard_spec.output import card_view as cardview
    from modelcard_spec.graph import rdf
    from modelcard_spec.output import validation as render

    for text in (cardview.markdown(SURROGATE_CARD), cardview.html_page(SURROGATE_CARD),
                 render.to_json(SURROGATE_CARD)):
        text.encode("utf-8")
        assert "\\ud800" in text.replace("\\\\", "\\")
    assert json.loads(render.to_json(SURROGATE_CARD)) == SURROGATE_CARD
    lines = rdf.card_triples(SURROGATE_CARD)
    for fmt in ("nt", "ttl", "jsonld"):
        out = rdf.serialise(lines, fmt)
        out.encode("utf-8")
        assert_terminal_safe(out)
    pyoxigraph = pytest.importorskip("pyoxigraph")
    triples = list(pyoxigraph.parse(rdf.serialise(lines, "ttl").encode(), format=pyoxigraph.RdfFormat.TURTLE))
    assert any(t.object.value == "n\\udcff" for t in triples)


def test_rdf_keeps_escaped_characters_as_the_same_characters(tmp_path):
    pyoxigraph = pytest.importorskip("pyoxigraph")
    from modelcard_spec.graph import rdf

    card = {"identifier": "x", "version": "1", "name": "a\x1b[31m\u202eb\x9b",
            "provider": {"name": "p", "website": "https://example.org/\u061c\ufeff"}}
    lines = rdf.card_triples(card)
    for fmt, syntax in (("nt", pyoxigraph.RdfFormat.N_TRIPLES), ("ttl", pyoxigraph.RdfFormat.TURTLE)):
        out = rdf.serialise(lines, fmt)
        assert_terminal_safe(out)
        values = {t.object.value for t in pyoxigraph.parse(out.encode(), format=syntax)}
        assert "a\x1b[31m\u202eb\x9b" in values
    jsonld = rdf.serialise(lines, "jsonld")
    assert_terminal_safe(jsonld)
    values = {t.object.value for t in pyoxigraph.parse(jsonld.encode(), format=pyoxigraph.RdfFormat.JSON_LD)}
    assert "a\x1b[31m\u202eb\x9b" in values
