"""The one streamed SHA-256: of a file (model files, produced outputs) or of blocks read under a
budget (evidence files), a block at a time so memory stays flat whatever the size."""

from __future__ import annotations

import hashlib
import os
from typing import Iterable

BLOCK = 1 << 20  # bytes read at a time


def sha256_blocks(blocks: Iterable[bytes]) -> tuple[str, int]:
    """The hex SHA-256 of the concatenated ``blocks`` and the number of bytes they held."""
    digest, read = hashlib.sha256(), 0
    for block in blocks:
        digest.update(block)
        read += len(block)
    return digest.hexdigest(), read


def _blocks(path: str | os.PathLike):
    with open(path, "rb") as fh:
        while block := fh.read(BLOCK):
            yield block


def sha256_file(path: str | os.PathLike) -> str:
    """The hex SHA-256 of the file at ``path``."""
    return sha256_blocks(_blocks(path))[0]
