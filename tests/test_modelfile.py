"""Model-file inspection: counts, nodes and operators read without running or unpickling the file.

ONNX and safetensors files are built here with their own libraries, which also serve as the oracle;
the PyTorch files in tests/data/models were written by real PyTorch (tools/make_model_fixtures.py)
with PyTorch's own counts in expected.json."""

from __future__ import annotations

import json
import os
import tracemalloc

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper, numpy_helper

from conftest import ROOT
from modelcard_spec.modelfiles.detect import detect_container
from modelcard_spec.modelfiles.pickles import Budget
from modelcard_spec.modelfiles.externaldata import external_problem, problem_issue
from modelcard_spec.modelfiles.fragment import card_fragment, inspection_yaml, summary
from modelcard_spec.modelfiles.modelinfo import BUFFER_SUFFIXES, ModelFileError, scan_error
from modelcard_spec.modelfiles.onnxfile import ONNX_DTYPES, onnx_external_data
from modelcard_spec.modelfiles.reader import inspect_file
from modelcard_spec.modelfiles.safetensorsfile import SAFETENSORS_DTYPES
from modelcard_spec.spec import shapes
from modelcard_spec.spec.resources import schema_index

MODELS = ROOT / "tests" / "data" / "models"
EXPECTED = json.loads((MODELS / "expected.json").read_text())


def build_onnx(path, *, custom=False, with_if=False, dims=("batch", 3), ir_version=None):
    rng = np.random.default_rng(0)
    inits = [numpy_helper.from_array(rng.standard_normal((3, 4)).astype(np.float32), "fc.weight"),
             numpy_helper.from_array(np.zeros(4, np.float16), "fc.bias"),
             numpy_helper.from_array(np.zeros(4, np.float32), "bn.running_mean")]
    nodes = [helper.make_node("MatMul", ["x", "fc.weight"], ["h"]),
             helper.make_node("Cast", ["fc.bias"], ["b32"], to=TensorProto.FLOAT),
             helper.make_node("Add", ["h", "b32"], ["h2"]),
             helper.make_node("Sub", ["h2", "bn.running_mean"], ["y"])]
    if custom:
        nodes.append(helper.make_node("FancyNorm", ["y"], ["y_custom"], domain="com.example.ops"))
    if with_if:
        then_g = helper.make_graph([helper.make_node("Relu", ["y"], ["t"])], "then", [],
                                   [helper.make_tensor_value_info("t", TensorProto.FLOAT, None)])
        else_g = helper.make_graph([helper.make_node("Neg", ["y"], ["e"])], "else", [],
                                   [helper.make_tensor_value_info("e", TensorProto.FLOAT, None)])
        cond = numpy_helper.from_array(np.array(True), "cond")
        inits.append(cond)
        nodes.append(helper.make_node("If", ["cond"], ["z"], then_branch=then_g, else_branch=else_g))
    outputs = [helper.make_tensor_value_info("y", TensorProto.FLOAT, [dims[0], 4])]
    graph = helper.make_graph(nodes, "g", [helper.make_tensor_value_info("x", TensorProto.FLOAT, list(dims))],
                              outputs, inits)
    opsets = [helper.make_opsetid("", 17)] + ([helper.make_opsetid("com.example.ops", 1)] if custom else [])
    kwargs = {"ir_version": ir_version} if ir_version else {}
    model = helper.make_model(graph, opset_imports=opsets, producer_name="pytest", **kwargs)
    onnx.save(model, path)
    return model


def oracle_counts(model):
    """Operator counts and initializer element counts by onnx's own object model."""
    counts = {}

    def walk(graph):
        for node in graph.node:
            key = node.op_type if node.domain in ("", "ai.onnx") else f"{node.domain}::{node.op_type}"
            counts[key] = counts.get(key, 0) + 1
            for attr in node.attribute:
                if attr.type == onnx.AttributeProto.GRAPH:
                    walk(attr.g)
    walk(model.graph)
    params = sum(int(np.prod(t.dims)) for t in model.graph.initializer if not t.name.endswith("running_mean"))
    return counts, params


@pytest.mark.parametrize("custom,with_if", [(False, False), (True, False), (False, True)])
def test_onnx_counts_nodes_and_operators_match_onnx(tmp_path, custom, with_if):
    path = tmp_path / "m.onnx"
    model = build_onnx(path, custom=custom, with_if=with_if)
    info = inspect_file(path)
    counts, params = oracle_counts(model)
    assert info.container == "onnx" and info.format == "onnx"
    assert info.operator_counts == counts
    assert info.total_parameters == params
    assert info.buffer_elements == 4
    assert info.opset_version == 17 and info.ir_version == model.ir_version
    assert info.custom_operators == (["com.example.ops::FancyNorm"] if custom else [])
    assert [(n.name, n.shape, n.dtype) for n in info.inputs] == [("x", ["batch", 3], "float32")]
    assert [(n.name, n.shape, n.dtype) for n in info.outputs] == [("y", ["batch", 4], "float32")]
    assert info.parameters_by_dtype["float32"] == 12 and info.parameters_by_dtype["float16"] == 4
    assert info.precision == "mixed"
    import hashlib
    assert info.sha256 == hashlib.sha256(path.read_bytes()).hexdigest() and info.size_bytes == path.stat().st_size


def test_onnx_old_ir_lists_initializers_as_inputs_but_they_are_not_nodes(tmp_path):
    path = tmp_path / "old.onnx"
    model = build_onnx(path, ir_version=3)
    model.graph.input.append(helper.make_tensor_value_info("fc.weight", TensorProto.FLOAT, [3, 4]))
    onnx.save(model, path)
    info = inspect_file(path)
    assert [n.name for n in info.inputs] == ["x"]


