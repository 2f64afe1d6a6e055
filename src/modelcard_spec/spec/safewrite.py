"""The one policy for every file a command writes (``-o`` of ``report``, ``render``, ``export``,
``init`` and ``import``, and the outputs of ``verify``):

* an input of the command (the card, its evidence, the model, an import source) is never
  written, not even with ``--force`` (compared as the same file: same device and inode, so a hard
  link or another spelling of the path is caught too);
* an existing symbolic link at the output path (its last component, or the output folder given to
  :func:`prepare_folder`) is never written through or replaced, even a dangling one; the folders
  leading to it are followed as the operating system resolves them (a linked home folder, ``/tmp``
  on macOS), the user having chosen them;
* an existing folder, FIFO, device or socket is never replaced;
* an existing regular file is replaced only when the user passes ``--force``;
* the content is written to a new temporary file in the same folder (created with ``O_EXCL``)
  and then moved into place in one step, so a failed write leaves no half-written file, and a
  file that appears at the target meanwhile is not overwritten either (without ``--force``).

A refusal raises :class:`OutputError`, whose bilingual message names the path; the command line
turns it into exit code 2.
"""

from __future__ import annotations

import errno
import os
import secrets
import stat
from pathlib import Path

from .diagnostics import DiagnosticError
from .registry import Check, register

