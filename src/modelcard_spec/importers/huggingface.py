"""Hugging Face model cards: a ``README.md`` (YAML front matter and Markdown sections) as a first
model card."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

from .common import Card, SourceError, as_dict, as_list, as_str, declare, decode, metric_of, parse, read_source, slug

PIPELINE_TASKS = {"image-classification": "classification", "image-segmentation": "segmentation",
                  "object-detection": "detection", "text-classification": "classification",
                  "text-to-image": "image_generation", "image-to-text": "report_generation",
                  "zero-shot-image-classification": "classification"}
PRETRAINING = {"image-classification": "supervised_classification", "text-classification": "supervised_classification",
               "image-segmentation": "supervised_segmentation", "fill-mask": "language_modeling",
               "text-generation": "language_modeling"}
RELATIONS = {"finetune": "fine_tuned_from", "quantized": "quantised_from", "distillation": "distilled_from"}  # base_model_relation
SECTIONS = {  # known Markdown headings (lower case) -> where their text goes
    "limitations": "limitations", "bias, risks, and limitations": "limitations", "limitations and bias": "limitations",
    "out-of-scope use": "unsupported_uses", "intended uses & limitations": "intended_use", "intended use": "intended_use",
    "direct use": "intended_use", "training data": "training_data", "training procedure": "training_procedure",
    "model description": "description", "model details": "description",
}


def import_huggingface(path: str | Path, declared: dict | None = None, folder: Path | None = None,
                  notes: list | None = None) -> dict:
    """``declared``: values the user states that a README does not hold (version, provider name,
    provider kind); they are the user's declaration, not imported. ``folder``: see :func:`read_source`."""
    p = Path(path)
    raw = read_source(p, folder)
    text = decode(raw)
    front, body = _front_matter(text)
    card = Card(p.name, hashlib.sha256(raw).hexdigest(), notes, "huggingface")
    title = re.search(r"^#[ \t]+(\S.*)$", body, flags=re.M)
    used = set()  # front-matter keys read into the card; the others are kept verbatim in extensions
    index = as_list(front.get("model-index"))
    index_name = as_str(as_dict(index[0]).get("name")) if index else None
    model_name = as_str(front.get("model_name")) or index_name or (title.group(1).strip() if title else None)
    used |= {"model_name"} if as_str(front.get("model_name")) else set()
    card.put("/name", model_name)
    if model_name:
        card.put("/identifier", f"huggingface.{slug(model_name)}")
    lic = as_str(front.get("license"))
    if lic:
        used |= {"license", "license_name"}
        card.put("/license/name", front.get("license_name") or lic)
        if lic.lower() not in ("other", "unknown"):
            card.put("/license/spdx_id", _spdx(lic))
    base = front.get("base_model")
    if isinstance(base, list):
        base = base[0] if base else None
    if isinstance(base, str):
        used |= {"base_model", "base_model_relation"}
        rel = RELATIONS.get(str(front.get("base_model_relation", "")).lower(), "fine_tuned_from")
        card.put("/lineage", {"base_model": base, "base_model_url": f"https://huggingface.co/{base}", "relation": rel})
    tag = as_str(front.get("pipeline_tag"))
    datasets = front.get("datasets")
    if isinstance(datasets, str):
        datasets = [datasets]
    if isinstance(datasets, list) and datasets and all(isinstance(d, str) for d in datasets):
        used.add("datasets")
        card.put("/source_task_data/datasets", [{"id": f"ds-{i + 1}", "name": str(d),
                                                 "url": f"https://huggingface.co/datasets/{d}"} for i, d in enumerate(datasets)])
        if tag in PRETRAINING:
            card.put("/source_task_data/pretraining_task", {"kind": PRETRAINING[tag], "description": f"Hugging Face pipeline_tag {tag}"})
    sections = _sections(body)
    if sections.get("description"):
        card.put("/summary", sections["description"][:2000])
    results = []
    for entry in index:
        for res in as_list(as_dict(entry).get("results")):
            task = as_dict(as_dict(res).get("task"))
            task_name = as_str(task.get("name")) or as_str(task.get("type"))
            ds = as_str(as_dict(as_dict(res).get("dataset")).get("name"))
            for metric in as_list(as_dict(res).get("metrics")):
                m = metric_of(as_str(as_dict(metric).get("type")) or as_str(as_dict(metric).get("name")) or "")
                val = as_dict(metric).get("value")
                if m and isinstance(val, (int, float)) and not isinstance(val, bool):
                    results.append({"metric": m, "value": val, "task": " / ".join(x for x in (task_name, ds) if x) or None})
                else:
                    card.keep("huggingface:model-index.metric", metric)
    results = [{k: v for k, v in r.items() if v is not None} for r in results]
    task_type = PIPELINE_TASKS.get(tag)
    if results or task_type or sections.get("limitations") or sections.get("unsupported_uses"):
        if task_type:
            card.put("/applicability/intended_tasks", [{"task_type": task_type,
                                                        "description": sections.get("intended_use") or f"pipeline_tag {tag}"}])
        card.put("/applicability/transfer_performance", results or None)
        card.put("/applicability/limitations", [sections["limitations"]] if sections.get("limitations") else None)
        card.put("/applicability/unsupported_uses", [sections["unsupported_uses"]] if sections.get("unsupported_uses") else None)
        card.data.setdefault("applicability", {}).setdefault("limitations", [])
        card.data["applicability"].setdefault("unsupported_uses", [])
    if sections.get("training_procedure"):
        card.keep("huggingface:section.training_procedure", sections["training_procedure"])
    if sections.get("training_data"):
        card.keep("huggingface:section.training_data", sections["training_data"])
    used |= {"model-index"} if isinstance(front.get("model-index"), list) else set()
    for key in sorted(set(front) - used - {"pipeline_tag"}):
        card.keep(f"huggingface:{key}", front[key])
    card.keep("huggingface:pipeline_tag", front.get("pipeline_tag"))
    declare(card, declared)
    return card.finish()


