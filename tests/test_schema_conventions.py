"""Conventions every schema element must follow, checked over LinkML's SchemaView."""

from __future__ import annotations

import re

import pytest
import yaml

from conftest import ROOT, SCHEMA_DIR
from modelcard_spec.spec import catalogue

ZH = re.compile(r"[\u4e00-\u9fff]")


def _ann(element, tag):
    anns = element.annotations or {}
    try:
        a = anns[tag]
    except (KeyError, TypeError):
        return None
    return str(a.value if hasattr(a, "value") else a)


def _labels_problems(kind, name, element):
    problems = []
    if not element.title:
        problems.append(f"{kind} {name}: no English title")
    if not element.description:
        problems.append(f"{kind} {name}: no English description")
    zh_title, zh_desc = _ann(element, "mcs:title_zh"), _ann(element, "mcs:description_zh")
    if not zh_title:
        problems.append(f"{kind} {name}: no Chinese title (mcs:title_zh)")
    if not zh_desc or not ZH.search(zh_desc):
        problems.append(f"{kind} {name}: no Chinese description (mcs:description_zh)")
    return problems


def _own_schema(sv, element) -> bool:
    return not (element.from_schema or "").startswith("https://w3id.org/linkml/")


def test_every_class_slot_enum_and_value_is_labelled_in_english_and_chinese(schema_view):
    sv = schema_view
    problems = []
    for name, cls in sv.all_classes().items():
        if not _own_schema(sv, cls):
            continue
        problems += _labels_problems("class", name, cls)
        for slot in sv.class_induced_slots(name):
            problems += _labels_problems("slot", f"{name}.{slot.name}", slot)
    for name, enum in sv.all_enums().items():
        if not _own_schema(sv, enum):
            continue
        problems += _labels_problems("enum", name, enum)
        for pv_name, pv in (enum.permissible_values or {}).items():
            problems += _labels_problems("value", f"{name}.{pv_name}", pv)
    for name, typ in sv.all_types().items():
        if _own_schema(sv, typ):
            problems += _labels_problems("type", name, typ)
    assert not problems, "\n".join(problems)


def _slot_at(sv, path: str):
    """(class name, slot) at the end of a card path, walking inlined class ranges."""
    cls = "ModelCard"
    slot = None
    for part in path.split("."):
        name = part.removesuffix("[]")
        slots = {s.name: s for s in sv.class_induced_slots(cls)}
        assert name in slots, f"{path}: {cls} has no field {name!r}"
        slot = slots[name]
        if part.endswith("[]"):
            assert slot.multivalued, f"{path}: {cls}.{name} is not a list but is marked []"
        else:
            assert not slot.multivalued or part == path.split(".")[-1], f"{path}: {cls}.{name} is a list; mark it []"
        prev, cls = cls, slot.range
    return prev, slot


def test_requirement_fields_exist_and_their_slots_point_back(schema_view):
    problems = []
    for req in catalogue.requirements():
        for path in req.all_fields:
            cls, slot = _slot_at(schema_view, path)
            points_to = (_ann(slot, "mcs:requirements") or "").split()
            if req.id not in points_to:
                problems.append(f"{req.id} needs {path}, but {cls}.{slot.name} does not point to it")
    assert not problems, "\n".join(problems)


def test_every_requirement_a_slot_points_to_uses_that_slot(schema_view):
    """The other direction: a slot annotated with a requirement lies on one of its field paths."""
    sv = schema_view
    on_paths: dict[str, set[tuple[str, str]]] = {}
    for req in catalogue.requirements():
        for path in req.all_fields:
            cls = "ModelCard"
            for part in path.split("."):
                name = part.removesuffix("[]")
                on_paths.setdefault(req.id, set()).add((cls, name))
                cls = {s.name: s for s in sv.class_induced_slots(cls)}[name].range
    problems = []
    known = {r.id for r in catalogue.requirements()}
    for cname in sv.all_classes():
        for slot in sv.class_induced_slots(cname):
            for rid in (_ann(slot, "mcs:requirements") or "").split():
                if rid not in known:
                    problems.append(f"{cname}.{slot.name} points to unknown requirement {rid}")
                elif (cname, slot.name) not in on_paths.get(rid, set()):
                    problems.append(f"{cname}.{slot.name} points to {rid}, which lists no field through it")
    assert not problems, "\n".join(problems)


def test_every_requirement_has_source_evaluation_and_fields():
    for req in catalogue.requirements():
        raw = req.raw
        assert raw["sources"], req.id
        for src in raw["sources"]:
            assert src["document"] and src["section"], req.id
        assert req.evaluation_methods and raw["evaluation"] and raw["evaluation_zh"], req.id
        assert req.all_fields, f"{req.id} maps to no field"
        assert ZH.search(req.title_zh) and ZH.search(req.statement_zh), req.id
        if req.obligation == "conditional":
            assert req.condition and req.condition_zh, f"{req.id} is conditional without a condition"


