"""What the graph layer writes: a card validated and turned into triples together with its
conformity assessment and, when one is given, the assessor's record about it (a card's graph, named
by the card's IRI, :func:`.rdf.card_iri`; how a store holds it: :mod:`.store`), and the SKOS vocabularies (metrics,
requirements) in the graph ``VOCAB_GRAPH``; the card files the inputs of a graph command name, and
which of them each assessor's record given is about (:func:`match_records`)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ..spec.version import __version__
from ..check import conformity
from ..spec.diagnostics import CardLoadError, DiagnosticError
from ..spec.registry import Check, register
from . import rdf
from .errors import KgError, pyoxigraph
from ..spec.resources import artifact_text, catalogue_data, schema_version

VOCAB_GRAPH = "https://w3id.org/modelcard-spec/vocabularies/" + schema_version()

# An assessor's record given to kg load or export (--assessment) that is about none of the cards
# given, or a second record about the same card. ``where`` is the record file.
register(Check("kg.assessment-record", "error", "Each assessor's record given is about one of the cards given, "
               "one record per card", "所给的每份审核记录都针对所给的某张模型卡，每张模型卡一份",
               {"unmatched": ("the assessor's record is about the card with SHA-256 {recorded}, which is none of "
                              "the cards given", "该审核记录针对的是 SHA-256 为 {recorded} 的模型卡，不是所给的任何一张模型卡"),
                "twice": ("{other} is about the same card (SHA-256 {recorded}); give one assessor's record per card",
                          "{other} 针对同一张模型卡（SHA-256 为 {recorded}）；每张模型卡只应给出一份审核记录")},
               scope="command"))


@dataclass(frozen=True)
class Evaluated:
    """The files of the evaluations performed besides the tool's checks, as ``report`` takes them:
    model files to compare the card with, a verification result (``verify --result``) and an
    assessor's record (``assess init``, filled in)."""

    models: tuple[str, ...] = ()
    verification: str | None = None
    assessment: str | None = None


NOTHING_EVALUATED = Evaluated()


@dataclass
class CardGraph:
    card: str        # the file
    graph: str       # the card IRI, also the graph name
    lines: list[str]  # sorted N-Triples
    valid: bool
    action: str = ""  # what kg load did: added, replaced or unchanged
    roots: tuple[str, ...] = ()  # the card's other starting nodes: its assessment, the assessor's record


def card_files(inputs) -> list[Path]:
    """The card files named by ``inputs`` (files, folders or glob patterns), in order. Raises
    KgError, the loader's diagnostic about the input, for an input that names none (or too many)."""
    from ..check.inputs import expand_inputs

    files, problems = expand_inputs([str(p) for p in inputs])
    if problems:
        raise KgError.of(problems[0].issues[0], str(problems[0].card))
    return files


def card_graph(path: str, evaluated: Evaluated = NOTHING_EVALUATED) -> CardGraph:
    """Validate a card, taking into account the evaluations ``evaluated`` names (the same verdicts
    as ``report`` with those files), and turn it, its assessment and the assessor's record into
    N-Triples. Raises KgError (the loader's diagnostic, about the file) if the card cannot be read,
    and the diagnostic of a record or model file that cannot be taken into account (about that file)."""
    from ..check import evaluations as ev
    from ..check.loading import read_card
    from ..check.pipeline import validate_loaded
    from ..spec.digests import sha256_file

    try:
        loaded = read_card(path)
    except CardLoadError as exc:
        raise KgError.of(exc.issue, str(path)) from None
    try:
        models = {Path(m).name: sha256_file(m) for m in evaluated.models}
        verification = ev.read_verification(evaluated.verification, loaded, models) if evaluated.verification else None
        record = ev.read_assessment(evaluated.assessment, loaded, models) if evaluated.assessment else None
    except CardLoadError as exc:  # a record file that is not a readable document
        raise KgError.of(exc.issue, evaluated.assessment or evaluated.verification) from None
    except DiagnosticError as exc:
        raise KgError.of(exc.issue, exc.where or str(path)) from None
    result = validate_loaded(loaded, str(path), evaluated.models,
                             ev.evaluations(verification, record))
    data = loaded.data
    summary = conformity.summary(result.requirements or [])
    meta = {"tool": f"modelcard-spec {__version__}", "schema_version": schema_version(),
            "catalogue_version": catalogue_data()["catalogue_version"], "card_sha256": result.sha256,
            **{k: summary.get(k) for k in ("adoption", "documentation", "evaluated")}}
    records = [(record.sha256, _said(record.data))] if record is not None else []
    lines = rdf.card_triples(data, result.requirements, result.issues, meta, records)
    card = rdf.card_iri(data)
    roots = (rdf.assessment_iri(card), *(rdf.assessment_record_iri(card, sha) for sha, _ in records))
    return CardGraph(str(path), card, lines, result.valid, roots=roots)


