"""What every semantic rule shares: the :func:`rule` decorator and the table of rules, the
:class:`Finding` a rule yields, the :class:`Context` of one validation, and small helpers.

Each rule is a small function registered with :func:`rule`, which gives it an ID, the catalogue
requirement(s) it serves, a default severity and a one-line bilingual title. A rule receives a
:class:`Context` and yields :class:`Finding` objects (pointer, message variant and parameters),
which the registry's templates render in English and Chinese.

Rules find the objects they check by schema class (``ctx.instances("MetricResult")``) using the
generated schema index, so they do not depend on where in the card an object sits.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Callable, Iterator, Mapping

from ...spec.resources import schema_index
from ...spec.schema import walk
from ...spec.records import Frozen, Record
from ...spec.registry import Check, register as register_check
from ..evidence_reader import EvidenceReader


class Finding(Frozen):
    """What a rule found at ``path``: the variant of its message and the message's parameters
    (rendered by the rule's templates in :mod:`..spec.registry`). Make one with :func:`found`."""

    path: str
    variant: str
    params: Mapping | None
    severity: str | None  # overrides the rule's default
    requirement: str | None  # overrides the rule's first requirement
    __slots__ = tuple(__annotations__)
    _defaults = {"variant": "", "params": None, "severity": None, "requirement": None}


def found(path: str, variant: str = "", *, severity: str | None = None, requirement: str | None = None,
          **params) -> Finding:
    """A finding at ``path`` with the message ``variant`` of its rule and its parameters."""
    return Finding(path, severity=severity, requirement=requirement, variant=variant, params=params)


class Rule(Frozen):
    """A rule function and the check it reports as (its ID, requirements, severity, titles and
    message templates live in the registry)."""

    check: Check
    run: Callable[["Context"], Iterator[Finding]]
    __slots__ = tuple(__annotations__)

    @property
    def id(self) -> str:
        return self.check.id

    @property
    def requirements(self) -> tuple[str, ...]:
        return self.check.requirements

    @property
    def severity(self) -> str:
        return self.check.severity

    @property
    def title(self) -> str:
        return self.check.title

    @property
    def title_zh(self) -> str:
        return self.check.title_zh


RULES: dict[str, Rule] = {}


def rule(rule_id: str, requirements: tuple[str, ...], severity: str, title: str, title_zh: str,
         messages: Mapping[str, tuple[str, str]] | None = None, labels: Mapping[str, str] | None = None):
    """Register a rule function under ``rule_id`` with its check (see :class:`..spec.registry.Check`;
    ``labels``: the parameters written with their schema labels, as there)."""
    def register(fn):
        check = register_check(Check(rule_id, severity, title, title_zh, messages or {}, tuple(requirements),
                                     labels=labels or {}), origin=fn.__module__)
        RULES[rule_id] = Rule(check, fn)
        return fn
    return register


class Context(Record):
    """One validation of one card. The evidence read during it is remembered only here (see
    :class:`EvidenceReader`), never across validations."""

    data: dict
    folder: Path | None
    _instances: dict | None
    _walked: list | None
    _evidence: "EvidenceReader | None"
    __slots__ = tuple(__annotations__)
    _defaults = {"folder": None, "_instances": None, "_walked": None, "_evidence": None}

    @property
    def evidence(self) -> "EvidenceReader":
        """The card's evidence files as read during this validation (``folder`` must be set)."""
        if self._evidence is None:
            self._evidence = EvidenceReader(self.folder)
        return self._evidence

    def walked(self) -> list[tuple[str, str, dict]]:
        """Every class instance of the card with its pointer and class (computed once)."""
        if self._walked is None:
            self._walked = list(walk(self.data))
        return self._walked

    @property
    def provider_kind(self) -> str | None:
        kind = self.data.get("provider_kind")
        return kind if isinstance(kind, str) else None

    def instances(self, class_name: str) -> list[tuple[str, dict]]:
        """(pointer, object) for every object of a schema class in the card, in document order."""
        if self._instances is None:
            self._instances = {}
            for pointer, cls, obj in self.walked():
                self._instances.setdefault(cls, []).append((pointer, obj))
        return self._instances.get(class_name, [])

    def by_id(self, class_name: str) -> dict[str, dict]:
        """Objects of a class keyed by their (string) identifier; the first one wins."""
        out: dict[str, dict] = {}
        for _, obj in self.instances(class_name):
            if isinstance(obj.get("id"), str):
                out.setdefault(obj["id"], obj)
        return out

    def ids(self, class_name: str) -> set[str]:
        return set(self.by_id(class_name))


def enum_annotation(enum: str, value, key: str) -> str | None:
    """An annotation of an enum's permissible value (e.g. Metric ``kind``), None if not a value."""
    if not isinstance(value, str):
        return None
    spec = schema_index()["enums"][enum]["values"].get(value)
    return spec["annotations"].get(key) if spec else None


def enum_label(enum: str, value: str) -> tuple[str, str]:
    """English and Chinese titles of an enum's permissible value (the value itself if it is not one)."""
    spec = schema_index()["enums"][enum]["values"].get(value)
    return (spec["title"], spec["title_zh"] or spec["title"]) if spec else (value, value)


def text_value(value) -> str | None:
    return value if isinstance(value, str) else None


def as_text(value) -> str:
    """A card value the schema wants to be a string, as a message shows it: anything else as ``str()``
    writes it (a list is not joined by ", "), so the parameter is a string whatever the card holds."""
    return value if isinstance(value, str) else str(value)


def chinese_role(role, initial: bool = False) -> str:
    """The Chinese wording of a split role before "的样本清单": its title from the schema ("测试集");
    a value that is not a role is shown as written, set off by spaces (" foo "), but not at the start
    of the message (``initial``: "foo ")."""
    index = schema_index()
    roles = index["enums"][index["classes"]["Split"]["slots"]["role"]["range"]]["values"]
    spec = roles.get(role) if isinstance(role, str) else None
    wording = spec["title_zh"] if spec else f" {role} "
    return wording.lstrip() if initial else wording


def is_number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def decimal_places(value: float) -> int:
    exponent = Decimal(repr(value)).as_tuple().exponent
    return max(0, -exponent) if isinstance(exponent, int) else 0
