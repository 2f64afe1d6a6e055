"""Structural validation of a card against the generated JSON Schema.

Each JSON Schema error becomes one :class:`Issue` with a JSON Pointer to the offending field (for a
missing field: to where it belongs), the catalogue requirement that field serves, and a message
in English and Chinese built from the error's validator and the schema's own bilingual labels.
"""

from __future__ import annotations

import datetime
import itertools
import re
from contextvars import ContextVar
from functools import lru_cache

from ..spec import catalogue
from ..spec import pointers
from ..spec.resources import artifact_json, card_schema_of, known_schema_versions, schema_index, schema_version
from ..spec.diagnostics import Issue, diagnostic
from ..spec.iris import is_absolute_iri
from ..spec.registry import CHECKS, Check, register
from .loading import MAX_DEPTH

_FIELD = ("the requirement the field serves", "该字段所服务的要求")


_DETAIL = ("{field}: {detail}", "{field}：{detail}")

# Every schema check names the field concerned by its card path, shown with its labels (registry).
_FIELD_LABELS = {"field": "field"}


def _schema_check(keyword: str, title: str, title_zh: str, messages: dict, labels: dict | None = None) -> None:
    """A keyword's check; its ``detail`` variant shows a validator's own words (the compiled
    validator's, when it alone finds an error)."""
    register(Check(f"schema.{keyword}", "error", title, title_zh, {**messages, "detail": _DETAIL},
                   reports_against=_FIELD, labels=labels or _FIELD_LABELS))


# One check per JSON Schema keyword with its own wording; any other keyword is reported by the
# family's generic message, which shows the validator's own (English) text as ``detail``.
register(Check("schema", "error", "The card conforms to the JSON Schema generated from the specification",
               "模型卡符合由规范生成的 JSON Schema", family=True, reports_against=_FIELD,
               messages={"": _DETAIL}, labels=_FIELD_LABELS))
# A field is missing when the card does not have it or leaves it empty (``:`` and nothing after it, "",
# [], or a section none of whose fields is filled in); "section" when the field is itself a group of fields.
_schema_check("required", "Required fields are present", "必填字段齐全",
              {"": ("missing required field {field}", "缺少必填字段{field}"),
               "empty": ("required field {field} is empty: fill it in", "必填字段{field}未填写"),
               "section": ("required section {field} is missing", "缺少必填部分{field}"),
               "section-empty": ("required section {field} is empty: none of its fields is filled in",
                                 "必填部分{field}为空：其中没有填写任何字段"),
               "entry-empty": ("an entry of {field} is empty: none of its fields is filled in",
                               "{field}中有一项为空：其中没有填写任何字段")})
_schema_check("additionalProperties", "Every field is one the specification defines", "各字段均为规范所定义",
              {"": ("unknown field {field}", "未知字段{field}"),
               "suggestion": ("unknown field {field}; did you mean {suggestion}?",
                              "未知字段{field}；是否应为{suggestion}？"),
               "split-text": ("unknown field {field}; it looks like text split by a comma inside {{ }} - quote the value",
                              "未知字段{field}；这似乎是 {{ }} 中的逗号把文本拆开了——请给该值加引号")},
              labels={"field": "field", "suggestion": "field"})
_schema_check("type", "Values have the type the specification defines", "取值类型符合规范",
              {"": ("{field} must be {expected_text}, not {actual_text} ({value})",
                    "{field}应为{expected_text_zh}，而不是{actual_text_zh}（{value}）"),
               # YAML reads `version: 1.10` as the number 1.1: the text as written is what to quote.
               "quote": ("{field} must be {expected_text}, but {text} was read as {actual_text}: "
                         "write it in quotes: '{text}'",
                         "{field}应为{expected_text_zh}，但 {text} 被读作{actual_text_zh}：请加引号书写：'{text}'"),
               "quote-read": ("{field} must be {expected_text}, but the value was read as {actual_text} ({value}): "
                              "write it in quotes, exactly as it should read",
                              "{field}应为{expected_text_zh}，但该值被读作{actual_text_zh}（{value}）：请加引号，按应有的样子书写")})
