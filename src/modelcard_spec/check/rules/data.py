"""Rules on the source-task data: split ratios, disjoint splits (in declaration and in fact), augmentation of the test set, the amount used, annotation roles."""

from __future__ import annotations

from ...spec.evidence import EvidenceError
from ..evidence_reader import MAX_SAMPLE_LISTS
from .base import Context, found, rule, as_text, chinese_role, is_number


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


@rule("augmentation.test-set", ("MCS-TR-02",), "error",
      "The test set is not augmented (except adversarial test sets)", "除对抗测试外不应对测试集进行扩增",
      messages={"": ("the test set is augmented; only adversarial test sets may be",
                     "对测试集进行了扩增；仅对抗测试集可以扩增")})
def augmentation_test_set(ctx: Context):
    for ptr, a in ctx.instances("Augmentation"):
        if a.get("object") == "test_set":
            yield found(f"{ptr}/object")


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
