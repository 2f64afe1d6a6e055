"""What the graph layer writes: a card validated and turned into triples together with its
conformity assessment (one named graph per card, named by the card's IRI, :func:`.rdf.card_iri`),
and the SKOS vocabularies (metrics, requirements) in the graph ``VOCAB_GRAPH``; and the card files
the inputs of a graph command name."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ..spec.version import __version__
from ..check import conformity
from . import rdf
from .errors import KgError, pyoxigraph
from ..spec.resources import artifact_text, catalogue_data, schema_version

VOCAB_GRAPH = "https://w3id.org/modelcard-spec/vocabularies/" + schema_version()


@dataclass
class CardGraph:
    card: str        # the file
    graph: str       # the card IRI, also the graph name
    lines: list[str]  # sorted N-Triples
    valid: bool
    action: str = ""  # what kg load did: added, replaced or unchanged


def card_files(inputs) -> list[Path]:
    """The card files named by ``inputs`` (files, folders or glob patterns), in order. Raises
    KgError, the loader's diagnostic about the input, for an input that names none (or too many)."""
    from ..check.inputs import expand_inputs

    files, problems = expand_inputs([str(p) for p in inputs])
    if problems:
        raise KgError.of(problems[0].issues[0], str(problems[0].card))
    return files


def card_graph(path: str) -> CardGraph:
    """Validate a card and turn it and its assessment into N-Triples. Raises KgError (the loader's
    diagnostic, about the file) if the card cannot be read."""
    from ..check.pipeline import validate_card

    result, loaded = validate_card(path)
    if loaded is None:
        raise KgError.of(result.issues[0], str(path))
    data = loaded.data
    summary = conformity.summary(result.requirements or [])
    meta = {"tool": f"modelcard-spec {__version__}", "schema_version": schema_version(),
            "catalogue_version": catalogue_data()["catalogue_version"], "card_sha256": result.sha256,
            **{k: summary.get(k) for k in ("adoption", "documentation", "evaluated")}}
    lines = rdf.card_triples(data, result.requirements, result.issues, meta)
    return CardGraph(str(path), rdf.card_iri(data), lines, result.valid)


def vocabulary_lines() -> list[str]:
    """The SKOS vocabularies (the shipped Turtle file) as sorted N-Triples lines (needs pyoxigraph)."""
    ox = pyoxigraph("vocabulary")

    triples = ox.parse(artifact_text("skos").encode("utf-8"), format=ox.RdfFormat.TURTLE)
    return sorted(f"{t} ." for t in triples)
