"""What changed between two cards of one model, and what kind of update that makes.

:func:`diff` reads both cards with the card loader (its limits, its located errors), lists every
change as a JSON Pointer with the old and the new value (``added``, ``removed``, ``changed``; the items
of a list of objects whose class has an identifier -- datasets, evidence -- are matched by it, other
lists of objects by position, lists of plain values compared whole), puts each change in the change
area of the catalogue's ``update_rules`` (generated from ``schema/updates.yaml``: the longest pattern
that matches its pointer), and classifies each area: major or minor where a card's update control
lists the area (``major_update_areas``, ``minor_update_areas``), else the area's default -- by OLD's
criteria (those in force) and by NEW's, the stricter of the two, so that a release cannot lower its
own class by editing its criteria (``diff.update-control`` warns of such an edit). The
proposal is the highest class found (``major``, ``minor``, ``editorial-only`` or ``none``) with the
driver of the areas that made it (algorithm-driven before data-driven), each with its reasons.

It then checks the NEW card as a release following OLD (the ``diff.*`` checks, located in NEW): the same
identifier and a greater version (semantic version order); NEW's change history has an entry for NEW's
version and keeps OLD's entries unaltered; that entry's declared update type and driver agree with the
proposal and its coded changed areas name the areas changed; no data used for training or tuning in
OLD is test data in NEW (G52: test data may become training data, never the reverse; datasets matched
by identifier, name or URL/DOI, split sample lists only by the SHA-256 of their whole evidence file);
NEW states whether rollback is supported and, if it is, how (a placeholder is no mechanism); removed
warnings, limitations, risks and cautioned or unsupported uses are a warning; an area the card's own
minor areas make minor against a major default, and new weights without a training change, are notes.

The update rules themselves (the areas, their patterns, classes and titles, :func:`.updates.area_class`)
are :mod:`.updates`, which the lifecycle rule ``lifecycle.update-type-contradicts-criteria`` also uses.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from functools import lru_cache

from ..spec import pointers
from ..spec.catalogue import placeholder
from ..spec.diagnostics import CardLoadError, Issue, diagnostic
from ..spec.registry import Check, register
from ..spec.resources import schema_index
from .loading import LoadedCard, read_card
from .updates import (RANK, area_class, area_of, area_titles, areas, class_title, driver_title, one_card_class,
                      update_rules)

register(Check("diff.identifier", "error", "Both cards describe the same model (same identifier)",
               "两张模型卡描述同一模型（标识符相同）",
               {"": ("the identifier {new} is not the old card's {old}: the cards describe different models",
                     "标识符 {new} 与旧模型卡的 {old} 不同：两张模型卡描述的不是同一模型")},
               ("MCS-GEN-04",)))
register(Check("diff.version-order", "error", "The new card's version follows the old card's (semantic versions)",
               "新模型卡的版本号晚于旧模型卡（语义化版本）",
               {"not-greater": ("version {new} does not follow {old}", "版本 {new} 不晚于 {old}"),
                "not-semantic": ("version {version} is not a semantic version (MAJOR.MINOR.PATCH): the order of the "
                                 "two versions cannot be checked",
                                 "版本 {version} 不是语义化版本（主版本号.次版本号.修订号）：无法判断两个版本的先后")},
               ("MCS-GEN-04",)))
register(Check("diff.history", "error", "The new card's change history has its version and keeps the old entries",
               "新模型卡的变更历史包含其版本并保留旧的条目",
               {"missing": ("the change history has no entry for version {version}",
                            "变更历史中没有版本 {version} 的条目"),
                "dropped": ("the change history drops the entry of version {version} that the old card has",
                            "变更历史删去了旧模型卡中版本 {version} 的条目"),
                "altered": ("the entry of version {version} changes its {field} from what the old card says",
                            "版本 {version} 的条目修改了旧模型卡所载的{field}")},
               ("MCS-GEN-04",), labels={"field": "field"}))
register(Check("diff.update-type", "error", "The declared update type and driver agree with the update rules",
               "声明的更新类型和驱动类型与更新规则一致",
               {"contradicts": ("version {version} is declared {declared}, but the changes make it {proposed}: "
                                "{areas}",
                                "版本 {version} 声明为{declared_zh}，但其变更按规则应为{proposed_zh}：{areas_zh}"),
                "contradicts-unclassified": (
                    "version {version} is declared {declared}, but the changes make it {proposed}: fields no "
                    "update rule classifies (counted major){areas}",
                    "版本 {version} 声明为{declared_zh}，但其变更按规则应为{proposed_zh}：未归入任何更新规则的字段"
                    "（按重大更新计）{areas_zh}"),
                "undeclared": ("version {version} does not declare its update type; the changes make it {proposed}",
                               "版本 {version} 未声明更新类型；按其变更应为{proposed_zh}"),
                "over-declared": ("version {version} is declared major, but the changes make it {proposed} only",
                                  "版本 {version} 声明为重大更新，但按其变更仅为{proposed_zh}"),
                "driver": ("version {version} is declared {declared}, but the changes make it {proposed}: {areas}",
                           "版本 {version} 声明为{declared_zh}，但按其变更应为{proposed_zh}：{areas_zh}")},
               ("MCS-LC-02",)))
register(Check("diff.changed-areas", "warning", "The entry's coded changed areas name every area changed",
               "条目的编码变更领域列出了所有发生变更的领域",
               {"": ("the entry of version {version} does not list the changed areas {areas}",
                     "版本 {version} 的条目未列出发生变更的领域“{areas_zh}”")},
               ("MCS-LC-02",)))
register(Check("diff.data-flow", "error", "No training or tuning data of the old card is test data in the new one",
               "旧模型卡的训练或调优数据未在新模型卡中用作测试数据",
               {"dataset": ("dataset {dataset} was {old_use} data in the old card ({old_dataset}, matched by "
                            "{matched_by}) and is test data here: test data may become training or tuning data, "
                            "never the reverse (G52)",
                            "数据集 {dataset} 在旧模型卡中为{old_use_zh}数据（{old_dataset}，按{matched_by_zh}匹配），"
                            "在此用作测试数据（G52：“测试集数据可变更为训练和调优使用,不可将训练集、调优集的数据变更为"
                            "测试使用”）"),
                "samples": ("the sample list of this test split is the old card's {old_use} sample list (SHA-256 "
                            "{sha256}): test data may become training or tuning data, never the reverse (G52)",
                            "该测试集的样本清单即旧模型卡的{old_use_zh}样本清单（SHA-256 {sha256}）（G52：“测试集数据可"
                            "变更为训练和调优使用,不可将训练集、调优集的数据变更为测试使用”）")},
               ("MCS-TR-04",)))
register(Check("diff.rollback", "error", "The new card states whether and how it can be rolled back",
               "新模型卡说明是否支持回滚及回滚方式",
               {"unstated": ("the update control does not state whether rollback is supported",
                             "更新控制未说明是否支持回滚"),
                "no-mechanism": ("rollback is supported, but the update control does not say how",
                                 "声明支持回滚，但更新控制未说明回滚方式")},
               ("MCS-LC-02",)))
register(Check("diff.update-control", "warning",
               "The new card does not lower the class of an area the old card's update control sets",
               "新模型卡未降低旧模型卡更新控制所定领域的更新类别",
               {"": ("the update control makes {area} {new_class}, where the old card's made it {old_class}: a change "
                     "there is still classified by the old card's criteria (those in force for this release)",
                     "新模型卡的更新控制将“{area_zh}”定为{new_class_zh}，而旧模型卡的更新控制将其定为{old_class_zh}："
                     "本次变更仍按旧模型卡的准则（本次发布时有效的准则）判定")},
               ("MCS-LC-02",)))
register(Check("diff.below-default", "info",
               "An area the catalogue makes major is minor by the card's own update areas",
               "要求目录中的更新规则定为重大更新的领域，按模型卡自身的更新领域为轻微更新",
               {"": ("{area} changed and is minor by the card's minor update areas (catalogue default: major)",
                     "“{area_zh}”发生变更，按模型卡的轻微更新领域为轻微更新（要求目录中的默认类别：重大更新）")},
               ("MCS-LC-02",)))
register(Check("diff.removed-warnings", "warning",
               "Warnings, limitations, risks and cautioned or unsupported uses are not removed silently",
               "警示、局限性、风险、慎用场景和不支持的用途未被无说明地删除",
               {"": ("{field} no longer says what the old card said: {value}; a reviewer should confirm that what "
                     "it warned of no longer applies",
                     "{field}删去了旧模型卡中的内容：{value}；审核人员应确认其所警示的情形已不再适用")},
               ("MCS-LC-02",), labels={"field": "field"}))
register(Check("diff.weights-only", "info",
               "Weights that change come with a change of training, data or architecture",
               "权重文件的变更伴随训练、数据或架构的变更",
               {"": ("the weights changed, but nothing of the training, the data, the objective or the architecture "
                     "did: say how the new weights were obtained",
                     "权重文件发生变更，但训练、数据、预训练目标和模型架构均未变更：宜说明新权重的获得方式")},
               ("MCS-LC-02",)))


# --------------------------------------------------------------------------- the changes


@dataclass(frozen=True)
class Change:
    """One change: ``pointer`` into NEW (into OLD for a removal), ``old_pointer`` into OLD where the
    value sits elsewhere there (a keyed list item that moved), ``kind`` added/removed/changed."""

    pointer: str
    kind: str
    old: object = None
    new: object = None
    old_pointer: str | None = None

    @property
    def area(self) -> str | None:
        return area_of(self.pointer)

    def to_dict(self) -> dict:
        data = {"pointer": self.pointer, "kind": self.kind, "area": self.area}
        if self.old_pointer is not None:
            data["old_pointer"] = self.old_pointer
        if self.kind != "added":
            data["old"] = self.old
        if self.kind != "removed":
            data["new"] = self.new
        return data


def _same(a, b) -> bool:
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return a == b or (a != a and b != b)  # NaN is NaN
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, list):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b))
    return a == b


@lru_cache(maxsize=None)
def _key_slot(class_name: str | None) -> str | None:
    if class_name is None:
        return None
    slots = schema_index()["classes"][class_name]["slots"]
    return next((name for name, s in slots.items() if s["identifier"]), None)


def _slot_class(class_name: str | None, key) -> tuple[str | None, bool]:
    """(class of the objects at ``key`` of an object of ``class_name``, whether it is a list of them)."""
    if class_name is None or not isinstance(key, str):
        return None, False
    slot = schema_index()["classes"][class_name]["slots"].get(key)
    if slot is None or slot["kind"] != "class":
        return None, False
    return slot["range"], bool(slot["multivalued"])


def _keyed(items: list, key: str | None) -> dict | None:
    """Index of a list's items by their identifier, or None if not every item has a distinct one."""
    if key is None:
        return None
    out = {}
    for i, item in enumerate(items):
        k = item.get(key) if isinstance(item, dict) else None
        if not isinstance(k, str) or k in out:
            return None
        out[k] = i
    return out


