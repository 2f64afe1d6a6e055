"""Hugging Face model cards: a ``README.md`` (YAML front matter and Markdown sections) as a first
model card.

What goes where (docs/guides/importing.md, "Hugging Face model cards"): a value goes into the card
only where the README states it; the few values derived by a rule are marked inferred with the rule's
id; everything else of the README — every front-matter key not placed, every Markdown section not
placed, every item of the model-index not placed whole — is kept verbatim in ``extensions``, each item
once, under ``huggingface:<key>`` or ``huggingface:section.<heading>``."""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path

from ..spec.vocabulary import body_part_term
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

    name_key = _name(card, front, sections, used)
    _license(card, front, used)
    _lineage(card, front, body, used)
    typed = False
    if isinstance(front.get("model-index"), list):
        used.add("model-index")
        typed = _model_index(card, front, name_key)
    if not typed:
        _pipeline_task(card, front)
    _tag_body_parts(card, front)
    _texts(card, preamble, sections)
    for key in front:
        if key not in used:
            card.keep(f"huggingface:{key}", front[key])
    declare(card, declared)
    out = card.finish()
    if "extensions" in out:  # a model-index item kept whole and also kept by the card when its placed value had
        seen: set = set()      # to go: once (a section repeated under one heading is two statements: both stay)
        out["extensions"] = [e for e in out["extensions"] if not e["name"].startswith("huggingface:model-index")
                             or ((e["name"], e["value"]) not in seen and not seen.add((e["name"], e["value"])))]
    return out


def _fm(key: str) -> str:
    return f"front matter: {key}"


def _name(card: Card, front: dict, sections: list, used: set) -> str | None:
    """The name: front-matter model_name, else the model-index's name, else the level-1 title. The
    card's identifier is made from it by the rule "huggingface.identifier-from-name" (a README states
    no identifier; the card needs one): ``huggingface.`` and the name in lower case, runs of other
    characters than letters and digits as one ``-``. Returns the key the name was read from."""
    index = as_list(front.get("model-index"))
    if as_str(front.get("model_name")):
        used.add("model_name")
        name, key = front["model_name"], _fm("model_name")
    elif index and as_str(as_dict(index[0]).get("name")):
        name, key = index[0]["name"], _fm("model-index[0].name")
    else:
        title = next((s for s in sections if s[0] == 1 and s[1].strip()), None)
        if not title:
            return None
        name, key = title[1].strip(), f"# {title[1].strip()}"
    card.put("/name", name, key=key)
    card.infer("/identifier", f"huggingface.{slug(name)}", "huggingface.identifier-from-name", key=key)
    return key


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


def _model_index(card: Card, front: dict, name_key: str | None) -> bool:
    """The model-index, item by item: each result's task becomes an intended task, its dataset an
    evaluation dataset, each metric a metric result (with the result's task name, dataset and split).
    Nothing of it vanishes: each part the card does not hold whole — a task or a dataset with a part
    not placed (a task type the rule does not translate, a split no metric carries, ``config``,
    ``args``, ``revision``), a metric that cannot be placed, a result's or an entry's other keys — is
    kept verbatim under ``huggingface:model-index[i]...``, each source item once. ``name_key``: the
    key the card's name was read from. Returns whether an intended task got a task type."""
    index = front.get("model-index")
    tasks: dict[str, int] = {}  # task (as JSON) -> its intended task's index
    typed = False  # an intended task has a task type from the model-index
    eval_ids: dict[str, str] = {}
    for e, entry in enumerate(index):
        if not isinstance(entry, dict):
            card.keep(f"huggingface:model-index[{e}]", entry)
            continue
        for field, value in entry.items():
            if field == "name" and name_key == _fm(f"model-index[{e}].name"):
                continue  # the card's name
            if field != "results" or not isinstance(value, list):
                card.keep(f"huggingface:model-index[{e}].{field}", value)
        for r, res in enumerate(as_list(entry.get("results"))):
            where = f"model-index[{e}].results[{r}]"
            if not isinstance(res, dict):
                card.keep(f"huggingface:{where}", res)
                continue
            for field, value in res.items():
                if field not in ("task", "dataset", "metrics") or field == "metrics" and not isinstance(value, list):
                    card.keep(f"huggingface:{where}.{field}", value)
            task_name, task_type, typed_here = _task(card, res.get("task"), where, tasks)
            typed = typed or typed_here
            ds_id, split, kept_dataset = _eval_dataset(card, res.get("dataset"), where, eval_ids)
            placed_any = False
            for m, metric in enumerate(as_list(res.get("metrics"))):
                placed = _metric(as_dict(metric), task_name or task_type, ds_id, split)
                mname = f"huggingface:{where}.metrics[{m}]"
                if placed is None:
                    card.keep(mname, metric)
                    continue
                placed_any = True
                card.place("/applicability/transfer_performance/-", placed, _fm(f"{where}.metrics[{m}]"), metric,
                           name=mname)
                if any(k not in ("type", "name", "value") for k in metric):
                    card.keep(mname, metric)  # its other keys (verified, ...): the metric whole
            if split is not None and not placed_any and not kept_dataset:
                card.keep(f"huggingface:{where}.dataset", res["dataset"])  # the split no metric carries
    return typed


