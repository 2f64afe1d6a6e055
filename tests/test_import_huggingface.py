"""The Hugging Face importer on real model cards (tests/data/huggingface/cards, origins in
tests/data/huggingface/README.md): what each card must yield, and that nothing is invented — every
value the card gets is stated in the place of the README its provenance names, or derived by a
documented rule."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import yaml

from modelcard_spec.check import structural
from modelcard_spec.importers import huggingface
from modelcard_spec.importers.common import metric_of, slug
from modelcard_spec.spec import pointers

ROOT = Path(__file__).resolve().parents[1]
CARDS = sorted((ROOT / "tests" / "data" / "huggingface" / "cards").glob("*.md"))
RULES = {"huggingface.task-type", "huggingface.license-spdx", "huggingface.identifier-from-name",
         "huggingface.tag-body-part"}  # documented in docs/guides/importing.md
# values the importer writes that are its own vocabulary, not the README's words: identifiers it
# gives datasets within the card, and the schema's names for the README's terms (documented tables)
OWN = re.compile(r"^(ds|eval)-\d+$")
TRANSLATED = (set(huggingface.PIPELINE_TASKS.values()) | set(huggingface.RELATIONS.values())
              | set(huggingface.SPLITS.values()) | set(huggingface.SPDX.values()))
HUB_REGEX = r"^(\s*---[\r\n]+)([\S\s]*?)([\r\n]+---(\r\n|\n|$))"  # huggingface_hub repocard.REGEX_YAML_BLOCK


def _hub_front(text: str) -> tuple[dict, str]:
    """The front matter and body as huggingface_hub's RepoCard reads them (an independent copy)."""
    m = re.search(HUB_REGEX, text)
    return (yaml.safe_load(m.group(2)) or {}, text[m.end():]) if m else ({}, text)


def _resolve(card: dict, pointer: str):
    node = card
    for token in pointers.tokens(pointer):
        node = node[int(token)] if isinstance(node, list) else node[token]
    return node


def _at(data, key: str):
    """The value at a front-matter key such as ``model-index[0].results[0].metrics[1]``."""
    for name, index in re.findall(r"([^.\[\]]+)|\[(\d+)\]", key):
        data = data[int(index)] if index else data[name]
    return data


def _leaves(value):
    if isinstance(value, dict):
        for v in value.values():
            yield from _leaves(v)
    elif isinstance(value, list):
        for v in value:
            yield from _leaves(v)
    else:
        yield value


def _stated(leaf, original, raw: str, key: str) -> bool:
    if isinstance(leaf, str) and leaf.startswith("huggingface.") and key:  # the identifier rule
        return True
    if isinstance(leaf, str) and (OWN.match(leaf) or leaf in TRANSLATED):
        return True
    if isinstance(leaf, str) and leaf in {metric_of(s) for s in _leaves(original) if isinstance(s, str)}:
        return True  # the schema's name of the metric the source names
    if isinstance(leaf, str):
        return leaf in raw if original is None else leaf in json.dumps(original, ensure_ascii=False) or leaf == original
    return leaf in list(_leaves(original)) if original is not None else False


@pytest.fixture(scope="module", params=CARDS, ids=[p.stem for p in CARDS])
def imported(request):
    notes: list = []
    card = huggingface.import_huggingface(request.param, notes=notes)
    return request.param, card, notes


def test_corpus_is_at_least_fifteen_real_cards():
    assert len(CARDS) >= 15
    listed = (ROOT / "tests" / "data" / "huggingface" / "README.md").read_bytes().decode("utf-8")
    assert all(f"`{p.name}`" in listed for p in CARDS)  # every card's origin is recorded


def test_every_value_is_stated_where_its_provenance_says(imported):
    path, card, _ = imported
    raw = path.read_bytes().decode("utf-8")
    front, body = _hub_front(raw)
    assert card["provenance"], path.name
    for entry in card["provenance"]:
        value = _resolve(card, entry["pointer"])  # the pointer resolves
        key = entry.get("source_key")
        assert key, entry
        assert entry["source"].endswith(path.name) and entry["origin"] in ("imported", "inferred")
        if entry["origin"] == "inferred":
            assert entry["rule"] in RULES, entry
        if key.startswith("front matter: "):
            where = key[len("front matter: "):]
            # a model-index metric is placed with its result's task, dataset and split
            original = _at(front, re.sub(r"\.metrics\[\d+\]$", "", where))
        else:  # a Markdown section, the text before the first heading, a link in the text
            original = None
            assert key.startswith("#") or key in ("the text before the first heading",
                                                  "the Markdown text (a link to the base model)"), key
            assert key.startswith("the ") or key.lstrip("#").strip() in body, key
        for leaf in _leaves(value):
            assert _stated(leaf, original, raw, key), (entry["pointer"], leaf, key)


