"""Safe loading of model cards written in YAML or JSON.

The YAML loader walks the event stream of libyaml's parser (PyYAML's C extension where available)
and builds plain Python data itself, so that it can enforce, in one pass and with a location for
every problem:

* only the YAML 1.2 core schema: strings, integers, floats, booleans (true/false only), null,
  mappings and sequences; any other tag (``!!python/object``, ``!!binary``, ``!custom``) is an
  error and no Python object is ever constructed; dates stay strings;
* duplicate keys are errors; keys are strings;
* NaN, infinities and integers beyond 64 bits are errors;
* limits on file size, and on nesting depth, values and text of the document as its aliases
  expand it (billion-laughs documents and deep or large alias chains fail fast);
* invalid encodings are reported with their byte offset (UTF-8, with or without a BOM).

JSON files are parsed by the standard library with the same rules, after a count of their commas,
brackets and strings has ruled out a document far over the value limit; an escape that decodes to a
lone surrogate is refused. Where each value was written is recorded while a YAML card is read; for
a JSON card it is worked out only when a problem has to be reported.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from pathlib import Path

import yaml

from ..spec import pointers
from ..spec.diagnostics import CardLoadError
from ..spec.records import Record
from ..spec.registry import Check, register

# The checks of reading a card, in the order a file meets them. ``reason`` (load.io) and ``detail``
# (load.syntax) are what the operating system or the YAML/JSON parser said, in English: the Chinese
# templates show them as such, after a Chinese statement of what went wrong.
register(Check("load.io", "error", "The file can be read", "文件可以读取",
               {"os-error": ("cannot read the file: {reason}", "无法读取文件：{reason}"),
                "not-regular": ("not a regular file", "不是普通文件"),
                "no-such-file": ("no such file", "文件不存在"),
                "bad-name": ("the name holds a character file names cannot hold", "名称中含有文件名不能使用的字符"),
                "link-outside": ("a symbolic link, found by searching {root}, to a file outside it: not read (name the "
                                 "file itself to validate it)",
                                 "在 {root} 中查找到的符号链接，指向该处之外的文件：未读取（如需校验，请直接给出该文件）")}))
register(Check("load.too-large", "error", "The card stays within the tool's size limits",
               "模型卡不超出本工具的大小上限",
               {"file": ("the file is {size:,} bytes, over this tool's limit for a model card ({limit:,} bytes)",
                         "文件大小为 {size:,} 字节，超过本工具对模型卡的上限（{limit:,} 字节）"),
                "values": ("the document holds more values than this tool's limit for a model card ({limit:,} values)",
                           "文档包含的值超过本工具对模型卡的上限（{limit:,} 个值）")}))
register(Check("load.encoding", "error", "The file is UTF-8 text", "文件为 UTF-8 文本",
               {"utf-16": ("the file is UTF-16; model cards must be UTF-8", "文件为 UTF-16 编码；模型卡应使用 UTF-8 编码"),
                "nul-byte": ("the file contains a NUL byte at offset {offset}; it is binary, not a text card",
                             "文件在偏移 {offset} 处含有 NUL 字节，是二进制文件而非文本模型卡"),
                "invalid-utf-8": ("the file is not valid UTF-8 (byte offset {offset})",
                                  "文件不是有效的 UTF-8 编码（字节偏移 {offset}）"),
                "lone-surrogate": ("the escape {escape} is a lone UTF-16 surrogate, not a character; "
                                   "a model card is UTF-8 text",
                                   "转义序列 {escape} 是孤立的 UTF-16 代理项，不是字符；模型卡应为 UTF-8 文本"),
                "control-character": ("the file contains the control character {code_point}, which YAML does not allow",
                                      "文件含有 YAML 不允许的控制字符 {code_point}")}))
register(Check("load.empty", "error", "The file is not empty", "文件不为空",
               {"": ("the file is empty", "文件为空")}))
register(Check("load.syntax", "error", "The file is valid YAML or JSON", "文件符合 YAML 或 JSON 语法",
               {"json": ("invalid JSON: {detail}", "JSON 语法错误：{detail}"),
                "yaml": ("invalid YAML: {detail}", "YAML 语法错误：{detail}")}))
register(Check("load.multi-document", "error", "The file holds one YAML document", "文件只包含一个 YAML 文档",
               {"": ("the file holds more than one YAML document", "文件包含多个 YAML 文档")}))
register(Check("load.not-a-mapping", "error", "The top level of the card is a mapping of fields",
               "模型卡的顶层为字段映射",
               {"list": ("the top level of a model card must be a mapping of fields, not a list",
                         "模型卡的顶层应为字段映射，而不是列表"),
                "scalar": ("the top level of a model card must be a mapping of fields, not a single value",
                           "模型卡的顶层应为字段映射，而不是单个值")}))
register(Check("load.key", "error", "Mapping keys are plain strings", "映射的键为普通字符串",
               {"": ("mapping keys must be plain strings", "映射的键应为普通字符串")}))
register(Check("load.duplicate-key", "error", "No key appears twice in a mapping", "同一映射中的键不重复",
               {"": ("duplicate key {key!r}", "重复的键“{key}”")}))
register(Check("load.tag", "error", "Values are plain YAML values (no tags beyond the core schema)",
               "值为普通 YAML 值（不使用核心模式以外的标签）",
               {"not-allowed": ("the tag {tag} is not allowed; cards use plain YAML values only",
                                "不允许使用标签 {tag}；模型卡只能使用普通 YAML 值"),
                "bad-value": ("{value!r} is not a valid {tag}", "“{value}”不是有效的 {tag}")}))
register(Check("load.non-finite", "error", "Numbers are finite", "数值为有限值",
               {"json-constant": ("{value} is not allowed in a model card", "模型卡中不允许出现 {value}"),
                "json-overflow": ("the number {value} is too large to represent", "数值 {value} 过大，无法表示"),
                "yaml": ("{value} is not a finite number; NaN and infinities are not allowed",
                         "{value} 不是有限数值；不允许出现 NaN 和无穷大")}))
register(Check("load.int-range", "error", "Integers fit in 64 bits", "整数在 64 位范围内",
               {"": ("an integer exceeds the {bits}-bit range", "整数超出 {bits} 位范围")}))
register(Check("load.alias", "error", "Every alias refers to an anchor defined before it",
               "每个别名都引用在其之前定义的锚点",
               {"": ("unknown alias *{alias}", "未知的别名 *{alias}")}))
register(Check("load.too-deep", "error", "The document nests within the tool's depth limit",
               "文档嵌套不超出本工具的层数上限",
               {"": ("the document is nested more than {limit} levels deep", "文档嵌套超过 {limit} 层"),
                "aliases": ("the document is nested more than {limit} levels deep once its aliases are expanded",
                            "文档嵌套超过 {limit} 层（按别名展开后计）")}))
register(Check("load.alias-expansion", "error", "The document with its aliases expanded stays within the tool's limits",
               "按别名展开后的文档不超出本工具的上限",
               {"values": ("the document expands to more than {limit:,} values (aliases are limited)",
                           "文档展开后超过 {limit:,} 个值（别名展开受限）"),
                "text": ("the document expands to more than {limit:,} bytes of text (aliases are limited)",
                         "文档展开后文本超过 {limit:,} 字节（别名展开受限）")}))

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
MAX_NODES = 20_000
INT_BITS = 64
INT_LIMIT = 2 ** (INT_BITS - 1) - 1

_CORE = "tag:yaml.org,2002:"
_NULL = re.compile(r"^(?:~|null|Null|NULL|)$")
_BOOL = {"true": True, "True": True, "TRUE": True, "false": False, "False": False, "FALSE": False}
_INT = re.compile(r"^[-+]?[0-9]+$|^0o[0-7]+$|^0x[0-9a-fA-F]+$")
_FLOAT = re.compile(r"^[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?$")
_NONFINITE = re.compile(r"^(?:[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$")


class LoadedCard(Record):
    """A card's data with what is needed to locate problems in its text."""

    path: Path
    data: dict
    text: str
    sha256: str
    # (the data as built from the text, where each value was written): see build()
    _index: tuple | None
    __slots__ = tuple(__annotations__)
    _defaults = {"_index": None}

    def _walk(self, pointer: str) -> tuple[object, object, object, object]:
        """(the packed position of the value at ``pointer`` or of its nearest ancestor, whether the walk
        reached ``pointer``, the container holding that value, its key or index there)."""
        if self._index is None:
            positions: dict = {}
            try:  # a JSON card's locations come from reading its text as YAML, when a problem is reported
                self._index = (build(self.text, positions, 4 * len(self.text)), positions)
            except CardLoadError:  # locations are best effort; the data was already loaded
                self._index = (None, {})
        node, positions = self._index
        found, parent, key = positions.get(None), None, None
        for token in pointer.split("/")[1:] if pointer else ():
            children = positions.get(id(node))
            if children is None:
                return found, False, None, None
            if isinstance(node, dict):
                token = pointers.unescape(token)
                if token not in children:
                    return found, False, None, None
                parent, key = node, token
            else:
                if not token.isdigit() or int(token) >= len(children):
                    return found, False, None, None
                parent, key = node, int(token)
            found, node = children[key], node[key]
        return found, True, parent, key

    def locate(self, pointer: str) -> tuple[int | None, int | None]:
        """1-based line and column of the value at ``pointer`` (or of its nearest ancestor)."""
        found = self._walk(pointer)[0]
        return _unpack(found) if found is not None else (None, None)

    def scalar_text(self, pointer: str) -> str | None:
        """The text the card's file writes for the value at ``pointer`` when YAML read it as a number or
        true/false (``1.10`` for the 1.1 the data holds); None for any other value, or if unknown."""
        _, reached, parent, key = self._walk(pointer)
        if not reached or parent is None:
            return None
        return self._index[1].get((id(parent), key))


