"""Inspect a delivered model file without running it and without loading it whole into memory:
the one entry of the model-file layer. The container is found by :mod:`.detect`; each format has its
reader (:mod:`.onnxfile`, :mod:`.safetensorsfile`, :mod:`.torchfile` for PyTorch checkpoints and
plain pickles), every one under the file's :class:`.pickles.Budget`; the result is a
:class:`.modelinfo.ModelInfo` (``inspect`` writes it with :mod:`.fragment`). The SHA-256 is computed
by streaming the file in 1 MiB blocks."""

from __future__ import annotations

import os
from pathlib import Path

from . import pickles
from ..spec.digests import sha256_file
from .detect import detect_container
from .modelinfo import ModelFileError, ModelInfo, scan_error
from .onnxfile import inspect_onnx
from .safetensorsfile import inspect_safetensors
from .torchfile import inspect_pickle, inspect_torch_legacy, inspect_torch_tar, inspect_torch_zip


def inspect_file(path: str | os.PathLike, budget: pickles.Budget | None = None) -> ModelInfo:
    """Inspect one model file within ``budget`` (default limits when None).

    Raises :class:`ModelFileError` (the file is not a readable model, or reading it would exceed the
    budget) or :class:`OSError` (the file cannot be opened)."""
    p = Path(path)
    if not p.is_file():
        raise ModelFileError("modelfile.format", "not-regular")
    budget = budget or pickles.Budget()
    container, zf = detect_container(p, budget)
    info = None
    try:
        size = p.stat().st_size
        suffix = p.suffix.lower().lstrip(".")
        fmt = {"onnx": "onnx", "safetensors": "safetensors", "torchscript": "torchscript",
               "keras": "keras"}.get(container)
        if fmt is None:
            fmt = suffix if suffix in ("pt", "pth", "bin", "ckpt", "pkl") else ("pkl" if container == "pickle" else "pt")
        info = ModelInfo(path=str(p), format=fmt, container=container, size_bytes=size, sha256=sha256_file(p))
        budget.start()  # the digest is linear in the file size; the budget is for what follows
        if container == "onnx":
            inspect_onnx(p, info, budget)
        elif container == "safetensors":
            inspect_safetensors(p, info, budget)
        elif container in ("pytorch-zip", "torchscript"):
            inspect_torch_zip(zf, info, budget)
        elif container == "pytorch-legacy":
            inspect_torch_legacy(p, info, budget)
        elif container == "pytorch-tar":
            inspect_torch_tar(p, info, budget)
        elif container == "pickle":
            inspect_pickle(p, info, budget)
        else:
            raise ModelFileError("modelfile.format", "not-inspected", container=container)
    except pickles.LimitExceeded as exc:
        error = scan_error(exc)
        error.info = info
        raise error from None
    except ModelFileError as exc:
        exc.info = info  # with the findings read before the error
        raise
    finally:
        if zf is not None:
            zf.close()
    return info
