"""Cards exported as one RDF document (``export --to ttl|jsonld|nt``): each card's triples, with
its conformity assessment (:func:`.assessment.card_graph`) or alone, merged, sorted and written in
the chosen format (:func:`.rdf.serialise`)."""

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


def document(files, fmt: str, with_assessment: bool = True) -> str:
    """The card files ``files`` as one document in ``fmt`` (``ttl``, ``jsonld`` or ``nt``): the
    union of their triples, sorted (so the same cards give the same bytes). Raises :class:`KgError`
    for the first card that cannot be read (``where`` is its file), and when Turtle or JSON-LD is
    asked for without pyoxigraph."""
    from ..check.loading import read_card

    lines: set[str] = set()
    for f in files:
        if with_assessment:
            lines.update(assessment.card_graph(str(f)).lines)
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
