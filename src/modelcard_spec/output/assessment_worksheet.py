"""The assessor's worksheet (``modelcard-spec assess init``): an assessor's record (schema class
AssessmentRecord) ready to fill in, with one review per requirement awaiting evaluation, its pending
evaluation methods, and -- as comments, in English and Chinese -- how the catalogue says to evaluate it
and the card fields to look at. Values from the card or the command line go through
:func:`..spec.textsafe.yaml_dump`; comments come from the catalogue and are kept to one line each."""

from __future__ import annotations

from ..spec import catalogue
from ..spec.resources import schema_index, schema_version
from ..spec.textsafe import one_line, yaml_dump
from ..spec.version import __version__

_HEAD = (
    "# Assessor's record: fill in assessor and assessed_on and, for each review, the methods you actually",
    "# performed, the verdict (conforms, nonconforming or observation), the evidence examined (path and",
    "# SHA-256) and notes. Leave the verdict out of a review you have not completed: its requirement",
    "# stays awaiting evaluation. Then run:",
    "#   modelcard-spec report CARD --assessment THIS_FILE [--model FILE ...] [--verification FILE]",
    "# 审核记录：请填写审核人员（assessor）和评价日期（assessed_on），并对每个审核条目填写实际采用的评价方法、",
    "# 结论（conforms、nonconforming 或 observation）、所检查的证据（路径和 SHA-256）和备注。未完成的审核条目",
    "# 不填结论，其要求仍为待评价。然后运行上述命令。",
)


def _method_titles(methods: list[str], zh: bool) -> str:
    values = schema_index()["enums"]["EvaluationMethod"]["values"]
    return ("、" if zh else ", ").join(values[m]["title_zh" if zh else "title"] for m in methods)


def render(card_name: str, card_sha256: str, entries: list[dict], models: dict[str, str]) -> str:
    """The worksheet for the card ``card_name`` (as read, with its SHA-256) whose requirement statuses
    are ``entries``; ``models``: the model files given (name -> SHA-256)."""
    head = {"schema_version": schema_version(),
            "assessor": {"name": "", "organisation": "", "role": "", "accreditation": ""},
            "assessed_on": "",
            "card": {"path": card_name, "sha256": card_sha256},
            "model_files": [{"path": n, "sha256": d} for n, d in models.items()],
            "tool_version": __version__,
            "catalogue_version": catalogue.catalogue_version()}
    out = list(_HEAD) + [yaml_dump(head, sort_keys=False).rstrip("\n"), "reviews:"]
    by_id = catalogue.by_id()
    awaiting = [e for e in entries if e["status"] == "awaiting_evaluation"]
    for e in awaiting:
        req = by_id[e["id"]]
        out.append(f"  # {req.id} {one_line(req.title)} / {one_line(req.title_zh)}")
        out.append(f"  #   pending: {_method_titles(e['pending'], False)}; {one_line(req.raw.get('evaluation') or '')}")
        out.append(f"  #   待完成：{_method_titles(e['pending'], True)}；{one_line(req.raw.get('evaluation_zh') or '')}")
        if req.all_fields:
            out.append(f"  #   fields / 字段: {', '.join(req.all_fields)}")
        review = [{"requirement": req.id, "methods": list(e["pending"]), "evidence_examined": [],
                   "notes": "", "notes_zh": ""}]
        out.extend("  " + line for line in yaml_dump(review, sort_keys=False).rstrip("\n").split("\n"))
    if not awaiting:
        out.append("  []  # no requirement of this card awaits evaluation / 本模型卡没有待评价的要求")
    return "\n".join(out) + "\n"
