"""Hostile input: every bad input gives exit 1 or 2 with a located message, no traceback, no
hang, no network use, bounded memory, and leaves the file byte-identical.

Inputs are made in a temporary folder by the tests (a 100 MB file is not committed)."""

from __future__ import annotations

import hashlib
import json
import os
import socket
import subprocess
import sys

import pytest

from conftest import EXAMPLES, run_measured
from modelcard_spec.spec.resources import schema_version

MINIMAL = (f"schema_version: {schema_version()}\nidentifier: cn.example.hostile\nname: Hostile\nversion: 1.0.0\n"
           "provider: {name: Example, email: a@example.cn}\nprovider_kind: manufacturer\n"
           f"conformity: {{standard: YY/T 1833.5-2024, catalogue_version: {schema_version()}, claim_all: false}}\n")

PAYLOAD = "!!python/object/apply:os.system ['touch PWNED']"


def billion_laughs() -> str:
    lines = ['a0: &a0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    lines += [f"a{i}: &a{i} [{', '.join([f'*a{i-1}'] * 10)}]" for i in range(1, 12)]
    return "\n".join(lines) + "\n"


CASES = {
    "empty.yaml": b"",
    "binary.yaml": bytes(range(256)) * 4,
    "invalid-utf8.yaml": MINIMAL.encode() + b"summary: \xff\xfe broken\n",
    "bom.card.yaml": b"\xef\xbb\xbf" + MINIMAL.replace("version: 1.0.0\n", "").encode(),
    "billion-laughs.yaml": billion_laughs().encode(),
    "deep-nesting.yaml": ("x: " + "[" * 10_000 + "]" * 10_000 + "\n").encode(),
    "deep-nesting.json": ("{\"x\": " + "[" * 10_000 + "]" * 10_000 + "}").encode(),
    "duplicate-keys.yaml": (MINIMAL + "name: Again\n").encode(),
    "python-object-tag.yaml": (MINIMAL + f"summary: {PAYLOAD}\n").encode(),
    "nan.yaml": (MINIMAL + "model_parameters: {total_parameters: .nan, precision: fp32}\n").encode(),
    "nan.json": b'{"schema_version": "0.1.0", "x": NaN}',
    "huge-int.yaml": (MINIMAL + "model_parameters: {total_parameters: " + "9" * 400 + ", precision: fp32}\n").encode(),
    "list-root.yaml": b"- schema_version: 0.1.0\n- name: x\n",
    "scalar-root.yaml": b"just a string\n",
    "evidence-dotdot.card.yaml": (MINIMAL + "evidence:\n  - {id: ev, title: T, kind: report, path: ../../etc/passwd}\n").encode(),
    "evidence-absolute.card.yaml": (MINIMAL + "evidence:\n  - {id: ev, title: T, kind: report, path: /etc/passwd}\n").encode(),
    "evidence-url.card.yaml": (MINIMAL + "evidence:\n  - {id: ev, title: T, kind: report, path: \"https://example.org/r.pdf\", url: \"http://10.255.255.1/x\"}\n").encode(),
}


def run_cli(path, cwd):
    return subprocess.run([sys.executable, "-m", "modelcard_spec.cli", "validate", str(path), "--format", "json"],
                          cwd=cwd, capture_output=True, text=True, timeout=60)


@pytest.mark.parametrize("name", sorted(CASES))
def test_hostile_input(tmp_path, name):
    path = tmp_path / name
    path.write_bytes(CASES[name])
    before = hashlib.sha256(path.read_bytes()).hexdigest()
    proc = run_cli(path, tmp_path)
    assert proc.returncode in (1, 2), (proc.returncode, proc.stdout, proc.stderr)
    assert "Traceback" not in proc.stdout + proc.stderr
    data = json.loads(proc.stdout)
    issues = data["results"][0]["issues"]
    assert issues and all(i["message"] and i["message_zh"] for i in issues)
    assert all(i["path"] or i.get("line") for i in issues if i["severity"] == "error" and i["rule"] != "load.empty") \
        or issues[0]["rule"] in ("load.empty", "load.too-large")
    assert hashlib.sha256(path.read_bytes()).hexdigest() == before
    assert not (tmp_path / "PWNED").exists()


def test_hundred_megabyte_file_is_refused_without_reading(tmp_path):
    path = tmp_path / "huge.yaml"
    with path.open("wb") as fh:
        fh.write(b"a: ")
        fh.seek(100 * 1024 * 1024)
        fh.write(b"b\n")
    proc = run_cli(path, tmp_path)
    assert proc.returncode == 2 and json.loads(proc.stdout)["results"][0]["issues"][0]["rule"] == "load.too-large"


def test_symlink_card_outside_folder_and_evidence_symlink(tmp_path):
    folder = tmp_path / "card"
    folder.mkdir()
    (tmp_path / "secret.txt").write_text("secret\n")
    (folder / "evidence.txt").symlink_to(tmp_path / "secret.txt")
    card = folder / "card.yaml"
    card.write_text(MINIMAL + "evidence:\n  - {id: ev, title: T, kind: report, path: evidence.txt}\n")
    proc = run_cli(card, tmp_path)
    assert proc.returncode == 1
    issue = json.loads(proc.stdout)["results"][0]["issues"][0]
    assert issue["rule"] == "evidence.path" and issue["requirement"] == "MCS-LC-05"


def test_every_hostile_card_stays_within_the_per_process_budget(tmp_path):
    """CPU time and peak memory of each validator process alone (os.wait4), not of the session."""
    for name, raw in CASES.items():
        (tmp_path / name).write_bytes(raw)
        run = run_measured(["validate", tmp_path / name, "--format", "json"], cwd=tmp_path)
        assert run.returncode in (1, 2) and run.within_budget(), (name, run)


def test_no_network_is_used_for_urls_in_cards(monkeypatch):
    """Cards full of URLs validate without opening a single socket."""
    from modelcard_spec import validate

    def refuse(*args, **kwargs):
        raise AssertionError("the validator tried to use the network")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    report = validate(EXAMPLES / "ct-foundation-encoder" / "card.yaml")
    assert report.valid


# --------------------------------------------------------------------------- hostile cards, every command


def _deep_aliases() -> str:
    """Under 3 KB: each anchor nests 60 levels (under the limit), but each refers to the one before."""
    lines = ["a0: &a0 " + "[" * 60 + "x" + "]" * 60]
    lines += [f"a{i}: &a{i} " + "[" * 60 + f"*a{i - 1}" + "]" * 60 for i in range(1, 20)]
    return MINIMAL + "anchors:\n" + "".join(f"  {line}\n" for line in lines) + "extensions:\n  - {name: deep, value: *a19}\n"


def _json_card(**extra) -> dict:
    import yaml

    return {**yaml.safe_load(MINIMAL), **extra}


def _card_cases() -> dict[str, bytes]:
    """Cards that once crashed or exhausted a command (issue 13), built when a test needs them."""
    from modelcard_spec.check.loading import MAX_NODES

    website = MINIMAL.replace("provider: {name: Example, email: a@example.cn}",
                              "provider: {name: Example, email: a@example.cn, website: \"%s\"}")
    return {
        "conformity-requirements-float.yaml": MINIMAL.replace("claim_all: false}", "claim_all: false, requirements: 1.5}").encode(),
        "alias-deep.yaml": _deep_aliases().encode(),
        "alias-big-string.yaml": (MINIMAL + "summary: &s " + "x" * 1_000_000 + "\nlicense: {name: MIT, use_restrictions: ["
                                  + ", ".join(["*s"] * 5000) + "]}\n").encode(),
        "surrogate-key.json": json.dumps(_json_card()).replace('"name"', '"\\ud800"', 1).encode(),
        "surrogate-value.json": json.dumps(_json_card(summary=["ok", "\udc00"]), ensure_ascii=True).encode(),
        "keys-900k.yaml": (MINIMAL + "".join(f"k{i:x}: 0\n" for i in range(900_000))).encode(),
        "items-300k.yaml": (MINIMAL + "change_history: [" + ",".join(["1"] * 300_000) + "]\n").encode(),
        "items-at-limit.yaml": (MINIMAL + "change_history: [" + ",".join(["1"] * (MAX_NODES - 100)) + "]\n").encode(),
        "keys-at-limit.json": json.dumps(_json_card(**{f"k{i:x}": 0 for i in range(MAX_NODES - 100)})).encode(),
        "schema-version-unknown.yaml": MINIMAL.replace(f"schema_version: {schema_version()}", "schema_version: 9.9.9").encode(),
        "iri-plane-14.yaml": (website % "https://example.org/\U000e0001").encode(),
        "iri-scheme-only.yaml": (website % "x:").encode(),
    }


# What `validate` says of each: exit code and a rule among its diagnostics.
CARD_EXPECTED = {
    "conformity-requirements-float.yaml": (1, "schema.type"),
    "alias-deep.yaml": (2, "load.too-deep"),
    "alias-big-string.yaml": (2, "load.alias-expansion"),
    "surrogate-key.json": (2, "load.encoding"),
    "surrogate-value.json": (2, "load.encoding"),
    "keys-900k.yaml": (2, "load.too-large"),
    "items-300k.yaml": (2, "load.too-large"),
    "items-at-limit.yaml": (1, "internal.issue-limit"),
    "keys-at-limit.json": (1, "schema.additionalProperties"),
    "schema-version-unknown.yaml": (1, "schema.version"),
    "iri-plane-14.yaml": (1, "schema.format"),
    "iri-scheme-only.yaml": (1, "schema.format"),
}
CARD_CASES = sorted(CARD_EXPECTED)


def _bilingual(text: str) -> bool:
    return any("a" <= c.lower() <= "z" for c in text) and any("\u4e00" <= c <= "\u9fff" for c in text)


@pytest.mark.parametrize("name", CARD_CASES)
def test_hostile_card_through_every_command(tmp_path, name):
    """validate (JSON, text), report, render, export and kg load each finish within the per-process
    budget, with no traceback and the card unchanged; validate and report exit 1 or 2 with located,
    bilingual diagnostics; the other commands exit 0 or, for an unreadable card, 2 with a bilingual
    message."""
    raw = _card_cases()[name]
    card = tmp_path / name
    card.write_bytes(raw)
    before = hashlib.sha256(raw).hexdigest()
    runs = {
        "validate-json": ["validate", card, "--format", "json"],
        "validate-text": ["validate", card, "--lang", "zh"],
        "report": ["report", card, "--format", "json"],
        "render": ["render", card],
        "export": ["export", card, "--to", "nt"],
        "kg-load": ["kg", "load", card, "--store", tmp_path / "store"],
    }
    results = {}
    for what, args in runs.items():
        run = run_measured(args, cwd=tmp_path)
        results[what] = run
        assert "Traceback" not in run.stdout + run.stderr, (what, run)
        assert run.within_budget(), (what, run)
        assert hashlib.sha256(card.read_bytes()).hexdigest() == before, what
    validated = results["validate-json"]
    assert validated.returncode in (1, 2), validated
    issues = json.loads(validated.stdout)["results"][0]["issues"]
    assert issues and all(i["message"] and i["message_zh"] for i in issues)
    assert all(i["path"] or i.get("line") for i in issues if i["severity"] == "error"
               and i["rule"] not in ("load.too-large", "internal.check-failed")), issues
    assert results["validate-text"].returncode == validated.returncode
    assert _bilingual(results["validate-text"].stdout)
    assert results["report"].returncode == validated.returncode
    reported = json.loads(results["report"].stdout)
    assert all(i["message_zh"] for r in reported["requirements"] for i in r["issues"])
    unreadable = validated.returncode == 2
    for what in ("render", "export", "kg-load"):
        run = results[what]
        assert run.returncode in ((2,) if unreadable else (0, 1, 2)), (what, run)
        if run.returncode:
            assert _bilingual(run.stderr), (what, run)


def test_the_cards_that_used_to_crash_or_exhaust_now_get_the_right_diagnostics(tmp_path):
    from modelcard_spec.check.loading import MAX_NODES
    from modelcard_spec.check.pipeline import MAX_ISSUES

    cases = _card_cases()
    assert sorted(cases) == CARD_CASES
    for name, (code, rule) in CARD_EXPECTED.items():
        (tmp_path / name).write_bytes(cases[name])
        proc = run_cli(tmp_path / name, tmp_path)
        assert proc.returncode == code, (name, proc.stdout[-500:], proc.stderr[-500:])
        issues = json.loads(proc.stdout)["results"][0]["issues"]
        assert rule in {i["rule"] for i in issues}, (name, issues[:3])
        assert len(issues) <= MAX_ISSUES + 1
    assert f"{MAX_NODES:,}" in json.loads(run_cli(tmp_path / "items-300k.yaml", tmp_path).stdout)["results"][0]["issues"][0]["message"]


def test_an_iri_outside_rfc_3987_is_a_literal_in_every_export_and_in_the_store(tmp_path):
    """U+E0001 is not an IRI character: the card is invalid, Turtle export works, and the store holds
    the website as a string, not as a bad IRI."""
    pyoxigraph = pytest.importorskip("pyoxigraph")
    card = tmp_path / "card.yaml"
    card.write_bytes(_card_cases()["iri-plane-14.yaml"])
    bad = "https://example.org/\U000e0001"
    for fmt in ("nt", "ttl"):
        run = run_measured(["export", card, "--to", fmt], cwd=tmp_path)
        assert run.returncode == 0 and "Traceback" not in run.stderr, run
        parsed = list(pyoxigraph.parse(run.stdout.encode(), pyoxigraph.RdfFormat.N_TRIPLES if fmt == "nt" else pyoxigraph.RdfFormat.TURTLE))
        objects = [t.object for t in parsed if t.predicate.value.endswith("/vocab/website")]
        assert objects and all(isinstance(o, pyoxigraph.Literal) and o.value == bad for o in objects)
    run = run_measured(["kg", "load", card, "--store", tmp_path / "store"], cwd=tmp_path)
    assert run.returncode == 0, run
    store = pyoxigraph.Store.read_only(str(tmp_path / "store"))
    websites = [q.object for q in store.quads_for_pattern(None, pyoxigraph.NamedNode("https://w3id.org/modelcard-spec/vocab/website"), None)]
    assert websites and all(isinstance(o, pyoxigraph.Literal) and o.value == bad for o in websites)


# --------------------------------------------------------------------------- folders and glob patterns

INVALID_CARD = EXAMPLES / "invalid" / "parameter-count-as-text.card.yaml"


def _looping_tree(root):
    """S/a/card.yaml beside two links back up the tree: glob.glob(recursive=True) follows them and
    finds the card 2**40 times."""
    (root / "S" / "a").mkdir(parents=True)
    (root / "S" / "a" / "card.yaml").write_bytes(INVALID_CARD.read_bytes())
    (root / "S" / "a" / "u1").symlink_to("..")
    (root / "S" / "a" / "u2").symlink_to("..")


@pytest.mark.parametrize("argv", [["validate", "S/**/card.yaml", "--format", "json"],
                                  ["validate", "S", "--format", "json"],
                                  ["validate", "S/**", "S/*/card.yaml", "S/a/u1/a/card.yaml", "--format", "json"],
                                  ["kg", "load", "S/**/card.yaml", "--store", "store"]])
def test_a_search_never_enters_links_to_folders_and_finds_each_card_once(tmp_path, argv):
    _looping_tree(tmp_path)
    run = run_measured(argv, cwd=tmp_path, timeout=30)
    assert run.within_budget() and "Traceback" not in run.stderr, run
    if argv[0] == "validate":
        assert run.returncode == 1, run
        assert [r["card"] for r in json.loads(run.stdout)["results"]] == ["S/a/card.yaml"], run
    else:
        assert run.returncode == 0 and "1" in run.stderr + run.stdout, run


def test_what_a_search_finds_that_is_not_a_regular_file_is_reported(tmp_path):
    """A FIFO or a link to a device named like a card is an unreadable card (exit 2), not passed over."""
    (tmp_path / "S" / "a").mkdir(parents=True)
    (tmp_path / "S" / "a" / "card.yaml").write_bytes(INVALID_CARD.read_bytes())
    os.mkfifo(tmp_path / "S" / "a" / "pipe.card.yaml")
    (tmp_path / "S" / "card.yaml").symlink_to("/dev/zero")
    (tmp_path / "S" / "gone.card.yaml").symlink_to(tmp_path / "nowhere")
    (tmp_path / "S" / "folder.card.yaml").mkdir()
    for argv in (["S"], ["S/**/*.yaml"]):
        run = run_measured(["validate", *argv, "--format", "json"], cwd=tmp_path, timeout=30)
        assert run.returncode == 2 and run.within_budget(), run
        results = {r["card"]: r["issues"][0] for r in json.loads(run.stdout)["results"]}
        assert sorted(results) == ["S/a/card.yaml", "S/a/pipe.card.yaml", "S/card.yaml", "S/gone.card.yaml"], results
        for name in ("S/a/pipe.card.yaml", "S/card.yaml", "S/gone.card.yaml"):
            issue = results[name]
            assert issue["rule"] == "load.io" and issue["message"] and issue["message_zh"], (name, issue)
        assert results["S/a/pipe.card.yaml"]["message"] == "not a regular file"
        # links that lead out of the folder searched are not followed (the next test)
        assert results["S/card.yaml"]["message"].startswith("a symbolic link, found by searching S, to a file outside")


@pytest.mark.parametrize("argv", [["S"], ["S/**/*.card.yaml"], ["S/*.card.yaml"]])
def test_a_search_does_not_read_a_link_that_leads_out_of_the_folder_searched(tmp_path, argv):
    """A folder of cards received from someone else can hold a link to any file of the reviewer's
    machine: validating it read that file and quoted its values in the report. A link found by a
    search is read only if it leads to a file inside the folder searched; named, it is read."""
    (tmp_path / "S").mkdir()
    secret = tmp_path / "private.yaml"
    secret.write_text("schema_version: 'TOP-SECRET-VALUE'\nname: [1]\n", encoding="utf-8")
    (tmp_path / "S" / "evil.card.yaml").symlink_to(secret)
    (tmp_path / "S" / "own.card.yaml").write_bytes(INVALID_CARD.read_bytes())
    (tmp_path / "S" / "alias.card.yaml").symlink_to("own.card.yaml")  # inside: the same card, validated once
    run = run_measured(["validate", *argv, "--format", "json", "--lang", "zh"], cwd=tmp_path, timeout=60)
    assert run.returncode == 2 and "TOP-SECRET" not in run.stdout + run.stderr, run
    results = {r["card"]: r for r in json.loads(run.stdout)["results"]}
    assert sorted(results) == ["S/alias.card.yaml", "S/evil.card.yaml"], results  # own and alias: one file
    issue = results["S/evil.card.yaml"]["issues"][0]
    assert issue["rule"] == "load.io" and results["S/evil.card.yaml"]["sha256"] is None
    assert "在 S 中查找到的符号链接" in issue["message_zh"]
    named = run_measured(["validate", "S/evil.card.yaml", "--format", "json"], cwd=tmp_path, timeout=60)
    assert named.returncode == 1 and "TOP-SECRET" in named.stdout  # named, it is read: the user chose it


def test_a_file_found_twice_is_validated_once(tmp_path):
    from modelcard_spec.check.inputs import expand_inputs

    (tmp_path / "a").mkdir()
    card = tmp_path / "a" / "card.yaml"
    card.write_bytes(INVALID_CARD.read_bytes())
    os.link(card, tmp_path / "a" / "hard.card.yaml")
    (tmp_path / "b.card.yaml").symlink_to(card)
    files, problems = expand_inputs([str(tmp_path), str(card), str(tmp_path / "*" / "*.yaml"), str(tmp_path / "b.card.yaml")])
    assert not problems and files == [card]


def test_searches_follow_glob_syntax_and_hidden_name_rules(tmp_path):
    import glob

    from modelcard_spec.check.inputs import expand_inputs

    for rel in ("card.yaml", "x/card.yaml", "x/y/z.card.json", ".hidden/card.yaml", "x/.h/card.yaml", "x/[b]/card.yaml",
                "x/other.txt"):
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text("x: 1\n")
    patterns = ["**/card.yaml", "**", "*/card.yaml", "x/**", ".*/card.yaml", "x/[[]b]/*", "x/*/", "**/*.card.json",
                "x/?/*.json", "x/y/**/"]
    cwd = os.getcwd()
    os.chdir(tmp_path)
    try:
        for pattern in patterns:
            expected = sorted(p for p in glob.glob(pattern, recursive=True) if not os.path.isdir(p))
            assert sorted(map(str, expand_inputs([pattern])[0])) == expected, pattern
    finally:
        os.chdir(cwd)
    folder = sorted(str(p.relative_to(tmp_path)) for p in expand_inputs([str(tmp_path)])[0])
    assert folder == [".hidden/card.yaml", "card.yaml", "x/.h/card.yaml", "x/[b]/card.yaml", "x/card.yaml", "x/y/z.card.json"]


@pytest.mark.parametrize("bound", ["MAX_SEARCHED", "MAX_FILES"])
def test_a_search_past_its_bounds_is_an_error_in_both_languages(tmp_path, monkeypatch, bound):
    from modelcard_spec.check import inputs as validator

    for i in range(30):
        (tmp_path / f"d{i}").mkdir()
        (tmp_path / f"d{i}" / "card.yaml").write_text("x: 1\n")
    monkeypatch.setattr(validator, bound, 20)
    files, problems = validator.expand_inputs([str(tmp_path / "d0" / "card.yaml"), str(tmp_path / "**" / "card.yaml")])
    assert files == [] and len(problems) == 1, problems
    issue = problems[0].issues[0]
    assert problems[0].card.endswith("card.yaml") and issue.rule == "load.too-many" and not problems[0].readable
    assert "20" in issue.message and "20" in issue.message_zh and _bilingual(issue.message + issue.message_zh)
