"""Where ``verify`` saves the produced outputs: one ``.npz`` file per example in the output folder,
under the policy of :mod:`..spec.safewrite` (never an input, never through a symbolic link, an
existing file only with ``force``), whose name :func:`output_stems` makes distinct for distinct
examples, and whose bytes are the same for the same outputs."""

from __future__ import annotations

import hashlib
import io
import re
import zipfile
from collections import Counter
from pathlib import Path

from ..spec import safewrite

OUTPUT_SUFFIX = ".outputs.npz"
_PLAIN_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")


def output_stems(names: list[str]) -> list[str]:
    """A file stem per example name, distinct for distinct examples (also where case is ignored).

    A name of at most 64 letters, digits, ``.``, ``_`` and ``-`` that starts with a letter or digit,
    has no ``--`` and is the only one of its spelling ignoring case is kept as it is; any other
    becomes ``SANITISED--HASH`` (characters outside that set replaced by ``_``, 12 hex digits of the
    SHA-256 of the name, and of its position when two examples have the same name). Kept names have
    no ``--``, so they never meet a changed one."""
    folded = Counter(n.casefold() for n in names)
    exact = Counter(names)
    stems = []
    for i, name in enumerate(names):
        if _PLAIN_NAME.fullmatch(name) and "--" not in name and folded[name.casefold()] == 1:
            stems.append(name)
            continue
        key = f"{i}\n{name}" if exact[name] > 1 else name
        digest = hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()[:12]
        safe = re.sub(r"[^A-Za-z0-9_.-]", "_", name).lstrip("._-")[:48] or "example"
        stems.append(f"{safe}--{digest}")
    return stems


def output_targets(names: list[str], inputs: list, out_dir: Path, force: bool = False) -> list[Path]:
    """The output file of each example (by its name) in ``out_dir``, checked against the output
    policy (:class:`..spec.safewrite.OutputError` if one may not be written; ``inputs``: the files the
    run reads); nothing is created yet."""
    targets = [out_dir / f"{stem}{OUTPUT_SUFFIX}" for stem in output_stems(names)]
    safewrite.prepare_folder(out_dir, create=False)  # a link or a file there is refused
    if out_dir.is_dir():
        for target in targets:
            safewrite.check_target(target, inputs, force)
    return targets


def _outputs_npz(np, arrays: dict) -> bytes:
    """The produced outputs as an ``.npz`` with members in name order, stored, at a fixed date: the
    same outputs always give the same bytes."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_STORED) as archive:
        for name in sorted(arrays):
            with archive.open(zipfile.ZipInfo(f"{name}.npy", date_time=(1980, 1, 1, 0, 0, 0)), "w") as fh:
                np.lib.format.write_array(fh, np.asanyarray(arrays[name]), allow_pickle=False)
    return out.getvalue()


def save_outputs(np, arrays: dict, target: Path, out_dir: Path, inputs: list, force: bool = False) -> str:
    """Write ``arrays`` to ``target`` in ``out_dir`` (created if need be) under the output policy;
    the SHA-256 of the bytes written."""
    data = _outputs_npz(np, arrays)
    safewrite.prepare_folder(out_dir)
    safewrite.write_file(target, data, inputs, force)
    return hashlib.sha256(data).hexdigest()
