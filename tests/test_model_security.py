"""Pickle-based weight files are scanned, never unpickled: crafted malicious files are reported
with the name of the global they import, and their payload never runs."""

from __future__ import annotations

import io
import os
import pickle
import subprocess
import sys
import zipfile

import pytest

from conftest import ROOT
from modelcard_spec import modelfile, picklescan


class _Payload:
    """Unpickling this runs ``func(*args)``; the payload only creates a marker file."""

    def __init__(self, func, args):
        self.func, self.args = func, args

    def __reduce__(self):
        return self.func, self.args


def _payloads(marker):
    import builtins
    import subprocess as sp
    cmd = f"open({str(marker)!r}, 'w').write('ran')"
    return {
        "os.system": (os.system, (f"touch {marker}",)),
        "builtins.eval": (builtins.eval, (cmd,)),
        "builtins.exec": (builtins.exec, (cmd,)),
        "subprocess.call": (sp.call, (["touch", str(marker)],)),
    }


def _expected_global(key):
    # pickle protocols 0-2 write Python 2 names (builtins -> __builtin__)
    return {"os.system": ("posix.system", "os.system"), "builtins.eval": ("builtins.eval", "__builtin__.eval"),
            "builtins.exec": ("builtins.exec", "__builtin__.exec"),
            "subprocess.call": ("subprocess.call", "commands.call")}.get(key, (key,))


def _torch_zip(inner: bytes) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("archive/data.pkl", inner)
        zf.writestr("archive/version", "3\n")
    return buf.getvalue()


def _legacy(inner: bytes) -> bytes:
    return (pickle.dumps(0x1950a86a20f9469cfc6c, protocol=2) + pickle.dumps(1001, protocol=2)
            + pickle.dumps({"little_endian": True}, protocol=2) + inner + pickle.dumps([], protocol=2))


def _state_dict_wrapping(payload) -> dict:
    from collections import OrderedDict
    return OrderedDict([("model.weight", [1.0, 2.0]), ("hook", payload)])


CASES = []
for key in ("os.system", "builtins.eval", "builtins.exec", "subprocess.call"):
    for protocol in (0, 2, 4):
        for container in ("pkl", "pt-zip", "pth-legacy"):
            CASES.append((key, protocol, container))


def _write_case(tmp_path, key, protocol, container):
    marker = tmp_path / "PAYLOAD_RAN"
    func, args = _payloads(marker)[key]
    inner = pickle.dumps(_state_dict_wrapping(_Payload(func, args)), protocol=protocol)
    name = {"pkl": "model.pkl", "pt-zip": "model.pt", "pth-legacy": "model.pth"}[container]
    data = {"pkl": inner, "pt-zip": _torch_zip(inner), "pth-legacy": _legacy(inner)}[container]
    path = tmp_path / name
    path.write_bytes(data)
    return path, marker


@pytest.mark.parametrize("key,protocol,container", CASES)
def test_malicious_pickles_are_critical_findings_and_never_run(tmp_path, key, protocol, container):
    path, marker = _write_case(tmp_path, key, protocol, container)
    info = modelfile.inspect_file(path)
    names = [f.name for f in info.findings]
    assert any(n in names for n in _expected_global(key)), names
    assert all(f.classification == "dangerous" for f in info.findings)
    assert "collections.OrderedDict" not in names  # allow-listed globals are not findings
    assert not marker.exists()


def test_the_crafted_payload_is_real(tmp_path):
    """Control: plain pickle.load of the same bytes does run the payload (in a child process)."""
    path, marker = _write_case(tmp_path, "os.system", 2, "pkl")
    subprocess.run([sys.executable, "-c", f"import pickle; pickle.load(open({str(path)!r}, 'rb'))"],
                   capture_output=True, timeout=60)
    assert marker.exists()


def test_cli_reports_findings_without_running_the_payload(tmp_path):
    path, marker = _write_case(tmp_path, "builtins.eval", 4, "pt-zip")
    before = path.read_bytes()
    proc = subprocess.run([sys.executable, "-m", "modelcard_spec.cli", "inspect", str(path)],
                          capture_output=True, text=True, cwd=tmp_path, timeout=60)
    assert proc.returncode == 1
    assert "critical [MCS-PA-06]" in proc.stderr and "builtins.eval" in proc.stderr and "严重" in proc.stderr
    assert "Traceback" not in proc.stderr
    assert not marker.exists() and path.read_bytes() == before


def test_validate_with_model_reports_the_unsafe_global_against_the_weight_file(tmp_path):
    import shutil
    import yaml
    path, marker = _write_case(tmp_path, "os.system", 2, "pt-zip")
    card_dir = tmp_path / "card"
    shutil.copytree(ROOT / "examples" / "cxr-classification-backbone", card_dir)
    card = yaml.safe_load((card_dir / "card.yaml").read_text())
    wf = card["model_parameters"]["weight_files"][0]
    wf.update(file_name="model.pt", format="pt", size_bytes=path.stat().st_size, sha256=modelfile.sha256_file(path))
    (card_dir / "card.yaml").write_text(yaml.safe_dump(card, allow_unicode=True, sort_keys=False))
    proc = subprocess.run([sys.executable, "-m", "modelcard_spec.cli", "validate", str(card_dir / "card.yaml"),
                           "--model", str(path), "--format", "json"], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 1, proc.stderr
    import json
    issues = json.loads(proc.stdout)["results"][0]["issues"]
    pickle_issues = [i for i in issues if i["rule"] == "model.pickle-global"]
    assert pickle_issues and pickle_issues[0]["requirement"] == "MCS-PA-06"
    assert pickle_issues[0]["path"] == "/model_parameters/weight_files/0"
    assert any("posix.system" in i["message"] or "os.system" in i["message"] for i in pickle_issues)
    assert not marker.exists()


def test_handcrafted_opcodes_inst_stack_global_and_extension_codes():
    # protocol 0 INST: "subprocess Popen" called with a mark-delimited argument tuple
    inst = b"(S'touch /tmp/x'\nisubprocess\nPopen\n."
    assert [f.name for f in picklescan.scan_bytes(inst).findings] == ["subprocess.Popen"]
    # protocol 4 STACK_GLOBAL
    sg = b"\x80\x04\x8c\x02os\x8c\x06system\x93\x8c\x04true\x85R."
    res = picklescan.scan_bytes(sg)
    assert [(f.name, f.classification) for f in res.findings] == [("os.system", "dangerous")]
    # EXT1: a global from the copyreg registry cannot be checked, so it is a finding
    ext = b"\x80\x02\x82\x01)R."
    assert picklescan.scan_bytes(ext).findings[0].name == "copyreg.extension.1"


def test_unknown_but_harmless_globals_are_not_allow_listed():
    data = pickle.dumps({"args": __import__("argparse").Namespace(lr=0.1)}, protocol=2)
    res = picklescan.scan_bytes(data)
    assert [(f.name, f.classification) for f in res.findings] == [("argparse.Namespace", "not-allow-listed")]


@pytest.mark.parametrize("data", [b"", b"\x80\x02", b"\x80\x02]q\x00(K\x01", b"\x80\x02h\x05.", b"\x80\x02t."])
def test_malformed_pickles_raise_a_clear_error(data):
    with pytest.raises(picklescan.PickleError):
        picklescan.scan_bytes(data)
