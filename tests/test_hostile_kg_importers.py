"""Hostile input to the knowledge-graph commands and the importers, through the command line.

Every case runs one `python -m modelcard_spec.cli` process measured on its own (conftest.run_measured):
exit 1 or 2 for bad input (0 where the input is merely unusual and must import), a message in English
and Chinese, no traceback, the inputs unchanged, nothing fetched, within the hostile-input budget
(< 2 s CPU, < 256 MiB). Servers and listeners run on loopback in this process."""

from __future__ import annotations

import hashlib
import os
import re
import select
import socket
import threading
import time
from pathlib import Path

import pytest
import yaml

from conftest import EXAMPLES, run_measured

HAN = re.compile("[\u4e00-\u9fff]")
CARD = EXAMPLES / "wdbc-cytology-mlp" / "card.yaml"


def _digest(path: Path) -> str:
    if path.is_dir():
        return hashlib.sha256("\n".join(f"{p.relative_to(path)}:{_digest(p)}" for p in sorted(path.rglob("*"))
                                        if p.is_file()).encode()).hexdigest()
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _no_network_env(tmp_path: Path) -> dict:
    """An environment whose Python refuses (and records) every attempt to resolve or connect."""
    guard = tmp_path / "guard"
    guard.mkdir(exist_ok=True)
    marker = tmp_path / "NETWORK-USED"
    (guard / "sitecustomize.py").write_text(
        "import socket\n"
        f"_MARK = {str(marker)!r}\n"
        "def _refuse(*args, **kwargs):\n"
        "    open(_MARK, 'a').write(repr(args) + '\\n')\n"
        "    raise OSError('network use is refused in this test')\n"
        "socket.socket.connect = _refuse\n"
        "socket.socket.connect_ex = _refuse\n"
        "socket.getaddrinfo = _refuse\n"
        "socket.create_connection = _refuse\n", encoding="utf-8")
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(guard), env.get("PYTHONPATH", "")])
    return env


def _assert_refused(run, *inputs: tuple[Path, str], codes=(1, 2)):
    """The common promise: a documented exit code, both languages, no traceback, within budget."""
    assert run.returncode in codes, run
    assert "Traceback" not in run.stdout + run.stderr, run
    if run.returncode:
        assert "error" in run.stderr and HAN.search(run.stderr), run
    assert run.within_budget(), run
    for path, digest in inputs:
        assert _digest(path) == digest, f"{path} was changed"


# --------------------------------------------------------------------------- importers

