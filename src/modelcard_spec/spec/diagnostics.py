"""Diagnostic objects shared by every layer: one located, bilingual problem report each."""

from __future__ import annotations

from typing import Mapping

from .records import Frozen, Record
from .registry import SEVERITIES, lookup

# Exit codes of the command line, documented in the README.
EXIT_OK = 0
EXIT_NONCONFORMING = 1
EXIT_UNREADABLE = 2


class Issue(Frozen):
    """One problem found in a card.

    ``path`` is a JSON Pointer into the card; ``requirement`` the catalogue ID the field serves
    (``None`` if the field serves none); ``rule`` the ID of the check that found it (registered in
    :mod:`.registry`); ``params`` the structured values its two messages were rendered from.
    Make one with :func:`diagnostic`.
    """

    severity: str
    rule: str
    path: str
    message: str
    message_zh: str
    requirement: str | None
    line: int | None
    column: int | None
    params: Mapping | None  # a dict: left out of the hash, not of ==
    __slots__ = tuple(__annotations__)
    _defaults = {"requirement": None, "line": None, "column": None, "params": None}
    _unhashed = frozenset({"params"})

    def to_dict(self) -> dict:
        data = {
            "severity": self.severity,
            "requirement": self.requirement,
            "path": self.path,
            "rule": self.rule,
            "message": self.message,
            "message_zh": self.message_zh,
        }
        if self.params:
            data["params"] = dict(self.params)
        if self.line is not None:
            data["line"] = self.line
            data["column"] = self.column
        return data

    def located(self, line: int | None, column: int | None) -> "Issue":
        return Issue(self.severity, self.rule, self.path, self.message, self.message_zh, self.requirement,
                     line, column, self.params)

    def sort_key(self) -> tuple:
        return (self.line or 0, self.column or 0, self.path, self.rule, self.message)


class CardResult(Record):
    """The outcome of validating one card file."""

    card: str
    issues: list[Issue]
    readable: bool
    sha256: str | None
    requirements: list[dict] | None
    __slots__ = tuple(__annotations__)
    _defaults = {"readable": True, "sha256": None, "requirements": None}
    _factories = {"issues": list}

    @property
    def valid(self) -> bool:
        return self.readable and not any(i.severity == "error" for i in self.issues)

    def counts(self) -> dict[str, int]:
        return {s: sum(1 for i in self.issues if i.severity == s) for s in SEVERITIES}


def diagnostic(check_id: str, path: str = "", variant: str = "", *, severity: str | None = None,
               requirement: str | None = None, line: int | None = None, column: int | None = None,
               **params) -> Issue:
    """The issue a registered check reports at ``path``: its messages rendered from ``params`` by the
    check's templates (``variant`` picks one of several), its severity the check's default unless
    given, its requirement the check's first unless given. (A parameter cannot be called
    ``severity``, ``requirement``, ``line`` or ``column``.)"""
    check = lookup(check_id)
    if check is None:
        raise KeyError(f"check {check_id} is not registered")
    en, zh = check.render(variant, params)
    if requirement is None and check.requirements:
        requirement = check.requirements[0]
    return Issue(severity or check.severity, check_id, path, en, zh, requirement, line, column, params or None)


class DiagnosticError(Exception):
    """An input the tool cannot go on with, reported as the diagnostic of a registered check
    (``issue``, both languages rendered from the same parameters; see :func:`diagnostic`).
    ``where`` names what the message is about when it is not the command's own input (a file in a
    folder, a card of a batch, an endpoint). Every error the layers raise for bad input is one of
    these, so the command line prints them all the same way, in both languages."""

    def __init__(self, check_id: str, variant: str = "", *, where: str | None = None, path: str = "",
                 line: int | None = None, column: int | None = None, **params):
        self.issue = diagnostic(check_id, path, variant, line=line, column=column, **params)
        self.where = where
        super().__init__(self.issue.message)

    @property
    def message(self) -> str:
        return self.issue.message

    @property
    def message_zh(self) -> str:
        return self.issue.message_zh

    def __reduce__(self):  # picklable (a worker process may raise one), whatever the subclass takes
        return _rebuilt, (type(self), self.issue, self.where, self.__dict__)


def _rebuilt(cls, issue: Issue, where: str | None, state: dict):
    error = Exception.__new__(cls)
    Exception.__init__(error, issue.message)
    error.__dict__.update(state)
    error.issue, error.where = issue, where
    return error


class CardLoadError(DiagnosticError):
    """A card file that cannot be read as a model card at all (exit code 2): ``issue`` is the
    diagnostic of the registered check ``check_id`` (see :func:`diagnostic`)."""

    def __init__(self, check_id: str, variant: str = "", *, line: int | None = None, column: int | None = None,
                 path: str = "", **params):
        super().__init__(check_id, variant, path=path, line=line, column=column, **params)
