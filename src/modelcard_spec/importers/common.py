"""What the importers share: reading a source under the card loader's limits (refusals are
:class:`SourceError`, diagnostics of the ``import.*`` checks registered here), the card under
construction with its provenance and its extensions, the move of what the schema rejects into
``extensions``, the schema's metric names, and the card as YAML."""

from __future__ import annotations

import bisect
import hashlib
import itertools
import json
import os
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from ..spec.version import __version__
from ..spec import pointers
from ..spec.resources import catalogue_data, schema_index
from ..spec.diagnostics import CardLoadError, DiagnosticError, diagnostic
from ..spec.registry import Check, register

# The refusals of a source. ``what``/``what_zh`` name the part of the source a message is about
# ("the MONAI metadata", "the YAML front matter"); ``file`` is a path within the folder given;
# ``reason`` is what the operating system said, in English (``reason``/``reason_zh`` of a file in a
# folder: the containment rule's own words); ``problem``/``problem_zh`` are the card loader's
# diagnostic of the text (see :func:`parse`), whose check is ``cause``; ``line_number`` and
# ``column_number`` count in the source file (the issue is located there too).
register(Check("import.no-source", "error", "The source to import exists", "要导入的来源存在",
               {"missing": ("no such file or folder", "文件或文件夹不存在"),
                "special": ("not a regular file or folder", "不是普通文件或文件夹")}, scope="command"))
register(Check("import.unreadable", "error", "The source can be read", "来源可以读取",
               {"not-regular": ("not a regular file", "不是普通文件"),
                "os-error": ("cannot read the file: {reason}", "无法读取文件：{reason}"),
                "source-os-error": ("cannot read the source: {reason}", "无法读取来源：{reason}"),
                "in-folder": ("{file} {reason}", "{file} {reason_zh}")}, scope="command"))
register(Check("import.outside-folder", "error", "A source found in a folder lies inside it",
               "在文件夹中找到的来源位于该文件夹内",
               {"": ("{file} leads outside the folder given: a file found in a source folder is read only "
                     "if its real location, after symbolic links, lies inside that folder",
                     "{file} 指向所给文件夹之外：来源文件夹中的文件，仅当其实际位置（解析符号链接后）"
                     "位于该文件夹内时才会读取")}, scope="command"))
register(Check("import.too-large", "error", "The source stays within the importer's limits",
               "来源不超出导入工具的上限",
               {"file": ("the file is {size:,} bytes, over this tool's limit for a source file ({limit:,} bytes)",
                         "文件大小为 {size:,} 字节，超过本工具对来源文件的上限（{limit:,} 字节）"),
                "grew": ("the file is larger than this tool's limit for a source file ({limit:,} bytes)",
                         "文件超过本工具对来源文件的上限（{limit:,} 字节）"),
                "values": ("{what} holds more than {limit:,} values (aliases expanded); model descriptions "
                           "hold a few hundred",
                           "{what_zh}含有超过 {limit:,} 个值（别名已展开）；模型描述通常只有几百个值"),
                "characters": ("{what} expands to more than {limit:,} characters (aliases are limited)",
                               "{what_zh}展开后超过 {limit:,} 个字符（别名展开受限）"),
                "unplaced": ("the source holds more than {limit:,} values that have no place in a model card "
                             "(they would be kept in extensions); it is not a model description this importer can use",
                             "来源中有超过 {limit:,} 个值在模型卡中没有对应位置（这些值将保留在 extensions 中）；"
                             "该来源不是本导入工具可用的模型描述")}, scope="command"))
register(Check("import.empty", "error", "The source is not empty", "来源不为空",
               {"": ("the file is empty", "文件为空")}, scope="command"))
