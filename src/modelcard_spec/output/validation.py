"""Rendering of validation reports and of the requirement catalogue (text, JSON, Markdown)."""

from __future__ import annotations

import json

from ..spec import catalogue
from ..spec.resources import catalogue_data
from ..spec.textsafe import json_text, markdown, one_line

DOCS_BASE = "https://w3id.org/modelcard-spec/docs"


def to_json(data) -> str:
    """``data`` as indented JSON; control, reordering and invisible characters and lone surrogates of
    untrusted strings are written as ``\\uXXXX`` escapes (:func:`.textsafe.json_text`)."""
    return json_text(json.dumps(data, ensure_ascii=False, indent=2, sort_keys=False)) + "\n"


def _message(issue, lang: str) -> str:
    return issue.message_zh if lang == "zh" else issue.message


def report_text(report, lang: str = "en") -> str:
    """ruff-style lines: ``file:line:col: severity rule [REQ] message (at /pointer)``, one line per
    issue whatever the file name, card keys and values hold (:func:`.textsafe.one_line`)."""
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
            lines.append(one_line(f"{where}: {issue.severity} {issue.rule}{req} {_message(issue, lang)}{at}"))
    cards = len(report.results)
    bad = sum(1 for r in report.results if not r.valid)
    errors = sum(r.counts()["error"] for r in report.results)
    warnings = sum(r.counts()["warning"] for r in report.results)
    if lang == "zh":
        lines.append(f"共检查 {cards} 张模型卡：{cards - bad} 张通过，{bad} 张未通过；错误 {errors} 个，警告 {warnings} 个。")
    else:
        lines.append(f"{cards} card(s) checked: {cards - bad} passed, {bad} failed; "
                     f"{errors} error(s), {warnings} warning(s).")
    return "\n".join(lines) + "\n"


def summary_table(report, lang: str = "en") -> str:
    """A table of the cards of a batch run: errors, warnings, and conformity counts."""
    zh = lang == "zh"
    head = ("模型卡", "结果", "错误", "警告", "采用率", "记录完整率", "评价通过率") if zh else \
        ("card", "result", "errors", "warnings", "adoption", "documentation", "evaluated")
    rows = []
    from ..check import conformity

    def pct(share) -> str:
        return "-" if share is None else f"{share:.0%}"

    for r in report.results:
        counts = r.counts()
        summ = conformity.summary(r.requirements) if r.requirements else None
        verdict = ("通过" if r.valid else "未通过") if zh else ("pass" if r.valid else "FAIL")
        if not r.readable:
            verdict = "无法读取" if zh else "UNREADABLE"
        rows.append((one_line(r.card), verdict, str(counts["error"]), str(counts["warning"]),
                     *((pct(summ["adoption"]), pct(summ["documentation"]), pct(summ["evaluated"])) if summ
                       else ("-", "-", "-"))))
    widths = [max(len(x) for x in col) for col in zip(head, *rows)]
    line = lambda cells: "  ".join(c.ljust(w) for c, w in zip(cells, widths)).rstrip()  # noqa: E731
    return "\n".join([line(head), line(["-" * w for w in widths])] + [line(r) for r in rows]) + "\n"


def report_markdown(report, lang: str = "en") -> str:
    """Validation results as Markdown (for pull-request comments and review notes). File names, card
    keys and messages are untrusted: they go through :func:`.textsafe.markdown`, so none of them can
    add a section, a row, link syntax or HTML."""
    zh = lang == "zh"
    out = ["# " + ("模型卡校验结果" if zh else "Model card validation"), ""]
    out.append(f"modelcard-spec {report.tool_version}, " + ("规范版本" if zh else "schema") + f" {report.schema_version}")
    out.append("")
    for r in report.results:
        mark = "✅" if r.valid else "❌"
        out += [f"## {mark} <code>{markdown(r.card, ' ')}</code>", ""]
        if not r.issues:
            out += ["没有问题。" if zh else "No issues.", ""]
            continue
        out += ["| " + " | ".join(("位置", "级别", "要求", "检查", "说明") if zh else
                                 ("Location", "Severity", "Requirement", "Check", "Message")) + " |",
                "|---|---|---|---|---|"]
        for i in r.issues:
            where = f"{i.line}:{i.column} " if i.line is not None else ""
            msg = markdown(i.message_zh if zh else i.message)
            out.append(f"| {where}<code>{markdown(i.path or '/')}</code> | {i.severity} | {i.requirement or ''} | "
                       f"`{i.rule}` | {msg} |")
        out.append("")
    # An indented code block, which every Markdown renderer shows as it is (the site's Python-Markdown
    # has no ``` fences); its lines are one_line()d, so a file name cannot end it.
    out += ["    " + line for line in summary_table(report, lang).splitlines()]
    return "\n".join(out) + "\n"


