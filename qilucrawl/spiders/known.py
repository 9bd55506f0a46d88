"""Which listed articles need no fetch: the one place both spiders ask.

An article the archive holds is not fetched again: for the feed, while its list still gives
the title and time it was stored with (a change there means the article changed); for iqilu,
whose list titles are not the page's, while it is stored at all.  With ``QILU_MEDIA`` set, an
article read earlier and left out for its medium is not fetched again either, while the list
gives the same title and time.  ``--refetch`` (``QILU_REFETCH``) fetches everything.

An article stored without a usable time — flagged ``published_in_future`` (stored while the
crawler's clock was behind, or the site's ahead) or with no ``published_at`` at all — is known
only provisionally: once the list gives it a time that is no longer in the future, it is fetched
again, and its time is read then.

One read-only connection serves the whole crawl (spiders never write), opened at the first
question: an archive that does not exist yet knows nothing.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Sequence
from pathlib import Path

from qilucrawl.clean.article import listed_state
from qilucrawl.items import FLAG_FUTURE, ListEntry

_CHUNK = 500  # SQLite's host parameters per statement, with room to spare


class KnownArticles:
    """Splits a list's entries into the ones to fetch and the ones stored unchanged."""

    def __init__(self, db_path: str | Path | None, *, media: Sequence[str] = (), refetch: bool = False) -> None:
        self.path = Path(db_path) if db_path else None
        self.media = list(media)
        self.refetch = refetch
        self._conn: sqlite3.Connection | None = None

    def split(self, entries: Sequence[ListEntry], *, by_list: bool) -> tuple[list[ListEntry], list[str]]:
        """(to fetch, info_codes stored unchanged).  ``by_list``: the list's title and time
        tell a changed article (the feed); else being stored is enough (iqilu)."""
        if self.refetch or not entries:
            return list(entries), []
        codes = [entry.info_code for entry in entries]
        stored = self._states("SELECT info_code, title, published_at FROM articles WHERE", codes)
        provisional = self._provisional([code for code in codes if code in stored])
        left_out = self._left_out(codes) if self.media else {}
        fetch: list[ListEntry] = []
        unchanged: list[str] = []
        for entry in entries:
            listed = listed_state(entry)
            known = entry.info_code in stored and (not by_list or stored[entry.info_code] == listed)
            if known and entry.info_code in provisional and listed[1] is not None:
                known = False  # stored without a time; the list's is not in the future (any more)
            if known:
                unchanged.append(entry.info_code)
            elif left_out.get(entry.info_code) != listed:
                fetch.append(entry)
        return fetch, unchanged

    def stored(self, codes: Sequence[str]) -> set[str]:
        """The ones among ``codes`` the archive holds (whatever ``refetch`` says)."""
        return set(self._states("SELECT info_code, title, published_at FROM articles WHERE", codes))

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    def _provisional(self, codes: list[str]) -> set[str]:
        """The ones among ``codes`` stored with no usable time: none, or one in the future."""
        if not codes:
            return set()
        sql = (
            "SELECT info_code, title, published_at FROM articles"
            " WHERE (published_at IS NULL OR instr(quality_flags, ?) > 0) AND"
        )
        return set(self._states(sql, codes, [f'"{FLAG_FUTURE}"']))

    def _left_out(self, codes: list[str]) -> dict[str, tuple[str | None, str | None]]:
        marks = ",".join("?" * len(self.media))
        sql = f"SELECT info_code, title, published_at FROM filtered WHERE source NOT IN ({marks}) AND"
        return self._states(sql, codes, self.media)

    def _states(
        self, select: str, codes: Iterable[str], extra: Sequence[str] = ()
    ) -> dict[str, tuple[str | None, str | None]]:
        """``info_code -> (title, published_at)`` from ``select`` ("… WHERE [condition AND]")."""
        conn = self._connection()
        found: dict[str, tuple[str | None, str | None]] = {}
        if conn is None:
            return found
        unique = list(dict.fromkeys(codes))
        for start in range(0, len(unique), _CHUNK):
            chunk = unique[start : start + _CHUNK]
            try:
                rows = conn.execute(f"{select} info_code IN ({','.join('?' * len(chunk))})", [*extra, *chunk])
            except sqlite3.OperationalError:  # no such table yet (a new archive, schema < 6)
                return found
            found.update((code, (title, published)) for code, title, published in rows)
        return found

    def _connection(self) -> sqlite3.Connection | None:
        if self._conn is None and self.path is not None and self.path.exists():
            self._conn = sqlite3.connect(f"file:{self.path.resolve()}?mode=ro", uri=True, timeout=30)
        return self._conn
