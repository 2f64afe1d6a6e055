"""MONAI bundles: a bundle's ``configs/metadata.json`` (or a metadata file on its own) as a first
model card."""

from __future__ import annotations

import hashlib
import os
import re
from pathlib import Path

from ..spec.registry import Check, register
from ..spec.resources import schema_index
from .common import Card, SourceError, as_dict, as_str, declare, decode, metric_of, parse, read_source, slug

register(Check("import.not-a-bundle", "error", "A MONAI bundle folder holds the bundle's metadata",
               "MONAI 模型包文件夹中包含模型包元数据",
               {"": ("no {file} in the bundle folder", "MONAI 模型包文件夹中没有 {file}")}, scope="command"))

MODALITIES = {"ct": "ct", "mr": "mr", "mri": "mr", "xray": "radiography", "x-ray": "radiography", "cxr": "radiography",
              "us": "ultrasound", "ultrasound": "ultrasound", "pet": "pet", "endoscopy": "endoscopy",
              "wsi": "whole_slide_imaging", "histopathology": "whole_slide_imaging", "pathology": "whole_slide_imaging",
              "mammography": "mammography", "oct": "optical_coherence_tomography", "fundus": "ophthalmic_photography"}
TASKS = [("segment", "segmentation"), ("classif", "classification"), ("detect", "detection"),
         ("registration", "registration"), ("generat", "image_generation"), ("regress", "regression")]
PRETRAINING = {"segmentation": "supervised_segmentation", "classification": "supervised_classification"}
OUTPUT_SEMANTICS = {"segmentation": "segmentation_logits", "classification": "logits", "probabilities": "class_probabilities",
                    "heatmap": "heatmap", "image": "image", "hounsfield": "image", "magnitude": "image"}


def _task_type(text: str) -> str | None:
    low = text.lower()
    return next((t for key, t in TASKS if key in low), None)


def import_monai(path: str | Path, declared: dict | None = None, folder: Path | None = None,
                  notes: list | None = None) -> dict:
    """``path``: a metadata file or a bundle folder (its ``configs/metadata.json``, else its
    ``metadata.json``, read only inside the folder); ``folder``: see :func:`read_source`."""
    p = Path(path)
    if p.is_dir():
        folder = p
        p = next((c for c in bundle_metadata(p) if os.path.lexists(c)), None)
        if p is None:
            raise SourceError("import.not-a-bundle", file="configs/metadata.json")
    raw = read_source(p, folder)
    meta = parse(decode(raw), True, "the MONAI metadata", "MONAI 元数据")
    if not isinstance(meta, dict):
        raise SourceError("import.not-a-mapping", "json-list" if isinstance(meta, list) else "json-scalar",
                          what="MONAI metadata", what_zh="MONAI 元数据")

    stem = p.name[: -len(".metadata.json")] if p.name.endswith(".metadata.json") else (
        p.parent.parent.name if p.parent.name == "configs" else slug(str(meta.get("name", "bundle"))))
    card = Card(p.name, hashlib.sha256(raw).hexdigest(), notes, "monai")
    used = set()  # keys read into the card; the others are kept verbatim in extensions

    def take(key, *types):
        """The value of ``key`` if it has one of ``types`` (any if none given), else None."""
        value = meta.get(key)
        if types and not (isinstance(value, types) and not isinstance(value, bool)):
            return None
        used.add(key)
        return value

    card.put("/identifier", f"monai.model-zoo.{slug(stem)}")
    card.put("/name", take("name", str))
    version = take("version", str, int, float)
    card.put("/version", str(version) if version is not None else None)
    card.put("/summary", take("description", str))
    card.put("/provider/name", take("authors", str))
    card.put("/provider_kind", "open_source")       # the MONAI Model Zoo publishes bundles openly
    card.put("/delivery_form", "weights_file")      # a bundle is weights with the configs that load them
    card.put("/license/name", take("license", str))
    card.keep("monai:copyright", take("copyright"))
    card.keep("monai:changelog", take("changelog"))  # no release dates or update types: kept verbatim
    card.keep("monai:schema", take("schema"))
    card.keep("monai:references", take("references"))

    software = []
    for key, name in (("monai_version", "MONAI"), ("pytorch_version", "PyTorch"), ("numpy_version", "NumPy")):
        if take(key, str, int, float):
            software.append({"name": name, "version": str(meta[key])})
    for group in ("optional_packages_version", "required_packages_version"):
        pkgs = meta.get(group)
        if isinstance(pkgs, dict) and all(isinstance(v, (str, int, float)) for v in pkgs.values()):
            used.add(group)
            software += [{"name": k, "version": str(v)} for k, v in sorted(pkgs.items())]
    if software:
        # The metadata does not name the network: the field stays empty and is reported as a gap.
        card.data.setdefault("model_framework", {})["architecture_name"] = ""
        card.put("/model_framework/runtime_environment/software", software)

    task = take("task", str) or ""
    formats = ("network_data_format", "autoencoder_data_format", "generator_data_format")
    fmt = next((meta[key] for key in formats if meta.get(key)), None)
    for key in formats:
        used.add(key)
        if meta.get(key) is not None and (meta[key] is not fmt or not isinstance(fmt, dict)):
            card.keep(f"monai:{key}", meta[key])
    if isinstance(fmt, dict):
        _nodes(card, fmt)
    card.keep("monai:data_type", take("data_type"))
    card.keep("monai:image_classes", take("image_classes"))
    card.keep("monai:label_classes", take("label_classes"))
    card.keep("monai:pred_classes", take("pred_classes"))

    source = take("data_source", str)
    if isinstance(source, str) and source.strip():
        card.put("/source_task_data/datasets", [{"id": "ds-1", "name": source.strip()}])
        kind = PRETRAINING.get(_task_type(task) or "")
        if kind:
            card.put("/source_task_data/pretraining_task", {"kind": kind, "description": task})

    tt = _task_type(f"{task} {as_str(meta.get('name')) or ''}")
    results = []
    metrics = take("eval_metrics", dict)
    if isinstance(metrics, dict):
        for key, value in sorted(metrics.items()):
            m = metric_of(key)
            if m and isinstance(value, (int, float)) and not isinstance(value, bool):
                results.append({"metric": m, "value": value, "task": f"{task} ({key})" if task else key})
            else:
                card.keep(f"monai:eval_metrics.{key}", value)
    intended = take("intended_use", str)
    if tt or results:
        card.put("/applicability/intended_tasks", [{"task_type": tt, "description": task}] if tt and task else None)
        card.put("/applicability/transfer_performance", results or None)
        card.data.setdefault("applicability", {}).setdefault("limitations", [])
        card.data["applicability"].setdefault("unsupported_uses", [])
    if isinstance(intended, str) and intended.strip():
        card.put("/license/use_restrictions", [intended.strip()])
    card.keep("monai:supported_apps", take("supported_apps"))
    for key in sorted(set(meta) - used):
        card.keep(f"monai:{key}", meta[key])
    declare(card, declared)
    return card.finish()