_SARIF_LEVEL = {"error": "error", "warning": "warning", "info": "note"}


def report_sarif(report, base: str | None = None) -> str:
    """SARIF 2.1.0 for code-scanning tools; JSON Pointers go in logical locations."""
    import os

    from ..spec.registry import lookup

    rule_ids = sorted({i.rule for r in report.results for i in r.issues})
    rules = []
    for rid in rule_ids:
        check = lookup(rid)
        title, title_zh = (check.title, check.title_zh) if check else (rid, rid)
        reqs = list(check.requirements) if check else []
        rules.append({"id": rid, "name": rid, "shortDescription": {"text": title},
                      "helpUri": f"{DOCS_BASE}/rules/#{rid}",
                      "properties": {"title_zh": title_zh, "requirements": reqs}})
    index = {rid: n for n, rid in enumerate(rule_ids)}
    results, conformity_runs = [], []
    from ..check import conformity

    for r in report.results:
        uri = r.card if os.path.isabs(r.card) or base is None else os.path.relpath(r.card, base)
        if r.requirements:  # each card's verdicts (the schema's Verdict values) and scores
            summ = conformity.summary(r.requirements)
            conformity_runs.append({"card": uri.replace(os.sep, "/"), "totals": summ["totals"],
                                    **{k: summ[k] for k in ("adoption", "documentation", "evaluated")},
                                    "verdicts": {e["id"]: e["status"] for e in r.requirements}})
        for i in r.issues:
            location: dict = {"physicalLocation": {"artifactLocation": {"uri": uri.replace(os.sep, "/")}}}
            if i.line is not None:
                region = {"startLine": i.line}
                if i.column is not None:
                    region["startColumn"] = i.column
                location["physicalLocation"]["region"] = region
            if i.path:
                location["logicalLocations"] = [{"fullyQualifiedName": i.path, "kind": "member"}]
            result = {"ruleId": i.rule, "ruleIndex": index[i.rule], "level": _SARIF_LEVEL[i.severity],
                      "message": {"text": (f"[{i.requirement}] " if i.requirement else "") + i.message},
                      "locations": [location],
                      "properties": {"requirement": i.requirement, "pointer": i.path, "message_zh": i.message_zh}}
            if i.params:
                result["properties"]["params"] = dict(i.params)
            results.append(result)
    sarif = {
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {"name": "modelcard-spec", "version": report.tool_version,
                                "semanticVersion": report.tool_version, "informationUri": DOCS_BASE,
                                "rules": rules}},
            "columnKind": "unicodeCodePoints",
            "properties": {"schema_version": report.schema_version, "conformity": conformity_runs},
            "results": results,
        }],
    }
    return to_json(sarif)


def _requirements_text(check, zh: bool) -> str:
    if check.requirements:
        return ", ".join(check.requirements)
    if check.reports_against:
        return check.reports_against[1] if zh else check.reports_against[0]
    return "-"


def rules_markdown(lang: str = "en") -> str:
    """Every check of the registry as a Markdown table (``modelcard-spec rules``)."""
    from ..check.checks import all_checks

    zh = lang == "zh"
    head = "| 检查 | 要求 | 默认级别 | 说明 |" if zh else "| Check | Requirements | Default severity | What it checks |"
    lines = [head, "|---|---|---|---|"]
    for check in all_checks():
        rid = check.id + (".*" if check.family else "")
        lines.append(f"| `{rid}` | {_requirements_text(check, zh)} | {check.severity} | {check.title_zh if zh else check.title} |")
    return "\n".join(lines) + "\n"


def rules_json() -> str:
    """Every check of the registry with its message templates (``modelcard-spec rules --format json``)."""
    from ..check.checks import all_checks

    return to_json([{"id": c.id + (".*" if c.family else ""), "requirements": list(c.requirements),
                     "reports_against": list(c.reports_against) if c.reports_against else None,
                     "severity": c.severity, "title": c.title, "title_zh": c.title_zh,
                     "messages": {variant: {"en": en, "zh": zh} for variant, (en, zh) in c.messages.items()}}
                    for c in all_checks()])


def requirements_json() -> str:
    from ..spec.resources import catalogue_data

    data = {k: v for k, v in catalogue_data().items() if k != "$comment"}
    return to_json(data)