register(Check("import.unparsable", "error", "The source is text the card loader accepts",
               "来源为模型卡加载器可接受的文本",
               {"": ("{what}: {problem}", "{what_zh}：{problem_zh}"),
                "line": ("{what}, line {line_number}: {problem}", "{what_zh}第 {line_number} 行：{problem_zh}"),
                "line-column": ("{what}, line {line_number}, column {column_number}: {problem}",
                                "{what_zh}第 {line_number} 行第 {column_number} 列：{problem_zh}")}, scope="command"))
register(Check("import.not-unicode", "error", "The source holds Unicode text only", "来源只含 Unicode 文本",
               {"": ("{what} holds a lone surrogate (\\ud800-\\udfff), which is not Unicode text",
                     "{what_zh}含有孤立的 UTF-16 代理项（\\ud800-\\udfff），不是有效的 Unicode 文本")}, scope="command"))
register(Check("import.not-a-mapping", "error", "The source's description is a mapping of keys",
               "来源中的描述为键值映射",
               {"": ("{what} is not a mapping", "{what_zh}不是映射"),
                "json-list": ("{what} must be a JSON object, not a list", "{what_zh}应为 JSON 对象，而不是列表"),
                "json-scalar": ("{what} must be a JSON object, not a single value",
                                "{what_zh}应为 JSON 对象，而不是单个值")}, scope="command"))

# The card loader and the structural check are imported where they are used: the command line
# reads the table of importers (for its choices) whatever the command.

IMPORTER = f"modelcard-spec import {__version__}"


# Bounds on what a source may hold. Real ones are far below: the largest MONAI metadata of the Model
# Zoo holds about 400 values and a few dozen that go to extensions. Cards made from sources many
# times larger would take seconds to check and print, for no use.
MAX_SOURCE_VALUES = 5000
MAX_EXTENSIONS = 1000


class SourceError(DiagnosticError):
    """A source that cannot be imported (exit code 2): the diagnostic of one of the ``import.*``
    checks registered above, rendered in both languages from its parameters. ``str()`` is the
    English message."""


def read_source(path: Path, folder: Path | None = None) -> bytes:
    """The bytes of a source file, under the size limit of cards; only regular files are read.

    ``folder``: the folder given on the command line in which ``path`` was found. The file is then
    read only if its real location, after every symbolic link, lies inside that folder — the
    containment rule of evidence files (:func:`..spec.evidence.open_evidence`), so a link in a bundle cannot
    copy an outside file into the card. A file named on the command line itself is read where it
    leads: that is the user's choice."""
    from ..check import loading

    try:
        if folder is None:
            if not path.is_file():
                raise SourceError("import.unreadable", "not-regular")
            source = path.open("rb")
        else:
            source = os.fdopen(_open_inside(folder, path), "rb")
        with source:
            size = os.fstat(source.fileno()).st_size
            if size > loading.MAX_BYTES:
                raise SourceError("import.too-large", "file", size=size, limit=loading.MAX_BYTES)
            raw = source.read(loading.MAX_BYTES + 1)
    except OSError as exc:
        raise SourceError("import.unreadable", "os-error", reason=str(exc.strerror or exc)) from None
    if len(raw) > loading.MAX_BYTES:  # it grew while being read
        raise SourceError("import.too-large", "grew", limit=loading.MAX_BYTES)
    return raw


def _open_inside(folder: Path, path: Path) -> int:
    """A read-only descriptor of the regular file ``path`` found in ``folder``, whose real location
    lies inside ``folder``; :class:`SourceError` naming the path within the folder otherwise."""
    from ..spec.evidence import EvidenceError, open_evidence

    rel = path.relative_to(folder).as_posix()
    try:
        return open_evidence(folder, rel)
    except EvidenceError as exc:
        if exc.outside:
            raise SourceError("import.outside-folder", file=rel) from None
        raise SourceError("import.unreadable", "in-folder", file=rel, reason=exc.reason, reason_zh=exc.reason_zh) from None


