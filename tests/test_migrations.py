"""Schema versions and ``migrate``: the earlier versions' JSON Schemas shipped frozen, each migration
step on the example cards as they were at that version (tests/data/migrations, README there), no loss,
the version check of validate, and hostile inputs."""

from __future__ import annotations

import copy
import hashlib
import json
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

from conftest import ROOT, leaves, value_at
from modelcard_spec.check import structural
from modelcard_spec.check.loading import read_card
from modelcard_spec.spec.migrations import KNOWN_VERSIONS, STEPS, MigrationError, migrate
from modelcard_spec.spec.migrations.base import KINDS, kept_text
from modelcard_spec.spec.resources import artifact_text, previous_schemas, schema_version

DATA = ROOT / "tests" / "data" / "migrations"
OLD_CARDS = sorted(DATA.glob("*/**/*card.yaml"))
VALID_OLD = [p for p in OLD_CARDS if "invalid" not in p.parts]
INVALID_OLD = [p for p in OLD_CARDS if "invalid" in p.parts]


def run(*args, cwd=ROOT):
    return subprocess.run([sys.executable, "-m", "modelcard_spec.cli", *map(str, args)], cwd=cwd,
                          capture_output=True, text=True, encoding="utf-8")


def load(path: Path) -> dict:
    """A card as the tool reads it (YAML 1.2 core schema, the card loader's limits)."""
    return read_card(path).data


def ident(path: Path) -> str:
    return path.relative_to(DATA).as_posix()


# --------------------------------------------------------------------------- the frozen schemas


def test_every_earlier_version_ships_its_json_schema_with_the_recorded_sha256_and_commit():
    record = yaml.safe_load((ROOT / "schema" / "previous_versions.yaml").read_text(encoding="utf-8"))["versions"]
    shipped = previous_schemas()
    assert [e["version"] for e in record] == list(shipped) == list(KNOWN_VERSIONS[:-1])
    assert KNOWN_VERSIONS[-1] == schema_version() and len(KNOWN_VERSIONS) >= 3
    manifest = json.loads(artifact_text("MANIFEST.json"))["artifacts"]
    for entry in record:
        meta = shipped[entry["version"]]
        data = artifact_text(meta["file"]).encode("utf-8")
        assert hashlib.sha256(data).hexdigest() == entry["sha256"] == meta["sha256"] == manifest[meta["file"]]
        assert meta["commit"] == entry["commit"]
        assert json.loads(data)["$id"].endswith(f"/{entry['version']}/modelcard.schema.json")


def test_the_frozen_schemas_are_the_ones_of_the_recorded_commits():
    for version, meta in previous_schemas().items():
        git = subprocess.run(["git", "-C", str(ROOT), "show",
                              f"{meta['commit']}:src/modelcard_spec/generated/modelcard.schema.json"],
                             capture_output=True)
        if git.returncode != 0:
            pytest.skip("the recorded commits are not in this clone")
        assert git.stdout == artifact_text(meta["file"]).encode("utf-8"), version


def test_the_schema_and_the_record_list_the_same_earlier_versions():
    from modelcard_spec.spec.resources import schema_index

    assert schema_index()["previous_versions"] == list(previous_schemas())


def test_the_steps_chain_every_known_version_to_the_next():
    by_source = {step.SOURCE: step.TARGET for step in STEPS}
    for older, newer in zip(KNOWN_VERSIONS, KNOWN_VERSIONS[1:]):
        assert by_source.get(older) == newer, (older, newer)


def test_every_earlier_version_has_its_example_cards_as_fixtures():
    assert {p.relative_to(DATA).parts[0] for p in VALID_OLD} == set(KNOWN_VERSIONS[:-1])
    readme = (DATA / "README.md").read_text(encoding="utf-8")
    for meta in previous_schemas().values():
        assert meta["commit"] in readme


# --------------------------------------------------------------------------- each step on real cards


def _schema_errors(card: dict, version: str) -> set[str]:
    return {i.path for i in structural.iter_issues(card, version=version if version != schema_version() else None)}


