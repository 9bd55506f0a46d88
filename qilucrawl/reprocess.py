"""Re-clean the archive from the raw pages it keeps, with today's parsers (``qilucrawl reprocess``).

Every stored version keeps the bytes it was cleaned from (``pages``; an imported post keeps the
post's text), so an extraction fix can reach the years already archived without a request:
each selected article is extracted again from its pages, with what its list said (title, time,
medium, digest) read back from the stored record, and saved through the same path as a
re-crawl.  Changed content becomes a new revision (the old one kept); the same content changes
nothing; a result that would lose what the stored version has is refused and recorded
(:mod:`qilucrawl.versions`).  The run is recorded (spider ``reprocess``), with the parser
versions it ran.

Extraction runs in ``workers`` processes, each reading its share of the archive by rowid
ranges through a read-only connection; one writer (this process) saves.  At most two ranges a
worker are in flight, so memory stays flat whatever the archive's size.  The highest rowid
saved is kept in ``reprocess_progress`` with each batch: the same command run again after a
kill or Ctrl-C starts after it (and redoes at most the batch in flight, which then finds itself
unchanged: no revision is made twice).
"""

from __future__ import annotations

import hashlib
import json
import multiprocessing
import os
import sqlite3
import sys
import zlib
from collections import Counter, deque
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from qilucrawl.clean.dates import now_iso
from qilucrawl.items import ARTICLE_FIELDS, Article, ExtractError, ListEntry, Page

RANGE = 200  # articles a worker extracts per task
COMPARED = ("title", "subtitle", "original_title", "published_at", "source", "authors", "body_text", "images")
_EXAMPLES = 5
_SHOWN = 60  # characters of a field shown before and after


@dataclass(slots=True)
class Selection:
    """Which articles to re-clean (all, by default)."""

    parser: str | None = None  # a parser's name: "iqilu", "feed_text", "generic" …
    since: str | None = None  # published on or after (ISO day or time)
    until: str | None = None  # published before
    info_codes: Sequence[str] = ()
    outdated: bool = False  # only those an older parser revision read

    def where(self) -> tuple[str, list[Any]]:
        clauses, params = ["a.rowid > ?"], []
        if self.parser:
            clauses.append("(a.parser LIKE ? OR a.parser LIKE ?)")
            params += [f"{self.parser}/%", f"%+{self.parser}/%"]
        if self.since:
            clauses.append("a.published_at >= ?")
            params.append(self.since)
        if self.until:
            clauses.append("a.published_at < ?")
            params.append(self.until)
        if self.info_codes:
            clauses.append(f"a.info_code IN ({','.join('?' * len(self.info_codes))})")
            params += list(self.info_codes)
        return " AND ".join(clauses), params

    def key(self, versions: dict[str, str]) -> str:
        """Identity of a job: the same selection with the same parsers resumes it."""
        fields = [
            self.parser,
            self.since,
            self.until,
            sorted(self.info_codes),
            self.outdated,
            sorted(versions.values()),
        ]
        return hashlib.sha256(json.dumps(fields).encode()).hexdigest()[:16]


@dataclass(slots=True)
class Outcome:
    """One article re-extracted: the new version (or why there is none) and what changed."""

    info_code: str
    rowid: int
    parser_before: str | None
    url: str = ""
    parser_after: str | None = None
    same: bool = False  # the same content as stored: nothing to save (the article is not sent back)
    article: Article | None = None
    error: str | None = None
    changed: dict[str, tuple[Any, Any]] = field(default_factory=dict)  # field -> (before, after)


@dataclass(slots=True)
class ReprocessResult:
    """What a re-clean did (or, dry, would do): counts, by parser and by field, and examples."""

    examined: int = 0
    counts: Counter = field(default_factory=Counter)  # updated, unchanged, refused, failed
    by_parser: dict[str, Counter] = field(default_factory=dict)  # parser before -> outcomes
    by_field: Counter = field(default_factory=Counter)  # field -> articles it changed in
    examples: list[dict[str, Any]] = field(default_factory=list)
    versions: dict[str, str] = field(default_factory=dict)  # the parsers it ran
    run: dict[str, Any] | None = None  # the run row (None when dry)
    resumed_after: int = 0  # the rowid a resumed job started after

    def as_dict(self) -> dict[str, Any]:
        return {
            "examined": self.examined,
            "counts": dict(self.counts),
            "by_parser": {name: dict(counts) for name, counts in sorted(self.by_parser.items())},
            "by_field": dict(self.by_field),
            "examples": self.examples,
            "versions": self.versions,
            "run": self.run,
            "resumed_after": self.resumed_after,
        }


