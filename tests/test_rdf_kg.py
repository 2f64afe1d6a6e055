"""Cards as linked data: RDF export that conforms to the shipped SHACL shapes, the embedded store,
the shipped SPARQL queries, and pushing to a real Oxigraph server on loopback."""

from __future__ import annotations

import base64
import copy
import http.server
import json
import re
import shutil
import socket
import subprocess
import sys
import threading
import time
import urllib.parse
import urllib.request
from pathlib import Path

import pytest
import rdflib
import yaml
from rdflib.compare import isomorphic

from conftest import EXAMPLES, ROOT, VALID_CARDS, on_terminal, renderings, shacl
from modelcard_spec.graph import assessment, export, push, rdf, sparql
from modelcard_spec.graph import store as kg_store
from modelcard_spec.graph.errors import KgError
from modelcard_spec.spec.diagnostics import DiagnosticError
from modelcard_spec.spec.registry import lookup
from modelcard_spec.spec.resources import artifact_text, schema_index
from modelcard_spec.check.loading import read_card

SH = rdflib.Namespace("http://www.w3.org/ns/shacl#")


def cli(*args, env=None):
    return subprocess.run([sys.executable, "-m", "modelcard_spec.cli", *map(str, args)], capture_output=True,
                          text=True, encoding="utf-8", timeout=120, env=env)


@pytest.mark.parametrize("card", VALID_CARDS, ids=lambda p: p.parent.name)
def test_every_valid_example_exports_and_conforms_to_the_shacl_shapes(card, shapes):
    cg = assessment.card_graph(str(card))
    conforms, report = shacl(cg.lines, shapes)
    assert conforms, report.serialize(format="turtle")
    data = read_card(card).data
    g = rdflib.Graph().parse(data="\n".join(cg.lines), format="nt")
    card_node = rdflib.URIRef(rdf.card_iri(data))
    assert (card_node, rdflib.RDF.type, rdflib.URIRef("https://w3id.org/modelcard-spec/vocab/ModelCard")) in g
    assessment_node = rdflib.URIRef(str(card_node) + "/assessment")
    assert (assessment_node, rdflib.URIRef("https://w3id.org/modelcard-spec/vocab/assessed_card"), card_node) in g


def _mutated_lines(change):
    data = copy.deepcopy(read_card(VALID_CARDS[0]).data)
    change(data)
    return rdf.card_triples(data)


@pytest.mark.parametrize("change,component,path", [
    (lambda d: d.pop("name"), "MinCountConstraintComponent", "name"),
    (lambda d: d.update(provider_kind="vendor"), "InConstraintComponent", "provider_kind"),
    (lambda d: d["applicability"]["transfer_performance"][0].update(metric="dice_score"), "InConstraintComponent", "metric"),
    (lambda d: d["model_parameters"].update(total_parameters="19 M"), "DatatypeConstraintComponent", "total_parameters"),
    (lambda d: d.update(release_date="18 March 2024"), "DatatypeConstraintComponent", "release_date"),
])
def test_cards_made_invalid_fail_with_the_expected_shape(shapes, change, component, path):
    conforms, report = shacl(_mutated_lines(change), shapes)
    assert not conforms
    results = list(report.subjects(rdflib.RDF.type, SH.ValidationResult))
    found = {(str(report.value(r, SH.sourceConstraintComponent)).rsplit("#", 1)[-1],
              str(report.value(r, SH.resultPath)).rsplit("/", 1)[-1]) for r in results}
    assert (f"{component}", path) in found, found


def test_iris_are_stable_and_documented():
    data = read_card(VALID_CARDS[0]).data
    iri = rdf.card_iri(data)
    assert iri == f"https://w3id.org/modelcard-spec/id/card/{data['identifier']}/{data['version']}"
    lines = "\n".join(rdf.card_triples(data))
    ev = data["evidence"][0]["id"]
    assert f"<{iri}/evidence/{ev}>" in lines
    assert f"<{iri}/dataset/{data['source_task_data']['datasets'][0]['id']}>" in lines
    assert f"<{iri}/model_parameters/weight_files/0>" in lines
    assert rdf.card_iri({"identifier": "a b/c", "version": "1.0"}).endswith("card/a%20b%2Fc/1.0")


@pytest.mark.parametrize("fmt,parse_as", [("ttl", "turtle"), ("jsonld", "json-ld"), ("nt", "nt")])
def test_export_formats_are_the_same_graph_and_byte_deterministic(tmp_path, fmt, parse_as):
    card = VALID_CARDS[-1]
    a = cli("export", card, "--to", fmt)
    b = cli("export", card, "--to", fmt)
    assert a.returncode == 0 and a.stdout == b.stdout, a.stderr
    nt = cli("export", card, "--to", "nt").stdout
    assert isomorphic(rdflib.Graph().parse(data=a.stdout, format=parse_as), rdflib.Graph().parse(data=nt, format="nt"))


def test_export_of_an_unreadable_card_exits_2(tmp_path):
    bad = tmp_path / "bad.card.yaml"
    bad.write_text("a: [\n")
    proc = cli("export", bad)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr and "错误" in proc.stderr


def test_export_of_an_unreadable_card_says_why_in_chinese_and_names_it_once(tmp_path):
    bad = tmp_path / "bad.card.yaml"
    bad.write_text("a: [\n")
    proc = cli("export", bad, "--to", "nt")
    en, zh = proc.stderr.splitlines()
    assert proc.returncode == 2 and en.startswith(f"{bad}: error: ") and zh.startswith(f"{bad}: 错误：")
    assert en.count(str(bad)) == 1 and zh.count(str(bad)) == 1
    reason_en, reason_zh = en.split(": error: ", 1)[1], zh.split(": 错误：", 1)[1]
    assert re.search("[\u4e00-\u9fff]", reason_zh) and reason_en not in reason_zh


def test_the_store_is_called_a_store_in_chinese(tmp_path):
    proc = cli("kg", "query", "verdicts-by-card", "--store", tmp_path / "none")
    zh = proc.stderr.splitlines()[-1]
    assert proc.returncode == 2 and zh == (f"kg query: 错误：{tmp_path / 'none'} 处没有存储库；请用 "
                                           f"`modelcard-spec kg load CARD... --store {tmp_path / 'none'}` 创建")


def test_kg_load_names_the_unreadable_card(tmp_path):
    bad = tmp_path / "bad.card.yaml"
    bad.write_text("a: [\n")
    proc = cli("kg", "load", bad, "--store", tmp_path / "st")
    en, zh = proc.stderr.splitlines()
    assert proc.returncode == 2 and en.startswith(f"kg load: error: {bad}: ") and zh.startswith(f"kg load: 错误：{bad}：")


def test_vocabularies_are_skos_with_both_languages():
    g = rdflib.Graph().parse(data=artifact_text("skos"), format="turtle")
    auc = rdflib.URIRef("https://w3id.org/modelcard-spec/metric/auc")
    labels = {(str(o), o.language) for o in g.objects(auc, rdflib.SKOS.prefLabel)}
    assert {lang for _, lang in labels} == {"en", "zh"}
    assert (auc, rdflib.SKOS.inScheme, rdflib.URIRef("https://w3id.org/modelcard-spec/metric/")) in g
    req = rdflib.URIRef("https://w3id.org/modelcard-spec/requirement/MCS-TR-04")
    assert {o.language for o in g.objects(req, rdflib.SKOS.definition)} == {"en", "zh"}


def test_schema_reuses_prov_dcat_dqv_by_class_and_mapping():
    owl = rdflib.Graph().parse(data=artifact_text("owl"), format="turtle")
    matches = {str(o) for o in owl.objects(None, rdflib.SKOS.exactMatch)}
    # slot names used by one class only keep their mapping in the OWL vocabulary
    for term in ("http://www.w3.org/ns/dqv#isMeasurementOf", "http://www.w3.org/ns/dqv#computedOn",
                 "http://www.w3.org/ns/prov#wasAttributedTo", "http://www.w3.org/ns/dcat#Dataset"):
        assert term in matches
    lines = "\n".join(assessment.card_graph(str(VALID_CARDS[0])).lines)
    for cls in ("http://www.w3.org/ns/dcat#Dataset", "http://www.w3.org/ns/prov#Entity",
                "http://www.w3.org/ns/dqv#QualityMeasurement"):
        assert f"<{cls}>" in lines


