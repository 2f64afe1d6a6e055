"""Rules on the source-task data and the training process: split ratios, disjoint splits (in
declaration and in fact), each split's distribution against its size, augmentation (of the test set,
with a generative adversarial network, the augmented-versus-annotated table), the amount used,
historical data, evaluation databases, annotation roles, annotation software and processing tools."""

from __future__ import annotations

import math

from ...spec.evidence import EvidenceError
from ..evidence_reader import MAX_SAMPLE_LISTS
from ...spec.resources import schema_index
from .base import Context, found, rule, as_text, chinese_role, decimal_places, is_number


@rule("splits.ratio-sum", ("MCS-TR-03",), "error", "Split ratios sum to 1", "数据划分比例之和为 1",
      messages={"": ("split ratios sum to {sum:g}, not 1", "数据划分比例之和为 {sum:g}，而不是 1")})
def splits_ratio_sum(ctx: Context):
    for ptr, s in ctx.instances("DataSplits"):
        splits = s.get("splits") if isinstance(s.get("splits"), list) else []
        ratios = [x.get("ratio") for x in splits if isinstance(x, dict)]
        if ratios and all(is_number(r) for r in ratios) and abs(sum(ratios) - 1) > 1e-3:
            yield found(f"{ptr}/splits", sum=sum(ratios))


_UNCHECKED = ", so whether the splits share samples could not be checked"


_UNCHECKED_ZH = "，无法核验各子集是否共享样本"


@rule("splits.disjoint", ("MCS-TR-04",), "error",
      "Training, tuning and test sets are pairwise disjoint, in declaration and in fact",
      "训练集、调优集、测试集在声明上和事实上两两无交集",
      messages={
          "declared": ("the splits are declared not disjoint; they must not share samples",
                       "声明各子集存在交集；各子集不应共享样本"),
          "too-many": ("{count} sample list(s), from the {role} sample list '{sample_list}' on, were not compared "
                       "with the others: at most {limit} sample lists are compared per card" + _UNCHECKED,
                       "自{role_zh}的样本清单“{sample_list}”起，有 {count} 个样本清单未参与比对：每张模型卡最多比对 "
                       "{limit} 个样本清单" + _UNCHECKED_ZH),
          "unreadable": ("the {role} sample list '{sample_list}' {reason}" + _UNCHECKED,
                         "{role_zh}的样本清单“{sample_list}”{reason_zh}" + _UNCHECKED_ZH),
          "shared": ("the {role} sample list '{sample_list}' and the {other_role} sample list "
                     "'{other_sample_list}' share {count} sample(s), e.g. {example}",
                     "{role_zh}的样本清单“{sample_list}”与{other_role_zh}的样本清单“{other_sample_list}”"
                     "有 {count} 个共同样本，例如 {example}"),
      })
def splits_disjoint(ctx: Context):
    evidence = ctx.by_id("Evidence")
    for ptr, s in ctx.instances("DataSplits"):
        if s.get("disjoint") is False:
            yield found(f"{ptr}/disjoint", "declared")
        if ctx.folder is None:
            continue
        lists = []  # (index, role, path) of every split that names a local sample list
        for i, split in enumerate(s.get("splits") if isinstance(s.get("splits"), list) else []):
            if isinstance(split, dict) and isinstance(split.get("sample_list"), str):
                ev = evidence.get(split["sample_list"])
                if isinstance(ev, dict) and isinstance(ev.get("path"), str):
                    lists.append((i, split.get("role", "?"), ev["path"]))
        if len(lists) > MAX_SAMPLE_LISTS:
            i, role, rel = lists[MAX_SAMPLE_LISTS]
            yield found(f"{ptr}/splits/{i}/sample_list", "too-many", count=len(lists) - MAX_SAMPLE_LISTS,
                        role=as_text(role), role_zh=chinese_role(role), sample_list=rel, limit=MAX_SAMPLE_LISTS)
        members = []
        for i, role, rel in lists[:MAX_SAMPLE_LISTS]:
            try:
                members.append((i, role, rel, ctx.evidence.sample_list(rel)))
            except EvidenceError as exc:  # each list on its own: one bad list does not stop the others
                # an absent list too: evidence.sha256 warns that the file is not beside the card, but
                # the disjointness "in fact" that MCS-TR-04 asks for was not checked
                yield found(f"{ptr}/splits/{i}/sample_list", "unreadable", role=as_text(role),
                            role_zh=chinese_role(role, initial=True), sample_list=rel,
                            reason=exc.reason, reason_zh=exc.reason_zh)
        for a in range(len(members)):
            for b in range(a + 1, len(members)):
                (_, ra, pa, la), (ib, rb, pb, lb) = members[a], members[b]
                shared, example = la.shared_with(lb)
                if shared:
                    yield found(f"{ptr}/splits/{ib}/sample_list", "shared",
                                role=as_text(ra), role_zh=chinese_role(ra, initial=True), sample_list=pa,
                                other_role=as_text(rb), other_role_zh=chinese_role(rb), other_sample_list=pb,
                                count=shared, example=example)


