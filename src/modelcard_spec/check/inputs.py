"""The cards a command is given: files, folders and glob patterns expanded into card files, within
bounds, with a located diagnostic for each input that names none."""

from __future__ import annotations

import errno
import fnmatch
import itertools
import os
from pathlib import Path
from typing import Iterator

from ..spec.diagnostics import CardResult, Issue, diagnostic
from ..spec.registry import Check, register

CARD_SUFFIXES = (".yaml", ".yml", ".json")


def _has_magic(text: str) -> bool:
    """Whether ``text`` is a pattern, as ``glob.has_magic`` tells (it holds ``*``, ``?`` or ``[``;
    the walk below is this module's own, and importing glob would cost each command 1 ms)."""
    return "*" in text or "?" in text or "[" in text


def _card_name(name: str) -> bool:
    """In a folder, cards are ``card.yaml`` (``.yml``, ``.json``) or ``NAME.card.yaml`` (...)."""
    name = name.lower()
    return any(name == f"card{s}" or name.endswith(f".card{s}") for s in CARD_SUFFIXES)


# What finding the cards of one call may cost, all inputs together: folder entries looked at while
# searching folders and patterns, and card files found. Searching never enters a symbolic link to
# a folder, so each folder is searched once; these bounds turn a search of an enormous tree (or a
# pattern such as **/**/** that lists one many times) into an error instead of a hang. Each bound
# is reached in under a second of CPU time on the project's machine.
MAX_SEARCHED = 200_000
MAX_FILES = 20_000


register(Check("load.no-match", "error", "A folder or pattern given holds a card file",
               "给出的文件夹或通配模式中有模型卡文件",
               {"": ("no file matches {pattern!r}", "没有与“{pattern}”匹配的文件"),
                "folder": ("the folder {pattern!r} holds no card file (card.yaml, card.yml, card.json or a name "
                           "ending in .card.yaml, .card.yml, .card.json): nothing was checked",
                           "文件夹“{pattern}”中没有模型卡文件（card.yaml、card.yml、card.json 或以 .card.yaml、"
                           ".card.yml、.card.json 结尾的文件）：未检查任何内容")}))
register(Check("load.too-many", "error", "Finding the cards stays within the tool's bounds",
               "查找模型卡不超出本工具的上限",
               {"entries": ("the search for cards looked at more than {limit:,} folder entries (all inputs "
                            "together) and stopped; give a narrower folder or pattern",
                            "查找模型卡时查看的文件夹条目超过 {limit:,} 个（所有输入合计），已停止；"
                            "请指定范围更小的文件夹或通配模式"),
                "files": ("more than {limit:,} card files given or found (all inputs together); give fewer at a time",
                          "给出或找到的模型卡文件超过 {limit:,} 个（所有输入合计）；请分批提供")}))
class _TooMany(Exception):
    def __init__(self, variant: str, limit: int):
        self.issue = diagnostic("load.too-many", "", variant, limit=limit)
        super().__init__(self.issue.message)


