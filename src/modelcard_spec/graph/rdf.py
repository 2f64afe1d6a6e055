"""Model cards, their evidence and their conformity verdicts as RDF.

The mapping is read from the generated schema index (class and slot IRIs, ranges, datatypes,
enum meanings), so it follows the schema and conforms to the generated SHACL shapes:

* a class instance is typed with the class IRI (``mcs:ModelCard``, ``dcat:Dataset``,
  ``prov:Entity`` for evidence, ``dqv:QualityMeasurement`` for metric results, ...);
* a slot is the predicate ``mcs:<slot>``; literals carry the slot type's XSD datatype; an enum
  value is its meaning IRI when the schema gives one (metrics: ``mcsm:auc``) and a plain literal
  otherwise; a reference to an identified object (evidence, dataset) is that object's IRI.

Stable IRIs, all under ``https://w3id.org/modelcard-spec/id/``:

* card: ``card/<identifier>/<version>`` (percent-encoded);
* evidence, datasets and other identified objects: ``<card>/<class name in lower case>/<id>``
  (``<card>/evidence/<id>``, ``<card>/dataset/<id>``);
* every other nested object: ``<card>`` + its JSON Pointer, e.g. ``<card>/model_parameters/weight_files/0``;
* the conformity assessment: ``<card>/assessment``, its verdicts ``<card>/assessment/<requirement ID>``,
  pointing to requirements as ``https://w3id.org/modelcard-spec/requirement/<ID>``;
* an assessor's record about the card: ``<card>/assessmentrecord/<SHA-256 of the record file>``, its
  parts that IRI plus their JSON Pointer (``.../assessor``, ``.../reviews/0``), so the same record
  gives the same IRIs and another version of it other ones.

A node is typed with its class IRI and the class's ``exact_mappings`` (the assessor's record is an
``mcs:AssessmentRecord`` and a ``prov:Activity``; its assessor a ``prov:Agent``).

Triples are produced as sorted N-Triples lines with no library; Turtle and JSON-LD are serialised
with pyoxigraph (imported only then). A CURIE in a URI field and Turtle's prefixed names use the
schema's ``prefixes:`` (:func:`prefixes`).
"""

from __future__ import annotations

import bisect
import hashlib
import json
import math
from functools import lru_cache

from ..spec import pointers
from ..spec.iris import ID_BASE, REQ_BASE, card_iri, segment
from ..spec.resources import schema_index
from ..spec.iris import is_absolute_iri
from ..spec.textsafe import encodable, json_text, terminal

RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
XSD = "http://www.w3.org/2001/XMLSchema#"


@lru_cache(maxsize=None)
def prefixes() -> dict[str, str]:
    """Prefix -> namespace for CURIEs in a card and for Turtle: the schema's ``prefixes:`` (from the
    schema index), the IRIs this kit mints (``mcsid``) and XML Schema datatypes (``xsd``)."""
    return {**schema_index()["prefixes"], "mcsid": ID_BASE, "xsd": XSD}


def _iri(value: str) -> str:
    """An IRI we built ourselves (card IRI plus JSON Pointer tokens): only these can need escaping."""
    return "<" + value.replace(">", "%3E").replace(" ", "%20").replace('"', "%22").replace("\\", "%5C") + ">"


