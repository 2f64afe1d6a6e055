"""Hugging Face model cards: a ``README.md`` (YAML front matter and Markdown sections) as a first
model card.

What goes where (docs/guides/importing.md, "Hugging Face model cards"): a value goes into the card
only where the README states it; the few values derived by a rule are marked inferred with the rule's
id; everything else of the README — every front-matter key not placed, every Markdown section not
placed, every model-index metric that cannot be placed — is kept verbatim in ``extensions``."""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path

from .common import Card, SourceError, as_dict, as_list, as_str, declare, decode, metric_of, parse, read_source, slug

# pipeline_tag or model-index task type (the Hub's task ids) -> TaskType: rule "huggingface.task-type"
PIPELINE_TASKS = {"image-classification": "classification", "image-segmentation": "segmentation",
                  "object-detection": "detection", "text-classification": "classification",
                  "zero-shot-image-classification": "classification", "text-to-image": "image_generation"}
# (Not image-to-text or image-text-to-text: captioning, question answering and chat as well as report
# generation; not token-classification: tagging, which the schema's task types do not name.)
# The Hub's base_model_relation values that name a relation of the schema; others ("adapter",
# "merge") are kept verbatim. Without base_model_relation there is no relation: the Hub itself
# only guesses it.
RELATIONS = {"finetune": "fine_tuned_from", "quantized": "quantised_from"}
# The Hub's split names of a model-index dataset -> SplitRole (the schema's "tuning" is the ML
# field's validation set).
SPLITS = {"train": "training", "training": "training", "validation": "tuning", "valid": "tuning",
          "dev": "tuning", "test": "test"}
# Hub licence ids whose SPDX identifier is certain: rule "huggingface.license-spdx"
SPDX = {"apache-2.0": "Apache-2.0", "mit": "MIT", "bsd-3-clause": "BSD-3-Clause", "bsd-2-clause": "BSD-2-Clause",
        "cc-by-4.0": "CC-BY-4.0", "cc-by-sa-4.0": "CC-BY-SA-4.0", "cc-by-nc-4.0": "CC-BY-NC-4.0",
        "cc-by-nc-sa-4.0": "CC-BY-NC-SA-4.0", "cc-by-nc-nd-4.0": "CC-BY-NC-ND-4.0", "cc0-1.0": "CC0-1.0",
        "gpl-3.0": "GPL-3.0-only", "lgpl-3.0": "LGPL-3.0-only", "agpl-3.0": "AGPL-3.0-only", "mpl-2.0": "MPL-2.0",
        "afl-3.0": "AFL-3.0", "unlicense": "Unlicense"}
# Markdown headings (lower case, without a trailing colon) whose text has a field of its own
SECTIONS = {
    "model description": "/summary", "description": "/summary",
    "limitations": "/applicability/limitations", "bias, risks, and limitations": "/applicability/limitations",
    "limitations and bias": "/applicability/limitations", "limitations and biases": "/applicability/limitations",
    "risks and limitations": "/applicability/limitations",
    "out-of-scope use": "/applicability/unsupported_uses", "out-of-scope uses": "/applicability/unsupported_uses",
}
PREAMBLE = "(before the first heading)"  # the extension name of the text before the first heading
_PLACEHOLDER = re.compile(r"^\[?more information needed\.?\]?$", flags=re.I)


def import_huggingface(path: str | Path, declared: dict | None = None, folder: Path | None = None,
                       notes: list | None = None) -> dict:
    """``declared``: values the user states that a README does not hold (version, provider name,
    provider kind); they are the user's declaration, not imported. ``folder``: see :func:`read_source`.
    ``notes`` receives the ``import.*`` notes of what could not be placed."""
    p = Path(path)
    raw = read_source(p, folder)
    text = decode(raw)
    front, body = _front_matter(text)
    card = Card(p.name, hashlib.sha256(raw).hexdigest(), notes, "huggingface")
    preamble, sections = _sections(body)
    used: set[str] = set()  # front-matter keys read into the card; the others are kept verbatim

    _name(card, front, sections, used)
    _license(card, front, used)
    _lineage(card, front, body, used)
    tasks = _model_index(card, front, used)
    _intended_tasks(card, front, tasks)
    _texts(card, preamble, sections)
    for key in front:
        if key not in used:
            card.keep(f"huggingface:{key}", front[key])
    declare(card, declared)
    return card.finish()


