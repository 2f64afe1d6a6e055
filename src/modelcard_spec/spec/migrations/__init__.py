"""Migration of a card from an earlier published version of the specification to a later one.

Each step is a module named after its source version (``v0_1_0``: 0.1.0 -> 0.2.0) with ``SOURCE``,
``TARGET`` and ``apply(card) -> (new card, [Change])``, pure. :func:`migrate` runs the steps in order
from the card's ``schema_version`` to the version asked for (by default the current one) and gives
the new card with every change, each a :class:`.base.Change` (pointer in the old card, pointer in the
new card, old and new value, why in English and Chinese). Nothing is dropped: what has no place in
the target version goes to ``extensions`` (kind ``to_extensions``); a field the target version
needs that the card cannot supply is never invented (kind ``missing``: left out, validate reports it).
The conformity claim's ``catalogue_version`` is the provider's and is kept as written: a migrated card
whose claim names another catalogue gets one change of kind ``review``, the provider's action.
"""

from __future__ import annotations

import importlib

from ..diagnostics import DiagnosticError
from ..registry import Check, register
from ..resources import known_schema_versions, schema_version
from .base import Change, claim_review, copied

# The steps in order; a step whose module is not there (yet) is left out, so the chain ends before it.
_STEP_MODULES = ("v0_1_0", "v0_2_0", "v0_3_0")


def _load_steps() -> tuple:
    steps = []
    for name in _STEP_MODULES:
        try:
            steps.append(importlib.import_module(f"{__name__}.{name}"))
        except ModuleNotFoundError as exc:
            if exc.name != f"{__name__}.{name}":
                raise
    return tuple(steps)


STEPS = _load_steps()
# Every version a card may declare: the published earlier ones, then the current one.
KNOWN_VERSIONS: tuple[str, ...] = known_schema_versions()

register(Check("migrate.version", "error", "The card can be migrated to the version asked for",
               "模型卡可迁移至所要求的版本", {
                   "not-a-mapping": ("the card is {actual}, not a mapping of fields: there is nothing to migrate",
                                     "模型卡为{actual_zh}而非字段映射：无可迁移的内容"),
                   "missing": ("the card has no schema_version: the version it is written against is not known "
                               "(this tool knows {known}); add it, then migrate",
                               "模型卡没有 schema_version：无法确定其依据的版本（本工具已知 {known}）；请补充后再迁移"),
                   "unknown": ("{declared} is not a version of this specification that this tool knows ({known})",
                               "{declared} 不是本工具已知的规范版本（{known}）"),
                   "target-unknown": ("--to {target}: not a version this tool can migrate to ({known})",
                                      "--to {target}：不是本工具已知的版本（{known}），无法迁移至该版本"),
                   "downgrade": ("the card is written against {declared}, later than {target}: a card is never "
                                 "migrated to an earlier version",
                                 "模型卡依据的是 {declared} 版，晚于 {target} 版：模型卡不会迁移至更早的版本"),
                   "no-step": ("no migration from {declared} to the next version is shipped with this tool",
                               "本工具未提供由 {declared} 版迁移至下一版本的步骤"),
                   "extensions": ("extensions is {actual}, not a list: the values without a place in {target} "
                                  "could not be kept there; correct it, then migrate",
                                  "扩展信息为{actual_zh}而非列表：无法在其中保留在 {target} 版中没有对应字段的取值；"
                                  "请更正后再迁移"),
               }, scope="command"))

_TYPE = {dict: ("a mapping", "映射"), list: ("a list", "列表"), str: ("text", "文本"), bool: ("true or false", "布尔值"),
         int: ("a number", "数值"), float: ("a number", "数值"), type(None): ("empty", "空值")}


class MigrationError(DiagnosticError):
    """A card that cannot be migrated as asked, located at ``path`` (``/schema_version`` mostly)."""

    def __init__(self, variant: str, path: str = "/schema_version", **params):
        super().__init__("migrate.version", variant, path=path, known=list(KNOWN_VERSIONS), **params)


def _type_words(value) -> dict:
    en, zh = _TYPE.get(type(value), ("a value", "取值"))
    return {"actual": en, "actual_zh": zh}


def _key(version: str) -> int:
    return KNOWN_VERSIONS.index(version)


def migrate(card, to: str | None = None) -> tuple[dict, list[Change]]:
    """``card`` (a card's data, not changed) rewritten step by step from its ``schema_version`` to
    ``to`` (default: the current version), with every change. A card already at ``to`` is returned
    as a copy with no change. Raises :class:`MigrationError` for a card that is not a mapping, has no
    or an unknown ``schema_version``, a target version that is not known, or a downgrade."""
    to = schema_version() if to is None else to
    if not isinstance(card, dict):
        raise MigrationError("not-a-mapping", path="", **_type_words(card))
    if to not in KNOWN_VERSIONS:
        raise MigrationError("target-unknown", path="", target=str(to)[:80])
    if "schema_version" not in card:
        raise MigrationError("missing", path="")
    declared = card["schema_version"]
    if not isinstance(declared, str) or declared not in KNOWN_VERSIONS:
        raise MigrationError("unknown", declared=repr(declared)[:80])
    if _key(declared) > _key(to):
        raise MigrationError("downgrade", declared=declared, target=to)
    if "extensions" in card and not isinstance(card["extensions"], list):
        raise MigrationError("extensions", path="/extensions", target=to, **_type_words(card["extensions"]))
    by_source = {step.SOURCE: step for step in STEPS}
    changes: list[Change] = []
    current = card
    while current["schema_version"] != to:
        step = by_source.get(current["schema_version"])
        if step is None:
            raise MigrationError("no-step", declared=current["schema_version"])
        current, done = step.apply(current)
        changes += done
    review = claim_review(current, to) if changes else None
    if review is not None:
        changes.append(review)
    return (current if current is not card else copied(card)), changes