class _Search:
    """Folder listings within MAX_SEARCHED entries (each listing counts every entry it holds) and
    card files within MAX_FILES (files found by earlier inputs count too); a symbolic link to a
    folder is listed, never entered."""

    def __init__(self):
        self.entries_left = MAX_SEARCHED
        self.files = 0

    def entries(self, folder: str) -> list[tuple[str, bool, bool]]:
        """(name, is a real folder, is a folder or a link to one) of each entry of ``folder``; none
        if it cannot be listed."""
        try:
            with os.scandir(folder or os.curdir) as it:
                listed = list(itertools.islice(it, self.entries_left + 1))
        except OSError:
            return []
        self.entries_left -= len(listed)
        if self.entries_left < 0:
            raise _TooMany("entries", MAX_SEARCHED)
        return [(entry.name, *_kind(entry)) for entry in listed]

    def tree(self, folder: str, hidden: bool) -> Iterator[tuple[str, bool, bool]]:
        """Every path below ``folder`` (joined to it), with the flags of :meth:`entries`; names
        starting with a dot, and what is below them, only if ``hidden``. Iterative: no depth limit."""
        stack = [folder]
        while stack:
            here = stack.pop()
            for name, real, is_dir in self.entries(here):
                if hidden or name[0] != ".":
                    path = os.path.join(here, name)
                    yield path, real, is_dir
                    if real:
                        stack.append(path)

    def glob(self, pattern: str, dironly: bool = False) -> Iterator[tuple[str, bool]]:
        """What ``glob.glob(pattern, recursive=True)`` matches, each with whether it is a folder (or
        a link to one): the same syntax, hidden-name and case rules, except that where a wildcard
        component (``*``, ``?``, ``[...]``, ``**``) must match a folder, it matches only real
        folders, so no symbolic link to a folder is entered and a link back up the tree cannot make
        the search loop. A component written out is resolved as the system resolves it."""
        head, tail = os.path.split(pattern)
        if not _has_magic(pattern):
            yield from self._written(pattern, tail, dironly)
            return
        folders = (f for f, _ in self.glob(head, dironly=True)) if head != pattern and _has_magic(head) else [head]
        for folder in folders:
            if tail == "**":
                if not folder or os.path.isdir(folder):
                    yield os.path.join(folder, ""), True
                yield from ((path, is_dir) for path, real, is_dir in self.tree(folder, hidden=False)
                            if real or not dironly)
            elif _has_magic(tail):
                kinds = {name: is_dir for name, real, is_dir in self.entries(folder)
                         if (real or not dironly) and (name[0] != "." or tail[0] == ".")}
                yield from ((os.path.join(folder, name), kinds[name]) for name in fnmatch.filter(kinds, tail))
            else:
                yield from self._written(os.path.join(folder, tail), tail, dironly)

    @staticmethod
    def _written(path: str, tail: str, dironly: bool) -> Iterator[tuple[str, bool]]:
        """``path``, ending in a component written out (``tail``; empty after a final slash), if it
        exists (as a folder, if one is needed)."""
        is_dir = os.path.isdir(path)
        if is_dir or (tail and not dironly and os.path.lexists(path)):
            yield path, is_dir

    def count(self, paths: Iterator[str]) -> list[str]:
        """``paths``, counted as card files found."""
        out = []
        for path in paths:
            self.files += 1
            if self.files > MAX_FILES:
                raise _TooMany("files", MAX_FILES)
            out.append(path)
        return out


def _kind(entry: os.DirEntry) -> tuple[bool, bool]:
    """(is a real folder, is a folder or a link to one): from the listing, without a system call
    but for symbolic links and file systems that do not give the type."""
    try:
        real = entry.is_dir(follow_symlinks=False)
        return real, real or (entry.is_symlink() and entry.is_dir())
    except OSError:
        return False, False


def expand_inputs(inputs: list[str]) -> tuple[list[Path], list[CardResult]]:
    """Files, folders (searched recursively for card files) and glob patterns -> card files.

    What a search finds that is not a folder is kept, a FIFO or a link to a device too, so that
    it is reported as unreadable rather than passed over. A file found twice (by two patterns, or
    through a link) is validated once: files are told apart by device and inode. Past MAX_SEARCHED
    or MAX_FILES, no file is returned and the input that crossed the bound is the problem."""
    files: list[Path] = []
    problems: list[CardResult] = []
    search = _Search()
    seen: set = set()
    for item in inputs:
        try:
            if os.path.isdir(item):
                found = search.count(path for path, _, is_dir in search.tree(item, hidden=True)
                                     if not is_dir and _card_name(os.path.basename(path)))
                if not found:  # a misnamed folder would otherwise pass with "0 card(s) checked"
                    problems.append(_unreadable(item, diagnostic("load.no-match", "", "folder", pattern=item)))
            elif os.path.lexists(item):
                found = search.count([item])
            elif _has_magic(item):
                found = search.count(path for path, is_dir in search.glob(item) if path and not is_dir)
                if not found:
                    problems.append(_unreadable(item, diagnostic("load.no-match", pattern=item)))
            else:
                problems.append(_unreadable(item, _absent(item)))
                continue
        except _TooMany as exc:
            problems.append(_unreadable(item, exc.issue))
            return [], problems
        if not os.path.lexists(item) or os.path.isdir(item):  # found by a search, not named
            found, outside = _inside(found, item)
            problems += [_unreadable(name, diagnostic("load.io", "", "link-outside", root=_root(item)))
                         for name in sorted(outside, key=_parts)]
        for name in sorted(set(found), key=_parts):
            key = _identity(name)
            if key not in seen:
                seen.add(key)
                files.append(Path(name))
    return files, problems


