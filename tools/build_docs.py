"""Generate the specification pages of the site from the schema and the catalogue (``make docs``).

Writes ``docs/spec/`` (requirements by area, field reference, enumerations, matrices, metric
glossary; the trace of the sources: a page per source document with each of its statements and what
encodes it or why nothing does, and the requirement -> statement matrix), ``docs/examples/`` (each
example card rendered by ``modelcard-spec render``) and ``docs/downloads/<schema version>/`` (the
generated artifacts). These folders are build output, never edited by hand and not committed;
``mkdocs build --strict`` then builds the site.
"""

from __future__ import annotations

import argparse
import json
import math
import re
import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

from modelcard_spec.output import card_view as cardview  # noqa: E402
from modelcard_spec.spec.resources import ARTIFACTS, artifact_text, catalogue_data  # noqa: E402
from modelcard_spec.spec.resources import described_schema_index as schema_index  # noqa: E402  (with descriptions)
from modelcard_spec.check.loading import read_card  # noqa: E402
from modelcard_spec.spec.textsafe import markdown  # noqa: E402

DOWNLOADS = ["json-schema", "json-schema-zh", "catalogue-schema", "shacl", "owl", "jsonld-context", "catalogue", "skos"]


def esc(text) -> str:
    """Text from the schema or the catalogue as Markdown inline text that renders as exactly that text
    (HTML and Markdown structure characters escaped, the pipe too, line breaks as spaces)."""
    return markdown(str(text or ""), newline=" ")


def code(text) -> str:
    """Text from the data as inline code (an HTML element, so that the escapes of :func:`esc` apply)."""
    return f"<code>{esc(text)}</code>"


def field_anchor(cls: str, slot: str | None = None) -> str:
    return (cls + ("-" + slot if slot else "")).lower().replace("_", "-")


def field_link(field: str, slots_of: dict) -> str:
    """``model_parameters.weight_files[].sha256`` -> a link to the slot in the field reference."""
    cls, slot = slots_of.get(field, (None, None))
    if cls is None:
        return f"`{field}`"
    return f"[`{field}`](fields.md#{field_anchor(cls, slot)})"


def resolve_fields(index: dict) -> dict:
    """Map every dotted field path used by the catalogue to (class, slot)."""
    out = {}
    root = index["root_class"]

    def walk(cls, prefix, depth):
        if depth > 8:
            return
        for name, slot in index["classes"][cls]["slots"].items():
            path = f"{prefix}{name}"
            out.setdefault(path, (cls, name))
            if slot["kind"] == "class" and slot["inlined"]:
                walk(slot["range"], path + ("[]." if slot["multivalued"] else "."), depth + 1)
    walk(root, "", 0)
    return out


