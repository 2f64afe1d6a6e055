"""Semantic rules: checks of meaning that the JSON Schema cannot express, one module per family of
the card (metric results, references, source-task data, the model, applicability, the lifecycle,
evidence files).

Importing this package registers every rule (:data:`RULES`, in the order of the families below);
:mod:`.base` is what the rules share.
"""

from . import metrics, references, data, model, applicability, lifecycle, evidence  # noqa: F401  (each registers its rules)
from .base import RULES, Context, Finding, Rule, found, rule

__all__ = ["RULES", "Context", "Finding", "Rule", "found", "rule"]
