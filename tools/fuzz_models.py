"""Mutation fuzzer: drive mutated model files through ``inspect`` in process.

Seeds are real model files (the example ONNX model, the PyTorch files in tests/data/models, the
``.onnx``/``.pt``/``.pth``/``.safetensors``/``.pkl``/``.pickle``/``.ckpt`` files that installed
packages ship, such as onnx's backend test models) and crafted ones (well-formed checkpoints and
safetensors files, and the hostile files of tests/test_hostile_models.py). Each case applies one (half
the time) to four mutations to one seed: bit flips, interesting bytes and integers, insertions, deletions,
duplications, truncation, splices with another seed, pickle opcodes; for zip archives a mutation
of one member re-packed with valid CRCs, a renamed, recompressed or added member; for tar archives
(PyTorch's oldest format) a mutated, renamed, retyped (link, folder) or added member; for
safetensors a mutated JSON header. The case goes through ``modelfiles.reader.inspect_file``,
``modelfiles.fragment.card_fragment`` and ``summary`` and the JSON and YAML serialisers, and
every ``--cli-every``-th case also through the command line's ``main`` (output captured).

Outcomes: *clean*, *finding* (a critical import, also when an error follows it), *unreadable*.
A *crash* is any exception other than ``modelfiles.modelinfo.ModelFileError`` (or an exit code outside
0-2, or a traceback, from ``main``); a *slow* case takes longer than ``--slow`` seconds, a *hang*
hits ``--time-limit``; a *memory* case raises the process's peak resident memory more than
``--memory-mib`` above what it was before the case. The run is deterministic for a given ``--seed`` (the cases, not the timings).

Usage::

    python tools/fuzz_models.py --cases 10000 --seed 1 [--out fuzz-out] [--json]

Exit status: 0 when there is no crash, hang or memory case, 1 otherwise. Reproducers of each
distinct crash (by exception type and the innermost frame in modelcard_spec) go to ``--out``.
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import hashlib
import io
import json
import pickletools
import random
import resource
import signal
import struct
import sys
import tarfile
import tempfile
import time
import traceback
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

from modelcard_spec.modelfiles.fragment import card_fragment, summary
from modelcard_spec.modelfiles.modelinfo import ModelFileError
from modelcard_spec.modelfiles.reader import inspect_file

SUFFIXES = (".pt", ".pth", ".pkl", ".bin", ".ckpt", ".onnx", ".safetensors", "")
MODEL_SUFFIXES = {".onnx", ".pt", ".pth", ".safetensors", ".pkl", ".pickle", ".ckpt"}
INTERESTING_BYTES = (0x00, 0x01, 0x7F, 0x80, 0xFF, 0x0A, 0x2E, 0x28)
INTERESTING_INTS = (0, 1, 2, 0x7F, 0x80, 0xFF, 0x7FFF, 0xFFFF, (1 << 31) - 1, 1 << 31, (1 << 32) - 1, 1 << 62,
                    (1 << 63) - 1, (1 << 64) - 1)
OPCODES = [op.code.encode("latin-1") for op in pickletools.opcodes]


# --- seeds ----------------------------------------------------------------------------------------

def _site_packages() -> list[Path]:
    import sysconfig

    return [Path(p) for p in {sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]} if Path(p).is_dir()]


@functools.lru_cache(maxsize=4)
def real_seeds(max_bytes: int) -> dict[str, bytes]:
    """Model files found in the project and in installed packages, up to ``max_bytes`` each."""
    found: dict[str, bytes] = {}
    places = [(ROOT / "examples", "examples"), (ROOT / "tests" / "data", "tests/data")]
    places += [(p, "site-packages") for p in _site_packages()]
    for folder, label in places:
        for path in sorted(folder.rglob("*")):
            if path.suffix.lower() not in MODEL_SUFFIXES or not path.is_file() or path.is_symlink():
                continue
            if path.suffix == ".pth" and path.stat().st_size < 1024:
                continue  # site-packages .pth files are path lists, not PyTorch files
            if path.stat().st_size <= max_bytes:
                found[f"{label}:{path.relative_to(folder)}"] = path.read_bytes()
    return found


@functools.lru_cache(maxsize=4)
def crafted_seeds(max_bytes: int) -> dict[str, bytes]:
    """Well-formed crafted files, and the small hostile files of the test corpus."""
    out: dict[str, bytes] = {}
    sys.path.insert(0, str(ROOT / "tests"))
    try:
        import test_hostile_models as hostile
    except ImportError as exc:  # pragma: no cover - the tests need pytest
        print(f"note: crafted hostile seeds skipped ({exc})", file=sys.stderr)
        return out
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        good = hostile.write_zip(folder / "good.pt", hostile.torch_members(hostile.tensor_pickle(numel=6, shape=(2, 3))))
        out["crafted:good.pt"] = good.read_bytes()
        header = {"__metadata__": {"format": "pt"}, "a": {"dtype": "F16", "shape": [2, 2], "data_offsets": [0, 8]},
                  "b": {"dtype": "I8", "shape": [3], "data_offsets": [8, 11]}}
        out["crafted:good.safetensors"] = hostile.safetensors(header, bytes(11))
        out["crafted:legacy-tar.pt"] = hostile.write_tar(folder / "old.pt", hostile.legacy_tar_members()).read_bytes()
        out["crafted:plain.pkl"] = b"\x80\x04\x95\x1a\x00\x00\x00\x00\x00\x00\x00}\x94(\x8c\x01a\x94K\x01\x8c\x01b\x94]\x94(K\x02G?\xf0\x00\x00\x00\x00\x00\x00eu."
        for name in hostile.SEEDS:
            path = hostile.build(name, folder / name)
            if path.stat().st_size <= max_bytes:
                out[f"hostile:{name}"] = path.read_bytes()
    return out


# --- mutations ------------------------------------------------------------------------------------

def _pos(rng: random.Random, data: bytes) -> int:
    return rng.randrange(len(data)) if data else 0


def flip_bit(rng, data, seeds):
    if not data:
        return data
    i = _pos(rng, data)
    return data[:i] + bytes([data[i] ^ (1 << rng.randrange(8))]) + data[i + 1:]


def set_byte(rng, data, seeds):
    if not data:
        return bytes([rng.choice(INTERESTING_BYTES)])
    i = _pos(rng, data)
    return data[:i] + bytes([rng.choice(INTERESTING_BYTES + (rng.randrange(256),))]) + data[i + 1:]


def set_int(rng, data, seeds):
    width = rng.choice((1, 2, 4, 8))
    value = rng.choice(INTERESTING_INTS) & ((1 << (8 * width)) - 1)
    i = _pos(rng, data)
    return data[:i] + value.to_bytes(width, "little") + data[i + width:]


def insert_bytes(rng, data, seeds):
    i = _pos(rng, data)
    chunk = bytes(rng.choice(INTERESTING_BYTES) if rng.random() < 0.5 else rng.randrange(256)
                  for _ in range(rng.randint(1, 16)))
    return data[:i] + chunk + data[i:]


def delete_range(rng, data, seeds):
    if len(data) < 2:
        return data
    i = _pos(rng, data)
    return data[:i] + data[i + rng.randint(1, min(64, len(data) - i)):]


def duplicate_range(rng, data, seeds):
    if not data:
        return data
    i = _pos(rng, data)
    chunk = data[i:i + rng.randint(1, 256)]
    j = _pos(rng, data)
    return data[:j] + chunk * rng.randint(1, 8) + data[j:]


def truncate(rng, data, seeds):
    return data[:_pos(rng, data)]


def splice(rng, data, seeds):
    other = seeds[rng.choice(sorted(seeds))]
    if not other:
        return data
    a = _pos(rng, other)
    chunk = other[a:a + rng.randint(1, 512)]
    i = _pos(rng, data)
    return data[:i] + chunk + data[i + (len(chunk) if rng.random() < 0.5 else 0):]


def pickle_opcode(rng, data, seeds):
    i = _pos(rng, data)
    return data[:i] + rng.choice(OPCODES) + data[i + (1 if rng.random() < 0.5 else 0):]


BYTE_MUTATIONS = (flip_bit, set_byte, set_int, insert_bytes, delete_range, duplicate_range, truncate, splice,
                  pickle_opcode)


def zip_member(rng, data, seeds):
    """Mutate the archive at the member level and write it again, so CRCs and sizes stay valid."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            members = [(i.filename, zf.read(i), i.compress_type) for i in zf.infolist()]
    except Exception:  # a seed or earlier mutation that is no longer a readable zip
        return rng.choice(BYTE_MUTATIONS)(rng, data, seeds)
    if not members:
        return data
    k = rng.randrange(len(members))
    name, content, method = members[k]
    action = rng.randrange(5)
    if action == 0:
        content = rng.choice(BYTE_MUTATIONS)(rng, content, seeds)
    elif action == 1:
        name = "".join(c.upper() if rng.random() < 0.5 else c.lower() for c in name)
    elif action == 2:
        method = rng.choice((zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED, zipfile.ZIP_BZIP2, zipfile.ZIP_LZMA))
    elif action == 3:
        members.append((name.rsplit("/", 1)[0] + f"/extra{rng.randrange(100)}.pkl",
                        seeds[rng.choice(sorted(seeds))][:4096], zipfile.ZIP_STORED))
    else:
        del members[k]
        k = None
    if k is not None:
        members[k] = (name, content, method)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as zf:
        for name, content, method in members:
            zf.writestr(zipfile.ZipInfo(name, (1980, 1, 1, 0, 0, 0)), content, compress_type=method)
    return out.getvalue()


