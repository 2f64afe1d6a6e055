"""Import third-party model descriptions — MONAI bundle metadata and Hugging Face model cards — as
a first model card.

Principles: every value taken from the source is recorded under ``provenance`` with
``origin: imported``; nothing is invented; what has no place in the schema is kept verbatim in
``extensions`` (name ``<source>:<key>``, value the JSON text). Where a schema object needs a field
the source does not give (an enum such as a task kind, a required name), the object cannot be
formed: it is moved to ``extensions`` too, so the card always passes the structural check and the
conformity report lists what is missing as gaps. The card claims all requirements
(``claim_all: true``) so that the report shows every gap.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import os
import re
from functools import lru_cache
from pathlib import Path

from ..spec.version import __version__
from ..check import loading
from ..spec import pointers
from ..check import structural
from ..spec.resources import catalogue_data, schema_index
from ..spec.diagnostics import CardLoadError

IMPORTER = f"modelcard-spec import {__version__}"

MODALITIES = {"ct": "ct", "mr": "mr", "mri": "mr", "xray": "radiography", "x-ray": "radiography", "cxr": "radiography",
              "us": "ultrasound", "ultrasound": "ultrasound", "pet": "pet", "endoscopy": "endoscopy",
              "wsi": "whole_slide_imaging", "histopathology": "whole_slide_imaging", "pathology": "whole_slide_imaging",
              "mammography": "mammography", "oct": "optical_coherence_tomography", "fundus": "ophthalmic_photography"}
TASKS = [("segment", "segmentation"), ("classif", "classification"), ("detect", "detection"),
         ("registration", "registration"), ("generat", "image_generation"), ("regress", "regression")]
PRETRAINING = {"segmentation": "supervised_segmentation", "classification": "supervised_classification"}
OUTPUT_SEMANTICS = {"segmentation": "segmentation_logits", "classification": "logits", "probabilities": "class_probabilities",
                    "heatmap": "heatmap", "image": "image", "hounsfield": "image", "magnitude": "image"}
HF_PIPELINE_TASKS = {"image-classification": "classification", "image-segmentation": "segmentation",
                     "object-detection": "detection", "text-classification": "classification",
                     "text-to-image": "image_generation", "image-to-text": "report_generation",
                     "zero-shot-image-classification": "classification"}
HF_PRETRAINING = {"image-classification": "supervised_classification", "text-classification": "supervised_classification",
                  "image-segmentation": "supervised_segmentation", "fill-mask": "language_modeling",
                  "text-generation": "language_modeling"}
HF_SECTIONS = {  # known Markdown headings (lower case) -> where their text goes
    "limitations": "limitations", "bias, risks, and limitations": "limitations", "limitations and bias": "limitations",
    "out-of-scope use": "unsupported_uses", "intended uses & limitations": "intended_use", "intended use": "intended_use",
    "direct use": "intended_use", "training data": "training_data", "training procedure": "training_procedure",
    "model description": "description", "model details": "description",
}


# Bounds on what a source may hold. Real ones are far below: the largest MONAI metadata of the Model
# Zoo holds about 400 values and a few dozen that go to extensions. Cards made from sources many
# times larger would take seconds to check and print, for no use.
MAX_SOURCE_VALUES = 5000
MAX_EXTENSIONS = 1000


class SourceError(Exception):
    """The source cannot be read (exit code 2). ``str()`` is the English message."""

    def __init__(self, message: str, message_zh: str):
        super().__init__(message)
        self.message_zh = message_zh


def _read_source(path: Path, folder: Path | None = None) -> bytes:
    """The bytes of a source file, under the size limit of cards; only regular files are read.

    ``folder``: the folder given on the command line in which ``path`` was found. The file is then
    read only if its real location, after every symbolic link, lies inside that folder — the
    containment rule of evidence files (:func:`..spec.evidence.open_evidence`), so a link in a bundle cannot
    copy an outside file into the card. A file named on the command line itself is read where it
    leads: that is the user's choice."""
    try:
        if folder is None:
            if not path.is_file():
                raise SourceError("not a regular file", "不是普通文件")
            source = path.open("rb")
        else:
            source = os.fdopen(_open_inside(folder, path), "rb")
        with source:
            size = os.fstat(source.fileno()).st_size
            if size > loading.MAX_BYTES:
                raise SourceError(f"the file is {size:,} bytes, over this tool's limit for a source file ({loading.MAX_BYTES:,} bytes)",
                                  f"文件大小为 {size:,} 字节，超过本工具对来源文件的上限（{loading.MAX_BYTES:,} 字节）")
            raw = source.read(loading.MAX_BYTES + 1)
    except OSError as exc:
        raise SourceError(f"cannot read the file: {exc.strerror or exc}", f"无法读取文件：{exc.strerror or exc}") from None
    if len(raw) > loading.MAX_BYTES:  # it grew while being read
        raise SourceError(f"the file is larger than this tool's limit for a source file ({loading.MAX_BYTES:,} bytes)",
                          f"文件超过本工具对来源文件的上限（{loading.MAX_BYTES:,} 字节）")
    return raw


