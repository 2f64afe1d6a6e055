"""The card against its model file: `validate --model` mismatches and the `verify` reproduction run,
on the shipped runnable example (examples/wdbc-cytology-mlp)."""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import sys

import numpy as np
import pytest
import yaml

from conftest import EXAMPLES, ROOT, renderings
from modelcard_spec.check.loading import read_card
from modelcard_spec.check.pipeline import check_data

EXAMPLE = EXAMPLES / "wdbc-cytology-mlp"
MODEL = EXAMPLE / "model" / "wdbc_cytology_mlp_1.0.0.onnx"


def cli(*args, cwd=None):
    return subprocess.run([sys.executable, "-m", "modelcard_spec.cli", *map(str, args)], capture_output=True,
                          text=True, encoding="utf-8", cwd=cwd, timeout=120)


@pytest.fixture()
def copy(tmp_path):
    dest = tmp_path / "card"
    shutil.copytree(EXAMPLE, dest)
    return dest


def edit(folder, change):
    path = folder / "card.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    change(data)
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def model_issues(card, model=MODEL):
    proc = cli("validate", card, "--model", model, "--format", "json")
    assert "Traceback" not in proc.stderr
    result = json.loads(proc.stdout)["results"][0]
    return proc.returncode, [(i["rule"], i["path"], i["requirement"]) for i in result["issues"]], result


def test_shipped_example_agrees_with_its_model_file():
    code, issues, result = model_issues(EXAMPLE / "card.yaml")
    # ONNX initializers do not mark which tensors are buffers: the match is said to rest on that
    assert code == 0 and issues == [("model.parameters-uncertain", "/model_parameters/total_parameters", "MCS-PA-01")]
    statuses = {r["id"]: r["status"] for r in result["requirements"]}
    assert statuses["MCS-ND-01"] == statuses["MCS-PA-03"] == "conforms"


MUTATIONS = [
    ("model.sha256", "/model_parameters/weight_files/0/sha256", "MCS-PA-03",
     lambda d: d["model_parameters"]["weight_files"][0].update(sha256="0" * 64)),
    ("model.size", "/model_parameters/weight_files/0/size_bytes", "MCS-PA-03",
     lambda d: d["model_parameters"]["weight_files"][0].update(size_bytes=1234)),
    ("model.format", "/model_parameters/weight_files/0/format", "MCS-PA-03",
     lambda d: d["model_parameters"]["weight_files"][0].update(format="pt")),
    ("model.unlisted", "/model_parameters/weight_files", "MCS-PA-03",
     lambda d: d["model_parameters"]["weight_files"][0].update(file_name="other.onnx", sha256="1" * 64)),
    ("model.parameters", "/model_parameters/total_parameters", "MCS-PA-01",
     lambda d: d["model_parameters"].update(total_parameters=600)),
    ("model.precision", "/model_parameters/precision", "MCS-PA-02",
     lambda d: d["model_parameters"].update(precision="fp16")),
    ("model.node-missing", "/model_nodes/input_nodes/0/name", "MCS-ND-01",
     lambda d: d["model_nodes"]["input_nodes"][0].update(name="x")),
    ("model.node-dtype", "/model_nodes/output_nodes/0/dtype", "MCS-ND-01",
     lambda d: d["model_nodes"]["output_nodes"][0].update(dtype="float16")),
    ("model.node-shape", "/model_nodes/input_nodes/0/shape", "MCS-ND-01",
     lambda d: d["model_nodes"]["input_nodes"][0].update(shape=["batch", 31])),
    ("model.node-shape", "/model_nodes/output_nodes/1/shape", "MCS-ND-01",
     lambda d: d["model_nodes"]["output_nodes"][1].update(shape=["batch", 16, 1])),
    ("model.node-shape", "/model_nodes/input_nodes/0/shape", "MCS-ND-01",
     lambda d: d["model_nodes"]["input_nodes"][0].update(shape=[1, 30])),
    ("model.node-undeclared", "/model_nodes/output_nodes", "MCS-ND-01",
     lambda d: d["model_nodes"]["output_nodes"].pop(1)),
    ("model.opset", "/model_nodes/operators/opset_version", "MCS-ND-04",
     lambda d: d["model_nodes"]["operators"].update(opset_version=13)),
    ("model.operator-count", "/model_nodes/operators/operator_counts/1/value", "MCS-ND-04",
     lambda d: d["model_nodes"]["operators"]["operator_counts"][1].update(value="3")),
]


@pytest.mark.parametrize("rule,path,req,change", MUTATIONS, ids=[f"{m[0]}-{i}" for i, m in enumerate(MUTATIONS)])
def test_each_kind_of_mismatch_is_reported_at_its_field(copy, rule, path, req, change):
    card = edit(copy, change)
    code, issues, _ = model_issues(card)
    assert code == 1
    assert (rule, path, req) in issues, issues


def test_undeclared_custom_operator_is_reported(copy, tmp_path):
    import onnx
    from onnx import helper
    model = onnx.load(MODEL)
    model.graph.node.append(helper.make_node("Calibrate", ["probabilities"], ["calibrated"], domain="com.example"))
    model.opset_import.append(helper.make_opsetid("com.example", 1))
    path = copy / "model" / "wdbc_cytology_mlp_1.0.0.onnx"
    onnx.save(model, path)
    code, issues, _ = model_issues(copy / "card.yaml", path)
    assert ("model.custom-operator", "/model_nodes/operators/custom_operators", "MCS-ND-04") in issues


