"""Conformity: which requirements a card claims, the fields a claim needs, and a verdict for every
requirement of the catalogue.

What a card claims:

* every requirement listed with ``status: claimed``;
* with ``claim_all: true``, every requirement that applies to the card's provider kind;
* always, the requirements written for the card's provider kind alone (for example the
  open-source provision for ``open_source``): these are *claimed automatically*, and the
  diagnostics say so, unless declared ``not_adopted``.

The verdict of each requirement is one of the schema's ``Verdict`` values, decided in this order:

1. ``not_applicable`` -- not for the card's provider kind;
2. ``not_adopted`` -- declared not adopted (with a reason code and a justification);
3. ``not_claimed`` -- neither claimed nor declared;
4. ``not_applicable`` -- claimed, and the card states explicitly that its condition does not hold
   (the catalogue's ``not_applicable_if``; leaving a block out is never such a statement);
5. ``nonconforming`` -- a check tied to it failed (other than a missing field), or the reviewer
   found it nonconforming;
6. ``incomplete`` -- a field it needs is missing or a placeholder, its condition is not stated, or
   checking stopped before every field was checked;
7. ``awaiting_evaluation`` -- an evaluation its method needs was not performed: a reviewer's
   verdict (document review), a comparison with the model file, or a reproduction run;
8. ``conforms`` -- every evaluation its method needs was performed and passed.

What was performed comes from :class:`Evaluations`: the automated checks always; the model files
compared (``--model``), per requirement the comparison covered; a verification result of
``modelcard-spec verify``; the verdicts of an assessor's record.
"""

from __future__ import annotations

from ..spec import catalogue
from ..spec.catalogue import Requirement, condition_state, is_missing, placeholder, resolve
from ..spec.resources import schema_index
from ..spec.diagnostics import Issue, diagnostic
from ..spec.records import Frozen
from ..spec.registry import Check, lookup, register

_HINT = ("; if the information does not exist, declare {requirement_id} not adopted "
         "(conformity.requirements, status not_adopted, reason information_unavailable)",
         "；如无此信息，可在 conformity.requirements 中将 {requirement_id} 声明为不采用"
         "（status 为 not_adopted，reason 为 information_unavailable）")
_AUTO = (" ({requirement_id} is claimed automatically: it applies only to {provider_kind} providers)",
         "（{requirement_id} 仅适用于{provider_kind_zh}，因此自动视为声明采用）")
register(Check("conformity.missing-field", "error",
               "A claimed requirement has all its fields, none a placeholder (a warning for a recommended requirement)",
               "已声明采用的要求具备其全部字段且均非占位值（推荐性要求为警告）",
               {"": ("{requirement_id} ({requirement_title}) is claimed but {field} is missing" + _HINT[0],
                     "已声明采用 {requirement_id}（{requirement_title_zh}），但缺少{field}" + _HINT[1]),
                "auto": ("{requirement_id} ({requirement_title}) is claimed but {field} is missing" + _AUTO[0] + _HINT[0],
                         "已声明采用 {requirement_id}（{requirement_title_zh}），但缺少{field}" + _AUTO[1] + _HINT[1]),
                "section": ("{requirement_id} ({requirement_title}) is claimed but the section {section} is missing or "
                            "empty" + _HINT[0],
                            "已声明采用 {requirement_id}（{requirement_title_zh}），但缺少{section}部分或该部分为空" + _HINT[1]),
                "placeholder": ("{requirement_id} ({requirement_title}) is claimed but {field} holds only a placeholder "
                                "('{value}'), which says nothing" + _HINT[0],
                                "已声明采用 {requirement_id}（{requirement_title_zh}），但{field}仅为占位值（“{value}”），"
                                "未提供任何信息" + _HINT[1])},
               reports_against=("the claimed requirement", "所声明采用的要求"),
               labels={"field": "field", "section": "field"}))
