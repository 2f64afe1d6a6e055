"""Hostile model files: crafted pickles, zips, ONNX and safetensors files that crashed, hung, exhausted
memory or fooled ``inspect`` before. Each is built here (large ones as sparse files or repeated
compressed blocks, nothing big is committed) and run through the command line in its own process:
exit 1 (a finding) or 2 (unreadable), a located message in English and Chinese, no traceback, the
payload never runs, no network, the file unchanged, under 2 s of CPU and 256 MiB.

``HOSTILE`` is also a seed corpus for tools/fuzz_models.py."""

from __future__ import annotations

import functools
import hashlib
import io
import itertools
import json
import os
import pickle
import struct
import sys
import tarfile
import zlib
from pathlib import Path

import pytest

from conftest import ROOT, renderings, run_measured
from modelcard_spec.spec import digests
from modelcard_spec.modelfiles.fragment import card_fragment, finding_issues, summary
from modelcard_spec.modelfiles.modelinfo import ModelFileError
from modelcard_spec.modelfiles.reader import inspect_file
from modelcard_spec.modelfiles import pickles as picklescan
from modelcard_spec.spec.registry import lookup

MARKER = "PAYLOAD_RAN"
NETWORK_MARKER = "NETWORK_USED"


# --- building blocks ------------------------------------------------------------------------------

def payload(marker: Path | str = MARKER) -> bytes:
    """A protocol-2 pickle whose loading runs ``os.system('touch <marker>')``."""
    cmd = f"touch {marker}".encode()
    return b"\x80\x02cos\nsystem\n" + b"X" + struct.pack("<I", len(cmd)) + cmd + b"\x85R."


def _binunicode(text: str) -> bytes:
    data = text.encode()
    return b"X" + struct.pack("<I", len(data)) + data


