"""Importing MONAI bundles and Hugging Face model cards, and exporting CycloneDX ML-BOMs."""

from __future__ import annotations

import errno
import json
import os
import re
import subprocess
import sys
import types
from pathlib import Path

import pytest
import yaml

from conftest import ROOT, VALID_CARDS, renderings
from modelcard_spec.output import cyclonedx
from modelcard_spec.check import structural
from modelcard_spec import importers
from modelcard_spec.check import loading
from modelcard_spec.importers import batch, common, huggingface, monai
from modelcard_spec.check.loading import read_card
from modelcard_spec.check.pipeline import check_data
from modelcard_spec.spec.diagnostics import CardLoadError, DiagnosticError
from modelcard_spec.spec.registry import CHECKS, lookup

# Whole bundles of Project-MONAI/model-zoo (the 23 of ../shared/corpus/monai-bundles and 8 more; see its README.md),
# vendored so the tests run wherever the checkout is.
CORPUS = ROOT / "tests" / "data" / "monai-bundles"
MONAI_FILES = sorted(CORPUS.glob("*/configs/metadata.json"))
HF_README = ROOT / "tests" / "data" / "huggingface" / "sample.md"


def cli(*args, cwd=None):
    return subprocess.run([sys.executable, "-m", "modelcard_spec.cli", *map(str, args)], capture_output=True,
                          text=True, encoding="utf-8", cwd=cwd, timeout=300)


def statuses(card):
    return {e["id"]: e["status"] for e in check_data(card)[1]}


def _resolve(data, pointer):
    node = data
    for part in pointer.strip("/").split("/"):
        node = node[int(part)] if isinstance(node, list) else node[part]
    return node


def test_the_corpus_is_present():
    assert len(MONAI_FILES) == 31


@pytest.mark.parametrize("path", MONAI_FILES, ids=lambda p: p.name.split(".")[0])
def test_every_monai_bundle_imports_to_a_structurally_valid_card_with_provenance(path):
    card = monai.import_monai(path)  # the metadata alone: nothing says the provider kind
    assert [i.path for i in structural.check(card, card.get("provider_kind")) if i.severity == "error"] == ["/provider_kind"]
    assert card["provenance"] and {p["origin"] for p in card["provenance"]} <= {"imported", "inferred"}
    for p in card["provenance"]:
        _resolve(card, p["pointer"])
    meta = json.loads(path.read_text())
    names = {e["name"] for e in card.get("extensions", [])}
    assert "monai:/changelog" in names  # kept verbatim: it has no release dates or update types
    assert ("monai:/copyright" in names) == bool(meta.get("copyright"))
    assert json.loads(next(e["value"] for e in card["extensions"] if e["name"] == "monai:/changelog")) == meta["changelog"]
    st = statuses(card)
    # no licence in the metadata is a gap, not an invented Apache-2.0 (and a licence given still needs
    # a reviewer to read its restrictions)
    assert st["MCS-GEN-06"] == "incomplete"  # the metadata's "license" ("See license.txt") names none
    # nothing about de-identification (or, without a data source, about datasets at all)
    assert "incomplete" in (st["MCS-SD-02"], st["MCS-SD-05"])


