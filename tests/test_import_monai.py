"""Importing whole MONAI bundles: every bundle of the Project-MONAI model zoo (tests/data/monai-bundles,
see its README.md) gives a card that holds only what the bundle's files state, each value traced to
the file and place it came from, and keeps the rest verbatim."""

from __future__ import annotations

import copy
import json
import re
import shutil
from pathlib import Path

import pytest
import yaml

from conftest import ROOT
from modelcard_spec.check import structural
from modelcard_spec.importers import monai
from modelcard_spec.spec import pointers
from modelcard_spec.spec.resources import schema_index

CORPUS = ROOT / "tests" / "data" / "monai-bundles"
BUNDLES = sorted(p.name for p in CORPUS.iterdir() if p.is_dir())
GUIDE = (ROOT / "docs" / "guides" / "importing.md").read_text(encoding="utf-8")
APACHE = "Apache License Version 2.0, January 2004"

# What each bundle's files state, pinned: licence name (None: the LICENSE file does not begin with
# a licence heading), architecture (None: the inference configuration names no class), the input
# and output node names, and the shapes the metadata gives as channel-first image data.
EXPECTED = {
    "brats_mri_axial_slices_generative_diffusion": (APACHE, "monai.networks.nets.diffusion_model_unet.DiffusionModelUNet",
                                                    ["latent"], ["pred"], {}),
    "brats_mri_generative_diffusion": (APACHE, "monai.networks.nets.diffusion_model_unet.DiffusionModelUNet",
                                       ["latent", "condition"], ["pred"], {}),
    "brats_mri_segmentation": (APACHE, "SegResNet", ["image"], ["pred"],
                               {"image": ["batch", 4, "n*8", "n*8", "n*8"], "pred": ["batch", 3, "n*8", "n*8", "n*8"]}),
    "breast_density_classification": (APACHE, "TorchVisionFCModel", ["image"], ["pred"],
                                      {"image": ["batch", 3, 299, 299]}),
    "classification_template": ("MIT License", "DenseNet121", ["image"], ["pred"], {"image": ["batch", 1, 128, 128]}),
    "endoscopic_inbody_classification": (APACHE, "SEResNet50", ["image"], ["pred"], {}),
    "endoscopic_tool_segmentation": (APACHE, "FlexibleUNet", ["image"], ["pred"], {"pred": ["batch", 2, 736, 480]}),
    "lung_nodule_ct_detection": (APACHE, "RetinaNet", ["image"], ["pred"], {"image": ["batch", 1, "n*16", "n*16", "n*8"]}),
    "maisi_ct_generative": (None, None, ["image", "body_region", "anatomy_list"], ["pred"],
                            {"pred": ["batch", 1, 512, 512, 512]}),
    "mednist_gan": (APACHE, "Generator", ["latent"], ["pred"], {"pred": ["batch", 1, 64, 64]}),
    "mednist_reg": (APACHE, "scripts.net.RegResNet", ["image"], ["pred"],
                    {"image": ["batch", 2, 64, 64], "pred": ["batch", 1, 64, 64]}),
    "multi_organ_segmentation": (None, "monai.networks.nets.DiNTS", ["image"], ["pred"],
                                 {"image": ["batch", 1, 96, 96, 96], "pred": ["batch", 8, 96, 96, 96]}),
    "pancreas_ct_dints_segmentation": (APACHE, "monai.networks.nets.DiNTS", ["image"], ["pred"],
                                       {"image": ["batch", 1, 96, 96, 96], "pred": ["batch", 3, 96, 96, 96]}),
    "pathology_nuclei_classification": (APACHE, "DenseNet121", ["image"], ["pred"], {}),
    "pathology_nuclei_segmentation_classification": (APACHE, "HoVerNet", ["image"],
                                                     ["nucleus_prediction", "horizontal_vertical", "type_prediction"],
                                                     {"image": ["batch", 3, 256, 256]}),
    "pathology_nuclick_annotation": (APACHE, "BasicUNet", ["image"], ["pred"], {"pred": ["batch", 1, 128, 128]}),
    "pathology_tumor_detection": (APACHE, "TorchVisionFCModel", ["image"], ["pred"], {"image": ["batch", 3, 224, 224]}),
    "pediatric_abdominal_ct_segmentation": (APACHE, "monai.networks.nets.DynUNet", ["image"], ["pred"],
                                            {"image": ["batch", 1, 96, 96, 96], "pred": ["batch", 4, 96, 96, 96]}),
    "prostate_mri_anatomy": (APACHE, "UNet", ["image"], ["pred"],
                             {"image": ["batch", 1, 96, 96, 96], "pred": ["batch", 3, 96, 96, 96]}),
    "renalStructures_CECT_segmentation": (APACHE, "SegResNet", ["image"], ["pred"],
                                          {"image": ["batch", 3, 96, 96, 96], "pred": ["batch", 6, 96, 96, 96]}),
    "renalStructures_UNEST_segmentation": (APACHE, "scripts.networks.unest.UNesT", ["image"], ["pred"],
                                           {"image": ["batch", 1, 96, 96, 96], "pred": ["batch", 4, 96, 96, 96]}),
    "segmentation_template": ("MIT License", "UNet", ["image"], ["pred"],
                              {"image": ["batch", 1, 128, 128, 128], "pred": ["batch", 4, 128, 128, 128]}),
    "spleen_ct_segmentation": (APACHE, "UNet", ["image"], ["pred"],
                               {"image": ["batch", 1, 96, 96, 96], "pred": ["batch", 2, 96, 96, 96]}),
    "spleen_deepedit_annotation": (APACHE, "DynUNet", ["image"], ["pred"],
                                   {"image": ["batch", 3, 128, 128, 128], "pred": ["batch", 2, 128, 128, 128]}),
    "swin_unetr_btcv_segmentation": (APACHE, "SwinUNETR", ["image"], ["pred"],
                                     {"image": ["batch", 1, 96, 96, 96], "pred": ["batch", 14, 96, 96, 96]}),
    "valve_landmarks": ("MIT License", "scripts.valve_landmarks.PointRegressor", ["image"], ["pred"],
                        {"image": ["batch", 1, 256, 256]}),
    "ventricular_short_axis_3label": ("MIT License", "UNet", ["image"], ["pred"],
                                      {"image": ["batch", 1, 256, 256], "pred": ["batch", 4, 256, 256]}),
    "vista2d": (None, "monai.networks.nets.cell_sam_wrapper.CellSamWrapper", ["image"], ["pred"],
                {"image": ["batch", 3, 256, 256], "pred": ["batch", 3, 256, 256]}),
    "vista3d": (None, None, ["image"], ["pred"], {"image": ["batch", 1, 128, 128, 128], "pred": ["batch", 1, 128, 128, 128]}),
    "wholeBody_ct_segmentation": (APACHE, "SegResNet", ["image"], ["pred"],
                                  {"image": ["batch", 1, 96, 96, 96], "pred": ["batch", 105, 96, 96, 96]}),
    "wholeBrainSeg_Large_UNEST_segmentation": (APACHE, "scripts.networks.unest_base_patch_4.UNesT", ["image"], ["pred"],
                                               {"image": ["batch", 1, 96, 96, 96], "pred": ["batch", 133, 96, 96, 96]}),
}


