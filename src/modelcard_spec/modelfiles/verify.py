"""Reproduction run (``modelcard-spec verify``): run an ONNX model on the card's declared input
examples with ONNX Runtime on the CPU and compare the outputs with the declared ones; this module
is the entry point (:func:`verify`) and what it prints (:func:`to_text`, :func:`to_json`).

Per example the verdict is

* ``reproduces`` — every compared output is within the declared tolerances (at most
  ``mismatch_budget`` of its elements outside ``|produced - expected| <= absolute + relative * |expected|``),
  its shape fits the declared node shape and its values lie in the declared value range;
* ``runs`` — the model ran but an output differs, has the wrong shape or leaves its range;
* ``fails`` — the example could not be run (missing or altered evidence, unreadable arrays, an
  input array that does not fit its declared node, a runtime error, a limit of the run reached).

The model never runs in this process. Before anything is loaded, the model file is read as
``inspect`` reads it, and every tensor that keeps its data in another file must name a regular file
inside the model's folder, by a relative path without "..", holding the bytes its dtype and dims
need (:func:`.onnxfile.onnx_external_data`); otherwise the model is not run. Then, per example:

* :mod:`.verifyarrays` reads its input and expected arrays from the card's evidence, under limits;
* :mod:`.verifyrun` runs them in ONNX Runtime, in a child process under :class:`.verifyrun.Limits`;
* :mod:`.verifycompare` checks the outputs against the declared shapes, ranges and expected arrays;
* :mod:`.verifyoutputs` saves them to the output folder.

Every problem an example has, and every wording of the report, is a registered check's template
rendered from structured parameters (``verify.*``); the JSON report gives each problem's check ID
and parameters beside its two messages.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path

from ..spec.diagnostics import Issue
from ..spec.evidence import evidence_files
from ..spec.registry import Check, register
from ..spec.version import __version__
from .externaldata import external_problem
from .modelinfo import ModelFileError, printable_name
from .onnxfile import onnx_external_data
from .verifyarrays import example_arrays, model_feeds
from .verifycompare import check_outputs, shape_problem
from .verifyoutputs import OUTPUT_SUFFIX, output_targets, save_outputs
from .verifyrun import Limits, Session, Stopped, VerifyError, runnable

register(Check("verify.examples", "error", "The card declares input/output examples to run", "模型卡声明了可运行的输入输出示例",
               {"": ("the card declares no input/output examples (input_output.examples)",
                     "模型卡未声明输入输出示例（input_output.examples）")}, scope="command"))
register(Check("verify.model", "error", "The model file exists, reads as ONNX and keeps no data where it may not",
               "模型文件存在、可作为 ONNX 读取，且未将数据保存在不允许的位置", {
    "missing": ("no such model file", "模型文件不存在"),
    "unreadable": ("cannot read {file} as an ONNX model: {error}", "无法将 {file} 作为 ONNX 模型读取：{error_zh}"),
    "os-error": ("cannot read {file}: {reason}", "无法读取 {file}：{reason}"),
    "external-data": ("{file} is not run: {problem}", "未运行 {file}：{problem_zh}"),
    "external-data-more": ("{file} is not run: {problem}; and {more:,} more", "未运行 {file}：{problem_zh}；另有 {more:,} 个"),
}, scope="command"))
# The verdict of an example (its status) and the other wordings of the report.
_EXAMPLE = register(Check("verify.example", "error", "An input/output example reproduces its expected outputs",
                          "输入输出示例复现其预期输出", {
    "reproduces": ("reproduces", "复现"),
    "runs": ("runs", "可运行但未复现"),
    "fails": ("fails", "失败"),
    "compared": ("{mismatched}/{compared} elements outside tolerance, max |diff| {largest:.3g}",
                 "{mismatched}/{compared} 个元素超出容差，最大差值 {largest:.3g}"),
    "not-compared": ("not compared", "未比对"),
    "worst": ("at {index!s}: produced {produced:.7g}, expected {expected:.7g}",
              "{index!s} 处：输出值 {produced:.7g}，预期值 {expected:.7g}"),
    "saved": ("outputs saved to {file}", "输出已保存至 {file}"),
    "summary": ("{examples} example(s): {reproduces} reproduce, {runs} run but differ, {fails} fail.",
                "{examples} 个示例：{reproduces} 个复现，{runs} 个可运行但未复现，{fails} 个失败。"),
}, requirements=("MCS-IO-05",), scope="command"))
STATUSES = ("reproduces", "runs", "fails")


@dataclass
class ExampleResult:
    """What one example gave: its verdict (``status``, one of :data:`STATUSES`), its problems and
    those of each output, and where its outputs were saved."""
    name: str
    pointer: str
    status: str = "fails"
    problems: list = field(default_factory=list)  # issues
    outputs: list = field(default_factory=list)  # verifycompare.OutputCheck
    saved: str | None = None
    saved_sha256: str | None = None  # of the bytes written to ``saved``
    over_limit: bool = False  # stopped by a limit of the ONNX Runtime process (exit code 2)

    def to_dict(self) -> dict:
        return {"name": self.name, "pointer": self.pointer, "status": self.status, "over_limit": self.over_limit,
                "problems": [_problem(p) for p in self.problems],
                "outputs": [o.__dict__ | {"problems": [_problem(p) for p in o.problems]} for o in self.outputs],
                "saved": self.saved}


def _problem(issue: Issue) -> dict:
    """A problem in the JSON report: its two messages, its check and the parameters they were
    rendered from."""
    return {"message": issue.message, "message_zh": issue.message_zh, "rule": issue.rule,
            **({"params": dict(issue.params)} if issue.params else {})}


@dataclass
class _Run:
    """What every example of one run shares."""
    np: object
    session: Session
    card: dict
    folder: Path
    declared_in: dict
    declared_out: dict
    ranges: dict


def verify(card: dict, card_path: Path, model_path: Path, out_dir: Path | None,
           force: bool = False, limits: Limits | None = None) -> list[ExampleResult]:
    """Run every example; save the outputs to ``out_dir`` (None: not saved) under the output policy,
    replacing existing files only with ``force``. The model runs in a child process under
    ``limits`` (default :class:`.verifyrun.Limits`). Raises :class:`.verifyrun.VerifyError` if the
    run cannot start (the card declares no examples: before the model is read) and
    :class:`..spec.safewrite.OutputError` (before anything runs) if an output may not be written."""
    if not _examples(card):
        raise VerifyError("verify.examples", where=str(card_path))
    inputs = _inputs(card, card_path, model_path)
    targets = None
    if out_dir is not None:
        targets = output_targets([_example_name(i, ex) for i, ex in _examples(card)], inputs, out_dir, force)
    np = runnable()
    _check_external_data(model_path)
    session = Session(model_path, limits or Limits())
    try:
        session.start()  # a Stopped here is the VerifyError of the run
        run = _Run(np, session, card, card_path.parent, _declared_nodes(card, "input_nodes"),
                   _declared_nodes(card, "output_nodes"), _value_ranges(card))
        return [_verify_example(run, position, i, ex, targets, out_dir, inputs, force)
                for position, (i, ex) in enumerate(_examples(card))]
    finally:
        session.close()


def _verify_example(run: _Run, position: int, i: int, ex: dict, targets, out_dir, inputs, force) -> ExampleResult:
    """Run, compare and save one example."""
    np = run.np
    res = ExampleResult(_example_name(i, ex), f"/input_output/examples/{i}")
    produced = _run_example(run, ex, res)
    if produced is None:
        return res
    if targets is not None:
        res.saved_sha256 = save_outputs(np, produced, targets[position], out_dir, inputs, force)
        res.saved = str(targets[position])
        for o in res.outputs:
            if o.name in produced:
                o.sha256 = hashlib.sha256(np.ascontiguousarray(produced[o.name]).tobytes()).hexdigest()
    if not res.problems and not any(o.problems for o in res.outputs):
        res.status = "reproduces"
    return res


def _check_external_data(model_path: Path) -> None:
    """Refuse (VerifyError) a model that the inspection reader cannot read, or whose tensors keep
    their data in files it does not accept (outside the model's folder, through "..", not regular
    files, too short): checked here, before ONNX Runtime opens anything, whatever its own checks."""
    try:
        refs = onnx_external_data(model_path)
    except ModelFileError as exc:
        raise VerifyError("verify.model", "unreadable", file=model_path.name, **exc.as_cause()) from None
    except OSError as exc:
        raise VerifyError("verify.model", "os-error", file=model_path.name, reason=exc.strerror or str(exc)) from None
    refused = [ref for ref in refs if ref.problem]
    if refused:
        problem = external_problem(refused[0])
        raise VerifyError("verify.model", "external-data-more" if len(refused) > 1 else "external-data",
                          file=model_path.name, problem=problem.message, problem_zh=problem.message_zh,
                          tensor=printable_name(refused[0].name), more=len(refused) - 1)


def _run_example(run: _Run, ex: dict, res: ExampleResult) -> dict | None:
    """Read, run and compare one example into ``res``; the produced outputs by name, or None if the
    model did not run. The input and expected arrays together hold at most
    :data:`.verifyarrays.MAX_ARRAY_BYTES`, and an input array whose header does not fit its declared
    node is refused before its data is read."""
    np, env = run.np, {}
    input_names, output_names = run.session.input_names, run.session.output_names
    single_input = input_names[0] if len(input_names) == 1 else None

    def input_fits(name, shape):
        name = name or single_input
        return shape_problem("input", name, run.declared_in.get(name), shape, env)

    arrays, problem = example_arrays(np, run.card, run.folder, ex.get("input"), "input", 0, input_fits)
    if problem:
        res.problems.append(problem)
        return None
    used = sum(a.nbytes for a in arrays.values())
    expected, problem = example_arrays(np, run.card, run.folder, ex.get("expected_output"), "expected-output", used)
    if problem:
        res.problems.append(problem)
        return None
    feeds, problem = model_feeds(arrays, input_names)
    if problem:
        res.problems.append(problem)
        return None
    del arrays
    if "" in expected:
        expected = {output_names[0]: expected[""]}
    try:
        produced = run.session.run(feeds)
    except Stopped as exc:
        res.problems.append(exc.issue)
        res.over_limit = exc.limit
        return None
    del feeds
    res.status = "runs"
    tolerance = ex.get("tolerance") if isinstance(ex.get("tolerance"), dict) else {}
    res.outputs, problems = check_outputs(np, output_names, produced, expected, tolerance, run.declared_out,
                                          run.ranges, env)
    res.problems.extend(problems)
    return produced


def _examples(card: dict) -> list[tuple[int, dict]]:
    io_ = card.get("input_output") if isinstance(card.get("input_output"), dict) else {}
    examples = io_.get("examples") if isinstance(io_.get("examples"), list) else []
    return [(i, ex) for i, ex in enumerate(examples) if isinstance(ex, dict)]


def _example_name(i: int, ex: dict) -> str:
    return str(ex.get("name", i))


def _inputs(card: dict, card_path: Path, model_path: Path) -> list:
    """The files a run reads, which its outputs must never overwrite."""
    return [card_path, model_path, *evidence_files(card_path.parent, card)]


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


def evidence_fragment(results: list[ExampleResult], model_name: str, model_sha256: str, card_dir: Path,
                      held: list | None = None) -> dict:
    """Evidence entries and provenance (``measured``) for the saved outputs, to paste into the card
    (each file's SHA-256 is that of the bytes written, not read back). ``held``: the card's evidence
    as it is. An entry whose id the card already holds replaces that one; the others are added at the
    end: each provenance pointer names the place its entry then has (a JSON Pointer names a list item
    by its index)."""
    held = held if isinstance(held, list) else []
    places = {e.get("id"): i for i, e in reversed(list(enumerate(held))) if isinstance(e, dict)}
    added = 0
    evidence, provenance = [], []
    for res in results:
        if not res.saved:
            continue
        path = Path(res.saved)
        try:
            rel = path.resolve().relative_to(card_dir.resolve()).as_posix()
        except ValueError:
            rel = path.as_posix()
        ev_id = f"ev-verify-{path.name[:-len(OUTPUT_SUFFIX)]}"
        evidence.append({"id": ev_id, "title": f"Outputs of {model_name} on example {res.name} ({res.status})",
                         "kind": "example_output", "path": rel, "sha256": res.saved_sha256, "supports": list(EVALUATES)})
        if ev_id in places:
            place = places[ev_id]
        else:
            place, added = len(held) + added, added + 1
        provenance.append({"pointer": f"/evidence/{place}", "origin": "measured",
                           "source": f"modelcard-spec verify {__version__}, {model_name}", "source_sha256": model_sha256})
    return {"evidence": evidence, "provenance": provenance}


# The requirements a reproduction run on the declared examples evaluates (the evidence it saves
# supports the same one, see evidence_fragment).
EVALUATES = ("MCS-IO-05",)


def result_record(results: list[ExampleResult], card: tuple[str, str], model: tuple[str, str]) -> dict:
    """The verification result (schema class VerificationResult) of a run: ``card`` and ``model``
    are (name, SHA-256) as read."""
    from ..spec.resources import schema_version

    return {"schema_version": schema_version(), "tool_version": __version__,
            "card": {"path": card[0], "sha256": card[1]}, "model": {"path": model[0], "sha256": model[1]},
            "examples": [{"name": r.name, "pointer": r.pointer, "status": r.status} for r in results],
            "requirements": list(EVALUATES)}


def to_json(results: list[ExampleResult], fragment: dict, model: str) -> str:
    return json.dumps({"tool": {"name": "modelcard-spec", "version": __version__}, "model": model,
                       "examples": [r.to_dict() for r in results], "card_fragment": fragment},
                      ensure_ascii=False, indent=2, sort_keys=True) + "\n"


def to_text(results: list[ExampleResult], lang: str = "en") -> str:
    """The report as text in ``lang`` ("en" or "zh"): every wording a ``verify.*`` template."""
    zh = lang == "zh"

    def say(variant: str, **params) -> str:
        return _EXAMPLE.render(variant, params)[zh]

    lines = []
    for r in results:
        lines.append(f"{r.name}: {say(r.status)} ({r.pointer})")
        for p in r.problems:
            lines.append(f"  - {p.message_zh if zh else p.message}")
        for o in r.outputs:
            head = f"  {o.name} {o.shape}: "
            if o.compared:
                head += say("compared", mismatched=o.mismatched, compared=o.compared, largest=o.max_abs_diff)
            else:
                head += say("not-compared")
            lines.append(head)
            for w in o.worst if o.mismatched else []:
                lines.append("      " + say("worst", **w))
            for p in o.problems:
                lines.append(f"    - {p.message_zh if zh else p.message}")
        if r.saved:
            lines.append("  " + say("saved", file=r.saved))
    lines.append(say("summary", examples=len(results), **{s: sum(1 for r in results if r.status == s) for s in STATUSES}))
    return "\n".join(lines) + "\n"