def _missing(changes) -> set[str]:
    return {c.new_path for c in changes if c.kind == "missing"}


@pytest.mark.parametrize("path", VALID_OLD, ids=ident)
def test_each_step_gives_a_card_of_its_target_version(path):
    """Every example of an earlier version migrates step by step; after each step the card conforms
    to the JSON Schema of the step's target version, but for the fields the report says are left
    missing (a new required field the old card cannot supply, never invented)."""
    card = load(path)
    assert not _schema_errors(card, card["schema_version"]), "the fixture conforms to its own version"
    left: set[str] = set()  # left missing by this step or an earlier one
    while card["schema_version"] != schema_version():
        step = next(s for s in STEPS if s.SOURCE == card["schema_version"])
        before = copy.deepcopy(card)
        card, changes = step.apply(card)
        assert card["schema_version"] == step.TARGET
        assert all(c.kind in KINDS and c.reason_en and c.reason_zh for c in changes)
        left |= _missing(changes)
        assert _schema_errors(card, step.TARGET) <= left, step.TARGET
        assert step.apply(before)[0] == card  # deterministic


@pytest.mark.parametrize("path", VALID_OLD, ids=ident)
def test_a_migrated_example_validates_without_structural_errors_but_what_is_reported_missing(path):
    card = load(path)
    original = copy.deepcopy(card)
    new, changes = migrate(card)
    assert card == original  # the input is not changed
    assert new["schema_version"] == schema_version()
    issues = structural.check(new)
    assert not [i for i in issues if i.rule == "schema.version"]
    assert {i.path for i in issues} <= _missing(changes)


def assert_nothing_lost(old: dict, new: dict, changes) -> None:
    """Every leaf value of the old card is in the new card: at the same place, or where the report's
    change for that place (or a place above it) put it, or in the extensions entry it names."""
    moved = {c.path: c for c in changes if c.kind != "missing"}
    for pointer, value in leaves(old):
        place, rest = pointer, ""
        while place and place not in moved:
            place, _, tail = place.rpartition("/")
            rest = f"/{tail}{rest}"
        change = moved.get(place) if place else None
        if change is None:
            assert value_at(new, pointer) == value, pointer
        elif change.kind == "to_extensions":
            entry = value_at(new, change.new_path)
            assert entry["value"] == kept_text(change.old) and entry["name"].endswith(change.path), pointer
            assert value_at(change.old, rest) == value if rest else change.old == value
        elif rest:
            assert value_at(new, change.new_path + rest) == value, pointer
        else:  # the value itself was renamed or converted: the report has both
            assert change.old == value and value_at(new, change.new_path) == change.new, pointer


@pytest.mark.parametrize("path", VALID_OLD, ids=ident)
def test_the_migrated_card_reads_back_as_migrated(path, tmp_path):
    """What migrate writes, read again by the card loader (YAML 1.2), is the migrated card: text that
    YAML 1.2 reads as a number ('1e-5', a hyper-parameter's value) is written in quotes."""
    from modelcard_spec.output.migration_report import card_text

    new, _ = migrate(load(path))
    for form in ("yaml", "json"):
        written = tmp_path / f"card.{form}"
        written.write_text(card_text(new, form), encoding="utf-8")
        assert read_card(written).data == new


@pytest.mark.parametrize("path", OLD_CARDS, ids=ident)
def test_migration_loses_nothing(path):
    """Each step's report maps every leaf of the card before the step into the card after it, so the
    whole chain loses nothing (a step's pointers are those of the card it is given)."""
    card = load(path)
    while card["schema_version"] != schema_version():
        step = next(s for s in STEPS if s.SOURCE == card["schema_version"])
        new, changes = step.apply(card)
        assert_nothing_lost(card, new, changes)
        card = new


# The places the steps read: (class, key, how the value is replaced: the whole value, or a list's entries).
_READ = (("IntendedTask", "body_parts", "entries"), ("InputSpec", "body_parts", "entries"),
         ("IntendedTask", "body_parts", "whole"), ("IntendedTask", "target_population", "whole"),
         ("DataDistribution", "population", "whole"), ("MetricResult", "value", "whole"),
         ("RequirementClaim", "status", "whole"))
