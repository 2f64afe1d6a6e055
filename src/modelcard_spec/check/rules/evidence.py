"""Rules on evidence files: paths inside the card's folder, files matching their SHA-256."""

from __future__ import annotations

import os

from ...spec import catalogue
from ...spec.evidence import EvidenceError
from ..conformity import declaration, is_claimed
from .base import Context, found, rule


@rule("evidence.path", ("MCS-LC-05",), "error",
      "Evidence paths are relative and stay inside the card's folder", "证据路径为相对路径且不超出模型卡所在文件夹",
      messages={"": ("evidence path '{file}' {reason}", "证据路径“{file}”{reason_zh}")})
def evidence_path(ctx: Context):
    if ctx.folder is None:
        return
    for ptr, e in ctx.instances("Evidence"):
        rel = e.get("path")
        if isinstance(rel, str):
            problem = ctx.evidence.problem(rel)
            if problem:
                yield found(f"{ptr}/path", file=rel, reason=problem[0], reason_zh=problem[1])


@rule("evidence.sha256", ("MCS-LC-05",), "error",
      "Evidence files present match their SHA-256", "现有证据文件与其 SHA-256 一致",
      messages={
          "missing": ("evidence file '{file}' is not present beside the card", "证据文件“{file}”不在模型卡旁"),
          "unreadable": ("evidence file '{file}' {reason}, so its SHA-256 could not be checked",
                         "证据文件“{file}”{reason_zh}，无法核验其 SHA-256"),
          "mismatch": ("evidence file '{file}' has SHA-256 {actual}, not the declared one",
                       "证据文件“{file}”的 SHA-256 为 {actual}，与声明值不符"),
      })
def evidence_sha256(ctx: Context):
    if ctx.folder is None:
        return
    for ptr, e in ctx.instances("Evidence"):
        rel, declared = e.get("path"), e.get("sha256")
        if not isinstance(rel, str) or ctx.evidence.problem(rel):
            continue  # reported by evidence.path
        try:
            if not isinstance(declared, str):  # nothing to compare with: present and readable is all
                os.close(ctx.evidence.open(rel)[0])
                continue
            actual = ctx.evidence.digest(rel)
        except EvidenceError as exc:
            if exc.missing:
                yield found(f"{ptr}/path", "missing", severity="warning", file=rel)
            else:
                yield found(f"{ptr}/path", "unreadable", file=rel, reason=exc.reason, reason_zh=exc.reason_zh)
            continue
        if actual != declared:
            yield found(f"{ptr}/sha256", "mismatch", file=rel, actual=actual, expected=declared)


TRACEABILITY = "MCS-LC-05"


@rule("evidence.traceability-report", (TRACEABILITY,), "warning",
      "The algorithm traceability-analysis report is cited as evidence", "算法可追溯性分析报告已作为证据引用",
      messages={"": ("no evidence of kind 'report' supports MCS-LC-05: cite the algorithm traceability-analysis "
                     "report (or the software traceability report and where its algorithm part is)",
                     "没有类型为“report”的证据支持 MCS-LC-05：请引用算法可追溯性分析报告（或软件可追溯性分析报告，并注明算法可追溯性分析所在位置）")})
def evidence_traceability_report(ctx: Context):
    """The guide asks for the algorithm traceability-analysis report; the card cites it (the tracing
    itself is the quality system's). Without it MCS-LC-05 is incomplete, not failed. Said only of a card
    that claims MCS-LC-05."""
    kind = ctx.data.get("provider_kind")
    if not is_claimed(catalogue.by_id()[TRACEABILITY], declaration(ctx.data), kind if isinstance(kind, str) else None):
        return
    for _, e in ctx.instances("Evidence"):
        supports = e.get("supports")
        if e.get("kind") == "report" and isinstance(supports, list) and TRACEABILITY in supports:
            return
    yield found("/evidence")
