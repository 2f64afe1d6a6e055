"""The full conformity report of one card, and its Markdown, HTML and JSON renderings.

A report says what it is (conformity against this kit's requirement catalogue, derived from the
documents the catalogue names; never conformity with the standard itself), what was evaluated and
how (tool, model file, reproduction run, reviewer, with who and when), and puts first what is still
open: the requirements not adopted, with their reasons, and those awaiting evaluation."""

from __future__ import annotations

from functools import lru_cache

from ..spec.version import __version__
from ..spec import catalogue
from ..check import conformity
from ..spec.resources import catalogue_data, schema_index, schema_version
from ..spec.diagnostics import CardResult
from ..spec.textsafe import markdown as md, terminal


def _labels(enum: str) -> dict[str, tuple[str, str]]:
    """English and Chinese titles of an enum's values, from the schema."""
    return {value: (meta["title"], meta["title_zh"] or meta["title"])
            for value, meta in schema_index()["enums"][enum]["values"].items()}


# Labels of the verdicts, from the schema's Verdict enum (English title in lower case, Chinese title).
STATUS_LABELS = {value: (title.lower(), title_zh) for value, (title, title_zh) in _labels("Verdict").items()}
METHOD_LABELS = _labels("EvaluationMethod")
REASON_LABELS = _labels("NotAdoptedReason")
OBLIGATION_LABELS = _labels("Obligation")
REVIEW_LABELS = _labels("ReviewerVerdict")
KIND_LABELS = _labels("ProviderKind")
# The sections of the Markdown report, in order (English, Chinese): a card cannot add one.
HEADINGS = {"scores": ("Scores", "评分"), "not_adopted": ("Requirements not adopted", "不采用的要求"),
            "awaiting": ("Requirements awaiting evaluation", "待评价的要求"),
            "open": ("Requirements still open", "尚未解决的要求"), "areas": ("Summary by area", "各领域汇总"),
            "requirements": ("Requirements", "逐项要求"), "other": ("Other issues", "其他问题")}
# Statuses that leave something open, in the order the first screen lists them.
OPEN = ("nonconforming", "incomplete", "not_claimed")


def build(result: CardResult, data: dict | None, context: dict | None = None) -> dict:
    """Header, scores, one entry per requirement (with its issues and how it was evaluated), area
    summary. ``context``: what was evaluated besides the automated checks -- ``models`` (name and
    SHA-256 of each model file compared), ``verification`` (the verification result given) and
    ``assessment`` (the assessor's record given), each as :mod:`..check.evaluations` describes it."""
    data = data or {}
    context = context or {}
    entries = result.requirements or []
    by_id = catalogue.by_id()
    issues_by_req: dict[str, list[dict]] = {}
    for issue in result.issues:
        if issue.requirement:
            issues_by_req.setdefault(issue.requirement, []).append(issue.to_dict())
    reviews = {r["requirement"]: r for r in (context.get("assessment") or {}).get("reviews", [])}
    origins = _origins(data)
    requirements = []
    for e in entries:
        req = by_id[e["id"]]
        item = {"id": req.id, "area": req.area, "title": req.title, "title_zh": req.title_zh,
                "obligation": req.obligation, "evaluation_methods": list(req.evaluation_methods),
                "evaluation": req.raw.get("evaluation"), "evaluation_zh": req.raw.get("evaluation_zh"),
                "status": e["status"], "issues": issues_by_req.get(req.id, [])}
        for key in ("reason", "justification", "justification_zh", "claimed_automatically", "performed", "evaluated_by",
                    "pending"):
            if key in e:
                item[key] = e[key]
        if req.id in reviews:
            item["review"] = reviews[req.id]
        if req.id in origins:
            item["origins"] = origins[req.id]
        requirements.append(item)
    conf = data.get("conformity") if isinstance(data.get("conformity"), dict) else {}
    cat = catalogue_data()
    return {
        "header": {
            "tool": {"name": "modelcard-spec", "version": __version__},
            "schema_version": schema_version(),
            "catalogue_version": catalogue.catalogue_version(),
            "catalogue_derivation": cat["derivation"],
            "catalogue_derivation_zh": cat["derivation_zh"],
            "card": result.card,
            "card_sha256": result.sha256,
            "model": {k: data.get(k) for k in ("identifier", "name", "version", "provider_kind")},
            "declared_standard": conf.get("standard"),
            "valid": result.valid,
            "models": context.get("models") or [],
            "verification": context.get("verification"),
            "assessment": {k: v for k, v in (context.get("assessment") or {}).items() if k != "reviews"} or None,
        },
        "summary": conformity.summary(entries) if entries else None,
        "requirements": requirements,
        "unattributed_issues": [i.to_dict() for i in result.issues if not i.requirement],
    }


