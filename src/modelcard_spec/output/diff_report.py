"""What ``modelcard-spec diff`` writes: text, JSON (the shape of :meth:`..check.diff.DiffResult.to_dict`,
documented in docs/guides/diff.md) and Markdown for a reviewer, in English or Chinese.

Everything taken from the cards (values, keys in pointers, file names) is untrusted: text goes through
:func:`.textsafe.one_line`, Markdown through :func:`.textsafe.markdown`, JSON through the writer of the
validation output (:func:`.validation.to_json`). The output depends only on the two cards."""

from __future__ import annotations

import json

from ..check import updates
from ..spec.textsafe import markdown, one_line
from .validation import to_json

VALUE_WIDTH = 120  # characters of a value shown in text and Markdown (JSON has it whole)

_BASIS = {
    "card-major": ("the card's major update areas", "模型卡的重大更新领域"),
    "card-minor": ("the card's minor update areas", "模型卡的轻微更新领域"),
    "old-card-major": ("the old card's major update areas (the criteria in force)",
                       "旧模型卡的重大更新领域（本次发布时有效的准则）"),
    "old-card-minor": ("the old card's minor update areas (the criteria in force)",
                       "旧模型卡的轻微更新领域（本次发布时有效的准则）"),
    "default": ("the catalogue's update rules", "要求目录中的更新规则"),
    "unclassified": ("not a field of the schema: a reviewer decides", "非规范所定义的字段：由审核人员判定"),
}
_KIND = {"added": ("added", "新增"), "removed": ("removed", "删除"), "changed": ("changed", "修改")}
_WORDS = {
    "title": ("Changes from {old} to {new}", "从 {old} 到 {new} 的变更"),
    "identifier": ("Identifier", "标识符"),
    "proposal": ("Proposed update", "建议的更新类别"),
    "declared": ("Declared by the new card", "新模型卡的声明"),
    "areas": ("Changed areas", "变更领域"),
    "area": ("Area", "领域"),
    "class": ("Class", "类别"),
    "basis": ("By", "依据"),
    "driver": ("Driver", "驱动类型"),
    "count": ("Changes", "变更数"),
    "pointer": ("Field (JSON Pointer)", "字段（JSON Pointer）"),
    "kind": ("Change", "变更"),
    "old": ("Old", "旧值"),
    "new": ("New", "新值"),
    "issues": ("Findings", "发现的问题"),
    "none": ("none", "无"),
    "no-changes": ("The cards are the same.", "两张模型卡相同。"),
    "no-issues": ("No findings.", "未发现问题。"),
    "result": ("{errors} error(s), {warnings} warning(s), {infos} note(s)", "{errors} 个错误，{warnings} 个警告，{infos} 条提示"),
    "unclassified": ("(not a field of the schema)", "（非规范所定义的字段）"),
    "reasons": ("Reasons", "理由"),
    "reason": ("{count} {changes} in {area}: {cls} by {basis}", "{area}有 {count} 处变更：按{basis}为{cls}"),
    "severity": ("Severity", "级别"),
    "check": ("Check", "检查"),
    "where": ("Where", "位置"),
    "message": ("Message", "说明"),
    "more": ("... and {n} more", "……另有 {n} 处"),
    "below-default": (" (catalogue default: {cls})", "（要求目录中的默认类别：{cls}）"),
    "shortened": ("Values longer than {width} characters are shortened around their first difference (…); "
                  "the JSON output (--format json) has them whole.",
                  "超过 {width} 个字符的值在其首个不同之处前后截短显示（…）；JSON 输出（--format json）载有完整的值。"),
}


def _w(key: str, zh: bool, **params) -> str:
    text = _WORDS[key][1 if zh else 0]
    return text.format(**params) if params else text


def _area(area, zh: bool) -> str:
    if area is None:
        return _w("unclassified", zh)
    en, zh_text = updates.area_titles([area])
    return zh_text if zh else en[0]


def _full(value) -> str:
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, sort_keys=True)