def _said(value):
    """A record's data without what says nothing (the schema's placeholders: an empty note, a role
    left as the worksheet wrote it, an empty list), so that the graph holds only what was recorded."""
    from ..spec.catalogue import placeholder

    if isinstance(value, dict):
        kept = {k: _said(v) for k, v in value.items()}
        return {k: v for k, v in kept.items() if v != [] and placeholder(v) is None}
    if isinstance(value, list):
        return [_said(v) for v in value if placeholder(v) is None]
    return value


def match_records(records, cards) -> dict[str, str]:
    """Card file -> the assessor's record about it, of the record files ``records`` and the card
    files ``cards``: a record is about the card whose SHA-256 it names. Each record is read and
    checked against its card (:func:`.evaluations.read_assessment`) here, before anything is
    written. Raises KgError ``kg.assessment-record`` for a record about none of the cards (naming the
    digest it records) or about a card another record is about, and the record's own diagnostic
    for a record that cannot be read or is not valid."""
    from ..check import evaluations as ev
    from ..check.loading import read_card
    from ..spec.digests import sha256_file

    if not records:
        return {}
    by_digest: dict[str, list[str]] = {}
    for card in cards:
        by_digest.setdefault(sha256_file(card), []).append(str(card))
    matched: dict[str, str] = {}
    first: dict[str, str] = {}  # card digest -> the record about it
    for record in map(str, records):
        try:
            loaded = read_card(record)
        except CardLoadError as exc:
            raise KgError.of(exc.issue, record) from None
        about = loaded.data.get("card") if isinstance(loaded.data, dict) else None
        digest = about.get("sha256") if isinstance(about, dict) else None
        files = by_digest.get(digest) if isinstance(digest, str) else None
        if isinstance(digest, str) and not files and len(digest) == 64:  # a well-formed digest of no card given
            raise KgError("kg.assessment-record", "unmatched", where=record, recorded=digest)
        try:
            # against its card; a record naming no digest is checked against itself, which the
            # schema's validation refuses first (the card's SHA-256 is required), with its pointer
            ev.read_assessment(record, read_card(files[0]) if files else loaded, {})
        except CardLoadError as exc:  # the card itself cannot be read: the card's own error
            raise KgError.of(exc.issue, files[0] if files else record) from None
        except DiagnosticError as exc:
            raise KgError.of(exc.issue, exc.where or record) from None
        if not files:
            raise KgError("kg.assessment-record", "unmatched", where=record, recorded=digest)
        if digest in first:
            raise KgError("kg.assessment-record", "twice", where=record, other=first[digest], recorded=digest)
        first[digest] = record
        matched.update(dict.fromkeys(files, record))
    return matched


def vocabulary_lines() -> list[str]:
    """The SKOS vocabularies (the shipped Turtle file) as sorted N-Triples lines (needs pyoxigraph)."""
    ox = pyoxigraph("vocabulary")

    triples = ox.parse(artifact_text("skos").encode("utf-8"), format=ox.RdfFormat.TURTLE)
    return sorted(f"{t} ." for t in triples)
