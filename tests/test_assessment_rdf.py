"""The assessor's record as linked data: ``export --assessment`` and ``kg load --assessment`` put it
into the card's graph as a ``prov:Activity`` associated with its ``prov:Agent``, and the shipped
query ``reviewed-cards`` answers "which cards were reviewed, by whom, with which result"."""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import sys

import pytest
import yaml

from conftest import EXAMPLES
from modelcard_spec.graph import assessment, rdf
from modelcard_spec.spec.iris import REQ_BASE

pyoxigraph = pytest.importorskip("pyoxigraph")

WDBC = EXAMPLES / "wdbc-cytology-mlp" / "card.yaml"
CXR = EXAMPLES / "cxr-classification-backbone" / "card.yaml"
MCS = "https://w3id.org/modelcard-spec/vocab/"
PROV = "http://www.w3.org/ns/prov#"
RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
HOSTILE = 'Eve "> <http://evil.example/x> .\n\u202eZh\u200b'


def cli(*args):
    return subprocess.run([sys.executable, "-m", "modelcard_spec.cli", *map(str, args)], capture_output=True,
                          text=True, encoding="utf-8", timeout=300)


def make_record(tmp_path, card, name="Li Ming", verdicts=("conforms", "nonconforming"), file="record.yaml"):
    """A filled-in assessor's record about ``card``: the worksheet of ``assess init`` with an assessor,
    a date and the ``verdicts`` on its first reviews (the others left open). Returns the file, its
    data and the requirements given a verdict."""
    ws = tmp_path / ("ws-" + file)
    proc = cli("assess", "init", card, "-o", ws)
    assert proc.returncode == 0, proc.stderr
    data = yaml.safe_load(ws.read_text(encoding="utf-8"))
    data["assessor"].update(name=name, organisation="Example Testing Laboratory", role="lead assessor",
                            accreditation="CNAS L0000 (example)")
    data["assessed_on"] = "2026-11-30"
    for review, verdict in zip(data["reviews"], verdicts):
        review["verdict"] = verdict
        review["notes"] = f"Reviewed {review['requirement']}."
        review["notes_zh"] = f"已审核 {review['requirement']}。"
    path = tmp_path / file
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path, data, tuple(r["requirement"] for r in data["reviews"][:len(verdicts)])


@pytest.fixture(scope="module")
def wdbc_record(tmp_path_factory):
    return make_record(tmp_path_factory.mktemp("record"), WDBC)


def _quads(nt: str):
    return list(pyoxigraph.parse(nt.encode("utf-8"), format=pyoxigraph.RdfFormat.N_TRIPLES))


def _objects(triples, subject, predicate):
    return {t.object for t in triples if t.subject == subject and t.predicate == pyoxigraph.NamedNode(predicate)}


def test_export_with_a_record_holds_the_activity_its_agent_and_reviews(wdbc_record, tmp_path):
    path, data, (first, second) = wdbc_record
    proc = cli("export", WDBC, "--to", "nt", "--assessment", path)
    assert proc.returncode == 0, proc.stderr
    again = cli("export", WDBC, "--to", "nt", "--assessment", path)
    assert again.stdout == proc.stdout  # byte-identical
    triples = _quads(proc.stdout)
    card = rdf.card_iri(yaml.safe_load(WDBC.read_text(encoding="utf-8")))
    sha = hashlib.sha256(path.read_bytes()).hexdigest()
    record = pyoxigraph.NamedNode(f"{card}/assessmentrecord/{sha}")
    types = _objects(triples, record, RDF_TYPE)
    assert types == {pyoxigraph.NamedNode(MCS + "AssessmentRecord"), pyoxigraph.NamedNode(PROV + "Activity")}
    (agent,) = _objects(triples, record, PROV + "wasAssociatedWith")
    assert _objects(triples, agent, RDF_TYPE) == {pyoxigraph.NamedNode(PROV + "Agent")}
    assert _objects(triples, agent, MCS + "name") == {pyoxigraph.Literal("Li Ming")}
    assert _objects(triples, record, MCS + "assessed_on") == {
        pyoxigraph.Literal("2026-11-30", datatype=pyoxigraph.NamedNode("http://www.w3.org/2001/XMLSchema#date"))}
    used = {_one(triples, f, MCS + "sha256"): f for f in _objects(triples, record, PROV + "used")}
    assert data["card"]["sha256"] in used  # the card, and any model file, by its SHA-256
    reviews = {_one(triples, r, MCS + "requirement"): r for r in _objects(triples, record, MCS + "reviews")}
    assert len(reviews) == len(data["reviews"])
    assert _objects(triples, reviews[first], MCS + "verdict") == {pyoxigraph.Literal("conforms")}
    assert _objects(triples, reviews[second], MCS + "verdict") == {pyoxigraph.Literal("nonconforming")}
    assert _objects(triples, reviews[first], MCS + "notes_zh") == {pyoxigraph.Literal(f"已审核 {first}。")}
    # the worksheet's empty notes and role placeholders say nothing: no empty literals
    assert pyoxigraph.Literal("") not in {t.object for t in triples}
    # the record is part of the card's graph: graph_sha256 covers it (all but itself and the tool's version)
    lines = proc.stdout.splitlines()
    digest = rdf.graph_sha256(lines, card)
    rest = "".join(line + "\n" for line in lines if "/vocab/graph_sha256>" not in line and "/vocab/tool>" not in line)
    assert digest == hashlib.sha256(rest.encode("utf-8")).hexdigest()
    without = cli("export", WDBC, "--to", "nt")
    assert rdf.graph_sha256(without.stdout.splitlines(), card) != digest