def _int(n: int) -> bytes:
    if -(1 << 31) <= n < 1 << 31:
        return b"J" + struct.pack("<i", n)
    data = n.to_bytes((n.bit_length() + 8) // 8, "little", signed=True)
    return b"\x8a" + bytes([len(data)]) + data


def tensor_pickle(numel: int = 1, shape=(1,), key: str = "0", extra: bytes = b"") -> bytes:
    """A PyTorch-style data.pkl: ``{"w": _rebuild_tensor_v2(storage, 0, shape, stride, False, {})}``;
    ``extra`` (an object) is stored under the key "x" when given."""
    dims = b"".join(_int(d) for d in shape)
    pid = (b"(" + _binunicode("storage") + b"ctorch\nFloatStorage\n" + _binunicode(key) + _binunicode("cpu")
           + _int(numel) + b"tQ")
    tensor = (b"ctorch._utils\n_rebuild_tensor_v2\n(" + pid + b"K\x00(" + dims + b"t(" + b"K\x01" * len(shape)
              + b"t\x89}tR")
    body = b"\x80\x02}(" + _binunicode("w") + tensor + ((_binunicode("x") + extra) if extra else b"") + b"u."
    return body


def _deflate(data: bytes) -> bytes:
    c = zlib.compressobj(9, zlib.DEFLATED, -15)
    return c.compress(data) + c.flush()


def deflate_repeated(head: bytes, block: bytes, times: int, tail: bytes = b"") -> tuple[bytes, int, int]:
    """A raw deflate stream of head + block * times + tail, built from one compressed block repeated
    (each copy starts fresh after a sync flush), with its CRC-32 and size: a zip bomb in seconds."""
    def part(data: bytes) -> bytes:
        c = zlib.compressobj(9, zlib.DEFLATED, -15)
        return c.compress(data) + c.flush(zlib.Z_SYNC_FLUSH)
    packed = part(block)
    crc = zlib.crc32(head)
    for _ in range(times):
        crc = zlib.crc32(block, crc)
    crc = zlib.crc32(tail, crc)
    stream = part(head) + packed * times + part(tail) + b"\x03\x00"  # an empty final block
    return stream, crc, len(head) + len(block) * times + len(tail)


def write_zip(path: Path, members) -> Path:
    """A zip written field by field, so that tests can set what zipfile would not write: a member is
    ``{"name", "data"}`` (stored) or also ``"raw"`` (the bytes as written), ``"method"``, ``"crc"``,
    ``"size"`` (uncompressed), and ``"zeros"`` (that many zero bytes after ``data``, written sparse)."""
    central = []
    count = 0
    with open(path, "wb") as fh:
        for m in members:
            count += 1
            name = m["name"].encode()
            data = m.get("data", b"")
            zeros = m.get("zeros", 0)
            raw = m.get("raw", data)
            crc = m.get("crc")
            if crc is None:
                crc = zlib.crc32(data)
                for start in range(0, zeros, 1 << 24):
                    crc = zlib.crc32(bytes(min(1 << 24, zeros - start)), crc)
            size = m.get("size", len(data) + zeros)
            csize = len(raw) + (zeros if "raw" not in m else 0)
            method = m.get("method", 0)
            offset = fh.tell()
            fh.write(struct.pack("<4s5H3L2H", b"PK\x03\x04", 20, 0, method, 0, 0x21, crc, csize, size, len(name), 0))
            fh.write(name + raw)
            if zeros and "raw" not in m:
                fh.seek(zeros, os.SEEK_CUR)
            central.append(struct.pack("<4s6H3L5H2L", b"PK\x01\x02", 20, 20, 0, method, 0, 0x21, crc, csize, size,
                                       len(name), 0, 0, 0, 0, 0, offset) + name)
        start = fh.tell()
        directory = b"".join(central)
        fh.write(directory)
        fh.write(struct.pack("<4s4H2LH", b"PK\x05\x06", 0, 0, count & 0xFFFF, count & 0xFFFF, len(directory), start, 0))
    return path


def torch_members(data_pkl: bytes, storages: dict | None = None, prefix: str = "archive") -> list[dict]:
    members = [{"name": f"{prefix}/data.pkl", "data": data_pkl}, {"name": f"{prefix}/version", "data": b"3\n"}]
    for key, data in (storages or {"0": b"\0" * 4}).items():
        members.append({"name": f"{prefix}/data/{key}", "data": data})
    return members


def protobuf(number: int, value) -> bytes:
    """One protobuf field: an int (varint) or bytes (length-delimited)."""
    def varint(n: int) -> bytes:
        out = bytearray()
        while True:
            out.append((n & 0x7F) | (0x80 if n > 0x7F else 0))
            n >>= 7
            if not n:
                return bytes(out)
    if isinstance(value, int):
        return varint(number << 3) + varint(value)
    return varint(number << 3 | 2) + varint(len(value)) + value


def onnx_model(graph: bytes) -> bytes:
    return protobuf(1, 8) + protobuf(7, graph) + protobuf(8, protobuf(2, 17))


def safetensors(header: dict | bytes, data: bytes = b"") -> bytes:
    raw = header if isinstance(header, bytes) else json.dumps(header).encode()
    return struct.pack("<Q", len(raw)) + raw + data


# --- the corpus -----------------------------------------------------------------------------------
# name -> (file name, builder(path), expected exit code, text the message must contain)

def _decoy(path):
    return write_zip(path, [{"name": "archive/DATA.PKL", "data": payload()},
                            {"name": "archive/decoy_data.pkl", "data": tensor_pickle()},
                            {"name": "archive/version", "data": b"3\n"}, {"name": "archive/data/0", "data": b"\0" * 4}])


def _upper_only(path):
    return write_zip(path, [{"name": "archive/Data.Pkl", "data": payload()}, {"name": "archive/version", "data": b"3\n"}])


def _pickle_by_content(path):
    protocol0 = b"cos\nsystem\n(S'touch " + MARKER.encode() + b"'\ntR."
    return write_zip(path, torch_members(tensor_pickle()) + [{"name": "archive/extra/hook", "data": protocol0}])


def _pickle_by_content_padded(path):
    protocol0 = b"N0" * 200 + b"cos\nsystem\n(S'touch " + MARKER.encode() + b"'\ntR."
    return write_zip(path, torch_members(tensor_pickle()) + [{"name": "archive/extra/hook", "data": protocol0}])


def _second_pickle(path):
    # pickle.load(f) twice runs the second one
    path.write_bytes(b"\x80\x02}q\x00." + payload())
    return path


def _many_pickles(path):
    path.write_bytes(b"N." * 200_000)
    return path


def _safetensors_header_limit(path):
    n = 64 << 20
    with open(path, "wb") as fh:
        fh.write(struct.pack("<Q", n) + b'{"a":"')
        fh.seek(n - 8, os.SEEK_CUR)
        fh.write(b'"}')
    return path


def _deep_tuple_key(path):
    data = b"\x80\x02}(" + b")" + b"\x85" * 200_000 + b"K\x01u."
    return write_zip(path, [{"name": "archive/data.pkl", "raw": _deflate(data), "method": 8, "crc": zlib.crc32(data),
                             "size": len(data)}, {"name": "archive/version", "data": b"3\n"}])


def _deep_list_key(path):
    path.write_bytes(b"\x80\x02}(" + b"(" * 100_000 + b"l" * 100_000 + b"K\x01u.")
    return path


def _shared_list_key(path):
    # l0 = []; l(i) = [l(i-1), l(i-1)]; {l30: 1}: repr(l30) has 2**30 parts
    body = b"]q\x000" + b"".join(b"(h%ch%clq%c0" % (i - 1, i - 1, i) for i in range(1, 31)) + b"h\x1e"
    path.write_bytes(b"\x80\x02}(" + body + b"K\x01u.")
    return path


def _shared_dicts_pt(path):
    # d0 = {"w": tensor}; d(i) = {"a": d(i-1), "b": d(i-1)}: 2**40 paths to one tensor, and a payload
    inner = tensor_pickle()[len(b"\x80\x02"):-1]  # the dict object, without PROTO and STOP
    body = inner + b"q\x000" + b"".join(b"}(" + _binunicode("a") + b"h" + bytes([i - 1]) + _binunicode("b") + b"h"
                                        + bytes([i - 1]) + b"uq" + bytes([i]) + b"0" for i in range(1, 41)) + b"h\x28"
    data = b"\x80\x02}(" + _binunicode("model") + body + _binunicode("hook") + payload()[2:-1] + b"u."
    return write_zip(path, torch_members(data))


def _corrupt_zip(path):
    path.write_bytes(b"PK\x03\x04" + bytes(range(256)) * 4)
    return path


def _bad_crc(path):
    data = tensor_pickle()
    return write_zip(path, [{"name": "archive/data.pkl", "data": data, "crc": zlib.crc32(data) ^ 1}]
                     + torch_members(b"")[1:])


def _deflate64(path):
    data = tensor_pickle()
    return write_zip(path, [{"name": "archive/data.pkl", "raw": _deflate(data), "method": 9, "crc": zlib.crc32(data),
                             "size": len(data)}] + torch_members(b"")[1:])


def _binbytes8_huge(path):
    path.write_bytes(b"\x80\x04\x8e" + struct.pack("<Q", 1 << 62) + b"xx" + payload()[2:])
    return path


def _binbytes8_huge_in_zip(path):
    return write_zip(path, torch_members(b"\x80\x04\x8e" + struct.pack("<Q", 1 << 62) + b"xx."))


def _nested_if(path):
    graph = b""
    for _ in range(3000):
        attribute = protobuf(1, b"then_branch") + protobuf(20, 5) + protobuf(6, graph)
        graph = protobuf(1, protobuf(4, b"If") + protobuf(5, attribute))
    path.write_bytes(onnx_model(graph))
    return path


def _onnx_beyond_int64(path):
    tensor = (protobuf(1, 1 << 40) + protobuf(1, 1 << 40) + protobuf(2, 1) + protobuf(8, b"w")
              + protobuf(13, protobuf(1, b"location") + protobuf(2, b"w.bin")) + protobuf(14, 1))
    path.write_bytes(onnx_model(protobuf(5, tensor) + protobuf(1, protobuf(4, b"Identity"))))
    return path


def _onnx_raw_data_short(path):
    tensor = protobuf(1, 1_000_000) + protobuf(1, 1_000_000) + protobuf(2, 1) + protobuf(8, b"w") + protobuf(9, b"\0" * 8)
    path.write_bytes(onnx_model(protobuf(5, tensor) + protobuf(1, protobuf(4, b"Identity"))))
    return path


def _deep_safetensors(path):
    path.write_bytes(safetensors(b'{"a":' + b"[" * 100_000 + b"]" * 100_000 + b"}"))
    return path


def _safetensors_trillion(path):
    # 84 bytes that declare 10**12 float32 parameters in no data at all
    path.write_bytes(safetensors({"w": {"dtype": "F32", "shape": [1000000, 1000000], "data_offsets": [0, 0]}}))
    return path


def _safetensors_overlap(path):
    path.write_bytes(safetensors({"a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]},
                                  "b": {"dtype": "F32", "shape": [2], "data_offsets": [4, 12]}}, b"\0" * 12))
    return path


def _storage_too_small(path):
    return write_zip(path, torch_members(tensor_pickle(numel=10 ** 12, shape=(10 ** 6, 10 ** 6))))


def _storage_missing(path):
    return write_zip(path, torch_members(tensor_pickle(key="7")))


def _opcodes_over_many_streams(path):
    members = torch_members(tensor_pickle())
    for i in range(40):
        stream, crc, size = deflate_repeated(b"\x80\x02", b"N0" * 4096, 64, b"N.")
        members.append({"name": f"archive/extra/{i}.pkl", "raw": stream, "method": 8, "crc": crc, "size": size})
    return write_zip(path, members)


def _huge_version(path):
    stream, crc, size = deflate_repeated(b"3\n", bytes(1 << 20), 1024)
    members = torch_members(payload())
    members[1] = {"name": "archive/version", "raw": stream, "method": 8, "crc": crc, "size": size}
    return write_zip(path, members)


def _binbytes_400mib(path):
    n = 400 << 20
    with open(path, "wb") as fh:
        fh.write(b"\x80\x04\x8e" + struct.pack("<Q", n))
        fh.seek(n, os.SEEK_CUR)
        fh.write(b"0" + payload()[2:])
    return path


def _zip_bomb_pickle(path):
    stream, crc, size = deflate_repeated(b"\x80\x04\x8e" + struct.pack("<Q", 300 << 20), bytes(1 << 20), 300, b"N.")
    members = torch_members(b"")
    members[0] = {"name": "archive/data.pkl", "raw": stream, "method": 8, "crc": crc, "size": size}
    return write_zip(path, members)


def _too_many_members(path):
    # zipfile builds an object for every central-directory entry before anything can be checked
    empty = ({"name": f"archive/data/{i}", "crc": 0} for i in range(150_000))
    return write_zip(path, itertools.chain([{"name": "archive/data.pkl", "data": payload()}], empty))


def _many_globals(path):
    body = b"".join(b"cm%d\nf\n0" % i for i in range(10_001))  # one more than Budget.max_globals
    path.write_bytes(b"\x80\x02" + body + b"N.")
    return path


def _protocol0_payload() -> bytes:
    return b"cos\nsystem\n(S'touch " + MARKER.encode() + b"'\ntR."


def _after_a_pickle(tail: bytes):
    """A harmless pickle, then ``tail``: pickle.load called again reads it."""
    def build(path):
        path.write_bytes(pickle.dumps({"w": 1}, protocol=2) + tail)
        return path
    return build


def _many_streams(path):
    path.write_bytes(b"cos\nsystem\n." * 99_000)
    return path


def _legacy_finding_then_garbage(path):
    # torch.load(weights_only=False) loads the magic number, then the payload, then stops at "garbage"
    path.write_bytes(pickle.dumps(0x1950A86A20F9469CFC6C, protocol=2) + payload() + b"garbage")
    return path


def _zip_member_finding_then_bad_opcode(path):
    return write_zip(path, torch_members(payload()[:-1] + b"\xff."))


def _pickle_finding_then_bad_opcode(path):
    path.write_bytes(payload()[:-1] + b"\xff.")
    return path


def _protocol0_pickle(path):
    path.write_bytes(_protocol0_payload())
    return path


def tar_member(name: str, data: bytes = b"", **fields) -> tuple[tarfile.TarInfo, bytes]:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    for key, value in fields.items():
        setattr(info, key, value)
    return info, data


def write_tar(path: Path, members) -> Path:
    with tarfile.open(path, "w", format=tarfile.PAX_FORMAT) as tar:
        for info, data in members:
            tar.addfile(info, io.BytesIO(data))
    return path


def legacy_tar_members(pickle_data: bytes | None = None, storages: bytes | None = None) -> list:
    """The members of torch's oldest format (torch.save before 0.4 wrote a tar): ``sys_info``,
    ``pickle`` (the object, whose persistent ids name storages by key), ``tensors`` (a count, then per
    tensor a pickle and its rank, sizes, strides and offset) and ``storages`` (a count, then per
    storage a pickle (key, location, type) and its int64 element count and bytes, then the views)."""
    p2 = functools.partial(pickle.dumps, protocol=2)
    sys_info = p2({"protocol_version": 1001, "little_endian": True, "type_sizes": {"int": 4, "long": 8}})
    obj = pickle_data if pickle_data is not None else p2({"w": 1})
    tensors = p2(1) + p2((1, 0, None)) + struct.pack("<ii", 1, 0) + struct.pack("<qqq", 2, 1, 0)
    storage_args = b"\x80\x02(K\x00X\x03\x00\x00\x00cpuctorch\nFloatStorage\nt."
    if storages is None:
        storages = p2(1) + storage_args + struct.pack("<q", 2) + bytes(8) + p2([])
    return [tar_member("sys_info", sys_info), tar_member("pickle", obj), tar_member("tensors", tensors),
            tar_member("storages", storages)]


def _tar_legacy(path):
    return write_tar(path, legacy_tar_members(payload()))


def _tar_legacy_storages(path):
    return write_tar(path, legacy_tar_members(storages=payload()))


def _tar_and_pickle(path):
    # a complete tar checkpoint whose first member's name is a pickle: pickle.load runs it
    return write_tar(path, [tar_member(_protocol0_payload().decode())] + legacy_tar_members())


def _tar_link(path):
    members = legacy_tar_members()
    members[1] = tar_member("pickle", type=tarfile.SYMTYPE, linkname="sys_info")
    return write_tar(path, members)


def _tar_huge_pax_header(path):
    # a pax extended header of 300 MiB (sparse): tarfile would read it whole, past the memory budget
    header = tarfile.TarInfo("././@PaxHeader")
    header.type, header.size = tarfile.XHDTYPE, 300 << 20
    with open(path, "wb") as fh:
        fh.write(header.tobuf(tarfile.USTAR_FORMAT))
        fh.seek((300 << 20) + 1024, os.SEEK_CUR)
        fh.write(bytes(1024))
    return path


def _tar_many_members(path):
    return write_tar(path, itertools.chain(legacy_tar_members(),
                                           (tar_member(f"m{i}") for i in range(picklescan.Budget().max_members))))


def _truncated_legacy(path):
    path.write_bytes((ROOT / "tests" / "data" / "models" / "tiny_cnn_legacy.pth").read_bytes()[:-100])
    return path


HOSTILE = {
    "decoy-data-pkl": ("model.pt", _decoy, 1, ["archive/DATA.PKL", "os.system"]),
    "data-pkl-in-other-case": ("model.pt", _upper_only, 1, ["archive/Data.Pkl", "os.system"]),
    "pickle-by-content": ("model.pt", _pickle_by_content, 1, ["archive/extra/hook", "os.system"]),
    "pickle-by-content-padded": ("model.pt", _pickle_by_content_padded, 1, ["archive/extra/hook", "os.system"]),
    "second-pickle-in-file": ("two.pkl", _second_pickle, 1, ["two.pkl#1", "os.system"]),
    "200k-pickles-in-one-file": ("many.pkl", _many_pickles, 2, ["many.pkl#100000", "pickle streams"]),
    "safetensors-64MiB-header": ("big.safetensors", _safetensors_header_limit, 2, ["byte 0", "bytes of JSON header"]),
    "deep-tuple-key": ("model.pt", _deep_tuple_key, 2, ["archive/data.pkl", "byte", "levels of nesting"]),
    "deep-list-key": ("deep.pkl", _deep_list_key, 2, ["byte", "levels of nesting"]),
    "memo-shared-list-key": ("shared.pkl", _shared_list_key, 2, ["byte", "dict key"]),
    "shared-dicts-walk": ("shared.pt", _shared_dicts_pt, 1, ["archive/data.pkl", "os.system"]),
    "corrupt-zip": ("model.pt", _corrupt_zip, 2, ["zip archive"]),
    "bad-crc": ("model.pt", _bad_crc, 2, ["archive/data.pkl", "CRC"]),
    "deflate64-member": ("model.pt", _deflate64, 2, ["archive/data.pkl", "deflate64"]),
    "binbytes8-2**62": ("huge.pkl", _binbytes8_huge, 2, ["byte 2", "4,611,686,018,427,387,904 bytes"]),
    "binbytes8-2**62-in-zip": ("model.pt", _binbytes8_huge_in_zip, 2, ["archive/data.pkl", "byte 2"]),
    "onnx-3000-nested-if": ("nested.onnx", _nested_if, 2, ["byte", "levels of nesting"]),
    "onnx-beyond-int64": ("huge.onnx", _onnx_beyond_int64, 2, ["byte", "2^63-1"]),
    "onnx-raw-data-short": ("short.onnx", _onnx_raw_data_short, 2, ["byte", "raw_data"]),
    "safetensors-deep-header": ("deep.safetensors", _deep_safetensors, 2, ["byte 8", "nested too deeply"]),
    "safetensors-10**12-in-84-bytes": ("w.safetensors", _safetensors_trillion, 2, ["'w'", "data_offsets"]),
    "safetensors-overlap": ("w.safetensors", _safetensors_overlap, 2, ["'b'", "overlaps"]),
    "storage-smaller-than-declared": ("model.pt", _storage_too_small, 2, ["archive/data/0", "4,000,000,000,000"]),
    "storage-missing": ("model.pt", _storage_missing, 2, ["archive/data.pkl", "data/7"]),
    "opcodes-over-many-streams": ("model.pt", _opcodes_over_many_streams, 2, ["archive/extra/", "pickle opcodes"]),
    "version-member-1GiB": ("model.pt", _huge_version, 1, ["archive/data.pkl", "os.system"]),
    "binbytes-400MiB": ("big.pkl", _binbytes_400mib, 1, ["big.pkl", "os.system"]),
    "zip-bomb-pickle-300MiB": ("model.pt", _zip_bomb_pickle, 2, ["archive/data.pkl", "bytes of pickle data"]),
    "too-many-zip-members": ("model.pt", _too_many_members, 2, ["archive members"]),
    "too-many-globals": ("globals.pkl", _many_globals, 1, ["globals.pkl", "distinct imported globals"]),
    "truncated-legacy": ("cut.pth", _truncated_legacy, 2, ["byte"]),
    # a loadable pickle after the first, behind text numbers only CPython's own parsers accept
    "after-hex-int": ("m.pkl", _after_a_pickle(b"I0x10\n0" + _protocol0_payload()), 1, ["m.pkl#1", "os.system"]),
    "after-5000-digit-int": ("m.pkl", _after_a_pickle(b"I" + b"0" * 5000 + b"1\n0" + _protocol0_payload()), 1,
                             ["m.pkl#1", "os.system"]),
    "after-hex-long": ("m.pkl", _after_a_pickle(b"L0x10L\n0" + _protocol0_payload()), 1, ["m.pkl#1", "os.system"]),
    "after-int-ending-at-nul": ("m.pkl", _after_a_pickle(b"I1\0junk\n0" + _protocol0_payload()), 1,
                                ["m.pkl#1", "os.system"]),
    # not a pickle, but a loader that calls pickle.load again after the error reads the import
    "import-after-a-bad-byte": ("m.pkl", _after_a_pickle(b"\xff" + _protocol0_payload()), 2,
                                ["m.pkl#1", "byte 17", "import opcode", "byte 18"]),
    "99000-streams-one-import": ("s.pkl", _many_streams, 1, ["99,000 pickle streams", "os.system", "s.pkl#2"]),
    # a finding, then a parse error: both are reported
    "legacy-finding-then-garbage": ("model.pth", _legacy_finding_then_garbage, 1, ["protocol", "os.system", "sys_info"]),
    "zip-member-finding-then-bad-opcode": ("model.pt", _zip_member_finding_then_bad_opcode, 1,
                                           ["archive/data.pkl", "os.system", "0xff"]),
    "pickle-finding-then-bad-opcode": ("bad.pkl", _pickle_finding_then_bad_opcode, 1, ["bad.pkl", "os.system", "0xff"]),
    # loadable pickles that are not zip or protocol-2 files
    "protocol-0-pt": ("model.pt", _protocol0_pickle, 1, ["model.pt", "os.system"]),
    "protocol-0-bin": ("pytorch_model.bin", _protocol0_pickle, 1, ["pytorch_model.bin", "os.system"]),
    "protocol-0-ckpt": ("model.ckpt", _protocol0_pickle, 1, ["model.ckpt", "os.system"]),
    "tar-legacy-pickle-member": ("model.pt", _tar_legacy, 1, ["pickle", "os.system"]),
    "tar-legacy-storages-member": ("model.pt", _tar_legacy_storages, 1, ["storages", "os.system", "not a count"]),
    "tar-link-member": ("model.pt", _tar_link, 2, ["pickle", "link"]),
    "tar-that-is-also-a-pickle": ("model.pt", _tar_and_pickle, 1, ["model.pt", "os.system"]),
    "tar-300MiB-pax-header": ("model.pt", _tar_huge_pax_header, 2, ["tar header block"]),
    "tar-too-many-members": ("model.pt", _tar_many_members, 2, ["archive members"]),
}
# Files whose error comes with findings read before it: exit 1, the error and the findings printed.
PARTIAL = {"too-many-globals", "legacy-finding-then-garbage", "zip-member-finding-then-bad-opcode",
           "pickle-finding-then-bad-opcode", "tar-legacy-storages-member", "tar-that-is-also-a-pickle"}
# Small enough (under 64 KiB) to seed the mutation fuzzer.
SEEDS = ("decoy-data-pkl", "data-pkl-in-other-case", "pickle-by-content", "pickle-by-content-padded",
         "second-pickle-in-file", "memo-shared-list-key", "shared-dicts-walk",
         "corrupt-zip", "bad-crc", "deflate64-member", "binbytes8-2**62", "binbytes8-2**62-in-zip",
         "onnx-beyond-int64", "onnx-raw-data-short", "safetensors-10**12-in-84-bytes", "safetensors-overlap",
         "storage-smaller-than-declared", "storage-missing", "opcodes-over-many-streams", "truncated-legacy",
         "after-hex-int", "after-5000-digit-int", "after-hex-long", "after-int-ending-at-nul", "import-after-a-bad-byte",
         "legacy-finding-then-garbage", "zip-member-finding-then-bad-opcode", "pickle-finding-then-bad-opcode",
         "protocol-0-pt", "tar-legacy-pickle-member", "tar-legacy-storages-member", "tar-link-member",
         "tar-that-is-also-a-pickle")


def build(name: str, folder: Path) -> Path:
    file_name, builder, _, _ = HOSTILE[name]
    folder.mkdir(parents=True, exist_ok=True)
    return builder(folder / file_name)


def _network_guard(folder: Path) -> dict:
    """An environment whose Python records (and refuses) any attempt to open a network connection."""
    guard = folder / "netguard"
    guard.mkdir()
    (guard / "sitecustomize.py").write_text(
        "import socket\n"
        f"def _refuse(*a, **k):\n    open({str(folder / NETWORK_MARKER)!r}, 'w').close()\n"
        "    raise OSError('network use refused by the test')\n"
        "socket.socket.connect = _refuse\nsocket.create_connection = _refuse\nsocket.getaddrinfo = _refuse\n")
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(guard), str(ROOT / "src"), env.get("PYTHONPATH", "")])
    return env


