"""Property-based tests: mutated valid cards never crash the validator."""

from __future__ import annotations

import copy
import os

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import VALID_CARDS
from modelcard_spec.diagnostics import CardLoadError
from modelcard_spec.loading import parse_card_bytes, read_card
from modelcard_spec.validator import check_data

CARDS = [read_card(p) for p in VALID_CARDS]

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


@settings(max_examples=int(os.environ.get("MCS_HYPOTHESIS_EXAMPLES", "150")), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutated_cards())
def test_mutated_cards_never_crash_the_checks(case):
    card, data = case
    issues, statuses = check_data(data, card.path.parent)
    assert not [i for i in issues if i.rule.startswith("internal")], [i.message for i in issues]
    assert len(statuses) > 0
    for i in issues:
        assert i.severity in ("error", "warning", "info") and i.message and i.message_zh


@settings(max_examples=int(os.environ.get("MCS_HYPOTHESIS_EXAMPLES", "150")), deadline=None)
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


@settings(max_examples=300, deadline=None)
@given(st.one_of(
    st.text(max_size=40),
    st.builds(lambda scheme, rest: f"{scheme}:{rest}",
              st.sampled_from(["https", "http", "urn", "file", "mailto", "x-y.z+1"]),
              st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=40)),
    st.builds(lambda host, path: f"https://{host}/{path}",
              st.text(alphabet="ab0:.[]%@-~!", max_size=12), st.text(alphabet="ab/%?#[]{}|^` 7F\\:", max_size=12)),
))
def test_every_uri_the_validator_accepts_is_an_iri_rdf_stores_accept(value):
    """The structural check's notion of an absolute IRI is never looser than the RDF store's, so an
    accepted card always exports and loads."""
    import pyoxigraph as ox

    from modelcard_spec.structural import is_absolute_iri

    if is_absolute_iri(value):
        ox.NamedNode(value)  # raises ValueError on an invalid IRI
