"""A folder of sources imported at once, and what an imported card still lacks.

:func:`import_folder` imports every source a folder holds into an output folder, one card file
each, named after its source (:func:`stem_of`), and gives one :class:`Result` per source: a source
that cannot be imported, or whose card may not be written, is reported and the batch goes on; two
sources that would give one card name are refused (the second never replaces the first).
:func:`coverage` counts, per area of the catalogue, the applicable requirements an imported card
meets; :func:`shortfall` lists the fields the card requires that the source did not give and the
requirements it does not meet."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

from ..check.pipeline import check_data
from ..spec import catalogue
from ..spec.diagnostics import DiagnosticError
from ..spec.registry import Check, register
from ..spec.safewrite import OutputError, write_file
from . import import_source, inputs, sources
from .common import SourceError, dump

register(Check("import.duplicate-name", "error", "Each source of a batch gives its own card file",
               "批量导入中每个来源对应各自的模型卡文件",
               {"": ("is also the card of an earlier source; the card imported from {source} was not written",
                     "也是此前某一来源的模型卡；由 {source} 导入的模型卡未写入")}, scope="command"))


@dataclass(frozen=True)
class Result:
    """One source of a batch: ``card`` is the file its card is written to; ``coverage`` the card's
    coverage per area (see :func:`coverage`) when it was written. ``refusal``: why the source cannot
    be imported; ``not_written``: why its card was not written (a message about ``card``); ``notes``: what the
    import went on after (see :func:`.import_source`); ``card_data``: the card written."""

    source: Path
    stem: str
    card: Path
    coverage: dict[str, tuple[int, int]] | None = None
    refusal: SourceError | None = None
    not_written: DiagnosticError | OutputError | None = None
    notes: tuple = ()
    card_data: dict | None = None


def import_folder(kind: str, folder: Path, out: Path, declared: dict | None = None,
                  force: bool = False) -> Iterator[Result]:
    """Import every source of ``folder`` (:func:`.sources`) into the folder ``out`` (ready to be
    written to, see :func:`..spec.safewrite.prepare_folder`), under the output policy (``force``:
    replace existing cards); one result per source, as each is done. ``declared``: see
    :func:`.import_source`."""
    written: set[str] = set()
    for path in sources(kind, folder):
        stem = stem_of(path)
        target = out / f"{stem}.card.yaml"
        notes: list = []
        try:
            card = import_source(kind, path, declared, folder=folder, notes=notes)
        except SourceError as exc:
            yield Result(path, stem, target, refusal=exc)
            continue
        if target.name in written:  # two sources with one stem: the second never replaces the first
            yield Result(path, stem, target, not_written=DiagnosticError("import.duplicate-name", where=str(target),
                                                                         source=str(path)))
            continue
        try:  # a lone surrogate cannot be encoded: it is written as its \uXXXX escape
            write_file(target, dump(card).encode("utf-8", errors="backslashreplace"), inputs(kind, path), force)
        except OutputError as exc:
            yield Result(path, stem, target, not_written=exc)
            continue
        written.add(target.name)
        yield Result(path, stem, target, coverage(card)[0], notes=tuple(notes), card_data=card)


def coverage(card: dict) -> tuple[dict[str, tuple[int, int]], list[dict]]:
    """Per area (documented, in scope) counts of the imported card, and its requirement statuses.

    Documented: every field present and every automated check passed (``conforms`` or
    ``awaiting_evaluation``); in scope: all but ``not_applicable``."""
    _, statuses = check_data(card)
    by_id = catalogue.by_id()
    areas: dict[str, list[int]] = {a["id"]: [0, 0] for a in catalogue.areas()}
    for entry in statuses:
        if entry["status"] == "not_applicable":
            continue
        cell = areas[by_id[entry["id"]].area]
        cell[1] += 1
        cell[0] += entry["status"] in ("conforms", "awaiting_evaluation")
    return {k: tuple(v) for k, v in areas.items()}, statuses


def shortfall(card: dict) -> tuple[list[str], list[str]]:
    """What an imported card lacks, from one check of it: the pointers of the fields it requires that
    the source did not give (to be declared), and the requirements it does not meet (status
    ``nonconforming`` or ``incomplete``)."""
    issues, statuses = check_data(card)
    return ([i.path for i in issues if i.rule == "schema.required"],
            [e["id"] for e in statuses if e["status"] in ("nonconforming", "incomplete")])


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