def test_validate_model_usage_errors():
    proc = cli("validate", EXAMPLE / "card.yaml", EXAMPLE / "card.yaml", "--model", MODEL)
    assert proc.returncode == 2 and "exactly one CARD" in proc.stderr
    proc = cli("validate", EXAMPLE / "card.yaml", "--model", "nope.onnx")
    assert proc.returncode == 2 and "no such file" in proc.stderr


def test_unreadable_model_file_is_a_located_issue(copy):
    bad = copy / "model" / "broken.onnx"
    bad.write_bytes(b"\x08\x08\x3a\x7f")
    code, issues, _ = model_issues(copy / "card.yaml", bad)
    assert code == 1 and ("model.unreadable", "/model_parameters/weight_files", "MCS-PA-03") in issues




def _custom_and_external(folder):
    """The example model with an undeclared custom operator and an initializer whose external data
    file does not exist (so the declared parameter count is not shown by the file)."""
    import onnx
    from onnx import TensorProto, helper

    model = onnx.load(MODEL)
    model.graph.node.append(helper.make_node("Calibrate", ["probabilities"], ["calibrated"], domain="com.example"))
    model.opset_import.append(helper.make_opsetid("com.example", 1))
    extra = TensorProto(name="extra", data_type=TensorProto.FLOAT, dims=[4], data_location=TensorProto.EXTERNAL)
    entry = extra.external_data.add()
    entry.key, entry.value = "location", "missing.bin"
    model.graph.initializer.append(extra)
    path = folder / "model" / "custom.onnx"
    onnx.save(model, path)
    return path


def _torchscript(path):
    """A TorchScript archive by hand: one module of class __torch__.M, its code, no tensors."""
    import zipfile

    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("m/data.pkl", b"\x80\x02c__torch__\nM\n)\x81}b.")
        zf.writestr("m/constants.pkl", b"\x80\x02).")
        zf.writestr("m/code/__torch__.py", "class M(Module):\n  __parameters__ = []\n  __buffers__ = []\n")
    return path


def test_every_model_issue_reports_a_requirement_the_catalogue_ties_to_its_path(tmp_path):
    """validate --model over the model files the tests use (the shipped ONNX model, each mutation
    of the card above, tests/data/models, unreadable files): every model.* issue is a registered
    check rendered from its parameters, and reports a requirement the catalogue ties to the card
    field at its path (the check's own, or the catalogue's first for that field)."""
    from modelcard_spec.check.pipeline import validate_card
    from modelcard_spec.spec import catalogue
    from modelcard_spec.spec.registry import CHECKS, lookup

    def folder(name, change=None):
        dest = tmp_path / name
        shutil.copytree(EXAMPLE, dest)
        return edit(dest, change) if change else dest / "card.yaml"

    runs = [(folder(f"m{i}", change), MODEL) for i, (_, _, _, change) in enumerate(MUTATIONS)]
    base = folder("base")
    runs += [(base, model) for model in sorted((ROOT / "tests" / "data" / "models").glob("tiny_cnn_*"))]
    runs.append((base, _custom_and_external(base.parent)))
    # a count that rests on names (a position_ids buffer beside 590 parameters), and TorchScript code
    header = json.dumps({"w": {"dtype": "F32", "shape": [590], "data_offsets": [0, 2360]},
                         "embeddings.position_ids": {"dtype": "I64", "shape": [1, 4], "data_offsets": [2360, 2392]}})
    (base.parent / "named.safetensors").write_bytes(len(header).to_bytes(8, "little") + header.encode() + bytes(2392))
    runs.append((base, base.parent / "named.safetensors"))
    runs.append((base, _torchscript(base.parent / "m.jit")))
    for name, data in (("broken.onnx", b"\x08\x08\x3a\x7f"), ("broken.pt", b"\x00" * 32)):
        (base.parent / name).write_bytes(data)
        runs.append((base, base.parent / name))
    # an open-source model's card: the catalogue ties weight_files[].sha256 to MCS-GEN-08 first
    open_source = folder("open", lambda d: (d.update(provider_kind="open_source"),
                                             d["model_parameters"]["weight_files"][0].update(sha256="0" * 64)))
    runs.append((open_source, MODEL))
    seen, wrong = {}, []
    for card, model in runs:
        result, _ = validate_card(card, models=(model,))
        for issue in (i for i in result.issues if i.rule.startswith("model.")):
            check = lookup(issue.rule)
            assert check is not None and check.id == issue.rule, issue
            assert (issue.message, issue.message_zh) in renderings(check, issue.params), issue
            tied = catalogue.requirements_for_pointer(issue.path)
            if issue.requirement not in tied:
                wrong.append((issue.rule, issue.path, issue.requirement, tied))
            seen.setdefault(issue.rule, set()).add((issue.path.split("/")[2], issue.requirement))
    assert wrong == []
    assert set(seen) == {c for c in CHECKS if c.startswith("model.")}
    # the SHA-256 of the delivered file is MCS-PA-03's, whatever the provider kind
    assert seen["model.sha256"] == {("weight_files", "MCS-PA-03")}
    assert {r for _, r in seen["model.pickle-global"] | seen["model.pickle-unscanned"]} == {"MCS-PA-06"}
    assert {r for _, r in seen["model.unlisted"] | seen["model.unreadable"]} == {"MCS-PA-03"}


def test_verify_says_a_card_has_no_examples_before_it_reads_the_model(copy):
    """A card without input/output examples is refused at the card, before the model file is read
    (here a file the reader refuses, which the run used to read first)."""
    card = edit(copy, lambda d: d["input_output"].pop("examples"))
    bad = copy / "model" / "x.onnx"
    bad.write_bytes(b"not onnx")
    proc = cli("verify", card, "--model", bad, "--no-save")
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert proc.stderr.splitlines() == [
        f"{card}: error: the card declares no input/output examples (input_output.examples)",
        f"{card}: 错误：模型卡未声明输入输出示例（input_output.examples）"]


