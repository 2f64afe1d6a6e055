"""Safe loading of model cards written in YAML or JSON.

The YAML loader walks the event stream of libyaml's parser (PyYAML's C extension where available)
and builds plain Python data itself, so that it can enforce, in one pass and with a location for
every problem:

* only the YAML 1.2 core schema: strings, integers, floats, booleans (true/false only), null,
  mappings and sequences; any other tag (``!!python/object``, ``!!binary``, ``!custom``) is an
  error and no Python object is ever constructed; dates stay strings;
* duplicate keys are errors; keys are strings;
* NaN, infinities and integers beyond 64 bits are errors;
* limits on file size, nesting depth and alias expansion (billion-laughs documents fail fast);
* invalid encodings are reported with their byte offset (UTF-8, with or without a BOM).

JSON files are parsed by the standard library with the same rules. Line/column locations of JSON
Pointers are computed lazily, only when a problem has to be reported.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from .diagnostics import CardLoadError

try:  # libyaml's C parser; the pure-Python parser gives the same events, more slowly
    from yaml.cyaml import CParser as _Parser
except ImportError:  # pragma: no cover - depends on how PyYAML was built
    from yaml.parser import Parser as _Parser  # type: ignore[assignment]
    from yaml.reader import Reader as _Reader
    from yaml.scanner import Scanner as _Scanner

    class _Parser(_Reader, _Scanner, _Parser):  # type: ignore[no-redef]
        def __init__(self, stream):
            _Reader.__init__(self, stream)
            _Scanner.__init__(self)
            yaml.parser.Parser.__init__(self)


MAX_BYTES = 10 * 1024 * 1024
MAX_DEPTH = 64
MAX_NODES = 1_000_000
INT_LIMIT = 2**63 - 1

_CORE = "tag:yaml.org,2002:"
_NULL = re.compile(r"^(?:~|null|Null|NULL|)$")
_BOOL = {"true": True, "True": True, "TRUE": True, "false": False, "False": False, "FALSE": False}
_INT = re.compile(r"^[-+]?[0-9]+$|^0o[0-7]+$|^0x[0-9a-fA-F]+$")
_FLOAT = re.compile(r"^[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?$")
_NONFINITE = re.compile(r"^(?:[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$")


@dataclass
class LoadedCard:
    """A card's data with what is needed to locate problems in its text."""

    path: Path
    data: dict
    text: str
    sha256: str
    _locations: dict | None = field(default=None, repr=False)

    @property
    def is_json(self) -> bool:
        return self.path.suffix.lower() == ".json"

    def locate(self, pointer: str) -> tuple[int | None, int | None]:
        """1-based line and column of the value at ``pointer`` (or of its nearest ancestor)."""
        if self._locations is None:
            try:
                self._locations = _locations(self.text)
            except Exception:  # locations are best effort; the data was already loaded
                self._locations = {}
        probe = pointer
        while True:
            if probe in self._locations:
                return self._locations[probe]
            if not probe:
                return (None, None)
            probe = probe.rsplit("/", 1)[0]


def escape_pointer_token(token: str) -> str:
    return str(token).replace("~", "~0").replace("/", "~1")


def read_card(path: str | os.PathLike, max_bytes: int = MAX_BYTES) -> LoadedCard:
    """Read and parse one card file; raise :class:`CardLoadError` if it is not a readable card."""
    p = Path(path)
    try:
        size = p.stat().st_size
    except OSError as exc:
        raise CardLoadError("load.io", f"cannot read the file: {exc.strerror}",
                            f"无法读取文件：{exc.strerror}") from None
    if not p.is_file():
        raise CardLoadError("load.io", "not a regular file", "不是普通文件")
    if size > max_bytes:
        raise CardLoadError(
            "load.too-large",
            f"the file is {size} bytes; model cards are limited to {max_bytes} bytes",
            f"文件大小为 {size} 字节；模型卡不得超过 {max_bytes} 字节")
    try:
        with p.open("rb") as fh:
            raw = fh.read(max_bytes + 1)
    except OSError as exc:
        raise CardLoadError("load.io", f"cannot read the file: {exc.strerror}",
                            f"无法读取文件：{exc.strerror}") from None
    return parse_card_bytes(raw, p)


def parse_card_bytes(raw: bytes, path: Path) -> LoadedCard:
    digest = hashlib.sha256(raw).hexdigest()
    text = _decode(raw)
    if not text.strip():
        raise CardLoadError("load.empty", "the file is empty", "文件为空", 1, 1)
    if path.suffix.lower() == ".json":
        data = _load_json(text)
    else:
        data = build(text)
    if not isinstance(data, dict):
        kind = "a list" if isinstance(data, list) else "a single value"
        kind_zh = "列表" if isinstance(data, list) else "单个值"
        raise CardLoadError("load.not-a-mapping",
                            f"the top level of a model card must be a mapping of fields, not {kind}",
                            f"模型卡的顶层必须是字段映射，而不是{kind_zh}", 1, 1)
    return LoadedCard(path, data, text, digest)


