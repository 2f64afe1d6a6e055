"""Which container a model file is, from its first bytes (then its suffix), in the order
``torch.load`` tries them; a zip archive is opened here, under the file's budget, and handed on."""

from __future__ import annotations

import struct
import tarfile
import zipfile
from pathlib import Path

from . import pickles
from .modelinfo import ModelFileError, register_model_file_check
from .ziparchive import open_zip

register_model_file_check("modelfile.format", "The file is a model file of a format the tool reads",
                          "文件为本工具可读取格式的模型文件", {
    "unknown": ("unknown model file format (supported: ONNX, safetensors, PyTorch, pickle)",
                "未知的模型文件格式（支持 ONNX、safetensors、PyTorch、pickle）"),
    "zip": ("a zip archive that is neither a PyTorch checkpoint (no data.pkl) nor a Keras model",
            "该 zip 归档既不是 PyTorch 检查点（没有 data.pkl），也不是 Keras 模型"),
    "not-inspected": ("{container} files are recognised but not yet inspected", "可识别 {container} 文件，但尚不能检查其内容"),
    "not-regular": ("not a regular file", "不是普通文件"),
})

MAX_SAFETENSORS_HEADER = 100 << 20  # the format's own limit; inspect reads at most Budget.max_json_bytes
TORCH_MAGIC = 0x1950A86A20F9469CFC6C  # the first pickle of torch's legacy format
HEAD_BYTES = 512  # a tar header


def _zip_kind(zf: zipfile.ZipFile) -> str:
    """The container a zip archive is, by the names of its members."""
    base = {n.lower().rsplit("/", 1)[-1] for n in zf.namelist()}
    if "constants.pkl" in base:
        return "torchscript"
    if "data.pkl" in base:
        return "pytorch-zip"
    names = zf.namelist()
    if "config.json" in names and any(n.endswith(".weights.h5") for n in names):
        return "keras"
    raise ModelFileError("modelfile.format", "zip")


def detect_container(path: Path, budget: pickles.Budget) -> tuple[str, zipfile.ZipFile | None]:
    """The container kind, in the order ``torch.load`` tries them: a zip by its first bytes, then a
    tar archive (the oldest torch format), then a pickle; safetensors and ONNX by their headers. A
    pickle of any protocol is recognised by its content whatever the file's suffix, since
    ``pickle.load`` and ``torch.load`` read it whatever the file is called. A zip archive is
    returned open (the caller closes it), else None."""
    with open(path, "rb") as fh:
        head = fh.read(HEAD_BYTES)
    if head[:4] == b"PK\x03\x04":
        zf = open_zip(path, budget)
        try:
            return _zip_kind(zf), zf
        except BaseException:
            zf.close()
            raise
    if len(head) >= 8:
        (n,) = struct.unpack("<Q", head[:8])
        if 2 <= n <= MAX_SAFETENSORS_HEADER and head[8:9] == b"{":
            return "safetensors", None
    if _is_tar(head):
        return "pytorch-tar", None
    suffix = path.suffix.lower()
    if suffix == ".onnx" or head[:1] == b"\x08":  # ModelProto starts with field 1 (ir_version)
        return "onnx", None
    if pickles.sniff(head[:pickles.SNIFF_BYTES], budget) or suffix in (".pkl", ".pickle"):
        return ("pytorch-legacy" if _is_torch_legacy(head, budget) else "pickle"), None
    raise ModelFileError("modelfile.format", "unknown")


def _is_tar(head: bytes) -> bool:
    """Whether tarfile (which torch.load tries first on a file that is not a zip) reads ``head`` as a
    tar header: a block whose checksum is right."""
    try:
        tarfile.TarInfo.frombuf(head, "utf-8", "surrogateescape")
    except (tarfile.HeaderError, ValueError):
        return False
    return True


def _is_torch_legacy(head: bytes, budget: pickles.Budget) -> bool:
    """Whether the first pickle is torch's magic number (torch.load then reads four more)."""
    try:
        roots = pickles.scan_bytes(head, "magic", budget.sniffer()).roots
    except (pickles.PickleError, pickles.LimitExceeded):
        return False
    return type(roots[0]) is int and roots[0] == TORCH_MAGIC