# --- the embedded store ------------------------------------------------------------------------

def _dump(store_dir):
    import pyoxigraph as ox
    store = ox.Store(str(store_dir))
    return sorted(str(q) for q in store)


def _graphs(store_dir):
    """The IRIs of the cards the store holds (its side index), and the named graphs it has."""
    import pyoxigraph as ox
    st = ox.Store(str(store_dir))
    index = ox.NamedNode(kg_store.INDEX_GRAPH)
    cards = {f"<{q.subject.value}>" for q in st.quads_for_pattern(None, ox.NamedNode(kg_store.ROOT), None, index)}
    named = {str(g) for g in st.named_graphs()} - {str(index)}
    return cards | named


def _rows(store, name):
    proc = cli("kg", "query", name, "--store", store, "--format", "json")
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    return [{k: v["value"] for k, v in b.items()} for b in data["results"]["bindings"]]


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    base = tmp_path_factory.mktemp("kg")
    cards = base / "cards"
    shutil.copytree(EXAMPLES, cards, ignore=shutil.ignore_patterns("model"))
    # an open-source card whose weight file has lost its digest, and one with no explanation methods
    ct = yaml.safe_load((cards / "ct-foundation-encoder" / "card.yaml").read_text())
    ct["identifier"] += ".nohash"
    ct["name"] = "CT encoder without digest"
    for wf in ct["model_parameters"]["weight_files"]:
        wf.pop("sha256")
    (cards / "nohash.card.yaml").write_text(yaml.safe_dump(ct, allow_unicode=True))
    cxr = yaml.safe_load((cards / "cxr-classification-backbone" / "card.yaml").read_text())
    cxr["identifier"] += ".noexplain"
    cxr["name"] = "CXR backbone without explanations"
    cxr["explainability"].pop("methods")
    (cards / "noexplain.card.yaml").write_text(yaml.safe_dump(cxr, allow_unicode=True))
    store = base / "store"
    inputs = [str(p) for p in sorted(cards.glob("*/card.yaml"))] + [str(cards / "nohash.card.yaml"), str(cards / "noexplain.card.yaml")]
    proc = cli("kg", "load", *inputs, "--store", store)
    assert proc.returncode == 0, proc.stderr
    return store, inputs


def test_loading_twice_gives_the_same_store(store):
    store_dir, inputs = store
    before = _dump(store_dir)
    assert cli("kg", "load", *inputs, "--store", store_dir).returncode == 0
    assert _dump(store_dir) == before
    assert len(_graphs(store_dir)) == len(inputs) + 1  # every card in the index, plus the vocabularies


def _alone(lines):
    """The export on its own, with the store's canonical literal forms."""
    import pyoxigraph as ox
    alone = ox.Store()
    alone.load(input="\n".join(lines), format=ox.RdfFormat.N_TRIPLES)
    return sorted(f"{q.subject} {q.predicate} {q.object} ." for q in alone)


def test_each_cards_graph_in_the_store_is_exactly_the_cards_export(store):
    """Layout 2: the default graph holds the cards; each card's graph, read back through the side
    index (what the changed-card update reads) and through the shipped card-graph query, is exactly its
    export; and the default graph holds nothing else."""
    import pyoxigraph as ox

    store_dir, inputs = store
    st = ox.Store(str(store_dir))
    everything = set()
    for card in inputs:
        cg = assessment.card_graph(card)
        lines, roots = kg_store.stored_lines(st, cg.graph)
        assert sorted(lines) == _alone(cg.lines), card
        assert roots == {rdf.assessment_iri(cg.graph)}
        everything |= lines
        del st
        queried = sparql.query(str(store_dir), sparql.resolve_query("card-graph"), bind=[f"card={cg.graph}"])
        assert queried[1] == _alone(cg.lines), card
        st = ox.Store(str(store_dir))
    vocabulary, _ = kg_store.stored_lines(st, kg_store.VOCABULARIES)
    assert sorted(vocabulary) == _alone(assessment.vocabulary_lines())
    everything |= vocabulary
    assert everything == {f"{q.subject} {q.predicate} {q.object} ." for q in st.quads_for_pattern(None, None, None, ox.DefaultGraph())}


def test_a_store_of_another_layout_is_refused_with_a_message(store, tmp_path):
    import pyoxigraph as ox

    old = tmp_path / "old"
    st = ox.Store(str(old))  # layout 1: one named graph per card, no index
    cg = assessment.card_graph(store[1][0])
    st.load(input="\n".join(cg.lines), format=ox.RdfFormat.N_TRIPLES, to_graph=ox.NamedNode(cg.graph))
    del st
    for args in (("kg", "load", store[1][0], "--store", old), ("kg", "query", "verdicts-by-card", "--store", old)):
        proc = cli(*args)
        assert proc.returncode == 2 and "store format 1" in proc.stderr and "format 2" in proc.stderr, proc.stderr
        assert "存储格式 1" in proc.stderr
    assert _dump(old) == sorted(f"{q}" for q in _quads_of(cg))  # untouched
    future = tmp_path / "future"
    st = ox.Store(str(future))
    index = ox.NamedNode(kg_store.INDEX_GRAPH)
    st.add(ox.Quad(index, ox.NamedNode(kg_store.FORMAT), ox.Literal("3"), index))
    del st
    with pytest.raises(KgError) as caught:
        kg_store.load([store[1][0]], str(future), jobs=1)
    assert caught.value.issue.rule == "kg.store-format" and caught.value.issue.params["found"] == "3"


def _quads_of(cg):
    import pyoxigraph as ox
    st = ox.Store()
    st.load(input="\n".join(cg.lines), format=ox.RdfFormat.N_TRIPLES, to_graph=ox.NamedNode(cg.graph))
    return list(st)


def test_serial_parallel_and_batched_loads_give_the_same_store(store, tmp_path, monkeypatch):
    store_dir, inputs = store
    assert cli("kg", "load", *inputs, "--store", tmp_path / "serial", "--jobs", "1").returncode == 0
    assert cli("kg", "load", *inputs, "--store", tmp_path / "parallel", "--jobs", "2").returncode == 0
    monkeypatch.setattr(kg_store, "BATCH_QUADS", 1500)  # about one card per bulk write
    kg_store.load(inputs, str(tmp_path / "batched"), jobs=2)
    expected = _dump(store_dir)
    for name in ("serial", "parallel", "batched"):
        assert _dump(tmp_path / name) == expected, name


