"""The evaluations performed besides the automated checks, read from the records that say so: the
verification result that ``modelcard-spec verify --result`` writes, and the assessor's record
(``modelcard-spec assess init`` writes its worksheet). Both are untrusted input: each is read with the
card loader's limits, validated against its generated JSON Schema, and checked against the card and
model files given -- a record about another card or another model file is refused, naming both
digests. :func:`evaluations` turns them into :class:`.conformity.Evaluations`; :func:`context` into
what the report shows about them."""

from __future__ import annotations

import datetime
import itertools
from dataclasses import dataclass
from pathlib import Path

from ..spec import catalogue, pointers
from ..spec.catalogue import get_in, placeholder
from ..spec.diagnostics import CardLoadError, DiagnosticError
from ..spec.registry import Check, lookup, register
from ..spec.resources import artifact_json
from . import conformity
from .loading import LoadedCard, read_card
from .structural import document_validator

register(Check("evaluation.kind", "info", "The kinds of evaluation record", "评价记录的类别",
               {"assessment": ("assessor's record", "审核记录"), "verification": ("verification result", "复现运行结果")},
               scope="fragment"))
register(Check("evaluation.record", "error", "Evaluation records are valid and about the card and model given",
               "评价记录有效，且针对所给的模型卡和模型文件",
               {"unreadable": ("the {kind} cannot be read: {detail}", "{kind_zh}无法读取：{detail_zh}"),
                "invalid": ("the {kind} is not valid at {pointer}: {detail}",
                            "{kind_zh}在 {pointer} 处无效：{detail}"),
                "unfilled": ("the {kind} leaves {field} unfilled", "{kind_zh}未填写 {field}"),
                "card-digest": ("the {kind} is about the card with SHA-256 {recorded}; the card given has SHA-256 "
                                "{actual}", "{kind_zh}针对的是 SHA-256 为 {recorded} 的模型卡；所给模型卡的 SHA-256 为 {actual}"),
                "model-digest": ("the {kind} does not list the model file given, {name} (SHA-256 {actual}); it lists "
                                 "{recorded}", "{kind_zh}未列出所给的模型文件 {name}（SHA-256 {actual}）；其列出的是 {recorded}"),
                "catalogue": ("the {kind} refers to catalogue {recorded}; this tool evaluates against {actual}",
                              "{kind_zh}引用的要求目录版本为 {recorded}；本工具依据 {actual} 评价"),
                "requirement": ("the {kind} reviews {requirement_id}, which is not a requirement of catalogue {actual}",
                                "{kind_zh}审核了 {requirement_id}，但它不是要求目录 {actual} 中的要求"),
                "duplicate": ("the {kind} reviews {requirement_id} twice", "{kind_zh}重复审核了 {requirement_id}"),
                "not-run": ("the {kind} names {requirement_id}, which a run of verify does not evaluate (it evaluates "
                            "{evaluates})", "{kind_zh}列出了 {requirement_id}，但 verify 运行并不评价该要求（其评价 {evaluates}）"),
                "model-undeclared": ("the {kind} ran a model file with SHA-256 {recorded}, which is not one of the card's "
                                     "weight files ({declared})",
                                     "{kind_zh}运行的模型文件 SHA-256 为 {recorded}，不是模型卡所列的权重文件（{declared}）"),
                "example": ("the {kind} reports an example {name} at {pointer}, which is not an example of the card",
                            "{kind_zh}报告了位于 {pointer} 的示例 {name}，但模型卡中没有该示例"),
                "methods": ("the {kind} gives a verdict on {requirement_id} without naming a method performed",
                            "{kind_zh}对 {requirement_id} 给出了结论，但未写明实际采用的评价方法"),
                "future": ("the {kind} is dated {date}, after today ({today})",
                           "{kind_zh}的日期为 {date}，晚于今天（{today}）"),
                "no-model": ("the {kind} says the model file was examined for {requirement_id} but lists no model file",
                             "{kind_zh}称为 {requirement_id} 检查了模型文件，但未列出任何模型文件")},
               scope="command"))


