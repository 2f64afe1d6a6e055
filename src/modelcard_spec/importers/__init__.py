"""Import third-party model descriptions — MONAI bundle metadata and Hugging Face model cards — as
a first model card: one module per source format (:mod:`.monai`, :mod:`.huggingface`), what they
share in :mod:`.common`, and here the table of importers by source format and the entry points the
command line uses.

Principles: every value taken from the source is recorded under ``provenance`` with
``origin: imported``; nothing is invented; what has no place in the schema is kept verbatim in
``extensions`` (name ``<source>:<key>``, value the JSON text). Where a schema object needs a field
the source does not give (an enum such as a task kind, a required name), the object cannot be
formed: it is moved to ``extensions`` too, so the card always passes the structural check and the
conformity report lists what is missing as gaps. The card claims all requirements
(``claim_all: true``) so that the report shows every gap.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from . import huggingface, monai
from .common import SourceError, coverage, dump, stem_of
from .monai import bundle_metadata

__all__ = ["IMPORTERS", "Importer", "SourceError", "bundle_metadata", "coverage", "dump", "import_source", "sources",
           "stem_of"]


@dataclass(frozen=True)
class Importer:
    """One source format: ``read(path, declared, folder)`` makes the card of one source (see
    :func:`import_source`); ``sources(folder)`` lists the files a batch reads from a folder."""

    read: Callable[[Path, dict | None, Path | None], dict]
    sources: Callable[[Path], list[Path]]


IMPORTERS = {
    "monai": Importer(monai.import_monai, monai.sources),
    "huggingface": Importer(huggingface.import_huggingface, huggingface.sources),
}


def sources(kind: str, folder: Path) -> list[Path]:
    """The sources a batch import reads from a folder."""
    return [p for p in IMPORTERS[kind].sources(folder) if not p.is_dir()]  # what is not a regular file is reported, not skipped


def import_source(kind: str, path: Path, declared: dict | None = None, folder: Path | None = None) -> dict:
    """The card imported from one source; raises :class:`SourceError` if the source cannot be read.
    ``declared``: values the user states that the source does not hold (version, provider name,
    provider kind). ``folder``: the folder of a batch, in which ``path`` was found (see
    :func:`.common.read_source`)."""
    try:
        return IMPORTERS[kind].read(path, declared, folder)
    except OSError as exc:
        raise SourceError(f"cannot read the source: {exc.strerror or exc}", f"无法读取来源：{exc.strerror or exc}") from None