def _open_inside(folder: Path, path: Path) -> int:
    """A read-only descriptor of the regular file ``path`` found in ``folder``, whose real location
    lies inside ``folder``; :class:`SourceError` naming the path within the folder otherwise."""
    from ..spec.evidence import EvidenceError, open_evidence

    rel = path.relative_to(folder).as_posix()
    try:
        return open_evidence(folder, rel)
    except EvidenceError as exc:
        if exc.outside:
            raise SourceError(f"{rel} leads outside the folder given: a file found in a source folder is read only "
                              f"if its real location, after symbolic links, lies inside that folder",
                              f"{rel} 指向所给文件夹之外：来源文件夹中的文件，仅当其实际位置（解析符号链接后）"
                              f"位于该文件夹内时才会读取") from None
        raise SourceError(f"{rel} {exc.reason}", f"{rel} {exc.reason_zh}") from None


def _parse(text: str, is_json: bool, what: str, what_zh: str, first_line: int = 1):
    """Parse source text with the card loader's rules and limits; problems become located SourceErrors."""
    try:
        data = loading.parse_untrusted(text, is_json)
    except CardLoadError as exc:
        raise _located(exc, what, what_zh, first_line) from None
    _check_bounds(data, what, what_zh)
    return data


def _decode(raw: bytes) -> str:
    try:
        text = loading.decode_untrusted(raw)
    except CardLoadError as exc:
        raise _located(exc, "the file", "文件", 1) from None
    if not text.strip():
        raise SourceError("the file is empty", "文件为空")
    return text


def _located(exc: CardLoadError, what: str, what_zh: str, first_line: int) -> SourceError:
    issue = exc.issue
    if issue.line is None:
        return SourceError(f"{what}: {issue.message}", f"{what_zh}：{issue.message_zh}")
    line = issue.line + first_line - 1
    col = f", column {issue.column}" if issue.column else ""
    col_zh = f"第 {issue.column} 列" if issue.column else ""
    return SourceError(f"{what}, line {line}{col}: {issue.message}", f"{what_zh}第 {line} 行{col_zh}：{issue.message_zh}")


_SURROGATE = re.compile("[\ud800-\udfff]")


def _check_bounds(data, what: str, what_zh: str) -> None:
    """Refuse data that, with its aliases expanded, holds more values than a model description does
    or is larger than a card may be (the importer copies values into the card and its extensions),
    or that holds lone surrogates (not Unicode text). Shared values are measured once, so this takes
    time in proportion to the parsed source."""
    memo: dict[int, tuple[int, int]] = {}

    def measure(value) -> tuple[int, int]:  # (characters, values)
        known = memo.get(id(value))
        if known is not None:
            return known
        if isinstance(value, str):
            if not value.isascii() and _SURROGATE.search(value):
                raise SourceError(f"{what} holds a lone surrogate (\\ud800-\\udfff), which is not Unicode text",
                                  f"{what_zh}含有孤立的 UTF-16 代理项（\\ud800-\\udfff），不是有效的 Unicode 文本")
            size, count = len(value) + 2, 1
        elif isinstance(value, (dict, list)):
            parts = [measure(v) for v in (itertools.chain.from_iterable(value.items()) if isinstance(value, dict) else value)]
            size, count = sum(p[0] for p in parts) + 2, sum(p[1] for p in parts) + 1
        else:
            size, count = len(repr(value)), 1
        if count > MAX_SOURCE_VALUES:
            raise SourceError(f"{what} holds more than {MAX_SOURCE_VALUES:,} values (aliases expanded); model descriptions "
                              f"hold a few hundred",
                              f"{what_zh}含有超过 {MAX_SOURCE_VALUES:,} 个值（别名已展开）；模型描述通常只有几百个值")
        if size > loading.MAX_BYTES:
            raise SourceError(f"{what} expands to more than {loading.MAX_BYTES:,} characters (aliases are limited)",
                              f"{what_zh}展开后超过 {loading.MAX_BYTES:,} 个字符（别名展开受限）")
        if isinstance(value, (str, dict, list)):
            memo[id(value)] = (size, count)
        return size, count

    measure(data)


