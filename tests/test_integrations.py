"""Integrations: the pre-commit hook and the editor schema association."""

from __future__ import annotations

import re
import shlex
import subprocess
import sys

import yaml

from conftest import INVALID_CARDS, ROOT, VALID_CARDS


def test_pre_commit_hook_selects_cards_and_runs_the_validator():
    hooks = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))
    hook = next(h for h in hooks if h["id"] == "modelcard-spec-validate")
    pattern = re.compile(hook["files"])
    assert all(pattern.search(str(p.relative_to(ROOT))) for p in VALID_CARDS + INVALID_CARDS)
    assert not pattern.search("examples/ct-foundation-encoder/evidence/pretraining_config.yaml")
    # pre-commit appends the staged file names to the entry.
    argv = shlex.split(hook["entry"])
    assert argv[0] == "modelcard-spec"
    ok = subprocess.run([sys.executable, "-m", "modelcard_spec.cli", *argv[1:], *map(str, VALID_CARDS)],
                        cwd=ROOT, capture_output=True, text=True)
    bad = subprocess.run([sys.executable, "-m", "modelcard_spec.cli", *argv[1:], str(INVALID_CARDS[0])],
                         cwd=ROOT, capture_output=True, text=True)
    assert ok.returncode == 0 and bad.returncode == 1


def test_editor_schema_from_the_cli_validates_the_examples(tmp_path):
    """The JSON Schema a supplier associates in the editor accepts the valid cards."""
    import jsonschema

    schema_file = tmp_path / "modelcard.schema.json"
    proc = subprocess.run([sys.executable, "-m", "modelcard_spec.cli", "schema", "--format", "json-schema"],
                          capture_output=True, text=True, check=True)
    schema_file.write_text(proc.stdout, encoding="utf-8")
    import json

    schema = json.loads(schema_file.read_text(encoding="utf-8"))
    for card in VALID_CARDS:
        jsonschema.validate(yaml.safe_load(card.read_text(encoding="utf-8")), schema)
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "yaml-language-server: $schema=" in readme and "yaml.schemas" in readme


def test_readme_lists_every_check_exactly_as_the_registry_does():
    proc = subprocess.run([sys.executable, "-m", "modelcard_spec.cli", "rules"], capture_output=True, text=True, check=True)
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert proc.stdout in readme, "README's table of checks is stale: paste `modelcard-spec rules`"
