"""The IRIs this kit mints: cards (and the model versions they describe), their parts and
requirements. Used by the RDF export and by every other format that names a card (CycloneDX)."""

from __future__ import annotations

from urllib.parse import quote

from .textsafe import encodable

ID_BASE = "https://w3id.org/modelcard-spec/id/"
REQ_BASE = "https://w3id.org/modelcard-spec/requirement/"


def segment(text) -> str:
    """A value as one IRI path segment: percent-encoded but for unreserved characters (a lone
    surrogate written as the text ``\\udXXX`` first, since it cannot be encoded)."""
    return quote(encodable(str(text)), safe="-._~")


def card_iri(data: dict) -> str:
    """``<ID_BASE>card/<identifier>/<version>``: the card, and the model version it describes."""
    return f"{ID_BASE}card/{segment(data.get('identifier', 'unidentified'))}/{segment(data.get('version', '0'))}"