def _digest(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 24), b""):
            h.update(block)
    return h.hexdigest()


# --- the promise, per file ------------------------------------------------------------------------

@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_hostile_model_file_through_inspect(tmp_path, name):
    path = build(name, tmp_path / "in")
    _, _, code, needles = HOSTILE[name]
    before = _digest(path)
    run = run_measured(["inspect", path], cwd=tmp_path, env=_network_guard(tmp_path))
    assert run.returncode == code, run
    assert "Traceback" not in run.stdout + run.stderr, run
    lines = run.stderr.splitlines()
    if code == 2 or name in PARTIAL:
        assert any(": error: " in line for line in lines) and any("错误：" in line for line in lines), run
    if code == 1:
        assert any("critical [MCS-PA-06]" in line for line in lines) and any("严重" in line for line in lines), run
    assert str(path) in run.stderr, run
    for needle in needles:
        assert needle in run.stderr, (needle, run)
    assert not (tmp_path / MARKER).exists() and not (tmp_path / "in" / MARKER).exists()
    assert not (tmp_path / NETWORK_MARKER).exists()
    assert _digest(path) == before
    assert run.within_budget(), run


def assert_rendered_from_its_parameters(issue, prefix: str) -> None:
    """``issue`` is the diagnostic of a registered check (its ID starts with ``prefix``) whose
    templates render exactly its two messages from its parameters."""
    check = lookup(issue.rule)
    assert check is not None and issue.rule.startswith(prefix), issue
    assert (issue.message, issue.message_zh) in renderings(check, issue.params), issue


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_hostile_model_file_through_the_api(tmp_path, name):
    """The library gives the documented error (or the findings), never another exception; the
    error is the diagnostic of a registered model-file check, located at its member and offset,
    and each finding is one of modelfile.unsafe-global (MCS-PA-06)."""
    path = build(name, tmp_path)
    _, _, code, needles = HOSTILE[name]
    if code == 2 or name in PARTIAL:
        with pytest.raises(ModelFileError) as caught:
            inspect_file(path)
        error = caught.value
        assert error.message and error.message_zh != error.message
        assert_rendered_from_its_parameters(error.issue, "modelfile.")
        assert lookup(error.issue.rule).scope == "command" and str(error) == error.message
        assert (error.issue.params.get("member"), error.issue.params.get("offset")) == (error.member, error.offset)
        found = error.info.findings if error.info is not None else []
        assert bool(found) == (code == 1)
        assert "os.system" not in needles or any(f.name == "os.system" for f in found)
    else:
        info = inspect_file(path)
        assert any(f.name == "os.system" for f in info.findings)
        summary(info), card_fragment(info, "test")
        found = info.findings
    for issue in finding_issues(found):
        assert_rendered_from_its_parameters(issue, "modelfile.unsafe-global")
        assert issue.requirement == "MCS-PA-06"