def test_spleen_bundle_values_are_mapped_exactly():
    card = monai.import_monai(CORPUS / "spleen_ct_segmentation" / "configs" / "metadata.json")
    assert card["name"] == "Spleen CT segmentation" and card["version"] == "0.5.9"
    assert card["provider"] == {"name": "MONAI team"}
    assert card["model_nodes"]["input_nodes"] == [{"name": "image", "shape": ["batch", 1, 96, 96, 96], "dtype": "float32"}]
    inp = card["input_output"]["inputs"][0]
    assert inp["modality"] == "ct" and inp["value_range"] == {"minimum": 0, "maximum": 1}
    out = card["input_output"]["outputs"][0]
    assert out["label_map"] == [{"name": "0", "value": "background"}, {"name": "1", "value": "spleen"}]
    assert card["applicability"]["transfer_performance"] == [{"metric": "dice_coefficient", "value": 0.961}]
    software = {s["name"]: s["version"] for s in card["model_framework"]["runtime_environment"]["software"]}
    assert software == {"MONAI": "1.4.0", "PyTorch": "2.4.0", "NumPy": "1.24.4", "nibabel": "5.2.1", "pytorch-ignite": "0.4.11"}
    # the data source has no place without a pre-training task, which the bundle does not state
    assert "source_task_data" not in card
    assert {e["name"]: e["value"] for e in card["extensions"]}["monai:/data_source"] == \
        "Task09_Spleen.tar from http://medicaldecathlon.com/"
    # the intended-use sentence is a use restriction; no licence is named, and none is invented
    assert card["license"] == {"use_restrictions": ["This is an example, not to be used for diagnostic purposes"]}
    st = statuses(card)
    # the nodes are documented (awaiting the comparison with a model file); the network is not named
    assert st["MCS-ND-01"] == "awaiting_evaluation" and st["MCS-FW-01"] == "incomplete"


def test_symbolic_monai_dimensions_follow_the_schema_grammar():
    card = monai.import_monai(CORPUS / "swin_unetr_btcv_segmentation" / "configs" / "metadata.json")
    shapes = [n["shape"] for n in card["model_nodes"]["input_nodes"]]
    meta = json.loads((CORPUS / "swin_unetr_btcv_segmentation" / "configs" / "metadata.json").read_text())
    spatial = meta["network_data_format"]["inputs"]["image"]["spatial_shape"]
    assert shapes[0][2:] == [monai._dim(d) for d in spatial]


def test_huggingface_without_declared_version_and_provider_lacks_them():
    card = huggingface.import_huggingface(HF_README)
    missing = {i.path for i in structural.check(card, None) if i.rule == "schema.required"}
    assert missing == {"/version", "/provider", "/provider_kind"}  # never invented


def test_huggingface_front_matter_and_sections():
    card = huggingface.import_huggingface(HF_README, {"version": "1.0.0", "provider_name": "Example Lab",
                                                    "provider_kind": "open_source"})
    assert card["name"] == "vit-chest-xray-pneumonia"
    assert card["license"] == {"name": "apache-2.0", "spdx_id": "Apache-2.0"}
    assert card["lineage"]["base_model"] == "google/vit-base-patch16-224-in21k"
    assert "relation" not in card["lineage"]  # the sample states no base_model_relation
    results = {r["metric"]: r["value"] for r in card["applicability"]["transfer_performance"]}
    assert results == {"accuracy": 0.9673, "f1_measure": 0.9712}  # loss is not a metric of the vocabulary
    assert card["applicability"]["intended_tasks"][0]["task_type"] == "classification"
    assert "source_task_data" not in card  # datasets kept verbatim: a README states no pre-training task
    assert card["summary"].startswith("A Vision Transformer")
    names = {e["name"] for e in card["extensions"]}
    assert {"huggingface:tags", "huggingface:datasets", "huggingface:section.Training hyperparameters",
            "huggingface:model-index[0].results[0].metrics[2]"} <= names
    assert [i for i in structural.check(card, card.get("provider_kind")) if i.severity == "error"] == []
    st = statuses(card)
    assert st["MCS-GEN-05"] != "nonconforming" and st["MCS-SD-05"] == "incomplete"


