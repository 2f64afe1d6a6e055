"""The embedded on-disk store (pyoxigraph): opening it, loading cards into it, and the line kg load
prints.

Layout (store format 2, docs/guides/knowledge-graph.md): every card's triples, with its conformity
assessment and the assessor's record, and the SKOS vocabularies are in the default graph; a small
side index, the named graph ``INDEX_GRAPH``, says which cards the store holds and where each card's
graph starts: ``<card> kg:root <card/assessment>`` (and one ``kg:root`` per assessor's record); the
vocabularies are listed there too, under ``VOCABULARIES``, with each of their subjects as a root. A card's graph is everything reachable from the card and its
roots through IRIs under the card's IRI (:func:`stored_lines`; every node :mod:`.rdf` mints for a card
is named so). The index also holds the store format, so that a store written in another layout is
refused with a message (``kg.store-format``) rather than misread.

The results of diff and fit (:mod:`.results`) are indexed the same way, each with itself as its root
(``<result> kg:root <result>``), and written by :func:`load_results` in one SPARQL update.

Cards new to the store are written in batches by the store's bulk loader, each batch one atomic
write; a card already in the store is left alone if its ``graph_sha256`` is unchanged (the digest
leaves out the tool's version, so an upgrade that changes no verdict changes no card) and otherwise
brought up to date by one SPARQL update (``DELETE DATA`` + ``INSERT DATA`` of the triples that differ),
also atomic. So a card is never half-loaded, and loading twice gives the same store.

The bulk loader hands the store's database (RocksDB) ready-made files that it does not fully
merge, and a store left so answers the slow queries up to twice as slowly (measured over
10,000 cards: docs/benchmarks.md). So a load ends by compacting the store (:func:`compact`) when the
store then holds at least twice as many cards as when it was last compacted, or was never compacted
(the index records the number, ``<INDEX_GRAPH> kg:compacted_with "N"``): always after a first load
into an empty store that completes, and after enough small loads into a large one, whose additions
add up; so does any load with ``compact="always"``, and none with ``compact="never"``. A load stopped
by an error does not compact; the cards it wrote count at the next load. Compacting rewrites the
whole store (19-27 s for 10,000 cards), so waiting until the cards have doubled keeps its total cost
within about twice that of compacting the final store once. It changes no triple.
"""

from __future__ import annotations

import itertools
import os
import re
from dataclasses import dataclass
from pathlib import Path

from . import assessment, rdf
from .assessment import CardGraph, vocabulary_lines
from .errors import KgError, pyoxigraph
from ..spec.batch import chunks_in_order
from ..spec.iris import CARD_BASE, ID_BASE
from ..spec.registry import Check, lookup, register

# The store's problems. ``reason`` and ``detail`` are what the store (pyoxigraph) or the operating
# system said, in English: the Chinese templates show them as such.
register(Check("kg.store-folder", "error", "kg load writes a store only into a store, a new or an empty folder",
               "kg load 只写入已有存储库、新的或空的文件夹",
               {"not-a-folder": ("--store {store} is not a folder", "--store {store} 不是文件夹"),
                "other-files": ("--store {store} is a folder that holds other files, not a store; kg load creates a "
                                "store only in a new or empty folder",
                                "--store {store} 是含有其他文件的文件夹，不是存储库；kg load 只在新的或空的文件夹中创建存储库")},
               scope="command"))
register(Check("kg.store-open-failed", "error", "The store can be opened for writing", "存储库可以打开以写入",
               {"": ("cannot open the store {store}: {reason}", "无法打开存储库 {store}：{reason}")}, scope="command"))
register(Check("kg.store-missing", "error", "The store to read exists", "要读取的存储库存在",
               {"": ("no store at {store}; create it with `modelcard-spec kg load CARD... --store {store}`",
                     "{store} 处没有存储库；请用 `modelcard-spec kg load CARD... --store {store}` 创建")},
               scope="command"))
register(Check("kg.store-unreadable", "error", "The store to read is a store made by kg load and can be read",
               "要读取的存储库由 kg load 创建且可以读取",
               {"": ("{store} is not a store made by kg load, or cannot be read ({reason})",
                     "{store} 不是由 kg load 创建的存储库，或无法读取（{reason}）")}, scope="command"))
