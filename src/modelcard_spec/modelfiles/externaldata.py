"""ONNX tensors that keep their data in other files (``data_location: EXTERNAL``): each data file
must lie in the model's folder by the containment rule of :mod:`..spec.evidence` (and be named
without ".."), hold the bytes the tensor's dtype and dims need, and share none of them with another
tensor. A tensor whose data is not shown so carries the reason (``problem``: a variant of the
registered check ``modelfile.external-data`` and its parameters); a parameter count that rests on
such a tensor is not reported."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

from . import pickles
from .modelinfo import ModelInfo, printable_name
from ..spec.diagnostics import Issue, diagnostic
from ..spec.registry import Check, register

# Why a tensor's external data is not checked: variant -> (English, Chinese), completing the
# sentence that names the tensor.
_PROBLEMS = {
    "no-location": ("names no data file (no location entry)", "未指明数据文件（缺少 location 条目）"),
    "absolute": ("names the data file {location!r} by an absolute path; external data must lie in the model's folder",
                 "以绝对路径指明数据文件 {location!r}；外部数据应位于模型所在文件夹内"),
    "dotdot": ("names the data file {location!r} through '..'; external data must lie in the model's folder",
               "经由“..”指明数据文件 {location!r}；外部数据应位于模型所在文件夹内"),
    "outside": ("has the data file {location!r}, which leaves the model's folder", "的数据文件 {location!r} 超出了模型所在文件夹"),
    "refused": ("has the data file {location!r}, which {reason}", "的数据文件 {location!r} {reason_zh}"),
    "not-a-count": ("has the {entry} {value!r} in {location!r}, which is not a byte count",
                    "在 {location!r} 中的 {entry} 为 {value!r}，不是字节数"),
    "no-fixed-size": ("has a data type of no fixed size, so its data in {location!r} cannot be checked",
                      "的数据类型没有固定长度，无法核对其在 {location!r} 中的数据"),
    "length": ("declares {length:,} bytes of data in {location!r}, its dtype and dims need {need:,}",
               "声明其在 {location!r} 中的数据为 {length:,} 字节，按数据类型和维度应为 {need:,} 字节"),
    "short": ("needs {need:,} bytes from byte {start:,} of {location!r}, which has {size:,} bytes",
              "需要 {location!r} 中自字节偏移 {start:,} 起的 {need:,} 字节，但该文件只有 {size:,} 字节"),
    "overlap": ("has data (bytes {start:,} to {last:,} of {location!r}) that overlaps that of {owner!r}",
                "的数据（{location!r} 中字节偏移 {start:,} 至 {last:,}）与 {owner!r} 的数据重叠"),
}
# The tensor a problem is about, named with where it is in the model file.
_SUBJECTS = {"initializer": ("initializer {tensor!r} (byte {at} of the model file) ", "初始化器 {tensor!r}（模型文件字节偏移 {at}）"),
             "tensor": ("tensor {tensor!r} (byte {at} of the model file) ", "张量 {tensor!r}（模型文件字节偏移 {at}）")}

register(Check("modelfile.external-data", "error",
               "A tensor that keeps its data in another file names a file in the model's folder that holds it",
               "数据保存在其他文件中的张量指明模型所在文件夹内存有其数据的文件",
               {**_PROBLEMS, **{f"{subject}:{variant}": (head + en, head_zh + zh)
                                for subject, (head, head_zh) in _SUBJECTS.items()
                                for variant, (en, zh) in _PROBLEMS.items()}}, scope="command"))


@dataclass
class ExternalData:
    """An ONNX tensor whose data is kept in another file (``data_location: EXTERNAL``)."""
    name: str
    location: str | None        # the external_data entries as written
    offset: str | None
    length: str | None
    bits: int | None            # per element of its dtype (None: no fixed size)
    numel: int
    at: int                     # byte offset of the tensor in the model file
    initializer: bool = True    # False: a tensor attribute or a sparse initializer (not counted)
    problem: tuple | None = None  # why its data is not checked: (variant, params); None once it is


def _external_file(folder: Path, location: str | None, known: dict):
    """((device, inode), size) of an external data file, or the (variant, params) reason it is refused.

    The file must lie in ``folder`` by the same containment rule as evidence files
    (:func:`..spec.evidence.open_evidence`: relative, its real path inside the folder, a regular file), and
    no part of ``location`` may be ".." (whether or not it stays inside)."""
    from ..spec import evidence

    if location in known:
        return known[location]
    shown = {"location": printable_name(location or "")}
    if not location:
        found = ("no-location", {})
    elif location.startswith(("/", "\\")) or (len(location) > 1 and location[1] == ":") or os.path.isabs(location):
        found = ("absolute", shown)
    elif ".." in re.split(r"[/\\]", location):
        found = ("dotdot", shown)
    else:
        try:
            fd = evidence.open_evidence(folder, location)
        except evidence.EvidenceError as exc:
            # the rule's message for a path that leaves the folder is worded for a card's evidence
            found = ("outside", shown) if exc.outside else ("refused", {**shown, "reason": exc.reason,
                                                                        "reason_zh": exc.reason_zh})
        else:
            try:
                st = os.fstat(fd)
            finally:
                os.close(fd)
            found = ((st.st_dev, st.st_ino), st.st_size)
    known[location] = found
    return found


_BYTE_COUNT = re.compile(r"[0-9]{1,19}")


def _external_problem(folder: Path, ref: ExternalData, known: dict, ranges: dict) -> tuple | None:
    """Why ``ref``'s data is not checked (variant, params), or None when its file holds it: inside
    ``folder``, ``length`` (if given) equal to dtype x dims, the bytes within the file."""
    found = _external_file(folder, ref.location, known)
    if isinstance(found[1], dict):
        return found
    key, size = found
    shown = printable_name(ref.location)
    for entry, text in (("offset", ref.offset), ("length", ref.length)):
        if text is not None and not _BYTE_COUNT.fullmatch(text):
            return "not-a-count", {"entry": entry, "value": printable_name(text), "location": shown}
    if ref.bits is None:
        return "no-fixed-size", {"location": shown}
    need = (ref.numel * ref.bits + 7) // 8
    offset = int(ref.offset or 0)
    if ref.length is not None and int(ref.length) != need:
        return "length", {"length": int(ref.length), "need": need, "location": shown}
    if offset + need > size:
        return "short", {"need": need, "start": offset, "size": size, "location": shown}
    if need:
        ranges.setdefault(key, []).append((offset, offset + need, ref))
    return None


def check_external_data(folder: Path, refs: list[ExternalData], budget: pickles.Budget) -> None:
    """Set each reference's ``problem`` where its data is not shown to be in its file: see
    :func:`_external_problem`; and no two tensors may share bytes of one file (so that one block
    of data cannot be counted as the parameters of many)."""
    known: dict = {}
    ranges: dict = {}
    for ref in refs:
        budget.check_time(ref.at)
        ref.problem = _external_problem(folder, ref, known, ranges)
    for spans in ranges.values():
        spans.sort(key=lambda s: (s[0], s[1]))
        reach, owner = 0, None
        for start, end, ref in spans:
            if start < reach:
                ref.problem = ("overlap", {"start": start, "last": end - 1, "location": printable_name(ref.location),
                                           "owner": printable_name(owner.name)})
            if end > reach:
                reach, owner = end, ref


def problem_issue(ref: ExternalData) -> Issue:
    """A reference's problem (``modelfile.external-data``), completing a sentence that names it."""
    variant, params = ref.problem
    return diagnostic("modelfile.external-data", "", variant, **params)


def external_problem(ref: ExternalData) -> Issue:
    """A reference's problem as the sentence that names it: an initializer or a tensor, and where it
    is in the model file."""
    variant, params = ref.problem
    subject = "initializer" if ref.initializer else "tensor"
    return diagnostic("modelfile.external-data", "", f"{subject}:{variant}", tensor=printable_name(ref.name), at=ref.at,
                      **params)


def leave_out_unchecked(info: ModelInfo) -> None:
    """A parameter count that rests on external data not checked is not reported, and a note says
    which initializers it rests on."""
    unchecked = [e for e in info.external_data if e.initializer and e.problem]
    if not unchecked:
        return
    info.total_parameters = None
    info.parameters_by_dtype = {}
    named = "; ".join(external_problem(e).message for e in unchecked[:3])
    more = f"; and {len(unchecked) - 3:,} more" if len(unchecked) > 3 else ""
    info.notes.append(f"{len(unchecked):,} initializer(s) keep their data in external files that could not be "
                      f"checked, so no parameter count is reported: {named}{more}")
