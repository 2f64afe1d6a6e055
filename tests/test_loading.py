"""Safe loading: plain data only, strict limits, located errors, input left untouched."""

from __future__ import annotations

import errno
import hashlib
import os
import re
from pathlib import Path

import pytest

from modelcard_spec.check import loading
from modelcard_spec.check.loading import MAX_BYTES, MAX_DEPTH, MAX_NODES, build, read_card
from modelcard_spec.spec.diagnostics import CardLoadError
from modelcard_spec.spec.registry import lookup


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


# --------------------------------------------------------------------------- limits of the expanded document


def test_aliases_count_towards_the_nesting_depth(tmp_path):
    """Each anchor nests 60 levels, under the limit; expanded through aliases it nests 180."""
    inner = "[" * 60 + "x" + "]" * 60
    text = (f"a: &a {inner}\n"
            f"b: &b {'[' * 60}*a{']' * 60}\n"
            f"c: &c {'[' * 60}*b{']' * 60}\n")
    issue = error_of(tmp_path, text)
    assert issue.rule == "load.too-deep" and issue.line == 2 and issue.column == 67
    assert "aliases" in issue.message and "别名" in issue.message_zh


def test_aliases_to_large_text_count_their_bytes(tmp_path):
    """A 1 MB string used 11 times expands past the 10 MiB of text a card may hold."""
    text = "s: &s " + "x" * 1_000_000 + "\nl: [" + ", ".join(["*s"] * 11) + "]\n"
    issue = error_of(tmp_path, text)
    assert issue.rule == "load.alias-expansion" and issue.line == 2
    assert f"{MAX_BYTES:,} bytes" in issue.message and "字节" in issue.message_zh
    ten = "s: &s " + "x" * 1_000_000 + "\nl: [" + ", ".join(["*s"] * 9) + "]\n"
    assert len(load_text(tmp_path, ten).data["l"]) == 9


def test_the_value_limit_holds_without_aliases_and_is_located(tmp_path):
    text = "l: [" + ",".join(["1"] * MAX_NODES) + "]\n"
    issue = error_of(tmp_path, text)
    assert issue.rule == "load.too-large" and issue.line == 1 and issue.column > 1
    assert f"{MAX_NODES:,}" in issue.message and f"{MAX_NODES:,}" in issue.message_zh
    assert len(load_text(tmp_path, "l: [" + ",".join(["1"] * (MAX_NODES - 2)) + "]\n").data["l"]) == MAX_NODES - 2