register(Check("conformity.condition-unstated", "error",
               "A claimed conditional requirement's condition is stated either way",
               "已声明采用的条件性要求，其条件成立与否已明确说明",
               {"": ("{requirement_id} ({requirement_title}) applies only under a condition ({condition}); the card does "
                     "not say whether it holds here: fill in {fill}, or state {statement} (leaving it out says nothing)",
                     "{requirement_id}（{requirement_title_zh}）仅在特定条件下适用（{condition_zh}）；模型卡未说明此处该条件是否成立："
                     "应填写 {fill_zh}，或明确写明 {statement_zh}（省略不构成说明）")},
               reports_against=("the claimed requirement", "所声明采用的要求")))
# Why a requirement has its status, where the status alone does not say (a wording the verdicts quote).
register(Check("conformity.status", "info", "Why a requirement has its status", "要求为该状态的原因",
               {"kind": ("applies only to: {kinds}", "仅适用于：{kinds}"),
                "condition": ("the card states that this condition does not hold: '{condition}'",
                              "模型卡已明确说明以下适用条件不成立：“{condition_zh}”"),
                "stopped": ("not every field of the card was checked: checking stopped early",
                            "模型卡的字段未全部检查：检查已提前停止"),
                "earlier-version": ("the card is written against an earlier version of the specification: its "
                                    "requirements are checked once it is migrated (modelcard-spec migrate)",
                                    "模型卡依据的是本规范的早期版本：迁移后（modelcard-spec migrate）方检查其要求")},
               scope="fragment", labels={"field": "field", "kinds": "value:field"}))
# How a condition is written in a card (a wording conformity.condition-unstated quotes).
register(Check("conformity.statement", "info", "How a card states a condition", "模型卡如何说明条件",
               {"present": ("'{path}'", "“{path}”"),
                "equals": ("'{path}: {values}'", "“{path}: {values}”"),
                "one-of": ("'{path}' with one of {values}", "“{path}”取 {values} 之一"),
                "differs": ("'{path}' with a value other than {values}", "“{path}”取 {values} 以外的值")},
               scope="fragment", labels={"field": "field", "values": "value:field"}))
_GEN07 = ("MCS-GEN-07",)
register(Check("conformity.unknown-requirement", "error", "Claims name requirements of the catalogue",
               "声明的要求存在于要求目录中",
               {"": ("{requirement_id} is not a requirement of catalogue {catalogue_version}",
                     "{requirement_id} 不是要求目录 {catalogue_version} 中的要求")}, _GEN07))
register(Check("conformity.duplicate", "error", "Each requirement is declared once", "每项要求只声明一次",
               {"": ("{requirement_id} is declared twice (first at {first})",
                     "{requirement_id} 被重复声明（首次见于 {first}）")}, _GEN07))
register(Check("conformity.justification", "error", "A requirement not adopted is justified", "不采用的要求应说明理由",
               {"": ("the justification for not adopting {requirement_id} is too short to explain why",
                     "不采用 {requirement_id} 的理由过短，未说明原因"),
                "missing": ("{requirement_id} is declared not adopted without a justification "
                            "(give justification, justification_zh or both)",
                            "{requirement_id} 被声明为不采用，但未给出理由（应填写 justification、justification_zh 或两者）")},
               _GEN07))
register(Check("conformity.kind", "warning", "Claims apply to the card's provider kind", "所声明的要求适用于该提供方类型",
               {"": ("{requirement_id} applies to {provider_kinds}, not to {provider_kind}",
                     "{requirement_id} 适用于 {provider_kinds}，不适用于 {provider_kind}")}, _GEN07))
register(Check("conformity.catalogue-version", "warning", "Claims refer to this catalogue version",
               "声明引用本要求目录版本",
               {"": ("claims refer to catalogue {declared}; this tool checks against {catalogue_version}",
                     "声明引用的要求目录版本为 {declared}；本工具依据 {catalogue_version} 检查")}, _GEN07))

