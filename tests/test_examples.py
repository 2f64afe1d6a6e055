"""The shipped examples behave as their files say."""

from __future__ import annotations

import pytest

from conftest import INVALID_CARDS, VALID_CARDS, expected_requirements
from modelcard_spec import validate
from modelcard_spec.check.loading import read_card


def test_there_are_at_least_three_valid_and_ten_invalid_examples():
    assert len(VALID_CARDS) >= 3 and len(INVALID_CARDS) >= 10
    kinds = {read_card(p).data["provider_kind"] for p in VALID_CARDS}
    assert len(kinds) >= 3


@pytest.mark.parametrize("card", VALID_CARDS, ids=lambda p: p.parent.name)
def test_valid_example_is_valid(card):
    report = validate(card)
    assert report.valid, [i.to_dict() for r in report.results for i in r.issues]


@pytest.mark.parametrize("card", INVALID_CARDS, ids=lambda p: p.name)
def test_invalid_example_reports_exactly_its_expected_requirements(card):
    result = validate(card).results[0]
    assert result.readable and not result.valid
    errors = [i for i in result.issues if i.severity == "error"]
    assert {i.requirement for i in errors} == expected_requirements(card)
    for issue in errors:
        assert issue.path.startswith("/") and issue.line is not None
        assert issue.message and issue.message_zh and issue.message != issue.message_zh


@pytest.mark.parametrize("card", VALID_CARDS, ids=lambda p: p.parent.name)
def test_pydantic_round_trip_loses_nothing(card):
    from modelcard_spec.generated.model import ModelCard

    data = read_card(card).data
    assert ModelCard.model_validate(data).model_dump(mode="json", exclude_none=True) == data
