"""The validation pipeline: load -> structure -> semantic rules -> conformity, per card."""

from __future__ import annotations

import errno
import fnmatch
import functools
import glob
import itertools
import logging
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator

from ..spec.version import __version__
from . import conformity
from . import structural
from .rules import Context, RULES
from ..spec.resources import schema_version
from ..spec.batch import chunks_in_order
from ..spec.diagnostics import CardLoadError, CardResult, Issue, diagnostic
from ..spec.registry import Check, register
from .loading import MAX_BYTES, LoadedCard, read_card

# Failures of the checks themselves (bugs) are reported as the card's errors; their tracebacks go to
# this logger at DEBUG level (silent unless a handler asks for them, as the card fuzzer does).
_log = logging.getLogger(__name__)

CARD_SUFFIXES = (".yaml", ".yml", ".json")


def _card_name(name: str) -> bool:
    """In a folder, cards are ``card.yaml`` (``.yml``, ``.json``) or ``NAME.card.yaml`` (...)."""
    name = name.lower()
    return any(name == f"card{s}" or name.endswith(f".card{s}") for s in CARD_SUFFIXES)


@dataclass
class Report:
    """The result of validating one or more cards."""

    results: list[CardResult] = field(default_factory=list)
    tool_version: str = __version__
    schema_version: str = field(default_factory=schema_version)

    @property
    def valid(self) -> bool:
        return all(r.valid for r in self.results)

    @property
    def readable(self) -> bool:
        return all(r.readable for r in self.results)

    def to_dict(self) -> dict:
        out = []
        for r in self.results:
            entry = {"card": r.card, "valid": r.valid, "sha256": r.sha256,
                     "issues": [i.to_dict() for i in r.issues]}
            if r.requirements is not None:
                entry["requirements"] = r.requirements
            out.append(entry)
        return {"tool": {"name": "modelcard-spec", "version": self.tool_version},
                "schema_version": self.schema_version, "results": out}


# What finding the cards of one call may cost, all inputs together: folder entries looked at while
# searching folders and patterns, and card files found. Searching never enters a symbolic link to
# a folder, so each folder is searched once; these bounds turn a search of an enormous tree (or a
# pattern such as **/**/** that lists one many times) into an error instead of a hang. Each bound
# is reached in under a second of CPU time on the project's machine.
MAX_SEARCHED = 200_000
MAX_FILES = 20_000


register(Check("load.no-match", "error", "A pattern given matches a file", "给出的模式匹配到文件",
               {"": ("no file matches {pattern!r}", "没有与“{pattern}”匹配的文件")}))
register(Check("load.too-many", "error", "Finding the cards stays within the tool's bounds",
               "查找模型卡不超出本工具的上限",
               {"entries": ("the search for cards looked at more than {limit:,} folder entries (all inputs "
                            "together) and stopped; give a narrower folder or pattern",
                            "查找模型卡时查看的文件夹条目超过 {limit:,} 个（所有输入合计），已停止；"
                            "请指定范围更小的文件夹或模式"),
                "files": ("more than {limit:,} card files given or found (all inputs together); give fewer at a time",
                          "给出或找到的模型卡文件超过 {limit:,} 个（所有输入合计）；请分批提供")}))
register(Check("internal.rule-failed", "error", "The validator ran every check", "验证工具执行了全部检查",
               {"": ("the check {check} could not be completed ({exception}), so {requirement_id} "
                     "cannot be shown to be met; please report this",
                     "检查 {check} 未能完成（{exception}），无法确认是否符合 {requirement_id}；请报告此问题")},
               reports_against=("the requirements of the check that failed", "未完成的检查所对应的要求")))
register(Check("internal.check-failed", "error", "The validator ran every check on the card",
               "验证工具对模型卡执行了全部检查",
               {"": ("the checks could not finish on this card ({exception}); please report it",
                     "对此模型卡的检查未能完成（{exception}）；请报告此问题")}))
