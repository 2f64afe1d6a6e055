"""Verdicts a regulator can trust: each status means one thing, scores an opt-out cannot raise,
explicit statements for conditions, placeholders from the schema, the assessor's record and the
verification result, and reports that say what they are."""

from __future__ import annotations

import copy
import html
import json
import shutil
import subprocess
import sys

import pytest
import yaml

from conftest import EXAMPLES, ROOT
from modelcard_spec.check import conformity
from modelcard_spec.check.pipeline import check_data
from modelcard_spec.spec.resources import schema_index, schema_version

WDBC = EXAMPLES / "wdbc-cytology-mlp"
CT = EXAMPLES / "ct-foundation-encoder"
MODEL = WDBC / "model" / "wdbc_cytology_mlp_1.0.0.onnx"


def run(*args, cwd=ROOT):
    return subprocess.run([sys.executable, "-m", "modelcard_spec.cli", *args], cwd=cwd,
                          capture_output=True, text=True, encoding="utf-8")


def load(card=WDBC / "card.yaml") -> dict:
    return yaml.safe_load(card.read_text(encoding="utf-8"))


def statuses(data: dict) -> dict[str, dict]:
    return {e["id"]: e for e in check_data(data)[1]}


def write(tmp_path, data: dict, name: str = "card.yaml"):
    """``data`` as a card beside a copy of the WDBC example's evidence."""
    folder = tmp_path / "wdbc"
    if not folder.exists():
        shutil.copytree(WDBC, folder)
    path = folder / name
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


# --------------------------------------------------------------------------- statuses


def test_the_statuses_are_the_schemas_verdicts_in_its_order():
    values = schema_index()["enums"]["Verdict"]["values"]
    assert set(conformity.STATUSES) == set(values) == {
        "conforms", "awaiting_evaluation", "incomplete", "nonconforming", "not_claimed", "not_adopted", "not_applicable"}
    assert conformity.STATUSES[0] == "conforms" and conformity.STATUSES[-1] == "not_applicable"


def test_not_adopted_is_not_not_applicable_and_lowers_adoption_not_raises_it():
    data = load()
    before = conformity.summary(check_data(data)[1])
    data["conformity"]["requirements"].append({"requirement": "MCS-GEN-06", "status": "not_adopted",
                                               "reason": "provider_choice",
                                               "justification": "The licence is negotiated per customer."})
    entries = statuses(data)
    assert entries["MCS-GEN-06"]["status"] == "not_adopted"
    assert entries["MCS-GEN-06"]["reason"] == "provider_choice"
    after = conformity.summary(list(entries.values()))
    assert after["adoption"] < before["adoption"]
    # the three scores are shown together: what an opt-out gains in one, adoption loses
    assert after["counts"]["adopted"] == before["counts"]["adopted"] - 1
    assert after["totals"]["not_applicable"] == before["totals"]["not_applicable"]


def test_opting_out_everything_does_not_score_100_percent():
    data = load()
    data["conformity"]["requirements"] = [
        {"requirement": r, "status": "not_adopted", "reason": "information_unavailable",
         "justification": "Not documented by the publisher of the model."}
        for r in ("MCS-GEN-02", "MCS-GEN-06", "MCS-FW-01", "MCS-FW-03", "MCS-PA-01", "MCS-TR-05")]
    summary = conformity.summary(check_data(data)[1])
    assert summary["adoption"] < 1.0
    assert summary["evaluated"] < 0.5


def test_a_share_of_nothing_is_not_one_hundred_percent():
    summary = conformity.summary([{"id": "MCS-GEN-01", "status": "not_applicable"}])
    assert summary["adoption"] is None and summary["documentation"] is None and summary["evaluated"] is None


def test_not_adopted_needs_a_reason_and_a_justification_in_either_language(tmp_path):
    data = load()
    data["conformity"]["requirements"].append({"requirement": "MCS-GEN-06", "status": "not_adopted"})
    proc = run("validate", str(write(tmp_path, data)), "--format", "json")
    rules = {i["rule"] for i in json.loads(proc.stdout)["results"][0]["issues"]}
    assert proc.returncode == 1
    assert "conformity.justification" in rules  # no justification at all
    assert any(r.startswith("schema") for r in rules)  # the schema requires the reason
    data["conformity"]["requirements"][-1] = {"requirement": "MCS-GEN-06", "status": "not_adopted",
                                              "reason": "provider_choice", "justification_zh": "许可协议按客户单独协商。"}
    proc = run("validate", str(write(tmp_path, data)), "--format", "json")
    assert proc.returncode == 0, proc.stdout


