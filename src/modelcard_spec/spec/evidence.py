"""Evidence files of a card: one containment rule for every command that reads a file a card
names (validate, report, export, kg, verify, a model's external data), and the per-validation
reader that hashes each file and reads each sample list once, within budgets."""

from __future__ import annotations

import copy
import errno
import os
import stat
from pathlib import Path

from .diagnostics import DiagnosticError
from .digests import sha256_blocks
from .registry import Check, register
from .schema import walk

# One containment rule for every command that reads a card's evidence (validate, report, export,
# kg, verify): the path is relative, its real location after every symbolic link is resolved lies
# inside the card's folder, and it is a regular file. The file is opened without following a final
# symbolic link and without blocking (a FIFO is refused before it is opened, and O_NONBLOCK covers a
# swap in between); containment is then checked again on what was actually opened. Nothing is
# cached across calls: a file changed between two validations is read again.
#
# Within one validation each file is hashed, and each sample list read, once (keyed by the device
# and inode of the opened file, so another path to the same file costs nothing more), and what one
# card can make the tool read is bounded, so that every card the loader accepts is checked within
# about a second of CPU time and 256 MiB of memory. What a budget leaves unchecked is an error of
# the check, never a pass.

MAX_HASHED_BYTES = 256 << 20   # evidence files hashed per card, in all
MAX_SAMPLE_BYTES = 16 << 20    # sample lists read per card, in all
MAX_SAMPLE_LINES = 500_000     # lines of those sample lists, in all
MAX_SAMPLE_LISTS = 8           # sample lists compared with one another per card
_READ_FLAGS = (os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOFOLLOW", 0)
               | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_NOCTTY", 0) | getattr(os, "O_BINARY", 0))


# Why a file a card names cannot be read: each wording completes the sentence "evidence file 'x'
# ..." / "证据文件“x”..." (callers put it into their own messages as ``reason``).
register(Check("evidence.file", "error", "A file a card names can be read inside the card's folder",
               "模型卡所指明的文件位于模型卡所在文件夹内且可读取", {
                   "leaves": ("leaves the card's folder", "超出了模型卡所在文件夹"),
                   "missing": ("does not exist", "不存在"),
                   "name-too-long": ("has a name too long for the file system", "的名称超出文件系统允许的长度"),
                   "link-loop": ("is a loop of symbolic links", "为循环的符号链接"),
                   "permission": ("cannot be read (permission denied)", "无法读取（无访问权限）"),
                   "not-a-folder-part": ("has a part that is not a folder", "的路径中有一部分不是文件夹"),
                   "cannot-open": ("cannot be opened ({code})", "无法打开（{code}）"),
                   "absolute": ("is absolute; evidence paths are relative to the card's folder",
                                "为绝对路径；证据路径应相对于模型卡所在文件夹"),
                   "url": ("is a URL; put URLs in the url field", "为 URL；URL 应填写在 url 字段中"),
                   "bad-character": ("contains a character that file names cannot hold", "含有文件名中不能使用的字符"),
                   "unresolvable": ("cannot be resolved", "无法解析"),
                   "folder": ("is a folder, not a file", "为文件夹，而非文件"),
                   "not-regular": ("is not a regular file (a FIFO, device or socket)",
                                   "不是普通文件（而是命名管道、设备或套接字）"),
                   "too-large": ("is larger than the {limit:,} bytes read at most", "大于读取上限 {limit:,} 字节"),
                   "over-budget": ("has {size:,} {unit}, more than the {total:,} {unit} of {what} per card",
                                   "有 {size:,} {unit_zh}，超过每张模型卡{what_zh}的上限 {total:,} {unit_zh}"),
                   "over-budget-left": ("has {size:,} {unit}, more than the {left:,} left of the {total:,} {unit} "
                                        "of {what} per card",
                                        "有 {size:,} {unit_zh}，超过每张模型卡{what_zh}上限（{total:,} {unit_zh}）中"
                                        "剩余的 {left:,} {unit_zh}"),
               }, scope="command"))


class EvidenceError(DiagnosticError):
    """A file a card names that cannot be read: a variant of ``evidence.file``, whose message
    (``reason``/``reason_zh``) completes the sentence "evidence file 'x' ..." / "证据文件“x”...";
    ``missing`` when the file is simply not there, ``outside`` when its real location leaves the
    folder (callers that check other files by the same rule word that case for their own folder)."""

    def __init__(self, variant: str, missing: bool = False, outside: bool = False, **params):
        super().__init__("evidence.file", variant, **params)
        self.missing, self.outside = missing, outside

    @property
    def reason(self) -> str:
        return self.issue.message

    @property
    def reason_zh(self) -> str:
        return self.issue.message_zh


def _leaves() -> EvidenceError:
    return EvidenceError("leaves", outside=True)


_OS_REASONS = {errno.ENOENT: "missing", errno.ENAMETOOLONG: "name-too-long", errno.ELOOP: "link-loop",
               errno.EACCES: "permission", errno.EPERM: "permission", errno.ENOTDIR: "not-a-folder-part"}


def _os_error(exc: OSError) -> EvidenceError:
    if exc.errno in _OS_REASONS:
        return EvidenceError(_OS_REASONS[exc.errno], missing=exc.errno == errno.ENOENT)
    return EvidenceError("cannot-open", code=errno.errorcode.get(exc.errno, str(exc.errno)))


def _inside(root: str, path: str | None) -> bool:
    return path is not None and (path == root or path.startswith(root.rstrip(os.sep) + os.sep))


def _real_below(root: str, rel: str) -> str:
    """``os.path.realpath(os.path.join(root, rel))`` for a ``root`` that is a real path already:
    where no part of ``rel`` is a symbolic link or "..", only the parts of ``rel`` are looked at
    (a card may name thousands of files)."""
    whole = os.path.join(root, rel)
    if os.name != "posix":
        return os.path.realpath(whole)
    path = root
    for part in rel.split("/"):
        if part in ("", "."):
            continue
        path = os.path.join(path, part)
        try:
            if part == ".." or stat.S_ISLNK(os.lstat(path).st_mode):
                return os.path.realpath(whole)
        except OSError:
            return os.path.realpath(whole)
    return path


def _resolve(folder: Path, rel: str, root: str | None = None) -> tuple[str, str]:
    """(real folder, real path) of ``rel``, judged now; :class:`EvidenceError` if it is not a path
    inside ``folder`` (``root``: the folder's real path, if known)."""
    if rel.startswith(("/", "\\")) or (len(rel) > 1 and rel[1] == ":") or os.path.isabs(rel):
        raise EvidenceError("absolute")
    if "://" in rel:
        raise EvidenceError("url")
    try:
        root = root or os.path.realpath(folder)
        real = _real_below(root, rel)
    except ValueError:  # NUL, or a lone surrogate that has no bytes in the file system's encoding
        raise EvidenceError("bad-character") from None
    except OSError:
        raise EvidenceError("unresolvable") from None
    if not _inside(root, real):
        raise _leaves()
    return root, real


def _require_regular(st: os.stat_result) -> None:
    if stat.S_ISDIR(st.st_mode):
        raise EvidenceError("folder")
    if not stat.S_ISREG(st.st_mode):
        raise EvidenceError("not-regular")


def _opened_path(fd: int, expected: str) -> str | None:
    """The real path of what ``fd`` is open on: from /proc where the system has it; elsewhere the
    path resolved again, if it is still the same file; None if it is not."""
    try:
        return os.readlink(f"/proc/self/fd/{fd}")
    except OSError:
        again = os.path.realpath(expected)
        try:
            return again if os.path.samestat(os.fstat(fd), os.stat(again)) else None
        except OSError:
            return None


def _open_resolved(root: str, real: str) -> tuple[int, os.stat_result]:
    """A read-only descriptor of the regular file at the resolved path ``real`` inside ``root``,
    and the status of what it is open on."""
    try:
        _require_regular(os.stat(real))
        fd = os.open(real, _READ_FLAGS)
    except OSError as exc:
        raise _os_error(exc) from None
    try:
        st = os.fstat(fd)
        _require_regular(st)
        if not _inside(root, _opened_path(fd, real)):
            raise _leaves()
    except OSError as exc:
        os.close(fd)
        raise _os_error(exc) from None
    except BaseException:
        os.close(fd)
        raise
    return fd, st


def open_evidence(folder: Path, rel: str) -> int:
    """A read-only descriptor of the regular file that ``rel`` names inside ``folder``.

    Raises :class:`EvidenceError` (never OSError or ValueError) for any path that is not such a file."""
    return _open_resolved(*_resolve(folder, rel))[0]


def _read_evidence(fd: int, limit: int):
    """Blocks of an open evidence file (closed at the end); at most ``limit`` bytes, else an error."""
    try:
        if os.fstat(fd).st_size > limit:
            raise EvidenceError("too-large", limit=limit)
        total = 0
        while block := os.read(fd, 1 << 20):
            total += len(block)
            if total > limit:
                raise EvidenceError("too-large", limit=limit)
            yield block
    except OSError as exc:
        raise _os_error(exc) from None
    finally:
        os.close(fd)


def evidence_bytes(folder: Path, rel: str, limit: int) -> bytes:
    """The content of the evidence file ``rel``, refused if it is over ``limit`` bytes."""
    return b"".join(_read_evidence(open_evidence(folder, rel), limit))


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
                self._resolved[rel] = _resolve(self.folder, rel, self._root)
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
        fd, st = _open_resolved(*self.resolve(rel))
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
        self._digests[key], read = sha256_blocks(_read_evidence(fd, self.hash_left))
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
            data = b"".join(_read_evidence(fd, self.sample_bytes_left))
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


def evidence_files(folder: Path, data: dict) -> list[str]:
    """Real paths of the evidence files a card names inside its folder: the inputs a command that
    writes files must never overwrite."""
    reader = EvidenceReader(folder)
    found = []
    for _, cls, e in walk(data):
        rel = e.get("path")
        if cls == "Evidence" and isinstance(rel, str) and not reader.problem(rel):
            found.append(reader.resolve(rel)[1])
    return found
