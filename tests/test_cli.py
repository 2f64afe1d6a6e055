"""The command line as a user types it: commands, formats, exit codes."""

from __future__ import annotations

import json
import re
import subprocess
import sys

import pytest
import yaml

from conftest import EXAMPLES, INVALID_CARDS, ROOT, VALID_CARDS
from modelcard_spec import __version__
from modelcard_spec.spec.resources import artifact_text, schema_version


def run(*args, cwd=ROOT):
    return subprocess.run([sys.executable, "-m", "modelcard_spec.cli", *args], cwd=cwd,
                          capture_output=True, text=True, encoding="utf-8")


def _help_texts(parser) -> dict[str, str]:
    """Each command's help text, nested commands' (kg load) too, by command path."""
    import argparse

    texts, todo = {}, [((), parser)]
    while todo:
        path, current = todo.pop()
        texts[" ".join(path)] = current.format_help()
        for action in current._actions:
            if isinstance(action, argparse._SubParsersAction):
                todo += [((*path, name), sub) for name, sub in action.choices.items()]
    return texts


def test_the_parser_built_for_one_command_is_the_whole_parser_for_that_command():
    """main builds only the parser of the command it runs (a cold start costs less; before, every
    command's parser was built, 51 of argparse's message lookups for one validate): the usage, help and
    arguments of that command, and the usage line above an error, which lists every command, are
    those of the whole parser."""
    from modelcard_spec.cli import _SUBCOMMANDS, build_parser

    whole = _help_texts(build_parser())
    assert set(whole) > set(_SUBCOMMANDS)
    for name in _SUBCOMMANDS:
        parser = build_parser(name)
        built = _help_texts(parser)
        assert parser.format_usage() == build_parser().format_usage()
        assert "validate,report," in parser.format_usage()
        mine = {path: text for path, text in whole.items() if path == name or path.startswith(name + " ")}
        assert mine and {path: text for path, text in built.items() if path} == mine, name


@pytest.mark.parametrize("columns", [None, "", "wide", "0", "-4", "52", "131"])
def test_the_help_is_written_in_the_width_argparse_itself_would_use(monkeypatch, columns):
    """The parsers' formatter finds the width without importing shutil; every help text and usage
    line reads as argparse's own formatter writes it, whatever $COLUMNS says (standard output is not
    a terminal here: the fallback, 80, unless $COLUMNS is a positive number)."""
    import argparse
    import shutil

    from modelcard_spec import cli

    if columns is None:
        monkeypatch.delenv("COLUMNS", raising=False)
    else:
        monkeypatch.setenv("COLUMNS", columns)
    assert cli._columns() == shutil.get_terminal_size().columns
    ours = _help_texts(cli.build_parser())
    parser = cli.build_parser()
    todo = [parser]
    while todo:  # every parser and subparser with argparse's own formatter
        current = todo.pop()
        current.formatter_class = argparse.HelpFormatter
        todo += [sub for action in current._actions if isinstance(action, argparse._SubParsersAction)
                 for sub in action.choices.values()]
    assert _help_texts(parser) == ours
    assert parser.format_usage() == cli.build_parser().format_usage()


def test_usage_errors_read_the_same_whatever_the_parser_built():
    """An argument the command does not know is reported by the top parser, under its usage line."""
    for args in (["validate", "card.yaml", "--bogus"], ["requirements", "--bogus"], ["bogus"], []):
        proc = run(*args)
        assert proc.returncode == 2
        assert "{validate,report,fit,assess," in proc.stderr, args
    proc = run("validate", "card.yaml", "--bogus")
    assert "error: unrecognized arguments: --bogus" in proc.stderr and "无法识别的参数：--bogus" in proc.stderr
    assert "invalid choice: 'bogus'" in run("bogus").stderr and "argument command:" in run("bogus").stderr


def test_version():
    proc = run("--version")
    assert proc.returncode == 0 and proc.stdout.strip() == f"modelcard-spec {__version__}"


