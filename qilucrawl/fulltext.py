"""Chinese full-text search over SQLite FTS5.

FTS5's tokenizers split on spaces and punctuation, and Chinese has neither between words, so the
index holds every pair of neighbouring Chinese characters as a token ("山东工业" -> "山东 东工 工业").
A query word of two characters is then one token, and a longer one the phrase of its pairs; a
single character matches the pairs it starts.  Latin words are tokens as they are, matched as
prefixes; a number matches whole (``50`` is not ``2150`` or ``500``).  A word that mixes them
(``50亿元``, ``200亿``) is one phrase: the number, whole, right before the Chinese that follows
it, as the index holds them (``50亿元`` finds ``50亿元``, not ``2150亿元`` nor ``50万亩…百亿元``).

The index is contentless and keyed by a number that grows with the publish time
(:func:`search_key`), so "newest first, the first 20" reads 20 matches, not all of them; the
snippets are cut from the stored text of those 20 only.
"""

from __future__ import annotations

import re
import sqlite3
import zlib
from collections.abc import Iterable, Iterator
from datetime import datetime
from operator import add
from typing import TypeVar

# CJK ideographs: the basic block, extension A, compatibility, and extensions B–G (𠮷, 𪚥 …).
_BMP_HAN = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
ASTRAL_HAN = "\U00020000-\U0003134f"
_HAN = _BMP_HAN + ASTRAL_HAN
_HAN_RUN = re.compile(f"[{_HAN}]+")
_BMP_HAN_RUN = re.compile(f"[{_BMP_HAN}]+")
_TERM = re.compile(f"[{_HAN}]+|[0-9A-Za-z\u00c0-\u024f]+")
# A query word: Chinese, letters and digits with nothing between them (``50亿元``, ``COSMOPlat平台``),
# a decimal point or a thousands comma included (``7.48万亿元``, ``1,200``).
_WORD = re.compile(f"(?:[{_HAN}0-9A-Za-z\u00c0-\u024f]|(?<=[0-9])[.,](?=[0-9]))+")
_IS_HAN = re.compile(f"[{_HAN}]")
# Keys: publish time in seconds times SLOTS, plus a slot; articles of the same second differ by
# slot.  An article with no time sorts before every dated one.
SLOTS = 1024
_SNIPPET_WIDTH = 24
T = TypeVar("T")


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
    return " " + " ".join(map(add, chars[:-1], chars[1:])) + " "  # each character and the next


def query_terms(query: str) -> list[str]:
    """The words of a query, as a snippet marks them: runs of Chinese characters, letters and
    digits with nothing between them (``50亿元`` is one word)."""
    return _WORD.findall(query)


def fts_query(query: str) -> str | None:
    """An FTS5 MATCH expression for a user's words (all must match), or None if it has none.

    Only letters, digits and Chinese characters are used: FTS5's own syntax in a query is text.
    """
    parts = [_word_expression(word) for word in query_terms(query)]
    return " AND ".join(part for part in parts if part) or None


def _word_expression(word: str) -> str:
    """One query word as FTS5 matches it (see the module's docstring)."""
    pieces = _TERM.findall(word)
    if len(pieces) == 1:
        piece = pieces[0]
        if piece.isdigit():
            return f'"{piece}"'  # a number matches whole
        if not _IS_HAN.match(piece) or len(piece) == 1:
            return f'"{piece}"*'  # a Latin word's prefix; the pairs a lone character starts
        return '"' + " ".join(_query_pairs(piece)) + '"'
    # A mix: one phrase of the index's tokens, in order.  A lone Chinese character that opens
    # the word may end a pair in the text (次第3 is indexed 次第 3), which no token can match
    # from its start: the rest of the word carries the match.
    if _IS_HAN.match(pieces[0]) and len(pieces[0]) == 1:
        pieces = pieces[1:]
    tokens = [token for piece in pieces for token in (_query_pairs(piece) if _IS_HAN.match(piece) else [piece])]
    last = pieces[-1]
    open_end = not last.isdigit() and (not _IS_HAN.match(last) or len(last) == 1)
    return '"' + " ".join(tokens) + '"' + ("*" if open_end else "")


def _query_pairs(run: str) -> list[str]:
    """A run of Chinese characters as the index's tokens: its pairs, or the character alone."""
    return [run] if len(run) == 1 else [run[i : i + 2] for i in range(len(run) - 1)]


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


def result_snippet(title: str | None, body: str | None, terms: list[str]) -> str:
    """A search result's snippet: cut from the body when a word of the query is in it, else
    from the title (a match in the title only)."""
    in_body = body and any(term.lower() in body.lower() for term in terms)
    return snippet((body if in_body else title) or "", terms)


# --- the index in the archive -----------------------------------------------------------------