def parse(text: str, is_json: bool, what: str, what_zh: str, first_line: int = 1):
    """Parse source text with the card loader's rules and limits; problems become located SourceErrors."""
    from ..check import loading

    try:
        data = loading.parse_untrusted(text, is_json)
    except CardLoadError as exc:
        raise _located(exc, what, what_zh, first_line) from None
    _check_bounds(data, what, what_zh)
    return data


def decode(raw: bytes) -> str:
    from ..check import loading

    try:
        text = loading.decode_untrusted(raw)
    except CardLoadError as exc:
        raise _located(exc, "the file", "文件", 1) from None
    if not text.strip():
        raise SourceError("import.empty")
    return text


def _located(exc: CardLoadError, what: str, what_zh: str, first_line: int) -> SourceError:
    """The loader's refusal of source text, located in the source file (the text may start at
    ``first_line``)."""
    issue = exc.issue
    said = {"what": what, "what_zh": what_zh, "problem": issue.message, "problem_zh": issue.message_zh,
            "cause": issue.rule}
    if issue.line is None:
        return SourceError("import.unparsable", **said)
    line = issue.line + first_line - 1
    if issue.column:
        return SourceError("import.unparsable", "line-column", line=line, column=issue.column, line_number=line,
                           column_number=issue.column, **said)
    return SourceError("import.unparsable", "line", line=line, line_number=line, **said)


_SURROGATE = re.compile("[\ud800-\udfff]")


def _check_bounds(data, what: str, what_zh: str) -> None:
    """Refuse data that, with its aliases expanded, holds more values than a model description does
    or is larger than a card may be (the importer copies values into the card and its extensions),
    or that holds lone surrogates (not Unicode text). Shared values are measured once, so this takes
    time in proportion to the parsed source."""
    from ..check import loading

    memo: dict[int, tuple[int, int]] = {}

    def measure(value) -> tuple[int, int]:  # (characters, values)
        known = memo.get(id(value))
        if known is not None:
            return known
        if isinstance(value, str):
            if not value.isascii() and _SURROGATE.search(value):
                raise SourceError("import.not-unicode", what=what, what_zh=what_zh)
            size, count = len(value) + 2, 1
        elif isinstance(value, (dict, list)):
            parts = [measure(v) for v in (itertools.chain.from_iterable(value.items()) if isinstance(value, dict) else value)]
            size, count = sum(p[0] for p in parts) + 2, sum(p[1] for p in parts) + 1
        else:
            size, count = len(repr(value)), 1
        if count > MAX_SOURCE_VALUES:
            raise SourceError("import.too-large", "values", what=what, what_zh=what_zh, limit=MAX_SOURCE_VALUES)
        if size > loading.MAX_BYTES:
            raise SourceError("import.too-large", "characters", what=what, what_zh=what_zh, limit=loading.MAX_BYTES)
        if isinstance(value, (str, dict, list)):
            memo[id(value)] = (size, count)
        return size, count

    measure(data)


def as_dict(value) -> dict:
    return value if isinstance(value, dict) else {}


def as_list(value) -> list:
    return value if isinstance(value, list) else []


def as_str(value) -> str | None:
    return value if isinstance(value, str) else None


register(Check("import.unread", "warning", "Every part of the source the importer looks for can be read",
               "导入工具查找的来源各部分均可读取",
               {"": ("{file} was not read: {reason}", "未读取 {file}：{reason_zh}"),
                "absent": ("{file} was not read: there is no such file in the source folder",
                           "未读取 {file}：来源文件夹中没有该文件")}, scope="command"))
