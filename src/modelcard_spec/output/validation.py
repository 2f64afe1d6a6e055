"""Rendering of validation reports and of the requirement catalogue (text, JSON, Markdown)."""

from __future__ import annotations

import json
from typing import Iterator

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


def _issue_line(card: str, issue, lang: str) -> str:
    where = card
    if issue.line is not None:
        where += f":{issue.line}" + (f":{issue.column}" if issue.column is not None else "")
    req = f" [{issue.requirement}]" if issue.requirement else ""
    at = f" (at {issue.path})" if issue.path else ""
    if lang == "zh":
        at = f"（位置 {issue.path}）" if issue.path else ""
    return one_line(f"{where}: {issue.severity} {issue.rule}{req} {_message(issue, lang)}{at}")


def _counts_line(cards: int, bad: int, errors: int, warnings: int, lang: str) -> str:
    if lang == "zh":
        return f"共检查 {cards} 张模型卡：{cards - bad} 张通过，{bad} 张未通过；错误 {errors} 个，警告 {warnings} 个。"
    return f"{cards} card(s) checked: {cards - bad} passed, {bad} failed; {errors} error(s), {warnings} warning(s)."


def report_text(report, lang: str = "en") -> str:
    """ruff-style lines: ``file:line:col: severity rule [REQ] message (at /pointer)``, one line per
    issue whatever the file name, card keys and values hold (:func:`.textsafe.one_line`)."""
    lines = [_issue_line(result.card, issue, lang) for result in report.results for issue in result.issues]
    cards = len(report.results)
    bad = sum(1 for r in report.results if not r.valid)
    errors = sum(r.counts()["error"] for r in report.results)
    warnings = sum(r.counts()["warning"] for r in report.results)
    lines.append(_counts_line(cards, bad, errors, warnings, lang))
    return "\n".join(lines) + "\n"


def _table_head(lang: str) -> tuple[str, ...]:
    return ("模型卡", "结果", "错误", "警告", "采用率", "记录完整率", "评价通过率") if lang == "zh" else \
        ("card", "result", "errors", "warnings", "adoption", "documentation", "evaluated")


def _table_row(r, lang: str) -> tuple[str, ...]:
    """One card's row of the summary table."""
    from ..check import conformity

    def pct(share) -> str:
        return "-" if share is None else f"{share:.0%}"

    zh = lang == "zh"
    counts = r.counts()
    summ = conformity.summary(r.requirements) if r.requirements else None
    verdict = ("通过" if r.valid else "未通过") if zh else ("pass" if r.valid else "FAIL")
    if not r.readable:
        verdict = "无法读取" if zh else "UNREADABLE"
    return (one_line(r.card), verdict, str(counts["error"]), str(counts["warning"]),
            *((pct(summ["adoption"]), pct(summ["documentation"]), pct(summ["evaluated"])) if summ
              else ("-", "-", "-")))


def _table_lines(head, rows, widths) -> Iterator[str]:
    line = lambda cells: "  ".join(c.ljust(w) for c, w in zip(cells, widths)).rstrip()  # noqa: E731
    yield line(head)
    yield line(["-" * w for w in widths])
    for row in rows:
        yield line(row)


def summary_table(report, lang: str = "en") -> str:
    """A table of the cards of a batch run: errors, warnings, and conformity counts."""
    head = _table_head(lang)
    rows = [_table_row(r, lang) for r in report.results]
    widths = [max(len(x) for x in col) for col in zip(head, *rows)]
    return "\n".join(_table_lines(head, rows, widths)) + "\n"


def _markdown_head(tool_version: str, schema_version: str, zh: bool) -> list[str]:
    return ["# " + ("模型卡校验结果" if zh else "Model card validation"), "",
            f"modelcard-spec {tool_version}, " + ("规范版本" if zh else "schema") + f" {schema_version}", ""]


def _markdown_card(r, zh: bool) -> list[str]:
    """One card's section of the Markdown report."""
    mark = "✅" if r.valid else "❌"
    out = [f"## {mark} <code>{markdown(r.card, ' ')}</code>", ""]
    if not r.issues:
        return out + ["没有问题。" if zh else "No issues.", ""]
    out += ["| " + " | ".join(("位置", "级别", "要求", "检查", "说明") if zh else
                             ("Location", "Severity", "Requirement", "Check", "Message")) + " |",
            "|---|---|---|---|---|"]
    for i in r.issues:
        where = f"{i.line}:{i.column} " if i.line is not None else ""
        msg = markdown(i.message_zh if zh else i.message)
        out.append(f"| {where}<code>{markdown(i.path or '/')}</code> | {i.severity} | {i.requirement or ''} | "
                   f"`{i.rule}` | {msg} |")
    out.append("")
    return out