ORIGIN_LABELS = _labels("ValueOrigin")


def _origins(data: dict) -> dict[str, list[dict]]:
    """Per requirement, the card's values it is tied to that the provider did not write, as the
    card's provenance says (pointer, origin, and the rule of an inferred value)."""
    entries = data.get("provenance")
    kind = data.get("provider_kind") if isinstance(data.get("provider_kind"), str) else None
    out: dict[str, list[dict]] = {}
    for entry in entries if isinstance(entries, list) else []:
        if not (isinstance(entry, dict) and isinstance(entry.get("pointer"), str)
                and entry.get("origin") in ORIGIN_LABELS and entry["origin"] != "declared"):
            continue
        said = {"pointer": entry["pointer"], "origin": entry["origin"]}
        if isinstance(entry.get("rule"), str):
            said["rule"] = entry["rule"]
        for rid in catalogue.requirements_for_pointer(entry["pointer"], kind):
            out.setdefault(rid, []).append(said)
    return out


def origins_text(r: dict, zh: bool) -> str:
    """The note on a requirement's values that the provider did not write; "" if there are none."""
    if not r.get("origins"):
        return ""
    parts = []
    for o in r["origins"]:
        label = ORIGIN_LABELS[o["origin"]][1 if zh else 0]
        rule = (f"（规则 {o['rule']}）" if zh else f" (rule {o['rule']})") if o.get("rule") else ""
        parts.append(f"{o['pointer']} {label if zh else label.lower()}{rule}")
    return ("非提供方填写的值，应由提供方确认：" if zh else "values not written by the provider, to be confirmed by it: ") \
        + ("；" if zh else "; ").join(parts)


def _area_titles() -> dict[str, tuple[str, str]]:
    return {a["id"]: (a["title"], a["title_zh"]) for a in catalogue.areas()}


def _pct(share: float | None) -> str:
    return "–" if share is None else f"{share:.1%}"


def scores(summary: dict, zh: bool) -> list[tuple[str, str, str]]:
    """The three scores as (name, "part of whole (percent)", what it measures)."""
    c, t = summary["counts"], summary["totals"]
    of = "{} / {}"
    if zh:
        return [("采用率", f"{of.format(c['adopted'], c['in_scope'])}（{_pct(summary['adoption'])}）",
                 "适用范围内的要求中已声明采用的"),
                ("记录完整率", f"{of.format(c['documented'], c['adopted'])}（{_pct(summary['documentation'])}）",
                 "已采用的要求中字段和条件均已填写的"),
                ("评价通过率", f"{of.format(t['conforms'], c['adopted'])}（{_pct(summary['evaluated'])}）",
                 "已采用的要求中所需评价全部完成并通过的")]
    return [("Adoption", f"{of.format(c['adopted'], c['in_scope'])} ({_pct(summary['adoption'])})",
             "requirements in scope that the card adopts"),
            ("Documentation", f"{of.format(c['documented'], c['adopted'])} ({_pct(summary['documentation'])})",
             "adopted requirements whose fields and conditions are filled in"),
            ("Evaluated", f"{of.format(t['conforms'], c['adopted'])} ({_pct(summary['evaluated'])})",
             "adopted requirements with every evaluation their method needs performed and passed")]