def test_no_url_the_readme_does_not_state(imported):
    path, card, _ = imported
    raw = path.read_bytes().decode("utf-8")
    placed = {k: v for k, v in card.items() if k not in ("extensions", "provenance", "conformity")}
    for leaf in _leaves(placed):
        for url in re.findall(r"https?://\S+", str(leaf)):
            assert url.rstrip(").,") in raw, url


def test_every_section_and_front_matter_key_is_kept_or_placed(imported):
    path, card, _ = imported
    raw = path.read_bytes().decode("utf-8")
    front, body = _hub_front(raw)
    kept = {e["name"]: e["value"] for e in card.get("extensions", [])}
    placed_keys = {e.get("source_key", "") for e in card["provenance"]}
    everything = json.dumps(card, ensure_ascii=False)
    _, sections = huggingface._sections(body)
    for level, heading, text in sections:
        if huggingface._real(text):  # placeholder-only sections ("More information needed") state nothing
            mark = f"{'#' * level} {heading}"
            assert text == kept.get(f"huggingface:section.{heading}") or mark in placed_keys, heading  # kept or placed
            assert text in kept.values() or json.dumps(text, ensure_ascii=False)[1:-1] in everything  # whole, not cut
    for key in front:
        assert any(n == f"huggingface:{key}" or n.startswith(f"huggingface:{key}[") for n in kept) \
            or any(k.startswith(f"front matter: {key}") for k in placed_keys), key


def _front_leaves(value, path: str = ""):
    """(key, value) of every leaf of the front matter, the key written as the importer writes it
    (``model-index[0].results[0].dataset.split``)."""
    if isinstance(value, dict):
        for k, v in value.items():
            yield from _front_leaves(v, f"{path}.{k}" if path else str(k))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from _front_leaves(v, f"{path}[{i}]")
    else:
        yield path, value


def _names(key: str, ancestor: str) -> bool:
    """``ancestor`` is ``key`` or a key above it."""
    return key == ancestor or key.startswith(ancestor + ".") or key.startswith(ancestor + "[")


def _same(leaf, value) -> bool:
    """The card's ``value`` is the README's ``leaf``, or its translation by a documented table or rule."""
    if isinstance(leaf, bool) or isinstance(value, bool):
        return leaf is value
    if leaf == value:
        return True
    if not isinstance(leaf, str):
        return False
    return value in (huggingface.PIPELINE_TASKS.get(leaf), huggingface.SPLITS.get(leaf.lower()),
                     huggingface.SPDX.get(leaf.lower()), huggingface.RELATIONS.get(leaf.lower()), metric_of(leaf),
                     f"huggingface.{slug(leaf)}")


def test_every_front_matter_leaf_is_placed_or_kept_verbatim(imported):
    """Issue 16: nothing of the front matter vanishes. Every leaf is placed — its value (or its
    documented translation) is in the card at a provenance entry whose key names the leaf or a key
    above it (a metric's entry also carries its result's task and split) — or is in the extension
    named after the leaf or a key above it, verbatim."""
    path, card, _ = imported
    _check_front_matter_leaves(path, card)


def _check_front_matter_leaves(path: Path, card: dict) -> None:
    front, _ = _hub_front(path.read_bytes().decode("utf-8"))
    placed = []  # (keys the entry covers, leaves of the value at its pointer)
    for entry in card["provenance"]:
        key = entry["source_key"]
        if not key.startswith("front matter: "):
            continue
        key = key[len("front matter: "):]
        covers = [key]
        result = re.match(r"(.*)\.metrics\[\d+\]$", key)
        if result:
            covers += [f"{result.group(1)}.task", f"{result.group(1)}.dataset.split"]
        placed.append((covers, list(_leaves(_resolve(card, entry["pointer"])))))
    kept = [(e["name"][len("huggingface:"):], e["value"]) for e in card.get("extensions", [])
            if e["name"].startswith("huggingface:")]
    for key, leaf in _front_leaves(front):
        if any(any(_names(key, c) for c in covers) and any(_same(leaf, v) for v in values) for covers, values in placed):
            continue
        assert any(_names(key, name) and (value == leaf or json.dumps(leaf, ensure_ascii=False) in value)
                   for name, value in kept), (path.name, key, leaf)


