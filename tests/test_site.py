"""The specification site: generated from the schema, built strictly, and used in a real browser
(Debian's Chromium, driven by Selenium against the built site served on loopback)."""

from __future__ import annotations

import copy
import functools
import html
import http.server
import importlib.util
import os
import re
import shutil
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from conftest import ROOT
from modelcard_spec.spec.resources import catalogue_data, schema_index

ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMEDRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    out = tmp_path_factory.mktemp("site")
    gen = subprocess.run([sys.executable, str(ROOT / "tools" / "build_docs.py")], capture_output=True, text=True)
    assert gen.returncode == 0, gen.stderr
    env = dict(os.environ, NO_MKDOCS_2_WARNING="1")
    build = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(out)],
                           cwd=ROOT, capture_output=True, text=True, env=env, timeout=600)
    assert build.returncode == 0, build.stdout + build.stderr
    return out


def _text(path: Path) -> str:
    return html.unescape(path.read_text(encoding="utf-8"))


def test_every_requirement_appears_in_both_languages_with_its_fields(site):
    cat = catalogue_data()
    for r in cat["requirements"]:
        page = _text(site / "spec" / f"area-{r['area'].replace('_', '-')}.html")
        assert f'id="{r["id"].lower()}"' in page
        for text in (r["title"], r["title_zh"], r["statement_zh"], r["evaluation_zh"]):
            assert text in page, (r["id"], text)
        for field in r.get("fields") or []:
            assert field in page
    matrix = _text(site / "spec" / "matrix-field-requirement.html")
    assert all(r["id"] in matrix for r in cat["requirements"] if r.get("fields"))


def test_every_class_field_and_enum_value_appears_in_both_languages(site):
    index = schema_index()
    fields = _text(site / "spec" / "fields.html")
    for cname, cls in index["classes"].items():
        assert cls["title_zh"] in fields
        for sname, slot in cls["slots"].items():
            anchor = (cname + "-" + sname).lower().replace("_", "-")
            assert f'id="{anchor}"' in fields and slot["title_zh"] in fields
    enums = _text(site / "spec" / "enums.html")
    for ename, enum in index["enums"].items():
        for value, meta in enum["values"].items():
            assert f"<code>{value}</code>" in enums and meta["title_zh"] in enums


def test_examples_and_versioned_downloads_are_published(site):
    version = schema_index()["schema_version"]
    for name in ("modelcard.schema.json", "modelcard.shacl.ttl", "modelcard.owl.ttl", "modelcard.context.jsonld",
                 "catalogue.json", "vocabularies.skos.ttl"):
        published = site / "downloads" / version / name
        assert published.read_bytes() == (ROOT / "src" / "modelcard_spec" / "generated" / name).read_bytes()
    for card in sorted((ROOT / "examples").glob("*/card.yaml")):
        page = _text(site / "examples" / f"{card.parent.name}.html")
        assert "Model framework / 模型框架" in page


# --------------------------------------------------------------------------- the trace of the sources

def _source_page(site: Path, document: str) -> str:
    return (site / "spec" / f"source-{document}.html").read_text(encoding="utf-8")


def _entries(page: str, anchors: list[str]) -> dict[str, str]:
    """The HTML of each entry of a page, from the element with its id to the next entry's (or to the
    end of the article); an entry whose id is not on the page is missing from the result."""
    at = {a: page.find(f'id="{a}"') for a in anchors}
    found = sorted((pos, a) for a, pos in at.items() if pos >= 0)
    end = page.find("</article>") if "</article>" in page else len(page)
    return {a: page[pos:(found[i + 1][0] if i + 1 < len(found) else end)] for i, (pos, a) in enumerate(found)}


def _position(locator: str) -> int:
    return int(re.match(r"[L@](\d+)", locator).group(1))


