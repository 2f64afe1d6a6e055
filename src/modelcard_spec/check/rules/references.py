"""Rules on references inside a card: every identifier referred to is declared, and declared once."""

from __future__ import annotations

from functools import lru_cache

from ...spec import catalogue, pointers
from ...spec.resources import schema_index
from .base import Context, found, rule


@lru_cache(maxsize=1)


def _referenced_classes() -> tuple[str, ...]:
    """Classes the schema lets a card refer to by id (ranges of slots that are not inlined)."""
    return tuple(sorted({slot["range"] for c in schema_index()["classes"].values() for slot in c["slots"].values()
                         if slot["kind"] == "class" and not slot["inlined"]}))


@rule("reference.unknown", ("MCS-LC-05",), "error",
      "References name a dataset or evidence declared in the card", "引用指向模型卡中已声明的数据集或证据",
      messages={"": ("no {target_title} with id '{target}' is declared in the card",
                     "模型卡中未声明标识为“{target}”的{target_title_zh}")})
def reference_unknown(ctx: Context):
    index = schema_index()["classes"]
    declared = {cls: ctx.ids(cls) for cls in _referenced_classes()}
    for ptr, cls, obj in ctx.walked():
        for key, slot in index[cls]["slots"].items():
            if slot["kind"] != "class" or slot["inlined"] or key not in obj:
                continue
            targets = obj[key] if isinstance(obj[key], list) else [obj[key]]
            target_class = index[slot["range"]]
            for i, target in enumerate(targets):
                if isinstance(target, str) and target not in declared[slot["range"]]:
                    where = f"{ptr}/{key}" + (f"/{i}" if isinstance(obj[key], list) else "")
                    requirement = catalogue.primary_requirement(where, ctx.provider_kind)
                    yield found(where, requirement=requirement, target=target, target_class=slot["range"],
                                target_title=target_class["title"].lower(), target_title_zh=target_class["title_zh"])


@rule("reference.duplicate-id", ("MCS-LC-05",), "error",
      "Identifiers of datasets and evidence are unique", "数据集和证据的标识唯一",
      messages={"": ("id '{id}' is already used at {first}", "标识“{id}”已在 {first} 使用")})
def reference_duplicate_id(ctx: Context):
    for cls in _referenced_classes():
        seen: dict[str, str] = {}
        for ptr, obj in ctx.instances(cls):
            ident = obj.get("id")
            if isinstance(ident, str):
                if ident in seen:
                    yield found(f"{ptr}/id", id=ident, first=seen[ident])
                seen.setdefault(ident, ptr)


def _resolves(data, pointer: str) -> bool:
    return pointers.resolve(data, pointers.tokens(pointer)) is not pointers.MISSING


@rule("provenance.entry", (), "error",
      "Each provenance entry names a value of the card, and an inferred one its rule",
      "每条字段来源记录均应指向模型卡中的值；推断所得的值还应注明推断规则",
      messages={"unresolved": ("the provenance entry points at '{pointer}', which names no value of the card: its "
                               "origin cannot be told apart from the provider's declaration",
                               "字段来源记录指向“{pointer}”，但该位置不是模型卡中的值：无法将其来源与提供方的声明区分开"),
                "no-rule": ("the value at {pointer} is marked inferred but its provenance entry names no rule: "
                            "give the rule that inferred it (or the provider confirms the value and removes "
                            "the entry)",
                            "{pointer} 处的值标注为推断所得，但其字段来源记录未注明推断规则：应注明该规则"
                            "（或由提供方确认该值并删除该记录）"),
                "rule-not-inferred": ("the value at {pointer} is marked {origin}, yet its provenance entry names an "
                                      "inference rule: only an inferred value has one",
                                      "{pointer} 处的值标注为 {origin}，但其字段来源记录注明了推断规则："
                                      "只有推断所得的值才有推断规则")})
def provenance_entry(ctx: Context):
    entries = ctx.data.get("provenance")
    if not isinstance(entries, list):
        return
    for i, entry in enumerate(entries):
        if not isinstance(entry, dict) or not isinstance(entry.get("pointer"), str):
            continue  # the structural check reports it
        pointer = entry["pointer"]
        if not pointer or pointer.startswith("/provenance") or not _resolves(ctx.data, pointer):
            yield found(f"/provenance/{i}/pointer", "unresolved", pointer=pointer)
        elif entry.get("origin") == "inferred" and not entry.get("rule"):
            yield found(f"/provenance/{i}/rule", "no-rule", pointer=pointer)
        elif entry.get("origin") != "inferred" and entry.get("rule") is not None:
            yield found(f"/provenance/{i}/rule", "rule-not-inferred", pointer=pointer, origin=str(entry.get("origin")))