def test_verify_checks_the_examples_first(copy, monkeypatch):
    from modelcard_spec.modelfiles import verify as vf

    def read(*_):
        raise AssertionError("the model file was read")

    monkeypatch.setattr(vf, "onnx_external_data", read)
    monkeypatch.setattr(vf, "Session", read)
    card = edit(copy, lambda d: d["input_output"].update(examples=["not an example"]))
    data = yaml.safe_load(card.read_text(encoding="utf-8"))
    with pytest.raises(vf.VerifyError) as caught:
        vf.verify(data, card, MODEL, None)
    assert caught.value.issue.rule == "verify.examples" and caught.value.where == str(card)


# --- verify ------------------------------------------------------------------------------------

def assert_problems_rendered(report: dict) -> None:
    """Every problem of a ``verify --format json`` report names a registered ``verify.*`` check
    whose templates render exactly its two messages from the parameters it gives."""
    from modelcard_spec.modelfiles import verify  # noqa: F401  (it registers the verify.* checks)
    from modelcard_spec.spec.registry import lookup

    for example in report["examples"]:
        for problem in example["problems"] + [p for o in example["outputs"] for p in o["problems"]]:
            check = lookup(problem["rule"])
            assert check is not None and check.id.startswith("verify.") and check.scope == "command", problem
            assert (problem["message"], problem["message_zh"]) in renderings(check, problem.get("params")), problem


def verify_report(proc) -> dict:
    """The JSON report of a verify run, each of its problems checked by assert_problems_rendered."""
    report = json.loads(proc.stdout)
    assert_problems_rendered(report)
    return report


def _tree_digest(folder):
    return {p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def test_verify_reproduces_the_shipped_example_and_saves_deterministic_outputs(tmp_path):
    before = _tree_digest(EXAMPLE)
    out1, out2 = tmp_path / "run1", tmp_path / "run2"
    p1 = cli("verify", EXAMPLE / "card.yaml", "--model", MODEL, "-o", out1, "--format", "json")
    p2 = cli("verify", EXAMPLE / "card.yaml", "--model", MODEL, "-o", out2, "--format", "json")
    assert p1.returncode == 0 and p2.returncode == 0, p1.stdout + p1.stderr
    report = verify_report(p1)
    assert [e["status"] for e in report["examples"]] == ["reproduces"]
    outputs = {o["name"]: o for o in report["examples"][0]["outputs"]}
    assert outputs["probabilities"]["compared"] == 16 and outputs["probabilities"]["mismatched"] == 0
    saved = (out1 / "wdbc-test-first-8.outputs.npz").read_bytes()
    assert saved == (out2 / "wdbc-test-first-8.outputs.npz").read_bytes()
    frag = report["card_fragment"]
    assert frag["evidence"][0]["sha256"] == hashlib.sha256(saved).hexdigest()
    assert frag["provenance"][0]["origin"] == "measured"
    # pasted at the end of the card's evidence, each provenance pointer names its entry (it used to
    # be /evidence/<id>, which is no JSON Pointer into a list)
    data = read_card(EXAMPLE / "card.yaml").data
    assert frag["provenance"][0]["pointer"] == f"/evidence/{len(data['evidence'])}"
    data["evidence"] += frag["evidence"]
    data.setdefault("provenance", []).extend(frag["provenance"])
    issues, _ = check_data(data, out1)
    assert [i for i in issues if i.rule.startswith("provenance.")] == []
    assert _tree_digest(EXAMPLE) == before  # the card and its evidence are never changed
    text = cli("verify", EXAMPLE / "card.yaml", "--model", MODEL, "--no-save", "--lang", "zh")
    assert text.returncode == 0 and "复现" in text.stdout


def test_verify_reports_runs_with_worst_mismatch_locations(copy):
    exp = copy / "evidence" / "test_expected.npz"
    arrays = dict(np.load(exp))
    arrays["probabilities"][5, 1] += 0.25
    np.savez(exp, **arrays)
    digest = hashlib.sha256(exp.read_bytes()).hexdigest()
    edit(copy, lambda d: [e.update(sha256=digest) for e in d["evidence"] if e["id"] == "ev-test-expected"])
    proc = cli("verify", copy / "card.yaml", "--model", MODEL, "--no-save", "--format", "json")
    assert proc.returncode == 1
    ex = verify_report(proc)["examples"][0]
    assert ex["status"] == "runs"
    probs = next(o for o in ex["outputs"] if o["name"] == "probabilities")
    assert probs["mismatched"] == 1 and probs["worst"][0]["index"] == [5, 1]
    text = cli("verify", copy / "card.yaml", "--model", MODEL, "--no-save")
    assert "at [5, 1]" in text.stdout and "1/16 elements outside tolerance" in text.stdout


def test_verify_checks_declared_value_ranges_and_shapes(copy):
    def change(d):
        d["input_output"]["outputs"][0]["value_range"] = {"minimum": 0.0, "maximum": 0.5, "unit": "1"}
        d["model_nodes"]["output_nodes"][1]["shape"] = ["batch", 8]
    edit(copy, change)
    proc = cli("verify", copy / "card.yaml", "--model", MODEL, "--no-save", "--format", "json")
    ex = verify_report(proc)["examples"][0]
    problems = " ".join(p["message"] for o in ex["outputs"] for p in o["problems"])
    assert ex["status"] == "runs" and "outside the declared range" in problems and "axis 1 is 16" in problems


def test_verify_reports_an_input_that_does_not_fit_its_declared_shape(copy):
    edit(copy, lambda d: d["model_nodes"]["input_nodes"][0].update(shape=["batch", 31]))
    proc = cli("verify", copy / "card.yaml", "--model", MODEL, "--no-save", "--format", "json")
    ex = verify_report(proc)["examples"][0]
    assert any("input 'features' does not fit the declared shape ['batch', 31]" in p["message"]
               and "输入 'features' 不符合声明的形状" in p["message_zh"] for p in ex["problems"])


def test_verify_tells_a_shape_mismatch_in_chinese_on_the_chinese_line(copy):
    edit(copy, lambda d: d["model_nodes"]["input_nodes"][0].update(shape=["batch", 31]))
    proc = cli("verify", copy / "card.yaml", "--model", MODEL, "--no-save", "--format", "json")
    [zh] = [p["message_zh"] for p in verify_report(proc)["examples"][0]["problems"] if "形状" in p["message_zh"]]
    assert zh == "输入 'features' 不符合声明的形状 ['batch', 31]：第 1 维为 30，模型卡声明为 31；未读取其数据"


def test_verify_tells_an_unreadable_declared_shape_in_chinese(copy):
    edit(copy, lambda d: d["model_nodes"]["input_nodes"][0].update(shape=["batch$", 30]))
    proc = cli("verify", copy / "card.yaml", "--model", MODEL, "--no-save", "--format", "json")
    [problem] = [p for p in verify_report(proc)["examples"][0]["problems"] if "形状" in p["message_zh"]]
    assert "the declared shape cannot be read (unexpected character '$' in 'batch$')" in problem["message"]
    assert "：无法解析声明的形状（'batch$' 中含有无法识别的字符 '$'）；" in problem["message_zh"]


def test_verify_fails_an_example_whose_evidence_was_altered(copy):
    (copy / "evidence" / "test_inputs.npy").write_bytes(np.zeros((8, 30), np.float32).tobytes())
    proc = cli("verify", copy / "card.yaml", "--model", MODEL, "--no-save", "--format", "json")
    ex = verify_report(proc)["examples"][0]
    assert proc.returncode == 1 and ex["status"] == "fails" and "SHA-256" in ex["problems"][0]["message"]


def test_verify_refuses_pickled_arrays(copy):
    evil = copy / "evidence" / "test_inputs.npy"
    np.save(evil, np.array([{"a": 1}], dtype=object), allow_pickle=True)
    digest = hashlib.sha256(evil.read_bytes()).hexdigest()
    edit(copy, lambda d: [e.update(sha256=digest) for e in d["evidence"] if e["id"] == "ev-test-inputs"])
    proc = cli("verify", copy / "card.yaml", "--model", MODEL, "--no-save", "--format", "json")
    ex = verify_report(proc)["examples"][0]
    assert ex["status"] == "fails" and "cannot read the example arrays" in ex["problems"][0]["message"]


def test_verify_with_a_model_it_cannot_load_exits_2(copy):
    from onnx import TensorProto, helper

    bad = copy / "model" / "x.onnx"
    bad.write_bytes(b"not onnx")  # refused by the reader inspect uses, before ONNX Runtime sees it
    proc = cli("verify", copy / "card.yaml", "--model", bad)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert "cannot read x.onnx as an ONNX model" in proc.stderr and "无法将 x.onnx 作为 ONNX 模型读取" in proc.stderr
    x = helper.make_tensor_value_info("features", TensorProto.FLOAT, ["batch", 30])
    graph = helper.make_graph([helper.make_node("NoSuchOperator", ["features"], ["y"])], "g", [x],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)])
    bad.write_bytes(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)]).SerializeToString())
    proc = cli("verify", copy / "card.yaml", "--model", bad)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert "ONNX Runtime cannot load x.onnx" in proc.stderr and "ONNX Runtime 无法加载 x.onnx" in proc.stderr


