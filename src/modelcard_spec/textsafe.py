"""Text from untrusted input made safe to show: no terminal control sequences, no hidden reordering.

Card keys and values, names read from model files and bodies of server replies end up in what the
command line prints. A raw ESC or CSI there can erase lines, recolour text or retitle the window
(a malicious pickle could erase its own warning); bidirectional overrides can reorder what a reader
sees. Every such character is shown as a visible ``\\uXXXX`` escape instead:

* :func:`terminal` for human-readable text (diagnostics, tables, messages on standard error);
* :func:`json_text` for JSON already serialised: the same escapes are valid JSON string escapes,
  so the document keeps its meaning and stays byte-deterministic.

Newlines and tabs are kept in :func:`terminal` (they are the layout of the output itself); use
:func:`one_line` for a value that must stay on one line (a card key inside a diagnostic).
"""

from __future__ import annotations

import re

# C0 controls but tab and newline, DEL, C1 controls, and the invisible formatting characters that
# reorder or hide text: ALM, LRM/RLM, LRE..RLO, LRI..PDI, line/paragraph separators, BOM/ZWNBSP.
_UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069\ufeff]")
_UNSAFE_LINE = re.compile("[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069\ufeff]")


def _escape(match: re.Match) -> str:
    return f"\\u{ord(match.group()):04x}"


def terminal(text: str) -> str:
    """``text`` with every control or reordering character but newline and tab escaped."""
    return _UNSAFE.sub(_escape, text)


def one_line(text: str) -> str:
    """``text`` with newlines and tabs escaped too: for a value shown inside one line."""
    return _UNSAFE_LINE.sub(_escape, text)


def json_text(text: str) -> str:
    """Serialised JSON with the characters :func:`terminal` escapes written as JSON escapes.

    Such characters can only occur inside JSON strings, where ``\\uXXXX`` means the same character;
    ``json.dumps`` already escapes C0 controls, this adds DEL, C1 and the reordering characters."""
    return _UNSAFE.sub(_escape, text)
