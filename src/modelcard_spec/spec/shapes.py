"""Symbolic tensor dimensions such as ``batch``, ``H/16`` or ``2*n+1``: a tiny, safe grammar.

Grammar (no ``eval``; at most :data:`MAX_LENGTH` characters; ASCII digits, names and blanks only,
as the schema's ``DimensionSymbol`` pattern is ASCII too)::

    expr   := term (('+' | '-') term)*
    term   := factor (('*' | '/') factor)*
    factor := INTEGER | NAME | '(' expr ')'

``/`` is exact integer division: a dimension that does not divide evenly does not match.

Why this parser and not ``ast.parse(text, mode="eval")`` with a whitelist of node types (measured
on CPython 3.11):

* A whitelist sees only the tree, and Python rewrites the text before it builds the tree: names are
  NFKC-normalised (``ℌ/16`` and ``ｈ`` become ``H/16`` and ``h``), integers may be written ``0x10``,
  ``0o20`` or ``1_6`` (each ``Constant(16)``), comments and backslash continuations vanish
  (``H # x`` is ``Name('H')``). Refusing those takes a second pass over the text: a tokenizer again.
* Its errors are the interpreter's: English only ("invalid syntax", "'(' was never closed") and
  worded anew between Python releases (3.10 rewrote most of them). A :class:`ShapeError` here says
  what is wrong in English and in Chinese, and the same on every interpreter, as the recorded
  outputs require.
* Hostile input: without a length limit ``ast.parse`` raises ``MemoryError`` on 10,000 unary minus
  signs and ``RecursionError`` on a sum of 10,000 terms, which every caller would have to catch;
  this parser recurses too (some three frames per pair of parentheses). Either is safe only behind
  the length limit, which is checked before anything is parsed: within 200 characters the worst
  inputs (99 nested parentheses, a sum of 100 terms) take under a millisecond either way, and some
  300 Python frames here.
* Neither is faster (12-20 µs for a usual expression) nor shorter: a node whitelist, an evaluator
  over ``ast`` nodes and the pre-check of the text together are the size of this parser.
"""

from __future__ import annotations

import re

from .diagnostics import DiagnosticError
from .registry import CHECKS, Check, register

_TOKEN = re.compile(r"\s*(?:(\d+)|([A-Za-z_][A-Za-z0-9_]*)|(.))", re.ASCII)  # no other digits or blanks
_BLANKS = " \t\n\r\x0b\x0c"  # what \s is in ASCII
MAX_LENGTH = 200


# The wordings of this module are parts of other checks' messages (a model file's or a reproduction
# run's tensor that does not fit its declared shape), registered once like every message.
register(Check("shape.expression", "error", "A declared dimension expression can be read", "声明的维度表达式可以解析", {
    "too-long": ("dimension expression too long", "维度表达式过长"),
    "unexpected-character": ("unexpected character {character!r} in {text!r}", "{text!r} 中含有无法识别的字符 {character!r}"),
    "missing-parenthesis": ("missing ')' in {text!r}", "{text!r} 中缺少 ')'"),
    "expected-operand": ("expected a number or a name in {text!r}", "{text!r} 中缺少数字或名称"),
    "empty": ("empty dimension expression", "维度表达式为空"),
    "unexpected-token": ("unexpected {token!r} in {text!r}", "{text!r} 中有多余的 {token!r}"),
}, scope="fragment"))
register(Check("shape.mismatch", "error", "A tensor fits the shape its card declares", "张量符合模型卡声明的形状", {
    "rank": ("rank is {rank} {actual}, the card declares rank {declared_rank} {declared}",
             "秩为 {rank} {actual}，模型卡声明秩为 {declared_rank} {declared}"),
    "axis": ("axis {axis} is {actual}, the card declares {declared}", "第 {axis} 维为 {actual}，模型卡声明为 {declared}"),
    "dynamic-in-file": ("axis {axis} is dynamic ({actual}) in the file, the card declares the fixed size {declared}",
                        "第 {axis} 维在文件中是动态的（{actual_zh}），模型卡声明为固定大小 {declared}"),
    "fixed-in-file": ("axis {axis} has the fixed size {actual} in the file, the card declares it dynamic ({declared})",
                      "第 {axis} 维在文件中固定为 {actual}，模型卡声明为动态（{declared}）"),
    "not-divisible": ("axis {axis} is {actual}, but {declared} does not divide evenly",
                      "第 {axis} 维为 {actual}，但 {declared} 中的除法不能整除"),
}, scope="fragment"))


class ShapeError(DiagnosticError, ValueError):
    """An expression that cannot be read: a variant of ``shape.expression`` (``str()`` and
    ``message`` are the English message, ``message_zh`` the Chinese one)."""

    def __init__(self, variant: str, **params):
        super().__init__("shape.expression", variant, **params)


def _mismatch(variant: str, **params) -> tuple[str, str]:
    """(en, zh): a variant of ``shape.mismatch``."""
    return CHECKS["shape.mismatch"].render(variant, params)


def _rank_mismatch(actual: list, declared: list) -> tuple[str, str]:
    """(en, zh): a tensor's rank differs from the one the card declares."""
    return _mismatch("rank", rank=len(actual), actual=str(actual), declared_rank=len(declared), declared=str(declared))


