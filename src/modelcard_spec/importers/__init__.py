"""Import third-party model descriptions — MONAI bundle metadata and Hugging Face model cards — as
a first model card: one module per source format (:mod:`.monai`, :mod:`.huggingface`), what they
share in :mod:`.common`, a folder of sources imported at once and what an imported card still lacks
in :mod:`.batch`, and here the table of importers by source format and the entry points the command
line uses.

Principles: every value taken from the source is recorded under ``provenance`` with
``origin: imported`` and the place in the source (``source_key``); a value derived from the source
by a documented rule says ``origin: inferred`` and names the rule; nothing is invented; what has no
place in the schema is kept verbatim in ``extensions`` (name ``<source>:<key>``, a string as it is,
anything else as its JSON text). Where a schema object needs a field the source does not give (an
enum such as a task kind, a required name), the object cannot be formed: the source's own item is
kept in ``extensions`` instead, its siblings stay, and the import reports it, so the card always
passes the structural check and the conformity report lists what is missing as gaps. The card claims all requirements
(``claim_all: true``) so that the report shows every gap.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from ..spec.resources import schema_index
from .common import SourceError, dump

__all__ = ["IMPORTERS", "KINDS", "Importer", "SourceError", "dump", "import_source", "inputs", "is_single", "provider_kinds",
           "sources"]


@dataclass(frozen=True)
class Importer:
    """One source format: ``read(path, declared, folder, notes)`` makes the card of one source (see
    :func:`import_source`); ``sources(folder)`` lists the files a batch reads from a folder;
    ``bundle(folder)`` the files a folder that is one source by itself (a MONAI bundle) is read
    from, in order of preference, or none if the folder is a folder of sources."""

    read: Callable[..., dict]
    sources: Callable[[Path], list[Path]]
    bundle: Callable[[Path], list[Path]]


# The source formats, each read by the module of this package of the same name (imported when a
# source of that format is first read, so that building the command line imports none of them).
KINDS = ("monai", "huggingface")


class _Table(dict):
    """Source format -> its :class:`Importer`, made from its module when first asked for."""

    def __missing__(self, kind: str) -> Importer:
        if kind not in KINDS:
            raise KeyError(kind)
        module = importlib.import_module(f".{kind}", __package__)
        self[kind] = Importer(getattr(module, f"import_{kind}"), module.sources, module.bundle)
        return self[kind]


IMPORTERS: dict[str, Importer] = _Table()


def is_single(kind: str, path: Path) -> bool:
    """Whether ``path`` is one source (a file, or a folder that is one source by itself) rather than
    a folder of sources; :class:`SourceError` if it is neither a file nor a folder."""
    if not path.exists():
        raise SourceError("import.no-source", "missing")
    if not (path.is_file() or path.is_dir()):
        raise SourceError("import.no-source", "special")
    return path.is_file() or bool(IMPORTERS[kind].bundle(path))


def inputs(kind: str, path: Path) -> list[Path]:
    """The files the import of the one source ``path`` reads (never to be overwritten by its card)."""
    return [path, *IMPORTERS[kind].bundle(path)] if path.is_dir() else [path]


def sources(kind: str, folder: Path) -> list[Path]:
    """The sources a batch import reads from a folder."""
    return [p for p in IMPORTERS[kind].sources(folder) if not p.is_dir()]  # what is not a regular file is reported, not skipped


def import_source(kind: str, path: Path, declared: dict | None = None, folder: Path | None = None,
                  notes: list | None = None) -> dict:
    """The card imported from one source; raises :class:`SourceError` if the source cannot be read.
    ``declared``: values the user states that the source does not hold (version, provider name,
    provider kind; see :func:`provider_kinds`). ``folder``: the folder of a batch, in which ``path``
    was found (see :func:`.common.read_source`). ``notes``: a list that receives the diagnostics of
    what the import could not read (``import.unread``) or place (``import.unplaced``)."""
    try:
        return IMPORTERS[kind].read(path, declared, folder, notes)
    except OSError as exc:
        raise SourceError("import.unreadable", "source-os-error", reason=str(exc.strerror or exc)) from None


def provider_kinds() -> tuple[str, ...]:
    """The provider kinds a user may declare: the values of the schema's provider_kind enum."""
    index = schema_index()
    return tuple(index["enums"][index["classes"]["ModelCard"]["slots"]["provider_kind"]["range"]]["values"])
