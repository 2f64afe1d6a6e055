"""Zip archives (PyTorch checkpoints, TorchScript, Keras) read under a model file's budget: the
central directory is counted against the member limit before :mod:`zipfile` builds an object for
each entry, only the compression methods zipfile reads are opened, and whatever zipfile raises on a
damaged member becomes a located :class:`.modelinfo.ModelFileError`."""

from __future__ import annotations

import struct
import zipfile
import zlib
from pathlib import Path

try:
    import lzma
except ImportError:  # pragma: no cover - Python built without lzma
    lzma = None

from . import pickles
from .modelinfo import ModelFileError, register_model_file_check, scan_error

# What reading a zip archive can raise on a damaged or unusual member (and what we turn into a
# located ModelFileError): bad headers and CRCs, truncated or invalid compressed data, encryption.
ZIP_ERRORS = (zipfile.BadZipFile, zipfile.LargeZipFile, NotImplementedError, RuntimeError, zlib.error,
              EOFError, OSError, ValueError, struct.error, UnicodeDecodeError) + (
              (lzma.LZMAError,) if lzma is not None else ())
# Compression methods zipfile reads (PyTorch itself writes only stored and deflated members).
ZIP_METHODS = {zipfile.ZIP_STORED: "stored", zipfile.ZIP_DEFLATED: "deflated", zipfile.ZIP_BZIP2: "bzip2",
               zipfile.ZIP_LZMA: "lzma"}
ZIP_METHOD_NAMES = {9: "deflate64", 6: "implode", 93: "zstd", 98: "ppmd"}

register_model_file_check("modelfile.zip", "The zip archive can be read as PyTorch reads it", "zip 归档可按 PyTorch 的方式读取", {
    "unreadable": ("cannot read the zip archive: {reason}", "无法读取 zip 归档：{reason}"),
    "method": ("compression method {method} ({method_name}) is not supported; PyTorch writes stored or deflated members only",
               "不支持压缩方法 {method}（{method_name}）；PyTorch 只写入未压缩或以 deflate 压缩的成员"),
})


def zip_error(exc: Exception, member: str | None = None) -> ModelFileError:
    """What zipfile raised, as a ModelFileError located at ``member``."""
    return ModelFileError("modelfile.zip", "unreadable", member=member, reason=str(exc))


def _zip_entry_count(fh, limit: int) -> int:
    """How many central-directory entries zipfile would read, counted up to ``limit + 1``, found the
    way zipfile finds them, before zipfile builds an object for each."""
    end_record = getattr(zipfile, "_EndRecData", None)
    if end_record is None:  # pragma: no cover - present in every CPython 3
        return 0
    try:
        rec = end_record(fh)
    except ZIP_ERRORS:
        return 0  # zipfile says what is wrong when it opens the file
    if not rec:
        return 0  # zipfile says what is wrong
    size_cd, offset_cd, location = rec[zipfile._ECD_SIZE], rec[zipfile._ECD_OFFSET], rec[zipfile._ECD_LOCATION]
    concat = location - size_cd - offset_cd
    if rec[zipfile._ECD_SIGNATURE] == zipfile.stringEndArchive64:
        concat -= zipfile.sizeEndCentDir64 + zipfile.sizeEndCentDir64Locator
    pos = start = offset_cd + concat
    count = 0
    while 0 <= pos and pos - start < size_cd and count <= limit:
        fh.seek(pos)
        head = fh.read(46)
        if len(head) != 46 or head[:4] != b"PK\x01\x02":
            break
        pos += 46 + sum(struct.unpack_from("<3H", head, 28))
        count += 1
    return count


def open_zip(path: Path, budget: pickles.Budget) -> zipfile.ZipFile:
    """The zip archive at ``path``, once its central directory is known to hold no more entries
    than ``budget`` allows members."""
    with open(path, "rb") as fh:
        if _zip_entry_count(fh, budget.max_members) > budget.max_members:
            raise scan_error(budget.exceeded("members"))
    try:
        return zipfile.ZipFile(path)
    except ZIP_ERRORS as exc:
        raise zip_error(exc) from None


def check_method(item: zipfile.ZipInfo) -> None:
    """Refuse a member compressed by a method zipfile does not read."""
    if item.compress_type not in ZIP_METHODS:
        raise ModelFileError("modelfile.zip", "method", member=item.filename, method=item.compress_type,
                             method_name=ZIP_METHOD_NAMES.get(item.compress_type, "unknown"))


def member_head(zf: zipfile.ZipFile, item: zipfile.ZipInfo, budget: pickles.Budget, n: int) -> bytes:
    """The first ``n`` bytes of a member (decompressed), charged to ``budget``."""
    check_method(item)
    try:
        with zf.open(item) as fh:
            head = fh.read(n)
    except ZIP_ERRORS as exc:
        raise zip_error(exc, item.filename) from None
    budget.spend("bytes", len(head))
    return head