# Values that are not text; "curve" also makes the result a curve, whose value the 0.2.0 step moves.
_NOT_TEXT = (None, 7, 2.5, True, False, ["x", 1], {"a": None})


def _replaced(card: dict, replacement, curve: bool) -> dict:
    from modelcard_spec.spec.migrations.base import instances

    card = copy.deepcopy(card)
    for cls, key, how in _READ:
        for _, obj in list(instances(card, card["schema_version"], cls)):
            if cls == "MetricResult" and curve:
                obj["metric"] = "roc_curve"
            if how == "entries":
                obj[key] = [replacement, "lymph node", "Chest", copy.deepcopy(replacement)]
            else:
                obj[key] = copy.deepcopy(replacement)
    return card


def _texts(card) -> list[str]:
    return [v for _, v in leaves(card) if isinstance(v, str)]


@pytest.mark.parametrize("path", OLD_CARDS, ids=ident)
def test_no_step_turns_a_value_into_text_or_loses_it(path):
    """Null, numbers, true/false, lists and mappings at every place a step reads (body parts, populations,
    metric values, claim statuses) keep their type and their value through every step: nothing becomes
    text ("null", "7", "true") but in extensions, where the change says it is kept as its JSON text, and
    nothing is lost (SF6)."""
    original = load(path)
    for replacement in _NOT_TEXT:
        for curve in (False, True):
            card = _replaced(original, replacement, curve)
            while card["schema_version"] != schema_version():
                step = next(s for s in STEPS if s.SOURCE == card["schema_version"])
                new, changes = step.apply(card)
                assert_nothing_lost(card, new, changes)
                for c in changes:
                    if c.kind in ("missing", "version") or isinstance(c.old, str):
                        continue
                    if c.kind == "to_extensions":
                        assert c.old is not None and "JSON text" in c.reason_en, c
                        continue
                    assert type(c.new) is type(c.old) and c.new == c.old, c
                kept = [value_at(new, c.new_path)["value"] for c in changes if c.kind == "to_extensions"]
                made = [t for t in _texts(new) if t not in kept]
                for text in {json.dumps(replacement), str(replacement), json.dumps(replacement, ensure_ascii=False)}:
                    assert made.count(text) <= _texts(card).count(text), (replacement, text, step.SOURCE)
                card = new


def test_the_lossless_check_can_fail():
    old = load(DATA / "0.1.0" / "wdbc-cytology-mlp" / "card.yaml")
    new, changes = migrate(old)
    del new["applicability"]["limitations"][0]
    with pytest.raises(AssertionError):
        assert_nothing_lost(old, new, changes)


@pytest.mark.parametrize("path", INVALID_OLD, ids=ident)
def test_an_invalid_old_card_keeps_its_own_errors_after_migration(path):
    """Migration adds no structural error to an invalid card but at the places it reports missing (an
    error of the old version may go: 0.2.0 made many required fields optional, their requirements'
    fields)."""
    card = load(path)
    before = {i.path for i in structural.iter_issues(card, version=card["schema_version"])}
    new, changes = migrate(card)
    after = {i.path for i in structural.check(new)}
    assert after - before <= _missing(changes)


# --------------------------------------------------------------------------- what each step changes


def test_0_1_0_not_applied_becomes_not_adopted_and_its_reason_is_left_missing():
    card = load(DATA / "0.1.0" / "pathology-foundation-api" / "card.yaml")
    new, changes = migrate(card, to="0.2.0")
    claims = new["conformity"]["requirements"]
    assert [c["status"] for c in claims] == ["not_adopted", "not_adopted"]
    assert all("reason" not in c for c in claims)  # never invented
    assert {"/conformity/requirements/0/reason", "/conformity/requirements/1/reason"} <= _missing(changes)
    assert new["conformity"]["catalogue_version"] == "0.1.0"  # the provider's claim, kept
    renamed = [c for c in changes if c.kind == "renamed"]
    assert renamed[0].old == "not_applied" and renamed[0].new == "not_adopted" and "not_adopted" in renamed[0].reason_zh