def _one(triples, subject, predicate):
    (value,) = _objects(triples, subject, predicate)
    return value.value


def test_the_record_changes_the_tools_verdicts_as_report_does(wdbc_record, tmp_path):
    path, _, (first, second) = wdbc_record
    cg = assessment.card_graph(str(WDBC), assessment.Evaluated(assessment=str(path)))
    report = json.loads(cli("report", WDBC, "--format", "json", "--assessment", path).stdout)
    triples = _quads("\n".join(cg.lines) + "\n")
    status = {}
    for t in triples:
        if t.predicate == pyoxigraph.NamedNode(MCS + "status") and \
                pyoxigraph.NamedNode(MCS + "RequirementVerdict") in _objects(triples, t.subject, RDF_TYPE):
            req = next(iter(_objects(triples, t.subject, MCS + "requirement"))).value
            status[req[len(REQ_BASE):]] = t.object.value
    assert status == {e["id"]: e["status"] for e in report["requirements"]}
    plain = "\n".join(assessment.card_graph(str(WDBC)).lines)
    assert status[second] == "nonconforming" and f"{REQ_BASE}{second}> <{MCS}status> \"nonconforming\"" not in plain


def test_record_nodes_conform_to_the_shacl_shapes(wdbc_record):
    pyshacl = pytest.importorskip("pyshacl")
    import rdflib
    from modelcard_spec.spec.resources import artifact_text

    path, _, _ = wdbc_record
    cg = assessment.card_graph(str(WDBC), assessment.Evaluated(assessment=str(path)))
    g = rdflib.Graph().parse(data="\n".join(cg.lines), format="nt")
    shapes = rdflib.Graph().parse(data=artifact_text("shacl"), format="turtle")
    conforms, report, _ = pyshacl.validate(g, shacl_graph=shapes)
    assert conforms, report.serialize(format="turtle")


@pytest.mark.parametrize("fmt", ["nt", "ttl", "jsonld"])
def test_a_hostile_assessor_name_stays_one_literal(tmp_path, fmt):
    path, _, _ = make_record(tmp_path, WDBC, name=HOSTILE, verdicts=("observation",))
    proc = cli("export", WDBC, "--to", fmt, "--assessment", path)
    assert proc.returncode == 0, proc.stderr
    assert "\u202e" not in proc.stdout and "\u200b" not in proc.stdout  # written as escapes
    formats = {"nt": pyoxigraph.RdfFormat.N_TRIPLES, "ttl": pyoxigraph.RdfFormat.TURTLE,
               "jsonld": pyoxigraph.RdfFormat.JSON_LD}
    triples = list(pyoxigraph.parse(proc.stdout.encode("utf-8"), format=formats[fmt]))
    names = {t.object.value for t in triples if t.predicate == pyoxigraph.NamedNode(MCS + "name")
             and any(u.subject == t.subject and u.object == pyoxigraph.NamedNode(PROV + "Agent") for u in triples)}
    assert names == {HOSTILE}
    assert not any("evil.example" in str(t.subject) or "evil.example" in str(t.predicate) for t in triples)


@pytest.fixture(scope="module")
def store(tmp_path_factory, wdbc_record):
    base = tmp_path_factory.mktemp("kg")
    cards = base / "cards"
    for card in (WDBC, CXR):
        shutil.copytree(card.parent, cards / card.parent.name, ignore=shutil.ignore_patterns("model"))
    inputs = [cards / WDBC.parent.name / "card.yaml", cards / CXR.parent.name / "card.yaml"]
    store = base / "store"
    proc = cli("kg", "load", *inputs, "--store", store, "--assessment", wdbc_record[0])
    assert proc.returncode == 0, proc.stderr
    assert "2 added" in proc.stdout
    return store, inputs


def _rows(store, name):
    proc = cli("kg", "query", name, "--store", store, "--format", "json")
    assert proc.returncode == 0, proc.stderr
    return [{k: v["value"] for k, v in b.items()} for b in json.loads(proc.stdout)["results"]["bindings"]]


