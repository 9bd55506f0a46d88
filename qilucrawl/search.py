"""Chinese full-text search over SQLite FTS5.

FTS5's tokenizers split on spaces and punctuation, and Chinese has neither between words, so
the index holds the text with every Chinese character as its own token ("山 东 工 业").  A query
word becomes a phrase of its characters, which matches exactly where those characters stand
together — a 2-character word included — and Latin words match as prefixes.
"""

from __future__ import annotations

import re

_HAN = r"\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_HAN_RANGES = ((0x3400, 0x4DBF), (0x4E00, 0x9FFF), (0xF900, 0xFAFF))
# One table lookup per character (str.translate runs in C): a Chinese character gets a space
# on each side, everything else stays.
_SPACED = {cp: f" {chr(cp)} " for low, high in _HAN_RANGES for cp in range(low, high + 1)}
# Segmenting put a space on both sides of every Chinese character; a space beside one (or
# beside full-width punctuation) in a snippet is ours, not the article's.
_WIDE = f"{_HAN}\u3000-\u303f\uff00-\uffef【】“”‘’…"
_OUR_SPACE = re.compile(f"(?<=[{_WIDE}]) | (?=[{_WIDE}])")
_TERM = re.compile(f"[{_HAN}]+|[0-9A-Za-z\u00c0-\u024f]+")


def segment(text: str | None) -> str:
    """Text as the index holds it: each Chinese character a token of its own."""
    if not text:
        return ""
    return " ".join(text.translate(_SPACED).split())


def fts_query(query: str) -> str | None:
    """An FTS5 MATCH expression for a user's words (all must match), or None if it has none.

    Only letters, digits and Chinese characters are used: FTS5's own syntax in a query is text.
    """
    parts = []
    for term in _TERM.findall(query):
        if re.match(f"[{_HAN}]", term):
            parts.append('"' + " ".join(term) + '"')
        else:
            parts.append(f'"{term}"*')
    return " AND ".join(parts) or None


def unsegment(snippet: str) -> str:
    """A snippet from the index, read back as Chinese text (no spaces between characters)."""
    return _OUR_SPACE.sub("", snippet)