def _import(name, notes=None):
    return monai.import_monai(CORPUS / name, notes=notes)


def _at(data, pointer):
    for part in pointers.tokens(pointer):
        data = data[int(part)] if isinstance(data, list) else data[part]
    return data


def _source_value(bundle: Path, file: str, key: str):
    """What ``key`` names in the bundle file ``file``: a JSON Pointer into a JSON or YAML file, or
    ``line N`` / ``lines N-M`` of a text (its non-blank lines, stripped, joined by a blank)."""
    path = bundle / file
    if file.endswith((".json", ".yaml")):
        data = json.loads(path.read_text()) if file.endswith(".json") else yaml.safe_load(path.read_text())
        return _at(data, key)
    m = re.fullmatch(r"lines? (\d+)(?:-(\d+))?", key)
    assert m, key
    lines = path.read_text().splitlines()[int(m.group(1)) - 1: int(m.group(2) or m.group(1))]
    return " ".join(line.strip() for line in lines if line.strip())


def _leaves(value, out=None, keys=True):
    """Every scalar of ``value`` (and every key of its mappings), as text."""
    out = set() if out is None else out
    if isinstance(value, dict):
        for k, v in value.items():
            if keys:
                out.add(str(k))
            _leaves(v, out, keys)
    elif isinstance(value, list):
        for v in value:
            _leaves(v, out, keys)
    else:
        out.add(str(value))
    return out


