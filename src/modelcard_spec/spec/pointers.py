"""JSON Pointers (RFC 6901): the one place a reference token is escaped and unescaped.

Every diagnostic locates its problem by a JSON Pointer into the card, and RDF names nested objects
by one; this module has no dependency, so every layer can use it."""

from __future__ import annotations


def escape(token) -> str:
    """A key (or list index) as a reference token: ``~`` -> ``~0``, ``/`` -> ``~1``."""
    return str(token).replace("~", "~0").replace("/", "~1")


def unescape(token: str) -> str:
    """A reference token as the key it names (``~1`` first, so ``~01`` stays ``~1``)."""
    return token.replace("~1", "/").replace("~0", "~")


def tokens(pointer: str) -> list[str]:
    """The keys and indices a pointer names, unescaped: ``/a~1b/0`` -> ``['a/b', '0']``."""
    return [unescape(t) for t in pointer.split("/")[1:]] if pointer else []
