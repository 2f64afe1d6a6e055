"""Schema 0.3.0 -> 0.4.0 (coded applicability, issue 18).

What changed for a card: body parts are DICOM Body Part Examined defined terms (enum ``BodyPart``)
with free text beside them in ``body_part_notes``; the target population of an intended task and
the population of a data distribution are structured (``Population``: age range, sexes,
description). The step:

* maps a body part written as free text to its DICOM term only when the text *is* that term or its
  code meaning, ignoring case and white space ("chest", "Chest" -> ``CHEST``; "Abdomen and Pelvis"
  -> ``ABDOMENPELVIS``); anything else ("lymph node", "thoracic") moves, unchanged, to
  ``body_part_notes`` of the same object: nothing is guessed and nothing is dropped;
* moves a population string to the ``description`` of the new ``Population`` (an age range or sexes
  are not read out of the text);
* never turns a value that is not text into text: a body part or a population that is not a string
  (null, a number, true/false, a list, a mapping) is left as written, where validate reports it (a
  body part keeps its place among the codes);
* reports each of these as a :class:`Change`.

The objects are found by the schema's classes (``IntendedTask``, ``InputSpec``,
``DataDistribution``), which have the same places in 0.3.0 and 0.4.0; the terms are those of the
``BodyPart`` enum shipped with the tool (PS3.16 Annex L, see schema/anatomy.yaml).
"""

from __future__ import annotations

import json

from ..schema import walk
from ..vocabulary import body_part_term
from .base import Change, copied, reasons, set_version

SOURCE = "0.3.0"
TARGET = "0.4.0"

_change = reasons(SOURCE, TARGET, {
    "coded": ("'{text}' is the DICOM Body Part Examined term {term} (by its term or code meaning): written as {term}",
              "“{text}”即 DICOM 检查部位术语 {term}（与术语或代码含义相同）：改写为 {term}"),
    "same": ("'{text}' is the DICOM Body Part Examined term {term}, already given: the entry is merged with it",
             "“{text}”即 DICOM 检查部位术语 {term}，该术语已列出：合并为一项"),
    "shifted": ("the DICOM term {term} is kept; its place in the list changed because an entry before it moved "
                "to the notes",
                "DICOM 术语 {term} 保留不变；因其前的条目移入补充说明，其在列表中的位置改变"),
    "note": ("'{text}' is not a DICOM Body Part Examined term or code meaning: kept as free text in body_part_notes "
             "(code it there if a term fits; the tool does not guess)",
             "“{text}”不是 DICOM 检查部位术语或代码含义：作为文字保留于部位补充说明（body_part_notes）中"
             "（如有合适术语，请自行编码；本工具不作推测）"),
    "not-text": ("{value} is not text, so neither a DICOM term nor a note: kept in body_parts as written (validate "
                 "reports it there); its place in the list changed because an entry before it moved to the notes",
                 "{value} 不是文字，既非 DICOM 术语也非补充说明：按原样保留于 body_parts 中（validate 在该处报告）；"
                 "因其前的条目移入补充说明，其在列表中的位置改变"),
    "notes-blocked": ("'{text}' is not a DICOM Body Part Examined term or code meaning, and body_part_notes is "
                      "not a list it could be added to: kept in body_parts as written (validate reports both); its "
                      "place in the list changed because an entry before it moved",
                      "“{text}”不是 DICOM 检查部位术语或代码含义，且 body_part_notes 不是可加入的列表：按原样保留于 "
                      "body_parts 中（validate 报告二者）；因其前的条目移动，其在列表中的位置改变"),
    "population": ("the population is structured from 0.4.0 on (age range, sexes, description): the text moves to "
                   "its description; age range and sexes are not read out of it",
                   "自 0.4.0 版起人群为结构化内容（年龄范围、性别、说明）：原文字移入其说明；不从文字中推断年龄范围和性别"),
})

# Classes whose body_parts became coded, and the classes whose population text became a Population.
_BODY_PART_HOLDERS = ("IntendedTask", "InputSpec")
_POPULATIONS = (("IntendedTask", "target_population"), ("DataDistribution", "population"))


def _shown(value) -> str:
    """A value that is not text as the report shows it (its JSON text), for the message only."""
    return json.dumps(value, ensure_ascii=False)[:80]


def _body_parts(ptr: str, target: dict, parts: list) -> list[Change]:
    changes: list[Change] = []
    codes: list = []  # the DICOM terms, and the values that are not text, kept as written, in order
    # notes already there that are not a list are never overwritten: free text then stays where it is
    blocked = "body_part_notes" in target and not isinstance(target["body_part_notes"], list)
    notes = [] if blocked else list(target.get("body_part_notes") or [])
    moved = []
    for i, value in enumerate(parts):
        old = f"{ptr}/body_parts/{i}"
        term = body_part_term(value)
        if not isinstance(value, str):  # not text: neither a term nor a note, never made text
            codes.append(value)
            new = f"{ptr}/body_parts/{len(codes) - 1}"
            if new != old:
                changes.append(_change("moved", old, new, value, value, "not-text", value=_shown(value)))
        elif term is None and blocked:
            codes.append(value)
            new = f"{ptr}/body_parts/{len(codes) - 1}"
            if new != old:
                changes.append(_change("moved", old, new, value, value, "notes-blocked", text=value))
        elif term is None:
            moved.append(value)
            notes.append(value)
            changes.append(_change("moved", old, f"{ptr}/body_part_notes/{len(notes) - 1}", value, value, "note",
                                   text=value))
        elif term in codes:
            changes.append(_change("converted", old, f"{ptr}/body_parts/{codes.index(term)}", value, term, "same",
                                   text=value, term=term))
        else:
            codes.append(term)
            new = f"{ptr}/body_parts/{len(codes) - 1}"
            if value != term:
                changes.append(_change("converted", old, new, value, term, "coded", text=value, term=term))
            elif new != old:
                changes.append(_change("moved", old, new, value, term, "shifted", term=term))
    if codes:
        target["body_parts"] = codes
    else:
        del target["body_parts"]
    if moved:
        target["body_part_notes"] = notes
    return changes


def apply(card: dict) -> tuple[dict, list[Change]]:
    new = copied(card)
    changes = set_version(new, SOURCE, TARGET)
    # Walk the copy: its objects are the ones to rewrite; collected first, as the rewrite adds objects.
    found = list(walk(new))
    for ptr, cls, obj in found:
        if cls in _BODY_PART_HOLDERS and isinstance(obj.get("body_parts"), list):
            changes += _body_parts(ptr, obj, obj["body_parts"])
        for holder, key in _POPULATIONS:
            if cls == holder and isinstance(obj.get(key), str):  # anything else is left as written
                value = obj[key]
                obj[key] = {"description": value}
                changes.append(_change("moved", f"{ptr}/{key}", f"{ptr}/{key}/description", value, value,
                                       "population"))
    return new, changes
