"""The SQLite archive: articles keyed by info_code, every revision, raw pages, runs, failures.

One file, WAL mode, written through sqlite-utils.  A batch of articles is saved in one
transaction, so a crash loses at most the batch in flight and never leaves half an article.
The tables and their migrations are :mod:`qilucrawl.schema`; the search index is
:mod:`qilucrawl.fulltext`.
"""

from __future__ import annotations

import json
import sqlite3
import zlib
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from hashlib import sha256
from pathlib import Path
from typing import Any

from sqlite_utils import Database

from qilucrawl.clean.dates import now_iso
from qilucrawl.fulltext import in_chunks, index_rows, matching, query_terms, result_snippet, unindex
from qilucrawl.items import Article, Failure, Filtered, Page
from qilucrawl.schema import ARTICLE_COLUMNS, JSON_COLUMNS, RUN_COUNTS, SCHEMA_VERSION, foreign_tables, migrate
from qilucrawl.versions import decide, rounds


@dataclass(slots=True)
class SaveCounts:
    new: int = 0
    updated: int = 0
    unchanged: int = 0
    failed: int = 0
    skipped: int = 0  # listed but known unchanged, so not fetched
    changed: list[str] = field(default_factory=list)  # info_codes new or updated
    # save_articles only: each article's outcome, in input order (new, updated, unchanged,
    # refused), and why a refused one was refused.
    outcomes: list[str] = field(default_factory=list)
    reasons: dict[str, str] = field(default_factory=dict)

    def add(self, other: SaveCounts) -> None:
        for name in RUN_COUNTS:
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.changed += other.changed


class StoreError(Exception):
    """The archive cannot be opened or written (not a database, read-only, disk full …)."""


class NoArchive(StoreError):
    """A read of an archive that does not exist."""