ENUM_VALUES = {v for enum in schema_index()["enums"].values() for v in enum["values"]}


def _comes_from(card_value, source_value, key: str) -> bool:
    """Whether every scalar of the card's value is in the source's value at ``key``: equal, a key
    of it, the name the key gives (``nibabel`` of ``/optional_packages_version/nibabel``, ``MONAI``
    of ``/monai_version``), a schema enum value the importer mapped it to, or ``k*n`` written ``n*k``."""
    if card_value == source_value:
        return True
    known = _leaves(source_value)
    last = pointers.tokens(key)[-1] if key.startswith("/") else ""
    for leaf in _leaves(card_value, keys=False):
        swapped = "*".join(reversed(leaf.split("*")))
        if leaf in known or leaf == last or leaf.lower() == last.split("_")[0] or leaf in ENUM_VALUES or swapped in known:
            continue
        return False
    return True


def _covered(card, pointer: str, covered: set) -> bool:
    parts = pointers.tokens(pointer)
    return any("/" + "/".join(pointers.escape(p) for p in parts[:n]) in covered for n in range(1, len(parts) + 1))


def _walk(value, pointer=""):
    if isinstance(value, dict):
        for k, v in value.items():
            yield from _walk(v, f"{pointer}/{pointers.escape(k)}")
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from _walk(v, f"{pointer}/{i}")
    else:
        yield pointer


def test_the_whole_model_zoo_is_vendored():
    assert len(BUNDLES) == 31 and set(BUNDLES) == set(EXPECTED)
    shared = {p.name.split(".")[0] for p in (ROOT.parent.parent / "shared" / "corpus" / "monai-bundles").glob("*.metadata.json")}
    assert not shared or shared <= set(BUNDLES)
    for name in BUNDLES:
        files = {p.relative_to(CORPUS / name).as_posix() for p in (CORPUS / name).rglob("*") if p.is_file()}
        assert {"LICENSE", "configs/metadata.json"} <= files
        assert not any(f.startswith(("models/", "scripts/")) or f.endswith((".pt", ".ts", ".png", ".ipynb")) for f in files)
        assert f"`{name}`" in (CORPUS / "README.md").read_text()


