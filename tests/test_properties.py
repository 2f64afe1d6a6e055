"""Property-based tests: mutated valid cards never crash the validator.

Each test runs a fixed sequence of generated cases (``derandomize``, no example database), so a run in
CI explores the same inputs every time and cannot flake. Set MCS_HYPOTHESIS_EXPLORE=1 to draw new
random cases instead (and MCS_HYPOTHESIS_EXAMPLES for more of them); add what that finds as an
``@example`` or a plain test.
"""

from __future__ import annotations

import copy
import os

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from conftest import VALID_CARDS
from modelcard_spec.spec import catalogue
from modelcard_spec.spec.diagnostics import CardLoadError
from modelcard_spec.check.loading import parse_card_bytes, read_card
from modelcard_spec.check.pipeline import check_data

CARDS = [read_card(p) for p in VALID_CARDS]
EXAMPLES_PER_TEST = int(os.environ.get("MCS_HYPOTHESIS_EXAMPLES", "150"))
FIXED = not os.environ.get("MCS_HYPOTHESIS_EXPLORE")


def explore(**kwargs):
    """Hypothesis settings: a fixed sequence of cases unless MCS_HYPOTHESIS_EXPLORE is set."""
    kwargs.setdefault("max_examples", EXAMPLES_PER_TEST)
    return settings(derandomize=FIXED, database=None if FIXED else settings.default.database, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow], **kwargs)


values = st.one_of(st.none(), st.booleans(), st.integers(-2**63, 2**63 - 1),
                   st.floats(allow_nan=False, allow_infinity=False), st.text(max_size=20),
                   st.lists(st.integers(), max_size=3), st.dictionaries(st.text(max_size=5), st.integers(), max_size=3))


def _containers(data, out, path=()):
    out.append(path)
    if isinstance(data, dict):
        for k, v in data.items():
            _containers(v, out, path + (k,))
    elif isinstance(data, list):
        for i, v in enumerate(data):
            _containers(v, out, path + (i,))
    return out


@st.composite
def mutated_cards(draw):
    card = CARDS[draw(st.integers(0, len(CARDS) - 1))]
    data = copy.deepcopy(card.data)
    paths = _containers(data, [])
    for _ in range(draw(st.integers(1, 4))):
        path = draw(st.sampled_from(paths))
        if not path:
            continue
        parent = data
        try:
            for key in path[:-1]:
                parent = parent[key]
            action = draw(st.sampled_from(["replace", "delete", "insert"]))
            if action == "replace":
                parent[path[-1]] = draw(values)
            elif action == "delete":
                del parent[path[-1]]
            elif isinstance(parent, dict):
                parent[draw(st.text(min_size=1, max_size=10))] = draw(values)
        except (KeyError, IndexError, TypeError):
            continue
    return card, data


@explore()
@given(mutated_cards())
def test_mutated_cards_never_crash_the_checks(case):
    card, data = case
    issues, statuses = check_data(data, card.path.parent)
    assert not [i for i in issues if i.rule.startswith("internal")], [i.message for i in issues]
    assert len(statuses) > 0
    for i in issues:
        assert i.severity in ("error", "warning", "info") and i.message and i.message_zh


@explore()
@given(mutated_cards())
@example((CARDS[0], {**CARDS[0].data, "version": None, "aliased": [CARDS[0].data["model_framework"]] * 2}))
def test_explaining_only_where_the_compiled_validator_found_errors_changes_no_issue(case):
    """The pure-Python validator does not walk the values the compiled one found valid: the issues are
    exactly those of a full walk, in the same order."""
    from modelcard_spec.check import structural

    card, data = case
    threshold, structural._PRUNE_CONTAINERS = structural._PRUNE_CONTAINERS, 0  # prune even these small cards
    try:
        pruned = [(i.path, i.message) for i in structural.iter_issues(data)]
    finally:
        structural._PRUNE_CONTAINERS = threshold
    skipping = structural._valid_containers
    structural._valid_containers = lambda fast, data: frozenset()  # the pure-Python validator walks everything
    try:
        full = [(i.path, i.message) for i in structural.iter_issues(data)]
    finally:
        structural._valid_containers = skipping
    assert pruned == full