def test_import_cli_single_batch_and_errors(tmp_path):
    one = cli("import", "monai", CORPUS / "spleen_ct_segmentation" / "configs" / "metadata.json")
    assert one.returncode == 0 and "requirement(s) with gaps" in one.stderr
    assert yaml.safe_load(one.stdout)["identifier"] == "monai.spleen-ct-segmentation"
    out = tmp_path / "cards"
    batch = cli("import", "monai", CORPUS, "-o", out)
    assert batch.returncode == 0, batch.stderr
    table = [line for line in batch.stdout.splitlines() if line.startswith("| ")]
    assert len(table) == 1 + 31 and "Documented" in table[0]
    assert len(list(out.glob("*.card.yaml"))) == 31
    val = cli("validate", out, "--format", "json")
    results = json.loads(val.stdout)["results"]
    # the provider kind is missing only where no open-source licence states it (four bundles)
    assert {i["path"] for r in results for i in r["issues"] if i["rule"].startswith("schema")} == {"/provider_kind"}
    again = cli("import", "monai", CORPUS, "-o", out)
    assert again.returncode == 2 and "not overwriting" in again.stderr
    bad = tmp_path / "bad.json"
    bad.write_text("[1, 2")
    err = cli("import", "monai", bad)
    assert err.returncode == 2 and "无法导入" in err.stderr and "Traceback" not in err.stderr
    hf = cli("import", "huggingface", HF_README, "-o", tmp_path / "hf.card.yaml")
    assert hf.returncode == 0 and "--provider" in hf.stderr
    hf2 = cli("import", "huggingface", HF_README, "--version", "1.0.0", "--provider", "Example Lab",
              "--provider-kind", "open_source", "-o", tmp_path / "hf2.card.yaml")
    assert hf2.returncode == 0 and "--provider" not in hf2.stderr
    checked = cli("validate", tmp_path / "hf2.card.yaml", "--format", "json")
    issues = json.loads(checked.stdout)["results"][0]["issues"]
    assert checked.returncode == 1 and issues and not any(i["rule"].startswith("schema") for i in issues)


def test_a_batch_names_each_bundle_folder_card_after_its_folder(tmp_path):
    src = tmp_path / "src"
    for name in ("A", "B"):
        (src / name / "configs").mkdir(parents=True)
        (src / name / "configs" / "metadata.json").write_bytes((CORPUS / "spleen_ct_segmentation" / "configs" / "metadata.json").read_bytes())
    (src / "c.metadata.json").write_bytes((CORPUS / "mednist_gan" / "configs" / "metadata.json").read_bytes())
    run = cli("import", "monai", src, "-o", tmp_path / "out")
    assert run.returncode == 0, run.stderr
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["A.card.yaml", "B.card.yaml", "c.card.yaml"]
    assert batch.stem_of(Path("s/X/configs/metadata.json")) == "X" and batch.stem_of(Path("s/Y/README.md")) == "Y"


@pytest.mark.parametrize("stem", ["spleen_ct_segmentation", "A", "脾脏分割 (v2)", "model-1.0+cu118", "_x"])
def test_safe_source_names_are_kept(stem):
    assert batch.safe_stem(stem) == stem


UNSAFE_STEMS = ["\x1b]0;PWNED\x07", "\x1b[31mred", "a\u202eb", "a\u200bb", "a/b", "a\\b", "..", ".hidden", "-rf", "",
                "CON", "nul.tar", "a~b", "x" * 300, "\udcff", "a\nb", "a:b", "a|b", "a*b"]


def test_unsafe_source_names_get_a_safe_injective_output_name():
    names = [batch.safe_stem(s) for s in UNSAFE_STEMS]
    assert len(set(names)) == len(names), names
    for stem, name in zip(UNSAFE_STEMS, names):
        assert name != stem and "~" in name and len(name.encode()) <= batch.MAX_STEM_BYTES + 11, (stem, name)
        assert re.fullmatch(r"[\w .+()-]+~[0-9a-f]{10}", name), (stem, name)
        assert name[0] not in ".-" and not set(name) & set("/\\:*?|<>\"\x00\x1b\n\u202e\u200b"), (stem, name)
    # a kept name never holds "~", so it cannot equal a changed one
    assert batch.safe_stem("a_b~" + names[2].split("~")[1]) != names[2]


def test_a_source_named_with_escape_sequences_gets_a_safe_card_name(tmp_path):
    src = tmp_path / "src"
    src.mkdir()
    raw = (CORPUS / "spleen_ct_segmentation" / "configs" / "metadata.json").read_bytes()
    for stem in ("\x1b]0;PWNED\x07x", ".hidden", "-rf"):
        (src / f"{stem}.json").write_bytes(raw)
    run = cli("import", "monai", src, "-o", tmp_path / "out")
    assert run.returncode == 0, run.stderr
    written = sorted(p.name for p in (tmp_path / "out").iterdir())
    assert written == sorted(f"{batch.safe_stem(s)}.card.yaml" for s in ("\x1b]0;PWNED\x07x", ".hidden", "-rf"))
    assert "\x1b" not in run.stdout + run.stderr and all(n[0].isalnum() or n[0] == "_" for n in written), written


