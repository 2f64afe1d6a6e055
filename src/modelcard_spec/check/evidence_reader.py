"""The evidence files of one card during one validation: each path resolved once (by the
containment rule of :mod:`..spec.evidence`), each file hashed once and each sample list read once,
within the budgets of one card."""

from __future__ import annotations

import os
from pathlib import Path

from ..spec.digests import sha256_blocks
from ..spec.evidence import EvidenceError, open_resolved, read_blocks, resolve

# Within one validation each file is hashed, and each sample list read, once (keyed by the device
# and inode of the opened file, so another path to the same file costs nothing more), and what one
# card can make the tool read is bounded, so that every card the loader accepts is checked within
# about a second of CPU time and 256 MiB of memory. What a budget leaves unchecked is an error of
# the check, never a pass.

MAX_HASHED_BYTES = 256 << 20   # evidence files hashed per card, in all
MAX_SAMPLE_BYTES = 16 << 20    # sample lists read per card, in all
MAX_SAMPLE_LINES = 500_000     # lines of those sample lists, in all
MAX_SAMPLE_LISTS = 8           # sample lists compared with one another per card

def _over_budget(size: int, left: int, total: int, unit: str, unit_zh: str, what: str, what_zh: str) -> EvidenceError:
    """The error for a file of ``size`` units that does not fit what is ``left`` of a card's budget."""
    words = {"size": size, "total": total, "unit": unit, "unit_zh": unit_zh, "what": what, "what_zh": what_zh}
    if size > total or left == total:
        return EvidenceError("over-budget", **words)
    return EvidenceError("over-budget-left", left=left, **words)


def _raise(found):
    """``found``, unless it is a remembered error: then a new one like it is raised (an exception
    raised again would keep growing its traceback)."""
    if isinstance(found, EvidenceError):
        import copy  # only then (with weakref, about 0.7 ms of every start-up)

        raise copy.copy(found)  # a new exception with the same diagnostic, missing and outside
    return found


_LINE_BREAKS = ("\n", "\r", "\x0b", "\x0c", "\x1c", "\x1d", "\x1e", "\x85", "\u2028", "\u2029")


def _line_count(text: str) -> int:
    """``len(text.splitlines())``, counted without splitting ("\r\n" is one line break)."""
    return sum(map(text.count, _LINE_BREAKS)) - text.count("\r\n") + (text[-1:] not in ("", *_LINE_BREAKS))


class SampleList:
    """The sample IDs of one sample-list file: its non-blank lines, stripped, in file order and as a set."""

    def __init__(self, key: tuple[int, int], ids: list[str]):
        self.key, self.order, self.ids = key, ids, set(ids)

    def shared_with(self, other: "SampleList") -> tuple[int, str | None]:
        """How many IDs two lists share, and the first of them in the smaller list's order."""
        if self.key == other.key:  # one file named twice
            return len(self.ids), (self.order[0] if self.order else None)
        small, big = sorted((self, other), key=lambda x: len(x.ids))
        if small.ids.isdisjoint(big.ids):
            return 0, None
        return len(small.ids & big.ids), next(filter(big.ids.__contains__, small.order))


class EvidenceReader:
    """The evidence files of one card during one validation: each path resolved once, each file
    (the device and inode of what was opened) hashed once and each sample list read once, within
    the budgets of one card. Nothing is kept beyond the validation."""

    def __init__(self, folder: Path):
        self.folder = folder
        self._root: str | None = None
        self._resolved: dict[str, tuple[str, str] | EvidenceError] = {}
        self._digests: dict[tuple[int, int], str] = {}
        self._lists: dict[tuple[int, int], SampleList | EvidenceError] = {}
        self.hash_left = MAX_HASHED_BYTES
        self.sample_bytes_left, self.sample_lines_left = MAX_SAMPLE_BYTES, MAX_SAMPLE_LINES

    def resolve(self, rel: str) -> tuple[str, str]:
        """(real folder, real path) of ``rel``, or :class:`EvidenceError` if it is not inside."""
        if rel not in self._resolved:
            try:
                self._resolved[rel] = resolve(self.folder, rel, self._root)
                self._root = self._resolved[rel][0]
            except EvidenceError as exc:
                self._resolved[rel] = exc
        return _raise(self._resolved[rel])

    def problem(self, rel: str) -> tuple[str, str] | None:
        """Why ``rel`` is not a path inside the card's folder (en, zh); None if it is one."""
        try:
            self.resolve(rel)
        except EvidenceError as exc:
            return exc.reason, exc.reason_zh
        return None

    def open(self, rel: str) -> tuple[int, tuple[int, int], int]:
        """A read-only descriptor of the regular file ``rel`` (see :func:`open_evidence`), the
        file's device and inode, and its size."""
        fd, st = open_resolved(*self.resolve(rel))
        return fd, (st.st_dev, st.st_ino), st.st_size

    def digest(self, rel: str) -> str:
        """The SHA-256 of the evidence file ``rel``; :class:`EvidenceError` if it cannot be read or
        does not fit in what is left of MAX_HASHED_BYTES."""
        fd, key, size = self.open(rel)
        if key in self._digests:
            os.close(fd)
            return self._digests[key]
        if size > self.hash_left:
            os.close(fd)
            raise _over_budget(size, self.hash_left, MAX_HASHED_BYTES, "bytes", "字节", "evidence hashed", "证据摘要计算量")
        self._digests[key], read = sha256_blocks(read_blocks(fd, self.hash_left))
        self.hash_left -= read
        return self._digests[key]

    def sample_list(self, rel: str) -> SampleList:
        """The sample list ``rel``; :class:`EvidenceError` if it cannot be read or does not fit in
        what is left of MAX_SAMPLE_BYTES and MAX_SAMPLE_LINES (it then uses none of them)."""
        fd, key, size = self.open(rel)
        if key in self._lists:
            os.close(fd)
        else:
            self._lists[key] = self._read_list(key, fd, size)
        return _raise(self._lists[key])

    def _read_list(self, key: tuple[int, int], fd: int, size: int) -> SampleList | EvidenceError:
        """An open sample list (``fd`` is closed) split into IDs, or the error that refuses it."""
        if size > self.sample_bytes_left:
            os.close(fd)
            return _over_budget(size, self.sample_bytes_left, MAX_SAMPLE_BYTES, "bytes", "字节",
                                "sample lists read", "样本清单读取量")
        try:
            data = b"".join(read_blocks(fd, self.sample_bytes_left))
        except EvidenceError as exc:
            return exc
        read, text = len(data), data.decode("utf-8", errors="replace")
        del data
        lines = _line_count(text)
        if lines > self.sample_lines_left:
            return _over_budget(lines, self.sample_lines_left, MAX_SAMPLE_LINES, "lines", "行",
                                "sample lists read", "样本清单读取量")
        self.sample_bytes_left -= read
        self.sample_lines_left -= lines
        return SampleList(key, list(filter(None, map(str.strip, text.splitlines()))))