register(Check("import.unplaced", "info", "What the source states has a place in the card or is kept in extensions",
               "来源载明的内容在模型卡中有对应位置，或保留在 extensions 中",
               {"verbatim": ("{key} could not be placed in the card (at {at}, the card would not pass the schema "
                             "check: a value out of its vocabulary, or a required field the source does not give): "
                             "kept verbatim in extensions as {name}",
                             "{key} 未能放入模型卡（放在 {at} 处将不能通过结构检查：取值不在取值范围内，或缺少来源未提供的"
                             "必填字段）：已原样保留在 extensions 中，名称为 {name}"),
                "made": ("the value made from {key} could not be placed in the card (at {at}, the card would not "
                         "pass the schema check): kept in extensions as {name}, as the importer made it (not the "
                         "source's text)",
                         "由 {key} 得到的值未能放入模型卡（放在 {at} 处将不能通过结构检查）：已按导入工具得到的形式"
                         "（而非来源原文）保留在 extensions 中，名称为 {name}"),
                "nothing": ("{key} gives nothing the card has a field for: kept verbatim in extensions as {name}",
                            "{key} 中没有模型卡有对应字段的内容：已原样保留在 extensions 中，名称为 {name}")},
               scope="command"))


@dataclass(frozen=True)
class Source:
    """One file of a source: its name (as the provenance's ``source`` gives it) and its SHA-256."""

    name: str
    sha256: str | None


@dataclass
class _Record:
    """How the value at one pointer of the card came to be: from the source ``source`` at ``key``
    (``origin`` imported), or derived from it by the documented ``rule`` (``origin`` inferred).
    ``original``: the source's own value, kept verbatim in extensions if the card's value has to go."""

    origin: str
    source: Source
    key: str | None
    rule: str | None = None
    original: object = None
    name: str | None = None


_MISSING = pointers.MISSING