def parse_untrusted(text: str, is_json: bool):
    """Parse other untrusted YAML or JSON (importer sources) under the rules and limits of cards:
    core schema only, no duplicate keys, finite numbers, bounded depth and alias expansion. Unlike
    :func:`parse_card_bytes` the top level may be any value. Raises :class:`CardLoadError`."""
    return _load_json(text) if is_json else build(text)


def decode_untrusted(raw: bytes) -> str:
    """``raw`` as text under the encoding rules of cards (UTF-8, optional BOM; UTF-16 and NUL refused)."""
    return _decode(raw)


def _decode(raw: bytes) -> str:
    if raw.startswith(b"\xef\xbb\xbf"):
        raw = raw[3:]
    elif raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise CardLoadError("load.encoding", "the file is UTF-16; model cards must be UTF-8",
                            "文件为 UTF-16 编码；模型卡必须使用 UTF-8 编码", 1, 1)
    nul = raw.find(b"\x00")
    if nul != -1:
        line = raw.count(b"\n", 0, nul) + 1
        raise CardLoadError("load.encoding", f"the file contains a NUL byte at offset {nul}; it is binary, not a text card",
                            f"文件在偏移 {nul} 处含有 NUL 字节，是二进制文件而非文本模型卡", line, None)
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        column = exc.start - (raw.rfind(b"\n", 0, exc.start) + 1) + 1
        raise CardLoadError("load.encoding", f"the file is not valid UTF-8 (byte offset {exc.start})",
                            f"文件不是有效的 UTF-8 编码（字节偏移 {exc.start}）", line, column) from None


# --------------------------------------------------------------------------- JSON


def _load_json(text: str):
    def pairs(items):
        out = {}
        for key, value in items:
            if key in out:
                raise CardLoadError("load.duplicate-key", f"duplicate key {key!r}", f"重复的键“{key}”")
            out[key] = value
        return out

    def constant(name):
        raise CardLoadError("load.non-finite", f"{name} is not allowed in a model card",
                            f"模型卡中不允许出现 {name}")

    def integer(digits: str):
        if len(digits.lstrip("-")) > 19 or abs(int(digits)) > INT_LIMIT:
            raise CardLoadError("load.int-range", "an integer exceeds the 64-bit range",
                                "整数超出 64 位范围")
        return int(digits)

    def number(digits: str):
        value = float(digits)
        if value in (float("inf"), float("-inf")):
            raise CardLoadError("load.non-finite", f"the number {digits} is too large to represent",
                                f"数值 {digits} 过大，无法表示")
        return value

    try:
        data = json.loads(text, object_pairs_hook=pairs, parse_constant=constant, parse_int=integer,
                          parse_float=number)
    except CardLoadError as exc:
        raise _with_json_location(exc, text) from None
    except json.JSONDecodeError as exc:
        raise CardLoadError("load.syntax", f"invalid JSON: {exc.msg}", f"JSON 语法错误：{exc.msg}",
                            exc.lineno, exc.colno) from None
    except RecursionError:
        raise _json_too_deep(text) from None
    try:
        _check_depth(data)
    except CardLoadError:
        raise _json_too_deep(text) from None
    return data


_JSON_CONSTANT = re.compile(r'"(?:[^"\\]|\\.)*"|(-?Infinity|NaN)')


def _with_json_location(exc: CardLoadError, text: str) -> CardLoadError:
    """Locate a JSON problem the standard library reports without a position."""
    issue = exc.issue
    if issue.rule == "load.non-finite":
        for match in _JSON_CONSTANT.finditer(text):
            if match.group(1):
                line, column = _offset_location(text, match.start(1))
                return CardLoadError(issue.rule, issue.message, issue.message_zh, line, column)
    try:
        build(text)
    except CardLoadError as located:
        if located.issue.rule == issue.rule:
            return located
    return exc


def _json_too_deep(text: str) -> CardLoadError:
    """The location where a JSON text first nests deeper than MAX_DEPTH (strings skipped)."""
    depth, in_string, escaped = 0, False, False
    for offset, ch in enumerate(text):
        if in_string:
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch == '"':
                in_string = False
        elif ch == '"':
            in_string = True
        elif ch in "[{":
            depth += 1
            if depth > MAX_DEPTH:
                line, column = _offset_location(text, offset)
                break
        elif ch in "]}":
            depth -= 1
    else:
        line, column = None, None
    return CardLoadError("load.too-deep", f"the document is nested more than {MAX_DEPTH} levels deep",
                        f"文档嵌套超过 {MAX_DEPTH} 层", line, column)


