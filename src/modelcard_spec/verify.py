"""Reproduction run (``modelcard-spec verify``): run an ONNX model on the card's declared input
examples with ONNX Runtime on the CPU and compare the outputs with the declared ones.

Per example the verdict is

* ``reproduces`` — every compared output is within the declared tolerances (at most
  ``mismatch_budget`` of its elements outside ``|produced - expected| <= absolute + relative * |expected|``),
  its shape fits the declared node shape and its values lie in the declared value range;
* ``runs`` — the model ran but an output differs, has the wrong shape or leaves its range;
* ``fails`` — the example could not be run (missing or altered evidence, unreadable arrays, a
  runtime error).

Arrays are read with ``numpy.load(allow_pickle=False)``; evidence digests are checked before use.
Produced outputs are written to the output folder with their SHA-256, as new evidence, and never
over the card's own files.
"""

from __future__ import annotations

import hashlib
import io
import json
from dataclasses import dataclass, field
from pathlib import Path

from . import __version__, shapes
from .modelfile import sha256_file

WORST = 3


@dataclass
class OutputCheck:
    name: str
    shape: list
    compared: int = 0
    mismatched: int = 0
    max_abs_diff: float = 0.0
    worst: list = field(default_factory=list)   # [{"index": [...], "produced": x, "expected": y}]
    problems: list = field(default_factory=list)  # (en, zh)
    sha256: str | None = None


@dataclass
class ExampleResult:
    name: str
    pointer: str
    status: str = "fails"
    problems: list = field(default_factory=list)  # (en, zh)
    outputs: list = field(default_factory=list)
    saved: str | None = None

    def to_dict(self) -> dict:
        return {"name": self.name, "pointer": self.pointer, "status": self.status,
                "problems": [{"message": en, "message_zh": zh} for en, zh in self.problems],
                "outputs": [o.__dict__ | {"problems": [{"message": en, "message_zh": zh} for en, zh in o.problems]}
                            for o in self.outputs],
                "saved": self.saved}


class VerifyError(Exception):
    """The run cannot start at all (no numpy/onnxruntime, the model cannot be loaded)."""


def _np():
    try:
        import numpy
        return numpy
    except ImportError:  # pragma: no cover - numpy comes with onnxruntime
        raise VerifyError("verify needs numpy and onnxruntime: pip install 'modelcard-spec[verify]'") from None


def _load_arrays(np, path: Path) -> dict:
    with open(path, "rb") as fh:
        raw = fh.read()
    obj = np.load(io.BytesIO(raw), allow_pickle=False)
    if hasattr(obj, "files"):
        return {k: obj[k] for k in obj.files}
    return {"": obj}


def _evidence_file(card: dict, folder: Path, ev_id, label: tuple[str, str]):
    """(path, problem) for an evidence id; problem is (en, zh) or None."""
    items = card.get("evidence") if isinstance(card.get("evidence"), list) else []
    ev = next((e for e in items if isinstance(e, dict) and e.get("id") == ev_id), None)
    if ev is None:
        return None, (f"{label[0]} evidence {ev_id!r} is not in the card's evidence list",
                      f"{label[1]}证据 {ev_id!r} 不在模型卡的证据列表中")
    if not isinstance(ev.get("path"), str):
        return None, (f"{label[0]} evidence {ev_id!r} has no local path to run on",
                      f"{label[1]}证据 {ev_id!r} 没有可供运行的本地路径")
    path = (folder / ev["path"]).resolve()
    if not path.is_file():
        return None, (f"{label[0]} file {ev['path']} does not exist", f"{label[1]}文件 {ev['path']} 不存在")
    digest = sha256_file(path)
    if isinstance(ev.get("sha256"), str) and ev["sha256"] != digest:
        return None, (f"{label[0]} file {ev['path']} has SHA-256 {digest}, the card declares {ev['sha256']}",
                      f"{label[1]}文件 {ev['path']} 的 SHA-256 为 {digest}，模型卡声明为 {ev['sha256']}")
    return path, None


def _declared_nodes(card: dict, kind: str) -> dict:
    nodes = (card.get("model_nodes") or {}).get(kind) if isinstance(card.get("model_nodes"), dict) else None
    return {n["name"]: n for n in nodes or [] if isinstance(n, dict) and isinstance(n.get("name"), str)}


