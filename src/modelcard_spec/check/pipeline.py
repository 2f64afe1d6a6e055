"""The validation pipeline: load -> structure -> semantic rules -> conformity, per card."""

from __future__ import annotations

import functools
import itertools
import os
from pathlib import Path
from typing import Iterator

from ..spec.version import __version__
from . import conformity
from . import structural
from .rules import Context, RULES
from ..spec.resources import schema_version
from ..spec.batch import chunks_in_order
from ..spec.diagnostics import CardLoadError, CardResult, Issue, diagnostic
from ..spec.records import Record
from ..spec.registry import Check, register
from .inputs import expand_inputs
from .loading import MAX_BYTES, LoadedCard, read_card

# Failures of the checks themselves (bugs) are reported as the card's errors; their tracebacks go to
# this logger at DEBUG level (silent unless a handler asks for them, as the card fuzzer does);
# logging is imported only then (at start-up it costs more than validating a card).
def _debug(message: str, *args) -> None:
    import logging

    logging.getLogger(__name__).debug(message, *args, exc_info=True)


class Report(Record):
    """The result of validating one or more cards."""

    results: list[CardResult]
    tool_version: str
    schema_version: str
    __slots__ = tuple(__annotations__)
    _defaults = {"tool_version": __version__}
    _factories = {"results": list, "schema_version": schema_version}

    @property
    def valid(self) -> bool:
        return all(r.valid for r in self.results)

    @property
    def readable(self) -> bool:
        return all(r.readable for r in self.results)

    def to_dict(self) -> dict:
        return {**report_head(self.tool_version, self.schema_version), "results": [result_entry(r) for r in self.results]}


def report_head(tool_version: str = __version__, schema: str | None = None) -> dict:
    """The keys of the JSON report that come before its ``results``."""
    return {"tool": {"name": "modelcard-spec", "version": tool_version},
            "schema_version": schema_version() if schema is None else schema}


def result_entry(r: CardResult) -> dict:
    """One card's entry in the ``results`` of the JSON report."""
    entry = {"card": r.card, "valid": r.valid, "sha256": r.sha256, "issues": [i.to_dict() for i in r.issues]}
    if r.requirements is not None:
        entry["requirements"] = r.requirements
    return entry


register(Check("internal.rule-failed", "error", "The validator ran every check", "校验工具执行了全部检查",
               {"": ("the check {check} could not be completed ({exception}), so {requirement_id} "
                     "cannot be shown to be met; please report this",
                     "检查 {check} 未能完成（{exception}），无法确认是否符合 {requirement_id}；请报告此问题"),
                "no-requirement": ("the check {check} could not be completed ({exception}), so the card cannot be "
                                   "shown to be valid; please report this",
                                   "检查 {check} 未能完成（{exception}），无法确认模型卡有效；请报告此问题")},
               reports_against=("the requirements of the check that failed", "未完成的检查所对应的要求")))