register(Check("internal.issue-limit", "error", "Every issue of a card is listed", "列出模型卡的全部问题",
               {"complete": ("{count:,} more issue(s) from here on are not listed: "
                             "the diagnostics of a card stop at the first {limit:,}",
                             "自此处起另有 {count:,} 个问题未列出：每张模型卡最多列出前 {limit:,} 个问题"),
                "stopped": ("at least {count:,} more issue(s) from here on are not listed: checking stopped after more "
                            "than {limit:,} issues, so no requirement is reported as conforming",
                            "自此处起另有至少 {count:,} 个问题未列出：检查在发现超过 {limit:,} 个问题后停止，"
                            "因此不将任何要求判定为符合")}))


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
        if not glob.has_magic(pattern):
            yield from self._written(pattern, tail, dironly)
            return
        folders = (f for f, _ in self.glob(head, dironly=True)) if head != pattern and glob.has_magic(head) else [head]
        for folder in folders:
            if tail == "**":
                if not folder or os.path.isdir(folder):
                    yield os.path.join(folder, ""), True
                yield from ((path, is_dir) for path, real, is_dir in self.tree(folder, hidden=False)
                            if real or not dironly)
            elif glob.has_magic(tail):
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
            elif os.path.lexists(item):
                found = search.count([item])
            elif glob.has_magic(item):
                found = search.count(path for path, is_dir in search.glob(item) if path and not is_dir)
                if not found:
                    problems.append(_unreadable(item, diagnostic("load.no-match", pattern=item)))
            else:
                problems.append(_unreadable(item, _absent(item)))
                continue
        except _TooMany as exc:
            problems.append(_unreadable(item, exc.issue))
            return [], problems
        for name in sorted(set(found), key=_parts):
            key = _identity(name)
            if key not in seen:
                seen.add(key)
                files.append(Path(name))
    return files, problems


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


def _rule_issues(data: dict, folder: Path | None) -> list[Issue]:
    ctx = Context(data, folder)
    issues = []
    for rule in RULES.values():
        try:
            for f in rule.run(ctx):
                issues.append(diagnostic(rule.id, f.path, f.variant, severity=f.severity,
                                         requirement=f.requirement, **(f.params or {})))
        except Exception as exc:  # a check that could not finish is not a check passed: its requirements fail
            _log.debug("the check %s could not finish", rule.id, exc_info=True)
            name = type(exc).__name__
            for requirement in rule.requirements:
                issues.append(diagnostic("internal.rule-failed", "", requirement=requirement,
                                         check=rule.id, exception=name, requirement_id=requirement))
    return issues


# Diagnostics listed per card: the first MAX_ISSUES in the order they are reported (by line and column),
# then one diagnostic that says how many more there are. The schema check stops after MAX_ISSUES + 1
# errors, so a card holding a hundred thousand wrong values costs no more than one holding a thousand.
MAX_ISSUES = 1000


def check_data(data: dict, folder: Path | None = None) -> tuple[list[Issue], list[dict]]:
    """Issues (unlocated) and per-requirement statuses of a card's data."""
    issues, statuses, _ = _check(data, folder)
    return issues, statuses


def _check(data: dict, folder: Path | None) -> tuple[list[Issue], list[dict], bool]:
    """Issues, statuses and whether every check ran to the end (False: the schema check or the
    conformity check stopped after MAX_ISSUES + 1 issues)."""
    provider_kind = _provider_kind(data)
    issues = structural.check(data, provider_kind, limit=MAX_ISSUES + 1)
    complete = len(issues) <= MAX_ISSUES
    issues += _rule_issues(data, folder)
    issues += conformity.declaration_issues(data, provider_kind)
    # A field the JSON Schema already reports at the same place is not reported again as missing.
    reported = {i.path for i in issues}
    missing = list(itertools.islice((i for i in conformity.field_issues(data, provider_kind) if i.path not in reported),
                                    MAX_ISSUES + 1))
    complete = complete and len(missing) <= MAX_ISSUES
    issues += missing
    unique: dict[tuple, Issue] = {}
    for issue in issues:
        unique.setdefault((issue.path, issue.rule, issue.message), issue)
    issues = list(unique.values())
    return issues, conformity.statuses(data, issues, provider_kind, complete), complete


def _provider_kind(data: dict) -> str | None:
    return data.get("provider_kind") if isinstance(data.get("provider_kind"), str) else None