def _value_ranges(card: dict) -> dict:
    io_ = card.get("input_output") if isinstance(card.get("input_output"), dict) else {}
    out = {}
    for spec in io_.get("outputs") or []:
        if isinstance(spec, dict) and isinstance(spec.get("node"), str) and isinstance(spec.get("value_range"), dict):
            out[spec["node"]] = spec["value_range"]
    return out


def _shape_problem(kind: tuple[str, str], name: str, node: dict | None, shape, env: dict) -> tuple[str, str] | None:
    """(en, zh) when the tensor ``name`` (an input or output, ``kind`` in English and Chinese) does
    not fit the shape its card node declares; dimension names are bound in ``env`` across tensors."""
    if not node or not isinstance(node.get("shape"), list):
        return None
    msg = shapes.match(node["shape"], shape, env)
    if not msg:
        return None
    return (f"{kind[0]} {name!r} does not fit the declared shape {node['shape']}: {msg}",
            f"{kind[1]} {name!r} 不符合声明的形状 {node['shape']}：{msg}")


def _compare(np, name: str, produced, expected, tol: dict, check: OutputCheck) -> None:
    atol = float(tol.get("absolute") or 0.0)
    rtol = float(tol.get("relative") or 0.0)
    budget = float(tol.get("mismatch_budget") or 0.0)
    if produced.shape != expected.shape:
        check.problems.append((f"output {name!r} has shape {list(produced.shape)}, the expected array {list(expected.shape)}",
                               f"输出 {name!r} 的形状为 {list(produced.shape)}，预期数组为 {list(expected.shape)}"))
        return
    a = produced.astype(np.float64, copy=False)
    b = expected.astype(np.float64, copy=False)
    diff = np.abs(a - b)
    bad = ~(diff <= atol + rtol * np.abs(b))
    bad |= np.isnan(a) != np.isnan(b)
    check.compared = int(a.size)
    check.mismatched = int(bad.sum())
    finite = np.where(np.isfinite(diff), diff, np.inf)
    check.max_abs_diff = float(finite.max()) if a.size else 0.0
    if a.size:
        order = np.argsort(-finite, axis=None, kind="stable")[:WORST]
        for flat in order:
            idx = np.unravel_index(int(flat), a.shape)
            if not bad[idx] and check.mismatched:
                continue
            check.worst.append({"index": [int(i) for i in idx], "produced": float(a[idx]), "expected": float(b[idx])})
    allowed = int(budget * a.size)
    if check.mismatched > allowed:
        check.problems.append((f"output {name!r}: {check.mismatched} of {a.size} elements outside the tolerances "
                               f"(absolute {atol}, relative {rtol}; budget {allowed}); largest difference {check.max_abs_diff:.3g}",
                               f"输出 {name!r}：{a.size} 个元素中有 {check.mismatched} 个超出容差（绝对 {atol}，相对 {rtol}；"
                               f"允许 {allowed} 个）；最大差值 {check.max_abs_diff:.3g}"))


