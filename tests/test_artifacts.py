"""The generated artifacts: fresh, deterministic, loadable, bilingual; no LinkML at run time."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys

import pytest

from conftest import ROOT, SCHEMA_DIR
from modelcard_spec.spec.resources import artifact_text

GENERATED = ROOT / "src" / "modelcard_spec" / "generated"


def test_manifest_matches_schema_sources_and_artifacts():
    """Fast drift check: the schema sources and artifacts are those `make generate` recorded."""
    manifest = json.loads((GENERATED / "MANIFEST.json").read_text(encoding="utf-8"))
    sources = {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(SCHEMA_DIR.glob("*.yaml"))}
    assert manifest["sources"] == sources, "schema/ changed since the last `make generate`"
    for name, digest in manifest["artifacts"].items():
        assert hashlib.sha256((GENERATED / name).read_bytes()).hexdigest() == digest, f"{name} was edited by hand"


def test_regenerating_gives_byte_identical_artifacts(tmp_path):
    """Full drift check: regenerate from schema/ and compare every byte (needs LinkML)."""
    pytest.importorskip("linkml")
    out = tmp_path / "generated"
    subprocess.run([sys.executable, str(ROOT / "tools" / "generate.py"), "--out", str(out)],
                   check=True, capture_output=True)
    committed = sorted(p.name for p in GENERATED.iterdir() if p.is_file())
    assert sorted(p.name for p in out.iterdir()) == committed
    for name in committed:
        assert (out / name).read_bytes() == (GENERATED / name).read_bytes(), f"{name} drifted from schema/"


def test_the_descriptions_ship_apart_from_the_index_and_describe_every_element():
    """schema_index.json holds no description (a validation reads it: they were most of the time it
    took to parse); schema_descriptions.json holds both languages' for every class, slot, enum and
    value, and nothing else; described_schema_index puts them back in place."""
    from modelcard_spec.spec.resources import artifact_json, described_schema_index, schema_index

    index, texts, described = schema_index(), artifact_json("descriptions"), described_schema_index()
    for kind, children in (("classes", "slots"), ("enums", "values")):
        assert texts[kind].keys() == index[kind].keys() == described[kind].keys()
        for name, entry in index[kind].items():
            own, text_keys = texts[kind][name], {"description", "description_zh"}
            assert not text_keys & set(entry) and not any(text_keys & set(v) for v in entry[children].values())
            assert set(own) == {"description", "description_zh", children}
            assert own[children].keys() == entry[children].keys()
            for child, value in entry[children].items():
                assert set(own[children][child]) == {"description", "description_zh"}
                assert described[kind][name][children][child] == {**value, **own[children][child]}
            assert described[kind][name]["description_zh"] == own["description_zh"]
    card = described["classes"][index["root_class"]]
    assert card["description"] and card["description_zh"]


def test_json_schema_id_carries_the_schema_version():
    schema = json.loads(artifact_text("json-schema"))
    version = json.loads(artifact_text("index"))["schema_version"]
    assert schema["$id"] == f"https://w3id.org/modelcard-spec/schema/{version}/modelcard.schema.json"
    assert schema["$schema"].startswith("https://json-schema.org/")


def test_owl_has_english_and_chinese_labels_for_classes_and_metrics():
    from rdflib import Graph, Literal, URIRef
    from rdflib.namespace import RDFS, SKOS

    g = Graph().parse(data=artifact_text("owl"), format="turtle")
    card = URIRef("https://w3id.org/modelcard-spec/vocab/ModelCard")
    assert Literal("Model card", lang="en") in set(g.objects(card, RDFS.label))
    assert Literal("模型卡", lang="zh") in set(g.objects(card, RDFS.label))
    sens = URIRef("https://w3id.org/modelcard-spec/metric/sensitivity")
    assert {lit.language for lit in g.objects(sens, SKOS.definition)} == {"en", "zh"}


def test_shacl_shapes_and_jsonld_context_load():
    from rdflib import Graph
    from rdflib.namespace import SH

    g = Graph().parse(data=artifact_text("shacl"), format="turtle")
    assert len(set(g.subjects(SH.targetClass, None))) > 50
    context = json.loads(artifact_text("jsonld-context"))
    assert context["@context"]["mcs"] == "https://w3id.org/modelcard-spec/vocab/"


def test_runtime_never_imports_linkml():
    code = (
        "import sys, modelcard_spec.cli as c\n"
        "c.main(['validate', 'examples/ct-foundation-encoder/card.yaml', '--format', 'json'])\n"
        "c.main(['requirements', '--format', 'json']); c.main(['init'])\n"
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in ('linkml', 'linkml_runtime'))\n"
        "sys.stderr.write(repr(bad))\n"
        "sys.exit(1 if bad else 0)\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
