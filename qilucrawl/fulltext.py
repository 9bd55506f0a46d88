"""Chinese full-text search over SQLite FTS5.

FTS5's tokenizers split on spaces and punctuation, and Chinese has neither between words, so the
index holds every pair of neighbouring Chinese characters as a token ("山东工业" -> "山东 东工 工业").
A query word of two characters is then one token, and a longer one the phrase of its pairs; a
single character matches the pairs it starts.  Latin words and numbers are tokens as they are,
matched as prefixes.

The index is contentless and keyed by a number that grows with the publish time
(:func:`search_key`), so "newest first, the first 20" reads 20 matches, not all of them; the
snippets are cut from the stored text of those 20 only.
"""

from __future__ import annotations

import re
import zlib
from datetime import datetime

# CJK ideographs: the basic block, extension A, compatibility, and extensions B–G (𠮷, 𪚥 …).
_BMP_HAN = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
ASTRAL_HAN = "\U00020000-\U0003134f"
_HAN = _BMP_HAN + ASTRAL_HAN
_HAN_RUN = re.compile(f"[{_HAN}]+")
_BMP_HAN_RUN = re.compile(f"[{_BMP_HAN}]+")
_TERM = re.compile(f"[{_HAN}]+|[0-9A-Za-z\u00c0-\u024f]+")
# Keys: publish time in seconds times SLOTS, plus a slot; articles of the same second differ by
# slot.  An article with no time sorts before every dated one.
SLOTS = 1024
_SNIPPET_WIDTH = 24


def segment(text: str | None) -> str:
    """Text as the index holds it: each run of Chinese characters as its neighbouring pairs."""
    if not text:
        return ""
    return _HAN_RUN.sub(_pairs, text)


def segment_v4(text: str | None) -> str:
    """:func:`segment` as archives of schema 4 indexed text: extensions B–G left out of the
    pairs (what a contentless index must be told to delete what it holds)."""
    return _BMP_HAN_RUN.sub(_pairs, text) if text else ""


def _pairs(run: re.Match[str]) -> str:
    chars = run.group(0)
    if len(chars) == 1:
        return f" {chars} "
    return " " + " ".join(chars[i : i + 2] for i in range(len(chars) - 1)) + " "


def query_terms(query: str) -> list[str]:
    """The words of a query: runs of Chinese characters, Latin words, numbers."""
    return _TERM.findall(query)


def fts_query(query: str) -> str | None:
    """An FTS5 MATCH expression for a user's words (all must match), or None if it has none.

    Only letters, digits and Chinese characters are used: FTS5's own syntax in a query is text.
    """
    parts = []
    for term in query_terms(query):
        if not re.match(f"[{_HAN}]", term):
            parts.append(f'"{term}"*')
        elif len(term) == 1:
            parts.append(f'"{term}"*')  # the pairs it starts (and itself, standing alone)
        else:
            parts.append('"' + " ".join(term[i : i + 2] for i in range(len(term) - 1)) + '"')
    return " AND ".join(parts) or None


def search_key(published_at: str | None, info_code: str) -> int:
    """The preferred index key of an article: later publish times get larger keys."""
    seconds = 0
    if published_at:
        try:
            seconds = max(0, int(datetime.fromisoformat(published_at).timestamp()))
        except ValueError:
            seconds = 0
    return seconds * SLOTS + zlib.crc32(info_code.encode()) % SLOTS


def key_range(since: str | None, until: str | None) -> tuple[int | None, int | None]:
    """The keys of articles published in [since, until) (ISO dates or times, +08:00 implied)."""
    return _bound(since), _bound(until)


def _bound(value: str | None) -> int | None:
    if not value:
        return None
    stamp = value if "T" in value else f"{value[:10]}T00:00:00+08:00"
    return int(datetime.fromisoformat(stamp).timestamp()) * SLOTS


def snippet(text: str, terms: list[str], width: int = _SNIPPET_WIDTH) -> str:
    """The stretch of ``text`` around the first match, every match marked 【…】."""
    if not text or not terms:
        return ""
    pattern = re.compile("|".join(re.escape(t) for t in sorted(terms, key=len, reverse=True)), re.IGNORECASE)
    first = pattern.search(text)
    start = max(0, (first.start() if first else 0) - width)
    end = min(len(text), (first.end() if first else 0) + width * 2)
    window = " ".join(text[start:end].split())
    marked = pattern.sub(lambda m: f"【{m.group(0)}】", window)
    return ("…" if start > 0 else "") + marked + ("…" if end < len(text) else "")
