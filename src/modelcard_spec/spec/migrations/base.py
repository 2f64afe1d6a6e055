"""What every migration step shares: the :class:`Change` it reports and the walk over a card by the
frozen JSON Schema of the card's version (never the current one: an old card has the old shape)."""

from __future__ import annotations

import json
from collections import deque
from dataclasses import dataclass
from typing import Iterator

from .. import pointers
from ..registry import Check, register
from ..resources import card_schema_of

# The kinds of change a step reports. "missing": a field the target version requires (by its JSON
# Schema or a claimed requirement) that the old card cannot supply; it is never invented, the card is
# left without it and validate reports it. "review": a value kept as the provider wrote it that the
# provider is to review against the new version (the conformity claim's catalogue_version: nothing
# changes, the report says what to do). ("missing" and "review" are additions to the interface of issue 18.)
KINDS = ("renamed", "moved", "converted", "added", "to_extensions", "version", "missing", "review")


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


def copied(card):
    """A deep copy of ``card`` in which no two places share an object: a step never mutates its
    input, and a YAML alias (which the loader reads as one object at two places) becomes two
    independent copies, so a step changes and reports each place on its own. Iterative: a card is
    as deep as the loader allows."""
    root: list = [None]
    stack = [(card, root, 0)]
    while stack:
        value, parent, key = stack.pop()
        if isinstance(value, dict):
            new = dict.fromkeys(value)  # the keys in their order; the values filled in below
            parent[key] = new
            stack.extend((v, new, k) for k, v in value.items())
        elif isinstance(value, list):
            new = [None] * len(value)
            parent[key] = new
            stack.extend((v, new, i) for i, v in enumerate(value))
        else:
            parent[key] = value
    return root[0]


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
    "catalogue-review": ("the conformity claim was made against requirement catalogue {declared} and is kept as "
                         "written (migrate does not claim for the provider): review it against catalogue {target}, "
                         "which may add requirements and fields (a card with claim_all claims them: fill in their "
                         "fields or declare them not adopted), then set catalogue_version to {target}; until then "
                         "modelcard-spec validate warns that the claim refers to catalogue {declared} "
                         "(conformity.catalogue-version)",
                         "符合性声明依据的是要求目录 {declared} 版，迁移保持原样（迁移不代替提供方作出声明）：请依据要求目录 "
                         "{target} 版核对该声明（该版本可能新增要求和字段，claim_all 的模型卡将声明采用新增要求：请填写其字段，"
                         "或声明不采用），再将 catalogue_version 改为 {target}；在此之前，modelcard-spec validate 给出警告，"
                         "指出该声明引用的是要求目录 {declared} 版（conformity.catalogue-version）")}, scope="fragment"))


def set_version(card: dict, source: str, target: str) -> list[Change]:
    """``schema_version`` from ``source`` to ``target``. The catalogue version the conformity claim is
    made against is the provider's claim and is not changed (:func:`claim_review`)."""
    card["schema_version"] = target
    en, zh = _COMMON.render("version", {"source": source, "target": target})
    return [Change("version", "/schema_version", "/schema_version", source, target, en, zh)]


def claim_review(card: dict, target: str) -> Change | None:
    """The action for the provider when the migrated ``card`` claims conformity against a catalogue
    other than ``target``: a Change of kind "review" at ``/conformity/catalogue_version``, the value
    kept as written (old and new the same); None when there is no such claim."""
    conformity = card.get("conformity")
    if not isinstance(conformity, dict) or "catalogue_version" not in conformity:
        return None
    declared = conformity["catalogue_version"]
    if declared == target:
        return None
    shown = declared if isinstance(declared, str) else json.dumps(declared, ensure_ascii=False)
    en, zh = _COMMON.render("catalogue-review", {"declared": shown[:80], "target": target})
    return Change("review", "/conformity/catalogue_version", "/conformity/catalogue_version", declared, declared,
                  en, zh)


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