def test_a_load_compacts_the_store_once_its_cards_have_doubled_since_it_was_last_compacted_and_changes_no_triple(
        store, tmp_path, monkeypatch):
    from modelcard_spec.graph import results

    store_dir, inputs = store
    releases = EXAMPLES / "ct-foundation-encoder" / "releases"
    diff = results.diff_graph(releases / "1.0.0.card.yaml", releases / "1.1.0.card.yaml")
    calls = []
    real = kg_store.compact
    monkeypatch.setattr(kg_store, "compact", lambda st: (calls.append(1), real(st)))
    target = str(tmp_path / "st")

    def compacted_with():
        import pyoxigraph as ox

        return kg_store._compacted_with(ox.Store(target))

    kg_store.load_results([diff], target)  # a result and the vocabularies in the index, no card
    assert compacted_with() is None
    kg_store.load(inputs[:1], target, jobs=1)  # the first card: never compacted (the result is not a card)
    assert len(calls) == 1 and compacted_with() == 1
    kg_store.load(inputs[:1], target, jobs=1)  # nothing added
    assert len(calls) == 1
    kg_store.load(inputs[1:2], target, jobs=1)  # 2 cards, 1 when compacted
    assert len(calls) == 2 and compacted_with() == 2
    kg_store.load(inputs[2:3], target, jobs=1)  # 3 cards, 2 when compacted
    assert len(calls) == 2
    kg_store.load(inputs[3:4], target, jobs=1)  # small loads add up: 4 cards, 2 when compacted
    assert len(calls) == 3 and compacted_with() == 4
    kg_store.load(inputs[:4], target, jobs=1, compact_store="always")  # nothing added
    assert len(calls) == 4 and compacted_with() == 4
    kg_store.load(inputs[4:6], target, jobs=1, compact_store="never")  # 6 cards, 4 when compacted: not compacted
    assert len(calls) == 4 and compacted_with() == 4
    never = str(tmp_path / "never")
    kg_store.load(inputs, never, jobs=1, compact_store="never")
    kg_store.load_results([diff], never)
    assert len(calls) == 4 and len(inputs) == 6
    marker = f"<{kg_store.INDEX_GRAPH}> <{kg_store.COMPACTED_WITH}>"
    assert [q for q in _dump(target) if marker not in q] == _dump(never)
    with pytest.raises(ValueError):
        kg_store.load(inputs, target, jobs=1, compact_store="sometimes")


def test_cards_a_failed_load_wrote_count_at_the_next_load_and_an_unreadable_record_means_never_compacted(
        store, tmp_path, monkeypatch):
    import pyoxigraph as ox

    _, inputs = store
    calls = []
    real = kg_store.compact
    monkeypatch.setattr(kg_store, "compact", lambda st: (calls.append(1), real(st)))
    target = tmp_path / "st"
    kg_store.load(inputs[:2], str(target), jobs=1)
    assert len(calls) == 1
    folder = tmp_path / "more"
    folder.mkdir()
    for n, card in enumerate(inputs[2:4]):
        shutil.copyfile(card, folder / f"{n}.card.yaml")
    (folder / "zz-bad.card.yaml").write_bytes(b"name: [unclosed")  # after the good cards, in file-name order
    with pytest.raises(KgError):
        kg_store.load([str(folder)], str(target), jobs=1)  # writes two cards, then stops: no compaction
    assert len(calls) == 1 and kg_store._cards_held(ox.Store(str(target))) == 4
    kg_store.load(inputs[:1], str(target), jobs=1)  # adds nothing, but the store holds 4 cards, 2 when compacted
    assert len(calls) == 2
    index = f"<{kg_store.INDEX_GRAPH}>"
    for records in (['"many"'], ['"-1"'], ['"1_0"'], ['"٣"'], ['"5"'], ['"1"', '"2"']):
        st = ox.Store(str(target))  # a hostile or stale record: as never compacted (5 > the 4 cards held)
        st.update(f"DELETE WHERE {{ GRAPH {index} {{ {index} <{kg_store.COMPACTED_WITH}> ?n }} }} ;\n"
                  + "".join(f"INSERT DATA {{ GRAPH {index} {{ {index} <{kg_store.COMPACTED_WITH}> {r} }} }} ;\n"
                            for r in records))
        assert kg_store._compacted_with(st) is None, records
        del st
        done = len(calls)
        kg_store.load(inputs[:1], str(target), jobs=1)
        assert len(calls) == done + 1, records
        st = ox.Store(str(target))
        assert [q.object.value for q in st.quads_for_pattern(None, ox.NamedNode(kg_store.COMPACTED_WITH), None)] == ["4"]
        del st


def test_recording_a_compaction_writes_only_a_new_count_and_a_failure_is_a_store_write_error():
    import pyoxigraph as ox

    class Store:
        def __init__(self, recorded):
            self.recorded, self.updates = recorded, []

        def quads_for_pattern(self, *pattern):
            return [ox.Quad(pattern[0], pattern[1], ox.Literal(r), pattern[3]) for r in self.recorded]

        def update(self, text):
            self.updates.append(text)
            raise OSError("No space left on device")

    same = Store(["3"])
    kg_store._record_compaction(same, 3)  # the count is there already: no write, so the compaction has nothing to merge
    assert same.updates == []
    with pytest.raises(KgError) as caught:
        kg_store._record_compaction(Store(["2"]), 3)
    assert caught.value.issue.rule == "kg.store-write-failed" and "No space left on device" in caught.value.issue.message


def test_a_compaction_is_recorded_before_it_runs_so_that_nothing_is_written_after_it(store, tmp_path, monkeypatch):
    """A store written to after its last compaction is rewritten again by the next one (almost nothing
    to do only when nothing was written since): the record goes in first."""
    _, inputs = store
    seen = []
    real = kg_store.compact
    monkeypatch.setattr(kg_store, "compact", lambda st: (seen.append(kg_store._compacted_with(st)), real(st)))
    kg_store.load(inputs[:2], str(tmp_path / "st"), jobs=1)
    assert seen == [2]


def test_kg_load_says_when_it_compacts_with_the_cards_the_store_holds(store, tmp_path):
    """``compacting`` is called once, just before a compaction, with the cards the store then holds;
    not when the load does not compact."""
    _, inputs = store
    notes = []
    target = str(tmp_path / "st")
    kg_store.load(inputs[:2], target, jobs=1, compacting=notes.append)
    assert notes == [2]
    kg_store.load(inputs[:2], target, jobs=1, compacting=notes.append)  # nothing added: no compaction
    kg_store.load(inputs[2:3], target, jobs=1, compacting=notes.append, compact_store="never")
    assert notes == [2]
    kg_store.load(inputs[:1], target, jobs=1, compacting=notes.append, compact_store="always")
    assert notes == [2, 3]


def _on_terminal(args: list) -> bytes:
    """What ``modelcard-spec ARGS`` shows on a terminal (standard error on a pseudo-terminal)."""
    shown, _, code = on_terminal([sys.executable, "-m", "modelcard_spec.cli", *args])
    assert code == 0, shown
    return shown


def test_kg_load_shows_on_a_terminal_that_it_is_compacting_in_the_language_of_lang(store, tmp_path):
    _, inputs = store
    en = _on_terminal(["kg", "load", *inputs[:2], "--store", tmp_path / "en"]).decode("utf-8")
    assert f"compacting the data files of {tmp_path / 'en'} (2 card(s)) so that queries run faster" in en
    zh = _on_terminal(["kg", "load", *inputs[:2], "--store", tmp_path / "zh", "--lang", "zh"]).decode("utf-8")
    assert f"正在整理存储库 {tmp_path / 'zh'} 的数据文件（共 2 张模型卡），以加快查询速度" in zh
    piped = cli("kg", "load", *inputs[:2], "--store", tmp_path / "piped")  # not a terminal: nothing shown
    assert piped.returncode == 0 and piped.stderr == ""
    check = lookup("kg.compacting")
    assert check.scope == "command" and check.severity == "info"


def test_kg_load_compact_option_matches_the_store_choices(store, tmp_path):
    import argparse

    from modelcard_spec.cli import build_parser

    def sub(parser, name):
        return next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction)).choices[name]

    option = next(a for a in sub(sub(build_parser(command="kg"), "kg"), "load")._actions if a.dest == "compact")
    assert tuple(option.choices) == kg_store.COMPACT_CHOICES and option.default == "auto"
    _, inputs = store
    assert cli("kg", "load", *inputs[:1], "--store", tmp_path / "st", "--compact", "never").returncode == 0
    proc = cli("kg", "load", *inputs[:1], "--store", tmp_path / "st", "--compact", "sometimes")
    assert proc.returncode == 2 and "--compact" in proc.stderr