def test_inspect_cli_formats_and_exit_codes(tmp_path):
    proc = cli("inspect", MODEL)
    assert proc.returncode == 0
    frag = yaml.safe_load(proc.stdout)
    assert frag["model_parameters"]["total_parameters"] == 590
    assert frag["model_nodes"]["input_nodes"] == [{"name": "features", "shape": ["batch", 30], "dtype": "float32"}]
    js = json.loads(cli("inspect", MODEL, "--format", "json").stdout)
    assert js["inspection"]["opsets"] == {"ai.onnx": 17} and js["inspection"]["findings"] == []
    junk = tmp_path / "junk.bin"
    junk.write_bytes(b"\x00" * 32)
    bad = cli("inspect", junk)
    assert bad.returncode == 2 and "cannot inspect" in bad.stderr and "无法检查" in bad.stderr
    missing = cli("inspect", tmp_path / "none.onnx")
    assert missing.returncode == 2 and "Traceback" not in missing.stderr


def test_verify_never_writes_into_the_card_folder_or_its_evidence():
    before = _tree_digest(EXAMPLE)
    for target in (EXAMPLE, EXAMPLE / "evidence", EXAMPLE / "evidence" / "runs"):
        proc = cli("verify", EXAMPLE / "card.yaml", "--model", MODEL, "-o", target)
        assert proc.returncode == 2 and "--output-dir" in proc.stderr
    assert _tree_digest(EXAMPLE) == before


def test_output_names_are_distinct_for_distinct_examples_and_safe():
    import re

    from modelcard_spec.modelfiles.verifyoutputs import output_stems

    names = ["a:b", "a/b", "A/B", "a_b", "a_b--x", "wdbc-test-first-8", "x", "x", "X1", "x1", ".", "", "-lead",
             "é", "../../etc/passwd", "a" * 200]
    stems = output_stems(names)
    assert len({s.casefold() for s in stems}) == len(names)  # distinct even where case is ignored
    assert stems[3] == "a_b" and stems[5] == "wdbc-test-first-8"  # plain names are kept
    assert all(re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}", s) for s in stems)  # one path component, no dot file
    assert output_stems(names) == stems and output_stems(["a:b"]) == [stems[0]]  # deterministic