def _check_depth(data) -> None:
    stack = [(data, 1)]
    while stack:
        value, depth = stack.pop()
        if depth > MAX_DEPTH:
            raise CardLoadError("load.too-deep", f"the document is nested more than {MAX_DEPTH} levels deep",
                                f"文档嵌套超过 {MAX_DEPTH} 层")
        if isinstance(value, dict):
            stack.extend((v, depth + 1) for v in value.values())
        elif isinstance(value, list):
            stack.extend((v, depth + 1) for v in value)


# --------------------------------------------------------------------------- YAML


def _mark(mark) -> tuple[int, int]:
    return (mark.line + 1, mark.column + 1)


def _error(rule: str, en: str, zh: str, mark) -> CardLoadError:
    line, column = _mark(mark) if mark is not None else (None, None)
    return CardLoadError(rule, en, zh, line, column)


_MAYBE_NOT_STR = frozenset("-+.0123456789~nNtTfF")


def _scalar(event):
    tag = event.tag
    value = event.value
    if tag is None or tag == "!":
        if not event.implicit[0]:  # quoted, or a plain scalar with the non-specific tag '!'
            return value
        if value and value[0] not in _MAYBE_NOT_STR:  # cannot be null, bool or a number
            return value
        tag = None
    elif not tag.startswith(_CORE):
        raise _error("load.tag", f"the tag {tag} is not allowed; cards use plain YAML values only",
                     f"不允许使用标签 {tag}；模型卡只能使用普通 YAML 值", event.start_mark)
    else:
        tag = tag[len(_CORE):]
        if tag not in ("str", "int", "float", "bool", "null"):
            raise _error("load.tag", f"the tag !!{tag} is not allowed; cards use plain YAML values only",
                         f"不允许使用标签 !!{tag}；模型卡只能使用普通 YAML 值", event.start_mark)
        if tag == "str":
            return value
    if tag in (None, "null") and _NULL.match(value):
        return None
    if tag in (None, "bool") and value in _BOOL:
        return _BOOL[value]
    if tag in (None, "int") and _INT.match(value):
        if len(value) > 21:
            raise _error("load.int-range", "an integer exceeds the 64-bit range", "整数超出 64 位范围",
                         event.start_mark)
        number = int(value, 0) if value.startswith(("0o", "0x")) else int(value)
        if abs(number) > INT_LIMIT:
            raise _error("load.int-range", "an integer exceeds the 64-bit range", "整数超出 64 位范围",
                         event.start_mark)
        return number
    if tag in (None, "float") and (_FLOAT.match(value) or _NONFINITE.match(value)):
        number = float("nan") if _NONFINITE.match(value) else float(value)
        if number != number or number in (float("inf"), float("-inf")):
            raise _error("load.non-finite", f"{value} is not a finite number; NaN and infinities are not allowed",
                         f"{value} 不是有限数值；不允许出现 NaN 和无穷大", event.start_mark)
        return number
    if tag is None:
        return value
    raise _error("load.tag", f"{value!r} is not a valid !!{tag}", f"“{value}”不是有效的 !!{tag}",
                 event.start_mark)