class EvaluationError(DiagnosticError):
    """A verification result or assessor's record that cannot be taken into account (exit code 2)."""

    def __init__(self, variant: str, file: str, kind: str, *, path: str = "", line: int | None = None,
                 column: int | None = None, **params):
        en, zh = lookup("evaluation.kind").render(kind, {})
        super().__init__("evaluation.record", variant, where=file, path=path, line=line, column=column,
                         kind=en, kind_zh=zh, **params)


@dataclass(frozen=True)
class Record:
    """A record read and checked: its file name, SHA-256 and data."""

    file: str    # its name, as reports show it
    sha256: str
    data: dict
    where: str   # the path as given, as errors name it


def _read(path: str, kind: str, schema: str) -> Record:
    try:
        loaded: LoadedCard = read_card(path)  # the card loader's limits
    except CardLoadError as exc:  # said of the record, not of a card
        raise EvaluationError("unreadable", path, kind, line=exc.issue.line, column=exc.issue.column,
                              detail=exc.message, detail_zh=exc.message_zh) from None
    errors = sorted(document_validator(artifact_json(schema)).iter_errors(loaded.data),
                    key=lambda e: [str(p) for p in e.absolute_path])
    for error in itertools.islice(errors, 1):
        pointer = "".join(f"/{pointers.escape(str(t))}" for t in error.absolute_path)
        line, column = loaded.locate(pointer)
        if error.instance == "" or error.instance is None:  # a worksheet field left unfilled
            raise EvaluationError("unfilled", path, kind, path=pointer, line=line, column=column,
                                  field=pointer.lstrip("/").replace("/", "."))
        raise EvaluationError("invalid", path, kind, path=pointer, line=line, column=column,
                              pointer=pointer or "/", detail=error.message[:300])
    return Record(Path(path).name, loaded.sha256, loaded.data, str(path))


def _same_card(record: Record, kind: str, card_sha256: str) -> None:
    recorded = record.data["card"]["sha256"]
    if recorded != card_sha256:
        raise EvaluationError("card-digest", record.file, kind, path="/card/sha256", recorded=recorded,
                              actual=card_sha256)


def read_verification(path: str, card: LoadedCard, models: dict[str, str]) -> Record:
    """The verification result at ``path``, checked to be about ``card`` and, when model files are
    given (name -> SHA-256), about one of them."""
    record = _read(path, "verification", "verification-schema")
    _same_card(record, "verification", card.sha256)
    from ..modelfiles.verify import EVALUATES

    for i, rid in enumerate(record.data["requirements"]):
        if rid not in EVALUATES:  # a run evaluates what verify evaluates, whatever a file says
            raise EvaluationError("not-run", record.where, "verification", path=f"/requirements/{i}",
                                  requirement_id=rid, evaluates=list(EVALUATES))
    declared = [w.get("sha256") for w in get_in(card.data, "model_parameters", "weight_files") or []
                if isinstance(w, dict) and isinstance(w.get("sha256"), str)]
    model = record.data["model"]
    if model["sha256"] not in declared:
        raise EvaluationError("model-undeclared", record.where, "verification", path="/model/sha256",
                              recorded=model["sha256"], declared=declared or ["-"])
    for i, example in enumerate(record.data["examples"]):
        at = _at(card.data, example["pointer"])
        if not isinstance(at, dict) or at.get("name") != example["name"] \
                or not example["pointer"].startswith("/input_output/examples/"):
            raise EvaluationError("example", record.where, "verification", path=f"/examples/{i}",
                                  name=example["name"][:200], pointer=example["pointer"][:200])
    if models and model["sha256"] not in models.values():
        name, actual = next(iter(models.items()))
        raise EvaluationError("model-digest", record.where, "verification", path="/model/sha256", name=name,
                              actual=actual, recorded=[f"{model['path']} ({model['sha256']})"])
    return record


