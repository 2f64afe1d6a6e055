"""What the importers share: reading a source under the card loader's limits (refusals are
:class:`SourceError`, in English and Chinese), the card under construction with its provenance
and its extensions, the move of what the schema rejects into ``extensions``, the schema's metric
names, and what a batch writes: the card as YAML, its coverage per area, and a safe file name."""

from __future__ import annotations

import hashlib
import itertools
import json
import os
import re
from functools import lru_cache
from pathlib import Path

from ..spec.version import __version__
from ..check import loading
from ..spec import pointers
from ..check import structural
from ..spec.resources import catalogue_data, schema_index
from ..spec.diagnostics import CardLoadError

IMPORTER = f"modelcard-spec import {__version__}"


# Bounds on what a source may hold. Real ones are far below: the largest MONAI metadata of the Model
# Zoo holds about 400 values and a few dozen that go to extensions. Cards made from sources many
# times larger would take seconds to check and print, for no use.
MAX_SOURCE_VALUES = 5000
MAX_EXTENSIONS = 1000


class SourceError(Exception):
    """The source cannot be read (exit code 2). ``str()`` is the English message."""

    def __init__(self, message: str, message_zh: str):
        super().__init__(message)
        self.message_zh = message_zh


def read_source(path: Path, folder: Path | None = None) -> bytes:
    """The bytes of a source file, under the size limit of cards; only regular files are read.

    ``folder``: the folder given on the command line in which ``path`` was found. The file is then
    read only if its real location, after every symbolic link, lies inside that folder — the
    containment rule of evidence files (:func:`..spec.evidence.open_evidence`), so a link in a bundle cannot
    copy an outside file into the card. A file named on the command line itself is read where it
    leads: that is the user's choice."""
    try:
        if folder is None:
            if not path.is_file():
                raise SourceError("not a regular file", "不是普通文件")
            source = path.open("rb")
        else:
            source = os.fdopen(_open_inside(folder, path), "rb")
        with source:
            size = os.fstat(source.fileno()).st_size
            if size > loading.MAX_BYTES:
                raise SourceError(f"the file is {size:,} bytes, over this tool's limit for a source file ({loading.MAX_BYTES:,} bytes)",
                                  f"文件大小为 {size:,} 字节，超过本工具对来源文件的上限（{loading.MAX_BYTES:,} 字节）")
            raw = source.read(loading.MAX_BYTES + 1)
    except OSError as exc:
        raise SourceError(f"cannot read the file: {exc.strerror or exc}", f"无法读取文件：{exc.strerror or exc}") from None
    if len(raw) > loading.MAX_BYTES:  # it grew while being read
        raise SourceError(f"the file is larger than this tool's limit for a source file ({loading.MAX_BYTES:,} bytes)",
                          f"文件超过本工具对来源文件的上限（{loading.MAX_BYTES:,} 字节）")
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
            raise SourceError(f"{rel} leads outside the folder given: a file found in a source folder is read only "
                              f"if its real location, after symbolic links, lies inside that folder",
                              f"{rel} 指向所给文件夹之外：来源文件夹中的文件，仅当其实际位置（解析符号链接后）"
                              f"位于该文件夹内时才会读取") from None
        raise SourceError(f"{rel} {exc.reason}", f"{rel} {exc.reason_zh}") from None


def parse(text: str, is_json: bool, what: str, what_zh: str, first_line: int = 1):
    """Parse source text with the card loader's rules and limits; problems become located SourceErrors."""
    try:
        data = loading.parse_untrusted(text, is_json)
    except CardLoadError as exc:
        raise _located(exc, what, what_zh, first_line) from None
    _check_bounds(data, what, what_zh)
    return data


def decode(raw: bytes) -> str:
    try:
        text = loading.decode_untrusted(raw)
    except CardLoadError as exc:
        raise _located(exc, "the file", "文件", 1) from None
    if not text.strip():
        raise SourceError("the file is empty", "文件为空")
    return text


def _located(exc: CardLoadError, what: str, what_zh: str, first_line: int) -> SourceError:
    issue = exc.issue
    if issue.line is None:
        return SourceError(f"{what}: {issue.message}", f"{what_zh}：{issue.message_zh}")
    line = issue.line + first_line - 1
    col = f", column {issue.column}" if issue.column else ""
    col_zh = f"第 {issue.column} 列" if issue.column else ""
    return SourceError(f"{what}, line {line}{col}: {issue.message}", f"{what_zh}第 {line} 行{col_zh}：{issue.message_zh}")


_SURROGATE = re.compile("[\ud800-\udfff]")