_schema_check("enum", "Coded values are among the allowed values", "编码取值属于允许取值",
              {"": ("{value} is not an allowed value of {field} (allowed: {allowed}{more})",
                    "{value} 不是{field}的允许取值（允许：{allowed}{more_zh}）"),
               "suggestion": ("{value} is not an allowed value of {field} (allowed: {allowed}{more}); "
                              "did you mean '{suggestion}'?",
                              "{value} 不是{field}的允许取值（允许：{allowed}{more_zh}）；是否应为“{suggestion}”？"),
               "renamed": ("{value} is an earlier version's name for {current} ({field}): write {current}; "
                           "see the schema's description of that value for what else it needs",
                           "{value} 是{current}（{field}）在早期版本中的名称：应改写为 {current}；"
                           "其他所需内容见本规范中对该取值的说明")},
              labels={"field": "field", "allowed": "value:field", "suggestion": "value:field", "current": "value:field"})
_PATTERN = {"": ("{value} is not in the required form for {field} (pattern {pattern})",
                 "{value} 不符合{field}的格式（正则表达式 {pattern}）")}
_schema_check("pattern", "Values are in the form the specification defines", "取值符合规范规定的格式", _PATTERN)
_schema_check("format", "Dates and URIs are well formed", "日期与 URI 格式正确",
              {"date": ("{field}: {value} is not a date written YYYY-MM-DD",
                        "{field}：{value} 不是以 YYYY-MM-DD 格式书写的日期"),
               "uri": ("{field}: {value} is not an absolute URI such as https://…",
                       "{field}：{value} 不是绝对 URI，例如 https://…"),
               "": ("{field}: {value} is not {format}", "{field}：{value} 不是“{format}”格式的值")})
for _keyword, _en, _zh in (("minimum", "at least", "不小于"), ("maximum", "at most", "不大于"),
                           ("exclusiveMinimum", "greater than", "大于"), ("exclusiveMaximum", "less than", "小于")):
    _schema_check(_keyword, "Numbers lie in the range the specification defines", "数值位于规范规定的范围内",
                  {"": (f"{{field}} must be {_en} {{limit}}, not {{value}}",
                        f"{{field}}应{_zh} {{limit}}，而不是 {{value}}")})
_schema_check("minItems", "Lists have at least the items the specification asks for", "列表项数不少于规范要求",
              {"": ("{field} must have at least {limit} item(s)", "{field}应至少有 {limit} 项")})
_schema_check("maxItems", "Lists have at most the items the specification allows", "列表项数不多于规范允许",
              {"": ("{field} must have at most {limit} item(s)", "{field}应至多有 {limit} 项")})
for _keyword in ("anyOf", "oneOf"):
    _schema_check(_keyword, "Values take one of the forms the specification defines", "取值为规范所定义的形式之一",
                  {"": ("{value} is not a valid {field}", "{value} 不是有效的{field}"),
                   "described": ("{value} is not a valid {field}: {description}",
                                 "{value} 不是有效的{field}：{description_zh}")})
register(Check("schema.text", "error", "Text holds characters only", "文本仅由字符组成",
               {"value": ("the value holds a lone UTF-16 surrogate, which is not a character",
                          "该值含有孤立的 UTF-16 代理项，不是字符"),
                "key": ("the key holds a lone UTF-16 surrogate, which is not a character",
                        "该键含有孤立的 UTF-16 代理项，不是字符")}, reports_against=_FIELD))
register(Check("schema.version", "error", "The card is written against the version of the specification this tool checks",
               "模型卡依据本工具所检查的规范版本",
               {"": ("{declared} is not a version of this specification that this tool knows ({known}); "
                     "the card was checked against {checked}",
                     "{declared} 不是本工具已知的规范版本（{known}）；本模型卡已按 {checked} 检查"),
                "previous": ("the card is written against version {declared} of this specification; this tool checks "
                             "version {checked}: 'modelcard-spec migrate CARD --to {checked}' converts it. Until then "
                             "the card's structure is checked against {declared} and its requirements and rules are "
                             "not checked",
                             "本模型卡依据的是本规范 {declared} 版，本工具按 {checked} 版检查："
                             "“modelcard-spec migrate CARD --to {checked}”可将其迁移。迁移之前，仅按 {declared} 版检查"
                             "模型卡的结构，不检查其要求和规则")},
               reports_against=_FIELD))

def _renamed(value, allowed: list[str]) -> str | None:
    """The allowed value that the schema says ``value`` was renamed to (annotation mcs:renamed_from)."""
    for enum in schema_index()["enums"].values():
        for name, meta in enum["values"].items():
            if name in allowed and meta["annotations"].get("renamed_from") == value:
                return name
    return None