def changes(old: dict, new: dict) -> list[Change]:
    """Every change from ``old`` to ``new``, in NEW's document order, then what only OLD has."""
    out: list[Change] = []
    _diff_object(old, new, "", "", schema_index()["root_class"], out)
    return out


def _diff_value(o, n, ptr: str, optr: str, cls: str | None, is_list: bool, out: list) -> None:
    if isinstance(o, dict) and isinstance(n, dict):
        _diff_object(o, n, ptr, optr, cls, out)
    elif isinstance(o, list) and isinstance(n, list) and (any(isinstance(x, dict) for x in o + n)):
        _diff_list(o, n, ptr, optr, cls if is_list else None, out)
    elif not _same(o, n):
        out.append(Change(ptr, "changed", o, n, optr if optr != ptr else None))


def _diff_object(o: dict, n: dict, ptr: str, optr: str, cls: str | None, out: list) -> None:
    for key, value in n.items():
        child, optchild = f"{ptr}/{pointers.escape(key)}", f"{optr}/{pointers.escape(key)}"
        sub, is_list = _slot_class(cls, key)
        if key in o:
            _diff_value(o[key], value, child, optchild, sub, is_list, out)
        else:
            _added(value, child, sub, out)
    for key, value in o.items():
        if key not in n:
            _removed(value, f"{optr}/{pointers.escape(key)}", _slot_class(cls, key)[0], out)


