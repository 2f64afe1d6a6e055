"""Text from untrusted input made safe to show: no terminal control sequences, no hidden reordering,
no Markdown or HTML structure, and nothing that cannot be written as UTF-8.

Card keys and values, file names, names read from model files and bodies of server replies end up
in what the command line prints and in the Markdown, HTML, JSON and YAML it writes. A raw ESC or CSI
there can erase lines, recolour text or retitle the window (a malicious pickle could erase its own
warning); bidirectional overrides and invisible characters can reorder or hide what a reader sees.
Every such character is shown as a visible escape instead — ``\\u001b``, ``\\u202e``,
``\\U000e0041`` — and so is a lone surrogate (``\\ud800``), which no UTF-8 output can hold (it comes
from an undecodable file name or from data handed to the library):

* :func:`terminal` for human-readable text (diagnostics, tables, messages on standard error);
* :func:`one_line` for a value that must stay on one line (a card key inside a diagnostic);
* :func:`json_text` for JSON already serialised: the escapes are JSON string escapes, so the
  document keeps its meaning, stays valid JSON and byte-deterministic;
* :func:`yaml_dump` for YAML: scalars holding such characters are double-quoted, where the same
  escapes are YAML escapes;
* :func:`markdown` for untrusted text inside Markdown (table cells, headings, paragraphs): the
  HTML and Markdown structure characters are escaped, newlines become ``<br>`` (or spaces), so a
  card value can neither add a section, a link or an image (in Markdown or HTML syntax; a renderer
  may still turn a bare URL into a link) nor run script on a site built from it.
"""

from __future__ import annotations

import re
from functools import lru_cache

# DEL and C1 controls; the bidirectional controls (ALM, LRM, RLM, LRE..RLO, LRI..PDI); line and
# paragraph separators; lone surrogates; and the characters Unicode marks Default_Ignorable (drawn
# as nothing): soft hyphen, combining grapheme joiner, Hangul fillers (U+115F, U+1160, U+3164,
# U+FFA0), Khmer inherent vowels, Mongolian vowel separator, zero-width space, non-joiner and joiner,
# word joiner and invisible operators (U+2060..206F), BOM/ZWNBSP, interlinear annotation controls
# (U+FFF9..FFFB) and the reserved U+FFF0..FFF8, shorthand and musical format controls, tag
# characters and the rest of plane 14 -- but not the variation selectors (U+180B..180D, U+180F,
# U+FE00..FE0F, U+E0100..E01EF), which only choose the glyph of the character before them (emoji,
# CJK ideograph variants) and hide nothing. The zero-width joiner and non-joiner are escaped too,
# although emoji sequences and some scripts (Persian, the Indic scripts) use them: for this tool, a
# name seen with ``\u200d`` is better than two names that look the same and differ.
_HIDDEN = ("\x7f-\x9f\u00ad\u034f\u061c\u115f\u1160\u17b4\u17b5\u180e\u200b-\u200f\u2028-\u202e"
           "\u2060-\u206f\u3164\ufeff\uffa0\ufff0-\ufffb\U0001bca0-\U0001bca3\U0001d173-\U0001d17a"
           "\U000e0000-\U000e00ff\U000e01f0-\U000e0fff\ud800-\udfff")
# terminal() keeps newline, tab and the CR of a CRLF line end (CSV); a lone CR could overwrite a line;
# one_line() escapes every control character. The same for text without a CR, and for ASCII text
# (str.isascii() takes no time): a search for the CR alternative or for the ranges beyond the BMP is
# three to four times slower, and a 10 MiB value is searched several times on its way out.
_FULL = {"any": f"[\x00-\x08\x0b\x0c\x0e-\x1f{_HIDDEN}]|\r(?!\n)", "line": f"[\x00-\x1f{_HIDDEN}]",
         "no-cr": f"[\x00-\x08\x0b\x0c\x0e-\x1f{_HIDDEN}]"}
_ASCII = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]|\r(?!\n)")
_ASCII_NO_CR = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_ASCII_LINE = re.compile("[\x00-\x1f\x7f]")


@lru_cache(maxsize=None)
def _full(kind: str) -> re.Pattern:
    """A pattern of ``_FULL``, compiled when first needed: the ranges beyond the BMP make each cost about
    1 ms to compile, and ASCII text never needs them."""
    return re.compile(_FULL[kind])


def _unsafe(text: str) -> re.Pattern:
    """The pattern of the characters :func:`terminal` escapes, the fastest one for ``text``."""
    if text.isascii():
        return _ASCII if "\r" in text else _ASCII_NO_CR
    return _full("any" if "\r" in text else "no-cr")


def _escape(match: re.Match) -> str:
    code = ord(match.group())
    return f"\\u{code:04x}" if code <= 0xFFFF else f"\\U{code:08x}"


def _escape_json(match: re.Match) -> str:
    code = ord(match.group())
    if code <= 0xFFFF:
        return f"\\u{code:04x}"
    code -= 0x10000  # JSON writes a character beyond the BMP as its UTF-16 surrogate pair
    return f"\\u{0xD800 + (code >> 10):04x}\\u{0xDC00 + (code & 0x3FF):04x}"


