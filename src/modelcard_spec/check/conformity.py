"""Conformity: which requirements a card claims, the fields a claim needs, and a status for every
requirement of the catalogue.

What a card claims:

* every requirement listed with ``status: claimed``;
* with ``claim_all: true``, every requirement that applies to the card's provider kind;
* always, the requirements written for the card's provider kind alone (for example the
  open-source provision for ``open_source``), unless declared ``not_applied`` with a
  justification.

Status of each requirement: ``not_applicable`` (not for this provider kind, declared not applied
with a justification, or its condition does not hold), ``nonconforming`` (an error is tied to
it), ``conforms`` (claimed and no error), or ``not_claimed``.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..spec import catalogue
from ..spec.catalogue import Requirement, condition_holds, is_missing, resolve
from ..spec.resources import schema_index
from ..spec.diagnostics import Issue

# The verdicts, in the order the schema's Verdict enum lists them.
STATUSES = tuple(schema_index()["enums"]["Verdict"]["values"])


@dataclass(frozen=True)
class Declaration:
    claim_all: bool
    claimed: frozenset[str]
    not_applied: dict[str, str]


def _declared(data: dict) -> tuple[dict, list[tuple[int, dict]]]:
    """The card's conformity section ({} unless it is a mapping) and its claim entries that name a
    requirement, with their positions. Anything of another type is the schema check's to report:
    conformity reads only what has the declared shape."""
    conf = data.get("conformity")
    conf = conf if isinstance(conf, dict) else {}
    items = conf.get("requirements")
    items = items if isinstance(items, list) else []
    return conf, [(i, item) for i, item in enumerate(items)
                  if isinstance(item, dict) and isinstance(item.get("requirement"), str)]


def declaration(data: dict) -> Declaration:
    conf, items = _declared(data)
    claimed, not_applied = set(), {}
    for _, item in items:
        if item.get("status") == "claimed":
            claimed.add(item["requirement"])
        elif item.get("status") == "not_applied":
            not_applied[item["requirement"]] = str(item.get("justification") or "").strip()
    return Declaration(conf.get("claim_all") is True, frozenset(claimed), not_applied)


def applies_to_kind(req: Requirement, provider_kind: str | None) -> bool:
    return provider_kind is None or provider_kind in req.provider_kinds


def is_claimed(req: Requirement, decl: Declaration, provider_kind: str | None) -> bool:
    if req.id in decl.not_applied:
        return False
    if req.id in decl.claimed:
        return True
    if not applies_to_kind(req, provider_kind):
        return False
    kind_specific = len(req.provider_kinds) == 1
    return decl.claim_all or kind_specific


def _scoped(data: dict, path: str, applies_if: str | None):
    """Resolve ``path``; under a list-scoped condition (``a[].b``) only items where it holds."""
    if applies_if and "==" not in applies_if and "[]" in applies_if:
        prefix = applies_if[: applies_if.rindex("[]") + 2]
        if path.startswith(prefix + "."):
            condition, rest = applies_if[len(prefix) + 1:], path[len(prefix) + 1:]
            out = []
            for pointer, item in resolve(data, prefix):
                if is_missing(item) or not any(not is_missing(v) for _, v in resolve(item, condition)):
                    continue
                out.extend((pointer + p, v) for p, v in resolve(item, rest))
            return out
    return resolve(data, path)


def field_issues(data: dict, provider_kind: str | None):
    """A claimed requirement needs its fields: one issue per missing field, produced one by one."""
    decl = declaration(data)
    for req in catalogue.requirements():
        if not is_claimed(req, decl, provider_kind) or not condition_holds(data, req.applies_if):
            continue
        severity = "warning" if req.obligation == "recommended" else "error"
        for path in req.fields:
            title, title_zh = catalogue.field_label(path)
            for pointer, value in _scoped(data, path, req.applies_if):
                if is_missing(value):
                    yield Issue(severity, "conformity.missing-field", pointer,
                                f"{req.id} ({req.title}) is claimed but '{path}' ({title}) is missing",
                                f"已声明采用 {req.id}（{req.title_zh}），但缺少“{path}”（{title_zh}）",
                                req.id)


def declaration_issues(data: dict, provider_kind: str | None) -> list[Issue]:
    """Problems of the declaration itself: unknown, duplicated or ill-justified entries."""
    conf, items = _declared(data)
    known = catalogue.by_id()
    issues, seen = [], {}
    for i, item in items:
        rid, ptr = item["requirement"], f"/conformity/requirements/{i}"
        if rid not in known:
            issues.append(Issue("error", "conformity.unknown-requirement", f"{ptr}/requirement",
                                f"{rid} is not a requirement of catalogue {catalogue.catalogue_version()}",
                                f"{rid} 不是要求目录 {catalogue.catalogue_version()} 中的要求", "MCS-GEN-07"))
            continue
        if rid in seen:
            issues.append(Issue("error", "conformity.duplicate", f"{ptr}/requirement",
                                f"{rid} is declared twice (first at {seen[rid]})",
                                f"{rid} 被重复声明（首次见于 {seen[rid]}）", "MCS-GEN-07"))
        seen.setdefault(rid, ptr)
        if item.get("status") == "not_applied" and isinstance(item.get("justification"), str) \
                and len(item["justification"].strip()) < 10:
            issues.append(Issue("error", "conformity.justification", f"{ptr}/justification",
                                f"the justification for not applying {rid} is too short to explain why",
                                f"不采用 {rid} 的理由过短，未说明原因", "MCS-GEN-07"))
        if item.get("status") == "claimed" and not applies_to_kind(known[rid], provider_kind):
            issues.append(Issue("warning", "conformity.kind", f"{ptr}/requirement",
                                f"{rid} applies to {', '.join(known[rid].provider_kinds)}, not to {provider_kind}",
                                f"{rid} 适用于 {', '.join(known[rid].provider_kinds)}，不适用于 {provider_kind}",
                                "MCS-GEN-07"))
    version = conf.get("catalogue_version")
    if isinstance(version, str) and version != catalogue.catalogue_version():
        issues.append(Issue("warning", "conformity.catalogue-version", "/conformity/catalogue_version",
                            f"claims refer to catalogue {version}; this tool checks against {catalogue.catalogue_version()}",
                            f"声明引用的要求目录版本为 {version}；本工具依据 {catalogue.catalogue_version()} 检查",
                            "MCS-GEN-07"))
    return issues


def statuses(data: dict, issues: list[Issue], provider_kind: str | None, complete: bool = True) -> list[dict]:
    """One entry per catalogue requirement: ``{"id", "status", "justification"?, "justification_zh"?}``
    (the provider's own justification is repeated as given in both).

    ``complete`` False: not every field was checked (checking stopped early), so a requirement that
    would conform is reported nonconforming instead, with that as its justification."""
    decl = declaration(data)
    erroneous = {i.requirement for i in issues if i.severity == "error" and i.requirement}
    out = []
    for req in catalogue.requirements():
        entry: dict = {"id": req.id}
        if req.id in erroneous:
            entry["status"] = "nonconforming"
        elif not applies_to_kind(req, provider_kind):
            entry["status"] = "not_applicable"
            entry["justification"] = f"applies only to: {', '.join(req.provider_kinds)}"
            entry["justification_zh"] = f"仅适用于：{', '.join(req.provider_kinds)}"
        elif req.id in decl.not_applied:
            entry["status"] = "not_applicable"
            entry["justification"] = entry["justification_zh"] = decl.not_applied[req.id]
        elif is_claimed(req, decl, provider_kind):
            if not condition_holds(data, req.applies_if):
                entry["status"] = "not_applicable"
                entry["justification"] = f"condition not met: {req.condition}"
                entry["justification_zh"] = f"适用条件不成立：{req.condition_zh}"
            elif complete:
                entry["status"] = "conforms"
            else:
                entry["status"] = "nonconforming"
                entry["justification"] = "not every field of the card was checked: checking stopped early"
                entry["justification_zh"] = "模型卡的字段未全部检查：检查已提前停止"
        else:
            entry["status"] = "not_claimed"
        out.append(entry)
    return out


def summary(entries: list[dict]) -> dict:
    """Counts per area and overall, and the completeness score.

    Completeness is the share of requirements that apply to the card (all but
    ``not_applicable``) that it conforms to.
    """
    by_id = catalogue.by_id()
    areas: dict[str, dict[str, int]] = {a["id"]: {s: 0 for s in STATUSES} for a in catalogue.areas()}
    totals = {s: 0 for s in STATUSES}
    for e in entries:
        areas[by_id[e["id"]].area][e["status"]] += 1
        totals[e["status"]] += 1
    applicable = len(entries) - totals["not_applicable"]
    score = round(totals["conforms"] / applicable, 3) if applicable else 1.0
    return {"areas": areas, "totals": totals, "completeness": score}