def test_onnx_unnamed_dynamic_axis_is_reported_unnamed_not_given_a_made_up_symbol(tmp_path):
    # a symbol ties every axis that bears it; an axis the file leaves unnamed gets none (it used to
    # become d<axis>): it is written "?", the schema's dynamic axis tied to no other, and null in the summary
    path = tmp_path / "m.onnx"
    build_onnx(path, dims=(None, 3))
    info = inspect_file(path)
    assert info.inputs[0].shape == [None, 3]
    frag = card_fragment(info, "test")
    assert frag["model_nodes"]["input_nodes"][0] == {"name": "x", "shape": ["?", 3], "dtype": "float32"}
    assert summary(info)["nodes"]["inputs"][0]["shape"] == [None, 3]
    assert "axis 0 of input 'x' unnamed: written '?', a dynamic axis tied to no other" in inspection_yaml(info, "test")


def test_an_unnamed_axis_takes_any_size_and_ties_nothing():
    from modelcard_spec.spec import shapes

    env: dict = {}
    assert shapes.match(["?", 3], [7, 3], env) is None and shapes.match(["?", "?"], [2, 5], env) is None
    assert env == {}
    assert shapes.match(["?", 3], [None, 3]) is None and shapes.match(["?"], ["batch"]) is None
    assert shapes.match(["?"], [4]) == ("axis 0 has the fixed size 4 in the file, the card declares it dynamic (?)",
                                         "第 0 维在文件中固定为 4，模型卡声明为动态（?）")


def test_card_fragment_uses_schema_values_and_marks_every_value_extracted_or_inferred(tmp_path):
    path = tmp_path / "m.onnx"
    build_onnx(path)
    info = inspect_file(path)
    frag = card_fragment(info, "modelcard-spec inspect test")
    enums = schema_index()["enums"]
    assert frag["model_parameters"]["weight_files"][0]["format"] in enums["WeightFormat"]["values"]
    assert frag["model_parameters"]["precision"] in enums["Precision"]["values"]
    # the count leaves out bn.running_mean because of its name: inferred by that rule; the rest extracted
    origins = {p["pointer"]: (p["origin"], p.get("rule")) for p in frag["provenance"]}
    assert origins.pop("/model_parameters/total_parameters") == ("inferred", "inspect.buffer-names")
    assert origins.pop("/model_parameters/parameters_by_dtype") == ("inferred", "inspect.buffer-names")
    assert set(origins.values()) == {("extracted", None)}
    pointers = {p["pointer"] for p in frag["provenance"]}
    assert {"/model_nodes/input_nodes", "/model_parameters/total_parameters", "/model_parameters/weight_files/0"} <= pointers
    # every provenance pointer resolves inside the fragment
    for p in pointers:
        node = frag
        for part in p.strip("/").split("/"):
            node = node[int(part)] if isinstance(node, list) else node[part]


def test_file_dtype_names_map_onto_the_schema_dtype_enum():
    dtypes = set(schema_index()["enums"]["DType"]["values"])
    for mapped in (ONNX_DTYPES[1], ONNX_DTYPES[10], ONNX_DTYPES[16],
                   SAFETENSORS_DTYPES["F32"], SAFETENSORS_DTYPES["I64"]):
        assert mapped in dtypes


def test_safetensors_header_gives_counts(tmp_path):
    from safetensors.numpy import save_file

    tensors = {"encoder.weight": np.zeros((8, 4), np.float16), "encoder.bias": np.zeros(8, np.float16),
               "bn.running_var": np.ones(8, np.float32)}
    path = tmp_path / "w.safetensors"
    save_file(tensors, str(path))
    info = inspect_file(path)
    assert info.container == "safetensors" and info.format == "safetensors"
    assert info.total_parameters == 40 and info.buffer_elements == 8
    assert info.parameters_by_dtype == {"float16": 40} and info.precision == "fp16"
    assert not info.pickle_based and info.findings == []


def test_safetensors_with_offsets_outside_the_file_is_rejected(tmp_path):
    header = json.dumps({"w": {"dtype": "F32", "shape": [1000], "data_offsets": [0, 4000]}}).encode()
    path = tmp_path / "bad.safetensors"
    path.write_bytes(len(header).to_bytes(8, "little") + header + b"\0" * 16)
    with pytest.raises(ModelFileError, match="outside"):
        inspect_file(path)


@pytest.mark.parametrize("name", sorted(k for k in EXPECTED if not k.startswith("_")))
def test_pytorch_files_written_by_real_pytorch(name):
    want = EXPECTED[name]
    info = inspect_file(MODELS / name)
    assert info.container == want["container"] and info.pickle_based
    if "total_parameters" in want:
        assert info.total_parameters == want["total_parameters"] == EXPECTED["_model"]["parameters"]
        assert info.tensor_count == want["tensors"]
        assert info.buffer_elements == EXPECTED["_model"]["buffer_elements"]
    assert info.precision == want.get("precision", "fp32")
    if "findings" in want:
        assert [f.name for f in info.findings] == want["findings"]
    for g in want.get("findings_include", []):
        assert g in [f.name for f in info.findings]