class Card:
    """A card under construction from one source.

    Every value is set with :meth:`put` (stated by the source), :meth:`infer` (derived by a documented
    rule) or :meth:`place` (an object built from one item of the source), each recorded with where in
    which file of the source it was found, and given its provenance entry by :meth:`finish`. What has no
    place goes verbatim to ``extensions`` by :meth:`keep`. An object the schema rejects is taken out
    by :meth:`finish`, and the source's own value of what it was made from is kept in its place.
    ``notes`` receives the ``import.*`` diagnostics of what could not be read or placed."""

    def __init__(self, source_name: str, source_sha256: str | None, notes: list | None = None, fmt: str = ""):
        self.data: dict = {"schema_version": schema_index()["schema_version"]}
        self.records: dict[tuple, _Record] = {}
        self.extensions: list[dict] = []
        self.main = Source(source_name, source_sha256)
        self.notes = notes if notes is not None else []
        self.fmt = fmt

    def source(self, name: str, raw: bytes) -> Source:
        """Another file of the same source (a bundle's licence, its inference configuration)."""
        return Source(name, hashlib.sha256(raw).hexdigest())

    def _set(self, pointer: str, value, record: _Record) -> tuple | None:
        parts = pointers.tokens(pointer)
        node = self.data
        for i, part in enumerate(parts[:-1]):
            nxt = parts[i + 1]
            if isinstance(node, list):
                node = node[int(part)]
                continue
            node = node.setdefault(part, [] if nxt == "-" or pointers.is_index(nxt) else {})
        last = parts[-1]
        if isinstance(node, list):
            if last == "-":
                last = str(len(node))
                node.append(value)
            else:
                node[int(last)] = value
        else:
            node[last] = value
        where = (*parts[:-1], last)
        self.records[where] = record
        return where

    def put(self, pointer: str, value, key: str | None = None, source: Source | None = None) -> None:
        """Set ``pointer`` (``/-`` at the end appends to a list) to ``value``, which the source states at
        ``key`` (a JSON Pointer into the file, or a named part of a text); nothing if there is no value."""
        if not _empty(value):
            self._set(pointer, value, _Record("imported", source or self.main, key))

    def infer(self, pointer: str, value, rule: str, key: str | None = None, source: Source | None = None) -> None:
        """Set ``pointer`` to ``value``, derived by the documented ``rule`` from what the source states at
        ``key``; its provenance says ``inferred`` and names the rule."""
        if not _empty(value):
            self._set(pointer, value, _Record("inferred", source or self.main, key, rule))

    def place(self, pointer: str, value, key: str, original, source: Source | None = None,
              name: str | None = None) -> None:
        """Set ``pointer`` to the object ``value`` built from the one source item ``original`` found at
        ``key``. If the schema rejects the object (or the object it goes into), :meth:`finish` takes it
        out and keeps ``original`` verbatim in extensions under ``name`` (default ``<format>:<key>``);
        the items beside it stay. An item from which nothing could be built is kept so at once."""
        name = name or (f"{self.fmt}:{key}" if self.fmt else key)
        if _empty(value):
            self._keep_whole(key, name, original)
            return
        self._set(pointer, value, _Record("imported", source or self.main, key, None, original, name))

    def _keep_whole(self, key: str, name: str, original) -> None:
        """Keep a source item the card has no place for verbatim (an empty one as its JSON text), and say so."""
        self.keep(name, original if not _empty(original) else json.dumps(original))
        self._note_unplaced(key, name, "nothing")

    def keep(self, name: str, value) -> None:
        """Keep ``value`` verbatim in ``extensions`` under ``name``: a string as it is, anything else as
        its JSON text; never cut."""
        if value in (None, "", [], {}):
            return
        if len(self.extensions) >= MAX_EXTENSIONS:
            raise SourceError("import.too-large", "unplaced", limit=MAX_EXTENSIONS)
        text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)  # the source's key order
        self.extensions.append({"name": name, "value": text})

    def unread(self, file: str, reason: str | None = None, reason_zh: str | None = None) -> None:
        """Report a part of the source that could not be read (``reason`` in both languages, or none:
        the file is absent); the import goes on without it."""
        if reason is None:
            self.notes.append(diagnostic("import.unread", "", "absent", file=file))
        else:
            self.notes.append(diagnostic("import.unread", "", file=file, reason=reason, reason_zh=reason_zh))

    def finish(self) -> dict:
        catalogue = catalogue_data()
        self.data["conformity"] = {"standard": catalogue["standard"], "catalogue_version": catalogue["catalogue_version"],
                                   "claim_all": True}
        _make_structurally_valid(self)
        if self.extensions:
            self.data["extensions"] = self.extensions
        prov = []
        for where in sorted(self.records, key=_order):
            record = self.records[where]
            p = _pointer(where)
            if not _resolves(self.data, p):
                continue
            entry = {"pointer": p, "origin": record.origin, "source": f"{IMPORTER}, {record.source.name}"}
            if record.source.sha256:
                entry["source_sha256"] = record.source.sha256
            if record.key:
                entry["source_key"] = record.key
            if record.rule:
                entry["rule"] = record.rule
            prov.append(entry)
        self.data["provenance"] = prov
        order = schema_index()["classes"]["ModelCard"]["slot_order"]
        return {k: self.data[k] for k in order if k in self.data}

    def _remove(self, target: tuple, kept: list) -> None:
        """Take the value at ``target`` out of the card and add to ``kept`` (as (key, name, value,
        wording, place) in document order) what it was made of: the source's own item of every object placed
        in it, and every other value in it under ``unplaced:<pointer>`` (a value the importer made, or
        read and converted, is not the source's verbatim text). The records of the values after it in
        its list are renumbered by :func:`_make_structurally_valid` once per round."""
        parent = self.data
        for part in target[:-1]:
            parent = parent[int(part)] if isinstance(parent, list) else parent[part]
        value = parent.pop(int(target[-1]) if isinstance(parent, list) else target[-1])
        inside = sorted((w for w in self.records if w[:len(target)] == target), key=_order)
        records = {where: self.records.pop(where) for where in inside}
        for where, record in records.items():
            outer = next((where[:n] for n in range(len(target), len(where)) if where[:n] in records
                          and records[where[:n]].original is not None), None)
            if outer is not None and records[outer].source == record.source and record.key and records[outer].key \
                    and (record.key + "/").startswith(records[outer].key.rstrip("/") + "/"):
                continue  # part of an item kept whole, as the source gave it
            if record.original is not None:
                kept.append((record.key or _pointer(where), record.name, record.original, "verbatim", _pointer(target)))
            else:
                part = _at(value, where[len(target):])
                if part is not _MISSING:
                    kept.append((record.key or _pointer(where), f"unplaced:{_pointer(where)}", part, "made", _pointer(target)))
        if records:
            return  # what no record covers inside the value is the importer's own structure
        above = next((target[:n] for n in range(len(target) - 1, 0, -1) if target[:n] in self.records), None)
        key = (self.records[above].key if above is not None else None) or _pointer(target)
        kept.append((key, f"unplaced:{_pointer(target)}", value, "made", _pointer(target)))

    def _note_unplaced(self, key: str, name: str, wording: str, at: str = "") -> None:
        self.notes.append(diagnostic("import.unplaced", "", wording, key=key, name=name, **({"at": at} if at else {})))