KEY_SQL = "INSERT INTO search_keys (key, info_code, source) VALUES (?, ?, ?)"
FTS_SQL = "INSERT INTO articles_fts (rowid, title, body) VALUES (?, ?, ?)"
# A contentless index deletes a row only when told the text it indexed (its key, title, body).
FTS_DELETE_SQL = "INSERT INTO articles_fts (articles_fts, rowid, title, body) VALUES ('delete', ?, ?, ?)"
INDEXED_TEXT_SQL = (
    "SELECT k.key, a.title, a.body_text FROM search_keys k JOIN articles a ON a.info_code = k.info_code WHERE "
)


def rebuild(conn: sqlite3.Connection, chunk: int = 2000) -> int:
    """Index every stored article for search, anew; returns how many (a bulk loader's tool)."""
    conn.execute("INSERT INTO articles_fts (articles_fts) VALUES ('delete-all')")
    conn.execute("DELETE FROM search_keys")
    done = 0
    # Roughly in key order already (keys grow with the publish time): see index_rows.
    cursor = conn.execute(
        "SELECT info_code, published_at, source, title, body_text FROM articles ORDER BY published_at"
    )
    while rows := cursor.fetchmany(chunk):
        index_rows(conn, rows)
        done += len(rows)
    return done


def unindex(conn: sqlite3.Connection, info_codes: list[str]) -> None:
    """Take the stored versions of ``articles`` out of the index (with the text they were
    indexed with: a contentless index needs it to find their tokens)."""
    old = []
    for chunk in in_chunks(info_codes):
        marks = ",".join("?" * len(chunk))
        old += conn.execute(INDEXED_TEXT_SQL + f"k.info_code IN ({marks})", chunk).fetchall()
    old.sort()  # in key order, as index_rows writes
    conn.executemany(FTS_DELETE_SQL, [(key, segment(title), segment(body)) for key, title, body in old])
    conn.executemany("DELETE FROM search_keys WHERE key = ?", [(key,) for key, _, _ in old])


def index_rows(
    conn: sqlite3.Connection, rows: Iterable[tuple[str, str | None, str | None, str | None, str | None]]
) -> None:
    """Index (info_code, published_at, source, title, body_text) rows, each under its own key.

    Written in key order: FTS5 starts a new segment whenever a key is lower than the one before
    it in a transaction, and indexing a batch in any other order took twice as long (merging
    the little segments)."""
    rows = list(rows)
    wanted = [search_key(published, code) for code, published, *_ in rows]
    asked, taken = set(wanted), _keys_taken(conn, wanted)
    keyed: list[tuple[int, str, str | None, str | None, str | None]] = []
    for key, (code, _, source, title, body) in zip(wanted, rows, strict=True):
        while key in taken or (key not in asked and _key_taken(conn, key)):
            key += 1  # another article of the same second took this slot
        taken.add(key)
        keyed.append((key, code, source, title, body))
    keyed.sort(key=lambda row: row[0])
    conn.executemany(KEY_SQL, [(key, code, source) for key, code, source, _, _ in keyed])
    conn.executemany(FTS_SQL, [(key, segment(title), segment(body)) for key, _, _, title, body in keyed])


def _keys_taken(conn: sqlite3.Connection, keys: list[int]) -> set[int]:
    """Which of ``keys`` the index holds already."""
    taken: set[int] = set()
    for chunk in in_chunks(keys):
        marks = ",".join("?" * len(chunk))
        taken.update(key for (key,) in conn.execute(f"SELECT key FROM search_keys WHERE key IN ({marks})", chunk))
    return taken


def _key_taken(conn: sqlite3.Connection, key: int) -> bool:
    return conn.execute("SELECT 1 FROM search_keys WHERE key = ?", [key]).fetchone() is not None


def in_chunks(items: list[T], size: int = 500) -> Iterator[list[T]]:
    """``items`` in lists short enough for one ``IN (…)`` of SQL parameters each (the store's too)."""
    for start in range(0, len(items), size):
        yield items[start : start + size]


def matching(
    conn: sqlite3.Connection,
    query: str,
    *,
    since: str | None = None,
    until: str | None = None,
    source: str | None = None,
    limit: int = 20,
) -> list[str]:
    """info_codes of the articles whose title or body has every word of ``query``, newest first."""
    expression = fts_query(query)
    if expression is None:
        return []
    low, high = key_range(since, until)
    where: list[str] = ["articles_fts MATCH ?"]
    params: list[str | int] = [expression]
    if low is not None:
        where.append("articles_fts.rowid >= ?")
        params.append(low)
    if high is not None:
        where.append("articles_fts.rowid < ?")
        params.append(high)
    if source:
        where.append("k.source = ?")
        params.append(source)
    sql = (
        "SELECT k.info_code FROM articles_fts JOIN search_keys k ON k.key = articles_fts.rowid"
        f" WHERE {' AND '.join(where)} ORDER BY articles_fts.rowid DESC LIMIT ?"
    )
    return [code for (code,) in conn.execute(sql, [*params, limit])]
