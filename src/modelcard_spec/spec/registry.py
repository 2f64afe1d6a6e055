"""The one registry of every check the tool can report: its ID, the requirements it reports
against, its default severity, a bilingual title, and its message templates.

A diagnostic (:class:`.diagnostics.Issue`) carries the check's ID and the structured parameters of
its message (``expected``, ``actual``, ``field``, ...); the English and Chinese texts are both
rendered from the same parameters by the check's templates, so JSON and SARIF consumers get the
values and the two languages cannot say different things. A check with more than one way to say
what it found has one template pair per *variant*; every variant takes named parameters only, the
same in both languages (a parameter ``x_zh`` is the Chinese wording of ``x``, such as a field's
Chinese title).

A parameter that names a field of the card or a coded value is declared so (``Check.labels``) and
rendered here, in one place, with the labels of the schema index: a field as ``'provider_kind'
(Provider kind)`` in English and ``“提供方类型（provider_kind）”`` in Chinese, a coded value as
``black_box`` in English and ``黑盒（black_box）`` in Chinese. JSON and SARIF keep the bare values.

Rules (:mod:`..check.rules`) register themselves with the ``@rule`` decorator; the other checks
(reading a card, the JSON Schema, conformity, model files, the tool itself) are registered by the
module that reports them, at import; :func:`..check.checks.all_checks` imports all of those
modules, so the list it returns is complete. A test fails when code reports an ID that is not
registered.
"""

from __future__ import annotations

import string
import sys
from functools import lru_cache
from typing import Mapping

from .records import Frozen
from .resources import schema_index

SEVERITIES = ("error", "warning", "info")


class Check(Frozen):
    """One check. ``requirements``: the catalogue IDs it reports against (the first is the default
    of its diagnostics); when they depend on the diagnostic (the requirement the field at its path
    serves, say), ``reports_against`` says so in English and Chinese instead. ``messages``:
    variant -> (English template, Chinese template); ``""`` is the default variant."""

    id: str
    severity: str
    title: str
    title_zh: str
    messages: Mapping[str, tuple[str, str]]
    requirements: tuple[str, ...]
    reports_against: tuple[str, str] | None
    family: bool  # the ID is a prefix: "schema" stands for schema.<JSON Schema keyword>
    scope: str  # "card": a check of a card; "command": an input a command cannot go on with;
    #             "fragment": a wording other checks' messages quote (a shape that does not fit)
    # parameter -> what it names: "field" (a card path such as ``provider.name`` or
    # ``change_history[].version``), "value:<parameter>" (a coded value, or a list of them, of the field
    # whose card path is in <parameter>); such parameters are rendered with their labels (module doc)
    labels: Mapping[str, str]
    __slots__ = tuple(__annotations__)
    _defaults = {"requirements": (), "reports_against": None, "family": False, "scope": "card"}
    _factories = {"messages": dict, "labels": dict}

    def render(self, variant: str = "", params: Mapping | None = None) -> tuple[str, str]:
        """The (English, Chinese) message of ``variant`` with ``params`` (``str.format`` with named
        fields; a list or tuple is written as its items joined by ", ", the same in both languages,
        so a parameter stays one structured value; a parameter declared in ``labels`` is written with
        its labels, in each language its own)."""
        en, zh = self.messages[variant]
        values = dict(params or {})
        if self.labels:
            given, values_zh = dict(values), dict(values)
            for name, kind in self.labels.items():
                if name in given:
                    values[name], values_zh[name] = _labelled(kind, given[name], given)
            return _format(en, values), _format(zh, values_zh)
        return _format(en, values), _format(zh, values)


def _format(template: str, values: dict) -> str:
    if any(isinstance(v, (list, tuple)) for v in values.values()):
        return _LISTS.vformat(template, (), values)
    return template.format_map(values)  # the same, in C


def _labelled(kind: str, value, given: Mapping) -> tuple[str, str]:
    """A declared parameter as written in English and in Chinese (see :class:`Check`); ``given``: the
    parameters as given (a coded value's field is found there)."""
    if kind == "field":
        return _field_label(str(value))
    path = given.get(kind.removeprefix("value:"))
    items = value if isinstance(value, (list, tuple)) else [value]
    pairs = [_value_label(path if isinstance(path, str) else "", str(item)) for item in items]
    return ", ".join(en for en, _ in pairs), "、".join(zh for _, zh in pairs)


def _slot(path: str) -> dict | None:
    """The schema index entry of the field at a card path (``a.b[].c``), None if there is none."""
    index = schema_index()
    cls, slot = index["root_class"], None
    for part in path.split(".") if path else ():
        if slot is not None:
            if slot["kind"] != "class":
                return None
            cls = slot["range"]
        slot = index["classes"].get(cls, {}).get("slots", {}).get(part.removesuffix("[]"))
        if slot is None:
            return None
    return slot


@lru_cache(maxsize=4096)
def _field_label(path: str) -> tuple[str, str]:
    """``'path' (Title)`` and ``“标题（path）”``; the path alone, quoted, if the schema has no such field."""
    slot = _slot(path)
    if slot is None:
        return f"'{path}'", f"“{path}”"
    return f"'{path}' ({slot['title']})", f"“{slot['title_zh'] or slot['title']}（{path}）”"


@lru_cache(maxsize=4096)
def _value_label(path: str, value: str) -> tuple[str, str]:
    """A coded value in English (itself) and in Chinese (``标题（value）``, if the schema gives it a
    Chinese title as a value of the enumeration of the field at ``path``)."""
    slot = _slot(path)
    enum = schema_index()["enums"].get(slot["range"]) if slot and slot.get("kind") == "enum" else None
    entry = (enum or {}).get("values", {}).get(value)
    title_zh = entry.get("title_zh") if isinstance(entry, dict) else None
    return value, (f"{title_zh}（{value}）" if title_zh else value)


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
    for name, kind in check.labels.items():
        if kind != "field" and not (kind.startswith("value:") and kind[6:] in check.labels):
            raise ValueError(f"check {check.id}: parameter {name} is declared as {kind!r}, neither 'field' "
                             "nor 'value:<a parameter declared as a field>'")
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