def how_evaluated(r: dict, header: dict, zh: bool) -> str:
    """How a requirement was evaluated: each method performed with who performed it (the tool, the
    comparison with the model files given, the verification result given, the reviewer with the date),
    and those still pending. Plain text; callers escape."""
    i = 1 if zh else 0
    comma = "，" if zh else ", "
    parts = []
    a, v = header.get("assessment") or {}, header.get("verification") or {}
    sources = {"model_files": comma.join(x["name"] for x in header["models"]),
               "verification": v.get("file", ""),
               "reviewer": comma.join(x for x in (a.get("assessor"), a.get("assessed_on")) if x)}
    for m in r.get("performed", []):
        label, source = METHOD_LABELS[m][i], sources.get(r.get("evaluated_by", {}).get(m, "tool"), "")
        parts.append(f"{label}（{source}）" if zh and source else f"{label} ({source})" if source else label)
    review = r.get("review")
    if review and review.get("verdict") in REVIEW_LABELS:
        verdict = REVIEW_LABELS[review["verdict"]][i]
        if r["status"] in ("not_adopted", "not_applicable", "not_claimed"):
            parts.append(f"审核结论（{verdict}）未纳入：该要求为{STATUS_LABELS[r['status']][1]}" if zh else
                         f"reviewer's verdict ({verdict}) not taken into account: the requirement is "
                         f"{STATUS_LABELS[r['status']][0]}")
        else:
            parts.append(("审核结论：" if zh else "reviewer's verdict: ") + verdict)
    if r.get("pending"):
        joined = ("、" if zh else ", ").join(METHOD_LABELS[m][i] for m in r["pending"])
        parts.append(("待完成：" if zh else "pending: ") + joined)
    return ("；" if zh else "; ").join(parts)


def record_text(a: dict, zh: bool) -> str:
    """The assessor's record as the header shows it: file and SHA-256, who (name, role, organisation,
    accreditation) and when. Plain text; callers escape."""
    who = [str(a[k]) for k in ("assessor", "role", "organisation", "accreditation") if a.get(k) and str(a[k]).strip()]
    sep = "，" if zh else ", "
    return f"{a['file']} (SHA-256 {a['sha256']}): {sep.join(who)}{sep}{a['assessed_on']}"


def examined(r: dict, zh: bool) -> str:
    """The evidence a reviewer examined for a requirement (path and SHA-256), or ''. Plain text."""
    files = (r.get("review") or {}).get("evidence_examined") or []
    items = [f"{f.get('path')} (SHA-256 {f.get('sha256')})" for f in files if isinstance(f, dict)]
    if not items:
        return ""
    return ("审核人员检查的证据：" if zh else "evidence examined: ") + ("；" if zh else "; ").join(items)


def _evaluation_rows(h: dict, zh: bool) -> list[tuple[str, str]]:
    models = ", ".join(f"{m['name']} (SHA-256 {m['sha256']})" for m in h["models"])
    v, a = h.get("verification"), h.get("assessment")
    none_given = "未提供" if zh else "none given"
    rows = [("模型文件比对" if zh else "Model files compared", md(models) if models else none_given),
            ("复现运行结果" if zh else "Reproduction run",
             md(f"{v['file']} (SHA-256 {v['sha256']})") if v else none_given),
            ("审核记录" if zh else "Assessor's record", md(record_text(a, zh)) if a else none_given)]
    return rows