def report_markdown(report, lang: str = "en") -> str:
    """Validation results as Markdown (for pull-request comments and review notes). File names, card
    keys and messages are untrusted: they go through :func:`.textsafe.markdown`, so none of them can
    add a section, a row, link syntax or HTML."""
    zh = lang == "zh"
    out = _markdown_head(report.tool_version, report.schema_version, zh)
    for r in report.results:
        out += _markdown_card(r, zh)
    # An indented code block, which every Markdown renderer shows as it is (the site's Python-Markdown
    # has no ``` fences); its lines are one_line()d, so a file name cannot end it.
    out += ["    " + line for line in summary_table(report, lang).splitlines()]
    return "\n".join(out) + "\n"


_SARIF_LEVEL = {"error": "error", "warning": "warning", "info": "note"}


def _sarif_rules(rule_ids: list[str]) -> list[dict]:
    from ..spec.registry import lookup

    rules = []
    for rid in rule_ids:
        check = lookup(rid)
        title, title_zh = (check.title, check.title_zh) if check else (rid, rid)
        reqs = list(check.requirements) if check else []
        rules.append({"id": rid, "name": rid, "shortDescription": {"text": title},
                      "helpUri": f"{DOCS_BASE}/rules/#{rid}",
                      "properties": {"title_zh": title_zh, "requirements": reqs}})
    return rules


def _sarif_uri(card: str, base: str | None) -> str:
    import os

    uri = card if os.path.isabs(card) or base is None else os.path.relpath(card, base)
    return uri.replace(os.sep, "/")


def _sarif_conformity(r, uri: str) -> dict | None:
    """A card's verdicts (the schema's Verdict values) and scores, if it has any."""
    if not r.requirements:
        return None
    from ..check import conformity

    summ = conformity.summary(r.requirements)
    return {"card": uri, "totals": summ["totals"], **{k: summ[k] for k in ("adoption", "documentation", "evaluated")},
            "verdicts": {e["id"]: e["status"] for e in r.requirements}}


def _sarif_result(i, uri: str, rule_index: int) -> dict:
    location: dict = {"physicalLocation": {"artifactLocation": {"uri": uri}}}
    if i.line is not None:
        region = {"startLine": i.line}
        if i.column is not None:
            region["startColumn"] = i.column
        location["physicalLocation"]["region"] = region
    if i.path:
        location["logicalLocations"] = [{"fullyQualifiedName": i.path, "kind": "member"}]
    result = {"ruleId": i.rule, "ruleIndex": rule_index, "level": _SARIF_LEVEL[i.severity],
              "message": {"text": (f"[{i.requirement}] " if i.requirement else "") + i.message},
              "locations": [location],
              "properties": {"requirement": i.requirement, "pointer": i.path, "message_zh": i.message_zh}}
    if i.params:
        result["properties"]["params"] = dict(i.params)
    return result


def _sarif_document(tool_version: str, schema_version: str, rules: list[dict], conformity_runs, results) -> dict:
    return {
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {"name": "modelcard-spec", "version": tool_version,
                                "semanticVersion": tool_version, "informationUri": DOCS_BASE,
                                "rules": rules}},
            "columnKind": "unicodeCodePoints",
            "properties": {"schema_version": schema_version, "conformity": conformity_runs},
            "results": results,
        }],
    }


def report_sarif(report, base: str | None = None) -> str:
    """SARIF 2.1.0 for code-scanning tools; JSON Pointers go in logical locations."""
    rule_ids = sorted({i.rule for r in report.results for i in r.issues})
    index = {rid: n for n, rid in enumerate(rule_ids)}
    results, conformity_runs = [], []
    for r in report.results:
        uri = _sarif_uri(r.card, base)
        run = _sarif_conformity(r, uri)
        if run is not None:
            conformity_runs.append(run)
        results += [_sarif_result(i, uri, index[i.rule]) for i in r.issues]
    return to_json(_sarif_document(report.tool_version, report.schema_version, _sarif_rules(rule_ids),
                                   conformity_runs, results))