def _billion_laughs() -> str:
    lines = ['a0: &a0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    lines += [f"a{i}: &a{i} [{', '.join([f'*a{i-1}'] * 10)}]" for i in range(1, 12)]
    return "\n".join(lines) + "\n"


def _readme(front: str, body: str = "# Model\n") -> bytes:
    return f"---\n{front}---\n{body}".encode("utf-8")


HF_REFUSED = {
    "billion-laughs": _readme(_billion_laughs()),
    "deep-flow-nesting": _readme("tags: " + "[" * 5_000 + "]" * 5_000 + "\n"),
    "deep-block-nesting": _readme("".join("  " * i + f"k{i}:\n" for i in range(200)) + "  " * 200 + "v: 1\n"),
    "aliased-megabyte": _readme("big: &big " + "x" * 1_000_000 + "\nmany: [" + ", ".join(["*big"] * 5_000) + "]\n"),
    "python-object-tag": _readme("license: !!python/object/apply:os.system ['touch PWNED']\n"),
    "duplicate-key": _readme("license: mit\nlicense: apache-2.0\n"),
    "nan": _readme("score: .nan\n"),
    "huge-int": _readme("params: " + "9" * 400 + "\n"),
    "list-front-matter": _readme("- a\n- b\n"),
    "scalar-front-matter": _readme("just text\n"),
    "syntax-error": _readme("a: [1, 2\n"),
    "empty": b"",
    "only-whitespace": b" \n\t\n",
    "binary": bytes(range(256)) * 8,
    "invalid-utf8": _readme("license: mit\n") + b"\xff\xfe broken\n",
    "utf16": "---\nlicense: mit\n---\n# M\n".encode("utf-16"),
}

MONAI_REFUSED = {
    "deep-nesting": ("{\"x\": " + "[" * 10_000 + "]" * 10_000 + "}").encode(),
    "list-root": b"[1, 2, 3]",
    "scalar-root": b"\"metadata\"",
    "empty": b"",
    "binary": bytes(range(256)) * 8,
    "invalid-utf8": b'{"name": "\xff\xfe"}',
    "utf16": '{"name": "x"}'.encode("utf-16"),
    "syntax-error": b'{"name": "x",',
    "duplicate-key": b'{"name": "a", "name": "b"}',
    "nan": b'{"name": "x", "eval_metrics": {"mean_dice": NaN}}',
    "overflow": b'{"name": "x", "eval_metrics": {"mean_dice": 1e400}}',
    "huge-int": b'{"name": "x", "version": ' + b"9" * 400 + b"}",
    "lone-surrogate-value": b'{"name": "\\ud800"}',
    "lone-surrogate-key": b'{"\\udfff": 1}',
}


REFUSED = [("huggingface", f"{name}.md", raw) for name, raw in HF_REFUSED.items()] + \
          [("monai", f"{name}.metadata.json", raw) for name, raw in MONAI_REFUSED.items()]


@pytest.mark.parametrize("kind, name, raw", REFUSED, ids=[f"{k}-{n}" for k, n, _ in REFUSED])
def test_hostile_source_is_refused(tmp_path, kind, name, raw):
    source = tmp_path / name
    source.write_bytes(raw)
    before = _digest(source)
    run = run_measured(["import", kind, source], cwd=tmp_path, env=_no_network_env(tmp_path))
    _assert_refused(run, (source, before), codes=(2,))
    assert "cannot import" in run.stderr and "无法导入" in run.stderr and run.stdout == ""
    assert not (tmp_path / "PWNED").exists() and not (tmp_path / "NETWORK-USED").exists()


def test_refusals_are_located_in_the_source(tmp_path):
    source = tmp_path / "README.md"
    source.write_bytes(_readme("license: mit\ntags: [a, b\n"))
    run = run_measured(["import", "huggingface", source], cwd=tmp_path)
    assert run.returncode == 2 and "front matter, line 4" in run.stderr and "YAML 前置元数据第 4 行" in run.stderr, run


@pytest.mark.parametrize("kind", ["huggingface", "monai"])
def test_oversized_sparse_and_special_sources_are_refused_without_reading(tmp_path, kind):
    huge = tmp_path / ("huge.md" if kind == "huggingface" else "huge.metadata.json")
    with huge.open("wb") as fh:
        fh.write(b"---\n" if kind == "huggingface" else b"{")
        fh.seek(100 * 1024 * 1024)
        fh.write(b"\n")
    run = run_measured(["import", kind, huge], cwd=tmp_path)
    _assert_refused(run, codes=(2,))
    assert "over this tool's limit for a source file" in run.stderr and "超过本工具对来源文件的上限" in run.stderr
    zero = tmp_path / ("zero.md" if kind == "huggingface" else "zero.metadata.json")
    zero.symlink_to("/dev/zero")
    run = run_measured(["import", kind, zero], cwd=tmp_path)
    _assert_refused(run, codes=(2,))
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    run = run_measured(["import", kind, fifo], cwd=tmp_path, timeout=20)
    _assert_refused(run, codes=(2,))


UNUSUAL_FRONT_MATTER = """\
license: [mit, apache-2.0]
model_name: {nested: true}
pipeline_tag: [image-classification]
datasets: [{name: a}, 7, null]
base_model: [1, 2]
base_model_relation: {x: 1}
released: 2024-01-31
updated: 2024-01-31T10:00:00Z
yes_or_no: yes
model-index:
  - name: [not, a, string]
    results:
      - task: [1]
        dataset: text
        metrics: [1, text, {type: [accuracy], value: 0.9}, {type: accuracy, value: true}, {type: accuracy, value: 0.9}]
      - 42
  - text
"""


def test_unusual_but_well_formed_huggingface_values_import(tmp_path):
    """Dates stay strings (no TypeError), values of unexpected types are kept verbatim in extensions."""
    source = tmp_path / "README.md"
    source.write_bytes(_readme(UNUSUAL_FRONT_MATTER, "# Title\n\n## Limitations\n\nNot for clinical use.\n"))
    before = _digest(source)
    run = run_measured(["import", "huggingface", source], cwd=tmp_path, env=_no_network_env(tmp_path))
    _assert_refused(run, (source, before), codes=(0,))
    card = yaml.safe_load(run.stdout)
    kept = {e["name"]: e["value"] for e in card["extensions"]}
    assert kept["huggingface:released"] == "2024-01-31" and kept["huggingface:yes_or_no"] == "yes"
    assert kept["huggingface:license"] == '["mit", "apache-2.0"]' and kept["huggingface:datasets"] == '[{"name": "a"}, 7, null]'
    assert kept["huggingface:model-index[0].results[0].metrics[2]"] == '{"type": ["accuracy"], "value": 0.9}'
    assert kept["huggingface:model-index[0].results[0].metrics[3]"] == '{"type": "accuracy", "value": true}'  # not a number
    assert card["name"] == "Title" and not (tmp_path / "NETWORK-USED").exists()


def test_unusual_but_well_formed_monai_values_import(tmp_path):
    source = tmp_path / "odd.metadata.json"
    source.write_text("""{"name": ["x"], "version": {"v": 1}, "task": {"kind": "segmentation"},
      "authors": 7, "license": ["MIT"], "data_source": 3, "intended_use": [1],
      "network_data_format": {"inputs": [1, 2], "outputs": {"pred": {"dtype": ["float32"], "num_channels": true,
        "spatial_shape": "abc", "value_range": [true, false], "channel_def": [1], "format": {"a": 1}}}},
      "eval_metrics": [1, 2], "monai_version": {"x": 1}, "required_packages_version": [1]}""")
    before = _digest(source)
    run = run_measured(["import", "monai", source], cwd=tmp_path, env=_no_network_env(tmp_path))
    _assert_refused(run, (source, before), codes=(0,))
    names = {e["name"] for e in yaml.safe_load(run.stdout)["extensions"]}
    assert {"monai:/task", "monai:/eval_metrics"} <= names


def test_markdown_bodies_that_made_the_section_scan_quadratic(tmp_path):
    """A heading followed by megabytes of spaces, and many known headings, stay linear."""
    bodies = {
        "spaces.md": "# T\n\n## Limitations" + " " * 3_000_000 + "x\n",
        "headings.md": "# T\n" + "## Limitations\n[More Information Needed]\n" * 100_000,
        "unclosed-front-matter.md": "---\n" + "\n" * 3_000_000 + "x\n",
        "titles.md": "#" + " " * 2_000_000 + "\n# T\n",
    }
    for name, body in bodies.items():
        source = tmp_path / name
        source.write_text(body, encoding="utf-8")
        run = run_measured(["import", "huggingface", source], cwd=tmp_path)
        _assert_refused(run, codes=(0,))


def _json(value) -> str:
    import json

    return json.dumps(value)


def _nodes(n: int) -> dict:
    return {f"in{i}": {"format": "hounsfield", "modality": "CT", "num_channels": 1, "spatial_shape": [96, 96],
                       "dtype": "float32", "channel_def": {"0": "image"}} for i in range(n)}


AT_THE_LIMITS = {  # just inside the bounds on values (5,000) and extensions (1,000), or near 10 MiB
    "packages.metadata.json": {"name": "m", "monai_version": "1.0",
                               "required_packages_version": {f"pkg{i}": "1.0" for i in range(2_400)}},
    "unknown-keys.metadata.json": {f"key{i}": i for i in range(990)},
    "unknown-metrics.metadata.json": {"name": "m", "task": "segmentation",
                                      "eval_metrics": {"mean_dice": 0.9, **{f"val_metric_{i}": i for i in range(980)}}},
    "nodes.metadata.json": {"name": "m", "network_data_format": {"inputs": _nodes(120), "outputs": _nodes(120)}},
    "long-description.metadata.json": {"name": "m", "description": "lorem ipsum " * 800_000},
}
BEYOND_THE_LIMITS = {
    "packages.metadata.json": {"name": "m", "required_packages_version": {f"pkg{i}": "1.0" for i in range(20_000)}},
    "unknown-keys.metadata.json": {f"key{i}": i for i in range(1_200)},
    "nodes.metadata.json": {"name": "m", "network_data_format": {"inputs": _nodes(1_000), "outputs": _nodes(1_000)}},
}


LIMIT_CASES = [(name, data, 0) for name, data in AT_THE_LIMITS.items()] + \
              [(name, data, 2) for name, data in BEYOND_THE_LIMITS.items()]


@pytest.mark.parametrize("name, data, code", LIMIT_CASES, ids=[f"{n}-{'in' if c == 0 else 'out'}" for n, _, c in LIMIT_CASES])
def test_sources_at_the_limits_import_within_budget_and_beyond_are_refused(tmp_path, name, data, code):
    source = tmp_path / name
    source.write_text(_json(data))
    run = run_measured(["import", "monai", source], cwd=tmp_path)
    _assert_refused(run, codes=(code,))
    if code == 0:  # the text only: parsing megabytes here would grow this process, whose peak its children inherit
        assert "\nidentifier: monai." in run.stdout
    else:
        assert ("more than" in run.stderr or "limit" in run.stderr) and "超过" in run.stderr


def test_huggingface_lists_at_the_limits_import_within_budget(tmp_path):
    metrics = [{"type": "accuracy", "value": 0.5}] * 480
    index = [{"name": "x", "results": [{"task": {"name": "t"}, "dataset": {"name": "d"}, "metrics": metrics}]}]
    front = f"datasets: {_json([f'ds{i}' for i in range(2_000)])}\nmodel-index: {_json(index)}\n"
    source = tmp_path / "README.md"
    source.write_bytes(_readme(front))
    run = run_measured(["import", "huggingface", source], cwd=tmp_path)
    _assert_refused(run, codes=(0,))
    assert "ds1999" in run.stdout


def test_batch_import_goes_on_past_bad_sources(tmp_path):
    folder = tmp_path / "sources"
    folder.mkdir()
    good = Path(__file__).parent / "data" / "monai-bundles" / "spleen_ct_segmentation" / "configs" / "metadata.json"
    (folder / "good.metadata.json").write_bytes(good.read_bytes())
    for name in ("deep-nesting", "list-root", "binary", "lone-surrogate-value"):
        (folder / f"{name}.metadata.json").write_bytes(MONAI_REFUSED[name])
    (folder / "zero.json").symlink_to("/dev/zero")
    before = _digest(folder)
    out = tmp_path / "cards"
    run = run_measured(["import", "monai", folder, "-o", out], cwd=tmp_path)
    _assert_refused(run, (folder, before), codes=(2,))
    assert [p.name for p in out.iterdir()] == ["good.card.yaml"]
    assert run.stderr.count("cannot import") == 5 and run.stderr.count("无法导入") == 5
    assert "| good |" in run.stdout



SPLEEN = Path(__file__).parent / "data" / "monai-bundles" / "spleen_ct_segmentation" / "configs" / "metadata.json"


def test_a_link_in_a_source_folder_never_brings_an_outside_file_into_the_card(tmp_path):
    """A symbolic link inside a bundle or batch folder is read only if it stays inside the folder
    given (the evidence containment rule); a file named on the command line is read where it leads."""
    secret = tmp_path / "secret" / "config.json"
    secret.parent.mkdir()
    secret.write_text('{"name": "x", "password": "hunter2-secret"}')
    bundle = tmp_path / "bundle"
    (bundle / "configs").mkdir(parents=True)
    (bundle / "configs" / "metadata.json").symlink_to(secret)
    run = run_measured(["import", "monai", bundle], cwd=tmp_path)
    _assert_refused(run, codes=(2,))
    assert "hunter2" not in run.stdout + run.stderr and "configs/metadata.json" in run.stderr, run
    batch = tmp_path / "batch"
    for name in ("A", "B", "C"):
        (batch / name / "configs").mkdir(parents=True)
    (batch / "A" / "configs" / "metadata.json").write_bytes(SPLEEN.read_bytes())
    (batch / "B" / "configs" / "metadata.json").symlink_to(secret)
    (batch / "C" / "configs" / "metadata.json").symlink_to("../../A/configs/metadata.json")  # inside: read
    (batch / "D").symlink_to(bundle, target_is_directory=True)  # a linked bundle folder leads outside too
    (batch / "evil.json").symlink_to(secret)
    (batch / "hf").mkdir()
    (batch / "hf" / "README.md").symlink_to(secret)
    before = _digest(batch)
    out = tmp_path / "out"
    run = run_measured(["import", "monai", batch, "-o", out], cwd=tmp_path)
    _assert_refused(run, (batch, before), codes=(2,))
    assert sorted(p.name for p in out.iterdir()) == ["A.card.yaml", "C.card.yaml"], run
    assert run.stderr.count("leads outside the folder given") == 3 and run.stderr.count("指向所给文件夹之外") == 3, run
    for name in ("B/configs/metadata.json", "D/configs/metadata.json", "evil.json"):
        assert f"{name} leads outside" in run.stderr, (name, run)
    assert not any("hunter2" in p.read_text() for p in out.iterdir())
    hf_out = tmp_path / "hf-out"
    run = run_measured(["import", "huggingface", batch, "-o", hf_out], cwd=tmp_path)
    _assert_refused(run, codes=(2,))
    assert "hf/README.md leads outside" in run.stderr and not list(hf_out.iterdir()), run
    explicit = run_measured(["import", "monai", bundle / "configs" / "metadata.json"], cwd=tmp_path)
    assert explicit.returncode == 0 and "hunter2" in explicit.stdout, explicit  # the user's own choice


def test_special_files_in_a_bundle_are_refused_with_the_path_in_the_folder(tmp_path):
    bundle = tmp_path / "bundle"
    (bundle / "configs").mkdir(parents=True)
    os.mkfifo(bundle / "configs" / "metadata.json")
    run = run_measured(["import", "monai", bundle], cwd=tmp_path, timeout=30)
    _assert_refused(run, codes=(2,))
    assert "configs/metadata.json is not a regular file" in run.stderr, run
    (bundle / "configs" / "metadata.json").unlink()
    (bundle / "configs" / "metadata.json").symlink_to("metadata.json")  # a loop
    run = run_measured(["import", "monai", bundle], cwd=tmp_path, timeout=30)
    _assert_refused(run, codes=(2,))
    assert "configs/metadata.json" in run.stderr, run


# --------------------------------------------------------------------------- kg load / kg query

class _Server:
    """A loopback HTTP server whose every connection is handled by ``handler(conn)`` on its own thread."""

    def __init__(self, handler):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.port = self.sock.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}/store"
        self.connections = 0
        self.durations: list[float] = []  # per connection: from the request read to the client leaving
        self.handler = handler
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self):
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.connections += 1
            threading.Thread(target=self._handle, args=(conn,), daemon=True).start()

    def _handle(self, conn):
        conn.settimeout(30)
        try:
            _read_request(conn)
            started = time.monotonic()
            self.handler(conn)
            self.durations.append(time.monotonic() - started)
        except OSError:
            pass
        finally:
            conn.close()

    def close(self):
        self.sock.close()