@pytest.mark.parametrize("path", VALID_OLD, ids=ident)
def test_the_conformity_claims_catalogue_version_is_kept_and_its_review_is_the_providers_action(path):
    """SF7: migrate moved conformity.catalogue_version to the target, so a claim made against an older
    catalogue claimed requirements nobody reviewed. It is kept, and the report's last change (kind
    "review") tells the provider to review the claim and update it."""
    card = load(path)
    new, changes = migrate(card)
    declared = card["conformity"]["catalogue_version"]
    assert new["conformity"]["catalogue_version"] == declared != schema_version()
    assert not [c for c in changes if c.path == "/conformity/catalogue_version" and c.kind != "review"]
    review = changes[-1]
    assert (review.kind, review.path, review.new_path, review.old, review.new) == (
        "review", "/conformity/catalogue_version", "/conformity/catalogue_version", declared, declared)
    for text in (review.reason_en, review.reason_zh):
        assert declared in text and schema_version() in text and "conformity.catalogue-version" in text
    assert [c.kind for c in migrate(card, to=KNOWN_VERSIONS[KNOWN_VERSIONS.index(card["schema_version"]) + 1])[1]
            ].count("review") == 1


def test_a_card_claiming_the_target_catalogue_or_none_gets_no_review():
    card = load(DATA / "0.2.0" / "wdbc-cytology-mlp" / "card.yaml")
    card["conformity"]["catalogue_version"] = schema_version()
    assert "review" not in {c.kind for c in migrate(card)[1]}
    del card["conformity"]["catalogue_version"]
    new, changes = migrate(card)
    assert "review" not in {c.kind for c in changes} and "catalogue_version" not in new["conformity"]


def test_validate_warns_about_the_older_catalogue_of_a_migrated_card(tmp_path):
    """The migrated CT card (0.1.0) claims against catalogue 0.1.0: validate says so at that line, as a
    warning, and the text report of migrate names the action."""
    folder = tmp_path / "ct"
    shutil.copytree(ROOT / "examples" / "ct-foundation-encoder", folder)
    old = DATA / "0.1.0" / "ct-foundation-encoder" / "card.yaml"
    proc = run("migrate", old, "-o", folder / "card.yaml", "--force")
    assert proc.returncode == 0 and "review /conformity/catalogue_version" in proc.stderr
    zh = run("migrate", old, "--lang", "zh")
    assert "待核对 /conformity/catalogue_version" in zh.stderr
    result = json.loads(run("validate", folder / "card.yaml", "--format", "json").stdout)["results"][0]
    (warning,) = [i for i in result["issues"] if i["rule"] == "conformity.catalogue-version"]
    assert warning["severity"] == "warning" and warning["path"] == "/conformity/catalogue_version"
    assert "0.1.0" in warning["message"] and schema_version() in warning["message"]


def test_0_2_0_case_level_false_positive_rate_and_curve_values():
    card = load(DATA / "0.2.0" / "cxr-classification-backbone" / "card.yaml")
    results = card["applicability"]["transfer_performance"]
    results.append({"metric": "false_positive_rate", "value": 0.07, "dataset": results[0]["dataset"]})
    results.append({"metric": "roc_curve", "value": 0.91, "dataset": results[0]["dataset"]})
    n = len(results)
    new, changes = migrate(card, to="0.3.0")
    out = new["applicability"]["transfer_performance"]
    assert out[n - 2]["metric"] == "case_false_positive_rate" and out[n - 2]["value"] == 0.07
    assert "value" not in out[n - 1]
    kept = [c for c in changes if c.kind == "to_extensions"]
    assert len(kept) == 1 and kept[0].path == f"/applicability/transfer_performance/{n - 1}/value"
    assert value_at(new, kept[0].new_path) == {"name": f"schema 0.2.0 {kept[0].path}", "value": "0.91"}
    assert f"/applicability/transfer_performance/{n - 1}/curve" in _missing(changes)
    assert_nothing_lost(card, new, changes)
    assert _schema_errors(new, "0.3.0") <= _missing(changes)