def _task(card: Card, task, where: str, tasks: dict) -> tuple[str | None, str | None, bool]:
    """The result's task as an intended task: its name (else its type) as the description, stated;
    its task type by the rule "huggingface.task-type". The task is kept whole where a part of it is
    not placed, and where the same task was placed from an earlier result. Returns the task's name,
    its type, and whether an intended task with a task type was placed."""
    if task is None:
        return None, None, False
    if not isinstance(task, dict):
        card.keep(f"huggingface:{where}.task", task)
        return None, None, False
    task_type, task_name = as_str(task.get("type")), as_str(task.get("name"))
    description = task_name or task_type
    kind = PIPELINE_TASKS.get(task_type or "")
    ident = json.dumps(task, sort_keys=True, ensure_ascii=False)
    raw_type, raw_name = task.get("type"), task.get("name")
    whole = any(k not in ("type", "name") for k in task) or raw_name not in (None, description) \
        or raw_type not in (None, description) and kind is None
    if not description or ident in tasks:
        whole = True
    else:
        key = _fm(f"{where}.task")
        card.place("/applicability/intended_tasks/-", {"description": description}, key, task,
                   name=f"huggingface:{where}.task")
        tasks[ident] = len(card.data["applicability"]["intended_tasks"]) - 1
        if kind:
            card.infer(f"/applicability/intended_tasks/{tasks[ident]}/task_type", kind, "huggingface.task-type", key=key)
    if whole:
        card.keep(f"huggingface:{where}.task", task)
    return task_name, task_type, bool(kind) and not whole


def _eval_dataset(card: Card, dataset, where: str, eval_ids: dict) -> tuple[str | None, object, bool]:
    """The result's dataset as an evaluation dataset (its ``name``, else its ``type``); kept whole
    where a part of it is not placed (a ``type`` other than the name, ``config``, ``args``,
    ``revision``) or where the same dataset was placed from an earlier result. Returns the
    evaluation dataset's id, the split, and whether the dataset was kept whole."""
    if dataset is None:
        return None, None, False
    if not isinstance(dataset, dict):
        card.keep(f"huggingface:{where}.dataset", dataset)
        return None, None, True
    name = f"huggingface:{where}.dataset"
    ds_name = as_str(dataset.get("name")) or as_str(dataset.get("type"))
    whole = any(k not in ("name", "type", "split") for k in dataset) or dataset.get("type") not in (None, ds_name) \
        or (dataset.get("name") is not None and dataset.get("name") != ds_name)
    ds_id = None
    if ds_name:
        ident = json.dumps([dataset.get(k) for k in ("name", "type", "config", "revision", "args")], ensure_ascii=False)
        if ident in eval_ids:
            whole = True  # placed from an earlier result: its provenance names that one
        else:
            eval_ids[ident] = f"eval-{len(eval_ids) + 1}"
            card.place("/applicability/evaluation_datasets/-", {"id": eval_ids[ident], "name": ds_name},
                       _fm(f"{where}.dataset"), dataset, name=name)
        ds_id = eval_ids[ident]
    else:
        whole = True
    if whole:
        card.keep(name, dataset)
    return ds_id, dataset.get("split"), whole


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


def _pipeline_task(card: Card, front: dict) -> None:
    """Without a task type from the model-index, the intended task type the pipeline_tag names, by
    the rule "huggingface.task-type". The pipeline_tag is kept verbatim as well (it is what the
    Hub's widget runs)."""
    tag = as_str(front.get("pipeline_tag"))
    if tag in PIPELINE_TASKS:
        card.infer("/applicability/intended_tasks/-", {"task_type": PIPELINE_TASKS[tag]}, "huggingface.task-type",
                   key=_fm("pipeline_tag"))


def _tag_body_parts(card: Card, front: dict) -> None:
    """The body parts of the intended tasks, from the tags that *are* a DICOM Body Part Examined term
    or its code meaning ("chest", "Lung"), by the rule "huggingface.tag-body-part"; a tag that merely
    resembles one ("chest-xray", "thoracic") is not read. Only where the README gives intended tasks
    (the tags speak of the model as a whole); the tags are kept verbatim as well."""
    tags = front.get("tags")
    terms: list[str] = []
    for tag in tags if isinstance(tags, list) else [tags]:
        term = body_part_term(tag)
        if term and term not in terms:
            terms.append(term)
    tasks = card.data.get("applicability", {}).get("intended_tasks", [])
    for i in range(len(tasks) if terms else 0):
        card.infer(f"/applicability/intended_tasks/{i}/body_parts", terms, "huggingface.tag-body-part", key=_fm("tags"))


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
                card.place(target + "/-", text, f"{'#' * level} {heading}", text, name=f"huggingface:section.{heading}")
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


# Line breaks other than \n and \r\n, which str.splitlines also breaks at: a body without them is
# scanned by a regular expression from one heading or fence line to the next (text between them is
# taken in one piece, in C), the same result as the line-by-line scan below, which reads any other.
_OTHER_BREAKS = re.compile("\r(?!\n)|[\x0b\x0c\x1c-\x1e\x85\u2028\u2029]")
_MARKED_LINE = re.compile(r"^ *[#`~][^\n]*\n?", re.MULTILINE)


def _lines(body: str):
    """The body as lines (with their breaks), text between heading and fence lines in one piece."""
    if _OTHER_BREAKS.search(body):
        yield from body.splitlines(keepends=True)
        return
    pos = 0
    for m in _MARKED_LINE.finditer(body):
        if m.start() > pos:
            yield body[pos:m.start()]
        yield m.group()
        pos = m.end()
    if pos < len(body):
        yield body[pos:]


def _sections(body: str) -> tuple[str, list[tuple[int, str, str]]]:
    """The text before the first heading, and each ATX heading (outside code fences) with its own
    text up to the next heading, both as written (only surrounding blank lines removed)."""
    preamble: list[str] = []
    sections: list[tuple[int, str, list[str]]] = []
    fence = None
    for line in _lines(body):
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
