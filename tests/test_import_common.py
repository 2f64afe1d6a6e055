"""The card under construction that every importer shares (importers/common.py): each value with its
origin and its place in the source, objects placed item by item, what the schema rejects kept as the
source gave it, and the notes an import goes on after."""

from __future__ import annotations

from modelcard_spec.check import structural
from modelcard_spec.importers.common import Card
from modelcard_spec.spec.registry import lookup


def _card(notes=None) -> Card:
    card = Card("metadata.json", "ab" * 32, notes, "monai")
    card.put("/name", "A model", key="/name")
    card.put("/identifier", "monai.a-model", key="/name")
    return card


def _spec(name, semantics=None):
    return {"node": name, **({"semantics": semantics} if semantics else {})}


def test_every_value_has_its_origin_and_its_place_in_the_source():
    card = _card()
    other = card.source("inference.json", b"{}")
    card.put("/model_framework/architecture_name", "UNet", key="/network_def/_target_", source=other)
    card.infer("/model_nodes/input_nodes", [{"name": "image", "shape": ["batch", 1, 96]}], "monai.batch-first",
               key="/network_data_format/inputs/image")
    card.put("/model_nodes/output_nodes", [{"name": "pred"}], key="/network_data_format/outputs")
    prov = {e["pointer"]: e for e in card.finish()["provenance"]}
    assert prov["/name"] == {"pointer": "/name", "origin": "imported", "source_key": "/name",
                             "source": prov["/name"]["source"], "source_sha256": "ab" * 32}
    arch = prov["/model_framework/architecture_name"]
    assert arch["source"].endswith(", inference.json") and arch["source_key"] == "/network_def/_target_"
    assert arch["source_sha256"] == "44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a"
    nodes = prov["/model_nodes/input_nodes"]
    assert nodes["origin"] == "inferred" and nodes["rule"] == "monai.batch-first"


def test_one_item_the_schema_rejects_leaves_its_siblings_and_is_kept_as_the_source_gave_it():
    notes: list = []
    card = _card(notes)
    sources = {"image": {"format": "hounsfield"}, "label": {"format": "no such format"}, "mask": {"format": "x"}}
    card.place("/input_output/inputs/-", {"node": "image", "modality": "ct"}, "/inputs/image", {"modality": "CT"})
    card.place("/input_output/outputs/-", _spec("pred", "image"), "/outputs/pred", sources["image"])
    card.place("/input_output/outputs/-", {"node": "bad", "semantics": "not-a-semantics"}, "/outputs/bad",
               sources["label"])
    card.place("/input_output/outputs/-", _spec("mask", "segmentation_logits"), "/outputs/mask", sources["mask"])
    data = card.finish()
    assert [o["node"] for o in data["input_output"]["outputs"]] == ["pred", "mask"]
    assert {"name": "monai:/outputs/bad", "value": '{"format": "no such format"}'} in data["extensions"]
    prov = {e["pointer"]: e["source_key"] for e in data["provenance"]}
    # the item after the one taken out moved up, and so did its provenance
    assert prov["/input_output/outputs/0"] == "/outputs/pred" and prov["/input_output/outputs/1"] == "/outputs/mask"
    assert "/input_output/outputs/2" not in prov
    assert not [i for i in structural.check(data, None) if i.severity == "error" and i.path.startswith("/input_output")]
    [note] = [n for n in notes if n.rule == "import.unplaced"]
    assert note.params == {"key": "/outputs/bad", "name": "monai:/outputs/bad", "at": "/input_output/outputs/1"}
    assert note.severity == "info"
    assert lookup("import.unplaced").scope == "command"


def test_kept_values_are_verbatim_and_never_cut():
    card = _card()
    long_text = "word " * 5000
    card.keep("huggingface:section.Evaluation", long_text)
    card.keep("monai:eval_metrics", {"b": 1, "a": [0.5, "x"]})
    ext = {e["name"]: e["value"] for e in card.finish()["extensions"]}
    assert ext["huggingface:section.Evaluation"] == long_text
    assert ext["monai:eval_metrics"] == '{"b": 1, "a": [0.5, "x"]}'  # the source's key order


def test_what_cannot_be_read_is_reported_in_both_languages():
    notes: list = []
    card = _card(notes)
    card.unread("LICENSE", "no such file", "文件不存在")
    card.finish()
    [note] = notes
    assert (note.rule, note.severity) == ("import.unread", "warning")
    assert note.message == "LICENSE was not read: no such file" and note.message_zh == "未读取 LICENSE：文件不存在"
    card.unread("docs/data_license.txt")
    assert (notes[-1].message, notes[-1].message_zh) == (
        "docs/data_license.txt was not read: there is no such file in the source folder",
        "未读取 docs/data_license.txt：来源文件夹中没有该文件")