def read_card(path: str | os.PathLike, max_bytes: int = MAX_BYTES) -> LoadedCard:
    """Read and parse one card file; raise :class:`CardLoadError` if it is not a readable card."""
    p = Path(path)
    try:
        size = p.stat().st_size
    except OSError as exc:
        raise CardLoadError("load.io", "os-error", reason=exc.strerror) from None
    if not p.is_file():
        raise CardLoadError("load.io", "not-regular")
    if size > max_bytes:
        raise CardLoadError("load.too-large", "file", size=size, limit=max_bytes)
    try:
        with p.open("rb") as fh:
            raw = fh.read(max_bytes + 1)
    except OSError as exc:
        raise CardLoadError("load.io", "os-error", reason=exc.strerror) from None
    return parse_card_bytes(raw, p, max_bytes)


def parse_card_bytes(raw: bytes, path: Path, max_bytes: int = MAX_BYTES) -> LoadedCard:
    digest = hashlib.sha256(raw).hexdigest()
    text = _decode(raw)
    if not text.strip():
        raise CardLoadError("load.empty", line=1, column=1)
    positions: dict | None = None
    if path.suffix.lower() == ".json":
        data = _load_json(text)
    else:
        positions = {}
        data = build(text, positions, max_bytes)
    if not isinstance(data, dict):
        raise CardLoadError("load.not-a-mapping", "list" if isinstance(data, list) else "scalar", line=1, column=1)
    return LoadedCard(path, data, text, digest, (data, positions) if positions is not None else None)


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
        raise CardLoadError("load.encoding", "utf-16", line=1, column=1)
    nul = raw.find(b"\x00")
    if nul != -1:
        line = raw.count(b"\n", 0, nul) + 1
        raise CardLoadError("load.encoding", "nul-byte", line=line, offset=nul)
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        column = exc.start - (raw.rfind(b"\n", 0, exc.start) + 1) + 1
        raise CardLoadError("load.encoding", "invalid-utf-8", line=line, column=column, offset=exc.start) from None