register(Check("kg.store-format", "error", "The store is in the layout this version of kg reads and writes",
               "存储库采用本版本 kg 读写的存储格式",
               {"": ("{store} holds a graph in store format {found}, and this version of kg reads and writes format "
                     "{expected}: load the cards into a new store (a new or empty folder), or delete {store} and load "
                     "them again",
                     "{store} 中的图为存储格式 {found}，本版本的 kg 读写存储格式 {expected}：请将模型卡载入新的存储库"
                     "（新的或空的文件夹），或删除 {store} 后重新载入")}, scope="command"))
register(Check("kg.store-write-failed", "error", "Writing to the store succeeds", "写入存储库成功",
               {"": ("writing to the store failed: {detail}", "写入存储库失败：{detail}")}, scope="command"))
# What kg load did, printed when it has loaded the cards (in the language of --lang).
register(Check("kg.load-summary", "info", "Cards loaded into the store", "模型卡已载入存储库",
               {"": ("loaded {cards} card(s) into {store}: {added} added, {replaced} replaced, {unchanged} unchanged; "
                     "{with_errors} with errors, kept with their verdicts",
                     "已将 {cards} 张模型卡载入存储库 {store}：新增 {added} 张，替换 {replaced} 张，未变更 {unchanged} 张；"
                     "其中 {with_errors} 张有错误，已连同其结论一并载入")}, scope="command"))
# Shown on a terminal (standard error, in the language of --lang) when kg load starts compacting the
# store, which shows no progress (19–27 s for 10,000 cards on the project's 2-core machine).
register(Check("kg.compacting", "info", "kg load compacts the store's data files", "kg load 整理存储库的数据文件",
               {"": ("compacting the data files of {store} ({cards} card(s)) so that queries run faster; this rewrites "
                     "them all, changes no triple and shows no progress",
                     "正在整理存储库 {store} 的数据文件（共 {cards} 张模型卡），以加快查询速度；整理将重写全部数据文件，"
                     "但不改变其中的数据，期间不显示进度")},
               scope="command"))

register(Check("kg.load-results", "info", "Results of diff and fit loaded into the store", "diff 和 fit 的结果已载入存储库",
               {"": ("loaded {results} result(s) of diff and fit into {store}: {added} added, {replaced} replaced, "
                     "{unchanged} unchanged",
                     "已将 {results} 项 diff 和 fit 的结果载入存储库 {store}：新增 {added} 项，替换 {replaced} 项，"
                     "未变更 {unchanged} 项")}, scope="command"))

# The side index: which cards the store holds, the roots of each card's graph, the store format.
KG = "https://w3id.org/modelcard-spec/kg/"
INDEX_GRAPH = KG + "index"
ROOT = KG + "root"
FORMAT = KG + "format"
COMPACTED_WITH = KG + "compacted_with"  # the cards the store held when it was last compacted
# The vocabularies (SKOS) are in the default graph too; the index names them by this IRI, their
# roots are every subject of theirs (requirement and metric IRIs, none under this IRI).
VOCABULARIES = "https://w3id.org/modelcard-spec/vocabularies/"
# Format 1 (no index, one named graph per card) was written by modelcard-spec up to 0.3.0.
STORE_FORMAT = "2"
_FORMAT_LINE = f"<{INDEX_GRAPH}> <{FORMAT}> \"{STORE_FORMAT}\" ."


def store_format(store, directory: str) -> bool:
    """Whether the store holds anything; KgError ``kg.store-format`` when it is in another layout."""
    import pyoxigraph as ox

    index = ox.NamedNode(INDEX_GRAPH)
    for quad in store.quads_for_pattern(index, ox.NamedNode(FORMAT), None, index):
        if quad.object.value != STORE_FORMAT:
            raise KgError("kg.store-format", store=str(directory), found=quad.object.value, expected=STORE_FORMAT)
        return True
    if next(iter(store.quads_for_pattern(None, None, None, None)), None) is None:
        return False
    raise KgError("kg.store-format", store=str(directory), found="1", expected=STORE_FORMAT)


