"""The one registry of every check the tool can report: its ID, the requirements it reports
against, its default severity, a bilingual title, and its message templates.

A diagnostic (:class:`.diagnostics.Issue`) carries the check's ID and the structured parameters of
its message (``expected``, ``actual``, ``field``, ...); the English and Chinese texts are both
rendered from the same parameters by the check's templates, so JSON and SARIF consumers get the
values and the two languages cannot say different things. A check with more than one way to say
what it found has one template pair per *variant*; every variant takes named parameters only, the
same in both languages (a parameter ``x_zh`` is the Chinese wording of ``x``, such as a field's
Chinese title).

Rules (:mod:`..check.rules`) register themselves with the ``@rule`` decorator; the other checks
(reading a card, the JSON Schema, conformity, model files, the tool itself) are registered by the
module that reports them, at import; :func:`..check.checks.all_checks` imports all of those
modules, so the list it returns is complete. A test fails when code reports an ID that is not
registered.
"""

from __future__ import annotations

import string
import sys
from dataclasses import dataclass, field
from typing import Mapping

SEVERITIES = ("error", "warning", "info")


@dataclass(frozen=True)
class Check:
    """One check. ``requirements``: the catalogue IDs it reports against (the first is the default
    of its diagnostics); when they depend on the diagnostic (the requirement the field at its path
    serves, say), ``reports_against`` says so in English and Chinese instead. ``messages``:
    variant -> (English template, Chinese template); ``""`` is the default variant."""

    id: str
    severity: str
    title: str
    title_zh: str
    messages: Mapping[str, tuple[str, str]] = field(default_factory=dict)
    requirements: tuple[str, ...] = ()
    reports_against: tuple[str, str] | None = None
    family: bool = False  # the ID is a prefix: "schema" stands for schema.<JSON Schema keyword>
    scope: str = "card"   # "card": a check of a card; "command": an input a command cannot go on with;
    #                       "fragment": a wording other checks' messages quote (a shape that does not fit)

    def render(self, variant: str = "", params: Mapping | None = None) -> tuple[str, str]:
        """The (English, Chinese) message of ``variant`` with ``params`` (``str.format`` with named
        fields; a list or tuple is written as its items joined by ", ", the same in both languages,
        so a parameter stays one structured value)."""
        en, zh = self.messages[variant]
        values = dict(params or {})
        if any(isinstance(v, (list, tuple)) for v in values.values()):
            return _LISTS.vformat(en, (), values), _LISTS.vformat(zh, (), values)
        return en.format_map(values), zh.format_map(values)  # the same, in C


class _ListFormatter(string.Formatter):
    """``str.format`` with named fields only, a list or tuple written as its items joined by ", "
    (a conversion such as ``!s`` applies to the whole list first, as in ``str.format``)."""

    def get_value(self, key, args, kwargs):
        if not isinstance(key, str):
            raise KeyError(key)
        return kwargs[key]

    def format_field(self, value, format_spec):
        if isinstance(value, (list, tuple)):
            return ", ".join(format(item, format_spec) for item in value)
        return format(value, format_spec)


_LISTS = _ListFormatter()
_FORMATTER = string.Formatter()  # to read the fields of a template

CHECKS: dict[str, Check] = {}
ORIGIN: dict[str, tuple[str, int]] = {}  # check ID -> (module that registered it, its place there)


def register(check: Check, origin: str | None = None) -> Check:
    """Add ``check`` to the registry; an ID registered twice is a programming error. Where it was
    registered is kept (``ORIGIN``: ``origin``, else the calling module), so lists of checks have
    one order whatever was imported first."""
    if check.id in CHECKS:
        raise ValueError(f"check {check.id} is registered twice")
    if check.severity not in SEVERITIES:
        raise ValueError(f"check {check.id}: unknown severity {check.severity}")
    for variant, pair in check.messages.items():
        names = [{n.removesuffix("_zh") for _, n, _, _ in _FORMATTER.parse(text) if n} for text in pair]
        if names[0] != names[1]:
            raise ValueError(f"check {check.id} variant {variant!r}: the languages take other parameters")
    module = origin or sys._getframe(1).f_globals.get("__name__", "")  # the module registering it
    ORIGIN[check.id] = (module, sum(1 for m, _ in ORIGIN.values() if m == module))
    CHECKS[check.id] = check
    return check


def lookup(check_id: str) -> Check | None:
    """The check with this ID, or the family it belongs to (``schema.enum`` -> ``schema``)."""
    if check_id in CHECKS:
        return CHECKS[check_id]
    family = CHECKS.get(check_id.split(".", 1)[0])
    return family if family is not None and family.family else None


def title(check_id: str) -> tuple[str, str]:
    """The (English, Chinese) title of a check; the ID itself if it is not registered."""
    check = lookup(check_id)
    return (check.title, check.title_zh) if check else (check_id, check_id)