# --------------------------------------------------------------------------- JSON


def _load_json(text: str):
    blank = _blank_escapes(text)
    _check_json_size(text, blank)

    def pairs(items):
        out = {}
        for key, value in items:
            if key in out:
                raise CardLoadError("load.duplicate-key", key=key)
            out[key] = value
        return out

    def constant(name):
        raise CardLoadError("load.non-finite", "json-constant", value=name)

    def integer(digits: str):
        if len(digits.lstrip("-")) > 19 or abs(int(digits)) > INT_LIMIT:
            raise CardLoadError("load.int-range", bits=INT_BITS)
        return int(digits)

    def number(digits: str):
        value = float(digits)
        if value in (float("inf"), float("-inf")):
            raise CardLoadError("load.non-finite", "json-overflow", value=digits)
        return value

    try:
        data = json.loads(text, object_pairs_hook=pairs, parse_constant=constant, parse_int=integer,
                          parse_float=number)
    except CardLoadError as exc:
        raise _with_json_location(exc, text, blank) from None
    except json.JSONDecodeError as exc:
        raise CardLoadError("load.syntax", "json", line=exc.lineno, column=exc.colno, detail=exc.msg) from None
    except RecursionError:
        raise _json_too_deep(text, blank) from None
    _check_lone_surrogates(text, blank)
    values = _count_json_values(data)
    if values is None:
        raise _json_too_deep(text, blank)
    if values > MAX_NODES:
        raise _json_too_many(text, blank)
    return data