def test_a_card_at_the_version_asked_for_is_copied_unchanged():
    card = load(ROOT / "examples" / "wdbc-cytology-mlp" / "card.yaml")
    new, changes = migrate(card)
    assert new == card and new is not card and changes == []


# --------------------------------------------------------------------------- refusals and hostile input


@pytest.mark.parametrize("card,needle,path", [
    (["schema_version", "0.1.0"], "not a mapping", ""),
    ("0.1.0", "not a mapping", ""),
    ({"name": "x"}, "has no schema_version", ""),
    ({"schema_version": "9.9.9"}, "'9.9.9' is not a version", "/schema_version"),
    ({"schema_version": 0.1}, "0.1 is not a version", "/schema_version"),
    ({"schema_version": ["0.1.0"]}, "['0.1.0'] is not a version", "/schema_version"),
    ({"schema_version": None}, "None is not a version", "/schema_version"),
    ({"schema_version": "0.1.0", "extensions": {"a": 1}}, "extensions is a mapping, not a list", "/extensions"),
])
def test_a_card_that_cannot_be_migrated_is_a_located_error(card, needle, path):
    with pytest.raises(MigrationError) as caught:
        migrate(card)
    issue = caught.value.issue
    assert issue.rule == "migrate.version" and issue.path == path and needle in issue.message
    assert issue.message_zh and issue.message != issue.message_zh


def test_no_downgrade_and_no_unknown_target():
    card = load(ROOT / "examples" / "wdbc-cytology-mlp" / "card.yaml")
    with pytest.raises(MigrationError) as caught:
        migrate(card, to="0.1.0")
    assert "never migrated to an earlier version" in caught.value.message and "0.1.0" in caught.value.message
    with pytest.raises(MigrationError) as caught:
        migrate(card, to="1.0")
    assert "--to 1.0: not a version" in caught.value.message
    for version in KNOWN_VERSIONS:
        assert version in caught.value.message and version in caught.value.message_zh


def test_a_huge_old_card_migrates_in_linear_time():
    card = load(DATA / "0.2.0" / "wdbc-cytology-mlp" / "card.yaml")
    base = card["applicability"]["transfer_performance"][0]
    card["applicability"]["transfer_performance"] = [
        {**base, "metric": "false_positive_rate" if n % 2 else "roc_curve"} for n in range(20_000)]
    start = time.process_time()
    new, changes = migrate(card)
    assert time.process_time() - start < 10
    assert len(new["extensions"]) == 10_000 and len([c for c in changes if c.kind == "renamed"]) == 10_000


# --------------------------------------------------------------------------- the command line


def test_cli_migrates_to_stdout_with_the_report_on_stderr(tmp_path):
    card = DATA / "0.1.0" / "wdbc-cytology-mlp" / "card.yaml"
    proc = run("migrate", card, "--report", "json")
    assert proc.returncode == 0, proc.stderr
    new = yaml.safe_load(proc.stdout)
    assert new["schema_version"] == schema_version()
    report = json.loads(proc.stderr)
    assert report["from"] == "0.1.0" and report["to"] == schema_version() and report["comments_kept"] is False
    assert all(c["reason"] and c["reason_zh"] for c in report["changes"])
    assert new == migrate(load(card))[0]
    zh = run("migrate", card, "--lang", "zh", "--format", "json", "-o", tmp_path / "new.json",
             "--report-file", tmp_path / "report.txt")
    assert zh.returncode == 0 and zh.stdout == "" and zh.stderr == ""
    assert json.loads((tmp_path / "new.json").read_text(encoding="utf-8")) == new
    text = (tmp_path / "report.txt").read_text(encoding="utf-8")
    assert "已由规范 0.1.0 版迁移至" in text and "YAML 注释不会保留" in text


