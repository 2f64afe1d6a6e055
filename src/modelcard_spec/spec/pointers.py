"""JSON Pointers (RFC 6901): the one place a reference token is escaped and unescaped.

Every diagnostic locates its problem by a JSON Pointer into the card, and RDF names nested objects
by one; this module has no dependency, so every layer can use it."""

from __future__ import annotations

import re


def escape(token) -> str:
    """A key (or list index) as a reference token: ``~`` -> ``~0``, ``/`` -> ``~1``."""
    return str(token).replace("~", "~0").replace("/", "~1")


def unescape(token: str) -> str:
    """A reference token as the key it names (``~1`` first, so ``~01`` stays ``~1``)."""
    return token.replace("~1", "/").replace("~0", "~")


def tokens(pointer: str) -> list[str]:
    """The keys and indices a pointer names, unescaped: ``/a~1b/0`` -> ``['a/b', '0']``."""
    return [unescape(t) for t in pointer.split("/")[1:]] if pointer else []


# A list index in a reference token: ASCII digits without a leading zero (RFC 6901); "²" or "01" is none.
_INDEX = re.compile(r"0|[1-9][0-9]*")
MISSING = object()  # what :func:`resolve` gives for a place that is not in the document


def is_index(token: str) -> bool:
    """Whether a reference token can name a list item."""
    return _INDEX.fullmatch(token) is not None


def resolve(document, keys):
    """The value at the place the (unescaped) ``keys`` name in ``document``, or :data:`MISSING`."""
    node = document
    for key in keys:
        if isinstance(node, dict) and key in node:
            node = node[key]
        elif isinstance(node, list) and is_index(key) and int(key) < len(node):
            node = node[int(key)]
        else:
            return MISSING
    return node