def open_store(directory: str):
    """Open the store at ``directory`` for writing, creating it if the folder does not exist or is
    empty. An existing folder that holds anything but a store is refused: the store's database files
    are never written into someone else's folder."""
    ox = pyoxigraph("store")
    check_store_folder(directory)
    try:
        return ox.Store(str(directory))
    except OSError as exc:
        raise KgError("kg.store-open-failed", store=str(directory), reason=str(exc)) from None


def check_store_folder(directory: str) -> None:
    """Raise KgError unless ``directory`` is a store, an empty folder or does not exist yet."""
    folder = Path(directory)
    if folder.exists() and not folder.is_dir():
        raise KgError("kg.store-folder", "not-a-folder", store=str(directory))
    if folder.is_dir() and any(folder.iterdir()):
        try:
            pyoxigraph("store").Store.read_only(str(directory))  # writes nothing
        except OSError:
            raise KgError("kg.store-folder", "other-files", store=str(directory)) from None


def open_store_read_only(directory: str):
    """Open the existing store at ``directory`` read-only; never creates or changes anything."""
    ox = pyoxigraph("store")
    if not Path(directory).is_dir():
        raise KgError("kg.store-missing", store=str(directory))
    try:
        store = ox.Store.read_only(str(directory))
    except OSError as exc:
        raise KgError("kg.store-unreadable", store=str(directory), reason=str(exc)) from None
    store_format(store, directory)
    return store


def stored_lines(store, card: str) -> tuple[set[str], set[str]]:
    """The N-Triples lines of the card with IRI ``card`` as the store holds them, and its roots in
    the index (empty sets for a card not in the store): every triple of the default graph whose
    subject is the card, one of its roots, or an IRI under the card's IRI reachable from them."""
    import pyoxigraph as ox

    roots = {q.object.value for q in store.quads_for_pattern(ox.NamedNode(card), ox.NamedNode(ROOT), None,
                                                                ox.NamedNode(INDEX_GRAPH))}
    if not roots:
        return set(), roots
    default, prefix = ox.DefaultGraph(), card + "/"
    # Only roots under the card's IRI are walked (every root the kit writes is): an index entry that
    # names another card's node (a store edited by hand) must not make this card's reload delete it.
    # All roots are returned, so that a reload drops a foreign one from the index.
    # The vocabularies' roots are their own subjects (requirements, metrics: never under the IRIs
    # minted for cards and results, which the same rule keeps out).
    trusted = ((lambda root: not root.startswith(ID_BASE)) if card == VOCABULARIES
               else (lambda root: root.startswith(prefix)))
    todo = [card, *(root for root in roots if trusted(root))]
    seen = set(todo)
    lines = set()
    while todo:
        for quad in store.quads_for_pattern(ox.NamedNode(todo.pop()), None, None, default):
            lines.add(f"{quad.subject} {quad.predicate} {quad.object} .")
            obj = quad.object
            if isinstance(obj, ox.NamedNode) and obj.value.startswith(prefix) and obj.value not in seen:
                seen.add(obj.value)
                todo.append(obj.value)
    return lines, roots


def _root_lines(card: str, roots) -> list[str]:
    return [f"<{card}> <{ROOT}> <{root}> ." for root in sorted(roots)]


def graph_changes(store, card: str, lines: list[str], roots) -> str:
    """The SPARQL update that turns the store's graph of the card with IRI ``card`` into exactly
    ``lines`` (N-Triples) with the roots ``roots`` in the index, touching only the triples that differ;
    "" when there is nothing to change. Run as one update it is one transaction, so the card goes from
    the old content to the new at once.

    The store keeps some literals in a canonical form ("80"^^xsd:float for "80.0"); such a triple
    shows up as deleted and inserted again, which the update (deletions first) turns into a no-op."""
    old, old_roots = stored_lines(store, card)
    new, new_roots = set(lines), set(roots)
    parts = []
    for verb, triples, index in (("DELETE", old - new, old_roots - new_roots), ("INSERT", new - old, new_roots - old_roots)):
        if triples or index:
            body = "\n".join(sorted(triples))
            if index:
                body += f"\nGRAPH <{INDEX_GRAPH}> {{\n" + "\n".join(_root_lines(card, index)) + "\n}"
            parts.append(f"{verb} DATA {{\n{body}\n}}")
    return " ;\n".join(parts)