def test_import_says_what_it_placed_kept_and_could_not_read(tmp_path):
    """After the card, import prints on standard error the notes it went on after, one line on what
    it placed, kept and could not read, and the names it kept in extensions, in the language asked."""
    import subprocess
    import sys

    source = tmp_path / "m.metadata.json"
    source.write_text('{"name": "A model", "version": "1.0", "copyright": "Copyright (c) X", "odd": [1, 2]}',
                      encoding="utf-8")
    for lang, done, kept in (("en", "filled ", "kept verbatim in extensions: "),
                             ("zh", "依据来源填写了模型卡的 ", "原样保留在 extensions 中的内容：")):
        run = subprocess.run([sys.executable, "-m", "modelcard_spec.cli", "import", "monai", str(source), "--lang", lang],
                             capture_output=True, text=True, cwd=tmp_path)
        assert run.returncode == 0, run.stderr
        lines = run.stderr.splitlines()
        [line] = [x for x in lines if x.startswith(done)]
        assert ("2 个值原样保留" if lang == "zh" else "kept 2 value(s) verbatim") in line
        [names] = [x for x in lines if x.startswith(kept)]
        assert "monai:/copyright" in names and "monai:/odd" in names


def _outputs_card(notes):
    card = _card(notes)
    card.place("/input_output/inputs/-", {"node": "image", "modality": "ct"}, "/inputs/image", {"modality": "CT"})
    return card


def test_a_value_from_another_file_inside_a_rejected_item_is_kept_on_its_own():
    """A value put into a placed item from another file (or another place of the source) is not part
    of the item's own text: when the item is rejected it is kept separately, and said so."""
    notes: list = []
    card = _outputs_card(notes)
    other = card.source("inference.json", b"{}")
    card.place("/input_output/outputs/-", {"node": "bad", "semantics": "not-a-semantics"}, "/outputs/bad",
               {"format": "x"})
    card.put("/input_output/outputs/0/calibration", "isotonic", key="/calibration", source=other)
    card.place("/input_output/outputs/-", {"node": "pred", "semantics": "image"}, "/outputs/pred", {"format": "image"})
    ext = {e["name"]: e["value"] for e in card.finish()["extensions"]}
    assert ext["monai:/outputs/bad"] == '{"format": "x"}'
    assert ext["unplaced:/input_output/outputs/0/calibration"] == "isotonic"
    assert {n.params["key"] for n in notes if n.rule == "import.unplaced"} == {"/outputs/bad", "/calibration"}


def test_a_value_the_importer_made_is_never_kept_as_the_sources_text():
    """An inferred (or converted) value the schema rejects is kept under unplaced:<pointer>, and the
    note says it is the importer's value, not the source's text."""
    notes: list = []
    card = _card(notes)
    card.infer("/lineage", {"base_model": "x", "relation": "not_a_relation"}, "huggingface.x", key="front matter /base_model")
    data = card.finish()
    ext = {e["name"]: e["value"] for e in data["extensions"]}
    assert "monai:front matter /base_model" not in ext
    assert ext == {"unplaced:/lineage/relation": "not_a_relation"} and data["lineage"] == {"base_model": "x"}
    [note] = [n for n in notes if n.rule == "import.unplaced"]
    assert "not the source's text" in note.message and "而非来源原文" in note.message_zh


def test_empty_source_items_are_kept_and_nothing_is_said_that_did_not_happen():
    notes: list = []
    card = _outputs_card(notes)
    card.place("/input_output/outputs/-", {}, "/outputs/empty", {"weird": 1})  # nothing could be built
    card.place("/input_output/outputs/-", {"node": "x", "semantics": "nope"}, "/outputs/x", {})
    card.place("/input_output/outputs/-", {"node": "y", "semantics": "image"}, "/outputs/y", {"format": "image"})
    data = card.finish()
    ext = {e["name"]: e["value"] for e in data["extensions"]}
    assert ext["monai:/outputs/empty"] == '{"weird": 1}' and ext["monai:/outputs/x"] == "{}"
    said = [n.params["name"] for n in notes if n.rule == "import.unplaced"]
    assert sorted(said) == ["monai:/outputs/empty", "monai:/outputs/x"]
    assert [o["node"] for o in data["input_output"]["outputs"]] == ["y"]


def test_what_is_kept_follows_the_order_of_the_source():
    card = _outputs_card(None)
    for i in range(5):
        sem = "image" if i % 2 else "nope"
        card.place("/input_output/outputs/-", {"node": f"o{i}", "semantics": sem}, f"/outputs/o{i}", {"i": i})
    data = card.finish()
    assert [e["name"] for e in data["extensions"]] == ["monai:/outputs/o0", "monai:/outputs/o2", "monai:/outputs/o4"]
    prov = {e["pointer"]: e["source_key"] for e in data["provenance"] if e["pointer"].startswith("/input_output/outputs")}
    assert prov == {"/input_output/outputs/0": "/outputs/o1", "/input_output/outputs/1": "/outputs/o3"}


def test_a_declared_value_never_replaces_what_the_source_states():
    """--version/--provider fill only what the source does not give; where it does, the source's value
    stays and a note says the declared one was not used (it used to overwrite the source's value,
    which was then lost, and keep the source's provenance on the user's value)."""
    from modelcard_spec.importers.common import declare

    notes: list = []
    card = _card(notes)
    card.put("/version", "1.0", key="/version")
    declare(card, {"version": "9.9", "provider_name": "Declared Corp", "provider_kind": None})
    data = card.finish()
    assert data["version"] == "1.0" and data["provider"] == {"name": "Declared Corp"}
    prov = {e["pointer"] for e in data["provenance"]}
    assert "/version" in prov and "/provider/name" not in prov
    [note] = [n for n in notes if n.rule == "import.declared-not-used"]
    assert note.params == {"pointer": "/version", "stated": "1.0", "declared": "9.9"}