def test_a_failing_service_call_is_one_message_and_nothing_else(store):
    # pyoxigraph's result of a query whose SERVICE call fails was dropped by the main thread, not
    # the worker thread that made it, which printed a RuntimeError after the message
    query = "SELECT * WHERE { SERVICE <http://127.0.0.1:9/sparql> { ?s ?p ?o } }"  # port 9: refused by the store
    for timeout in ("60", "0"):
        proc = cli("kg", "query", query, "--store", store[0], "--allow-service", "--timeout", timeout)
        assert proc.returncode == 2 and proc.stdout == "", proc
        lines = proc.stderr.splitlines()
        assert len(lines) == 2 and lines[0].startswith("kg query: error: the query failed: "), proc.stderr
        assert lines[1].startswith("kg query: 错误：查询执行失败："), proc.stderr


def test_two_files_of_the_same_card_in_one_load_are_one_graph(store, tmp_path):
    store_dir, inputs = store
    copies = []
    for i, card in enumerate(inputs[:2]):  # same identifier and version, another file (with its evidence)
        shutil.copytree(Path(card).parent, tmp_path / f"copy{i}")
        copies.append(tmp_path / f"copy{i}" / f"copy{i}.card.yaml")
        copies[-1].write_text(Path(card).read_text(encoding="utf-8"), encoding="utf-8")
    loaded = kg_store.load(inputs + copies, str(tmp_path / "twice"), jobs=1)
    assert len(loaded) == len(inputs) + 2
    assert _dump(tmp_path / "twice") == _dump(store_dir)


def test_folders_and_globs_are_expanded(store, tmp_path):
    store_dir, inputs = store
    folder = tmp_path / "submissions"
    (folder / "a" / "b").mkdir(parents=True)
    shutil.copy(inputs[-1], folder / "one.card.yaml")
    shutil.copy(inputs[-2], folder / "a" / "b" / "two.card.yaml")
    (folder / "notes.txt").write_text("not a card", encoding="utf-8")
    proc = cli("kg", "load", folder, "--store", tmp_path / "st")
    assert proc.returncode == 0, proc.stderr
    assert _graphs(tmp_path / "st") == {f"<{kg_store.VOCABULARIES}>"} | {f"<{assessment.card_graph(c).graph}>" for c in inputs[-2:]}
    by_glob = cli("kg", "load", str(folder / "**" / "*.card.yaml"), "--store", tmp_path / "st2")
    assert by_glob.returncode == 0, by_glob.stderr
    assert _dump(tmp_path / "st2") == _dump(tmp_path / "st")
    missing = cli("kg", "load", str(folder / "nothing-*.yaml"), "--store", tmp_path / "st3")
    assert missing.returncode == 2 and "no file matches" in missing.stderr


def test_pyoxigraph_bulk_writes_are_atomic(tmp_path):
    """kg load relies on this: a bulk write that fails leaves nothing of its batch in the store."""
    import pyoxigraph as ox

    st = ox.Store(str(tmp_path / "st"))
    good = "".join(f"<urn:g:{i}> {{ <urn:s:{i}> <urn:p> \"{i}\" . }}\n" for i in range(300_000))
    with pytest.raises(SyntaxError):
        st.bulk_load(input=(good + "<urn:g:x> { <urn:s> <urn:p> \"unterminated }\n").encode(), format=ox.RdfFormat.TRIG)
    assert len(st) == 0


def test_a_failed_batch_leaves_none_of_its_cards_and_the_error_is_reported(store, tmp_path, monkeypatch):
    store_dir, inputs = store
    real = kg_store._build_many

    def broken(names):
        out = real(names)
        for built in out:
            if built.card == inputs[2]:
                built.trig = built.trig.replace(b"}\n", b"")  # the index block is never closed
        return out

    monkeypatch.setattr(kg_store, "_build_many", broken)
    monkeypatch.setattr(kg_store, "BATCH_QUADS", 10**9)  # all cards in one batch
    with pytest.raises(KgError, match="writing to the store failed") as caught:
        kg_store.load(inputs, str(tmp_path / "st"), jobs=1)
    assert caught.value.issue.rule == "kg.store-write-failed" and caught.value.message_zh.startswith("写入存储库失败：")
    assert caught.value.issue.params["detail"].startswith(("SyntaxError", "ValueError", "OSError"))
    assert _graphs(tmp_path / "st") == {f"<{kg_store.VOCABULARIES}>"}
    import pyoxigraph as ox
    subjects = {q.subject.value for q in ox.Store(str(tmp_path / "st")).quads_for_pattern(None, None, None, ox.DefaultGraph())}
    assert subjects == {line.split(" ", 1)[0][1:-1] for line in assessment.vocabulary_lines()}  # no card's triple


@pytest.mark.parametrize("jobs", [1, 2])
def test_an_unreadable_card_stops_the_load_after_the_cards_before_it(store, tmp_path, jobs):
    store_dir, inputs = store
    bad = tmp_path / "broken.card.yaml"
    bad.write_text("identifier: [unclosed\n", encoding="utf-8")
    cards = inputs[:3] + [str(bad)] + inputs[3:]
    with pytest.raises(KgError) as caught:
        kg_store.load(cards, str(tmp_path / "st"), jobs=jobs)
    assert caught.value.where == str(bad)
    assert _graphs(tmp_path / "st") == {f"<{kg_store.VOCABULARIES}>"} | {f"<{assessment.card_graph(c).graph}>" for c in inputs[:3]}


def test_a_card_with_an_invalid_uri_still_exports_and_loads(tmp_path):
    data = yaml.safe_load((EXAMPLES / "pathology-foundation-api" / "card.yaml").read_text())
    data["provider"]["website"] = "not a {uri}"
    card = tmp_path / "bad-uri.card.yaml"
    card.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    validated = cli("validate", card)
    assert validated.returncode == 1 and "/provider/website" in validated.stdout
    ttl = cli("export", card, "--to", "ttl")
    assert ttl.returncode == 0, ttl.stderr
    assert '"not a {uri}"' in ttl.stdout  # kept as a literal, the card's verdicts say why
    assert cli("kg", "load", card, "--store", tmp_path / "st").returncode == 0


def test_reloading_a_changed_card_replaces_its_graph(tmp_path):
    card = tmp_path / "card"
    shutil.copytree(EXAMPLES / "pathology-foundation-api", card)
    st = tmp_path / "st"
    assert cli("kg", "load", card / "card.yaml", "--store", st).returncode == 0
    data = yaml.safe_load((card / "card.yaml").read_text())
    old_summary = data["summary"]
    data["summary"] = "Changed summary."
    (card / "card.yaml").write_text(yaml.safe_dump(data, allow_unicode=True))
    assert cli("kg", "load", card / "card.yaml", "--store", st).returncode == 0
    dump = "\n".join(_dump(st))
    assert "Changed summary." in dump and old_summary not in dump


def test_reloading_leaves_unchanged_cards_alone_and_updates_changed_ones_in_place(store, tmp_path):
    store_dir, inputs = store
    cards = tmp_path / "cards"
    shutil.copytree(Path(inputs[0]).parent.parent, cards)
    mine = [str(cards / Path(c).relative_to(Path(inputs[0]).parent.parent)) for c in inputs]
    st = tmp_path / "st"
    first = kg_store.load(mine, str(st), jobs=1)
    assert {c.action for c in first} == {"added"}
    again = kg_store.load(mine, str(st), jobs=1)
    assert {c.action for c in again} == {"unchanged"}
    data = yaml.safe_load(Path(mine[1]).read_text(encoding="utf-8"))
    data["summary"] = "A new summary."
    Path(mine[1]).write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    changed = kg_store.load(mine, str(st), jobs=2)
    assert [c.action for c in changed] == ["unchanged", "replaced"] + ["unchanged"] * (len(mine) - 2)
    fresh = tmp_path / "fresh"
    kg_store.load(mine, str(fresh), jobs=1)
    assert _dump(st) == _dump(fresh)