def verify(card: dict, card_path: Path, model_path: Path, out_dir: Path | None) -> list[ExampleResult]:
    np = _np()
    try:
        import onnxruntime as ort
    except ImportError:
        raise VerifyError("verify needs onnxruntime: pip install 'modelcard-spec[verify]'") from None
    options = ort.SessionOptions()
    options.log_severity_level = 3
    options.intra_op_num_threads = 1
    try:
        session = ort.InferenceSession(str(model_path), sess_options=options, providers=["CPUExecutionProvider"])
    except Exception as exc:  # onnxruntime raises its own exception types
        raise VerifyError(f"ONNX Runtime cannot load {model_path.name}: {str(exc).splitlines()[0][:300]}") from None
    input_names = [i.name for i in session.get_inputs()]
    output_names = [o.name for o in session.get_outputs()]
    folder = card_path.parent
    declared_in = _declared_nodes(card, "input_nodes")
    declared_out = _declared_nodes(card, "output_nodes")
    ranges = _value_ranges(card)
    io_ = card.get("input_output") if isinstance(card.get("input_output"), dict) else {}
    examples = io_.get("examples") if isinstance(io_.get("examples"), list) else []
    results = []
    for i, ex in enumerate(examples):
        if not isinstance(ex, dict):
            continue
        res = ExampleResult(str(ex.get("name", i)), f"/input_output/examples/{i}")
        results.append(res)
        in_path, problem = _evidence_file(card, folder, ex.get("input"), ("input", "输入"))
        exp_path, problem2 = (None, None)
        if problem is None:
            exp_path, problem2 = _evidence_file(card, folder, ex.get("expected_output"), ("expected output", "预期输出"))
        if problem or problem2:
            res.problems.append(problem or problem2)
            continue
        try:
            inputs = _load_arrays(np, in_path)
            expected = _load_arrays(np, exp_path)
        except Exception as exc:  # numpy raises ValueError/OSError/EOFError/zipfile errors for bad files
            res.problems.append((f"cannot read the example arrays: {exc}", f"无法读取示例数组：{exc}"))
            continue
        if "" in inputs:
            if len(input_names) != 1:
                res.problems.append((f"the input is one .npy array but the model has {len(input_names)} inputs; use .npz with one array per input name",
                                     f"输入是单个 .npy 数组，但模型有 {len(input_names)} 个输入；请用 .npz 为每个输入名各存一个数组"))
                continue
            inputs = {input_names[0]: inputs[""]}
        missing = [n for n in input_names if n not in inputs]
        if missing:
            res.problems.append((f"no array for model input(s) {', '.join(missing)}", f"缺少模型输入 {', '.join(missing)} 的数组"))
            continue
        env: dict[str, int] = {}
        for name, arr in inputs.items():
            problem = _shape_problem(("input", "输入"), name, declared_in.get(name), arr.shape, env)
            if problem:
                res.problems.append(problem)
        if "" in expected:
            expected = {output_names[0]: expected[""]}
        try:
            produced = session.run(None, {n: inputs[n] for n in input_names})
        except Exception as exc:
            res.problems.append((f"ONNX Runtime failed: {str(exc).splitlines()[0][:300]}",
                                 f"ONNX Runtime 运行失败：{str(exc).splitlines()[0][:300]}"))
            continue
        res.status = "runs"
        produced_by_name = dict(zip(output_names, produced))
        tol = ex.get("tolerance") if isinstance(ex.get("tolerance"), dict) else {}
        for name in output_names:
            arr = produced_by_name[name]
            check = OutputCheck(name, list(arr.shape))
            res.outputs.append(check)
            problem = _shape_problem(("output", "输出"), name, declared_out.get(name), arr.shape, env)
            if problem:
                check.problems.append(problem)
            vr = ranges.get(name)
            if vr and arr.size and np.issubdtype(arr.dtype, np.number):
                lo, hi = float(np.nanmin(arr)), float(np.nanmax(arr))
                if (isinstance(vr.get("minimum"), (int, float)) and lo < vr["minimum"]) or \
                        (isinstance(vr.get("maximum"), (int, float)) and hi > vr["maximum"]):
                    check.problems.append((f"output {name!r} spans [{lo:.6g}, {hi:.6g}], outside the declared range [{vr.get('minimum')}, {vr.get('maximum')}]",
                                           f"输出 {name!r} 的取值范围为 [{lo:.6g}, {hi:.6g}]，超出声明的范围 [{vr.get('minimum')}, {vr.get('maximum')}]"))
            if name in expected:
                _compare(np, name, arr, expected[name], tol, check)
        unknown = sorted(set(expected) - set(output_names))
        if unknown:
            res.problems.append((f"expected arrays {', '.join(unknown)} name no model output",
                                 f"预期数组 {', '.join(unknown)} 不对应任何模型输出"))
        if not any(o.name in expected for o in res.outputs):
            res.problems.append(("no expected array matches a model output, so nothing was compared",
                                 "没有预期数组与模型输出对应，未作任何比对"))
        if out_dir is not None:
            out_dir.mkdir(parents=True, exist_ok=True)
            target = out_dir / f"{_safe(res.name)}.outputs.npz"
            buf = io.BytesIO()
            np.savez(buf, **{n: produced_by_name[n] for n in output_names})
            data = _deterministic_npz(buf.getvalue())
            target.write_bytes(data)
            res.saved = str(target)
            for o in res.outputs:
                o.sha256 = hashlib.sha256(np.ascontiguousarray(produced_by_name[o.name]).tobytes()).hexdigest()
        if not res.problems and not any(o.problems for o in res.outputs):
            res.status = "reproduces"
    return results


