"""The specification site: generated from the schema, built strictly, and used in a real browser
(Debian's Chromium, driven by Selenium against the built site served on loopback)."""

from __future__ import annotations

import functools
import html
import http.server
import os
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
