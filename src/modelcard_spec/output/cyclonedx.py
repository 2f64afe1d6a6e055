"""A model card as a CycloneDX 1.6 ML-BOM (``export --to cyclonedx``).

The model is one ``machine-learning-model`` component with its CycloneDX ``modelCard``
(approach, task, architecture, datasets, inputs/outputs, performance metrics with confidence
intervals, considerations; a learning strategy CycloneDX has no type for as a property, see
:data:`APPROACH`); the weight files are ``file`` components with their SHA-256; the
source datasets are ``data`` components. Output is deterministic: the serial number is a UUID-5 of
the card's IRI and content, and no timestamp is written. ``validate`` checks the document against
the CycloneDX 1.6 JSON schema shipped by ``cyclonedx-python-lib`` (imported only then).

Only a card that conforms to the schema is exported (:class:`ExportError` otherwise): a BOM states
facts about a model, and a card with structural errors does not say them in a form we can map.
The semantic rules (dates in order, ratios summing to one, ...) do not stop an export; ``validate``
reports them.
"""

from __future__ import annotations

import hashlib
import json
import uuid

from ..spec.version import __version__
from ..spec.catalogue import get_in
from ..spec.diagnostics import DiagnosticError
from ..spec.iris import card_iri, segment
from ..spec.registry import Check, register
from ..spec.textsafe import json_text

# The first structural error is given by its check's ID (``first_check``, not in the messages), its
# path and its own diagnostic's messages in both languages (``first_message``, ``first_message_zh``).
register(Check("export.cyclonedx-structural-errors", "error",
               "A card exported as a CycloneDX BOM passes the structural check",
               "导出为 CycloneDX BOM 的模型卡通过结构检查",
               {"": ("the card fails the structural check (it does not conform to the JSON Schema: {errors:,} structural "
                     "error(s), the first at {first_path}: {first_message}); a CycloneDX BOM is exported only from a "
                     "card that passes the structural check (see modelcard-spec validate)",
                     "模型卡未通过结构检查（不符合 JSON Schema，共 {errors:,} 个结构错误；第一个位于 {first_path}："
                     "{first_message_zh}）；仅能从通过结构检查的模型卡导出 CycloneDX BOM（请用 modelcard-spec validate 查看）")},
               scope="command"))

# The card path of the learning strategy, whose values (the schema's enum) APPROACH maps.
LEARNING_STRATEGY = ("model_framework", "algorithm_type", "learning_strategy")

# Each value of the schema's learning-strategy enum -> the CycloneDX 1.6 learning type
# (modelCard.modelParameters.approach.type: supervised, unsupervised, reinforcement-learning,
# semi-supervised, self-supervised), or None where CycloneDX has no type for it. For those the BOM
# states no approach, rather than a neighbouring type that says something else (weak supervision,
# coarse or noisy labels for a finer task, is not training on labelled examples of the task, nor the
# mix of labelled and unlabelled data CycloneDX calls semi-supervised), and names the card's value in
# the model card's property "modelcard-spec:learning_strategy". tests/test_formats.py fails when a
# value of the enum has no entry here.
APPROACH = {"supervised": "supervised", "unsupervised": "unsupervised", "self_supervised": "self-supervised",
            "semi_supervised": "semi-supervised", "reinforcement": "reinforcement-learning", "weakly_supervised": None}


class ExportError(DiagnosticError):
    """A card that cannot be exported as a BOM (exit code 2): ``issue`` is the diagnostic of a
    registered ``export.cyclonedx-*`` check, in English and Chinese."""


def _require_conforming(card: dict) -> None:
    from ..check.structural import check

    kind = card.get("provider_kind")
    issues = check(card, kind if isinstance(kind, str) else None)
    if issues:
        first = issues[0]
        raise ExportError("export.cyclonedx-structural-errors", errors=len(issues), first_check=first.rule,
                          first_path=first.path or "/", first_message=first.message, first_message_zh=first.message_zh)


