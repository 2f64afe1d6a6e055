"""Hostile evidence and hostile output paths, through the command line (one measured process each).

Every case: exit 1 or 2, a message in English and Chinese, no traceback, the inputs byte-identical,
nothing outside the card's folder read or quoted, within the hostile-input budget. Evidence cases
use a copy of the runnable example (examples/wdbc-cytology-mlp): three sample lists, seven local
evidence files, two example arrays and an ONNX model.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import shutil
import struct
import zlib
from pathlib import Path

import numpy as np
import pytest

from conftest import EXAMPLES, run_measured

WDBC = EXAMPLES / "wdbc-cytology-mlp"
MODEL = "model/wdbc_cytology_mlp_1.0.0.onnx"
LONG = "a" * 300  # one path component over the 255 bytes file systems allow
SECRET = "outside-secret-line-7f3a"  # a line of a file outside the card's folder, never to be quoted


def tree(folder: Path) -> dict:
    """Every entry under ``folder`` (symbolic links as their target text, files by digest)."""
    out = {}
    for p in sorted(folder.rglob("*")):
        key = p.relative_to(folder).as_posix()
        if p.is_symlink():
            out[key] = "-> " + os.readlink(p)
        elif p.is_file():
            out[key] = hashlib.sha256(p.read_bytes()).hexdigest()
        elif p.is_dir():
            out[key] = "dir"
        else:
            out[key] = "special"
    return out


@pytest.fixture()
def card(tmp_path):
    """A copy of the runnable example, and a file outside its folder that holds SECRET."""
    dest = tmp_path / "card"
    shutil.copytree(WDBC, dest)
    (tmp_path / "outside.txt").write_text(f"{SECRET}\nwdbc-000\n", encoding="utf-8")
    return dest


def add_evidence(folder: Path, *entries: str) -> list[int]:
    """Append evidence entries (YAML flow mappings) to the card; their indexes in /evidence."""
    path = folder / "card.yaml"
    text = path.read_text(encoding="utf-8")
    head, tail = text.split("\nconformity:", 1)
    before = head.count("\n  - {id: ev-")
    head += "".join(f"\n  - {e}" for e in entries)
    path.write_text(head + "\nconformity:" + tail, encoding="utf-8")
    return list(range(before, before + len(entries)))


def set_evidence_path(folder: Path, ev_id: str, rel: str, sha256: str | None = None) -> None:
    """Point evidence ``ev_id`` at ``rel`` (and declare ``sha256``, or drop the declared one)."""
    path = folder / "card.yaml"
    lines = path.read_text(encoding="utf-8").split("\n")
    for n, line in enumerate(lines):
        if line.startswith(f"  - {{id: {ev_id},"):
            start = line.index("path: ")
            end = line.index(", supports:")
            digest = f", sha256: {sha256}" if sha256 else ""
            lines[n] = line[:start] + f"path: {json.dumps(rel)}{digest}" + line[end:]
    path.write_text("\n".join(lines), encoding="utf-8")


def tamper(folder: Path) -> None:
    with (folder / "evidence" / "training_curves.json").open("a", encoding="utf-8") as fh:
        fh.write(" ")


def check_process(m, *codes) -> None:
    assert m.returncode in (codes or (1, 2)), m
    assert "Traceback" not in m.stdout + m.stderr, m
    assert SECRET not in m.stdout + m.stderr, m
    assert m.within_budget(), m


def validate(folder: Path):
    m = run_measured(["validate", folder / "card.yaml", "--format", "json"])
    check_process(m, 1)
    result = json.loads(m.stdout)["results"][0]
    assert all(i["message"] and i["message_zh"] for i in result["issues"])
    status = {r["id"]: r["status"] for r in result["requirements"]}
    return result["issues"], status


def errors_at(issues, path):
    return [i for i in issues if i["path"] == path and i["severity"] == "error"]


# --------------------------------------------------------------------------- evidence checks


def test_a_decoy_entry_does_not_switch_the_evidence_check_off(card):
    [decoy] = add_evidence(card, f"{{id: ev-decoy, title: Decoy, kind: report, path: evidence/{LONG}.txt}}")
    tamper(card)
    before = tree(card)
    issues, status = validate(card)
    assert errors_at(issues, f"/evidence/{decoy}/path"), issues  # the decoy's own located error
    tampered = errors_at(issues, "/evidence/6/sha256")  # the other entries are still hashed
    assert tampered and tampered[0]["rule"] == "evidence.sha256"
    assert "名称超出文件系统允许的长度" in errors_at(issues, f"/evidence/{decoy}/path")[0]["message_zh"]
    assert status["MCS-LC-05"] == "nonconforming"
    assert tree(card) == before


def _special(card: Path, kind: str) -> str:
    """Make an evidence path of the given hostile kind inside ``card``; return it."""
    ev = card / "evidence"
    if kind == "folder":
        (ev / "sub").mkdir()
        return "evidence/sub"
    if kind == "fifo":
        os.mkfifo(ev / "pipe.txt")
        return "evidence/pipe.txt"
    if kind == "symlink-loop":
        (ev / "loop-a").symlink_to("loop-b")
        (ev / "loop-b").symlink_to("loop-a")
        return "evidence/loop-a"
    if kind == "file-as-folder":
        return "evidence/performance.json/x"
    if kind == "long-component":
        return f"evidence/{LONG}/x.txt"
    raise AssertionError(kind)


@pytest.mark.parametrize("kind", ["folder", "fifo", "symlink-loop", "file-as-folder", "long-component"])
def test_each_unreadable_evidence_path_is_its_own_located_error(card, kind):
    rel = _special(card, kind)
    [index] = add_evidence(card, f"{{id: ev-odd, title: Odd, kind: report, path: {json.dumps(rel)}}}")
    tamper(card)
    before = tree(card)
    issues, status = validate(card)
    own = errors_at(issues, f"/evidence/{index}/path")
    assert own and own[0]["requirement"] == "MCS-LC-05" and "could not be checked" in own[0]["message"], issues
    assert "无法核验" in own[0]["message_zh"]
    assert errors_at(issues, "/evidence/6/sha256")  # the tampered file is still found
    assert status["MCS-LC-05"] == "nonconforming"
    assert tree(card) == before


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() == 0,
                    reason="root reads any file (tests/test_rules.py covers this case with a refused open)")
def test_an_unreadable_evidence_file_is_its_own_located_error(card):
    locked = card / "evidence" / "performance.json"
    locked.chmod(0)
    try:
        issues, status = validate(card)
    finally:
        locked.chmod(0o644)
    own = errors_at(issues, "/evidence/7/path")
    assert own and "permission denied" in own[0]["message"] and "无访问权限" in own[0]["message_zh"]
    assert status["MCS-LC-05"] == "nonconforming"


def test_a_fifo_is_refused_without_blocking_in_verify(card):
    os.mkfifo(card / "evidence" / "inputs.npy")
    set_evidence_path(card, "ev-test-inputs", "evidence/inputs.npy")
    before = tree(card)
    m = run_measured(["verify", card / "card.yaml", "--model", card / MODEL, "--no-save", "--format", "json"],
                     timeout=20)
    check_process(m, 1)
    problem = json.loads(m.stdout)["examples"][0]["problems"][0]
    assert "not a regular file" in problem["message"] and "命名管道" in problem["message_zh"]
    assert tree(card) == before


def test_an_unreadable_sample_list_does_not_switch_the_disjointness_check_off(card):
    set_evidence_path(card, "ev-split-validation", f"evidence/{LONG}.txt")
    train = (card / "evidence" / "split_train.txt").read_text().split()[0]
    with (card / "evidence" / "split_test.txt").open("a") as fh:
        fh.write(train + "\n")
    before = tree(card)
    issues, status = validate(card)
    unread = errors_at(issues, "/training_process/data_splits/splits/1/sample_list")
    assert unread and unread[0]["rule"] == "splits.disjoint" and "could not be checked" in unread[0]["message"]
    shared = errors_at(issues, "/training_process/data_splits/splits/2/sample_list")
    assert shared and train in shared[0]["message"] and train in shared[0]["message_zh"]
    assert status["MCS-TR-04"] == "nonconforming"
    assert tree(card) == before


def test_a_sample_list_outside_the_card_folder_is_neither_read_nor_quoted(card, tmp_path):
    link = card / "evidence" / "split_validation.txt"
    link.unlink()
    link.symlink_to(tmp_path / "outside.txt")  # shares wdbc-000 with the training list
    issues, status = validate(card)
    assert errors_at(issues, "/training_process/data_splits/splits/1/sample_list")
    assert not any("wdbc-000" in i["message"] for i in issues)
    assert status["MCS-TR-04"] == "nonconforming"


def test_a_symlink_swapped_between_two_validations_is_seen_in_a_long_running_process(card, tmp_path):
    from modelcard_spec import validate as validate_api

    link = card / "evidence" / "split_validation.txt"
    inside = card / "evidence" / "validation_copy.txt"
    shutil.copy(link, inside)
    link.unlink()
    link.symlink_to(inside)
    first = validate_api(card / "card.yaml").results[0]
    assert first.valid, [i.message for i in first.issues]
    link.unlink()
    link.symlink_to(tmp_path / "outside.txt")  # swapped after the first validation
    second = validate_api(card / "card.yaml").results[0]
    messages = [i.message + i.message_zh for i in second.issues]
    assert not any(SECRET in m or "wdbc-000" in m for m in messages), messages
    assert any(i.rule == "evidence.path" and "leaves the card's folder" in i.message for i in second.issues)
    status = {r["id"]: r["status"] for r in second.requirements}
    assert status["MCS-TR-04"] == "nonconforming" and status["MCS-LC-05"] == "nonconforming"


# --------------------------------------------------------------------------- evidence budgets


def stamp(folder: Path) -> dict:
    """Every entry under ``folder`` by size and modification time (for folders of large files)."""
    return {p.relative_to(folder).as_posix(): (p.lstat().st_size, p.lstat().st_mtime_ns) for p in sorted(folder.rglob("*"))}


def sparse(path: Path, size: int) -> str:
    """A file of ``size`` zero bytes that takes no disk space; its SHA-256."""
    with path.open("wb") as fh:
        fh.truncate(size)
    digest, block = hashlib.sha256(), bytes(1 << 20)
    for _ in range(size >> 20):
        digest.update(block)
    digest.update(bytes(size & ((1 << 20) - 1)))
    return digest.hexdigest()


def _card_command(command: str, card: Path, tmp_path: Path) -> list:
    c = card / "card.yaml"
    return {"validate": ["validate", c, "--format", "json"], "report": ["report", c, "--format", "json"],
            "export": ["export", c, "--to", "nt"], "kg load": ["kg", "load", c, "--store", tmp_path / "store"]}[command]


@pytest.mark.parametrize("command", ["validate", "report", "export", "kg load"])
def test_one_evidence_file_named_thousands_of_times_is_hashed_once(card, tmp_path, command):
    """3,000 entries name one 8 MiB file, 300 of them through hard links: each real file is hashed
    once per validation (device and inode of what was opened), and every entry is still compared."""
    big = card / "evidence" / "big.bin"
    digest = sparse(big, 8 << 20)
    (card / "evidence" / "links").mkdir()
    entries = []
    for i in range(300):
        os.link(big, card / "evidence" / "links" / f"l{i}.bin")
        entries.append(f"{{id: ev-l{i}, title: L, kind: report, path: evidence/links/l{i}.bin, sha256: {digest}}}")
    for i in range(2700):
        sha = f", sha256: {digest}" if i % 2 else ""
        entries.append(f"{{id: ev-b{i}, title: B, kind: report, path: evidence/big.bin{sha}}}")
    [*_, wrong] = add_evidence(card, *entries, f"{{id: ev-wrong, title: W, kind: report, path: evidence/links/l7.bin, sha256: {'f' * 64}}}")
    before = stamp(card)
    m = run_measured(_card_command(command, card, tmp_path), timeout=30)
    check_process(m, 0, 1)
    assert stamp(card) == before
    if command == "validate":
        issues = json.loads(m.stdout)["results"][0]["issues"]
        assert [(i["path"], i["rule"]) for i in issues if i["rule"].startswith("evidence.")] == \
            [(f"/evidence/{wrong}/sha256", "evidence.sha256")], issues


def test_evidence_beyond_the_hashing_budget_is_an_error_never_a_pass(card):
    from modelcard_spec.check.evidence_reader import MAX_HASHED_BYTES

    ev = card / "evidence"
    whole = sparse(ev / "whole.bin", MAX_HASHED_BYTES + 1)  # more than a card may hash
    part = sparse(ev / "a.bin", MAX_HASHED_BYTES * 3 // 4)
    shutil.copy(ev / "a.bin", ev / "b.bin")  # the same bytes in another file: hashed again, and too many
    os.link(ev / "a.bin", ev / "a-link.bin")  # the same file: not hashed again
    first, a, b, link = add_evidence(
        card, f"{{id: ev-whole, title: W, kind: report, path: evidence/whole.bin, sha256: {whole}}}",
        *(f"{{id: ev-{n}, title: P, kind: report, path: evidence/{n}.bin, sha256: {part}}}" for n in ("a", "b", "a-link")))
    tamper(card)
    before = stamp(card)
    issues, status = validate(card)
    budget = f"{MAX_HASHED_BYTES:,}"
    over = errors_at(issues, f"/evidence/{first}/path")
    assert over and f"more than the {budget} bytes of evidence hashed per card" in over[0]["message"], issues
    left = errors_at(issues, f"/evidence/{b}/path")
    assert left and f"left of the {budget} bytes of evidence hashed per card" in left[0]["message"], issues
    for found in (over[0], left[0]):
        assert found["rule"] == "evidence.sha256" and found["requirement"] == "MCS-LC-05"
        assert "SHA-256 could not be checked" in found["message"] and "无法核验其 SHA-256" in found["message_zh"]
        assert "证据摘要计算量" in found["message_zh"]
    assert not errors_at(issues, f"/evidence/{a}/path") + errors_at(issues, f"/evidence/{link}/path")
    assert errors_at(issues, "/evidence/6/sha256")  # the other entries are still hashed
    assert status["MCS-LC-05"] == "nonconforming"
    assert stamp(card) == before


def _sample_lists(card: Path, texts: list[str], role: str = "test") -> list[int]:
    """Replace the card's splits by one split per text (a sample list each); their indexes."""
    path = card / "card.yaml"
    text = path.read_text(encoding="utf-8")
    start = text.index("    splits:\n") + len("    splits:\n")
    end = text.index("    disjoint: true")
    splits = "".join(f"      - {{role: {role}, size: 1, ratio: 0.1, datasets: [ds-wdbc], sample_list: ev-list{k}}}\n"
                     for k in range(len(texts)))
    path.write_text(text[:start] + splits + text[end:], encoding="utf-8")
    for k, content in enumerate(texts):
        (card / "evidence" / f"list{k}.txt").write_text(content, encoding="utf-8")
    add_evidence(card, *(f"{{id: ev-list{k}, title: L, kind: data_list, path: evidence/list{k}.txt}}"
                         for k in range(len(texts))))
    return list(range(len(texts)))


