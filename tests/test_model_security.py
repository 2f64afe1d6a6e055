"""Pickle-based weight files are scanned, never unpickled: crafted malicious files are reported
with the name of the global they import, and their payload never runs."""

from __future__ import annotations

import io
import os
import pickle
import subprocess
import sys
import zipfile

import pytest

from conftest import ROOT
from modelcard_spec.spec import digests
from modelcard_spec.modelfiles.modelinfo import ModelFileError, scan_error
from modelcard_spec.modelfiles.reader import inspect_file
from modelcard_spec.modelfiles import pickles as picklescan


class _Payload:
    """Unpickling this runs ``func(*args)``; the payload only creates a marker file."""

    def __init__(self, func, args):
        self.func, self.args = func, args

    def __reduce__(self):
        return self.func, self.args


def _payloads(marker):
    import builtins
    import subprocess as sp
    cmd = f"open({str(marker)!r}, 'w').write('ran')"
    return {
        "os.system": (os.system, (f"touch {marker}",)),
        "builtins.eval": (builtins.eval, (cmd,)),
        "builtins.exec": (builtins.exec, (cmd,)),
        "subprocess.call": (sp.call, (["touch", str(marker)],)),
    }


def _expected_global(key):
    # pickle protocols 0-2 write Python 2 names (builtins -> __builtin__)
    return {"os.system": ("posix.system", "os.system"), "builtins.eval": ("builtins.eval", "__builtin__.eval"),
            "builtins.exec": ("builtins.exec", "__builtin__.exec"),
            "subprocess.call": ("subprocess.call", "commands.call")}.get(key, (key,))


def _torch_zip(inner: bytes) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("archive/data.pkl", inner)
        zf.writestr("archive/version", "3\n")
    return buf.getvalue()


def _legacy(inner: bytes) -> bytes:
    return (pickle.dumps(0x1950a86a20f9469cfc6c, protocol=2) + pickle.dumps(1001, protocol=2)
            + pickle.dumps({"little_endian": True}, protocol=2) + inner + pickle.dumps([], protocol=2))


def _state_dict_wrapping(payload) -> dict:
    from collections import OrderedDict
    return OrderedDict([("model.weight", [1.0, 2.0]), ("hook", payload)])


CASES = []
for key in ("os.system", "builtins.eval", "builtins.exec", "subprocess.call"):
    for protocol in (0, 2, 4):
        for container in ("pkl", "pt-zip", "pth-legacy"):
            CASES.append((key, protocol, container))


def _write_case(tmp_path, key, protocol, container):
    marker = tmp_path / "PAYLOAD_RAN"
    func, args = _payloads(marker)[key]
    inner = pickle.dumps(_state_dict_wrapping(_Payload(func, args)), protocol=protocol)
    name = {"pkl": "model.pkl", "pt-zip": "model.pt", "pth-legacy": "model.pth"}[container]
    data = {"pkl": inner, "pt-zip": _torch_zip(inner), "pth-legacy": _legacy(inner)}[container]
    path = tmp_path / name
    path.write_bytes(data)
    return path, marker


@pytest.mark.parametrize("key,protocol,container", CASES)
def test_malicious_pickles_are_critical_findings_and_never_run(tmp_path, key, protocol, container):
    path, marker = _write_case(tmp_path, key, protocol, container)
    info = inspect_file(path)
    names = [f.name for f in info.findings]
    assert any(n in names for n in _expected_global(key)), names
    assert all(f.classification == "dangerous" for f in info.findings)
    assert "collections.OrderedDict" not in names  # allow-listed globals are not findings
    assert not marker.exists()


def test_the_crafted_payload_is_real(tmp_path):
    """Control: plain pickle.load of the same bytes does run the payload (in a child process)."""
    path, marker = _write_case(tmp_path, "os.system", 2, "pkl")
    subprocess.run([sys.executable, "-c", f"import pickle; pickle.load(open({str(path)!r}, 'rb'))"],
                   capture_output=True, timeout=60)
    assert marker.exists()