def _root(item: str) -> str:
    """The folder a folder argument or a pattern searches: the folder itself, or the pattern's part
    before its first wildcard component (the current folder if it starts with one)."""
    if os.path.isdir(item):
        return item
    parts = []
    for part in item.split(os.sep):
        if _has_magic(part):
            break
        parts.append(part)
    return os.sep.join(parts) or os.curdir


def _inside(found: list[str], item: str) -> tuple[list[str], list[str]]:
    """The files a search found, split into those whose real location is inside the folder searched
    and the symbolic links that lead outside it: a folder of cards received from someone else can
    hold a link to any file of the reviewer's machine, which validating would read and quote."""
    root = os.path.realpath(_root(item))
    inside, outside = [], []
    for name in found:
        if not os.path.islink(name):
            inside.append(name)
            continue
        target = os.path.realpath(name)
        try:
            within = os.path.commonpath([root, target]) == root
        except ValueError:  # another drive
            within = False
        (inside if within else outside).append(name)
    return inside, outside


def _absent(name: str) -> Issue:
    """Why the path ``name``, which does not lead to a file, cannot be read."""
    try:
        os.lstat(name)
    except OSError as exc:
        if exc.errno not in (errno.ENOENT, errno.ENOTDIR):
            return diagnostic("load.io", "", "os-error", reason=exc.strerror)
    except ValueError:
        return diagnostic("load.io", "", "bad-name")
    return diagnostic("load.io", "", "no-such-file")


def _parts(name: str) -> list[str]:
    """The sort key of a path found: its components in turn, as :class:`~pathlib.Path` orders paths."""
    return os.path.normcase(name).split(os.sep)


def _identity(name: str):
    """The device and inode of the file ``name`` leads to; its normalised path if it leads nowhere."""
    try:
        st = os.stat(name)
    except (OSError, ValueError):
        return os.path.normpath(name)
    return st.st_dev, st.st_ino


def _unreadable(card: str, issue: Issue) -> CardResult:
    return CardResult(card=card, readable=False, issues=[issue])


def files_read(cards, data: dict | None = None) -> list[str]:
    """The files a card command reads, which its outputs must never overwrite: the cards and the
    evidence files they name (``data``: the one card's data if already loaded; else the cards are
    read again, only to list their evidence)."""
    from ..spec.diagnostics import CardLoadError
    from ..spec.evidence import evidence_files
    from .loading import read_card

    found = [str(c) for c in cards]
    for card in cards:
        try:
            loaded = data if data is not None else read_card(card).data
        except CardLoadError:
            continue
        found += evidence_files(os.path.dirname(os.path.abspath(card)), loaded)
    return found


def files_read_by_export(files, output: str | None) -> list[str]:
    """The inputs of an export; the cards are read again for their evidence only if the output
    file exists (a file that does not exist cannot be one of them)."""
    if not output or not os.path.lexists(output):
        return [str(f) for f in files]
    return files_read(files)