def requirement_pages(out: Path, cat: dict, slots_of: dict, statement_link) -> list[str]:
    docs = {d["id"]: d for d in cat["documents"]}
    index = schema_index()
    methods = index["enums"]["EvaluationMethod"]["values"]
    kinds = index["enums"]["ProviderKind"]["values"]
    obligations = index["enums"]["Obligation"]["values"]
    pages = []
    overview = ["# Requirement catalogue / 要求目录", "",
                f"Catalogue version / 目录版本: **{cat['catalogue_version']}** — {esc(cat['standard'])}", "",
                cat.get("note", ""), "", cat.get("note_zh", ""), "",
                "| Area / 领域 | Requirements / 要求 |", "|---|---|"]
    for area in cat["areas"]:
        reqs = [r for r in cat["requirements"] if r["area"] == area["id"]]
        page = f"area-{area['id'].replace('_', '-')}.md"
        pages.append(page)
        overview.append(f"| [{esc(area['title'])} / {esc(area['title_zh'])}]({page}) | "
                        + ", ".join(f"[{r['id']}]({page}#{r['id'].lower()})" for r in reqs) + " |")
        lines = [f"# {esc(area['title'])} / {esc(area['title_zh'])}", "", esc(area.get("description")), "",
                 esc(area.get("description_zh")), ""]
        for r in reqs:
            lines += [f"## {esc(r['id'])} — {esc(r['title'])} / {esc(r['title_zh'])} {{#{r['id'].lower()}}}", "",
                      '<div class="grid" markdown>', "",
                      f"**English.** {esc(r['statement'])}", "", f"**中文。** {esc(r['statement_zh'])}", "", "</div>", "",
                      "| | |", "|---|---|",
                      f"| Obligation / 约束程度 | {obligations[r['obligation']]['title']} / {obligations[r['obligation']]['title_zh']} |",
                      "| Provider kinds / 提供方类型 | " + "<br>".join(
                          f"{kinds[k]['title']} / {kinds[k]['title_zh']}" for k in r["provider_kinds"]) + " |",
                      "| Evaluation method / 评价方法 | " + "<br>".join(
                          f"{methods[m]['title']} / {methods[m]['title_zh']}" for m in r["evaluation_methods"]) + " |",
                      f"| How it is evaluated | {esc(r.get('evaluation'))} |",
                      f"| 评价方式 | {esc(r.get('evaluation_zh'))} |"]
            if r.get("condition"):
                lines.append(f"| Applies if / 适用条件 | {esc(r['condition'])} / {esc(r.get('condition_zh'))} |")
            for src in r["sources"]:
                doc = docs.get(src["document"], {})
                loc = f"{doc.get('title', src['document'])} — {src.get('section', '')}"
                if src.get("passage"):
                    loc += f" — “{src['passage']}”"
                named = ", ".join(statement_link(sid) for sid in src.get("statements") or [])
                lines.append(f"| Source locator / 出处 | {esc(loc)}"
                             + (f"<br>Statements / 来源条目: {named}" if named else "") + " |")
            lines.append("| Fields that serve it / 对应字段 | " + "<br>".join(
                field_link(f, slots_of) for f in r.get("fields") or []) + " |")
            if r.get("related_fields"):
                lines.append("| Related fields / 相关字段 | " + "<br>".join(
                    field_link(f, slots_of) for f in r["related_fields"]) + " |")
            lines.append("")
        (out / page).write_text("\n".join(lines) + "\n", encoding="utf-8")
    (out / "requirements.md").write_text("\n".join(overview) + "\n", encoding="utf-8")
    return pages


def field_reference(out: Path, index: dict, area_of: dict) -> None:
    lines = ["# Field reference / 字段参考", "",
             "Every class and field of the card schema, with its type, cardinality and the requirements it serves. "
             "模型卡规范中的每个类和字段，以及其类型、基数和所服务的要求。", ""]
    for cname, cls in sorted(index["classes"].items()):
        lines += [f"## {cname} — {cls['title']} / {cls.get('title_zh', '')} {{#{field_anchor(cname)}}}", "",
                  esc(cls.get("description")), "", esc(cls.get("description_zh")), "", f"IRI: `{cls['uri']}`", "",
                  "| Field | Title / 标题 | Type / 类型 | Cardinality / 基数 | Requirements / 要求 | Description / 说明 |",
                  "|---|---|---|---|---|---|"]
        for sname in cls["slot_order"]:
            s = cls["slots"][sname]
            rng = s["range"]
            if s["kind"] == "class":
                rng = f"[{rng}](#{field_anchor(rng)})"
            elif s["kind"] == "enum":
                rng = f"[{rng}](enums.md#{rng.lower()})"
            elif s["any_of"]:
                rng = " or ".join(s["any_of"])
            card = ("1" if s["required"] else "0") + ".." + ("*" if s["multivalued"] else "1")
            reqs = ", ".join(f"[{r}]({area_of[r]}#{r.lower()})" for r in s["requirements"])
            lines.append(f"| <span id=\"{field_anchor(cname, sname)}\"></span>`{sname}` | {esc(s['title'])} / "
                         f"{esc(s.get('title_zh'))} | {rng} | {card} | {reqs} | {esc(s.get('description'))}<br>"
                         f"{esc(s.get('description_zh'))} |")
        lines.append("")
    (out / "fields.md").write_text("\n".join(lines) + "\n", encoding="utf-8")


def enum_reference(out: Path, index: dict) -> None:
    lines = ["# Enumerations / 枚举", ""]
    for ename, enum in sorted(index["enums"].items()):
        lines += [f"## {ename} — {enum['title']} / {enum.get('title_zh', '')} {{#{ename.lower()}}}", "",
                  esc(enum.get("description")), "", esc(enum.get("description_zh")), "",
                  "| Value / 值 | Title / 标题 | Description / 说明 |", "|---|---|---|"]
        for value, v in enum["values"].items():
            lines.append(f"| `{value}` | {esc(v['title'])} / {esc(v.get('title_zh'))} | {esc(v.get('description'))}<br>"
                         f"{esc(v.get('description_zh'))} |")
        lines.append("")
    (out / "enums.md").write_text("\n".join(lines) + "\n", encoding="utf-8")