def _given(value) -> bool:
    """Whether a card states a value: present, and not an empty or blank text."""
    return value is not None and not (isinstance(value, str) and not value.strip())


def _titles(class_name: str, slots) -> tuple[str, str]:
    """The English (lower case, joined by ", ") and Chinese (joined by "、") titles of slots of a class."""
    spec = schema_index()["classes"][class_name]["slots"]
    return (", ".join(spec[s]["title"][:1].lower() + spec[s]["title"][1:] for s in slots),
            "、".join(spec[s]["title_zh"] for s in slots))


@rule("augmentation.test-set", ("MCS-TR-02",), "error",
      "In principle the test set is not augmented (adversarial testing excepted); an augmented test set is justified",
      "原则上不对测试集进行数据扩增（对抗测试除外）；对测试集扩增应说明理由",
      messages={
          "": ("the test set is augmented and no justification is given; in principle the test set is not "
               "augmented, except for adversarial testing",
               "对测试集进行了扩增且未说明理由；原则上不得对测试集进行数据扩增，对抗测试除外"),
          "justified": ("the test set is augmented, with a justification; in principle the test set is not augmented "
                        "(adversarial testing excepted), so a reviewer must judge whether the justification holds",
                        "对测试集进行了扩增并说明了理由；原则上不得对测试集进行数据扩增（对抗测试除外），"
                        "该理由是否成立应由审核人员判断"),
      })
def augmentation_test_set(ctx: Context):
    for ptr, a in ctx.instances("Augmentation"):
        if a.get("object") == "test_set":
            if _given(a.get("justification")):
                yield found(f"{ptr}/object", "justified", severity="warning")
            else:
                yield found(f"{ptr}/object")


@rule("augmentation.gan-generator", ("MCS-TR-02",), "error",
      "Augmentation with a generative adversarial network describes the network and why it was chosen",
      "采用生成对抗网络进行数据扩增时说明算法基本信息以及算法选用依据",
      messages={"": ("the augmentation uses a generative adversarial network but does not describe it: give the "
                     "network's basic information and why it was chosen",
                     "扩增采用了生成对抗网络但未说明该网络：应明确算法基本信息以及算法选用依据")})
def augmentation_gan_generator(ctx: Context):
    for ptr, a in ctx.instances("Augmentation"):
        methods = a.get("methods") if isinstance(a.get("methods"), list) else []
        if "generative_adversarial_network" in methods and not _given(a.get("generator")):
            yield found(f"{ptr}/methods")


def _plain(number):
    """A product as a message shows it: a whole number without decimals, otherwise to four decimals; a
    number too large to write out (or not finite) in the shortest exponent form."""
    if not math.isfinite(number) or abs(number) >= 1e15:
        return f"{number:g}"
    rounded = round(number, 4)
    return int(rounded) if rounded == int(rounded) else rounded


