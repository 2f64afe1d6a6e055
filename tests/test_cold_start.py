"""``validate`` of one card starts fast (issue 19): it loads only what validating needs, and compiles
the full IRI pattern only for a non-ASCII IRI; the ASCII pattern accepts exactly what the full one
accepts among ASCII strings."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from conftest import ROOT, VALID_CARDS

_PIECES = ("http", "urn", "x", "A9", "+", ".", "-", ":", "//", "/", "@", "[", "]", "::1", "[::1]", "[v1.x]",
           "1.2.3.4", ":80", "%41", "%4", "%", "?", "#", "~", "_", "!$&'()*+,;=", " ", "<", ">", '"', "{", "}",
           "|", "\\", "^", "`", "\t", "\x7f", "\x00")


@settings(max_examples=1000, deadline=None)
@given(st.lists(st.sampled_from(_PIECES), max_size=12).map("".join))
@example("http://[::1]:8080/a?b#c")
@example("urn:isbn:0451450523")
@example("mailto:")
@example("http://user@host/%7e?q=%20")
@example("http://[fe80::1%25eth0]/")
def test_the_ascii_iri_pattern_is_the_full_one_on_ascii(text):
    from modelcard_spec.spec.iris import _iri

    full, ascii_only = _iri(False).fullmatch(text), _iri(True).fullmatch(text)
    assert (full is None) == (ascii_only is None)
    if full:
        assert full.group("host") == ascii_only.group("host")


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.sampled_from("ab*?[]!/.\\名-"), max_size=8))
def test_inputs_tells_a_pattern_as_glob_does(text):
    import glob

    from modelcard_spec.check.inputs import _has_magic

    assert _has_magic(text) == glob.has_magic(text)


def test_a_non_ascii_iri_is_checked_by_the_full_pattern():
    from modelcard_spec.spec.iris import is_absolute_iri

    assert is_absolute_iri("https://例え.jp/パス?q=\ue000")
    assert not is_absolute_iri("https://例え.jp/パス#\ue000")  # iprivate only in a query
    assert not is_absolute_iri("https://example.org/\ufff0")  # not a ucschar


_PROBE = textwrap.dedent("""
    import contextlib, io, json, re, sys
    try:
        import re._compiler as compiler  # Python 3.11+
    except ImportError:
        import sre_compile as compiler
    patterns = []
    compile_pattern = compiler.compile
    compiler.compile = lambda p, flags=0: patterns.append(p) or compile_pattern(p, flags)
    import argparse
    add_argument = argparse._ActionsContainer.add_argument
    arguments = []
    argparse._ActionsContainer.add_argument = lambda self, *a, **k: arguments.append(a) or add_argument(self, *a, **k)
    from modelcard_spec import cli
    with contextlib.redirect_stdout(io.StringIO()):
        code = cli.main(["validate", sys.argv[1]])
    from modelcard_spec.spec.iris import _iri
    from modelcard_spec.spec.textsafe import _full
    from modelcard_spec.spec.resources import described_schema_index
    print(json.dumps({"code": code, "modules": sorted(sys.modules), "compiled": _iri.cache_info().currsize,
                      "full_text_patterns": _full.cache_info().currsize,
                      "descriptions": described_schema_index.cache_info().currsize,
                      "patterns": len(patterns), "arguments": len(arguments)}))