def _compare_whole(produced, expected, atol, rtol):
    """The comparison over whole arrays at once, as verify made it before it worked in chunks."""
    a, b = produced.astype(np.float64), expected.astype(np.float64)
    diff = np.abs(a - b)
    bad = ~(diff <= atol + rtol * np.abs(b))
    bad |= np.isnan(a) != np.isnan(b)
    finite = np.where(np.isfinite(diff), diff, np.inf)
    mismatched = int(bad.sum())
    worst = []
    for flat in np.argsort(-finite, axis=None, kind="stable")[:3]:
        idx = np.unravel_index(int(flat), a.shape)
        if not bad[idx] and mismatched:
            continue
        worst.append({"index": [int(i) for i in idx], "produced": float(a[idx]), "expected": float(b[idx])})
    return mismatched, float(finite.max()) if a.size else 0.0, worst


@pytest.mark.parametrize("seed", range(40))
def test_outputs_compared_in_chunks_agree_with_the_whole_array_comparison(monkeypatch, seed):
    from modelcard_spec.modelfiles import verifycompare as vc

    monkeypatch.setattr(vc, "COMPARE_CHUNK", 7)
    rng = np.random.default_rng(seed)
    shape = tuple(int(d) for d in rng.integers(0, 6, size=rng.integers(1, 4)))
    expected = rng.normal(size=shape).astype(np.float32)
    produced = expected + rng.normal(scale=1e-3, size=shape).astype(np.float32) * (rng.random(shape) < 0.3)
    flat = produced.reshape(-1)
    for value in (np.nan, np.inf, 0.5):  # non-finite differences, and a tie of equal differences
        if flat.size:
            flat[rng.integers(flat.size)] = value
    if seed % 3 == 0:
        produced = expected.copy()  # nothing out of tolerance: the largest differences are listed anyway
    check = vc.OutputCheck("y", list(shape))
    vc._compare(np, "y", produced, np.asfortranarray(expected), (1e-4, 1e-3, 0.0), check)
    mismatched, largest, worst = _compare_whole(produced, expected, 1e-4, 1e-3)
    assert (check.compared, check.mismatched, check.max_abs_diff) == (produced.size, mismatched, largest)
    assert json.dumps(check.worst) == json.dumps(worst)  # NaN compares unequal to itself, not in JSON


# --- verify's wordings: registered templates, rendered from structured parameters ----------------

VERIFY_MODULES = ("verify", "verifyarrays", "verifycompare", "verifyoutputs", "verifyrun")


def test_every_verify_wording_is_a_registered_template():
    """No verify module writes a message of its own: every string holding Chinese is part of a
    register(Check(...)) call, or of a module-level name (a dict of templates, a function making
    them) that such a call uses."""
    import ast
    import re

    cjk = re.compile(r"[\u3000-\u303f\u4e00-\u9fff\uff00-\uffef]")
    for module in VERIFY_MODULES:
        tree = ast.parse((ROOT / "src" / "modelcard_spec" / "modelfiles" / f"{module}.py").read_text(encoding="utf-8"))
        defined = {}  # module-level name -> the statement defining it
        for node in tree.body:
            if isinstance(node, ast.Assign):
                for target in node.targets:
                    if isinstance(target, ast.Name):
                        defined[target.id] = node
            elif isinstance(node, ast.FunctionDef):
                defined[node.name] = node
        allowed = [n for n in ast.walk(tree) if isinstance(n, ast.Call) and getattr(n.func, "id", None) == "register"]
        seen = set()
        while allowed:  # the register calls, and what they use, transitively
            node = allowed.pop()
            if id(node) in seen:
                continue
            seen.add(id(node))
            for inner in ast.walk(node):
                seen.add(id(inner))
                if isinstance(inner, ast.Name) and inner.id in defined:
                    allowed.append(defined[inner.id])
        stray = [n.lineno for n in ast.walk(tree) if isinstance(n, ast.Constant) and isinstance(n.value, str)
                 and cjk.search(n.value) and id(n) not in seen]
        assert stray == [], (module, stray)


def _array_file(kind: str) -> bytes:
    """An example file that verify refuses, of the given kind."""
    import io
    import zipfile

    def npy(array=None, header=None, version=None):
        out = io.BytesIO()
        if header is not None:
            np.lib.format.write_array_header_1_0(out, header)
        else:
            np.lib.format.write_array(out, array, version=version)
        return out.getvalue()

    def npz(members: dict) -> bytes:
        out = io.BytesIO()
        with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            for name, data in members.items():
                archive.writestr(name, data)
        return out.getvalue()

    if kind == "npy-version":
        raw = bytearray(npy(np.zeros(2, np.float32)))
        raw[6] = 3
        return bytes(raw)
    return {
        "dtype": lambda: npy(np.array(["a", "b"])),
        "negative-dimension": lambda: npy(header={"descr": "<f4", "fortran_order": False, "shape": (-1, 30)}),
        "array-size": lambda: npy(header={"descr": "<f8", "fortran_order": False, "shape": (10 ** 6, 10 ** 6)}),
        "short": lambda: npy(np.zeros((8, 30), np.float32))[:-8],
        "not-an-array-file": lambda: b"hello world",
        "members": lambda: npz({f"m{i}.npy": b"" for i in range(1100)}),
        "archive-size": lambda: npz({"features.npy": bytes(20 << 20)}),
        "member-not-npy": lambda: npz({"features.txt": b"x"}),
        "unreadable": lambda: b"PK\x03\x04garbage",
    }[kind]()