_CREATE_FLAGS = (os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
                 | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_BINARY", 0))


register(Check("output.refused", "error", "An output is written only where the output policy allows",
               "仅在输出规则允许之处写入输出", {
                   "cannot-use": ("cannot be used ({reason})", "无法使用（{reason}）"),
                   "link": ("is a symbolic link; outputs are never written through a link",
                            "为符号链接；输出文件不会通过链接写入"),
                   "no-folder": ("the folder {folder} does not exist", "文件夹 {folder} 不存在"),
                   "input": ("is an input of this command; inputs are never overwritten, not even with --force",
                             "为本命令的输入文件；输入文件不会被覆盖，使用 --force 也不会"),
                   "folder": ("is a folder; give a file name", "为文件夹；请给出文件名"),
                   "not-regular": ("is not a regular file (a FIFO, device or socket); not written",
                                   "不是普通文件（而是命名管道、设备或套接字），不会写入"),
                   "exists": ("exists; not overwriting (pass --force to replace it)",
                              "已存在，不会覆盖（如需替换，请使用 --force）"),
                   "cannot-write": ("cannot be written ({reason})", "无法写入（{reason}）"),
                   "appeared": ("appeared while the output was being written; not overwritten",
                                "在写入输出期间被创建，不会覆盖"),
                   "cannot-create": ("cannot be created ({reason})", "无法创建（{reason}）"),
                   "not-a-folder": ("exists and is not a folder", "已存在且不是文件夹"),
                   "other-output": ("is also given as {option}; each output of the command needs a file of its own",
                                    "同时也是 {option} 所给的文件；本命令的每项输出应使用各自的文件"),
                   "case-only": ("differs from the file given as {option} only in letter case or in how its letters "
                                 "are encoded (Unicode normalisation), which can be one file on macOS and Windows; each "
                                 "output of the command needs a name of its own",
                                 "与 {option} 所给的文件仅字母大小写或字母的 Unicode 编码形式（规范化形式）不同，在 macOS 和 "
                                 "Windows 上可能是同一个文件；本命令的每项输出应使用各自的文件名"),
               }, scope="command"))


class OutputError(DiagnosticError):
    """An output file that is not written: ``path`` (also ``where``), and why (the variant of
    ``output.refused`` with its parameters; ``reason`` is the operating system's own words)."""

    def __init__(self, variant: str, path, **params):
        super().__init__("output.refused", variant, where=str(path), **params)
        self.path = str(path)


def _same_file_as_input(st: os.stat_result, inputs) -> bool:
    for item in inputs:
        try:
            if os.path.samestat(st, os.stat(item)):
                return True
        except (OSError, ValueError):
            continue
    return False


def _existing(path) -> os.stat_result | None:
    """What is at an output path now, not following a link: None if nothing; a link is refused."""
    try:
        st = os.lstat(path)
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as exc:
        reason = getattr(exc, "strerror", None) or type(exc).__name__
        raise OutputError("cannot-use", path, reason=reason) from None
    if stat.S_ISLNK(st.st_mode):
        raise OutputError("link", path)
    return st


def check_target(path, inputs=(), force: bool = False) -> None:
    """Raise :class:`OutputError` unless the policy above lets the command write ``path``."""
    st = _existing(path)
    if st is None:
        parent = os.path.dirname(os.path.abspath(path))
        if not os.path.isdir(parent):
            raise OutputError("no-folder", path, folder=parent)
        return
    if _same_file_as_input(st, inputs):
        raise OutputError("input", path)
    if stat.S_ISDIR(st.st_mode):
        raise OutputError("folder", path)
    if not stat.S_ISREG(st.st_mode):
        raise OutputError("not-regular", path)
    if not force:
        raise OutputError("exists", path)


def same_target(first, second) -> bool:
    """Whether two output paths name one file: the same file if both exist, else the same path once
    the links of their folders are resolved."""
    try:
        if os.path.samestat(os.stat(first), os.stat(second)):
            return True
    except (OSError, ValueError):
        pass
    try:
        return os.path.realpath(first) == os.path.realpath(second)
    except (OSError, ValueError):
        return False


def same_but_case(first, second) -> bool:
    """Whether two output paths differ only in letter case or in how their letters are encoded
    (Unicode normalisation), folders included, once the links of their folders are resolved: they
    can be one file where the file system ignores case (macOS, Windows) or normalisation (macOS),
    and are two on Linux. Checked before writing either, since neither need exist yet
    (:func:`same_target` compares the paths themselves)."""
    import unicodedata

    try:
        one, other = os.path.realpath(first), os.path.realpath(second)
    except (OSError, ValueError):
        return False
    return one != other and unicodedata.normalize("NFC", one).lower() == unicodedata.normalize("NFC", other).lower()


def write_file(path, data: bytes, inputs=(), force: bool = False) -> None:
    """Write ``data`` to ``path`` under the policy above, atomically."""
    check_target(path, inputs, force)
    folder, name = os.path.split(os.path.abspath(path))
    temp = os.path.join(folder, f".{name[:200]}.{secrets.token_hex(6)}.tmp")
    try:
        fd = os.open(temp, _CREATE_FLAGS, 0o666)
    except OSError as exc:
        raise OutputError("cannot-write", path, reason=exc.strerror) from None
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        check_target(path, inputs, force)  # again, just before the move
        _move_into_place(temp, path, force)
    except OSError as exc:
        raise OutputError("cannot-write", path, reason=exc.strerror) from None
    finally:
        try:
            os.unlink(temp)
        except FileNotFoundError:
            pass


def _move_into_place(temp: str, path, force: bool) -> None:
    """Replace ``path`` (``force``), or create it only if it still does not exist: a hard link
    fails if anything appeared there meanwhile, where a rename would silently replace it."""
    if force:
        os.replace(temp, path)
        return
    try:
        os.link(temp, path)
    except FileExistsError:
        raise OutputError("appeared", path) from None
    except OSError as exc:
        if exc.errno not in (errno.EPERM, errno.ENOTSUP, errno.EOPNOTSUPP, errno.EXDEV, errno.EMLINK):
            raise
        if os.path.lexists(path):  # a file system without hard links: check, then rename
            raise OutputError("appeared", path) from None
        os.replace(temp, path)


def prepare_folder(path, create: bool = True) -> Path:
    """An output folder (``verify -o``, batch ``import -o``): created if missing (``create``); never
    a symbolic link, never something that is not a folder."""
    p = Path(path)
    st = _existing(p)
    if st is None:
        if not create:
            return p
        try:
            p.mkdir(parents=True)
        except OSError as exc:
            raise OutputError("cannot-create", p, reason=exc.strerror) from None
    elif not stat.S_ISDIR(st.st_mode):
        raise OutputError("not-a-folder", p)
    return p
