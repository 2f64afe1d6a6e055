"""One registry of checks: every ID the code can report is registered once, with titles and message
templates in both languages; diagnostics carry the parameters their two messages are rendered from."""

from __future__ import annotations

import ast
import re

import pytest

from conftest import INVALID_CARDS, ROOT, VALID_CARDS, renderings
from modelcard_spec.check.checks import all_checks
from modelcard_spec.check.pipeline import validate_file
from modelcard_spec.spec.diagnostics import diagnostic
from modelcard_spec.spec.registry import CHECKS, Check, lookup, register

PACKAGE = ROOT / "src" / "modelcard_spec"
# calls whose first argument is a check ID (and every error class: ``XError("check.id", ...)``)
_REPORTERS = {"diagnostic", "rule", "report", "lookup", "_error"}
_CHECK_ID = re.compile(r"[a-z]+(\.[a-zA-Z0-9-]+)+")


def _import_everything():
    """Import every module of the package, so that every check registered anywhere is."""
    import importlib
    import pkgutil

    import modelcard_spec

    for module in pkgutil.walk_packages(modelcard_spec.__path__, "modelcard_spec."):
        if not module.name.endswith("_onnxchild"):
            importlib.import_module(module.name)


def _reported_ids() -> dict[str, list[str]]:
    """Check ID -> where it is written, for every string literal the code passes as a check ID:
    the first argument of diagnostic(), CardLoadError(), @rule() and crosscheck's report(), and the
    second of Issue(); an f-string ``f"schema.{x}"`` counts as its family."""
    found: dict[str, list[str]] = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        if "generated" in path.parts:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Subscript) and getattr(node.value, "id", None) == "CHECKS" \
                    and isinstance(node.slice, ast.Constant) and isinstance(node.slice.value, str):
                found.setdefault(node.slice.value, []).append(f"{path.relative_to(PACKAGE)}:{node.lineno}")
                continue
            if not isinstance(node, ast.Call):
                continue
            name = getattr(node.func, "id", None) or getattr(node.func, "attr", None)
            index = 1 if name == "Issue" else 0 if name in _REPORTERS or (name or "").endswith("Error") else None
            if index is None or len(node.args) <= index:
                continue
            arg = node.args[index]
            if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                check_id = arg.value
                if not _CHECK_ID.fullmatch(check_id):
                    continue
            elif isinstance(arg, ast.JoinedStr) and isinstance(arg.values[0], ast.Constant) \
                    and re.fullmatch(r"[a-z]+\.", arg.values[0].value):
                check_id = arg.values[0].value.rstrip(".")
            else:
                continue
            found.setdefault(check_id, []).append(f"{path.relative_to(PACKAGE)}:{node.lineno}")
    return found


def test_every_check_id_written_in_the_code_is_registered():
    _import_everything()
    unregistered = {check_id: where for check_id, where in _reported_ids().items() if lookup(check_id) is None}
    assert unregistered == {}


def test_the_scan_finds_the_reporters():
    found = _reported_ids()
    for check_id in ("load.io", "load.syntax", "conformity.duplicate", "internal.issue-limit", "schema.version",
                     "splits.ratio-sum", "kg.load-summary", "modelfile.unsafe-global"):
        assert check_id in found, check_id


@pytest.mark.parametrize("card", INVALID_CARDS + VALID_CARDS, ids=lambda p: p.name if p.parent.name == "invalid" else p.parent.name)
def test_every_issue_reported_is_registered_and_rendered_from_its_parameters(card):
    """Each issue's ID is registered; where the issue carries parameters, the registry's templates
    render exactly its two messages from them."""
    for issue in validate_file(card).issues:
        check = lookup(issue.rule)
        assert check is not None, issue.rule
        if issue.params is None:
            continue
        assert (issue.message, issue.message_zh) in renderings(check, issue.params), issue


def test_every_check_has_both_titles_and_a_known_severity():
    checks = all_checks()
    assert len({c.id for c in checks}) == len(checks)
    for check in checks:
        assert check.title and check.title_zh and check.title != check.title_zh, check.id
        assert check.severity in ("error", "warning", "info"), check.id
        for variant, (en, zh) in check.messages.items():
            assert en and zh and en != zh, (check.id, variant)


def test_a_check_is_registered_once():
    with pytest.raises(ValueError, match="registered twice"):
        register(Check("load.io", "error", "again", "再次"))


def test_templates_of_the_two_languages_take_the_same_parameters():
    with pytest.raises(ValueError, match="other parameters"):
        register(Check("test.mismatch", "error", "t", "标题", {"": ("{a} and {b}", "{a}")}))
    assert "test.mismatch" not in CHECKS


def test_a_diagnostic_renders_both_languages_from_one_set_of_parameters():
    issue = diagnostic("conformity.duplicate", "/conformity/requirements/3/requirement",
                       requirement_id="MCS-FW-01", first="/conformity/requirements/0")
    assert issue.message == "MCS-FW-01 is declared twice (first at /conformity/requirements/0)"
    assert issue.message_zh == "MCS-FW-01 被重复声明（首次见于 /conformity/requirements/0）"
    assert issue.requirement == "MCS-GEN-07" and issue.severity == "error"
    assert issue.to_dict()["params"] == {"requirement_id": "MCS-FW-01", "first": "/conformity/requirements/0"}


def test_an_unregistered_id_cannot_be_reported():
    with pytest.raises(KeyError):
        diagnostic("nowhere.check", "/x")


def test_a_diagnostic_error_survives_pickling():
    """A worker process can raise one; the parent must get the same diagnostic back."""
    import pickle

    from modelcard_spec.spec.diagnostics import CardLoadError

    error = CardLoadError("load.io", "os-error", reason="Permission denied")
    back = pickle.loads(pickle.dumps(error))
    assert type(back) is CardLoadError and back.issue == error.issue and str(back) == str(error)