register(Check("internal.check-failed", "error", "The validator ran every check on the card",
               "校验工具对模型卡执行了全部检查",
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


def _rule_issues(data: dict, folder: Path | None) -> list[Issue]:
    ctx = Context(data, folder)
    issues = []
    for rule in RULES.values():
        try:
            for f in rule.run(ctx):
                issues.append(diagnostic(rule.id, f.path, f.variant, severity=f.severity,
                                         requirement=f.requirement, **(f.params or {})))
        except Exception as exc:  # a check that could not finish is not a check passed: its requirements fail
            _debug("the check %s could not finish", rule.id)
            name = type(exc).__name__
            for requirement in rule.requirements:
                issues.append(diagnostic("internal.rule-failed", "", requirement=requirement,
                                         check=rule.id, exception=name, requirement_id=requirement))
            if not rule.requirements:  # a check of no requirement: the card cannot be shown to be valid
                issues.append(diagnostic("internal.rule-failed", "", "no-requirement", check=rule.id, exception=name))
    return issues


# Diagnostics listed per card: the first MAX_ISSUES in the order they are reported (by line and column),
# then one diagnostic that says how many more there are. The schema check stops after MAX_ISSUES + 1
# errors, so a card holding a hundred thousand wrong values costs no more than one holding a thousand.
MAX_ISSUES = 1000


def check_data(data: dict, folder: Path | None = None) -> tuple[list[Issue], list[dict]]:
    """Issues (unlocated) and per-requirement statuses of a card's data."""
    issues, statuses, _ = _check(data, folder)
    return issues, statuses


def _check(data: dict, folder: Path | None, source=None) -> tuple[list[Issue], list[dict], bool]:
    """Issues, statuses and whether every check ran to the end (False: the schema check or the
    conformity check stopped after MAX_ISSUES + 1 issues). ``source``: see :func:`.structural.check`."""
    provider_kind = _provider_kind(data)
    issues = structural.check(data, provider_kind, limit=MAX_ISSUES + 1, source=source)
    complete = len(issues) <= MAX_ISSUES
    if structural.earlier_version(data) is not None:
        # A card written against an earlier version: its structure is checked against that version's JSON
        # Schema, and schema.version says to migrate it; the rules and the requirements' fields are the
        # current version's, so they are not checked until it is migrated (no requirement conforms).
        return issues, conformity.statuses(data, issues, provider_kind, False, stopped="earlier-version"), complete
    claimed = conformity.claimed_ids(data, provider_kind)
    issues += [i for i in _rule_issues(data, folder)
               if i.rule not in conformity.CLAIM_SCOPED or i.requirement is None or i.requirement in claimed]
    issues += conformity.declaration_issues(data, provider_kind)
    # A field an error already reports at the same place is not reported again as missing; a warning
    # there (a rule's note on a field a claimed requirement needs) gives way to the missing-field error.
    reported = {i.path for i in issues if i.severity == "error"}
    missing = list(itertools.islice((i for i in conformity.field_issues(data, provider_kind) if i.path not in reported),
                                    MAX_ISSUES + 1))
    complete = complete and len(missing) <= MAX_ISSUES
    required_here = {i.path for i in missing if i.severity == "error"}
    issues = [i for i in issues if i.severity == "error" or i.path not in required_here] + missing
    unique: dict[tuple, Issue] = {}
    for issue in issues:
        unique.setdefault((issue.path, issue.rule, issue.message), issue)
    issues = list(unique.values())
    return issues, conformity.statuses(data, issues, provider_kind, complete), complete


def _provider_kind(data: dict) -> str | None:
    return data.get("provider_kind") if isinstance(data.get("provider_kind"), str) else None


def check_loaded(card: LoadedCard, models: tuple = (),
                 evaluations: conformity.Evaluations = conformity.NO_EVALUATIONS) -> tuple[list[Issue], list[dict]]:
    """All issues of a loaded card, located and sorted (at most MAX_ISSUES + 1: see
    :func:`_limited`), and its requirement statuses.

    ``models``: model files to compare the card with (:mod:`.crosscheck`); ``evaluations``: the
    verification result and assessor's record to take into account (the model comparison is added)."""
    issues, statuses, complete = _check(card.data, card.path.parent, card.scalar_text)
    if models or evaluations is not conformity.NO_EVALUATIONS:
        verified: set[str] = set()
        if models:
            from .crosscheck import model_issues, provenance_issues

            digests = []
            for model in models:
                found, info, compared = model_issues(card.data, str(model))
                issues += found
                verified |= compared
                digests.append(info.sha256 if info is not None else None)
            if None not in digests:  # a file that cannot be read has no digest to compare with
                issues += provenance_issues(card.data, digests)
        evaluations = evaluations.replace(model_verified=frozenset(verified) | evaluations.model_verified)
        earlier = structural.earlier_version(card.data) is not None
        statuses = conformity.statuses(card.data, issues, _provider_kind(card.data), complete and not earlier,
                                       evaluations, "earlier-version" if earlier else "stopped")
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


def validate_card(path: str | os.PathLike, max_bytes: int = MAX_BYTES, models: tuple = (),
                  evaluations: conformity.Evaluations = conformity.NO_EVALUATIONS) -> tuple[CardResult, LoadedCard | None]:
    """The result for one card file, and the loaded card (None if it could not be read).

    A failure of the checks themselves (a bug) fails this card with an ``internal.check-failed``
    error; it never stops the other cards of a batch."""
    name = str(path)
    try:
        card = read_card(path, max_bytes)
    except CardLoadError as exc:
        return CardResult(card=name, readable=False, issues=[exc.issue]), None
    return validate_loaded(card, name, models, evaluations), card


def validate_loaded(card: LoadedCard, name: str, models: tuple = (),
                    evaluations: conformity.Evaluations = conformity.NO_EVALUATIONS) -> CardResult:
    """The result for a card already read (``name``: how to call it in the result)."""
    result = CardResult(card=name, sha256=card.sha256)
    try:
        result.issues, result.requirements = check_loaded(card, models, evaluations)
    except Exception as exc:  # noqa: BLE001 - reported as this card's result
        _debug("the checks could not finish on %s", name)
        result.issues = [diagnostic("internal.check-failed", exception=type(exc).__name__)]
        result.requirements = None
    return result


def validate_file(path: str | os.PathLike, max_bytes: int = MAX_BYTES) -> CardResult:
    return validate_card(path, max_bytes)[0]


def _validate_many(names: list[str], max_bytes: int, models: tuple = ()) -> list[CardResult]:
    return [validate_card(n, max_bytes, models)[0] for n in names]


AUTO_JOBS_FROM = 16


def validate(paths, max_bytes: int = MAX_BYTES, jobs: int = 1, progress=None, models: tuple = ()) -> Report:
    """Validate cards given as files, folders or glob patterns; return a :class:`Report` holding every
    result (:func:`iter_validate` yields them one by one instead, in the same order).

    ``jobs`` > 1 spreads the cards over that many processes (results keep the input order);
    ``jobs`` <= 0 uses every core for batches of ``AUTO_JOBS_FROM`` cards or more, else one;
    ``progress`` is called with (done, total) after each batch of cards;
    ``models`` are model files every card is compared with (used with one card).
    """
    return Report(results=list(iter_validate(paths, max_bytes, jobs, progress, models)))


def iter_validate(paths, max_bytes: int = MAX_BYTES, jobs: int = 1, progress=None,
                  models: tuple = ()) -> Iterator[CardResult]:
    """The results of :func:`validate`, each yielded as soon as it and every earlier card are done:
    first the inputs that name no card, then the cards in input order. Nothing is kept once yielded
    (the process pool holds a bounded number of chunks ahead), so a caller that writes each result
    and keeps only counters runs in memory independent of the number of cards."""
    if isinstance(paths, (str, os.PathLike)):
        paths = [paths]
    files, problems = expand_inputs([str(p) for p in paths])
    yield from problems
    del problems
    total = len(files)
    names = [str(f) for f in files]
    del files
    if jobs <= 0:
        jobs = (os.cpu_count() or 1) if total >= AUTO_JOBS_FROM else 1
    if models:  # one card compared with its model files: in this process
        jobs = 1
    done = 0
    for results in chunks_in_order(functools.partial(_validate_many, max_bytes=max_bytes, models=tuple(models)),
                                   names, jobs, 64):
        done += len(results)
        while results:  # handed over one at a time: the caller may drop each before the next
            yield results.pop(0)
        if progress:
            progress(done, total)