class Store:
    """The archive file.  Cheap to open; one per process.

    A writer (the default) creates the file if missing and migrates its schema.  ``readonly``
    opens it ``mode=ro`` and changes nothing, schema included: :attr:`schema_version` says
    which it is at.  Either way an SQLite file of another application is refused, untouched.
    """

    def __init__(self, path: str | Path, *, readonly: bool = False) -> None:
        self.path = Path(path)
        self.readonly = readonly
        if not readonly:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        try:
            self.db = Database(_read_only(self.path) if readonly else self.path)
        except sqlite3.DatabaseError as error:
            raise StoreError(f"{self.path}: {error}") from error
        try:
            self.db.execute("PRAGMA busy_timeout = 30000")
            self.schema_version = _our_schema(self.db, self.path, readonly)
            if not readonly:
                self.db.enable_wal()
                self.db.execute("PRAGMA synchronous = NORMAL")
                migrate(self.db)
                self.schema_version = SCHEMA_VERSION
        except sqlite3.DatabaseError as error:
            self.db.close()
            raise StoreError(f"{self.path}: {error}") from error
        except StoreError:
            self.db.close()
            raise

    def close(self) -> None:
        self.db.close()

    # --- runs ---------------------------------------------------------------------------------

    def start_run(self, spider: str, args: dict[str, Any], pid: int) -> int:
        """Record a run as started.  Call it while holding the run lock: any run still marked
        running then belongs to a process that died, and is marked interrupted."""
        with self.db.atomic():
            self.db.execute(
                "UPDATE runs SET status = 'interrupted' WHERE status = 'running'",
            )
            row = {
                "spider": spider,
                "args": json.dumps(args, ensure_ascii=False, default=str),
                "pid": pid,
                "started_at": now_iso(),
                "status": "running",
            }
            return int(self.db.table("runs").insert(row).last_pk or 0)

    def finish_run(self, run_id: int, status: str) -> dict[str, Any]:
        self.db.execute("UPDATE runs SET finished_at = ?, status = ? WHERE id = ?", [now_iso(), status, run_id])
        return self.run(run_id)

    def run(self, run_id: int) -> dict[str, Any]:
        return self.db.table("runs").get(run_id)

    def runs(self, limit: int = 20) -> list[dict[str, Any]]:
        return list(self.db.query("SELECT * FROM runs ORDER BY id DESC LIMIT ?", [limit]))

    def count_in_run(self, run_id: int | None, counts: SaveCounts) -> None:
        """Add ``counts`` to the run's totals (what was not saved but belongs in them, e.g. skips)."""
        if run_id is None:
            return
        self.db.execute(
            "UPDATE runs SET " + ", ".join(f"{n} = {n} + ?" for n in RUN_COUNTS) + " WHERE id = ?",
            [getattr(counts, n) for n in RUN_COUNTS] + [run_id],
        )

    # --- articles -----------------------------------------------------------------------------

    def stored(self, info_codes: Sequence[str]) -> set[str]:
        """The ones among ``info_codes`` the archive holds."""
        return set(self._current(list(info_codes)))

    def touch(self, info_codes: Sequence[str], run_id: int | None) -> SaveCounts:
        """Mark listed-but-unchanged articles as seen (they were not fetched again)."""
        counts = SaveCounts(skipped=len(info_codes))
        with self.db.atomic():
            self._seen(info_codes, now_iso(), run_id)
            self.count_in_run(run_id, counts)
        return counts

    def remember_filtered(self, items: Sequence[Filtered], run_id: int | None) -> SaveCounts:
        """Remember articles read but not archived (medium not selected); counted as skipped."""
        counts = SaveCounts(skipped=len(items))
        now = now_iso()
        rows = [(i.info_code, i.title, i.published_at, i.source, run_id, now) for i in items if i.info_code]
        with self.db.atomic():
            self.db.conn.executemany(_FILTERED_SQL, rows)
            self.count_in_run(run_id, counts)
        return counts

    def _seen(self, info_codes: Iterable[str], now: str, run_id: int | None) -> None:
        self.db.conn.executemany(_SEEN_SQL, [(code, now, run_id) for code in info_codes])

    def save_articles(
        self, articles: Sequence[Article], run_id: int | None = None, *, touch_seen: bool = True
    ) -> SaveCounts:
        """Store a batch in one transaction: each article is new, a new revision or unchanged.
        ``touch_seen``: the articles were listed or fetched now (not so for a re-clean).

        Outcomes are decided first, against the stored rows, then written with one
        ``executemany`` per statement.  The same article twice in a batch is decided in order:
        the second copy is unchanged (the same content) or saved in a round of its own.
        """
        counts = SaveCounts(outcomes=[""] * len(articles))
        refused: list[Failure] = []
        now = now_iso()
        with self.db.atomic():
            for round_ in rounds(articles):
                self._save_round(round_, run_id, now, counts, refused, touch_seen)
            self.count_in_run(run_id, counts)
        if refused:
            counts.failed += self.record_failures(refused, run_id)
        return counts

    def _save_round(
        self,
        articles: list[tuple[int, Article]],
        run_id: int | None,
        now: str,
        counts: SaveCounts,
        refused: list[Failure],
        touch_seen: bool = True,
    ) -> None:
        stored = self._current([a.info_code for _, a in articles if a.info_code])
        new: list[Article] = []
        updated: list[Article] = []
        seen: list[str] = []
        decided: set[str] = set()
        for position, article in articles:
            code = article.info_code or ""  # none: refused below
            previous = stored.get(code)
            # A second copy of the same content in one round: stored by the first.
            outcome, reason = ("unchanged", None) if code in decided else decide(article, previous, self.db.conn)
            if code:
                decided.add(code)
            counts.outcomes[position] = outcome
            if outcome == "refused":
                if code:
                    counts.reasons[code] = reason or "refused"
                    seen.append(code)
                refused.append(_failure(article, reason))
                continue
            setattr(counts, outcome, getattr(counts, outcome) + 1)
            seen.append(code)
            article.last_seen_at = now
            if outcome == "new":
                article.revision, article.first_seen_at = 1, now
                new.append(article)
            elif outcome == "updated" and previous is not None:
                article.revision = previous["revision"] + 1
                article.first_seen_at = previous["first_seen_at"]
                updated.append(article)
        counts.changed += [a.info_code or "" for a in new + updated]
        self._write(new, updated, run_id, now)
        if touch_seen:
            self._seen(seen, now, run_id)

    def _write(self, new: list[Article], updated: list[Article], run_id: int | None, now: str) -> None:
        conn = self.db.conn
        if updated:
            conn.executemany(_REVISION_SQL, [(now, run_id, a.info_code) for a in updated])
            unindex(self.db.conn, [a.info_code or "" for a in updated])
        changed = new + updated
        if not changed:
            return
        conn.executemany(_UPSERT_SQL, [_row(a, run_id) for a in changed])
        index_rows(self.db.conn, [(a.info_code or "", a.published_at, a.source, a.title, a.body_text) for a in changed])
        conn.executemany(_PAGE_SQL, [row for a in changed for row in _page_rows(a)])

    def _current(self, info_codes: list[str]) -> dict[str, dict[str, Any]]:
        """The stored facts a save decision needs, read straight off the connection (the hot
        path of a re-crawl: no body is read here)."""
        rows: dict[str, dict[str, Any]] = {}
        names = ("info_code", "content_hash", "revision", "first_seen_at")  # all in articles_state
        for chunk in in_chunks(list(dict.fromkeys(info_codes))):
            marks = ",".join("?" * len(chunk))
            # The planner prefers the key's own index, which then reads each row for the hash.
            sql = f"SELECT {', '.join(names)} FROM articles INDEXED BY articles_state WHERE info_code IN ({marks})"
            rows.update((row[0], dict(zip(names, row))) for row in self.db.conn.execute(sql, chunk))
        return rows

    # --- failures -----------------------------------------------------------------------------

    def record_failures(self, failures: Sequence[Failure], run_id: int | None = None) -> int:
        if not failures:
            return 0
        now = now_iso()
        rows = [
            {
                "run_id": run_id,
                "at": now,
                "spider": f.spider,
                "stage": f.stage,
                "url": f.url,
                "info_code": f.info_code,
                "status": f.status,
                "reason": f.reason[:2000],
            }
            for f in failures
        ]
        with self.db.atomic():
            self.db.table("failures").insert_all(rows)
            self.count_in_run(run_id, SaveCounts(failed=len(rows)))
        return len(rows)

    def failures(self, run_id: int | None = None) -> list[dict[str, Any]]:
        if run_id is None:
            return list(self.db.query("SELECT * FROM failures ORDER BY id"))
        return list(self.db.query("SELECT * FROM failures WHERE run_id = ? ORDER BY id", [run_id]))

    # --- reading ------------------------------------------------------------------------------

    def get(self, info_code: str) -> dict[str, Any] | None:
        rows = list(self.db.query(f"{_READ_SQL} WHERE a.info_code = ?", [info_code]))
        return decode_row(rows[0]) if rows else None

    def revisions(self, info_code: str) -> list[dict[str, Any]]:
        sql = "SELECT * FROM revisions WHERE info_code = ? ORDER BY revision"
        return [decode_row(row) for row in self.db.query(sql, [info_code])]

    def raw_pages(self, info_code: str) -> list[Page]:
        """The raw pages of the current revision, decompressed, in order."""
        sql = (
            "SELECT * FROM pages WHERE info_code = ? AND revision = "
            "(SELECT MAX(revision) FROM pages WHERE info_code = ?) ORDER BY part"
        )
        return [
            Page(
                url=row["url"],
                body=zlib.decompress(row["body"]),
                status=row["status"],
                content_type=row["content_type"],
                fetched_at=row["fetched_at"],
            )
            for row in self.db.query(sql, [info_code, info_code])
        ]

    def iter_articles(
        self,
        *,
        since: str | None = None,
        until: str | None = None,
        source: str | None = None,
        category: str | None = None,
        changed_since_run: int | None = None,
    ) -> Iterator[dict[str, Any]]:
        """Articles matching the filters, streamed (constant memory).

        Without a date or medium filter they come in the order they were first stored: the
        file's own order, read front to back (ordering a large archive by date instead reads it
        in random order, several times slower).  With one, they come in publish-time order,
        straight off the (source,) published_at index: sorting the matches into storage order
        would copy every whole row through a temporary B-tree first.
        """
        where, params = article_filters(since, until, source, category, changed_since_run)
        by_date = since or until or source
        sql = f"{_READ_SQL}{where} ORDER BY {'a.published_at, a.rowid' if by_date else 'a.rowid'}"
        for row in self.db.query(sql, params):
            yield decode_row(row)

    def search(
        self,
        query: str,
        *,
        since: str | None = None,
        until: str | None = None,
        source: str | None = None,
        limit: int = 20,
    ) -> list[dict[str, Any]]:
        """Articles whose title or body has every word of ``query``, newest first, each with a
        snippet whose matches are marked 【…】."""
        codes = matching(self.db.conn, query, since=since, until=until, source=source, limit=limit)
        terms = query_terms(query)
        found = {}
        for row in self._read(codes):
            found[row["info_code"]] = {
                "info_code": row["info_code"],
                "title": row["title"],
                "published_at": row["published_at"],
                "source": row["source"],
                "category": row["category"],
                "snippet": result_snippet(row["title"], row["body_text"], terms),
            }
        return [found[code] for code in codes if code in found]

    def _read(self, info_codes: list[str]) -> Iterator[dict[str, Any]]:
        for chunk in in_chunks(info_codes):
            marks = ",".join("?" * len(chunk))
            yield from self.db.query(
                "SELECT info_code, title, published_at, source, category, body_text FROM articles"
                f" WHERE info_code IN ({marks})",
                chunk,
            )

    def sample(self) -> dict[str, Any] | None:
        """Something to look at: the newest 齐鲁网 article with an image, else the newest."""
        sql = (
            "SELECT info_code FROM articles ORDER BY source = '齐鲁网' DESC, images != '[]' DESC,"
            " published_at DESC LIMIT 1"
        )
        rows = list(self.db.query(sql))
        return self.get(rows[0]["info_code"]) if rows else None

    def count(self) -> int:
        return self.db.table("articles").count

    def stats(self) -> dict[str, Any]:
        query = self.db.query
        return {
            "articles": self.count(),
            "revisions": self.db.table("revisions").count,
            "by_source": list(
                query(
                    "SELECT source, category, COUNT(*) AS articles FROM articles"
                    " GROUP BY source, category ORDER BY articles DESC"
                )
            ),
            "by_day": list(
                query(
                    "SELECT substr(published_at, 1, 10) AS day, COUNT(*) AS articles FROM articles"
                    " GROUP BY day ORDER BY day DESC LIMIT 31"
                )
            ),
            "runs": self.runs(10),
            "failures": list(
                query(
                    "SELECT stage, status, reason, COUNT(*) AS count FROM failures"
                    " GROUP BY stage, status, reason ORDER BY count DESC LIMIT 20"
                )
            ),
        }