def matrices(out: Path, cat: dict, slots_of: dict, area_of: dict) -> None:
    lines = ["# Requirement → field matrix / 要求 → 字段对照", "",
             "| Requirement / 要求 | Title / 标题 | Fields / 字段 | Related fields / 相关字段 |", "|---|---|---|---|"]
    by_field: dict[str, list[str]] = {}
    for r in cat["requirements"]:
        lines.append(f"| [{r['id']}]({area_of[r['id']]}#{r['id'].lower()}) | {esc(r['title'])} / {esc(r['title_zh'])} | "
                     + "<br>".join(field_link(f, slots_of) for f in r.get("fields") or []) + " | "
                     + "<br>".join(field_link(f, slots_of) for f in r.get("related_fields") or []) + " |")
        for f in (r.get("fields") or []) + (r.get("related_fields") or []):
            by_field.setdefault(f, []).append(r["id"])
    (out / "matrix-requirement-field.md").write_text("\n".join(lines) + "\n", encoding="utf-8")
    index = schema_index()
    lines = ["# Field → requirement matrix / 字段 → 要求对照", "",
             "| Field / 字段 | Title / 标题 | Requirements / 要求 |", "|---|---|---|"]
    for f in sorted(by_field):
        cls, slot = slots_of.get(f, (None, None))
        title = ""
        if cls:
            s = index["classes"][cls]["slots"][slot]
            title = f"{esc(s['title'])} / {esc(s.get('title_zh'))}"
        lines.append(f"| {field_link(f, slots_of)} | {title} | "
                     + ", ".join(f"[{r}]({area_of[r]}#{r.lower()})" for r in sorted(set(by_field[f]))) + " |")
    (out / "matrix-field-requirement.md").write_text("\n".join(lines) + "\n", encoding="utf-8")


# --------------------------------------------------------------------------- the trace of the sources

TRACE_INDEX = "sources.md"
TRACE_MATRIX = "matrix-requirement-statement.md"


def source_page(document_id: str) -> str:
    return f"source-{_anchor(document_id)}.md"


def _anchor(text: str) -> str:
    """An HTML id (and file-name part) from an identifier of the data: lower case, nothing but a-z, 0-9, '-'."""
    return re.sub(r"[^a-z0-9-]+", "-", str(text).lower()).strip("-") or "x"


def _position(statement: dict) -> float:
    """Where a statement starts in its document: the first line ("L95-97") or the character offset
    ("@840") of its locator; statements the inventory added later sort into place by it."""
    match = re.match(r"[L@](\d+)", str(statement.get("locator", "")))
    return int(match.group(1)) if match else math.inf


def _title(vocabulary: dict, key: str, value: str) -> str:
    """The en / zh title of an encoding, reason or scope from the catalogue's trace vocabulary; a value
    the vocabulary does not name is shown as code."""
    entry = vocabulary.get(key, {}).get(value)
    if not entry:
        return code(value) if value else ""
    return f"{esc(entry['title'])} / {esc(entry.get('title_zh'))}"


def _scope(vocabulary: dict, value: str) -> str:
    """A statement's scope as the inventory names it, with its titles where the vocabulary gives them."""
    titled = vocabulary.get("scope", {}).get(value)
    return code(value) + (f" {_title(vocabulary, 'scope', value)}" if titled else "")