def _added(value, ptr: str, cls: str | None, out: list) -> None:
    if isinstance(value, dict) and value:  # each field of a new object, so that each is classified
        for key, v in value.items():
            _added(v, f"{ptr}/{pointers.escape(key)}", _slot_class(cls, key)[0], out)
    else:
        out.append(Change(ptr, "added", None, value))


def _removed(value, ptr: str, cls: str | None, out: list) -> None:
    if isinstance(value, dict) and value:
        for key, v in value.items():
            _removed(v, f"{ptr}/{pointers.escape(key)}", _slot_class(cls, key)[0], out)
    else:
        out.append(Change(ptr, "removed", value, None))


def _list_key(ptr: str, cls: str | None) -> str | None:
    """The field that identifies the items of the list at ``ptr``: the identifier of their class, else
    the key the update rules give for the list (``list_keys``), else None (matched by position)."""
    pattern = "".join(f"/{'*' if pointers.is_index(t) else t}" for t in pointers.tokens(ptr))
    return _key_slot(cls) or update_rules()["list_keys"].get(pattern)


def _diff_list(o: list, n: list, ptr: str, optr: str, cls: str | None, out: list) -> None:
    key = _list_key(ptr, cls)
    old_keys, new_keys = _keyed(o, key), _keyed(n, key)
    if old_keys is not None and new_keys is not None:
        for k, i in new_keys.items():
            if k in old_keys:
                j = old_keys[k]
                _diff_value(o[j], n[i], f"{ptr}/{i}", f"{optr}/{j}", cls, False, out)
            else:
                out.append(Change(f"{ptr}/{i}", "added", None, n[i]))
        for k, j in old_keys.items():
            if k not in new_keys:
                out.append(Change(f"{optr}/{j}", "removed", o[j], None))
        return
    for i in range(max(len(o), len(n))):
        if i < len(o) and i < len(n):
            _diff_value(o[i], n[i], f"{ptr}/{i}", f"{optr}/{i}", cls, False, out)
        elif i < len(n):
            out.append(Change(f"{ptr}/{i}", "added", None, n[i]))
        else:
            out.append(Change(f"{optr}/{i}", "removed", o[i], None))