def _multiplier_holds(annotated: int, augmented: int, multiplier) -> bool:
    """augmented = annotated × multiplier up to rounding: the product rounded to a whole number, or a
    fractional multiplier written with d decimals being augmented / annotated rounded to d decimals (a
    whole multiplier, 2 or 2.0, is taken as exact)."""
    product = annotated * multiplier
    if not math.isfinite(product):
        return False
    if abs(augmented - product) < 1:
        return True
    if float(multiplier).is_integer() or annotated == 0:
        return False
    places = decimal_places(float(multiplier))
    return round(augmented / annotated, places) == round(float(multiplier), places)


@rule("augmentation.comparison", ("MCS-TR-02",), "error",
      "In the augmented-versus-annotated table, the augmented size is the annotated size times the multiplier",
      "扩增数据库与标注数据库对比中，扩增数据库样本量等于标注数据库样本量乘以扩增倍数",
      messages={"": ("the augmented size of the {split} set ({augmented_size}) is not its annotated size "
                     "({annotated_size}) times the multiplier {multiplier}, which is {expected}",
                     "{split_zh}的扩增数据库样本量（{augmented_size}）不等于标注数据库样本量（{annotated_size}）"
                     "乘以扩增倍数 {multiplier}，即 {expected}")})
def augmentation_comparison(ctx: Context):
    for ptr, row in ctx.instances("AugmentationComparison"):
        annotated, augmented, multiplier = row.get("annotated_size"), row.get("augmented_size"), row.get("multiplier")
        if not (isinstance(annotated, int) and isinstance(augmented, int) and is_number(multiplier)) \
                or isinstance(annotated, bool) or isinstance(augmented, bool):
            continue
        if not _multiplier_holds(annotated, augmented, multiplier):
            split = row.get("split")
            yield found(f"{ptr}/augmented_size", split=as_text(split), split_zh=chinese_role(split, initial=True),
                        augmented_size=augmented, annotated_size=annotated, multiplier=multiplier,
                        expected=_plain(annotated * multiplier))


# Each sample comes from one site and one device, so those counts cannot exceed the split's size (a list
# may be partial); category counts may overlap (multi-label findings) and are not summed.
_DISTRIBUTION_LISTS = ("sites", "devices")


@rule("splits.distribution-size", ("MCS-TR-08",), "error",
      "The site and device counts of a split do not exceed the split's size", "数据子集的来源机构和设备计数之和不超过该子集的样本量",
      messages={"": ("the {list} counts of the {role} set sum to {sum}, more than the set's size {size}",
                     "{role_zh}的{list_zh}计数之和为 {sum}，超过该子集的样本量 {size}")})
def splits_distribution_size(ctx: Context):
    for ptr, split in ctx.instances("Split"):
        size, distribution = split.get("size"), split.get("distribution")
        if not isinstance(size, int) or isinstance(size, bool) or not isinstance(distribution, dict):
            continue
        for name in _DISTRIBUTION_LISTS:
            items = distribution.get(name)
            counts = [c.get("count") for c in items if isinstance(c, dict)] if isinstance(items, list) else []
            if not counts or not all(isinstance(c, int) and not isinstance(c, bool) for c in counts):
                continue
            if sum(counts) > size:
                en, zh = _titles("DataDistribution", [name])
                role = split.get("role")
                yield found(f"{ptr}/distribution/{name}", list=en, list_zh=zh, role=as_text(role),
                            role_zh=chinese_role(role, initial=True), sum=sum(counts), size=size)


@rule("annotation.roles", ("MCS-SD-07",), "error",
      "Annotation has primary annotators, and one person never holds two roles on a case",
      "标注有初级标注人员，且同一例数据的角色不由同一人兼任",
      messages={
          "no-primary": ("the annotation roles include no primary annotator", "标注人员角色中没有初级标注人员"),
          "not-independent": ("primary annotation, review and arbitration of one case must be done by different people",
                              "同一例数据的初级标注、审核和仲裁人员不应相互兼任"),
      })
def annotation_roles(ctx: Context):
    for ptr, a in ctx.instances("AnnotationProcess"):
        roles = [r.get("role") for r in (a.get("roles") if isinstance(a.get("roles"), list) else []) if isinstance(r, dict)]
        if roles and "primary_annotator" not in roles:
            yield found(f"{ptr}/roles", "no-primary")
        if a.get("roles_independent") is False:
            yield found(f"{ptr}/roles_independent", "not-independent")