class Trace:
    """The catalogue's trace of the source documents, indexed for the pages that show it."""

    def __init__(self, cat: dict, area_of: dict, slots_of: dict):
        self.cat = cat
        self.area_of = area_of
        self.slots_of = slots_of
        self.words = cat.get("trace_vocabulary") or {}
        self.documents = {d["id"]: d for d in cat["documents"]}
        self.statements = cat.get("statements") or []
        self.by_id = {s["id"]: s for s in self.statements}
        self.requirements = {r["id"]: r for r in cat["requirements"]}
        order = {sid: i for i, sid in enumerate(self.by_id)}
        # The documents that have statements, in the catalogue's order of documents.
        held = {s["document"] for s in self.statements}
        self.held = [d["id"] for d in cat["documents"] if d["id"] in held]
        self.held += sorted(held - set(self.held))
        self.in_document = {doc: sorted((s for s in self.statements if s["document"] == doc),
                                        key=lambda s: (_position(s), order[s["id"]])) for doc in self.held}

    def statement_link(self, sid: str, encoding: bool = False) -> str:
        s = self.by_id.get(sid)
        if s is None:
            return esc(sid)
        link = f"[{esc(sid)}]({source_page(s['document'])}#{_anchor(sid)})"
        return link + (f" ({_title(self.words, 'encoding', s['encoding'])})" if encoding else "")

    def requirement_link(self, rid: str) -> str:
        if rid not in self.area_of:
            return esc(rid)
        return f"[{esc(rid)}]({self.area_of[rid]}#{rid.lower()})"

    def document_name(self, doc_id: str) -> str:
        doc = self.documents.get(doc_id)
        if doc is None:
            return code(doc_id)
        return f"{esc(doc.get('title'))} / {esc(doc.get('title_zh'))}"

    def coverage(self) -> list[str]:
        """The coverage of the statements a card is to carry, in both languages, as the catalogue states it."""
        cov = self.cat.get("coverage")
        if not cov:
            return []
        scopes = ", ".join(_scope(self.words, sc) for sc in cov.get("scopes", []))
        scopes_zh = "、".join(_scope(self.words, sc) for sc in cov.get("scopes", []))
        share, target = f"{cov['full_share']:.1%}", f"{cov['target']:.0%}" if "target" in cov else None
        return [f"**Coverage.** The statements a model card is to carry (scopes {scopes}; both documents): "
                f"**{cov['statements']}**; fully encoded **{cov['full']}** ({share}), partly {cov['partial']}, "
                f"not encoded {cov['not_encoded']}" + (f"; the target is at least {target} fully encoded." if target else "."),
                "",
                f"**覆盖情况。** 模型卡应包含的条目（范围 {scopes_zh}；两份文件合计）共 **{cov['statements']}** 条："
                f"完全编码 **{cov['full']}** 条（{share}），部分编码 {cov['partial']} 条，未编码 {cov['not_encoded']} 条"
                + (f"；目标为完全编码不少于 {target}。" if target else "。"), ""]

    def encodings(self) -> list[str]:
        """The encodings of the vocabulary, from full to none."""
        known = list(self.words.get("encoding") or {})
        return [e for e in ("full", "partial", "not_encoded") if e in known] + [
            e for e in known if e not in ("full", "partial", "not_encoded")]

    def counts(self, statements: list[dict]) -> list[str]:
        """A table of the statements per scope and encoding, with totals."""
        encodings = self.encodings()
        encodings += sorted({s["encoding"] for s in statements} - set(encodings))
        scopes = list(dict.fromkeys(s["scope"] for s in statements))
        lines = ["| Scope / 范围 | " + " | ".join(_title(self.words, "encoding", e) for e in encodings)
                 + " | Total / 合计 |", "|---" * (len(encodings) + 2) + "|"]
        for scope in scopes + [None]:
            row = [s for s in statements if scope is None or s["scope"] == scope]
            label = "**Total / 合计**" if scope is None else _scope(self.words, scope)
            lines.append(f"| {label} | " + " | ".join(str(sum(1 for s in row if s["encoding"] == e)) for e in encodings)
                         + f" | {len(row)} |")
        return lines + [""]

    def encoded_by(self, s: dict) -> str:
        """The requirements that encode a statement, each with its titles and the card fields it lists."""
        out = []
        for rid in s.get("requirements") or []:
            r = self.requirements.get(rid, {})
            fields = ", ".join(field_link(f, self.slots_of) for f in r.get("fields") or [])
            out.append(f"{self.requirement_link(rid)} {esc(r.get('title'))} / {esc(r.get('title_zh'))}"
                       + (f" — fields / 字段: {fields}" if fields else ""))
        return "<br>".join(out) or "—"


def trace_pages(out: Path, trace: Trace) -> list[str]:
    """A page per source document held (each statement in document order, what encodes it or why
    nothing does), the overview of the trace, and the requirement -> statement matrix."""
    pages = []
    for doc_id in trace.held:
        pages.append(_document_page(out, trace, doc_id))
    _trace_overview(out, trace)
    _statement_matrix(out, trace)
    return pages


