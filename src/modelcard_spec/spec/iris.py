"""IRIs: the one rule for what is an absolute IRI (RFC 3987), used by the schema's ``uri`` format,
the RDF writer and so the store; and the IRIs this kit mints: cards (and the model versions they
describe), their parts and requirements, used by the RDF export and by every other format that
names a card (CycloneDX)."""

from __future__ import annotations

import re
from functools import lru_cache

from .resources import schema_index
from .textsafe import encodable

# The kit mints card IRIs under ID_BASE (not a vocabulary of the schema, so not one of its
# prefixes); requirements are named in the schema's own ``mcsr`` namespace.
ID_BASE = "https://w3id.org/modelcard-spec/id/"
# Every card IRI starts so (:func:`card_iri`).
CARD_BASE = ID_BASE + "card/"
REQ_BASE = schema_index()["prefixes"]["mcsr"]


_UNRESERVED = re.compile("[A-Za-z0-9._~-]*")


def segment(text) -> str:
    """A value as one IRI path segment: percent-encoded but for unreserved characters (a lone
    surrogate written as the text ``\\udXXX`` first, since it cannot be encoded)."""
    text = str(text)
    if _UNRESERVED.fullmatch(text):  # most identifiers: nothing to encode (quote() costs ten times as much)
        return text
    from urllib.parse import quote

    return quote(encodable(text), safe="-._~")


def card_iri(data: dict) -> str:
    """``<CARD_BASE><identifier>/<version>``: the card, and the model version it describes."""
    return f"{CARD_BASE}{segment(data.get('identifier', 'unidentified'))}/{segment(data.get('version', '0'))}"



def diff_iri(old: dict, new: dict) -> str:
    """``<ID_BASE>diff/<identifier>/<old version>/<new version>``: the comparison of two cards of a
    model (``modelcard-spec diff``), named by the new card's identifier and both versions; when the
    old card names another model, ``.../from/<old identifier>`` follows, so that the two never meet."""
    ident = new.get("identifier", "unidentified")
    iri = f"{ID_BASE}diff/{segment(ident)}/{segment(old.get('version', '0'))}/{segment(new.get('version', '0'))}"
    old_ident = old.get("identifier", "unidentified")
    return iri if old_ident == ident else f"{iri}/from/{segment(old_ident)}"


def fit_iri(card: str, profile_identifier, profile_sha256: str) -> str:
    """``<card>/fit/<profile identifier>/<profile SHA-256>``: the intended-use check of the profile
    (this version of it: its file's digest) against the card with IRI ``card``."""
    return f"{card}/fit/{segment(profile_identifier)}/{segment(profile_sha256)}"

# An absolute IRI as RFC 3987 defines it (scheme, optional authority, path, query, fragment; no spaces,
# controls or <>"{}|^`\ ; percent signs only as %HH). The structural check accepts a "uri" value only
# when it is one, and the RDF export relies on that: every accepted value is a valid RDF IRI.
# ucschar: planes 1-13 up to xFFFD each, and plane 14 from E1000 (E0000-E0FFF, the tag and variation
# selector block, is excluded); iprivate is allowed in queries only.
_UCS = "\u00a0-\ud7ff\uf900-\ufdcf\ufdf0-\uffef" + "".join(
    f"{chr(plane << 16)}-{chr((plane << 16) | 0xFFFD)}" for plane in range(1, 14)) + "\U000e1000-\U000efffd"
_PRIVATE = "\ue000-\uf8ff\U000f0000-\U000ffffd\U00100000-\U0010fffd"


@lru_cache(maxsize=2)
def _iri(ascii_only: bool) -> re.Pattern:
    """The pattern of an absolute IRI; for ``ascii_only``, the same without ucschar and iprivate (which
    only non-ASCII characters match), so it accepts exactly the same ASCII strings. Compiled on first
    use: the full pattern's character classes take longer to compile (about 10 ms) than a card takes
    to validate, and most IRIs are ASCII."""
    ucs, private = ("", "") if ascii_only else (_UCS, _PRIVATE)
    pct = "%[0-9A-Fa-f]{2}"
    sub = "!$&'()*+,;="
    ipchar = f"(?:[A-Za-z0-9\\-._~{sub}:@{ucs}]|{pct})"
    return re.compile(
        "[A-Za-z][A-Za-z0-9+.\\-]*:"
        "(?:"
        f"//(?:(?:[A-Za-z0-9\\-._~{sub}:{ucs}]|{pct})*@)?"              # userinfo
        f"(?P<host>\\[[0-9A-Fa-f:.]+\\]|(?:[A-Za-z0-9\\-._~{sub}{ucs}]|{pct})*)"  # IP literal or name
        "(?::[0-9]*)?"                                                  # port
        f"(?:/{ipchar}*)*"
        f"|/?(?:{ipchar}+(?:/{ipchar}*)*)?"                               # no authority
        ")"
        f"(?:\\?(?:{ipchar}|[/?{private}])*)?"
        f"(?:#(?:{ipchar}|[/?])*)?")


def is_absolute_iri(value: str) -> bool:
    """True when ``value`` is an absolute IRI (RFC 3987) with something after the scheme.

    The one IRI rule of the package: the schema's ``uri`` format (both validators), the RDF writer
    and so the store all use it."""
    match = _iri(value.isascii()).fullmatch(value)
    if not match or value.endswith(":") and value.count(":") == 1:
        return False
    host = match.group("host")
    if host and host.startswith("["):
        import ipaddress

        try:
            ipaddress.IPv6Address(host[1:-1])
        except ValueError:
            return False
    return True