def _obj(value) -> dict:
    return value if isinstance(value, dict) else {}


def _items(value) -> list:
    return value if isinstance(value, list) else []


def _text(value) -> str | None:
    return value if isinstance(value, str) else None


class _Card:
    def __init__(self, source_name: str, source_sha256: str | None):
        self.data: dict = {"schema_version": schema_index()["schema_version"]}
        self.pointers: list[str] = []
        self.extensions: list[dict] = []
        self.source = f"{IMPORTER}, {source_name}"
        self.sha = source_sha256

    def put(self, pointer: str, value) -> None:
        if value in (None, "", [], {}):
            return
        node = self.data
        parts = pointer.strip("/").split("/")
        for part in parts[:-1]:
            node = node.setdefault(part, {})
        node[parts[-1]] = value
        self.pointers.append(pointer)

    def keep(self, name: str, value) -> None:
        if value in (None, "", [], {}):
            return
        if len(self.extensions) >= MAX_EXTENSIONS:
            raise SourceError(f"the source holds more than {MAX_EXTENSIONS:,} values that have no place in a model card "
                              f"(they would be kept in extensions); it is not a model description this importer can use",
                              f"来源中有超过 {MAX_EXTENSIONS:,} 个值在模型卡中没有对应位置（这些值将保留在 extensions 中）；"
                              f"该来源不是本导入工具可用的模型描述")
        text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, sort_keys=True)
        self.extensions.append({"name": name, "value": text})

    def finish(self) -> dict:
        self.data["conformity"] = {"standard": "YY/T 1833.5", "catalogue_version": catalogue_data()["catalogue_version"],
                                   "claim_all": True}
        _make_structurally_valid(self)
        if self.extensions:
            self.data["extensions"] = self.extensions
        prov = []
        for p in sorted(set(self.pointers)):
            if _resolves(self.data, p):
                entry = {"pointer": p, "origin": "imported", "source": self.source}
                if self.sha:
                    entry["source_sha256"] = self.sha
                prov.append(entry)
        self.data["provenance"] = prov
        order = schema_index()["classes"]["ModelCard"]["slot_order"]
        return {k: self.data[k] for k in order if k in self.data}


def _resolves(data, pointer: str) -> bool:
    node = data
    for part in pointer.strip("/").split("/"):
        if isinstance(node, dict) and part in node:
            node = node[part]
        elif isinstance(node, list) and part.isdigit() and int(part) < len(node):
            node = node[int(part)]
        else:
            return False
    return True


def _make_structurally_valid(card: _Card) -> None:
    """Move every object the schema rejects (a required field missing, a value out of its enum)
    into ``extensions`` until the card passes the structural check. Each round moves everything the
    check reports, deepest first, so a source with many such objects takes a few rounds, not one each."""
    for _ in range(20):
        targets = set()
        for issue in structural.check(card.data, card.data.get("provider_kind")):
            if issue.severity != "error":
                continue
            parts = tuple(pointers.tokens(issue.path))
            # a missing field: the object that lacks it cannot be formed; a bad value: drop the value
            target = parts[:-1] if issue.rule.endswith("required") else parts
            if not target or target == ("",):
                continue  # a required part of the card itself is missing: validation will report it
            targets.add(target)
        # an object inside another one that moves goes with it; list items go last index first
        targets = {t for t in targets if not any(t[:n] in targets for n in range(1, len(t)))}
        moved = []
        for target in sorted(targets, key=lambda t: [(0, int(x), "") if x.isdigit() else (1, 0, x) for x in t],
                             reverse=True):
            pointer = "/" + "/".join(target)
            if not _resolves(card.data, pointer):
                continue
            parent = card.data
            for part in target[:-1]:
                parent = parent[int(part)] if isinstance(parent, list) else parent[part]
            key = int(target[-1]) if isinstance(parent, list) else target[-1]
            moved.append((pointer, parent.pop(key)))
        if not moved:
            return
        for pointer, value in reversed(moved):  # in document order
            card.keep(f"unplaced:{pointer}", value)
        _prune_empty(card.data)