def _card_for(tmp_path: Path, model: Path, **params) -> Path:
    import shutil

    import yaml

    folder = tmp_path / "card"
    shutil.copytree(ROOT / "examples" / "cxr-classification-backbone", folder)
    card = yaml.safe_load((folder / "card.yaml").read_text(encoding="utf-8"))
    card["model_parameters"].update(params)
    card["model_parameters"]["weight_files"][0].update(file_name=model.name, size_bytes=model.stat().st_size,
                                                       sha256=digests.sha256_file(model))
    (folder / "card.yaml").write_text(yaml.safe_dump(card, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return folder / "card.yaml"


@pytest.mark.parametrize("name", ["decoy-data-pkl", "deep-tuple-key", "onnx-3000-nested-if", "safetensors-deep-header",
                                  "bad-crc"])
def test_hostile_model_file_through_validate_model(tmp_path, name):
    path = build(name, tmp_path / "in")
    card = _card_for(tmp_path, path)
    run = run_measured(["validate", card, "--model", path, "--format", "json"], cwd=tmp_path)
    assert run.returncode == 1 and "Traceback" not in run.stderr and run.within_budget(), run
    issues = json.loads(run.stdout)["results"][0]["issues"]
    model_issues = [i for i in issues if i["rule"].startswith("model.")]
    rule = "model.pickle-global" if HOSTILE[name][2] == 1 else "model.unreadable"
    assert any(i["rule"] == rule and i["message"] and i["message_zh"] for i in model_issues), model_issues


# Every pickle-based hostile file that loading could run code from, or that the scan could not read
# to its end: with any of them, MCS-PA-06 (safe loading) never conforms.
NOT_SHOWN_SAFE = sorted(n for n, (file_name, _, code, _) in HOSTILE.items()
                        if Path(file_name).suffix in (".pt", ".pth", ".pkl", ".bin", ".ckpt")
                        and n not in ("too-many-zip-members", "too-many-globals", "200k-pickles-in-one-file",
                                      "zip-bomb-pickle-300MiB", "tar-too-many-members", "tar-300MiB-pax-header",
                                      "binbytes-400MiB", "version-member-1GiB"))  # big files: the CLI tests have them


@pytest.mark.parametrize("name", NOT_SHOWN_SAFE)
def test_safe_loading_never_conforms_for_a_pickle_file_not_shown_safe(tmp_path, name):
    path = build(name, tmp_path / "in")
    card = _card_for(tmp_path, path)
    run = run_measured(["validate", card, "--model", path, "--format", "json"], cwd=tmp_path)
    assert run.returncode == 1 and "Traceback" not in run.stderr and run.within_budget(), run
    result = json.loads(run.stdout)["results"][0]
    status = {r["id"]: r["status"] for r in result["requirements"]}
    assert status["MCS-PA-06"] == "nonconforming", [i for i in result["issues"] if i["rule"].startswith("model.")]
    pa06 = [i for i in result["issues"] if i["requirement"] == "MCS-PA-06" and i["rule"].startswith("model.")]
    assert pa06 and all(i["message"] and i["message_zh"] for i in pa06)
    if HOSTILE[name][2] == 1:
        assert any(i["rule"] == "model.pickle-global" for i in pa06), pa06
    if name in PARTIAL or HOSTILE[name][2] == 2:
        assert any(i["rule"] == "model.unreadable" for i in result["issues"]), result["issues"]
    if HOSTILE[name][2] == 2:
        assert [i["rule"] for i in pa06] == ["model.pickle-unscanned"], pa06


def test_a_global_imported_by_many_streams_is_reported_once_with_its_count(tmp_path):
    """99,000 one-import pickles: one critical line (not 99,000, which printed 26 MB), the count and
    the first places, within the CPU budget; validate --model gives one issue for the global."""
    path = build("99000-streams-one-import", tmp_path / "in")
    run = run_measured(["inspect", path], cwd=tmp_path)
    assert run.returncode == 1 and run.within_budget(), run
    critical = [line for line in run.stderr.splitlines() if "critical [MCS-PA-06]" in line]
    assert len(critical) == 1 and len(run.stderr) < 2000, run.stderr[:3000]
    assert "99,000 pickle streams import os.system" in critical[0]
    assert "s.pkl at byte 0, s.pkl#1 at byte 12, s.pkl#2 at byte 24, ..." in critical[0]
    assert "共有 99,000 个 pickle 数据流导入 os.system" in run.stderr
    card = _card_for(tmp_path, path)
    run = run_measured(["validate", card, "--model", path, "--format", "json"], cwd=tmp_path)
    assert run.returncode == 1 and run.within_budget(), run
    issues = [i for i in json.loads(run.stdout)["results"][0]["issues"] if i["rule"] == "model.pickle-global"]
    assert len(issues) == 1 and "in 99,000 pickle streams" in issues[0]["message"], issues
    assert "99,000 个 pickle 数据流" in issues[0]["message_zh"]


def test_a_finding_is_printed_with_the_error_that_follows_it(tmp_path):
    path = build("legacy-finding-then-garbage", tmp_path / "in")
    run = run_measured(["inspect", path, "--format", "json"], cwd=tmp_path)
    assert run.returncode == 1 and run.stdout == "", run
    lines = run.stderr.splitlines()
    assert any(": error: " in line and "sys_info, byte 53" in line and "the data ends" in line for line in lines), lines
    assert any("critical [MCS-PA-06] protocol imports os.system (known dangerous) at byte 17" in line
               for line in lines), lines


# --- controls: what the scanner reports is what pickle.load runs --------------------------------------

def _runs_payload(tmp_path: Path, path: Path, loader: str) -> bool:
    import subprocess

    subprocess.run([sys.executable, "-c", loader, str(path)], cwd=tmp_path, capture_output=True, timeout=60)
    return (tmp_path / MARKER).exists()


LOAD_ALL = """
import io, pickle, sys
f = io.BytesIO(open(sys.argv[1], 'rb').read())
while f.tell() < len(f.getvalue()):
    try:
        pickle.load(f)
    except Exception:
        pass  # and try again from where the failed load stopped
"""

TORCH_TAR_LOAD = """
import pickle, sys, tarfile
with tarfile.open(sys.argv[1], 'r:') as tar:  # what torch's legacy_load reads first
    pickle.load(tar.extractfile('storages'))
    pickle.load(tar.extractfile('pickle'))
"""


@pytest.mark.parametrize("name", ["after-hex-int", "after-5000-digit-int", "after-hex-long", "after-int-ending-at-nul",
                                  "import-after-a-bad-byte", "protocol-0-pt", "pickle-finding-then-bad-opcode",
                                  "tar-that-is-also-a-pickle"])
def test_the_crafted_pickles_run_under_pickle_load(tmp_path, name):
    """Control: a loader that calls pickle.load until the data ends (going on after an error) runs
    the payload of every file the scanner reports, or refuses, as loadable."""
    path = build(name, tmp_path / "in")
    assert _runs_payload(tmp_path, path, LOAD_ALL)


@pytest.mark.parametrize("name", ["tar-legacy-pickle-member", "tar-legacy-storages-member"])
def test_the_crafted_tar_checkpoints_run_under_a_legacy_loader(tmp_path, name):
    path = build(name, tmp_path / "in")
    assert _runs_payload(tmp_path, path, TORCH_TAR_LOAD)


def test_a_card_declaring_the_trillion_parameters_of_an_84_byte_file_does_not_pass(tmp_path):
    path = build("safetensors-10**12-in-84-bytes", tmp_path / "in")
    assert path.stat().st_size == 84
    card = _card_for(tmp_path, path, total_parameters=10 ** 12)
    run = run_measured(["validate", card, "--model", path, "--format", "json"], cwd=tmp_path)
    assert run.returncode == 1, run
    issues = json.loads(run.stdout)["results"][0]["issues"]
    unreadable = [i for i in issues if i["rule"] == "model.unreadable"]
    assert unreadable and "data_offsets" in unreadable[0]["message"] and "data_offsets" in unreadable[0]["message_zh"]


def test_the_crafted_limits_are_past_the_defaults():
    budget = picklescan.Budget()
    assert budget.max_members < 150_000 and budget.max_globals == 10_000


def test_the_crafted_payloads_are_real(tmp_path):
    """Control: the payload pickle does run when unpickled (in a child process)."""
    import subprocess

    (tmp_path / "p.pkl").write_bytes(payload(tmp_path / MARKER))
    subprocess.run([sys.executable, "-c", f"import pickle; pickle.load(open({str(tmp_path / 'p.pkl')!r}, 'rb'))"],
                   capture_output=True, timeout=60)
    assert (tmp_path / MARKER).exists()


def test_tensor_pickle_builder_matches_the_real_layout(tmp_path):
    """Control for the crafted checkpoints: a well-formed one inspects cleanly with its one parameter."""
    path = write_zip(tmp_path / "ok.pt", torch_members(tensor_pickle()))
    info = inspect_file(path)
    assert (info.total_parameters, info.tensor_count, info.findings) == (1, 1, [])
    assert info.framework_version == "archive format 3"


# --- a short, deterministic slice of the model-file fuzzer -----------------------------------------

def _fuzzer():
    import importlib.util

    spec = importlib.util.spec_from_file_location("fuzz_models", ROOT / "tools" / "fuzz_models.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_fuzz_slice_of_mutated_model_files_finds_no_crash():
    """200 mutated model files (fixed seed) through inspect in process, every 20th through the CLI;
    tools/fuzz_models.py runs the long campaign (see docs/benchmarks.md)."""
    report = _fuzzer().fuzz(200, seed=20260101, time_limit=20, slow=5, cli_every=20)
    assert report["cases"] == 200 and report["seeds"] > 20
    assert not report["crashes"] and not report["hangs"] and not report["memory"], report
    assert report["cli_cases"] == 10 and set(report["outcomes"]) <= {"clean", "finding", "unreadable"}


def test_fuzzer_cases_are_deterministic_for_a_seed():
    fuzz = _fuzzer().fuzz
    assert fuzz(25, seed=7, cli_every=0)["digest"] == fuzz(25, seed=7, cli_every=0)["digest"]
    assert fuzz(25, seed=7, cli_every=0)["digest"] != fuzz(25, seed=8, cli_every=0)["digest"]


# --- verify: models that run away, and what ONNX Runtime prints -----------------------------------
# verify runs ONNX Runtime in a child process under a wall-clock deadline and address-space and CPU
# limits; the measured figures include that child (the command line waits for it).

ESCAPES = ("\x1b", "\x07", "\r", "\u202e")  # ESC (CSI, OSC), BEL, a lone CR, a bidi override
EVIL = "n\x1b]0;PWNED\x07\x1b[2K\r\x1b[32mverify: every example reproduces\x1b[0m\u202e"


def _onnx_graph(nodes, outputs, initializers=()) -> bytes:
    from onnx import TensorProto, helper

    features = helper.make_tensor_value_info("features", TensorProto.FLOAT, ["batch", 30])
    graph = helper.make_graph(nodes, "g", [features], outputs, list(initializers))
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)]).SerializeToString()