@pytest.mark.parametrize("card", VALID_CARDS, ids=lambda p: p.parent.name)
def test_cyclonedx_export_validates_against_the_1_6_schema(card):
    proc = cli("export", card, "--to", "cyclonedx")
    assert proc.returncode == 0, proc.stderr
    assert cyclonedx.validate(proc.stdout) is None
    bom = json.loads(proc.stdout)
    model = bom["components"][0]
    assert bom["specVersion"] == "1.6" and model["type"] == "machine-learning-model"
    data = read_card(card).data
    assert model["name"] == data["name"] and model["version"] == data["version"]
    metrics = model["modelCard"]["quantitativeAnalysis"]["performanceMetrics"]
    assert len(metrics) == len(data["applicability"]["transfer_performance"])
    assert proc.stdout == cli("export", card, "--to", "cyclonedx").stdout


def test_cyclonedx_validator_rejects_a_broken_bom_and_imported_cards_export():
    text = cyclonedx.to_json(cyclonedx.to_bom(monai.import_monai(MONAI_FILES[0].parent.parent,
                                                                 {"provider_kind": "open_source"})))
    assert cyclonedx.validate(text) is None
    broken = json.loads(text)
    broken["components"][0]["type"] = "neural-network"
    assert cyclonedx.validate(json.dumps(broken)) is not None


def _source(tmp_path, name: str, raw: bytes) -> Path:
    source = tmp_path / name
    source.write_bytes(raw)
    return source


def _fifo(tmp_path) -> Path:
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    return fifo


def _bundle(tmp_path, make) -> Path:
    (tmp_path / "b" / "configs").mkdir(parents=True)
    make(tmp_path / "b" / "configs" / "metadata.json")
    return tmp_path / "b"


def _os_error(tmp_path, monkeypatch) -> None:
    source = _source(tmp_path, "a.metadata.json", b"{}")

    def fstat(fd):
        raise OSError(errno.EIO, "Input/output error")
    with monkeypatch.context() as patched:  # os.fstat is everyone's: patched for the import only
        patched.setattr(common.os, "fstat", fstat)
        importers.import_source("monai", source)


def _grew(tmp_path, monkeypatch) -> None:
    source = _source(tmp_path, "a.metadata.json", b'{"name": "a model"}')
    monkeypatch.setattr(loading, "MAX_BYTES", 10)
    with monkeypatch.context() as patched:  # the size it had when asked
        patched.setattr(common.os, "fstat", lambda fd: types.SimpleNamespace(st_size=5))
        importers.import_source("monai", source)


def _read_fails(tmp_path, monkeypatch) -> None:
    def read(path, declared, folder, notes):
        raise OSError(errno.EIO, "Input/output error")
    monkeypatch.setitem(importers.IMPORTERS, "monai", importers.Importer(read, monai.sources, lambda folder: []))
    importers.import_source("monai", tmp_path)


def _duplicate(tmp_path, monkeypatch) -> None:
    folder, out = tmp_path / "src", tmp_path / "out"
    folder.mkdir()
    out.mkdir()
    for name in ("a.json", "a.metadata.json"):
        (folder / name).write_bytes((CORPUS / "spleen_ct_segmentation" / "configs" / "metadata.json").read_bytes())
    results = list(batch.import_folder("monai", folder, out))
    assert results[0].coverage and results[0].card == out / "a.card.yaml" and results[1].coverage is None
    error = results[1].not_written
    assert error.where == str(out / "a.card.yaml")
    raise error


def _raise(error):
    raise error


def _monai(tmp_path, name, raw):
    return lambda: importers.import_source("monai", _source(tmp_path, name, raw))


def _hf(tmp_path, front: bytes):
    return lambda: importers.import_source("huggingface", _source(tmp_path, "README.md", b"---\n" + front + b"---\n# M\n"))