def _fm(key: str) -> str:
    return f"front matter: {key}"


def _name(card: Card, front: dict, sections: list, used: set) -> None:
    """The name: front-matter model_name, else the model-index's name, else the level-1 title. The
    card's identifier is made from it by the rule "huggingface.identifier-from-name" (a README states
    no identifier; the card needs one): ``huggingface.`` and the name in lower case, runs of other
    characters than letters and digits as one ``-``."""
    index = as_list(front.get("model-index"))
    if as_str(front.get("model_name")):
        used.add("model_name")
        name, key = front["model_name"], _fm("model_name")
    elif index and as_str(as_dict(index[0]).get("name")):
        name, key = index[0]["name"], _fm("model-index[0].name")
    else:
        title = next((s for s in sections if s[0] == 1 and s[1].strip()), None)
        if not title:
            return
        name, key = title[1].strip(), f"# {title[1].strip()}"
    card.put("/name", name, key=key)
    card.infer("/identifier", f"huggingface.{slug(name)}", "huggingface.identifier-from-name", key=key)


def _license(card: Card, front: dict, used: set) -> None:
    lic = as_str(front.get("license"))
    if not lic:
        return  # absent, or not one licence id (a list): kept verbatim
    used.add("license")
    name = as_str(front.get("license_name"))
    if lic.lower() == "other" and name:
        used.add("license_name")
        card.put("/license/name", name, key=_fm("license_name"))
    else:
        card.put("/license/name", lic, key=_fm("license"))
    if lic.lower() in SPDX:
        card.infer("/license/spdx_id", SPDX[lic.lower()], "huggingface.license-spdx", key=_fm("license"))
    link = as_str(front.get("license_link"))
    if link and re.match(r"https?://\S+$", link):
        used.add("license_link")
        card.put("/license/url", link, key=_fm("license_link"))


def _lineage(card: Card, front: dict, body: str, used: set) -> None:
    base = front.get("base_model")
    key = "base_model"
    if isinstance(base, list) and len(base) == 1:
        base, key = base[0], "base_model[0]"
    if not isinstance(base, str) or not base.strip():
        return  # absent, or several base models (a merge): kept verbatim
    used.add("base_model")
    card.put("/lineage/base_model", base, key=_fm(key))
    url = f"https://huggingface.co/{base}"
    if re.search(re.escape(url) + r"(?![\w.-])", body):  # the README links the base model's page itself
        card.put("/lineage/base_model_url", url, key="the Markdown text (a link to the base model)")
    relation = RELATIONS.get(str(front.get("base_model_relation", "")).lower())
    if relation:
        used.add("base_model_relation")
        card.put("/lineage/relation", relation, key=_fm("base_model_relation"))


def _datasets(card: Card, front: dict, used: set) -> None:
    """The datasets the front matter names are kept verbatim, whole, under ``huggingface:datasets``:
    their place in the schema (``source_task_data.datasets``) comes with the pre-training task, which
    a README does not state, and the Hub gives them no URL — a Hub dataset id may name a private or
    gated repository, and loader names (imagefolder, csv, json) and names of restricted clinical data
    (MIMIC-III) name no page at all."""


def _model_index(card: Card, front: dict, used: set) -> list[tuple[str, str, str]]:
    """Place each metric of the model-index (its task, evaluation dataset and split kept); keep
    verbatim each metric that cannot be placed. Returns the tasks named: (task type, task name, key)."""
    index = front.get("model-index")
    if not isinstance(index, list):
        return []
    used.add("model-index")
    tasks: list[tuple[str, str, str]] = []
    eval_ids: dict[str, str] = {}
    for e, entry in enumerate(index):
        for r, res in enumerate(as_list(as_dict(entry).get("results"))):
            where = f"model-index[{e}].results[{r}]"
            res = as_dict(res)
            task = as_dict(res.get("task"))
            task_type, task_name = as_str(task.get("type")), as_str(task.get("name"))
            if task_type or task_name:
                tasks.append((task_type or "", task_name or "", _fm(f"{where}.task")))
            dataset = as_dict(res.get("dataset"))
            ds_name = as_str(dataset.get("name")) or as_str(dataset.get("type"))
            ds_id = None
            if ds_name:
                ident = json.dumps([dataset.get(k) for k in ("name", "type", "config", "revision")])
                if ident not in eval_ids:
                    eval_ids[ident] = ds_id = f"eval-{len(eval_ids) + 1}"
                    card.place("/applicability/evaluation_datasets/-", {"id": ds_id, "name": ds_name},
                               _fm(f"{where}.dataset"), dataset)
                    extra = {k: v for k, v in dataset.items() if k not in ("name", "type", "split")}
                    if extra or (dataset.get("type") not in (None, ds_name)):
                        card.keep(f"huggingface:{where}.dataset", dataset)
                ds_id = eval_ids[ident]
            split = dataset.get("split")
            for m, metric in enumerate(as_list(res.get("metrics"))):
                placed = _metric(as_dict(metric), task_name or task_type, ds_id, split)
                if placed is None:
                    card.keep(f"huggingface:{where}.metrics[{m}]", metric)
                else:
                    card.place("/applicability/transfer_performance/-", placed, _fm(f"{where}.metrics[{m}]"), metric)
    return tasks


