"""The results of diff and fit as RDF (schema/results.yaml, graph/results.py): deterministic triples
valid against the generated SHACL shapes, kg load --diff/--fit (atomic, idempotent, a reloaded
result replaces its graph), the shipped queries update-classes, fit-verdicts and version-changes on
the CT example, and hostile text in cards and profiles kept literal."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import rdflib
import yaml
from rdflib.compare import isomorphic

from conftest import shacl
from modelcard_spec.graph import rdf, results, sparql
from modelcard_spec.graph import store as kg_store
from modelcard_spec.spec.iris import ID_BASE

ROOT = Path(__file__).resolve().parent.parent
RELEASES = ROOT / "examples" / "ct-foundation-encoder" / "releases"
OLD, NEW = RELEASES / "1.0.0.card.yaml", RELEASES / "1.1.0.card.yaml"
CT = ROOT / "examples" / "ct-foundation-encoder" / "card.yaml"
MR = ROOT / "examples" / "intended-use" / "mr-prostate-segmentation.yaml"
CT_PROFILE = ROOT / "examples" / "intended-use" / "ct-abdominal-organ-segmentation.yaml"
CARD_BASE = ID_BASE + "card/org.example.openmed.ct-swin-encoder-base/"
MCS = "https://w3id.org/modelcard-spec/vocab/"
HOSTILE = 'x" . <http://evil.example/s> <http://evil.example/p> "y\n> } ; DROP ALL # \u202e'


def cli(*args):
    return subprocess.run([sys.executable, "-m", "modelcard_spec.cli", *map(str, args)], capture_output=True,
                          text=True, encoding="utf-8", timeout=120)


def test_the_diff_graph_is_deterministic_sorted_and_conforms_to_the_shapes(shapes):
    first, second = results.diff_graph(OLD, NEW), results.diff_graph(str(OLD), str(NEW))
    assert first == second or (first.lines == second.lines and first.iri == second.iri)
    assert first.lines == sorted(set(first.lines))
    assert first.iri == ID_BASE + "diff/org.example.openmed.ct-swin-encoder-base/1.0.0/1.1.0"
    assert not first.ok  # the 1.1.0 entry contradicts the rules
    text = "\n".join(first.lines)
    assert f"<{first.iri}> <{MCS}old_card> <{CARD_BASE}1.0.0> ." in text
    assert f"<{first.iri}> <{MCS}new_card> <{CARD_BASE}1.1.0> ." in text
    assert f'<{first.iri}> <{MCS}proposed_update_class> "major" .' in text
    assert f'<{first.iri}> <{MCS}declared_update_type> "minor" .' in text
    assert f'<{MCS}check_id> "diff.update-type" .' in text
    conforms, report = shacl(first.lines, shapes)
    assert conforms, report


@pytest.mark.parametrize("profile", [MR, CT_PROFILE], ids=lambda p: p.stem)
def test_the_fit_graph_is_deterministic_and_conforms_to_the_shapes(profile, shapes):
    first, second = results.fit_graph(CT, profile), results.fit_graph(CT, profile)
    assert first.lines == second.lines == sorted(set(first.lines))
    assert first.iri.startswith(CARD_BASE + "1.2.0/fit/")
    conforms, report = shacl(first.lines, shapes)
    assert conforms, report


def test_the_shapes_catch_a_result_without_its_required_values(shapes):
    graph = results.diff_graph(OLD, NEW)
    broken = [line for line in graph.lines if f"<{MCS}result_valid>" not in line and f"<{MCS}change_kind>" not in line]
    conforms, report = shacl(broken, shapes)
    report = report.serialize(format="turtle")
    assert not conforms
    assert "result_valid" in report and "change_kind" in report


def test_the_cli_writes_the_same_graph_in_each_rdf_format():
    proc = cli("diff", OLD, NEW, "--format", "nt")
    assert proc.returncode == 1, proc.stderr  # the contradiction is an error, as in the other formats
    assert proc.stdout.splitlines() == results.diff_graph(OLD, NEW).lines
    expected = rdflib.Graph().parse(data=proc.stdout, format="nt")
    for fmt, parser in (("ttl", "turtle"), ("jsonld", "json-ld")):
        out = cli("diff", OLD, NEW, "--format", fmt)
        assert isomorphic(rdflib.Graph().parse(data=out.stdout, format=parser), expected), fmt
    proc = cli("fit", CT, "--use", MR, "--format", "nt")
    assert proc.returncode == 1
    assert proc.stdout.splitlines() == results.fit_graph(CT, MR).lines


def _dump(directory):
    import pyoxigraph as ox

    store = ox.Store.read_only(str(directory))
    return sorted(store.dump(format=ox.RdfFormat.N_QUADS).decode("utf-8").splitlines())


def _rows(store, name, *bind):
    _, names, rows = sparql.query(str(store), sparql.resolve_query(name), bind=list(bind))
    return [{n: (v.value if v is not None else None) for n, v in zip(names, row)} for row in rows]


def test_load_is_idempotent_and_the_queries_answer_from_the_store(tmp_path):
    store = tmp_path / "store"
    proc = cli("kg", "load", OLD, NEW, "--store", store, "--diff", OLD, NEW, "--fit", CT, MR)
    assert proc.returncode == 0, proc.stderr
    assert "loaded 2 result(s) of diff and fit" in proc.stdout and "2 added" in proc.stdout
    before = _dump(store)
    again = cli("kg", "load", "--store", store, "--diff", OLD, NEW, "--fit", CT, MR)
    assert again.returncode == 0 and "0 added, 0 replaced, 2 unchanged" in again.stdout, again.stdout
    assert _dump(store) == before
    # update-classes: the CT example's 1.1.0 entry contradicts its own criteria
    [row] = _rows(store, "update-classes")
    assert (row["old_version"], row["new_version"], row["proposed_class"], row["declared_type"]) == \
        ("1.0.0", "1.1.0", "major", "minor")
    assert "declared minor" in row["contradiction"] and int(row["errors"]) >= 1
    # fit-verdicts: the MR profile's modality is not covered
    [row] = _rows(store, "fit-verdicts")
    assert row["verdict"] == "does_not_fit" and "modality" in row["not_covered"].split(", ")
    assert row["card"] == CARD_BASE + "1.2.0" and row["profile"] == "example-prostate-zones-mr-2.0"
    # version-changes: from the two loaded cards alone
    rows = _rows(store, "version-changes", f"old={CARD_BASE}1.0.0", f"new={CARD_BASE}1.1.0")
    version = [(r["old_value"], r["new_value"]) for r in rows if r["path"] == "" and r["property"] == MCS + "version"]
    assert sorted(version, key=str) == sorted([("1.0.0", None), (None, "1.1.0")], key=str)
    assert any(r["path"] == "/change_history/0" and r["property"] == MCS + "update_type" and r["new_value"] == "minor"
               for r in rows)
    assert not any(r["path"].startswith("/fit") or "/diff/" in (r["old_value"] or "") for r in rows)


def test_version_changes_compares_only_versions_of_one_model(tmp_path):
    """Without --bind, version-changes compared every loaded card with every other (29 s for 40
    cards); it compares the versions of each model, so another model's card adds no row and no time."""
    store = tmp_path / "store"
    wdbc = ROOT / "examples" / "wdbc-cytology-mlp" / "card.yaml"
    assert cli("kg", "load", OLD, NEW, wdbc, "--store", store).returncode == 0
    rows = _rows(store, "version-changes")
    assert {(r["old"], r["new"]) for r in rows} == {(CARD_BASE + "1.0.0", CARD_BASE + "1.1.0"),
                                                    (CARD_BASE + "1.1.0", CARD_BASE + "1.0.0")}
    bound = _rows(store, "version-changes", f"old={CARD_BASE}1.0.0", f"new={CARD_BASE}1.1.0")
    assert bound and sorted(map(str, bound)) == sorted(str(r) for r in rows if r["old"] == CARD_BASE + "1.0.0")