def _read_request(conn) -> None:
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = conn.recv(65536)
        if not chunk:
            return
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    declared = re.search(rb"(?i)content-length:\s*(\d+)", head)
    length = int(declared.group(1)) if declared else 0
    while len(body) < length:
        chunk = conn.recv(65536)
        if not chunk:
            return
        body += chunk


def _refusing_server() -> _Server:
    return _Server(lambda conn: conn.sendall(b"HTTP/1.1 500 Refused\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"))


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    folder = tmp_path_factory.mktemp("kg") / "store"
    run = run_measured(["kg", "load", CARD, "--store", folder])
    assert run.returncode == 0, run
    return folder


SERVICE_QUERIES = [
    "SELECT * WHERE { SERVICE <http://127.0.0.1:PORT/sparql> { ?s ?p ?o } }",
    "select * where { service silent <http://127.0.0.1:PORT/sparql>{?s ?p ?o} }",
    "PREFIX : <http://127.0.0.1:PORT/> SELECT * WHERE { SERVICE:sparql{?s ?p ?o} }",
    "SELECT * WHERE { ?c ?p ?o . SERVICE<http://127.0.0.1:PORT/x#y>{?s ?p2 ?o2} } # SERVICE in a comment",
    "SELECT * WHERE { FILTER(?a<'x>') SERVICE <http://127.0.0.1:PORT/> { ?s ?p ?o } FILTER('y' = 'y') }",
]