def _metric(metric: dict, task: str | None, dataset: str | None, split) -> dict | None:
    """A MetricResult from one model-index metric, or None where it cannot be placed whole: a
    metric the vocabulary lacks, a type and a name that name different metrics, a value that is not
    a number, a split that is not one of the schema's roles, or metric settings (args, config)."""
    kinds = {metric_of(s) for s in (as_str(metric.get("type")), as_str(metric.get("name"))) if s}
    value = metric.get("value")
    if len(kinds) != 1 or None in kinds or isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    if split is not None and SPLITS.get(str(split).lower()) is None:
        return None
    if metric.get("args") or metric.get("config"):
        return None
    out = {"metric": kinds.pop(), "value": value, "task": task, "dataset": dataset,
           "split": SPLITS.get(str(split).lower()) if split is not None else None}
    return {k: v for k, v in out.items() if v is not None}


def _intended_tasks(card: Card, front: dict, tasks: list[tuple[str, str, str]]) -> None:
    """The intended task types the card names: the task types of its model-index, else its
    pipeline_tag, translated by the rule "huggingface.task-type"; the model-index's task name is its
    description. A pipeline_tag is kept verbatim as well (it is what the Hub's widget runs)."""
    seen = set()
    for task_type, task_name, key in tasks:
        kind = PIPELINE_TASKS.get(task_type)
        if kind and (kind, task_name) not in seen:
            seen.add((kind, task_name))
            card.infer("/applicability/intended_tasks/-", {"task_type": kind, **({"description": task_name} if task_name else {})},
                       "huggingface.task-type", key=key)
    tag = as_str(front.get("pipeline_tag"))
    if not seen and tag in PIPELINE_TASKS:
        card.infer("/applicability/intended_tasks/-", {"task_type": PIPELINE_TASKS[tag]}, "huggingface.task-type",
                   key=_fm("pipeline_tag"))


def _texts(card: Card, preamble: str, sections: list) -> None:
    """Sections with a field of their own are placed (their text as written); every other section,
    and the text before the first heading, is kept verbatim under ``huggingface:section.<heading>``.
    The summary: the "Model description" section, else the text before the first heading, else the
    text under the card's title (a level-1 heading that is the first heading)."""
    summary_placed = False
    for level, heading, text in sections:
        target = SECTIONS.get(heading.strip().lower().rstrip(":").strip())
        if target and _real(text) and not (target == "/summary" and summary_placed):
            if target == "/summary":
                summary_placed = True
                card.put("/summary", text, key=f"{'#' * level} {heading}")
            else:
                card.place(target + "/-", text, f"{'#' * level} {heading}", text)
        elif _real(text):  # an empty section, or one holding only the template's placeholder, states nothing
            card.keep(f"huggingface:section.{heading}", text)
    if not summary_placed and _real(_prose(preamble)):
        summary_placed = True
        card.put("/summary", preamble, key="the text before the first heading")
    else:
        card.keep(f"huggingface:section.{PREAMBLE}", preamble)
    if not summary_placed and sections and sections[0][0] == 1 and _real(sections[0][2]):
        # the text under the title: kept as a section above, and the summary too
        card.put("/summary", sections[0][2], key=f"# {sections[0][1]}")


def _real(text: str) -> bool:
    return bool(text.strip()) and not _PLACEHOLDER.match(text.strip())


def _prose(text: str) -> str:
    """The text without HTML comments and tags (what a reader sees of it besides images)."""
    return re.sub(r"<[^>]*>", "", re.sub(r"<!--.*?(-->|$)", "", text, flags=re.S))