def test_cli_never_overwrites_the_card(tmp_path):
    card = tmp_path / "card.yaml"
    text = (DATA / "0.2.0" / "wdbc-cytology-mlp" / "card.yaml").read_text(encoding="utf-8")
    card.write_text(text, encoding="utf-8")
    for extra in ((), ("--force",)):
        proc = run("migrate", card, "-o", card, *extra)
        assert proc.returncode == 2 and "input" in proc.stderr
    assert card.read_text(encoding="utf-8") == text


def test_cli_writes_neither_output_when_the_report_file_may_not_be_written(tmp_path):
    """Before: the migrated card was written, then the report refused (the same file, or one that
    exists without --force), leaving half the command's output."""
    card = DATA / "0.2.0" / "wdbc-cytology-mlp" / "card.yaml"
    same = tmp_path / "out.yaml"
    proc = run("migrate", card, "-o", same, "--report-file", same)
    assert proc.returncode == 2 and "is also given as --output" in proc.stderr and "同时也是 --output" in proc.stderr
    assert not same.exists()
    (tmp_path / "sub").mkdir()
    proc = run("migrate", card, "-o", tmp_path / "sub" / ".." / "out.yaml", "--report-file", same, "--force")
    assert proc.returncode == 2 and "is also given as --output" in proc.stderr and not same.exists()
    # names that differ only in case are one file on macOS and Windows: refused everywhere, before writing
    proc = run("migrate", card, "-o", tmp_path / "Out.yaml", "--report-file", same)
    assert proc.returncode == 2 and "only in letter case" in proc.stderr and "仅字母大小写" in proc.stderr
    assert not (tmp_path / "Out.yaml").exists() and not same.exists()
    # folders that differ only in case, and names that differ only in Unicode normalisation (é as one
    # character or as e and a combining accent: one file on macOS)
    (tmp_path / "Sub").mkdir()
    for output, report_file in ((tmp_path / "Sub" / "out.yaml", tmp_path / "sub" / "OUT.yaml"),
                                (tmp_path / "caf\u00e9.yaml", tmp_path / "cafe\u0301.yaml")):
        proc = run("migrate", card, "-o", output, "--report-file", report_file)
        assert proc.returncode == 2 and "only in letter case" in proc.stderr
        assert not output.exists() and not report_file.exists()
    proc = run("migrate", card, "-o", tmp_path / "sub" / "out.yaml", "--report-file", same)  # another folder
    assert proc.returncode == 0 and same.exists() and (tmp_path / "sub" / "out.yaml").exists()
    same.unlink()
    report = tmp_path / "report.txt"
    report.write_text("kept\n", encoding="utf-8")
    proc = run("migrate", card, "-o", tmp_path / "new.yaml", "--report-file", report)
    assert proc.returncode == 2 and "exists" in proc.stderr
    assert not (tmp_path / "new.yaml").exists() and report.read_text(encoding="utf-8") == "kept\n"


@pytest.mark.parametrize("text,needle", [
    ("schema_version: 9.9.9\nname: x\n", "card.yaml:1:1: error: '9.9.9' is not a version"),
    ("name: x\nschema_version: [1, 2]\n", "card.yaml:2:1: error: [1, 2] is not a version"),
    ("name: x\n", "has no schema_version"),
    ("- a\n- b\n", "card.yaml: error:"),
])
def test_cli_refusals_are_located_with_exit_code_2(tmp_path, text, needle):
    card = tmp_path / "card.yaml"
    card.write_text(text, encoding="utf-8")
    proc = run("migrate", card, cwd=tmp_path)
    assert proc.returncode == 2 and proc.stdout == ""
    assert needle in proc.stderr and "错误" in proc.stderr


def test_cli_refuses_a_downgrade(tmp_path):
    proc = run("migrate", ROOT / "examples" / "wdbc-cytology-mlp" / "card.yaml", "--to", "0.2.0")
    assert proc.returncode == 2 and "never migrated to an earlier version" in proc.stderr
    assert ":5:" in proc.stderr  # the schema_version line of the example