_COLUMN_LIST = ", ".join(ARTICLE_COLUMNS)
_READ_SQL = "SELECT a.*, s.last_seen_at FROM articles a LEFT JOIN seen s ON s.info_code = a.info_code"
# An upsert keeps the row's rowid, which the full-text index is keyed by.
_UPSERT_SQL = (
    f"INSERT INTO articles ({_COLUMN_LIST}) VALUES ({', '.join('?' * len(ARTICLE_COLUMNS))})"
    " ON CONFLICT (info_code) DO UPDATE SET "
    + ", ".join(f"{c} = excluded.{c}" for c in ARTICLE_COLUMNS if c != "info_code")
)
_REVISION_SQL = (
    f"INSERT OR REPLACE INTO revisions ({_COLUMN_LIST}, last_seen_at, superseded_at, superseded_by_run)"
    f" SELECT {', '.join('a.' + c for c in ARTICLE_COLUMNS)}, s.last_seen_at, ?, ?"
    " FROM articles a LEFT JOIN seen s ON s.info_code = a.info_code WHERE a.info_code = ?"
)
_PAGE_SQL = (
    "INSERT OR IGNORE INTO pages (info_code, revision, part, url, status, content_type, fetched_at,"
    " sha256, body) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"
)
_FILTERED_SQL = (
    "INSERT OR REPLACE INTO filtered (info_code, title, published_at, source, run_id, at) VALUES (?, ?, ?, ?, ?, ?)"
)
_SEEN_SQL = (
    "INSERT INTO seen (info_code, last_seen_at, last_seen_run) VALUES (?, ?, ?)"
    " ON CONFLICT (info_code) DO UPDATE SET last_seen_at = excluded.last_seen_at,"
    " last_seen_run = excluded.last_seen_run"
)