_REQUIRED = re.compile(r"^'(.+)' is a required property$")
_TYPE_ZH = {"string": "字符串", "integer": "整数", "number": "数值", "boolean": "布尔值",
            "array": "列表", "object": "映射", "null": "空值"}
_TYPE_EN = {"string": "a string", "integer": "an integer", "number": "a number", "boolean": "true or false",
            "array": "a list", "object": "a mapping of fields", "null": "empty"}


_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def is_date(value: str) -> bool:
    """True when ``value`` is a calendar date written YYYY-MM-DD (RFC 3339 full-date)."""
    if not _DATE.fullmatch(value):
        return False
    try:
        datetime.date.fromisoformat(value)
    except ValueError:
        return False
    return True


# The formats the schema uses, checked by our own functions in both validators, so that the compiled
# validator that accepts a card and the one that explains what is wrong with it cannot disagree on them.
FORMATS = {"uri": is_absolute_iri, "date": is_date}


def _format_check(function):
    return lambda value: not isinstance(value, str) or function(value)


@lru_cache(maxsize=None)
def _ecma_pattern(pattern: str) -> re.Pattern:
    """``pattern`` compiled so that ``$`` means the end of the text, as in ECMA-262 (the dialect of JSON
    Schema and of the compiled validator), not also "before a final newline" as in Python."""
    out, escaped, in_class = [], False, False
    for ch in pattern:
        if escaped:
            escaped = False
        elif ch == "\\":
            escaped = True
        elif in_class:
            in_class = ch != "]"
        elif ch == "[":
            in_class = True
        elif ch == "$":
            ch = "\\Z"
        out.append(ch)
    return re.compile("".join(out))


def _pattern_keyword(validator, pattern, instance, schema):
    import jsonschema

    if validator.is_type(instance, "string") and not _ecma_pattern(pattern).search(instance):
        yield jsonschema.ValidationError(f"{instance!r} does not match {pattern!r}")


@lru_cache(maxsize=None)
def _validator(version: str | None = None):
    """The card's pure-Python validator for ``version`` (default: the current one)."""
    return document_validator(card_schema_of(version or schema_version()))


def document_validator(schema: dict):
    """A validator of ``schema`` (a generated JSON Schema: the card's, or another document's such as
    the assessor's record) that checks formats and patterns exactly as cards are checked."""
    import jsonschema

    checker = jsonschema.FormatChecker(formats=())
    for name, function in FORMATS.items():
        checker.checks(name)(_format_check(function))
    cls = jsonschema.validators.extend(jsonschema.validators.validator_for(schema),
                                       {"pattern": _pattern_keyword})
    return cls(schema, format_checker=checker)


# The compiled validator's error kinds that judge the value at their own place only: the values below
# it matter to such an error only through errors of their own. Every other kind (anyOf, not, ...) may
# stand for errors below its place, all of which the pure-Python validator must then see.
_POINT_KINDS = frozenset({
    "AdditionalItems", "AdditionalProperties", "Constant", "Enum", "ExclusiveMaximum", "ExclusiveMinimum",
    "Format", "MaxItems", "MaxLength", "MaxProperties", "Maximum", "MinItems", "MinLength", "MinProperties",
    "Minimum", "MultipleOf", "Pattern", "Required", "Type", "UniqueItems"})
_SKIP: ContextVar[frozenset] = ContextVar("structural_skip", default=frozenset())


_PRUNE_ERRORS = 1_000  # a card's issues are cut at MAX_ISSUES (pipeline), which is no more than this
_PRUNE_CONTAINERS = 500  # below this many objects and lists the full walk is cheaper than the pruning


def _has_containers(data, count: int) -> bool:
    """Whether ``data`` holds at least ``count`` objects and lists (stops counting there)."""
    stack, seen = [data], 0
    while stack:
        value = stack.pop()
        if isinstance(value, dict):
            stack.extend(v for v in value.values() if isinstance(v, (dict, list)))
        elif isinstance(value, list):
            stack.extend(v for v in value if isinstance(v, (dict, list)))
        else:
            continue
        seen += 1
        if seen >= count:
            return True
    return False