def check_loaded(card: LoadedCard, models: tuple = ()) -> tuple[list[Issue], list[dict]]:
    """All issues of a loaded card, located and sorted (at most MAX_ISSUES + 1: see
    :func:`_limited`), and its requirement statuses.

    ``models``: model files to compare the card with (:mod:`.crosscheck`)."""
    issues, statuses, complete = _check(card.data, card.path.parent)
    if models:
        from .crosscheck import model_issues

        for model in models:
            issues += model_issues(card.data, str(model))[0]
        statuses = conformity.statuses(card.data, issues, _provider_kind(card.data), complete)
    located = []
    for issue in issues:
        line, column = card.locate(issue.path)
        located.append(issue.located(line, column))
    return _limited(sorted(located, key=Issue.sort_key), complete), statuses


_SEVERITY_RANK = {"error": 0, "warning": 1, "info": 2}


def _limited(issues: list[Issue], complete: bool) -> list[Issue]:
    """The first MAX_ISSUES issues, then one issue standing for the rest: located where the first of
    them is, as severe as the most severe of them (an error if checking stopped early)."""
    if len(issues) <= MAX_ISSUES:
        return issues
    rest = issues[MAX_ISSUES:]
    first = rest[0]
    severity = min((i.severity for i in rest), key=_SEVERITY_RANK.__getitem__) if complete else "error"
    return issues[:MAX_ISSUES] + [diagnostic("internal.issue-limit", first.path, "complete" if complete else "stopped",
                                             severity=severity, line=first.line, column=first.column,
                                             count=len(rest), limit=MAX_ISSUES)]


def validate_card(path: str | os.PathLike, max_bytes: int = MAX_BYTES,
                  models: tuple = ()) -> tuple[CardResult, LoadedCard | None]:
    """The result for one card file, and the loaded card (None if it could not be read).

    A failure of the checks themselves (a bug) fails this card with an ``internal.check-failed``
    error; it never stops the other cards of a batch."""
    name = str(path)
    try:
        card = read_card(path, max_bytes)
    except CardLoadError as exc:
        return CardResult(card=name, readable=False, issues=[exc.issue]), None
    result = CardResult(card=name, sha256=card.sha256)
    try:
        result.issues, result.requirements = check_loaded(card, models)
    except Exception as exc:  # noqa: BLE001 - reported as this card's result
        _log.debug("the checks could not finish on %s", name, exc_info=True)
        result.issues = [diagnostic("internal.check-failed", exception=type(exc).__name__)]
        result.requirements = None
    return result, card


def validate_file(path: str | os.PathLike, max_bytes: int = MAX_BYTES) -> CardResult:
    return validate_card(path, max_bytes)[0]


def _validate_many(names: list[str], max_bytes: int, models: tuple = ()) -> list[CardResult]:
    return [validate_card(n, max_bytes, models)[0] for n in names]


AUTO_JOBS_FROM = 16


def validate(paths, max_bytes: int = MAX_BYTES, jobs: int = 1, progress=None, models: tuple = ()) -> Report:
    """Validate cards given as files, folders or glob patterns; return a :class:`Report`.

    ``jobs`` > 1 spreads the cards over that many processes (results keep the input order);
    ``jobs`` <= 0 uses every core for batches of ``AUTO_JOBS_FROM`` cards or more, else one;
    ``progress`` is called with (done, total) after each batch of cards;
    ``models`` are model files every card is compared with (used with one card).
    """
    if isinstance(paths, (str, os.PathLike)):
        paths = [paths]
    files, problems = expand_inputs([str(p) for p in paths])
    report = Report()
    report.results.extend(problems)
    total = len(files)
    names = [str(f) for f in files]
    if jobs <= 0:
        jobs = (os.cpu_count() or 1) if total >= AUTO_JOBS_FROM else 1
    if models:  # one card compared with its model files: in this process
        jobs = 1
    done = 0
    for results in chunks_in_order(functools.partial(_validate_many, max_bytes=max_bytes, models=tuple(models)),
                                   names, jobs, 64):
        report.results.extend(results)
        done += len(results)
        if progress:
            progress(done, total)
    return report