def test_a_reloaded_result_replaces_its_graph(tmp_path):
    store, folder = tmp_path / "store", tmp_path / "cards"
    folder.mkdir()
    card = yaml.safe_load(NEW.read_text(encoding="utf-8"))
    new = folder / "new.yaml"
    new.write_text(yaml.safe_dump(card, allow_unicode=True), encoding="utf-8")
    assert kg_store.load_results([results.diff_graph(OLD, new)], str(store)) == \
        [(ID_BASE + "diff/org.example.openmed.ct-swin-encoder-base/1.0.0/1.1.0", "added")]
    # the same card versions, but 1.1.0 now declares the update major: the contradiction goes
    card["change_history"][0]["update_type"] = "major"
    new.write_text(yaml.safe_dump(card, allow_unicode=True), encoding="utf-8")
    graph = results.diff_graph(OLD, new)
    assert kg_store.load_results([graph], str(store))[0][1] == "replaced"
    [row] = _rows(store, "update-classes")
    assert row["declared_type"] == "major" and row["contradiction"] is None
    import pyoxigraph as ox

    held, roots = kg_store.stored_lines(ox.Store.read_only(str(store)), graph.iri)
    assert roots == {graph.iri}
    assert held == set(kg_store._canonical(graph.lines))  # nothing of the first graph is left
    assert kg_store.load_results([graph], str(store))[0][1] == "unchanged"
    # card-graph reads a result back by its IRI, as it reads a card
    _, lines = sparql.query(str(store), sparql.resolve_query("card-graph"), bind=[f"card={graph.iri}"])
    assert set(lines) == set(kg_store._canonical(graph.lines))


