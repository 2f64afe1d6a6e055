"""Rendering of validation reports and of the requirement catalogue (text, JSON, Markdown)."""

from __future__ import annotations

import json

from . import catalogue

DOCS_BASE = "https://w3id.org/modelcard-spec/docs"


def to_json(data) -> str:
    return json.dumps(data, ensure_ascii=False, indent=2, sort_keys=False) + "\n"


def _message(issue, lang: str) -> str:
    return issue.message_zh if lang == "zh" else issue.message


def report_text(report, lang: str = "en") -> str:
    """ruff-style lines: ``file:line:col: severity rule [REQ] message (at /pointer)``."""
    lines: list[str] = []
    for result in report.results:
        for issue in result.issues:
            where = result.card
            if issue.line is not None:
                where += f":{issue.line}" + (f":{issue.column}" if issue.column is not None else "")
            req = f" [{issue.requirement}]" if issue.requirement else ""
            at = f" (at {issue.path})" if issue.path else ""
            if lang == "zh":
                at = f"（位置 {issue.path}）" if issue.path else ""
            lines.append(f"{where}: {issue.severity} {issue.rule}{req} {_message(issue, lang)}{at}")
    cards = len(report.results)
    bad = sum(1 for r in report.results if not r.valid)
    errors = sum(r.counts()["error"] for r in report.results)
    warnings = sum(r.counts()["warning"] for r in report.results)
    if lang == "zh":
        lines.append(f"共检查 {cards} 个模型卡：{cards - bad} 个通过，{bad} 个未通过；错误 {errors} 个，警告 {warnings} 个。")
    else:
        lines.append(f"{cards} card(s) checked: {cards - bad} passed, {bad} failed; "
                     f"{errors} error(s), {warnings} warning(s).")
    return "\n".join(lines) + "\n"


def requirements_json() -> str:
    from ._resources import catalogue_data

    data = {k: v for k, v in catalogue_data().items() if k != "$comment"}
    return to_json(data)


def requirements_markdown(lang: str = "en") -> str:
    """The catalogue as Markdown, one section per area, with each requirement's mapped fields."""
    zh = lang == "zh"
    data_areas = catalogue.areas()
    out = ["# 要求目录" if zh else "# Requirement catalogue", ""]
    out.append(f"{'目录版本' if zh else 'Catalogue version'}: {catalogue.catalogue_version()}")
    out.append("")
    for area in data_areas:
        reqs = [r for r in catalogue.requirements() if r.area == area["id"]]
        out += [f"## {area['title_zh'] if zh else area['title']} ({area['title'] if zh else area['title_zh']})", ""]
        for r in reqs:
            out.append(f"### {r.id} — {r.title_zh if zh else r.title}")
            out.append("")
            out.append(r.statement_zh if zh else r.statement)
            out.append("")
            out.append(f"- {'约束程度' if zh else 'Obligation'}: {r.obligation}"
                       + (f" ({r.condition_zh if zh else r.condition})" if r.condition else ""))
            out.append(f"- {'适用提供方类型' if zh else 'Provider kinds'}: {', '.join(r.provider_kinds)}")
            out.append(f"- {'评价方法' if zh else 'Evaluation'}: {', '.join(r.evaluation_methods)} — "
                       f"{r.raw['evaluation_zh'] if zh else r.raw['evaluation']}")
            for src in r.raw["sources"]:
                passage = f" — “{src['passage']}”" if src.get("passage") else ""
                out.append(f"- {'出处' if zh else 'Source'}: {src['document']}, {src['section']}{passage}")
            if r.fields:
                out.append(f"- {'必填字段' if zh else 'Required fields'}: " + ", ".join(f"`{f}`" for f in r.fields))
            if r.related_fields:
                out.append(f"- {'相关字段' if zh else 'Related fields'}: " + ", ".join(f"`{f}`" for f in r.related_fields))
            out.append("")
    return "\n".join(out)