def test_every_extension_name_follows_the_convention(imported):
    """``huggingface:section.<heading>`` for a Markdown section, ``huggingface:<key>`` for an item of the
    front matter (``model-index[0].results[0].dataset``); each item kept once."""
    path, card, _ = imported
    _check_extension_names(path, card)


def _check_extension_names(path: Path, card: dict) -> None:
    front, body = _hub_front(path.read_bytes().decode("utf-8"))
    headings = {h for _, h, _ in huggingface._sections(body)[1]} | {huggingface.PREAMBLE}
    names = [e["name"] for e in card.get("extensions", [])]
    for name in names:
        assert name.startswith("huggingface:"), name
        rest = name[len("huggingface:"):]
        if rest.startswith("section."):
            assert rest[len("section."):] in headings, name
        else:
            _at(front, rest)  # the key is an item of the front matter
    assert len(set(names)) == len(names) or all(  # sections of the same heading are different items
        n.startswith("huggingface:section.") for n in names if names.count(n) > 1), names


def test_cards_stay_structurally_valid_but_for_what_the_readme_lacks(imported):
    _, card, _ = imported
    errors = {i.path for i in structural.check(card, None) if i.severity == "error"}
    assert errors <= {"/version", "/provider", "/provider_kind", "/name", "/identifier"}


# What each card must yield (None: the card must not have it).
EXPECT = {
    "AkshatSurolia__ICD-10-Code-Prediction": dict(name="Clinical BERT for ICD-10 Prediction", spdx="Apache-2.0"),
    "DunnBC22__vit-base-patch16-224-in21k_brain_tumor_diagnosis": dict(
        name="vit-base-patch16-224-in21k_brain_tumor_diagnosis", spdx="Apache-2.0", metrics=4, tasks=["classification"],
        summary="This model is a fine-tuned version of [google/vit-base-patch16-224-in21k]"),
    "Devarshi__Brain_Tumor_Classification": dict(spdx="Apache-2.0", tasks=["classification"]),
    "Owos__tb-classifier": dict(name="Tuberculosis Classifier", summary="This is a computer vision model"),
    "StanfordAIMI__stanford-deidentifier-base": dict(name=None, spdx="MIT",
                                                     summary="Stanford de-identifier was trained"),
    "Tomohiro__RealMedNLP_CR_JA": dict(summary="This is a model for named entity recognition of Japanese"),
    "costinstroie__medgemma-4b-it-ped": dict(name="medgemma-4b-it-ped", spdx=None, tasks=None,
                                              summary="**MedGemma-4B-IT-Ped** is a fine-tuned version"),
    "juliensimon__autotrain-chest-xray-demo-1677859324": dict(
        summary="Original dataset: https://www.kaggle.com/datasets/paultimothymooney/chest-xray-pneumonia"),
    "keremberke__yolov5m-blood-cell": dict(name="keremberke/yolov5m-blood-cell", metrics=0, tasks=["detection"],
                                           summary=None),
    "skaliy__spine-segmentation": dict(tasks=["segmentation"]),
    "torchxrayvision__densenet121-res224-all": dict(spdx="Apache-2.0", summary="A DenseNet is a type of"),
    "tsantosh7__en_covid19_ner": dict(name="en_covid19_ner", tasks=None, summary="COVID 19 Bio Annotations"),
    "TimKond__S-PubMedBert-MedQuAD": dict(spdx="MIT", tasks=None),
}