@pytest.mark.parametrize("name", BUNDLES)
def test_a_bundle_card_holds_what_the_bundle_states_and_nothing_else(name):
    notes = []
    card = _import(name, notes)
    licence, architecture, inputs, outputs, shapes = EXPECTED[name]
    assert card.get("license", {}).get("name") == licence
    assert card.get("model_framework", {}).get("architecture_name") == architecture
    nodes = card["model_nodes"]
    assert [n["name"] for n in nodes["input_nodes"]] == inputs and [n["name"] for n in nodes["output_nodes"]] == outputs
    assert {n["name"]: n["shape"] for n in nodes["input_nodes"] + nodes["output_nodes"] if "shape" in n} == shapes
    assert [s["node"] for s in card["input_output"]["inputs"]] == inputs
    assert [s["node"] for s in card["input_output"]["outputs"]] == outputs
    # the card is valid but for the provider kind, which no bundle file states (a licence does not)
    errors = {i.path for i in structural.check(card, card.get("provider_kind")) if i.severity == "error"}
    assert errors == {"/provider_kind"} and "provider_kind" not in card
    assert "source_task_data" not in card  # no pre-training task is stated anywhere
    # every value has a provenance entry, and every entry leads to where the source states it
    prov = card["provenance"]
    covered = {p["pointer"] for p in prov}
    for pointer in _walk({k: v for k, v in card.items() if k not in ("schema_version", "conformity", "extensions",
                                                                       "provenance")}):
        assert _covered(card, pointer, covered), f"{pointer} has no provenance"
    for entry in prov:
        value = copy.deepcopy(_at(card, entry["pointer"]))
        for inner in covered:  # a part with its own entry is checked there
            if inner.startswith(entry["pointer"] + "/"):
                *path, last = pointers.tokens(inner[len(entry["pointer"]):])
                parent = _at(value, "/" + "/".join(pointers.escape(p) for p in path)) if path else value
                del parent[int(last) if isinstance(parent, list) else last]
        file = entry["source"].split(", ", 1)[1]
        assert entry["origin"] in ("imported", "inferred") and entry["source_key"]
        if entry["source_key"] in ("bundle folder name", "file name"):
            assert entry["rule"] == "monai.identifier" and value == f"monai.{name.lower().replace('_', '-')}"
            continue
        said = _source_value(CORPUS / name, file, entry["source_key"])
        if entry["origin"] == "inferred":
            assert f"`{entry['rule']}`" in GUIDE, entry  # every rule is documented
            if entry["rule"] == "monai.batch-first":
                assert value[0] == "batch" and _comes_from(value[1:], said, entry["source_key"])
            continue
        assert "rule" not in entry
        assert _comes_from(value, said, entry["source_key"]), (entry, value, said)
    # what has no place is kept verbatim under the JSON Pointer of the metadata it came from
    meta = json.loads((CORPUS / name / "configs" / "metadata.json").read_text())
    for ext in card.get("extensions", []):
        if ext["name"].startswith("monai:/"):
            said = _at(meta, ext["name"][len("monai:"):])
            assert ext["value"] == (said if isinstance(said, str) else json.dumps(said, ensure_ascii=False))
    data_licence = CORPUS / name / "docs" / "data_license.txt"
    kept = {e["name"]: e["value"] for e in card.get("extensions", [])}
    if data_licence.exists():
        assert kept["monai:docs/data_license.txt"] == data_licence.read_text()
    else:
        assert any("docs/data_license.txt" in n.message for n in notes)


def test_shapes_are_not_invented_for_vectors_points_or_boxes():
    """Issue 16: a point set became [batch, 2, 2, 10], a 4-class classifier [batch, 4, 1, 4], a dict
    of detection boxes a 5-D tensor."""
    for name in ("valve_landmarks", "breast_density_classification", "pathology_nuclei_classification",
                 "lung_nodule_ct_detection", "pathology_tumor_detection"):
        out = _import(name)["model_nodes"]["output_nodes"][0]
        assert "shape" not in out and out["name"] == "pred", (name, out)
    kept = {e["name"]: e["value"] for e in _import("valve_landmarks")["extensions"]}
    assert kept["monai:/network_data_format/outputs/pred/spatial_shape"] == "[2, 10]"
    assert kept["monai:/network_data_format/outputs/pred/format"] == "points"


