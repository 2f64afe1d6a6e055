"""The intended-use check (``modelcard-spec fit``) as text, JSON, Markdown and HTML, in English or
Chinese. The result comes from :func:`..check.fit.fit`; statuses, verdicts, dimensions, evidence
kinds and match kinds are written with the labels of their schema enums. Every value from the card or
the profile is untrusted: text goes through :func:`.textsafe.terminal`, Markdown through
:func:`.textsafe.markdown`, HTML through the template's autoescaping; JSON keeps the values."""

from __future__ import annotations

import json
from functools import lru_cache

from ..spec.resources import schema_index, schema_version
from ..spec.textsafe import markdown as md, one_line, terminal
from ..spec.version import __version__
from .validation import to_json


def _labels(enum: str) -> dict[str, tuple[str, str]]:
    return {value: (meta["title"], meta["title_zh"] or meta["title"])
            for value, meta in schema_index()["enums"][enum]["values"].items()}


STATUS = _labels("FitStatus")
VERDICT = _labels("FitVerdict")
DIMENSION = _labels("FitDimension")
EVIDENCE = _labels("FitEvidenceKind")
MATCH = _labels("FitMatchKind")
LISTS = {name: (slot["title"], slot["title_zh"]) for name, slot in
         schema_index()["classes"]["Applicability"]["slots"].items()
         if name in ("unsupported_uses", "cautioned_uses", "warnings")}
# The words of the report itself (English, Chinese).
WORDS = {"title": ("Intended-use check", "预期用途核对"), "profile": ("Intended-use profile", "预期用途文件"),
         "card": ("Card", "模型卡"), "verdict": ("Verdict", "结论"), "reasons": ("Reasons", "理由"),
         "dimensions": ("Dimensions", "核对维度"), "dimension": ("Dimension", "维度"), "status": ("Status", "状态"),
         "field": ("Profile field", "预期用途文件字段"), "evidence": ("Card evidence", "模型卡证据"),
         "findings": ("Findings", "说明"), "matches": ("Uses and warnings of the card that mention the profile",
                                                       "模型卡中提及本预期用途文件的使用场景和警示提示"),
         "none": ("None.", "无。"), "tool": ("Tool", "工具"), "task": ("Intended task", "预期目标任务"),
         "free": ("Not compared: what the profile states in free text only",
                  "未比较：预期用途文件仅以自由文本说明的内容"),
         "scope": ("This check compares the profile with what the card declares and reports; it does not validate "
                   "the card (run validate) and is no statement about the device's own performance. Uses and "
                   "warnings are matched by their text: read them.",
                   "本核对将预期用途文件与模型卡的声明和报告内容进行比较；不校验模型卡本身（请运行 validate），也不说明医疗器械自身的性能。"
                   "使用场景和警示提示按文本匹配，请逐条阅读。")}


def _w(key: str, zh: bool) -> str:
    return WORDS[key][1 if zh else 0]


def _value(value) -> str:
    """A card or profile value as one line of JSON (plain text; callers escape)."""
    return json.dumps(value, ensure_ascii=False, sort_keys=True)[:300]


def _evidence(e: dict, zh: bool) -> str:
    return f"{EVIDENCE[e['kind']][1 if zh else 0]} {e['pointer']}: {_value(e['value'])}"


def _match(m: dict, zh: bool) -> str:
    return f"{MATCH[m['kind']][1 if zh else 0]} “{m['term']}”" if zh else f"{MATCH[m['kind']][0].lower()} '{m['term']}'"


def _heading(rep: dict, zh: bool) -> str:
    profile = rep["profile"].get("title") or rep["profile"]["file"]
    card = " ".join(str(x) for x in (rep["card"].get("name") or rep["card"]["file"], rep["card"].get("version")) if x)
    return f"{_w('title', zh)}{'：' if zh else ': '}{profile} / {card}"