def _row(article: Article, run_id: int | None) -> tuple:
    """The articles row, in ARTICLE_COLUMNS order (built directly: to_record() deep-copies)."""
    values = {name: getattr(article, name, None) for name in ARTICLE_COLUMNS}
    values["run_id"] = run_id
    values["images"] = [{"url": i.url, "caption": i.caption} for i in article.images]
    for name in JSON_COLUMNS:
        values[name] = json.dumps(values[name], ensure_ascii=False)
    return tuple(values[name] for name in ARTICLE_COLUMNS)


def _page_rows(article: Article) -> list[tuple]:
    page = article.page
    if page is None:
        return []
    return [_page_row(article, number, part) for number, part in enumerate([page, *page.continuations], start=1)]


def article_filters(
    since: str | None,
    until: str | None,
    source: str | None,
    category: str | None,
    changed_since_run: int | None,
) -> tuple[str, list[Any]]:
    """SQL WHERE clause (with its leading space) and parameters for the export/search filters."""
    clauses: list[str] = []
    params: list[Any] = []
    if since:
        clauses.append("a.published_at >= ?")
        params.append(since)
    if until:
        clauses.append("a.published_at < ?")
        params.append(until)
    if source:
        clauses.append("a.source = ?")
        params.append(source)
    if category:
        clauses.append("a.category = ?")
        params.append(category)
    if changed_since_run is not None:
        clauses.append("a.run_id >= ?")
        params.append(changed_since_run)
    return (" WHERE " + " AND ".join(clauses) if clauses else ""), params