def _prune_empty(node) -> None:
    if isinstance(node, dict):
        for k in list(node):
            _prune_empty(node[k])
            if node[k] in ({}, []) and k not in ("limitations", "unsupported_uses"):
                del node[k]
    elif isinstance(node, list):
        for item in node:
            _prune_empty(item)


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "model"


@lru_cache(maxsize=1)
def _metric_names() -> dict[str, str]:
    """Normalised name, title or alias (also + "coefficient" / + "score" dropped) -> Metric value."""
    table: dict[str, str] = {}
    for value, meta in schema_index()["enums"]["Metric"]["values"].items():
        for name in (value, meta["title"], *meta.get("aliases", [])):
            norm = re.sub(r"[^a-z0-9]", "", name.lower())
            for suffix in ("", "coefficient", "score"):
                if suffix == "" or (norm.endswith(suffix) and len(norm) > len(suffix)):
                    table.setdefault(norm[: len(norm) - len(suffix)], value)
    return table


def _metric(key: str) -> str | None:
    """The schema's Metric value a source metric name denotes, by name, title or alias."""
    norm = re.sub(r"[^a-z0-9]", "", key.lower())
    norm = re.sub(r"^(mean|avg|average|val|test|eval)", "", norm)
    if norm and norm in _metric_names():
        return _metric_names()[norm]
    return {"dice": "dice_coefficient", "f1": "f1_measure", "iou": "intersection_over_union",
            "acc": "accuracy", "auroc": "auc", "hd95": "hausdorff_distance_95", "psnr": "peak_signal_to_noise_ratio",
            "ssim": "structural_similarity", "kappa": "kappa_coefficient", "fid": "frechet_inception_distance"}.get(norm)


def _task_type(text: str) -> str | None:
    low = text.lower()
    return next((t for key, t in TASKS if key in low), None)


# --- MONAI -------------------------------------------------------------------------------------

def import_monai(path: str | Path, declared: dict | None = None, folder: Path | None = None) -> dict:
    """``path``: a metadata file or a bundle folder (its ``configs/metadata.json``, else its
    ``metadata.json``, read only inside the folder); ``folder``: see :func:`_read_source`."""
    p = Path(path)
    if p.is_dir():
        folder = p
        p = next((c for c in bundle_metadata(p) if os.path.lexists(c)), None)
        if p is None:
            raise SourceError("no configs/metadata.json in the bundle folder", "MONAI 模型包文件夹中没有 configs/metadata.json")
    raw = _read_source(p, folder)
    meta = _parse(_decode(raw), True, "the MONAI metadata", "MONAI 元数据")
    if not isinstance(meta, dict):
        raise SourceError("MONAI metadata must be a JSON object, not " + ("a list" if isinstance(meta, list) else "a single value"),
                          "MONAI 元数据应为 JSON 对象，而不是" + ("列表" if isinstance(meta, list) else "单个值"))

    stem = p.name[: -len(".metadata.json")] if p.name.endswith(".metadata.json") else (
        p.parent.parent.name if p.parent.name == "configs" else _slug(str(meta.get("name", "bundle"))))
    card = _Card(p.name, hashlib.sha256(raw).hexdigest())
    used = set()  # keys read into the card; the others are kept verbatim in extensions

    def take(key, *types):
        """The value of ``key`` if it has one of ``types`` (any if none given), else None."""
        value = meta.get(key)
        if types and not (isinstance(value, types) and not isinstance(value, bool)):
            return None
        used.add(key)
        return value

    card.put("/identifier", f"monai.model-zoo.{_slug(stem)}")
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
        _monai_nodes(card, fmt)
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

    tt = _task_type(f"{task} {_text(meta.get('name')) or ''}")
    results = []
    metrics = take("eval_metrics", dict)
    if isinstance(metrics, dict):
        for key, value in sorted(metrics.items()):
            m = _metric(key)
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
    _declare(card, declared)
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