def _valid_containers(fast, data) -> frozenset:
    """The ids of the objects and lists in ``data`` that the compiled validator found no error in, at or
    below them or at any place an error of theirs could stand for: the pure-Python validator, which only
    has to explain the errors, need not walk them (a card's 2,000 valid list entries cost it seconds).
    An object found at two places (a YAML alias) is never skipped."""
    if not _has_containers(data, _PRUNE_CONTAINERS):
        return frozenset()  # little for the pure-Python validator to walk: not worth listing every error first
    ancestors: set[tuple] = set()
    deep: set[tuple] = set()
    for n, error in enumerate(fast.iter_errors(data)):
        if n == _PRUNE_ERRORS:  # so many errors that the walk stops at the issue limit long before: walk it all
            return frozenset()
        path = tuple(error.instance_path)
        ancestors.update(path[:i] for i in range(len(path) + 1))
        if type(error.kind).__name__ not in _POINT_KINDS:
            deep.add(path)
    if not ancestors or () in deep:
        return frozenset()
    seen: set[int] = set()
    shared: set[int] = set()
    candidates: set[int] = set()
    stack = [((), data, True)]
    while stack:
        path, value, walk = stack.pop()
        if not isinstance(value, (dict, list)):
            continue
        if id(value) in seen:
            shared.add(id(value))
            continue
        seen.add(id(value))
        examine = walk and path in ancestors and path not in deep
        items = value.items() if isinstance(value, dict) else enumerate(value)
        for key, item in items:
            if isinstance(item, (dict, list)):
                place = (*path, key)
                if examine and place not in ancestors:
                    candidates.add(id(item))
                stack.append((place, item, examine))
    return frozenset(candidates - shared)


def _skipping_properties(validator, properties, instance, schema):
    skip = _SKIP.get()
    if skip and isinstance(instance, dict):
        instance = {key: value for key, value in instance.items() if id(value) not in skip}
    yield from _KEYWORDS["properties"](validator, properties, instance, schema)


def _skipping_items(validator, items, instance, schema):
    skip = _SKIP.get()
    if not skip or not isinstance(instance, list) or not isinstance(items, (dict, bool)):
        yield from _KEYWORDS["items"](validator, items, instance, schema)
        return
    for index, item in enumerate(instance):
        if id(item) not in skip:
            yield from validator.descend(item, items, path=index)


def _skipping_additional(validator, additional, instance, schema):
    skip = _SKIP.get()
    if skip and isinstance(instance, dict) and isinstance(additional, dict):
        instance = {key: value for key, value in instance.items() if id(value) not in skip}
    yield from _KEYWORDS["additionalProperties"](validator, additional, instance, schema)


_KEYWORDS: dict = {}


def _skipping(errors, skip: frozenset):
    """The errors of ``errors`` (an iterator of :func:`_explaining_validator`'s) produced one by one,
    each while :data:`_SKIP` holds ``skip`` (and only then: the caller may stop at any error)."""
    while True:
        token = _SKIP.set(skip)
        try:
            error = next(errors, None)
        finally:
            _SKIP.reset(token)
        if error is None:
            return
        yield error


@lru_cache(maxsize=None)
def _explaining_validator(version: str | None = None):
    """The card's pure-Python validator, which does not walk the values :data:`_SKIP` names."""
    import jsonschema

    base = _validator(version)
    _KEYWORDS.update({name: type(base).VALIDATORS[name] for name in ("properties", "items", "additionalProperties")})
    cls = jsonschema.validators.extend(type(base), {"properties": _skipping_properties, "items": _skipping_items,
                                                    "additionalProperties": _skipping_additional})
    return cls(base.schema, format_checker=base.format_checker)


@lru_cache(maxsize=None)
def _fast_validator(version: str | None = None):
    """A compiled validator used to accept valid cards quickly (optional dependency), for ``version``
    (default: the current one). The current version's is compiled from its constraints alone
    (``modelcard.constraints.json``, the card's JSON Schema without its titles and descriptions: a
    third of the text to parse, and less to compile); the errors are explained with the whole schema."""
    try:
        import jsonschema_rs
    except ImportError:  # pragma: no cover - jsonschema_rs is a declared dependency
        return None
    current = version is None or version == schema_version()
    schema = artifact_json("card-constraints") if current else card_schema_of(version)
    return jsonschema_rs.validator_for(schema, validate_formats=True,
                                       formats={name: _format_check(f) for name, f in FORMATS.items()})


def _json_type(value) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    return "object"


