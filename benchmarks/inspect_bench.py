"""Benchmark: `modelcard-spec inspect` (header parse + streamed SHA-256) of a large model file,
against `sha256sum` of the same file, in the same run; and peak memory of inspect.

    python3 benchmarks/inspect_bench.py --size-gib 1 --repeat 3

Writes a ONNX and a safetensors file of the given size into a temporary folder by streaming
(the payload is zeros; the structure is real), then times each command as a fresh process,
interleaved, and reports medians and the ratio. Target: ratio ≤ 1.3 and peak RSS under 100 MiB
whatever the file size.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import struct
import subprocess
import sys
import tempfile
import time
from pathlib import Path

CHUNK = 1 << 24


def _varint(n: int) -> bytes:
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        out.append(b | (0x80 if n else 0))
        if not n:
            return bytes(out)


def _field(num: int, payload: bytes) -> bytes:
    return _varint(num << 3 | 2) + _varint(len(payload)) + payload


def _zeros(fh, n: int) -> None:
    block = bytes(CHUNK)
    while n > 0:
        fh.write(block[:min(n, CHUNK)])
        n -= CHUNK


def write_onnx(path: Path, nbytes: int) -> None:
    """ModelProto{ir_version 8, opset 17, graph{Identity node, input, output, one float initializer}}."""
    numel = nbytes // 4
    name = _field(8, b"big.weight")
    dims = _varint(1 << 3 | 0) + _varint(numel)
    dtype = _varint(2 << 3 | 0) + _varint(1)
    raw_head = _varint(9 << 3 | 2) + _varint(numel * 4)
    tensor_len = len(dims) + len(dtype) + len(name) + len(raw_head) + numel * 4
    vi = lambda n: _field(1, n) + _field(2, _field(1, _varint(1 << 3) + _varint(1) + _field(2, _field(1, _varint(1 << 3) + _varint(1)))))  # noqa: E731
    node = _field(1, b"x") + _field(2, b"y") + _field(4, b"Identity")
    graph_rest = _field(1, node) + _field(2, b"g") + _field(11, vi(b"x")) + _field(12, vi(b"y"))
    init_head = _varint(5 << 3 | 2) + _varint(tensor_len)
    graph_len = len(graph_rest) + len(init_head) + tensor_len
    with open(path, "wb") as fh:
        fh.write(_varint(1 << 3) + _varint(8))
        fh.write(_field(8, _field(1, b"") + _varint(2 << 3) + _varint(17)))
        fh.write(_varint(7 << 3 | 2) + _varint(graph_len))
        fh.write(graph_rest + init_head + dims + dtype + name + raw_head)
        _zeros(fh, numel * 4)


def write_safetensors(path: Path, nbytes: int) -> None:
    numel = nbytes // 2
    header = json.dumps({"big.weight": {"dtype": "F16", "shape": [numel], "data_offsets": [0, numel * 2]}}).encode()
    with open(path, "wb") as fh:
        fh.write(struct.pack("<Q", len(header)) + header)
        _zeros(fh, numel * 2)


INSPECT = ("import resource, sys; from modelcard_spec.cli import main; code = main(['inspect', sys.argv[1], '--format', 'json']);"
           "sys.stderr.write('MAXRSS %d\\n' % resource.getrusage(resource.RUSAGE_SELF).ru_maxrss); sys.exit(code)")


def timed(cmd: list[str]) -> tuple[float, str]:
    start = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    if proc.returncode != 0:
        raise SystemExit(f"{cmd[0]} failed: {proc.stderr[-500:]}")
    return elapsed, proc.stderr


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--size-gib", type=float, default=1.0)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    nbytes = int(args.size_gib * (1 << 30))
    print(f"Machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}; "
          f"median of {args.repeat} interleaved runs, fresh processes; page cache warm (one untimed read first).\n")
    print("| File | inspect (header + SHA-256) | sha256sum | Ratio | Peak RSS of inspect | Target |")
    print("|---|---|---|---|---|---|")
    with tempfile.TemporaryDirectory() as tmp:
        for kind, writer in (("onnx", write_onnx), ("safetensors", write_safetensors)):
            path = Path(tmp) / f"big.{kind}"
            writer(path, nbytes)
            subprocess.run(["sha256sum", str(path)], capture_output=True, check=True)  # warm the cache
            ours, base, rss = [], [], []
            for _ in range(args.repeat):
                t, err = timed([sys.executable, "-c", INSPECT, str(path)])
                ours.append(t)
                rss.append(int(err.split("MAXRSS ")[1].split()[0]) / 1024)
                base.append(timed(["sha256sum", str(path)])[0])
            a, b = statistics.median(ours), statistics.median(base)
            size = path.stat().st_size / (1 << 30)
            print(f"| {kind}, {size:.2f} GiB | {a:.2f} s | {b:.2f} s | {a / b:.2f}× | {max(rss):.0f} MiB | ≤ 1.3×, < 100 MiB |")
            path.unlink()


if __name__ == "__main__":
    main()
