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
* evidence and datasets: ``<card>/evidence/<id>`` and ``<card>/dataset/<id>``;
* every other nested object: ``<card>`` + its JSON Pointer, e.g. ``<card>/model_parameters/weight_files/0``;
* the conformity assessment: ``<card>/assessment``, its verdicts ``<card>/assessment/<requirement ID>``,
  pointing to requirements as ``https://w3id.org/modelcard-spec/requirement/<ID>``.

Triples are produced as sorted N-Triples lines with no library; Turtle and JSON-LD are serialised
with pyoxigraph (imported only then).
"""

from __future__ import annotations

import json
import math
from urllib.parse import quote

from ._resources import schema_index

ID_BASE = "https://w3id.org/modelcard-spec/id/"
REQ_BASE = "https://w3id.org/modelcard-spec/requirement/"
RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
XSD = "http://www.w3.org/2001/XMLSchema#"
PREFIXES = {
    "mcs": "https://w3id.org/modelcard-spec/vocab/",
    "mcsm": "https://w3id.org/modelcard-spec/metric/",
    "mcsr": REQ_BASE,
    "mcsid": ID_BASE,
    "prov": "http://www.w3.org/ns/prov#",
    "dcat": "http://www.w3.org/ns/dcat#",
    "dqv": "http://www.w3.org/ns/dqv#",
    "dcterms": "http://purl.org/dc/terms/",
    "schema": "http://schema.org/",
    "skos": "http://www.w3.org/2004/02/skos/core#",
    "xsd": XSD,
}
FORMATS = {"nt": "N_TRIPLES", "ttl": "TURTLE", "jsonld": "JSON_LD", "nq": "N_QUADS"}


def _seg(text) -> str:
    return quote(str(text), safe="-._~")


def card_iri(data: dict) -> str:
    return f"{ID_BASE}card/{_seg(data.get('identifier', 'unidentified'))}/{_seg(data.get('version', '0'))}"


def _iri(value: str) -> str:
    return "<" + value.replace(">", "%3E").replace(" ", "%20").replace('"', "%22").replace("\\", "%5C") + ">"


def _literal(value, datatype: str | None = None) -> str:
    text = str(value)
    escaped = (text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\r", "\\r"))
    if datatype and datatype != XSD + "string":
        return f'"{escaped}"^^<{datatype}>'
    return f'"{escaped}"'


class _Writer:
    def __init__(self):
        self.index = schema_index()
        self.lines: set[str] = set()

    def add(self, s: str, p: str, o: str) -> None:
        self.lines.add(f"{s} {p} {o} .")

    # -- values --------------------------------------------------------------------------------
    def _type_literal(self, value, type_name: str) -> str | None:
        uri = self.index["types"].get(type_name, {}).get("uri") or XSD + "string"
        if isinstance(value, bool):
            return _literal("true" if value else "false", XSD + "boolean")
        if uri in (XSD + "integer",) and isinstance(value, int):
            return _literal(value, uri)
        if uri in (XSD + "float", XSD + "double", XSD + "decimal") and isinstance(value, (int, float)):
            if isinstance(value, float) and not math.isfinite(value):
                return None
            return _literal(repr(float(value)) if uri != XSD + "decimal" else value, uri)
        if uri == XSD + "anyURI":
            return None  # handled as an IRI by the caller
        return _literal(value, uri)

    def object_iri(self, cls: str, value: dict, pointer: str, card: str) -> str:
        slots = self.index["classes"][cls]["slots"]
        ident = next((name for name, s in slots.items() if s["identifier"]), None)
        if ident and isinstance(value.get(ident), str):
            return self.ref_iri(cls, value[ident], card)
        return card + pointer

    def ref_iri(self, cls: str, ident: str, card: str) -> str:
        if cls == "Requirement":
            return REQ_BASE + _seg(ident)
        return f"{card}/{cls.lower() if cls != 'Dataset' else 'dataset'}/{_seg(ident)}"

    def node(self, cls: str, value: dict, subject: str, pointer: str, card: str) -> None:
        meta = self.index["classes"][cls]
        s = _iri(subject)
        self.add(s, _iri(RDF_TYPE), _iri(meta["uri"]))
        for name, slot in meta["slots"].items():
            if name not in value or value[name] is None:
                continue
            items = value[name] if slot["multivalued"] and isinstance(value[name], list) else [value[name]]
            for i, item in enumerate(items):
                ptr = f"{pointer}/{_pointer_token(name)}" + (f"/{i}" if slot["multivalued"] else "")
                obj = self.value(slot, item, ptr, card)
                if obj is not None:
                    self.add(s, _iri(slot["uri"]), obj)

    def value(self, slot: dict, item, pointer: str, card: str) -> str | None:
        kind, rng = slot["kind"], slot["range"]
        if kind == "class":
            if isinstance(item, dict):
                iri = self.object_iri(rng, item, pointer, card)
                self.node(rng, item, iri, pointer, card)
                return _iri(iri)
            if isinstance(item, str):
                return _iri(self.ref_iri(rng, item, card))
            return None
        if kind == "enum":
            meta = self.index["enums"][rng]["values"].get(str(item))
            if meta and meta.get("meaning"):
                return _iri(meta["meaning"])
            return _literal(item)
        if slot["any_of"]:
            for alt in slot["any_of"]:
                if alt == "integer" and isinstance(item, int) and not isinstance(item, bool):
                    return _literal(item, XSD + "integer")
            return _literal(item)
        if rng in ("uri", "uriorcurie"):
            return _iri(_expand(str(item)))
        return self._type_literal(item, rng)


def _pointer_token(name: str) -> str:
    return name.replace("~", "~0").replace("/", "~1")


def _expand(value: str) -> str:
    prefix, sep, rest = value.partition(":")
    if sep and prefix in PREFIXES and not rest.startswith("//"):
        return PREFIXES[prefix] + rest
    return value


def card_triples(data: dict, verdicts: list[dict] | None = None, issues: list | None = None,
                 meta: dict | None = None) -> list[str]:
    """Sorted N-Triples lines of one card (and of its conformity assessment, when given)."""
    w = _Writer()
    card = card_iri(data)
    w.node(w.index["root_class"], data, card, "", card)
    if verdicts is not None:
        _assessment(w, data, card, verdicts, issues or [], meta or {})
    return sorted(w.lines)


def _assessment(w: _Writer, data: dict, card: str, verdicts: list[dict], issues: list, meta: dict) -> None:
    findings: dict[str, list[str]] = {}
    for issue in issues:
        if issue.requirement and issue.severity == "error":
            findings.setdefault(issue.requirement, []).append(f"{issue.path or '/'} — {issue.message}")
    supports: dict[str, list[str]] = {}
    for ev in data.get("evidence") or []:
        if isinstance(ev, dict) and isinstance(ev.get("id"), str):
            for req in ev.get("supports") or []:
                supports.setdefault(str(req), []).append(f"{card}/evidence/{_seg(ev['id'])}")
    value = {
        "assessed_card": card,
        "tool": meta.get("tool", ""),
        "schema_version": meta.get("schema_version"),
        "catalogue_version": meta.get("catalogue_version"),
        "card_sha256": meta.get("card_sha256"),
        "completeness": meta.get("completeness"),
        "verdicts": [],
    }
    for v in verdicts:
        entry = {"requirement": REQ_BASE + v["id"], "status": v["status"],
                 "justification": v.get("justification"), "justification_zh": v.get("justification_zh"),
                 "findings": findings.get(v["id"]) or None, "evidence": supports.get(v["id"]) or None}
        value["verdicts"].append({k: x for k, x in entry.items() if x is not None})
    value = {k: x for k, x in value.items() if x is not None}
    subject = f"{card}/assessment"
    # verdict nodes are named by requirement, not by list position
    verdict_slot = w.index["classes"]["ConformityAssessment"]["slots"]["verdicts"]
    s = _iri(subject)
    rest = {k: x for k, x in value.items() if k != "verdicts"}
    w.node("ConformityAssessment", rest, subject, "/assessment", card)
    for entry in value["verdicts"]:
        rid = entry["requirement"].rsplit("/", 1)[-1]
        v_iri = f"{subject}/{_seg(rid)}"
        w.node("RequirementVerdict", entry, v_iri, f"/assessment/{rid}", card)
        w.add(s, _iri(verdict_slot["uri"]), _iri(v_iri))


def serialise(lines: list[str], fmt: str) -> str:
    """N-Triples lines as ``nt`` (as is), ``ttl`` or ``jsonld`` (via pyoxigraph)."""
    text = "\n".join(lines) + ("\n" if lines else "")
    if fmt == "nt":
        return text
    import pyoxigraph as ox

    triples = ox.parse(text.encode("utf-8"), format=ox.RdfFormat.N_TRIPLES)
    if fmt == "ttl":
        out = ox.serialize(triples, format=ox.RdfFormat.TURTLE, prefixes=PREFIXES)
        return out.decode("utf-8")
    if fmt == "jsonld":
        out = ox.serialize(triples, format=ox.RdfFormat.JSON_LD)
        return json.dumps(json.loads(out), ensure_ascii=False, indent=2, sort_keys=True) + "\n"
    raise ValueError(f"unknown RDF format {fmt}")