# --------------------------------------------------------------------------- classification


@dataclass
class AreaResult:
    """The changes in one area and their class."""

    area: str | None
    update_class: str
    basis: str  # card-major, card-minor, old-card-major, old-card-minor, default, unclassified
    driver: str
    changes: list[Change] = field(default_factory=list)
    default_class: str | None = None  # the catalogue's class of the area

    def to_dict(self) -> dict:
        return {"area": self.area, "update_class": self.update_class, "basis": self.basis, "driver": self.driver,
                "default_class": self.default_class, "pointers": [c.pointer for c in self.changes]}


def classify(found: list[Change], card: dict, old: dict | None = None) -> tuple[list[AreaResult], str, str]:
    """The changed areas in report order with their class (by ``card``'s update control and the
    rules; with ``old``, the stricter of OLD's and ``card``'s, see :func:`area_class`), the proposed
    update class and the driver."""
    by_area: dict = {}
    for change in found:
        by_area.setdefault(change.area, []).append(change)
    order = {a: i for i, a in enumerate(areas())}
    results = []
    for area in sorted(by_area, key=lambda a: order.get(a, len(order))):
        cls, basis = area_class(area, card, old)
        known = area in areas()
        driver = areas()[area]["driver"] if known else "none"
        results.append(AreaResult(area, cls, basis, driver, by_area[area],
                                  areas()[area]["update_class"] if known else None))
    classes = {r.update_class for r in results}
    proposal = ("major" if "major" in classes else "minor" if "minor" in classes
                else "editorial-only" if classes else "none")
    drivers = {r.driver for r in results if r.update_class in ("major", "minor")}
    driver = "algorithm_driven" if "algorithm_driven" in drivers else "data_driven" if "data_driven" in drivers \
        else "none"
    return results, proposal, driver


# --------------------------------------------------------------------------- the result


@dataclass
class DiffResult:
    """The comparison of two cards: the changes by area, the proposal and the checks of NEW."""

    old_path: str
    new_path: str
    identifier: object
    old_version: object
    new_version: object
    changes: list[Change]
    areas: list[AreaResult]
    proposal: str
    driver: str
    declared_type: object
    declared_driver: object
    issues: list[Issue]

    @property
    def valid(self) -> bool:
        return not any(i.severity == "error" for i in self.issues)

    def to_dict(self) -> dict:
        """The documented JSON shape (docs/guides/diff.md)."""
        return {
            "old": {"card": self.old_path, "version": self.old_version},
            "new": {"card": self.new_path, "version": self.new_version},
            "identifier": self.identifier,
            "proposal": {"update_class": self.proposal, "driver": self.driver},
            "declared": {"update_type": self.declared_type, "update_driver": self.declared_driver},
            "areas": [a.to_dict() for a in self.areas],
            "changes": [c.to_dict() for c in self.changes],
            "issues": [i.to_dict() for i in self.issues],
            "valid": self.valid,
        }


def diff(old_path, new_path) -> DiffResult:
    """Compare the card at ``old_path`` with the card at ``new_path`` (raises :class:`CardLoadError`,
    with ``where`` naming the file, for a file that cannot be read as a card)."""
    old = _read(old_path)
    new = _read(new_path)
    return diff_loaded(old, new, str(old_path), str(new_path))


def _read(path) -> LoadedCard:
    try:
        return read_card(path)
    except CardLoadError as exc:
        exc.where = str(path)
        raise


def diff_loaded(old: LoadedCard, new: LoadedCard, old_name: str, new_name: str) -> DiffResult:
    found = changes(old.data, new.data)
    results, proposal, driver = classify(found, new.data, old.data)
    entry_ptr, entry = _history_entry(new.data, new.data.get("version"))
    declared_type = entry.get("update_type") if entry else None
    declared_driver = entry.get("update_driver") if entry else None
    issues = [*_identity(old.data, new.data), *_history(old.data, new.data),
              *_declared(new.data, entry_ptr, entry, results, proposal, driver),
              *_data_flow(old.data, new.data), *_rollback(new.data), *_update_control(old.data, new.data),
              *_below_default(results, new.data), *_removed_warnings(old.data, new.data), *_weights_only(results)]
    located = []
    for issue in issues:
        line, column = new.locate(issue.path)
        located.append(issue.located(line, column))
    located.sort(key=Issue.sort_key)
    return DiffResult(old_name, new_name, new.data.get("identifier"), old.data.get("version"),
                      new.data.get("version"), found, results, proposal, driver, declared_type, declared_driver,
                      located)