def _document_page(out: Path, trace: Trace, doc_id: str) -> str:
    doc = trace.documents.get(doc_id, {"id": doc_id})
    statements = trace.in_document[doc_id]
    words = trace.words
    # The navigation names the page by the document's ID (its titles are a line long); the page heads with its title.
    lines = ["---", "title: " + json.dumps(f"Source statements / 来源条目 — {doc_id}", ensure_ascii=False), "---", "",
             f"# Source statements / 来源条目 — {esc(doc.get('title_zh') or doc_id)}", "",
             f"**{esc(doc.get('title'))}**" + (f" — {esc(doc.get('issuer'))}" if doc.get("issuer") else ""), "",
             esc(doc.get("status")), ""]
    if doc.get("file"):
        lines += [f"Text held / 所存文本: {code('sources/' + doc['file'])}; statement inventory / 条目清单: "
                  "`sources/statements.yaml`.", ""]
    lines += ["Every statement of the inventory for this document, in document order: the verbatim Chinese "
              "passage, its English gist, its scope, and the requirements that encode it with the card fields "
              "they list — or, where it is not (fully) encoded, the reason and a note. "
              f"What the encodings and reasons mean: [Source trace]({TRACE_INDEX}).", "",
              "本文件在条目清单中的全部条目，按其在文件中的位置排列：中文原文、英文大意、范围，以及编码该条目的要求及其所列的模型卡字段；"
              f"未编码或部分编码的，给出原因和说明。编码情况和原因的含义见[来源条目追溯]({TRACE_INDEX})。", "",
              "## Summary / 概况", ""]
    lines += trace.coverage()
    lines += [f"This document / 本文件: **{len(statements)}** statements / 条。", ""]
    lines += trace.counts(statements)
    section = object()
    for s in statements:
        if s.get("section") != section:
            section = s.get("section")
            lines += [f"## {esc(section) or '—'}", ""]
        sid = s["id"]
        lines += [f"### {esc(sid)} · {esc(s.get('locator'))} · {_title(words, 'encoding', s['encoding'])} "
                  f"{{#{_anchor(sid)}}}", "",
                  f"> {esc(s.get('passage_zh'))}", "",
                  "| | |", "|---|---|",
                  f"| Statement / 条目 | {esc(sid)} |",
                  f"| Locator / 位置 | {esc(s.get('locator'))} |",
                  f"| Section / 章节 | {esc(s.get('section'))} |",
                  f"| Gist (English) / 英文大意 | {esc(s.get('gist_en'))} |",
                  f"| Scope / 范围 | {_scope(words, s.get('scope'))} |",
                  f"| Encoding / 编码情况 | {_title(words, 'encoding', s['encoding'])} |",
                  f"| Encoded by / 对应要求 | {trace.encoded_by(s)} |"]
        if s.get("reason"):
            lines.append(f"| Reason / 原因 | {_title(words, 'reason', s['reason'])} |")
        if s.get("note"):
            lines.append(f"| Note | {esc(s['note'])} |")
        if s.get("note_zh"):
            lines.append(f"| 说明 | {esc(s['note_zh'])} |")
        lines.append("")
    page = source_page(doc_id)
    (out / page).write_text("\n".join(lines) + "\n", encoding="utf-8")
    return page