def test_sample_lists_beyond_the_reading_budget_are_an_error_never_a_pass(card):
    """Three lists of 2,090,000 distinct 7-digit IDs (16.7 MB each) took 704 MiB."""
    from modelcard_spec.check.evidence_reader import MAX_SAMPLE_LINES

    texts = ["".join(f"{i}\n" for i in range(1_000_000 + k * 2_090_000, 1_000_000 + (k + 1) * 2_090_000))
             for k in range(3)]
    indexes = _sample_lists(card, texts)
    before = tree(card)
    issues, status = validate(card)
    for i in indexes:
        found = errors_at(issues, f"/training_process/data_splits/splits/{i}/sample_list")
        assert found and found[0]["rule"] == "splits.disjoint" and found[0]["requirement"] == "MCS-TR-04", issues
        assert f"has 2,090,000 lines, more than the {MAX_SAMPLE_LINES:,} lines of sample lists read per card" in \
            found[0]["message"] and "could not be checked" in found[0]["message"]
        assert "样本清单读取量" in found[0]["message_zh"] and "无法核验" in found[0]["message_zh"]
    assert status["MCS-TR-04"] == "nonconforming"
    assert tree(card) == before


def test_sample_lists_at_the_limits_are_compared_within_the_budget(card):
    """The most a card may make the check do: MAX_SAMPLE_LISTS lists holding MAX_SAMPLE_LINES lines
    and nearly MAX_SAMPLE_BYTES in all, every pair sharing every ID; one list more is not compared."""
    from modelcard_spec.check.evidence_reader import MAX_SAMPLE_BYTES, MAX_SAMPLE_LINES, MAX_SAMPLE_LISTS

    lines = MAX_SAMPLE_LINES // MAX_SAMPLE_LISTS
    width = MAX_SAMPLE_BYTES // MAX_SAMPLE_LINES - 2
    same = "".join(f"{i:0{width}d}\n" for i in range(lines))
    indexes = _sample_lists(card, [same] * (MAX_SAMPLE_LISTS + 1))
    m = run_measured(["validate", card / "card.yaml", "--format", "json"])
    check_process(m, 1)
    issues = [i for i in json.loads(m.stdout)["results"][0]["issues"] if i["rule"] == "splits.disjoint"]
    shared = [i for i in issues if f"share {lines} sample(s), e.g. {0:0{width}d}" in i["message"]]
    assert len(shared) == MAX_SAMPLE_LISTS * (MAX_SAMPLE_LISTS - 1) // 2, issues
    last = [i for i in issues if i["path"] == f"/training_process/data_splits/splits/{indexes[-1]}/sample_list"]
    assert len(last) == 1 and "were not compared" in last[0]["message"] and "未参与比对" in last[0]["message_zh"]
    assert {i["requirement"] for i in issues} == {"MCS-TR-04"}