# (case, check, English, Chinese): every refusal of a source, each wording of each import.* check
REFUSALS = [
    ("missing", "import.no-source", "no such file or folder", "文件或文件夹不存在"),
    ("special", "import.no-source", "not a regular file or folder", "不是普通文件或文件夹"),
    ("not-regular", "import.unreadable", "not a regular file", "不是普通文件"),
    ("os-error", "import.unreadable", "cannot read the file: Input/output error", "无法读取文件：Input/output error"),
    ("source-os-error", "import.unreadable", "cannot read the source: Input/output error",
     "无法读取来源：Input/output error"),
    ("in-folder", "import.unreadable", "configs/metadata.json is not a regular file (a FIFO, device or socket)",
     "configs/metadata.json 不是普通文件（而是命名管道、设备或套接字）"),
    ("outside", "import.outside-folder",
     "configs/metadata.json leads outside the folder given: a file found in a source folder is read only if its "
     "real location, after symbolic links, lies inside that folder",
     "configs/metadata.json 指向所给文件夹之外：来源文件夹中的文件，仅当其实际位置（解析符号链接后）位于该文件夹内时才会读取"),
    ("file", "import.too-large", "the file is 19 bytes, over this tool's limit for a source file (10 bytes)",
     "文件大小为 19 字节，超过本工具对来源文件的上限（10 字节）"),
    ("grew", "import.too-large", "the file is larger than this tool's limit for a source file (10 bytes)",
     "文件超过本工具对来源文件的上限（10 字节）"),
    ("values", "import.too-large",
     "the MONAI metadata holds more than 5,000 values (aliases expanded); model descriptions hold a few hundred",
     "MONAI 元数据含有超过 5,000 个值（别名已展开）；模型描述通常只有几百个值"),
    ("characters", "import.too-large", "the YAML front matter expands to more than 10 characters (aliases are limited)",
     "YAML 前置元数据展开后超过 10 个字符（别名展开受限）"),
    ("unplaced", "import.too-large",
     "the source holds more than 1,000 values that have no place in a model card (they would be kept in "
     "extensions); it is not a model description this importer can use",
     "来源中有超过 1,000 个值在模型卡中没有对应位置（这些值将保留在 extensions 中）；该来源不是本导入工具可用的模型描述"),
    ("empty", "import.empty", "the file is empty", "文件为空"),
    ("unlocated", "import.unparsable", "the YAML front matter: invalid YAML: a parser's words",
     "YAML 前置元数据：YAML 语法错误：a parser's words"),
    ("line", "import.unparsable",
     "the file, line 1: the file contains a NUL byte at offset 2; it is binary, not a text card",
     "文件第 1 行：文件在偏移 2 处含有 NUL 字节，是二进制文件而非文本模型卡"),
    ("line-column", "import.unparsable", "the YAML front matter, line 3, column 1: duplicate key 'license'",
     "YAML 前置元数据第 3 行第 1 列：重复的键“license”"),
    ("surrogate", "import.not-unicode",
     "the MONAI metadata holds a lone surrogate (\\ud800-\\udfff), which is not Unicode text",
     "MONAI 元数据含有孤立的 UTF-16 代理项（\\ud800-\\udfff），不是有效的 Unicode 文本"),
    ("front-matter", "import.not-a-mapping", "the YAML front matter is not a mapping", "YAML 前置元数据不是映射"),
    ("json-list", "import.not-a-mapping", "MONAI metadata must be a JSON object, not a list",
     "MONAI 元数据应为 JSON 对象，而不是列表"),
    ("json-scalar", "import.not-a-mapping", "MONAI metadata must be a JSON object, not a single value",
     "MONAI 元数据应为 JSON 对象，而不是单个值"),
    ("not-a-bundle", "import.not-a-bundle", "no configs/metadata.json in the bundle folder",
     "MONAI 模型包文件夹中没有 configs/metadata.json"),
    ("duplicate", "import.duplicate-name",
     "is also the card of an earlier source; the card imported from {src}/a.metadata.json was not written",
     "也是此前某一来源的模型卡；由 {src}/a.metadata.json 导入的模型卡未写入"),
]