def test_cli_reports_findings_without_running_the_payload(tmp_path):
    path, marker = _write_case(tmp_path, "builtins.eval", 4, "pt-zip")
    before = path.read_bytes()
    proc = subprocess.run([sys.executable, "-m", "modelcard_spec.cli", "inspect", str(path)],
                          capture_output=True, text=True, cwd=tmp_path, timeout=60)
    assert proc.returncode == 1
    assert "critical [MCS-PA-06]" in proc.stderr and "builtins.eval" in proc.stderr and "严重" in proc.stderr
    assert "Traceback" not in proc.stderr
    assert not marker.exists() and path.read_bytes() == before


def test_validate_with_model_reports_the_unsafe_global_against_the_weight_file(tmp_path):
    import shutil
    import yaml
    path, marker = _write_case(tmp_path, "os.system", 2, "pt-zip")
    card_dir = tmp_path / "card"
    shutil.copytree(ROOT / "examples" / "cxr-classification-backbone", card_dir)
    card = yaml.safe_load((card_dir / "card.yaml").read_text())
    wf = card["model_parameters"]["weight_files"][0]
    wf.update(file_name="model.pt", format="pt", size_bytes=path.stat().st_size, sha256=digests.sha256_file(path))
    (card_dir / "card.yaml").write_text(yaml.safe_dump(card, allow_unicode=True, sort_keys=False))
    proc = subprocess.run([sys.executable, "-m", "modelcard_spec.cli", "validate", str(card_dir / "card.yaml"),
                           "--model", str(path), "--format", "json"], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 1, proc.stderr
    import json
    issues = json.loads(proc.stdout)["results"][0]["issues"]
    pickle_issues = [i for i in issues if i["rule"] == "model.pickle-global"]
    assert pickle_issues and pickle_issues[0]["requirement"] == "MCS-PA-06"
    assert pickle_issues[0]["path"] == "/model_parameters/weight_files/0"
    assert any("posix.system" in i["message"] or "os.system" in i["message"] for i in pickle_issues)
    assert not marker.exists()


def test_handcrafted_opcodes_inst_stack_global_and_extension_codes():
    # protocol 0 INST: "subprocess Popen" called with a mark-delimited argument tuple
    inst = b"(S'touch /tmp/x'\nisubprocess\nPopen\n."
    assert [f.name for f in picklescan.scan_bytes(inst).findings] == ["subprocess.Popen"]
    # protocol 4 STACK_GLOBAL
    sg = b"\x80\x04\x8c\x02os\x8c\x06system\x93\x8c\x04true\x85R."
    res = picklescan.scan_bytes(sg)
    assert [(f.name, f.classification) for f in res.findings] == [("os.system", "dangerous")]
    # EXT1: a global from the copyreg registry cannot be checked, so it is a finding
    ext = b"\x80\x02\x82\x01)R."
    assert picklescan.scan_bytes(ext).findings[0].name == "copyreg.extension.1"


def test_unknown_but_harmless_globals_are_not_allow_listed():
    data = pickle.dumps({"args": __import__("argparse").Namespace(lr=0.1)}, protocol=2)
    res = picklescan.scan_bytes(data)
    assert [(f.name, f.classification) for f in res.findings] == [("argparse.Namespace", "not-allow-listed")]


@pytest.mark.parametrize("data", [b"", b"\x80\x02", b"\x80\x02]q\x00(K\x01", b"\x80\x02h\x05.", b"\x80\x02t."])
def test_malformed_pickles_raise_a_clear_error(data):
    with pytest.raises(picklescan.PickleError):
        picklescan.scan_bytes(data)


# --- every member PyTorch could load as the pickle, and every pickle by content -------------------

def _zip_with(members: dict) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return buf.getvalue()


_HARMLESS = pickle.dumps({"w": [1.0]}, protocol=2)
_PAYLOAD2 = b"\x80\x02cos\nsystem\nX\x04\x00\x00\x00trueR."
_PAYLOAD0 = b"cos\nsystem\n(S'true'\ntR."


@pytest.mark.parametrize("members", [
    # PyTorch (miniz) finds <first folder>/data.pkl comparing names case-insensitively
    {"archive/DATA.PKL": _PAYLOAD2, "archive/decoy_data.pkl": _HARMLESS, "archive/version": b"3\n"},
    {"archive/Data.Pkl": _PAYLOAD2, "archive/version": b"3\n"},
    {"archive/data.pkl": _HARMLESS, "archive/constants.PKL": _PAYLOAD2},
    {"archive/data.pkl": _HARMLESS, "archive/extra/blob": _PAYLOAD2},                # a pickle by its header
    {"archive/data.pkl": _HARMLESS, "archive/extra/blob": _PAYLOAD0},                # protocol 0, by its opcodes
    {"archive/data.pkl": _HARMLESS, "archive/extra/blob": b"N0" * 300 + _PAYLOAD0},  # ... past the first bytes
])
def test_every_member_that_could_be_loaded_as_a_pickle_is_scanned(tmp_path, members):
    path = tmp_path / "model.pt"
    path.write_bytes(_zip_with(members))
    info = inspect_file(path)
    assert [f.name for f in info.findings] == ["os.system"]
    assert info.findings[0].stream in members


def test_members_that_only_look_like_pickles_are_not_findings(tmp_path):
    """Storage bytes that start like a pickle but are not one (a float16 of 0x0280, text) are left alone."""
    members = {"archive/data.pkl": _HARMLESS, "archive/data/0": b"\x80\x02\xff\xfe" * 8,
               "archive/code/model.py": b"class Model(Module):\n  x = 1\n", "archive/byteorder": b"little"}
    path = tmp_path / "model.pt"
    path.write_bytes(_zip_with(members))
    info = inspect_file(path)
    assert info.findings == [] and info.globals == []


@pytest.mark.parametrize("head,expected", [
    (b"\x80\x02}q\x00.", True), (b"\x80\x05\x95", True), (b"\x80\x09", False), (b"cos\nsystem\n", True),
    (b"N0" * 128, True), (b"\x00\x00\x80?", False), (b"3\n", False), (b"little", False), (b"", False),
])
def test_sniffing_a_pickle_by_its_content(head, expected):
    assert picklescan.sniff(head) is expected


def _globals_by_pickletools(data: bytes) -> list[str]:
    """Oracle: the imports pickletools' own disassembler sees (with a symbolic stack for STACK_GLOBAL)."""
    import pickletools

    out, strings = [], []
    for op, arg, _ in pickletools.genops(data):
        if op.name in ("GLOBAL", "INST"):
            out.append(arg.replace(" ", "."))
        elif op.name == "STACK_GLOBAL":
            out.append(f"{strings[-2]}.{strings[-1]}")
        if isinstance(arg, str) and op.name.endswith("UNICODE"):
            strings.append(arg)
    return list(dict.fromkeys(out))


@pytest.mark.parametrize("protocol", range(6))
def test_the_opcode_reader_agrees_with_pickletools(protocol):
    import argparse
    import collections
    import datetime
    import decimal
    import fractions

    objects = [
        {"a": [1, 2.5, "x" * 300, b"y" * 300, None, True, 10 ** 40, -(10 ** 40)], ("t", 1): frozenset({1, 2})},
        collections.OrderedDict(w=[1.0] * 5, b=bytearray(b"zz")), argparse.Namespace(lr=0.1, name="é\u4e2d"),
        [datetime.date(2024, 1, 2), decimal.Decimal("1.5"), fractions.Fraction(1, 3), {1, 2, 3}, complex(1, 2)],
        collections.defaultdict(list, a=[1]), list(range(3000)), {"s": "\U0001F600", "n": float("nan")},
    ]
    for obj in objects:
        data = pickle.dumps(obj, protocol=protocol)
        result = picklescan.scan_bytes(data)
        assert result.globals == _globals_by_pickletools(data), obj
        assert len(result.roots) == 1


def test_a_payload_is_never_read_into_memory(tmp_path):
    import tracemalloc

    n = 300 << 20
    path = tmp_path / "big.pkl"
    with open(path, "wb") as fh:  # sparse: BINBYTES8 of 300 MiB, then an import
        fh.write(b"\x80\x04\x8e" + n.to_bytes(8, "little"))
        fh.seek(n, os.SEEK_CUR)
        fh.write(b"0" + _PAYLOAD2[2:])
    tracemalloc.start()
    info = inspect_file(path)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert [f.name for f in info.findings] == ["os.system"] and info.findings[0].offset == 11 + n + 1
    assert peak < 8 << 20, f"peak Python allocation {peak / 2**20:.1f} MiB"


def test_keys_are_never_hashed_or_printed_deeply():
    # a 2,000-deep tuple as a dict key: the depth limit stops it, hashing never happens
    deep = b"\x80\x02}(" + b")" + b"\x85" * 2000 + b"K\x01u."
    with pytest.raises(picklescan.LimitExceeded, match="levels of nesting"):
        picklescan.scan_bytes(deep)
    # a list key, shared 2**30 times through the memo: refused as pickle.load refuses it, never repr'd
    shared = b"\x80\x02}(]q\x000" + b"".join(b"(h%ch%clq%c0" % (i - 1, i - 1, i) for i in range(1, 31)) + b"h\x1eK\x01u."
    with pytest.raises(picklescan.PickleError, match="dict key"):
        picklescan.scan_bytes(shared)
    # a tuple of scalars is a fine key
    ok = picklescan.scan_bytes(pickle.dumps({(1, "a"): 2, frozenset({3}): 4}, protocol=2))
    assert len(ok.roots[0]) == 2


def test_a_shared_object_graph_is_walked_once(tmp_path):
    # d0 holds a tensor; d(i) = {"a": d(i-1), "b": d(i-1)}: 2**60 paths, 61 dicts
    from modelcard_spec.modelfiles.pickles import Budget

    sys.path.insert(0, str(ROOT / "tests"))
    from test_hostile_models import tensor_pickle, torch_members, write_zip

    inner = tensor_pickle()[2:-1]
    body = inner + b"q\x000" + b"".join(b"}(X\x01\x00\x00\x00ah%cX\x01\x00\x00\x00bh%cuq%c0" % (i - 1, i - 1, i)
                                       for i in range(1, 61)) + b"h\x3c"
    path = write_zip(tmp_path / "m.pt", torch_members(b"\x80\x02" + body + b"."))
    # a budget of 1,000 objects: walking the 2**60 paths instead of the 61 dicts would exceed it
    info = inspect_file(path, budget=Budget(max_objects=1000))
    assert (info.tensor_count, info.total_parameters) == (1, 1)


# --- numbers written as text: read exactly as CPython reads them -----------------------------------

def _cpython_reads(data: bytes):
    """(accepted by the C or the pure-Python unpickler, the C unpickler's value or None)."""
    values = []
    for load in (pickle.loads, pickle._loads):
        try:
            values.append((True, load(data)))
        except Exception:  # noqa: BLE001 - every refusal counts the same
            values.append((False, None))
    return values[0][0] or values[1][0], values[0][1]


def _scanner_reads(data: bytes):
    try:
        return True, picklescan.scan_bytes(data).roots[0]
    except picklescan.PickleError:
        return False, None


_NUMBER_EDGES = [b"0x10", b"0X1f", b"\x00", b"\x00junk", b"1\x00junk", b" 1", b"1 ", b"+0", b"-0", b"010", b"09",
                 b"0o17", b"0b11", b"1_000", b"0" * 5000 + b"1", b"1" * 5000, b"0x", b"0x_1", b"0_0", b"\x1c1",
                 b"\xa01", b" ", b"", b"00", b"01", b"07" * 12, b"9223372036854775807", b"9223372036854775808",
                 b"-9223372036854775808", b"0x10L", b"1LL", b"L", b"1.5\x00x", b" 1.5", b"1_0.5", b"1e999", b"inf",
                 b"-Infinity", b"nan", b"0x1p3", b".5", b"5.", b"1e", b"\t\x0b\x0c\r1"]
_NUMBER_ALPHABET = b"0123456789abcdefxXoObBlL_+-. \t\x0b\x0c\r\x00eEinfINFaty\x1c\xa0"


@pytest.mark.parametrize("opcode", [b"I", b"L", b"F", b"p"])
def test_numbers_written_as_text_are_read_as_cpython_reads_them(opcode):
    """Oracle: CPython's two unpicklers. The scanner accepts a number line exactly when one of them
    does (so it follows every stream a loader follows: the 4,300-digit limit of int() is lifted, as
    in Python before 3.11), and reads INT and LONG to the C unpickler's value."""
    import random

    previous = sys.get_int_max_str_digits()
    sys.set_int_max_str_digits(0)
    try:
        rng = random.Random(1833)
        lines = _NUMBER_EDGES + [bytes(rng.choice(_NUMBER_ALPHABET) for _ in range(rng.randint(0, rng.choice((3, 8, 24)))))
                                 for _ in range(4000)]
        for line in lines:
            # PUT then GET with the same text: the memo index is read as CPython reads it
            data = b"Np" + line + b"\n0g" + line + b"\n." if opcode == b"p" else opcode + line + b"\n."
            theirs, value = _cpython_reads(data)
            ours, our_value = _scanner_reads(data)
            assert ours == theirs, data
            if theirs and value is not None and opcode in (b"I", b"L"):
                assert our_value == value and type(our_value) is type(value), data
    finally:
        sys.set_int_max_str_digits(previous)


def test_a_number_line_is_limited_by_the_budget_not_dropped():
    data = b"I" + b"0" * 5000 + b"1\n."
    assert picklescan.scan_bytes(data).roots == [1]
    with pytest.raises(picklescan.LimitExceeded, match="text argument") as caught:
        picklescan.scan_bytes(data, budget=picklescan.Budget(max_line=4096))
    assert caught.value.offset == 0 and (caught.value.kind, caught.value.limit) == ("line", 4096)
    assert "操作码文本参数" in scan_error(caught.value).message_zh
    # what follows a NUL is never kept, however long
    assert picklescan.scan_bytes(b"I7\0" + b"x" * (3 << 20) + b"\n.").roots == [7]


def test_each_global_is_one_finding_with_its_count_and_first_places():
    data = b"cos\nsystem\n." * 5 + b"\x80\x02cos\nsystem\ncsubprocess\ncall\ncos\nsystem\n."
    result = picklescan.scan_bytes(data)
    assert [(f.name, f.count) for f in result.findings] == [("os.system", 1)]  # scan_bytes: the first pickle
    path_result = picklescan.ScanResult()
    reader = picklescan.Reader(io.BytesIO(data), picklescan.Budget(), size=len(data), seekable=True)
    for i in range(6):
        picklescan.scan_stream(reader, path_result, f"#{i}")
    assert [(f.name, f.count) for f in path_result.findings] == [("os.system", 6), ("subprocess.call", 1)]
    assert path_result.findings[0].locations == [("#0", 0), ("#1", 12), ("#2", 24)]
    assert path_result.globals == ["os.system", "subprocess.call"]


class _Inert:
    """Stands for every global the recording unpickler is asked for: calling, building, appending or
    setting items on it does nothing."""

    def __init__(self, *args, **kwargs):
        pass

    def __call__(self, *args, **kwargs):
        return _Inert()

    def __setstate__(self, state):
        pass

    def append(self, item):
        pass

    def extend(self, items):
        pass

    def add(self, item):
        pass

    def __setitem__(self, key, value):
        pass


def _imports_when_loaded(data: bytes) -> list[str]:
    """The globals CPython's unpickler imports from ``data`` read as a loader that calls pickle.load
    until the data ends, going on after each error from where the failed load stopped."""
    seen: list[str] = []

    class Recorder(pickle.Unpickler):
        def find_class(self, module, name):
            seen.append(f"{module}.{name}")
            return _Inert

    f = io.BytesIO(data)
    while f.tell() < len(data):
        before = f.tell()
        try:
            Recorder(f).load()
        except Exception:  # noqa: BLE001 - any refusal: go on from where it stopped
            if f.tell() == before:
                break
    return seen


_TOKENS = [b"N", b"(", b"t", b"l", b"d", b"s", b"a", b"0", b"1", b"2", b"R", b"b", b".", b".", b".", b")", b"]", b"}",
           b"e", b"u", b"\x85", b"K\x01", b"J\x01\x00\x00\x00", b"S'x'\n", b"V\\u0041\n", b"X\x01\x00\x00\x00a",
           b"q\x01", b"h\x01", b"\x80\x02", b"o", b"\x81", b"cos\nsystem\n", b"ccollections\nOrderedDict\n",
           b"cbuiltins\neval\n", b"ctorch._utils\n_rebuild_tensor_v2\n", b"ios\nsystem\n",
           b"X\x02\x00\x00\x00osX\x06\x00\x00\x00system\x93", b"\x82\x01"]


_STREAMS = [b"cos\nsystem\n(S'x'\ntR.", b"ccollections\nOrderedDict\n)R.", b"\x80\x02cbuiltins\neval\nX\x01\x00\x00\x00x\x85R.",
            b"\x80\x04\x8c\x02os\x8c\x06system\x93.", b"(S'x'\nios\nsystem\n.", b"N.", b"]q\x01(K\x01h\x01e.",
            pickle.dumps({"w": [1.5, "x"], 2: (None, True)}, protocol=0), pickle.dumps([1, {2}], protocol=1),
            pickle.dumps(__import__("collections").OrderedDict(a=1), protocol=2)]


def _random_ops(rng, n: int, imports: bool = True) -> bytes:
    """Opcodes and text numbers at random (with or without the import opcodes)."""
    out = []
    tokens = _TOKENS if imports else [t for t in _TOKENS if not t.startswith((b"c", b"i", b"X\x02", b"\x82"))]
    for _ in range(n):
        r = rng.random()
        if r < 0.6:
            out.append(rng.choice(tokens))
        elif r < 0.8:  # a number written as text
            text = bytes(rng.choice(_NUMBER_ALPHABET) for _ in range(rng.randint(0, 6)))
            out.append(rng.choice((b"I", b"L", b"F")) + text + b"\n")
        elif r < 0.9:  # a small memo index written as text
            out.append(rng.choice((b"p", b"g")) + rng.choice((b"1", b" 2", b"0_1", b"+3", b"1\x00x", b"-1")) + b"\n")
        else:
            byte = rng.randrange(256)
            out.append(bytes([byte]) if imports or byte not in b"ci\x93\x82\x83\x84" else b"\n")
    return b"".join(out)


def _random_pickles(rng) -> bytes:
    """A pickle, then pickles, opcodes and bytes at random: what follows the first pickle is
    sometimes free of import opcodes, the case the scanner lets pass with a note."""
    out = [rng.choice(_STREAMS)]
    for _ in range(rng.randint(0, 4)):
        r = rng.random()
        if r < 0.4:
            out.append(rng.choice(_STREAMS))
        elif r < 0.7:  # a text number that must be read as CPython reads it, then a stream
            text = bytes(rng.choice(_NUMBER_ALPHABET) for _ in range(rng.randint(1, 6)))
            out.append(rng.choice((b"I", b"L", b"F")) + text + b"\n0" + rng.choice(_STREAMS))
        else:
            out.append(_random_ops(rng, rng.randint(1, 12), imports=rng.random() < 0.3))
    return b"".join(out)


def test_whatever_a_loader_imports_the_scanner_lists_when_it_calls_the_file_readable(tmp_path):
    """Oracle: CPython's own unpickler with an inert find_class. For random protocol 0-2 opcode
    sequences (several pickles, text numbers, garbage bytes), whenever inspect does not refuse the
    file, every global the loader imports (retrying after errors) is among the globals it lists."""
    import random

    rng = random.Random(20260)
    path = tmp_path / "r.pkl"
    readable = 0
    for _ in range(3000):
        data = _random_pickles(rng)
        path.write_bytes(data)
        try:
            info = inspect_file(path)
        except ModelFileError:
            continue
        readable += 1
        loaded = set(_imports_when_loaded(data))
        assert loaded <= set(info.globals), (data, loaded, info.globals)
    assert readable > 300  # the property was exercised


def test_byte_offsets_read_as_zero_based_offsets_in_chinese(capsys):
    """Offsets count from 0; "第 N 字节" would read as the N-th byte, counted from 1."""
    from modelcard_spec import cli
    from modelcard_spec.modelfiles.pickles import UnsafeGlobal

    error = ModelFileError("modelfile.onnx", "empty", member="archive/data.pkl", offset=0)
    assert error.message_zh == "archive/data.pkl 字节偏移 0：文件为空"
    assert error.message == "archive/data.pkl, byte 0: empty file"
    cli._report_findings("m.pt", [UnsafeGlobal("os.system", "dangerous", 17, "archive/data.pkl"),
                                  UnsafeGlobal("posix.system", "dangerous", 2, "#0", count=2, locations=[("#0", 2), ("#1", 9)])])
    lines = capsys.readouterr().err.splitlines()
    assert "m.pt: 严重 [MCS-PA-06] archive/data.pkl 在字节偏移 17 处导入 os.system（已知危险）；用 pickle 加载此文件可能执行代码" in lines
    assert ("m.pt: 严重 [MCS-PA-06] 共有 2 个 pickle 数据流导入 posix.system（已知危险），前几处位于 #0 的字节偏移 2、"
            "#1 的字节偏移 9；用 pickle 加载此文件可能执行代码") in lines
    assert not any("第" in line and "字节" in line for line in lines)


# --- TorchScript, legacy and protocol-0 checkpoints ------------------------------------------------

def _torchscript(data_pkl: bytes, constants: bool = True) -> bytes:
    """A TorchScript archive by hand: data.pkl, constants.pkl (what marks TorchScript) and the code
    of class __torch__.m.M, whose __parameters__ name weight and whose __buffers__ name running."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("archive/data.pkl", data_pkl)
        if constants:
            zf.writestr("archive/constants.pkl", b"\x80\x02).")
        zf.writestr("archive/code/__torch__/m.py", 'class M(Module):\n  __parameters__ = ["weight", ]\n'
                    '  __buffers__ = ["running", ]\n  weight : Tensor\n  running : Tensor\n')
        zf.writestr("archive/data/0", b"\0" * 24)  # 6 and 4 float32 elements
        zf.writestr("archive/data/1", b"\0" * 16)
        zf.writestr("archive/version", "3\n")
    return buf.getvalue()


def _tensor(key: str, n: int) -> bytes:
    """Pickle opcodes of a float32 tensor of n elements on storage ``key`` (protocol 2)."""
    pid = b"(X\x07\x00\x00\x00storagectorch\nFloatStorage\nX" + len(key).to_bytes(4, "little") + key.encode() \
        + b"X\x03\x00\x00\x00cpuK" + bytes([n]) + b"tQ"
    return (b"ctorch._utils\n_rebuild_tensor_v2\n(" + pid + b"K\x00K" + bytes([n]) + b"\x85K\x01\x85\x89"
            b"ccollections\nOrderedDict\n)RtR")


_MODULE = (b"\x80\x02c__torch__.m\nM\n)\x81}(X\x06\x00\x00\x00weight" + _tensor("0", 6)
           + b"X\x07\x00\x00\x00running" + _tensor("1", 4) + b"ub.")


def test_torchscript_parameters_and_buffers_come_from_its_code(tmp_path):
    path = tmp_path / "m.pt"
    path.write_bytes(_torchscript(_MODULE))
    info = inspect_file(path)
    assert info.container == "torchscript" and info.findings == []
    assert (info.total_parameters, info.buffer_elements, info.buffer_rule) == (6, 4, "file")
    assert (info.torchscript.code_files, info.torchscript.classes) == (1, ["__torch__.m.M"])
    # the same pickle in a plain PyTorch zip (no constants.pkl): no TorchScript records, names only,
    # and __torch__.m.M is an import like any other (strict outside TorchScript)
    plain = tmp_path / "plain.pt"
    plain.write_bytes(_torchscript(_MODULE, constants=False))
    info = inspect_file(plain)
    assert info.container == "pytorch-zip" and info.torchscript is None
    assert (info.total_parameters, info.buffer_elements) == (10, 0)
    assert [f.name for f in info.findings] == ["__torch__.m.M"]


def test_torchscript_code_is_a_warning_and_a_malicious_global_in_it_is_critical(tmp_path):
    genuine = tmp_path / "genuine.pt"
    genuine.write_bytes(_torchscript(_MODULE))
    proc = subprocess.run([sys.executable, "-m", "modelcard_spec.cli", "inspect", str(genuine)], capture_output=True,
                          text=True, timeout=60)
    assert proc.returncode == 0 and "critical" not in proc.stderr
    assert "warning [MCS-PA-06] a TorchScript archive with 1 code file(s) defining the 1 module class(es)" in proc.stderr
    # a global that is neither a TorchScript class nor one of its list builders stays critical
    for imported in (b"cposix\nsystem\n", b"ctorch.jit._pickle\nbuild_intlist\n", b"c__builtin__\neval\n"):
        bad = tmp_path / "bad.pt"
        bad.write_bytes(_torchscript(b"\x80\x02" + imported + b"(S'x'\ntR0" + _MODULE[2:]))
        proc = subprocess.run([sys.executable, "-m", "modelcard_spec.cli", "inspect", str(bad)], capture_output=True,
                              text=True, timeout=60)
        own = imported.startswith(b"ctorch.jit")
        assert proc.returncode == (0 if own else 1), (imported, proc.stderr)
        assert ("critical [MCS-PA-06]" in proc.stderr) is not own


def test_protocol_0_legacy_and_tar_checkpoints_are_scanned_not_refused(tmp_path):
    """A legacy checkpoint written entirely in pickle protocol 0, and the tar format, are scanned:
    their payload is a critical finding, not an "unknown format" error."""
    marker = tmp_path / "PAYLOAD_RAN"
    inner = pickle.dumps(_state_dict_wrapping(_Payload(os.system, (f"touch {marker}",))), protocol=0)
    legacy = tmp_path / "p0.pt"
    legacy.write_bytes(pickle.dumps(0x1950a86a20f9469cfc6c, protocol=0) + pickle.dumps(1001, protocol=0)
                       + pickle.dumps({"little_endian": True}, protocol=0) + inner + pickle.dumps([], protocol=0))
    info = inspect_file(legacy)
    assert info.container == "pytorch-legacy" and [f.name for f in info.findings] == ["posix.system"]
    import tarfile

    tar = tmp_path / "old.pt"
    with tarfile.open(tar, "w") as tf:
        for name, body in (("storages", pickle.dumps(0, protocol=0) + pickle.dumps([], protocol=0)),
                           ("tensors", pickle.dumps(0, protocol=0)), ("pickle", inner)):
            member = tarfile.TarInfo(name)
            member.size = len(body)
            tf.addfile(member, io.BytesIO(body))
    info = inspect_file(tar)
    assert info.container == "pytorch-tar" and [f.name for f in info.findings] == ["posix.system"]
    assert not marker.exists()