def test_garbage_and_truncated_files_are_clear_errors(tmp_path):
    junk = tmp_path / "junk.onnx"
    junk.write_bytes(b"\x08\x07\x3a\xff\xff\xff\xff\x0f")  # a graph field longer than the file
    with pytest.raises(ModelFileError):
        inspect_file(junk)
    text = tmp_path / "notes.bin"
    text.write_text("not a model")
    with pytest.raises(ModelFileError, match="unknown model file format"):
        inspect_file(text)
    whole = (MODELS / "tiny_cnn_legacy.pth").read_bytes()
    cut = tmp_path / "cut.pth"
    cut.write_bytes(whole[:200])
    with pytest.raises(ModelFileError, match="pickle"):
        inspect_file(cut)


def test_an_onnx_initializer_with_a_negative_dimension_is_an_error(tmp_path):
    path = tmp_path / "negative.onnx"
    weight = TensorProto(name="w", data_type=TensorProto.FLOAT, dims=[-1, 2])
    graph = helper.make_graph([helper.make_node("Identity", ["x"], ["y"])], "g",
                              [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1])], [weight])
    onnx.save(helper.make_model(graph), path)
    with pytest.raises(ModelFileError) as caught:
        inspect_file(path)
    issue = caught.value.issue
    assert (issue.rule, caught.value.variant, issue.params["dims"]) == ("modelfile.onnx", "negative-dimension", [-1, 2])
    assert caught.value.message.endswith(": initializer 'w' has a negative dimension [-1, 2]")
    assert caught.value.message_zh.endswith("：初始化器 'w' 的维度 [-1, 2] 中有负数")


def test_a_model_file_error_is_a_located_diagnostic_that_survives_pickling(tmp_path):
    """Its messages are rendered from its parameters (the location among them), and a worker
    process can raise it: the parent gets the same diagnostic, location and partial result back."""
    import pickle

    path = tmp_path / "m.safetensors"
    path.write_bytes((2).to_bytes(8, "little") + b"{]")
    with pytest.raises(ModelFileError) as caught:
        inspect_file(path)
    error = caught.value
    assert (error.issue.rule, error.variant, error.offset, error.member) == ("modelfile.safetensors", "not-json", 8, None)
    assert error.message.startswith("byte 8: safetensors header is not JSON: ")
    assert error.message_zh.startswith("字节偏移 8：safetensors 头部不是 JSON：")
    assert error.issue.params["offset"] == 8 and error.issue.params["reason"]
    back = pickle.loads(pickle.dumps(error))
    assert type(back) is ModelFileError and back.issue == error.issue and str(back) == str(error)
    assert (back.variant, back.offset, back.info) == (error.variant, error.offset, error.info)


def test_inspecting_a_large_onnx_file_does_not_copy_its_payload(tmp_path):
    path = tmp_path / "big.onnx"
    big = numpy_helper.from_array(np.zeros((64, 1024, 1024), np.float32), "big.weight")  # 256 MiB
    graph = helper.make_graph([helper.make_node("Identity", ["x"], ["y"])], "g",
                              [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1])], [big])
    onnx.save(helper.make_model(graph), path)
    del big, graph
    tracemalloc.start()
    info = inspect_file(path)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert info.total_parameters == 64 * 1024 * 1024
    assert peak < 16 << 20, f"peak Python allocation {peak / 2**20:.1f} MiB"


# --- shape expressions --------------------------------------------------------------------------

def test_shape_grammar_evaluates_and_binds_symbols():
    env = {}
    assert shapes.match(["batch", 3, "H", "W"], (2, 3, 64, 48), env) is None
    assert env == {"batch": 2, "H": 64, "W": 48}
    assert shapes.match(["batch", "H/16", "W / 16", "2*batch+1"], (2, 4, 3, 5), env) is None
    assert "axis 1" in shapes.match(["batch", "H/16"], (2, 5), env)[0]
    assert "rank" in shapes.match(["batch"], (2, 3), env)[0]


@pytest.mark.parametrize("declared,actual,en,zh", [
    (["batch"], (2, 3), "rank is 2 [2, 3], the card declares rank 1 ['batch']", "秩为 2 [2, 3]，模型卡声明秩为 1 ['batch']"),
    ([2, 3], (2, 4), "axis 1 is 4, the card declares 3", "第 1 维为 4，模型卡声明为 3"),
    (["batch", "batch*2"], (2, 5), "axis 1 is 5, the card declares batch*2 = 4", "第 1 维为 5，模型卡声明为 batch*2 = 4"),
    (["H", "H/16"], (40, 2), "axis 1 is 2, but H/16 does not divide evenly", "第 1 维为 2，但 H/16 中的除法不能整除"),
])
def test_shape_mismatches_are_told_in_english_and_in_chinese(declared, actual, en, zh):
    assert shapes.match(declared, actual, {}) == (en, zh)


def test_an_unreadable_shape_expression_is_told_in_chinese_too():
    with pytest.raises(shapes.ShapeError) as caught:
        shapes.parse("H$")
    assert str(caught.value) == "unexpected character '$' in 'H$'"
    assert caught.value.message_zh == "'H$' 中含有无法识别的字符 '$'"
    assert shapes.evaluate(shapes.parse("(H+2)*3"), {"H": 4}) == 18
    # the same operator groups from the left; * and / bind tighter than + and -
    assert shapes.evaluate(shapes.parse("H-2-1"), {"H": 8}) == 5
    assert shapes.evaluate(shapes.parse("H/2/2"), {"H": 8}) == 2
    assert shapes.evaluate(shapes.parse("H-2*3"), {"H": 8}) == 2


@pytest.mark.parametrize("text", ["__import__('os').system('x')", "H**2", "H;1", "", "H +", "lambda: 1", "H[0]"])
def test_shape_grammar_rejects_anything_but_arithmetic(text):
    with pytest.raises(shapes.ShapeError):
        shapes.parse(text)