def _trace_overview(out: Path, trace: Trace) -> None:
    words = trace.words
    lines = ["# Source trace / 来源条目追溯", "",
             "Where each requirement comes from, and what was left out. The two source documents held in "
             "`sources/` are broken into statements (`sources/statements.yaml`: ID, locator, section, verbatim "
             "Chinese passage, English gist, scope); the catalogue traces every one of them: the requirements "
             "that encode it, or the reason it is not (fully) encoded. A requirement's source locators name the "
             f"statements it rests on ([requirement → statement matrix]({TRACE_MATRIX})).", "",
             "每项要求出自何处、哪些内容未纳入：`sources/` 中所存的两份来源文件被拆分为条目（`sources/statements.yaml`："
             "编号、位置、章节、中文原文、英文大意、范围）；要求目录对每一条目都给出追溯：编码该条目的要求，或未编码（或部分编码）的原因。"
             f"每项要求的出处列明其所依据的条目（[要求 → 来源条目对照]({TRACE_MATRIX})）。", ""]
    lines += trace.coverage()
    lines += ["## Documents / 文件", "",
              "| Document / 文件 | Statements / 条目 | " + " | ".join(
                  _title(words, "encoding", e) for e in trace.encodings()) + " |",
              "|---|---|" + "---|" * len(trace.encodings())]
    for doc_id in trace.held:
        st = trace.in_document[doc_id]
        lines.append(f"| [{trace.document_name(doc_id)}]({source_page(doc_id)}) | {len(st)} | "
                     + " | ".join(str(sum(1 for s in st if s["encoding"] == e)) for e in trace.encodings())
                     + " |")
    lines.append("")
    for doc in trace.cat["documents"]:
        lines += [f"### {esc(doc['id'])} {{#{_anchor(doc['id'])}}}", "",
                  f"{esc(doc.get('title'))}", "", f"{esc(doc.get('title_zh'))}", "",
                  (f"{esc(doc.get('issuer'))}. " if doc.get("issuer") else "") + esc(doc.get("status")), ""]
        if doc["id"] in trace.in_document:
            lines += [f"Statements / 条目: [{len(trace.in_document[doc['id']])}]({source_page(doc['id'])})", ""]
        else:
            rids = [r["id"] for r in trace.cat["requirements"] if any(src["document"] == doc["id"] for src in r["sources"])]
            lines += ["No statements; requirements with a locator into it / 无条目；出处指向它的要求: "
                      + (", ".join(trace.requirement_link(rid) for rid in rids) or "—"), ""]
    for key, heading in (("encoding", "Encodings / 编码情况"), ("reason", "Reasons for not encoding / 未编码原因")):
        counts = {}
        for s in trace.statements:
            counts[s.get(key)] = counts.get(s.get(key), 0) + 1
        lines += [f"## {heading}", "", "| Value / 值 | Title / 标题 | Meaning / 含义 | Statements / 条目 |",
                  "|---|---|---|---|"]
        values = trace.encodings() if key == "encoding" else list(words.get(key) or {})
        for value in values:
            v = words[key][value]
            lines.append(f"| {code(value)} | {_title(words, key, value)} | {esc(v.get('description'))}<br>"
                         f"{esc(v.get('description_zh'))} | {counts.get(value, 0)} |")
        lines.append("")
    (out / TRACE_INDEX).write_text("\n".join(lines) + "\n", encoding="utf-8")


def _statement_matrix(out: Path, trace: Trace) -> None:
    cat = trace.cat
    other: dict[str, list[str]] = {}
    bare = []
    for r in cat["requirements"]:
        if not any(src.get("statements") for src in r["sources"]):
            bare.append(r["id"])
        for src in r["sources"]:
            if not src.get("statements") and r["id"] not in other.setdefault(src["document"], []):
                other[src["document"]].append(r["id"])
    lines = ["# Requirement → source statement matrix / 要求 → 来源条目对照", "",
             "Every requirement with the statements of the source documents it rests on (and their encoding), "
             "and its other locators: the project's own distillation and the kit's own additions, which have no "
             f"statements. What the documents are: [Source trace]({TRACE_INDEX}).", "",
             "每项要求及其所依据的来源文件条目（及其编码情况），以及其他出处：本项目的归纳和本工具包自行提出的内容，它们没有条目。"
             f"各文件的说明见[来源条目追溯]({TRACE_INDEX})。", "",
             "## Summary / 概况", "",
             f"Requirements / 要求: **{len(cat['requirements'])}**; resting on at least one statement / "
             f"依据至少一个来源条目: **{len(cat['requirements']) - len(bare)}**; on none / 不依据任何来源条目: "
             f"**{len(bare)}**" + (" (" + ", ".join(trace.requirement_link(rid) for rid in bare) + ")" if bare else "")
             + ".", ""]
    if other:
        lines += ["| Other locator / 其他出处 | Requirements / 要求 |", "|---|---|"]
        for doc_id, rids in other.items():
            lines.append(f"| [{esc(doc_id)}]({TRACE_INDEX}#{_anchor(doc_id)}) — {trace.document_name(doc_id)} | "
                         + ", ".join(trace.requirement_link(rid) for rid in rids) + " |")
        lines.append("")
    lines += ["## Matrix / 对照表", "",
              "| Requirement / 要求 | Title / 标题 | Source statements / 来源条目 | Other locators / 其他出处 |",
              "|---|---|---|---|"]
    for r in cat["requirements"]:
        named = list(dict.fromkeys(sid for src in r["sources"] for sid in src.get("statements") or []))
        others = [f"[{esc(src['document'])}]({TRACE_INDEX}#{_anchor(src['document'])})"
                  + (f" — {esc(src['section'])}" if src.get("section") else "")
                  for src in r["sources"] if not src.get("statements")]
        lines.append(f"| {trace.requirement_link(r['id'])} | {esc(r['title'])} / {esc(r['title_zh'])} | "
                     + ("<br>".join(trace.statement_link(sid, encoding=True) for sid in named) or "—") + " | "
                     + ("<br>".join(others) or "—") + " |")
    (out / TRACE_MATRIX).write_text("\n".join(lines) + "\n", encoding="utf-8")