# A JSON string in a text whose \\ and \" escapes are blanked out (_blank_escapes): one quantifier over
# a character class, so matching takes linear time and constant memory whatever the text holds.
_JSON_STRING = re.compile(r'"[^"]*"')


def _blank_escapes(text: str) -> str:
    """``text`` with each ``\\`` and ``\"`` escape replaced by two spaces (offsets unchanged), so that
    every remaining quote of a valid JSON text opens or closes a string."""
    return text.replace("\\\\", "  ").replace('\\"', "  ")


def _check_json_size(text: str, blank: str) -> None:
    """Refuse, before parsing, a JSON text that certainly holds more than MAX_NODES values.

    Every value but the first follows a comma outside strings, every ``[``/``{`` opens a value, and
    at least every other string is a value (the others are keys); counting these with ``str.count``
    keeps parsing from building millions of objects first. A text that nests too deep is reported as
    such, at the bracket that crosses the depth limit."""
    if blank.count('"') // 4 > MAX_NODES:
        raise _json_too_many(text, blank)
    if blank.count(",") + blank.count("[") + blank.count("{") >= MAX_NODES:  # strings may hold some of them
        bare = _JSON_STRING.sub("", blank)
        if bare.count(",") >= MAX_NODES or bare.count("[") + bare.count("{") > MAX_NODES:
            raise _json_too_many(text, blank)


# A string, or a comma or bracket outside strings.
_JSON_TOKEN = re.compile(r'"[^"]*"|[,\[\]{}]')


def _json_too_many(text: str, blank: str) -> CardLoadError:
    """The value-limit error, located where the text has certainly started more than MAX_NODES values;
    or the depth error, if the text first nests deeper than MAX_DEPTH (one pass, stopping at the first)."""
    return _json_scan(text, blank, count=True)


def _json_scan(text: str, blank: str, count: bool) -> CardLoadError:
    """One pass over the brackets and commas of a JSON text (strings skipped): the depth error where
    it first nests deeper than MAX_DEPTH; else, with ``count``, the value-limit error where it has
    started more than MAX_NODES values (each "[", "{" and "," starts one); unlocated if neither."""
    depth = values = 0
    for match in _JSON_TOKEN.finditer(blank):
        ch = match.group()[0]
        if ch == '"':
            continue
        if ch in "]}":
            depth -= 1
            continue
        values += 1
        if ch != ",":
            depth += 1
            if depth > MAX_DEPTH:
                return _json_depth_error(*_offset_location(text, match.start()))
        if count and values >= MAX_NODES:
            return _json_too_large(*_offset_location(text, match.start()))
    return _json_too_large(None, None) if count else _json_depth_error(None, None)


def _json_too_large(line: int | None, column: int | None) -> CardLoadError:
    return CardLoadError("load.too-large", "values", line=line, column=column, limit=MAX_NODES)