def test_the_list_of_checks_has_one_order_whatever_was_imported_first():
    import subprocess
    import sys

    listing = "from modelcard_spec.output.validation import rules_json; print(rules_json())"
    plain = subprocess.run([sys.executable, "-c", listing], capture_output=True, text=True, check=True).stdout
    for first in ("modelcard_spec.check.inputs", "modelcard_spec.check.crosscheck", "modelcard_spec.check.rules"):
        other = subprocess.run([sys.executable, "-c", f"import {first}; {listing}"], capture_output=True, text=True,
                               check=True).stdout
        assert other == plain, first


def test_an_issue_with_parameters_can_still_be_hashed():
    """Issues went into sets and dict keys before they carried parameters (a dict)."""
    issue = diagnostic("conformity.duplicate", "/x", requirement_id="MCS-FW-01", first="/y")
    assert len({issue, issue}) == 1 and issue == diagnostic("conformity.duplicate", "/x", requirement_id="MCS-FW-01",
                                                             first="/y")


def test_every_variant_the_code_names_is_registered():
    """``diagnostic(ID, path, "variant", ...)``, ``CardLoadError(ID, "variant", ...)`` and the
    loader's ``_error(ID, mark, "variant", ...)`` written with literal IDs and variants name a
    variant the check has."""
    _import_everything()
    wrong = []
    for path in sorted(PACKAGE.rglob("*.py")):
        if "generated" in path.parts:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call):
                continue
            name = getattr(node.func, "id", None) or getattr(node.func, "attr", None)
            position = {"diagnostic": 2, "CardLoadError": 1, "_error": 2}.get(name)
            if position is None or not node.args or not isinstance(node.args[0], ast.Constant):
                continue
            if len(node.args) > position:
                variant = node.args[position]
            else:
                variant = next((k.value for k in node.keywords if k.arg == "variant"), ast.Constant(""))
            if isinstance(variant, ast.Constant) and isinstance(variant.value, str):
                check = lookup(node.args[0].value)
                if check is None or variant.value not in check.messages:
                    wrong.append((f"{path.relative_to(PACKAGE)}:{node.lineno}", node.args[0].value, variant.value))
    assert wrong == []


# Chinese words that are parameters of registered templates (the Chinese of an ``x_zh``), or labels
# of the command line's two-line messages, by module. The output layer renders pages and tables in
# the language asked for and is not listed: its words are presentation, not diagnostics.
CHINESE_PARAMETERS = {
    "check/structural.py": {"布尔值", "空值"},                     # JSON types (expected_text_zh)
    "cli.py": {": 错误："},                                        # the label of a message's Chinese line
    "importers/huggingface.py": {"YAML 前置元数据"},               # what_zh
    "importers/monai.py": {"MONAI 元数据", "模型包的 "},
    "modelfiles/fragment.py": {": 严重 [", ": 警告 ["},
    "check/evidence_reader.py": {"证据摘要计算量", "样本清单读取量"},  # what_zh of the evidence budgets
    "check/fit.py": {"岁", "儿童", "成人", "老年",  # words of age subgroups looked for in the card's subgroup names
                     "非"},  # the prefix that negates a term in the card's uses ("非CT")
    "spec/shapes.py": {"未命名"},                                  # actual_zh
    "spec/migrations/__init__.py": {"布尔值", "空值"},             # JSON types (actual_zh)
}


def test_no_module_but_the_output_layer_writes_chinese_of_its_own():
    """Every Chinese text outside the output layer is a registered template or title (or a listed
    parameter word), so no module keeps a hand-written Chinese twin of an English message."""
    _import_everything()
    registered = {zh for c in CHECKS.values() for _, zh in c.messages.values()}
    registered |= {c.title_zh for c in CHECKS.values()} | {c.reports_against[1] for c in CHECKS.values()
                                                           if c.reports_against}
    chinese = re.compile("[\u4e00-\u9fff]")
    stray = []
    for path in sorted(PACKAGE.rglob("*.py")):
        module = path.relative_to(PACKAGE).as_posix()
        if module.startswith(("generated/", "output/")):
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        docstrings = {id(node.value) for node in ast.walk(tree) if isinstance(node, ast.Expr)}
        for node in ast.walk(tree):
            text = node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else None
            if not text or not chinese.search(text) or id(node) in docstrings:
                continue
            if text in CHINESE_PARAMETERS.get(module, set()) or any(text in zh for zh in registered):
                continue
            stray.append((module, node.lineno, text[:40]))
    assert stray == []


_LISTED = """
import json, pkgutil, importlib, sys
from modelcard_spec.check.checks import all_checks
listed = {c.id for c in all_checks()}
import modelcard_spec.check
for module in pkgutil.walk_packages(modelcard_spec.check.__path__, "modelcard_spec.check."):
    importlib.import_module(module.name)
from modelcard_spec.spec.registry import CHECKS
print(json.dumps(sorted(c.id for c in CHECKS.values() if c.scope == "card" and c.id not in listed)))
"""


def test_all_checks_lists_every_card_check_in_a_fresh_process():
    """Before: the diff.* checks were listed by ``rules`` only because the lifecycle rule imported
    check.diff; once it no longer did, a fresh ``rules`` left all eleven out (the test suite's own
    imports had hidden it)."""
    import json
    import os
    import subprocess
    import sys

    done = subprocess.run([sys.executable, "-c", _LISTED], capture_output=True, text=True, timeout=120,
                          env={**os.environ, "PYTHONPATH": str(ROOT / "src")})
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == []
