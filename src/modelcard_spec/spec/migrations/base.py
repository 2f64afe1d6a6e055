"""What every migration step shares: the :class:`Change` it reports (contract of issue 18, section B).

This copy is the part of the framework's ``base.py`` (branch of the "migrate" helper) that the step
0.3.0 -> 0.4.0 uses; the framework's own file replaces it at merge."""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass

from ..registry import Check, register

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