def tar_member(rng, data, seeds):
    """Mutate one member of a tar archive (its content, its name, its type) or add one, and write the
    archive again, so that headers and checksums stay valid."""
    try:
        with tarfile.open(fileobj=io.BytesIO(data), mode="r:") as tar:
            members = [(m, tar.extractfile(m).read() if m.isreg() else b"") for m in tar.getmembers()]
    except Exception:  # a seed or earlier mutation that is no longer a readable tar
        return rng.choice(BYTE_MUTATIONS)(rng, data, seeds)
    if not members:
        return data
    k = rng.randrange(len(members))
    info, content = members[k]
    action = rng.randrange(4)
    if action == 0:
        content = rng.choice(BYTE_MUTATIONS)(rng, content, seeds)
    elif action == 1:
        info.name = rng.choice(("pickle", "storages", "tensors", "sys_info", "./pickle", "pickle/"))
    elif action == 2:
        info.type = rng.choice((tarfile.SYMTYPE, tarfile.LNKTYPE, tarfile.DIRTYPE, tarfile.FIFOTYPE))
        info.linkname, content = rng.choice(members)[0].name, b""
    else:
        extra = tarfile.TarInfo(rng.choice(("pickle", "storages", "tensors")))
        members.append((extra, seeds[rng.choice(sorted(seeds))][:4096]))
    members[k] = (info, content)
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for info, content in members:
            info.size = len(content) if info.isreg() else 0
            tar.addfile(info, io.BytesIO(content) if info.isreg() else None)
    return out.getvalue()


