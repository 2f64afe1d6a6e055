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
    "not-given": ("the source does not give {pointers}: declare them with --version, --provider or --provider-kind, "
                  "or add them to the card",
                  "来源未提供 {pointers}：请用 --version、--provider 或 --provider-kind 声明，或在模型卡中补充"),
    "gaps": ("imported; {count} requirement(s) with gaps (see modelcard-spec report): {requirements}",
             "导入完成：{count} 项要求存在缺口（详见 modelcard-spec report）：{requirements}"),
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


def not_given(pointers: list[str]) -> list[str]:
    """The two lines (English, Chinese) asking to declare the required fields a source did not give;
    none if it gave them all."""
    return [_say("not-given", lang, pointers=pointers) for lang in ("en", "zh")] if pointers else []


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