def test_output_semantics_follow_what_the_item_says():
    """Issue 16: one-hot and label maps became segmentation_logits, "probability" became logits."""
    def semantics(name):
        return [o.get("semantics") for o in _import(name)["input_output"]["outputs"]]

    assert semantics("spleen_ct_segmentation") == ["segmentation_mask"]  # one-hot, value range [0, 1]
    # label indices 0..104 said of an output of 105 channels: the item contradicts itself, not placed
    # (it used to become segmentation_logits)
    assert semantics("wholeBody_ct_segmentation") == [None]
    assert semantics("pathology_tumor_detection") == ["class_probabilities"]  # "type": "probability"
    assert semantics("endoscopic_inbody_classification") == ["class_probabilities"]
    # probabilities whose value range is [0, 1, 2, 3], a one-hot output of 1 channel for 100+
    # classes, a label map without a range: contradictory or unstated, so not placed
    assert semantics("pathology_nuclei_classification") == [None]
    assert semantics("vista3d") == [None] and semantics("prostate_mri_anatomy") == [None]
    kept = {e["name"]: e["value"] for e in _import("pathology_nuclei_classification")["extensions"]}
    assert kept["monai:/network_data_format/outputs/pred/type"] == "probabilities"
    assert kept["monai:/network_data_format/outputs/pred/format"] == "classes"


def test_no_pretraining_task_and_the_mammogram_is_mammography():
    card = _import("breast_density_classification")
    assert "source_task_data" not in card
    assert card["input_output"]["inputs"][0]["modality"] == "mammography"
    assert {e["name"]: e["value"] for e in card["extensions"]}["monai:/data_source"] == "Mayo Clinic "


def test_per_class_metrics_are_results_and_detection_metrics_are_kept_verbatim():
    card = _import("prostate_mri_anatomy")
    assert card["applicability"]["transfer_performance"] == [
        {"metric": "dice_coefficient", "value": 0.88, "task": "central gland"},
        {"metric": "dice_coefficient", "value": 0.75, "task": "peripheral zone"}]
    kept = {e["name"]: e["value"] for e in _import("lung_nodule_ct_detection")["extensions"]}
    assert kept["monai:/eval_metrics/mAP_IoU_0.10_0.50_0.05_MaxDet_100"] == "0.852"
    assert kept["monai:/eval_metrics/mAR_IoU_0.10_0.50_0.05_MaxDet_100"] == "0.998"
    tumour = _import("pathology_tumor_detection")
    assert {e["name"]: e["value"] for e in tumour["extensions"]}["monai:/eval_metrics/froc"] == "0.72"
    assert not any(e["value"].startswith("{") and "eval_metrics" in e["name"] for e in card.get("extensions", []))


def test_one_unmappable_output_keeps_its_siblings_and_itself_verbatim(tmp_path):
    """Issue 16: one unmappable spec moved the whole input_output object, transformed."""
    bundle = tmp_path / "b"
    (bundle / "configs").mkdir(parents=True)
    meta = json.loads((CORPUS / "pathology_nuclei_segmentation_classification" / "configs" / "metadata.json").read_text())
    meta["network_data_format"]["outputs"]["odd"] = ["not", "a", "tensor format"]
    (bundle / "configs" / "metadata.json").write_text(json.dumps(meta))
    card = monai.import_monai(bundle)
    assert [o["node"] for o in card["input_output"]["outputs"]] == [
        "nucleus_prediction", "horizontal_vertical", "type_prediction"]
    kept = {e["name"]: e["value"] for e in card["extensions"]}
    assert kept["monai:/network_data_format/outputs/odd"] == '["not", "a", "tensor format"]'
    # without inputs the schema has no input_output: each item is kept as the source gave it
    del meta["network_data_format"]["inputs"]
    (bundle / "configs" / "metadata.json").write_text(json.dumps(meta))
    card = monai.import_monai(bundle)
    assert "input_output" not in card
    kept = {e["name"]: e["value"] for e in card["extensions"]}
    item = meta["network_data_format"]["outputs"]["type_prediction"]
    assert kept["monai:/network_data_format/outputs/type_prediction"] == json.dumps(item, ensure_ascii=False)


