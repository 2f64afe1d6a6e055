"""The one error of the graph layer: a card, store, query or endpoint problem."""

from __future__ import annotations


class KgError(Exception):
    """A card that cannot be read, or a store, query or endpoint problem, reported with exit code 2.
    ``str()`` is the English message, ``message_zh`` the Chinese one; ``where`` is the card file a
    message is about, if any (the messages do not name it again)."""

    def __init__(self, message: str, message_zh: str | None = None, where: str | None = None):
        super().__init__(message)
        self.message_zh = message_zh or message
        self.where = where