# --------------------------------------------------------------------------- the checks of NEW

_SEMVER = re.compile(r"^(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)"
                     r"(?:-([0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*))?(?:\+[0-9A-Za-z.-]+)?$")


def semver_key(version) -> tuple | None:
    """A sort key of a semantic version (pre-releases before their release, build metadata ignored),
    None if ``version`` is not one."""
    m = _SEMVER.match(version) if isinstance(version, str) else None
    if m is None:
        return None
    pre = m.group(4)
    pre_key = (1,) if pre is None else (0, *((0, int(p), "") if p.isdigit() else (1, 0, p) for p in pre.split(".")))
    return int(m.group(1)), int(m.group(2)), int(m.group(3)), pre_key


def _text(value) -> str:
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, sort_keys=True)


def _identity(old: dict, new: dict) -> list[Issue]:
    out = []
    if not _same(old.get("identifier"), new.get("identifier")):
        out.append(diagnostic("diff.identifier", "/identifier", old=_text(old.get("identifier")),
                              new=_text(new.get("identifier"))))
    a, b = semver_key(old.get("version")), semver_key(new.get("version"))
    if b is None:
        out.append(diagnostic("diff.version-order", "/version", "not-semantic", version=_text(new.get("version"))))
    elif a is None:
        out.append(diagnostic("diff.version-order", "/version", "not-semantic", version=_text(old.get("version"))))
    elif not b > a:
        out.append(diagnostic("diff.version-order", "/version", "not-greater", old=old["version"], new=new["version"]))
    return out


def _history_entries(card: dict) -> list[tuple[str, dict]]:
    history = card.get("change_history")
    if not isinstance(history, list):
        return []
    return [(f"/change_history/{i}", h) for i, h in enumerate(history) if isinstance(h, dict)]


def _history_index(card: dict) -> dict[str, tuple[str, dict]]:
    """Each version of the card's change history with the first entry that names it."""
    index: dict[str, tuple[str, dict]] = {}
    for ptr, entry in _history_entries(card):
        version = entry.get("version")
        if isinstance(version, str):
            index.setdefault(version, (ptr, entry))
    return index


def _history_entry(card: dict, version) -> tuple[str | None, dict | None]:
    found = _history_index(card).get(version) if isinstance(version, str) else None
    return found if found else (None, None)


def _history(old: dict, new: dict) -> list[Issue]:
    out = []
    version = new.get("version")
    if isinstance(version, str) and _history_entry(new, version)[0] is None:
        out.append(diagnostic("diff.history", "/change_history", "missing", version=version))
    index = _history_index(new)  # built once: a history of thousands of entries stays linear
    for _, entry in _history_entries(old):
        v = entry.get("version")
        if not isinstance(v, str):
            continue
        ptr, now = index.get(v, (None, None))
        if now is None:
            out.append(diagnostic("diff.history", "/change_history", "dropped", version=v))
            continue
        for key, value in entry.items():
            if key not in now or not _same(value, now[key]):
                out.append(diagnostic("diff.history", f"{ptr}/{pointers.escape(key)}" if key in now else ptr,
                                      "altered", version=v, field=f"change_history[].{key}"))
    return out