def _short(value, limit: int = 60) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _class_at(pointer: str) -> str | None:
    """Schema class of the object at ``pointer``."""
    template = catalogue.template_of(pointer)
    if not template:
        return schema_index()["root_class"]
    slot = catalogue.field_slot(template)
    return slot["range"] if slot and slot["kind"] == "class" else None


def _field(pointer: str) -> dict:
    """The ``field`` parameter of the field at ``pointer``: its card path (rendered with its labels)."""
    return {"field": catalogue.template_of(pointer)}


def _at(data, pointer: str):
    """The value at ``pointer`` in ``data``, or ``_ABSENT``."""
    for token in pointers.tokens(pointer):
        if isinstance(data, dict) and pointers.unescape(token) in data:
            data = data[pointers.unescape(token)]
        elif isinstance(data, list) and token.isdigit() and int(token) < len(data):
            data = data[int(token)]
        else:
            return _ABSENT
    return data


_ABSENT = object()


def _message(error, pointer: str, data, source) -> tuple[str, str, str, dict]:
    """(pointer, check ID, variant, parameters) for one jsonschema error; ``data``: the card as written
    (the error is of its filled-in part, :func:`_filled`), ``source``: see :func:`check`."""
    v = error.validator
    value = error.instance
    labels = _field(pointer)
    if v == "required":
        named = _REQUIRED.match(error.message)
        missing = named.group(1) if named else next(
            (f for f in error.validator_value if isinstance(value, dict) and f not in value), "?")
        if not value and isinstance(_at(data, pointer), dict) and pointer and pointer.rsplit("/", 1)[-1].isdigit():
            # an entry of a list that holds no filled-in field: once for the entry, not once per field
            return pointer, "schema.required", "entry-empty", _field(pointer)
        pointer = f"{pointer}/{pointers.escape(missing)}"
        slot = catalogue.field_slot(catalogue.template_of(pointer)) or {}
        section = slot.get("kind") == "class" and not slot.get("multivalued")
        written = _at(data, pointer) is not _ABSENT
        variant = ("section" if section else "") + ("-empty" if written and section else "empty" if written else "")
        return pointer, "schema.required", variant, _field(pointer)
    if v == "additionalProperties":
        cls = _class_at(pointer)
        known = sorted(schema_index()["classes"].get(cls, {}).get("slots", {})) if cls else []
        extras = sorted(k for k in value if k not in error.schema.get("properties", {}))
        extra = extras[0] if extras else "?"
        import difflib  # only for a card with an unknown field: not at start-up

        hint = difflib.get_close_matches(extra, known, n=1)
        parent = pointer
        pointer = f"{pointer}/{pointers.escape(extra)}"
        params = _field(pointer)
        if hint:
            suggestion = catalogue.template_of(f"{parent}/{pointers.escape(hint[0])}")
            return pointer, "schema.additionalProperties", "suggestion", {**params, "suggestion": suggestion}
        if value.get(extra) is None and (" " in extra or extra.endswith(".")):
            # `{name: Foo, Ltd.}`: an unquoted comma inside a flow mapping split the text.
            return pointer, "schema.additionalProperties", "split-text", params
        return pointer, "schema.additionalProperties", "", params
    if v == "type":
        expected = [t for t in (error.validator_value if isinstance(error.validator_value, list)
                                else [error.validator_value]) if t != "null"]
        got = _json_type(value)
        params = {**labels, "expected": expected, "actual": got, "value": _short(value),
                  "expected_text": " or ".join(_TYPE_EN[t] for t in expected), "actual_text": _TYPE_EN[got],
                  "expected_text_zh": "或".join(_TYPE_ZH[t] for t in expected), "actual_text_zh": _TYPE_ZH[got]}
        return pointer, "schema.type", *_quote_hint(error, pointer, params, source)
    if v == "enum":
        allowed = [str(a) for a in error.validator_value]
        import difflib

        hint = difflib.get_close_matches(str(value), allowed, n=1)
        params = {**labels, "value": _short(value), "allowed": allowed[:12], "more": ", …" if len(allowed) > 12 else "",
                  "more_zh": "、…" if len(allowed) > 12 else ""}
        renamed = _renamed(value, allowed)
        if renamed:
            return pointer, "schema.enum", "renamed", {**params, "current": renamed}
        if hint:
            return pointer, "schema.enum", "suggestion", {**params, "suggestion": hint[0]}
        return pointer, "schema.enum", "", params
    if v == "pattern":
        return pointer, "schema.pattern", "", _pattern_params(value, error.validator_value, labels)
    if v == "format":
        form = error.validator_value
        return (pointer, "schema.format", form if form in ("date", "uri") else "",
                {**labels, "value": _short(value), "format": form})
    if v in ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "minItems", "maxItems"):
        params = {**labels, "limit": error.validator_value}
        if not v.endswith("Items"):
            params["value"] = _short(value)
        return pointer, f"schema.{v}", "", params
    if v in ("anyOf", "oneOf"):
        # Explain with the field's own description from the schema (e.g. what a shape may hold).
        desc, desc_zh = catalogue.field_description(catalogue.template_of(pointer))
        params = {**labels, "value": _short(value)}
        if desc:
            return pointer, f"schema.{v}", "described", {**params, "description": desc, "description_zh": desc_zh}
        return pointer, f"schema.{v}", "", params
    return pointer, f"schema.{v}", "", {**labels, "detail": error.message}