@pytest.mark.parametrize("text", SERVICE_QUERIES)
def test_service_queries_are_refused_and_nothing_is_contacted(store, tmp_path, text):
    listener = _refusing_server()
    try:
        before = _digest(store)
        run = run_measured(["kg", "query", text.replace("PORT", str(listener.port)), "--store", store], cwd=tmp_path)
        _assert_refused(run, (store, before), codes=(2,))
        assert "--allow-service" in run.stderr
        time.sleep(0.2)
        assert listener.connections == 0
    finally:
        listener.close()


def test_allow_service_contacts_the_service_and_its_failure_is_an_error(store, tmp_path):
    """The listener above would see a connection: with --allow-service the same query reaches it, and
    the service's failure is reported (exit 2), not a traceback."""
    listener = _refusing_server()
    try:
        text = SERVICE_QUERIES[0].replace("PORT", str(listener.port))
        run = run_measured(["kg", "query", text, "--store", store, "--allow-service", "--timeout", "10"], cwd=tmp_path)
        _assert_refused(run, codes=(2,))
        assert "the query failed" in run.stderr and "查询执行失败" in run.stderr
        assert listener.connections == 1
    finally:
        listener.close()


def test_queries_that_mention_service_only_in_data_run(store, tmp_path):
    text = ('PREFIX ex: <http://example.org/> SELECT ?service WHERE { ?service ?p ?o . '
            'FILTER(?o != "third_party_service_platform" && ?p != <http://example.org/service> && ?p != ex:service) } '
            'LIMIT 1  # SERVICE <http://example.org/> {}')
    run = run_measured(["kg", "query", text, "--store", store], cwd=tmp_path)
    _assert_refused(run, codes=(0,))
    assert "(1 row)" in run.stdout