def _declared(new: dict, entry_ptr, entry, results: list[AreaResult], proposal: str, driver: str) -> list[Issue]:
    if entry is None:
        return []
    version = entry.get("version")
    out = []
    declared = entry.get("update_type")
    major = [r.area for r in results if r.update_class == "major"]
    where = f"{entry_ptr}/update_type"
    if proposal in ("major", "minor") and declared is None:
        out.append(diagnostic("diff.update-type", entry_ptr, "undeclared", version=version, proposed=proposal,
                              proposed_zh=class_title(proposal, True)))
    elif declared == "minor" and proposal == "major":
        en, zh = area_titles([a for a in major if a is not None])
        if None in major:  # a key the schema does not have: named as such, never as "None"
            en, zh = ("; " + ", ".join(en) if en else ""), ("；" + zh if zh else "")
        out.append(diagnostic("diff.update-type", where, "contradicts-unclassified" if None in major else "contradicts",
                              version=version, declared=declared, declared_zh=class_title(declared, True),
                              proposed=proposal, proposed_zh=class_title(proposal, True), areas=en, areas_zh=zh))
    elif declared == "major" and proposal != "major":
        out.append(diagnostic("diff.update-type", where, "over-declared", severity="warning", version=version,
                              proposed=proposal, proposed_zh=class_title(proposal, True)))
    declared_driver = entry.get("update_driver")
    if driver != "none" and isinstance(declared_driver, str) and declared_driver != driver:
        drivers = [r.area for r in results if r.driver == driver and r.update_class in ("major", "minor")]
        en, zh = area_titles(drivers)
        out.append(diagnostic("diff.update-type", f"{entry_ptr}/update_driver", "driver", severity="warning",
                              version=version, declared=declared_driver, declared_zh=driver_title(declared_driver, True),
                              proposed=driver, proposed_zh=driver_title(driver, True), areas=en, areas_zh=zh))
    listed = entry.get("changed_areas")
    if isinstance(listed, list):
        unlisted = [r.area for r in results if r.update_class != "editorial" and r.area is not None
                    and r.area not in listed]
        if unlisted:
            en, zh = area_titles(unlisted)
            out.append(diagnostic("diff.changed-areas", f"{entry_ptr}/changed_areas", version=version,
                                  areas=en, areas_zh=zh))
    return out


def _evidence_digests(card: dict) -> dict[str, str]:
    evidence = card.get("evidence")
    out = {}
    for item in evidence if isinstance(evidence, list) else []:
        if isinstance(item, dict) and isinstance(item.get("id"), str) and isinstance(item.get("sha256"), str):
            out.setdefault(item["id"], item["sha256"])
    return out


def _splits(card: dict) -> list[tuple[str, dict]]:
    process = card.get("training_process")
    splits = process.get("data_splits") if isinstance(process, dict) else None
    items = splits.get("splits") if isinstance(splits, dict) else None
    if not isinstance(items, list):
        return []
    return [(f"/training_process/data_splits/splits/{i}", s) for i, s in enumerate(items) if isinstance(s, dict)]


def _ids(value) -> list[str]:
    return [v for v in value if isinstance(v, str)] if isinstance(value, list) else []


def _dataset_objects(card: dict) -> dict[str, dict]:
    """Dataset ID -> its description (the source-task datasets, then the evaluation datasets)."""
    out: dict[str, dict] = {}
    source = card.get("source_task_data")
    applicability = card.get("applicability")
    for items in (source.get("datasets") if isinstance(source, dict) else None,
                  applicability.get("evaluation_datasets") if isinstance(applicability, dict) else None):
        for d in items if isinstance(items, list) else []:
            if isinstance(d, dict) and isinstance(d.get("id"), str):
                out.setdefault(d["id"], d)
    return out


_DOI = re.compile(r"^(?:https?://(?:dx\.)?doi\.org/|doi:)(10\..+)$", re.IGNORECASE)


def _identities(ds: str, described: dict) -> set[tuple[str, str]]:
    """What identifies a dataset across two cards: its ID, its name (case and spacing ignored), its URL
    (a DOI however written, else the URL without a trailing slash), so that a renamed ID still matches."""
    out = {("id", ds)}
    item = described.get(ds)
    if not isinstance(item, dict):
        return out
    name = item.get("name")
    if isinstance(name, str) and name.strip() and placeholder(name) is None:
        out.add(("name", " ".join(name.split()).casefold()))
    url = item.get("url")
    if isinstance(url, str) and url.strip() and placeholder(url) is None:
        url = url.strip()
        doi = _DOI.match(url)
        out.add(("doi", doi.group(1).casefold()) if doi else ("url", url.rstrip("/").casefold()))
    return out


_MATCHED_BY = {"id": ("identifier", "标识符"), "name": ("name", "名称"), "url": ("URL", "URL"),
               "doi": ("DOI", "DOI")}