# --------------------------------------------------------------------------- streamed reports
#
# ``validate DIR`` writes each card's result as soon as it (and every earlier card) is done and keeps
# only counters: the writers below produce the same bytes as the functions above, in pieces. What a
# document needs before its per-card part but can only know at the end (the widths of the summary
# table; SARIF's list of the rules used, and the per-card verdicts it puts before the results) is kept
# on disk, in an anonymous temporary file, never in memory.

SPOOL_HELD = 64  # values; a SARIF verdict list is a few KiB, so this holds well under 1 MiB


class _Spool:
    """Values read back in the order they were added: the first :data:`SPOOL_HELD` in memory, all of
    them in an anonymous temporary file (as JSON, one per line) once there are more."""

    def __init__(self):
        self._held, self._items, self._file = SPOOL_HELD, [], None

    def append(self, value) -> None:
        if self._file is None and len(self._items) < self._held:
            self._items.append(value)
            return
        if self._file is None:
            import tempfile

            self._file = tempfile.TemporaryFile("w+", encoding="ascii")
            for item in self._items:
                self._write(item)
            self._items = []
        self._write(value)

    def _write(self, value) -> None:
        self._file.write(json.dumps(value, separators=(",", ":")) + "\n")  # ASCII: lone surrogates escaped

    def __iter__(self) -> Iterator:
        if self._file is None:
            yield from self._items
            return
        self._file.seek(0)
        for line in self._file:
            yield json.loads(line)

    def close(self) -> None:
        self._items = []
        if self._file is not None:
            self._file.close()
            self._file = None


class _Table:
    """The summary table built row by row: the rows on disk, the column widths as running maxima."""

    def __init__(self, lang: str):
        self.lang = lang
        self.head = _table_head(lang)
        self.widths = [len(h) for h in self.head]
        self.rows = _Spool()

    def add(self, r) -> None:
        row = _table_row(r, self.lang)
        self.widths = [max(w, len(c)) for w, c in zip(self.widths, row)]
        self.rows.append(row)

    def lines(self) -> Iterator[str]:
        return _table_lines(self.head, self.rows, self.widths)

    def close(self) -> None:
        self.rows.close()


_MARKER = "\x00list\x00"


def _json_frame(skeleton: dict) -> tuple[list[str], list[str]]:
    """The indented JSON of ``skeleton`` cut where each value equal to :data:`_MARKER` stands: the
    pieces of text around them and, for each, the indentation of a list's items at that place."""
    text = json.dumps(skeleton, ensure_ascii=False, indent=2, sort_keys=False)
    marker = json.dumps(_MARKER)
    pieces, pads = [], []
    start = 0
    while (at := text.find(marker, start)) >= 0:
        line = text[text.rfind("\n", 0, at) + 1:at]
        pads.append(" " * (len(line) - len(line.lstrip(" ")) + 2))
        pieces.append(text[start:at])
        start = at + len(marker)
    pieces.append(text[start:])
    return pieces, pads


class _JsonList:
    """A list inside an indented JSON document, written item by item as :func:`to_json` would."""

    def __init__(self, write, pad: str):
        self.write, self.pad, self.empty = write, pad, True

    def open(self) -> None:
        self.write("[")

    def add(self, value) -> None:
        item = json.dumps(value, ensure_ascii=False, indent=2, sort_keys=False).replace("\n", "\n" + self.pad)
        self.write(json_text(("\n" if self.empty else ",\n") + self.pad + item))
        self.empty = False

    def close(self) -> None:
        self.write("]" if self.empty else "\n" + self.pad[:-2] + "]")


class StreamedReport:
    """A validation run written card by card through ``write`` (called with each piece of text);
    afterwards, its counters: ``cards``, ``failed``, ``errors``, ``warnings``, ``valid`` and
    ``readable`` (as :class:`.pipeline.Report` has them)."""

    def __init__(self, write, tool_version: str, schema_version: str):
        self.write, self.tool_version, self.schema_version = write, tool_version, schema_version
        self.cards = self.failed = self.errors = self.warnings = 0
        self.valid = self.readable = True

    def add(self, r) -> None:
        counts = r.counts()
        self.cards += 1
        self.failed += not r.valid
        self.errors += counts["error"]
        self.warnings += counts["warning"]
        self.valid = self.valid and r.valid
        self.readable = self.readable and r.readable
        self._add(r)

    def start(self) -> None:
        pass

    def _add(self, r) -> None:
        raise NotImplementedError

    def finish(self) -> None:
        pass


