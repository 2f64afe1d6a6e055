"""Typed access to the schema index generated from ``schema/``: the one walker over a card's
class instances."""

from __future__ import annotations

from collections import deque
from typing import Iterator

from . import pointers
from .resources import schema_index


def walk(data: dict, cls: str | None = None, pointer: str = "") -> Iterator[tuple[str, str, dict]]:
    """Every inlined class instance in ``data`` with its pointer and schema class."""
    index = schema_index()
    cls = cls or index["root_class"]
    queue = deque([(pointer, cls, data)])
    while queue:
        ptr, name, obj = queue.popleft()
        if not isinstance(obj, dict):
            continue
        yield ptr, name, obj
        slots = index["classes"].get(name, {}).get("slots", {})
        for key, value in obj.items():
            slot = slots.get(key)
            if slot is None or slot["kind"] != "class" or not slot["inlined"]:
                continue
            child = f"{ptr}/{pointers.escape(key)}"
            if isinstance(value, list):
                queue.extend((f"{child}/{i}", slot["range"], item) for i, item in enumerate(value))
            else:
                queue.append((child, slot["range"], value))