def terminal(text: str) -> str:
    """``text`` with every control or reordering character but newline, tab and CRLF escaped."""
    return _unsafe(text).sub(_escape, text)


def one_line(text: str) -> str:
    """``text`` with newlines and tabs escaped too: for a value shown inside one line."""
    return (_ASCII_LINE if text.isascii() else _full("line")).sub(_escape, text)


_SURROGATE = re.compile("[\ud800-\udfff]")


def encodable(text: str) -> str:
    """``text`` with each lone surrogate written as the six characters ``\\udXXX``, as :func:`terminal`
    shows it, and nothing else changed: for text that must be UTF-8 but keep every other character
    (an RDF literal, an IRI segment before percent-encoding)."""
    return _SURROGATE.sub(_escape, text)


def json_text(text: str) -> str:
    """Serialised JSON with the characters :func:`terminal` escapes written as JSON escapes.

    Such characters can only occur inside JSON strings, where ``\\uXXXX`` means the same character;
    ``json.dumps`` already escapes C0 controls, this adds DEL, C1, the reordering and invisible
    characters, and lone surrogates (which ``ensure_ascii=False`` leaves raw and UTF-8 cannot hold)."""
    return _unsafe(text).sub(_escape_json, text)


# --------------------------------------------------------------------------- YAML

def yaml_dump(data, **options) -> str:
    """``yaml.safe_dump(data, allow_unicode=True, **options)`` with every character :func:`terminal`
    escapes written as a YAML escape: a scalar holding one is double-quoted (PyYAML escapes controls
    there itself; the reordering and invisible characters it would leave raw are escaped here)."""
    import yaml

    # libyaml's emitter where PyYAML has it (linear time); only text holding a character to escape
    # needs the pure-Python emitter below, which double-quotes the scalars that hold one.
    fast = _fast_dumper()
    if fast is not None:
        text = yaml.dump(data, Dumper=fast, allow_unicode=True, **options)
        if not _unsafe(text).search(text):
            return text
    return terminal(yaml.dump(data, Dumper=_dumper(), allow_unicode=True, **options))


# The card loader reads YAML 1.2's core schema, PyYAML's dumper decides quoting by YAML 1.1: text that
# 1.2 reads as a number but 1.1 does not ('1e-5', '0o17') would come back as a number. The dumpers
# below also resolve 1.2's number forms, so such text is written in quotes.
_CORE_FLOAT = r"^[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?$"
_CORE_INT = r"^(?:[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+)$"


def _core_numbers(dumper) -> None:
    dumper.add_implicit_resolver("tag:yaml.org,2002:float", re.compile(_CORE_FLOAT), list("-+0123456789."))
    dumper.add_implicit_resolver("tag:yaml.org,2002:int", re.compile(_CORE_INT), list("-+0123456789"))


@lru_cache(maxsize=None)
def _fast_dumper():
    import yaml

    base = getattr(yaml, "CSafeDumper", None)
    if base is None:
        return None

    class CoreDumper(base):
        pass

    _core_numbers(CoreDumper)
    return CoreDumper


@lru_cache(maxsize=None)
def _dumper():
    import yaml

    class SafeDumper(yaml.SafeDumper):
        def analyze_scalar(self, scalar):
            analysis = super().analyze_scalar(scalar)
            if _unsafe(scalar).search(scalar):  # only double quotes can carry the escapes
                analysis.allow_flow_plain = analysis.allow_block_plain = False
                analysis.allow_single_quoted = analysis.allow_block = False
            return analysis

    _core_numbers(SafeDumper)
    return SafeDumper


# --------------------------------------------------------------------------- Markdown

# Escaped with a backslash wherever they are (CommonMark and Python-Markdown both honour these; the
# pipe through the tables extension); as character references: the HTML specials, and the tilde
# (strikethrough on GitHub, which Python-Markdown would show with its backslash).
_MD_CHARS = re.compile(r"[\\`*_{}\[\]|#&<>~]")
_MD_REPLACE = {"&": "&amp;", "<": "&lt;", ">": "&gt;", "~": "&#126;"}
# At the start of a line: a list marker or rule (- +), an ordered-list number then a blank or the end.
_MD_LINE_START = re.compile(r"^(?:[-+]|\d+[.)](?= |$))")
_NEWLINES = re.compile(r"\r\n|\r|\n")


def _md_char(match: re.Match) -> str:
    char = match.group()
    return _MD_REPLACE.get(char) or "\\" + char


def markdown(text, newline: str = "<br>") -> str:
    """Untrusted ``text`` as Markdown inline text that renders as exactly that text.

    HTML specials become character references, Markdown structure characters are escaped, control
    and reordering characters are shown as escapes (:func:`one_line`), and line breaks become
    ``newline`` (``<br>`` in table cells and paragraphs, a space in headings), so the value stays in
    its cell, heading or paragraph. Leading blanks are dropped (they could start a code block)."""
    text = str(text).replace("\t", " ")
    pieces = [_MD_CHARS.sub(_md_char, one_line(piece)) for piece in _NEWLINES.split(text)]
    out = newline.join(pieces).lstrip(" ")
    start = _MD_LINE_START.match(out)
    if start:
        out = out[:start.end() - 1] + "\\" + out[start.end() - 1:]
    return out