# The verdicts, in the order the schema gives them (annotation mcs:order of the Verdict enum).
_VERDICTS = schema_index()["enums"]["Verdict"]["values"]
STATUSES = tuple(sorted(_VERDICTS, key=lambda v: int(_VERDICTS[v]["annotations"]["order"])))
# The methods an assessor's record can report; a witness test counts as a reproduction run.
_COUNTS_AS = {"witness_test": "reproduction_run"}
# Diagnostics that say a field or a statement is missing (the requirement is incomplete, not failed).
MISSING_CHECKS = frozenset({"conformity.missing-field", "conformity.condition-unstated", "schema.required",
                            "weights.pickle-safe-loading", "evidence.traceability-report",
                            "metric.interval-missing", "dataset.evaluation-database-qualities", "dataset.historical",
                            "annotation.software", "annotation.automatic-review", "processing.tool",
                            "augmentation.gan-generator", "framework.combined-algorithms", "performance.result-reported",
                            "performance.aspects", "performance.criterion", "risks.kinds"})
# The rules among them that say what a claimed requirement lacks: of a requirement the card does not
# claim (not claimed, not adopted, out of scope) they say nothing, as conformity.missing-field does not.
CLAIM_SCOPED = MISSING_CHECKS - {"conformity.missing-field", "conformity.condition-unstated", "schema.required",
                                 "weights.pickle-safe-loading"}


class NotAdopted(Frozen):
    reason: str | None
    justification: str
    justification_zh: str
    __slots__ = tuple(__annotations__)


class Declaration(Frozen):
    claim_all: bool
    claimed: frozenset[str]
    not_adopted: dict[str, NotAdopted]
    __slots__ = tuple(__annotations__)


class Review(Frozen):
    """An assessor's review of one requirement (from an assessor's record)."""

    methods: tuple[str, ...]
    verdict: str | None
    __slots__ = tuple(__annotations__)


class Evaluations(Frozen):
    """The evaluations performed besides the automated checks.

    ``model_verified``: the requirements the comparison with the model files given (``--model``)
    covered; ``reproduction``: requirement ->
    passed, from a verification result (None: no result given); ``reviews``: requirement ->
    :class:`Review`, from an assessor's record."""

    model_verified: frozenset[str]
    reproduction: dict[str, bool] | None
    reviews: dict[str, Review]
    __slots__ = tuple(__annotations__)
    _defaults = {"model_verified": frozenset(), "reproduction": None}
    _factories = {"reviews": dict}


NO_EVALUATIONS = Evaluations()


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


def _text(value) -> str:
    return value.strip() if isinstance(value, str) else ""


def declaration(data: dict) -> Declaration:
    conf, items = _declared(data)
    claimed, not_adopted = set(), {}
    for _, item in items:
        if item.get("status") == "claimed":
            claimed.add(item["requirement"])
        elif item.get("status") == "not_adopted":
            reason = item.get("reason") if isinstance(item.get("reason"), str) else None
            not_adopted[item["requirement"]] = NotAdopted(reason, _text(item.get("justification")),
                                                          _text(item.get("justification_zh")))
    return Declaration(conf.get("claim_all") is True, frozenset(claimed), not_adopted)


def applies_to_kind(req: Requirement, provider_kind: str | None) -> bool:
    return provider_kind is None or provider_kind in req.provider_kinds


def is_claimed(req: Requirement, decl: Declaration, provider_kind: str | None) -> bool:
    if req.id in decl.not_adopted:
        return False
    if req.id in decl.claimed:
        return True
    if not applies_to_kind(req, provider_kind):
        return False
    return decl.claim_all or claimed_automatically(req, decl, provider_kind)


def claimed_automatically(req: Requirement, decl: Declaration, provider_kind: str | None) -> bool:
    """Claimed only because it is written for the card's provider kind alone."""
    return (provider_kind is not None and req.provider_kinds == (provider_kind,)
            and req.id not in decl.claimed and req.id not in decl.not_adopted and not decl.claim_all)


def _scoped(data: dict, path: str, req: Requirement, state: catalogue.ConditionState):
    """Resolve ``path``; under a condition about list items (``a[].b``), only in the items where it holds."""
    prefix = state.prefix
    if prefix and path.startswith(prefix + "."):
        rest = path[len(prefix) + 1:]
        out = []
        for pointer, item in resolve(data, prefix):
            if is_missing(item) or not catalogue.item_applies(item, req, prefix):
                continue
            out.extend((pointer + p, v) for p, v in resolve(item, rest))
        return out
    return resolve(data, path)


