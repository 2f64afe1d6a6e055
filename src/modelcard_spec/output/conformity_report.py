"""The full conformity report of one card, and its Markdown, HTML and JSON renderings."""

from __future__ import annotations

from functools import lru_cache

from ..spec.version import __version__
from ..spec import catalogue
from ..check import conformity
from ..spec.resources import schema_index, schema_version
from ..spec.diagnostics import CardResult
from ..spec.textsafe import markdown as md, terminal

# Labels of the verdicts, from the schema's Verdict enum (English title in lower case, Chinese title).
STATUS_LABELS = {value: (meta["title"].lower(), meta["title_zh"])
                 for value, meta in schema_index()["enums"]["Verdict"]["values"].items()}


def build(result: CardResult, data: dict | None) -> dict:
    """Header, one entry per requirement (with its issues), area summary and completeness."""
    data = data or {}
    entries = result.requirements or []
    by_id = catalogue.by_id()
    issues_by_req: dict[str, list[dict]] = {}
    for issue in result.issues:
        if issue.requirement:
            issues_by_req.setdefault(issue.requirement, []).append(issue.to_dict())
    requirements = []
    for e in entries:
        req = by_id[e["id"]]
        item = {"id": req.id, "area": req.area, "title": req.title, "title_zh": req.title_zh,
                "obligation": req.obligation, "evaluation_methods": list(req.evaluation_methods),
                "status": e["status"], "issues": issues_by_req.get(req.id, [])}
        if "justification" in e:
            item["justification"] = e["justification"]
            item["justification_zh"] = e["justification_zh"]
        requirements.append(item)
    conf = data.get("conformity") if isinstance(data.get("conformity"), dict) else {}
    return {
        "header": {
            "tool": {"name": "modelcard-spec", "version": __version__},
            "schema_version": schema_version(),
            "catalogue_version": catalogue.catalogue_version(),
            "card": result.card,
            "card_sha256": result.sha256,
            "model": {k: data.get(k) for k in ("identifier", "name", "version", "provider_kind")},
            "standard": conf.get("standard"),
            "valid": result.valid,
        },
        "summary": conformity.summary(entries) if entries else None,
        "requirements": requirements,
        "unattributed_issues": [i.to_dict() for i in result.issues if not i.requirement],
    }


def _area_titles() -> dict[str, tuple[str, str]]:
    return {a["id"]: (a["title"], a["title_zh"]) for a in catalogue.areas()}


def markdown(rep: dict, lang: str = "en") -> str:
    """The report as Markdown; every value from the card or its file name goes through
    :func:`.textsafe.markdown`, so none can add a section, a row, link syntax or HTML."""
    zh = lang == "zh"
    h = rep["header"]
    model = h["model"]
    title = md(f"{model.get('name') or h['card']} {model.get('version') or ''}".rstrip(), " ")
    out = [f"# {'符合性报告' if zh else 'Conformity report'}: {title}", ""]
    rows = [
        ("模型卡" if zh else "Card", f"<code>{md(h['card'])}</code>"),
        ("模型卡 SHA-256" if zh else "Card SHA-256", f"`{h['card_sha256']}`"),
        ("标识" if zh else "Identifier", f"<code>{md(model.get('identifier'))}</code>"),
        ("提供方类型" if zh else "Provider kind", md(model.get("provider_kind"))),
        ("标准" if zh else "Standard", md(h.get("standard"))),
        ("工具" if zh else "Tool", f"modelcard-spec {h['tool']['version']}"),
        ("规范 / 目录版本" if zh else "Schema / catalogue version", f"{h['schema_version']} / {h['catalogue_version']}"),
        ("结构和规则检查" if zh else "Validation", ("通过" if h["valid"] else "未通过") if zh else ("passed" if h["valid"] else "failed")),
    ]
    out += ["| | |", "|---|---|"] + [f"| {k} | {v} |" for k, v in rows] + [""]
    summary = rep["summary"]
    if summary:
        out.append(f"**{'完整度' if zh else 'Completeness'}: {summary['completeness']:.1%}** "
                   + ("（符合的要求占适用要求的比例）" if zh else "(requirements conformed to, of those that apply)"))
        out += ["", "## " + ("各领域汇总" if zh else "Summary by area"), ""]
        labels = [STATUS_LABELS[s][1 if zh else 0] for s in conformity.STATUSES]
        out += ["| " + ("领域" if zh else "Area") + " | " + " | ".join(labels) + " |",
                "|---" * (len(labels) + 1) + "|"]
        titles = _area_titles()
        for area, counts in summary["areas"].items():
            out.append(f"| {titles[area][1 if zh else 0]} | " + " | ".join(str(counts[s]) for s in conformity.STATUSES) + " |")
        out.append("")
    out += ["## " + ("逐项要求" if zh else "Requirements"), ""]
    out += ["| ID | " + ("要求" if zh else "Requirement") + " | " + ("状态" if zh else "Status") + " | "
            + ("说明" if zh else "Notes") + " |", "|---|---|---|---|"]
    for r in rep["requirements"]:
        notes = []
        if r.get("justification"):
            notes.append(md(r["justification_zh"] if zh else r["justification"]))
        for i in r["issues"]:
            notes.append(f"{i['severity']}: {md(i['message_zh'] if zh else i['message'])} (<code>{md(i['path'])}</code>)")
        cell = "<br>".join(notes)
        out.append(f"| {r['id']} | {r['title_zh'] if zh else r['title']} | {STATUS_LABELS[r['status']][1 if zh else 0]} | {cell} |")
    if rep["unattributed_issues"]:
        out += ["", "## " + ("其他问题" if zh else "Other issues"), ""]
        for i in rep["unattributed_issues"]:
            out.append(f"- {i['severity']} `{i['rule']}` {md(i['message_zh'] if zh else i['message'])} (<code>{md(i['path'])}</code>)")
    return "\n".join(out) + "\n"


@lru_cache(maxsize=1)
def _template():
    from jinja2 import Environment, PackageLoader

    # Autoescaping makes every value text; the template quotes every attribute.
    env = Environment(loader=PackageLoader("modelcard_spec.output", "templates"), autoescape=True)
    return env.get_template("report.html")


def html_page(rep: dict, lang: str = "en") -> str:
    """A self-contained HTML page (no scripts, no links, no external resources). Control, reordering
    and invisible characters are shown as escapes, which are plain text in HTML."""
    return terminal(_template().render(rep=rep, zh=lang == "zh", labels=STATUS_LABELS, statuses=conformity.STATUSES,
                                       areas=_area_titles()))