def _check_bounds(data, what: str, what_zh: str) -> None:
    """Refuse data that, with its aliases expanded, holds more values than a model description does
    or is larger than a card may be (the importer copies values into the card and its extensions),
    or that holds lone surrogates (not Unicode text). Shared values are measured once, so this takes
    time in proportion to the parsed source."""
    memo: dict[int, tuple[int, int]] = {}

    def measure(value) -> tuple[int, int]:  # (characters, values)
        known = memo.get(id(value))
        if known is not None:
            return known
        if isinstance(value, str):
            if not value.isascii() and _SURROGATE.search(value):
                raise SourceError(f"{what} holds a lone surrogate (\\ud800-\\udfff), which is not Unicode text",
                                  f"{what_zh}含有孤立的 UTF-16 代理项（\\ud800-\\udfff），不是有效的 Unicode 文本")
            size, count = len(value) + 2, 1
        elif isinstance(value, (dict, list)):
            parts = [measure(v) for v in (itertools.chain.from_iterable(value.items()) if isinstance(value, dict) else value)]
            size, count = sum(p[0] for p in parts) + 2, sum(p[1] for p in parts) + 1
        else:
            size, count = len(repr(value)), 1
        if count > MAX_SOURCE_VALUES:
            raise SourceError(f"{what} holds more than {MAX_SOURCE_VALUES:,} values (aliases expanded); model descriptions "
                              f"hold a few hundred",
                              f"{what_zh}含有超过 {MAX_SOURCE_VALUES:,} 个值（别名已展开）；模型描述通常只有几百个值")
        if size > loading.MAX_BYTES:
            raise SourceError(f"{what} expands to more than {loading.MAX_BYTES:,} characters (aliases are limited)",
                              f"{what_zh}展开后超过 {loading.MAX_BYTES:,} 个字符（别名展开受限）")
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


class Card:
    def __init__(self, source_name: str, source_sha256: str | None):
        self.data: dict = {"schema_version": schema_index()["schema_version"]}
        self.pointers: list[str] = []
        self.extensions: list[dict] = []
        self.source = f"{IMPORTER}, {source_name}"
        self.sha = source_sha256

    def put(self, pointer: str, value) -> None:
        if value in (None, "", [], {}):
            return
        node = self.data
        parts = pointer.strip("/").split("/")
        for part in parts[:-1]:
            node = node.setdefault(part, {})
        node[parts[-1]] = value
        self.pointers.append(pointer)

    def keep(self, name: str, value) -> None:
        if value in (None, "", [], {}):
            return
        if len(self.extensions) >= MAX_EXTENSIONS:
            raise SourceError(f"the source holds more than {MAX_EXTENSIONS:,} values that have no place in a model card "
                              f"(they would be kept in extensions); it is not a model description this importer can use",
                              f"来源中有超过 {MAX_EXTENSIONS:,} 个值在模型卡中没有对应位置（这些值将保留在 extensions 中）；"
                              f"该来源不是本导入工具可用的模型描述")
        text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, sort_keys=True)
        self.extensions.append({"name": name, "value": text})

    def finish(self) -> dict:
        catalogue = catalogue_data()
        self.data["conformity"] = {"standard": catalogue["standard"], "catalogue_version": catalogue["catalogue_version"],
                                   "claim_all": True}
        _make_structurally_valid(self)
        if self.extensions:
            self.data["extensions"] = self.extensions
        prov = []
        for p in sorted(set(self.pointers)):
            if _resolves(self.data, p):
                entry = {"pointer": p, "origin": "imported", "source": self.source}
                if self.sha:
                    entry["source_sha256"] = self.sha
                prov.append(entry)
        self.data["provenance"] = prov
        order = schema_index()["classes"]["ModelCard"]["slot_order"]
        return {k: self.data[k] for k in order if k in self.data}


def _resolves(data, pointer: str) -> bool:
    node = data
    for part in pointer.strip("/").split("/"):
        if isinstance(node, dict) and part in node:
            node = node[part]
        elif isinstance(node, list) and part.isdigit() and int(part) < len(node):
            node = node[int(part)]
        else:
            return False
    return True