@rule("dataset.amount-used", ("MCS-SD-02",), "error",
      "The amount used does not exceed the dataset's total size", "使用量不超过数据总量",
      messages={"": ("amount used ({amount_used}) exceeds the dataset's total size ({total_size})",
                     "使用量（{amount_used}）超过数据总量（{total_size}）")})
def dataset_amount_used(ctx: Context):
    for ptr, d in ctx.instances("Dataset"):
        total, used = d.get("total_size"), d.get("amount_used")
        if isinstance(total, int) and isinstance(used, int) and used > total:
            yield found(f"{ptr}/amount_used", amount_used=used, total_size=total)


_HISTORICAL_NEEDS = ("inclusion_criteria", "exclusion_criteria", "acquisition_quality_assessment")


@rule("dataset.historical", ("MCS-SD-11",), "error",
      "Historical data have screening criteria and an acquisition-quality assessment",
      "历史数据有数据筛选标准和数据采集质量评估",
      messages={"": ("the dataset '{name}' is historical data but does not state its {missing}",
                     "数据集“{name}”为历史数据，但未说明{missing_zh}")})
def dataset_historical(ctx: Context):
    """Missing statements: the requirement is incomplete, not failed (conformity.MISSING_CHECKS)."""
    for ptr, d in ctx.instances("Dataset"):
        if d.get("historical") is not True:
            continue
        missing = [s for s in _HISTORICAL_NEEDS if not _given(d.get(s))]
        if missing:
            en, zh = _titles("Dataset", missing)
            yield found(f"{ptr}/historical", fields=missing, missing=en, missing_zh=zh, name=as_text(d.get("name")))


@rule("dataset.received-sensitive", ("MCS-SD-11",), "error",
      "Historical data were de-identified before the provider received them", "历史数据在提供方接收前已脱敏",
      messages={"": ("the dataset '{name}' is historical data and was received before de-identification; only "
                     "de-identified data may be received, and no sensitive data may enter the provider's organisation",
                     "数据集“{name}”为历史数据，且接收时尚未脱敏；提供方接收的数据应为脱敏后的数据，不得有敏感数据流入提供方")})
def dataset_received_sensitive(ctx: Context):
    for ptr, d in ctx.instances("Dataset"):
        if d.get("historical") is True and d.get("de_identified_before_receipt") is False:
            yield found(f"{ptr}/de_identified_before_receipt", name=as_text(d.get("name")))


@rule("dataset.public-evaluation-database", ("MCS-AP-11",), "error",
      "A public database is not used as an evaluation database", "不应使用公开数据库作为测评数据库",
      messages={"": ("the dataset '{name}' is public and is used as an evaluation database; the guide says that a "
                     "public database should not be used as an evaluation database",
                     "数据集“{name}”为公开数据集且用作测评数据库；指南规定“不应使用公开数据库作为测评数据库”")})
def dataset_public_evaluation_database(ctx: Context):
    for ptr, d in _evaluation_databases(ctx):
        if d.get("public") is True:
            yield found(f"{ptr}/public", name=as_text(d.get("name")))


def _evaluation_databases(ctx: Context):
    """(pointer, dataset) of each evaluation dataset the card marks as an evaluation database (the
    datasets the model was evaluated on: a source dataset is not an evaluation database)."""
    for ptr, applicability in ctx.instances("Applicability"):
        datasets = applicability.get("evaluation_datasets")
        for i, d in enumerate(datasets if isinstance(datasets, list) else []):
            if isinstance(d, dict) and d.get("evaluation_database") is True:
                yield f"{ptr}/evaluation_datasets/{i}", d


@rule("dataset.evaluation-database-qualities", ("MCS-AP-11",), "error",
      "An evaluation database says how it meets the guide's requirements on evaluation databases",
      "测评数据库说明其如何满足指南对测评数据库的要求",
      messages={"": ("the dataset '{name}' is an evaluation database but does not say how it meets the general database "
                     "requirements and is authoritative, scientific, standardised, diverse, closed and dynamic",
                     "数据集“{name}”为测评数据库，但未说明其如何满足数据库通用要求以及权威性、科学性、规范性、多样性、封闭性和动态性要求")})
