"""kg push against two real server stores started here on loopback: Oxigraph (the PyPI package
``oxigraph``, a test dependency) and Virtuoso (Debian's ``virtuoso-opensource``; .ci/run installs it),
over the Graph Store Protocol and in bulk over SPARQL Update, with Virtuoso's authenticated endpoints
and their HTTP Digest authentication."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest
import yaml

from conftest import EXAMPLES, VALID_CARDS
from modelcard_spec.graph import assessment

PASSWORD = "dba"  # Virtuoso's initial dba password, in a database made for this test only


def cli(*args, env=None, timeout=300):
    return subprocess.run([sys.executable, "-m", "modelcard_spec.cli", *map(str, args)], capture_output=True,
                          text=True, encoding="utf-8", timeout=timeout, env=env)


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait(url, seconds, proc):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            return False
        try:
            urllib.request.urlopen(url, timeout=2)
            return True
        except urllib.error.HTTPError:
            return True
        except OSError:
            time.sleep(0.3)
    return False


def _stop(proc):
    proc.terminate()
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=10)


def virtuoso_ini(home, sql: int, http: int, buffers: int = 10000, max_rows: int = 100000) -> str:
    """A virtuoso.ini for a database in ``home`` serving SQL and HTTP on loopback only, with ``buffers``
    8 KiB page buffers, no query time limit and at most ``max_rows`` rows a result (also used by
    benchmarks/kg_server_bench.py)."""
    return f"""[Database]