def _loop_model() -> bytes:
    """325 bytes: a Loop of 2^62 iterations whose body is two Identity nodes (ran until killed)."""
    from onnx import TensorProto, helper

    body = helper.make_graph(
        [helper.make_node("Identity", ["c"], ["c2"]), helper.make_node("Identity", ["v"], ["v2"])], "b",
        [helper.make_tensor_value_info("i", TensorProto.INT64, []), helper.make_tensor_value_info("c", TensorProto.BOOL, []),
         helper.make_tensor_value_info("v", TensorProto.FLOAT, None)],
        [helper.make_tensor_value_info("c2", TensorProto.BOOL, []), helper.make_tensor_value_info("v2", TensorProto.FLOAT, None)])
    nodes = [helper.make_node("Constant", [], ["M"], value=helper.make_tensor("m", TensorProto.INT64, [], [2 ** 62])),
             helper.make_node("Constant", [], ["C"], value=helper.make_tensor("cc", TensorProto.BOOL, [], [True])),
             helper.make_node("Loop", ["M", "C", "features"], ["probabilities"], body=body)]
    return _onnx_graph(nodes, [helper.make_tensor_value_info("probabilities", TensorProto.FLOAT, ["batch", 30])])


def _allocating_model(rows: int, columns: int) -> bytes:
    """ConstantOfShape([rows, columns]) of float ones, then ReduceSum (200000 x 10000: 242 bytes
    that took 13.6 s and 7.7 GB)."""
    from onnx import TensorProto, helper

    nodes = [helper.make_node("Constant", [], ["S"], value=helper.make_tensor("s", TensorProto.INT64, [2], [rows, columns])),
             helper.make_node("ConstantOfShape", ["S"], ["big"], value=helper.make_tensor("v", TensorProto.FLOAT, [1], [1.0])),
             helper.make_node("ReduceSum", ["big"], ["probabilities"], keepdims=0)]
    return _onnx_graph(nodes, [helper.make_tensor_value_info("probabilities", TensorProto.FLOAT, [])])