def _value(value, other=None) -> str:
    """``value`` as text of at most about VALUE_WIDTH characters. With ``other`` (the value on the other
    side of a change), cut around the first character where the two differ, with context on both
    sides, so that two long values that differ late do not both show the same beginning."""
    text = _full(value)
    if len(text) <= VALUE_WIDTH:
        return text
    start = 0
    if other is not None:
        that = _full(other)
        first = next((i for i, (a, b) in enumerate(zip(text, that)) if a != b), min(len(text), len(that)))
        if first > VALUE_WIDTH * 2 // 3:  # else the beginning shows the difference
            start = max(0, min(first - VALUE_WIDTH // 3, len(text) - (VALUE_WIDTH - 2)))
    end = start + VALUE_WIDTH - (2 if start else 1)
    return ("…" if start else "") + text[start:end] + ("…" if end < len(text) else "")


def _shortened(result, limit: int) -> bool:
    """Whether a value the output shows is shortened."""
    shown = [result.old_version, result.new_version, result.identifier]
    for area in result.areas:
        for change in area.changes[:limit]:
            shown += [change.old, change.new]
    return any(len(_full(v)) > VALUE_WIDTH for v in shown)


def _declared(result, zh: bool) -> str:
    parts = []
    if isinstance(result.declared_type, str):
        parts.append(updates.class_title(result.declared_type, zh))
    if isinstance(result.declared_driver, str):
        parts.append(updates.driver_title(result.declared_driver, zh))
    return ("，" if zh else ", ").join(parts) if parts else _w("none", zh)


_PROPOSALS = {"editorial-only": ("editorial only", "仅编辑性修改"), "none": ("no change", "无变更")}


def _proposal(result, zh: bool) -> str:
    text = _PROPOSALS[result.proposal][1 if zh else 0] if result.proposal in _PROPOSALS \
        else updates.class_title(result.proposal, zh)
    if result.driver != "none":
        text += ("，" if zh else ", ") + updates.driver_title(result.driver, zh)
    return text


def _driver(value: str, zh: bool) -> str:
    return ("无" if zh else "-") if value == "none" else updates.driver_title(value, zh)


def _reason(area, zh: bool) -> str:
    text = _w("reason", zh, count=len(area.changes), changes="change" if len(area.changes) == 1 else "changes",
              area=_area(area.area, zh),
              cls=updates.class_title(area.update_class, zh), basis=_BASIS[area.basis][1 if zh else 0])
    if area.default_class is not None and area.default_class != area.update_class and area.basis != "default":
        text += _w("below-default", zh, cls=updates.class_title(area.default_class, zh))
    return text


def _counts(result) -> dict:
    return {f"{s}s" if s != "info" else "infos": sum(1 for i in result.issues if i.severity == s)
            for s in ("error", "warning", "info")}


def to_text(result, lang: str = "en", limit: int = 20) -> str:
    """The comparison as plain text: the proposal with its reasons, each area's changes (the first
    ``limit`` of each), the findings located in NEW."""
    zh = lang == "zh"
    colon = "：" if zh else ": "
    lines = [one_line(_w("title", zh, old=f"{result.old_path} ({_value(result.old_version)})",
                         new=f"{result.new_path} ({_value(result.new_version)})")),
             one_line(f"{_w('identifier', zh)}{colon}{_value(result.identifier)}"),
             f"{_w('proposal', zh)}{colon}{_proposal(result, zh)}",
             f"{_w('declared', zh)}{colon}{one_line(_declared(result, zh))}", ""]
    if not result.areas:
        lines += [_w("no-changes", zh), ""]
    for area in result.areas:
        lines.append(_reason(area, zh))
        for change in area.changes[:limit]:
            kind = _KIND[change.kind][1 if zh else 0]
            if change.kind == "added":
                shown = _value(change.new)
            elif change.kind == "removed":
                shown = _value(change.old)
            else:
                shown = f"{_value(change.old, change.new)} -> {_value(change.new, change.old)}"
            lines.append("  " + one_line(f"{kind} {change.pointer}: {shown}"))
        if len(area.changes) > limit:
            lines.append("  " + _w("more", zh, n=len(area.changes) - limit))
        lines.append("")
    lines.append(f"{_w('issues', zh)}{colon.rstrip()}" if result.issues else _w("no-issues", zh))
    for issue in result.issues:
        where = result.new_path + (f":{issue.line}:{issue.column}" if issue.line is not None else "")
        message = issue.message_zh if zh else issue.message
        lines.append("  " + one_line(f"{where}: {issue.severity} [{issue.rule}] {issue.path}: {message}"))
    if _shortened(result, limit):
        lines.append(_w("shortened", zh, width=VALUE_WIDTH))
    lines.append(_w("result", zh, **_counts(result)))
    return "\n".join(lines) + "\n"


def to_json_text(result) -> str:
    """The comparison as JSON (the shape documented in docs/guides/diff.md; keys sorted)."""
    return to_json(result.to_dict())


def to_markdown(result, lang: str = "en", limit: int = 200) -> str:
    """The comparison for a reviewer: the proposal and its reasons, the areas, each area's changes (the
    first ``limit``), the findings."""
    zh = lang == "zh"

    def row(*cells) -> str:
        return "| " + " | ".join(cells) + " |"

    colon = "：" if zh else ": "
    title = _w("title", zh, old=f"{result.old_path} ({_value(result.old_version)})",
               new=f"{result.new_path} ({_value(result.new_version)})")
    out = [f"# {markdown(title, ' ')}", "",
           f"- {_w('identifier', zh)}{colon}{markdown(_value(result.identifier))}",
           f"- **{_w('proposal', zh)}{colon}{markdown(_proposal(result, zh))}**",
           f"- {_w('declared', zh)}{colon}{markdown(_declared(result, zh))}", ""]
    if result.areas:
        out += [f"## {_w('areas', zh)}", "",
                row(_w("area", zh), _w("class", zh), _w("basis", zh), _w("driver", zh), _w("count", zh)),
                "|---|---|---|---|---:|"]
        for area in result.areas:
            out.append(row(markdown(_area(area.area, zh)), updates.class_title(area.update_class, zh),
                           _BASIS[area.basis][1 if zh else 0], _driver(area.driver, zh),
                           str(len(area.changes))))
        out.append("")
        for area in result.areas:
            out += [f"### {markdown(_area(area.area, zh), ' ')}", "", markdown(_reason(area, zh)), "",
                    row(_w("pointer", zh), _w("kind", zh), _w("old", zh), _w("new", zh)), "|---|---|---|---|"]
            for change in area.changes[:limit]:
                out.append(row(markdown(change.pointer), _KIND[change.kind][1 if zh else 0],
                               "" if change.kind == "added" else markdown(_value(change.old, change.new)),
                               "" if change.kind == "removed" else markdown(_value(change.new, change.old))))
            if len(area.changes) > limit:
                out.append(row(_w("more", zh, n=len(area.changes) - limit), "", "", ""))
            out.append("")
    else:
        out += [_w("no-changes", zh), ""]
    out += [f"## {_w('issues', zh)}", ""]
    if result.issues:
        out += [row(_w("severity", zh), _w("check", zh), _w("where", zh), _w("message", zh)), "|---|---|---|---|"]
        for issue in result.issues:
            where = issue.path + (f" ({issue.line}:{issue.column})" if issue.line is not None else "")
            out.append(row(issue.severity, f"`{issue.rule}`", markdown(where),
                           markdown(issue.message_zh if zh else issue.message)))
        out.append("")
    else:
        out += [_w("no-issues", zh), ""]
    if _shortened(result, limit):
        out += [markdown(_w("shortened", zh, width=VALUE_WIDTH)), ""]
    out.append(_w("result", zh, **_counts(result)))
    return "\n".join(out) + "\n"