@pytest.mark.parametrize("text", ["H/\u0661\u0666", "\uff18", "H\u3000/16", "H\u00a0+1", "\u210c/16", "0x10", "1_6", "H # x"])
def test_shape_grammar_reads_ascii_digits_names_and_blanks_only(text):
    """Other digits and blanks are not read as numbers and spaces (the schema's pattern is ASCII), and
    nothing that Python's own parser would rewrite (NFKC names, 0x and _ in numbers, comments)."""
    with pytest.raises(shapes.ShapeError):
        shapes.parse(text)


def test_the_worst_expressions_within_the_length_limit_parse_quickly_and_longer_ones_are_refused():
    import time

    for text in ("(" * 99 + "H" + ")" * 99, "+".join(["H"] * 100), "-" * 199 + "H", "H" * 200):
        assert len(text) <= shapes.MAX_LENGTH
        start = time.perf_counter()
        try:
            tree = shapes.parse(text)
        except shapes.ShapeError:
            continue
        shapes.evaluate(tree, {"H": 2})
        assert time.perf_counter() - start < 0.5
    with pytest.raises(shapes.ShapeError) as caught:
        shapes.parse("(" * 100 + "H" + ")" * 100)
    assert (str(caught.value), caught.value.message_zh) == ("dimension expression too long", "维度表达式过长")


@pytest.mark.parametrize("declared,signature,en", [
    (["batch", 3], ["N", 3], None),
    (["batch", 3], [None, 4], "axis 1 is 4, the card declares 3"),
    ([1, 3], ["N", 3], "axis 0 is dynamic (N) in the file, the card declares the fixed size 1"),
    ([1, 3], [None, 3], "axis 0 is dynamic (unnamed) in the file, the card declares the fixed size 1"),
    (["batch", 3], [1, 3], "axis 0 has the fixed size 1 in the file, the card declares it dynamic (batch)"),
    (["H$", 3], [1, 3], None),  # an expression that cannot be read is the schema's to report
    (["batch"], ["N", 3], "rank is 2 ['N', 3], the card declares rank 1 ['batch']"),
])
def test_without_bindings_a_declared_shape_is_compared_with_the_file_s_own(declared, signature, en):
    """The comparer of validate --model: the file's axes are sizes, names or None (dynamic)."""
    found = shapes.match(declared, signature)
    assert (found[0] if found else None) == en


# --- declared shapes are checked against the bytes that hold them ---------------------------------

def _onnx_backend_models():
    import glob
    import os

    folder = os.path.join(os.path.dirname(onnx.__file__), "backend", "test", "data")
    return sorted(glob.glob(os.path.join(folder, "**", "*.onnx"), recursive=True))


def _constant_weights(graph) -> list:
    """(output name, dims) of the Constant nodes whose value is a floating-point tensor of rank 1 or
    more, in ``graph`` and its sub-graphs, read with onnx (the rule of onnxfile.CONSTANT_WEIGHT_DTYPES)."""
    floating = {TensorProto.FLOAT, TensorProto.FLOAT16, TensorProto.BFLOAT16, TensorProto.DOUBLE}
    out = []
    for node in graph.node:
        for a in node.attribute:
            if node.op_type == "Constant" and node.domain in ("", "ai.onnx") and a.name == "value" \
                    and a.t.data_type in floating and len(a.t.dims):
                out.append((node.output[0], list(a.t.dims)))
            for sub in ([a.g] if a.type == onnx.AttributeProto.GRAPH else []) + list(a.graphs):
                out += _constant_weights(sub)
    return out


def test_onnx_data_size_checks_accept_every_model_onnx_ships():
    """Oracle: onnx's own parser. Every model in onnx's backend test data is accepted, with the
    initializer element count that onnx reports plus the Constant-node weights."""
    paths = _onnx_backend_models()
    assert len(paths) > 50
    for path in paths:
        model = onnx.load(path, load_external_data=False)
        info = inspect_file(path)
        constants = _constant_weights(model.graph)
        tensors = [(t.name, list(t.dims)) for t in model.graph.initializer] + constants
        want = sum(int(np.prod(dims)) for name, dims in tensors if name.rsplit(".", 1)[-1] not in BUFFER_SUFFIXES)
        assert info.total_parameters == want, path
        assert info.constant_elements == sum(int(np.prod(dims)) for _, dims in constants), path


def _safetensors_file(tmp_path, header, data_size):
    raw = json.dumps(header).encode()
    path = tmp_path / "t.safetensors"
    path.write_bytes(len(raw).to_bytes(8, "little") + raw + b"\0" * data_size)
    return path


