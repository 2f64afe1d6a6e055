"""Output formats: JSON requirement statuses, SARIF 2.1.0, Markdown, the conformity report."""

from __future__ import annotations

import hashlib
import json
import re
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest

from conftest import EXAMPLES, INVALID_CARDS, ROOT, VALID_CARDS
from modelcard_spec.spec import catalogue
from modelcard_spec.spec.resources import schema_index

SARIF_SCHEMA = json.loads((Path(__file__).parent / "data" / "sarif-2.1.0-rtm.5.json").read_text(encoding="utf-8"))


def run(*args):
    return subprocess.run([sys.executable, "-m", "modelcard_spec.cli", *args], cwd=ROOT,
                          capture_output=True, text=True, encoding="utf-8", timeout=120)


def test_json_output_has_a_status_for_every_requirement():
    data = json.loads(run("validate", str(VALID_CARDS[1]), "--format", "json").stdout)
    entries = data["results"][0]["requirements"]
    assert [e["id"] for e in entries] == [r.id for r in catalogue.requirements()]
    assert {e["status"] for e in entries} <= set(schema_index()["enums"]["Verdict"]["values"])
    assert all(e.get("justification") for e in entries if e["status"] == "not_applicable")


def test_sarif_is_valid_sarif_2_1_0_with_locations_and_requirements():
    proc = run("validate", str(EXAMPLES / "invalid"), "--format", "sarif")
    assert proc.returncode == 1
    sarif = json.loads(proc.stdout)
    jsonschema.Draft4Validator(SARIF_SCHEMA).validate(sarif)
    results = sarif["runs"][0]["results"]
    assert len(results) >= len(INVALID_CARDS)
    first = results[0]
    region = first["locations"][0]["physicalLocation"]["region"]
    assert region["startLine"] >= 1 and first["properties"]["requirement"].startswith("MCS-")
    assert first["locations"][0]["logicalLocations"][0]["fullyQualifiedName"].startswith("/")
    rules = sarif["runs"][0]["tool"]["driver"]["rules"]
    assert first["ruleId"] == rules[first["ruleIndex"]]["id"]


def test_markdown_output_lists_issues_and_summary():
    text = run("validate", str(EXAMPLES / "invalid" / "split-ratio-above-one.card.yaml"), "--format", "markdown").stdout
    assert "## ❌" in text and "<code>/training\\_process/data\\_splits/splits/0/ratio</code>" in text and "MCS-TR-03" in text
    import markdown

    html = markdown.markdown(text, extensions=["tables"])
    assert "<code>/training_process/data_splits/splits/0/ratio</code>" in html


@pytest.mark.parametrize("fmt", ["md", "html", "json"])
def test_report_shows_every_requirement_status_and_the_card_hash(fmt):
    card = VALID_CARDS[0]
    proc = run("report", str(card), "--format", fmt)
    assert proc.returncode == 0
    digest = hashlib.sha256(card.read_bytes()).hexdigest()
    assert digest in proc.stdout
    for req in catalogue.requirements():
        assert req.id in proc.stdout
    if fmt == "json":
        rep = json.loads(proc.stdout)
        assert rep["header"]["tool"]["name"] == "modelcard-spec" and rep["header"]["card_sha256"] == digest
        summary = rep["summary"]
        assert summary["documentation"] == 1.0 and 0 < summary["evaluated"] < 1  # reviews and runs are pending
        assert sum(summary["totals"].values()) == len(catalogue.requirements())
        assert set(rep["summary"]["areas"]) == {a["id"] for a in catalogue.areas()}


def test_report_in_chinese_and_for_a_failing_card():
    proc = run("report", str(EXAMPLES / "invalid" / "metric-not-in-vocabulary.card.yaml"), "--lang", "zh")
    assert proc.returncode == 1
    assert "符合性报告" in proc.stdout and "不符合" in proc.stdout and "auroc" in proc.stdout


