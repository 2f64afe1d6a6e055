"""Every command's output on the shipped examples stays byte-identical to tests/golden/ (see
tools/golden.py, which records them): the package's restructuring must not change what it prints,
and a deliberate change is committed with the regenerated files."""

from __future__ import annotations

import difflib
import importlib.util
import sys

import pytest

from conftest import ROOT

_spec = importlib.util.spec_from_file_location("golden", ROOT / "tools" / "golden.py")
golden = importlib.util.module_from_spec(_spec)
sys.modules["golden"] = golden
_spec.loader.exec_module(golden)


def _diff(want: bytes, got: bytes) -> str:
    lines = difflib.unified_diff(want.decode("utf-8", "replace").splitlines(), got.decode("utf-8", "replace").splitlines(),
                                 "recorded", "now", lineterm="", n=1)
    return "\n".join(list(lines)[:40])


@pytest.mark.parametrize("name", sorted(golden.CASES))
def test_output_is_as_recorded(name):
    code, out, err = golden.run(golden.CASES[name])
    want_code, want_out, want_err = golden.expected(name)
    assert code == want_code, f"exit code {code}, recorded {want_code}"
    assert out == want_out, "standard output differs (python tools/golden.py rewrites the record):\n" + _diff(want_out, out)
    assert err == want_err, "standard error differs:\n" + _diff(want_err, err)


def test_every_recorded_case_is_run_and_every_case_recorded():
    import json

    index = json.loads((golden.GOLDEN / "index.json").read_text(encoding="utf-8"))
    assert set(index) == set(golden.CASES)
    assert {p.stem for p in golden.GOLDEN.glob("*.out")} == set(golden.CASES)
    assert all(index[name]["args"] == case for name, case in golden.CASES.items())


def test_a_changed_output_is_caught(monkeypatch):
    """The comparison can fail: an output that gains one character differs from the record."""
    from modelcard_spec import cli

    name = "rules-md-en"
    real = cli.main

    def main(argv):
        code = real(argv)
        sys.stdout.write("x")
        return code

    monkeypatch.setattr(cli, "main", main)
    assert golden.run(golden.CASES[name])[1] != golden.expected(name)[1]