@pytest.mark.parametrize("header,data_size", [
    ({"a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]}}, 8),                     # well formed
    ({"a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]},
      "b": {"dtype": "I8", "shape": [3], "data_offsets": [8, 11]}}, 11),                    # two, in order
    ({"a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 4]}}, 4),                     # too few bytes
    ({"a": {"dtype": "F32", "shape": [1], "data_offsets": [0, 8]}}, 8),                     # too many bytes
    ({"a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]},
      "b": {"dtype": "F32", "shape": [2], "data_offsets": [4, 12]}}, 12),                   # overlap
    ({"a": {"dtype": "F32", "shape": [1], "data_offsets": [4, 8]}}, 8),                     # gap
    ({"a": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]}}, 8),                     # trailing bytes
    ({"a": {"dtype": "F32", "shape": [1000000, 1000000], "data_offsets": [0, 0]}}, 0),      # 10**12 in 0 bytes
    ({"a": {"dtype": "F4", "shape": [3], "data_offsets": [0, 2]}}, 2),                      # half bytes
    ({"a": {"dtype": "X9", "shape": [1], "data_offsets": [0, 1]}}, 1),                      # unknown dtype
])
def test_safetensors_checks_agree_with_the_safetensors_library(tmp_path, header, data_size):
    """Oracle: the safetensors library opens exactly the files inspect accepts."""
    from safetensors import safe_open

    path = _safetensors_file(tmp_path, header, data_size)
    try:
        with safe_open(str(path), framework="numpy") as fh:
            list(fh.keys())
        library_accepts = True
    except Exception:  # noqa: BLE001 - any refusal by the library
        library_accepts = False
    try:
        inspect_file(path)
        we_accept = True
    except ModelFileError as exc:
        assert exc.message_zh != exc.message
        we_accept = False
    assert we_accept == library_accepts


def test_onnx_total_beyond_int64_is_an_error_not_a_number(tmp_path):
    big = TensorProto(name="w", data_type=TensorProto.FLOAT, dims=[1 << 40, 1 << 40])
    big.data_location = TensorProto.EXTERNAL
    big.external_data.add(key="location", value="w.bin")
    graph = helper.make_graph([helper.make_node("Identity", ["x"], ["y"])], "g",
                              [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1])], [big])
    path = tmp_path / "m.onnx"
    path.write_bytes(helper.make_model(graph).SerializeToString())
    with pytest.raises(ModelFileError, match="2\\^63-1"):
        inspect_file(path)


def test_onnx_initializer_whose_data_disagrees_with_its_dims_is_an_error(tmp_path):
    t = numpy_helper.from_array(np.zeros((2, 3), np.float32), "w")
    t.dims[:] = [2000, 3000]  # the same 24 bytes of raw_data now claim 6 million elements
    graph = helper.make_graph([helper.make_node("Identity", ["x"], ["y"])], "g",
                              [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1])], [t])
    path = tmp_path / "m.onnx"
    path.write_bytes(helper.make_model(graph).SerializeToString())
    with pytest.raises(ModelFileError, match="raw_data") as caught:
        inspect_file(path)
    assert "raw_data" in caught.value.message_zh and caught.value.offset is not None


def test_torch_storage_sizes_are_checked_against_the_archive(tmp_path):
    import zipfile

    src = MODELS / "tiny_cnn_state_dict.pt"
    with zipfile.ZipFile(src) as zf:
        members = [(i.filename, zf.read(i)) for i in zf.infolist()]
    path = tmp_path / "m.pt"
    with zipfile.ZipFile(path, "w") as zf:
        for name, data in members:
            zf.writestr(name, data[:-4] if name.endswith("/data/7") else data)  # conv2.weight loses one float
    with pytest.raises(ModelFileError, match="holds 4,604 bytes") as caught:
        inspect_file(path)
    assert caught.value.member == "tiny_cnn_state_dict/data/7"


def test_legacy_storages_are_checked_against_the_file(tmp_path):
    whole = (MODELS / "tiny_cnn_legacy.pth").read_bytes()
    path = tmp_path / "cut.pth"
    path.write_bytes(whole[:-8])
    with pytest.raises(ModelFileError, match="needs .* bytes, the file has"):
        inspect_file(path)


# --- one budget for the whole file ----------------------------------------------------------------

def test_the_budget_is_for_the_whole_file_not_each_stream(tmp_path):
    import zipfile

    from modelcard_spec.modelfiles import pickles as picklescan

    stream = b"\x80\x02" + b"N0" * 300 + b"N."  # 602 opcodes
    path = tmp_path / "m.pt"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("archive/data.pkl", stream)
        zf.writestr("archive/extra/a.pkl", stream)
    assert inspect_file(path, budget=picklescan.Budget(max_opcodes=1300)).pickle_based
    with pytest.raises(ModelFileError, match="1,000 pickle opcodes") as caught:
        inspect_file(path, budget=picklescan.Budget(max_opcodes=1000))
    assert caught.value.member == "archive/extra/a.pkl" and "操作码" in caught.value.message_zh


def test_the_budget_has_a_deadline(tmp_path):
    from modelcard_spec.modelfiles import pickles as picklescan

    path = tmp_path / "slow.pkl"
    path.write_bytes(b"\x80\x02" + b"N0" * 50_000 + b"N.")
    with pytest.raises(ModelFileError, match="seconds of inspection"):
        inspect_file(path, budget=picklescan.Budget(max_seconds=0))


@pytest.mark.parametrize("limit,data,needle", [
    ("max_memo", b"\x80\x02N" + b"p%d\n" % 0 + b"".join(b"p%d\n" % i for i in range(1, 20)) + b".", "memo entries"),
    ("max_depth", b"\x80\x02" + b"]" + b"\x85" * 30 + b".", "levels of nesting"),
    ("max_bytes", b"\x80\x02" + b"N0" * 5000 + b"N.", "bytes of pickle data"),
])
def test_each_limit_gives_a_clear_bilingual_error(tmp_path, limit, data, needle):
    from modelcard_spec.modelfiles import pickles as picklescan

    path = tmp_path / "m.pkl"
    path.write_bytes(data)
    inspect_file(path)  # within the default budget
    with pytest.raises(ModelFileError, match=needle) as caught:
        inspect_file(path, budget=picklescan.Budget(**{limit: 10}))
    assert "检查上限" in caught.value.message_zh


def test_limit_messages_space_a_latin_word_in_chinese(tmp_path):
    from modelcard_spec.modelfiles import pickles as picklescan

    zh = scan_error(picklescan.Budget().exceeded("opcodes")).message_zh
    assert "所需的 pickle 操作码数超过" in zh
    assert "所需的嵌套层数超过" in scan_error(picklescan.Budget().exceeded("depth")).message_zh