def _refuse(case: str, tmp_path, monkeypatch):
    """Run what makes the refusal ``case``."""
    if case in ("file", "characters"):
        monkeypatch.setattr(loading, "MAX_BYTES", 10)
    run = {
        "missing": lambda: importers.is_single("monai", tmp_path / "nothing"),
        "special": lambda: importers.is_single("monai", _fifo(tmp_path)),
        "not-regular": lambda: importers.import_source("monai", _fifo(tmp_path)),
        "os-error": lambda: _os_error(tmp_path, monkeypatch),
        "source-os-error": lambda: _read_fails(tmp_path, monkeypatch),
        "in-folder": lambda: importers.import_source("monai", _bundle(tmp_path, os.mkfifo)),
        "outside": lambda: importers.import_source("monai", _bundle(tmp_path, lambda p: p.symlink_to(CORPUS / MONAI_FILES[0]))),
        "file": _monai(tmp_path, "a.metadata.json", b'{"name": "a model"}'),
        "grew": lambda: _grew(tmp_path, monkeypatch),
        "values": _monai(tmp_path, "a.metadata.json", json.dumps({"x": list(range(6_000))}).encode()),
        # the loader's limits on text come first; the importer's check stands behind them
        "characters": lambda: common._check_bounds({"a": "x" * 20}, "the YAML front matter", "YAML 前置元数据"),
        "unplaced": _monai(tmp_path, "a.metadata.json", json.dumps({f"key{i}": i for i in range(1_200)}).encode()),
        "empty": _monai(tmp_path, "a.metadata.json", b" \n"),
        "unlocated": lambda: _raise(common._located(CardLoadError("load.syntax", "yaml", detail="a parser's words"),
                                                    "the YAML front matter", "YAML 前置元数据", 2)),
        "line": _monai(tmp_path, "a.metadata.json", b'{"\x00'),
        "line-column": _hf(tmp_path, b"license: mit\nlicense: x\n"),
        "surrogate": lambda: common._check_bounds({"name": "\ud800"}, "the MONAI metadata", "MONAI 元数据"),
        "front-matter": _hf(tmp_path, b"- a\n"),
        "json-list": _monai(tmp_path, "a.metadata.json", b"[1]"),
        "json-scalar": _monai(tmp_path, "a.metadata.json", b"1"),
        "not-a-bundle": lambda: importers.import_source("monai", (tmp_path / "empty").mkdir() or tmp_path / "empty"),
        "duplicate": lambda: _duplicate(tmp_path, monkeypatch),
    }[case]
    with pytest.raises(DiagnosticError) as caught:
        run()
    return caught.value


@pytest.mark.parametrize("case, check_id, en, zh", REFUSALS, ids=[c[0] for c in REFUSALS])
def test_every_refusal_is_a_registered_diagnostic_rendered_from_its_parameters(tmp_path, monkeypatch, case, check_id, en, zh):
    """Each refusal is the diagnostic of a registered command check; its two messages are the
    check's templates filled with the refusal's parameters (numbers as numbers)."""
    error = _refuse(case, tmp_path, monkeypatch)
    assert isinstance(error, importers.SourceError) == (case != "duplicate")
    issue = error.issue
    src = tmp_path / "src"
    assert (issue.rule, issue.message, issue.message_zh) == (check_id, en.format(src=src), zh.format(src=src))
    check = lookup(check_id)
    assert check.scope == "command" and check.severity == "error"
    assert (issue.message, issue.message_zh) in renderings(check, issue.params)
    for name in ("size", "limit", "line_number", "column_number"):
        assert name not in (issue.params or {}) or type(issue.params[name]) is int, (name, issue.params)
    if case == "line-column":
        assert (issue.line, issue.column) == (3, 1) and issue.params["cause"] == "load.duplicate-key"


def test_every_wording_of_the_import_checks_is_reached():
    """The cases above reach every template of every import.* check that refuses a source (the notes
    an import goes on after are reached by tests/test_import_common.py)."""
    wordings = {(c.id, variant) for c in CHECKS.values() if c.id.startswith("import.") and c.severity == "error"
                for variant in c.messages}
    reached = set()
    for _, check_id, en, zh in REFUSALS:
        for variant in lookup(check_id).messages:
            reached |= {(check_id, variant)} if _matches(lookup(check_id).messages[variant][0], en) else set()
    assert reached == wordings