def test_removing_a_conditional_block_makes_it_incomplete_and_a_statement_makes_it_not_applicable():
    data = load(CT / "card.yaml")
    assert statuses(data)["MCS-TR-02"]["status"] in ("conforms", "awaiting_evaluation")
    del data["training_process"]["augmentations"]
    entry = statuses(data)["MCS-TR-02"]
    assert entry["status"] == "incomplete"
    issues = [i for i in check_data(data)[0] if i.rule == "conformity.condition-unstated"]
    assert [i.path for i in issues] == ["/training_process/augmentations"]
    assert "augmentation_performed" in issues[0].message and "augmentation_performed" in issues[0].message_zh
    data["training_process"]["augmentation_performed"] = False
    entry = statuses(data)["MCS-TR-02"]
    assert entry["status"] == "not_applicable"
    assert "does not hold" in entry["justification"] and "不成立" in entry["justification_zh"]


def test_annotation_left_out_of_a_supervised_dataset_is_incomplete_not_inapplicable():
    data = load(CT / "card.yaml")
    assert statuses(data)["MCS-SD-07"]["status"] == "not_applicable"  # every dataset says annotated: false
    del data["source_task_data"]["datasets"][0]["annotated"]
    assert statuses(data)["MCS-SD-07"]["status"] == "incomplete"
    found = [(i.path, i.requirement) for i in check_data(data)[0] if i.rule == "conformity.condition-unstated"]
    # the two requirements that depend on whether the dataset was annotated: annotation, annotation software
    assert sorted(found) == [("/source_task_data/datasets/0", "MCS-SD-07"), ("/source_task_data/datasets/0", "MCS-SD-13")]


def test_a_document_review_requirement_awaits_a_reviewer():
    entries = statuses(load())
    for rid in ("MCS-FW-07", "MCS-TR-05", "MCS-EX-02"):
        if rid in entries and entries[rid]["status"] not in ("not_adopted", "not_applicable"):
            assert entries[rid]["status"] == "awaiting_evaluation", (rid, entries[rid])
            assert "document_review" in entries[rid]["pending"]
    assert entries["MCS-IO-05"]["status"] == "awaiting_evaluation"  # never run
    assert entries["MCS-IO-05"]["pending"] == ["reproduction_run"]


def test_only_automated_requirements_conform_without_anything_else():
    by_id = {r.id: r for r in conformity.catalogue.requirements()}
    for rid, entry in statuses(load()).items():
        if entry["status"] == "conforms":
            assert set(by_id[rid].evaluation_methods) == {"automated_check"}, rid


@pytest.mark.parametrize("value", ["   ", "TBD", "unknown", "N/A", "待定", "不详。"])
def test_a_placeholder_is_not_a_value(value):
    data = load()
    data["model_framework"]["selection_rationale"] = value
    rid = "MCS-FW-07"
    entry = statuses(data)[rid]
    assert entry["status"] == "incomplete", entry
    issue = next(i for i in check_data(data)[0] if i.requirement == rid and i.rule == "conformity.missing-field")
    assert "placeholder" in issue.message and "占位值" in issue.message_zh


def test_every_placeholder_text_comes_from_the_schema():
    texts = [v["annotations"]["text"] for v in schema_index()["enums"]["PlaceholderText"]["values"].values()]
    assert "待定" in texts and "unknown" in texts
    from modelcard_spec.spec.catalogue import placeholder

    assert all(placeholder(t) is not None for t in texts)
    assert placeholder("Pre-trained on 4,000 chest CTs") is None


def test_a_check_not_done_is_a_placeholder_where_the_requirement_needs_it():
    data = load()
    data["source_task_data"]["datasets"][0]["benchmark_overlap"] = {"checked": False}
    assert statuses(data)["MCS-SD-09"]["status"] == "incomplete"


def test_a_recommended_requirement_with_every_field_missing_is_incomplete():
    data = load()
    data["training_process"].pop("curves", None)
    data["training_process"].pop("model_selection", None)
    entries = statuses(data)
    assert entries["MCS-TR-05"]["status"] == "incomplete"