def _safe(name: str) -> str:
    return "".join(c if c.isalnum() or c in "-_." else "_" for c in name)[:100] or "example"


def _deterministic_npz(data: bytes) -> bytes:
    """Rewrite numpy's zip with fixed timestamps, so the same outputs give the same file."""
    import zipfile

    src = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_STORED) as dst:
        for info in sorted(src.infolist(), key=lambda i: i.filename):
            fixed = zipfile.ZipInfo(info.filename, date_time=(1980, 1, 1, 0, 0, 0))
            dst.writestr(fixed, src.read(info.filename))
    return out.getvalue()


def evidence_fragment(results: list[ExampleResult], model_name: str, model_sha256: str, card_dir: Path) -> dict:
    """Evidence entries and provenance (``measured``) for the saved outputs, to paste into the card."""
    evidence, provenance = [], []
    for res in results:
        if not res.saved:
            continue
        path = Path(res.saved)
        try:
            rel = path.resolve().relative_to(card_dir.resolve()).as_posix()
        except ValueError:
            rel = path.as_posix()
        ev_id = f"ev-verify-{_safe(res.name)}"
        evidence.append({"id": ev_id, "title": f"Outputs of {model_name} on example {res.name} ({res.status})",
                         "kind": "example_output", "path": rel, "sha256": sha256_file(path), "supports": ["MCS-IO-05"]})
        provenance.append({"pointer": f"/evidence/{ev_id}", "origin": "measured",
                           "source": f"modelcard-spec verify {__version__}, {model_name}", "source_sha256": model_sha256})
    return {"evidence": evidence, "provenance": provenance}


def to_json(results: list[ExampleResult], fragment: dict, model: str) -> str:
    return json.dumps({"tool": {"name": "modelcard-spec", "version": __version__}, "model": model,
                       "examples": [r.to_dict() for r in results], "card_fragment": fragment},
                      ensure_ascii=False, indent=2, sort_keys=True) + "\n"


def to_text(results: list[ExampleResult], lang: str = "en") -> str:
    zh = lang == "zh"
    labels = {"reproduces": "复现", "runs": "可运行但未复现", "fails": "失败"}
    lines = []
    for r in results:
        status = labels[r.status] if zh else r.status
        lines.append(f"{r.name}: {status} ({r.pointer})")
        for en, zh_msg in r.problems:
            lines.append(f"  - {zh_msg if zh else en}")
        for o in r.outputs:
            head = f"  {o.name} {o.shape}: "
            if o.compared:
                head += (f"{o.mismatched}/{o.compared} 个元素超出容差，最大差值 {o.max_abs_diff:.3g}" if zh else
                         f"{o.mismatched}/{o.compared} elements outside tolerance, max |diff| {o.max_abs_diff:.3g}")
            else:
                head += "未比对" if zh else "not compared"
            lines.append(head)
            for w in o.worst if o.mismatched else []:
                lines.append(f"      at {w['index']}: produced {w['produced']:.7g}, expected {w['expected']:.7g}")
            for en, zh_msg in o.problems:
                lines.append(f"    - {zh_msg if zh else en}")
        if r.saved:
            lines.append(f"  {'输出已保存至' if zh else 'outputs saved to'} {r.saved}")
    counts = {s: sum(1 for r in results if r.status == s) for s in ("reproduces", "runs", "fails")}
    if zh:
        lines.append(f"{len(results)} 个示例：{counts['reproduces']} 个复现，{counts['runs']} 个可运行但未复现，{counts['fails']} 个失败。")
    else:
        lines.append(f"{len(results)} example(s): {counts['reproduces']} reproduce, {counts['runs']} run but differ, {counts['fails']} fail.")
    return "\n".join(lines) + "\n"
