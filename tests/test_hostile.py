"""Hostile input: every bad input gives exit 1 or 2 with a located message, no traceback, no
hang, no network use, bounded memory, and leaves the file byte-identical.

Inputs are made in a temporary folder by the tests (a 100 MB file is not committed)."""

from __future__ import annotations

import hashlib
import json
import socket
import subprocess
import sys

import pytest

from conftest import EXAMPLES, run_measured

MINIMAL = ("schema_version: 0.1.0\nidentifier: cn.example.hostile\nname: Hostile\nversion: 1.0.0\n"
           "provider: {name: Example, email: a@example.cn}\nprovider_kind: manufacturer\n"
           "conformity: {standard: YY/T 1833.5-2024, catalogue_version: 0.1.0, claim_all: false}\n")

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