@pytest.mark.parametrize("stem", sorted(EXPECT))
def test_what_each_card_yields(stem):
    card = huggingface.import_huggingface(ROOT / "tests" / "data" / "huggingface" / "cards" / f"{stem}.md")
    want = EXPECT[stem]
    if "name" in want:
        assert card.get("name") == want["name"]
    if "spdx" in want:
        assert card.get("license", {}).get("spdx_id") == want["spdx"]
    applic = card.get("applicability", {})
    if "metrics" in want:
        assert len(applic.get("transfer_performance", [])) == want["metrics"]
    if "tasks" in want:
        got = [t["task_type"] for t in applic.get("intended_tasks", []) if "task_type" in t] or None
        assert got == want["tasks"]
    if "summary" in want:
        assert (card.get("summary") or None) == want["summary"] if want["summary"] is None \
            else card["summary"].startswith(want["summary"])


def _card(name: str) -> Path:
    return ROOT / "tests" / "data" / "huggingface" / "cards" / name


def _variant(tmp_path: Path, name: str, before: bytes = b"", add: bytes = b"") -> Path:
    """A real card with ``before`` put in front of it and ``add`` added as the front matter's first line."""
    raw = _card(name).read_bytes()
    head, sep, rest = raw.partition(b"---\n")
    out = tmp_path / "README.md"
    out.write_bytes(before + head + sep + add + rest)
    return out


# The bugs of issue 16, each on real cards.

def test_front_matter_after_leading_blank_lines_is_read():
    for name in ("torchxrayvision__densenet121-res224-all.md", "keremberke__yolov5m-blood-cell.md",
                 "tsantosh7__en_covid19_ner.md"):
        raw = _card(name).read_bytes().decode("utf-8")
        assert not raw.startswith("---")  # as published
        card = huggingface.import_huggingface(_card(name))
        kept = {e["name"] for e in card.get("extensions", [])}
        assert "huggingface:tags" in kept, name
    assert huggingface.import_huggingface(_card("torchxrayvision__densenet121-res224-all.md"))["license"]["name"] == "apache-2.0"


def test_front_matter_after_blank_lines_added_to_a_card(tmp_path):
    card = huggingface.import_huggingface(_variant(tmp_path, "Owos__tb-classifier.md", before=b"\n\n  \n"))
    assert card["license"]["name"] == "apache-2.0"


def test_no_dataset_url_unless_the_card_states_one():
    for name in ("DunnBC22__vit-base-patch16-224-in21k_brain_tumor_diagnosis.md",  # imagefolder
                 "AkshatSurolia__ICD-10-Code-Prediction.md",  # Mimic III
                 "StanfordAIMI__stanford-deidentifier-base.md",  # radreports
                 "keremberke__yolov5m-blood-cell.md"):  # a Hub id
        card = huggingface.import_huggingface(_card(name))
        raw = _card(name).read_bytes().decode("utf-8")
        assert "huggingface.co/datasets" not in raw
        assert "huggingface.co/datasets" not in json.dumps(card), name  # nor in what is kept in extensions


def test_a_dataset_url_the_card_states_is_kept():
    card = huggingface.import_huggingface(_card("Owos__tb-classifier.md"))
    assert "https://www.kaggle.com/datasets/tawsifurrahman/tuberculosis-tb-chest-xray-dataset" in json.dumps(card)


def test_no_relation_without_base_model_relation():
    card = huggingface.import_huggingface(_card("costinstroie__medgemma-4b-it-ped.md"))
    assert card["lineage"]["base_model"] == "google/medgemma-4b-it"
    assert "relation" not in card["lineage"]
    # the README links the base model's page: that URL is stated
    assert card["lineage"]["base_model_url"] == "https://huggingface.co/google/medgemma-4b-it"


def test_relation_from_base_model_relation(tmp_path):
    card = huggingface.import_huggingface(_variant(tmp_path, "costinstroie__medgemma-4b-it-ped.md",
                                                   add=b"base_model_relation: finetune\n"))
    assert card["lineage"]["relation"] == "fine_tuned_from"


def test_no_base_model_url_the_card_does_not_state(tmp_path):
    card = huggingface.import_huggingface(_variant(tmp_path, "Owos__tb-classifier.md",
                                                   add=b"base_model: emilyalsentzer/Bio_ClinicalBERT\n"))
    assert card["lineage"] == {"base_model": "emilyalsentzer/Bio_ClinicalBERT"}