def test_one_sample_list_named_twice_is_read_once(card):
    """Two splits naming one file by two paths (a hard link) read it once: the budget is not spent twice."""
    from modelcard_spec.check.evidence_reader import MAX_SAMPLE_LINES

    count = MAX_SAMPLE_LINES * 3 // 4
    _sample_lists(card, ["".join(f"id-{i}\n" for i in range(count))])
    os.link(card / "evidence" / "list0.txt", card / "evidence" / "list0-link.txt")
    path = card / "card.yaml"
    text = path.read_text(encoding="utf-8")
    split = "      - {role: test, size: 1, ratio: 0.1, datasets: [ds-wdbc], sample_list: ev-list0}\n"
    path.write_text(text.replace(split, split + split.replace("ev-list0", "ev-link")), encoding="utf-8")
    add_evidence(card, "{id: ev-link, title: L, kind: data_list, path: evidence/list0-link.txt}")
    issues, status = validate(card)
    found = [i for i in issues if i["rule"] == "splits.disjoint"]
    assert [(i["path"], i["message"]) for i in found] == [
        ("/training_process/data_splits/splits/1/sample_list",
         f"the test sample list 'evidence/list0.txt' and the test sample list 'evidence/list0-link.txt' share {count} "
         "sample(s), e.g. id-0")]


