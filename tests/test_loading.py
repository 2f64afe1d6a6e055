"""Safe loading: plain data only, strict limits, located errors, input left untouched."""

from __future__ import annotations

import hashlib

import pytest

from modelcard_spec.diagnostics import CardLoadError
from modelcard_spec.loading import MAX_DEPTH, build, read_card


def load_text(tmp_path, text, name="card.yaml"):
    p = tmp_path / name
    p.write_bytes(text.encode("utf-8") if isinstance(text, str) else text)
    return read_card(p)


def error_of(tmp_path, text, name="card.yaml"):
    with pytest.raises(CardLoadError) as info:
        load_text(tmp_path, text, name)
    return info.value.issue


def test_core_schema_scalars_dates_stay_strings_and_no_is_not_false():
    data = build("d: 2024-03-18\nn: no\nb: true\ni: 0x1F\nf: 1.5e3\nz: ~\nq: '12'\n")
    assert data == {"d": "2024-03-18", "n": "no", "b": True, "i": 31, "f": 1500.0, "z": None, "q": "12"}


def test_duplicate_keys_are_errors_with_location(tmp_path):
    issue = error_of(tmp_path, "name: a\nversion: 1\nname: b\n")
    assert issue.rule == "load.duplicate-key" and (issue.line, issue.column) == (3, 1)
    assert "'name'" in issue.message and "name" in issue.message_zh


def test_duplicate_keys_in_json(tmp_path):
    issue = error_of(tmp_path, '{"name": "a",\n "name": "b"}', "card.json")
    assert issue.rule == "load.duplicate-key" and issue.line == 2


@pytest.mark.parametrize("text", ["x: !!python/object/apply:os.system ['echo pwned']\n",
                                  "x: !!binary aGVsbG8=\n", "x: !custom 1\n", "x: !!set {a, b}\n"])
def test_tags_beyond_the_core_schema_are_refused(tmp_path, text):
    issue = error_of(tmp_path, text)
    assert issue.rule == "load.tag" and issue.line == 1


@pytest.mark.parametrize("text", ["x: .nan\n", "x: -.inf\n", "x: 1e999\n"])
def test_non_finite_numbers_are_refused(tmp_path, text):
    assert error_of(tmp_path, text).rule == "load.non-finite"


def test_huge_integers_are_refused(tmp_path):
    assert error_of(tmp_path, "x: " + "9" * 5000 + "\n").rule == "load.int-range"
    assert error_of(tmp_path, '{"x": ' + "9" * 30 + "}", "card.json").rule == "load.int-range"


def test_billion_laughs_fails_fast(tmp_path):
    lines = ['a0: &a0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    for i in range(1, 10):
        refs = ", ".join([f"*a{i-1}"] * 9)
        lines.append(f"a{i}: &a{i} [{refs}]")
    assert error_of(tmp_path, "\n".join(lines) + "\n").rule == "load.alias-expansion"


def test_deep_nesting_is_refused_with_a_location(tmp_path):
    issue = error_of(tmp_path, "x: " + "[" * 10_000 + "]" * 10_000 + "\n")
    assert issue.rule == "load.too-deep" and issue.line == 1
    assert error_of(tmp_path, "[" * 10_000 + "]" * 10_000, "card.json").rule == "load.too-deep"
    ok = "x: " + "[" * (MAX_DEPTH - 2) + "]" * (MAX_DEPTH - 2) + "\n"
    assert load_text(tmp_path, ok).data


@pytest.mark.parametrize("raw,rule", [(b"", "load.empty"), (b"   \n", "load.empty"),
                                      (b"\x89PNG\r\n\x1a\n\x00\x00", "load.encoding"),
                                      (b"name: caf\xe9\n", "load.encoding"),
                                      (b"- a\n- b\n", "load.not-a-mapping"), (b"42\n", "load.not-a-mapping"),
                                      (b"a: [1, 2\n", "load.syntax"), (b"a: 1\n---\nb: 2\n", "load.multi-document")])
def test_unreadable_inputs(tmp_path, raw, rule):
    issue = error_of(tmp_path, raw)
    assert issue.rule == rule and issue.message and issue.message_zh


def test_invalid_utf8_is_located(tmp_path):
    issue = error_of(tmp_path, b"name: ok\nsummary: caf\xe9\n")
    assert (issue.line, issue.column) == (2, 13)


def test_utf8_bom_is_accepted(tmp_path):
    assert load_text(tmp_path, b"\xef\xbb\xbfname: x\n").data == {"name": "x"}


def test_too_large_file_is_refused_without_reading(tmp_path):
    p = tmp_path / "big.yaml"
    with p.open("wb") as fh:
        fh.truncate(100 * 1024 * 1024)
    with pytest.raises(CardLoadError) as info:
        read_card(p)
    assert info.value.issue.rule == "load.too-large"


def test_locations_of_pointers(tmp_path):
    card = load_text(tmp_path, "a: 1\nb:\n  - x: 1\n    y: [1, 2]\n")
    assert card.locate("/b/0/y/1") == (4, 12)
    assert card.locate("/b/0/missing") == (3, 5)


def test_loading_never_changes_the_file(tmp_path):
    p = tmp_path / "card.yaml"
    p.write_bytes(b"name: x\nname: y\n")
    before = hashlib.sha256(p.read_bytes()).hexdigest()
    with pytest.raises(CardLoadError):
        read_card(p)
    assert hashlib.sha256(p.read_bytes()).hexdigest() == before