def _failing_node_model(name: str) -> bytes:
    """A Reshape node called ``name`` that fails when it runs (30 values into 7 x 7): ONNX Runtime
    logs the failure with the node's name on standard error itself."""
    from onnx import TensorProto, helper

    nodes = [helper.make_node("Constant", [], ["s"], value=helper.make_tensor("s", TensorProto.INT64, [2], [7, 7])),
             helper.make_node("Reshape", ["features", "s"], ["probabilities"], name=name)]
    return _onnx_graph(nodes, [helper.make_tensor_value_info("probabilities", TensorProto.FLOAT, None)])


def _external_model(location: str, n: int = 30, name: str = "W", length: int | None = None) -> bytes:
    """``probabilities = features + W``, the float32 initializer ``W`` of [n] kept in ``location``."""
    from onnx import TensorProto, helper

    w = TensorProto(name=name, data_type=TensorProto.FLOAT, dims=[n], data_location=TensorProto.EXTERNAL)
    for key, value in (("location", location), ("offset", "0"), ("length", str(4 * n if length is None else length))):
        w.external_data.add(key=key, value=value)
    return _onnx_graph([helper.make_node("Add", ["features", name], ["probabilities"])],
                       [helper.make_tensor_value_info("probabilities", TensorProto.FLOAT, ["batch", 30])], [w])


@pytest.fixture()
def wdbc(tmp_path):
    """A copy of the runnable example, whose card and evidence verify runs on."""
    import shutil

    dest = tmp_path / "card"
    shutil.copytree(ROOT / "examples" / "wdbc-cytology-mlp", dest)
    return dest


def _children_left() -> list[str]:
    """ONNX Runtime processes that this checkout's verify started and that still run (Linux)."""
    mark = str(ROOT / "src").encode()
    left = []
    for entry in Path("/proc").glob("[0-9]*"):
        try:
            cmd = (entry / "cmdline").read_bytes()
        except OSError:
            continue
        if b"modelcard_spec.modelfiles._onnxchild" in cmd and mark in cmd:
            left.append(entry.name)
    return left


def _verify_model(folder: Path, model: bytes, *extra, name: str = "m.onnx"):
    path = folder / "model" / name
    path.write_bytes(model)
    before = _digest(path)
    run = run_measured(["verify", folder / "card.yaml", "--model", path, "--no-save", *extra], cwd=folder.parent)
    assert "Traceback" not in run.stdout + run.stderr, run
    assert not any(c in run.stdout + run.stderr for c in ESCAPES), run
    assert _digest(path) == before
    if run.stdout.startswith("{"):  # a JSON report: each problem is rendered from its parameters
        from test_crosscheck_verify import assert_problems_rendered

        assert_problems_rendered(json.loads(run.stdout))
    return run