def export_file(path) -> str:
    """The BOM of the card file at ``path``, as JSON text. Raises the loader's
    :class:`~..spec.diagnostics.CardLoadError` for a file that is not a card, :class:`ExportError`
    for a card that does not conform to the schema."""
    from ..check.loading import read_card

    return to_json(to_bom(read_card(path).data))


def to_bom(card: dict) -> dict:
    """The BOM of a card that conforms to the schema; :class:`ExportError` for one that does not."""
    _require_conforming(card)
    iri = card_iri(card)
    text = json.dumps(card, sort_keys=True, ensure_ascii=False, default=str)
    digest = hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()
    model: dict = {"type": "machine-learning-model", "bom-ref": iri, "name": str(card.get("name", "")),
                   "version": str(card.get("version", ""))}
    if card.get("summary"):
        model["description"] = str(card["summary"])
    provider = card.get("provider") if isinstance(card.get("provider"), dict) else {}
    if provider.get("name"):
        supplier = {"name": str(provider["name"])}
        if provider.get("website"):
            supplier["url"] = [str(provider["website"])]
        if provider.get("email") or provider.get("contact_name"):
            supplier["contact"] = [{k: str(v) for k, v in (("name", provider.get("contact_name")),
                                                           ("email", provider.get("email"))) if v}]
        model["supplier"] = supplier
    lic = card.get("license") if isinstance(card.get("license"), dict) else {}
    if lic.get("spdx_id") and not str(lic["spdx_id"]).startswith("LicenseRef-"):
        # an SPDX expression: the card's identifier need not be on the SPDX list CycloneDX's "id" requires
        model["licenses"] = [{"expression": str(lic["spdx_id"])}]
    elif lic.get("name"):
        model["licenses"] = [{"license": {"name": str(lic["name"])}}]
    files = get_in(card, "model_parameters", "weight_files") or []
    components, datasets = [], []
    for i, wf in enumerate(f for f in files if isinstance(f, dict)):
        comp = {"type": "file", "bom-ref": f"{iri}/model_parameters/weight_files/{i}", "name": str(wf.get("file_name", ""))}
        if wf.get("sha256"):
            comp["hashes"] = [{"alg": "SHA-256", "content": str(wf["sha256"])}]
        if wf.get("download_url"):
            comp["externalReferences"] = [{"type": "distribution", "url": str(wf["download_url"])}]
        components.append(comp)
    params: dict = {}
    properties: list[dict] = []
    strategy = get_in(card, *LEARNING_STRATEGY)
    if isinstance(strategy, str):
        if APPROACH.get(strategy):
            params["approach"] = {"type": APPROACH[strategy]}
        else:  # no CycloneDX learning type says it: the card's value, never a near one
            properties.append({"name": "modelcard-spec:learning_strategy", "value": strategy})
    tasks = get_in(card, "applicability", "intended_tasks") or []
    if tasks and isinstance(tasks[0], dict) and tasks[0].get("task_type"):
        params["task"] = str(tasks[0]["task_type"])
    if get_in(card, "model_framework", "architecture_family"):
        params["architectureFamily"] = str(get_in(card, "model_framework", "architecture_family"))
    if get_in(card, "model_framework", "architecture_name"):
        params["modelArchitecture"] = str(get_in(card, "model_framework", "architecture_name"))
    refs: set[str] = set()
    for n, ds in enumerate(get_in(card, "source_task_data", "datasets") or []):
        if not isinstance(ds, dict) or not ds.get("name"):
            continue
        ref = f"{iri}/dataset/{segment(ds['id'])}" if isinstance(ds.get("id"), str) else ""
        if not ref or ref in refs:  # a bom-ref names one thing: a repeated or missing id gets the position
            ref = f"{iri}/source_task_data/datasets/{n}"
        refs.add(ref)
        data = {"type": "dataset", "bom-ref": ref, "name": str(ds["name"])}
        if ds.get("url"):
            data["contents"] = {"url": str(ds["url"])}
        if ds.get("creator"):
            data["governance"] = {"owners": [{"organization": {"name": str(ds["creator"])}}]}
        datasets.append({"type": "data", "bom-ref": ref + "#component", "name": str(ds["name"]), "data": [data]})
    if datasets:
        params["datasets"] = [{"ref": d["data"][0]["bom-ref"]} for d in datasets]
    ins = [n for n in get_in(card, "model_nodes", "input_nodes") or [] if isinstance(n, dict)]
    outs = [n for n in get_in(card, "model_nodes", "output_nodes") or [] if isinstance(n, dict)]
    if ins:
        params["inputs"] = [{"format": _tensor(n)} for n in ins]
    if outs:
        params["outputs"] = [{"format": _tensor(n)} for n in outs]
    model_card: dict = {}
    if params:
        model_card["modelParameters"] = params
    metrics = []
    for r in get_in(card, "applicability", "transfer_performance") or []:
        if not isinstance(r, dict) or "metric" not in r:
            continue
        m = {"type": str(r["metric"])}
        if r.get("value") is not None:  # a curve or a matrix has none
            m["value"] = str(r["value"])
        sl = " / ".join(str(x) for x in (r.get("task"), r.get("dataset"), r.get("subgroup")) if x)
        if sl:
            m["slice"] = sl
        ci = r.get("confidence_interval")
        if isinstance(ci, dict) and "lower" in ci and "upper" in ci:
            m["confidenceInterval"] = {"lowerBound": str(ci["lower"]), "upperBound": str(ci["upper"])}
        metrics.append(m)
    if metrics:
        model_card["quantitativeAnalysis"] = {"performanceMetrics": metrics}
    considerations: dict = {}
    uses = [str(t.get("description")) for t in tasks if isinstance(t, dict) and t.get("description")]
    if uses:
        considerations["useCases"] = uses
    limits = [str(x) for x in (get_in(card, "applicability", "limitations") or [])]
    limits += [f"Unsupported use: {x}" for x in (get_in(card, "applicability", "unsupported_uses") or [])]
    if limits:
        considerations["technicalLimitations"] = limits
    biases = get_in(card, "applicability", "biases") or []
    if biases:
        considerations["ethicalConsiderations"] = [{"name": str(b)} for b in biases]
    if considerations:
        model_card["considerations"] = considerations
    if properties:
        model_card["properties"] = properties
    if model_card:
        model["modelCard"] = model_card
    if components or datasets:
        model["components"] = components
    bom = {
        "bomFormat": "CycloneDX", "specVersion": "1.6",
        "serialNumber": f"urn:uuid:{uuid.uuid5(uuid.NAMESPACE_URL, iri + '#' + digest)}",
        "version": 1,
        "metadata": {"tools": {"components": [{"type": "application", "name": "modelcard-spec", "version": __version__}]},
                     "component": {"type": "machine-learning-model", "bom-ref": iri + "#metadata",
                                   "name": model["name"], "version": model["version"]}},
        "components": [model] + datasets,
    }
    return bom


def _tensor(node: dict) -> str:
    shape = ", ".join(str(d) for d in node.get("shape") or [])
    return f"{node.get('name')}: {node.get('dtype', '?')}[{shape}]"


def to_json(bom: dict) -> str:
    return json_text(json.dumps(bom, ensure_ascii=False, indent=2)) + "\n"


def validate(text: str) -> str | None:
    """None if ``text`` is a valid CycloneDX 1.6 JSON document, else the first error."""
    from cyclonedx.schema import SchemaVersion
    from cyclonedx.validation.json import JsonStrictValidator

    error = JsonStrictValidator(SchemaVersion.V1_6).validate_str(text)
    return None if error is None else str(error)
