"""What ``import`` prints besides the cards: the notes after a single import (the fields the source
did not give, the requirements with gaps), a source that cannot be imported, and the coverage table
of a batch in Markdown, in English or Chinese. The texts are the templates below, filled with
structured values (pointers, requirement IDs, counts) by :func:`_say`."""

from __future__ import annotations

from typing import Iterable, Mapping

from ..spec import catalogue

# key -> (English, Chinese); a list value is written as its items joined by ", " in both languages
TEXTS = {
    "refused": ("cannot import: {message}", "无法导入：{message}"),
    "not-given": ("the source does not give {pointers}: declare {them} with {options_en}, or add {them} to the card",
                  "来源未提供 {pointers}：请用 {options_zh} 声明，或在模型卡中补充"),
    "not-given-other": ("the source does not give {pointers}: add {them} to the card",
                        "来源未提供 {pointers}：请在模型卡中补充"),
    "not-given-both": ("the source does not give {pointers}: declare {declarable} with {options_en}, and add {others} "
                       "to the card",
                       "来源未提供 {pointers}：请用 {options_zh} 声明 {declarable}，并在模型卡中补充 {others}"),
    "gaps": ("imported; {count} requirement(s) with gaps (see modelcard-spec report): {requirements}",
             "导入完成：{count} 项要求存在缺口（详见 modelcard-spec report）：{requirements}"),
    "done": ("filled {placed} place(s) of the card from the source: {stated} as it states them, {inferred} inferred by "
             "a rule of the importing guide and marked so; kept {kept} value(s) verbatim in extensions; {unread} "
             "part(s) of the source not read",
             "依据来源填写了模型卡的 {placed} 处：{stated} 处照来源所载，{inferred} 处按导入指南中的规则推断并已标注；"
             "{kept} 个值原样保留在 extensions 中；来源中有 {unread} 个部分未能读取"),
    "kept": ("kept verbatim in extensions: {names}", "原样保留在 extensions 中的内容：{names}"),
    "note": ("{where}: {severity}: {message}", "{where}: {severity_zh}：{message}"),
    "source": ("Source", "来源"),
    "documented": ("Documented", "已记录"),
    "cell": ("Each cell: requirements in scope that the imported card documents (every field present, every automated "
             "check passed) / requirements in scope. None is evaluated yet: see modelcard-spec report.",
             "每格：模型卡已记录的适用要求数（字段齐全且自动检查全部通过）/适用要求数。尚未评价任何要求：详见 modelcard-spec report。"),
}


def _say(key: str, lang: str, **params) -> str:
    text = TEXTS[key][lang == "zh"]
    return text.format(**{k: ", ".join(v) if isinstance(v, (list, tuple)) else v for k, v in params.items()})


def refused(message: str, message_zh: str) -> tuple[str, str]:
    """(English, Chinese) of a source that cannot be imported, given why in both languages."""
    return _say("refused", "en", message=message), _say("refused", "zh", message=message_zh)


# The required fields of a card that import's options declare.
OPTIONS = {"/version": "--version", "/provider": "--provider", "/provider/name": "--provider",
           "/provider_kind": "--provider-kind"}


def not_given(pointers: list[str]) -> list[str]:
    """The two lines (English, Chinese) asking to declare the required fields a source did not give:
    those an option of import declares with that option (named, only those), the others in the card;
    none if it gave them all."""
    if not pointers:
        return []
    declarable = [p for p in pointers if p in OPTIONS]
    others = [p for p in pointers if p not in OPTIONS]
    options = list(dict.fromkeys(OPTIONS[p] for p in declarable))
    en = options[0] if len(options) == 1 else ", ".join(options[:-1]) + " or " + options[-1] if options else ""
    zh = options[0] if len(options) == 1 else "、".join(options[:-1]) + " 或 " + options[-1] if options else ""
    them = "it" if len(pointers) == 1 else "them"
    if not declarable:
        key = "not-given-other"
    elif not others:
        key = "not-given"
    else:
        key = "not-given-both"
    return [_say(key, lang, pointers=pointers, options_en=en, options_zh=zh, them=them, declarable=declarable,
                 others=others) for lang in ("en", "zh")]


SEVERITY_ZH = {"error": "错误", "warning": "警告", "info": "提示"}


def done(card: Mapping, notes: list, lang: str) -> str:
    """The line, in ``lang``, that says what an import placed (by the card's provenance), kept in
    extensions and could not read."""
    prov = card.get("provenance") or []
    inferred = sum(1 for e in prov if e.get("origin") == "inferred")
    return _say("done", lang, placed=len(prov), stated=len(prov) - inferred, inferred=inferred,
                kept=len(card.get("extensions") or []), unread=sum(1 for n in notes if n.rule == "import.unread"))


def kept(card: Mapping, lang: str) -> list[str]:
    """The line, in ``lang``, naming what an import kept in extensions (none if it kept nothing)."""
    names = [str(e.get("name")) for e in card.get("extensions") or [] if isinstance(e, dict)]
    return [_say("kept", lang, names=list(dict.fromkeys(names)))] if names else []


def notes(where: str, issues: list) -> list[str]:
    """The lines (English, then Chinese, per note) of the notes an import went on after: parts of the
    source it could not read, values it kept in extensions because the schema has no place for them."""
    lines = []
    for issue in issues:
        lines.append(_say("note", "en", where=where, severity=issue.severity, message=issue.message))
        lines.append(_say("note", "zh", where=where, severity_zh=SEVERITY_ZH[issue.severity], message=issue.message_zh))
    return lines


def gaps(requirements: list[str], lang: str) -> str:
    """The line, in ``lang``, that lists the requirements an imported card does not meet."""
    return _say("gaps", lang, count=len(requirements), requirements=requirements)


def coverage_table(rows: Iterable[tuple[str, Mapping[str, tuple[int, int]]]], lang: str) -> str:
    """The Markdown table of a batch: one row per card written (its name, then per area of the
    catalogue the requirements in scope it documents / the requirements in scope, then the share
    documented in all), and a note on what a cell holds."""
    areas = catalogue.areas()
    title = "title_zh" if lang == "zh" else "title"
    lines = ["| " + _say("source", lang) + " | " + " | ".join(a[title] for a in areas) + " | "
             + _say("documented", lang) + " |",
             "|---" * (len(areas) + 2) + "|"]
    for name, cells in rows:
        met = sum(c for c, _ in cells.values())
        applicable = sum(n for _, n in cells.values())
        lines.append(f"| {name} | " + " | ".join(f"{cells[a['id']][0]}/{cells[a['id']][1]}" for a in areas)
                     + (f" | {met / applicable:.0%} |" if applicable else " | – |"))
    return "\n".join(lines) + "\n\n" + _say("cell", lang) + "\n"