def test_no_pretraining_task_from_pipeline_tag(tmp_path):
    card = huggingface.import_huggingface(_variant(tmp_path, "DunnBC22__vit-base-patch16-224-in21k_brain_tumor_diagnosis.md",
                                                   add=b"pipeline_tag: image-classification\n"))
    assert "pretraining_task" not in json.dumps(card.get("source_task_data", {}))
    assert "supervised_classification" not in json.dumps(card)


def test_model_index_without_pipeline_tag_is_placed_with_task_and_split():
    card = huggingface.import_huggingface(_card("DunnBC22__vit-base-patch16-224-in21k_brain_tumor_diagnosis.md"))
    results = card["applicability"]["transfer_performance"]
    assert {r["metric"]: r["value"] for r in results} == {
        "accuracy": 0.9215686274509803, "f1_measure": 0.9375, "sensitivity": 1.0, "positive_predictive_value": 0.8823529411764706}
    assert {(r["task"], r["split"], r["dataset"]) for r in results} == {("Image Classification", "training", "eval-1")}
    assert card["applicability"]["evaluation_datasets"] == [{"id": "eval-1", "name": "imagefolder"}]
    assert "huggingface:model-index.metric" not in {e["name"] for e in card.get("extensions", [])}


def test_a_metric_whose_type_and_name_disagree_is_kept_verbatim():
    card = huggingface.import_huggingface(_card("keremberke__yolov5m-blood-cell.md"))
    kept = {e["name"]: e["value"] for e in card["extensions"]}
    assert json.loads(kept["huggingface:model-index[0].results[0].metrics[0]"]) == {
        "type": "precision", "value": 0.9052191412458869, "name": "mAP@0.5"}
    assert "transfer_performance" not in card.get("applicability", {})


def test_long_sections_are_kept_whole():
    card = huggingface.import_huggingface(_card("BSC-TeMU__roberta-base-biomedical-clinical-es.md"))
    longest = max((e["value"] for e in card["extensions"] if e["name"].startswith("huggingface:section.")), key=len)
    assert len(longest) > 2000
    assert longest in _card("BSC-TeMU__roberta-base-biomedical-clinical-es.md").read_bytes().decode("utf-8")


def test_unknown_sections_are_kept():
    card = huggingface.import_huggingface(_card("PlanTL-GOB-ES__bsc-bio-ehr-es-cantemist.md"))
    names = {e["name"] for e in card["extensions"]}
    assert {n for n in names if n.startswith("huggingface:section.")} >= {"huggingface:section.Table of contents",
                                                                  "huggingface:section.Training"}


def test_text_before_the_first_heading_is_the_summary_without_a_model_description():
    raw = _card("StanfordAIMI__stanford-deidentifier-base.md").read_bytes().decode("utf-8")
    card = huggingface.import_huggingface(_card("StanfordAIMI__stanford-deidentifier-base.md"))
    assert card["summary"].startswith("Stanford de-identifier was trained") and card["summary"] in raw
    entry = next(e for e in card["provenance"] if e["pointer"] == "/summary")
    assert entry["source_key"] == "the text before the first heading"


def test_headings_inside_code_blocks_are_not_sections():
    _, sections = huggingface._sections("intro\n```python\n# load the model\nx = 1\n```\n## Usage\ntext\n")
    assert sections == [(2, "Usage", "text")]


def test_front_matter_is_found_exactly_as_the_hub_regex_finds_it():
    """The linear scan finds what huggingface_hub's REGEX_YAML_BLOCK finds, on every short text made of
    the pieces that matter (the regex itself backtracks quadratically on long runs of line breaks)."""
    import itertools

    pieces = ["---", "\n", "\r\n", "\r", " ", "a: 1", "-"]
    for n in range(6):
        for parts in itertools.product(pieces, repeat=n):
            text = "".join(parts)
            m = huggingface.REGEX_YAML_BLOCK.search(text)
            assert huggingface._yaml_block(text) == ((m.group(1), m.group(2), m.end()) if m else None), repr(text)


# Issue 16, red-team review of the model-index: nothing of it vanishes, and what is placed keeps its card.

def _kept(card: dict) -> dict:
    return {e["name"]: e["value"] for e in card.get("extensions", [])}