def test_validate_exit_codes_and_json_shape(tmp_path):
    # (the CT example carries a warning by design: its 1.1.0 entry contradicts its own update criteria)
    ok = run("validate", str(EXAMPLES / "cxr-classification-backbone" / "card.yaml"), "--format", "json")
    assert ok.returncode == 0, ok.stdout
    data = json.loads(ok.stdout)
    assert data["tool"] == {"name": "modelcard-spec", "version": __version__}
    assert data["schema_version"] == schema_version()
    assert data["results"][0]["valid"] is True and data["results"][0]["issues"] == []

    bad = run("validate", str(INVALID_CARDS[0]), "--format", "json")
    assert bad.returncode == 1
    issue = json.loads(bad.stdout)["results"][0]["issues"][0]
    assert set(issue) >= {"severity", "requirement", "path", "rule", "message", "message_zh"}

    missing = run("validate", str(tmp_path / "nope.yaml"))
    assert missing.returncode == 2 and "no such file" in missing.stdout
    usage = run("validate", "--format", "xml", str(VALID_CARDS[0]))
    assert usage.returncode == 2 and "Traceback" not in usage.stderr


def test_validate_folder_and_glob_and_chinese_output():
    folder = run("validate", str(EXAMPLES / "invalid"), "--lang", "zh")
    assert folder.returncode == 1
    assert f"共检查 {len(INVALID_CARDS)} 张模型卡：0 张通过" in folder.stdout
    glob = run("validate", str(EXAMPLES / "*" / "card.yaml"))
    assert glob.returncode == 0 and f"{len(VALID_CARDS)} card(s) checked" in glob.stdout


def test_text_output_is_located_like_a_compiler():
    proc = run("validate", str(EXAMPLES / "invalid" / "parameter-count-as-text.card.yaml"))
    line = proc.stdout.splitlines()[0]
    assert line.startswith(f"{EXAMPLES / 'invalid' / 'parameter-count-as-text.card.yaml'}:11:3: error schema.type [MCS-PA-01]")
    assert "(at /model_parameters/total_parameters)" in line


def test_requirements_json_covers_every_area_with_what_reviewers_need():
    proc = run("requirements", "--format", "json")
    data = json.loads(proc.stdout)
    areas = {a["id"] for a in data["areas"]}
    assert {"model_framework", "model_nodes", "model_parameters", "input_output", "explainability",
            "source_task_data", "training_process", "applicability"} <= areas
    for req in data["requirements"]:
        assert req["title"] and req["title_zh"] and req["evaluation_methods"] and req["sources"]
        assert req.get("fields") or req.get("related_fields")


def test_requirements_markdown_in_both_languages():
    en = run("requirements", "--format", "md").stdout
    zh = run("requirements", "--format", "md", "--lang", "zh").stdout
    assert "### MCS-TR-04 — Splits pairwise disjoint, verified" in en
    assert "### MCS-TR-04 — 各子集两两无交集并经查重验证" in zh
    assert "`training_process.data_splits.disjoint`" in en


@pytest.mark.parametrize("fmt,key", [("json-schema", "json-schema"), ("shacl", "shacl"), ("owl", "owl"),
                                     ("jsonld-context", "jsonld-context")])
def test_schema_prints_the_shipped_artifact(fmt, key):
    proc = run("schema", "--format", fmt)
    assert proc.returncode == 0 and proc.stdout == artifact_text(key)


@pytest.mark.parametrize("lang,needle", [("en", "# Schema version:"), ("zh", "# 规范版本:")])
def test_init_writes_a_commented_template_that_parses(lang, needle, tmp_path):
    target = tmp_path / "card.yaml"
    assert run("init", "--lang", lang, "-o", str(target)).returncode == 0
    text = target.read_text(encoding="utf-8")
    assert needle in text
    data = yaml.safe_load(text)
    assert data["schema_version"] == schema_version() and data["conformity"]["claim_all"] is True
    assert {"model_framework", "source_task_data", "applicability", "conformity"} <= set(data)
    again = run("init", "-o", str(target))
    assert again.returncode == 2 and target.read_text(encoding="utf-8") == text
    assert "--force" in again.stderr and "已存在" in again.stderr
    target.write_text("edited\n", encoding="utf-8")
    forced = run("init", "--lang", lang, "-o", str(target), "--force")
    assert forced.returncode == 0 and target.read_text(encoding="utf-8") == text


@pytest.mark.parametrize("command", ["report", "render", "export", "import", "init", "verify"])
def test_every_command_that_writes_a_file_offers_force(command):
    assert "--force" in run(command, "--help").stdout