def test_the_time_limit_gives_its_unit_after_the_number():
    from modelcard_spec.modelfiles import pickles as picklescan

    late = scan_error(picklescan.Budget().exceeded("seconds"))
    assert late.message_zh == "读取该文件所需的检查用时超过单个模型文件的检查上限 30 秒"
    assert late.message == "reading it needs more than 30 seconds of inspection, the inspection limit for one model file"
    assert late.issue.params == {"limit": 30.0}


# --- what pickle.load could read: trailing bytes, pickles of any protocol and suffix, the tar format ---

def _pickle2(obj) -> bytes:
    import pickle

    return pickle.dumps(obj, protocol=2)


@pytest.mark.parametrize("tail", [b"\n", b"\r\n", b"\0" * 4096, b"\xff\xfe\n\x00", b"N"])
def test_trailing_bytes_without_an_import_opcode_are_a_note(tmp_path, tail):
    """No pickle.load can run code from them, wherever it starts: they name nothing to call."""
    path = tmp_path / "m.pkl"
    path.write_bytes(_pickle2({"w": [1.0]}) + tail)
    info = inspect_file(path)
    assert info.findings == [] and info.globals == []
    assert any("hold no import opcode" in note for note in info.notes), info.notes


@pytest.mark.parametrize("tail,where", [(b"\xffcos\nsystem\n", 1), (b"Nabc", 3), (b"\0" * 100 + b"\x93", 100)])
def test_trailing_bytes_with_an_import_opcode_are_an_error(tmp_path, tail, where):
    path = tmp_path / "m.pkl"
    head = _pickle2({"w": [1.0]})
    path.write_bytes(head + tail)
    with pytest.raises(ModelFileError, match="import opcode") as caught:
        inspect_file(path)
    assert caught.value.member == "m.pkl#1" and caught.value.offset == len(head)
    assert f"byte {len(head) + where:,} is an import opcode" in caught.value.message
    assert "导入操作码" in caught.value.message_zh and caught.value.info.pickle_based


def test_inspect_header_names_the_container_alone_when_there_is_no_framework(tmp_path):
    from conftest import run_measured

    path = tmp_path / "m.pkl"
    path.write_bytes(_pickle2([1, 2]))
    run = run_measured(["inspect", path], cwd=tmp_path)
    assert run.returncode == 0, run
    assert run.stdout.splitlines()[1] == "# (pickle).", run.stdout


@pytest.mark.parametrize("suffix", [".pt", ".pth", ".bin", ".ckpt", ".pkl", ".weights", ""])
def test_pickles_of_protocol_0_and_1_are_recognised_by_content(tmp_path, suffix):
    import pickle

    for protocol in (0, 1):
        path = tmp_path / f"model{suffix}"
        path.write_bytes(pickle.dumps({"w": [1.5, 2]}, protocol=protocol))
        info = inspect_file(path)
        assert (info.container, info.pickle_based, info.findings) == ("pickle", True, [])


def test_the_legacy_format_is_recognised_by_its_magic_number_in_any_protocol(tmp_path):
    import pickle

    whole = (MODELS / "tiny_cnn_legacy.pth").read_bytes()
    assert detect_container(MODELS / "tiny_cnn_legacy.pth", Budget())[0] == "pytorch-legacy"
    magic = pickle.dumps(0x1950A86A20F9469CFC6C, protocol=2)
    assert whole.startswith(magic)
    zero = tmp_path / "zero.pth"
    zero.write_bytes(pickle.dumps(0x1950A86A20F9469CFC6C, protocol=0) + whole[len(magic):])
    info = inspect_file(zero)
    assert info.container == "pytorch-legacy" and info.total_parameters == EXPECTED["_model"]["parameters"]
    other = tmp_path / "big_int.pkl"  # a pickle of another big number is a pickle, not a checkpoint
    other.write_bytes(pickle.dumps(10 ** 30, protocol=2))
    assert inspect_file(other).container == "pickle"


def _legacy_tar(tmp_path, **kwargs):
    import sys

    sys.path.insert(0, str(ROOT / "tests"))
    from test_hostile_models import legacy_tar_members, write_tar

    return write_tar(tmp_path / "old.pt", legacy_tar_members(**kwargs))


def test_the_tar_format_is_scanned_member_by_member(tmp_path):
    path = _legacy_tar(tmp_path)
    info = inspect_file(path)
    assert (info.container, info.format, info.pickle_based) == ("pytorch-tar", "pt", True)
    assert info.findings == [] and info.globals == ["torch.FloatStorage"]
    assert info.framework_version == "legacy (tar) serialisation"


@pytest.mark.parametrize("storages,needle", [
    (_pickle2(2) + _pickle2((0, "cpu", None)), "storage 1 does not name a known storage type"),
    (_pickle2(1) + b"\x80\x02(K\x00X\x03\x00\x00\x00cpuctorch\nFloatStorage\nt." + (5).to_bytes(8, "little"),
     "the member ends in the data of storage 1"),
    (_pickle2("x"), "the first pickle of 'storages' is not a count"),
])
def test_a_tar_checkpoint_that_does_not_follow_the_format_is_an_error(tmp_path, storages, needle):
    with pytest.raises(ModelFileError, match=needle) as caught:
        inspect_file(_legacy_tar(tmp_path, storages=storages))
    assert caught.value.member and caught.value.message_zh != caught.value.message


# --- ONNX external data ---------------------------------------------------------------------------