def reprocess(
    db: str | Path,
    selection: Selection | None = None,
    *,
    workers: int | None = None,
    dry_run: bool = False,
    progress: Any = None,
) -> ReprocessResult:
    """Re-clean the selected articles of ``db`` from their raw pages (see the module's text).
    ``progress(done, total)`` is called as articles are done."""
    from qilucrawl.extract import is_outdated, parser_versions
    from qilucrawl.jobs import locked_archive, recorded_run
    from qilucrawl.store import Store

    selection = selection or Selection()
    versions = parser_versions()
    result = ReprocessResult(versions=versions)
    workers = max(1, workers or os.cpu_count() or 1)
    key = selection.key(versions)
    if dry_run:
        for outcome in _outcomes(db, selection, 0, workers, is_outdated, progress):
            status = "failed" if outcome.error else "updated" if outcome.changed else "unchanged"
            _count(result, outcome, status)
        return result
    with locked_archive(db):
        store = Store(db)
        try:
            start = result.resumed_after = _resume_point(store, key)
            args = {"selection": _describe(selection), "workers": workers, "versions": versions, "after": start}
            with recorded_run(store, "reprocess", args) as run_id:
                batch: list[Outcome] = []
                for outcome in _outcomes(db, selection, start, workers, is_outdated, progress):
                    batch.append(outcome)
                    if len(batch) >= RANGE:
                        _save(store, batch, run_id, key, result)
                        batch = []
                _save(store, batch, run_id, key, result)
                store.db.execute("DELETE FROM reprocess_progress WHERE job = ?", [key])
                store.db.conn.commit()
            result.run = store.run(run_id)
        finally:
            store.close()
    return result


def _describe(selection: Selection) -> dict[str, Any]:
    return {k: v for k, v in {"parser": selection.parser, "since": selection.since, "until": selection.until,
                               "info_codes": list(selection.info_codes), "outdated": selection.outdated}.items() if v}  # fmt: skip


def _resume_point(store: Any, key: str) -> int:
    row = store.db.execute("SELECT last_rowid FROM reprocess_progress WHERE job = ?", [key]).fetchone()
    return int(row[0]) if row else 0


def _save(store: Any, batch: list[Outcome], run_id: int, key: str, result: ReprocessResult) -> None:
    """Save a batch through the crawl's path, then note how far the job has come."""
    if not batch:
        return
    articles = [o.article for o in batch if o.article is not None]
    counts = store.save_articles(articles, run_id, touch_seen=False)
    outcomes = iter(counts.outcomes)
    relabel = []
    for outcome in batch:
        status = "unchanged" if outcome.same else "failed" if outcome.article is None else next(outcomes)
        _count(result, outcome, status)
        if status == "unchanged" and outcome.parser_after != outcome.parser_before:
            relabel.append((outcome.parser_after, outcome.info_code))
    if unchanged := sum(o.same for o in batch):
        from qilucrawl.store import SaveCounts

        store.count_in_run(run_id, SaveCounts(unchanged=unchanged))
    failed = [o for o in batch if o.error is not None]
    if failed:
        from qilucrawl.items import Failure

        store.record_failures(
            [Failure(url=o.url, reason=o.error or "", stage="reprocess", info_code=o.info_code) for o in failed],
            run_id,
        )
    with store.db.atomic():
        # The same content read by today's parser: no revision, but the record says who read it
        # (so that --outdated finds nothing left to do).
        store.db.conn.executemany("UPDATE articles SET parser = ? WHERE info_code = ?", relabel)
        store.db.execute(
            "INSERT OR REPLACE INTO reprocess_progress (job, last_rowid, at) VALUES (?, ?, ?)",
            [key, max(o.rowid for o in batch), now_iso()],
        )


def _count(result: ReprocessResult, outcome: Outcome, status: str) -> None:
    status = {"new": "updated"}.get(status, status)
    result.examined += 1
    result.counts[status] += 1
    result.by_parser.setdefault(outcome.parser_before or "-", Counter())[status] += 1
    if status == "updated":
        result.by_field.update(outcome.changed.keys())
        if len(result.examples) < _EXAMPLES:
            result.examples.append(
                {"info_code": outcome.info_code, **{f: [_short(b), _short(a)] for f, (b, a) in outcome.changed.items()}}
            )