def test_a_whole_number_written_as_a_float_below_the_minimum_is_explained():
    """0.0 in an integer field with minimum 1 is an integer to JSON Schema: the minimum error says what
    is wrong (it was dropped as if a type error said it, leaving the compiled validator's raw dump)."""
    from modelcard_spec.check import structural

    data = copy.deepcopy(CARDS[0].data)
    data["source_task_data"]["datasets"][0]["total_size"] = 0.0
    issues = structural.check(data)
    assert [i.path for i in issues] == ["/source_task_data/datasets/0/total_size"], [i.message for i in issues]
    assert issues[0].rule == "schema.minimum"


@explore()
@given(st.integers(0, len(CARDS) - 1), st.integers(0, 20_000), st.binary(min_size=1, max_size=8))
def test_corrupted_card_text_is_loaded_or_refused_with_a_located_error(which, position, junk):
    card = CARDS[which]
    raw = card.text.encode("utf-8")
    position %= len(raw)
    corrupted = raw[:position] + junk + raw[position:]
    try:
        loaded = parse_card_bytes(corrupted, card.path)
    except CardLoadError as exc:
        assert exc.issue.message and exc.issue.message_zh and exc.issue.line is not None
        return
    issues, _ = check_data(loaded.data, card.path.parent)
    assert not [i for i in issues if i.rule.startswith("internal")]


IRI_CHARACTERS = st.characters(blacklist_categories=("Cs",))
# Characters at the edges of RFC 3987's ucschar and iprivate ranges, and ASCII that IRIs forbid.
EDGES = "\u009f\u00a0\ud7ff\ue000\uf8ff\uf900\ufdcf\ufdd0\ufdef\ufdf0\uffef\ufff0\ufffe" \
        "\U0001fffd\U0001fffe\U000dfffd\U000dfffe\U000e0000\U000e0001\U000e0fff\U000e1000\U000efffd" \
        "\U000f0000\U0010fffd <>\"{}|^`\\%#?/:@[]"


@explore(max_examples=max(EXAMPLES_PER_TEST * 4, 600))
@given(st.one_of(
    st.text(max_size=40),
    st.builds(lambda scheme, rest: f"{scheme}:{rest}",
              st.sampled_from(["https", "http", "urn", "file", "mailto", "x-y.z+1"]),
              st.text(alphabet=IRI_CHARACTERS, max_size=40)),
    st.builds(lambda host, path: f"https://{host}/{path}",
              st.text(alphabet="ab0:.[]%@-~!", max_size=12), st.text(alphabet="ab/%?#[]{}|^` 7F\\:", max_size=12)),
    st.builds(lambda host, path, query: f"https://{host}/{path}?{query}",
              st.text(alphabet="ab0.-" + EDGES, max_size=6), st.text(alphabet="a/" + EDGES, max_size=8),
              st.text(alphabet="a=&" + EDGES, max_size=8)),
))
@example("https://example.org/\U000e0001")  # plane 14 below E1000 is not ucschar
@example("https://example.org/?\U000e0001")
@example("x:")
def test_every_uri_the_validator_accepts_is_an_iri_rdf_stores_accept(value):
    """The structural check's notion of an absolute IRI is never looser than the RDF store's, so an
    accepted card always exports and loads."""
    import pyoxigraph as ox

    from modelcard_spec.spec.iris import is_absolute_iri

    if is_absolute_iri(value):
        ox.NamedNode(value)  # raises ValueError on an invalid IRI


TRICKY_IRIS = {
    # value: whether it is an absolute IRI (RFC 3987)
    "https://example.org/model": True,
    "x:": False,
    "x:y": True,
    "urn:isbn:9787117": True,
    "mailto:models@example.org": True,
    "file:///models/a.onnx": True,
    "https:": False,
    "//example.org/no-scheme": False,
    "1http://example.org/": False,
    "https://例子.测试/路径?名=值#片段": True,
    "https://example.org/\U000e0001": False,
    "https://example.org/\U000e0fff": False,
    "https://example.org/\U000e1000": True,
    "https://example.org/\U000dfffd": True,
    "https://example.org/\U000dfffe": False,
    "https://example.org/\ue000": False,
    "https://example.org/?\ue000": True,
    "https://example.org/\ufffe": False,
    "https://example.org/\u00a0": True,
    "https://example.org/a b": False,
    "https://example.org/<script>": False,
    "https://example.org/%zz": False,
    "https://example.org/%41": True,
    "https://[::1]/": True,
    "https://[::1/": False,
    "https://[zz::1]/": False,
    "https://user@example.org:8443/a?b#c": True,
    "https://example.org/#a#b": False,
    "https://example.org/a\\b": False,
    "https://example.org/\n": False,
}


