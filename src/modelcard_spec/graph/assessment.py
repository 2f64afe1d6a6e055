"""What the graph layer writes: a card validated and turned into triples together with its
conformity assessment (one named graph per card, named by the card's IRI, :func:`.rdf.card_iri`),
and the SKOS vocabularies (metrics, requirements) in the graph ``VOCAB_GRAPH``."""

from __future__ import annotations

from dataclasses import dataclass

from ..spec.version import __version__
from ..check import conformity
from . import rdf
from .errors import KgError
from ..spec.resources import artifact_text, catalogue_data, schema_version

VOCAB_GRAPH = "https://w3id.org/modelcard-spec/vocabularies/" + schema_version()


@dataclass
class CardGraph:
    card: str        # the file
    graph: str       # the card IRI, also the graph name
    lines: list[str]  # sorted N-Triples
    valid: bool
    action: str = ""  # what kg load did: added, replaced or unchanged


def card_graph(path: str) -> CardGraph:
    """Validate a card and turn it and its assessment into N-Triples. Raises KgError if unreadable."""
    from ..check.pipeline import validate_card

    result, loaded = validate_card(path)
    if loaded is None:
        issue = result.issues[0]
        raise KgError(issue.message, issue.message_zh, str(path))
    data = loaded.data
    summary = conformity.summary(result.requirements or [])
    meta = {"tool": f"modelcard-spec {__version__}", "schema_version": schema_version(),
            "catalogue_version": catalogue_data()["catalogue_version"], "card_sha256": result.sha256,
            "completeness": summary.get("completeness")}
    lines = rdf.card_triples(data, result.requirements, result.issues, meta)
    return CardGraph(str(path), rdf.card_iri(data), lines, result.valid)


def vocabulary_lines() -> list[str]:
    import pyoxigraph as ox

    triples = ox.parse(artifact_text("skos").encode("utf-8"), format=ox.RdfFormat.TURTLE)
    return sorted(f"{t} ." for t in triples)