def decode_row(row: dict[str, Any]) -> dict[str, Any]:
    """A stored row with its JSON columns turned back into lists."""
    for name in JSON_COLUMNS:
        if isinstance(row.get(name), str):
            row[name] = json.loads(row[name])
    return row


def _failure(article: Article, reason: str | None) -> Failure:
    return Failure(url=article.url or "", reason=reason or "refused", stage="store", info_code=article.info_code)


def _page_row(article: Article, part: int, page: Page) -> tuple:
    return (
        article.info_code,
        article.revision,
        part,
        page.url,
        page.status,
        page.content_type,
        page.fetched_at,
        sha256(page.body).hexdigest(),
        zlib.compress(page.body, 6),
    )


def _read_only(path: Path) -> sqlite3.Connection:
    """A connection that cannot write (``mode=ro``).  SQLite reads a WAL archive through its
    ``-shm`` file, which it makes beside the archive; in a folder this process cannot write,
    with no ``-wal`` file of unmerged changes, the file is read as it stands (``immutable``):
    no writer can be at work there, it could not make its own ``-wal`` file either."""
    uri = path.resolve().as_uri()
    conn = sqlite3.connect(f"{uri}?mode=ro", uri=True)
    try:
        conn.execute("SELECT name FROM sqlite_master LIMIT 1").fetchall()
        return conn
    except sqlite3.OperationalError as error:
        conn.close()
        wal = Path(f"{path}-wal")
        if "unable to open" not in str(error) or (wal.exists() and wal.stat().st_size > 0):
            raise
    return sqlite3.connect(f"{uri}?mode=ro&immutable=1", uri=True)


def _our_schema(db: Database, path: Path, readonly: bool) -> int:
    """The archive's schema version; StoreError for another application's database, NoArchive
    for a read of a database that holds nothing."""
    tables = foreign_tables(db)
    if tables:
        shown = ", ".join(tables[:6]) + (", …" if len(tables) > 6 else "")
        raise StoreError(
            f"{path} is another application's SQLite database (tables: {shown}), not a qilucrawl archive;"
            " it was left as it is: give --db a new file or an archive"
        )
    version = int(db.execute("PRAGMA user_version").fetchone()[0])
    if readonly and tables == []:  # an empty database: a writer would make an archive of it
        raise NoArchive(f"no archive at {path}: the file is an empty database")
    return version