@pytest.mark.parametrize("value", sorted(TRICKY_IRIS))
def test_fast_and_slow_schema_paths_agree_on_iris(value):
    """A card's website is judged the same by the compiled validator that accepts cards, by the one that
    explains errors, by check() whether or not the card has other errors, and by the RDF writer."""
    from modelcard_spec.graph import rdf
    from modelcard_spec.check import structural

    data = copy.deepcopy(CARDS[0].data)
    data["provider"]["website"] = value
    expected = TRICKY_IRIS[value]
    assert structural.is_absolute_iri(value) is expected
    fast = structural._fast_validator().is_valid(data)
    slow = not any(True for _ in structural._validator().iter_errors(data))
    assert fast is slow is expected
    alone = [i for i in structural.check(data) if i.path == "/provider/website"]
    data["name"] = 42  # one more error sends check() down the explaining path
    along = [i for i in structural.check(data) if i.path == "/provider/website"]
    assert (not alone) is (not along) is expected
    lines = rdf.card_triples(data)
    assert any(f"<{value}>" in line for line in lines) is expected


@explore()
@given(st.recursive(st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False)
                    | st.text(max_size=12) | st.sampled_from(["MCS-GEN-01", "MCS-PA-01", "claimed", "not_applied"]),
                    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(
                        st.sampled_from(["requirements", "requirement", "status", "justification", "claim_all",
                                         "catalogue_version", "standard", "evidence"]), inner, max_size=5),
                    max_leaves=12))
@example({"requirements": 1.5, "claim_all": True})
def test_conformity_survives_any_declaration(declaration):
    """Whatever the conformity section holds, the checks report on it without failing."""
    data = copy.deepcopy(CARDS[1].data)
    data["conformity"] = declaration
    issues, statuses = check_data(data, CARDS[1].path.parent)
    assert not [i for i in issues if i.rule.startswith("internal")], [i.message for i in issues]
    assert [s["id"] for s in statuses] == [r.id for r in catalogue.requirements()]


@explore()
@given(st.lists(st.sampled_from(["\\ud800", "\\udbff", "\\udc00", "\\udfff", "\\ud83d\\ude00",
                                 "\\\\", "\\\"", "\\u0041", "a", "é"]), max_size=8))
@example(["\\ud800"])
@example(["\\\\", "\\ud83d\\ude00"])
def test_json_strings_load_as_text_or_are_refused(pieces):
    """Every string a JSON card loads to is text that UTF-8 can encode: escapes that decode to a lone
    surrogate are refused, with a location."""
    body = "".join(pieces)
    text = '{"k": "' + body + '", "' + body + '": ["' + body + '"]}'
    try:
        data = parse_card_bytes(text.encode("utf-8"), CARDS[0].path.with_suffix(".json")).data
    except CardLoadError as exc:
        assert exc.issue.rule in ("load.encoding", "load.duplicate-key") and exc.issue.line == 1
        return
    for value in (data["k"], *data.keys(), *[v for v in data.values() if isinstance(v, list)][0]):
        value.encode("utf-8")


# Text the RDF writer's shortcuts must treat as the general path does: ASCII with every kind of
# character it escapes, and beyond it (controls, a lone surrogate, reordering and invisible ones).
RDF_TEXT = st.one_of(st.text(max_size=12), st.text(alphabet="aZ09-._~ %/:\\\"\n\r\t\x00\x1b\x7f\x85\u202e\ud800é", max_size=12),
                     st.integers(), st.floats(allow_nan=False))


@explore()
@given(RDF_TEXT)
@example("plain text")
@example('a "quoted" \\ value')
@example("a\x7f")
@example("line\r\nbreak")
def test_the_rdf_writers_shortcuts_give_what_the_general_path_gives(value):
    """A literal and an IRI segment are written the same whether or not they take the shortcut for
    plain ASCII text (graph.rdf._literal, spec.iris.segment)."""
    from urllib.parse import quote

    from modelcard_spec.graph import rdf
    from modelcard_spec.spec.iris import segment
    from modelcard_spec.spec.textsafe import encodable, terminal

    text = encodable(str(value))
    escaped = terminal(text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\r", "\\r"))
    assert rdf._literal(value) == f'"{escaped}"'
    assert segment(value) == quote(text, safe="-._~")