def safetensors_header(rng, data, seeds):
    """Mutate one value of a safetensors JSON header and write the header back."""
    try:
        (n,) = struct.unpack("<Q", data[:8])
        header = json.loads(data[8:8 + n])
        names = sorted(k for k in header if k != "__metadata__")
        entry = header[rng.choice(names)]
    except Exception:
        return rng.choice(BYTE_MUTATIONS)(rng, data, seeds)
    field = rng.choice(("shape", "data_offsets", "dtype", "nest", "new"))
    if field == "dtype":
        entry["dtype"] = rng.choice(("F32", "F4", "F6_E2M3", "C64", "X9", 7, None))
    elif field == "nest":
        entry[rng.choice(("shape", "dtype"))] = [[[rng.choice(INTERESTING_INTS)]]]
    elif field == "new":
        header[f"t{rng.randrange(100)}"] = {"dtype": "F32", "shape": [rng.choice(INTERESTING_INTS)],
                                            "data_offsets": [0, rng.choice(INTERESTING_INTS)]}
    elif isinstance(entry.get(field), list) and entry[field]:
        entry[field][rng.randrange(len(entry[field]))] = rng.choice(INTERESTING_INTS + (-1, True, 1.5, "x"))
    raw = json.dumps(header).encode()
    return struct.pack("<Q", len(raw)) + raw + data[8 + n:]


def kind(data: bytes) -> str:
    """The seed's family, so that each family is drawn equally often whatever its number of seeds."""
    if data[:4] == b"PK\x03\x04":
        return "zip"
    if data[257:262] == b"ustar":
        return "tar"
    if data[8:9] == b"{":
        return "safetensors"
    if data[:1] == b"\x80" or data[:1] in b"(c]}":
        return "pickle"
    return "other"


