"""A commented template card, written from the schema index (``modelcard-spec init``)."""

from __future__ import annotations

from ..spec import catalogue
from ..spec.resources import catalogue_data, described_schema_index as schema_index  # titles and descriptions


def _comment(slot: dict, lang: str) -> str:
    if lang == "zh":
        title, desc = slot["title_zh"] or slot["title"], slot["description_zh"] or slot["description"]
    else:
        title, desc = slot["title"], slot["description"]
    flags = []
    if slot["multivalued"] and slot["kind"] != "class":
        flags.append("列表" if lang == "zh" else "list")
    if slot["required"]:
        flags.append("必填" if lang == "zh" else "required")
    if slot["requirements"]:
        flags.append(" ".join(slot["requirements"]))
    suffix = f" [{'; '.join(flags)}]" if flags else ""
    return f"{title}: {desc}{suffix}"


def _enum_hint(slot: dict, lang: str) -> str | None:
    if slot["kind"] != "enum":
        return None
    enum = schema_index()["enums"][slot["range"]]
    values = list(enum["values"])
    if len(values) > _LISTED:  # a published vocabulary (DICOM body parts): a few values and where the rest are
        shown = ", ".join([v for v in _EXAMPLES if v in enum["values"]] or values[:5])
        if lang == "zh":
            return f"取值：{enum['title_zh'] or enum['title']}，共 {len(values)} 个（如 {shown}；全部取值见规范）"
        return f"one of the {len(values)} values of {enum['title']} (e.g. {shown}; all of them in the schema)"
    return ("取值：" if lang == "zh" else "one of: ") + ", ".join(values)


# An enum longer than this is a published vocabulary: the template names a few of its values, not all.
_LISTED = 60
_EXAMPLES = ("CHEST", "ABDOMEN", "HEAD", "BREAST", "WHOLEBODY")


def _emit(cls: str, indent: int, lang: str, out: list[str], first_prefix: str = "") -> None:
    info = schema_index()["classes"][cls]
    pad = " " * indent
    first = True
    for name in info["slot_order"]:
        slot = info["slots"][name]
        prefix = first_prefix if first else ""
        first = False
        lead = pad[: len(pad) - len(prefix)] + prefix if prefix else pad
        out.append(f"{pad}# {_comment(slot, lang)}")
        hint = _enum_hint(slot, lang)
        if hint:
            out.append(f"{pad}# {hint}")
        if slot["kind"] == "class" and slot["inlined"]:
            if slot["multivalued"]:
                out.append(f"{lead}{name}:")
                _emit(slot["range"], indent + 4, lang, out, first_prefix="  - ")
            else:
                out.append(f"{lead}{name}:")
                _emit(slot["range"], indent + 2, lang, out)
        else:  # left empty (not `[]`, which states "none"): an empty field counts as not given
            out.append(f"{lead}{name}:")


def render_template(lang: str = "en") -> str:
    index = schema_index()
    head = (
        ["# 模型卡模板（modelcard-spec）。填写各字段后运行：modelcard-spec validate card.yaml",
         "# 方括号中为必填标记和该字段服务的要求编号（本工具包自定编号，并非标准条款号）。",
         "# 未填写的字段视为未给出，校验时每个只报告一次。形似数字的文本（如版本号 1.10）应加引号书写：'1.10'。"]
        if lang == "zh" else
        ["# Model card template (modelcard-spec). Fill in the fields, then run: modelcard-spec validate card.yaml",
         "# Brackets show whether a field is required and the requirement IDs it serves (the kit's own IDs,",
         "# not clause numbers of the standard).",
         "# A field left empty counts as not given; validate reports each one once. Quote text that looks like",
         "# a number, such as a version: '1.10'."]
    )
    body: list[str] = []
    _emit(index["root_class"], 0, lang, body)
    prefilled = {
        "schema_version:": f"schema_version: {index['schema_version']}",
        "  standard:": f"  standard: {catalogue_data()['standard']}",
        "  catalogue_version:": f"  catalogue_version: {catalogue.catalogue_version()}",
        "  claim_all:": "  claim_all: true",
    }
    body = [prefilled.get(line, line) for line in body]
    return "\n".join(head + body) + "\n"
