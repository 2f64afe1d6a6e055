"""What ``inspect`` writes from a :class:`.modelinfo.ModelInfo`: the card fields the file
determines (with a provenance entry marking each as extracted), and the summary of everything read
for ``--format json``."""

from __future__ import annotations

from pathlib import Path

from .modelinfo import ModelInfo, Node


def _node(node: Node, dtypes: set[str]) -> dict:
    """A graph input or output as a card's tensor node."""
    out: dict = {"name": node.name}
    if node.shape is not None:
        # an axis with neither a size nor a name in the file becomes the symbol d<axis>
        out["shape"] = [d if isinstance(d, str) or (isinstance(d, int) and d > 0) else f"d{i}"
                        for i, d in enumerate(node.shape)]
    if node.dtype in dtypes:
        out["dtype"] = node.dtype
    return out


def card_fragment(info: ModelInfo, tool: str) -> dict:
    """The card fields this file determines, with a provenance entry marking each as extracted."""
    from ..spec.resources import schema_index

    enums = schema_index()["enums"]
    dtypes = set(enums["DType"]["values"])
    source = f"{tool}, {Path(info.path).name}"
    fragment: dict = {}
    pointers: list[str] = []
    nodes: dict = {}
    if info.inputs or info.outputs:
        nodes["input_nodes"] = [_node(n, dtypes) for n in info.inputs]
        nodes["output_nodes"] = [_node(n, dtypes) for n in info.outputs]
        pointers += ["/model_nodes/input_nodes", "/model_nodes/output_nodes"]
    if info.operator_counts:
        ops: dict = {}
        if info.opset_version is not None:
            ops["opset_version"] = info.opset_version
        ops["operator_counts"] = [{"name": k, "value": str(v)} for k, v in sorted(info.operator_counts.items())]
        ops["custom_operators"] = list(info.custom_operators)
        nodes["operators"] = ops
        pointers.append("/model_nodes/operators")
    if nodes:
        fragment["model_nodes"] = nodes
    params: dict = {}
    if info.total_parameters:
        params["total_parameters"] = info.total_parameters
        params["parameters_by_dtype"] = [{"name": k, "value": str(v)} for k, v in info.parameters_by_dtype.items()]
        pointers += ["/model_parameters/total_parameters", "/model_parameters/parameters_by_dtype"]
    if info.precision in enums["Precision"]["values"]:
        params["precision"] = info.precision
        pointers.append("/model_parameters/precision")
    params["weight_files"] = [{"file_name": Path(info.path).name, "format": info.format,
                               "size_bytes": info.size_bytes, "sha256": info.sha256}]
    pointers.append("/model_parameters/weight_files/0")
    fragment["model_parameters"] = params
    fragment["provenance"] = [{"pointer": p, "origin": "extracted", "source": source, "source_sha256": info.sha256}
                              for p in pointers]
    return fragment


def summary(info: ModelInfo) -> dict:
    """Everything inspect read, for ``--format json``: the fragment's facts and the pickle scan."""
    return {
        "file": Path(info.path).name, "container": info.container, "format": info.format,
        "size_bytes": info.size_bytes, "sha256": info.sha256, "framework": info.framework,
        "framework_version": info.framework_version, "opsets": info.opsets, "notes": info.notes,
        "tensor_count": info.tensor_count, "total_parameters": info.total_parameters,
        "buffer_elements": info.buffer_elements, "parameters_by_dtype": info.parameters_by_dtype,
        "precision": info.precision, "pickle_based": info.pickle_based, "globals": info.globals,
        "findings": [{"global": f.name, "classification": f.classification, "stream": f.stream,
                      "offset": f.offset, "count": f.count,
                      "locations": [{"stream": st, "offset": at} for st, at in f.locations]}
                     for f in info.findings],
        "external_data": [{"tensor": e.name, "initializer": e.initializer, "location": e.location,
                           "offset": e.offset, "length": e.length, "checked": e.problem is None,
                           **({"problem": e.problem[0], "problem_zh": e.problem[1]} if e.problem else {})}
                          for e in info.external_data],
    }