@pytest.mark.parametrize("kind,used,en,zh", [
    ("npy-version", 0, ".npy format version 3.0 is not read", "不读取 .npy 格式版本 3.0"),
    ("dtype", 0, "an array has dtype <U1; only numeric and boolean arrays are read",
     "数组的数据类型为 <U1；只读取数值和布尔数组"),
    ("negative-dimension", 0, "an array declares a negative dimension [-1, 30]", "数组声明的维度 [-1, 30] 中有负数"),
    ("array-size", 0, "an array declares shape [1000000, 1000000] of float64, 8,000,000,000,000 bytes, over the limit "
     "of 16,777,216 bytes for the arrays of one example (input and expected output together)",
     "数组声明的形状为 [1000000, 1000000]（float64），共 8,000,000,000,000 字节，超过上限 16,777,216 字节（一个示例的"
     "输入与预期输出数组合计）"),
    ("array-size", 960, "an array declares shape [1000000, 1000000] of float64, 8,000,000,000,000 bytes, over the limit "
     "of 16,777,216 bytes for the arrays of one example (input and expected output together), of which the arrays read "
     "before hold 960",
     "数组声明的形状为 [1000000, 1000000]（float64），共 8,000,000,000,000 字节，超过上限 16,777,216 字节（一个示例的"
     "输入与预期输出数组合计，其中此前读取的数组已占 960 字节）"),
    ("short", 0, "an array holds less data than its header declares", "数组的数据少于其头部声明的数量"),
    ("not-an-array-file", 0, "the file is neither a .npy array nor a .npz archive", "该文件既不是 .npy 数组也不是 .npz 归档"),
    ("members", 0, "the archive has 1,100 members, over this tool's limit of 1,024",
     "归档中有 1,100 个成员，超过本工具对归档成员数的上限（1,024 个）"),
    ("archive-size", 0, "the archive declares 20,971,520 bytes uncompressed, over the limit of 16,777,216 bytes for the "
     "arrays of one example (input and expected output together)",
     "归档声明的解压后大小为 20,971,520 字节，超过上限 16,777,216 字节（一个示例的输入与预期输出数组合计）"),
    ("archive-size", 960, "the archive declares 20,971,520 bytes uncompressed, over the limit of 16,777,216 bytes for the "
     "arrays of one example (input and expected output together), of which the arrays read before hold 960",
     "归档声明的解压后大小为 20,971,520 字节，超过上限 16,777,216 字节（一个示例的输入与预期输出数组合计，其中此前读取的"
     "数组已占 960 字节）"),
    ("member-not-npy", 0, "archive member 'features.txt' is not a .npy array", "归档成员 'features.txt' 不是 .npy 数组"),
    ("unreadable", 0, "File is not a zip file", "File is not a zip file"),  # zipfile's own words
], ids=lambda v: v if isinstance(v, (str, int)) and not (isinstance(v, str) and " " in v) else "")
def test_each_refused_example_array_is_told_by_a_registered_template(tmp_path, kind, used, en, zh):
    from modelcard_spec.modelfiles.verifyarrays import example_arrays
    from modelcard_spec.spec.registry import lookup

    (tmp_path / "x.npz").write_bytes(_array_file(kind))
    card = {"evidence": [{"id": "x", "path": "x.npz"}]}
    arrays, issue = example_arrays(np, card, tmp_path, "x", "input", used)
    assert arrays is None and issue.rule == "verify.arrays"
    assert (issue.message, issue.message_zh) == ("cannot read the example arrays: " + en, "无法读取示例数组：" + zh)
    variant = kind + ("-after" if used else "")
    assert lookup("verify.arrays").render(variant, issue.params) == (issue.message, issue.message_zh)


def test_each_problem_of_an_example_evidence_names_its_role(tmp_path):
    from modelcard_spec.modelfiles.verifyarrays import example_arrays

    np.save(tmp_path / "a.npy", np.zeros(3, np.float32))
    card = {"evidence": [{"id": "a", "path": "a.npy", "sha256": "0" * 64}, {"id": "b", "url": "https://example.org/b"},
                         {"id": "c", "path": "none.npy"}]}
    told = {ev_id: example_arrays(np, card, tmp_path, ev_id, role)[1]
            for ev_id, role in (("a", "input"), ("b", "expected-output"), ("c", "input"), (17, "expected-output"))}
    digest = hashlib.sha256((tmp_path / "a.npy").read_bytes()).hexdigest()
    assert {k: (v.message, v.message_zh) for k, v in told.items()} == {
        "a": (f"input file 'a.npy' has SHA-256 {digest}, the card declares {'0' * 64}",
              f"输入文件“a.npy”的 SHA-256 为 {digest}，模型卡声明为 {'0' * 64}"),
        "b": ("expected output evidence 'b' has no local path to run on", "预期输出证据 'b' 没有可供运行的本地路径"),
        "c": ("input file 'none.npy' does not exist", "输入文件“none.npy”不存在"),
        17: ("expected output evidence 17 is not in the card's evidence list", "预期输出证据 17 不在模型卡的证据列表中"),
    }
    assert told[17].params == {"role": "expected-output", "evidence": 17} and told["a"].params["sha256"] == digest