def _kind_label(provider_kind: str | None) -> tuple[str, str]:
    meta = schema_index()["enums"]["ProviderKind"]["values"].get(provider_kind or "", {})
    return (meta.get("title", provider_kind or ""), meta.get("title_zh") or provider_kind or "")


def field_issues(data: dict, provider_kind: str | None):
    """A claimed requirement needs its fields, none a placeholder, and its condition stated: one issue
    per missing field or statement, produced one by one."""
    decl = declaration(data)
    empty_at: dict = {}  # pointer -> whether the card leaves it out or empty (data is not changed here)
    for req in catalogue.requirements():
        if not is_claimed(req, decl, provider_kind):
            continue
        state = condition_state(data, req)
        if state.state == "not_applicable":
            continue
        severity = "warning" if req.obligation == "recommended" else "error"
        common = {"requirement_id": req.id, "requirement_title": req.title, "requirement_title_zh": req.title_zh}
        for pointer in dict.fromkeys(_absent_section(data, p, empty_at) or p for p in state.unstated):
            fill, fill_zh = _statement(req.applies_if, state.prefix)
            statement, statement_zh = _statement(req.not_applicable_if, state.prefix)
            yield diagnostic("conformity.condition-unstated", pointer, severity=severity, requirement=req.id,
                             condition=(req.condition or "").rstrip("."), condition_zh=(req.condition_zh or "").rstrip("。"),
                             fill=fill, fill_zh=fill_zh,
                             statement=statement,
                             statement_zh=statement_zh, **common)
        if state.state != "applies":
            continue
        auto = claimed_automatically(req, decl, provider_kind)
        sections: set[str] = set()
        for path in req.fields:
            for pointer, value in _scoped(data, path, req, state):
                section = _absent_section(data, pointer, empty_at)
                if section is not None:
                    if section not in sections:  # one diagnostic per absent section, at the section
                        sections.add(section)
                        yield diagnostic("conformity.missing-field", section, "section", severity=severity,
                                         requirement=req.id, section=catalogue.template_of(section), **common)
                    continue
                if is_missing(value):
                    params = {**common, "field": path}
                    if auto:
                        kind_en, kind_zh = _kind_label(provider_kind)
                        params.update(provider_kind=kind_en, provider_kind_zh=kind_zh)
                    yield diagnostic("conformity.missing-field", pointer, "auto" if auto else "", severity=severity,
                                     requirement=req.id, **params)
                    continue
                text = placeholder(value, path)
                if text is not None:
                    yield diagnostic("conformity.missing-field", pointer, "placeholder", severity=severity,
                                     requirement=req.id, value=text, **common, field=path)


def _empty(node) -> bool:
    """Nothing said: missing, or a mapping or list whose every value is empty (an unfilled template)."""
    if isinstance(node, dict):
        return all(_empty(v) for v in node.values())
    if isinstance(node, list):
        return all(_empty(v) for v in node)
    return is_missing(node)


def _absent_section(data: dict, pointer: str, empty_at: dict | None = None) -> str | None:
    """The pointer of the outermost mapping above ``pointer`` that the card leaves out or leaves
    empty (None if the field's parent says something): a missing section is reported once, where it
    should be. ``empty_at`` caches, across the calls on one card, whether each pointer above is empty
    and, under ``(parent,)``, the answer for every field of that parent."""
    parent_pointer = pointer[:pointer.rfind("/")]
    if empty_at is not None:
        known = empty_at.get((parent_pointer,), _UNKNOWN)
        if known is not _UNKNOWN:
            return known
    node, here = data, ""
    behind = False  # node is not yet the value at the parent of here (levels known not empty were skipped)
    answer = None
    for token in parent_pointer.split("/")[1:]:
        parent = here
        here += "/" + token
        if empty_at is not None and here in empty_at:
            if empty_at[here]:
                answer = here
                break
            behind = True
            continue
        if behind:
            node, behind = _node_at(data, parent), False
        if isinstance(node, dict):
            node = node.get(token)
        elif isinstance(node, list) and token.isdigit() and int(token) < len(node):
            node = node[int(token)]
        else:
            node = None
        empty = _empty(node)
        if empty_at is not None:
            empty_at[here] = empty
        if empty:
            answer = here
            break
    if empty_at is not None:
        empty_at[(parent_pointer,)] = answer
    return answer


