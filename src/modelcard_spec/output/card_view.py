"""A model card rendered for people to read (``modelcard-spec render``), in Markdown or HTML.

Every heading and field label is bilingual ("English / 中文"), taken from the schema index; enum
values show their English and Chinese titles; the layout follows the schema's slot order, so a new
field appears without changes here. A value the provider did not write (the card's ``provenance``
says it was imported, inferred, extracted or measured) carries its origin after it, e.g.
"[inferred / 推断: monai.batch-first]"; a value with no entry is declared by the provider.
"""

from __future__ import annotations

import html

from ..spec import pointers
from ..spec.resources import schema_index
from ..spec.textsafe import markdown as _md, terminal


def _label(meta: dict) -> str:
    zh = meta.get("title_zh")
    return f"{meta['title']} / {zh}" if zh and zh != meta["title"] else meta["title"]


def _enum_text(enum: str, value) -> str:
    meta = schema_index()["enums"][enum]["values"].get(str(value))
    if not meta:
        return str(value)
    text = f"{meta['title']} / {meta['title_zh']}" if meta.get("title_zh") else meta["title"]
    # A code of a published vocabulary (DICOM's upper-case defined terms) is shown too: it is what is compared.
    return f"{text} ({value})" if str(value).isupper() else text


def _scalar(slot: dict, value) -> str:
    if slot["kind"] == "enum":
        return _enum_text(slot["range"], value)
    if isinstance(value, bool):
        return "yes / 是" if value else "no / 否"
    return str(value)


def _number(value) -> str:
    return str(int(value)) if isinstance(value, float) and value.is_integer() else str(value)


def _compact(cls: str, value) -> str | None:
    """A range ("18–92 a", "≥ 50 a") or a population (its age range, sexes and description) in one
    line; None for any other class or a value that is not an object."""
    if not isinstance(value, dict):
        return None
    if cls == "NumericRange":
        low, high, unit = value.get("minimum"), value.get("maximum"), value.get("unit")
        low, high = (None if v is None else _number(v) for v in (low, high))
        text = (f"{low}–{high}" if low is not None and high is not None else f"≥ {low}" if low is not None
                else f"≤ {high}" if high is not None else "")
        return f"{text} {unit}".strip() if unit is not None else text
    if cls == "Population":
        slots = schema_index()["classes"][cls]["slots"]
        parts = []
        for name in schema_index()["classes"][cls]["slot_order"]:
            item = value.get(name)
            if item in (None, "", [], {}):
                continue
            slot = slots[name]
            if slot["kind"] == "class":
                parts.append(f"{_label(slot)}: {_compact(slot['range'], item) or ''}")
            elif isinstance(item, list):
                parts.append(", ".join(_scalar(slot, x) for x in item))
            else:
                parts.append(_scalar(slot, item))
        return "; ".join(parts)
    return None


def _is_flat(cls: str, items: list) -> bool:
    slots = schema_index()["classes"][cls]["slots"]
    return all(isinstance(i, dict) for i in items) and all(
        not (slots.get(k, {}).get("kind") == "class" and slots[k]["inlined"]) and not isinstance(v, (dict, list))
        or (isinstance(v, list) and all(not isinstance(x, (dict, list)) for x in v))
        or (k in slots and _compact(slots[k]["range"], v) is not None)
        for i in items for k, v in i.items())


def origins(card: dict) -> dict[tuple, dict]:
    """The card's provenance entries by the keys of the place they name (the first entry of a place
    wins; a ``declared`` one too, so that it overrides the entry of an object around it); entries
    that are not objects with a pointer are left out."""
    out: dict[tuple, dict] = {}
    entries = card.get("provenance")
    for entry in entries if isinstance(entries, list) else []:
        if isinstance(entry, dict) and isinstance(entry.get("pointer"), str):
            out.setdefault(tuple(pointers.tokens(entry["pointer"])), entry)
    return out


def origin_text(where: tuple, known: dict[tuple, dict]) -> str:
    """" [origin / 中文]" (with the rule of an inferred value) for the value at ``where``, from the
    provenance entry of that place or of the closest object around it; "" if the provider declared it."""
    for n in range(len(where), 0, -1):
        entry = known.get(where[:n])
        if entry is not None:
            if entry.get("origin") == "declared":
                return ""
            meta = schema_index()["enums"]["ValueOrigin"]["values"].get(str(entry.get("origin")))
            label = f"{meta['title'].lower()} / {meta['title_zh']}" if meta else str(entry.get("origin"))
            rule = entry.get("rule")
            return f" [{label}: {rule}]" if isinstance(rule, str) and rule else f" [{label}]"
    return ""


