"""The README's pre-commit snippet works as written, in a fresh repository.

The test clones the committed HEAD of this repository, tags the clone as a release is tagged
(``v`` + the package version), and installs the hook into a throwaway git repository with the
README's own snippet, in which only the repository placeholder is replaced by the clone's path.
Everything it uses comes from that clone: README, hook definition, examples and code, so a change
must be committed before this test sees it.

pre-commit builds the hook's virtual environment as a user's would: ``pip install`` of the clone
(PyPI for the dependencies, pinned by the clone's constraints.txt through PIP_CONSTRAINT). Nothing
else is fetched: the hook repository is a local path.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from conftest import ROOT

PLACEHOLDER = "<URL of this repository>"
HOOK_ID = "modelcard-spec-validate"
HOOK_NAME = "modelcard-spec validate"


def _version(root: Path) -> str:
    text = (root / "src" / "modelcard_spec" / "spec" / "version.py").read_text(encoding="utf-8")
    match = re.search(r'^__version__ = "([^"]+)"$', text, re.M)
    assert match, "src/modelcard_spec/spec/version.py does not define __version__"
    return match.group(1)


def readme_snippet(readme: str) -> str:
    """The one ```yaml block of README.md that configures the hook."""
    blocks = [b for b in re.findall(r"^```yaml\n(.*?)^```$", readme, re.S | re.M) if HOOK_ID in b]
    assert len(blocks) == 1, f"README.md should have exactly one yaml block with {HOOK_ID}, has {len(blocks)}"
    return blocks[0]


def _env(tmp: Path, constraints: Path) -> dict[str, str]:
    """The environment of every command: this user's git and pre-commit settings left out, the
    test's sources not on the path (the hook must run the package pre-commit installed)."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("GIT_", "PRE_COMMIT")) and k not in ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV")}
    gitconfig = tmp / "gitconfig"
    gitconfig.write_text("[user]\n\tname = Test\n\temail = test@example.invalid\n"
                         "[init]\n\tdefaultBranch = main\n[advice]\n\tdetachedHead = false\n", encoding="utf-8")
    env.update(GIT_CONFIG_GLOBAL=str(gitconfig), GIT_CONFIG_NOSYSTEM="1", PRE_COMMIT_HOME=str(tmp / "cache"),
               PIP_CONSTRAINT=str(constraints), PIP_NO_INPUT="1", PIP_DISABLE_PIP_VERSION_CHECK="1")
    return env


def _run(args, cwd, env, check=True):
    proc = subprocess.run([str(a) for a in args], cwd=cwd, env=env, capture_output=True, encoding="utf-8",
                          errors="replace", stdin=subprocess.DEVNULL, timeout=900)
    if check:
        assert proc.returncode == 0, f"{args} failed ({proc.returncode}):\n{proc.stdout}\n{proc.stderr}"
    return proc


def _require(tool_ok: bool, reason: str):
    if not tool_ok:
        if os.environ.get("CI"):
            pytest.fail(f"{reason}; CI installs the test extra, which includes pre-commit")
        pytest.skip(reason)


def test_readme_rev_is_the_release_tag_of_this_version():
    """The README names the tag a release of this version gets: v<version>."""
    snippet = yaml.safe_load(readme_snippet((ROOT / "README.md").read_text(encoding="utf-8")))
    (repo,) = snippet["repos"]
    assert repo["rev"] == "v" + _version(ROOT), "README's pre-commit rev must be 'v' + __version__"
    assert repo["repo"] == PLACEHOLDER and [h["id"] for h in repo["hooks"]] == [HOOK_ID]


def test_supplier_guide_shows_the_readme_snippet():
    guide = (ROOT / "docs" / "guides" / "suppliers.md").read_text(encoding="utf-8")
    assert readme_snippet((ROOT / "README.md").read_text(encoding="utf-8")) in guide


def test_hook_describes_what_it_checks_against():
    (hook,) = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))
    assert hook["id"] == HOOK_ID and hook["name"] == HOOK_NAME
    assert "modelcard-spec requirement catalogue" in hook["description"]
    assert "YY/T" not in hook["description"]  # the catalogue is derived from a proposal, not the standard


def test_readme_snippet_installs_the_hook_and_it_refuses_a_bad_card(tmp_path):
    git = shutil.which("git")
    _require(git is not None, "git is not installed")
    env = _env(tmp_path, tmp_path / "clone" / "constraints.txt")
    probe = _run([sys.executable, "-m", "pre_commit", "--version"], tmp_path, env, check=False)
    _require(probe.returncode == 0, f"pre-commit is not installed for {sys.executable} (pip install '.[test]')")

    # A clone of the committed HEAD, tagged as the release of its version is.
    head = _run([git, "rev-parse", "HEAD"], ROOT, env).stdout.strip()
    clone = tmp_path / "clone"
    _run([git, "init", "-q", clone], tmp_path, env)
    _run([git, "fetch", "-q", "--no-tags", ROOT, head], clone, env)
    _run([git, "checkout", "-q", "FETCH_HEAD"], clone, env)
    tag = "v" + _version(clone)
    _run([git, "tag", tag, head], clone, env)

    readme = (clone / "README.md").read_text(encoding="utf-8")
    snippet = readme_snippet(readme)
    assert snippet.count(PLACEHOLDER) == 1, f"README's snippet should name the repository as {PLACEHOLDER}"
    assert yaml.safe_load(snippet)["repos"][0]["rev"] == tag

    # A fresh repository configured exactly as the README says.
    work = tmp_path / "work"
    _run([git, "init", "-q", work], tmp_path, env)
    (work / ".pre-commit-config.yaml").write_text(snippet.replace(PLACEHOLDER, str(clone)), encoding="utf-8")
    _run([sys.executable, "-m", "pre_commit", "install"], work, env)
    _run([git, "add", ".pre-commit-config.yaml"], work, env)
    _run([git, "commit", "-q", "-m", "pre-commit"], work, env)

    # A good card, with its evidence files, is committed (the hook ran on it and passed).
    good = sorted(p.parent for p in (clone / "examples").glob("*/card.yaml"))[0]
    shutil.copytree(good, work / good.name)
    _run([git, "add", good.name], work, env)
    ok = _run([git, "commit", "-m", "good card"], work, env, check=False)
    output = ok.stdout + ok.stderr
    assert ok.returncode == 0, output
    assert re.search(rf"^{re.escape(HOOK_NAME)}\.+Passed$", output, re.M), output

    # A bad card is refused, with the validator's own diagnostics in the output.
    bad = sorted((clone / "examples" / "invalid").glob("*.card.yaml"))[0]
    shutil.copy(bad, work / bad.name)
    _run([git, "add", bad.name], work, env)
    refused = _run([git, "commit", "-m", "bad card"], work, env, check=False)
    output = refused.stdout + refused.stderr
    assert refused.returncode != 0, output
    assert re.search(rf"^{re.escape(HOOK_NAME)}\.+Failed$", output, re.M), output
    expected = _run([sys.executable, "-m", "modelcard_spec.cli", "validate", "--no-summary", bad.name], work,
                    {**env, "PYTHONPATH": str(clone / "src")}, check=False)
    assert expected.returncode == 1 and expected.stdout.strip(), expected
    for line in expected.stdout.splitlines():
        assert line in output, f"the validator's message {line!r} is not in the commit's output:\n{output}"
    assert _run([git, "rev-list", "--count", "HEAD"], work, env).stdout.strip() == "2"