def test_every_statement_is_on_its_documents_page_in_document_order_with_its_trace(site):
    cat = catalogue_data()
    words = cat["trace_vocabulary"]
    areas = {r["id"]: f"area-{r['area'].replace('_', '-')}.html" for r in cat["requirements"]}
    documents = {s["document"] for s in cat["statements"]}
    assert documents == {"gbt-proposal-ptm", "bj-ai-gmp-guide-2024"}
    for document in documents:
        page = _source_page(site, document)
        statements = [s for s in cat["statements"] if s["document"] == document]
        entries = _entries(page, [s["id"].lower() for s in statements])
        assert [s["id"] for s in statements if s["id"].lower() not in entries] == []
        on_page = sorted(statements, key=lambda s: page.find(f'id="{s["id"].lower()}"'))
        assert [_position(s["locator"]) for s in on_page] == sorted(_position(s["locator"]) for s in statements)
        for s in statements:
            raw = entries[s["id"].lower()]
            entry = html.unescape(raw)
            for text in (s["locator"], s["section"], s["passage_zh"], s["gist_en"], s["scope"],
                         words["encoding"][s["encoding"]]["title"], words["encoding"][s["encoding"]]["title_zh"],
                         s.get("note", ""), s.get("note_zh", "")):
                assert text in entry, (s["id"], text)
            for rid in s["requirements"]:
                assert f'href="{areas[rid]}#{rid.lower()}"' in raw, (s["id"], rid)
                req = next(r for r in cat["requirements"] if r["id"] == rid)
                assert all(f"<code>{f}</code>" in raw for f in req.get("fields") or []), (s["id"], rid)
            if s.get("reason"):
                reason = words["reason"][s["reason"]]
                assert reason["title"] in entry and reason["title_zh"] in entry, s["id"]
            others = set(words["encoding"]) - {s["encoding"]}
            assert not any(words["encoding"][e]["title_zh"] in entry for e in others), s["id"]


def test_a_not_encoded_statement_shows_its_reason_and_note_in_both_languages(site):
    cat = catalogue_data()
    words = cat["trace_vocabulary"]
    s = next(s for s in cat["statements"] if s["id"] == "P3")
    assert s["encoding"] == "not_encoded" and s["reason"] == "outside_scope" and s["requirements"] == []
    entry = html.unescape(_entries(_source_page(site, s["document"]), ["p3", "p4"])["p3"])
    assert "Not encoded / 未编码" in entry
    assert "Outside the standard's scope / 不在标准范围内" in entry
    assert words["reason"]["outside_scope"]["title_zh"] == "不在标准范围内"
    assert "本文件不适用于预训练模型的研发过程评价。" in entry
    assert s["note"] in entry and s["note_zh"] in entry


def test_the_summary_gives_the_catalogues_coverage_and_the_counts_per_encoding_and_scope(site):
    cat = catalogue_data()
    cov = cat["coverage"]
    for document in ("gbt-proposal-ptm", "bj-ai-gmp-guide-2024"):
        page = _source_page(site, document)
        summary = html.unescape(page[page.find('id="summary"'):page.find("<h3")])
        assert f"<strong>{cov['statements']}</strong>" in summary and f"<strong>{cov['full']}</strong>" in summary
        assert f"({cov['full_share']:.1%})" in summary and f"完全编码 <strong>{cov['full']}</strong> 条" in summary
        statements = [s for s in cat["statements"] if s["document"] == document]
        rows = {re.sub(r"<[^>]+>", "", row[0]): row[1:]
                for row in re.findall(r"<tr>\s*<td>(.*?)</td>\s*<td>(\d+)</td>\s*<td>(\d+)</td>\s*<td>(\d+)</td>\s*"
                                      r"<td>(\d+)</td>\s*</tr>", summary, re.S)}
        for scope in {s["scope"] for s in statements}:
            of = [s for s in statements if s["scope"] == scope]
            assert rows[scope] == tuple(str(n) for n in (
                sum(s["encoding"] == "full" for s in of), sum(s["encoding"] == "partial" for s in of),
                sum(s["encoding"] == "not_encoded" for s in of), len(of))), scope