def markdown(rep: dict, lang: str = "en") -> str:
    """The report as Markdown; every value from the card, a record or a file name goes through
    :func:`.textsafe.markdown`, so none can add a section, a row, link syntax or HTML."""
    zh = lang == "zh"
    i = 1 if zh else 0
    h = rep["header"]
    model = h["model"]
    title = md(f"{model.get('name') or h['card']} {model.get('version') or ''}".rstrip(), " ")
    cat = f"modelcard-spec {'要求目录' if zh else 'requirement catalogue'} {h['catalogue_version']}"
    out = [f"# {'符合性报告：' if zh else 'Conformity report: '}{title}", ""]
    if zh:
        out += [f"**本报告给出模型卡对照 {cat} 的符合性。**{h['catalogue_derivation_zh']}"
                "本报告不是对标准本身的符合性声明。", ""]
    else:
        out += [f"**Conformity against the {cat}.** {h['catalogue_derivation']} "
                "This report does not state conformity with the standard itself.", ""]
    kind = model.get("provider_kind")
    known = isinstance(kind, str) and kind in KIND_LABELS
    kind_text = md((f"{KIND_LABELS[kind][1]}（{kind}）" if zh else f"{KIND_LABELS[kind][0]} ({kind})") if known else kind)
    rows = [
        ("模型卡" if zh else "Card", f"<code>{md(h['card'])}</code>"),
        ("模型卡 SHA-256" if zh else "Card SHA-256", f"`{h['card_sha256']}`"),
        ("标识" if zh else "Identifier", f"<code>{md(model.get('identifier'))}</code>"),
        ("提供方类型" if zh else "Provider kind", kind_text),
        ("模型卡声明依据的标准" if zh else "Standard the card's declaration names", md(h.get("declared_standard"))),
        ("工具" if zh else "Tool", f"modelcard-spec {h['tool']['version']}"),
        ("规范 / 目录版本" if zh else "Schema / catalogue version", f"{h['schema_version']} / {h['catalogue_version']}"),
        ("结构和规则检查" if zh else "Validation", ("通过" if h["valid"] else "未通过") if zh else ("passed" if h["valid"] else "failed")),
    ] + _evaluation_rows(h, zh)
    out += ["| | |", "|---|---|"] + [f"| {k} | {v} |" for k, v in rows] + [""]
    summary = rep["summary"]
    if summary:
        out += ["## " + HEADINGS["scores"][i], ""]
        out += ["| " + ("评分项" if zh else "Score") + " | " + ("数值" if zh else "Value") + " | "
                + ("含义" if zh else "Measures") + " |", "|---|---|---|"]
        out += [f"| {name} | {value} | {what} |" for name, value, what in scores(summary, zh)]
        out += ["", "| " + " | ".join(STATUS_LABELS[s][i] for s in conformity.STATUSES) + " |",
                "|---" * len(conformity.STATUSES) + "|",
                "| " + " | ".join(str(summary["totals"][s]) for s in conformity.STATUSES) + " |", ""]
    reqs = rep["requirements"]
    not_adopted = [r for r in reqs if r["status"] == "not_adopted"]
    awaiting = [r for r in reqs if r["status"] == "awaiting_evaluation"]
    still_open = [r for r in reqs if r["status"] in OPEN]
    out += ["## " + HEADINGS["not_adopted"][i], ""]
    if not_adopted:
        out += ["| ID | " + ("要求" if zh else "Requirement") + " | " + ("原因" if zh else "Reason") + " | "
                + ("理由" if zh else "Justification") + " |", "|---|---|---|---|"]
        for r in not_adopted:
            reason = REASON_LABELS[r["reason"]][i] if r.get("reason") in REASON_LABELS else "–"
            text = r.get("justification_zh" if zh else "justification") or ""
            out.append(f"| {r['id']} | {r['title_zh'] if zh else r['title']} | {reason} | {md(text)} |")
    else:
        out.append("无。" if zh else "None.")
    out += ["", "## " + HEADINGS["awaiting"][i], ""]
    if awaiting:
        out += ["| ID | " + ("要求" if zh else "Requirement") + " | " + ("待完成的评价" if zh else "Evaluation pending")
                + " |", "|---|---|---|"]
        for r in awaiting:
            pending = ("、" if zh else ", ").join(METHOD_LABELS[m][i] for m in r.get("pending", []))
            out.append(f"| {r['id']} | {r['title_zh'] if zh else r['title']} | {pending} |")
    else:
        out.append("无。" if zh else "None.")
    out += ["", "## " + HEADINGS["open"][i], ""]
    if still_open:
        out += [f"- {r['id']} {r['title_zh'] if zh else r['title']}: {STATUS_LABELS[r['status']][i]}" for r in still_open]
    else:
        out.append("无。" if zh else "None.")
    out.append("")
    if summary:
        out += ["## " + HEADINGS["areas"][i], ""]
        labels = [STATUS_LABELS[s][i] for s in conformity.STATUSES]
        out += ["| " + ("领域" if zh else "Area") + " | " + " | ".join(labels) + " |",
                "|---" * (len(labels) + 1) + "|"]
        titles = _area_titles()
        for area, counts in summary["areas"].items():
            out.append(f"| {titles[area][i]} | " + " | ".join(str(counts[s]) for s in conformity.STATUSES) + " |")
        out.append("")
    out += ["## " + HEADINGS["requirements"][i], ""]
    out += ["| ID | " + " | ".join(("要求", "约束程度", "评价方法", "状态", "评价情况", "说明") if zh else
                                   ("Requirement", "Obligation", "Evaluation method", "Status", "How evaluated", "Notes"))
            + " |", "|---|---|---|---|---|---|---|"]
    for r in reqs:
        notes = []
        if r.get("claimed_automatically"):
            notes.append("仅适用于此提供方类型，因此自动视为声明采用；如不采用，应在 conformity.requirements 中声明"
                         if zh else "claimed automatically (written for this provider kind alone); declare it not "
                         "adopted in conformity.requirements to opt out")
        if r.get("reason") in REASON_LABELS:
            notes.append(REASON_LABELS[r["reason"]][i])
        if r.get("justification"):
            notes.append(md(r["justification_zh"] if zh else r["justification"]))
        review = r.get("review")
        if review:
            note = review.get("notes_zh" if zh else "notes") or review.get("notes" if zh else "notes_zh")
            if note:
                notes.append(("审核人员：" if zh else "reviewer: ") + md(note))
            if examined(r, zh):
                notes.append(md(examined(r, zh)))
        if origins_text(r, zh):
            notes.append(md(origins_text(r, zh)))
        for issue in r["issues"]:
            notes.append(f"{issue['severity']}: {md(issue['message_zh'] if zh else issue['message'])} "
                         f"(<code>{md(issue['path'])}</code>)")
        methods = ("、" if zh else ", ").join(METHOD_LABELS[m][i] for m in r["evaluation_methods"])
        out.append(f"| {r['id']} | {r['title_zh'] if zh else r['title']} | {OBLIGATION_LABELS[r['obligation']][i]} | "
                   f"{methods} | {STATUS_LABELS[r['status']][i]} | {md(how_evaluated(r, h, zh))} | {'<br>'.join(notes)} |")
    if rep["unattributed_issues"]:
        out += ["", "## " + HEADINGS["other"][i], ""]
        for issue in rep["unattributed_issues"]:
            out.append(f"- {issue['severity']} `{issue['rule']}` {md(issue['message_zh'] if zh else issue['message'])} "
                       f"(<code>{md(issue['path'])}</code>)")
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
    zh = lang == "zh"
    return terminal(_template().render(
        rep=rep, zh=zh, labels=STATUS_LABELS, statuses=conformity.STATUSES, areas=_area_titles(),
        methods=METHOD_LABELS, reasons=REASON_LABELS, obligations=OBLIGATION_LABELS, kinds=KIND_LABELS,
        scores=scores(rep["summary"], zh) if rep["summary"] else [], still_open=OPEN,
        how=lambda r: how_evaluated(r, rep["header"], zh), record=lambda a: record_text(a, zh),
        examined=lambda r: examined(r, zh), origins=lambda r: origins_text(r, zh)))
