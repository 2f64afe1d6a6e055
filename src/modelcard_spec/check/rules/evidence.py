"""Rules on evidence files: paths inside the card's folder, files matching their SHA-256."""

from __future__ import annotations

import os

from ...spec.evidence import EvidenceError
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