def test_outputs_are_byte_identical_across_runs_and_job_counts():
    a = run("validate", str(EXAMPLES), "--format", "json", "--jobs", "1").stdout
    b = run("validate", str(EXAMPLES), "--format", "json", "--jobs", "2").stdout
    assert a == b
    r1 = run("report", str(VALID_CARDS[2]), "--format", "html").stdout
    assert r1 == run("report", str(VALID_CARDS[2]), "--format", "html").stdout


def test_python_api_returns_the_report_object():
    import modelcard_spec

    report = modelcard_spec.validate([str(EXAMPLES / "invalid")], jobs=2)
    assert not report.valid and len(report.results) == len(INVALID_CARDS)
    assert report.to_dict()["results"][0]["issues"][0]["requirement"]


def test_automatic_justifications_are_given_in_both_languages():
    zh = run("report", str(VALID_CARDS[1]), "--lang", "zh").stdout
    en = run("report", str(VALID_CARDS[1])).stdout
    assert "仅适用于：网络开源" in zh and "applies only to: open\\_source" not in zh
    assert "applies only to: open\\_source" in en


# --------------------------------------------------------------------------- exports and render of any readable card

def _variant(tmp_path, change, name="variant.card.yaml"):
    import yaml

    data = yaml.safe_load((EXAMPLES / "wdbc-cytology-mlp" / "card.yaml").read_text(encoding="utf-8"))
    change(data)
    path = tmp_path / name
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def _measured(*args):
    from conftest import run_measured

    proc = run_measured(args, cwd=ROOT)
    assert "Traceback" not in proc.stdout + proc.stderr, proc
    assert proc.within_budget(), proc
    return proc


# Shapes a card can have that the schema rejects, each of which made `export --to cyclonedx` crash.
SCHEMA_INVALID = {
    "input-nodes-a-number": lambda d: d["model_nodes"].__setitem__("input_nodes", 5),
    "shape-a-number": lambda d: d["model_nodes"]["input_nodes"][0].__setitem__("shape", 7),
    "metrics-true": lambda d: d["applicability"].__setitem__("transfer_performance", True),
    "datasets-a-number": lambda d: d["source_task_data"].__setitem__("datasets", 3),
    "tasks-a-mapping": lambda d: d["applicability"].__setitem__("intended_tasks", {"a": 1}),
    "limitations-a-number": lambda d: d["applicability"].__setitem__("limitations", 5),
    "weight-files-a-number": lambda d: d["model_parameters"].__setitem__("weight_files", 2),
}


@pytest.mark.parametrize("shape", sorted(SCHEMA_INVALID))
def test_cyclonedx_export_refuses_a_card_with_structural_errors(tmp_path, shape):
    card = _variant(tmp_path, SCHEMA_INVALID[shape])
    before = card.read_bytes()
    proc = _measured("export", card, "--to", "cyclonedx")
    assert proc.returncode == 2 and proc.stdout == ""
    assert "the card fails the structural check (it does not conform to the JSON Schema: " in proc.stderr
    assert "模型卡未通过结构检查（不符合 JSON Schema，共 " in proc.stderr and "仅能从通过结构检查的模型卡导出" in proc.stderr
    assert "不符合规范" not in proc.stderr
    assert card.read_bytes() == before


