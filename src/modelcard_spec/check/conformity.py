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
from ..spec.diagnostics import Issue, diagnostic
from ..spec.registry import Check, register

register(Check("conformity.missing-field", "error",
               "A claimed requirement has all its fields (a warning for a recommended requirement)",
               "已声明采用的要求具备其全部字段（推荐性要求为警告）",
               {"": ("{requirement_id} ({requirement_title}) is claimed but '{field}' ({field_title}) is missing",
                     "已声明采用 {requirement_id}（{requirement_title_zh}），但缺少“{field}”（{field_title_zh}）")},
               reports_against=("the claimed requirement", "所声明采用的要求")))
_GEN07 = ("MCS-GEN-07",)
register(Check("conformity.unknown-requirement", "error", "Claims name requirements of the catalogue",
               "声明的要求存在于要求目录中",
               {"": ("{requirement_id} is not a requirement of catalogue {catalogue_version}",
                     "{requirement_id} 不是要求目录 {catalogue_version} 中的要求")}, _GEN07))
register(Check("conformity.duplicate", "error", "Each requirement is declared once", "每项要求只声明一次",
               {"": ("{requirement_id} is declared twice (first at {first})",
                     "{requirement_id} 被重复声明（首次见于 {first}）")}, _GEN07))
register(Check("conformity.justification", "error", "A requirement not applied is justified", "不采用的要求应说明理由",
               {"": ("the justification for not applying {requirement_id} is too short to explain why",
                     "不采用 {requirement_id} 的理由过短，未说明原因")}, _GEN07))
register(Check("conformity.kind", "warning", "Claims apply to the card's provider kind", "所声明的要求适用于该提供方类型",
               {"": ("{requirement_id} applies to {provider_kinds}, not to {provider_kind}",
                     "{requirement_id} 适用于 {provider_kinds}，不适用于 {provider_kind}")}, _GEN07))
register(Check("conformity.catalogue-version", "warning", "Claims refer to this catalogue version",
               "声明引用本要求目录版本",
               {"": ("claims refer to catalogue {declared}; this tool checks against {catalogue_version}",
                     "声明引用的要求目录版本为 {declared}；本工具依据 {catalogue_version} 检查")}, _GEN07))

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
                    yield diagnostic("conformity.missing-field", pointer, severity=severity, requirement=req.id,
                                     requirement_id=req.id, requirement_title=req.title,
                                     requirement_title_zh=req.title_zh, field=path, field_title=title,
                                     field_title_zh=title_zh)


def declaration_issues(data: dict, provider_kind: str | None) -> list[Issue]:
    """Problems of the declaration itself: unknown, duplicated or ill-justified entries."""
    conf, items = _declared(data)
    known = catalogue.by_id()
    issues, seen = [], {}
    for i, item in items:
        rid, ptr = item["requirement"], f"/conformity/requirements/{i}"
        if rid not in known:
            issues.append(diagnostic("conformity.unknown-requirement", f"{ptr}/requirement", requirement_id=rid,
                                     catalogue_version=catalogue.catalogue_version()))
            continue
        if rid in seen:
            issues.append(diagnostic("conformity.duplicate", f"{ptr}/requirement", requirement_id=rid,
                                     first=seen[rid]))
        seen.setdefault(rid, ptr)
        if item.get("status") == "not_applied" and isinstance(item.get("justification"), str) \
                and len(item["justification"].strip()) < 10:
            issues.append(diagnostic("conformity.justification", f"{ptr}/justification", requirement_id=rid))
        if item.get("status") == "claimed" and not applies_to_kind(known[rid], provider_kind):
            issues.append(diagnostic("conformity.kind", f"{ptr}/requirement", requirement_id=rid,
                                     provider_kinds=list(known[rid].provider_kinds), provider_kind=provider_kind))
    version = conf.get("catalogue_version")
    if isinstance(version, str) and version != catalogue.catalogue_version():
        issues.append(diagnostic("conformity.catalogue-version", "/conformity/catalogue_version", declared=version,
                                 catalogue_version=catalogue.catalogue_version()))
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