def test_the_reverse_matrix_lists_every_requirement_with_its_statements_and_other_locators(site):
    cat = catalogue_data()
    words = cat["trace_vocabulary"]
    page = (site / "spec" / "matrix-requirement-statement.html").read_text(encoding="utf-8")
    table = page[page.find('id="matrix"'):]
    rows = {m.group(1): m.group(0) for m in re.finditer(r'<tr>\s*<td><a href="area-[a-z-]+\.html#[a-z0-9-]+">'
                                                         r'(MCS-[A-Z]+-\d+)</a></td>.*?</tr>', table, re.S)}
    assert list(rows) == [r["id"] for r in cat["requirements"]]
    by_id = {s["id"]: s for s in cat["statements"]}
    for r in cat["requirements"]:
        row = html.unescape(rows[r["id"]])
        for src in r["sources"]:
            for sid in src.get("statements") or []:
                s = by_id[sid]
                assert f'href="source-{s["document"]}.html#{sid.lower()}">{sid}</a> ' \
                       f'({words["encoding"][s["encoding"]]["title"]}' in row, (r["id"], sid)
            if not src.get("statements"):
                assert f'href="sources.html#{src["document"]}">{src["document"]}</a>' in row, r["id"]
    kit_own = [r["id"] for r in cat["requirements"] if any(src["document"] == "mcs-kit" for src in r["sources"])]
    assert kit_own and all("mcs-kit" in rows[rid] for rid in kit_own)


def test_a_requirement_links_to_the_statements_it_rests_on_and_the_links_resolve(site):
    cat = catalogue_data()
    pages = {}
    for r in cat["requirements"]:
        area = f"area-{r['area'].replace('_', '-')}.html"
        pages.setdefault(area, (site / "spec" / area).read_text(encoding="utf-8"))
        entry = _entries(pages[area], [x["id"].lower() for x in cat["requirements"] if x["area"] == r["area"]])[r["id"].lower()]
        for sid in (sid for src in r["sources"] for sid in src.get("statements") or []):
            assert re.search(rf'href="source-[a-z0-9-]+\.html#{sid.lower()}">{sid}</a>', entry), (r["id"], sid)
    linked = 0
    for path in (site / "spec").glob("*.html"):
        for target, anchor in re.findall(r'href="(source-[a-z0-9-]+\.html|sources\.html)#([^"]+)"',
                                         path.read_text(encoding="utf-8")):
            linked += 1
            assert f'id="{anchor}"' in (site / "spec" / target).read_text(encoding="utf-8"), (path.name, target, anchor)
    assert linked > len(cat["statements"])


def _build_docs():
    spec = importlib.util.spec_from_file_location("build_docs", ROOT / "tools" / "build_docs.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_text_from_the_data_cannot_add_structure_to_the_trace_pages(tmp_path):
    """A passage, gist or note holding Markdown or HTML renders as that text on the trace pages."""
    from test_injection import site_markdown

    build_docs = _build_docs()
    cat = copy.deepcopy(catalogue_data())
    hostile = '<script>alert(1)</script> | **x** [a](javascript:x) # _y_ `z`\n## forged'
    s = next(s for s in cat["statements"] if s["encoding"] == "not_encoded")
    s.update(passage_zh=hostile, gist_en=hostile, note=hostile, note_zh=hostile, section=hostile, locator=hostile)
    area_of = {r["id"]: f"area-{r['area'].replace('_', '-')}.md" for r in cat["requirements"]}
    trace = build_docs.Trace(cat, area_of, build_docs.resolve_fields(schema_index()))
    build_docs.trace_pages(tmp_path, trace)
    rendered = site_markdown((tmp_path / f"source-{s['document']}.md").read_text(encoding="utf-8"))
    assert "<script" not in rendered and 'href="javascript' not in rendered
    assert not re.search(r"<strong>x</strong>|<em>y</em>|<code>z</code>|<h2[^>]*>forged", rendered)
    assert html.unescape(rendered).count(hostile.replace("\n", " ")) >= 5
    entry = _entries(rendered, [s["id"].lower()])[s["id"].lower()]
    assert entry.count("<tr>") == 11  # the header row and the ten rows of a not-encoded statement: no cell added


def test_render_command_matches_the_site_and_gives_html(tmp_path):
    card = ROOT / "examples" / "wdbc-cytology-mlp" / "card.yaml"
    md = subprocess.run([sys.executable, "-m", "modelcard_spec.cli", "render", str(card)], capture_output=True, text=True)
    assert md.returncode == 0 and md.stdout.startswith("# WDBC-Cytology-MLP / ")
    assert "| Provider kind / 提供方类型 | Medical device manufacturer / 医疗器械厂家 |" in md.stdout
    out = tmp_path / "card.html"
    page = subprocess.run([sys.executable, "-m", "modelcard_spec.cli", "render", str(card), "--to", "html", "-o", str(out)])
    assert page.returncode == 0 and "<h2>Training process / 训练过程</h2>" in out.read_text(encoding="utf-8")


def _browser_available() -> bool:
    return Path(CHROMIUM).exists() and Path(CHROMEDRIVER).exists()


@pytest.fixture(scope="module")
def served(site):
    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args):
            pass

    handler = functools.partial(Quiet, directory=str(site))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    if not _browser_available():
        if os.environ.get("MCS_REQUIRE_BROWSER"):
            pytest.fail("Chromium and ChromeDriver are required (apt-get install chromium chromium-driver)")
        pytest.skip("Debian's chromium and chromium-driver are not installed (CI installs them)")
    os.environ.setdefault("SE_OFFLINE", "true")  # never let Selenium Manager download anything
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    opts = webdriver.ChromeOptions()
    opts.binary_location = CHROMIUM
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--window-size=1400,1000", f"--user-data-dir={tmp_path_factory.mktemp('chromium')}"):
        opts.add_argument(flag)
    driver = webdriver.Chrome(options=opts, service=Service(CHROMEDRIVER))
    driver.set_page_load_timeout(60)
    yield driver
    driver.quit()