def named_graph_changes(store, graph: str, lines: list[str]) -> str:
    """The SPARQL update that turns the named graph ``graph`` into exactly ``lines`` ("" if it holds them)."""
    import pyoxigraph as ox

    new = set(lines)
    old = set(store.dump(format=ox.RdfFormat.N_TRIPLES, from_graph=ox.NamedNode(graph)).decode("utf-8").splitlines())
    parts = []
    for verb, triples in (("DELETE", old - new), ("INSERT", new - old)):
        if triples:
            body = "\n".join(sorted(triples))
            parts.append(f"{verb} DATA {{ GRAPH <{graph}> {{\n{body}\n}} }}")
    return " ;\n".join(parts)


def replace_graph(store, graph: str, lines: list[str]) -> None:
    """Make the named graph ``graph`` hold exactly ``lines``, in one transaction."""
    update = named_graph_changes(store, graph, lines)
    if update:
        store.update(update)


# Quads per bulk write. Each write is one atomic ingestion into the store; with this size a write
# takes well under a second and the loader's buffers stay small (see benchmarks/kg_bench.py).
BATCH_QUADS = 50_000
# Changed cards per update: an update is one transaction, held in memory until it commits.
CHANGED_PER_UPDATE = 200
AUTO_JOBS_FROM = 16
# When kg load compacts the store (module docstring).
COMPACT_CHOICES = ("auto", "always", "never")


@dataclass
class _Built:
    card: str
    graph: str | None  # the card IRI
    valid: bool
    quads: int = 0
    digest: str | None = None
    trig: bytes = b""  # the card as TriG: its N-Triples lines (default graph), then its index block
    roots: tuple[str, ...] = ()
    error: KgError | None = None  # the card cannot be read

    def lines(self) -> list[str]:
        text = self.trig.decode("utf-8")
        return text[:text.index(f"<{INDEX_GRAPH}> {{")].split("\n")[:-1]


def _build_many(items: list[tuple[str, str | None]]) -> list[_Built]:
    """Each card's graph; ``items`` are pairs of a card file and the assessor's record about it (or None)."""
    out = []
    for name, record in items:
        try:
            cg = assessment.card_graph(name, assessment.Evaluated(assessment=record))
        except KgError as exc:
            out.append(_Built(name, None, False, error=exc))
            continue
        # The card IRI, the roots and the lines come from rdf.py, which writes only well-formed terms.
        index = "\n".join(_root_lines(cg.graph, cg.roots))
        trig = ("\n".join(cg.lines) + f"\n<{INDEX_GRAPH}> {{\n{index}\n}}\n").encode("utf-8")
        out.append(_Built(name, cg.graph, cg.valid, len(cg.lines) + len(cg.roots), rdf.graph_sha256(cg.lines, cg.graph),
                          trig, tuple(cg.roots)))
    return out


def _built(items: list[tuple[str, str | None]], jobs: int):
    """Each card's graph, in input order. With ``jobs`` > 1 the cards are validated and turned into
    triples in that many processes, at most a few chunks ahead of the consumer (bounded memory)."""
    for results in chunks_in_order(_build_many, items, jobs, 16):
        yield from results