def test_graph_sha256_is_the_digest_of_the_rest_of_the_graph_but_the_tool():
    import hashlib

    cg = assessment.card_graph(str(EXAMPLES / "wdbc-cytology-mlp" / "card.yaml"))
    digest = rdf.graph_sha256(cg.lines, cg.graph)
    assert sum("/vocab/tool> \"modelcard-spec " in line for line in cg.lines) == 1
    rest = "".join(line + "\n" for line in cg.lines if "/vocab/graph_sha256>" not in line and "/vocab/tool>" not in line)
    assert digest == hashlib.sha256(rest.encode("utf-8")).hexdigest()


def test_a_tool_upgrade_that_changes_no_verdict_changes_no_card(tmp_path, monkeypatch):
    from modelcard_spec.graph import assessment as assessment_module

    card = str(EXAMPLES / "wdbc-cytology-mlp" / "card.yaml")
    st = tmp_path / "st"
    kg_store.load([card], str(st), jobs=1)
    before = _dump(st)
    monkeypatch.setattr(assessment_module, "__version__", "99.0.0")
    assert "modelcard-spec 99.0.0" in "\n".join(assessment.card_graph(card).lines)
    assert [c.action for c in kg_store.load([card], str(st), jobs=1)] == ["unchanged"]
    assert _dump(st) == before


def test_models_by_dataset(store):
    rows = _rows(store[0], "models-by-dataset")
    pairs = {(r["model"], r["dataset_name"]) for r in rows}
    assert ("WDBC-Cytology-MLP", "Breast Cancer Wisconsin (Diagnostic)") in pairs
    assert ("CXR-ResNet50-MultiLabel", "CheXpert") in pairs
    assert ("CT-SwinEncoder-Base", "LUNA16") in pairs


def test_open_source_models_without_weight_hash(store):
    rows = _rows(store[0], "open-source-without-weight-hash")
    assert {r["model"] for r in rows} == {"CT encoder without digest"}
    assert len(rows) == 2  # both of its weight files


def test_explainability_failures_by_provider(store):
    rows = _rows(store[0], "explainability-failures-by-provider")
    assert {(r["model"], r["requirement"]) for r in rows} == {("CXR backbone without explanations", "MCS-EX-01")}
    assert rows[0]["provider"] == "RadVision Medical AI Co., Ltd. (example)"
    assert any("/explainability/methods" in r.get("finding", "") for r in rows)


def test_verdicts_by_card_agree_with_the_validator(store):
    from modelcard_spec.check.pipeline import validate_file
    rows = {r["model"]: r for r in _rows(store[0], "verdicts-by-card")}
    for path in store[1]:
        result = validate_file(path)
        name = read_card(path).data["name"]
        counts = {s: sum(1 for e in result.requirements if e["status"] == s)
                  for s in ("conforms", "awaiting_evaluation", "incomplete", "nonconforming", "not_claimed",
                            "not_adopted", "not_applicable")}
        assert {s: int(rows[name][s]) for s in counts} == counts


def test_verdicts_by_card_keeps_cards_with_the_same_name_and_version_apart(tmp_path):
    from modelcard_spec.check.pipeline import validate_file
    base = yaml.safe_load((EXAMPLES / "wdbc-cytology-mlp" / "card.yaml").read_text(encoding="utf-8"))
    shutil.copytree(EXAMPLES / "wdbc-cytology-mlp" / "evidence", tmp_path / "evidence")
    paths = []
    for site in ("a", "b"):  # two sites publish the same model name and version under their own identifiers
        paths.append(tmp_path / f"{site}.card.yaml")
        paths[-1].write_text(yaml.safe_dump(dict(base, identifier=f"{base['identifier']}.site-{site}"),
                                            allow_unicode=True), encoding="utf-8")
    kg_store.load([str(p) for p in paths], str(tmp_path / "st"), jobs=1)
    rows = _rows(tmp_path / "st", "verdicts-by-card")
    assert [r["identifier"] for r in rows] == [f"{base['identifier']}.site-a", f"{base['identifier']}.site-b"]
    conforms = sum(1 for e in validate_file(str(paths[0])).requirements if e["status"] == "conforms")
    assert [int(r["conforms"]) for r in rows] == [conforms, conforms]


def test_nonconforming_requirements_and_metric_labels(store):
    rows = _rows(store[0], "nonconforming-requirements")
    by_id = {r["requirement"]: r for r in rows}
    assert by_id["MCS-EX-01"]["title_zh"] and int(by_id["MCS-EX-01"]["cards"]) == 1
    metrics = _rows(store[0], "metric-results")
    assert any(r["metric_zh"] == "曲线下面积" and r["model"] == "WDBC-Cytology-MLP" for r in metrics)


def test_metric_results_and_models_by_dataset_bound_to_one_model_give_that_models_rows(store):
    """``--bind model=NAME`` (what the guide advises over many cards) gives exactly the rows of the
    whole query for that model; a result's confidence interval comes with both of its bounds."""
    metrics = _rows(store[0], "metric-results")
    with_ci = [r for r in metrics if "lower" in r or "upper" in r]
    assert with_ci and all("lower" in r and "upper" in r for r in with_ci)
    for name, rows in (("metric-results", metrics), ("models-by-dataset", _rows(store[0], "models-by-dataset"))):
        model = with_ci[0]["model"]
        proc = cli("kg", "query", name, "--store", store[0], "--format", "json", "--bind", f"model={model}")
        assert proc.returncode == 0, proc.stderr
        bound = [{k: v["value"] for k, v in b.items()} for b in json.loads(proc.stdout)["results"]["bindings"]]
        assert bound and bound == [r for r in rows if r["model"] == model], name


def test_metric_results_shows_the_one_bound_a_half_interval_states(tmp_path):
    """A card with errors is loaded with its verdicts: an interval that lacks its upper bound shows
    the lower bound it states (the query read both bounds in one pattern before, and showed neither)."""
    data = yaml.safe_load((EXAMPLES / "ct-foundation-encoder" / "card.yaml").read_text(encoding="utf-8"))
    interval = next(r for r in data["applicability"]["transfer_performance"] if "confidence_interval" in r)[
        "confidence_interval"]
    del interval["upper"]
    lower = interval["lower"]
    card = tmp_path / "half.card.yaml"
    card.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    assert cli("kg", "load", card, "--store", tmp_path / "st").returncode == 0
    rows = [r for r in _rows(tmp_path / "st", "metric-results") if r.get("lower") == str(lower)]
    assert len(rows) == 1 and "upper" not in rows[0], rows


def test_standard_vocabularies_view_restates_cards_in_prov_dcat_dqv(store):
    proc = cli("kg", "query", "standard-vocabularies-view", "--store", store[0])
    assert proc.returncode == 0, proc.stderr
    g = rdflib.Graph().parse(data=proc.stdout, format="nt")
    dcat, dqv = rdflib.Namespace("http://www.w3.org/ns/dcat#"), rdflib.Namespace("http://www.w3.org/ns/dqv#")
    pages = {str(o) for o in g.objects(None, dcat.landingPage)}
    assert "https://archive.ics.uci.edu/dataset/17/breast+cancer+wisconsin+diagnostic" in pages
    values = {float(o) for o in g.objects(None, dqv.value)}
    assert 0.9997 in {round(v, 4) for v in values}
    assert set(g.objects(None, dqv.isMeasurementOf)) >= {rdflib.URIRef("https://w3id.org/modelcard-spec/metric/auc")}


def test_query_formats_and_errors(store, tmp_path):
    st = store[0]
    csv_out = cli("kg", "query", "SELECT (COUNT(*) AS ?n) WHERE { ?c a <https://w3id.org/modelcard-spec/vocab/ModelCard> }",
                  "--store", st, "--format", "csv")
    assert csv_out.stdout.splitlines() == ["n", str(len(store[1]))]
    qfile = tmp_path / "ask.rq"
    qfile.write_text("ASK { ?c <https://w3id.org/modelcard-spec/vocab/provider_kind> \"open_source\" }")
    assert cli("kg", "query", qfile, "--store", st).stdout.strip() == "true"
    table = cli("kg", "query", "verdicts-by-card", "--store", st)
    assert table.stdout.splitlines()[0].startswith("model") and "rows)" in table.stdout
    bad = cli("kg", "query", "SELECT WHERE {", "--store", st)
    assert bad.returncode == 2 and "SPARQL syntax error" in bad.stderr and "Traceback" not in bad.stderr
    missing = cli("kg", "query", "verdicts-by-card", "--store", tmp_path / "nowhere")
    assert missing.returncode == 2 and "kg load" in missing.stderr
    listing = cli("kg", "queries", "--lang", "zh")
    assert "models-by-dataset" in listing.stdout and "模型及其预训练所用的数据集" in listing.stdout