def test_a_result_that_cannot_be_made_writes_nothing(tmp_path):
    store = tmp_path / "store"
    bad = tmp_path / "bad.yaml"
    bad.write_text("identifier: [unclosed\n", encoding="utf-8")
    proc = cli("kg", "load", "--store", store, "--diff", OLD, NEW, "--fit", CT, bad)
    assert proc.returncode == 2 and "bad.yaml" in proc.stderr
    assert not store.exists()
    proc = cli("kg", "load", "--store", store)
    assert proc.returncode == 2 and "kg load needs a CARD, --diff OLD NEW or --fit CARD PROFILE" in proc.stderr


def _iris(lines):
    g = rdflib.Graph().parse(data="\n".join(lines), format="nt")
    return {str(t) for triple in g for t in triple if isinstance(t, rdflib.URIRef)}, g


def test_hostile_text_in_cards_and_profiles_stays_literal(tmp_path):
    old = yaml.safe_load(OLD.read_text(encoding="utf-8"))
    new = yaml.safe_load(NEW.read_text(encoding="utf-8"))
    new["version"] = "1.1.0> <http://evil.example/v"
    new["change_history"][0]["version"] = new["version"]
    new["change_history"][0]["description"] = HOSTILE
    new["change_history"][0]["update_type"] = HOSTILE
    new["name"] = HOSTILE
    (tmp_path / "old.yaml").write_text(yaml.safe_dump(old, allow_unicode=True), encoding="utf-8")
    (tmp_path / "new.yaml").write_text(yaml.safe_dump(new, allow_unicode=True), encoding="utf-8")
    graph = results.diff_graph(tmp_path / "old.yaml", tmp_path / "new.yaml")
    iris, g = _iris(graph.lines)
    assert not any("evil.example" in iri and not iri.startswith(ID_BASE) for iri in iris)
    assert graph.iri.endswith("/1.0.0/1.1.0%3E%20%3Chttp%3A%2F%2Fevil.example%2Fv")
    literals = {str(o) for o in g.objects() if isinstance(o, rdflib.Literal)}
    assert HOSTILE in literals and "1.1.0> <http://evil.example/v" in literals
    profile = yaml.safe_load(MR.read_text(encoding="utf-8"))
    profile["title"] = HOSTILE
    profile["description"] = HOSTILE
    (tmp_path / "profile.yaml").write_text(yaml.safe_dump(profile, allow_unicode=True), encoding="utf-8")
    fit = results.fit_graph(CT, tmp_path / "profile.yaml")
    iris, g = _iris(fit.lines)
    assert not any("evil.example" in iri for iri in iris)
    assert HOSTILE in {str(o) for o in g.objects() if isinstance(o, rdflib.Literal)}
    for fmt in ("ttl", "jsonld"):
        text = rdf.serialise(fit.lines, fmt)
        parsed = rdflib.Graph().parse(data=text, format="turtle" if fmt == "ttl" else "json-ld")
        assert isomorphic(parsed, g), fmt
    # and in the store: loaded, then read back as one literal
    store = tmp_path / "store"
    kg_store.load_results([graph, fit], str(store))
    [row] = _rows(store, "update-classes")
    assert row["declared_type"] == HOSTILE and row["new_version"] == "1.1.0> <http://evil.example/v"
    assert json.loads(json.dumps(row))  # plain values, nothing more
