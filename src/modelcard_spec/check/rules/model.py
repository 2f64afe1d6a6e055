"""Rules on the model's framework, parameters, weights, nodes and adaptation: combined techniques, trainable parameters, compression, pickle-based weights, node names, the recommended adaptation."""

from __future__ import annotations

from .base import Context, found, rule, enum_annotation, as_text


@rule("parameters.trainable", ("MCS-PA-01",), "error",
      "Trainable parameters do not exceed the total", "可训练参数量不超过参数总量",
      messages={"": ("trainable parameters ({trainable_parameters}) exceed the total ({total_parameters})",
                     "可训练参数量（{trainable_parameters}）超过参数总量（{total_parameters}）")})
def parameters_trainable(ctx: Context):
    for ptr, p in ctx.instances("ModelParameters"):
        total, trainable = p.get("total_parameters"), p.get("trainable_parameters")
        if isinstance(total, int) and isinstance(trainable, int) and trainable > total:
            yield found(f"{ptr}/trainable_parameters", trainable_parameters=trainable, total_parameters=total)


@rule("compression.none-alone", ("MCS-PA-04",), "error",
      "'none' is not combined with a compression method", "“无”不与其他压缩方法并列",
      messages={"": ("compression lists 'none' together with other methods", "压缩方法同时列出了“无”和其他方法")})
def compression_none_alone(ctx: Context):
    for ptr, c in ctx.instances("Compression"):
        methods = c.get("methods") if isinstance(c.get("methods"), list) else []
        if "none" in methods and len(methods) > 1:
            yield found(f"{ptr}/methods")


_PICKLE_UNSAFE = " (pickle-based, can run code when loaded) and has no safe-loading statement"


_PICKLE_UNSAFE_ZH = " 格式（基于 pickle，加载时可执行代码），但未给出安全加载说明"


@rule("weights.pickle-safe-loading", ("MCS-PA-06",), "warning",
      "Pickle-based weight files state how to load them safely", "基于 pickle 的权重文件说明安全加载方式",
      messages={
          "": ("{file_name} is {format}" + _PICKLE_UNSAFE, "{file_name} 为 {format}" + _PICKLE_UNSAFE_ZH),
          "unnamed": ("weight file is {format}" + _PICKLE_UNSAFE, "权重文件为 {format}" + _PICKLE_UNSAFE_ZH),
      })
def weights_pickle_safe_loading(ctx: Context):
    for ptr, w in ctx.instances("WeightFile"):
        fmt = w.get("format")
        if enum_annotation("WeightFormat", fmt, "pickle_based") == "true" and not w.get("safe_loading"):
            if "file_name" in w:
                yield found(f"{ptr}/safe_loading", file_name=as_text(w["file_name"]), format=fmt)
            else:
                yield found(f"{ptr}/safe_loading", "unnamed", format=fmt)


@rule("io.node-names", ("MCS-IO-01", "MCS-IO-04"), "error",
      "Input/output specifications name declared nodes", "输入输出规格所指节点均已声明",
      messages={
          "input": ("'{node}' is not one of the declared input nodes ({declared})", "“{node}”不是已声明的节点（{declared}）"),
          "output": ("'{node}' is not one of the declared output nodes ({declared})", "“{node}”不是已声明的节点（{declared}）"),
      })
def io_node_names(ctx: Context):
    nodes = ctx.data.get("model_nodes") if isinstance(ctx.data.get("model_nodes"), dict) else {}
    io = ctx.data.get("input_output") if isinstance(ctx.data.get("input_output"), dict) else {}
    for spec_key, node_key, variant, req in (("inputs", "input_nodes", "input", "MCS-IO-01"),
                                             ("outputs", "output_nodes", "output", "MCS-IO-04")):
        declared = {n["name"] for n in (nodes.get(node_key) if isinstance(nodes.get(node_key), list) else []) if isinstance(n, dict) and isinstance(n.get("name"), str)}
        if not declared:
            continue
        for i, spec in enumerate(io.get(spec_key) if isinstance(io.get(spec_key), list) else []):
            if isinstance(spec, dict) and isinstance(spec.get("node"), str) and spec["node"] not in declared:
                yield found(f"/input_output/{spec_key}/{i}/node", variant, requirement=req,
                            node=spec["node"], declared=sorted(declared))


@rule("adaptation.recommended-supported", ("MCS-AP-02",), "warning",
      "The recommended adaptation is among the supported ones", "推荐的适配方式属于支持的适配方式",
      messages={"": ("recommended adaptation '{recommended}' is not among the supported adaptations ({supported})",
                     "推荐的适配方式“{recommended}”不在支持的适配方式中（{supported}）")})
def adaptation_recommended_supported(ctx: Context):
    app = ctx.data.get("applicability") if isinstance(ctx.data.get("applicability"), dict) else {}
    nodes = ctx.data.get("model_nodes") if isinstance(ctx.data.get("model_nodes"), dict) else {}
    rec, supported = app.get("recommended_adaptation"), nodes.get("supported_adaptations")
    if isinstance(rec, str) and isinstance(supported, list) and supported and rec not in supported:
        yield found("/applicability/recommended_adaptation", recommended=rec, supported=supported)


@rule("framework.combined-algorithms", ("MCS-FW-08",), "error",
      "Each combined technique has its algorithm's basic information and rationale",
      "组合使用的每项技术均给出算法基本信息和选用依据",
      messages={"": ("{declared} declares {technique} as a combined technique, but no entry here gives its "
                     "algorithm's basic information and selection rationale",
                     "{declared} 声明组合使用了{technique}，但此处没有该技术的条目（算法基本信息和选用依据）")},
      labels={"technique": "value:field", "field": "field"})
def framework_combined_algorithms(ctx: Context):
    """At the list of combined algorithms (where the entry belongs), naming the technique declared."""
    framework = ctx.data.get("model_framework") if isinstance(ctx.data.get("model_framework"), dict) else {}
    algorithm_type = framework.get("algorithm_type") if isinstance(framework.get("algorithm_type"), dict) else {}
    techniques = algorithm_type.get("combined_techniques")
    algorithms = framework.get("combined_algorithms") if isinstance(framework.get("combined_algorithms"), list) else []
    described = {a.get("technique") for a in algorithms if isinstance(a, dict) and isinstance(a.get("technique"), str)}
    for i, technique in enumerate(techniques if isinstance(techniques, list) else []):
        if isinstance(technique, str) and technique != "none" and technique not in described:
            yield found("/model_framework/combined_algorithms", technique=technique,
                        declared=f"/model_framework/algorithm_type/combined_techniques/{i}",
                        field="model_framework.algorithm_type.combined_techniques")