class TextStream(StreamedReport):
    """:func:`report_text`, then (``summary`` and more than one card) a blank line and :func:`summary_table`."""

    def __init__(self, write, tool_version: str, schema_version: str, lang: str = "en", summary: bool = True):
        super().__init__(write, tool_version, schema_version)
        self.lang = lang
        self.table = _Table(lang) if summary else None

    def _add(self, r) -> None:
        if r.issues:
            self.write("".join(_issue_line(r.card, i, self.lang) + "\n" for i in r.issues))
        if self.table is not None:
            self.table.add(r)

    def finish(self) -> None:
        self.write(_counts_line(self.cards, self.failed, self.errors, self.warnings, self.lang) + "\n")
        if self.table is not None:
            if self.cards > 1:
                self.write("\n")
                for line in self.table.lines():
                    self.write(line + "\n")
            self.table.close()


class MarkdownStream(StreamedReport):
    """:func:`report_markdown`, card by card."""

    def __init__(self, write, tool_version: str, schema_version: str, lang: str = "en"):
        super().__init__(write, tool_version, schema_version)
        self.zh = lang == "zh"
        self.table = _Table(lang)

    def start(self) -> None:
        self.write("".join(line + "\n" for line in _markdown_head(self.tool_version, self.schema_version, self.zh)))

    def _add(self, r) -> None:
        self.write("".join(line + "\n" for line in _markdown_card(r, self.zh)))
        self.table.add(r)

    def finish(self) -> None:
        for line in self.table.lines():
            self.write("    " + line + "\n")
        self.table.close()


class JsonStream(StreamedReport):
    """``to_json(report.to_dict())``: one JSON document whose ``results`` are written card by card."""

    def start(self) -> None:
        from ..check.pipeline import report_head

        pieces, pads = _json_frame({**report_head(self.tool_version, self.schema_version), "results": _MARKER})
        self.tail = pieces[1]
        self.write(json_text(pieces[0]))
        self.list = _JsonList(self.write, pads[0])
        self.list.open()

    def _add(self, r) -> None:
        from ..check.pipeline import result_entry

        self.list.add(result_entry(r))

    def finish(self) -> None:
        self.list.close()
        self.write(json_text(self.tail) + "\n")


class SarifStream(StreamedReport):
    """:func:`report_sarif`. Its run names the rules used and each card's verdicts before the results,
    so the per-card parts wait on disk and the document is written at the end."""

    def __init__(self, write, tool_version: str, schema_version: str, base: str | None = None):
        super().__init__(write, tool_version, schema_version)
        self.base = base
        self.rule_ids: set[str] = set()
        self.conformity, self.results = _Spool(), _Spool()

    def _add(self, r) -> None:
        uri = _sarif_uri(r.card, self.base)
        run = _sarif_conformity(r, uri)
        if run is not None:
            self.conformity.append(run)
        for i in r.issues:
            self.rule_ids.add(i.rule)
            self.results.append(_sarif_result(i, uri, 0))

    def finish(self) -> None:
        rule_ids = sorted(self.rule_ids)
        index = {rid: n for n, rid in enumerate(rule_ids)}
        pieces, pads = _json_frame(_sarif_document(self.tool_version, self.schema_version, _sarif_rules(rule_ids),
                                                   _MARKER, _MARKER))
        for piece, pad, spool in zip(pieces, pads, (self.conformity, self.results)):
            self.write(json_text(piece))
            items = _JsonList(self.write, pad)
            items.open()
            for value in spool:
                if "ruleIndex" in value:
                    value["ruleIndex"] = index[value["ruleId"]]
                items.add(value)
            items.close()
            spool.close()
        self.write(json_text(pieces[-1]) + "\n")


def stream_report(results, fmt: str, write, *, tool_version: str, schema_version: str, lang: str = "en",
                  base: str | None = None, summary: bool = True) -> StreamedReport:
    """Write the report of ``results`` (an iterable of card results) in ``fmt`` (text, json, sarif,
    markdown) through ``write`` as the results come, holding none of them; return the counters."""
    if fmt == "json":
        writer: StreamedReport = JsonStream(write, tool_version, schema_version)
    elif fmt == "sarif":
        writer = SarifStream(write, tool_version, schema_version, base)
    elif fmt == "markdown":
        writer = MarkdownStream(write, tool_version, schema_version, lang)
    else:
        writer = TextStream(write, tool_version, schema_version, lang, summary)
    writer.start()
    for r in results:
        writer.add(r)
    writer.finish()
    return writer


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