# What YAML reads as a number or true/false where text is expected: quoting the text as written fixes it.
_QUOTABLE = ("integer", "number", "boolean")


def _quote_hint(error, pointer: str, params: dict, source) -> tuple[str, dict]:
    """The variant and parameters of a type error: "quote" when text is expected and YAML read the value
    as a number or true/false, with the text as written in the card if ``source`` knows it ("quote-read"
    if not: `version: 1.10` is read as 1.1, so the value read is not what to quote), and when quoting
    it can give an allowed value (a coded field takes only its codes)."""
    if "string" not in params["expected"] or params["actual"] not in _QUOTABLE:
        return "", params
    text = source(pointer) if source is not None else None
    allowed = error.schema.get("enum") if isinstance(error.schema, dict) else None
    if allowed is not None and _written(error.instance, pointer, source) not in allowed:
        return "", params
    if text is None:
        return "quote-read", params
    return "quote", {**params, "text": text}


def _pattern_params(value, pattern: str, labels: dict) -> dict:
    return {**labels, "value": _short(value), "pattern": pattern}


def _is_null_branch(schema) -> bool:
    return isinstance(schema, dict) and schema.get("type") == "null" and len(schema) == 1


def _flatten(error):
    """Yield the errors a user should see: the nullable ``anyOf`` wrappers LinkML emits for
    optional objects are replaced by the errors of their one real branch, recursively."""
    if error.validator in ("anyOf", "oneOf") and error.instance is not None:
        branches = error.validator_value
        real = [i for i, b in enumerate(branches) if not _is_null_branch(b)]
        if len(real) == 1:
            inner = [e for e in error.context if e.schema_path and e.schema_path[0] == real[0]]
            if inner:
                for e in inner:
                    yield from _flatten(e)
                return
    yield error


def check(data: dict, provider_kind: str | None = None, limit: int | None = None, source=None) -> list[Issue]:
    """Structural issues of a card (empty if it conforms to the JSON Schema and declares a known
    specification version). With ``limit``, at most ``limit`` issues: the errors are produced one by
    one and checking stops there. ``source``: a function giving the text of a scalar as the card's
    file writes it (``1.10`` where the data holds 1.1; :meth:`.loading.LoadedCard.scalar_text`), or
    None if the value is text or the card has no file."""
    issues = list(itertools.islice(iter_issues(data, provider_kind, source, earlier_version(data)), limit))
    if limit is None or len(issues) < limit:
        issues += _version_issues(data, issues, provider_kind)
    return issues[:limit] if limit is not None else issues


def error_places(data: dict) -> list[tuple[tuple[str, ...], bool]] | None:
    """Where a card's data breaks the JSON Schema, as the compiled validator finds it (fast, without the
    explanations :func:`check` writes): per error, the keys of the value it is about and whether that is
    an object lacking a required field (a key the schema does not know is named by its own place). None
    if the compiled validator cannot judge the data (it holds a lone surrogate) or is not installed."""
    fast = _fast_validator(None)  # the key iter_issues uses for the current version: compiled once
    if fast is None or next(_surrogate_issues(data, None), None) is not None:
        return None
    places: list = []
    for error in fast.iter_errors(_filled(data, schema_index()["root_class"])):
        _places_of(error, places)
    return places