@pytest.mark.skipif(not Path("/proc/self").exists(), reason="counts processes through /proc")
def test_verify_stops_a_loop_of_2_62_iterations_at_its_deadline(wdbc):
    """It ran until killed (52 s of CPU): now the example fails at --timeout, the ONNX Runtime process
    is killed and collected, and everything is within the hostile-input budget."""
    model = _loop_model()
    assert len(model) < 400
    run = _verify_model(wdbc, model, "--timeout", "0.5", "--format", "json")
    assert run.returncode == 2 and run.within_budget(), run
    if run.stdout:  # the model loaded within the deadline (it does unless the machine is very busy)
        [example] = json.loads(run.stdout)["examples"]
        [problem] = example["problems"]
        en, zh = problem["message"], problem["message_zh"]
        assert example["status"] == "fails" and example["over_limit"] is True
        assert en.startswith("the model did not finish within the time limit of 0.5 s (--timeout)"), problem
    else:
        en, zh = run.stderr.splitlines()
    assert "within the time limit of 0.5 s (--timeout)" in en and "时间上限 0.5 秒（--timeout）" in zh, run
    assert not _children_left()


def test_verify_stops_a_huge_allocation_at_the_memory_limit(wdbc):
    """242 bytes asking for 8 GB (13.6 s and 7.7 GB before): refused at the default limit."""
    model = _allocating_model(200_000, 10_000)
    assert len(model) < 300
    run = _verify_model(wdbc, model, "--format", "json")
    assert run.returncode == 2 and run.within_budget(), run
    [example] = json.loads(run.stdout)["examples"]
    assert example["status"] == "fails" and example["over_limit"] is True
    [problem] = example["problems"]
    assert problem["message"].startswith("ONNX Runtime reached the memory limit of 1024 MiB (--max-memory)"), problem
    assert problem["message_zh"].startswith("ONNX Runtime 达到内存上限 1024 MiB（--max-memory）"), problem


def test_max_memory_lowers_the_memory_limit(wdbc):
    """200 MB of ones fit the default limit; --max-memory 64 stops them."""
    run = _verify_model(wdbc, _allocating_model(5_000, 10_000), "--max-memory", "64")
    assert run.returncode == 2 and run.within_budget(), run
    assert "memory limit of 64 MiB (--max-memory)" in run.stdout, run


@pytest.mark.parametrize("option", [["--timeout", "0"], ["--timeout", "nan"], ["--timeout", "1e6"], ["--max-memory", "0"],
                                    ["--max-memory", "16777217"]])
def test_verify_limits_must_be_positive(wdbc, option):
    run = run_measured(["verify", wdbc / "card.yaml", "--model", wdbc / "model" / "wdbc_cytology_mlp_1.0.0.onnx",
                        "--no-save", *option])
    assert run.returncode == 2 and "--timeout must be more than 0 and less than 1,000,000 seconds" in run.stderr, run
    assert "--timeout 应大于 0 且小于 1,000,000 秒，--max-memory 应为 1 至 16,777,216 MiB" in run.stderr, run


def test_onnx_runtime_log_never_reaches_the_terminal_raw(wdbc):
    """ONNX Runtime logged a failing node's name (with OSC, CSI, a CR and a bidi override) to standard
    error itself, past the escaping writer: now its log is fatal-only and the child's standard error
    is captured; the failure is reported once, escaped."""
    for options, said in ((["--format", "text"], "ONNX Runtime failed: "), (["--lang", "zh"], "ONNX Runtime 运行失败："),
                          (["--format", "json"], "ONNX Runtime 运行失败：")):
        run = _verify_model(wdbc, _failing_node_model(EVIL), *options)
        assert run.returncode == 1 and run.within_budget(), run
        assert said in run.stdout and "\\u001b]0;PWNED\\u0007" in run.stdout, run
        assert run.stderr == "", run


@pytest.mark.parametrize("location,why", [
    ("/etc/passwd", "by an absolute path"),
    ("../outside.bin", "through '..'"),
    ("sub/../w.bin", "through '..'"),
    ("link.bin", "which leaves the model's folder"),
    ("missing.bin", "which does not exist"),
    ("sub", "which is a folder, not a file"),
    ("fifo", "which is not a regular file"),
    ("short.bin", "needs 120 bytes from byte 0 of 'short.bin', which has 8 bytes"),
])
def test_verify_refuses_external_data_it_does_not_accept(wdbc, location, why):
    """External data must be a regular file inside the model's folder, named without '..', holding
    the bytes of dtype x dims: checked before ONNX Runtime opens anything (whatever its own checks),
    a located error naming the initializer (its name escaped), exit 2."""
    models = wdbc / "model"
    (wdbc / "outside.bin").write_bytes(bytes(120))
    (models / "sub").mkdir()
    (models / "w.bin").write_bytes(bytes(120))
    (models / "link.bin").symlink_to("../outside.bin")
    (models / "short.bin").write_bytes(bytes(8))
    os.mkfifo(models / "fifo")
    run = _verify_model(wdbc, _external_model(location, name="W" + EVIL), "--timeout", "5")
    assert run.returncode == 2 and run.within_budget(), run
    assert run.stdout == "", run
    en, zh = [line for line in run.stderr.splitlines() if line.strip()]
    assert ": error: m.onnx is not run: initializer 'W" in en and "\\x1b]0;PWNED" in en and why in en, run
    assert "未运行 m.onnx：初始化器" in zh, run
    if "'..'" in why or "absolute" in why:
        assert "external data must lie in the model's folder" in en and "外部数据应位于模型所在文件夹内" in zh


def test_verify_runs_a_model_whose_external_data_it_accepts(wdbc):
    """Control: W (30 zeros) next to the model in its folder: the model runs (its output is not the
    example's, so the example runs but differs)."""
    (wdbc / "model" / "w.bin").write_bytes(bytes(120))
    run = _verify_model(wdbc, _external_model("w.bin"), "--format", "json")
    assert run.returncode == 1 and run.within_budget(), run
    assert json.loads(run.stdout)["examples"][0]["status"] == "runs"


