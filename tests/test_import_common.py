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
    assert note.params == {"key": "/outputs/bad", "name": "monai:/outputs/bad"} and note.severity == "info"
    assert lookup("import.unplaced").scope == "command"


def test_kept_values_are_verbatim_and_never_cut():
    card = _card()
    long_text = "word " * 5000
    card.keep("huggingface:section.Evaluation", long_text)
    card.keep("monai:eval_metrics", {"b": 1, "a": [0.5, "x"]})
    ext = {e["name"]: e["value"] for e in card.finish()["extensions"]}
    assert ext["huggingface:section.Evaluation"] == long_text
    assert ext["monai:eval_metrics"] == '{"a": [0.5, "x"], "b": 1}'


def test_what_cannot_be_read_is_reported_in_both_languages():
    notes: list = []
    card = _card(notes)
    card.unread("LICENSE", "no such file", "文件不存在")
    card.finish()
    [note] = notes
    assert (note.rule, note.severity) == ("import.unread", "warning")
    assert note.message == "LICENSE was not read: no such file" and note.message_zh == "未读取 LICENSE：文件不存在"