def _places_of(error, places: list) -> None:
    """The places of one error of the compiled validator, into ``places``. Of an ``anyOf`` (an optional
    section is "the section, or null") the errors of the one branch that is not a mere type mismatch
    stand for it, as :func:`_flatten` does for the pure-Python validator."""
    path = tuple(str(p) for p in error.instance_path)
    kind = type(error.kind).__name__
    if kind in ("AnyOf", "OneOfNotValid") and getattr(error.kind, "context", None):
        branches = [b for b in error.kind.context
                    if not (len(b) == 1 and type(b[0].kind).__name__ == "Type" and list(b[0].instance_path) == list(path))]
        if len(branches) == 1:
            for inner in branches[0]:
                _places_of(inner, places)
            return
    if kind == "AdditionalProperties":
        places += [((*path, str(key)), False) for key in error.kind.unexpected]
    else:
        places.append((path, kind == "Required"))


def _filled(value, cls: str | None, depth: int = 0):
    """``value`` (an instance of schema class ``cls``) without the fields it leaves empty: a field with no
    value (``key:``), or a section or list of sections none of whose fields has a value. A value written
    as such ("", ``[]``: "none") is kept, and so is a field the schema does not know, so that it is still
    reported. The card's text is what it is; the JSON Schema judges only what it says, so a template left
    unfilled gives one error per required field, not one per keyword and per field of an empty section.
    (Below the loader's depth limit a value is kept as it is: data handed to the library may nest deeper.)"""
    if not isinstance(value, dict) or cls is None or depth > MAX_DEPTH:
        return value
    slots = schema_index()["classes"].get(cls, {}).get("slots", {})
    out = {}
    for key, item in value.items():
        slot = slots.get(key)
        if slot is not None:
            inner = slot["range"] if slot["kind"] == "class" else None
            if item is None:
                continue
            if isinstance(item, list) and inner is not None and item:
                item = [_filled(entry, inner, depth + 2) for entry in item]
                if all(entry is None or entry == {} for entry in item):
                    continue
            elif isinstance(item, dict):
                item = _filled(item, inner, depth + 1)
                if item == {}:
                    continue
        out[key] = item
    return out


def _said_elsewhere(error, pointer: str, source) -> bool:
    """True for an error another error of the same value says better, so that a value is reported once:
    on a value of the wrong type, the type error (``pattern`` or ``format`` on a number adds nothing);
    on a coded field, the enum error with the allowed values (a type error adds nothing), unless quoting
    the value as written gives an allowed one (then the type error says to quote it)."""
    schema = error.schema if isinstance(error.schema, dict) else {}
    types = schema.get("type")
    if types is None:
        return False
    types = types if isinstance(types, list) else [types]
    got = _json_type(error.instance)
    if got == "number" and error.instance.is_integer():
        got = "integer"  # JSON Schema counts 0.0 as an integer: no type error says what is wrong with it
    if got in types or (got == "integer" and "number" in types):
        return False
    if "enum" in schema and error.validator in ("type", "enum"):
        quotable = "string" in types and got in _QUOTABLE and _written(error.instance, pointer, source) in schema["enum"]
        return quotable == (error.validator == "enum")
    return error.validator != "type"


def _written(value, pointer: str, source) -> str:
    """A scalar as the card writes it, if ``source`` knows, else as read."""
    text = source(pointer) if source is not None else None
    return text if text is not None else str(value).lower() if isinstance(value, bool) else str(value)


