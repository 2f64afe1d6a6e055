"""spec.records: the record classes of the validation path behave as the dataclasses they replace."""

import pickle

import pytest

from modelcard_spec.check.conformity import Evaluations, Review
from modelcard_spec.check.rules.base import Finding
from modelcard_spec.spec.diagnostics import CardResult, Issue
from modelcard_spec.spec.records import Frozen, Record
from modelcard_spec.spec.registry import Check


def _issue(**changes):
    fields = dict(severity="error", rule="schema.required", path="/a", message="m", message_zh="中",
                  requirement="MCS-GEN-01", line=3, column=5, params={"field": "a"})
    fields.update(changes)
    return Issue(**fields)


def test_a_record_is_built_by_position_or_by_name_with_its_defaults():
    by_position = Issue("error", "schema.required", "/a", "m", "中")
    by_name = Issue(severity="error", rule="schema.required", path="/a", message="m", message_zh="中")
    assert by_position == by_name
    assert (by_name.requirement, by_name.line, by_name.column, by_name.params) == (None, None, None, None)
    assert Finding("/x").variant == "" and Finding("/x", "other").variant == "other"


@pytest.mark.parametrize("args, kwargs, message", [
    (("error",), {}, "missing required argument 'rule'"),
    (("error", "r", "/", "m", "z", None, 1, 2, None, "one too many"), {}, "takes 9 arguments, 10 given"),
    (("error", "r", "/", "m", "z"), {"severity": "warning"}, "multiple values for argument 'severity'"),
    (("error", "r", "/", "m", "z"), {"colour": "red"}, "unexpected keyword argument 'colour'"),
])
def test_a_record_refuses_what_a_dataclass_refuses(args, kwargs, message):
    with pytest.raises(TypeError, match=message):
        Issue(*args, **kwargs)


def test_a_factory_gives_each_record_its_own_value():
    first, second = CardResult("a.yaml"), CardResult("b.yaml")
    first.issues.append(_issue())
    assert second.issues == [] and first.issues != second.issues
    assert Check("x", "error", "t", "t").messages == {}
    assert Evaluations().reviews is not Evaluations().reviews


def test_a_frozen_record_cannot_be_changed():
    issue = _issue()
    with pytest.raises(AttributeError, match="cannot assign to field 'path' of Issue"):
        issue.path = "/b"
    with pytest.raises(AttributeError, match="cannot delete field 'path' of Issue"):
        del issue.path
    result = CardResult("a.yaml")
    result.readable = False  # a Record (not frozen) can
    assert not result.valid
    with pytest.raises(AttributeError):
        result.extra = 1  # no __dict__: only the fields exist


def test_equality_and_hash_follow_the_fields():
    assert _issue() == _issue() and _issue() != _issue(line=4)
    # params is compared but left out of the hash (a dict cannot be hashed)
    assert _issue(params={"field": "b"}) != _issue()
    assert hash(_issue(params={"field": "b"})) == hash(_issue())
    assert len({_issue(), _issue(), _issue(path="/b")}) == 2
    # a record equals only a record of its own class
    assert Review(("inspection",), "conforms") != ("inspection", "conforms")
    assert (_issue() == object()) is False
    with pytest.raises(TypeError, match="unhashable"):
        hash(CardResult("a.yaml"))


def test_repr_replace_and_pickle():
    issue = _issue()
    assert repr(Review(("inspection",), None)) == "Review(methods=('inspection',), verdict=None)"
    moved = issue.replace(line=9)
    assert (moved.line, moved.path, issue.line) == (9, "/a", 3)
    with pytest.raises(TypeError):
        issue.replace(colour="red")
    result = CardResult("a.yaml", [issue], True, "0" * 64, [{"id": "MCS-GEN-01"}])
    for value in (issue, result, Evaluations(frozenset({"MCS-PA-01"}), {"MCS-TR-01": True}, {"MCS-GEN-01": Review((), None)})):
        copy = pickle.loads(pickle.dumps(value))
        assert copy == value and type(copy) is type(value)


def test_every_record_lists_its_fields_in_slots_and_nothing_else():
    """A record's fields are its __slots__, in the order of its annotations, and a default or a
    factory is only given for one of them."""
    import modelcard_spec.check.pipeline  # noqa: F401  (imports every record of the validation path)

    def subclasses(cls):
        for sub in cls.__subclasses__():
            yield sub
            yield from subclasses(sub)

    records = [c for c in subclasses(Record) if c is not Frozen]
    assert len(records) >= 14
    for cls in records:
        assert cls.__slots__ == tuple(cls.__annotations__), cls
        assert set(cls._defaults) | set(cls._factories) | set(cls._unhashed if issubclass(cls, Frozen) else ()) <= set(cls.__slots__), cls
        assert not set(cls._defaults) & set(cls._factories), cls
        assert "__dict__" not in dir(cls), cls