# --------------------------------------------------------------------------- verify


def _verify(card: Path, *extra):
    """A measured verify run; each problem of its JSON report (if it printed one) is checked to be
    rendered from its parameters by a registered template."""
    from test_crosscheck_verify import assert_problems_rendered

    m = run_measured(["verify", card / "card.yaml", "--model", card / MODEL, "--format", "json", *extra])
    if m.stdout.startswith("{"):
        assert_problems_rendered(json.loads(m.stdout))
    return m


def test_verify_never_reads_evidence_outside_the_card_folder(card, tmp_path):
    outside = tmp_path / "outside.txt"
    set_evidence_path(card, "ev-test-inputs", os.path.relpath(outside, card))
    before = tree(card)
    m = _verify(card, "--no-save")
    check_process(m, 1)
    assert hashlib.sha256(outside.read_bytes()).hexdigest() not in m.stdout
    problem = json.loads(m.stdout)["examples"][0]["problems"][0]
    assert "leaves the card's folder" in problem["message"] and "超出了模型卡所在文件夹" in problem["message_zh"]
    assert tree(card) == before


def test_verify_reports_an_over_long_path_component(card):
    set_evidence_path(card, "ev-test-inputs", f"evidence/{LONG}.npy")
    m = _verify(card, "--no-save")
    check_process(m, 1)
    problem = json.loads(m.stdout)["examples"][0]["problems"][0]
    assert "name too long" in problem["message"] and "名称超出" in problem["message_zh"]