def iter_issues(data: dict, provider_kind: str | None = None, source=None, version: str | None = None):
    """The JSON Schema issues of a card, one by one (deduplicated), in a stable order; against the
    JSON Schema of ``version`` (an earlier version's, shipped frozen) if given, else the current one.

    The compiled validator decides whether the card is valid; the pure-Python one explains the errors in
    both languages. Both check formats with the same functions (FORMATS); should they still disagree
    on a card the compiled one rejects (its regular expressions follow ECMA-262, e.g. ``$`` does not
    match before a final newline), its own errors are reported, so a card is never valid for one path
    and invalid for the other."""
    fast = _fast_validator(version)
    seen: set[tuple[str, str]] = set()
    # A lone surrogate is no character: the loader refuses files holding one, but data handed to the
    # library can, and the compiled validator can neither encode nor judge it.
    for issue in _surrogate_issues(data, provider_kind):
        seen.add((issue.path, issue.message))
        fast = None
        yield issue
    written, data = data, _filled(data, schema_index()["root_class"])
    if fast is not None and fast.is_valid(data):
        return
    if fast is None:
        found = _validator(version).iter_errors(data)
    else:  # explain only the places where the compiled validator found errors
        found = _skipping(_explaining_validator(version).iter_errors(data), _valid_containers(fast, data))
    errors = (flat for error in found for flat in _flatten(error))
    for error in errors:
        pointer = "".join(f"/{pointers.escape(t)}" for t in error.absolute_path)
        if _said_elsewhere(error, pointer, source):
            continue
        pointer, check_id, variant, params = _message(error, pointer, written, source)
        issue = diagnostic(check_id, pointer, variant, requirement=catalogue.primary_requirement(pointer, provider_kind),
                           **params)
        if (pointer, issue.message) not in seen:
            seen.add((pointer, issue.message))
            yield issue
    if not seen and fast is not None:
        for error in fast.iter_errors(data):
            pointer = "".join(f"/{pointers.escape(t)}" for t in error.instance_path)
            labels = _field(pointer)
            kind = type(error.kind).__name__  # ValidationErrorKind.Pattern -> "Pattern"
            check_id = f"schema.{kind[:1].lower()}{kind[1:]}"
            if kind == "Pattern":
                variant, params = "", _pattern_params(error.instance, error.kind.pattern, labels)
            else:  # the keyword's own check if it has one, else the family's generic wording
                variant, params = ("detail" if check_id in CHECKS else ""), {**labels, "detail": error.message}
            issue = diagnostic(check_id, pointer, variant,
                               requirement=catalogue.primary_requirement(pointer, provider_kind), **params)
            if (pointer, issue.message) not in seen:
                seen.add((pointer, issue.message))
                yield issue


_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


def _surrogate_issues(data, provider_kind: str | None = None):
    """An error at each key or string value holding a lone UTF-16 surrogate: no character, so no text
    of a card (the loader refuses such files; data handed to the library can still hold one)."""
    if not _holds_lone_surrogate(data):  # the common case, found without building a pointer per value
        return
    stack = [("", data)]
    while stack:
        pointer, value = stack.pop()
        if isinstance(value, str):
            if not value.isascii() and _LONE_SURROGATE.search(value):
                yield diagnostic("schema.text", pointer, "value",
                                 requirement=catalogue.primary_requirement(pointer, provider_kind))
        elif isinstance(value, dict):
            for key, item in value.items():
                child = f"{pointer}/{pointers.escape(key)}"
                if isinstance(key, str) and not key.isascii() and _LONE_SURROGATE.search(key):
                    yield diagnostic("schema.text", child, "key",
                                     requirement=catalogue.primary_requirement(child, provider_kind))
                stack.append((child, item))
        elif isinstance(value, list):
            stack.extend((f"{pointer}/{n}", item) for n, item in enumerate(value))


def earlier_version(data) -> str | None:
    """The earlier published version a card declares (one whose JSON Schema ships frozen), or None."""
    version = data.get("schema_version") if isinstance(data, dict) else None
    return version if isinstance(version, str) and version in known_schema_versions()[:-1] else None


def _holds_lone_surrogate(data) -> bool:
    stack = [data]
    while stack:
        value = stack.pop()
        if isinstance(value, str):
            if not value.isascii() and _LONE_SURROGATE.search(value):
                return True
        elif isinstance(value, dict):
            if any(isinstance(key, str) and not key.isascii() and _LONE_SURROGATE.search(key) for key in value):
                return True
            stack.extend(value.values())
        elif isinstance(value, list):
            stack.extend(value)
    return False


def _version_issues(data: dict, issues: list[Issue], provider_kind: str | None) -> list[Issue]:
    """An error when the card declares a specification version other than the current one: an earlier
    one (migrate converts it) or one this tool does not know."""
    version = data.get("schema_version")
    if not isinstance(version, str) or version == schema_version() \
            or any(i.path == "/schema_version" for i in issues):
        return []
    previous = earlier_version(data) is not None
    return [diagnostic("schema.version", "/schema_version", "previous" if previous else "",
                       requirement=catalogue.primary_requirement("/schema_version", provider_kind),
                       declared=version if previous else _short(version), known=list(known_schema_versions()),
                       checked=schema_version())]