def _count_json_values(data) -> int | None:
    """How many values ``data`` holds, or None if mappings and lists nest more than MAX_DEPTH deep."""
    count = 0
    stack = [(data, 1)]
    while stack:
        value, depth = stack.pop()
        count += 1
        if isinstance(value, (dict, list)):
            if depth > MAX_DEPTH:
                return None
            children = value.values() if isinstance(value, dict) else value
            stack.extend((child, depth + 1) for child in children if isinstance(child, (dict, list)))
            count += sum(1 for child in children if not isinstance(child, (dict, list)))
    return count


# A \uD800-\uDBFF escape not followed by a \uDC00-\uDFFF one, or one of the latter not preceded by one of
# the former: the json module pairs escapes exactly so, and decodes an unpaired one to a lone surrogate.
# The pattern begins with the literal \u, so that the search skips ahead from one to the next.
_LONE_SURROGATE = re.compile(r"\\u(?:[dD][89abAB][0-9a-fA-F]{2}(?!\\u[dD][c-fC-F][0-9a-fA-F]{2})"
                             r"|(?<!\\u[dD][89abAB][0-9a-fA-F]{2}\\u)[dD][c-fC-F][0-9a-fA-F]{2})")


def _check_lone_surrogates(text: str, blank: str) -> None:
    """Refuse an escape that decodes to a lone UTF-16 surrogate: it is no character, and a card is UTF-8
    text (JSON escapes are the only way one can get in: UTF-8 cannot encode it and the YAML reader
    refuses the escape). Searched in the text with escaped backslashes blanked out, where every
    backslash left starts an escape."""
    match = _LONE_SURROGATE.search(blank)
    if match:
        line, column = _offset_location(text, match.start())
        raise CardLoadError("load.encoding", "lone-surrogate", line=line, column=column, escape=match.group())


_JSON_CONSTANT = re.compile(r'"[^"]*"|(-?Infinity|NaN)')


def _with_json_location(exc: CardLoadError, text: str, blank: str) -> CardLoadError:
    """Locate a JSON problem the standard library reports without a position."""
    issue = exc.issue
    if issue.rule == "load.non-finite":
        for match in _JSON_CONSTANT.finditer(blank):
            if match.group(1):
                exc.issue = issue.located(*_offset_location(text, match.start(1)))
                return exc
    try:
        build(text)
    except CardLoadError as located:
        if located.issue.rule == issue.rule:
            return located
    return exc


def _json_too_deep(text: str, blank: str) -> CardLoadError:
    """The depth error, located where a JSON text first nests deeper than MAX_DEPTH."""
    return _json_scan(text, blank, count=False)


def _json_depth_error(line: int | None, column: int | None) -> CardLoadError:
    return CardLoadError("load.too-deep", line=line, column=column, limit=MAX_DEPTH)


# --------------------------------------------------------------------------- YAML


def _mark(mark) -> tuple[int, int]:
    return (mark.line + 1, mark.column + 1)


def _error(rule: str, mark, variant: str = "", **params) -> CardLoadError:
    """The error of check ``rule`` at a YAML parser's ``mark`` (if any)."""
    line, column = _mark(mark) if mark is not None else (None, None)
    return CardLoadError(rule, variant, line=line, column=column, **params)


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
        raise _error("load.tag", event.start_mark, "not-allowed", tag=tag)
    else:
        tag = tag[len(_CORE):]
        if tag not in ("str", "int", "float", "bool", "null"):
            raise _error("load.tag", event.start_mark, "not-allowed", tag=f"!!{tag}")
        if tag == "str":
            return value
    if tag in (None, "null") and _NULL.match(value):
        return None
    if tag in (None, "bool") and value in _BOOL:
        return _BOOL[value]
    if tag in (None, "int") and _INT.match(value):
        if len(value) > 21:
            raise _error("load.int-range", event.start_mark, bits=INT_BITS)
        number = int(value, 0) if value.startswith(("0o", "0x")) else int(value)
        if abs(number) > INT_LIMIT:
            raise _error("load.int-range", event.start_mark, bits=INT_BITS)
        return number
    if tag in (None, "float") and (_FLOAT.match(value) or _NONFINITE.match(value)):
        number = float("nan") if _NONFINITE.match(value) else float(value)
        if number != number or number in (float("inf"), float("-inf")):
            raise _error("load.non-finite", event.start_mark, "yaml", value=value)
        return number
    if tag is None:
        return value
    raise _error("load.tag", event.start_mark, "bad-value", value=value, tag=f"!!{tag}")


