"""Evidence files of a card: one containment rule for every command that reads a file a card
names (validate, report, export, kg, verify, a model's external data): where it may be, how it is
opened, why it cannot be read (:class:`EvidenceError`). The per-validation reader that hashes each
file and reads each sample list once, within budgets, is :mod:`..check.evidence_reader`."""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path

from .diagnostics import DiagnosticError
from .registry import Check, register
from .schema import walk

# One containment rule for every command that reads a card's evidence (validate, report, export,
# kg, verify): the path is relative, its real location after every symbolic link is resolved lies
# inside the card's folder, and it is a regular file. The file is opened without following a final
# symbolic link and without blocking (a FIFO is refused before it is opened, and O_NONBLOCK covers a
# swap in between); containment is then checked again on what was actually opened. Nothing is
# cached across calls: a file changed between two validations is read again.
#
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


def resolve(folder: Path, rel: str, root: str | None = None) -> tuple[str, str]:
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


def open_resolved(root: str, real: str) -> tuple[int, os.stat_result]:
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
    return open_resolved(*resolve(folder, rel))[0]


def read_blocks(fd: int, limit: int):
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
    return b"".join(read_blocks(open_evidence(folder, rel), limit))


def evidence_files(folder: Path, data: dict) -> list[str]:
    """Real paths of the evidence files a card names inside its folder: the inputs a command that
    writes files must never overwrite."""
    found, root = [], None
    for _, cls, e in walk(data):
        rel = e.get("path")
        if cls == "Evidence" and isinstance(rel, str):
            try:
                root, real = resolve(folder, rel, root)
            except EvidenceError:
                continue
            found.append(real)
    return found