def _dim(value):
    if isinstance(value, int) and value > 0:
        return value
    if isinstance(value, str):
        text = value.replace(" ", "")
        m = re.fullmatch(r"(\d+)\*([A-Za-z_]\w*)", text)  # MONAI writes 16*n; the schema wants n*16
        if m:
            return f"{m.group(2)}*{m.group(1)}"
        if re.fullmatch(r"[A-Za-z_]\w*([-+*/]([A-Za-z_]\w*|\d+))*", text):
            return text
    return None


def _nodes(card: Card, fmt: dict) -> None:
    dtypes = set(schema_index()["enums"]["DType"]["values"])
    for side, node_key, spec_key in (("inputs", "input_nodes", "inputs"), ("outputs", "output_nodes", "outputs")):
        nodes, specs = [], []
        for name, item in as_dict(fmt.get(side)).items():
            if not isinstance(item, dict):
                continue
            shape = None
            spatial = item.get("spatial_shape")
            channels = item.get("num_channels")
            if isinstance(spatial, list) and isinstance(channels, int) and not isinstance(channels, bool):
                dims = [_dim(d) for d in spatial]
                if all(d is not None for d in dims):
                    shape = ["batch", item["num_channels"], *dims]  # MONAI networks are batch-first, channel-first
            dtype = as_str(item.get("dtype"))
            node = {"name": name, "shape": shape, "dtype": dtype if dtype in dtypes else None}
            nodes.append({k: v for k, v in node.items() if v is not None})
            spec: dict = {"node": name}
            vr = item.get("value_range")
            if isinstance(vr, list) and len(vr) == 2 and all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in vr):
                spec["value_range"] = {"minimum": vr[0], "maximum": vr[1]}
            cdef = item.get("channel_def")
            if isinstance(cdef, dict) and cdef:
                pairs = [{"name": str(k), "value": str(v)} for k, v in cdef.items()]
                spec["channels" if side == "inputs" else "label_map"] = pairs
            if side == "inputs":
                modality = MODALITIES.get(str(item.get("modality", "")).lower())
                if modality:
                    spec["modality"] = modality
            else:
                sem = OUTPUT_SEMANTICS.get(str(item.get("format", "")).lower())
                if sem:
                    spec["semantics"] = sem
            specs.append(spec)
            extra = {k: v for k, v in item.items() if k not in ("spatial_shape", "num_channels", "dtype", "value_range",
                                                               "channel_def", "modality", "format")}
            extra.update({k: item[k] for k in ("format", "modality") if k in item})
            card.keep(f"monai:network_data_format.{side}.{name}", extra)
        card.put(f"/model_nodes/{node_key}", nodes or None)
        card.put(f"/input_output/{spec_key}", specs or None)


def bundle_metadata(bundle: Path) -> list[Path]:
    """Where a MONAI bundle folder keeps its metadata, in order of preference."""
    return [bundle / "configs" / "metadata.json", bundle / "metadata.json"]


def bundle(folder: Path) -> list[Path]:
    """The files the import of ``folder`` as one bundle reads (:func:`bundle_metadata`), if it is a
    bundle (it has a ``configs/metadata.json``); none if it is a folder of sources."""
    files = bundle_metadata(folder)
    return files if os.path.lexists(files[0]) else []


def sources(folder: Path) -> list[Path]:
    """The files a batch reads from a folder: metadata files in it, and bundles' metadata one level down."""
    return sorted(folder.glob("*.json")) + sorted(folder.glob("*/configs/metadata.json"))