_UNKNOWN = object()


def _node_at(data, pointer: str):
    """The value at ``pointer`` (None if there is none), walked as :func:`_absent_section` walks."""
    node = data
    for token in pointer.split("/")[1:]:
        if isinstance(node, dict):
            node = node.get(token)
        elif isinstance(node, list) and token.isdigit() and int(token) < len(node):
            node = node[int(token)]
        else:
            return None
    return node


def _statement(expression: str | None, prefix: str | None) -> tuple[str, str]:
    """A condition expression as a reader writes it in the card (relative to the list item when the
    condition is about items): ``path``, ``path: value`` or ``path`` with a value other than ..."""
    if not expression:
        return "", ""
    variant, path, values = "present", expression, ""
    for op, name in ((" == ", "equals"), (" != ", "differs")):
        if op in expression:
            path, values = expression.split(op, 1)
            variant = name
            break
    shown = path[len(prefix) + 1:] if prefix and path.startswith(prefix + ".") else path
    if variant == "equals" and "|" in values:
        variant = "one-of"
    return lookup("conformity.statement").render(variant, {"path": shown, "field": path,
                                                          "values": values.split("|") if values else []})


def claimed_ids(data: dict, provider_kind: str | None) -> set[str]:
    """The requirements the card claims (explicitly or by claim_all / for its provider kind)."""
    decl = declaration(data)
    return {r.id for r in catalogue.requirements() if is_claimed(r, decl, provider_kind)}


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
        if item.get("status") == "not_adopted":
            texts = [t for t in (item.get("justification"), item.get("justification_zh"))
                     if isinstance(t, str) and placeholder(t) is None]  # "TBD" justifies nothing
            if not texts:
                issues.append(diagnostic("conformity.justification", ptr, "missing", requirement_id=rid))
            elif max(len(t.strip()) for t in texts) < 10 and not any(_has_cjk(t) and len(t.strip()) >= 4 for t in texts):
                where = f"{ptr}/justification" if isinstance(item.get("justification"), str) else f"{ptr}/justification_zh"
                issues.append(diagnostic("conformity.justification", where, requirement_id=rid))
        if item.get("status") == "claimed" and not applies_to_kind(known[rid], provider_kind):
            issues.append(diagnostic("conformity.kind", f"{ptr}/requirement", requirement_id=rid,
                                     provider_kinds=list(known[rid].provider_kinds), provider_kind=provider_kind))
    version = conf.get("catalogue_version")
    if isinstance(version, str) and version != catalogue.catalogue_version():
        issues.append(diagnostic("conformity.catalogue-version", "/conformity/catalogue_version", declared=version,
                                 catalogue_version=catalogue.catalogue_version()))
    return issues


def _has_cjk(text: str) -> bool:
    return any(0x4E00 <= ord(ch) <= 0x9FFF for ch in text)


