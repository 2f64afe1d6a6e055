"""A short, deterministic slice of the card fuzzer (tools/fuzz_cards.py): mutated cards through every
command path in process — validate (text, json, sarif, markdown), report (md, html, json), render (md,
html), export (nt, ttl, jsonld, cyclonedx), kg load and query — with no crash, no invalid or unsafe
output and no slow case. The long runs and their figures are in docs/benchmarks.md."""

from __future__ import annotations

import sys

import pytest

from conftest import ROOT

sys.path.insert(0, str(ROOT / "tools"))
pytest.importorskip("pyoxigraph")

import fuzz_cards  # noqa: E402

CASES = 150


def _structure_takes_lone_surrogates() -> bool:
    """Whether the structural check survives a lone surrogate (the structural part of issue 13). Until
    it does, the slice leaves out the cases that put one into a card's data after loading."""
    from modelcard_spec.check import structural

    try:
        structural.check({"name\ud800": "\udfff"})
    except UnicodeError:
        return False
    return True


def test_a_deterministic_slice_of_the_card_fuzzer_finds_nothing(tmp_path):
    fuzzer = fuzz_cards.Fuzzer(seed=13, workdir=tmp_path, slow=5.0, check_every=3, batch=25,
                               data_level=0.1 if _structure_takes_lone_surrogates() else 0.0)
    fuzzer.run(0, CASES, progress_every=0)
    report = fuzzer.report()
    assert report["cases"] == CASES and report["commands"] >= 6 * CASES
    assert report["cards_valid"] >= CASES // 10, report  # the slice reaches what only valid cards reach
    problems = [f"{f['kind']} [{f['command']}] {f['detail']} at {f['site']} (case {f['first_case']['index']})"
                for f in report["findings"]]
    assert not problems, "\n".join(problems)
    assert not report["slow_cases"], report["slow_cases"]


def test_the_fuzzer_sees_a_crash_an_unsafe_output_and_a_forged_heading(tmp_path, monkeypatch):
    """The fuzzer's own checks can fail: a writer that raises, one that prints a raw escape and a
    Markdown output whose card text becomes a heading are each found."""
    from modelcard_spec.output import card_view as cardview
    from modelcard_spec.output import validation as render
    from modelcard_spec import cli

    fuzzer = fuzz_cards.Fuzzer(seed=13, workdir=tmp_path, check_every=1, batch=5, data_level=0.0)
    monkeypatch.setattr(cardview, "html_page", lambda card: 1 / 0)
    monkeypatch.setattr(cardview, "markdown", lambda card: f"# x\n\n## {card.get('name')}\n\n\x1b[2J\n")
    monkeypatch.setattr(cli, "_out", lambda stream, text: stream.write(text))  # a writer that escapes nothing
    original = render._counts_line  # the last line of validate's text report, streamed or whole
    monkeypatch.setattr(render, "_counts_line", lambda *args: original(*args) + "\x9b")
    fuzzer.run(0, 5, progress_every=0)
    found = {(f["kind"], f["command"].split(" ")[0], f["detail"].split(":")[0]) for f in fuzzer.report()["findings"]}
    assert ("crash", "render", "ZeroDivisionError") in found
    assert ("invalid-output", "render", "unescaped control/reordering character on stdout") in found
    assert ("invalid-output", "validate", "unescaped control/reordering character on stdout") in found
    assert any(kind == "invalid-output" and "render-md output" in detail for kind, _, detail in found)


def test_the_fuzzer_reports_a_check_the_validator_turned_into_an_internal_error(tmp_path, monkeypatch):
    """A rule that raises becomes the card's ``internal.rule-failed`` error in every command (so no
    command crashes), yet it is a bug: the fuzzer must report it as a crash site."""
    from modelcard_spec.check.rules import RULES, Rule

    original = RULES["splits.ratio-sum"]

    def broken(ctx):
        raise KeyError("boom")

    monkeypatch.setitem(RULES, "splits.ratio-sum", Rule(original.check, broken))
    fuzzer = fuzz_cards.Fuzzer(seed=13, workdir=tmp_path, check_every=1, batch=5, data_level=0.0)
    fuzzer.run(0, 5, progress_every=0)
    crashes = [f for f in fuzzer.report()["findings"] if f["kind"] == "crash"]
    assert crashes and all(f["detail"].startswith("KeyError") for f in crashes)
    assert any("broken" in frame for f in crashes for frame in f["frames"])