def test_query_errors_and_limits_exit_2(store, tmp_path):
    before = _digest(store)
    cases = [
        (["SELECT WHERE {"], "SPARQL syntax error"),
        (["SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l }", "--timeout", "0.5"],
         "did not finish within 0.5 s"),
    ]
    bad_file = tmp_path / "bad.rq"
    bad_file.write_bytes(b"SELECT * WHERE { ?s ?p \"\xff\" }")
    cases.append(([bad_file], "not valid UTF-8"))
    for args, expected in cases:
        started = time.monotonic()
        run = run_measured(["kg", "query", *args, "--store", store], cwd=tmp_path, timeout=30)
        _assert_refused(run, (store, before), codes=(2,))
        assert expected in run.stderr and time.monotonic() - started < 10, run


def test_triple_terms_in_results_are_shown(store, tmp_path):
    text = 'SELECT ?t WHERE { BIND(<<( <http://a.example/> <http://b.example/> "c" )>> AS ?t) }'
    for fmt in ("table", "json", "csv"):
        run = run_measured(["kg", "query", text, "--store", store, "--format", fmt], cwd=tmp_path)
        _assert_refused(run, codes=(0,))
        assert "http://a.example/" in run.stdout


def test_query_opens_only_an_existing_store_and_changes_nothing(store, tmp_path):
    folder = tmp_path / "my-documents"
    folder.mkdir()
    (folder / "letter.txt").write_text("private\n")
    empty = tmp_path / "empty"
    empty.mkdir()
    for target in (folder, empty, tmp_path / "missing", folder / "letter.txt"):
        before = _digest(target) if target.exists() else None
        run = run_measured(["kg", "query", "verdicts-by-card", "--store", target], cwd=tmp_path)
        _assert_refused(run, codes=(2,))
        assert (_digest(target) if target.exists() else None) == before, f"{target} was changed"
    assert not (tmp_path / "missing").exists() and list(empty.iterdir()) == []
    before = _digest(store)
    run = run_measured(["kg", "query", "verdicts-by-card", "--store", store], cwd=tmp_path)
    _assert_refused(run, (store, before), codes=(0,))


