"""Generate the specification pages of the site from the schema and the catalogue (``make docs``).

Writes ``docs/spec/`` (requirements by area, field reference, enumerations, matrices, metric
glossary), ``docs/examples/`` (each example card rendered by ``modelcard-spec render``) and
``docs/downloads/<schema version>/`` (the generated artifacts). These folders are build output,
never edited by hand and not committed; ``mkdocs build --strict`` then builds the site.
"""

from __future__ import annotations

import argparse
import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

from modelcard_spec.output import card_view as cardview
from modelcard_spec.spec.resources import ARTIFACTS, artifact_text, catalogue_data, schema_index  # noqa: E402
from modelcard_spec.check.loading import read_card  # noqa: E402

DOWNLOADS = ["json-schema", "json-schema-zh", "catalogue-schema", "shacl", "owl", "jsonld-context", "catalogue", "skos"]


def esc(text) -> str:
    return str(text or "").replace("|", "\\|").replace("\n", " ")


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


def requirement_pages(out: Path, cat: dict, slots_of: dict) -> list[str]:
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
        overview.append(f"| [{area['title']} / {area['title_zh']}]({page}) | "
                        + ", ".join(f"[{r['id']}]({page}#{r['id'].lower()})" for r in reqs) + " |")
        lines = [f"# {area['title']} / {area['title_zh']}", "", esc(area.get("description")), "",
                 esc(area.get("description_zh")), ""]
        for r in reqs:
            lines += [f"## {r['id']} — {r['title']} / {r['title_zh']} {{#{r['id'].lower()}}}", "",
                      '<div class="grid" markdown>', "",
                      f"**English.** {r['statement']}", "", f"**中文。** {r['statement_zh']}", "", "</div>", "",
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
                lines.append(f"| Source locator / 出处 | {esc(loc)} |")
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
    requirement_pages(docs / "spec", cat, slots_of)
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