def statuses(data: dict, issues: list[Issue], provider_kind: str | None, complete: bool = True,
             evaluations: Evaluations = NO_EVALUATIONS, stopped: str = "stopped") -> list[dict]:
    """One entry per catalogue requirement: ``{"id", "status"}`` and, where they apply,
    ``justification``/``justification_zh`` (why this status), ``reason`` (for not adopted),
    ``claimed_automatically``, ``performed`` and ``pending`` (evaluation methods).

    ``complete`` False: not every field was checked (checking stopped early), so a requirement that
    would conform is reported incomplete instead, with that as its justification (the variant
    ``stopped`` of ``conformity.status``: ``"earlier-version"`` for a card not yet migrated)."""
    decl = declaration(data)
    failed: dict[str, list[Issue]] = {}
    missing: set[str] = set()
    for i in issues:
        if not i.requirement:
            continue
        if i.rule in MISSING_CHECKS:
            missing.add(i.requirement)
        elif i.severity == "error":
            failed.setdefault(i.requirement, []).append(i)
    out = []
    for req in catalogue.requirements():
        entry: dict = {"id": req.id}
        out.append(entry)
        if not applies_to_kind(req, provider_kind):
            entry["status"] = "not_applicable"
            _justify(entry, "kind", field="provider_kind", kinds=list(req.provider_kinds))
            continue
        if req.id in decl.not_adopted:
            declared = decl.not_adopted[req.id]
            entry["status"] = "not_adopted"
            if declared.reason:
                entry["reason"] = declared.reason
            entry["justification"] = declared.justification or declared.justification_zh
            entry["justification_zh"] = declared.justification_zh or declared.justification
            continue
        if not is_claimed(req, decl, provider_kind):
            entry["status"] = "not_claimed"
            continue
        if claimed_automatically(req, decl, provider_kind):
            entry["claimed_automatically"] = True
        state = condition_state(data, req)
        if state.state == "not_applicable":
            entry["status"] = "not_applicable"
            _justify(entry, "condition", condition=(req.condition or "").rstrip("."),
                     condition_zh=(req.condition_zh or "").rstrip("。"))
            continue
        review = evaluations.reviews.get(req.id)
        performed = _performed(req, evaluations, review)
        entry["performed"] = [m for m in req.evaluation_methods if m in performed]
        entry["evaluated_by"] = {m: performed[m] for m in entry["performed"]}
        reproduction_failed = (evaluations.reproduction is not None and "reproduction_run" in req.evaluation_methods
                               and evaluations.reproduction.get(req.id) is False)
        if req.id in failed or reproduction_failed or (review is not None and review.verdict == "nonconforming"):
            entry["status"] = "nonconforming"
        elif req.id in missing or state.state != "applies" or state.unstated:
            entry["status"] = "incomplete"
        elif not complete:
            entry["status"] = "incomplete"
            _justify(entry, stopped)
        else:
            pending = [m for m in req.evaluation_methods if m not in performed]
            if pending:
                entry["status"] = "awaiting_evaluation"
                entry["pending"] = pending
            else:
                entry["status"] = "conforms"
    return out


def _justify(entry: dict, variant: str, **params) -> None:
    entry["justification"], entry["justification_zh"] = lookup("conformity.status").render(variant, params)


def _performed(req: Requirement, evaluations: Evaluations, review: Review | None) -> dict[str, str]:
    """The evaluation methods performed -> who performed them: ``tool`` (the automated checks),
    ``model_files`` (the comparison with the model files given), ``verification`` (the verification
    result given) or ``reviewer`` (the assessor's record); the tool's own evidence first."""
    done = {"automated_check": "tool"}
    if req.id in evaluations.model_verified:
        done["model_file_verification"] = "model_files"
    if evaluations.reproduction is not None and evaluations.reproduction.get(req.id) is True:
        done["reproduction_run"] = "verification"
    if review is not None and review.verdict is not None:
        for method in review.methods:
            done.setdefault(_COUNTS_AS.get(method, method), "reviewer")
    return done


def _share(part: int, whole: int) -> float | None:
    """``part / whole`` rounded to three places, or None when there is nothing to divide (a share of
    nothing is not 100 %)."""
    return round(part / whole, 3) if whole else None


def summary(entries: list[dict]) -> dict:
    """Counts per area and overall, and three scores that an opt-out cannot raise:

    * adoption: adopted / in scope (in scope: all but not applicable; adopted: claimed);
    * documentation: adopted requirements that are not incomplete / adopted;
    * evaluated: conforming / adopted.
    """
    by_id = catalogue.by_id()
    areas: dict[str, dict[str, int]] = {a["id"]: {s: 0 for s in STATUSES} for a in catalogue.areas()}
    totals = {s: 0 for s in STATUSES}
    for e in entries:
        areas[by_id[e["id"]].area][e["status"]] += 1
        totals[e["status"]] += 1
    in_scope = len(entries) - totals["not_applicable"]
    adopted = in_scope - totals["not_adopted"] - totals["not_claimed"]
    documented = adopted - totals["incomplete"]
    return {"areas": areas, "totals": totals,
            "counts": {"in_scope": in_scope, "adopted": adopted, "documented": documented},
            "adoption": _share(adopted, in_scope), "documentation": _share(documented, adopted),
            "evaluated": _share(totals["conforms"], adopted)}