def test_cyclonedx_refusal_is_a_registered_diagnostic_rendered_from_its_params():
    """The refusal names the number of structural errors and the first one (its check, path and
    both messages) as parameters; both languages are the check's templates rendered from them."""
    import pickle

    from modelcard_spec.check.loading import read_card
    from modelcard_spec.output import cyclonedx
    from modelcard_spec.spec.diagnostics import DiagnosticError
    from modelcard_spec.spec.registry import lookup

    card = EXAMPLES / "invalid" / "parameter-count-as-text.card.yaml"
    with pytest.raises(cyclonedx.ExportError) as caught:
        cyclonedx.to_bom(read_card(card).data)
    exc = caught.value
    assert isinstance(exc, DiagnosticError) and exc.issue.rule == "export.cyclonedx-structural-errors"
    check = lookup(exc.issue.rule)
    assert check.scope == "command" and check.render("", exc.issue.params) == (exc.message, exc.message_zh)
    assert exc.issue.params == {"errors": 1, "first_check": "schema.type", "first_path": "/model_parameters/total_parameters",
                                "first_message": "'model_parameters.total_parameters' (Total parameters) must be an "
                                                 "integer, not a string ('86M')",
                                "first_message_zh": "“参数总量（model_parameters.total_parameters）”应为整数，而不是字符串（'86M'）"}
    assert exc.message == ("the card fails the structural check (it does not conform to the JSON Schema: 1 structural "
                           "error(s), the first at /model_parameters/total_parameters: 'model_parameters.total_parameters' "
                           "(Total parameters) must be an integer, not a string ('86M')); a CycloneDX BOM is exported only from a card that passes "
                           "the structural check (see modelcard-spec validate)")
    assert exc.message_zh == ("模型卡未通过结构检查（不符合 JSON Schema，共 1 个结构错误；第一个位于 "
                              "/model_parameters/total_parameters：“参数总量（model_parameters.total_parameters）”应为整数，而不是字符串（'86M'））；"
                              "仅能从通过结构检查的模型卡导出 CycloneDX BOM（请用 modelcard-spec validate 查看）")
    again = pickle.loads(pickle.dumps(exc))
    assert type(again) is cyclonedx.ExportError and again.issue == exc.issue


def test_cyclonedx_bom_of_a_valid_card_is_valid_whatever_its_licence_id_and_dataset_ids(tmp_path):
    pytest.importorskip("cyclonedx")
    from modelcard_spec.output import cyclonedx

    def change(d):
        d["license"]["spdx_id"] = "Example-Licence-1.0"  # matches the schema's pattern, not on the SPDX list
        datasets = d["source_task_data"]["datasets"]
        datasets.append(dict(datasets[0], name="Second copy"))  # the same id twice: a rule error, not a schema one
    card = _variant(tmp_path, change)
    proc = _measured("export", card, "--to", "cyclonedx")
    assert proc.returncode == 0, proc
    assert cyclonedx.validate(proc.stdout) is None
    bom = json.loads(proc.stdout)
    refs = [c["bom-ref"] for c in bom["components"]] + [d["bom-ref"] for c in bom["components"] for d in c.get("data", [])]
    assert len(refs) == len(set(refs))
    assert bom["components"][0]["licenses"] == [{"expression": "Example-Licence-1.0"}]


def _learning_strategies() -> list[str]:
    """The values of the schema's enum for the learning strategy, from the schema index."""
    from modelcard_spec.output import cyclonedx
    from modelcard_spec.spec.resources import schema_index

    slot = catalogue.field_slot(".".join(cyclonedx.LEARNING_STRATEGY))
    assert slot is not None and slot["kind"] == "enum"
    return list(schema_index()["enums"][slot["range"]]["values"])


def test_every_learning_strategy_of_the_schema_has_a_cyclonedx_approach_or_none():
    """APPROACH silently left out weakly_supervised; it is total over the enum now, and what it maps
    to is a learning type of CycloneDX 1.6 (or None: no type says it)."""
    cyclonedx_schema = pytest.importorskip("cyclonedx.schema")
    from cyclonedx.schema._res import BOM_JSON
    from modelcard_spec.output import cyclonedx

    assert set(cyclonedx.APPROACH) == set(_learning_strategies())
    bom_schema = json.loads(Path(BOM_JSON[cyclonedx_schema.SchemaVersion.V1_6]).read_text(encoding="utf-8"))
    approach = bom_schema["definitions"]["modelCard"]["properties"]["modelParameters"]["properties"]["approach"]
    types = set(approach["properties"]["type"]["enum"])
    assert {t for t in cyclonedx.APPROACH.values() if t is not None} <= types
    assert cyclonedx.APPROACH["weakly_supervised"] is None  # not supervised, not semi-supervised