def test_pickle_safe_loading_does_not_conform_on_a_card_with_no_weight_files():
    data = load()
    data["model_parameters"].pop("weight_files")
    assert statuses(data)["MCS-PA-06"]["status"] == "incomplete"
    data = load()
    assert statuses(data)["MCS-PA-06"]["status"] == "not_applicable"  # the card's one file is ONNX


def test_a_kind_specific_requirement_says_it_is_claimed_automatically():
    data = load(EXAMPLES / "pathology-foundation-api" / "card.yaml")
    data["conformity"]["claim_all"] = False
    entries = statuses(data)
    auto = [rid for rid, e in entries.items() if e.get("claimed_automatically")]
    assert auto, "the platform card has platform-only requirements"
    data["service_platform"].pop("service_name", None)
    issue = next(i for i in check_data(data)[0] if i.rule == "conformity.missing-field"
                 and i.path == "/service_platform/service_name")
    assert "claimed automatically" in issue.message and "自动视为声明采用" in issue.message_zh
    assert "not_adopted" in issue.message


def test_a_missing_section_is_reported_once_per_requirement_at_the_section(tmp_path):
    data = load()
    del data["training_process"]
    proc = run("validate", str(write(tmp_path, data)), "--format", "json")
    issues = [i for i in json.loads(proc.stdout)["results"][0]["issues"] if i["path"].startswith("/training_process")]
    assert {i["path"] for i in issues} == {"/training_process"}
    reqs = [i["requirement"] for i in issues]
    assert len(reqs) == len(set(reqs))
    assert all("section" in i["message"] for i in issues if i["rule"] == "conformity.missing-field")


def test_facts_known_can_be_recorded_without_the_ones_unknown(tmp_path):
    data = load()
    data["model_parameters"] = {"precision": "fp32", "compression": {"methods": ["none"]}}
    data["conformity"]["requirements"].append({"requirement": "MCS-PA-01", "status": "not_adopted",
                                               "reason": "information_unavailable",
                                               "justification": "The parameter count of the delivered model is not known."})
    proc = run("validate", str(write(tmp_path, data)), "--format", "json")
    issues = json.loads(proc.stdout)["results"][0]["issues"]
    assert not [i for i in issues if i["path"] == "/model_parameters/total_parameters"]


# --------------------------------------------------------------------------- schema 0.1.0 cards


def test_a_card_for_schema_0_1_0_says_to_migrate_and_migrate_says_what_to_change(tmp_path):
    """The 0.1.0 WDBC example (tests/data/migrations): validate says to migrate it; migrated, its
    not_applied claims are not_adopted and validate reports each missing reason at its place."""
    old = ROOT / "tests" / "data" / "migrations" / "0.1.0" / "wdbc-cytology-mlp" / "card.yaml"
    proc = run("validate", str(old), "--format", "json")
    issues = json.loads(proc.stdout)["results"][0]["issues"]
    (version,) = [i for i in issues if i["rule"] == "schema.version"]
    assert "migrate" in version["message"] and "迁移" in version["message_zh"]
    assert not [i for i in issues if i["path"].endswith("/status")]  # not_applied is right at 0.1.0
    new = tmp_path / "wdbc" / "card.yaml"
    shutil.copytree(WDBC, new.parent)
    new.unlink()
    assert run("migrate", str(old), "-o", str(new)).returncode == 0
    issues = json.loads(run("validate", str(new), "--format", "json").stdout)["results"][0]["issues"]
    assert not [i for i in issues if i["rule"] == "schema.version"]
    reasons = [i for i in issues if i["path"].endswith("/reason")]
    assert [i["path"] for i in reasons] == ["/conformity/requirements/0/reason", "/conformity/requirements/1/reason"]


# --------------------------------------------------------------------------- records and reports


@pytest.fixture
def verification(tmp_path):
    pytest.importorskip("onnxruntime")
    out = tmp_path / "verification.json"
    proc = run("verify", str(WDBC / "card.yaml"), "--model", str(MODEL), "--no-save", "--result", str(out))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return out


def worksheet(tmp_path, *extra) -> dict:
    out = tmp_path / "worksheet.yaml"
    proc = run("assess", "init", str(WDBC / "card.yaml"), "-o", str(out), *extra)
    assert proc.returncode == 0, proc.stderr
    return yaml.safe_load(out.read_text(encoding="utf-8"))