def _matches(template: str, text: str) -> bool:
    pattern = re.escape(template)
    pattern = re.sub(r"\\\{[a-z_]+(?::,)?\\\}", ".+", pattern)
    return re.fullmatch(pattern, text.replace("{src}", "SRC")) is not None


def test_the_import_summary_in_both_languages():
    from modelcard_spec.output import import_summary as summary

    assert summary.refused("the file is empty", "文件为空") == ("cannot import: the file is empty", "无法导入：文件为空")
    assert summary.not_given([]) == []
    assert summary.not_given(["/version", "/provider"]) == [
        "the source does not give /version, /provider: declare them with --version or --provider, "
        "or add them to the card",
        "来源未提供 /version, /provider：请用 --version 或 --provider 声明，或在模型卡中补充"]
    # only the options that declare what is missing are named
    assert summary.not_given(["/provider_kind"]) == [
        "the source does not give /provider_kind: declare it with --provider-kind, or add it to the card",
        "来源未提供 /provider_kind：请用 --provider-kind 声明，或在模型卡中补充"]
    assert summary.not_given(["/version", "/provider", "/provider_kind"])[1] == \
        "来源未提供 /version, /provider, /provider_kind：请用 --version、--provider 或 --provider-kind 声明，或在模型卡中补充"
    assert summary.not_given(["/name"]) == ["the source does not give /name: add it to the card",
                                            "来源未提供 /name：请在模型卡中补充"]
    # options are offered only for what they declare; the rest goes into the card
    assert summary.not_given(["/identifier", "/version"]) == [
        "the source does not give /identifier, /version: declare /version with --version, and add /identifier to the card",
        "来源未提供 /identifier, /version：请用 --version 声明 /version，并在模型卡中补充 /identifier"]
    assert summary.gaps(["MCS-GEN-01", "MCS-FW-01"], "en") == \
        "imported; 2 requirement(s) with gaps (see modelcard-spec report): MCS-GEN-01, MCS-FW-01"
    assert summary.gaps([], "zh") == "导入完成：0 项要求存在缺口（详见 modelcard-spec report）："
    card = monai.import_monai(CORPUS / "spleen_ct_segmentation" / "configs" / "metadata.json")
    cells = batch.coverage(card)[0]
    for lang, first, note in (("en", "| Source | General |", "Each cell: "), ("zh", "| 来源 | 通用 |", "每格：")):
        table = summary.coverage_table([("spleen", cells)], lang).splitlines()
        # documented (every field there, every automated check passed) of in scope: 7 of 63
        assert table[0].startswith(first) and table[2].startswith("| spleen | ") and table[2].endswith(" | 8% |")
        assert table[3] == "" and table[4].startswith(note) and len(table) == 5


def test_batch_import_says_in_chinese_which_source_was_not_written(tmp_path):
    folder = tmp_path / "sources"
    folder.mkdir()
    meta = (CORPUS / "spleen_ct_segmentation" / "configs" / "metadata.json").read_bytes()
    (folder / "a.json").write_bytes(meta)
    (folder / "a.metadata.json").write_bytes(meta)  # the same stem, so the same card file
    out = tmp_path / "cards"
    proc = cli("import", "monai", folder, "-o", out)
    target, second = out / "a.card.yaml", folder / "a.metadata.json"
    assert proc.returncode == 2 and [p.name for p in out.iterdir()] == ["a.card.yaml"]
    assert (f"{target}: error: is also the card of an earlier source; the card imported from {second} was not written"
            in proc.stderr.splitlines())
    assert f"{target}: 错误：也是此前某一来源的模型卡；由 {second} 导入的模型卡未写入" in proc.stderr.splitlines()