def test_load_writes_a_store_only_into_a_new_or_empty_folder_or_a_store(store, tmp_path):
    folder = tmp_path / "my-documents"
    folder.mkdir()
    (folder / "letter.txt").write_text("private\n")
    before = _digest(folder)
    run = run_measured(["kg", "load", CARD, "--store", folder], cwd=tmp_path)
    _assert_refused(run, (folder, before), codes=(2,))
    assert "not a store" in run.stderr
    not_a_folder = folder / "letter.txt"
    run = run_measured(["kg", "load", CARD, "--store", not_a_folder], cwd=tmp_path)
    _assert_refused(run, (folder, before), codes=(2,))
    empty = tmp_path / "empty"
    empty.mkdir()
    assert run_measured(["kg", "load", CARD, "--store", empty], cwd=tmp_path).returncode == 0
    assert run_measured(["kg", "load", CARD, "--store", store], cwd=tmp_path).returncode == 0


def test_long_literals_in_a_table_are_clipped_in_linear_time(tmp_path):
    card = tmp_path / "long.card.json"
    data = yaml.safe_load(CARD.read_text(encoding="utf-8"))
    data["summary"] = "wide 宽 " * 150_000
    card.write_text(_json(data), encoding="utf-8")
    folder = tmp_path / "store"
    assert run_measured(["kg", "load", card, "--store", folder], cwd=tmp_path, timeout=120).returncode == 0
    text = "SELECT ?s WHERE { ?c <https://w3id.org/modelcard-spec/vocab/summary> ?s }"
    run = run_measured(["kg", "query", text, "--store", folder], cwd=tmp_path)
    _assert_refused(run, codes=(0,))
    assert "(1 row)" in run.stdout and max(len(line) for line in run.stdout.splitlines()) < 100


