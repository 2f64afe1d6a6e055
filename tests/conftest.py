"""Shared fixtures: paths to the project's schema, examples and the shared source documents."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SCHEMA_DIR = ROOT / "schema"
EXAMPLES = ROOT / "examples"
SEEDS = ROOT.parent / "shared" / "seeds"

VALID_CARDS = sorted(EXAMPLES.glob("*/card.yaml"))
INVALID_CARDS = sorted((EXAMPLES / "invalid").glob("*.card.yaml"))


def expected_requirements(card: Path) -> set[str]:
    first = card.read_text(encoding="utf-8").splitlines()[0]
    match = re.match(r"^# expect: (.+)$", first)
    assert match, f"{card} does not start with '# expect: REQ-ID[, REQ-ID]'"
    return {r.strip() for r in match.group(1).split(",")}


@pytest.fixture(scope="session")
def schema_view():
    """LinkML's SchemaView over the schema (LinkML is a test and build dependency only)."""
    from linkml_runtime.utils.schemaview import SchemaView

    return SchemaView(str(SCHEMA_DIR / "modelcard_spec.yaml"))