def test_the_checks_of_the_outputs_are_told_by_registered_templates():
    from modelcard_spec.modelfiles.verifyarrays import model_feeds
    from modelcard_spec.modelfiles.verifycompare import check_outputs, shape_problem

    produced = {"p": np.array([[0.25, 1.0]], np.float32), "s": None, "h": np.zeros((1, 3), np.float32)}
    expected = {"p": np.zeros((2, 2), np.float32), "zz": np.zeros(1), "extra": np.zeros(1)}
    outputs, problems = check_outputs(np, ["p", "s", "h"], produced, expected, {"relative": True}, {
        "h": {"name": "h", "shape": ["batch", "2*"]}}, {"p": {"minimum": [1, 2], "maximum": 0.5}}, {})
    assert "s" not in produced  # neither compared nor saved
    told = [(p.message, p.message_zh) for p in problems] + [(p.message, p.message_zh) for o in outputs for p in o.problems]
    assert told == [
        ("the tolerance's relative True is not a number, so no output was compared", "容差的 relative True 不是数值，未比对任何输出"),
        ("expected arrays extra, zz name no model output", "预期数组 extra, zz 不对应任何模型输出"),
        ("output 'p' spans [0.25, 1], outside the declared range [[1, 2], 0.5]",
         "输出 'p' 的取值范围为 [0.25, 1]，超出声明的范围 [[1, 2], 0.5]"),
        ("output 's' is not a numeric array, so it was neither checked nor saved", "输出 's' 不是数值数组，未核验也未保存"),
        ("output 'h' does not fit the declared shape ['batch', '2*']: the declared shape cannot be read (expected a "
         "number or a name in '2*')", "输出 'h' 不符合声明的形状 ['batch', '2*']：无法解析声明的形状（'2*' 中缺少数字或名称）"),
    ]
    outputs, problems = check_outputs(np, ["p"], {"p": np.zeros((1, 2))}, {"p": np.zeros((2, 2))},
                                      {"absolute": 1e-5, "relative": 1e-4, "mismatch_budget": 0.0}, {}, {}, {})
    assert [(p.message, p.message_zh) for p in outputs[0].problems] == [
        ("output 'p' has shape [1, 2], the expected array [2, 2]", "输出 'p' 的形状为 [1, 2]，预期数组为 [2, 2]")]
    outputs, problems = check_outputs(np, ["p"], {"p": np.ones(4)}, {"p": np.zeros(4)},
                                      {"absolute": 1e-5, "relative": 1e-4, "mismatch_budget": 0.25}, {}, {}, {})
    [outside] = outputs[0].problems
    assert outside.params == {"name": "p", "mismatched": 4, "compared": 4, "absolute": 1e-5, "relative": 1e-4,
                              "allowed": 1, "largest": 1.0}
    assert outside.message == ("output 'p': 4 of 4 elements outside the tolerances (absolute 1e-05, relative 0.0001; "
                               "budget 1); largest difference 1")
    _, problems = check_outputs(np, ["p"], {"p": np.ones(4)}, {"q": np.zeros(4)}, {}, {}, {}, {})
    assert [p.message_zh for p in problems] == ["预期数组 q 不对应任何模型输出", "没有预期数组与模型输出对应，未作任何比对"]
    env = {}
    issue = shape_problem("input", "x", {"shape": ["n", "n"]}, (2, 3), env)
    assert (issue.message, issue.message_zh) == (
        "input 'x' does not fit the declared shape ['n', 'n']: axis 1 is 3, the card declares n = 2; its data was not read",
        "输入 'x' 不符合声明的形状 ['n', 'n']：第 1 维为 3，模型卡声明为 n = 2；未读取其数据")
    assert issue.params == {"role": "input", "name": "x", "declared": ["n", "n"], "problem": "axis 1 is 3, the card "
                            "declares n = 2", "problem_zh": "第 1 维为 3，模型卡声明为 n = 2"} and env == {"n": 2}
    _, issue = model_feeds({"": np.zeros(1)}, ["a", "b"])
    assert (issue.message, issue.message_zh) == (
        "the input is one .npy array but the model has 2 inputs; use .npz with one array per input name",
        "输入是单个 .npy 数组，但模型有 2 个输入；请用 .npz 为每个输入名各存一个数组")
    _, issue = model_feeds({"a": np.zeros(1)}, ["a", "b", "c"])
    assert (issue.message, issue.message_zh, issue.params) == (
        "no array for model input(s) b, c", "缺少模型输入 b, c 的数组", {"names": ["b", "c"]})


def test_the_report_says_everything_through_the_registered_templates():
    """Statuses, counts, the largest differences and the summary in both languages. (The Chinese
    report used to give the largest differences in English.)"""
    from modelcard_spec.modelfiles.verify import ExampleResult, to_text
    from modelcard_spec.modelfiles.verifycompare import OutputCheck
    from modelcard_spec.spec.diagnostics import diagnostic

    out = OutputCheck("y", [2, 2], compared=4, mismatched=1, max_abs_diff=0.25,
                      worst=[{"index": [1, 0], "produced": 0.5, "expected": 0.25}])
    results = [ExampleResult("a", "/input_output/examples/0", "runs", outputs=[out, OutputCheck("z", [])],
                             saved="out/a.outputs.npz"),
               ExampleResult("b", "/input_output/examples/1",
                             problems=[diagnostic("verify.inputs", variant="missing", names=["x", "y"])]),
               ExampleResult("c", "/input_output/examples/2", "reproduces")]
    assert to_text(results) == (
        "a: runs (/input_output/examples/0)\n"
        "  y [2, 2]: 1/4 elements outside tolerance, max |diff| 0.25\n"
        "      at [1, 0]: produced 0.5, expected 0.25\n"
        "  z []: not compared\n"
        "  outputs saved to out/a.outputs.npz\n"
        "b: fails (/input_output/examples/1)\n"
        "  - no array for model input(s) x, y\n"
        "c: reproduces (/input_output/examples/2)\n"
        "3 example(s): 1 reproduce, 1 run but differ, 1 fail.\n")
    assert to_text(results, "zh") == (
        "a: 可运行但未复现 (/input_output/examples/0)\n"
        "  y [2, 2]: 1/4 个元素超出容差，最大差值 0.25\n"
        "      [1, 0] 处：输出值 0.5，预期值 0.25\n"
        "  z []: 未比对\n"
        "  输出已保存至 out/a.outputs.npz\n"
        "b: 失败 (/input_output/examples/1)\n"
        "  - 缺少模型输入 x, y 的数组\n"
        "c: 复现 (/input_output/examples/2)\n"
        "3 个示例：1 个复现，1 个可运行但未复现，1 个失败。\n")