def _empty(value) -> bool:
    return value is None or (isinstance(value, (str, list, dict)) and not value)


def _pointer(where: tuple) -> str:
    return "/" + "/".join(pointers.escape(t) for t in where)


def _order(where: tuple):
    return [(0, int(x), "") if pointers.is_index(x) else (1, 0, x) for x in where]


def _at(value, rest: tuple):
    """The part of ``value`` at the relative path ``rest``."""
    return pointers.resolve(value, rest)


def _resolves(data, pointer: str) -> bool:
    return _at(data, tuple(pointers.tokens(pointer))) is not _MISSING


def _make_structurally_valid(card: Card) -> None:
    """Move every object the schema rejects (a required field missing, a value out of its enum)
    into ``extensions`` until the card passes the structural check. Each round moves everything the
    check reports, deepest first, so a source with many such objects takes a few rounds, not one each.
    An item placed with :meth:`Card.place` goes whole, as the source gave it."""
    from ..check import structural

    for _ in range(20):
        targets = set()
        places = structural.error_places(card.data)
        if places is None:  # the compiled validator cannot judge it: the full check says where
            places = [(tuple(pointers.tokens(i.path))[:-1], True) if i.rule.endswith("required")
                      else (tuple(pointers.tokens(i.path)), False)
                      for i in structural.check(card.data, card.data.get("provider_kind")) if i.severity == "error"]
        for target, _ in places:
            # a missing field: the object that lacks it cannot be formed; a bad value: drop the value
            if not target or target == ("",):
                continue  # a required part of the card itself is missing: validation will report it
            placed = next((target[:n] for n in range(1, len(target) + 1)
                           if target[:n] in card.records and card.records[target[:n]].original is not None), None)
            targets.add(placed or target)
        # an object inside another one that moves goes with it; list items go last index first
        targets = {t for t in targets if not any(t[:n] in targets for n in range(1, len(t)))}
        kept: list = []
        removed: dict[tuple, list[int]] = {}  # list -> the indices taken out of it
        for target in sorted(targets, key=_order, reverse=True):
            if _at(card.data, target) is _MISSING:
                continue
            found: list = []
            card._remove(target, found)
            kept[:0] = found
            if pointers.is_index(target[-1]) and isinstance(_at(card.data, target[:-1]), list):
                removed.setdefault(target[:-1], []).append(int(target[-1]))
        if not kept and not removed:
            return
        _renumber(card, removed)
        for key, name, value, wording, at in kept:  # in document order
            card.keep(name, value if not _empty(value) else json.dumps(value))
            card._note_unplaced(key, name, wording, at)
        _prune_empty(card.data)


