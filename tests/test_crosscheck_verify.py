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

from conftest import EXAMPLES, ROOT

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
    assert code == 0 and issues == []
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


def _renderings(check, params) -> set:
    """Every (English, Chinese) message the check's variants render from ``params``."""
    out = set()
    for variant in check.messages:
        try:
            out.add(check.render(variant, params))
        except (KeyError, IndexError, ValueError):  # a variant that takes other parameters
            pass
    return out


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
            assert (issue.message, issue.message_zh) in _renderings(check, issue.params), issue
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
    monkeypatch.setattr(vf, "_Session", read)
    card = edit(copy, lambda d: d["input_output"].update(examples=["not an example"]))
    data = yaml.safe_load(card.read_text(encoding="utf-8"))
    with pytest.raises(vf.VerifyError) as caught:
        vf.verify(data, card, MODEL, None)
    assert caught.value.issue.rule == "verify.examples" and caught.value.where == str(card)


# --- verify ------------------------------------------------------------------------------------

def _tree_digest(folder):
    return {p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def test_verify_reproduces_the_shipped_example_and_saves_deterministic_outputs(tmp_path):
    before = _tree_digest(EXAMPLE)
    out1, out2 = tmp_path / "run1", tmp_path / "run2"
    p1 = cli("verify", EXAMPLE / "card.yaml", "--model", MODEL, "-o", out1, "--format", "json")
    p2 = cli("verify", EXAMPLE / "card.yaml", "--model", MODEL, "-o", out2, "--format", "json")
    assert p1.returncode == 0, p1.stdout + p1.stderr
    report = json.loads(p1.stdout)
    assert [e["status"] for e in report["examples"]] == ["reproduces"]
    outputs = {o["name"]: o for o in report["examples"][0]["outputs"]}
    assert outputs["probabilities"]["compared"] == 16 and outputs["probabilities"]["mismatched"] == 0
    saved = (out1 / "wdbc-test-first-8.outputs.npz").read_bytes()
    assert saved == (out2 / "wdbc-test-first-8.outputs.npz").read_bytes()
    frag = report["card_fragment"]
    assert frag["evidence"][0]["sha256"] == hashlib.sha256(saved).hexdigest()
    assert frag["provenance"][0]["origin"] == "measured"
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
    ex = json.loads(proc.stdout)["examples"][0]
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
    ex = json.loads(proc.stdout)["examples"][0]
    problems = " ".join(p["message"] for o in ex["outputs"] for p in o["problems"])
    assert ex["status"] == "runs" and "outside the declared range" in problems and "axis 1 is 16" in problems


def test_verify_reports_an_input_that_does_not_fit_its_declared_shape(copy):
    edit(copy, lambda d: d["model_nodes"]["input_nodes"][0].update(shape=["batch", 31]))
    proc = cli("verify", copy / "card.yaml", "--model", MODEL, "--no-save", "--format", "json")
    ex = json.loads(proc.stdout)["examples"][0]
    assert any("input 'features' does not fit the declared shape ['batch', 31]" in p["message"]
               and "输入 'features' 不符合声明的形状" in p["message_zh"] for p in ex["problems"])


def test_verify_tells_a_shape_mismatch_in_chinese_on_the_chinese_line(copy):
    edit(copy, lambda d: d["model_nodes"]["input_nodes"][0].update(shape=["batch", 31]))
    proc = cli("verify", copy / "card.yaml", "--model", MODEL, "--no-save", "--format", "json")
    [zh] = [p["message_zh"] for p in json.loads(proc.stdout)["examples"][0]["problems"] if "形状" in p["message_zh"]]
    assert zh == "输入 'features' 不符合声明的形状 ['batch', 31]：第 1 维为 30，模型卡声明为 31；未读取其数据"


def test_verify_tells_an_unreadable_declared_shape_in_chinese(copy):
    edit(copy, lambda d: d["model_nodes"]["input_nodes"][0].update(shape=["batch$", 30]))
    proc = cli("verify", copy / "card.yaml", "--model", MODEL, "--no-save", "--format", "json")
    [problem] = [p for p in json.loads(proc.stdout)["examples"][0]["problems"] if "形状" in p["message_zh"]]
    assert "the declared shape cannot be read (unexpected character '$' in 'batch$')" in problem["message"]
    assert "：无法解析声明的形状（'batch$' 中含有无法识别的字符 '$'）；" in problem["message_zh"]


def test_verify_fails_an_example_whose_evidence_was_altered(copy):
    (copy / "evidence" / "test_inputs.npy").write_bytes(np.zeros((8, 30), np.float32).tobytes())
    proc = cli("verify", copy / "card.yaml", "--model", MODEL, "--no-save", "--format", "json")
    ex = json.loads(proc.stdout)["examples"][0]
    assert proc.returncode == 1 and ex["status"] == "fails" and "SHA-256" in ex["problems"][0]["message"]


def test_verify_refuses_pickled_arrays(copy):
    evil = copy / "evidence" / "test_inputs.npy"
    np.save(evil, np.array([{"a": 1}], dtype=object), allow_pickle=True)
    digest = hashlib.sha256(evil.read_bytes()).hexdigest()
    edit(copy, lambda d: [e.update(sha256=digest) for e in d["evidence"] if e["id"] == "ev-test-inputs"])
    proc = cli("verify", copy / "card.yaml", "--model", MODEL, "--no-save", "--format", "json")
    ex = json.loads(proc.stdout)["examples"][0]
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

    from modelcard_spec.modelfiles.verify import output_stems

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
    from modelcard_spec.modelfiles import verify as vf

    monkeypatch.setattr(vf, "COMPARE_CHUNK", 7)
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
    check = vf.OutputCheck("y", list(shape))
    vf._compare(np, "y", produced, np.asfortranarray(expected), (1e-4, 1e-3, 0.0), check)
    mismatched, largest, worst = _compare_whole(produced, expected, 1e-4, 1e-3)
    assert (check.compared, check.mismatched, check.max_abs_diff) == (produced.size, mismatched, largest)
    assert json.dumps(check.worst) == json.dumps(worst)  # NaN compares unequal to itself, not in JSON