def test_a_task_type_without_a_rule_is_kept_and_its_name_is_the_intended_task():
    card = huggingface.import_huggingface(_card("Kevincp560__bart-base-finetuned-pubmed.md"))
    assert json.loads(_kept(card)["huggingface:model-index[0].results[0].task"]) == {
        "name": "Sequence-to-sequence Language Modeling", "type": "text2text-generation"}
    assert card["applicability"]["intended_tasks"] == [{"description": "Sequence-to-sequence Language Modeling"}]
    entry = next(e for e in card["provenance"] if e["pointer"] == "/applicability/intended_tasks/0")
    assert (entry["origin"], entry["source_key"]) == ("imported", "front matter: model-index[0].results[0].task")


def test_a_task_with_a_type_only_is_the_intended_task_and_keeps_applicability():
    card = huggingface.import_huggingface(_card("PlanTL-GOB-ES__bsc-bio-ehr-es-cantemist.md"))
    applic = card["applicability"]
    assert applic["intended_tasks"] == [{"description": "token-classification"}]
    assert applic["evaluation_datasets"] == [{"id": "eval-1", "name": "cantemist-ner"}]
    assert applic["transfer_performance"] == [{"metric": "f1_measure", "value": 0.834, "task": "token-classification",
                                               "dataset": "eval-1"}]
    assert applic["limitations"][0].startswith("At the time of submission, no measures have been taken")
    kept = _kept(card)
    # the dataset's type is not its name: the dataset is kept whole, once
    assert json.loads(kept["huggingface:model-index[0].results[0].dataset"]) == {
        "name": "cantemist-ner", "type": "PlanTL-GOB-ES/cantemist-ner"}
    assert not any(n.startswith(("huggingface:##", "huggingface:front matter")) for n in kept)


def test_a_split_no_metric_carries_is_kept():
    card = huggingface.import_huggingface(_card("keremberke__yolov5m-blood-cell.md"))
    assert json.loads(_kept(card)["huggingface:model-index[0].results[0].dataset"])["split"] == "validation"
    assert card["applicability"]["intended_tasks"] == [{"description": "object-detection", "task_type": "detection"}]


def test_a_dataset_kept_whole_is_kept_once():
    card = huggingface.import_huggingface(_card("Kevincp560__bart-base-finetuned-pubmed.md"))
    datasets = [e for e in card["extensions"] if "pub_med_summarization_dataset" in e["value"] and "args" in e["value"]]
    assert [e["name"] for e in datasets] == ["huggingface:model-index[0].results[0].dataset"]


def test_a_section_the_schema_rejects_is_kept_under_its_section_name(tmp_path):
    """Without an intended task the schema rejects applicability: its limitations section goes back to
    extensions under the section's name, and the note says so."""
    src = tmp_path / "README.md"
    src.write_bytes(_card("Owos__tb-classifier.md").read_bytes() + b"\n## Limitations\n\nNot for children.\n")
    notes: list = []
    card = huggingface.import_huggingface(src, notes=notes)
    assert "applicability" not in card
    assert _kept(card)["huggingface:section.Limitations"] == "Not for children."
    assert any("huggingface:section.Limitations" in n.message for n in notes)


def test_every_part_of_a_model_index_is_placed_or_kept(tmp_path):
    """A second result with the same task and dataset, a result's source, a metric's other keys, the
    model-index's name beside model_name: each kept once, under its own key."""
    src = tmp_path / "README.md"
    src.write_text("""---
model_name: Tumour classifier
model-index:
- name: tumour-classifier
  results:
  - task: {type: image-classification, name: Image Classification}
    dataset: {name: brain, type: brain, split: test}
    metrics: [{type: accuracy, value: 0.9, verified: false}]
    source: {name: Paper, url: https://example.org/paper}
  - task: {type: image-classification, name: Image Classification}
    dataset: {name: brain, type: brain, split: test}
    metrics: [{type: f1, value: 0.8}]
---
# Tumour classifier
""", encoding="utf-8")
    card = huggingface.import_huggingface(src)
    kept = _kept(card)
    assert set(kept) >= {"huggingface:model-index[0].name", "huggingface:model-index[0].results[0].source",
                         "huggingface:model-index[0].results[0].metrics[0]", "huggingface:model-index[0].results[1].task",
                         "huggingface:model-index[0].results[1].dataset"}
    assert card["applicability"]["intended_tasks"] == [{"description": "Image Classification", "task_type": "classification"}]
    assert [r["metric"] for r in card["applicability"]["transfer_performance"]] == ["accuracy", "f1_measure"]
    _check_front_matter_leaves(src, card)
    _check_extension_names(src, card)