def build(text: str, positions: dict | None = None, max_text: int = MAX_BYTES):  # noqa: C901 - one pass over the events
    """Build plain data from YAML text.

    The limits apply to the document as its aliases expand it: at most ``MAX_NODES`` values, ``MAX_DEPTH``
    levels of nesting and ``max_text`` bytes of keys and scalar text (UTF-8). A document without aliases
    never holds more text than its file, so only aliases can reach that limit.

    If ``positions`` is a dict, it is filled with where each value was written: for every mapping and
    list (by ``id``), the packed line and column (:func:`_unpack`) of each of its entries, and under
    the key ``None`` those of the root; and with the text as written of each plain scalar read as a
    number or true/false, under the key ``(id of its mapping or list, its key or index)``.
    """
    anchors: dict[str, tuple] = {}  # name -> (value, values, text bytes, height)
    # Each frame: [container, pending key, anchor, is_mapping, key mark, values before, bytes before,
    #              height of the tallest child, positions of the children (or None)]
    stack: list[list] = []
    root = None
    values = text_bytes = 0
    aliased = False
    documents = 0
    # The event classes and the parser's methods as locals: this loop runs once per event, and
    # looking them up on the module costs as much as the work done with them.
    scalar_event, alias_event = yaml.ScalarEvent, yaml.AliasEvent
    mapping_start, mapping_end = yaml.MappingStartEvent, yaml.MappingEndEvent
    sequence_start, sequence_end = yaml.SequenceStartEvent, yaml.SequenceEndEvent
    document_start = yaml.DocumentStartEvent
    skipped = (yaml.StreamStartEvent, yaml.StreamEndEvent, yaml.DocumentEndEvent)
    scalar, utf8_len, no_key = _scalar, _utf8_len, _NO_KEY
    record = positions is not None
    try:
        parser = _Parser(text)
        check_event, get_event = parser.check_event, parser.get_event
        while check_event():
            event = get_event()
            etype = type(event)
            if etype in skipped:
                continue
            if etype is document_start:
                documents += 1
                if documents > 1:
                    raise _error("load.multi-document", event.start_mark)
                continue
            if stack:
                frame = stack[-1]
                if frame[3] and frame[1] is no_key and etype is not mapping_end:
                    # This event is a mapping key.
                    if etype is not scalar_event:
                        raise _error("load.key", event.start_mark)
                    key = event.value
                    if key in frame[0]:
                        raise _error("load.duplicate-key", event.start_mark, key=key)
                    frame[1] = key
                    frame[4] = event.start_mark
                    text_bytes += len(key) if key.isascii() else utf8_len(key)
                    continue
            if etype is scalar_event:
                scalar_text = event.value
                value = scalar(event)
                size_bytes = len(scalar_text) if scalar_text.isascii() else utf8_len(scalar_text)
                values += 1
                text_bytes += size_bytes
                height = 0
                if event.anchor is not None:
                    anchors[event.anchor] = (value, 1, size_bytes, 0)
            elif etype is mapping_start or etype is sequence_start:
                tag = event.tag
                is_map = etype is mapping_start
                if tag is not None and tag != "!" and tag != (_CORE + "map" if is_map else _CORE + "seq"):
                    raise _error("load.tag", event.start_mark, "not-allowed", tag=tag)
                if len(stack) >= MAX_DEPTH:
                    raise _too_deep(event.start_mark)
                values += 1
                if values > MAX_NODES:
                    raise _too_large(values, text_bytes, max_text, aliased, event)
                container = {} if is_map else []
                children = None
                if record:
                    children = positions[id(container)] = {} if is_map else []
                    mark = event.start_mark
                    if stack:
                        frame = stack[-1]
                        if frame[3]:  # a mapping value is where its key is (where a reader looks for "field X")
                            key_mark = frame[4]
                            frame[8][frame[1]] = (key_mark.line + 1) << 32 | (key_mark.column + 1)
                        else:  # a list item where it starts
                            frame[8].append((mark.line + 1) << 32 | (mark.column + 1))
                    else:
                        positions[None] = (mark.line + 1) << 32 | (mark.column + 1)
                stack.append([container, no_key, event.anchor, is_map, None, values - 1, text_bytes, 0, children])
                continue
            elif etype is mapping_end or etype is sequence_end:
                frame = stack.pop()
                value, height = frame[0], frame[7] + 1
                if frame[2] is not None:
                    anchors[frame[2]] = (value, values - frame[5], text_bytes - frame[6], height)
                if not stack:
                    root = value
                    continue
            elif etype is alias_event:
                if event.anchor not in anchors:
                    raise _error("load.alias", event.start_mark, alias=event.anchor)
                value, size, size_bytes, height = anchors[event.anchor]
                aliased = True
                if len(stack) + height > MAX_DEPTH:
                    raise _too_deep(event.start_mark, aliased=True)
                values += size
                text_bytes += size_bytes
            else:  # pragma: no cover - no other event types exist
                continue
            if values > MAX_NODES or text_bytes > max_text:
                raise _too_large(values, text_bytes, max_text, aliased, event)
            if not stack:
                root = value
                continue
            frame = stack[-1]
            if frame[3]:
                if record and etype is not mapping_end and etype is not sequence_end:
                    key_mark = frame[4]
                    frame[8][frame[1]] = (key_mark.line + 1) << 32 | (key_mark.column + 1)
                    if etype is scalar_event and value is not None and value.__class__ is not str:
                        positions[(id(frame[0]), frame[1])] = event.value
                frame[0][frame[1]] = value
                frame[1] = no_key
            else:
                if record and etype is not mapping_end and etype is not sequence_end:
                    mark = event.start_mark
                    frame[8].append((mark.line + 1) << 32 | (mark.column + 1))
                    if etype is scalar_event and value is not None and value.__class__ is not str:
                        positions[(id(frame[0]), len(frame[0]))] = event.value
                frame[0].append(value)
            if height > frame[7]:
                frame[7] = height
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        problem = exc.problem or exc.context or "invalid YAML"
        if "nesting depth" in problem:  # libyaml (0.2.5+) stops deep flow nesting itself, ahead of our events
            raise _too_deep(mark) from None
        raise _error("load.syntax", mark, "yaml", detail=problem) from None
    except yaml.reader.ReaderError as exc:
        line, column = _offset_location(text, exc.position)
        raise CardLoadError("load.encoding", "control-character", line=line, column=column,
                            code_point=exc.character) from None  # the reader gives the code point (an int)
    except yaml.YAMLError as exc:
        raise CardLoadError("load.syntax", "yaml", detail=str(exc)) from None
    return root


def _utf8_len(text: str) -> int:
    return len(text) if text.isascii() else len(text.encode("utf-8", "surrogatepass"))


def _too_deep(mark, aliased: bool = False) -> CardLoadError:
    return _error("load.too-deep", mark, "aliases" if aliased else "", limit=MAX_DEPTH)


def _too_large(values: int, text_bytes: int, max_text: int, aliased: bool, event) -> CardLoadError:
    """The error for an expanded document over the limits (aliases count as often as they are used)."""
    if values > MAX_NODES:
        if aliased:
            return _error("load.alias-expansion", event.start_mark, "values", limit=MAX_NODES)
        return _error("load.too-large", event.start_mark, "values", limit=MAX_NODES)
    # only reachable through aliases: without them the text fits in the file
    return _error("load.alias-expansion", event.start_mark, "text", limit=max_text)


def _offset_location(text: str, offset: int) -> tuple[int, int]:
    line = text.count("\n", 0, offset) + 1
    return line, offset - (text.rfind("\n", 0, offset) + 1) + 1


class _NoKey:
    __slots__ = ()


_NO_KEY = _NoKey()


def _unpack(packed: int) -> tuple[int, int]:
    return packed >> 32, packed & 0xFFFFFFFF
