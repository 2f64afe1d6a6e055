"""ONNX tensors that keep their data in other files (``data_location: EXTERNAL``): each data file
must lie in the model's folder by the containment rule of :mod:`..spec.evidence` (and be named
without ".."), hold the bytes the tensor's dtype and dims need, and share none of them with another
tensor. A tensor whose data is not shown so carries the reason (``problem``); a parameter count
that rests on such a tensor is not reported."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

from . import pickles
from .modelinfo import ModelInfo, printable_name


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
    problem: tuple | None = None  # why its data is not checked (en, zh); None once it is


def _external_file(folder: Path, location: str | None, known: dict):
    """((device, inode), size) of an external data file, or the (en, zh) reason it is refused.

    The file must lie in ``folder`` by the same containment rule as evidence files
    (:func:`..spec.evidence.open_evidence`: relative, its real path inside the folder, a regular file), and
    no part of ``location`` may be ".." (whether or not it stays inside)."""
    from ..spec import evidence

    if location in known:
        return known[location]
    shown = repr(printable_name(location or ""))
    if not location:
        found = ("names no data file (no location entry)", "未指明数据文件（缺少 location 条目）")
    elif location.startswith(("/", "\\")) or (len(location) > 1 and location[1] == ":") or os.path.isabs(location):
        found = (f"names the data file {shown} by an absolute path; external data must lie in the model's folder",
                 f"以绝对路径指明数据文件 {shown}；外部数据应位于模型所在文件夹内")
    elif ".." in re.split(r"[/\\]", location):
        found = (f"names the data file {shown} through '..'; external data must lie in the model's folder",
                 f"经由“..”指明数据文件 {shown}；外部数据应位于模型所在文件夹内")
    else:
        try:
            fd = evidence.open_evidence(folder, location)
        except evidence.EvidenceError as exc:
            reason = (exc.reason, exc.reason_zh)
            if exc.outside:  # the rule's message is worded for a card's evidence
                reason = ("leaves the model's folder", "超出了模型所在文件夹")
            found = (f"has the data file {shown}, which {reason[0]}", f"的数据文件 {shown} {reason[1]}")
        else:
            try:
                st = os.fstat(fd)
            finally:
                os.close(fd)
            found = ((st.st_dev, st.st_ino), st.st_size)
    known[location] = found
    return found


_BYTE_COUNT = re.compile(r"[0-9]{1,19}")


def _external_problem(folder: Path, ref: ExternalData, known: dict, ranges: dict) -> tuple[str, str] | None:
    """Why ``ref``'s data is not checked (en, zh), or None when its file holds it: inside
    ``folder``, ``length`` (if given) equal to dtype x dims, the bytes within the file."""
    found = _external_file(folder, ref.location, known)
    if isinstance(found[1], str):
        return found
    key, size = found
    shown = repr(printable_name(ref.location))
    for label, text in (("offset", ref.offset), ("length", ref.length)):
        if text is not None and not _BYTE_COUNT.fullmatch(text):
            return (f"has the {label} {printable_name(text)!r} in {shown}, which is not a byte count",
                    f"在 {shown} 中的 {label} 为 {printable_name(text)!r}，不是字节数")
    if ref.bits is None:
        return (f"has a data type of no fixed size, so its data in {shown} cannot be checked",
                f"的数据类型没有固定长度，无法核对其在 {shown} 中的数据")
    need = (ref.numel * ref.bits + 7) // 8
    offset = int(ref.offset or 0)
    if ref.length is not None and int(ref.length) != need:
        return (f"declares {int(ref.length):,} bytes of data in {shown}, its dtype and dims need {need:,}",
                f"声明其在 {shown} 中的数据为 {int(ref.length):,} 字节，按数据类型和维度应为 {need:,} 字节")
    if offset + need > size:
        return (f"needs {need:,} bytes from byte {offset:,} of {shown}, which has {size:,} bytes",
                f"需要 {shown} 中自字节偏移 {offset:,} 起的 {need:,} 字节，但该文件只有 {size:,} 字节")
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
                ref.problem = (f"has data (bytes {start:,} to {end - 1:,} of {printable_name(ref.location)!r}) "
                               f"that overlaps that of {printable_name(owner.name)!r}",
                               f"的数据（{printable_name(ref.location)!r} 中字节偏移 {start:,} 至 {end - 1:,}）"
                               f"与 {printable_name(owner.name)!r} 的数据重叠")
            if end > reach:
                reach, owner = end, ref


def external_problem(ref: ExternalData) -> tuple[str, str]:
    """The located sentence (en, zh) of a reference's problem."""
    kind = ("initializer", "初始化器") if ref.initializer else ("tensor", "张量")
    name = repr(printable_name(ref.name))
    return (f"{kind[0]} {name} (byte {ref.at} of the model file) {ref.problem[0]}",
            f"{kind[1]} {name}（模型文件字节偏移 {ref.at}）{ref.problem[1]}")


def leave_out_unchecked(info: ModelInfo) -> None:
    """A parameter count that rests on external data not checked is not reported, and a note says
    which initializers it rests on."""
    unchecked = [e for e in info.external_data if e.initializer and e.problem]
    if not unchecked:
        return
    info.total_parameters = None
    info.parameters_by_dtype = {}
    named = "; ".join(external_problem(e)[0] for e in unchecked[:3])
    more = f"; and {len(unchecked) - 3:,} more" if len(unchecked) > 3 else ""
    info.notes.append(f"{len(unchecked):,} initializer(s) keep their data in external files that could not be "
                      f"checked, so no parameter count is reported: {named}{more}")