def requirements_markdown(lang: str = "en") -> str:
    """The catalogue as Markdown, one section per area, with each requirement's mapped fields."""
    zh = lang == "zh"
    data_areas = catalogue.areas()
    out = ["# 要求目录" if zh else "# Requirement catalogue", ""]
    out.append(f"目录版本：{catalogue.catalogue_version()}" if zh else f"Catalogue version: {catalogue.catalogue_version()}")
    out.append("")
    cat = catalogue_data()
    documents = {d["id"]: d for d in cat["documents"]}
    out += [f"> {cat['derivation_zh'] if zh else cat['derivation']}", ">",
            f"> {' '.join((cat['note_zh'] if zh else cat['note']).split())}", ""]
    for area in data_areas:
        reqs = [r for r in catalogue.requirements() if r.area == area["id"]]
        out += [f"## {area['title_zh'] if zh else area['title']} ({area['title'] if zh else area['title_zh']})", ""]
        for r in reqs:
            out.append(f"### {r.id} — {r.title_zh if zh else r.title}")
            out.append("")
            out.append(r.statement_zh if zh else r.statement)
            out.append("")
            out.append(f"- {'约束程度' if zh else 'Obligation'}: {_word('obligation', r.obligation, zh)}"
                       + (f" ({r.condition_zh if zh else r.condition})" if r.condition else ""))
            out.append(f"- {'适用提供方类型' if zh else 'Provider kinds'}: "
                       + ("、" if zh else ", ").join(_kind_title(k, zh) for k in r.provider_kinds))
            out.append(f"- {'评价方法' if zh else 'Evaluation'}: "
                       + ("、" if zh else ", ").join(_word("evaluation_method", m, zh) for m in r.evaluation_methods)
                       + f" — {r.raw['evaluation_zh'] if zh else r.raw['evaluation']}")
            for src in r.raw["sources"]:
                passage = f" — “{src['passage']}”" if src.get("passage") else ""
                named = f" [{', '.join(src['statements'])}]" if src.get("statements") else ""
                doc = documents.get(src["document"], {}).get("title_zh") if zh else None
                out.append(f"- {'出处' if zh else 'Source'}: {doc or src['document']}, {src['section']}{named}{passage}")
            if r.fields:
                out.append(f"- {'必填字段' if zh else 'Required fields'}: " + ", ".join(f"`{f}`" for f in r.fields))
            if r.related_fields:
                out.append(f"- {'相关字段' if zh else 'Related fields'}: " + ", ".join(f"`{f}`" for f in r.related_fields))
            out.append("")
    out += _trace_markdown(cat, zh)
    return "\n".join(out)


def _word(kind: str, value: str, zh: bool) -> str:
    """A catalogue code (obligation, evaluation method) as its title in the chosen language, and the code
    itself in English (what the JSON holds)."""
    if not zh:
        return value
    return catalogue_data()["trace_vocabulary"][kind].get(value, {}).get("title_zh", value)


def _kind_title(kind: str, zh: bool) -> str:
    if not zh:
        return kind
    from ..spec.resources import schema_index

    return schema_index()["enums"]["ProviderKind"]["values"].get(kind, {}).get("title_zh", kind)


def _trace_markdown(cat: dict, zh: bool) -> list[str]:
    """The trace of every statement of the source documents: its encoding, the requirements citing it,
    and why it is not (fully) encoded."""
    cov = cat["coverage"]
    out = ["## 来源条目追溯" if zh else "## Trace of the source statements", ""]
    share = f"{cov['full_share']:.1%}"
    out.append(f"模型卡应包含的条目（{'、'.join(cov['scopes'])}）共 {cov['statements']} 条：完全编码 {cov['full']} 条（{share}），"
               f"部分编码 {cov['partial']} 条，未编码 {cov['not_encoded']} 条。" if zh else
               f"Statements a card is to carry ({', '.join(cov['scopes'])}): {cov['statements']}; fully encoded "
               f"{cov['full']} ({share}), partly {cov['partial']}, not encoded {cov['not_encoded']}.")
    out += ["", "| 条目 | 范围 | 编码情况 | 要求 | 说明 |" if zh else "| Statement | Scope | Encoding | Requirements | Note |",
            "|---|---|---|---|---|"]
    words = cat["trace_vocabulary"]
    title = "title_zh" if zh else "title"
    for s in cat["statements"]:
        note = s.get("note_zh" if zh else "note", "")
        reason = (words["reason"][s["reason"]][title] + ("：" if zh else ": ")) if s.get("reason") else ""
        out.append(f"| {s['id']} ({s['locator']}) | {s['scope']} | {words['encoding'][s['encoding']][title]} | "
                   f"{', '.join(s['requirements'])} | {markdown(reason + note)} |")
    out.append("")
    return out