def _external(name, location, n=30, offset="0", length=None, data_type=TensorProto.FLOAT, external=True):
    t = TensorProto(name=name, data_type=data_type, dims=[n])
    if external:
        t.data_location = TensorProto.EXTERNAL
    entries = [("location", location), ("offset", offset), ("length", str(4 * n) if length is None else length)]
    for key, value in entries:
        if value is not None:
            t.external_data.add(key=key, value=value)
    return t


def _onnx_with(path, *initializers):
    """``y = x + W`` (float32 [30]) with ``initializers`` and an embedded bias ``b`` of 2 elements."""
    bias = numpy_helper.from_array(np.zeros(2, np.float32), "b")
    graph = helper.make_graph([helper.make_node("Add", ["x", "W"], ["y"])], "g",
                              [helper.make_tensor_value_info("x", TensorProto.FLOAT, [30])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, [30])], [*initializers, bias])
    path.write_bytes(helper.make_model(graph).SerializeToString())
    return path


def _model_folder(tmp_path):
    folder = tmp_path / "model"
    folder.mkdir()
    (folder / "w.bin").write_bytes(bytes(240))
    (folder / "short.bin").write_bytes(bytes(8))
    (folder / "sub").mkdir()
    (tmp_path / "outside.bin").write_bytes(bytes(240))
    (folder / "out.bin").symlink_to("../outside.bin")
    (folder / "in.bin").symlink_to("w.bin")
    os.mkfifo(folder / "fifo")
    return folder


def test_external_initializer_data_is_counted_when_its_file_holds_it(tmp_path):
    folder = _model_folder(tmp_path)
    path = _onnx_with(folder / "m.onnx", _external("W", "w.bin"), _external("V", "in.bin", offset="120"))
    info = inspect_file(path)
    assert info.total_parameters == 62 and info.parameters_by_dtype == {"float32": 62}
    assert [(e.name, e.problem) for e in info.external_data] == [("W", None), ("V", None)]
    assert not any("external" in note for note in info.notes)
    fragment = card_fragment(info, "test")
    assert fragment["model_parameters"]["total_parameters"] == 62
    assert "/model_parameters/total_parameters" in [p["pointer"] for p in fragment["provenance"]]
    assert [e["checked"] for e in summary(info)["external_data"]] == [True, True]
    # oracle: onnx's own loader reads the same data (it refuses every symbolic link, even one inside)
    path = _onnx_with(folder / "m.onnx", _external("W", "w.bin"), _external("V", "w.bin", offset="120"))
    assert inspect_file(path).total_parameters == 62
    model = onnx.load(str(path))
    assert sum(numpy_helper.to_array(t).size for t in model.graph.initializer) == 62


@pytest.mark.parametrize("initializers,why,why_zh", [
    ([_external("W", "nonexistent.bin", n=10 ** 12)], "has the data file 'nonexistent.bin', which does not exist", "不存在"),
    ([_external("W", "/etc/passwd")], "by an absolute path", "绝对路径"),
    ([_external("W", "../outside.bin")], "through '..'", "“..”"),
    ([_external("W", "sub/../w.bin")], "through '..'", "“..”"),
    ([_external("W", "out.bin")], "which leaves the model's folder", "超出了模型所在文件夹"),
    ([_external("W", "sub")], "which is a folder, not a file", "为文件夹"),
    ([_external("W", "fifo")], "which is not a regular file", "不是普通文件"),
    ([_external("W", "")], "names no data file", "未指明数据文件"),
    ([_external("W", "short.bin")], "needs 120 bytes from byte 0 of 'short.bin', which has 8 bytes", "只有 8 字节"),
    ([_external("W", "w.bin", offset="200")], "needs 120 bytes from byte 200 of 'w.bin', which has 240", "只有 240 字节"),
    ([_external("W", "w.bin", length="4")], "declares 4 bytes of data in 'w.bin', its dtype and dims need 120",
     "应为 120 字节"),
    ([_external("W", "w.bin", offset="-4")], "has the offset '-4' in 'w.bin', which is not a byte count", "不是字节数"),
    ([_external("W", "w.bin", data_type=TensorProto.STRING)], "has a data type of no fixed size", "没有固定长度"),
    ([_external("W", "w.bin"), _external("V", "w.bin", offset="60")],
     "has data (bytes 60 to 179 of 'w.bin') that overlaps that of 'W'", "重叠"),
])
def test_external_initializer_data_not_shown_leaves_the_count_out(tmp_path, initializers, why, why_zh):
    """10^12 parameters in a file that is not there were reported as extracted, and a card declaring
    them passed validate --model: now no count is reported (nor its provenance), and a note and the
    JSON summary name the initializer and why."""
    folder = _model_folder(tmp_path)
    path = _onnx_with(folder / "m.onnx", *initializers)
    info = inspect_file(path)
    assert info.total_parameters is None and info.parameters_by_dtype == {}
    [note] = [n for n in info.notes if "no parameter count is reported" in n]
    assert why in note, note
    fragment = card_fragment(info, "test")
    assert "total_parameters" not in fragment["model_parameters"]
    assert "parameters_by_dtype" not in fragment["model_parameters"]
    assert not any(p["pointer"].startswith("/model_parameters/total") for p in fragment["provenance"])
    unchecked = [e for e in summary(info)["external_data"] if not e["checked"]]
    assert unchecked and why in unchecked[0]["problem"] and why_zh in unchecked[0]["problem_zh"], unchecked


