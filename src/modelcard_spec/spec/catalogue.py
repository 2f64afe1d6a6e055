"""The requirement catalogue and the card paths that connect requirements to fields.

Everything here is read from the generated ``catalogue.json`` and ``schema_index.json``; no list of
field names or requirement IDs is written in code.

Card paths are dotted field names from the card root with ``[]`` after a list, for example
``model_parameters.weight_files[].sha256``. A JSON Pointer such as
``/model_parameters/weight_files/0/sha256`` has that path as its *template*.
"""

from __future__ import annotations

import re
from functools import lru_cache

from . import pointers
from .records import Frozen
from .resources import catalogue_data, described_schema_index, schema_index

_INDEX = re.compile(r"^\d+$")


class Requirement(Frozen):
    id: str
    area: str
    title: str
    title_zh: str
    statement: str
    statement_zh: str
    obligation: str
    provider_kinds: tuple[str, ...]
    evaluation_methods: tuple[str, ...]
    fields: tuple[str, ...]
    related_fields: tuple[str, ...]
    applies_if: str | None
    not_applicable_if: str | None
    condition: str | None
    condition_zh: str | None
    raw: dict
    __slots__ = tuple(__annotations__)

    @property
    def all_fields(self) -> tuple[str, ...]:
        return self.fields + self.related_fields


@lru_cache(maxsize=None)
def requirements() -> tuple[Requirement, ...]:
    out = []
    for r in catalogue_data()["requirements"]:
        out.append(Requirement(
            id=r["id"], area=r["area"], title=r["title"], title_zh=r["title_zh"],
            statement=r["statement"], statement_zh=r["statement_zh"], obligation=r["obligation"],
            provider_kinds=tuple(r["provider_kinds"]), evaluation_methods=tuple(r["evaluation_methods"]),
            fields=tuple(r.get("fields") or ()), related_fields=tuple(r.get("related_fields") or ()),
            applies_if=r.get("applies_if"), not_applicable_if=r.get("not_applicable_if"), condition=r.get("condition"), condition_zh=r.get("condition_zh"),
            raw=r,
        ))
    return tuple(out)


@lru_cache(maxsize=None)
def by_id() -> dict[str, Requirement]:
    return {r.id: r for r in requirements()}


def areas() -> list[dict]:
    return catalogue_data()["areas"]


def catalogue_version() -> str:
    return catalogue_data()["catalogue_version"]


# --------------------------------------------------------------------------- pointers and paths


def template_of(pointer: str) -> str:
    """``/a/b/0/c`` -> ``a.b[].c`` (list indices become ``[]``)."""
    parts: list[str] = []
    for token in pointers.tokens(pointer):
        if _INDEX.match(token) and parts:
            parts[-1] += "[]"
        else:
            parts.append(token)
    return ".".join(parts)


@lru_cache(maxsize=None)
def _path_requirements() -> dict[str, tuple[str, ...]]:
    """Every catalogue path and each of its prefixes -> requirement IDs, most specific first."""
    exact: dict[str, list[str]] = {}
    prefix: dict[str, list[str]] = {}
    for req in requirements():
        for path in req.all_fields:
            exact.setdefault(path, []).append(req.id)
            parts = path.split(".")
            for i in range(1, len(parts)):
                p = ".".join(parts[:i])
                for candidate in (p, p.removesuffix("[]")):
                    prefix.setdefault(candidate, [])
                    if req.id not in prefix[candidate]:
                        prefix[candidate].append(req.id)
    merged = {k: tuple(v) for k, v in prefix.items()}
    merged.update({k: tuple(v) for k, v in exact.items()})
    return merged


def requirements_for_pointer(pointer: str, provider_kind: str | None = None) -> tuple[str, ...]:
    """Requirement IDs served by the field at ``pointer`` (or by its nearest mapped ancestor)."""
    mapping = _path_requirements()
    template = template_of(pointer)
    while template:
        for candidate in (template, template.removesuffix("[]")):
            ids = mapping.get(candidate)
            if ids:
                if provider_kind:
                    applicable = tuple(i for i in ids if provider_kind in by_id()[i].provider_kinds)
                    ids = applicable or ids
                return ids
        template = template.rsplit(".", 1)[0] if "." in template else ""
    return ()