def _literal(value, datatype: str | None = None) -> str:
    """An N-Triples literal. A lone surrogate (no RDF string can hold one) becomes the text ``\\udXXX``;
    control, reordering and invisible characters are written as ``\\uXXXX`` escapes (the same string)."""
    text = str(value)
    if text.isascii() and text.isprintable():  # most literals: no surrogate, control or newline to escape
        escaped = text.replace("\\", "\\\\").replace('"', '\\"')
    else:
        text = encodable(text)
        escaped = terminal(text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\r", "\\r"))
    if datatype and datatype != XSD + "string":
        return f'"{escaped}"^^<{datatype}>'
    return f'"{escaped}"'


def _uri_value(value: str) -> str:
    """A URI slot's value: an IRI when it is an absolute IRI, else (an invalid card) a plain literal,
    so that the output is always well-formed whatever the card holds. The test is the schema's own
    ``uri`` rule (:func:`.structural.is_absolute_iri`): a value is an IRI here exactly when the
    validator accepted it as one."""
    expanded = _expand(value)
    if is_absolute_iri(expanded):
        return f"<{expanded}>"
    return _literal(value)


_NUMERIC = (XSD + "float", XSD + "double", XSD + "decimal")


class _Slot:
    """How one slot of one class becomes triples, worked out once from the schema index."""

    __slots__ = ("name", "predicate", "token", "multivalued", "kind", "range", "enum_iris",
                 "integer_alt", "any_of", "datatype")

    def __init__(self, name: str, meta: dict, index: dict):
        self.name = name
        self.predicate = f" <{meta['uri']}> "
        self.token = "/" + pointers.escape(name)
        self.multivalued = meta["multivalued"]
        self.kind = meta["kind"]
        self.range = meta["range"]
        self.any_of = bool(meta["any_of"])
        self.integer_alt = "integer" in meta["any_of"]
        self.enum_iris = ({value: f"<{m['meaning']}>" for value, m in index["enums"][self.range]["values"].items()
                           if m.get("meaning")} if self.kind == "enum" else {})
        self.datatype = index["types"].get(self.range, {}).get("uri") or XSD + "string"


class _Class:
    __slots__ = ("type_triples", "slots", "identifier")

    def __init__(self, meta: dict, index: dict):
        # typed with the class IRI and the schema's exact mappings of the class (prov:Activity, ...)
        self.type_triples = tuple(f" <{RDF_TYPE}> <{uri}> ." for uri in (meta["uri"], *meta["exact_mappings"]))
        self.slots = {name: _Slot(name, slot, index) for name, slot in meta["slots"].items()}
        self.identifier = next((name for name, slot in meta["slots"].items() if slot["identifier"]), None)


@lru_cache(maxsize=None)
def _plan() -> dict[str, _Class]:
    index = schema_index()
    return {name: _Class(meta, index) for name, meta in index["classes"].items()}


class _Writer:
    def __init__(self):
        self.plan = _plan()
        self.lines: list[str] = []

    def add(self, s: str, p: str, o: str) -> None:
        self.lines.append(f"{s} {p} {o} .")

    def ref_iri(self, cls: str, ident: str, card: str) -> str:
        if cls == "Requirement":
            return REQ_BASE + segment(ident)
        return f"{card}/{cls.lower()}/{segment(ident)}"

    def node(self, cls: str, value: dict, subject: str, pointer: str, card: str) -> None:
        plan = self.plan[cls]
        s = _iri(subject)
        out = self.lines
        out.extend(s + t for t in plan.type_triples)
        slots = plan.slots
        for key, item in value.items():  # the card's few fields, not the class's many slots (lines are sorted after)
            slot = slots.get(key)
            if slot is None or item is None:
                continue
            if slot.multivalued:
                items = item if isinstance(item, list) else [item]
                base = pointer + slot.token + "/"
                for i, one in enumerate(items):
                    obj = self.value(slot, one, base + str(i), card)
                    if obj is not None:
                        out.append(f"{s}{slot.predicate}{obj} .")
            else:
                obj = self.value(slot, item, pointer + slot.token, card)
                if obj is not None:
                    out.append(f"{s}{slot.predicate}{obj} .")

    def value(self, slot: _Slot, item, pointer: str, card: str) -> str | None:
        kind = slot.kind
        if kind == "class":
            if isinstance(item, dict):
                ident = self.plan[slot.range].identifier
                if ident and isinstance(item.get(ident), str):
                    iri = self.ref_iri(slot.range, item[ident], card)
                else:
                    iri = card + pointer
                self.node(slot.range, item, iri, pointer, card)
                return _iri(iri)
            if isinstance(item, str):
                return _iri(self.ref_iri(slot.range, item, card))
            return None
        if kind == "enum":
            return slot.enum_iris.get(str(item)) or _literal(item)
        if slot.any_of:
            if slot.integer_alt and isinstance(item, int) and not isinstance(item, bool):
                return _literal(item, XSD + "integer")
            return _literal(item)
        uri = slot.datatype
        if uri == XSD + "anyURI":  # the schema's uri and uriorcurie
            return _uri_value(str(item))
        if isinstance(item, bool):
            return _literal("true" if item else "false", XSD + "boolean")
        if uri == XSD + "integer" and isinstance(item, int):
            return _literal(item, uri)
        if uri in _NUMERIC and isinstance(item, (int, float)):
            if isinstance(item, float) and not math.isfinite(item):
                return None
            return _literal(repr(float(item)) if uri != XSD + "decimal" else item, uri)
        return _literal(item, uri)


def _expand(value: str) -> str:
    prefix, sep, rest = value.partition(":")
    if sep and prefix in prefixes() and not rest.startswith("//"):
        return prefixes()[prefix] + rest
    return value


def card_triples(data: dict, verdicts: list[dict] | None = None, issues: list | None = None,
                 meta: dict | None = None, records=()) -> list[str]:
    """Sorted N-Triples lines of one card (and of its conformity assessment, when given, with the
    assessor's records ``records``, each a pair of the record file's SHA-256 and its data, already
    checked to be about this card). ``graph_sha256`` covers all of them but the tool's name and version."""
    w = _Writer()
    card = card_iri(data)
    w.node(schema_index()["root_class"], data, card, "", card)
    if verdicts is None:
        return sorted(set(w.lines))
    _assessment(w, data, card, verdicts, issues or [], meta or {})
    for sha256, record in records:
        record_iri = assessment_record_iri(card, sha256)
        w.node("AssessmentRecord", record, record_iri, "", record_iri)
    lines = sorted(set(w.lines))
    # the tool's name and version stay outside the digest: an upgrade that changes no verdict and
    # nothing else in the graph leaves the card alone in a store (kg load)
    tool = f"{_iri(assessment_iri(card))} <{_tool_predicate()}> "
    kept = [line for line in lines if not line.startswith(tool)]
    digest = hashlib.sha256((("\n".join(kept) + "\n") if kept else "").encode("utf-8")).hexdigest()
    bisect.insort(lines, f"{_iri(assessment_iri(card))} {_digest_predicate()} {_literal(digest)} .")
    return lines



def object_triples(cls: str, value: dict, subject: str) -> list[str]:
    """Sorted N-Triples lines of ``value`` as an instance of the schema class ``cls`` named ``subject``
    (its nested objects: that IRI plus their JSON Pointer), by the same mapping as a card's."""
    w = _Writer()
    w.node(cls, value, subject, "", subject)
    return sorted(set(w.lines))

def assessment_iri(card: str) -> str:
    """IRI of the conformity assessment of the card with IRI ``card``."""
    return card + "/assessment"


def assessment_record_iri(card: str, sha256: str) -> str:
    """IRI of the assessor's record whose file has SHA-256 ``sha256``, about the card with IRI
    ``card``: ``<card>/assessmentrecord/<sha256>`` (its parts: that IRI plus their JSON Pointer)."""
    return _Writer().ref_iri("AssessmentRecord", sha256, card)


def graph_sha256_predicate() -> str:
    """IRI of the ``graph_sha256`` slot of the conformity assessment."""
    return schema_index()["classes"]["ConformityAssessment"]["slots"]["graph_sha256"]["uri"]


def _tool_predicate() -> str:
    return schema_index()["classes"]["ConformityAssessment"]["slots"]["tool"]["uri"]


def _digest_predicate() -> str:
    return f"<{graph_sha256_predicate()}>"


def graph_sha256(lines: list[str], card: str) -> str | None:
    """The ``graph_sha256`` recorded in the lines of the card with IRI ``card`` (None when exported
    without the assessment)."""
    head = f"{_iri(assessment_iri(card))} {_digest_predicate()} \""
    for line in lines:
        if line.startswith(head):
            return line[len(head):len(head) + 64]
    return None


def _assessment(w: _Writer, data: dict, card: str, verdicts: list[dict], issues: list, meta: dict) -> None:
    findings: dict[str, list[str]] = {}
    for issue in issues:
        if issue.requirement and issue.severity == "error":
            findings.setdefault(issue.requirement, []).append(f"{issue.path or '/'} — {issue.message}")
    supports: dict[str, list[str]] = {}
    evidence = schema_index()["classes"][schema_index()["root_class"]]["slots"]["evidence"]["range"]
    ident = w.plan[evidence].identifier
    for ev in _items(data.get("evidence")):
        if isinstance(ev, dict) and isinstance(ev.get(ident), str):
            for req in _items(ev.get("supports")):  # the IRI the evidence node has in the card's graph
                supports.setdefault(str(req), []).append(w.ref_iri(evidence, ev[ident], card))
    value = {
        "assessed_card": card,
        "tool": meta.get("tool", ""),
        "schema_version": meta.get("schema_version"),
        "catalogue_version": meta.get("catalogue_version"),
        "card_sha256": meta.get("card_sha256"),
        "adoption": meta.get("adoption"),
        "documentation": meta.get("documentation"),
        "evaluated": meta.get("evaluated"),
        "verdicts": [],
    }
    for v in verdicts:
        entry = {"requirement": REQ_BASE + v["id"], "status": v["status"], "reason": v.get("reason"),
                 "justification": v.get("justification"), "justification_zh": v.get("justification_zh"),
                 "performed": v.get("performed") or None, "pending": v.get("pending") or None,
                 "findings": findings.get(v["id"]) or None, "evidence": supports.get(v["id"]) or None}
        value["verdicts"].append({k: x for k, x in entry.items() if x is not None})
    value = {k: x for k, x in value.items() if x is not None}
    subject = assessment_iri(card)
    # verdict nodes are named by requirement, not by list position
    verdict_slot = schema_index()["classes"]["ConformityAssessment"]["slots"]["verdicts"]
    s = _iri(subject)
    rest = {k: x for k, x in value.items() if k != "verdicts"}
    w.node("ConformityAssessment", rest, subject, "/assessment", card)
    for entry in value["verdicts"]:
        rid = entry["requirement"].rsplit("/", 1)[-1]
        v_iri = f"{subject}/{segment(rid)}"
        w.node(verdict_slot["range"], entry, v_iri, f"/assessment/{rid}", card)
        w.add(s, _iri(verdict_slot["uri"]), _iri(v_iri))


def _items(value) -> list:
    """A multivalued field's items; nothing when an invalid card holds something else there."""
    return value if isinstance(value, list) else []


def serialise(lines: list[str], fmt: str) -> str:
    """N-Triples lines as ``nt`` (as is), ``ttl`` or ``jsonld`` (via pyoxigraph).

    Control, reordering and invisible characters are written as escapes, which mean the same
    characters in each format: literals already carry them so (:func:`_literal`); in an IRI (a card's
    URL may hold one) ``\\uXXXX`` is an N-Triples and Turtle escape too, and Turtle then writes such
    IRIs in full (no prefixed name, where escapes are not allowed)."""
    text = "\n".join(lines) + ("\n" if lines else "")
    if fmt == "nt":
        return terminal(text)
    import pyoxigraph as ox

    triples = ox.parse(text.encode("utf-8"), format=ox.RdfFormat.N_TRIPLES)
    if fmt == "ttl":
        plain = terminal(text) == text
        out = ox.serialize(triples, format=ox.RdfFormat.TURTLE, prefixes=prefixes() if plain else {})
        return terminal(out.decode("utf-8"))
    if fmt == "jsonld":
        out = ox.serialize(triples, format=ox.RdfFormat.JSON_LD)
        return json_text(json.dumps(json.loads(out), ensure_ascii=False, indent=2, sort_keys=True)) + "\n"
    raise ValueError(f"unknown RDF format {fmt}")