def filled(tmp_path, verdicts: dict[str, str], *extra):
    record = worksheet(tmp_path, *extra)
    record["assessor"] = {"name": "Li Ming", "organisation": "Example Testing Laboratory", "role": "lead assessor",
                          "accreditation": "CNAS L0000 (example)"}
    record["assessed_on"] = "2026-11-30"
    for review in record["reviews"]:
        if review["requirement"] in verdicts:
            review["verdict"] = verdicts[review["requirement"]]
    path = tmp_path / "assessment.yaml"
    path.write_text(yaml.safe_dump(record, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def report_json(*args) -> tuple[int, dict]:
    proc = run("report", str(WDBC / "card.yaml"), "--format", "json", *args)
    return proc.returncode, json.loads(proc.stdout) if proc.stdout.startswith("{") else proc.stderr


def test_the_worksheet_lists_every_requirement_awaiting_evaluation(tmp_path):
    record = worksheet(tmp_path)
    _, rep = report_json()
    awaiting = [r["id"] for r in rep["requirements"] if r["status"] == "awaiting_evaluation"]
    assert [r["requirement"] for r in record["reviews"]] == awaiting
    assert all("verdict" not in r for r in record["reviews"])


def test_an_unfilled_worksheet_is_refused_with_its_place(tmp_path):
    worksheet(tmp_path)
    proc = run("report", str(WDBC / "card.yaml"), "--assessment", str(tmp_path / "worksheet.yaml"))
    assert proc.returncode == 2
    assert "assessed_on" in proc.stderr and "审核记录" in proc.stderr


def test_a_reviewers_verdict_completes_a_document_review(tmp_path):
    path = filled(tmp_path, {"MCS-FW-07": "conforms", "MCS-GEN-06": "nonconforming"})
    code, rep = report_json("--assessment", str(path))
    by_id = {r["id"]: r for r in rep["requirements"]}
    assert by_id["MCS-FW-07"]["status"] == "conforms"
    assert by_id["MCS-FW-07"]["performed"] == ["document_review"]
    assert by_id["MCS-GEN-06"]["status"] == "nonconforming"
    assert code == 1  # a requirement the reviewer found nonconforming fails the report
    assert rep["header"]["assessment"]["assessor"] == "Li Ming"


def test_a_reviewers_verdict_never_hides_a_failed_automated_check(tmp_path):
    path = filled(tmp_path, {"MCS-FW-07": "conforms"})
    data = load()
    data["model_framework"]["selection_rationale"] = "TBD"
    card = write(tmp_path, data)
    record = yaml.safe_load(path.read_text(encoding="utf-8"))
    import hashlib

    record["card"]["sha256"] = hashlib.sha256(card.read_bytes()).hexdigest()
    path.write_text(yaml.safe_dump(record, allow_unicode=True), encoding="utf-8")
    proc = run("report", str(card), "--assessment", str(path), "--format", "json")
    by_id = {r["id"]: r for r in json.loads(proc.stdout)["requirements"]}
    assert by_id["MCS-FW-07"]["status"] == "incomplete"
    assert by_id["MCS-FW-07"]["review"]["verdict"] == "conforms"  # shown, not applied over the gap


def test_an_assessment_for_another_card_is_refused_naming_both_digests(tmp_path):
    path = filled(tmp_path, {"MCS-FW-07": "conforms"})
    other = tmp_path / "other"
    other.mkdir()
    text = (WDBC / "card.yaml").read_text(encoding="utf-8") + "# edited\n"
    (other / "card.yaml").write_text(text, encoding="utf-8")
    proc = run("report", str(other / "card.yaml"), "--assessment", str(path))
    assert proc.returncode == 2
    recorded = yaml.safe_load(path.read_text(encoding="utf-8"))["card"]["sha256"]
    import hashlib

    actual = hashlib.sha256(text.encode("utf-8")).hexdigest()
    assert recorded in proc.stderr and actual in proc.stderr
    assert proc.stderr.count(actual) == 2  # both languages


def test_model_comparison_and_reproduction_run_complete_their_requirements(tmp_path, verification):
    code, rep = report_json("--model", str(MODEL), "--verification", str(verification))
    by_id = {r["id"]: r for r in rep["requirements"]}
    assert by_id["MCS-IO-05"]["status"] == "conforms" and by_id["MCS-IO-05"]["performed"] == ["reproduction_run"]
    assert by_id["MCS-PA-01"]["status"] == "conforms"
    assert "model_file_verification" in by_id["MCS-PA-01"]["performed"]
    # what the comparison does not look at stays awaiting it
    assert by_id["MCS-FW-04"]["status"] == "awaiting_evaluation"
    assert rep["header"]["models"][0]["name"] == MODEL.name
    code_without, rep_without = report_json()
    assert {r["id"]: r for r in rep_without["requirements"]}["MCS-IO-05"]["status"] == "awaiting_evaluation"


def test_a_verification_result_for_another_model_is_refused(tmp_path, verification):
    other = tmp_path / "other.onnx"
    other.write_bytes(MODEL.read_bytes() + b"\0")
    proc = run("report", str(WDBC / "card.yaml"), "--model", str(other), "--verification", str(verification))
    assert proc.returncode == 2 and "other.onnx" in proc.stderr


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_reports_say_what_they_are(lang, tmp_path):
    for fmt in ("md", "html"):
        proc = run("report", str(WDBC / "card.yaml"), "--format", fmt, "--lang", lang)
        text = html.unescape(proc.stdout) if fmt == "html" else proc.stdout
        if lang == "zh":
            assert f"要求目录 {schema_version()}" in text and "并非该标准的条款原文" in text and "不是对标准本身的符合性声明" in text
            assert "| 标准 |" not in text
        else:
            assert f"requirement catalogue {schema_version()}" in text and "not the standard's clause text" in text
            assert "does not state conformity with the standard itself" in text
            assert "| Standard |" not in text
        first_screen = text[: text.index("Requirements awaiting" if lang == "en" else "待评价的要求")]
        assert "MCS-SD-07" in first_screen and "MCS-EX-03" in first_screen  # the not adopted ones, first


def test_the_report_is_byte_identical_across_runs(tmp_path):
    path = filled(tmp_path, {"MCS-FW-07": "conforms"})
    one = run("report", str(WDBC / "card.yaml"), "--assessment", str(path), "--format", "html").stdout
    two = run("report", str(WDBC / "card.yaml"), "--assessment", str(path), "--format", "html").stdout
    assert one == two and "Li Ming" in one


def test_requirements_markdown_carries_the_catalogues_note():
    proc = run("requirements", "--format", "md")
    assert "kit's own wording" in proc.stdout
    proc = run("requirements", "--format", "md", "--lang", "zh")
    assert "本工具包自己的表述" in proc.stdout


def test_evaluation_records_are_untrusted(tmp_path):
    for text in ("- not a mapping\n", "schema_version: [\n", "a: &a [*a, *a]\n" * 1):
        bad = tmp_path / "bad.yaml"
        bad.write_text(text, encoding="utf-8")
        proc = run("report", str(WDBC / "card.yaml"), "--assessment", str(bad))
        assert proc.returncode == 2 and "Traceback" not in proc.stderr, proc.stderr
    record = copy.deepcopy(worksheet(tmp_path))
    record["assessor"] = {"name": "\u202eevil\nname", "organisation": "Lab"}
    record["assessed_on"] = "2026-11-30"
    record["reviews"][0]["verdict"] = "conforms"
    record["reviews"][0]["notes"] = "| injected | row |\n# heading <script>alert(1)</script>"
    path = tmp_path / "a.yaml"
    path.write_text(yaml.safe_dump(record, allow_unicode=True), encoding="utf-8")
    md = run("report", str(WDBC / "card.yaml"), "--assessment", str(path)).stdout
    assert "\u202e" not in md and "<script>" not in md and "\n# heading" not in md


def test_a_metric_says_which_split_it_was_measured_on_and_the_report_says_so():
    data = load(CT / "card.yaml")
    data["applicability"]["transfer_performance"][0]["split"] = "tuning"
    issues = [i for i in check_data(data)[0] if i.rule == "metric.split"]
    assert len(issues) == 1 and issues[0].requirement == "MCS-AP-03" and issues[0].severity == "warning"
    assert "not an independent estimate" in issues[0].message and "调优集" in issues[0].message_zh
    data["applicability"]["transfer_performance"][0]["split"] = "test"
    assert not [i for i in check_data(data)[0] if i.rule == "metric.split"]


def test_sarif_carries_each_cards_verdicts_and_scores():
    proc = run("validate", str(WDBC / "card.yaml"), "--format", "sarif")
    conf = json.loads(proc.stdout)["runs"][0]["properties"]["conformity"]
    assert len(conf) == 1 and set(conf[0]["verdicts"].values()) <= set(conformity.STATUSES)
    assert conf[0]["verdicts"]["MCS-SD-07"] == "not_adopted" and conf[0]["adoption"] < 1


def test_an_unfilled_template_reports_each_gap_once(tmp_path):
    card = tmp_path / "card.yaml"
    assert run("init", "-o", str(card)).returncode == 0
    issues = json.loads(run("validate", str(card), "--format", "json").stdout)["results"][0]["issues"]
    assert len(issues) < 100, len(issues)
    keys = [(i["path"], i["requirement"], i["rule"]) for i in issues]
    assert len(keys) == len(set(keys))  # one diagnostic per place, requirement and check
    sections = [i for i in issues if i.get("params", {}).get("section")]
    assert sections and all("missing or empty" in i["message"] for i in sections)


# --------------------------------------------------------------------------- a record cannot claim more than was done


def _forged(tmp_path, verification, change) -> str:
    data = json.loads(verification.read_text(encoding="utf-8"))
    change(data)
    path = tmp_path / "forged.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    return str(path)


@pytest.mark.parametrize("change,needle", [
    (lambda d: d["requirements"].append("MCS-AP-03"), "MCS-AP-03"),          # verify does not evaluate it
    (lambda d: d["model"].update(sha256="0" * 64), "0" * 64),               # a model the card does not list
    (lambda d: d["examples"][0].update(pointer="/nowhere"), "/nowhere"),    # an example the card does not have
])
def test_a_verification_result_cannot_claim_more_than_the_run(tmp_path, verification, change, needle):
    proc = run("report", str(WDBC / "card.yaml"), "--verification", _forged(tmp_path, verification, change))
    assert proc.returncode == 2 and needle in proc.stderr and "复现运行结果" in proc.stderr, proc.stderr


def test_a_model_file_the_card_does_not_list_verifies_nothing():
    other = ROOT / "tests" / "data" / "models" / "tiny_cnn_state_dict.pt"
    code, rep = report_json("--model", str(other))
    by_id = {r["id"]: r for r in rep["requirements"]}
    assert by_id["MCS-PA-03"]["status"] == "nonconforming"  # model.unlisted
    for rid in ("MCS-PA-01", "MCS-PA-02"):
        assert "model_file_verification" not in by_id[rid].get("performed", []), by_id[rid]


def test_pickle_weights_without_a_safe_loading_statement_are_incomplete():
    data = load(EXAMPLES / "cxr-classification-backbone" / "card.yaml")
    entry = next(w for w in data["model_parameters"]["weight_files"] if w.get("format") in ("pt", "pth", "bin"))
    entry.pop("safe_loading", None)
    assert statuses(data)["MCS-PA-06"]["status"] == "incomplete"
    entry["format"] = "other"  # "other" does not say the file is not pickle-based: its statement is asked for
    assert statuses(data)["MCS-PA-06"]["status"] == "incomplete"


def test_a_dataset_stated_to_be_annotated_needs_its_annotation():
    data = load(CT / "card.yaml")
    data["source_task_data"]["datasets"][0]["annotated"] = True
    entry = statuses(data)["MCS-SD-07"]
    assert entry["status"] == "incomplete"
    assert any(i.rule == "conformity.missing-field" and i.path.startswith("/source_task_data/datasets/0/annotation")
               for i in check_data(data)[0])


def test_a_condition_stated_to_hold_asks_for_the_block_not_for_a_statement():
    data = load()
    data["training_process"]["augmentation_performed"] = True
    issues = [i for i in check_data(data)[0] if i.requirement == "MCS-TR-02"]
    assert {i.rule for i in issues} == {"conformity.missing-field"}
    assert sorted(i.path for i in issues) == ["/training_process/augmentation_comparison", "/training_process/augmentations"]
    assert statuses(data)["MCS-TR-02"]["status"] == "incomplete"


def test_a_placeholder_does_not_justify_not_adopting():
    data = load()
    data["conformity"]["requirements"][0].update(justification="To be determined.")
    data["conformity"]["requirements"][0].pop("justification_zh")
    assert [i for i in check_data(data)[0] if i.rule == "conformity.justification"]


def test_a_review_claiming_a_model_comparison_needs_the_model_files(tmp_path):
    path = filled(tmp_path, {"MCS-FW-07": "conforms"})
    record = yaml.safe_load(path.read_text(encoding="utf-8"))
    record["model_files"] = []
    review = next(r for r in record["reviews"] if r["requirement"] == "MCS-FW-07")
    review["methods"] = ["model_file_verification"]
    path.write_text(yaml.safe_dump(record, allow_unicode=True), encoding="utf-8")
    proc = run("report", str(WDBC / "card.yaml"), "--assessment", str(path))
    assert proc.returncode == 2 and "MCS-FW-07" in proc.stderr
    review["methods"] = []
    path.write_text(yaml.safe_dump(record, allow_unicode=True), encoding="utf-8")
    proc = run("report", str(WDBC / "card.yaml"), "--assessment", str(path))
    assert proc.returncode == 2 and "method" in proc.stderr


def test_a_review_of_a_requirement_not_adopted_is_shown_as_not_taken_into_account(tmp_path):
    record = worksheet(tmp_path)
    record["assessor"] = {"name": "Li Ming", "organisation": "Lab"}
    record["assessed_on"] = "2026-11-30"
    record["reviews"].append({"requirement": "MCS-EX-03", "methods": ["document_review"], "verdict": "conforms"})
    path = tmp_path / "a.yaml"
    path.write_text(yaml.safe_dump(record, allow_unicode=True), encoding="utf-8")
    code, rep = report_json("--assessment", str(path))
    assert {r["id"]: r for r in rep["requirements"]}["MCS-EX-03"]["status"] == "not_adopted"
    md = run("report", str(WDBC / "card.yaml"), "--assessment", str(path)).stdout
    assert "not taken into account" in md


def test_an_unreadable_record_is_named_not_the_card(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_bytes(b"a: &a [1]\nb: *a\nc: [\n")
    proc = run("report", str(WDBC / "card.yaml"), "--assessment", str(bad))
    assert proc.returncode == 2 and proc.stderr.startswith(str(bad)) and "审核记录" in proc.stderr


def test_a_hostile_digest_in_a_record_is_not_echoed_whole(tmp_path):
    record = yaml.safe_load((WDBC / "assessment.yaml").read_text(encoding="utf-8"))
    record["card"]["sha256"] = "a" * 1_000_000
    path = tmp_path / "a.yaml"
    path.write_text(yaml.safe_dump(record, allow_unicode=True), encoding="utf-8")
    for command in (("export", str(WDBC / "card.yaml")), ("report", str(WDBC / "card.yaml"))):
        proc = run(*command, "--assessment", str(path))
        assert proc.returncode == 2 and len(proc.stderr) < 5000, (command, len(proc.stderr))


def test_the_shipped_records_are_about_the_shipped_card():
    code, rep = report_json("--model", str(MODEL), "--verification", str(WDBC / "verification.json"),
                            "--assessment", str(WDBC / "assessment.yaml"))
    by_id = {r["id"]: r for r in rep["requirements"]}
    assert code == 0 and by_id["MCS-IO-05"]["status"] == "conforms" and by_id["MCS-FW-07"]["status"] == "conforms"


def test_the_report_names_who_assessed_and_what_they_examined(tmp_path):
    path = filled(tmp_path, {"MCS-FW-07": "conforms"})
    record = yaml.safe_load(path.read_text(encoding="utf-8"))
    review = next(r for r in record["reviews"] if r["requirement"] == "MCS-FW-07")
    review["evidence_examined"] = [{"path": "evidence/training_curves.json", "sha256": "a" * 64}]
    path.write_text(yaml.safe_dump(record, allow_unicode=True), encoding="utf-8")
    for fmt in ("md", "html"):
        text = html.unescape(run("report", str(WDBC / "card.yaml"), "--assessment", str(path), "--format", fmt).stdout)
        assert "lead assessor" in text and "CNAS L0000 (example)" in text
        assert "evidence/training_curves.json" in text.replace("\\", "") and "a" * 64 in text


def test_a_record_dated_in_the_future_is_refused(tmp_path):
    path = filled(tmp_path, {"MCS-FW-07": "conforms"})
    record = yaml.safe_load(path.read_text(encoding="utf-8"))
    record["assessed_on"] = "2999-01-01"
    path.write_text(yaml.safe_dump(record, allow_unicode=True), encoding="utf-8")
    proc = run("report", str(WDBC / "card.yaml"), "--assessment", str(path))
    assert proc.returncode == 2 and "2999-01-01" in proc.stderr and "晚于今天" in proc.stderr