def test_the_bundle_files_that_cannot_be_read_are_reported_and_the_import_goes_on(tmp_path):
    bundle = tmp_path / "b"
    (bundle / "configs").mkdir(parents=True)
    (bundle / "docs").mkdir()
    (bundle / "configs" / "metadata.json").write_bytes((CORPUS / "spleen_ct_segmentation" / "configs" / "metadata.json")
                                                       .read_bytes())
    (bundle / "configs" / "inference.json").write_text('{"network_def": ')
    secret = tmp_path / "secret.txt"
    secret.write_text("MIT License\nsecret")
    (bundle / "LICENSE").symlink_to(secret)
    (bundle / "docs" / "data_license.txt").write_text("")
    notes = []
    card = monai.import_monai(bundle, notes=notes)
    said = {n.message.split(" was not read")[0] for n in notes if n.rule == "import.unread"}
    assert said == {"configs/inference.json", "LICENSE", "docs/data_license.txt"}, [n.message for n in notes]
    assert "license" not in card or "name" not in card["license"]
    assert "architecture_name" not in card.get("model_framework", {})
    assert card["name"] == "Spleen CT segmentation" and "secret" not in json.dumps(card)
    assert all(n.message_zh.startswith("未读取") for n in notes if n.rule == "import.unread")


def test_the_network_is_found_through_references(tmp_path):
    bundle = tmp_path / "b"
    (bundle / "configs").mkdir(parents=True)
    (bundle / "configs" / "metadata.json").write_text('{"name": "x"}')
    (bundle / "configs" / "inference.yaml").write_text("nets:\n  main: {_target_: UNet}\nnetwork_def: '@nets::main'\n")
    card = monai.import_monai(bundle)
    assert card["model_framework"]["architecture_name"] == "UNet"
    entry = next(p for p in card["provenance"] if p["pointer"] == "/model_framework/architecture_name")
    assert entry["source_key"] == "/nets/main/_target_" and entry["source"].endswith(", configs/inference.yaml")
    (bundle / "configs" / "inference.yaml").write_text("network_def: '$monai.networks.nets.vista3d132(in_channels=1)'\n")
    card = monai.import_monai(bundle)
    assert "model_framework" not in card
    assert {e["name"]: e["value"] for e in card["extensions"]}["monai:configs/inference.yaml#/network_def"] == \
        "$monai.networks.nets.vista3d132(in_channels=1)"
    (bundle / "configs" / "inference.yaml").write_text("network_def: '@a'\na: '@network_def'\n")  # a loop
    assert "model_framework" not in monai.import_monai(bundle)


def test_the_metadata_file_alone_is_read_alone():
    card = monai.import_monai(CORPUS / "spleen_ct_segmentation" / "configs" / "metadata.json")
    assert "license" in card and "name" not in card["license"] and "architecture_name" not in card.get("model_framework", {})
    assert {p["source"].split(", ", 1)[1] for p in card["provenance"]} == {"metadata.json"}


def test_a_batch_reads_each_bundle_with_its_licence(tmp_path):
    from modelcard_spec.importers import batch

    src = tmp_path / "src"
    src.mkdir()
    for name in ("spleen_ct_segmentation", "valve_landmarks"):
        shutil.copytree(CORPUS / name, src / name)
    metas = monai.sources(src)
    cards = [monai.import_monai(p, folder=src) for p in metas]
    assert [c["license"]["name"] for c in cards] == [APACHE, "MIT License"]
    assert [batch.stem_of(p) for p in metas] == ["spleen_ct_segmentation", "valve_landmarks"]


def test_no_bundle_states_a_body_part_so_none_is_coded():
    """MONAI's metadata has no body-part field: the importer writes no body part for any bundle. The
    MAISI generator's body_region input names regions the generator is conditioned on (a value of
    its input), not what an input image shows: it is not read as one."""
    for name in BUNDLES:
        card = monai.import_monai(CORPUS / name)
        text = json.dumps({k: v for k, v in card.items() if k != "extensions"})
        assert '"body_parts"' not in text and '"body_part_notes"' not in text, name
    maisi = monai.import_monai(CORPUS / "maisi_ct_generative")
    assert "body_region" in json.dumps(maisi, ensure_ascii=False)  # kept where the bundle states it