def _usage_error_cases(tmp_path):
    card = str(VALID_CARDS[0])
    empty = tmp_path / "sources"
    empty.mkdir()
    return {
        "max-bytes": (["validate", card, "--max-bytes", "0"],
                      "--max-bytes must be a positive number of bytes", "--max-bytes 应为正的字节数"),
        "model-cards": (["validate", card, card, "--model", card],
                        "--model compares one card with its model files; give exactly one CARD",
                        "--model 用于将一张模型卡与其模型文件比对；请只给出一个 CARD"),
        "model-missing": (["validate", card, "--model", "nope.onnx"],
                          "--model nope.onnx: no such file", "--model nope.onnx：文件不存在"),
        "output-dir": (["verify", card, "--model", card, "-o", str(VALID_CARDS[0].parent)],
                       "--output-dir must not be the card's own folder or its evidence folder",
                       "--output-dir 不应为模型卡所在文件夹或其证据文件夹"),
        "import-folder": (["import", "monai", str(empty)], "a folder of sources needs -o OUTPUT_FOLDER for the cards",
                          "导入来源文件夹时应用 -o OUTPUT_FOLDER 指定模型卡的输出文件夹"),
        "cyclonedx": (["export", card, str(VALID_CARDS[1]), "--to", "cyclonedx"],
                      "--to cyclonedx exports one card; give exactly one CARD",
                      "--to cyclonedx 只导出一张模型卡；请只给出一个 CARD"),
        "token-env": (["kg", "push", card, "--endpoint", "http://127.0.0.1:9/store", "--token-env", "MCS_TEST_UNSET"],
                      "--token-env MCS_TEST_UNSET: the variable is not set", "--token-env MCS_TEST_UNSET：该环境变量未设置"),
    }


@pytest.mark.parametrize("case", ["max-bytes", "model-cards", "model-missing", "output-dir", "import-folder",
                                  "cyclonedx", "token-env"])
def test_the_tools_own_usage_errors_are_in_english_and_in_chinese(tmp_path, monkeypatch, case):
    monkeypatch.delenv("MCS_TEST_UNSET", raising=False)
    args, en, zh = _usage_error_cases(tmp_path)[case]
    proc = run(*args, cwd=tmp_path)
    lines = proc.stderr.splitlines()
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert lines[-2] == f"modelcard-spec: error: {en}" and lines[-1] == f"modelcard-spec: 错误：{zh}"
    chinese = lines[-1].split("错误：", 1)[1]
    assert re.search("[\u4e00-\u9fff]", chinese) and en not in chinese


@pytest.mark.parametrize("args,en,zh", [
    (("validate", "--format", "xml", "CARD"), "argument --format: invalid choice: 'xml' (choose from 'text', 'json', 'sarif', 'markdown')",
     "参数 --format：无效的取值 'xml'（可选值：'text', 'json', 'sarif', 'markdown'）"),
    (("validate",), "the following arguments are required: CARD", "缺少必需的参数：CARD"),
    (("validate", "--jobs", "x", "CARD"), "argument --jobs: invalid int value: 'x'", "参数 --jobs：无效的整数值 'x'"),
    (("validate", "CARD", "--max-bytes"), "argument --max-bytes: expected one argument", "参数 --max-bytes：应给出一个值"),
    (("report", "CARD", "OTHER"), "unrecognized arguments: OTHER", "无法识别的参数：OTHER"),
])
def test_argparse_usage_errors_are_said_in_chinese_too(args, en, zh):
    """argparse words its errors in English; the Chinese line says the same in Chinese (it printed
    the English text under the Chinese label)."""
    proc = run(*args)
    lines = proc.stderr.splitlines()
    prog = "modelcard-spec" if args[0] == "report" else f"modelcard-spec {args[0]}"
    assert proc.returncode == 2 and lines[-2:] == [f"{prog}: error: {en}", f"{prog}: 错误：{zh}"]


def test_an_argparse_error_of_an_unknown_form_is_marked_as_english():
    from modelcard_spec.cli import _argparse_issue

    issue = _argparse_issue("something new")
    assert issue.message == "something new" and issue.message_zh == "命令行用法错误（argparse 的英文原文）：something new"


def test_a_folder_without_a_card_file_is_an_error_not_a_pass(tmp_path):
    """A folder whose files are not named as cards (a.yaml, not a.card.yaml) checks nothing: that is
    said, with exit 2, as for a pattern that matches no file."""
    (tmp_path / "a.yaml").write_text("schema_version: 0.4.0\n", encoding="utf-8")
    for lang, words in (("en", "holds no card file"), ("zh", "没有模型卡文件")):
        proc = run("validate", str(tmp_path), "--lang", lang)
        assert proc.returncode == 2 and "load.no-match" in proc.stdout and words in proc.stdout, proc.stdout