def test_import_points_to_the_report_in_chinese(tmp_path):
    proc = cli("import", "monai", CORPUS / "spleen_ct_segmentation" / "configs" / "metadata.json", "--lang", "zh",
               "-o", tmp_path / "c.card.yaml")
    assert proc.returncode == 0 and "项要求存在缺口（详见 modelcard-spec report）：" in proc.stderr
    hf = cli("import", "huggingface", HF_README, "-o", tmp_path / "hf.card.yaml")
    assert "或在模型卡中补充" in hf.stderr and "卡片" not in hf.stderr


def test_provider_kind_is_checked_against_the_schema(tmp_path):
    """The choices were typed out in cli.py; they are the schema's provider_kind values now."""
    source = "tests/data/monai-bundles/spleen_ct_segmentation/configs/metadata.json"
    bad = cli("import", "monai", ROOT / source, "--provider-kind", "vendor", cwd=tmp_path)
    assert bad.returncode == 2 and "--provider-kind must be one of manufacturer, open_source" in bad.stderr
    assert "--provider-kind 应为以下之一：manufacturer、open_source" in bad.stderr
    assert set(importers.provider_kinds()) == {"manufacturer", "third_party_supplier", "third_party_service_platform",
                                                 "open_source"}
    good = cli("import", "monai", ROOT / source, "--provider-kind", "open_source", "--version", "1", "--provider", "X",
               cwd=tmp_path)
    assert good.returncode == 0 and "provider_kind: open_source" in good.stdout, good.stderr


def test_every_source_format_the_command_line_offers_has_one_importer():
    from modelcard_spec.cli import build_parser

    sub = next(a for a in build_parser()._actions if a.choices and "import" in a.choices)
    kind = next(a for a in sub.choices["import"]._actions if a.dest == "kind")
    assert set(kind.choices) == set(importers.KINDS)
    assert all(importers.IMPORTERS[k].read.__name__ == f"import_{k}" for k in importers.KINDS)


def test_imported_cards_and_the_card_template_declare_the_catalogue_s_standard():
    """The standard was "YY/T 1833.5" in imported cards and "YY/T 1833.5-2024" in the template."""
    from modelcard_spec.output.init_card import render_template
    from modelcard_spec.spec.resources import catalogue_data

    standard = catalogue_data()["standard"]
    assert standard == "YY/T 1833.5-2024"
    assert monai.import_monai(MONAI_FILES[0])["conformity"]["standard"] == standard
    assert huggingface.import_huggingface(HF_README)["conformity"]["standard"] == standard
    for lang in ("en", "zh"):
        assert yaml.safe_load(render_template(lang))["conformity"]["standard"] == standard


def test_the_values_and_fields_the_importers_write_are_the_schema_s():
    """What the mapping tables give is a value of the field's enum, and every constant pointer an
    importer writes to is a field (a value out of its enum would be moved to extensions unseen)."""
    import ast

    from modelcard_spec.spec import catalogue
    from modelcard_spec.spec.resources import schema_index

    def enum(path):
        slot = catalogue.field_slot(path)
        assert slot is not None and slot["kind"] == "enum", path
        return set(schema_index()["enums"][slot["range"]]["values"])

    tables = [(monai.MODALITY_WORDS.values(), "input_output.inputs[].modality"),
              ((t for _, t in monai.TASK_WORDS), "applicability.intended_tasks[].task_type"),
              (monai.OUTPUT_SEMANTICS, "input_output.outputs[].semantics"),
              (huggingface.PIPELINE_TASKS.values(), "applicability.intended_tasks[].task_type"),
              (huggingface.RELATIONS.values(), "lineage.relation")]
    for values, path in tables:
        assert set(values) <= enum(path), path
    puts = 0
    for module in (monai, huggingface):
        for node in ast.walk(ast.parse(Path(module.__file__).read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and getattr(node.func, "attr", None) == "put" \
                    and isinstance(node.args[0], ast.Constant):
                path = catalogue.template_of(node.args[0].value.replace("/-", "/0"))  # "-": appended
                slot = catalogue.field_slot(path)
                assert slot is not None, (module.__name__, path)
                value = node.args[1]
                if slot["kind"] == "enum" and isinstance(value, ast.Constant):
                    assert value.value in enum(path), (module.__name__, path, value.value)
                puts += 1
    assert puts > 15