def glossary(out: Path, index: dict) -> None:
    metric = index["enums"]["Metric"]
    lines = ["# Metric glossary / 评价指标术语", "", esc(metric.get("description")), "", esc(metric.get("description_zh")), "",
             "| Value / 值 | English | 中文 | Definition | 定义 | Source / 来源 |", "|---|---|---|---|---|---|"]
    for value, v in sorted(metric["values"].items()):
        lines.append(f"| `{value}` | {esc(v['title'])} | {esc(v.get('title_zh'))} | {esc(v.get('description'))} | "
                     f"{esc(v.get('description_zh'))} | {esc(v['annotations'].get('source'))} |")
    (out / "metrics.md").write_text("\n".join(lines) + "\n", encoding="utf-8")


def examples(out: Path) -> list[str]:
    pages = []
    for card in sorted((ROOT / "examples").glob("*/card.yaml")):
        name = card.parent.name
        text = cardview.markdown(read_card(card).data)
        (out / f"{name}.md").write_text(text, encoding="utf-8")
        pages.append(name)
    lines = ["# Example cards / 示例模型卡", "", "Each example rendered by `modelcard-spec render`. "
             "每个示例均由 `modelcard-spec render` 生成。", ""]
    lines += [f"* [{p}]({p}.md)" for p in pages]
    (out / "index.md").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return pages


def downloads(out: Path, version: str) -> None:
    target = out / version
    target.mkdir(parents=True, exist_ok=True)
    lines = ["# Downloads / 下载", "",
             f"The artifacts of schema version **{version}**, at stable versioned URLs "
             f"(`downloads/{version}/<file>`). 规范版本 **{version}** 的生成物，地址带版本号且保持不变。", "",
             "| Artifact / 生成物 | File / 文件 |", "|---|---|"]
    titles = {"json-schema": "JSON Schema of a model card / 模型卡 JSON Schema",
              "json-schema-zh": "JSON Schema of a model card, Chinese titles (for editors) / 模型卡 JSON Schema（中文标题与说明，供编辑器使用）",
              "catalogue-schema": "JSON Schema of the catalogue / 要求目录 JSON Schema",
              "shacl": "SHACL shapes / SHACL 形状", "owl": "OWL vocabulary / OWL 词表",
              "jsonld-context": "JSON-LD context / JSON-LD 上下文", "catalogue": "Requirement catalogue (JSON) / 要求目录（JSON）",
              "skos": "SKOS vocabularies (metrics, requirements) / SKOS 词表（指标、要求）"}
    for key in DOWNLOADS:
        name = ARTIFACTS[key]
        (target / name).write_text(artifact_text(key), encoding="utf-8")
        lines.append(f"| {titles[key]} | [{name}]({version}/{name}) |")
    (out / "index.md").write_text("\n".join(lines) + "\n", encoding="utf-8")


def build(docs: Path) -> None:
    index = schema_index()
    cat = catalogue_data()
    for sub in ("spec", "examples", "downloads"):
        shutil.rmtree(docs / sub, ignore_errors=True)
        (docs / sub).mkdir(parents=True)
    slots_of = resolve_fields(index)
    area_of = {r["id"]: f"area-{r['area'].replace('_', '-')}.md" for r in cat["requirements"]}
    trace = Trace(cat, area_of, slots_of)
    requirement_pages(docs / "spec", cat, slots_of, trace.statement_link)
    trace_pages(docs / "spec", trace)
    field_reference(docs / "spec", index, area_of)
    enum_reference(docs / "spec", index)
    matrices(docs / "spec", cat, slots_of, area_of)
    glossary(docs / "spec", index)
    examples(docs / "examples")
    downloads(docs / "downloads", index["schema_version"])


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--docs", default=str(ROOT / "docs"))
    args = ap.parse_args(argv)
    build(Path(args.docs))
    print(f"wrote the generated pages under {args.docs}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
