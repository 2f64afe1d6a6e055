"""The constraints file pins every package the README's commands install, and the Quick start uses it."""

from __future__ import annotations

import re
import sys

import pytest

from conftest import ROOT

tomllib = pytest.importorskip("tomllib") if sys.version_info >= (3, 11) else pytest.importorskip("tomli")


def _name(requirement: str) -> str:
    return re.split(r"[\s\[<>=!~;]", requirement, maxsplit=1)[0].lower().replace("_", "-").replace(".", "-")


def test_constraints_pin_every_dependency_and_the_quick_start_uses_them():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    wanted = {_name(r) for r in project["dependencies"]}
    for extra in project["optional-dependencies"].values():
        wanted |= {_name(r) for r in extra}
    pinned = {}
    for line in (ROOT / "constraints.txt").read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            name, _, version = line.partition("==")
            assert version, f"constraints.txt: {line!r} is not pinned with =="
            pinned[_name(name)] = version
    assert not wanted - set(pinned), f"not pinned in constraints.txt: {sorted(wanted - set(pinned))}"
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    quick = readme.split("## Quick start", 1)[1].split("```")[1]
    commands = [line for line in quick.splitlines() if line.strip()]
    assert len(commands) == 2 and all("pip install -c constraints.txt" in c for c in commands)