def build(text: str, track: dict | None = None):  # noqa: C901 - one pass over the event stream
    """Build plain data from YAML text; if ``track`` is a dict, fill it with pointer -> (line, col)."""
    anchors: dict[str, tuple[object, int]] = {}
    # Each frame: [container, pending_key, size, anchor, pointer, is_mapping, key_mark]
    stack: list[list] = []
    root = None
    total = 0
    documents = 0
    try:
        parser = _Parser(text)
        while parser.check_event():
            event = parser.get_event()
            etype = type(event)
            if etype is yaml.StreamStartEvent or etype is yaml.StreamEndEvent or etype is yaml.DocumentEndEvent:
                continue
            if etype is yaml.DocumentStartEvent:
                documents += 1
                if documents > 1:
                    raise _error("load.multi-document", "the file holds more than one YAML document",
                                 "文件包含多个 YAML 文档", event.start_mark)
                continue
            if stack and stack[-1][5] and stack[-1][1] is _NO_KEY and etype is not yaml.MappingEndEvent:
                # This event is a mapping key.
                if etype is not yaml.ScalarEvent:
                    raise _error("load.key", "mapping keys must be plain strings", "映射的键必须是普通字符串",
                                 event.start_mark)
                key = event.value
                if key in stack[-1][0]:
                    raise _error("load.duplicate-key", f"duplicate key {key!r}", f"重复的键“{key}”",
                                 event.start_mark)
                stack[-1][1] = key
                stack[-1][6] = event.start_mark
                continue
            if etype is yaml.ScalarEvent:
                value, size = _scalar(event), 1
            elif etype is yaml.AliasEvent:
                if event.anchor not in anchors:
                    raise _error("load.alias", f"unknown alias *{event.anchor}", f"未知的别名 *{event.anchor}",
                                 event.start_mark)
                value, size = anchors[event.anchor]
            elif etype is yaml.MappingStartEvent or etype is yaml.SequenceStartEvent:
                tag = event.tag
                expected = "map" if etype is yaml.MappingStartEvent else "seq"
                if tag not in (None, "!", _CORE + expected):
                    raise _error("load.tag", f"the tag {tag} is not allowed; cards use plain YAML values only",
                                 f"不允许使用标签 {tag}；模型卡只能使用普通 YAML 值", event.start_mark)
                if len(stack) >= MAX_DEPTH:
                    raise _error("load.too-deep", f"the document is nested more than {MAX_DEPTH} levels deep",
                                 f"文档嵌套超过 {MAX_DEPTH} 层", event.start_mark)
                pointer = None
                if track is not None:
                    pointer = _child_pointer(stack)
                    track[pointer] = _mark(_key_or_value_mark(stack, event))
                container = {} if expected == "map" else []
                stack.append([container, _NO_KEY, 1, event.anchor, pointer, expected == "map", None])
                continue
            elif etype is yaml.MappingEndEvent or etype is yaml.SequenceEndEvent:
                container, _, size, anchor, _, _, _ = stack.pop()
                value = container
                if anchor is not None:
                    anchors[anchor] = (value, size)
                _attach(stack, value, size)
                if not stack:
                    root = value
                continue
            else:  # pragma: no cover - no other event types exist
                continue
            total += size
            if total > MAX_NODES:
                raise _error("load.alias-expansion",
                             f"the document expands to more than {MAX_NODES} values (aliases are limited)",
                             f"文档展开后超过 {MAX_NODES} 个值（别名展开受限）", event.start_mark)
            if etype is yaml.ScalarEvent and event.anchor is not None:
                anchors[event.anchor] = (value, size)
            if track is not None:
                track[_child_pointer(stack)] = _mark(_key_or_value_mark(stack, event))
            if not stack:
                root = value
            else:
                _attach(stack, value, size)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        problem = exc.problem or exc.context or "invalid YAML"
        if "nesting depth" in problem:  # libyaml (0.2.5+) stops deep flow nesting itself, ahead of our events
            raise _error("load.too-deep", f"the document is nested more than {MAX_DEPTH} levels deep",
                         f"文档嵌套超过 {MAX_DEPTH} 层", mark) from None
        raise _error("load.syntax", f"invalid YAML: {problem}", f"YAML 语法错误：{problem}", mark) from None
    except yaml.reader.ReaderError as exc:
        line, column = _offset_location(text, exc.position)
        raise CardLoadError("load.encoding", f"the file contains the control character {exc.character!r}, which YAML does not allow",
                            f"文件含有 YAML 不允许的控制字符 {exc.character!r}", line, column) from None
    except yaml.YAMLError as exc:
        raise CardLoadError("load.syntax", f"invalid YAML: {exc}", f"YAML 语法错误：{exc}") from None
    return root


def _offset_location(text: str, offset: int) -> tuple[int, int]:
    line = text.count("\n", 0, offset) + 1
    return line, offset - (text.rfind("\n", 0, offset) + 1) + 1


class _NoKey:
    __slots__ = ()


_NO_KEY = _NoKey()


def _child_pointer(stack: list[list]) -> str:
    if not stack:
        return ""
    frame = stack[-1]
    token = frame[1] if frame[5] else len(frame[0])
    return f"{frame[4]}/{escape_pointer_token(token)}"


def _key_or_value_mark(stack, event):
    # Point a mapping value at its key: that is where a reader looks for "field X".
    if stack and stack[-1][5] and stack[-1][6] is not None:
        return stack[-1][6]
    return event.start_mark


def _attach(stack: list[list], value, size: int) -> None:
    if not stack:
        return
    frame = stack[-1]
    if frame[5]:
        frame[0][frame[1]] = value
        frame[1] = _NO_KEY
    else:
        frame[0].append(value)
    frame[2] += size
    if frame[2] > MAX_NODES:
        raise CardLoadError("load.alias-expansion",
                            f"the document expands to more than {MAX_NODES} values (aliases are limited)",
                            f"文档展开后超过 {MAX_NODES} 个值（别名展开受限）")


def _locations(text: str) -> dict:
    track: dict = {}
    build(text, track)
    return track