def mutate(rng: random.Random, data: bytes, seeds: dict) -> bytes:
    for _ in range(1 if rng.random() < 0.5 else rng.randint(2, 4)):
        if data[:4] == b"PK\x03\x04" and rng.random() < 0.5:
            data = zip_member(rng, data, seeds)
        elif data[257:262] == b"ustar" and rng.random() < 0.5:
            data = tar_member(rng, data, seeds)
        elif data[8:9] == b"{" and rng.random() < 0.5:
            data = safetensors_header(rng, data, seeds)
        else:
            data = rng.choice(BYTE_MUTATIONS)(rng, data, seeds)
    return data


# --- running --------------------------------------------------------------------------------------

class _Timeout(BaseException):
    """Raised by the per-case alarm (a BaseException so that no ``except Exception`` swallows it)."""


def _on_alarm(signum, frame):
    raise _Timeout()


def _memory_mib(field: str = "VmHWM") -> float:
    """Peak resident memory since the last reset (VmHWM) or the current one (VmRSS); without /proc,
    the peak of the process's whole life."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _reset_peak() -> None:
    with contextlib.suppress(OSError):
        Path("/proc/self/clear_refs").write_text("5")


def _signature(exc: BaseException) -> str:
    frames = [f for f in traceback.extract_tb(exc.__traceback__) if "modelcard_spec" in f.filename]
    where = f"{Path(frames[-1].filename).name}:{frames[-1].lineno}" if frames else "?"
    return f"{type(exc).__name__} at {where}"


def run_case(path: Path) -> str:
    """Inspect one file as ``inspect`` does; the outcome, or raise what is not a documented error."""
    try:
        info = inspect_file(path)
    except ModelFileError as exc:
        assert exc.message and exc.message_zh and exc.issue.rule.startswith("modelfile.")
        # findings read before the error are reported with it (inspect exits 1)
        return "finding" if exc.info is not None and exc.info.findings else "unreadable"
    fragment = card_fragment(info, "fuzz")
    text = json.dumps({"card_fragment": fragment, "inspection": summary(info)}, ensure_ascii=False)
    text.encode("utf-8")
    import yaml

    yaml.safe_dump(json.loads(json.dumps(fragment)), allow_unicode=True).encode("utf-8")
    return "finding" if info.findings else "clean"


def run_cli(path: Path, fmt: str) -> tuple[int, str]:
    from modelcard_spec import cli

    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = cli.main(["inspect", str(path), "--format", fmt])
    out.getvalue().encode("utf-8"), err.getvalue().encode("utf-8")
    return code, err.getvalue()


def fuzz(cases: int, seed: int = 1, time_limit: float = 10.0, slow: float = 1.0, memory_mib: float = 192,
         cli_every: int = 50, out: Path | None = None, max_seed_bytes: int = 64 << 10, log=None) -> dict:
    seeds = {**real_seeds(max_seed_bytes), **crafted_seeds(max_seed_bytes)}
    families: dict[str, list[str]] = {}
    for name in sorted(seeds):
        families.setdefault(kind(seeds[name]), []).append(name)
    rng = random.Random(seed)
    report = {"command": None, "seed": seed, "seeds": len(seeds), "cases": 0, "outcomes": {}, "by_family": {},
              "crashes": {},
              "slow": [], "hangs": [], "memory": [], "cli_cases": 0, "digest": hashlib.sha256()}
    previous = signal.signal(signal.SIGALRM, _on_alarm)
    start = time.monotonic()
    try:
        with tempfile.TemporaryDirectory() as tmp:
            for n in range(cases):
                family = rng.choice(sorted(families))
                seed_name = rng.choice(families[family])
                data = mutate(rng, seeds[seed_name], seeds)
                suffix = Path(seed_name).suffix if rng.random() < 0.9 else rng.choice(SUFFIXES)
                path = Path(tmp) / f"case{n}{suffix}"
                path.write_bytes(data)
                report["digest"].update(hashlib.sha256(data).digest())
                _reset_peak()
                before = _memory_mib("VmRSS")
                t0 = time.monotonic()
                signal.setitimer(signal.ITIMER_REAL, time_limit)
                try:
                    outcome = run_case(path)
                    if cli_every and n % cli_every == 0:
                        report["cli_cases"] += 1
                        code, err = run_cli(path, ("yaml", "json")[report["cli_cases"] % 2])
                        if code not in (0, 1, 2) or "Traceback" in err:
                            raise AssertionError(f"inspect exited {code}: {err[-300:]}")
                except _Timeout:
                    outcome = "hang"
                    report["hangs"].append({"case": n, "seed": seed_name})
                except Exception as exc:  # noqa: BLE001 - every other exception is a crash to report
                    outcome = "crash"
                    sig = _signature(exc)
                    entry = report["crashes"].setdefault(sig, {"count": 0, "first_case": n, "seed": seed_name,
                                                                "message": str(exc)[:300]})
                    entry["count"] += 1
                    if out is not None and entry["count"] == 1:
                        out.mkdir(parents=True, exist_ok=True)
                        (out / f"crash-{len(report['crashes'])}{suffix}").write_bytes(data)
                finally:
                    signal.setitimer(signal.ITIMER_REAL, 0)
                elapsed = time.monotonic() - t0
                if elapsed > slow and outcome != "hang":
                    report["slow"].append({"case": n, "seed": seed_name, "seconds": round(elapsed, 2)})
                growth = _memory_mib() - before
                if growth > memory_mib:
                    report["memory"].append({"case": n, "seed": seed_name, "growth_mib": round(growth)})
                report["outcomes"][outcome] = report["outcomes"].get(outcome, 0) + 1
                counts = report["by_family"].setdefault(family, {})
                counts[outcome] = counts.get(outcome, 0) + 1
                report["cases"] += 1
                path.unlink()
                if log and (n + 1) % 1000 == 0:
                    log(f"{n + 1} cases, {sum(c['count'] for c in report['crashes'].values())} crashes, "
                        f"{time.monotonic() - start:.0f} s")
    finally:
        signal.signal(signal.SIGALRM, previous)
    report["wall_seconds"] = round(time.monotonic() - start, 1)
    report["digest"] = report["digest"].hexdigest()
    return report


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cases", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--time-limit", type=float, default=10.0, help="seconds before a case counts as a hang")
    parser.add_argument("--slow", type=float, default=1.0, help="seconds above which a case is reported as slow")
    parser.add_argument("--memory-mib", type=float, default=192,
                        help="peak resident memory a case may add to the process (a command-line process "
                             "starts near 40 MiB, so 192 keeps it under 256)")
    parser.add_argument("--cli-every", type=int, default=50, help="also run the command line on every N-th case")
    parser.add_argument("--max-seed-bytes", type=int, default=64 << 10)
    parser.add_argument("--out", type=Path, default=None, help="folder for reproducers of crashes")
    parser.add_argument("--json", action="store_true", help="print the whole report as JSON")
    args = parser.parse_args(argv)
    report = fuzz(args.cases, args.seed, args.time_limit, args.slow, args.memory_mib, args.cli_every, args.out,
                  args.max_seed_bytes, log=lambda m: print(m, file=sys.stderr, flush=True))
    report["command"] = "python tools/fuzz_models.py " + " ".join(argv if argv is not None else sys.argv[1:])
    if args.json:
        print(json.dumps(report, indent=2, sort_keys=True))
    else:
        crashes = sum(c["count"] for c in report["crashes"].values())
        print(f"{report['cases']} cases from {report['seeds']} seeds (seed {report['seed']}), "
              f"{report['cli_cases']} through the command line: {crashes} crashes "
              f"({len(report['crashes'])} distinct), {len(report['hangs'])} hangs, {len(report['slow'])} slow "
              f"(> {args.slow} s), {len(report['memory'])} growing memory by over {args.memory_mib:.0f} MiB; "
              f"outcomes {json.dumps(report['outcomes'], sort_keys=True)}; {report['wall_seconds']} s")
        for sig, entry in sorted(report["crashes"].items()):
            print(f"  crash {sig}: {entry['count']} x, first case {entry['first_case']} ({entry['seed']}): {entry['message']}")
        for entry in report["slow"][:20]:
            print(f"  slow case {entry['case']} ({entry['seed']}): {entry['seconds']} s")
    return 1 if report["crashes"] or report["hangs"] or report["memory"] else 0


if __name__ == "__main__":
    sys.exit(main())
