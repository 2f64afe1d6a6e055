"""MONAI bundles: a bundle folder (its ``configs/metadata.json``, ``LICENSE``,
``docs/data_license.txt`` and the network of ``configs/inference.json`` or ``.yaml``) or a metadata
file on its own, as a first model card.

What goes into the card is what these files state, each value with the file and the JSON Pointer
(or line) it came from; the few values derived by a rule carry that rule (``monai.*``, each
documented in ``docs/guides/importing.md``, section "MONAI bundles"). Everything else of the
metadata is kept verbatim in ``extensions`` under ``monai:<JSON Pointer>``."""

from __future__ import annotations

import hashlib
import os
import re
from pathlib import Path

from ..spec import pointers
from ..spec.registry import Check, register
from ..spec.resources import schema_index
from .common import Card, SourceError, decode, declare, metric_of, parse, read_source, slug

register(Check("import.not-a-bundle", "error", "A MONAI bundle folder holds the bundle's metadata",
               "MONAI 模型包文件夹中包含模型包元数据",
               {"": ("no {file} in the bundle folder", "MONAI 模型包文件夹中没有 {file}")}, scope="command"))

# Modality words of MONAI metadata that are neither a value, title or alias of the schema's Modality
# enum nor its DICOM code (those are matched from the schema itself, see _modalities).
MODALITY_WORDS = {"mri": "mr", "mammogram": "mammography", "mammograms": "mammography", "x-ray": "radiography",
                  "xray": "radiography", "cxr": "radiography", "us": "ultrasound", "ekg": "electrocardiography",
                  "histopathology": "whole_slide_imaging", "pathology": "whole_slide_imaging",
                  "wsi": "whole_slide_imaging", "fundus": "ophthalmic_photography", "oct": "optical_coherence_tomography"}
# The task words of the task string that name an intended task type (rule monai.task-word).
TASK_WORDS = [("segment", "segmentation"), ("classif", "classification"), ("detect", "detection"),
              ("registration", "registration"), ("synthesis", "image_generation"), ("generat", "image_generation"),
              ("regress", "regression")]
# Licence texts recognised by their heading (rule monai.licence-heading): the first non-blank lines
# of the file -> the SPDX identifier of that licence.
LICENCE_HEADINGS = [(("Apache License", "Version 2.0, January 2004"), "Apache-2.0"), (("MIT License",), "MIT")]
# The per-voxel categorical formats of MONAI's tensor format list.
CATEGORICAL = {"segmentation", "labels"}
# The ``type`` words of MONAI that say an output holds probabilities (the spec's "probabilities";
# bundles also write "probability").
PROBABILITY_TYPES = {"probabilities", "probability"}
IMAGE_FORMATS = {"magnitude", "hounsfield", "image"}
# The OutputSemantics values an output's item can state (see _semantics).
MASK, PROBABILITIES, LOGITS, IMAGE = "segmentation_mask", "class_probabilities", "logits", "image"
OUTPUT_SEMANTICS = (MASK, PROBABILITIES, LOGITS, IMAGE)


def _words(text: str) -> str:
    return re.sub(r"\s+", " ", text.strip().lower())


def _modalities() -> dict[str, str]:
    table = {}
    for value, meta in schema_index()["enums"]["Modality"]["values"].items():
        names = [value, meta.get("title", ""), *meta.get("aliases", [])]
        meaning = meta.get("meaning") or ""
        if meaning:
            names.append(re.split(r"[/:#]", meaning)[-1])  # the DICOM modality code: CT, MR, MG, ...
        for name in names:
            if name:
                table.setdefault(_words(name), value)
    for word, value in MODALITY_WORDS.items():
        table.setdefault(word, value)
    table.pop("other", None)  # "other" in a bundle is not a statement of the modality
    return table


def _ptr(*parts) -> str:
    return "".join("/" + pointers.escape(str(p)) for p in parts)


