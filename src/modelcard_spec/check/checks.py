"""Every check of the tool, for listing (``modelcard-spec rules``, SARIF rule tables): importing the
modules that register checks makes :data:`..spec.registry.CHECKS` complete."""

from __future__ import annotations

from ..spec.registry import CHECKS, Check


def all_checks() -> list[Check]:
    """Every check of a card, in the order of the card's flow: reading, the JSON Schema,
    conformity, the rules, the model files, the tool itself. (The errors of commands — a model
    file, an import source, a store that cannot be used — are registered too, with the scope
    "command", by the modules that raise them.)"""
    from . import conformity, crosscheck, loading, pipeline, rules, structural  # noqa: F401  (they register)

    return sorted((c for c in CHECKS.values() if c.scope == "card"),
                  key=lambda c: _ORDER.get(c.id.split(".", 1)[0], _RULES))


# families in the order of the card's flow; rules (any other prefix) come before model files
_ORDER = {"load": 0, "schema": 1, "conformity": 2, "model": 4, "verify": 5, "internal": 6}
_RULES = 3