def _monai_nodes(card: _Card, fmt: dict) -> None:
    dtypes = set(schema_index()["enums"]["DType"]["values"])
    for side, node_key, spec_key in (("inputs", "input_nodes", "inputs"), ("outputs", "output_nodes", "outputs")):
        nodes, specs = [], []
        for name, item in _obj(fmt.get(side)).items():
            if not isinstance(item, dict):
                continue
            shape = None
            spatial = item.get("spatial_shape")
            channels = item.get("num_channels")
            if isinstance(spatial, list) and isinstance(channels, int) and not isinstance(channels, bool):
                dims = [_dim(d) for d in spatial]
                if all(d is not None for d in dims):
                    shape = ["batch", item["num_channels"], *dims]  # MONAI networks are batch-first, channel-first
            dtype = _text(item.get("dtype"))
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


# --- Hugging Face ------------------------------------------------------------------------------

def import_huggingface(path: str | Path, declared: dict | None = None, folder: Path | None = None) -> dict:
    """``declared``: values the user states that a README does not hold (version, provider name,
    provider kind); they are the user's declaration, not imported. ``folder``: see :func:`_read_source`."""
    p = Path(path)
    raw = _read_source(p, folder)
    text = _decode(raw)
    front, body = _front_matter(text)
    card = _Card(p.name, hashlib.sha256(raw).hexdigest())
    title = re.search(r"^#[ \t]+(\S.*)$", body, flags=re.M)
    used = set()  # front-matter keys read into the card; the others are kept verbatim in extensions
    index = _items(front.get("model-index"))
    index_name = _text(_obj(index[0]).get("name")) if index else None
    model_name = _text(front.get("model_name")) or index_name or (title.group(1).strip() if title else None)
    used |= {"model_name"} if _text(front.get("model_name")) else set()
    card.put("/name", model_name)
    if model_name:
        card.put("/identifier", f"huggingface.{_slug(model_name)}")
    lic = _text(front.get("license"))
    if lic:
        used |= {"license", "license_name"}
        card.put("/license/name", front.get("license_name") or lic)
        if lic.lower() not in ("other", "unknown"):
            card.put("/license/spdx_id", _spdx(lic))
    base = front.get("base_model")
    if isinstance(base, list):
        base = base[0] if base else None
    if isinstance(base, str):
        used |= {"base_model", "base_model_relation"}
        rel = {"finetune": "fine_tuned_from", "quantized": "quantised_from", "distillation": "distilled_from"}.get(
            str(front.get("base_model_relation", "")).lower(), "fine_tuned_from")
        card.put("/lineage", {"base_model": base, "base_model_url": f"https://huggingface.co/{base}", "relation": rel})
    tag = _text(front.get("pipeline_tag"))
    datasets = front.get("datasets")
    if isinstance(datasets, str):
        datasets = [datasets]
    if isinstance(datasets, list) and datasets and all(isinstance(d, str) for d in datasets):
        used.add("datasets")
        card.put("/source_task_data/datasets", [{"id": f"ds-{i + 1}", "name": str(d),
                                                 "url": f"https://huggingface.co/datasets/{d}"} for i, d in enumerate(datasets)])
        if tag in HF_PRETRAINING:
            card.put("/source_task_data/pretraining_task", {"kind": HF_PRETRAINING[tag], "description": f"Hugging Face pipeline_tag {tag}"})
    sections = _sections(body)
    if sections.get("description"):
        card.put("/summary", sections["description"][:2000])
    results = []
    for entry in index:
        for res in _items(_obj(entry).get("results")):
            task = _obj(_obj(res).get("task"))
            task_name = _text(task.get("name")) or _text(task.get("type"))
            ds = _text(_obj(_obj(res).get("dataset")).get("name"))
            for metric in _items(_obj(res).get("metrics")):
                m = _metric(_text(_obj(metric).get("type")) or _text(_obj(metric).get("name")) or "")
                val = _obj(metric).get("value")
                if m and isinstance(val, (int, float)) and not isinstance(val, bool):
                    results.append({"metric": m, "value": val, "task": " / ".join(x for x in (task_name, ds) if x) or None})
                else:
                    card.keep("huggingface:model-index.metric", metric)
    results = [{k: v for k, v in r.items() if v is not None} for r in results]
    task_type = HF_PIPELINE_TASKS.get(tag)
    if results or task_type or sections.get("limitations") or sections.get("unsupported_uses"):
        if task_type:
            card.put("/applicability/intended_tasks", [{"task_type": task_type,
                                                        "description": sections.get("intended_use") or f"pipeline_tag {tag}"}])
        card.put("/applicability/transfer_performance", results or None)
        card.put("/applicability/limitations", [sections["limitations"]] if sections.get("limitations") else None)
        card.put("/applicability/unsupported_uses", [sections["unsupported_uses"]] if sections.get("unsupported_uses") else None)
        card.data.setdefault("applicability", {}).setdefault("limitations", [])
        card.data["applicability"].setdefault("unsupported_uses", [])
    if sections.get("training_procedure"):
        card.keep("huggingface:section.training_procedure", sections["training_procedure"])
    if sections.get("training_data"):
        card.keep("huggingface:section.training_data", sections["training_data"])
    used |= {"model-index"} if isinstance(front.get("model-index"), list) else set()
    for key in sorted(set(front) - used - {"pipeline_tag"}):
        card.keep(f"huggingface:{key}", front[key])
    card.keep("huggingface:pipeline_tag", front.get("pipeline_tag"))
    _declare(card, declared)
    return card.finish()