def test_a_task_or_dataset_part_that_is_not_text_is_kept(tmp_path):
    src = tmp_path / "README.md"
    src.write_text("---\nmodel-index:\n- name: m\n  results:\n  - task: {type: 7, name: Tagging}\n"
                   "    dataset: {name: d, type: 8, split: 9}\n    metrics: [{type: accuracy, value: 0.5}]\n---\n",
                   encoding="utf-8")
    card = huggingface.import_huggingface(src)
    kept = _kept(card)
    assert json.loads(kept["huggingface:model-index[0].results[0].task"]) == {"type": 7, "name": "Tagging"}
    assert json.loads(kept["huggingface:model-index[0].results[0].dataset"]) == {"name": "d", "type": 8, "split": 9}
    _check_front_matter_leaves(src, card)
    _check_extension_names(src, card)


def test_a_section_repeated_under_one_heading_is_kept_twice(tmp_path):
    """Two sections with the same heading and text are two statements of the README: both are kept
    (a de-duplication meant for model-index items once dropped the second)."""
    from modelcard_spec.importers import import_source

    readme = tmp_path / "README.md"
    readme.write_text("# M\n\n## Model A\n\n### Notes\n\nTrained on site 1 only.\n\n"
                      "## Model B\n\n### Notes\n\nTrained on site 1 only.\n", encoding="utf-8")
    card = import_source("huggingface", readme)
    kept = [e for e in card["extensions"] if e["name"] == "huggingface:section.Notes"]
    assert len(kept) == 2


def test_tags_that_are_dicom_body_part_terms_code_the_intended_tasks_body_parts(tmp_path):
    readme = tmp_path / "README.md"
    readme.write_text("---\npipeline_tag: image-classification\ntags: [chest, x-ray, Lung, chest-xray, thoracic]\n"
                      "---\n# Demo\n\nA classifier of frontal chest radiographs.\n", encoding="utf-8")
    card = huggingface.import_huggingface(readme)
    assert card["applicability"]["intended_tasks"] == [{"task_type": "classification", "body_parts": ["CHEST", "LUNG"]}]
    entry = next(p for p in card["provenance"] if p["pointer"] == "/applicability/intended_tasks/0/body_parts")
    assert entry["origin"] == "inferred" and entry["rule"] == "huggingface.tag-body-part"
    assert {"name": "huggingface:tags", "value": '["chest", "x-ray", "Lung", "chest-xray", "thoracic"]'} in card["extensions"]


def test_body_part_tags_without_an_intended_task_are_only_kept(tmp_path):
    readme = tmp_path / "README.md"
    readme.write_text("---\ntags: [chest]\n---\n# Demo\n\nText.\n", encoding="utf-8")
    card = huggingface.import_huggingface(readme)
    assert "applicability" not in card and {"name": "huggingface:tags", "value": '["chest"]'} in card["extensions"]


def test_the_section_scan_by_regular_expression_is_the_line_by_line_scan(monkeypatch):
    """_sections reads a body without exotic line breaks through one regular expression; on random
    Markdown it gives what the line-by-line scan (the path for any other body) gives."""
    import random
    import re

    from modelcard_spec.importers import huggingface as hf

    pieces = ["# T", "## Limitations", "   ## Uses ###", "    # not a heading", "```", "~~~~", "   ```py",
              "text", "", "  ", "\t# tab", "#", "#no space", "- item", "[More Information Needed]", "``", "~~"]
    rng = random.Random(1833)
    bodies = []
    for _ in range(600):
        lines = [rng.choice(pieces) for _ in range(rng.randint(0, 30))]
        bodies.append(("\r\n" if rng.random() < 0.3 else "\n").join(lines) + rng.choice(["", "\n", "\r\n"]))
    fast = [hf._sections(b) for b in bodies]
    monkeypatch.setattr(hf, "_OTHER_BREAKS", re.compile(""))  # every body read line by line
    assert [hf._sections(b) for b in bodies] == fast