# --- remote store ------------------------------------------------------------------------------

def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture()
def oxigraph_server(tmp_path):
    exe = shutil.which("oxigraph", path=str(Path(sys.executable).parent)) or shutil.which("oxigraph")
    if exe is None:
        pytest.fail("the oxigraph server (PyPI package 'oxigraph') is a test dependency and must be installed")
    port = _free_port()
    proc = subprocess.Popen([exe, "serve", "--location", str(tmp_path / "server"), "--bind", f"127.0.0.1:{port}"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    for _ in range(100):
        try:
            urllib.request.urlopen(base + "/", timeout=1)
            break
        except urllib.error.HTTPError:
            break
        except OSError:
            time.sleep(0.1)
    yield base
    proc.terminate()
    proc.wait(timeout=10)


def _sparql(base, query):
    url = base + "/query?" + urllib.parse.urlencode({"query": query})
    req = urllib.request.Request(url, headers={"Accept": "application/sparql-results+json"})
    with urllib.request.urlopen(req, timeout=10) as resp:
        return json.loads(resp.read())["results"]["bindings"]


def test_push_to_a_real_oxigraph_server_is_idempotent(oxigraph_server):
    cards = [str(c) for c in VALID_CARDS]
    proc = cli("kg", "push", *cards, "--endpoint", oxigraph_server + "/store")
    assert proc.returncode == 0, proc.stderr
    assert all(line.split()[0] in ("201", "204") for line in proc.stdout.splitlines())
    count = "SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }"
    first = int(_sparql(oxigraph_server, count)[0]["n"]["value"])
    graphs = _sparql(oxigraph_server, "SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } }")
    assert len(graphs) == len(cards) + 1
    assert cli("kg", "push", *cards, "--endpoint", oxigraph_server + "/store").returncode == 0
    assert int(_sparql(oxigraph_server, count)[0]["n"]["value"]) == first
    expected = sum(len(assessment.card_graph(c).lines) for c in cards) + len(assessment.vocabulary_lines())
    assert first == expected
    names = _sparql(oxigraph_server, "SELECT ?n WHERE { GRAPH ?g { ?c a <https://w3id.org/modelcard-spec/vocab/ModelCard> ; "
                                     "<https://w3id.org/modelcard-spec/vocab/name> ?n } } ORDER BY ?n")
    assert "WDBC-Cytology-MLP" in [b["n"]["value"] for b in names]


class _AuthHandler(http.server.BaseHTTPRequestHandler):
    expected = "Basic " + base64.b64encode(b"reviewer:s3cret").decode()
    seen: list = []

    def do_PUT(self):
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        type(self).seen.append((self.path, self.headers.get("Authorization"), self.headers.get("Content-Type")))
        self.send_response(204 if self.headers.get("Authorization") == self.expected else 401)
        self.end_headers()

    def log_message(self, *args):
        pass


def test_push_sends_basic_auth_and_reports_refusals(monkeypatch):
    server = http.server.HTTPServer(("127.0.0.1", 0), _AuthHandler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}/store"
    try:
        card = str(VALID_CARDS[0])
        denied = cli("kg", "push", card, "--endpoint", url, "--no-vocabulary")
        assert denied.returncode == 2 and "HTTP 401" in denied.stderr and "--user" in denied.stderr
        import os
        env = dict(os.environ, MCS_KG_PASSWORD="s3cret")
        ok = cli("kg", "push", card, "--endpoint", url, "--user", "reviewer", "--no-vocabulary", env=env)
        assert ok.returncode == 0, ok.stderr
        path, auth, ctype = _AuthHandler.seen[-1]
        assert auth == _AuthHandler.expected and ctype.startswith("application/n-triples")
        assert urllib.parse.unquote(path.split("graph=")[1]) == rdf.card_iri(read_card(card).data)
    finally:
        server.shutdown()
    unreachable = cli("kg", "push", card, "--endpoint", f"http://127.0.0.1:{_free_port()}/store", "--timeout", "2")
    assert unreachable.returncode == 2 and "cannot reach" in unreachable.stderr


def test_the_query_file_limit_is_written_with_thousands_separators(tmp_path):
    big = tmp_path / "big.rq"
    big.write_text("#" * (sparql.MAX_QUERY_BYTES + 1))
    with pytest.raises(KgError) as caught:
        sparql.resolve_query(str(big))
    assert str(caught.value).endswith("is larger than this tool's limit for a query file (1,048,576 bytes)")
    assert caught.value.message_zh.endswith("超过本工具对查询文件的上限（1,048,576 字节）")


# --- errors as registered diagnostics -------------------------------------------------------------

def _rendered_from_params(exc) -> bool:
    """Whether the error's two messages are its check's templates rendered from its parameters."""
    return (exc.message, exc.message_zh) in renderings(lookup(exc.issue.rule), exc.issue.params)


def _graph_errors(tmp_path):
    """(what, a function that raises, the check ID, the English and the Chinese message) of the
    graph layer's errors; ``{t}`` in a message stands for ``tmp_path``."""
    (tmp_path / "file.txt").write_text("x")
    (tmp_path / "folder").mkdir()
    (tmp_path / "folder" / "letter.txt").write_text("x")
    (tmp_path / "big.rq").write_text("#" * (sparql.MAX_QUERY_BYTES + 1))
    (tmp_path / "bad.rq").write_bytes(b"SELECT * WHERE { ?s ?p \"\xff\" }")
    (tmp_path / "bad.card.yaml").write_text("a: [\n")
    t = str(tmp_path)
    return [
        ("store a file", lambda: kg_store.check_store_folder(f"{t}/file.txt"), "kg.store-folder",
         "--store {t}/file.txt is not a folder", "--store {t}/file.txt 不是文件夹"),
        ("store among files", lambda: kg_store.check_store_folder(f"{t}/folder"), "kg.store-folder",
         "--store {t}/folder is a folder that holds other files, not a store; kg load creates a store only in a new "
         "or empty folder", "--store {t}/folder 是含有其他文件的文件夹，不是存储库；kg load 只在新的或空的文件夹中创建存储库"),
        ("no store", lambda: kg_store.open_store_read_only(f"{t}/none"), "kg.store-missing",
         "no store at {t}/none; create it with `modelcard-spec kg load CARD... --store {t}/none`",
         "{t}/none 处没有存储库；请用 `modelcard-spec kg load CARD... --store {t}/none` 创建"),
        ("not a store", lambda: kg_store.open_store_read_only(f"{t}/folder"), "kg.store-unreadable", None, None),
        ("no query file", lambda: sparql.resolve_query(f"{t}/missing.rq"), "kg.query-file",
         "no such query file: {t}/missing.rq", "查询文件不存在：{t}/missing.rq"),
        ("big query file", lambda: sparql.resolve_query(f"{t}/big.rq"), "kg.query-file",
         "the query file {t}/big.rq is larger than this tool's limit for a query file (1,048,576 bytes)",
         "查询文件 {t}/big.rq 超过本工具对查询文件的上限（1,048,576 字节）"),
        ("query file not UTF-8", lambda: sparql.resolve_query(f"{t}/bad.rq"), "kg.query-file",
         "the query file {t}/bad.rq is not valid UTF-8 (byte offset 24)", "查询文件 {t}/bad.rq 不是有效的 UTF-8 编码（字节偏移 24）"),
        ("SERVICE", lambda: sparql.query(f"{t}/none", "SELECT * { SERVICE <http://a.example/> { ?s ?p ?o } }"),
         "kg.query-calls-service", "the query may call a remote service (SERVICE), which would send data over the "
         "network; kg query does that only with --allow-service",
         "该查询可能调用远程服务（SERVICE），会经网络发送数据；kg query 仅在指定 --allow-service 时执行此类查询"),
        ("query time limit", lambda: sparql._with_time_limit(lambda: None, -1.0), "kg.timeout-invalid",
         "--timeout must be a positive number of seconds, or 0 for no limit", "--timeout 应为正的秒数，或为 0（表示不限时）"),
        ("query too slow", lambda: sparql._with_time_limit(lambda: time.sleep(2), 0.05), "kg.query-timeout",
         "the query did not finish within 0.05 s (--timeout)", "查询未在 0.05 秒内完成（--timeout）"),
        ("endpoint", lambda: push.push([], "ftp://x/y"), "kg.endpoint-invalid",
         "--endpoint must be an http(s) URL of a Graph Store Protocol service, not 'ftp://x/y'",
         "--endpoint 应为 Graph Store Protocol 服务的 http(s) URL，而不是 'ftp://x/y'"),
        ("push time limit", lambda: push.push([], "http://a.example/", timeout=0), "kg.timeout-invalid",
         "--timeout must be a positive number of seconds", "--timeout 应为正的秒数"),
        ("unreadable card", lambda: assessment.card_graph(f"{t}/bad.card.yaml"), "load.syntax",
         "invalid YAML: did not find expected node content", "YAML 语法错误：did not find expected node content"),
        ("unreadable card alone", lambda: export.document([f"{t}/bad.card.yaml"], "nt", with_assessment=False),
         "load.syntax", "invalid YAML: did not find expected node content", "YAML 语法错误：did not find expected node content"),
        ("no card", lambda: assessment.card_files([f"{t}/nothing*.yaml"]), "load.no-match",
         "no file matches '{t}/nothing*.yaml'", "没有与“{t}/nothing*.yaml”匹配的文件"),
    ]


def test_graph_errors_are_registered_diagnostics_rendered_from_their_params(tmp_path):
    """Every error of the graph layer carries a registered check's diagnostic; its two messages are
    rendered from its parameters (the same as the English/Chinese pairs written before), the
    store's, query's and endpoint's as checks of the command; the error survives pickling (a worker
    process may raise it)."""
    import pickle

    for what, raises, check_id, en, zh in _graph_errors(tmp_path):
        with pytest.raises(KgError) as caught:
            raises()
        exc = caught.value
        assert isinstance(exc, DiagnosticError) and exc.issue.rule == check_id, what
        assert _rendered_from_params(exc), what
        if check_id.startswith("kg."):
            assert lookup(check_id).scope == "command", what
        if en is not None:
            assert (exc.message, exc.message_zh) == (en.format(t=tmp_path), zh.format(t=tmp_path)), what
        assert re.search("[\u4e00-\u9fff]", exc.message_zh) and exc.message != exc.message_zh, what
        again = pickle.loads(pickle.dumps(exc))
        assert type(again) is KgError and again.issue == exc.issue and again.where == exc.where, what


def test_an_unreadable_card_is_named_by_where_not_by_the_message(tmp_path):
    bad = tmp_path / "bad.card.yaml"
    bad.write_text("a: [\n")
    with pytest.raises(KgError) as caught:
        assessment.card_graph(str(bad))
    assert caught.value.where == str(bad) and str(bad) not in caught.value.message


def test_push_refusals_timeouts_and_unreachable_endpoints_are_registered_diagnostics(monkeypatch):
    """The server's reply (status, reason, body, redirect target) goes into the parameters, each
    cut short and on one line; the messages are the check's templates."""
    import email.message
    import io
    import urllib.error

    def refused(code, reason, body=b"", location=None):
        headers = email.message.Message()
        if location:
            headers["Location"] = location

        def open_(req):
            raise urllib.error.HTTPError(req.full_url, code, reason, headers, io.BytesIO(body))
        return open_

    graph = "https://w3id.org/g"
    cases = [
        (refused(401, "Unauthorized", b"no \n  way"), "kg.push-refused",
         "http://h/s answered HTTP 401 Unauthorized for graph https://w3id.org/g (check --user/--password or --token): no way",
         "http://h/s 对图 https://w3id.org/g 返回 HTTP 401 Unauthorized（请检查 --user/--password 或 --token）：no way"),
        (refused(307, "Temporary Redirect", location="http://elsewhere/a"), "kg.push-refused",
         "http://h/s answered HTTP 307 Temporary Redirect for graph https://w3id.org/g (a redirect to http://elsewhere/a; "
         "redirects are not followed: give the final URL): ",
         "http://h/s 对图 https://w3id.org/g 返回 HTTP 307 Temporary Redirect（重定向至 http://elsewhere/a；不跟随重定向，"
         "请指定最终的 URL）："),
        (refused(500, "Broken\r\nThing", b"x" * 1000), "kg.push-refused",
         "http://h/s answered HTTP 500 Broken Thing for graph https://w3id.org/g: " + "x" * push.ERROR_BODY_BYTES,
         "http://h/s 对图 https://w3id.org/g 返回 HTTP 500 Broken Thing：" + "x" * push.ERROR_BODY_BYTES),
    ]
    for opener, check_id, en, zh in cases:
        monkeypatch.setattr(push, "_opener", lambda deadline, opener=opener: type("O", (), {"open": staticmethod(opener)}))
        with pytest.raises(KgError) as caught:
            push._put("http://h/s", graph, [], {}, 5.0)
        assert caught.value.issue.rule == check_id and (caught.value.message, caught.value.message_zh) == (en, zh)
        assert _rendered_from_params(caught.value) and caught.value.issue.params["status"] in (401, 307, 500)

    def slow(req):
        raise TimeoutError("the deadline passed")
    monkeypatch.setattr(push, "_opener", lambda deadline: type("O", (), {"open": staticmethod(slow)}))
    with pytest.raises(KgError) as caught:
        push._put("http://h/s", graph, [], {}, 1.5)
    assert (caught.value.issue.rule, caught.value.message, caught.value.message_zh) == (
        "kg.push-timeout", "http://h/s did not complete the request for graph https://w3id.org/g within 1.5 s (--timeout)",
        "http://h/s 未在 1.5 秒内完成对图 https://w3id.org/g 的请求（--timeout）")

    def unreachable(req):
        raise urllib.error.URLError(ConnectionRefusedError(111, "Connection refused"))
    monkeypatch.setattr(push, "_opener", lambda deadline: type("O", (), {"open": staticmethod(unreachable)}))
    with pytest.raises(KgError) as caught:
        push._put("http://h/s", graph, [], {}, 1.5)
    assert (caught.value.issue.rule, caught.value.message, caught.value.message_zh) == (
        "kg.push-unreachable", "cannot reach http://h/s: [Errno 111] Connection refused",
        "无法连接 http://h/s：[Errno 111] Connection refused")


def test_without_pyoxigraph_kg_and_export_say_what_needs_it(tmp_path, monkeypatch, capsys):
    """pyoxigraph is the optional extra kg: without it, kg load, kg query, kg push (the vocabularies
    graph) and export to Turtle or JSON-LD end with a bilingual message and exit 2, never a traceback;
    N-Triples and push --no-vocabulary need no library."""
    from modelcard_spec import cli as command

    monkeypatch.setitem(sys.modules, "pyoxigraph", None)
    card = str(VALID_CARDS[0])
    cases = [
        (["kg", "load", card, "--store", str(tmp_path / "st")], "kg load",
         "the embedded store needs pyoxigraph: pip install 'modelcard-spec[kg]'",
         "内嵌存储库需要 pyoxigraph：pip install 'modelcard-spec[kg]'"),
        (["kg", "query", "verdicts-by-card", "--store", str(tmp_path / "st")], "kg query",
         "the embedded store needs pyoxigraph: pip install 'modelcard-spec[kg]'",
         "内嵌存储库需要 pyoxigraph：pip install 'modelcard-spec[kg]'"),
        (["kg", "push", card, "--endpoint", "http://127.0.0.1:9/store"], "kg push",
         "the SKOS vocabularies graph needs pyoxigraph: pip install 'modelcard-spec[kg]' (or use --no-vocabulary)",
         "SKOS 词表图需要 pyoxigraph：pip install 'modelcard-spec[kg]'（或使用 --no-vocabulary）"),
        (["export", card, "--to", "ttl"], "export",
         "Turtle and JSON-LD need pyoxigraph: pip install 'modelcard-spec[kg]' (or use --to nt)",
         "Turtle 和 JSON-LD 需要 pyoxigraph：pip install 'modelcard-spec[kg]'（或使用 --to nt）"),
    ]
    for argv, where, en, zh in cases:
        assert command.main(argv) == 2, argv
        out, err = capsys.readouterr()
        assert out == "" and err == f"{where}: error: {en}\n{where}: 错误：{zh}\n", argv
    assert not (tmp_path / "st").exists()
    assert command.main(["export", card, "--to", "nt"]) == 0
    assert capsys.readouterr().out.startswith("<https://w3id.org/modelcard-spec/id/card/")


def test_kg_load_prints_its_summary_in_the_language_of_lang(tmp_path):
    cards = [str(VALID_CARDS[0]), str(EXAMPLES / "invalid" / "misspelled-architecture-field.card.yaml")]
    st = tmp_path / "st"
    en = cli("kg", "load", *cards, "--store", st)
    assert en.returncode == 0 and en.stdout == (f"loaded 2 card(s) into {st}: 2 added, 0 replaced, 0 unchanged; "
                                                f"1 with errors, kept with their verdicts\n"), en.stderr
    zh = cli("kg", "load", *cards, "--store", st, "--lang", "zh")
    assert zh.returncode == 0 and zh.stdout == (f"已将 2 张模型卡载入存储库 {st}：新增 0 张，替换 0 张，未变更 2 张；"
                                                f"其中 1 张有错误，已连同其结论一并载入\n"), zh.stderr
    check = lookup("kg.load-summary")
    assert check.scope == "command" and check.severity == "info"


def test_shipped_queries_use_the_schemas_prefixes_and_name_only_its_classes_and_slots():
    """A renamed slot or class would leave a shipped query silently empty: each query declares the
    schema's own prefixes (or ``kg:``, the store's side index), and every ``mcs:`` name in it is a
    class or slot IRI of the schema."""
    index = schema_index()
    allowed = {**index["prefixes"], "kg": kg_store.KG}
    known = {c["uri"] for c in index["classes"].values()}
    known |= {s["uri"] for c in index["classes"].values() for s in c["slots"].values()}
    for name, q in sparql.shipped_queries().items():
        declared = dict(re.findall(r"^PREFIX (\w*): <([^>]*)>", q["text"], re.M))
        assert declared and {p: allowed.get(p) for p in declared} == declared, name
        code = "\n".join(line for line in q["text"].splitlines() if not line.lstrip().startswith("#"))
        if "mcs" not in declared:  # card-graph: the index and the card's IRIs only
            assert re.findall(r"(?<![\w?$])kg:(\w+)", code) and not re.search(r"(?<![\w?$])mcs:", code), name
            continue
        used = {declared["mcs"] + local for local in re.findall(r"(?<![\w?$])mcs:(\w+)", code)}
        assert used and used <= known, (name, sorted(used - known))


def test_turtle_and_curies_use_the_schemas_prefixes():
    schema_prefixes = schema_index()["prefixes"]
    ttl = rdf.serialise(rdf.card_triples(read_card(VALID_CARDS[0]).data), "ttl")
    for name, iri in schema_prefixes.items():
        assert f"@prefix {name}: <{iri}> ." in ttl
    card = copy.deepcopy(read_card(VALID_CARDS[0]).data)
    card["provider"]["website"] = "dcm:CT"  # a CURIE in a URI field
    assert f'<{schema_prefixes["dcm"]}CT>' in "\n".join(rdf.card_triples(card))


def test_the_coded_applicability_vocabularies_are_skos_schemes_matched_to_their_codes():
    g = rdflib.Graph().parse(data=artifact_text("skos"), format="turtle")
    chest = rdflib.URIRef("https://w3id.org/modelcard-spec/vocab/BodyPart/CHEST")
    assert (chest, rdflib.SKOS.inScheme, rdflib.URIRef("https://w3id.org/modelcard-spec/vocab/BodyPart/")) in g
    assert (chest, rdflib.SKOS.exactMatch, rdflib.URIRef("http://snomed.info/id/43799004")) in g
    assert {(str(o), o.language) for o in g.objects(chest, rdflib.SKOS.prefLabel)} == {("Chest", "en"), ("胸部", "zh")}
    female = rdflib.URIRef("https://w3id.org/modelcard-spec/vocab/Sex/female")
    assert {o.language for o in g.objects(female, rdflib.SKOS.prefLabel)} == {"en", "zh"}


def test_an_index_entry_naming_another_cards_node_does_not_let_a_reload_delete_it(store, tmp_path):
    """A store is untrusted input: a root written into the index by hand that points at another
    card's assessment is not walked, so reloading the first card leaves the second card whole."""
    import pyoxigraph as ox

    store_dir, inputs = store
    cards = tmp_path / "cards"
    shutil.copytree(Path(inputs[0]).parent.parent, cards)
    mine = [str(cards / Path(c).relative_to(Path(inputs[0]).parent.parent)) for c in inputs][:2]
    st = tmp_path / "st"
    graphs = kg_store.load(mine, str(st), jobs=1)
    a, b = graphs[0].graph, graphs[1].graph
    before = _dump(st)
    victim = [line for line in before if line.startswith(f"<{b}/assessment>")]
    assert victim
    s = ox.Store(str(st))
    s.add(ox.Quad(ox.NamedNode(a), ox.NamedNode(kg_store.ROOT), ox.NamedNode(b + "/assessment"),
                  ox.NamedNode(kg_store.INDEX_GRAPH)))
    s.flush()
    del s
    data = yaml.safe_load(Path(mine[0]).read_text(encoding="utf-8"))
    data["summary"] = "A new summary."
    Path(mine[0]).write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    assert [c.action for c in kg_store.load(mine[:1], str(st), jobs=1)] == ["replaced"]
    after = _dump(st)
    assert all(line in after for line in victim)


def test_a_bind_value_in_double_quotes_is_text_even_if_it_reads_as_an_iri():
    import pyoxigraph as ox

    got = sparql.bindings(['a=TCGA:BRCA', 'b="TCGA:BRCA"', 'c="a name"', 'd=<https://example.org/x>', 'e=""x""', 'f="'])
    assert got == {ox.Variable("a"): ox.NamedNode("TCGA:BRCA"), ox.Variable("b"): ox.Literal("TCGA:BRCA"),
                   ox.Variable("c"): ox.Literal("a name"), ox.Variable("d"): ox.NamedNode("https://example.org/x"),
                   ox.Variable("e"): ox.Literal('"x"'), ox.Variable("f"): ox.Literal('"')}


def test_a_bind_value_that_is_not_text_is_a_usage_error(store):
    store_dir, _ = store
    with pytest.raises(KgError):
        sparql.bindings(["card=\udcff\udcfe"])


def test_the_readme_lists_every_shipped_query():
    """Before: its table listed 9 of the 12 (not fit-verdicts, update-classes, version-changes)."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    table = readme.split("| Query | Answers |", 1)[1].split("\n\n", 1)[0]
    listed = re.findall(r"^\| `([a-z-]+)` \|", table, flags=re.M)
    assert sorted(listed) == sorted(sparql.shipped_queries())
