"""The results of ``diff`` and ``fit`` as RDF (schema/results.yaml), for ``--format nt|ttl|jsonld``
and ``kg load --diff/--fit``.

* a comparison of two cards is an ``mcs:CardDiff`` named ``<ID_BASE>diff/<identifier>/<old
  version>/<new version>`` (:func:`.iris.diff_iri`), linking both cards by their card IRIs, with its
  changes (``mcs:CardChange``, ``<diff>/card_changes/<n>`` in the order diff reports them) and the
  findings of the checks of the new release (``mcs:ResultFinding``, ``<diff>/result_findings/<n>``);
* an intended-use check is an ``mcs:FitResult`` named ``<card>/fit/<profile identifier>/<profile
  SHA-256>`` (:func:`.iris.fit_iri`), with a ``mcs:FitDimensionResult`` per dimension and the card's
  evidence for it (``mcs:FitEvidence``), and the reasons of the verdict and the dimensions' findings.

Enum values follow :mod:`.rdf` (the meaning IRI where the schema gives one, else a plain literal);
everything taken from a card or a profile (versions, values, pointers, messages) is a literal: the
only IRIs are the ones the kit mints (percent-encoded segments) and the schema's. The triples are
sorted and carry nothing that depends on the time or the file names given, so the same inputs give
the same graph.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from ..check import diff as card_diff
from ..check import fit as card_fit
from ..check.loading import read_card
from ..spec.diagnostics import CardLoadError
from ..spec.iris import card_iri, diff_iri, fit_iri
from .rdf import object_triples


@dataclass(frozen=True)
class ResultGraph:
    """A result as triples: its IRI (also its only root in the store's index), sorted N-Triples lines,
    whether it has no error (diff) or the card fits (fit), and the files it came from."""

    iri: str
    lines: list[str]
    ok: bool
    files: tuple[str, ...]


def text(value) -> str:
    """A value as a literal's text: a string as it is, any other value as compact JSON."""
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"), default=str)


def _finding(issue: dict) -> dict:
    out = {"check_id": issue.get("rule"), "finding_severity": issue.get("severity"),
           "pointer": issue.get("path") or None, "message": issue.get("message"),
           "message_zh": issue.get("message_zh")}
    return {k: v for k, v in out.items() if v is not None}


def _present(value):
    """A card's field as a literal's text, None when absent."""
    return None if value is None else text(value)


def diff_value(result: card_diff.DiffResult, old: dict, new: dict) -> dict:
    """``result`` (of the cards ``old`` and ``new``) as an instance of ``CardDiff``."""
    changes = []
    area_class = {a.area: a.update_class for a in result.areas}
    for change in result.changes:
        entry = {"pointer": change.pointer, "old_pointer": change.old_pointer, "change_kind": change.kind,
                 "change_area": change.area, "update_class": area_class.get(change.area),
                 "old_value": None if change.kind == "added" else text(change.old),
                 "new_value": None if change.kind == "removed" else text(change.new)}
        changes.append({k: v for k, v in entry.items() if v is not None})
    value = {
        "old_card": card_iri(old), "new_card": card_iri(new),
        "model_identifier": _present(result.identifier),
        "old_version": _present(result.old_version), "new_version": _present(result.new_version),
        # diff's "editorial-only" is the class editorial; no change (and no driver) gives no value
        "proposed_update_class": {"editorial-only": "editorial", "none": None}.get(result.proposal, result.proposal),
        "proposed_update_driver": None if result.driver == "none" else result.driver,
        "declared_update_type": _present(result.declared_type),
        "declared_update_driver": _present(result.declared_driver),
        "card_changes": changes or None,
        "result_findings": [_finding(i.to_dict()) for i in result.issues] or None,
        "result_valid": result.valid,
    }
    return {k: v for k, v in value.items() if v is not None}


def diff_triples(result: card_diff.DiffResult, old: dict, new: dict) -> list[str]:
    """Sorted N-Triples lines of ``result``, the comparison of the cards ``old`` and ``new``."""
    return object_triples("CardDiff", diff_value(result, old, new), diff_iri(old, new))


def diff_graph(old_path, new_path) -> ResultGraph:
    """The comparison of the cards at the paths as a graph (raises ``CardLoadError``, with ``where``
    naming the file, for a file that cannot be read as a card)."""
    loaded = []
    for path in (old_path, new_path):
        try:
            loaded.append(read_card(path))
        except CardLoadError as exc:
            exc.where = str(path)
            raise
    old, new = loaded
    result = card_diff.diff_loaded(old, new, str(old_path), str(new_path))
    return ResultGraph(diff_iri(old.data, new.data), diff_triples(result, old.data, new.data), result.valid,
                       (str(old_path), str(new_path)))


def fit_value(report: dict, card: dict) -> dict:
    """``report`` (of :func:`.check.fit.fit`, about ``card``) as an instance of ``FitResult``."""
    findings = [_finding(r) for r in report["reasons"]]
    dimensions = []
    for dim in report["dimensions"]:
        dimensions.append({
            "fit_dimension": dim["dimension"], "fit_status": dim["status"], "profile_field": dim["profile_field"],
            "profile_value": text(dim["profile_value"]),
            "fit_evidence": [{"evidence_kind": e["kind"], "pointer": e["pointer"], "evidence_value": text(e["value"])}
                             for e in dim["evidence"]] or None})
        findings += [_finding(f) for f in dim["findings"]]
    profile = report["profile"]
    value = {
        "fitted_card": card_iri(card), "fitted_card_sha256": report["card"]["sha256"],
        "profile_identifier": _present(profile["identifier"]), "profile_title": _present(profile["title"]),
        "profile_sha256": profile["sha256"], "fit_verdict": report["verdict"],
        "fit_dimensions": [{k: v for k, v in d.items() if v is not None} for d in dimensions] or None,
        "result_findings": findings or None,
    }
    return {k: v for k, v in value.items() if v is not None}


def fit_result_iri(report: dict, card: dict) -> str:
    return fit_iri(card_iri(card), text(report["profile"]["identifier"]), report["profile"]["sha256"])


def fit_triples(report: dict, card: dict) -> list[str]:
    """Sorted N-Triples lines of ``report``, the intended-use check of a profile against ``card``."""
    return object_triples("FitResult", fit_value(report, card), fit_result_iri(report, card))


def fit_graph(card_path, profile_path) -> ResultGraph:
    """The intended-use check of the profile at ``profile_path`` against the card at ``card_path`` as a
    graph (raises ``CardLoadError`` with ``where`` or ``FitProfileError``)."""
    try:
        card = read_card(card_path)
    except CardLoadError as exc:
        exc.where = str(card_path)
        raise
    report = card_fit.fit(card, card_fit.read_profile(profile_path), str(card_path))
    return ResultGraph(fit_result_iri(report, card.data), fit_triples(report, card.data),
                       report["verdict"] == card_fit.FITS, (str(card_path), str(profile_path)))