def _number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def import_monai(path: str | Path, declared: dict | None = None, folder: Path | None = None,
                 notes: list | None = None) -> dict:
    """``path``: a bundle folder (its ``configs/metadata.json``, else its ``metadata.json``, and the
    bundle's other files, all read only inside the folder) or a metadata file. A metadata file found
    as ``<bundle>/configs/metadata.json`` in a batch ``folder`` is read with its bundle; a metadata
    file named by itself is read alone. ``notes`` receives what could not be read or placed."""
    p = Path(path)
    root = None
    if p.is_dir():
        folder = root = p
        p = next((c for c in bundle_metadata(p) if os.path.lexists(c)), None)
        if p is None:
            raise SourceError("import.not-a-bundle", file="configs/metadata.json")
    elif folder is not None and p.name == "metadata.json" and p.parent.name == "configs":
        root = p.parent.parent
    raw = read_source(p, folder)
    meta = parse(decode(raw), True, "the MONAI metadata", "MONAI 元数据")
    if not isinstance(meta, dict):
        raise SourceError("import.not-a-mapping", "json-list" if isinstance(meta, list) else "json-scalar",
                          what="MONAI metadata", what_zh="MONAI 元数据")

    name = p.relative_to(root).as_posix() if root is not None else p.name
    if root is not None:
        stem = root.name
    elif p.name == "metadata.json" and p.parent.name == "configs":
        stem = p.parent.parent.name
    elif p.name.endswith(".metadata.json"):
        stem = p.name[: -len(".metadata.json")]
    else:
        stem = p.stem
    card = Card(name, hashlib.sha256(raw).hexdigest(), notes, "monai")
    used: set[str] = set()  # top-level keys read into the card; the others are kept verbatim

    def take(key, *types):
        """The value of ``key`` if it has one of ``types`` (any if none given), else None."""
        value = meta.get(key)
        if value is None or (types and not (isinstance(value, types) and not isinstance(value, bool))):
            return None
        used.add(key)
        return value

    card.infer("/identifier", f"monai.{slug(stem)}", "monai.identifier",
               key="bundle folder name" if root is not None or p.parent.name == "configs" else "file name")
    card.put("/name", take("name", str), "/name")
    version = take("version", str, int, float)
    card.put("/version", str(version) if version is not None else None, "/version")
    card.put("/summary", take("description", str), "/description")
    card.put("/provider/name", take("authors", str), "/authors")
    intended = take("intended_use", str)
    if intended and intended.strip():
        card.put("/license/use_restrictions/-", intended, "/intended_use")

    for key, label in (("monai_version", "MONAI"), ("pytorch_version", "PyTorch"), ("numpy_version", "NumPy")):
        value = take(key, str, int, float)
        if value is not None:
            card.put("/model_framework/runtime_environment/software/-", {"name": label, "version": str(value)}, _ptr(key))
    for group in ("optional_packages_version", "required_packages_version"):
        pkgs = meta.get(group)
        if isinstance(pkgs, dict) and all(_number(v) or isinstance(v, str) for v in pkgs.values()):
            used.add(group)
            for pkg, value in sorted(pkgs.items()):
                card.put("/model_framework/runtime_environment/software/-", {"name": pkg, "version": str(value)},
                         _ptr(group, pkg))

    formats = ("network_data_format", "autoencoder_data_format", "generator_data_format")
    fmt_key = next((key for key in formats if isinstance(meta.get(key), dict) and meta[key]), None)
    if fmt_key is not None:
        used.add(fmt_key)
        _nodes(card, meta[fmt_key], fmt_key)

    task = take("task", str)
    if task and task.strip():
        card.put("/applicability/intended_tasks/-", {"description": task}, "/task")
        low = task.lower()
        kind = next((t for word, t in TASK_WORDS if word in low), None)
        if kind:
            card.infer("/applicability/intended_tasks/0/task_type", kind, "monai.task-word", "/task")

    metrics = take("eval_metrics", dict)
    for key, value in sorted((metrics or {}).items()):
        _metric(card, key, value)

    if root is not None:
        _licence(card, root)
        _data_licence(card, root)
        _network(card, root)
    for key in meta:  # in the source's order
        if key not in used:
            card.keep(f"monai:{_ptr(key)}", meta[key])
    declare(card, declared)
    return card.finish()