def _short(value: Any) -> Any:
    """A field as an example shows it: on one line (paragraphs marked ¶), long text cut."""
    if not isinstance(value, str):
        return value
    value = value.replace("\n\n", " ¶ ")
    return value[: _SHOWN // 2] + "…" + value[-_SHOWN // 2 :] if len(value) > _SHOWN else value


# --- reading and extracting (in the workers) --------------------------------------------------------


def _outcomes(
    db: str | Path, selection: Selection, start: int, workers: int, is_outdated: Any, progress: Any
) -> Iterator[Outcome]:
    """Every selected article re-extracted, in rowid order, ``workers`` processes at a time."""
    ranges = _ranges(db, selection, start, is_outdated)
    total = _count_selected(db, selection, start)
    done = 0
    if workers == 1:
        for rows in ranges:
            for outcome in _extract_range(str(db), rows):
                done += 1
                if progress:
                    progress(done, total)
                yield outcome
        return
    context = multiprocessing.get_context("fork" if sys.platform.startswith("linux") else "spawn")
    with context.Pool(workers, initializer=_READERS.clear) as pool:  # a child opens its own
        pending: deque = deque()
        for rows in ranges:
            pending.append(pool.apply_async(_extract_range, (str(db), rows)))
            if len(pending) >= 2 * workers:  # bounded: memory flat whatever the archive's size
                for outcome in pending.popleft().get():
                    done += 1
                    if progress:
                        progress(done, total)
                    yield outcome
        while pending:
            for outcome in pending.popleft().get():
                done += 1
                if progress:
                    progress(done, total)
                yield outcome


def _ranges(db: str | Path, selection: Selection, start: int, is_outdated: Any) -> Iterator[list[tuple[int, str]]]:
    """(rowid, info_code) of the selected articles, RANGE at a time, in rowid order."""
    conn = _reader(str(db))
    where, params = selection.where()
    after = start
    while True:
        rows = conn.execute(
            f"SELECT a.rowid, a.info_code, a.parser FROM articles a WHERE {where} ORDER BY a.rowid LIMIT ?",
            [after, *params, RANGE],
        ).fetchall()
        if not rows:
            return
        after = rows[-1][0]
        chosen = [(rowid, code) for rowid, code, parser in rows if not selection.outdated or is_outdated(parser)]
        if chosen:
            yield chosen


def _count_selected(db: str | Path, selection: Selection, start: int) -> int:
    where, params = selection.where()
    return int(
        _reader(str(db)).execute(f"SELECT COUNT(*) FROM articles a WHERE {where}", [start, *params]).fetchone()[0]
    )


_READERS: dict[str, sqlite3.Connection] = {}  # one read-only connection per archive, per process


def _reader(db: str) -> sqlite3.Connection:
    if db not in _READERS:
        _READERS[db] = sqlite3.connect(f"file:{Path(db).resolve()}?mode=ro", uri=True, timeout=60)
    return _READERS[db]


_STORED = (
    f"SELECT {', '.join(name for name in ARTICLE_FIELDS if name != 'last_seen_at')} FROM articles WHERE info_code = ?"
)
_PAGES = (
    "SELECT url, status, content_type, fetched_at, body FROM pages WHERE info_code = ? AND revision ="
    " (SELECT MAX(revision) FROM pages WHERE info_code = ?) ORDER BY part"
)


def _extract_range(db: str, rows: list[tuple[int, str]]) -> list[Outcome]:
    """Re-extract a range of articles (in a worker): each from its stored pages."""
    from qilucrawl.extract import extract

    conn = _reader(db)
    names = [name for name in ARTICLE_FIELDS if name != "last_seen_at"]
    outcomes = []
    for rowid, code in rows:
        stored_row = conn.execute(_STORED, [code]).fetchone()
        stored = dict(zip(names, stored_row))
        outcome = Outcome(code, rowid, stored["parser"], stored["url"] or "")
        pages = conn.execute(_PAGES, [code, code]).fetchall()
        if not pages:
            outcome.error = "no raw page is kept for this article"
            outcomes.append(outcome)
            continue
        try:
            article = extract(_page(stored, pages))
        except ExtractError as error:
            outcome.error = f"re-extraction failed: {error}"
        else:
            outcome.parser_after = article.parser
            if article.content_hash == stored["content_hash"]:
                outcome.same = True  # the common case: nothing to pickle, nothing to decide
            else:
                article.page = None  # its pages are stored already; the store keeps them
                outcome.article = article
                outcome.changed = _changes(stored, article)
        outcomes.append(outcome)
    return outcomes


def _page(stored: dict[str, Any], pages: list[tuple]) -> Page:
    """The stored pages as a crawl handed them over, with what the list said read back."""
    entry = ListEntry(
        info_code=stored["info_code"],
        title=stored["title"],
        published=stored["published_at"],
        media=stored["source"],
        digest=stored["summary"],
        web_url=stored["source_url"],
        rolling=stored["category"] == "emnews",
    )
    parts = [
        Page(url=url, body=zlib.decompress(body), status=status, content_type=content_type, fetched_at=fetched_at,
             entry=entry, source_url=stored["source_url"],
             spider="iqilu" if "iqilu/" in (stored["parser"] or "") else None)
        for url, status, content_type, fetched_at, body in pages
    ]  # fmt: skip
    first = parts[0]
    first.continuations = parts[1:]
    return first


def _changes(stored: dict[str, Any], article: Article) -> dict[str, tuple[Any, Any]]:
    if stored["content_hash"] == article.content_hash:
        return {}
    record = article.to_record()
    changed = {}
    for name in COMPARED:
        before = stored[name]
        if name in ("authors", "images") and isinstance(before, str):
            before = json.loads(before)
        if before != record[name]:
            changed[name] = (before, record[name])
    return changed