def text(rep: dict, lang: str = "en") -> str:
    zh = lang == "zh"
    i = 1 if zh else 0
    msg = "message_zh" if zh else "message"
    colon = "：" if zh else ": "
    out = [one_line(_heading(rep, zh)),
           f"{_w('profile', zh)}{colon}{one_line(rep['profile']['file'])} (SHA-256 {rep['profile']['sha256']})",
           f"{_w('card', zh)}{colon}{one_line(rep['card']['file'])} (SHA-256 {rep['card']['sha256']})",
           f"{_w('verdict', zh)}{colon}{VERDICT[rep['verdict']][i]} ({rep['verdict']})"]
    out += [f"  - {one_line(r[msg])}" for r in rep["reasons"]]
    out += [f"{_w('task', zh)}{colon}{one_line(n[msg])}" for n in rep["notes"]]
    out += ["", _w("dimensions", zh) + colon.strip()]
    for d in rep["dimensions"]:
        out.append(f"  [{STATUS[d['status']][i]}] {DIMENSION[d['dimension']][i]} ({d['profile_field']}): "
                   f"{one_line(_value(d['profile_value']))}")
        out += [f"      {one_line(f[msg])}" for f in d["findings"]]
        out += [f"      <- {one_line(_evidence(e, zh))}" for e in d["evidence"]]
    out += ["", _w("free", zh) + colon.strip()]
    out += [f"  {one_line(f['field'])}{colon}{one_line(f['text'])}" for f in rep["not_compared"]] or ["  " + _w("none", zh)]
    out += ["", _w("matches", zh) + colon.strip()]
    if not rep["text_matches"]:
        out.append("  " + _w("none", zh))
    for t in rep["text_matches"]:
        matches = ("、" if zh else ", ").join(_match(m, zh) for m in t["matches"])
        out.append(f"  {LISTS[t['list']][i]} {one_line(t['pointer'])}{colon}{one_line(t['text'])} ({one_line(matches)})")
    out += ["", _w("scope", zh)]
    return terminal("\n".join(out) + "\n")


def json_report(rep: dict) -> str:
    return to_json({"tool": {"name": "modelcard-spec", "version": __version__}, "schema_version": schema_version(),
                    **rep})


def markdown(rep: dict, lang: str = "en") -> str:
    zh = lang == "zh"
    i = 1 if zh else 0
    msg = "message_zh" if zh else "message"
    out = [f"# {md(_heading(rep, zh), ' ')}", "", f"> {_w('scope', zh)}", "",
           "| | |", "|---|---|",
           f"| {_w('profile', zh)} | <code>{md(rep['profile']['file'])}</code> (SHA-256 `{rep['profile']['sha256']}`) |",
           f"| {_w('card', zh)} | <code>{md(rep['card']['file'])}</code> (SHA-256 `{rep['card']['sha256']}`) |",
           f"| {_w('tool', zh)} | modelcard-spec {__version__} / {schema_version()} |",
           f"| {_w('verdict', zh)} | **{VERDICT[rep['verdict']][i]}** (`{rep['verdict']}`) |", "",
           f"## {_w('reasons', zh)}", ""]
    out += [f"- {md(r[msg])}" for r in rep["reasons"]]
    out += [f"\n{_w('task', zh)}{'：' if zh else ': '}{md(n[msg])}" for n in rep["notes"]]
    out += ["", f"## {_w('dimensions', zh)}", "",
            f"| {_w('dimension', zh)} | {_w('status', zh)} | {_w('field', zh)} | {_w('findings', zh)} | "
            f"{_w('evidence', zh)} |", "|---|---|---|---|---|"]
    for d in rep["dimensions"]:
        findings = "<br>".join(md(f[msg]) for f in d["findings"])
        evidence = "<br>".join(md(_evidence(e, zh)) for e in d["evidence"]) or "–"
        out.append(f"| {DIMENSION[d['dimension']][i]} | {STATUS[d['status']][i]} | <code>{md(d['profile_field'])}</code> "
                   f"{md(_value(d['profile_value']))} | {findings} | {evidence} |")
    out += ["", f"## {_w('free', zh)}", ""]
    out += [f"- <code>{md(f['field'])}</code>{'：' if zh else ': '}{md(f['text'])}" for f in rep["not_compared"]] \
        or [_w("none", zh)]
    out += ["", f"## {_w('matches', zh)}", ""]
    if not rep["text_matches"]:
        out.append(_w("none", zh))
    for t in rep["text_matches"]:
        matches = ("、" if zh else ", ").join(md(_match(m, zh)) for m in t["matches"])
        out.append(f"- {LISTS[t['list']][i]} <code>{md(t['pointer'])}</code>: {md(t['text'])} ({matches})")
    return "\n".join(out) + "\n"


@lru_cache(maxsize=1)
def _template():
    from jinja2 import Environment, PackageLoader

    env = Environment(loader=PackageLoader("modelcard_spec.output", "templates"), autoescape=True)
    return env.get_template("fit.html")


def html_page(rep: dict, lang: str = "en") -> str:
    """A self-contained HTML page (no scripts, links or external resources), every value escaped."""
    zh = lang == "zh"
    return terminal(_template().render(
        rep=rep, zh=zh, i=1 if zh else 0, heading=_heading(rep, zh), w=lambda key: _w(key, zh), status=STATUS,
        verdicts=VERDICT, dimensions=DIMENSION, lists=LISTS, value=_value, evidence=lambda e: _evidence(e, zh),
        match=lambda m: _match(m, zh), version=__version__, schema_version=schema_version()))