def read_assessment(path: str, card: LoadedCard, models: dict[str, str]) -> Record:
    """The assessor's record at ``path``, checked to be complete where it must be, about ``card``,
    against this catalogue, and -- when model files are given and it lists model files -- about them."""
    record = _read(path, "assessment", "assessment-schema")
    data = record.data
    for field, value in (("assessor.name", data["assessor"]["name"]),
                         ("assessor.organisation", data["assessor"]["organisation"])):
        if placeholder(value) is not None:
            raise EvaluationError("unfilled", record.where, "assessment", path="/" + field.replace(".", "/"), field=field)
    _same_card(record, "assessment", card.sha256)
    today = datetime.date.today()
    if datetime.date.fromisoformat(str(data["assessed_on"])) > today:  # a date the schema's format accepted
        raise EvaluationError("future", record.where, "assessment", path="/assessed_on", date=str(data["assessed_on"]),
                              today=today.isoformat())
    if data["catalogue_version"] != catalogue.catalogue_version():
        raise EvaluationError("catalogue", record.where, "assessment", path="/catalogue_version",
                              recorded=data["catalogue_version"], actual=catalogue.catalogue_version())
    listed = {m["sha256"]: m["path"] for m in data.get("model_files") or []}
    if listed:
        for name, digest in models.items():
            if digest not in listed:
                raise EvaluationError("model-digest", record.where, "assessment", path="/model_files", name=name,
                                      actual=digest, recorded=[f"{p} ({d})" for d, p in listed.items()])
    seen = set()
    for i, review in enumerate(data["reviews"]):
        rid = review["requirement"]
        if rid not in catalogue.by_id():
            raise EvaluationError("requirement", record.where, "assessment", path=f"/reviews/{i}/requirement",
                                  requirement_id=rid, actual=catalogue.catalogue_version())
        if rid in seen:
            raise EvaluationError("duplicate", record.where, "assessment", path=f"/reviews/{i}/requirement",
                                  requirement_id=rid)
        seen.add(rid)
        if review.get("verdict") is not None and not review["methods"]:
            raise EvaluationError("methods", record.where, "assessment", path=f"/reviews/{i}/methods", requirement_id=rid)
        if "model_file_verification" in review["methods"] and not listed and review.get("verdict") is not None:
            raise EvaluationError("no-model", record.where, "assessment", path=f"/reviews/{i}/methods",
                                  requirement_id=rid)
    return record


def _at(data, pointer: str):
    """The value at a JSON Pointer of ``data``, or None."""
    for token in pointers.tokens(pointer):
        if isinstance(data, dict):
            data = data.get(token)
        elif isinstance(data, list) and token.isdigit() and int(token) < len(data):
            data = data[int(token)]
        else:
            return None
    return data


def reproduction(verification: Record | None) -> dict[str, bool] | None:
    """Requirement -> passed, from a verification result: passed when every example reproduces,
    failed when one fails; a run in which an example only ran (nothing to compare with) and none
    failed evaluates nothing, so its requirements stay awaiting the run."""
    if verification is None:
        return None
    outcomes = {e["status"] for e in verification.data["examples"]}
    if "fails" in outcomes:
        passed: bool | None = False
    elif outcomes == {"reproduces"}:
        passed = True
    else:
        passed = None
    return {rid: passed for rid in verification.data["requirements"] if passed is not None}


def evaluations(verification: Record | None = None, assessment: Record | None = None) -> conformity.Evaluations:
    """The evaluations the records report (the comparison with model files is the pipeline's to add)."""
    reviews = {}
    if assessment is not None:
        for review in assessment.data["reviews"]:
            reviews[review["requirement"]] = conformity.Review(tuple(review["methods"]), review.get("verdict"))
    return conformity.Evaluations(reproduction=reproduction(verification), reviews=reviews)


def context(models: dict[str, str], verification: Record | None, assessment: Record | None) -> dict:
    """What a report shows about the evaluations: the model files compared, and the records given
    (file, SHA-256, and for the assessor's record who, for whom, when, and each review)."""
    out: dict = {"models": [{"name": n, "sha256": d} for n, d in models.items()]}
    if verification is not None:
        out["verification"] = {"file": verification.file, "sha256": verification.sha256,
                               "tool_version": verification.data["tool_version"]}
    if assessment is not None:
        a = assessment.data
        out["assessment"] = {"file": assessment.file, "sha256": assessment.sha256, "assessor": a["assessor"]["name"],
                             "organisation": a["assessor"]["organisation"], "role": a["assessor"].get("role"),
                             "accreditation": a["assessor"].get("accreditation"),
                             "assessed_on": str(a["assessed_on"]), "tool_version": a["tool_version"],
                             "reviews": a["reviews"]}
    return out