def _uses(card: dict) -> tuple[dict, dict, dict, dict]:
    """(dataset -> training use, sample-list SHA-256 -> training use, dataset -> pointer of a test use,
    sample-list SHA-256 -> pointer of a test use)."""
    digests = _evidence_digests(card)
    train_ds: dict[str, str] = {}
    train_lists: dict[str, str] = {}
    test_ds: dict[str, str] = {}
    test_lists: dict[str, str] = {}
    source = card.get("source_task_data")
    for i, d in enumerate(source.get("datasets") if isinstance(source, dict) and
                          isinstance(source.get("datasets"), list) else []):
        if isinstance(d, dict) and isinstance(d.get("id"), str):
            train_ds.setdefault(d["id"], "training")
    for ptr, split in _splits(card):
        role = split.get("role")
        sample_list = split.get("sample_list")
        digest = digests.get(sample_list) if isinstance(sample_list, str) else None
        if role in ("training", "tuning"):
            for ds in _ids(split.get("datasets")):
                train_ds.setdefault(ds, role)
            if digest:
                train_lists.setdefault(digest, role)
        elif role == "test":
            listed = split.get("datasets")
            for n, ds in enumerate(listed if isinstance(listed, list) else []):
                if isinstance(ds, str):
                    test_ds.setdefault(ds, f"{ptr}/datasets/{n}")
            if digest:
                test_lists.setdefault(digest, f"{ptr}/sample_list")
    applicability = card.get("applicability")
    evaluation = applicability.get("evaluation_datasets") if isinstance(applicability, dict) else None
    for i, d in enumerate(evaluation if isinstance(evaluation, list) else []):
        if isinstance(d, dict) and isinstance(d.get("id"), str):
            test_ds.setdefault(d["id"], f"/applicability/evaluation_datasets/{i}/id")
    return train_ds, train_lists, test_ds, test_lists


def _use_zh(use: str) -> str:
    roles = schema_index()["enums"][schema_index()["classes"]["Split"]["slots"]["role"]["range"]]["values"]
    return roles[use]["title_zh"] if use in roles else use


def _data_flow(old: dict, new: dict) -> list[Issue]:
    """G52: no data used for training or tuning in OLD is test data in NEW, whatever else it also was in
    OLD. Datasets match by ID, name or URL/DOI (an ID renamed between the cards still matches); a split's
    sample list matches only by the SHA-256 of its evidence file (the same samples in another file, or a
    subset, are not recognised)."""
    old_train, old_lists, _, _ = _uses(old)
    _, _, new_test, new_test_lists = _uses(new)
    old_described, new_described = _dataset_objects(old), _dataset_objects(new)
    old_keys = {ds: _identities(ds, old_described) for ds in old_train}
    out = []
    for ds, ptr in new_test.items():
        mine = _identities(ds, new_described)
        for old_ds, use in old_train.items():
            common = sorted(mine & old_keys[old_ds], key=lambda k: tuple(_MATCHED_BY).index(k[0]))
            if common:
                by = common[0][0]
                out.append(diagnostic("diff.data-flow", ptr, "dataset", dataset=ds, old_dataset=old_ds,
                                      matched_by=_MATCHED_BY[by][0], matched_by_zh=_MATCHED_BY[by][1],
                                      old_use=use, old_use_zh=_use_zh(use)))
                break
    for digest, ptr in new_test_lists.items():
        if digest in old_lists:
            use = old_lists[digest]
            out.append(diagnostic("diff.data-flow", ptr, "samples", sha256=digest, old_use=use,
                                  old_use_zh=_use_zh(use)))
    return out


def _rollback(new: dict) -> list[Issue]:
    lifecycle = new.get("lifecycle")
    control = lifecycle.get("update_control") if isinstance(lifecycle, dict) else None
    control = control if isinstance(control, dict) else {}
    supported = control.get("rollback_supported")
    if not isinstance(supported, bool):
        return [diagnostic("diff.rollback", "/lifecycle/update_control/rollback_supported", "unstated")]
    mechanism = control.get("rollback_mechanism")
    if supported and not (isinstance(mechanism, str) and
                          placeholder(mechanism, "lifecycle.update_control.rollback_mechanism") is None):
        return [diagnostic("diff.rollback", "/lifecycle/update_control/rollback_mechanism", "no-mechanism")]
    return []


def _existing(card: dict, pointer: str) -> str:
    """``pointer`` or its nearest ancestor that is in ``card`` (where a finding about a removal sits)."""
    keys = pointers.tokens(pointer)
    while keys and pointers.resolve(card, keys) is pointers.MISSING:
        keys = keys[:-1]
    return "".join(f"/{pointers.escape(k)}" for k in keys)


def _update_control(old: dict, new: dict) -> list[Issue]:
    """An area whose class NEW's update control lowers below OLD's (OLD's criteria still classify this
    release, :func:`area_class`)."""
    out = []
    for area in areas():
        (old_cls, _), (new_cls, _) = one_card_class(area, old), one_card_class(area, new)
        if RANK[new_cls] < RANK[old_cls]:
            ptr = _listed_at(new, "minor_update_areas", area)
            en, zh = area_titles([area])
            out.append(diagnostic("diff.update-control", ptr, area=en[0], area_zh=zh,
                                  old_class=old_cls, old_class_zh=class_title(old_cls, True), new_class=new_cls,
                                  new_class_zh=class_title(new_cls, True)))
    return out


