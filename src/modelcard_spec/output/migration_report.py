"""What ``migrate`` writes besides the card: the migrated card as YAML or JSON, and the report of
every change (pointer in the old card, pointer in the new card, old and new value, why), as text in
English or Chinese or as JSON with both languages. Every value from the card is untrusted: the text
goes through :mod:`..spec.textsafe`."""

from __future__ import annotations

import json
from collections import Counter

from ..spec.textsafe import json_text, one_line, terminal, yaml_dump

# key -> (English, Chinese)
TEXTS = {
    "head": ("{card}: migrated from schema {source} to {target}: {count} change(s)",
             "{card}：已由规范 {source} 版迁移至 {target} 版，共 {count} 处修改"),
    "same": ("{card}: already written against schema {target}: nothing to change",
             "{card}：已依据规范 {target} 版，无需修改"),
    "kinds": ("by kind: {kinds}", "按类型：{kinds}"),
    "line": ("{kind} {path}{arrow}: {old} -> {new}: {reason}", "{kind} {path}{arrow}：{old} -> {new}：{reason}"),
    "missing-line": ("{kind} {new_path}: {reason}", "{kind} {new_path}：{reason}"),
    "kept": ("{count} value(s) without a place in {target} are kept in extensions (named 'schema <version> <pointer>')",
             "{count} 个在 {target} 版中没有对应字段的取值保留于扩展信息（extensions）中（名称为“schema <版本> <指针>”）"),
    "left": ("{count} field(s) the new version asks for are left missing (never invented): fill them in; "
             "modelcard-spec validate reports them",
             "{count} 个新版本要求的字段保持缺失（迁移不自行填写）：请补充；modelcard-spec validate 会报告这些字段"),
    "comments": ("the card's YAML comments are not kept: copy any you need from the original",
                 "模型卡中的 YAML 注释不会保留：如有需要，请从原文件中复制"),
}
KIND_ZH = {"renamed": "改名", "moved": "移动", "converted": "转换", "added": "新增", "to_extensions": "移入扩展信息",
           "version": "版本", "missing": "缺失", "review": "待核对"}
KINDS_ORDER = ("version", "renamed", "moved", "converted", "added", "to_extensions", "missing", "review")


def _say(key: str, lang: str, **params) -> str:
    return TEXTS[key][lang == "zh"].format(**params)


def _value(value) -> str:
    """A value as one short line of JSON (a long one cut, the report being for reading)."""
    text = json.dumps(value, ensure_ascii=False)
    return text if len(text) <= 120 else text[:117] + "..."


def card_text(card: dict, form: str = "yaml") -> str:
    """The migrated card as YAML (the card's key order) or JSON."""
    if form == "json":
        return json_text(json.dumps(card, ensure_ascii=False, indent=2)) + "\n"
    return yaml_dump(card, sort_keys=False, width=100)


def text(name: str, source: str, target: str, changes: list, lang: str = "en") -> str:
    """The report as lines of text in one language."""
    zh = lang == "zh"
    if not changes:
        return terminal(_say("same", lang, card=one_line(name), target=target)) + "\n"
    out = [_say("head", lang, card=one_line(name), source=source, target=target, count=len(changes))]
    counts = Counter(c.kind for c in changes)
    kinds = ", ".join(f"{KIND_ZH[k] if zh else k} {counts[k]}" for k in KINDS_ORDER if counts[k])
    out.append("  " + _say("kinds", lang, kinds=kinds))
    for c in changes:  # in the order of the steps
        kind = KIND_ZH.get(c.kind, c.kind) if zh else c.kind
        reason = one_line(c.reason_zh if zh else c.reason_en)  # it may quote the card's text
        if c.kind in ("missing", "review"):  # nothing changed: what the provider is to do
            out.append("  " + _say("missing-line", lang, kind=kind, new_path=one_line(c.new_path or ""), reason=reason))
        else:
            arrow = f" -> {one_line(c.new_path)}" if c.new_path not in (None, c.path) else ""
            out.append("  " + _say("line", lang, kind=kind, path=one_line(c.path), arrow=arrow,
                                   old=one_line(_value(c.old)), new=one_line(_value(c.new)), reason=reason))
    if counts["to_extensions"]:
        out.append(_say("kept", lang, count=counts["to_extensions"], target=target))
    if counts["missing"]:
        out.append(_say("left", lang, count=counts["missing"]))
    out.append(_say("comments", lang))
    return "".join(terminal(line) + "\n" for line in out)


def report_json(name: str, source: str, target: str, changes: list) -> str:
    """The report as JSON: every change with its reason in both languages."""
    counts = Counter(c.kind for c in changes)
    data = {"card": name, "from": source, "to": target, "changes": [c.to_dict() for c in changes],
            "counts": {k: counts[k] for k in KINDS_ORDER if counts[k]},
            "comments_kept": False}
    return json_text(json.dumps(data, ensure_ascii=False, indent=2)) + "\n"