def _renumber(card: Card, removed: dict[tuple, list[int]]) -> None:
    """Renumber the records after items were taken out of lists: an index in one of those lists goes
    down by the number of items taken out before it."""
    if not removed:
        return
    gone = {parent: sorted(indices) for parent, indices in removed.items()}
    moved = {}
    for where, record in card.records.items():
        new = list(where)
        for n in range(len(where)):
            indices = gone.get(where[:n])
            if indices and pointers.is_index(where[n]):
                new[n] = str(int(where[n]) - bisect.bisect_left(indices, int(where[n])))
        moved[tuple(new)] = record
    card.records = moved


def _prune_empty(node) -> None:
    if isinstance(node, dict):
        for k in list(node):
            _prune_empty(node[k])
            if node[k] in ({}, []) and k not in ("limitations", "unsupported_uses"):
                del node[k]
    elif isinstance(node, list):
        for item in node:
            _prune_empty(item)


def slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "model"


@lru_cache(maxsize=1)
def _metric_names() -> dict[str, str]:
    """Normalised name, title or alias (also + "coefficient" / + "score" dropped) -> Metric value: a
    value's own name before any title or alias (the annex's "false positive rate" is an alias of the
    case-level rate, while false_positive_rate is the sample-level one). Curves and matrices are left
    out: a source's single number is never one (an "froc" score is not the FROC curve)."""
    table: dict[str, str] = {}
    values = {value: meta for value, meta in schema_index()["enums"]["Metric"]["values"].items()
              if meta["annotations"].get("kind") not in ("curve", "table")}
    for own_name in (True, False):
        for value, meta in values.items():
            for name in (value,) if own_name else (meta["title"], *meta.get("aliases", [])):
                norm = re.sub(r"[^a-z0-9]", "", name.lower())
                for suffix in ("", "coefficient", "score"):
                    if suffix == "" or (norm.endswith(suffix) and len(norm) > len(suffix)):
                        table.setdefault(norm[: len(norm) - len(suffix)], value)
    return table


def metric_of(key: str) -> str | None:
    """The schema's Metric value a source metric name denotes, by name, title or alias."""
    norm = re.sub(r"[^a-z0-9]", "", key.lower())
    norm = re.sub(r"^(mean|avg|average|val|test|eval)", "", norm)
    if norm and norm in _metric_names():
        return _metric_names()[norm]
    return {"dice": "dice_coefficient", "f1": "f1_measure", "iou": "intersection_over_union",
            "acc": "accuracy", "auroc": "auc", "hd95": "hausdorff_distance_95", "psnr": "peak_signal_to_noise_ratio",
            "ssim": "structural_similarity", "kappa": "kappa_coefficient", "fid": "frechet_inception_distance"}.get(norm)


register(Check("import.declared-not-used", "warning", "A value the user declares is one the source does not give",
               "用户声明的值是来源未提供的值",
               {"": ("the source states {pointer} ('{stated}'): the value given on the command line ('{declared}') "
                     "was not used; change the card if the source is wrong",
                     "来源已载明 {pointer}（“{stated}”）：未采用命令行给出的值（“{declared}”）；"
                     "如来源有误，请修改模型卡")}, scope="command"))


def declare(card: Card, declared: dict | None) -> None:
    """Set the values the user declares (``--version``, ``--provider``, ``--provider-kind``) where the
    source states none; they are the provider's declaration, so they get no provenance entry. Where the
    source states one, the source's value stays and a note says the declared one was not used."""
    for key, value in (declared or {}).items():
        if value is None:
            continue
        where = ("provider", "name") if key == "provider_name" else (key,)
        if where in card.records:
            card.notes.append(diagnostic("import.declared-not-used", "", pointer=_pointer(where),
                                         stated=str(_at(card.data, where)), declared=str(value)))
        elif key == "provider_name":
            card.data.setdefault("provider", {})["name"] = value
        else:
            card.data[key] = value


def dump(card: dict) -> str:
    from ..spec.textsafe import yaml_dump

    return yaml_dump(card, sort_keys=False, width=100)  # reordering characters as escapes, never raw