def _listed_at(card: dict, slot: str, area: str) -> str:
    """The pointer of ``area`` in the update control's list ``slot`` (or of the list, or of what exists)."""
    lifecycle = card.get("lifecycle")
    control = lifecycle.get("update_control") if isinstance(lifecycle, dict) else None
    values = control.get(slot) if isinstance(control, dict) else None
    ptr = f"/lifecycle/update_control/{slot}"
    if isinstance(values, list) and area in values:
        ptr += f"/{values.index(area)}"
    return _existing(card, ptr)


def _below_default(results: list[AreaResult], card: dict) -> list[Issue]:
    """An area the catalogue makes major that changed and is minor by the card's own minor update areas."""
    out = []
    for r in results:
        if r.default_class == "major" and r.update_class == "minor" and r.basis in ("card-minor", "old-card-minor"):
            en, zh = area_titles([r.area])
            out.append(diagnostic("diff.below-default", _listed_at(card, "minor_update_areas", r.area),
                                  area=en[0], area_zh=zh))
    return out


_WARNING_AREAS = ("limitations_and_risks",)
_WARNING_POINTERS = ("/applicability/unsupported_uses",)


def _field_path(pointer: str) -> str:
    """The card path (``applicability.risks[].description``) of the field at ``pointer``."""
    parts: list[str] = []
    for token in pointers.tokens(pointer):
        if pointers.is_index(token):
            if parts and not parts[-1].endswith("[]"):
                parts[-1] += "[]"
        else:
            parts.append(token)
    path = ".".join(parts)
    return path[:-2] if path.endswith("[]") and pointers.is_index(pointers.tokens(pointer)[-1]) else path


def _warning_texts(card: dict) -> list[tuple[str, str]]:
    """(pointer, text) of every text of ``card`` that warns: in the area limitations_and_risks or the
    unsupported uses (placeholders left out)."""
    out: list[tuple[str, str]] = []

    def walk(value, ptr: str) -> None:
        if isinstance(value, dict):
            for key, v in value.items():
                walk(v, f"{ptr}/{pointers.escape(key)}")
        elif isinstance(value, list):
            for i, v in enumerate(value):
                walk(v, f"{ptr}/{i}")
        elif isinstance(value, str) and placeholder(value) is None and (
                area_of(ptr) in _WARNING_AREAS or any(ptr.startswith(p + "/") or ptr == p
                                                      for p in _WARNING_POINTERS)):
            out.append((ptr, value))

    for key in ("applicability", "explainability"):
        if isinstance(card.get(key), dict):
            walk(card[key], f"/{key}")
    return out


def _template(pointer: str) -> str:
    return "".join(f"/{'*' if pointers.is_index(t) else pointers.escape(t)}" for t in pointers.tokens(pointer))


def _removed_warnings(old: dict, new: dict) -> list[Issue]:
    """Warnings, limitations, risks, cautioned and unsupported uses of OLD that NEW no longer has: each
    text of OLD in those fields that NEW has nowhere in the same field (whatever its position, so that a
    list item removed does not make the items after it look removed), grouped by the list item (or the
    field) of OLD it belongs to. A text reworded counts as removed: a reviewer confirms either."""
    kept = {(_template(ptr), " ".join(text.split())) for ptr, text in _warning_texts(new)}
    groups: dict[str, list[str]] = {}
    for ptr, text in _warning_texts(old):
        if (_template(ptr), " ".join(text.split())) in kept:
            continue
        tokens = pointers.tokens(ptr)
        cut = next((n + 1 for n, t in enumerate(tokens) if pointers.is_index(t)), len(tokens))
        groups.setdefault("".join(f"/{pointers.escape(t)}" for t in tokens[:cut]), []).append(text)
    out = []
    for group, texts in groups.items():
        tokens = pointers.tokens(group)
        where = group if not pointers.is_index(tokens[-1]) else "".join(f"/{pointers.escape(t)}" for t in tokens[:-1])
        text = "; ".join(texts)
        out.append(diagnostic("diff.removed-warnings", _existing(new, where), field=_field_path(group),
                              value=text if len(text) <= 200 else text[:199] + "…"))
    return out


_TRAINING_AREAS = ("architecture", "pretraining_objective", "source_data", "training_method", "training_run")


def _weights_only(results: list[AreaResult]) -> list[Issue]:
    """New weights with no change of how they were trained (information: how were they obtained?)."""
    changed = {r.area for r in results}
    weights = next((r for r in results if r.area == "weights"), None)
    if weights is None or changed & set(_TRAINING_AREAS):
        return []
    if not any(c.pointer.startswith("/model_parameters/weight_files/") for c in weights.changes):
        return []
    return [diagnostic("diff.weights-only", "/model_parameters/weight_files")]