def _metric(card: Card, key: str, value) -> None:
    """One entry of ``eval_metrics``: a number under a metric name of the schema is a result; a
    mapping of class names to numbers is one result per class (the class in ``task``); anything
    else is kept verbatim."""
    metric = metric_of(key)
    if metric and _number(value):
        card.place("/applicability/transfer_performance/-", {"metric": metric, "value": value}, _ptr("eval_metrics", key),
                   value)
        return
    if metric and isinstance(value, dict) and value and all(_number(v) for v in value.values()):
        for target, number in sorted(value.items()):
            card.place("/applicability/transfer_performance/-", {"metric": metric, "value": number, "task": target},
                       _ptr("eval_metrics", key, target), number)
        return
    card.keep(f"monai:{_ptr('eval_metrics', key)}", value)


def _dim(value):
    """A spatial size of MONAI metadata as the schema writes a dimension, or None: a positive integer
    (also written as digits in a string), a symbol, or an expression of a symbol with integers;
    MONAI writes ``16*n``, the schema's grammar puts the symbol first (``n*16``, the same size)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value if value > 0 else None
    if isinstance(value, str):
        text = value.replace(" ", "")
        if re.fullmatch(r"[1-9]\d{0,8}", text):
            return int(text)
        m = re.fullmatch(r"(\d+)\*([A-Za-z_]\w*)", text)
        if m:
            return f"{m.group(2)}*{m.group(1)}"
        if re.fullmatch(r"[A-Za-z_]\w*([-+/]([A-Za-z_]\w*|\d+)|\*([A-Za-z_]\w*|\d+))*", text):
            return text
    return None


def _shape(item: dict):
    """``[batch, channels, *spatial]`` of a tensor the metadata describes as channel-first image data
    (rule monai.batch-first): ``type`` "image", a positive ``num_channels``, and a ``spatial_shape``
    of one to three sizes that is not the channel axis again (``[1, C]`` or ``[C]`` with C the number
    of channels: a vector). None otherwise: a vector, a point set, a dict of boxes, a latent code or
    a time step has no shape here."""
    channels, spatial = item.get("num_channels"), item.get("spatial_shape")
    if item.get("type") != "image" or not (isinstance(channels, int) and not isinstance(channels, bool) and channels > 0):
        return None
    if not (isinstance(spatial, list) and 1 <= len(spatial) <= 3):
        return None
    if spatial in ([channels], [1, channels], [1] * len(spatial)):
        return None
    dims = [_dim(d) for d in spatial]
    if any(d is None for d in dims):
        return None
    return ["batch", channels, *dims]


def _value_range(value):
    if isinstance(value, list) and len(value) == 2 and all(_number(v) for v in value) and value[0] <= value[1]:
        return {"minimum": value[0], "maximum": value[1]}
    return None


def _classes(item: dict) -> int | None:
    """The number of classes ``channel_def`` names, if its keys are the indices 0..N-1."""
    cdef = item.get("channel_def")
    if isinstance(cdef, dict) and cdef and sorted(cdef) == sorted(str(i) for i in range(len(cdef))):
        return len(cdef)
    return None


def _semantics(item: dict) -> str | None:
    """What an output's values mean, only as the item says it (rules in docs/guides/importing.md):
    per-voxel labels (``segmentation_mask``) when a categorical format is one-hot (value range [0, 1]
    with one channel per class) or label indices (one channel, value range [0, N-1] for the N
    classes of ``channel_def``); ``class_probabilities`` when ``type`` says probabilities of a categorical or
    class output and the value range lies in [0, 1]; ``logits`` when the item says logits;
    ``image`` for an image-type output in an image format. A value range that contradicts the
    meaning leaves the semantics out."""
    kind, form = _words(str(item.get("type", ""))), _words(str(item.get("format", "")))
    vr = item.get("value_range")
    span = _value_range(vr)
    classes = _classes(item)
    channels = item.get("num_channels")
    if "logits" in (kind, form):
        return LOGITS
    if kind in PROBABILITY_TYPES:
        if form in CATEGORICAL | {"classes", "classification"} and span and 0 <= span["minimum"] and span["maximum"] <= 1:
            return PROBABILITIES
        return None
    if kind == "image" and form in CATEGORICAL and _shape(item) is not None:
        if span == {"minimum": 0, "maximum": 1} and classes is not None and channels == classes:
            return MASK  # one-hot: one channel per class, each 0 or 1
        if classes is not None and classes > 2 and channels == 1 and (span == {"minimum": 0, "maximum": classes - 1}
                                                                      or vr == list(range(classes))):
            return MASK  # label indices 0..N-1, in one channel (with N channels the item contradicts itself)
        return None
    if kind == "image" and form in IMAGE_FORMATS:
        return IMAGE
    return None


def _nodes(card: Card, fmt: dict, fmt_key: str) -> None:
    dtypes = set(schema_index()["enums"]["DType"]["values"])
    modalities = _modalities()
    for side, node_key in (("inputs", "input_nodes"), ("outputs", "output_nodes")):
        items = fmt.get(side)
        if not isinstance(items, dict):
            if items is not None:
                card.keep(f"monai:{_ptr(fmt_key, side)}", items)
            continue
        count = 0
        for name, item in items.items():
            at = _ptr(fmt_key, side, name)
            if not isinstance(item, dict):
                card.keep(f"monai:{at}", item)
                continue
            placed = set()
            node = {"name": name}
            dtype = item.get("dtype")
            if isinstance(dtype, str) and dtype in dtypes:
                node["dtype"] = dtype
                placed.add("dtype")
            card.place(f"/model_nodes/{node_key}/-", node, at, item)
            shape = _shape(item)
            if shape is not None:
                card.infer(f"/model_nodes/{node_key}/{count}/shape", shape, "monai.batch-first", at)
                placed |= {"num_channels", "spatial_shape"}
            count += 1

            spec: dict = {"node": name}
            span = _value_range(item.get("value_range"))
            if span:
                spec["value_range"] = span
                placed.add("value_range")
            cdef = item.get("channel_def")
            if isinstance(cdef, dict) and cdef and all(isinstance(v, str) for v in cdef.values()):
                spec["channels" if side == "inputs" else "label_map"] = [{"name": str(k), "value": v} for k, v in cdef.items()]
                placed.add("channel_def")
            if side == "inputs":
                modality = modalities.get(_words(str(item.get("modality", ""))))
                if modality and isinstance(item.get("modality"), str):
                    spec["modality"] = modality
                    placed.add("modality")
            else:
                semantics = _semantics(item)
                if semantics:
                    spec["semantics"] = semantics
            card.place(f"/input_output/{side}/-", spec, at, item)
            for key in item:
                if key not in placed:
                    card.keep(f"monai:{_ptr(fmt_key, side, name, key)}", item[key])


def _read_text(card: Card, root: Path, rel: str):
    """The text of the bundle file ``rel`` and its handle, or (None, None) after reporting why it
    could not be read (absent, outside the bundle folder, not a regular file, too large, empty, not text)."""
    path = root / rel
    if not os.path.lexists(path):
        card.unread(rel)
        return None, None
    try:
        raw = read_source(path, root)
        text = decode(raw)
    except SourceError as exc:
        card.unread(rel, exc.message, exc.message_zh)
        return None, None
    return text, card.source(rel, raw)


def _licence(card: Card, root: Path) -> None:
    """The bundle's ``LICENSE``: the licence's name when the file begins with the heading of a
    licence text (rule monai.licence-heading gives its SPDX identifier); otherwise its first line
    is kept verbatim, and the licence stays a gap for a reviewer to read."""
    text, handle = _read_text(card, root, "LICENSE")
    if text is None:
        return
    lines = [(n, line.strip()) for n, line in enumerate(text.splitlines(), 1) if line.strip()]
    for heading, spdx in LICENCE_HEADINGS:
        if tuple(line for _, line in lines[: len(heading)]) == heading:
            first, last = lines[0][0], lines[len(heading) - 1][0]
            key = f"line {first}" if first == last else f"lines {first}-{last}"
            card.put("/license/name", " ".join(heading), key, handle)
            card.infer("/license/spdx_id", spdx, "monai.licence-heading", key, handle)
            return
    if lines:
        card.keep("monai:LICENSE (first line; the file does not begin with the heading of a licence this importer "
                  "names)", lines[0][1])


def _data_licence(card: Card, root: Path) -> None:
    """``docs/data_license.txt``: the licences of the data, often of several datasets. The schema's
    place for a data licence (a dataset's compliance) needs the provider's compliance statement,
    which the file is not; it is kept verbatim, whole."""
    text, _ = _read_text(card, root, "docs/data_license.txt")
    if text is not None:
        card.keep("monai:docs/data_license.txt", text)


def _network(card: Card, root: Path) -> None:
    """The network class: ``network_def._target_`` of ``configs/inference.json`` (else ``.yaml``),
    following ``@id`` references within that file."""
    rel = next((r for r in ("configs/inference.json", "configs/inference.yaml") if os.path.lexists(root / r)),
               "configs/inference.json")
    text, handle = _read_text(card, root, rel)
    if text is None:
        return
    try:
        config = parse(text, rel.endswith(".json"), f"the bundle's {rel}", f"模型包的 {rel}")
    except SourceError as exc:
        card.unread(rel, exc.message, exc.message_zh)
        return
    if not isinstance(config, dict) or "network_def" not in config:
        return
    path: list = ["network_def"]
    node = config["network_def"]
    seen = set()
    while isinstance(node, str) and re.fullmatch(r"@[\w.-]+((::|#)[\w.-]+)*", node) and node not in seen:
        seen.add(node)
        path = re.split(r"::|#", node[1:])
        node = config
        for part in path:
            if isinstance(node, dict) and part in node:
                node = node[part]
            elif isinstance(node, list) and part.isdigit() and int(part) < len(node):
                node = node[int(part)]
            else:
                node = None
                break
    target = node.get("_target_") if isinstance(node, dict) else None
    if isinstance(target, str) and target.strip() and not target.startswith(("$", "@", "%")):
        card.put("/model_framework/architecture_name", target, _ptr(*path, "_target_"), handle)
    elif node is not None:
        card.keep(f"monai:{rel}#{_ptr(*path)}", node)


def bundle_metadata(bundle: Path) -> list[Path]:
    """Where a MONAI bundle folder keeps its metadata, in order of preference."""
    return [bundle / "configs" / "metadata.json", bundle / "metadata.json"]


def bundle(folder: Path) -> list[Path]:
    """The files the import of ``folder`` as one bundle reads (:func:`bundle_metadata`, the licence
    files, the inference configuration), if it is a bundle (it has a ``configs/metadata.json``);
    none if it is a folder of sources."""
    files = bundle_metadata(folder)
    if not os.path.lexists(files[0]):
        return []
    return [*files, folder / "LICENSE", folder / "docs" / "data_license.txt", folder / "configs" / "inference.json",
            folder / "configs" / "inference.yaml"]


def sources(folder: Path) -> list[Path]:
    """The files a batch reads from a folder: metadata files in it, and bundles' metadata one level down."""
    return sorted(folder.glob("*.json")) + sorted(folder.glob("*/configs/metadata.json"))