def test_the_card_fragment_cites_the_bytes_written_without_reading_the_file_again(tmp_path):
    """The SHA-256 of a saved output file is that of the bytes verify wrote; the file used to be read
    and hashed again right after it was written."""
    from modelcard_spec.modelfiles.verify import ExampleResult, evidence_fragment
    from modelcard_spec.modelfiles.verifyoutputs import save_outputs

    target = tmp_path / "out" / "a.outputs.npz"
    digest = save_outputs(np, {"y": np.arange(3.0)}, target, target.parent, [])
    assert digest == hashlib.sha256(target.read_bytes()).hexdigest()
    target.unlink()  # not there any more: the fragment does not read it
    res = ExampleResult("a", "/input_output/examples/0", "reproduces", saved=str(target), saved_sha256=digest)
    [entry] = evidence_fragment([res], "m.onnx", "1" * 64, tmp_path)["evidence"]
    assert entry["sha256"] == digest and entry["path"] == "out/a.outputs.npz" and entry["id"] == "ev-verify-a"
    # run again on a card that holds the entry already: the new one replaces it, in its place
    held = [{"id": "ev-x"}, {"id": "ev-verify-a"}, {"id": "ev-y"}]
    other = ExampleResult("b", "/input_output/examples/1", "reproduces", saved=str(tmp_path / "b.outputs.npz"),
                          saved_sha256=digest)
    frag = evidence_fragment([res, other], "m.onnx", "1" * 64, tmp_path, held)
    assert [p["pointer"] for p in frag["provenance"]] == ["/evidence/1", "/evidence/3"]


def test_values_marked_extracted_from_another_file_than_the_model_given_are_errors(copy):
    """A provenance entry marked extracted (or measured) names the digest of the file it came from;
    with --model, a digest that is none of the files given (nor another weight file the card lists)
    is an error: the value was taken from another file, or the file changed since."""
    sha = hashlib.sha256(MODEL.read_bytes()).hexdigest()

    def mark(digest):
        return lambda d: d.__setitem__("provenance", [
            {"pointer": "/model_parameters/total_parameters", "origin": "extracted", "source_sha256": digest,
             "source": "modelcard-spec inspect 0.2.0, wdbc_cytology_mlp_1.0.0.onnx"},
            {"pointer": "/model_parameters/precision", "origin": "imported", "source_sha256": "2" * 64}])

    code, issues, _ = model_issues(edit(copy, mark(sha)))
    assert code == 0 and not [i for i in issues if i[0].startswith("provenance.")]
    code, issues, result = model_issues(edit(copy, mark("3" * 64)))
    assert code == 1 and ("provenance.model-digest", "/provenance/0/source_sha256", None) in issues
    [issue] = [i for i in result["issues"] if i["rule"] == "provenance.model-digest"]
    assert "3" * 64 in issue["message"] and sha in issue["message"] and "提取" in issue["message_zh"]
    # without --model nothing can be compared: no such error
    plain = cli("validate", edit(copy, mark("3" * 64)), "--format", "json")
    assert "provenance.model-digest" not in plain.stdout


def test_a_weight_file_entry_of_the_wrong_shape_does_not_stop_the_provenance_check(copy):
    code, issues, result = model_issues(edit(copy, lambda d: (
        d["model_parameters"]["weight_files"].append({"sha256": [1, 2]}),
        d.__setitem__("provenance", [{"pointer": "/model_parameters/precision", "origin": "extracted",
                                      "source_sha256": "3" * 64}]))))
    assert "internal.check-failed" not in [i[0] for i in issues]
    assert ("provenance.model-digest", "/provenance/0/source_sha256", None) in issues


def test_a_count_inspect_inferred_from_another_file_is_an_error_too(copy):
    """inspect marks a count that rests on buffer names inferred (rule inspect.buffer-names); its
    digest is checked like an extracted value's, while an importer's inferred value is not."""
    def mark(d):
        d["provenance"] = [
            {"pointer": "/model_parameters/total_parameters", "origin": "inferred", "rule": "inspect.buffer-names",
             "source_sha256": "3" * 64},
            {"pointer": "/name", "origin": "inferred", "rule": "monai.identifier", "source_sha256": "4" * 64}]
    code, issues, _ = model_issues(edit(copy, mark))
    assert code == 1 and [i for i in issues if i[0] == "provenance.model-digest"] == [
        ("provenance.model-digest", "/provenance/0/source_sha256", None)]


def test_a_lower_count_in_a_file_of_initializers_only_is_unconfirmed_in_plain_words(copy):
    code, issues, result = model_issues(edit(copy, lambda d: d["model_parameters"].update(total_parameters=100,
                                                                                          trainable_parameters=90)))
    [issue] = [i for i in result["issues"] if i["rule"] == "model.parameters-unconfirmed"]
    assert issue["severity"] == "warning" and "all counted as parameters" in issue["message"]
    assert "声明若属实，其余元素即为缓冲区" in issue["message_zh"] and "by this tool's rules" not in issue["message"]