def test_python_api_migrates_a_path_or_data():
    import modelcard_spec

    path = DATA / "0.2.0" / "ct-foundation-encoder" / "card.yaml"
    assert modelcard_spec.migrate(path) == modelcard_spec.migrate(load(path))
    assert "migrate" in modelcard_spec.__all__


# --------------------------------------------------------------------------- validate and the version


def test_validate_says_to_migrate_a_card_of_an_earlier_version_and_checks_it_against_that_version():
    proc = run("validate", DATA / "0.1.0" / "wdbc-cytology-mlp" / "card.yaml", "--format", "json")
    result = json.loads(proc.stdout)["results"][0]
    assert proc.returncode == 1
    (issue,) = result["issues"]  # no flood: the version explains the rest
    assert issue["rule"] == "schema.version" and issue["path"] == "/schema_version" and issue["line"] == 5
    assert "modelcard-spec migrate" in issue["message"] and "modelcard-spec migrate" in issue["message_zh"]
    assert not [r for r in result["requirements"] if r["status"] == "conforms"]


def test_an_old_card_is_still_checked_against_its_own_version():
    proc = run("validate", DATA / "0.1.0" / "invalid" / "split-ratio-above-one.card.yaml", "--format", "json")
    issues = json.loads(proc.stdout)["results"][0]["issues"]
    assert {i["rule"] for i in issues} == {"schema.version", "schema.maximum"}


def test_cli_migrates_a_card_at_the_loaders_limits_within_the_hostile_budget(tmp_path):
    from conftest import run_measured

    card = load(DATA / "0.2.0" / "wdbc-cytology-mlp" / "card.yaml")
    card["applicability"]["transfer_performance"] = [
        {"metric": "false_positive_rate" if n % 2 else "roc_curve", "value": 0.5, "dataset": "x"} for n in range(3000)]
    path = tmp_path / "card.yaml"
    path.write_text(yaml.safe_dump(card, allow_unicode=True), encoding="utf-8")
    proc = run_measured(["migrate", path, "-o", tmp_path / "new.yaml", "--report-file", tmp_path / "report.json",
                         "--report", "json"])
    assert proc.returncode == 0 and proc.within_budget(), proc
    report = json.loads((tmp_path / "report.json").read_text(encoding="utf-8"))
    assert report["counts"]["to_extensions"] == 1500 and report["counts"]["renamed"] == 1500
    over = dict(card, extensions=[{"name": str(n), "value": "v"} for n in range(10_000)])
    path.write_text(json.dumps(over), encoding="utf-8")
    proc = run_measured(["migrate", path])
    assert proc.returncode == 2 and "limit" in proc.stderr and proc.within_budget(), proc


def test_a_yaml_alias_is_migrated_and_reported_at_each_place_it_is_used(tmp_path):
    """The loader reads an alias as one object at two places: each place is migrated and reported on
    its own (the second visit of a shared curve result raised KeyError), and no anchor is written."""
    card = tmp_path / "alias.card.yaml"
    card.write_text("schema_version: 0.2.0\napplicability:\n  transfer_performance:\n"
                    "    - &r {metric: roc_curve, value: 0.9}\n    - *r\n", encoding="utf-8")
    proc = run("migrate", card, "--report", "json")
    assert proc.returncode == 0, proc.stderr
    report = json.loads(proc.stderr)
    kept = [c["path"] for c in report["changes"] if c["kind"] == "to_extensions"]
    assert kept == ["/applicability/transfer_performance/0/value", "/applicability/transfer_performance/1/value"]
    assert "&" not in proc.stdout and "*id" not in proc.stdout


def test_a_line_break_in_the_cards_text_cannot_forge_a_line_of_the_report(tmp_path):
    card = tmp_path / "forge.card.yaml"
    card.write_text('schema_version: 0.3.0\napplicability:\n  intended_tasks:\n'
                    '    - {body_parts: ["x\\nconverted /fake: \\"a\\" -> \\"b\\": forged"]}\n', encoding="utf-8")
    proc = run("migrate", card)
    assert proc.returncode == 0, proc.stderr
    assert not any(line.startswith("converted /fake") for line in proc.stderr.splitlines())