def npz_bomb(path: Path, shape=(400_000_000,), bad_crc: bool = False) -> None:
    """A small .npz whose one float32 member ``features`` of zeros inflates to 4 bytes per element
    of ``shape`` (400 million: 1.5 MB inflating to 1.6 GB; a valid zip and CRC unless ``bad_crc``)."""
    count = 1
    for d in shape:
        count *= d
    header = io.BytesIO()
    np.lib.format.write_array_header_1_0(header, {"descr": "<f4", "fortran_order": False, "shape": tuple(shape)})
    head, size, chunk = header.getvalue(), 4 * count, 1 << 20
    deflate = zlib.compressobj(9, zlib.DEFLATED, -15)
    first = deflate.compress(head) + deflate.flush(zlib.Z_FULL_FLUSH)
    piece = deflate.compress(bytes(chunk)) + deflate.flush(zlib.Z_FULL_FLUSH)  # the same bytes every time
    blocks, rest = divmod(size, chunk)
    data = first + piece * blocks + deflate.compress(bytes(rest)) + deflate.flush()
    crc = zlib.crc32(head)
    for _ in range(blocks):
        crc = zlib.crc32(bytes(chunk), crc)
    crc = zlib.crc32(bytes(rest), crc) ^ (1 if bad_crc else 0)
    name = b"features.npy"
    total = len(head) + size
    local = struct.pack("<IHHHHHIIIHH", 0x04034B50, 20, 0, 8, 0, 0x21, crc, len(data), total, len(name), 0) + name
    central = struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 20, 20, 0, 8, 0, 0x21, crc, len(data), total,
                          len(name), 0, 0, 0, 0, 0, 0) + name
    end = struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, 1, 1, len(central), len(local) + len(data), 0)
    path.write_bytes(local + data + central + end)


def use_inputs(card: Path, path: Path) -> None:
    """Make ``path`` (in the card's evidence folder) the example's input, with its SHA-256."""
    set_evidence_path(card, "ev-test-inputs", f"evidence/{path.name}", hashlib.sha256(path.read_bytes()).hexdigest())


def test_verify_refuses_an_npz_bomb_before_inflating_it(card):
    bomb = card / "evidence" / "bomb.npz"
    npz_bomb(bomb)
    assert bomb.stat().st_size < 2_000_000
    set_evidence_path(card, "ev-test-inputs", "evidence/bomb.npz", hashlib.sha256(bomb.read_bytes()).hexdigest())
    before = tree(card)
    m = _verify(card, "--no-save")
    check_process(m, 1)
    problem = json.loads(m.stdout)["examples"][0]["problems"][0]
    assert "1,600,000,128 bytes uncompressed" in problem["message"] and "解压后大小" in problem["message_zh"]
    assert tree(card) == before