@pytest.mark.parametrize("body", ["0,", '"",', "{},", "[],", '"k": 1, '])
def test_json_with_too_many_values_is_refused_before_parsing(tmp_path, body, monkeypatch):
    """10 MiB of tiny JSON values would take seconds and hundreds of MB to build: refused before the
    JSON parser builds anything (it is not called at all; the time this takes is a benchmark's
    business, not a unit test's)."""
    from modelcard_spec.check import loading

    def never(*args, **kwargs):
        raise AssertionError("the JSON parser was called")

    inner = body * ((MAX_BYTES - 100) // len(body))
    text = ("{" + inner + '"z": 0}') if ":" in body else ('{"a": [' + inner + "0]}")
    monkeypatch.setattr(loading.json, "loads", never)
    issue = error_of(tmp_path, text, "card.json")
    assert issue.rule == "load.too-large" and issue.message_zh and issue.line == 1 and issue.column > 1


def test_json_too_deep_and_too_large_at_once_is_reported_as_too_deep_where_it_crosses(tmp_path):
    issue = error_of(tmp_path, '{"x": ' + "[" * 200_000 + "]" * 200_000 + "}", "card.json")
    assert (issue.rule, issue.line, issue.column) == ("load.too-deep", 1, 7 + MAX_DEPTH - 1)


def test_json_values_are_counted_exactly_below_the_quick_estimate(tmp_path):
    just_over = '{"a": [' + ",".join(["0"] * MAX_NODES) + "]}"
    assert error_of(tmp_path, just_over, "card.json").rule == "load.too-large"
    commas_in_strings = '{"a": ["' + "," * (2 * MAX_NODES) + '"]}'
    assert load_text(tmp_path, commas_in_strings, "card.json").data["a"][0].count(",") == 2 * MAX_NODES


def test_json_nesting_limit_matches_yaml(tmp_path):
    ok = '{"x": ' + "[" * (MAX_DEPTH - 1) + "1" + "]" * (MAX_DEPTH - 1) + "}"
    assert load_text(tmp_path, ok, "card.json").data
    issue = error_of(tmp_path, '{"x": ' + "[" * MAX_DEPTH + "1" + "]" * MAX_DEPTH + "}", "card.json")
    assert issue.rule == "load.too-deep" and (issue.line, issue.column) == (1, 6 + MAX_DEPTH)


# --------------------------------------------------------------------------- text that is not characters


@pytest.mark.parametrize("text,column", [('{"\\ud800": 1}', 3), ('{"a": "ok \\udc00"}', 11),
                                         ('{"a": ["x",\n "\\uDBFF\\u0041"]}', 3),
                                         ('{"a": "\\ud83d\\ud83d\\ude00"}', 8)])
def test_lone_surrogates_in_json_are_refused_with_their_location(tmp_path, text, column):
    issue = error_of(tmp_path, text, "card.json")
    assert issue.rule == "load.encoding" and issue.column == column
    assert "surrogate" in issue.message and "代理项" in issue.message_zh


def test_surrogate_pairs_and_escaped_backslashes_are_text(tmp_path):
    data = load_text(tmp_path, '{"a": "\\ud83d\\ude00", "b": "\\\\ud800", "c": "\\\\\\ud83d\\ude00"}', "card.json").data
    assert data == {"a": "😀", "b": "\\ud800", "c": "\\😀"}


def test_locations_follow_aliases_to_where_the_text_is(tmp_path):
    card = load_text(tmp_path, "base: &b\n  x: 1\n  y: [2, 3]\ncopy: *b\n")
    assert card.locate("/copy") == (4, 1)
    assert card.locate("/copy/y/1") == (3, 10)
    json_card = load_text(tmp_path, '{"a": {"b": [1,\n  2]}}', "card.json")
    assert json_card.locate("/a/b/1") == (2, 3) and json_card.locate("/a/zz") == (1, 2)


def test_limit_messages_name_the_tools_limit_not_a_prohibition(tmp_path):
    p = tmp_path / "card.yaml"
    p.write_text("a: 1\n" * 300, encoding="utf-8")
    with pytest.raises(CardLoadError) as info:
        read_card(p, max_bytes=1_000)
    assert info.value.issue.message == "the file is 1,500 bytes, over this tool's limit for a model card (1,000 bytes)"
    assert info.value.issue.message_zh == "文件大小为 1,500 字节，超过本工具对模型卡的上限（1,000 字节）"
    for name, text in (("card.yaml", "l: [" + ",".join(["1"] * MAX_NODES) + "]\n"),
                       ("card.json", '{"a": [' + ",".join(["0"] * MAX_NODES) + "]}")):
        issue = error_of(tmp_path, text, name)
        assert issue.message_zh == f"文档包含的值超过本工具对模型卡的上限（{MAX_NODES:,} 个值）"
        assert issue.message == f"the document holds more values than this tool's limit for a model card ({MAX_NODES:,} values)"


# --------------------------------------------------------------------------- the registered checks of reading a card


def _read_with(tmp_path, **options):
    def read(path):
        with pytest.raises(CardLoadError) as info:
            read_card(path(tmp_path), **options)
        return info.value.issue
    return read


def _over_the_size_limit(tmp_path):
    (tmp_path / "card.yaml").write_text("a: 1\n" * 300, encoding="utf-8")
    return tmp_path / "card.yaml"


_LAUGHS = "\n".join(['a0: &a0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
                    + [f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 9) + "]" for i in range(1, 10)]) + "\n"
_DEEP_ALIASES = "".join(f"{name}: &{name} {'[' * 60}{inner}{']' * 60}\n"
                        for name, inner in (("a", "x"), ("b", "*a"), ("c", "*b")))
_ENOENT = os.strerror(errno.ENOENT)

# Every way the loader refuses an input: (how: a (file name, content) pair, or a function of tmp_path that
# returns the issue; check; variant; the English and the Chinese message). "{detail}" stands for what the
# YAML parser said (its English text, shown as such in both languages).
REFUSALS = [
    (lambda t: _read_with(t)(lambda d: d / "missing.yaml"), "load.io", "os-error",
     f"cannot read the file: {_ENOENT}", f"无法读取文件：{_ENOENT}"),
    (lambda t: _read_with(t)(lambda d: d), "load.io", "not-regular", "not a regular file", "不是普通文件"),
    (lambda t: _read_with(t, max_bytes=1_000)(_over_the_size_limit), "load.too-large", "file",
     "the file is 1,500 bytes, over this tool's limit for a model card (1,000 bytes)",
     "文件大小为 1,500 字节，超过本工具对模型卡的上限（1,000 字节）"),
    (("card.yaml", "l: [" + ",".join(["1"] * MAX_NODES) + "]\n"), "load.too-large", "values",
     f"the document holds more values than this tool's limit for a model card ({MAX_NODES:,} values)",
     f"文档包含的值超过本工具对模型卡的上限（{MAX_NODES:,} 个值）"),
    (("card.yaml", b"\xff\xfen\x00a\x00"), "load.encoding", "utf-16",
     "the file is UTF-16; model cards must be UTF-8", "文件为 UTF-16 编码；模型卡应使用 UTF-8 编码"),
    (("card.yaml", b"a: 1\n\x00"), "load.encoding", "nul-byte",
     "the file contains a NUL byte at offset 5; it is binary, not a text card",
     "文件在偏移 5 处含有 NUL 字节，是二进制文件而非文本模型卡"),
    (("card.yaml", b"name: ok\nsummary: caf\xe9\n"), "load.encoding", "invalid-utf-8",
     "the file is not valid UTF-8 (byte offset 21)", "文件不是有效的 UTF-8 编码（字节偏移 21）"),
    (("card.json", '{"a": "\\ud800"}'), "load.encoding", "lone-surrogate",
     "the escape \\ud800 is a lone UTF-16 surrogate, not a character; a model card is UTF-8 text",
     "转义序列 \\ud800 是孤立的 UTF-16 代理项，不是字符；模型卡应为 UTF-8 文本"),
    (("card.yaml", "a: b\x07c\n"), "load.encoding", "control-character",
     "the file contains the control character 7, which YAML does not allow", "文件含有 YAML 不允许的控制字符 7"),
    (("card.yaml", "  \n"), "load.empty", "", "the file is empty", "文件为空"),
    (("card.json", '{"a": }'), "load.syntax", "json", "invalid JSON: Expecting value", "JSON 语法错误：Expecting value"),
    (("card.yaml", "a: [1, 2\n"), "load.syntax", "yaml", "invalid YAML: {detail}", "YAML 语法错误：{detail}"),
    (("card.yaml", "a: 1\n---\nb: 2\n"), "load.multi-document", "",
     "the file holds more than one YAML document", "文件包含多个 YAML 文档"),
    (("card.yaml", "- a\n- b\n"), "load.not-a-mapping", "list",
     "the top level of a model card must be a mapping of fields, not a list", "模型卡的顶层应为字段映射，而不是列表"),
    (("card.json", '"a"'), "load.not-a-mapping", "scalar",
     "the top level of a model card must be a mapping of fields, not a single value", "模型卡的顶层应为字段映射，而不是单个值"),
    (("card.yaml", "? [a]\n: 1\n"), "load.key", "", "mapping keys must be plain strings", "映射的键应为普通字符串"),
    (("card.yaml", "name: a\nversion: 1\nname: b\n"), "load.duplicate-key", "", "duplicate key 'name'", "重复的键“name”"),
    (("card.json", '{"name": "a", "name": "b"}'), "load.duplicate-key", "", "duplicate key 'name'", "重复的键“name”"),
    (("card.yaml", "x: !custom 1\n"), "load.tag", "not-allowed",
     "the tag !custom is not allowed; cards use plain YAML values only", "不允许使用标签 !custom；模型卡只能使用普通 YAML 值"),
    (("card.yaml", "x: !!binary aGVsbG8=\n"), "load.tag", "not-allowed",
     "the tag !!binary is not allowed; cards use plain YAML values only", "不允许使用标签 !!binary；模型卡只能使用普通 YAML 值"),
    (("card.yaml", "x: !!set {a, b}\n"), "load.tag", "not-allowed",
     "the tag tag:yaml.org,2002:set is not allowed; cards use plain YAML values only",
     "不允许使用标签 tag:yaml.org,2002:set；模型卡只能使用普通 YAML 值"),
    (("card.yaml", "x: !!int abc\n"), "load.tag", "bad-value", "'abc' is not a valid !!int", "“abc”不是有效的 !!int"),
    (("card.json", '{"a": [1, -Infinity]}'), "load.non-finite", "json-constant",
     "-Infinity is not allowed in a model card", "模型卡中不允许出现 -Infinity"),
    # a key too long for an implicit YAML key keeps the JSON reader's own words (the YAML reading, which
    # would locate the number, fails on the key)
    (("card.json", '{"' + "k" * 1100 + '": 1e999}'), "load.non-finite", "json-overflow",
     "the number 1e999 is too large to represent", "数值 1e999 过大，无法表示"),
    (("card.yaml", "x: .nan\n"), "load.non-finite", "yaml",
     ".nan is not a finite number; NaN and infinities are not allowed", ".nan 不是有限数值；不允许出现 NaN 和无穷大"),
    (("card.yaml", "x: 99999999999999999999\n"), "load.int-range", "", "an integer exceeds the 64-bit range", "整数超出 64 位范围"),
    (("card.json", '{"x": 9223372036854775808}'), "load.int-range", "", "an integer exceeds the 64-bit range",
     "整数超出 64 位范围"),
    (("card.yaml", "a: *x\n"), "load.alias", "", "unknown alias *x", "未知的别名 *x"),
    (("card.yaml", "x: " + "[" * 100 + "]" * 100 + "\n"), "load.too-deep", "",
     f"the document is nested more than {MAX_DEPTH} levels deep", f"文档嵌套超过 {MAX_DEPTH} 层"),
    (("card.json", "[" * 100 + "]" * 100), "load.too-deep", "",
     f"the document is nested more than {MAX_DEPTH} levels deep", f"文档嵌套超过 {MAX_DEPTH} 层"),
    (("card.yaml", _DEEP_ALIASES), "load.too-deep", "aliases",
     f"the document is nested more than {MAX_DEPTH} levels deep once its aliases are expanded",
     f"文档嵌套超过 {MAX_DEPTH} 层（按别名展开后计）"),
    (("card.yaml", _LAUGHS), "load.alias-expansion", "values",
     f"the document expands to more than {MAX_NODES:,} values (aliases are limited)",
     f"文档展开后超过 {MAX_NODES:,} 个值（别名展开受限）"),
    (("card.yaml", "s: &s " + "x" * 1_000_000 + "\nl: [" + ", ".join(["*s"] * 11) + "]\n"), "load.alias-expansion",
     "text", f"the document expands to more than {MAX_BYTES:,} bytes of text (aliases are limited)",
     f"文档展开后文本超过 {MAX_BYTES:,} 字节（别名展开受限）"),
]
# load.io variants that check.inputs reports for an input that names no file, or for a link a search
# found that leads out of the folder searched (not the loader; reached in tests/test_hostile.py)
_REPORTED_BY_THE_PIPELINE = {("load.io", "no-such-file"), ("load.io", "bad-name"), ("load.io", "link-outside")}
_NUMBERS = {"size", "limit", "offset", "bits", "code_point"}


@pytest.mark.parametrize("how,check_id,variant,en,zh", REFUSALS,
                         ids=[f"{r[1]}:{r[2] or 'default'}:{i}" for i, r in enumerate(REFUSALS)])
def test_each_refusal_is_its_registered_check_rendered_from_structured_params(tmp_path, how, check_id, variant, en, zh):
    issue = how(tmp_path) if callable(how) else error_of(tmp_path, how[1], how[0])
    params = dict(issue.params or {})
    if "{detail}" in en:  # the parser's own words, in English in both languages
        assert params["detail"].isascii() and params["detail"]
        en, zh = en.format(**params), zh.format(**params)
    assert (issue.rule, issue.message, issue.message_zh) == (check_id, en, zh)
    check = lookup(check_id)
    assert check is not None and check.id == check_id and not check.family
    assert check.render(variant, params) == (en, zh)
    for name, value in params.items():
        assert type(value) is (int if name in _NUMBERS else str), (name, value)


def test_every_load_check_of_the_loader_is_registered_in_both_languages_and_each_wording_is_reached():
    source = Path(loading.__file__).read_text(encoding="utf-8")
    named = set(re.findall(r'"(load\.[a-z0-9-]+)"', source))
    reached = {(r[1], r[2]) for r in REFUSALS}
    assert named == {check_id for check_id, _ in reached}
    for check_id in named:
        check = lookup(check_id)
        assert check is not None and check.id == check_id, check_id
        assert check.title and check.title_zh and check.messages
        for variant, (en, zh) in check.messages.items():
            assert en and zh and not zh.isascii(), (check_id, variant)
            assert (check_id, variant) in reached | _REPORTED_BY_THE_PIPELINE, (check_id, variant)
    with pytest.raises(KeyError):  # an ID that is not registered cannot be raised
        CardLoadError("load.unregistered")