def test_external_data_entries_count_only_with_the_external_location(tmp_path):
    """ONNX Runtime reads external_data entries only when data_location is EXTERNAL: without it, the
    tensor's data must be in the file like any other (10^12 elements in none is an error)."""
    folder = _model_folder(tmp_path)
    path = _onnx_with(folder / "m.onnx", _external("W", "w.bin", n=10 ** 12, external=False))
    with pytest.raises(ModelFileError, match="has 1,000,000,000,000 elements, the file stores 0"):
        inspect_file(path)


def test_external_data_of_tensor_attributes_is_checked_but_not_counted(tmp_path):
    """A Constant node's tensor with external data: ONNX Runtime loads it too, so its file is checked
    (verify refuses it outside the folder), but it is not a parameter."""
    folder = _model_folder(tmp_path)
    constant = helper.make_node("Constant", [], ["W"], value=_external("c", "../outside.bin"))
    graph = helper.make_graph([constant, helper.make_node("Add", ["x", "W"], ["y"])], "g",
                              [helper.make_tensor_value_info("x", TensorProto.FLOAT, [30])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, [30])])
    path = folder / "m.onnx"
    path.write_bytes(helper.make_model(graph).SerializeToString())
    info = inspect_file(path)
    assert info.total_parameters == 0 and info.constant_elements == 0
    assert not any("no parameter count" in n for n in info.notes)
    [ref] = onnx_external_data(path)
    assert not ref.initializer and ref.problem[0] == "dotdot"
    assert "through '..'" in problem_issue(ref).message and "经由“..”" in problem_issue(ref).message_zh
    assert external_problem(ref).message.startswith("tensor 'c' (byte ")


def test_a_tar_member_that_ends_early_says_what_was_being_read(tmp_path):
    storages = _pickle2(1) + b"\x80\x02(K\x00X\x03\x00\x00\x00cpuctorch\nFloatStorage\nt." + (5).to_bytes(8, "little")
    with pytest.raises(ModelFileError) as caught:
        inspect_file(_legacy_tar(tmp_path, storages=storages))
    assert caught.value.message_zh.endswith("：该成员在读取第 1 个存储的数据时提前结束")
    assert caught.value.issue.params["index"] == 1 and caught.value.member == "storages"


def test_external_data_in_model_local_functions_is_checked(tmp_path):
    """A Constant inside a model-local function (ModelProto.functions) whose tensor keeps its data
    outside the model's folder was never looked at; ONNX Runtime loads it with the model."""
    folder = _model_folder(tmp_path)
    constant = helper.make_node("Constant", [], ["c"], value=_external("c", "../outside.bin"))
    default = helper.make_attribute("bias", _external("d", "/etc/passwd"))
    function = onnx.FunctionProto(name="AddC", domain="local", input=["x"], output=["y"],
                                  node=[constant, helper.make_node("Add", ["x", "c"], ["y"])],
                                  opset_import=[helper.make_opsetid("", 17)], attribute_proto=[default])
    graph = helper.make_graph([helper.make_node("AddC", ["x"], ["y"], domain="local")], "g",
                              [helper.make_tensor_value_info("x", TensorProto.FLOAT, [30])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, [30])])
    model = helper.make_model(graph, functions=[function],
                              opset_imports=[helper.make_opsetid("", 17), helper.make_opsetid("local", 1)])
    path = folder / "m.onnx"
    path.write_bytes(model.SerializeToString())
    info = inspect_file(path)
    assert info.total_parameters == 0 and info.operator_counts == {"local::AddC": 1}
    refs = onnx_external_data(path)
    assert sorted((r.name, r.initializer) for r in refs) == [("c", False), ("d", False)]
    assert all(r.problem for r in refs), refs


def test_a_pickled_module_is_counted_by_names_for_its_keys_can_be_forged(tmp_path):
    """A pickled module keeps parameters under _parameters and buffers under _buffers, but those are
    dictionary keys any pickle can write: real weights moved under a _buffers key must not make an
    understated count look certain. Such files are counted by the buffer-name rule, like a state dict."""
    import zipfile

    from conftest import ROOT
    from test_hostile_models import _binunicode, _int

    full = inspect_file(ROOT / "tests" / "data" / "models" / "tiny_cnn_full_module.pt")
    assert (full.buffer_rule, full.total_parameters, full.buffer_elements) == ("names", 1299, 17)

    def tensor(key, numel):
        pid = b"(" + _binunicode("storage") + b"ctorch\nFloatStorage\n" + _binunicode(key) + _binunicode("cpu") \
            + _int(numel) + b"tQ"
        return b"ctorch._utils\n_rebuild_tensor_v2\n(" + pid + b"K\x00(" + _int(numel) + b"t(K\x01t\x89}tR"

    for name, pkl in (
            ("forged.pt", b"\x80\x02}(" + _binunicode("_parameters") + b"}(" + _binunicode("w") + tensor("0", 10) + b"u"
             + _binunicode("_buffers") + b"}(" + _binunicode("big") + tensor("1", 1000) + b"uu."),
            ("dotted.pt", b"\x80\x02}(" + _binunicode("enc._parameters.w") + tensor("0", 10)
             + _binunicode("enc._buffers.big") + tensor("1", 1000) + b"u.")):
        with zipfile.ZipFile(tmp_path / name, "w") as zf:
            zf.writestr("archive/data.pkl", pkl)
            zf.writestr("archive/version", "3\n")
            zf.writestr("archive/data/0", b"\0" * 40)
            zf.writestr("archive/data/1", b"\0" * 4000)
        info = inspect_file(tmp_path / name)
        assert (info.buffer_rule, info.total_parameters, info.buffer_elements) == (None, 1010, 0), name