FRONT_MATTER = ("the YAML front matter", "YAML 前置元数据")  # what the refusals of its text name
# The Hub's own rule, as huggingface_hub keeps it in sync with the Hub server (huggingface_hub,
# src/huggingface_hub/repocard.py, REGEX_YAML_BLOCK: "exact same regex as in the Hub server"):
# whitespace (blank lines too) may precede the opening ---; the block ends at the first line that
# starts with --- followed by a line break or the end of the file.
REGEX_YAML_BLOCK = re.compile(r"^(\s*---[\r\n]+)([\S\s]*?)([\r\n]+---(\r\n|\n|$))")


def _front_matter(text: str) -> tuple[dict, str]:
    """The YAML front matter, found as the Hub finds it and parsed with the card loader's rules and
    limits, and the Markdown body after it."""
    match = _yaml_block(text)
    if match is None:
        return {}, text
    opening, block, end = match
    first_line = opening.count("\n") + opening.count("\r") - opening.count("\r\n") + 1
    front = parse(block, False, *FRONT_MATTER, first_line)
    if front is None:
        front = {}
    if not isinstance(front, dict):
        raise SourceError("import.not-a-mapping", what=FRONT_MATTER[0], what_zh=FRONT_MATTER[1])
    return front, text[end:]


_OPENING = re.compile(r"\s*---(?=[\r\n])")
_CLOSING = re.compile(r"(?<![\r\n])[\r\n]+---(\r\n|\n|$)")
_BREAKS = re.compile(r"[\r\n]*")
_AFTER = re.compile(r"---(\r\n|\n|$)")


def _yaml_block(text: str) -> tuple[str, str, int] | None:
    """What ``REGEX_YAML_BLOCK.search(text)`` finds — (group 1, group 2, end of the match) — found in
    linear time: the regex itself backtracks quadratically on long runs of line breaks."""
    opening = _OPENING.match(text)
    if opening is None:
        return None
    start = opening.end()
    end = _BREAKS.match(text, start).end()
    closing = _CLOSING.search(text, end)
    if closing is not None:
        return text[:end], text[end:closing.start()], closing.end()
    after = _AFTER.match(text, end)
    if after is not None and end - start >= 2:  # the regex gives the last line break back to the closing
        return text[:end - 1], "", after.end()
    return None


_FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})")
_HEADING = re.compile(r"^ {0,3}(#{1,6})(?:[ \t]+(.*))?$")  # the heading text is trimmed by _heading_text


def _sections(body: str) -> tuple[str, list[tuple[int, str, str]]]:
    """The text before the first heading, and each ATX heading (outside code fences) with its own
    text up to the next heading, both as written (only surrounding blank lines removed)."""
    preamble: list[str] = []
    sections: list[tuple[int, str, list[str]]] = []
    fence = None
    for line in body.splitlines(keepends=True):
        if line.lstrip(" ")[:1] not in ("#", "`", "~"):  # neither a heading nor a fence: text
            (sections[-1][2] if sections else preamble).append(line)
            continue
        opening = _FENCE.match(line)
        if fence is None and opening:
            fence = opening.group(1)[0] * len(opening.group(1))
        elif fence is not None and line.strip().startswith(fence):
            fence = None
        elif fence is None and (heading := _HEADING.match(line.rstrip("\r\n"))):
            sections.append((len(heading.group(1)), _heading_text(heading.group(2) or ""), []))
            continue
        (sections[-1][2] if sections else preamble).append(line)
    return _trim("".join(preamble)), [(lv, h, _trim("".join(t))) for lv, h, t in sections]


def _heading_text(text: str) -> str:
    """A heading's text without surrounding blanks and its closing run of # (CommonMark), in linear time."""
    text = text.strip()
    bare = text.rstrip("#")
    if bare != text and (not bare or bare[-1] in " \t"):
        text = bare.rstrip()
    return text


def _trim(text: str) -> str:
    return text.strip("\r\n").rstrip() if text.strip() else ""


def bundle(folder: Path) -> list[Path]:
    """None: a folder is never one Hugging Face model card, it is a folder of sources."""
    return []


def sources(folder: Path) -> list[Path]:
    """The files a batch reads from a folder: Markdown files in it, and READMEs one level down."""
    return sorted(folder.glob("*.md")) + sorted(folder.glob("*/README.md"))