def _make_structurally_valid(card: Card) -> None:
    """Move every object the schema rejects (a required field missing, a value out of its enum)
    into ``extensions`` until the card passes the structural check. Each round moves everything the
    check reports, deepest first, so a source with many such objects takes a few rounds, not one each."""
    for _ in range(20):
        targets = set()
        for issue in structural.check(card.data, card.data.get("provider_kind")):
            if issue.severity != "error":
                continue
            parts = tuple(pointers.tokens(issue.path))
            # a missing field: the object that lacks it cannot be formed; a bad value: drop the value
            target = parts[:-1] if issue.rule.endswith("required") else parts
            if not target or target == ("",):
                continue  # a required part of the card itself is missing: validation will report it
            targets.add(target)
        # an object inside another one that moves goes with it; list items go last index first
        targets = {t for t in targets if not any(t[:n] in targets for n in range(1, len(t)))}
        moved = []
        for target in sorted(targets, key=lambda t: [(0, int(x), "") if x.isdigit() else (1, 0, x) for x in t],
                             reverse=True):
            pointer = "/" + "/".join(target)
            if not _resolves(card.data, pointer):
                continue
            parent = card.data
            for part in target[:-1]:
                parent = parent[int(part)] if isinstance(parent, list) else parent[part]
            key = int(target[-1]) if isinstance(parent, list) else target[-1]
            moved.append((pointer, parent.pop(key)))
        if not moved:
            return
        for pointer, value in reversed(moved):  # in document order
            card.keep(f"unplaced:{pointer}", value)
        _prune_empty(card.data)


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
    """Normalised name, title or alias (also + "coefficient" / + "score" dropped) -> Metric value."""
    table: dict[str, str] = {}
    for value, meta in schema_index()["enums"]["Metric"]["values"].items():
        for name in (value, meta["title"], *meta.get("aliases", [])):
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


def declare(card: Card, declared: dict | None) -> None:
    for key, value in (declared or {}).items():
        if value is None:
            continue
        if key == "provider_name":
            card.data.setdefault("provider", {})["name"] = value
        else:
            card.data[key] = value


def dump(card: dict) -> str:
    from ..spec.textsafe import yaml_dump

    return yaml_dump(card, sort_keys=False, width=100)  # reordering characters as escapes, never raw


def coverage(card: dict) -> tuple[dict, list[dict]]:
    """Per area (conforms, applicable) counts of the imported card, and its requirement statuses."""
    from ..spec import catalogue
    from ..check.pipeline import check_data

    _, statuses = check_data(card)
    by_id = catalogue.by_id()
    areas: dict[str, list[int]] = {a["id"]: [0, 0] for a in catalogue.areas()}
    for entry in statuses:
        if entry["status"] == "not_applicable":
            continue
        cell = areas[by_id[entry["id"]].area]
        cell[1] += 1
        cell[0] += entry["status"] == "conforms"
    return {k: tuple(v) for k, v in areas.items()}, statuses


def stem_of(path: Path) -> str:
    """The name a batch gives the card of the source ``path`` (``<stem>.card.yaml``): the bundle's
    folder for ``NAME/configs/metadata.json``, the folder for ``NAME/README.md``, else the file
    name without ``.metadata.json``, ``.json`` or ``.md``; made safe by :func:`safe_stem`."""
    name = path.name
    if name == "metadata.json" and path.parent.name == "configs":
        return safe_stem(path.parent.parent.name)
    if name == "README.md":
        return safe_stem(path.parent.name)
    return safe_stem(next((name[: -len(s)] for s in (".metadata.json", ".json", ".md") if name.endswith(s)), name))


# A stem is kept as it is if it is made of letters, digits (of any script), blanks and ._+-() only,
# starts with a letter, digit or _, is not a name Windows reserves, and fits in a file name.
_STEM_CHAR = re.compile(r"[\w .+()-]", flags=re.UNICODE)
_WINDOWS_RESERVED = {"CON", "PRN", "AUX", "NUL", *(f"COM{i}" for i in range(10)), *(f"LPT{i}" for i in range(10))}
MAX_STEM_BYTES = 200


def safe_stem(stem: str) -> str:
    """``stem`` if it is safe as the start of a file name, else its safe characters (others as
    ``_``, at most MAX_STEM_BYTES of UTF-8) then ``~`` and 10 hex digits of its SHA-256.

    Injective: a stem kept as it is never holds ``~``, and a changed one is told apart by its
    digest, so two sources never get one name through the change (two sources with one stem are
    refused by the batch). Nothing of the name can reach the terminal raw, leave the output folder,
    hide the file (leading dot) or read as an option (leading ``-``)."""
    if (stem[:1].isalnum() or stem[:1] == "_") and all(_STEM_CHAR.fullmatch(c) for c in stem) \
            and len(stem.encode("utf-8", "surrogatepass")) <= MAX_STEM_BYTES \
            and stem.split(".")[0].strip().upper() not in _WINDOWS_RESERVED:
        return stem
    safe = "".join(c if _STEM_CHAR.fullmatch(c) else "_" for c in stem)
    safe = safe.encode("utf-8", "surrogatepass")[:MAX_STEM_BYTES].decode("utf-8", "ignore").lstrip(". -+()") or "source"
    digest = hashlib.sha256(stem.encode("utf-8", "surrogatepass")).hexdigest()[:10]
    return f"{safe}~{digest}"