class _BatchWriter:
    """Writes batches on a background thread, so that writing overlaps with building the next cards.

    Cards new to the store go through the bulk loader; cards whose graph changed are updated by one
    SPARQL update per batch (``DELETE DATA`` + ``INSERT DATA`` of what differs, per card). pyoxigraph
    (0.5+) applies each bulk load and each update atomically: a batch is in the store entirely or not
    at all (tested in tests/test_rdf_kg.py). Batches are written in the order they are submitted."""

    def __init__(self, store):
        import queue
        import threading

        self.store = store
        self.new: list[bytes] = []
        self.new_quads = 0
        self.changed: list[str] = []
        self.changed_quads = 0
        self.error: str | None = None
        self.queue: queue.Queue = queue.Queue(maxsize=1)
        self.thread = threading.Thread(target=self._run, name="kg-writer", daemon=True)
        self.thread.start()

    def _run(self) -> None:
        import pyoxigraph as ox

        while True:
            item = self.queue.get()
            try:
                if item is None:
                    return
                if self.error is None and isinstance(item, bytes):
                    # rdf.py writes only well-formed terms (IRIs from a card pass structural.is_absolute_iri,
                    # never looser than the store: tests/test_properties.py), so the loader need not re-check them
                    self.store.bulk_load(input=item, format=ox.RdfFormat.TRIG, lenient=True)
                elif self.error is None:
                    self.store.update(item)
            except BaseException as exc:  # reported by the caller's thread
                self.error = f"{type(exc).__name__}: {exc}"
            finally:
                self.queue.task_done()

    def add(self, built: "_Built") -> None:
        """A card new to the store."""
        self.new.append(built.trig)
        self.new_quads += built.quads
        if self.new_quads >= BATCH_QUADS:
            self._submit_new()

    def replace(self, update: str, quads: int) -> None:
        """The update (from :func:`graph_changes`) of a card whose graph is in the store."""
        self.changed.append(update)
        self.changed_quads += quads
        if self.changed_quads >= BATCH_QUADS or len(self.changed) >= CHANGED_PER_UPDATE:
            self._submit_changed()

    def wait(self) -> None:
        """Write everything pending and wait until it is in the store."""
        self._submit_new()
        self._submit_changed()
        self.queue.join()
        self._check()

    def _submit_new(self) -> None:
        if self.new:
            self.queue.put(b"".join(self.new))
            self.new, self.new_quads = [], 0
        self._check()

    def _submit_changed(self) -> None:
        if self.changed:
            self.queue.put(" ;\n".join(self.changed))
            self.changed, self.changed_quads = [], 0
        self._check()

    def close(self) -> None:
        """Write everything pending, wait for it, then stop the thread."""
        try:
            self.wait()
        finally:
            self.stop()

    def stop(self) -> None:
        """Stop the thread; what is not yet written is dropped (each batch is all or nothing)."""
        if self.thread.is_alive():
            self.new, self.changed = [], []
            self.queue.put(None)
            self.thread.join()
        self.store = None

    def _check(self) -> None:
        if self.error is not None:
            raise KgError("kg.store-write-failed", detail=self.error)


def _stored_digest(store, card: str) -> str | None:
    import pyoxigraph as ox

    subject, predicate = ox.NamedNode(rdf.assessment_iri(card)), ox.NamedNode(rdf.graph_sha256_predicate())
    for quad in store.quads_for_pattern(subject, predicate, None, ox.DefaultGraph()):
        return quad.object.value
    return None


def _in_store(store, card: str) -> bool:
    import pyoxigraph as ox

    return next(iter(store.quads_for_pattern(ox.NamedNode(card), ox.NamedNode(ROOT), None,
                                             ox.NamedNode(INDEX_GRAPH))), None) is not None


def summary(loaded: list[CardGraph], directory: str, lang: str = "en") -> str:
    """The line kg load prints (in ``lang``, "en" or "zh"): how many cards it loaded into the store
    at ``directory``, added, replaced and unchanged, and how many of them have errors."""
    done = {action: sum(1 for c in loaded if c.action == action) for action in ("added", "replaced", "unchanged")}
    en, zh = lookup("kg.load-summary").render("", {"cards": len(loaded), "store": str(directory), **done,
                                                     "with_errors": sum(1 for c in loaded if not c.valid)})
    return (zh if lang == "zh" else en) + "\n"


def compacting_notice(directory: str, cards: int, lang: str = "en") -> str:
    """The line kg load shows on a terminal when it starts compacting the store at ``directory``,
    which then holds ``cards`` cards (in ``lang``, "en" or "zh")."""
    en, zh = lookup("kg.compacting").render("", {"store": str(directory), "cards": cards})
    return (zh if lang == "zh" else en) + "\n"


def _prepare(store, directory: str) -> None:
    """Write the store format into a new store's index, and the vocabularies if they changed."""
    if not store_format(store, directory):
        store.update(f"INSERT DATA {{ GRAPH <{INDEX_GRAPH}> {{ {_FORMAT_LINE} }} }}")
    vocabulary = vocabulary_lines()
    update = graph_changes(store, VOCABULARIES, vocabulary, {line.split(" ", 1)[0][1:-1] for line in vocabulary})
    if update:
        store.update(update)