_FRONT_OPEN = re.compile(r"---[ \t]*\r?\n")
_FRONT_CLOSE = re.compile(r"^---[ \t]*\r?$", flags=re.M)


def _front_matter(text: str) -> tuple[dict, str]:
    """The YAML front matter (between a first line ``---`` and the next line ``---``) parsed with the
    card loader's rules and limits, and the Markdown body after it."""
    opening = _FRONT_OPEN.match(text)
    closing = _FRONT_CLOSE.search(text, opening.end()) if opening else None
    if closing is None:
        return {}, text
    front = _parse(text[opening.end():closing.start()], False, "the YAML front matter", "YAML 前置元数据", 2)
    if front is None:
        front = {}
    if not isinstance(front, dict):
        raise SourceError("the YAML front matter is not a mapping", "YAML 前置元数据不是映射")
    return front, text[closing.end():].lstrip("\r\n")


def _declare(card: _Card, declared: dict | None) -> None:
    for key, value in (declared or {}).items():
        if value is None:
            continue
        if key == "provider_name":
            card.data.setdefault("provider", {})["name"] = value
        else:
            card.data[key] = value


def _spdx(hf_license: str) -> str:
    known = {"apache-2.0": "Apache-2.0", "mit": "MIT", "bsd-3-clause": "BSD-3-Clause", "cc-by-4.0": "CC-BY-4.0",
             "cc-by-nc-4.0": "CC-BY-NC-4.0", "cc-by-sa-4.0": "CC-BY-SA-4.0", "gpl-3.0": "GPL-3.0-only",
             "openrail": "LicenseRef-OpenRAIL", "llama2": "LicenseRef-Llama2", "cc-by-nc-sa-4.0": "CC-BY-NC-SA-4.0"}
    return known.get(hf_license.lower(), "LicenseRef-" + re.sub(r"[^A-Za-z0-9.-]", "-", hf_license))


def _sections(body: str) -> dict[str, str]:
    """Text of the known sections (the first of each); a section runs to the next heading of the same
    or a higher level."""
    out: dict[str, str] = {}
    heads = [(m.start(), m.end(), len(m.group(1)), m.group(2).strip()) for m in
             re.finditer(r"^(#{2,4})[ \t]+(.*)$", body, flags=re.M)]
    for i, (_, end, level, heading) in enumerate(heads):
        key = HF_SECTIONS.get(heading.lower().rstrip(":"))
        if not key or key in out:
            continue
        stop = next((heads[j][0] for j in range(i + 1, len(heads)) if heads[j][2] <= level), len(body))
        text = body[end:stop].strip()
        if text and "[More Information Needed]" not in text and text.lower() != "more information needed":
            out[key] = re.sub(r"\s+", " ", text)[:2000]
    return out


# --- batch -------------------------------------------------------------------------------------

def dump(card: dict) -> str:
    from ..spec.textsafe import yaml_dump

    return yaml_dump(card, sort_keys=False, width=100)  # reordering characters as escapes, never raw