@pytest.mark.parametrize("strategy", _learning_strategies())
def test_every_learning_strategy_is_in_the_bom(strategy):
    """A strategy with a CycloneDX learning type is the approach; one without is a property with
    the card's value. Either way it is said, and the BOM is valid."""
    pytest.importorskip("cyclonedx")
    import yaml
    from modelcard_spec.output import cyclonedx

    data = yaml.safe_load((EXAMPLES / "wdbc-cytology-mlp" / "card.yaml").read_text(encoding="utf-8"))
    data["model_framework"]["algorithm_type"]["learning_strategy"] = strategy
    bom = cyclonedx.to_bom(data)
    assert cyclonedx.validate(cyclonedx.to_json(bom)) is None
    model_card = bom["components"][0]["modelCard"]
    if cyclonedx.APPROACH[strategy]:
        assert model_card["modelParameters"]["approach"] == {"type": cyclonedx.APPROACH[strategy]}
        assert "properties" not in model_card
    else:
        assert "approach" not in model_card["modelParameters"]
        assert model_card["properties"] == [{"name": "modelcard-spec:learning_strategy", "value": strategy}]


def test_the_card_fields_the_cyclonedx_export_reads_are_in_the_schema():
    """Every card path cyclonedx.py reads with get_in is a field of the schema, and every key it
    reads from a part of the card (``x.get("key")``, ``"key" in x``) is a slot of a schema class.
    (The class of ``x`` is not resolved: a key of another class would pass.)"""
    import ast

    from modelcard_spec.output import cyclonedx
    from modelcard_spec.spec.resources import schema_index

    slots = {name for cls in schema_index()["classes"].values() for name in cls["slots"]}
    tree = ast.parse(Path(cyclonedx.__file__).read_text(encoding="utf-8"))
    paths, keys = {".".join(cyclonedx.LEARNING_STRATEGY)}, set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "get_in":
            if all(isinstance(a, ast.Constant) for a in node.args[1:]):
                paths.add(".".join(a.value for a in node.args[1:]))
        elif isinstance(node, ast.Call) and getattr(node.func, "attr", None) == "get" and node.args \
                and isinstance(node.args[0], ast.Constant):
            keys.add(node.args[0].value)
        elif isinstance(node, ast.Compare) and isinstance(node.left, ast.Constant) \
                and any(isinstance(op, (ast.In, ast.NotIn)) for op in node.ops):
            keys.add(node.left.value)
    assert len(paths) > 10 and len(keys) > 20
    assert [p for p in sorted(paths) if catalogue.field_slot(p) is None] == []
    assert sorted(keys - slots) == []


@pytest.mark.parametrize("fmt", ["nt", "ttl", "jsonld"])
@pytest.mark.parametrize("shape", ["evidence-a-number", "supports-a-number"])
def test_rdf_export_and_kg_load_take_any_readable_card(tmp_path, fmt, shape):
    pyoxigraph = pytest.importorskip("pyoxigraph")
    change = {"evidence-a-number": lambda d: d.__setitem__("evidence", 5),
              "supports-a-number": lambda d: d["evidence"][0].__setitem__("supports", 3)}[shape]
    card = _variant(tmp_path, change)
    proc = _measured("export", card, "--to", fmt)
    assert proc.returncode == 0, proc
    syntax = {"nt": pyoxigraph.RdfFormat.N_TRIPLES, "ttl": pyoxigraph.RdfFormat.TURTLE,
              "jsonld": pyoxigraph.RdfFormat.JSON_LD}[fmt]
    assert list(pyoxigraph.parse(proc.stdout.encode(), format=syntax))
    if fmt == "nt":
        loaded = _measured("kg", "load", card, "--store", tmp_path / "store")
        assert loaded.returncode == 0 and "1 with errors" in loaded.stdout