def _blocks(cls: str, data: dict, depth: int, where: tuple = (), known: dict | None = None):
    """Yield ("heading", depth, text) | ("pairs", [(label, text)]) | ("table", headers, rows).
    ``where``: the keys of ``data`` in the card; ``known``: the card's :func:`origins`."""
    known = known or {}
    classes = schema_index()["classes"]
    meta = classes[cls]
    pairs = []
    nested = []
    for name in meta["slot_order"]:
        if name not in data or data[name] in (None, "", [], {}):
            continue
        slot, value = meta["slots"][name], data[name]
        mark = origin_text((*where, name), known)
        if slot["kind"] == "class" and slot["inlined"] and _compact(slot["range"], value) is not None:
            pairs.append((_label(slot), _compact(slot["range"], value) + mark))
        elif slot["kind"] == "class" and slot["inlined"]:
            nested.append((slot, value, name))
        elif isinstance(value, list):
            pairs.append((_label(slot), "; ".join(_scalar(slot, v) + origin_text((*where, name, str(i)), known)
                                                  if not mark else _scalar(slot, v) for i, v in enumerate(value))
                          + mark))
        else:
            pairs.append((_label(slot), _scalar(slot, value) + mark))
    if pairs:
        yield ("pairs", pairs)
    for slot, value, name in nested:
        yield ("heading", depth, _label(slot))
        rng = slot["range"]
        if isinstance(value, list):
            if value and _is_flat(rng, value):
                cols = [c for c in classes[rng]["slot_order"] if any(c in v for v in value)]
                headers = [_label(classes[rng]["slots"][c]) for c in cols]
                rows = []
                for i, v in enumerate(value):
                    row = []
                    for c in cols:
                        cell = v.get(c)
                        s = classes[rng]["slots"][c]
                        text = (_compact(s["range"], cell) if isinstance(cell, dict)
                                else "; ".join(_scalar(s, x) for x in cell) if isinstance(cell, list) else _scalar(s, cell))
                        row.append("" if cell is None else (text or "") + origin_text((*where, name, str(i), c), known))
                    rows.append(row)
                yield ("table", headers, rows)
            else:
                for i, item in enumerate(value):
                    if isinstance(item, dict):
                        yield ("heading", depth + 1, f"{i + 1}")
                        yield from _blocks(rng, item, depth + 2, (*where, name, str(i)), known)
        elif isinstance(value, dict):
            yield from _blocks(rng, value, depth + 1, (*where, name), known)


def _title(card: dict) -> str:
    name = card.get("name")
    title = "" if name is None else str(name)
    if card.get("name_zh"):
        title += f" / {card['name_zh']}"
    return title


def markdown(card: dict) -> str:
    """The card as Markdown. Every value is text (:func:`.textsafe.markdown`): HTML in a card is
    shown, never passed through, and no value can add a heading, a row, a link or an image (GitHub may
    still turn a bare URL in a value into a link)."""
    index = schema_index()
    root = index["root_class"]
    known = origins(card)
    out = [f"# {_md(_title(card), ' ')}", ""]
    if card.get("summary"):
        out += [_md(str(card["summary"]) + origin_text(("summary",), known)), ""]
    for block in _blocks(root, card, 2, (), known):
        if block[0] == "heading":
            out += [f"{'#' * min(block[1], 6)} {_md(block[2], ' ')}", ""]
        elif block[0] == "pairs":
            out += ["| Field / 字段 | Value / 值 |", "|---|---|"]
            out += [f"| {_md(k)} | {_md(v)} |" for k, v in block[1]]
            out.append("")
        else:
            out += ["| " + " | ".join(_md(h) for h in block[1]) + " |", "|---" * len(block[1]) + "|"]
            out += ["| " + " | ".join(_md(c) for c in row) + " |" for row in block[2]]
            out.append("")
    return "\n".join(out).rstrip() + "\n"


def html_page(card: dict) -> str:
    """The card as one HTML page: every value escaped (attributes are ours and quoted), no script,
    no link; control, reordering and invisible characters shown as escapes."""
    e = html.escape
    root = schema_index()["root_class"]
    title = _title(card)
    parts = [f"<!DOCTYPE html>\n<html lang=\"en\">\n<head><meta charset=\"utf-8\"><title>{e(title)}</title>",
             "<style>body{font-family:system-ui,'Noto Sans CJK SC',sans-serif;max-width:70rem;margin:2rem auto;padding:0 1rem}"
             "table{border-collapse:collapse;margin:.5rem 0 1rem}td,th{border:1px solid #ccc;padding:.25rem .5rem;"
             "vertical-align:top;text-align:left}th{background:#f3f3f3}</style></head>\n<body>",
             f"<h1>{e(title)}</h1>"]
    known = origins(card)
    if card.get("summary"):
        parts.append(f"<p>{e(str(card['summary']) + origin_text(('summary',), known))}</p>")
    for block in _blocks(root, card, 2, (), known):
        if block[0] == "heading":
            level = min(block[1], 6)
            parts.append(f"<h{level}>{e(block[2])}</h{level}>")
        elif block[0] == "pairs":
            rows = "".join(f"<tr><th>{e(k)}</th><td>{e(v)}</td></tr>" for k, v in block[1])
            parts.append(f"<table>{rows}</table>")
        else:
            head = "".join(f"<th>{e(h)}</th>" for h in block[1])
            rows = "".join("<tr>" + "".join(f"<td>{e(c)}</td>" for c in row) + "</tr>" for row in block[2])
            parts.append(f"<table><tr>{head}</tr>{rows}</table>")
    parts.append("</body>\n</html>\n")
    return terminal("\n".join(parts))