""")


def test_validate_of_one_card_loads_only_what_it_needs():
    """Before: the importers (for the choices of ``import``), logging, difflib, importlib.resources
    (with zipfile and tempfile) and dataclasses were imported, and the full IRI pattern compiled at
    import."""
    card = ROOT / "examples" / "wdbc-cytology-mlp" / "card.yaml"
    assert card in VALID_CARDS
    done = subprocess.run([sys.executable, "-c", _PROBE, str(card)], capture_output=True, text=True, timeout=120,
                          env={**os.environ, "PYTHONPATH": str(ROOT / "src")}, cwd=ROOT)
    assert done.returncode == 0, done.stderr
    probe = json.loads(done.stdout)
    assert probe["code"] == 0
    loaded = set(probe["modules"])
    for module in ("modelcard_spec.importers", "logging", "difflib", "importlib.resources", "zipfile", "tempfile",
                   "linkml", "linkml_runtime", "modelcard_spec.graph", "modelcard_spec.check.diff",
                   # the records of the validation path are spec.records, not dataclasses (which loads
                   # inspect, ast, dis and tokenize, and compiles each class's methods as it is defined)
                   "dataclasses", "inspect",
                   # inputs tells a pattern from a path itself (glob.has_magic, 1 ms of import)
                   "glob",
                   # the parsers' formatter finds the terminal's width itself; copy only to raise a
                   # remembered evidence error again
                   "shutil", "copy"):
        assert module not in loaded, module
    assert probe["compiled"] == 1  # the card's IRIs are ASCII: the ASCII pattern only
    # what the command prints is ASCII: the escaping patterns over all of Unicode (about 1 ms each to
    # compile) are not compiled (before: all three, at import)
    assert probe["full_text_patterns"] == 0
    # the schema's descriptions (schema_descriptions.json, most of the time it took to parse the index
    # when they were in it) are not read
    assert probe["descriptions"] == 0
    # Before: 397 regular expressions were compiled, 345 of them one per DICOM body part to read its
    # code meaning; now 52 (the tool's own, and those of the libraries it imports).
    assert probe["patterns"] < 80, probe["patterns"]
    # Before: the arguments of every command were added (129 calls), then validate's, --version and each
    # command's -h (25); now only validate's parser is built (10).
    assert probe["arguments"] < 15, probe["arguments"]


_AT_EXIT = textwrap.dedent("""
    import atexit, gc, sys
    # registered first, so run last of the exit handlers: after the command, before the interpreter's
    # own collections as it exits
    atexit.register(lambda: print(gc.get_freeze_count(), file=sys.stderr))
    sys.argv = ["modelcard-spec", "validate", sys.argv[1]]
    from modelcard_spec.cli import run
    run()
""")


def test_the_command_leaves_its_objects_out_of_the_collections_at_exit():
    """Before: the interpreter's collections at exit walked every object the command left (the
    generated artifacts among them), about a fifth of one card's validation; now ``run`` freezes them,
    and exits with ``main``'s code."""
    card = ROOT / "examples" / "wdbc-cytology-mlp" / "card.yaml"
    done = subprocess.run([sys.executable, "-c", _AT_EXIT, str(card)], capture_output=True, text=True, timeout=120,
                          env={**os.environ, "PYTHONPATH": str(ROOT / "src")}, cwd=ROOT)
    assert done.returncode == 0, done.stderr
    assert "1 passed" in done.stdout
    assert int(done.stderr.split()[-1]) > 10_000  # the schema index alone is more than that
    bad = sorted((ROOT / "examples" / "invalid").glob("*.yaml"))[0]
    done = subprocess.run([sys.executable, "-c", _AT_EXIT, str(bad)], capture_output=True, text=True, timeout=120,
                          env={**os.environ, "PYTHONPATH": str(ROOT / "src")}, cwd=ROOT)
    assert done.returncode == 1, done.stderr


def test_the_installed_command_and_python_m_go_through_run():
    tomllib = pytest.importorskip("tomllib" if sys.version_info >= (3, 11) else "tomli")
    scripts = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["scripts"]
    assert scripts == {"modelcard-spec": "modelcard_spec.cli:run"}
    source = (ROOT / "src" / "modelcard_spec" / "cli.py").read_text(encoding="utf-8")
    assert source.rstrip().endswith('if __name__ == "__main__":  # pragma: no cover\n    run()')


def test_main_itself_freezes_nothing(capsys):
    """Only ``run`` freezes, before the process exits: a program (or a test) calling ``main`` many
    times in one process keeps its garbage collectable."""
    import gc

    from modelcard_spec.cli import main

    frozen = gc.get_freeze_count()
    assert main(["validate", str(ROOT / "examples" / "wdbc-cytology-mlp" / "card.yaml")]) == 0
    assert gc.get_freeze_count() == frozen


def test_the_card_schema_is_compiled_once_for_an_import_and_a_validation():
    """Before: ``error_places`` (the importers) and the validation asked for the compiled validator
    under two cache keys, ``()`` and ``(None,)``, and it was compiled twice (about 11 ms)."""
    import yaml

    from modelcard_spec.check import structural

    data = yaml.safe_load((ROOT / "examples" / "wdbc-cytology-mlp" / "card.yaml").read_text(encoding="utf-8"))
    structural._fast_validator.cache_clear()
    assert structural.error_places(data) == []
    assert structural.check(data) == []
    assert structural._fast_validator.cache_info().currsize == 1