def test_the_onnx_runtime_process_stops_itself_at_its_cpu_limit(tmp_path):
    """Should the parent that keeps the deadline be gone, the process's own CPU limit (the timeout
    rounded up, plus a second) stops the loop: SIGXCPU, within a few seconds."""
    import signal
    import subprocess

    import numpy as np

    from modelcard_spec.modelfiles import _onnxchild, verifyrun

    path = tmp_path / "loop.onnx"
    path.write_bytes(_loop_model())
    proc = subprocess.Popen(verifyrun._child_argv(), stdin=subprocess.PIPE, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    config = {"model": str(path), "parent": os.getpid(), "memory": 1 << 30, "cpu_seconds": 1,
              "max_input_bytes": 1 << 20, "max_output_bytes": 1 << 20}
    features = np.zeros((1, 30), np.float32)
    request = _onnxchild.pack({"arrays": [{"name": "features", "dtype": "<f4", "shape": [1, 30]}]}, [features])
    for part in _onnxchild.pack(config) + request:
        proc.stdin.write(part)
    proc.stdin.flush()
    try:
        assert proc.wait(timeout=60) == -signal.SIGXCPU
    finally:
        proc.kill()
        proc.wait()


def test_a_card_declaring_a_trillion_parameters_kept_in_a_missing_file_does_not_pass(tmp_path):
    """An initializer of 10^12 floats whose external data file is not there: inspect reported
    total_parameters 10^12 as extracted and validate --model accepted a card declaring it."""
    path = tmp_path / "in" / "big.onnx"
    path.parent.mkdir()
    path.write_bytes(_external_model("nonexistent.bin", n=10 ** 12))
    run = run_measured(["inspect", path], cwd=tmp_path)
    assert run.returncode == 0 and run.within_budget(), run
    assert "1000000000000" not in run.stdout and "total_parameters" not in run.stdout, run
    assert "no parameter count is reported: initializer 'W'" in run.stdout and "does not exist" in run.stdout, run
    card = _card_for(tmp_path, path, total_parameters=10 ** 12)
    run = run_measured(["validate", card, "--model", path, "--format", "json"], cwd=tmp_path)
    assert run.returncode == 1 and run.within_budget(), run
    result = json.loads(run.stdout)["results"][0]
    [issue] = [i for i in result["issues"] if i["rule"] == "model.parameters-unchecked"]
    assert issue["path"] == "/model_parameters/total_parameters" and issue["requirement"] == "MCS-PA-01"
    assert issue["severity"] == "error" and "'nonexistent.bin', which does not exist" in issue["message"]
    assert "无法核对" in issue["message_zh"] and "不存在" in issue["message_zh"]
    assert {r["id"]: r["status"] for r in result["requirements"]}["MCS-PA-01"] == "nonconforming"


@pytest.mark.parametrize("name,zh", [
    ("deflate64-member", "archive/data.pkl：不支持压缩方法 9（deflate64）；PyTorch 只写入未压缩或以 deflate 压缩的成员"),
    ("safetensors-overlap", "字节偏移 135：safetensors 条目 'b'（数据区字节偏移 4-12）与前一个张量重叠"),
    ("binbytes8-2**62", "huge.pkl 字节偏移 2：无法解析 pickle 数据流：长度字段声明了 4,611,686,018,427,387,904 字节，"
                        "但其后仅剩 38 字节"),
])
def test_model_file_errors_read_well_in_chinese(tmp_path, name, zh):
    """Byte offsets count from 0: 字节偏移 N, never 第 N 字节 (which reads as counted from 1)."""
    with pytest.raises(ModelFileError) as caught:
        inspect_file(build(name, tmp_path))
    assert caught.value.message_zh == zh


def _identity_card(folder: Path, array) -> Path:
    """A card whose one example feeds ``array`` to an Identity model and expects it back."""
    import numpy as np
    import yaml
    from onnx import TensorProto, helper

    (folder / "evidence").mkdir(parents=True)
    np.save(folder / "evidence" / "a.npy", array)
    digest = _digest(folder / "evidence" / "a.npy")
    dims = list(array.shape)
    graph = helper.make_graph([helper.make_node("Identity", ["x"], ["y"])], "g",
                              [helper.make_tensor_value_info("x", TensorProto.FLOAT, dims)],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, dims)])
    (folder / "m.onnx").write_bytes(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)]).SerializeToString())
    card = {"evidence": [{"id": "a", "path": "evidence/a.npy", "sha256": digest}],
            "input_output": {"examples": [{"name": "e", "input": "a", "expected_output": "a",
                                           "tolerance": {"absolute": 0}}]}}
    (folder / "card.yaml").write_text(yaml.safe_dump(card), encoding="utf-8")
    return folder / "card.yaml"


@pytest.mark.parametrize("shape", [(), (0, 3)], ids=["0-d", "no-elements"])
def test_verify_passes_arrays_of_no_dimensions_and_of_no_elements_unchanged(tmp_path, shape):
    """A 0-d input came back from the ONNX Runtime process as [1] (a correct model 'ran but
    differed'); an input of no elements crashed the transport with a traceback."""
    import numpy as np

    card = _identity_card(tmp_path / "c", np.full(shape, 1.5, np.float32))
    run = run_measured(["verify", card, "--model", card.parent / "m.onnx", "--no-save", "--format", "json"],
                       cwd=tmp_path)
    assert run.returncode == 0 and run.within_budget(), run
    [example] = json.loads(run.stdout)["examples"]
    assert example["status"] == "reproduces", example


def test_verify_keeps_the_hard_limits_it_was_started_under(wdbc):
    """Under a hard CPU and address-space limit (ulimit -t, ulimit -v), the ONNX Runtime process
    failed to set its own limits above them and every example failed: the limits it sets now stay
    within them."""
    import resource
    import subprocess

    def limits():
        resource.setrlimit(resource.RLIMIT_CPU, (600, 600))
        resource.setrlimit(resource.RLIMIT_AS, (3 << 30, 3 << 30))

    model = wdbc / "model" / "wdbc_cytology_mlp_1.0.0.onnx"
    run = subprocess.run([sys.executable, "-m", "modelcard_spec.cli", "verify", wdbc / "card.yaml", "--model", model,
                          "--no-save"], capture_output=True, text=True, preexec_fn=limits, timeout=120)
    assert run.returncode == 0 and "Traceback" not in run.stderr, run
    assert "reproduce" in run.stdout, run


def test_what_the_onnx_runtime_process_wrote_last_is_quoted_when_it_ends(tmp_path, monkeypatch):
    """The parent read the process's standard error through a helper that did not exist (NameError
    whenever the process wrote there): its last line is now quoted, once, with how it ended."""
    from modelcard_spec.modelfiles import verifyrun

    script = "import sys; sys.stderr.write('first\\nboom: the end\\n'); sys.stderr.flush(); sys.exit(3)"
    monkeypatch.setattr(verifyrun, "_child_argv", lambda: [sys.executable, "-c", script])
    session = verifyrun.Session(tmp_path / "m.onnx", verifyrun.Limits())
    with pytest.raises(verifyrun.Stopped) as caught:
        session.start()
    assert caught.value.message == "the ONNX Runtime process ended without a result (exit status 3); its last message: boom: the end"
    assert caught.value.message_zh == "ONNX Runtime 进程未给出结果即终止（退出状态 3）；其最后一条消息：boom: the end"
    assert caught.value.issue.params == {"status": 3, "last": "boom: the end"}
    assert_rendered_from_its_parameters(caught.value.issue, "verify.runtime")
    assert caught.value.limit and session.proc is None


def test_an_onnx_runtime_process_that_cannot_be_started_is_a_located_failure(tmp_path, monkeypatch):
    from modelcard_spec.modelfiles import verifyrun

    monkeypatch.setattr(verifyrun, "_child_argv", lambda: [str(tmp_path / "no-such-python")])
    with pytest.raises(verifyrun.Stopped, match="the ONNX Runtime process could not be started: No such file"):
        verifyrun.Session(tmp_path / "m.onnx", verifyrun.Limits()).start()


def test_verify_feeds_a_big_endian_input_as_the_numbers_it_holds(tmp_path):
    """A '>f4' input array travelled as raw bytes that ONNX Runtime read as native: [1.5, 2.0] was
    fed as [6.9e-41, 9.0e-44] and a correct model 'ran but differed'."""
    import numpy as np

    card = _identity_card(tmp_path / "c", np.array([1.5, 2.0], dtype=">f4"))
    run = run_measured(["verify", card, "--model", card.parent / "m.onnx", "--no-save", "--format", "json"],
                       cwd=tmp_path)
    assert run.returncode == 0 and run.within_budget(), run
    [example] = json.loads(run.stdout)["examples"]
    assert example["status"] == "reproduces", example


def test_a_float_argument_of_100000_digits_is_refused_in_linear_time(tmp_path):
    """The FLOAT argument's pattern was ambiguous: a failed match of n digits took time in n^2
    (100,000 digits ran past 60 s, between two checks of the time budget)."""
    path = tmp_path / "f.pkl"
    path.write_bytes(b"\x80\x02F" + b"1" * 100_000 + b"x\n.")
    run = run_measured(["inspect", path], cwd=tmp_path)
    assert run.returncode == 2 and run.within_budget(), run
    assert "FLOAT" in run.stderr and "Traceback" not in run.stderr, run


def test_decimal_integers_past_20000_digits_stay_opaque_where_int_has_no_limit():
    """Python 3.10 (or 3.11+ with the limit switched off) converts such a number in quadratic time."""
    previous = sys.get_int_max_str_digits() if hasattr(sys, "get_int_max_str_digits") else None
    if previous is not None:
        sys.set_int_max_str_digits(0)
    try:
        assert isinstance(picklescan._big_int(b"9" * 20_001, 0), picklescan.Blob)
        assert picklescan._big_int(b"9" * 5000, 0) == int("9" * 5000)
        assert picklescan._big_int(b"-1_000", 0) == -1000
        assert picklescan._big_int(b"0x" + b"f" * 20_001, 0) == int("f" * 20_001, 16)
    finally:
        if previous is not None:
            sys.set_int_max_str_digits(previous)