def test_a_reader_navigates_to_a_requirement_and_searches_for_it(browser, served):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import WebDriverWait

    wait = WebDriverWait(browser, 30)
    browser.get(served + "/index.html")
    assert "modelcard-spec" in browser.title
    browser.find_element(By.LINK_TEXT, "Requirement catalogue / 要求目录").click()
    wait.until(ec.url_contains("requirements.html"))
    browser.find_element(By.LINK_TEXT, "MCS-TR-04").click()
    wait.until(ec.url_contains("area-training-process.html#mcs-tr-04"))
    heading = browser.find_element(By.ID, "mcs-tr-04")
    assert "Splits pairwise disjoint, verified" in heading.text
    req = next(r for r in catalogue_data()["requirements"] if r["id"] == "MCS-TR-04")
    assert req["title_zh"] in heading.text
    table = heading.find_element(By.XPATH, "following::table[1]")
    assert "Fields that serve it / 对应字段" in table.text
    assert "training_process.data_splits.disjoint" in table.text
    assert req["statement_zh"][:20] in browser.find_element(By.TAG_NAME, "body").text
    ARTIFACTS.mkdir(exist_ok=True)
    browser.save_screenshot(str(ARTIFACTS / "site-requirement-MCS-TR-04.png"))

    # From the requirement to the statement of the GMP guide it rests on, and on to the reverse matrix.
    statement = next(s for s in catalogue_data()["statements"] if s["id"] == "G32")
    table.find_element(By.LINK_TEXT, "G32").click()
    wait.until(ec.url_contains("source-bj-ai-gmp-guide-2024.html#g32"))
    heading = browser.find_element(By.ID, "g32")
    assert "Fully encoded / 完全编码" in heading.text
    assert statement["passage_zh"] in heading.find_element(By.XPATH, "following::blockquote[1]").text
    entry = heading.find_element(By.XPATH, "following::table[1]")
    assert statement["gist_en"] in entry.text and "MCS-TR-04" in entry.text
    browser.save_screenshot(str(ARTIFACTS / "site-statement-G32.png"))
    entry.find_element(By.LINK_TEXT, "MCS-TR-04").click()
    wait.until(ec.url_contains("area-training-process.html#mcs-tr-04"))

    browser.get(served + "/index.html")
    box = wait.until(ec.element_to_be_clickable((By.CSS_SELECTOR, "input.md-search__input")))
    box.click()
    box.send_keys("MCS-TR-04")
    wait.until(lambda d: any("MCS-TR-04" in e.text for e in d.find_elements(By.CSS_SELECTOR, ".md-search-result__item")))
    browser.save_screenshot(str(ARTIFACTS / "site-search-MCS-TR-04.png"))
    box.send_keys(Keys.CONTROL, "a")
    box.send_keys("划分")
    wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, ".md-search-result__item"))
    assert any("划分" in e.text for e in browser.find_elements(By.CSS_SELECTOR, ".md-search-result__item"))