# --------------------------------------------------------------------------- kg push

def _drip(payload: bytes):
    """Send one byte a second, until the payload is sent or the client goes away."""
    def handler(conn):
        for byte in payload:
            conn.sendall(bytes([byte]))
            if select.select([conn], [], [], 1)[0] and not conn.recv(1):
                return
    return handler


@pytest.mark.parametrize("payload", [
    b"HTTP/1.1 204 No Content\r\nContent-Length: 0\r\n\r\n",
    None,  # an error reply whose headers come at once and whose body drips
], ids=["status-line-drips", "error-body-drips"])
def test_push_timeout_is_a_deadline_per_request(tmp_path, payload):
    if payload is None:
        def handler(conn):
            conn.sendall(b"HTTP/1.1 500 Oops\r\nContent-Length: 100000\r\n\r\n")
            _drip(b"x" * 100)(conn)
    else:
        handler = _drip(payload)
    server = _Server(handler)
    try:
        run = run_measured(["kg", "push", CARD, "--endpoint", server.url, "--timeout", "3", "--no-vocabulary"],
                           cwd=tmp_path, timeout=60)
        time.sleep(0.5)
    finally:
        server.close()
    _assert_refused(run, codes=(2,))
    assert server.connections == 1 and server.durations and server.durations[0] < 3 + 1, (server.durations, run)
    assert ("within 3 s" in run.stderr and "3 秒内" in run.stderr) or "HTTP 500" in run.stderr, run


def test_push_error_bodies_are_capped_and_redirects_are_not_followed(tmp_path):
    other = _Server(lambda conn: conn.sendall(b"HTTP/1.1 204 No Content\r\nContent-Length: 0\r\n\r\n"))
    body = b"\x1b[2J" + b"A" * 1_000_000

    def big_error(conn):
        conn.sendall(b"HTTP/1.1 500 Broken\r\nContent-Length: %d\r\n\r\n" % len(body) + body)

    def redirect(conn):
        conn.sendall(b"HTTP/1.1 307 Temporary Redirect\r\nLocation: " + other.url.encode()
                     + b"\r\nContent-Length: 0\r\n\r\n")

    servers = [_Server(big_error), _Server(redirect)]
    try:
        big = run_measured(["kg", "push", CARD, "--endpoint", servers[0].url, "--no-vocabulary"], cwd=tmp_path)
        moved = run_measured(["kg", "push", CARD, "--endpoint", servers[1].url, "--no-vocabulary"], cwd=tmp_path)
    finally:
        for s in servers + [other]:
            s.close()
    _assert_refused(big, codes=(2,))
    assert "HTTP 500" in big.stderr and len(big.stderr) < 3000
    _assert_refused(moved, codes=(2,))
    assert "HTTP 307" in moved.stderr and "redirect" in moved.stderr and "重定向" in moved.stderr
    assert other.connections == 0


def test_push_to_nothing_listening_fails_fast(tmp_path):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    run = run_measured(["kg", "push", CARD, "--endpoint", f"http://127.0.0.1:{port}/store", "--timeout", "2"],
                       cwd=tmp_path)
    _assert_refused(run, codes=(2,))
    assert "cannot reach" in run.stderr and "无法连接" in run.stderr
