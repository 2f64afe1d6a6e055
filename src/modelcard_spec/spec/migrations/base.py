"""What every migration step shares: the :class:`Change` it reports and the walk over a card by the
frozen JSON Schema of the card's version (never the current one: an old card has the old shape)."""

from __future__ import annotations

import copy
import json
from collections import deque
from dataclasses import dataclass
from typing import Iterator

from .. import pointers
from ..registry import Check, register
from ..resources import card_schema_of

# The kinds of change a step reports. "missing": a field the target version requires (by its JSON
# Schema or a claimed requirement) that the old card cannot supply; it is never invented, the card is
# left without it and validate reports it. ("missing" is an addition to the interface of issue 18.)
KINDS = ("renamed", "moved", "converted", "added", "to_extensions", "version", "missing")


@dataclass(frozen=True)
class Change:
    kind: str            # one of KINDS
    path: str            # JSON Pointer in the OLD card
    new_path: str | None  # JSON Pointer in the NEW card (to_extensions: the extensions entry)
    old: object
    new: object
    reason_en: str
    reason_zh: str

    def to_dict(self) -> dict:
        return {"kind": self.kind, "path": self.path, "new_path": self.new_path, "old": self.old, "new": self.new,
                "reason": self.reason_en, "reason_zh": self.reason_zh}


def copied(card: dict) -> dict:
    """A deep copy of ``card``: a step never mutates its input."""
    return copy.deepcopy(card)


def _refs(prop: dict) -> tuple[str | None, bool]:
    """The class a property holds (its ``$defs`` name) and whether it holds a list of them."""
    if not isinstance(prop, dict):
        return None, False
    if "$ref" in prop:
        return prop["$ref"].rsplit("/", 1)[-1], False
    for option in prop.get("anyOf", ()):
        name, many = _refs(option)
        if name:
            return name, many
    if "items" in prop:
        name, _ = _refs(prop["items"])
        return name, True
    return None, False


def instances(card: dict, version: str, class_name: str) -> Iterator[tuple[str, dict]]:
    """Every object of class ``class_name`` in ``card``, with its pointer, by the JSON Schema of
    ``version`` (objects where the schema puts that class; anything else is not looked into)."""
    schema = card_schema_of(version)
    defs = schema.get("$defs", {})
    queue = deque([("", schema, card)])
    while queue:
        ptr, cls, obj = queue.popleft()
        if not isinstance(obj, dict):
            continue
        if cls is not schema and cls is defs.get(class_name):
            yield ptr, obj
        for key, value in obj.items():
            name, many = _refs(cls.get("properties", {}).get(key))
            if name is None or name not in defs:
                continue
            child = f"{ptr}/{pointers.escape(key)}"
            if many and isinstance(value, list):
                queue.extend((f"{child}/{i}", defs[name], item) for i, item in enumerate(value))
            elif not many:
                queue.append((child, defs[name], value))


def kept_text(value) -> str:
    """A value as the ``value`` of an extensions entry: a string as it is, anything else as its JSON text."""
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, sort_keys=False)


def to_extensions(card: dict, source: str, pointer: str, value, reason_en: str, reason_zh: str) -> Change:
    """Keep ``value`` (taken from ``pointer`` of the old card) in the new card's ``extensions``: the
    entry's name says the version and the place it came from."""
    entries = card.setdefault("extensions", [])
    if not isinstance(entries, list):  # an extensions field that is not a list: not touched, kept beside it
        raise TypeError("extensions is not a list")
    entries.append({"name": f"schema {source} {pointer}", "value": kept_text(value)})
    return Change("to_extensions", pointer, f"/extensions/{len(entries) - 1}", value, entries[-1]["value"],
                  reason_en, reason_zh)


_COMMON = register(Check("migrate.change", "info", "What every migration step changes", "每一迁移步骤均作的修改", {
    "version": ("the card is rewritten from version {source} to {target} of the specification",
                "模型卡由本规范 {source} 版改写为 {target} 版"),
    "catalogue-version": ("the claims are now made against the requirement catalogue {target}, which may add "
                          "requirements: a card with claim_all claims them (fill in their fields or declare them "
                          "not adopted)",
                          "声明改为依据要求目录 {target} 版，该版本可能新增要求：claim_all 的模型卡将声明采用这些要求"
                          "（请填写其字段，或声明不采用）")}, scope="fragment"))


def set_version(card: dict, source: str, target: str) -> list[Change]:
    """``schema_version`` (and the catalogue version the claims are made against, which follows the
    schema's) from ``source`` to ``target``."""
    card["schema_version"] = target
    en, zh = _COMMON.render("version", {"source": source, "target": target})
    changes = [Change("version", "/schema_version", "/schema_version", source, target, en, zh)]
    conformity = card.get("conformity")
    if isinstance(conformity, dict) and "catalogue_version" in conformity:
        old = conformity["catalogue_version"]
        conformity["catalogue_version"] = target
        en, zh = _COMMON.render("catalogue-version", {"target": target})
        changes.append(Change("version", "/conformity/catalogue_version", "/conformity/catalogue_version",
                              old, target, en, zh))
    return changes

def reasons(source: str, target: str, messages: dict[str, tuple[str, str]]):
    """Register the wordings of the changes of the step ``source`` -> ``target`` (one registered
    check of scope "fragment", so both languages come from one template pair) and return the function
    that makes a Change with them: ``change(kind, path, new_path, old, new, variant, **params)``."""
    check = register(Check(f"migrate.from-{source}", "info", f"Migration of a card from {source} to {target}",
                           f"模型卡由 {source} 版迁移至 {target} 版", messages, scope="fragment"))

    def change(kind: str, path: str, new_path: str | None, old, new, variant: str, **params) -> Change:
        en, zh = check.render(variant, params)
        return Change(kind, path, new_path, old, new, en, zh)
    return change