def _canonical(lines: list[str]) -> list[str]:
    """N-Triples lines as the store gives them back (:func:`stored_lines`), to compare with what it holds."""
    import pyoxigraph as ox

    text = "".join(line + "\n" for line in lines).encode("utf-8")
    return sorted({f"{t.subject} {t.predicate} {t.object} ." for t in ox.parse(text, format=ox.RdfFormat.N_TRIPLES)})


def load_results(graphs, directory: str) -> list[tuple[str, str]]:
    """Load results of diff and fit (:class:`.results.ResultGraph`) into the store at ``directory``,
    all in one SPARQL update, so one transaction. A result is indexed like a card, with itself as its
    root (``<result> kg:root <result>``), and its graph is everything reachable from it under its IRI;
    a result whose IRI is in the store already is replaced by changing only the triples that differ,
    and left alone when they are the same (loading twice gives the same store). Of two results with
    the same IRI the later wins. Returns (IRI, action) per result loaded, action added, replaced or
    unchanged."""
    pyoxigraph("store")
    check_store_folder(directory)
    latest = {graph.iri: graph for graph in graphs}
    store = open_store(directory)
    _prepare(store, directory)
    updates, done = [], []
    for iri, graph in latest.items():
        lines = _canonical(graph.lines)
        old, roots = stored_lines(store, iri)
        if roots and old == set(lines) and roots == {iri}:
            done.append((iri, "unchanged"))
            continue
        done.append((iri, "replaced" if roots else "added"))
        updates.append(graph_changes(store, iri, lines, {iri}))
    if updates:
        try:
            store.update(" ;\n".join(u for u in updates if u))
        except (OSError, ValueError, SyntaxError) as exc:
            raise KgError("kg.store-write-failed", detail=f"{type(exc).__name__}: {exc}") from None
    store.flush()
    return done


def results_summary(done: list[tuple[str, str]], directory: str, lang: str = "en") -> str:
    """The line kg load prints about the results it loaded (in ``lang``)."""
    counts = {action: sum(1 for _, a in done if a == action) for action in ("added", "replaced", "unchanged")}
    en, zh = lookup("kg.load-results").render("", {"results": len(done), "store": str(directory), **counts})
    return (zh if lang == "zh" else en) + "\n"


def _cards_held(store) -> int:
    """How many cards the store's index names (not the vocabularies, nor results of diff and fit)."""
    import pyoxigraph as ox

    return len({q.subject.value for q in store.quads_for_pattern(None, ox.NamedNode(ROOT), None, ox.NamedNode(INDEX_GRAPH))
                if q.subject.value.startswith(CARD_BASE)})


_COUNT = re.compile("[0-9]{1,12}")


def _compacted_with(store, held: int | None = None) -> int | None:
    """The cards the store held when it was last compacted; None if the index does not say (a store
    never compacted, or written by an earlier version, which did not record it) or says something
    else than one count of at most the cards the store holds (e.g. a store restored from a dump of
    another, larger one). ``held``: the cards the store holds, if known."""
    import pyoxigraph as ox

    index = ox.NamedNode(INDEX_GRAPH)
    records = [q.object.value for q in store.quads_for_pattern(index, ox.NamedNode(COMPACTED_WITH), None, index)]
    # the store's contents are not trusted: anything but one count of at most the cards the store
    # holds (kg load never removes a card) counts as never compacted, so the next load compacts
    if len(records) != 1 or not _COUNT.fullmatch(records[0]):
        return None
    if int(records[0]) > (_cards_held(store) if held is None else held):
        return None
    return int(records[0])


def _record_compaction(store, cards: int) -> None:
    """Record in the index that the store was compacted holding ``cards`` cards; nothing is written
    if the index says so already (a compaction after no write at all has almost nothing to do)."""
    if _compacted_with(store, held=cards) == cards:
        return
    index = f"<{INDEX_GRAPH}>"
    try:
        store.update(f"DELETE WHERE {{ GRAPH {index} {{ {index} <{COMPACTED_WITH}> ?cards }} }} ;\n"
                     f"INSERT DATA {{ GRAPH {index} {{ {index} <{COMPACTED_WITH}> \"{int(cards)}\" }} }}")
    except OSError as exc:
        raise KgError("kg.store-write-failed", detail=f"recording the compaction: {exc}") from None


