"""Rules on the lifecycle: dates in order, the version in the change history, self-learning switched off."""

from __future__ import annotations

from .. import updates
from .base import Context, found, rule


@rule("dates.order", ("MCS-GEN-04",), "error",
      "Release follows training; periods start before they end", "发布晚于训练结束；时间段起点早于终点",
      messages={
          "training": ("training ends ({end}) before it starts ({start})", "训练结束日期（{end}）早于开始日期（{start}）"),
          "release": ("the release date {release} is before training ended ({end})",
                      "发布日期 {release} 早于训练结束日期 {end}"),
          "collection": ("data collection ends ({end}) before it starts ({start})",
                         "数据采集截止日期（{end}）早于起始日期（{start}）"),
      })
def dates_order(ctx: Context):
    release = ctx.data.get("release_date")
    for ptr, t in ctx.instances("TrainingProcess"):
        start, end = t.get("training_start_date"), t.get("training_end_date")
        if isinstance(start, str) and isinstance(end, str) and start > end:
            yield found(f"{ptr}/training_end_date", "training", requirement="MCS-TR-01", start=start, end=end)
        if isinstance(release, str) and isinstance(end, str) and release < end:
            yield found("/release_date", "release", release=release, end=end)
    for ptr, d in ctx.instances("Dataset"):
        start, end = d.get("time_span_start"), d.get("time_span_end")
        if isinstance(start, str) and isinstance(end, str) and start > end:
            yield found(f"{ptr}/time_span_end", "collection", requirement="MCS-SD-02", start=start, end=end)


@rule("version.in-history", ("MCS-GEN-04",), "error",
      "The card's version appears in its change history", "模型卡版本出现在变更历史中",
      messages={"": ("version {version} is not in the change history ({versions})",
                     "版本 {version} 未出现在变更历史中（{versions}）")})
def version_in_history(ctx: Context):
    history = ctx.data.get("change_history")
    version = ctx.data.get("version")
    if isinstance(history, list) and history and isinstance(version, str):
        versions = [h.get("version") for h in history if isinstance(h, dict)]
        if version not in versions:
            yield found("/change_history", version=version, versions=versions)


@rule("learning.self-learning-off", ("MCS-LC-04",), "error",
      "A model able to keep learning has self-learning off at deployment, with a record",
      "具备持续学习能力的模型在部署时关闭自学习并有记录",
      messages={
          "not-disabled": ("the model can keep learning, but self-learning is not stated as disabled at deployment",
                           "模型具备持续学习能力，但未声明部署时已关闭自学习功能"),
          "no-record": ("no record confirms that self-learning was switched off at deployment",
                        "缺少确认部署时已关闭自学习功能的记录"),
      })
def learning_self_learning_off(ctx: Context):
    for ptr, c in ctx.instances("ContinuousLearning"):
        if c.get("capable") is True:
            if c.get("disabled_at_deployment") is not True:
                yield found(f"{ptr}/disabled_at_deployment", "not-disabled")
            if not c.get("confirmation_record"):
                yield found(f"{ptr}/confirmation_record", "no-record")


@rule("lifecycle.update-type-contradicts-criteria", ("MCS-LC-02",), "warning",
      "A history entry's declared update type agrees with its coded changed areas and the card's criteria",
      "变更历史条目声明的更新类型与其编码变更领域及模型卡的判定条件一致",
      messages={
          "minor": ("version {version} is declared minor, but it changed {areas}, which the card's own major update "
                    "areas make major", "版本 {version} 声明为轻微更新，但其变更领域“{areas_zh}”属于模型卡自身的重大更新领域"),
          "minor-default": ("version {version} is declared minor, but it changed {areas}, which the catalogue's update "
                            "rules make major (the card's update control does not classify them)",
                            "版本 {version} 声明为轻微更新，但其变更领域“{areas_zh}”按要求目录中的更新规则构成重大更新（模型卡的更新控制未对其分类）"),
          "major": ("version {version} is declared major, but the areas it changed ({areas}) make an update minor "
                    "or editorial only", "版本 {version} 声明为重大更新，但其变更领域（{areas_zh}）仅构成轻微更新或编辑性修改"),
      })
def update_type_contradicts_criteria(ctx: Context):
    """Each entry of the change history against its coded ``changed_areas``: an area the card's own
    major update areas list (or, where the card classifies the area neither way, one the catalogue's
    update rules make major) in an entry declared minor; and, as information, an entry declared major
    whose areas are all minor or editorial."""
    history = ctx.data.get("change_history")
    for i, entry in enumerate(history if isinstance(history, list) else []):
        if not isinstance(entry, dict) or not isinstance(entry.get("changed_areas"), list):
            continue
        listed = [a for a in entry["changed_areas"] if isinstance(a, str) and a in updates.areas()]
        version = entry.get("version") if isinstance(entry.get("version"), str) else f"#{i + 1}"
        classes = {a: updates.area_class(a, ctx.data) for a in listed}
        major = [a for a in listed if classes[a][0] == "major"]
        if entry.get("update_type") == "minor" and major:
            for variant, basis in (("minor", "card-major"), ("minor-default", "default")):
                hit = [a for a in major if classes[a][1] == basis]
                if hit:
                    en, zh = updates.area_titles(hit)
                    yield found(f"/change_history/{i}/update_type", variant, version=version, areas=en, areas_zh=zh)
        elif entry.get("update_type") == "major" and listed and not major:
            en, zh = updates.area_titles(listed)
            yield found(f"/change_history/{i}/update_type", "major", severity="info", version=version, areas=en,
                        areas_zh=zh)
