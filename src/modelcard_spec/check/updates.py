"""The catalogue's update rules (generated from ``schema/updates.yaml``): the change areas of a card,
the fields each covers (JSON Pointer patterns), its default update class and driver, and the class a
change in an area has for a card, whose update control may list the area as major or minor.

:mod:`.diff` classifies the changes between two cards with them; the lifecycle rule
``lifecycle.update-type-contradicts-criteria`` checks each entry of a card's change history against them,
without the comparison of two cards (which validating a card does not load)."""

from __future__ import annotations

from functools import lru_cache

from ..spec import pointers
from ..spec.resources import catalogue_data


@lru_cache(maxsize=1)
def update_rules() -> dict:
    """The catalogue's ``update_rules`` (areas in report order with their patterns, class and driver)."""
    return catalogue_data()["update_rules"]


@lru_cache(maxsize=1)
def _patterns() -> tuple:
    return tuple((tuple(p.split("/")[1:]), a["id"]) for a in update_rules()["areas"] for p in a["pointers"])


def areas() -> dict[str, dict]:
    """Change area ID -> its rule (title, title_zh, update_class, driver, pointers)."""
    return {a["id"]: a for a in update_rules()["areas"]}


def area_of(pointer: str) -> str | None:
    """The change area of the field at ``pointer`` (its longest matching pattern), None if none matches
    (a key the schema does not have)."""
    tokens = pointers.tokens(pointer)
    best, found = -1, None
    for pattern, area in _patterns():
        if len(pattern) <= len(tokens) and len(pattern) > best and all(
                p == t or (p == "*" and pointers.is_index(t)) for p, t in zip(pattern, tokens)):
            best, found = len(pattern), area
    return found


def _declared_areas(card: dict, slot: str) -> set[str]:
    lifecycle = card.get("lifecycle")
    control = lifecycle.get("update_control") if isinstance(lifecycle, dict) else None
    values = control.get(slot) if isinstance(control, dict) else None
    return {v for v in values if isinstance(v, str)} if isinstance(values, list) else set()


# the update classes from the least to the most (of two classes, the higher is the stricter)
RANK = {"editorial": 0, "minor": 1, "major": 2}


def one_card_class(area: str, card: dict) -> tuple[str, str]:
    """(update class, basis) of a change in the known ``area`` by ``card``'s own criteria alone: its
    update control's major areas first, then its minor areas, else the catalogue's default."""
    if area in _declared_areas(card, "major_update_areas"):
        return "major", "card-major"
    if area in _declared_areas(card, "minor_update_areas"):
        return "minor", "card-minor"
    return areas()[area]["update_class"], "default"


def area_class(area: str | None, card: dict, old: dict | None = None) -> tuple[str, str]:
    """(update class, on what basis) of a change in ``area`` for ``card``: ``card-major`` /
    ``card-minor`` where the card's update control lists the area (major first), else ``default``
    (the catalogue's class for the area); a change outside every area is major (``unclassified``:
    a reviewer decides). With ``old`` (the card of the previous release, whose criteria are those in
    force), the stricter of the two cards' classes: a release cannot lower its own class by editing its
    criteria (basis ``old-card-major`` / ``old-card-minor`` where OLD's is the stricter)."""
    if area is None or area not in areas():
        return "major", "unclassified"
    cls, basis = one_card_class(area, card)
    if old is not None:
        old_cls, old_basis = one_card_class(area, old)
        if RANK[old_cls] > RANK[cls]:
            return old_cls, "old-" + old_basis if old_basis != "default" else old_basis
    return cls, basis


def area_titles(ids) -> tuple[list[str], str]:
    """English titles of change areas (a list) and the Chinese ones joined by "、" (an unknown ID as written)."""
    known = areas()
    return ([known[a]["title"] if a in known else str(a) for a in ids],
            "、".join(known[a]["title_zh"] if a in known else str(a) for a in ids))


def class_title(value: str, zh: bool) -> str:
    """The title of an update class in one language (any other value as written)."""
    classes = update_rules()["classes"]
    return classes[value]["title_zh" if zh else "title"] if value in classes else value


def driver_title(value: str, zh: bool) -> str:
    """The title of an update driver in one language (any other value as written)."""
    drivers = update_rules()["drivers"]
    return drivers[value]["title_zh" if zh else "title"] if value in drivers else value
