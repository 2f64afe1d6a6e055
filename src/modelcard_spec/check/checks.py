"""Every check of the tool, for listing (``modelcard-spec rules``, SARIF rule tables): importing the
modules that register checks makes :data:`..spec.registry.CHECKS` complete."""

from __future__ import annotations

from ..spec.registry import CHECKS, ORIGIN, Check


def all_checks() -> list[Check]:
    """Every check of a card, in the order of the card's flow: reading, the JSON Schema,
    conformity, the rules, the model files, the tool itself. (The errors of commands — a model
    file, an import source, a store that cannot be used — are registered too, with the scope
    "command", by the modules that raise them.)"""
    # they register; not one of them may be left to another's import (check.diff was, until the update rules
    # it shared with the lifecycle rule became check.updates)
    from . import conformity, crosscheck, diff, inputs, loading, pipeline, rules, structural  # noqa: F401

    def key(check):
        module, place = ORIGIN[check.id]
        return (_ORDER.get(check.id.split(".", 1)[0], _RULES),
                _MODULES.index(module) if module in _MODULES else len(_MODULES), module, place)

    return sorted((c for c in CHECKS.values() if c.scope == "card"), key=key)


# within a family, the modules in the order of the card's flow
_MODULES = tuple(f"modelcard_spec.check.{m}" for m in
                 ("loading", "inputs", "structural", "conformity", "rules.metrics", "rules.references",
                  "rules.data", "rules.model", "rules.applicability", "rules.lifecycle", "rules.evidence", "diff", "crosscheck",
                  "pipeline"))


# families in the order of the card's flow; rules (any other prefix) come before model files
_ORDER = {"load": 0, "schema": 1, "conformity": 2, "model": 4, "verify": 5, "internal": 6}
_RULES = 3