def test_verify_refuses_a_deflated_npz_that_fits_the_old_limit_before_inflating_it(card):
    """255 KB of deflated float32 zeros of the declared shape [batch, 30], 250 MiB inflated (under the
    old 256 MiB limit): verify took 2.3 s and 454 MiB."""
    from modelcard_spec.modelfiles.verifyarrays import MAX_ARRAY_BYTES

    bomb = card / "evidence" / "zeros.npz"
    npz_bomb(bomb, ((250 << 20) // 120, 30))
    assert bomb.stat().st_size < 300_000
    use_inputs(card, bomb)
    m = _verify(card, "--no-save")
    check_process(m, 1)
    problem = json.loads(m.stdout)["examples"][0]["problems"][0]
    assert f"over the limit of {MAX_ARRAY_BYTES:,} bytes for the arrays of one example" in problem["message"]
    assert f"超过上限 {MAX_ARRAY_BYTES:,} 字节" in problem["message_zh"]


@pytest.mark.parametrize("shape,why,why_zh", [
    ((1 << 20,), "rank is 1 [1048576], the card declares rank 2 ['batch', 30]", "秩为 1 [1048576]，模型卡声明秩为 2 ['batch', 30]"),
    ((1 << 15, 31), "axis 1 is 31, the card declares 30", "第 1 维为 31，模型卡声明为 30")])
def test_verify_refuses_an_input_of_the_wrong_shape_before_reading_its_data(card, shape, why, why_zh):
    """The header's shape is checked against the declared node before the member is inflated: the
    member's CRC is wrong, which reading its data would report instead."""
    bomb = card / "evidence" / "wrong.npz"
    npz_bomb(bomb, shape, bad_crc=True)
    use_inputs(card, bomb)
    m = _verify(card, "--no-save")
    check_process(m, 1)
    example = json.loads(m.stdout)["examples"][0]
    assert example["status"] == "fails" and example["outputs"] == []
    [problem] = example["problems"]
    assert problem["message"] == f"input 'features' does not fit the declared shape ['batch', 30]: {why}; its data was not read"
    assert problem["message_zh"] == f"输入 'features' 不符合声明的形状 ['batch', 30]：{why_zh}；未读取其数据"


def test_verify_counts_the_input_against_the_limit_of_its_expected_output(card):
    from modelcard_spec.modelfiles.verifyarrays import MAX_ARRAY_BYTES

    rows = (MAX_ARRAY_BYTES - 10) // 120  # leaves less than the 64 bytes of the expected probabilities
    npy = card / "evidence" / "big.npy"
    np.save(npy, np.zeros((rows, 30), np.float32))
    use_inputs(card, npy)
    m = _verify(card, "--no-save")
    check_process(m, 1)
    problem = json.loads(m.stdout)["examples"][0]["problems"][0]
    assert f"of which the arrays read before hold {rows * 120:,}" in problem["message"], problem
    assert f"其中此前读取的数组已占 {rows * 120:,} 字节" in problem["message_zh"]


def test_an_example_at_the_array_limit_reproduces_within_the_budget(card, tmp_path):
    """Input and expected outputs of the example model holding MAX_ARRAY_BYTES together: run,
    compared element by element and saved in one process under 2 s and 256 MiB."""
    import onnxruntime as ort

    from modelcard_spec.modelfiles.verifyarrays import MAX_ARRAY_BYTES

    rows = MAX_ARRAY_BYTES // (4 * (30 + 2 + 16))
    features = np.random.default_rng(5).random((rows, 30), dtype=np.float32) * 100
    session = ort.InferenceSession(str(card / MODEL), providers=["CPUExecutionProvider"])
    probabilities, hidden = session.run(["probabilities", "hidden"], {"features": features})
    np.save(card / "evidence" / "rows.npy", features)
    np.savez_compressed(card / "evidence" / "rows-expected.npz", probabilities=probabilities, hidden=hidden)
    assert features.nbytes + probabilities.nbytes + hidden.nbytes <= MAX_ARRAY_BYTES
    use_inputs(card, card / "evidence" / "rows.npy")
    expected = card / "evidence" / "rows-expected.npz"
    set_evidence_path(card, "ev-test-expected", "evidence/rows-expected.npz", hashlib.sha256(expected.read_bytes()).hexdigest())
    m = _verify(card, "-o", tmp_path / "out")
    assert m.returncode == 0 and m.within_budget(), m
    outputs = {o["name"]: o for o in json.loads(m.stdout)["examples"][0]["outputs"]}
    assert outputs["hidden"]["compared"] == rows * 16 and outputs["hidden"]["mismatched"] == 0


@pytest.mark.parametrize("change", [
    lambda t: t.replace("tolerance: {absolute: 1.0e-5,", 'tolerance: {absolute: "tight",'),
    lambda t: t.replace("shape: [batch, 30]", 'shape: ["batch$", 30]'),
])
def test_verify_survives_tolerances_and_shapes_that_are_not_numbers(card, change):
    path = card / "card.yaml"
    path.write_text(change(path.read_text(encoding="utf-8")), encoding="utf-8")
    m = _verify(card, "--no-save")
    check_process(m, 1)
    example = json.loads(m.stdout)["examples"][0]
    assert example["status"] != "reproduces" and all(p["message"] and p["message_zh"] for p in example["problems"])


def test_verify_refuses_an_npy_header_declaring_a_negative_dimension(card):
    npy = card / "evidence" / "negative.npy"
    header = io.BytesIO()
    np.lib.format.write_array_header_1_0(header, {"descr": "<f4", "fortran_order": False, "shape": (-1, 30)})
    npy.write_bytes(header.getvalue())
    set_evidence_path(card, "ev-test-inputs", "evidence/negative.npy", hashlib.sha256(npy.read_bytes()).hexdigest())
    m = _verify(card, "--no-save")
    check_process(m, 1)
    problem = json.loads(m.stdout)["examples"][0]["problems"][0]
    assert "an array declares a negative dimension [-1, 30]" in problem["message"]
    assert "数组声明的维度 [-1, 30] 中有负数" in problem["message_zh"]


def test_verify_refuses_an_npy_header_declaring_a_huge_shape(card):
    npy = card / "evidence" / "huge.npy"
    header = io.BytesIO()
    np.lib.format.write_array_header_1_0(header, {"descr": "<f8", "fortran_order": False, "shape": (10**6, 10**6)})
    npy.write_bytes(header.getvalue() + bytes(64))
    set_evidence_path(card, "ev-test-inputs", "evidence/huge.npy", hashlib.sha256(npy.read_bytes()).hexdigest())
    m = _verify(card, "--no-save")
    check_process(m, 1)
    problem = json.loads(m.stdout)["examples"][0]["problems"][0]
    assert "over the limit" in problem["message"] and "超过上限" in problem["message_zh"]


def _two_examples(card: Path, first: str, second: str) -> None:
    path = card / "card.yaml"
    text = path.read_text(encoding="utf-8")
    example = text[text.index("    - name: wdbc-test-first-8\n"):text.index("  invalid_input_behaviour:")]
    both = example.replace("wdbc-test-first-8", json.dumps(first)) + example.replace("wdbc-test-first-8", json.dumps(second))
    path.write_text(text.replace(example, both), encoding="utf-8")


def test_verify_output_names_of_different_examples_never_collide(card, tmp_path):
    _two_examples(card, "a:b", "a/b")
    out = tmp_path / "out"
    m = _verify(card, "-o", out)
    check_process(m, 0)
    report = json.loads(m.stdout)
    saved = [Path(e["saved"]) for e in report["examples"]]
    assert len(set(saved)) == 2 and sorted(p.name for p in out.iterdir()) == sorted(p.name for p in saved)
    assert all(p.parent == out and p.name.startswith("a_b--") for p in saved)
    ids = [e["id"] for e in report["card_fragment"]["evidence"]]
    assert len(set(ids)) == 2


def test_verify_never_overwrites_an_existing_output(card, tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    existing = out / "wdbc-test-first-8.outputs.npz"
    existing.write_bytes(b"earlier results")
    m = _verify(card, "-o", out)
    check_process(m, 2)
    assert "exists" in m.stderr and "已存在" in m.stderr and str(existing) in m.stderr
    assert existing.read_bytes() == b"earlier results"
    forced = _verify(card, "-o", out, "--force")
    assert forced.returncode == 0 and existing.read_bytes() != b"earlier results"


@pytest.mark.parametrize("where", ["folder", "file"])
def test_verify_never_writes_through_a_symbolic_link(card, tmp_path, where):
    victim = tmp_path / "victim"
    victim.mkdir()
    (victim / "wdbc-test-first-8.outputs.npz").write_bytes(b"victim")
    if where == "folder":
        out = tmp_path / "out-link"
        out.symlink_to(victim)
    else:
        out = tmp_path / "out"
        out.mkdir()
        (out / "wdbc-test-first-8.outputs.npz").symlink_to(victim / "wdbc-test-first-8.outputs.npz")
    before = tree(victim)
    for force in ([], ["--force"]):
        m = _verify(card, "-o", out, *force)
        check_process(m, 2)
        assert "symbolic link" in m.stderr and "符号链接" in m.stderr
    assert tree(victim) == before


# --------------------------------------------------------------------------- -o of every command


def _writers(card: Path, tmp_path: Path):
    """(command line writing to OUT, the inputs it reads) for every command that writes a file."""
    source = tmp_path / "metadata.json"
    source.write_text(json.dumps({"name": "Spleen", "version": "1.0.0", "task": "segmentation"}), encoding="utf-8")
    c = card / "card.yaml"
    return {
        "report": (["report", c, "-o"], [c]),
        "report-html": (["report", c, "--format", "html", "-o"], [c]),
        "render": (["render", c, "-o"], [c]),
        "export": (["export", c, "--to", "nt", "-o"], [c]),
        "export-cyclonedx": (["export", c, "--to", "cyclonedx", "-o"], [c]),
        "init": (["init", "-o"], []),
        "import": (["import", "monai", source, "-o"], [source]),
    }


COMMANDS = ["report", "report-html", "render", "export", "export-cyclonedx", "init", "import"]
CARD_COMMANDS = [c for c in COMMANDS if c not in ("init", "import")]


@pytest.mark.parametrize("force", [[], ["--force"]])
@pytest.mark.parametrize("command", CARD_COMMANDS + ["import"])
def test_no_command_overwrites_its_input(card, tmp_path, command, force):
    args, inputs = _writers(card, tmp_path)[command]
    target = inputs[0]
    before = target.read_bytes()
    m = run_measured([*args, target, *force])
    check_process(m, 2)
    assert "is an input of this command" in m.stderr and "输入文件不会被覆盖" in m.stderr and str(target) in m.stderr
    assert target.read_bytes() == before


@pytest.mark.parametrize("command", ["report", "render", "export"])
def test_an_input_reached_by_another_path_or_a_hard_link_is_not_overwritten(card, tmp_path, command):
    args, [target] = _writers(card, tmp_path)[command]
    link = tmp_path / "hard.yaml"
    os.link(target, link)
    before = target.read_bytes()
    for force in ([], ["--force"]):
        for out in (link, f"{card}/./card.yaml", card / "evidence" / "performance.json"):
            m = run_measured([*args, out, *force])
            check_process(m, 2)
            assert "is an input" in m.stderr and "输入文件" in m.stderr
    assert target.read_bytes() == before
    assert hashlib.sha256((card / "evidence" / "performance.json").read_bytes()).hexdigest() == \
        "9f7ff31f3501b896588b43d3e909c544254f8234388e9db46724bbbaa5a6b8d8"


@pytest.mark.parametrize("dangling", [False, True])
@pytest.mark.parametrize("command", COMMANDS)
def test_no_command_writes_through_a_symbolic_link(card, tmp_path, command, dangling):
    args, _ = _writers(card, tmp_path)[command]
    victim = tmp_path / "victim.txt"
    if not dangling:
        victim.write_text("precious\n")
    link = tmp_path / "out.txt"
    link.symlink_to(victim)
    for force in ([], ["--force"]):
        m = run_measured([*args, link, *force])
        check_process(m, 2)
        assert "symbolic link" in m.stderr and "符号链接" in m.stderr and str(link) in m.stderr
    assert os.readlink(link) == str(victim)
    if dangling:
        assert not victim.exists()  # init -o on a dangling link used to create the link's target
    else:
        assert victim.read_text() == "precious\n"


@pytest.mark.parametrize("command", COMMANDS)
def test_folders_leading_to_an_output_are_followed_and_inputs_are_still_recognised(card, tmp_path, command):
    """The policy is about the output file: a linked folder on the way to it is followed (as the
    README says), and an input reached through a linked folder is still never overwritten."""
    args, inputs = _writers(card, tmp_path)[command]
    real = tmp_path / "real"
    real.mkdir()
    (tmp_path / "dirlink").symlink_to(real)
    m = run_measured([*args, tmp_path / "dirlink" / "out.txt"])
    assert m.returncode in (0, 1) and "Traceback" not in m.stderr and m.within_budget(), m
    assert (real / "out.txt").is_file() and not (real / "out.txt").is_symlink()
    if inputs:
        (tmp_path / "inputs-link").symlink_to(inputs[0].parent)
        before = inputs[0].read_bytes()
        m = run_measured([*args, tmp_path / "inputs-link" / inputs[0].name, "--force"])
        check_process(m, 2)
        assert "is an input of this command" in m.stderr and "输入文件不会被覆盖" in m.stderr
        assert inputs[0].read_bytes() == before


@pytest.mark.parametrize("command", COMMANDS)
def test_an_existing_file_is_replaced_only_with_force(card, tmp_path, command):
    args, _ = _writers(card, tmp_path)[command]
    target = tmp_path / "existing.out"
    target.write_text("earlier\n")
    m = run_measured([*args, target])
    check_process(m, 2)
    assert "exists" in m.stderr and "已存在" in m.stderr and "--force" in m.stderr
    assert target.read_text() == "earlier\n"
    forced = run_measured([*args, target, "--force"])
    assert forced.returncode in (0, 1) and "Traceback" not in forced.stderr, forced
    assert target.read_text(encoding="utf-8") != "earlier\n"
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".existing.out")] == []


@pytest.mark.parametrize("command", COMMANDS)
def test_an_output_in_a_missing_folder_or_on_a_special_file_is_refused(card, tmp_path, command):
    args, _ = _writers(card, tmp_path)[command]
    m = run_measured([*args, tmp_path / "no-such-folder" / "out.txt"])
    check_process(m, 2)
    assert "does not exist" in m.stderr and "不存在" in m.stderr
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    for force in ([], ["--force"]):
        m = run_measured([*args, fifo, *force], timeout=20)
        check_process(m, 2)
        assert "not a regular file" in m.stderr and "不是普通文件" in m.stderr
        m = run_measured([*args, tmp_path, *force])
        check_process(m, 2)
        assert "is a folder" in m.stderr and "文件夹" in m.stderr


def test_batch_import_never_overwrites_and_never_writes_through_links(tmp_path):
    sources = tmp_path / "sources"
    sources.mkdir()
    for name in ("alpha", "beta"):
        (sources / f"{name}.json").write_text(json.dumps({"name": name, "version": "1.0.0"}), encoding="utf-8")
    out = tmp_path / "cards"
    out.mkdir()
    (out / "alpha.card.yaml").write_text("earlier\n")
    victim = tmp_path / "victim.yaml"
    victim.write_text("precious\n")
    (out / "beta.card.yaml").symlink_to(victim)
    m = run_measured(["import", "monai", sources, "-o", out, "--force"])
    check_process(m, 2)
    assert "symbolic link" in m.stderr and "符号链接" in m.stderr
    assert victim.read_text() == "precious\n"
    assert (out / "alpha.card.yaml").read_text() != "earlier\n"  # --force replaced the regular file
    (out / "alpha.card.yaml").write_text("earlier\n")
    m = run_measured(["import", "monai", sources, "-o", out])
    check_process(m, 2)
    assert (out / "alpha.card.yaml").read_text() == "earlier\n"
    link = tmp_path / "cards-link"
    link.symlink_to(out)
    m = run_measured(["import", "monai", sources, "-o", link])
    check_process(m, 2)
    assert "symbolic link" in m.stderr


def test_a_failed_write_leaves_neither_a_half_file_nor_a_temporary_file(tmp_path, monkeypatch):
    from modelcard_spec.spec import safewrite

    target = tmp_path / "report.md"

    def full_disk(fd):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(safewrite.os, "fsync", full_disk)
    with pytest.raises(safewrite.OutputError) as info:
        safewrite.write_file(target, b"x" * 100_000)
    assert "No space left" in info.value.message and info.value.message_zh
    assert list(tmp_path.iterdir()) == []


def test_verify_survives_a_model_whose_outputs_are_not_numeric_arrays(card, tmp_path):
    """ONNX Runtime returns a string tensor as an object array: reported, neither compared nor saved."""
    import onnx
    from onnx import TensorProto, helper

    graph = helper.make_graph(
        [helper.make_node("Identity", ["features"], ["probabilities"]),
         helper.make_node("Constant", [], ["label"], value=helper.make_tensor("v", TensorProto.STRING, [1], [b"benign"]))],
        "strings", [helper.make_tensor_value_info("features", TensorProto.FLOAT, ["batch", 30])],
        [helper.make_tensor_value_info("probabilities", TensorProto.FLOAT, ["batch", 30]),
         helper.make_tensor_value_info("label", TensorProto.STRING, [1])])
    model = tmp_path / "strings.onnx"
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)]), model)
    out = tmp_path / "out"
    m = run_measured(["verify", card / "card.yaml", "--model", model, "--format", "json", "-o", out])
    check_process(m, 1)
    outputs = {o["name"]: o for o in json.loads(m.stdout)["examples"][0]["outputs"]}
    assert "not a numeric array" in outputs["label"]["problems"][0]["message"]
    assert "不是数值数组" in outputs["label"]["problems"][0]["message_zh"]
    with np.load(next(out.iterdir())) as saved:
        assert saved.files == ["probabilities"]