def test_reviewed_cards_answers_who_reviewed_which_card_with_which_result(store, wdbc_record):
    _, data, (first, second) = wdbc_record
    rows = _rows(store[0], "reviewed-cards")
    card = yaml.safe_load(WDBC.read_text(encoding="utf-8"))
    report = json.loads(cli("report", store[1][0], "--format", "json", "--assessment", wdbc_record[0]).stdout)
    tool = {e["id"]: e["status"] for e in report["requirements"]}
    assert rows == [{"identifier": card["identifier"], "model": card["name"], "version": card["version"],
                     "assessor": "Li Ming", "organisation": "Example Testing Laboratory",
                     "assessed_on": "2026-11-30", "requirement": REQ_BASE + rid, "reviewer_verdict": verdict,
                     "tool_status": tool[rid]}
                    for rid, verdict in sorted([(first, "conforms"), (second, "nonconforming")])]


def test_reviewed_cards_looks_up_every_status_the_schema_has():
    """The tool's status is looked up per row among the values listed in the query (an OPTIONAL
    pattern read every verdict of the store: 21 s over 10,000 cards without a record); the list is
    the schema's Verdict enumeration, so a status added to the schema cannot go missing here."""
    import re

    from modelcard_spec.graph import sparql
    from modelcard_spec.spec.resources import schema_index

    text = sparql.resolve_query("reviewed-cards")
    listed = re.search(r"VALUES \?tool_status \{([^}]*)\}", text).group(1)
    assert sorted(re.findall(r'"([a-z_]+)"', listed)) == sorted(schema_index()["enums"]["Verdict"]["values"])


def test_loading_again_with_the_record_changes_nothing(store, wdbc_record):
    proc = cli("kg", "load", *store[1], "--store", store[0], "--assessment", wdbc_record[0])
    assert proc.returncode == 0, proc.stderr
    assert "2 unchanged" in proc.stdout


def test_an_amended_record_replaces_the_old_one_and_loading_without_it_takes_it_out(tmp_path, wdbc_record):
    store = tmp_path / "store"
    assert cli("kg", "load", WDBC, "--store", store, "--assessment", wdbc_record[0]).returncode == 0
    amended, _, (first,) = make_record(tmp_path, WDBC, name="Wang Fang", verdicts=("observation",), file="amended.yaml")
    proc = cli("kg", "load", WDBC, "--store", store, "--assessment", amended)
    assert "1 replaced" in proc.stdout, proc.stderr
    rows = _rows(store, "reviewed-cards")
    assert [(r["assessor"], r["requirement"], r["reviewer_verdict"]) for r in rows] == [
        ("Wang Fang", REQ_BASE + first, "observation")]
    proc = cli("kg", "load", WDBC, "--store", store)
    assert "1 replaced" in proc.stdout and _rows(store, "reviewed-cards") == []


def test_kg_load_refuses_a_record_about_no_card_given(tmp_path, wdbc_record):
    path, data, _ = wdbc_record
    store = tmp_path / "store"
    proc = cli("kg", "load", CXR, "--store", store, "--assessment", path)
    assert proc.returncode == 2
    assert data["card"]["sha256"] in proc.stderr and path.name in proc.stderr
    assert "none of the cards given" in proc.stderr and "不是所给的任何一张模型卡" in proc.stderr
    assert not store.exists()  # refused before anything is written


def test_two_records_about_one_card_are_refused(tmp_path, wdbc_record):
    copy = tmp_path / "copy.yaml"
    copy.write_text(wdbc_record[0].read_text(encoding="utf-8") + "# again\n", encoding="utf-8")
    proc = cli("export", WDBC, "--assessment", wdbc_record[0], "--assessment", copy)
    assert proc.returncode == 2
    assert "one assessor's record per card" in proc.stderr and "每张模型卡只应给出一份审核记录" in proc.stderr


def test_an_invalid_record_is_refused_with_its_pointer(tmp_path, wdbc_record):
    data = yaml.safe_load(wdbc_record[0].read_text(encoding="utf-8"))
    del data["card"]
    bad = tmp_path / "bad.yaml"
    bad.write_text(yaml.safe_dump(data), encoding="utf-8")
    proc = cli("kg", "load", WDBC, "--store", tmp_path / "store", "--assessment", bad)
    assert proc.returncode == 2 and "bad.yaml" in proc.stderr and "card" in proc.stderr, proc.stderr
    assert not (tmp_path / "store").exists()


@pytest.mark.parametrize("args", [["--no-assessment"], ["--to", "cyclonedx"]])
def test_export_refuses_a_record_without_the_assessment(wdbc_record, args):
    proc = cli("export", WDBC, "--assessment", wdbc_record[0], *args)
    assert proc.returncode == 2 and "--no-assessment" in proc.stderr


def test_export_takes_model_files_for_one_card_only(wdbc_record):
    proc = cli("export", WDBC, CXR, "--model", WDBC)
    assert proc.returncode == 2 and "exactly one CARD" in proc.stderr