FRONT_MATTER = ("the YAML front matter", "YAML 前置元数据")  # what the refusals of its text name
_FRONT_OPEN = re.compile(r"---[ \t]*\r?\n")
_FRONT_CLOSE = re.compile(r"^---[ \t]*\r?$", flags=re.M)


def _front_matter(text: str) -> tuple[dict, str]:
    """The YAML front matter (between a first line ``---`` and the next line ``---``) parsed with the
    card loader's rules and limits, and the Markdown body after it."""
    opening = _FRONT_OPEN.match(text)
    closing = _FRONT_CLOSE.search(text, opening.end()) if opening else None
    if closing is None:
        return {}, text
    front = parse(text[opening.end():closing.start()], False, *FRONT_MATTER, 2)
    if front is None:
        front = {}
    if not isinstance(front, dict):
        raise SourceError("import.not-a-mapping", what=FRONT_MATTER[0], what_zh=FRONT_MATTER[1])
    return front, text[closing.end():].lstrip("\r\n")



def _spdx(hf_license: str) -> str:
    known = {"apache-2.0": "Apache-2.0", "mit": "MIT", "bsd-3-clause": "BSD-3-Clause", "cc-by-4.0": "CC-BY-4.0",
             "cc-by-nc-4.0": "CC-BY-NC-4.0", "cc-by-sa-4.0": "CC-BY-SA-4.0", "gpl-3.0": "GPL-3.0-only",
             "openrail": "LicenseRef-OpenRAIL", "llama2": "LicenseRef-Llama2", "cc-by-nc-sa-4.0": "CC-BY-NC-SA-4.0"}
    return known.get(hf_license.lower(), "LicenseRef-" + re.sub(r"[^A-Za-z0-9.-]", "-", hf_license))


def _sections(body: str) -> dict[str, str]:
    """Text of the known sections (the first of each); a section runs to the next heading of the same
    or a higher level."""
    out: dict[str, str] = {}
    heads = [(m.start(), m.end(), len(m.group(1)), m.group(2).strip()) for m in
             re.finditer(r"^(#{2,4})[ \t]+(.*)$", body, flags=re.M)]
    for i, (_, end, level, heading) in enumerate(heads):
        key = SECTIONS.get(heading.lower().rstrip(":"))
        if not key or key in out:
            continue
        stop = next((heads[j][0] for j in range(i + 1, len(heads)) if heads[j][2] <= level), len(body))
        text = body[end:stop].strip()
        if text and "[More Information Needed]" not in text and text.lower() != "more information needed":
            out[key] = re.sub(r"\s+", " ", text)[:2000]
    return out



def bundle(folder: Path) -> list[Path]:
    """None: a folder is never one Hugging Face model card, it is a folder of sources."""
    return []


def sources(folder: Path) -> list[Path]:
    """The files a batch reads from a folder: Markdown files in it, and READMEs one level down."""
    return sorted(folder.glob("*.md")) + sorted(folder.glob("*/README.md"))
