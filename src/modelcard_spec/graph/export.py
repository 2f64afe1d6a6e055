"""Cards exported as one RDF document (``export --to ttl|jsonld|nt``): each card's triples, with
its conformity assessment and the assessor's record about it (:func:`.assessment.card_graph`) or
alone, merged, sorted and written in the chosen format (:func:`.rdf.serialise`)."""

from __future__ import annotations

from ..spec.diagnostics import CardLoadError
from ..spec.registry import Check, register
from . import assessment, rdf
from .errors import KgError

register(Check("export.pyoxigraph-missing", "error", "The library for Turtle and JSON-LD (pyoxigraph) is installed",
               "已安装 Turtle 和 JSON-LD 所需的 pyoxigraph",
               {"": ("Turtle and JSON-LD need pyoxigraph: pip install 'modelcard-spec[kg]' (or use --to nt)",
                     "Turtle 和 JSON-LD 需要 pyoxigraph：pip install 'modelcard-spec[kg]'（或使用 --to nt）")},
               scope="command"))


def document(files, fmt: str, with_assessment: bool = True, records=(),
             evaluated: assessment.Evaluated = assessment.NOTHING_EVALUATED) -> str:
    """The card files ``files`` as one document in ``fmt`` (``ttl``, ``jsonld`` or ``nt``): the
    union of their triples, sorted (so the same cards give the same bytes). With the assessment,
    the assessor's records ``records`` (files) go with the cards they are about
    (:func:`.assessment.match_records`), and ``evaluated`` (one card only: its model files,
    verification result and record) is taken into account as ``report`` does. Raises :class:`KgError`
    for the first card or record that cannot be read (``where`` is its file), and when Turtle or
    JSON-LD is asked for without pyoxigraph."""
    from ..check.loading import read_card

    lines: set[str] = set()
    matched = assessment.match_records(records, files) if with_assessment else {}
    for f in files:
        if with_assessment:
            record = matched.get(str(f))
            one = evaluated if record is None else assessment.Evaluated(evaluated.models, evaluated.verification, record)
            lines.update(assessment.card_graph(str(f), one).lines)
            continue
        try:
            data = read_card(f).data
        except CardLoadError as exc:
            raise KgError.of(exc.issue, str(f)) from None
        lines.update(rdf.card_triples(data))
    try:
        return rdf.serialise(sorted(lines), fmt)
    except ImportError:
        raise KgError("export.pyoxigraph-missing") from None