def _axis_mismatch(axis: int, got, want) -> tuple[str, str]:
    """(en, zh): a tensor's size on ``axis`` differs from the one the card declares."""
    return _mismatch("axis", axis=axis, actual=got, declared=want)


def _tokens(text: str) -> list:
    if len(text) > MAX_LENGTH:
        raise ShapeError("too-long")
    out = []
    for number, name, other in _TOKEN.findall(text):
        if number:
            out.append(("int", int(number)))
        elif name:
            out.append(("name", name))
        elif other.strip(_BLANKS):
            if other not in "+-*/()":
                raise ShapeError("unexpected-character", character=other, text=text)
            out.append(("op", other))
    return out


def parse(text: str):
    """Parse an expression into nested tuples ``("int", n) | ("name", s) | (op, left, right)``."""
    tokens = _tokens(text)
    pos = 0

    def peek():
        return tokens[pos] if pos < len(tokens) else (None, None)

    def factor():
        nonlocal pos
        kind, value = peek()
        if kind in ("int", "name"):
            pos += 1
            return (kind, value)
        if (kind, value) == ("op", "("):
            pos += 1
            node = expr()
            if peek() != ("op", ")"):
                raise ShapeError("missing-parenthesis", text=text)
            pos += 1
            return node
        raise ShapeError("expected-operand", text=text)

    def left_assoc(operand, ops):
        """A precedence level: ``operand (op operand)*`` with ``ops``, grouped from the left."""
        def level():
            nonlocal pos
            node = operand()
            while peek()[0] == "op" and peek()[1] in ops:
                op = peek()[1]
                pos += 1
                node = (op, node, operand())
            return node
        return level

    term = left_assoc(factor, "*/")
    expr = left_assoc(term, "+-")

    if not tokens:
        raise ShapeError("empty")
    tree = expr()
    if pos != len(tokens):
        raise ShapeError("unexpected-token", token=tokens[pos][1], text=text)
    return tree


def names(tree) -> set[str]:
    if tree[0] == "name":
        return {tree[1]}
    if tree[0] == "int":
        return set()
    return names(tree[1]) | names(tree[2])


def evaluate(tree, env: dict[str, int]) -> int | None:
    """The value of ``tree`` with ``env``'s names; None if a name is unbound or a division is inexact."""
    kind = tree[0]
    if kind == "int":
        return tree[1]
    if kind == "name":
        return env.get(tree[1])
    left, right = evaluate(tree[1], env), evaluate(tree[2], env)
    if left is None or right is None:
        return None
    if kind == "+":
        return left + right
    if kind == "-":
        return left - right
    if kind == "*":
        return left * right
    if right == 0 or left % right:
        return None
    return left // right


UNNAMED = "?"  # a dynamic axis tied to no other: any size, bound to no name


def match(declared: list, actual, env: dict[str, int] | None = None) -> tuple[str, str] | None:
    """Check a shape against the one a card declares: None when it fits, else a message (en, zh)
    naming the first offending axis. The one shape comparer of the kit, for two kinds of ``actual``:

    * a tensor's concrete shape (ints), with ``env`` (a dict, shared by the tensors of one run): a
      single-name symbol is bound to its size on first sight, an expression over bound names must
      equal the size (exact integer division), one over names no tensor fixes is not checked,
      ``?`` (:data:`UNNAMED`) takes any size and binds nothing, and an expression that cannot be read
      raises :class:`ShapeError` (``verify``);
    * without ``env``, a model file's own declared shape, whose axes are ints (fixed) or names and
      None (dynamic): a fixed size must equal the declared one, a declared size cannot be dynamic in
      the file, and a declared symbol cannot be fixed there; an expression that cannot be read is
      left to the schema check (``validate --model``)."""
    if len(declared) != len(actual):
        return _rank_mismatch(list(actual), list(declared))
    for axis, (want, got) in enumerate(zip(declared, actual)):
        if isinstance(want, int):
            if isinstance(got, int):
                if want != got:
                    return _axis_mismatch(axis, got, want)
                continue
            return _mismatch("dynamic-in-file", axis=axis, actual=got or "unnamed", actual_zh=got or "未命名",
                             declared=want)
        if want == UNNAMED:  # any size, tied to nothing; as a declared dynamic axis, not a fixed one
            if env is None and isinstance(got, int):
                return _mismatch("fixed-in-file", axis=axis, actual=got, declared=want)
            continue
        if env is None:
            if isinstance(want, str) and isinstance(got, int):
                try:
                    parse(want)
                except ShapeError:
                    continue  # the schema reports an invalid expression
                return _mismatch("fixed-in-file", axis=axis, actual=got, declared=want)
            continue
        tree = parse(str(want))
        if tree[0] == "name" and tree[1] not in env:
            env[tree[1]] = got
            continue
        value = evaluate(tree, env)
        if value is None:
            unbound = sorted(n for n in names(tree) if n not in env)
            if unbound:
                continue  # an expression over names no input fixes: nothing to check
            return _mismatch("not-divisible", axis=axis, actual=got, declared=want)
        if value != got:
            return _axis_mismatch(axis, got, f"{want} = {value}")
    return None
