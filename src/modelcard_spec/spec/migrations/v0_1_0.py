"""Schema 0.1.0 -> 0.2.0 (the release tagged v0.2.0: verdicts that keep apart what is different).

What changed for a card (CHANGELOG.md, docs/guides/versioning.md, the JSON Schemas of the two
releases compared): the claim status ``not_applied`` became ``not_adopted``, which requires a
``reason`` code that a 0.1.0 card does not have; conditional requirements need their condition
stated either way (``training_process.augmentation_performed``, ``datasets[].annotated``), where 0.1.0
read a block left out as "does not apply". Fields that were required became optional (no change
for a card). Nothing is removed from a card, so nothing goes to ``extensions``.
"""

from __future__ import annotations

from .. import pointers
from .base import Change, copied, instances, reasons, set_version

SOURCE = "0.1.0"
TARGET = "0.2.0"

_change = reasons(SOURCE, TARGET, {
    "not-applied": ("the claim status not_applied is called not_adopted from 0.2.0 on",
                    "自 0.2.0 版起，声明状态 not_applied 改称 not_adopted"),
    "reason": ("a requirement not adopted needs a reason code from 0.2.0 on (not_relevant_to_model, "
               "information_unavailable or provider_choice), which the 0.1.0 card does not give: it is not "
               "guessed; add it, or, if the requirement did not apply because its condition does not hold, "
               "remove the declaration and state the condition",
               "自 0.2.0 版起，不采用的要求应给出原因代码（not_relevant_to_model、information_unavailable 或 "
               "provider_choice），0.1.0 版模型卡未给出：迁移不作推测；请补充，或在该要求因条件不成立而不适用时删除该声明并说明条件"),
    "augmentation": ("0.2.0 asks whether augmentation was performed, either way; a 0.1.0 card that lists no "
                     "augmentations meant 'not applicable', which is not guessed: state "
                     "augmentation_performed",
                     "0.2.0 版要求无论是否扩增均应说明；0.1.0 版模型卡省略扩增部分表示“不适用”，迁移不作推测：请填写 "
                     "augmentation_performed"),
    "annotated": ("0.2.0 asks whether a dataset is annotated, either way; a dataset without an annotation "
                  "block is not guessed to be unannotated: state annotated",
                  "0.2.0 版要求说明数据集是否经过标注；没有标注部分的数据集不推测为未标注：请填写 annotated"),
})


def apply(card: dict) -> tuple[dict, list[Change]]:
    new = copied(card)
    changes = set_version(new, SOURCE, TARGET)
    for ptr, claim in instances(card, SOURCE, "RequirementClaim"):
        if claim.get("status") == "not_applied":
            target = pointers.resolve(new, pointers.tokens(ptr))
            target["status"] = "not_adopted"
            changes.append(_change("renamed", f"{ptr}/status", f"{ptr}/status", "not_applied", "not_adopted",
                                   "not-applied"))
            if "reason" not in claim:
                changes.append(_change("missing", ptr, f"{ptr}/reason", None, None, "reason"))
    for ptr, process in instances(card, SOURCE, "TrainingProcess"):
        if not process.get("augmentations"):
            changes.append(_change("missing", ptr, f"{ptr}/augmentation_performed", None, None, "augmentation"))
    for ptr, dataset in instances(card, SOURCE, "Dataset"):
        if "annotation" not in dataset:
            changes.append(_change("missing", ptr, f"{ptr}/annotated", None, None, "annotated"))
    return new, changes