def primary_requirement(pointer: str, provider_kind: str | None = None) -> str | None:
    ids = requirements_for_pointer(pointer, provider_kind)
    return ids[0] if ids else None


_MISSING = object()


def get_in(data, *keys):
    """``data[k1][k2]...`` through dicts and lists, or None where a step is missing."""
    for key in keys:
        if isinstance(data, dict):
            data = data.get(key)
        elif isinstance(data, list) and isinstance(key, int) and 0 <= key < len(data):
            data = data[key]
        else:
            return None
    return data


@lru_cache(maxsize=4096)
def _steps(path: str) -> tuple[tuple[str, bool], ...]:
    """A card path's steps, (name, whether it is a list marked ``[]``); cached: the paths are the
    catalogue's and the schema's (and those of conditions), a bounded set."""
    return tuple((part[:-2], True) if part.endswith("[]") else (part, False) for part in path.split("."))


def resolve(data, path: str) -> list[tuple[str, object]]:
    """All (pointer, value) pairs a card path reaches; lists marked ``[]`` fan out.

    A missing field yields ``(pointer, _MISSING)`` so callers can report where it should be; an
    empty list marked ``[]`` yields its own pointer with ``_MISSING``.
    """
    results: list[tuple[str, object]] = [("", data)]
    for name, is_list in _steps(path):
        nxt: list[tuple[str, object]] = []
        for pointer, value in results:
            here = f"{pointer}/{name}"
            child = value.get(name) if isinstance(value, dict) else None
            if child is None:  # missing, or under a missing or non-mapping value
                nxt.append((here, _MISSING))
            elif is_list:
                if not isinstance(child, list) or not child:
                    nxt.append((here, _MISSING))
                else:
                    nxt.extend((f"{here}/{i}", item) for i, item in enumerate(child))
            else:
                nxt.append((here, child))
        results = nxt
    return results


def is_missing(value) -> bool:
    return value is _MISSING or value is None or value == "" or value == [] or value == {}


@lru_cache(maxsize=1)
def _placeholder_texts() -> frozenset[str]:
    values = schema_index()["enums"]["PlaceholderText"]["values"].values()
    return frozenset(v["annotations"]["text"].casefold() for v in values)


def _normalised(text: str) -> str:
    return text.strip().rstrip(".。").strip().casefold()


def placeholder(value, template: str | None = None) -> str | None:
    """The placeholder ``value`` is, or None if it says something.

    Placeholders come from the schema only: the ``PlaceholderText`` enum (any text field), a slot's
    ``mcs:placeholders`` annotation (e.g. ``false`` where the requirement needs a check done) and
    enum values annotated ``mcs:placeholder``. White space alone is a placeholder. The result is
    the text to show (``''`` for white space)."""
    if isinstance(value, str):
        if not value.strip():
            return ""
        if _normalised(value) in _placeholder_texts():
            return value.strip()
    if template is None:
        return None
    slot = field_slot(template)
    if slot is None:
        return None
    if slot["placeholders"] and _scalar_text(value) in slot["placeholders"]:
        return _scalar_text(value)
    if slot["kind"] == "enum" and isinstance(value, str):
        meta = schema_index()["enums"].get(slot["range"], {}).get("values", {}).get(value)
        if meta and meta["annotations"].get("placeholder") == "true":
            return value
    return None


def _scalar_text(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value) if isinstance(value, (str, int, float)) else ""


def _matches(value, expected: set[str]) -> bool:
    if isinstance(value, list):
        return any(_matches(v, expected) for v in value)
    return _scalar_text(value) in expected


def expression_holds(data, expression: str | None, base: str = "") -> bool:
    """Evaluate a condition expression of the catalogue: ``path`` (present somewhere), ``path ==
    a|b`` (some value is one of them) or ``path != a|b`` (some present value is none of them).
    Placeholders are not present. ``base``: the card path of ``data`` when it is a list item."""
    if not expression:
        return True
    for op in (" != ", " == "):
        if op in expression:
            path, expected = expression.split(op, 1)
            values = [v for t, v in _resolve_templated(data, path.strip(), base)
                      if not is_missing(v) and placeholder(v, t) is None]
            wanted = set(expected.strip().split("|"))
            if op == " == ":
                return any(_matches(v, wanted) for v in values)
            return any(not _matches(v, wanted) for v in values)
    return any(not is_missing(v) and placeholder(v, t) is None
               for t, v in _resolve_templated(data, expression.strip(), base))


