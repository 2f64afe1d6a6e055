"""Matching free text against the coded vocabularies of the schema: the DICOM Body Part Examined
defined terms (enum ``BodyPart``) and the UCUM-like units the structured ranges use.

Text maps to a term only when it *is* that term: equal, ignoring case and surrounding or repeated
white space, to the defined term (``CHEST``) or to its code meaning (``Chest``). Nothing is guessed
from similar words, so "chest wall" or "thoracic" stay free text."""

from __future__ import annotations

import re
from functools import lru_cache

from .resources import schema_index

# Units of the structured ranges (UCUM codes; "µm" is accepted beside UCUM's "um").
AGE_UNITS = ("a", "mo", "d")
LENGTH_UNITS = ("m", "cm", "mm", "um", "µm", "nm")


_SPACE = re.compile(r"\s+")


def _key(text: str) -> str:
    return _SPACE.sub(" ", text).strip().casefold()


@lru_cache(maxsize=None)
def _body_part_keys() -> dict[str, str]:
    """Folded defined term and folded code meaning -> defined term."""
    values = schema_index()["enums"]["BodyPart"]["values"]
    keys: dict[str, str] = {}
    for term, spec in values.items():
        keys.setdefault(_key(term), term)
    for term, spec in values.items():
        # "Chest (THORAX)" is the schema's title for the second term whose code meaning is "Chest":
        # the meaning is what precedes a parenthesised defined term (string operations: a pattern per
        # term would compile 345 regular expressions, the largest part of a cold start).
        title, suffix = spec["title"], f"({term})"
        meaning = title[:-len(suffix)].rstrip() if title.endswith(suffix) else title
        keys.setdefault(_key(meaning), term)
    return keys


def body_part_term(text) -> str | None:
    """The DICOM Body Part Examined defined term that ``text`` is (by term or code meaning), else None."""
    if not isinstance(text, str) or not text.strip():
        return None
    return _body_part_keys().get(_key(text))


def body_part_terms() -> tuple[str, ...]:
    """Every defined term of the vocabulary, in the schema's order."""
    return tuple(schema_index()["enums"]["BodyPart"]["values"])