DatabaseFile = {home}/virtuoso.db
ErrorLogFile = {home}/virtuoso.log
LockFile = {home}/virtuoso.lck
TransactionFile = {home}/virtuoso.trx
xa_persistent_file = {home}/virtuoso.pxa
TempStorage = TempDatabase
[TempDatabase]
DatabaseFile = {home}/virtuoso-temp.db
TransactionFile = {home}/virtuoso-temp.trx
[Parameters]
ServerPort = 127.0.0.1:{sql}
DisableUnixSocket = 1
DirsAllowed = ., {home}
NumberOfBuffers = {buffers}
MaxDirtyBuffers = {buffers * 3 // 5}
[HTTPServer]
ServerPort = 127.0.0.1:{http}
ServerRoot = {home}
ServerThreads = 4
[SPARQL]
ResultSetMaxRows = {max_rows}
MaxQueryExecutionTime = 0
MaxQueryCostEstimationTime = 0
"""


@pytest.fixture(scope="module")
def virtuoso(tmp_path_factory):
    exe = shutil.which("virtuoso-t")
    if exe is None:
        if os.environ.get("MCS_REQUIRE_VIRTUOSO"):
            pytest.fail("virtuoso-t is not installed (apt-get install virtuoso-opensource), and MCS_REQUIRE_VIRTUOSO is set")
        pytest.skip("Virtuoso is not installed: virtuoso-t not on PATH (Debian: apt-get install virtuoso-opensource)")
    home = tmp_path_factory.mktemp("virtuoso")
    sql, http = _free_port(), _free_port()
    (home / "virtuoso.ini").write_text(virtuoso_ini(home, sql, http), encoding="utf-8")
    proc = subprocess.Popen([exe, "-c", str(home / "virtuoso.ini"), "+foreground"], cwd=home,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{http}"
    if not _wait(base + "/sparql?query=ASK%7B%7D", 120, proc):
        _stop(proc)
        log = (home / "virtuoso.log").read_text(errors="replace")[-2000:] if (home / "virtuoso.log").exists() else ""
        pytest.fail(f"Virtuoso did not start: {log}")
    yield base
    _stop(proc)


@pytest.fixture(scope="module")
def oxigraph(tmp_path_factory):
    exe = shutil.which("oxigraph", path=str(Path(sys.executable).parent)) or shutil.which("oxigraph")
    if exe is None:
        pytest.fail("the oxigraph server (PyPI package 'oxigraph') is a test dependency and must be installed")
    port = _free_port()
    proc = subprocess.Popen([exe, "serve", "--location", str(tmp_path_factory.mktemp("oxigraph")),
                             "--bind", f"127.0.0.1:{port}"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    assert _wait(base + "/", 60, proc), "oxigraph serve did not start"
    yield base
    _stop(proc)


def _counts(query_url, accept="application/sparql-results+json", extra=None):
    """Triples per named graph of the server."""
    query = "SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g"
    url = query_url + "?" + urllib.parse.urlencode({"query": query, **(extra or {})})
    with urllib.request.urlopen(urllib.request.Request(url, headers={"Accept": accept}), timeout=30) as resp:
        rows = json.loads(resp.read())["results"]["bindings"]
    return {r["g"]["value"]: int(r["n"]["value"]) for r in rows if "modelcard-spec" in r["g"]["value"]}


def _expected(cards):
    out = {assessment.VOCAB_GRAPH: len(assessment.vocabulary_lines())}
    for card in cards:
        cg = assessment.card_graph(str(card))
        out[cg.graph] = len(cg.lines)
    return out


def _changed_copy(tmp_path):
    """A copy of the WDBC card with a new summary: pushing it must replace the old graph, not add to it."""
    folder = tmp_path / "wdbc"
    shutil.copytree(EXAMPLES / "wdbc-cytology-mlp", folder, ignore=shutil.ignore_patterns("model"))
    data = yaml.safe_load((folder / "card.yaml").read_text(encoding="utf-8"))
    data["summary"] = "A summary changed since the last push."
    (folder / "card.yaml").write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return folder / "card.yaml"


def _env(**extra):
    return {k: v for k, v in os.environ.items() if k != "MCS_KG_PASSWORD"} | extra


def test_virtuoso_graph_store_with_digest_authentication(virtuoso, tmp_path):
    cards = [str(c) for c in VALID_CARDS]
    endpoint = virtuoso + "/sparql-graph-crud-auth"
    # Basic is not what Virtuoso's -auth endpoints take: refused, and the password never shown
    basic = cli("kg", "push", cards[0], "--endpoint", endpoint, "--user", "dba", env=_env(MCS_KG_PASSWORD=PASSWORD))
    assert basic.returncode == 2 and "HTTP 401" in basic.stderr
    wrong = tmp_path / "wrong"
    wrong.write_text("not-the-password\n", encoding="utf-8")
    denied = cli("kg", "push", cards[0], "--endpoint", endpoint, "--user", "dba", "--auth", "digest",
                 "--password-file", wrong)
    assert denied.returncode == 2 and "HTTP 401" in denied.stderr and "not-the-password" not in denied.stdout + denied.stderr
    ok = cli("kg", "push", *cards, "--endpoint", endpoint, "--user", "dba", "--auth", "digest",
             env=_env(MCS_KG_PASSWORD=PASSWORD))
    assert ok.returncode == 0, ok.stderr
    assert [line.split()[0] for line in ok.stdout.splitlines()] == ["201"] * (len(cards) + 1)
    assert PASSWORD not in ok.stdout.replace("dba", "") and "Digest" not in ok.stdout + ok.stderr
    assert _counts(virtuoso + "/sparql") == _expected(cards)
    again = cli("kg", "push", *cards, "--endpoint", endpoint, "--user", "dba", "--auth", "digest",
                env=_env(MCS_KG_PASSWORD=PASSWORD))
    assert again.returncode == 0, again.stderr
    assert _counts(virtuoso + "/sparql") == _expected(cards)  # PUT replaced each graph


def test_virtuoso_bulk_update_with_digest_authentication_replaces_each_cards_graph(virtuoso, tmp_path):
    cards = [str(c) for c in VALID_CARDS]
    pw = tmp_path / "pw"
    pw.write_text(PASSWORD + "\n", encoding="utf-8")
    args = ["--endpoint", virtuoso + "/sparql-auth", "--protocol", "update", "--batch", "2",
            "--user", "dba", "--auth", "digest", "--password-file", pw]
    ok = cli("kg", "push", *cards, *args)
    assert ok.returncode == 0, ok.stderr
    assert len(ok.stdout.splitlines()) == len(cards) + 1
    assert _counts(virtuoso + "/sparql") == _expected(cards)
    changed = _changed_copy(tmp_path)
    assert cli("kg", "push", changed, *args, "--no-vocabulary").returncode == 0
    expected = _expected([c for c in cards if "wdbc" not in c] + [changed])
    assert _counts(virtuoso + "/sparql") == expected


def test_oxigraph_bulk_update_is_one_request_per_batch_and_replaces_each_cards_graph(oxigraph, tmp_path):
    cards = [str(c) for c in VALID_CARDS]
    ok = cli("kg", "push", *cards, "--endpoint", oxigraph + "/update", "--protocol", "update", "--batch", "3")
    assert ok.returncode == 0, ok.stderr
    assert [line.split()[0] for line in ok.stdout.splitlines()] == ["204"] * (len(cards) + 1)
    assert _counts(oxigraph + "/query") == _expected(cards)
    assert cli("kg", "push", *cards, "--endpoint", oxigraph + "/update", "--protocol", "update").returncode == 0
    assert _counts(oxigraph + "/query") == _expected(cards)
    changed = _changed_copy(tmp_path)
    assert cli("kg", "push", changed, "--endpoint", oxigraph + "/store", "--no-vocabulary").returncode == 0
    assert _counts(oxigraph + "/query") == _expected([c for c in cards if "wdbc" not in c] + [changed])


class _DigestServer:
    """A Graph Store that wants RFC 7616 Digest (SHA-256, qop auth) and lets each nonce serve two
    requests before answering "stale"; it checks every response and remembers what it was sent."""

    def __init__(self, password):
        import http.server
        import threading

        self.password, self.nonces, self.seen = password, 0, []
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_PUT(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                auth = self.headers.get("Authorization") or ""
                outer.seen.append((self.path, auth, body))
                ok, stale = outer.check(auth, "PUT", self.path)
                if ok:
                    self.send_response(204)
                    self.end_headers()
                    return
                outer.nonces += 1
                self.send_response(401)
                self.send_header("WWW-Authenticate", f'Digest realm="gs", qop="auth", algorithm=SHA-256, '
                                 f'nonce="n{outer.nonces}", opaque="op", stale={"true" if stale else "false"}')
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = http.server.HTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/store"

    def check(self, auth, method, path):
        import hashlib

        if not auth.startswith("Digest "):
            return False, False
        f = urllib.request.parse_keqv_list(urllib.request.parse_http_list(auth[7:]))
        h = lambda t: hashlib.sha256(t.encode()).hexdigest()  # noqa: E731
        expected = h(f"{h('reviewer:gs:' + self.password)}:{f['nonce']}:{f['nc']}:{f['cnonce']}:auth:{h(method + ':' + path)}")
        if f.get("response") != expected or f.get("uri") != path or f.get("opaque") != "op":
            return False, False
        if f["nonce"] != f"n{self.nonces}" or int(f["nc"], 16) > 2:
            return False, True  # an old nonce, or this one used up: stale
        return True, False


def test_digest_answers_challenges_counts_nonces_renews_stale_ones_and_shows_no_secret(tmp_path):
    server = _DigestServer("pa55-w0rd")
    try:
        cards = [str(c) for c in VALID_CARDS]
        pw = tmp_path / "pw"
        pw.write_text("pa55-w0rd\n", encoding="utf-8")
        ok = cli("kg", "push", *cards, "--endpoint", server.url, "--user", "reviewer", "--auth", "digest",
                 "--password-file", pw, "--no-vocabulary")
        assert ok.returncode == 0, ok.stderr
        assert len(ok.stdout.splitlines()) == len(cards)
        accepted = [auth for _, auth, _ in server.seen if auth]
        assert all("pa55-w0rd" not in auth for _, auth, _ in server.seen)
        # one challenge at the start, then one stale nonce for every two graphs after the first two
        assert not server.seen[0][1] and len(server.seen) == len(cards) + 1 + (len(cards) - 1) // 2
        assert all('algorithm=SHA-256' in a and "qop=auth" in a for a in accepted)
        assert "pa55-w0rd" not in ok.stdout + ok.stderr
        wrong = cli("kg", "push", cards[0], "--endpoint", server.url, "--user", "reviewer", "--auth", "digest",
                    "--no-vocabulary", env=_env(MCS_KG_PASSWORD="guess"))
        assert wrong.returncode == 2 and "HTTP 401" in wrong.stderr and "guess" not in wrong.stdout + wrong.stderr
        missing = cli("kg", "push", cards[0], "--endpoint", server.url, "--user", "reviewer", "--auth", "digest",
                      "--password-file", tmp_path / "nowhere")
        assert missing.returncode == 2 and "--password-file" in missing.stderr
    finally:
        server.server.shutdown()


def test_the_bulk_path_sends_one_request_per_batch(monkeypatch):
    from modelcard_spec.graph import push

    sent = []
    monkeypatch.setattr(push, "_send", lambda method, endpoint, url, body, headers, timeout, auth, graph:
                        sent.append((method, headers["Content-Type"], body.decode())) or 204)
    cards = [str(c) for c in VALID_CARDS]
    results = push.push(cards, "http://h/update", protocol="update", batch=2)
    assert [status for _, _, status in results] == [204] * (len(cards) + 1)
    assert len(sent) == -(-(len(cards) + 1) // 2)
    assert all(m == "POST" and t.startswith("application/sparql-update") for m, t, _ in sent)
    text = "".join(body for _, _, body in sent)
    for _, graph, _ in results:
        assert text.count(f"DROP SILENT GRAPH <{graph}> ;\nINSERT DATA {{ GRAPH <{graph}> {{") == 1


def test_a_challenge_kg_push_cannot_answer_is_a_registered_diagnostic():
    from modelcard_spec.graph import push
    from modelcard_spec.graph.errors import KgError

    auth = push.Auth("digest", "reviewer", "secret")
    assert "secret" not in repr(auth)
    with pytest.raises(KgError) as caught:
        auth.answer(['Digest realm="x", nonce="n", algorithm=SHA-512-256'], "http://h/s")
    assert caught.value.issue.rule == "kg.push-auth" and "SHA-512-256" in caught.value.message
    assert caught.value.message_zh.startswith("http://h/s 要求 kg push 无法提供的 HTTP 身份验证")
    with pytest.raises(KgError):
        push.Auth("digest", "reviewer", "secret").answer(['Negotiate abc'], "http://h/s")
    assert push.Auth("basic", "reviewer", "secret").answer(['Digest realm="x", nonce="n"'], "http://h/s") is False


def test_only_digest_without_a_challenge_yet_asks_for_one_first():
    from modelcard_spec.graph import push

    digest = push.Auth("digest", "reviewer", "secret")
    assert digest.needs_challenge()
    assert digest.answer(['Digest realm="x", nonce="n", qop="auth", algorithm=SHA-256'], "http://h/s")
    assert not digest.needs_challenge()
    assert not push.Auth("basic", "reviewer", "secret").needs_challenge()
    assert not push.Auth("digest", None, None).needs_challenge()
    assert not push.Auth("digest", "reviewer", None, token="t").needs_challenge()


def test_kg_query_bind_refuses_a_pair_without_a_name(tmp_path):
    proc = cli("kg", "query", "card-graph", "--store", tmp_path / "none", "--bind", "=https://x")
    assert proc.returncode == 2 and "--bind '=https://x' is not NAME=VALUE" in proc.stderr
    assert "--bind '=https://x' 不是 NAME=VALUE" in proc.stderr


@pytest.mark.parametrize("challenge", ['Digest realm="r", nonce="n", qop="auth", junk',
                                       'Digest realm=, nonce="n"', "Digest ,,,=,", 'Digest "unclosed'])
def test_a_malformed_digest_challenge_is_refused_not_a_traceback(challenge):
    from modelcard_spec.graph.errors import KgError
    from modelcard_spec.graph.push import Auth

    auth = Auth("digest", "reviewer", "pa55-w0rd")
    with pytest.raises(KgError) as err:
        auth.answer([challenge], "http://127.0.0.1:1/store")
    assert "pa55-w0rd" not in err.value.message + err.value.message_zh


def test_a_password_file_is_read_only_if_it_is_a_small_regular_file(tmp_path):
    import os

    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    long = tmp_path / "long"
    long.write_bytes(b"x" * 10_000_000)
    cards = [str(VALID_CARDS[0])]
    for path, reason in ((fifo, "not a regular file"), (long, "longer than"), (tmp_path, "")):
        proc = cli("kg", "push", *cards, "--endpoint", "http://127.0.0.1:1/store", "--user", "u", "--auth", "digest",
                   "--password-file", path, timeout=20)
        assert proc.returncode == 2 and "--password-file" in proc.stderr and reason in proc.stderr, proc.stderr
        assert "Traceback" not in proc.stderr