def compact(store) -> None:
    """Compact the store's database (RocksDB's full compaction, pyoxigraph's ``optimize``): merges the
    files the bulk loader wrote, so that queries read fewer of them. Changes no triple; costs almost
    nothing on a store nothing was written to since it was compacted. An error the store reports (none
    is known: RocksDB's compaction reports none) is KgError ``kg.store-write-failed``."""
    try:
        store.optimize()
    except OSError as exc:
        raise KgError("kg.store-write-failed", detail=f"compacting the store: {exc}") from None


def load(paths: list[str], directory: str, progress=None, jobs: int = 0, records=(),
         compact_store: str = "auto", compacting=None) -> list[CardGraph]:
    """Load cards (files, folders or glob patterns) into the store at ``directory`` (the layout: this
    module's docstring), with the assessor's records ``records`` (files), each with the card it is about.

    A card new to the store is added; a card already there is left alone when its graph is unchanged
    (same ``graph_sha256``) and otherwise replaced by changing only the triples that differ; of two
    files of the same card the later wins.
    Writes go in batches, each applied atomically, so a card is never half-loaded, and loading the
    same cards again gives the same store. Each returned :class:`CardGraph` says what was done.
    ``jobs`` > 1 builds the graphs in that many processes; ``jobs`` <= 0 uses every core for 16 or
    more cards. Raises :class:`KgError` on the first card that cannot be read; the cards before it
    are loaded. A record about none of the cards, or one that cannot be taken into account, is
    refused before anything is written (:func:`.assessment.match_records`). ``compact_store``
    (one of ``COMPACT_CHOICES``) says whether the load ends by compacting the store (module docstring);
    if it does, ``compacting`` (if given) is called first with the number of cards the store holds."""
    pyoxigraph("store")
    if compact_store not in COMPACT_CHOICES:
        raise ValueError(f"compact_store must be one of {COMPACT_CHOICES}, not {compact_store!r}")
    check_store_folder(directory)
    names = [str(f) for f in assessment.card_files(paths)]
    matched = assessment.match_records(records, names)
    if jobs <= 0:
        jobs = (os.cpu_count() or 1) if len(names) >= AUTO_JOBS_FROM else 1
    graphs = _built([(name, matched.get(name)) for name in names], jobs)
    # Take the first card before the store and its writer thread exist: that forks the worker
    # processes while this process has a single thread and no open database.
    first = next(graphs, None)
    graphs = itertools.chain([first] if first else [], graphs)
    store = open_store(directory)
    held = _cards_held(store)  # before this load
    compacted_with = _compacted_with(store, held)
    _prepare(store, directory)
    writer = _BatchWriter(store)
    loaded: list[CardGraph] = []
    seen: set[str] = set()
    try:
        for n, built in enumerate(graphs, 1):
            if built.error is not None:
                writer.close()  # the cards before this one are written
                raise built.error
            if built.graph in seen:
                writer.wait()  # the earlier file of the same card must be in the store first
            if _in_store(store, built.graph):
                action = "unchanged"
                if _stored_digest(store, built.graph) != built.digest:
                    update = graph_changes(store, built.graph, built.lines(), built.roots)
                    if update:
                        action = "replaced"
                        writer.replace(update, update.count("\n"))
            else:
                action = "added"
                writer.add(built)
            seen.add(built.graph)
            loaded.append(CardGraph(built.card, built.graph, [], built.valid, action))
            if progress:
                progress(n, len(names))
        writer.close()
    except BaseException:
        writer.stop()
        store = writer = None  # noqa: F841 - release the store (and its lock) while the exception lives on
        raise
    store.flush()
    added = sum(1 for c in loaded if c.action == "added")
    cards = held + added
    if compact_store == "always" or (compact_store == "auto" and cards and (compacted_with is None
                                                                            or cards >= 2 * compacted_with)):
        if compacting:
            compacting(cards)
        # recorded first, so that the compaction leaves nothing written after it (a store written to
        # since its last compaction is rewritten again by the next one; tests/test_rdf_kg.py)
        _record_compaction(store, cards)
        compact(store)
    return loaded