def sources(kind: str, folder: Path) -> list[Path]:
    """The sources a batch import reads from a folder."""
    if kind == "monai":
        found = sorted(folder.glob("*.json")) + sorted(folder.glob("*/configs/metadata.json"))
    else:
        found = sorted(folder.glob("*.md")) + sorted(folder.glob("*/README.md"))
    return [p for p in found if not p.is_dir()]  # what is not a regular file is reported, not skipped


def bundle_metadata(bundle: Path) -> list[Path]:
    """Where a MONAI bundle folder keeps its metadata, in order of preference."""
    return [bundle / "configs" / "metadata.json", bundle / "metadata.json"]


def import_source(kind: str, path: Path, declared: dict | None = None, folder: Path | None = None) -> dict:
    """The card imported from one source; raises :class:`SourceError` if the source cannot be read.
    ``folder``: the folder of a batch, in which ``path`` was found (see :func:`_read_source`)."""
    try:
        if kind == "monai":
            return import_monai(path, declared, folder)
        return import_huggingface(path, declared, folder)
    except OSError as exc:
        raise SourceError(f"cannot read the source: {exc.strerror or exc}", f"无法读取来源：{exc.strerror or exc}") from None


def coverage(card: dict) -> tuple[dict, list[dict]]:
    """Per area (conforms, applicable) counts of the imported card, and its requirement statuses."""
    from ..spec import catalogue
    from ..check.pipeline import check_data

    _, statuses = check_data(card)
    by_id = catalogue.by_id()
    areas: dict[str, list[int]] = {a["id"]: [0, 0] for a in catalogue.areas()}
    for entry in statuses:
        if entry["status"] == "not_applicable":
            continue
        cell = areas[by_id[entry["id"]].area]
        cell[1] += 1
        cell[0] += entry["status"] == "conforms"
    return {k: tuple(v) for k, v in areas.items()}, statuses


def stem_of(path: Path) -> str:
    """The name a batch gives the card of the source ``path`` (``<stem>.card.yaml``): the bundle's
    folder for ``NAME/configs/metadata.json``, the folder for ``NAME/README.md``, else the file
    name without ``.metadata.json``, ``.json`` or ``.md``; made safe by :func:`safe_stem`."""
    name = path.name
    if name == "metadata.json" and path.parent.name == "configs":
        return safe_stem(path.parent.parent.name)
    if name == "README.md":
        return safe_stem(path.parent.name)
    return safe_stem(next((name[: -len(s)] for s in (".metadata.json", ".json", ".md") if name.endswith(s)), name))


# A stem is kept as it is if it is made of letters, digits (of any script), blanks and ._+-() only,
# starts with a letter, digit or _, is not a name Windows reserves, and fits in a file name.
_STEM_CHAR = re.compile(r"[\w .+()-]", flags=re.UNICODE)
_WINDOWS_RESERVED = {"CON", "PRN", "AUX", "NUL", *(f"COM{i}" for i in range(10)), *(f"LPT{i}" for i in range(10))}
MAX_STEM_BYTES = 200


def safe_stem(stem: str) -> str:
    """``stem`` if it is safe as the start of a file name, else its safe characters (others as
    ``_``, at most MAX_STEM_BYTES of UTF-8) then ``~`` and 10 hex digits of its SHA-256.

    Injective: a stem kept as it is never holds ``~``, and a changed one is told apart by its
    digest, so two sources never get one name through the change (two sources with one stem are
    refused by the batch). Nothing of the name can reach the terminal raw, leave the output folder,
    hide the file (leading dot) or read as an option (leading ``-``)."""
    if (stem[:1].isalnum() or stem[:1] == "_") and all(_STEM_CHAR.fullmatch(c) for c in stem) \
            and len(stem.encode("utf-8", "surrogatepass")) <= MAX_STEM_BYTES \
            and stem.split(".")[0].strip().upper() not in _WINDOWS_RESERVED:
        return stem
    safe = "".join(c if _STEM_CHAR.fullmatch(c) else "_" for c in stem)
    safe = safe.encode("utf-8", "surrogatepass")[:MAX_STEM_BYTES].decode("utf-8", "ignore").lstrip(". -+()") or "source"
    digest = hashlib.sha256(stem.encode("utf-8", "surrogatepass")).hexdigest()[:10]
    return f"{safe}~{digest}"