@pytest.mark.parametrize("to", ["md", "html"])
@pytest.mark.parametrize("name", [5, None])
def test_render_takes_a_card_whose_name_is_not_text(tmp_path, to, name):
    card = _variant(tmp_path, lambda d: d.__setitem__("name", name))
    proc = _measured("render", card, "--to", to)
    assert proc.returncode == 0 and f"{'' if name is None else name} / 乳腺细针穿刺细胞学多层感知机" in proc.stdout


@pytest.mark.parametrize("to", ["md", "html"])
def test_render_shows_the_origin_of_each_value_the_provider_did_not_write(tmp_path, to):
    """A value the card's provenance marks imported, inferred, extracted or measured carries its origin
    (an inferred one its rule too); an object's entry covers the values in it; a declared value has no mark."""
    def mark(d):
        d["provenance"] = [{"pointer": "/version", "origin": "imported", "source_key": "/version"},
                           {"pointer": "/model_parameters/total_parameters", "origin": "inferred",
                            "rule": "monai.batch-first"},
                           {"pointer": "/model_nodes/input_nodes/0", "origin": "extracted"}]
    proc = _measured("render", _variant(tmp_path, mark), "--to", to)
    out = proc.stdout
    assert proc.returncode == 0
    assert "1.0.0 [imported / 导入]" in out.replace("\\[", "[").replace("\\]", "]")
    assert "[inferred / 推断: monai.batch-first]" in out.replace("\\[", "[").replace("\\]", "]")
    assert out.count("[extracted / 提取]") + out.count("\\[extracted / 提取\\]") >= 2  # the node's name and shape
    assert "[declared" not in out
    # a value declared inside an object whose values were extracted carries no mark
    def declared_inside(d):
        d["provenance"] = [{"pointer": "/model_parameters", "origin": "extracted"},
                           {"pointer": "/model_parameters/total_parameters", "origin": "declared"}]
    text = _measured("render", _variant(tmp_path, declared_inside), "--to", to).stdout.replace("\\", "")
    cell = re.search(r"Total parameters / 参数总量(?:</th><td>| \| )([^|<]*)", text).group(1)
    assert cell.strip() == "590", cell
    assert "530 [extracted / 提取]" in text.replace("[", "[").replace("\\", "")
    plain = _measured("render", _variant(tmp_path, lambda d: d.pop("provenance", None)), "--to", to).stdout
    assert "导入" not in plain and "推断" not in plain and "提取]" not in plain


def test_the_report_names_per_requirement_the_values_the_provider_did_not_write(tmp_path):
    def mark(d):
        d["provenance"] = [{"pointer": "/version", "origin": "imported"},
                           {"pointer": "/model_parameters/total_parameters", "origin": "inferred", "rule": "r.x"},
                           {"pointer": "/name", "origin": "declared"}]
    card = _variant(tmp_path, mark)
    rep = json.loads(_measured("report", card, "--format", "json").stdout)
    reqs = {r["id"]: r for r in rep["requirements"]}
    assert reqs["MCS-GEN-01"]["origins"] == [{"pointer": "/version", "origin": "imported"}]
    assert {"pointer": "/model_parameters/total_parameters", "origin": "inferred", "rule": "r.x"} in \
        reqs["MCS-PA-01"]["origins"]
    assert not any("origins" in r for r in rep["requirements"] if r["id"] not in ("MCS-GEN-01", "MCS-PA-01"))
    zh = _measured("report", card, "--lang", "zh").stdout
    assert "非提供方填写的值，应由提供方确认：/model\\_parameters/total\\_parameters 推断（规则 r.x）" in zh
    html = _measured("report", card, "--format", "html").stdout
    assert "values not written by the provider, to be confirmed by it: /version imported" in html