def test_catalogue_covers_the_eight_areas_and_general_and_lifecycle_items():
    areas = {r.area for r in catalogue.requirements()}
    assert areas == {"general", "model_framework", "model_nodes", "model_parameters", "input_output",
                     "explainability", "source_task_data", "training_process", "applicability", "lifecycle"}
    ids = [r.id for r in catalogue.requirements()]
    assert len(ids) == len(set(ids))
    kinds = {k for r in catalogue.requirements() for k in r.provider_kinds}
    assert kinds == {"manufacturer", "third_party_supplier", "third_party_service_platform", "open_source"}


def test_source_documents_are_known_and_ids_are_not_clause_numbers():
    data = yaml.safe_load((SCHEMA_DIR / "requirements.yaml").read_text(encoding="utf-8"))
    documents = {d["id"] for d in data["documents"]}
    for req in data["requirements"]:
        assert re.match(r"^MCS-[A-Z]{2,3}-\d{2}$", req["id"])
        for src in req["sources"]:
            assert src["document"] in documents, (req["id"], src["document"])


def test_quoted_passages_are_verbatim_from_the_documents_we_hold():
    """Never quote text we do not have: every passage appears in the source documents (vendored in
    sources/ from the seeds; tests/test_trace.py checks each passage against the statements it names)."""
    corpus = "".join("".join(p.read_text(encoding="utf-8").split()) for p in (ROOT / "sources").glob("*.txt"))
    data = yaml.safe_load((SCHEMA_DIR / "requirements.yaml").read_text(encoding="utf-8"))
    missing = []
    for req in data["requirements"]:
        for src in req["sources"]:
            passage = src.get("passage")
            if passage and "".join(passage.split()) not in corpus:
                missing.append(f"{req['id']}: {passage}")
    assert not missing, "\n".join(missing)


# The evaluation-metric terms of annex 2 of the GMP inspection guide (the oracle for the test).
ANNEX2_METRIC_TERMS = [
    "灵敏度", "特异度", "漏检率", "阳性预测值", "阴性预测值", "准确率", "F1 度量", "约登指数", "假阳性率",
    "病变定位率", "非病变定位率", "受试者操作特征曲线", "曲线下面积", "自由响应受试者操作特征曲线",
    "候选自由受试者操作特征曲线", "精确度-召回率曲线", "平均精确度", "平均精确度均值", "交并比", "Dice 系数",
    "中心点距离", "混淆矩阵", "Kappa 系数", "信噪比", "峰值信噪比", "结构相似性", "余弦相似度", "困惑度",
    "字错率", "交叉熵", "互信息", "服务可用性",
]


def test_metric_vocabulary_holds_every_annex2_metric_with_meaning(schema_view):
    enum = schema_view.get_enum("Metric")
    values = enum.permissible_values
    zh_titles = {_ann(pv, "mcs:title_zh") for pv in values.values()}
    for term in ANNEX2_METRIC_TERMS:
        assert any(t and t.startswith(term) for t in zh_titles), f"annex-2 metric {term} missing"
    for name, pv in values.items():
        assert pv.meaning, f"metric {name} has no meaning IRI"
        assert _ann(pv, "mcs:source") in ("guide-annex-2", "kit-extension"), name
    annex = [pv for pv in values.values() if _ann(pv, "mcs:source") == "guide-annex-2"]
    assert len(annex) == len(ANNEX2_METRIC_TERMS)


def _own_chinese_text(node, key=""):
    """Every Chinese string of the schema in our own words (verbatim passages of sources left out)."""
    if isinstance(node, dict):
        for k, v in node.items():
            if k != "passage":
                yield from _own_chinese_text(v, str(k))
    elif isinstance(node, list):
        for v in node:
            yield from _own_chinese_text(v, key)
    elif isinstance(node, str) and ZH.search(node):
        yield key, node


@pytest.mark.parametrize("word,use", [("审评", "审核 (our reviewers) or 评价"), ("须", "应 (GB/T 1.1)"), ("卡片", "模型卡")])
def test_schema_chinese_follows_nmpa_usage(word, use):
    found = [f"{path.name}: {key}: {text}" for path in sorted(SCHEMA_DIR.glob("*.yaml"))
             for key, text in _own_chinese_text(yaml.safe_load(path.read_text(encoding="utf-8"))) if word in text]
    assert not found, f"{word} -> {use}:\n" + "\n".join(found)


@pytest.mark.parametrize("word", ["审评", "须", "卡片"])
def test_hand_written_pages_follow_nmpa_usage(word):
    pages = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md")), *sorted((ROOT / "docs" / "guides").glob("*.md"))]
    found = [f"{page.relative_to(ROOT)}:{n}: {line}" for page in pages
             for n, line in enumerate(page.read_text(encoding="utf-8").splitlines(), 1) if word in line]
    assert not found, "\n".join(found)


def test_check_titles_and_messages_use_ying_not_xu():
    from modelcard_spec.check.checks import all_checks

    checks = all_checks()
    titles = [c.title_zh for c in checks]
    messages = [zh for c in checks for _, zh in c.messages.values()]
    assert "不采用的要求应说明理由" in titles and not [t for t in titles + messages if "须" in t]