def dataset_evaluation_database_qualities(ctx: Context):
    """A missing statement: the requirement is incomplete, not failed (conformity.MISSING_CHECKS)."""
    for ptr, d in _evaluation_databases(ctx):
        if not _given(d.get("evaluation_database_qualities")):
            yield found(f"{ptr}/evaluation_database_qualities", name=as_text(d.get("name")))


_SOFTWARE_NEEDS = ("version", "maker", "runtime_environment", "validation")


def _unidentified(software) -> tuple[list[str], str, str] | None:
    """The identification fields a software entry lacks (slot names, English and Chinese titles). An entry
    that names no software (a template's empty block) is the missing-field check's, not this one's."""
    if not isinstance(software, dict) or not _given(software.get("name")):
        return None
    missing = [s for s in _SOFTWARE_NEEDS if not _given(software.get(s))]
    return (missing, *_titles("SoftwareComponent", missing)) if missing else None


@rule("annotation.software", ("MCS-SD-13",), "error",
      "Annotation software (automatic annotation software included) states its full version, maker, runtime "
      "environment and software validation",
      "标注软件（含自动标注软件）说明完整版本、制造商、运行环境和软件确认",
      messages={"": ("the annotation software '{software}' does not state its {missing}",
                     "标注软件“{software}”未说明{missing_zh}")})
def annotation_software(ctx: Context):
    for ptr, a in ctx.instances("AnnotationProcess"):
        entries = [(f"{ptr}/automatic_annotation", a.get("automatic_annotation"))]
        listed = a.get("software") if isinstance(a.get("software"), list) else []
        entries += [(f"{ptr}/software/{i}", s) for i, s in enumerate(listed)]
        for where, software in entries:
            gap = _unidentified(software)
            if gap:
                yield found(where, software=as_text(software.get("name")), fields=gap[0], missing=gap[1],
                            missing_zh=gap[2])


@rule("processing.tool", ("MCS-SD-06",), "error",
      "A data cleaning or preprocessing tool states its full version, maker, runtime environment and software validation",
      "数据清洗或预处理所用软件工具说明完整版本、制造商、运行环境和软件确认",
      messages={"": ("the tool '{tool}' of {step_kind} step '{step}' does not state its {missing}",
                     "{step_kind_zh}步骤“{step}”所用工具“{tool}”未说明{missing_zh}")})
def processing_tool(ctx: Context):
    for ptr, d in ctx.instances("Dataset"):
        for kind in ("cleaning", "preprocessing"):
            steps = d.get(kind) if isinstance(d.get(kind), list) else []
            for i, step in enumerate(steps):
                tool = step.get("tool") if isinstance(step, dict) else None
                gap = _unidentified(tool)
                if gap:
                    kind_en, kind_zh = _titles("Dataset", [kind])
                    yield found(f"{ptr}/{kind}/{i}/tool", tool=as_text(tool.get("name")), step=as_text(step.get("step")),
                                step_kind=kind_en, step_kind_zh=kind_zh, fields=gap[0], missing=gap[1],
                                missing_zh=gap[2])


@rule("annotation.automatic-review", ("MCS-SD-13",), "error",
      "The results of automatic annotation are reviewed by annotators before use", "自动标注结果经标注人员审核后方可使用",
      messages={"": ("automatic annotation software ('{software}') is named but not how annotators reviewed its "
                     "results; they must not be used directly",
                     "列明了自动标注软件（“{software}”），但未说明标注人员如何审核其结果；自动标注结果不得直接使用")})
def annotation_automatic_review(ctx: Context):
    for ptr, a in ctx.instances("AnnotationProcess"):
        software = a.get("automatic_annotation")
        if isinstance(software, dict) and _given(software.get("name")) and not _given(a.get("automatic_annotation_review")):
            yield found(f"{ptr}/automatic_annotation", software=as_text(software.get("name")))