def _resolve_templated(data, path: str, base: str = ""):
    """(card path, value) pairs of :func:`resolve`."""
    template = f"{base}.{path}" if base else path
    return [(template, v) for _, v in resolve(data, path)]


class ConditionState(Frozen):
    """What a card states about a requirement's condition.

    ``state``: ``applies`` (stated to hold, or no condition), ``not_applicable`` (stated not to
    hold) or ``unstated``. ``unstated``: pointers where a statement is missing (for a condition
    about list items, the items that state neither; they are reported even when other items make
    the requirement apply). ``prefix``: for a condition about list items, the list's card path."""

    state: str
    unstated: tuple[str, ...]
    prefix: str | None
    __slots__ = tuple(__annotations__)
    _defaults = {"unstated": (), "prefix": None}


def _list_prefix(expression: str) -> str | None:
    path = expression.split(" ")[0]
    return path[: path.rindex("[]") + 2] if "[]" in path else None


def _stated_otherwise(data, expression: str | None, base: str = "") -> bool:
    """The card gives the field of a not-applicable statement a value that does not make it hold
    (``augmentation_performed: true``): it states the condition holds, so the requirement applies."""
    if not expression or not (" == " in expression or " != " in expression):
        return False
    path = expression.split(" ")[0]
    present = expression_holds(data, path, base)
    return present and not expression_holds(data, expression, base)


def item_applies(item, req: Requirement, prefix: str) -> bool:
    """Whether a list item (of the list at card path ``prefix``) states that the condition of ``req``
    holds: its ``applies_if`` holds, or it gives the field of ``not_applicable_if`` another value."""
    rest_applies = req.applies_if[len(prefix) + 1:]
    rest_na = req.not_applicable_if[len(prefix) + 1:] if req.not_applicable_if else None
    return expression_holds(item, rest_applies, prefix) or _stated_otherwise(item, rest_na, prefix)


_APPLIES, _NOT_APPLICABLE = ConditionState("applies"), ConditionState("not_applicable")  # the common states


def condition_state(data, req: Requirement) -> ConditionState:
    if not req.applies_if:
        return _APPLIES
    prefix = _list_prefix(req.applies_if)
    if prefix and req.not_applicable_if and _list_prefix(req.not_applicable_if) == prefix:
        rest_na = req.not_applicable_if[len(prefix) + 1:]
        applies, unstated, stated_na = False, [], 0
        for pointer, item in resolve(data, prefix):
            if is_missing(item):
                unstated.append(pointer)
            elif item_applies(item, req, prefix):
                applies = True
            elif expression_holds(item, rest_na, prefix):
                stated_na += 1
            else:
                unstated.append(pointer)
        if applies:
            return ConditionState("applies", tuple(unstated), prefix)
        if stated_na and not unstated:
            return ConditionState("not_applicable", (), prefix)
        return ConditionState("unstated", tuple(unstated), prefix)
    if expression_holds(data, req.applies_if) or _stated_otherwise(data, req.not_applicable_if):
        return _APPLIES
    if req.not_applicable_if and expression_holds(data, req.not_applicable_if):
        return _NOT_APPLICABLE
    path = req.applies_if.split(" ")[0]
    return ConditionState("unstated", (resolve(data, path)[0][0],))


@lru_cache(maxsize=None)
def field_slot(template: str) -> dict | None:
    """The schema index entry of the field at a card path (None if the path is not a field). Cached:
    the paths are the catalogue's and the schema's, a bounded set; the entry is not to be changed."""
    return _slot_at(schema_index(), template)


def field_description(template: str) -> tuple[str, str]:
    """The (English, Chinese) description of the field at a card path (empty if it is not a field or
    has none)."""
    slot = _slot_at(described_schema_index(), template) or {}
    return slot.get("description") or "", slot.get("description_zh") or ""


def _slot_at(index: dict, template: str) -> dict | None:
    cls = index["root_class"]
    slot = None
    for part in template.split("."):
        slot = index["classes"].get(cls, {}).get("slots", {}).get(part.removesuffix("[]"))
        if slot is None or slot["kind"] != "class":
            return slot
        cls = slot["range"]
    return slot
