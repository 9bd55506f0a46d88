"""Fold shards into one archive (``qilucrawl merge SHARD… --into ARCHIVE``).

Each shard is read from a consistent snapshot (``VACUUM INTO`` a file beside the target: safe
while a crawl writes the shard), migrated to today's schema there, attached, and folded in
through the crawl's own save path (:meth:`~qilucrawl.store.Store.save_articles`, whose rules
are :mod:`qilucrawl.versions`):

- every version of an article the shard holds (its revisions and its current one), oldest
  fetch first, is compared by content hash with every version the archive holds: one it has
  already is skipped (revisions and raw pages are de-duplicated by (infoCode, content hash));
- one fetched after the archive's current version goes through the save path: new, a new
  revision (the older version kept) or refused, as a re-crawl would be;
- one fetched before it becomes a revision in its place by fetch time (later ones renumbered);
- the raw pages of what was stored are copied (``INSERT OR IGNORE`` on the pages' key);
- the shard's runs are copied, each with its (node, shard, run id) in ``run_origins`` (a run
  copied while it was running is updated by the next merge); their failures are copied, less
  those of an article some version of which was fetched after the failure; ``seen`` keeps the
  later time; the search index is updated by the save path.

Resumable and idempotent: articles are folded in batches, each committed with the shard's
progress (``merge_progress``: the last shard rowid folded, for this snapshot's fingerprint); a
merge killed at any moment is finished by the same command (a batch redone finds its versions
stored: nothing twice).  Once a shard is folded, its watermark (``merge_watermarks``: the last
run whose rows are all in, and the snapshot's fingerprint) makes merging it again a no-op while
it is unchanged, and makes a grown shard fold only the rows of its new runs.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sqlite3
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from qilucrawl.clean.dates import now_iso
from qilucrawl.items import ARTICLE_FIELDS, Article, Image
from qilucrawl.jobs import locked_archive, recorded_run
from qilucrawl.schema import ARTICLE_COLUMNS, JSON_COLUMNS, SCHEMA_VERSION
from qilucrawl.store import NoArchive, SaveCounts, Store, StoreError

BATCH = 500  # shard articles folded per transaction
NODE_SETTING = "QILU_CLUSTER_NODE"  # recorded in a Scrapyd job's run: the node it ran on
_COLUMNS = list(ARTICLE_COLUMNS)
_FIELDS = set(ARTICLE_FIELDS)


@dataclass(slots=True)
class ShardReport:
    """What merging one shard did."""

    path: str
    node: str
    shard: str
    unchanged_shard: bool = False  # watermark and fingerprint as last time: nothing read
    resumed_after: int = 0  # the shard rowid a killed merge had reached
    articles: int = 0  # shard articles looked at
    new: int = 0
    updated: int = 0  # a new current version (the archive's one kept as a revision)
    historical: int = 0  # an older version put among the revisions by fetch time
    unchanged: int = 0  # articles whose every version the archive had
    refused: int = 0
    runs: int = 0  # runs copied or brought up to date
    failures: int = 0  # failure rows copied
    seen: int = 0


@dataclass(slots=True)
class MergeResult:
    run: dict[str, Any]
    shards: list[ShardReport] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        totals = {name: sum(getattr(report, name) for report in self.shards)
                  for name in ("articles", "new", "updated", "historical", "unchanged", "refused", "runs", "failures")}  # fmt: skip
        return {"run": self.run, "shards": [asdict(report) for report in self.shards], "totals": totals}


def merge(
    shards: Sequence[str | Path], into: str | Path, *, progress: Callable[[str, int, int], None] | None = None
) -> MergeResult:
    """Fold each shard into the archive ``into`` (created if missing), in a run of its own
    (spider ``merge``) under the archive's lock.  ``progress(shard, done, total)`` is called as
    articles are folded.  StoreError (or NoArchive) for a shard that is missing, not an archive,
    made by a newer qilucrawl, or the target itself — before anything is done."""
    paths = [Path(shard) for shard in shards]
    for path in paths:
        check_shard(path, into)
    with locked_archive(into):
        scratch = _scratch_folder(into)
        shutil.rmtree(scratch, ignore_errors=True)  # a killed merge's snapshots: we hold the lock
        store = Store(into)
        try:
            result = MergeResult(run={})
            with recorded_run(store, "merge", {"shards": [str(path) for path in paths]}) as run_id:
                for path in paths:
                    result.shards.append(_merge_shard(store, path, scratch, run_id, progress))
            result.run = store.run(run_id)
            return result
        finally:
            store.close()
            shutil.rmtree(scratch, ignore_errors=True)


def check_shard(path: Path, into: str | Path) -> None:
    """StoreError unless ``path`` is a qilucrawl archive this version can read, other than ``into``."""
    if not path.is_file():
        raise NoArchive(f"no shard at {path}" + (": it is a folder" if path.is_dir() else ""))
    if Path(into).exists() and path.resolve() == Path(into).resolve():
        raise StoreError(f"{path} is the archive merged into: a shard cannot be merged into itself")
    try:
        store = Store(path, readonly=True)
    except NoArchive:
        raise NoArchive(f"{path} is an empty database, not a shard") from None
    except StoreError as error:
        raise StoreError(str(error).replace("give --db a new file or an archive", "it is not a shard")) from None
    try:
        if store.schema_version > SCHEMA_VERSION:
            raise StoreError(
                f"{path} is at schema {store.schema_version}, made by a newer qilucrawl (this one reads up to"
                f" {SCHEMA_VERSION}): merge it with that version"
            )
    finally:
        store.close()


def _scratch_folder(into: str | Path) -> Path:
    """Where snapshots are taken: beside the target (the same file system, the same space)."""
    target = Path(into)
    return target.parent / f".{target.name}.merge"


# --- one shard ----------------------------------------------------------------------------------


def _merge_shard(
    store: Store, path: Path, scratch: Path, run_id: int, progress: Callable[[str, int, int], None] | None
) -> ShardReport:
    with _attached(store, path, scratch) as conn:
        node, key = _identity(conn, path)
        report = ShardReport(str(path), node, key)
        fingerprint = _fingerprint(conn)
        mark = conn.execute("SELECT last_run, fingerprint FROM merge_watermarks WHERE shard = ?", [key]).fetchone()
        if mark is not None and mark[1] == fingerprint:
            report.unchanged_shard = True
            return report
        after_run = mark[0] if mark is not None else -1
        resumed = conn.execute(
            "SELECT last_rowid FROM merge_progress WHERE shard = ? AND fingerprint = ?", [key, fingerprint]
        ).fetchone()
        report.resumed_after = last = resumed[0] if resumed else 0
        count = f"SELECT COUNT(*) FROM shard.articles a WHERE {_CHANGED}"
        total = conn.execute(count, [0, after_run, after_run, after_run]).fetchone()[0]
        done = total - conn.execute(count, [last, after_run, after_run, after_run]).fetchone()[0]
        while True:
            rows = conn.execute(
                f"SELECT a.rowid, a.info_code FROM shard.articles a WHERE {_CHANGED} ORDER BY a.rowid LIMIT ?",
                [last, after_run, after_run, after_run, BATCH],
            ).fetchall()
            if not rows:
                break
            last = rows[-1][0]
            with store.db.atomic():
                _fold(store, [code for _, code in rows], run_id, report)
                conn.execute(
                    "INSERT OR REPLACE INTO merge_progress (shard, fingerprint, last_rowid, at) VALUES (?, ?, ?, ?)",
                    [key, fingerprint, last, now_iso()],
                )
            report.articles += len(rows)
            done += len(rows)
            if progress is not None:
                progress(str(path), done, total)
        with store.db.atomic():
            runs = _copy_runs(conn, node, key, after_run)
            report.runs = len(runs)
            report.failures = _copy_failures(conn, runs, after_run)
            report.seen = _copy_seen(conn, runs, after_run)
            _drop_failures_stored_later(conn)
            conn.execute(
                "INSERT OR REPLACE INTO merge_watermarks (shard, node, path, last_run, fingerprint, merged_at, merge_run)"
                " VALUES (?, ?, ?, ?, ?, ?, ?)",
                [key, node, str(path.resolve()), _complete_through(conn, after_run), fingerprint, now_iso(), run_id],
            )
            conn.execute("DELETE FROM merge_progress WHERE shard = ?", [key])
        return report


# Shard articles after a rowid with something newer than the watermark: the current version, or
# a revision made or superseded since.  Rows stored with no run (a bulk load) count as run 0.
_CHANGED = (
    "a.rowid > ? AND (COALESCE(a.run_id, 0) > ? OR a.info_code IN (SELECT r.info_code FROM shard.revisions r"
    " WHERE COALESCE(r.run_id, 0) > ? OR COALESCE(r.superseded_by_run, 0) > ?))"
)


@contextmanager
def _attached(store: Store, path: Path, scratch: Path) -> Iterator[sqlite3.Connection]:
    """The target's connection with a snapshot of the shard attached as ``shard``."""
    scratch.mkdir(parents=True, exist_ok=True)
    snapshot = scratch / f"{os.getpid()}-{hashlib.sha256(str(path.resolve()).encode()).hexdigest()[:12]}.db"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{snapshot}{suffix}").unlink(missing_ok=True)
    source = Store(path, readonly=True)
    try:
        source.db.execute("VACUUM INTO ?", [str(snapshot)])  # one consistent read, whoever writes the shard
    except sqlite3.Error as error:
        raise StoreError(f"{path}: cannot snapshot the shard: {error}") from error
    finally:
        source.close()
    Store(snapshot).close()  # migrated to this schema (the copy, never the shard)
    conn = store.db.conn
    conn.execute("ATTACH DATABASE ? AS shard", [str(snapshot)])
    try:
        yield conn
    finally:
        if conn.in_transaction:
            conn.rollback()
        conn.execute("DETACH DATABASE shard")
        for suffix in ("", "-wal", "-shm"):
            Path(f"{snapshot}{suffix}").unlink(missing_ok=True)


def _identity(conn: sqlite3.Connection, path: Path) -> tuple[str, str]:
    """(node, shard key): a Scrapyd job's shard is known by the node its runs name and its file
    name (copy it anywhere); any other archive by its resolved path."""
    node = ""
    for (args,) in conn.execute("SELECT args FROM shard.runs ORDER BY id DESC"):
        try:
            node = str((json.loads(args or "{}").get("settings") or {}).get(NODE_SETTING) or "")
        except (ValueError, AttributeError):
            continue
        if node:
            break
    return node, f"{node}/{path.name}" if node else str(path.resolve())


def _fingerprint(conn: sqlite3.Connection) -> str:
    """What the shard holds, in a few numbers: the same fingerprint, the same shard."""
    parts = [
        conn.execute("SELECT * FROM shard.runs ORDER BY id").fetchall(),
        conn.execute("SELECT COUNT(*), MAX(rowid), MAX(run_id) FROM shard.articles").fetchone(),
        conn.execute("SELECT COUNT(*), MAX(run_id), MAX(superseded_by_run) FROM shard.revisions").fetchone(),
        conn.execute("SELECT COUNT(*), MAX(id) FROM shard.pages").fetchone(),
        conn.execute("SELECT COUNT(*), MAX(id) FROM shard.failures").fetchone(),
        conn.execute("SELECT COUNT(*), MAX(last_seen_at) FROM shard.seen").fetchone(),
        conn.execute("SELECT COUNT(*), MAX(at) FROM shard.filtered").fetchone(),
    ]
    return hashlib.sha256(json.dumps(parts, default=str).encode()).hexdigest()[:32]


def _complete_through(conn: sqlite3.Connection, after_run: int) -> int:
    """The last shard run whose rows are all folded: every run but one still running (a live
    crawl, or a worker killed before its run was marked): its rows are read again next time."""
    running = conn.execute("SELECT MIN(id) FROM shard.runs WHERE status = 'running'").fetchone()[0]
    if running is not None:
        return max(after_run, running - 1)
    return max(after_run, conn.execute("SELECT COALESCE(MAX(id), 0) FROM shard.runs").fetchone()[0])


# --- articles -------------------------------------------------------------------------------------


def _fold(store: Store, codes: list[str], run_id: int, report: ShardReport) -> None:
    """Fold every version the shard holds of ``codes`` into the archive."""
    conn = store.db.conn
    shard = _shard_versions(conn, codes)
    known = _archive_versions(conn, codes)
    newer: list[dict[str, Any]] = []  # through the save path, in fetch order
    older: list[dict[str, Any]] = []  # into the history
    for code in codes:
        have = known.get(code, {})
        current = have.get("current")
        fresh = [version for version in shard.get(code, []) if version["content_hash"] not in have.get("hashes", ())]
        if not fresh:
            report.unchanged += 1
            continue
        for version in fresh:
            if current is None or _when(version) >= _when(current):
                newer.append(version)
            else:
                older.append(version)
    if newer:
        articles = [_article(version) for version in newer]
        counts = store.save_articles(articles, run_id, touch_seen=False)
        pages: list[tuple[int, str, int]] = []
        times: list[tuple[str, str, str]] = []
        superseded: list[tuple[str, str, int]] = []
        for version, article, outcome in zip(newer, articles, counts.outcomes, strict=True):
            if outcome == "refused":
                report.refused += 1
                continue
            if outcome not in ("new", "updated"):  # the same content twice in the shard
                continue
            setattr(report, outcome, getattr(report, outcome) + 1)
            pages.append((article.revision or 1, version["info_code"], version["shard_revision"]))
            first = version["first_seen_at"] or version["fetched_at"]
            if first:
                times.append((first, version["info_code"], first))
            if outcome == "updated" and _when(version):
                superseded.append((_when(version), version["info_code"], (article.revision or 1) - 1))
        _copy_pages(conn, pages)
        # The save path stamps its own time; the shard knows when these were first seen.
        conn.executemany("UPDATE articles SET first_seen_at = ? WHERE info_code = ? AND (first_seen_at IS NULL OR first_seen_at > ?)", times)  # fmt: skip
        conn.executemany("UPDATE revisions SET first_seen_at = ? WHERE info_code = ? AND (first_seen_at IS NULL OR first_seen_at > ?)", times)  # fmt: skip
        conn.executemany("UPDATE revisions SET superseded_at = ? WHERE info_code = ? AND revision = ?", superseded)
    for version in older:
        _insert_history(conn, version, run_id)
        report.historical += 1
    if older:
        store.count_in_run(run_id, SaveCounts(updated=len(older)))


def _when(version: dict[str, Any]) -> str:
    """A version's place in time: when it was fetched (else first seen)."""
    return version.get("fetched_at") or version.get("first_seen_at") or ""


def _shard_versions(conn: sqlite3.Connection, codes: list[str]) -> dict[str, list[dict[str, Any]]]:
    """Every version of ``codes`` in the shard, oldest fetch first, each content once."""
    marks = ",".join("?" * len(codes))
    columns = ", ".join(_COLUMNS)
    found: dict[str, list[dict[str, Any]]] = {}
    for table in ("revisions", "articles"):
        cursor = conn.execute(f"SELECT {columns} FROM shard.{table} WHERE info_code IN ({marks})", codes)
        for row in cursor:
            version = dict(zip(_COLUMNS, row))
            version["shard_revision"] = version["revision"]
            found.setdefault(version["info_code"], []).append(version)
    for code, versions in found.items():
        versions.sort(key=lambda version: (_when(version), version["shard_revision"] or 0))
        hashes: set[str] = set()
        once = []
        for version in versions:
            if version["content_hash"] not in hashes:
                hashes.add(version["content_hash"])
                once.append(version)
        found[code] = once
    return found


def _archive_versions(conn: sqlite3.Connection, codes: list[str]) -> dict[str, dict[str, Any]]:
    """What the archive holds of ``codes``: the current version's time, every content hash."""
    marks = ",".join("?" * len(codes))
    known: dict[str, dict[str, Any]] = {}
    sql = f"SELECT info_code, content_hash, fetched_at, first_seen_at FROM main.articles WHERE info_code IN ({marks})"
    for code, content_hash, fetched_at, first_seen_at in conn.execute(sql, codes):
        known[code] = {"current": {"fetched_at": fetched_at, "first_seen_at": first_seen_at}, "hashes": {content_hash}}
    sql = f"SELECT info_code, content_hash FROM main.revisions WHERE info_code IN ({marks})"
    for code, content_hash in conn.execute(sql, codes):
        known.setdefault(code, {"current": None, "hashes": set()})["hashes"].add(content_hash)
    return known


def _article(version: dict[str, Any]) -> Article:
    """A stored version as the save path takes it (its raw pages are copied by SQL)."""
    values = {name: value for name, value in version.items() if name in _FIELDS}
    for name in JSON_COLUMNS:
        values[name] = json.loads(values[name]) if isinstance(values.get(name), str) else (values.get(name) or [])
    values["images"] = [Image(image.get("url"), image.get("caption")) for image in values["images"]]
    values["revision"] = None
    return Article(**values)


_PAGES_SQL = (
    "INSERT OR IGNORE INTO main.pages (info_code, revision, part, url, status, content_type, fetched_at, sha256, body)"
    " SELECT info_code, ?, part, url, status, content_type, fetched_at, sha256, body FROM shard.pages"
    " WHERE info_code = ? AND revision = ?"
)


def _copy_pages(conn: sqlite3.Connection, pages: list[tuple[int, str, int]]) -> None:
    """(archive revision, info_code, shard revision): the raw pages, compressed as they are."""
    conn.executemany(_PAGES_SQL, pages)


def _insert_history(conn: sqlite3.Connection, version: dict[str, Any], run_id: int) -> None:
    """An older version than the archive's current one, put among the revisions where its fetch
    time places it; the versions after it move up one revision."""
    code = version["info_code"]
    when = _when(version)
    earlier = [revision for revision, fetched in _archive_times(conn, code) if (fetched or "") <= when]
    number = max(earlier, default=0) + 1
    following = conn.execute(
        "SELECT MIN(t) FROM (SELECT COALESCE(fetched_at, first_seen_at) AS t FROM main.revisions WHERE info_code = ?"
        " AND revision >= ? UNION ALL SELECT COALESCE(fetched_at, first_seen_at) FROM main.articles WHERE info_code = ?)",
        [code, number, code],
    ).fetchone()[0]
    # Renumbered through negative numbers: no two rows share a key in between.
    conn.execute("UPDATE main.revisions SET revision = -(revision + 1) WHERE info_code = ? AND revision >= ?", [code, number])  # fmt: skip
    conn.execute("UPDATE main.revisions SET revision = -revision WHERE info_code = ? AND revision < 0", [code])
    conn.execute("UPDATE main.pages SET revision = revision + 1 WHERE info_code = ? AND revision >= ?", [code, number])
    conn.execute("UPDATE main.articles SET revision = revision + 1 WHERE info_code = ?", [code])
    row = {name: version[name] for name in _COLUMNS}
    row.update(revision=number, run_id=run_id)
    names = [*_COLUMNS, "last_seen_at", "superseded_at", "superseded_by_run"]
    values = [*row.values(), None, following, run_id]
    conn.execute(f"INSERT INTO main.revisions ({', '.join(names)}) VALUES ({', '.join('?' * len(names))})", values)
    _copy_pages(conn, [(number, code, version["shard_revision"])])


def _archive_times(conn: sqlite3.Connection, code: str) -> list[tuple[int, str | None]]:
    return conn.execute(
        "SELECT revision, COALESCE(fetched_at, first_seen_at) FROM main.revisions WHERE info_code = ?"
        " UNION ALL SELECT revision, COALESCE(fetched_at, first_seen_at) FROM main.articles WHERE info_code = ?",
        [code, code],
    ).fetchall()


# --- runs, failures, seen ---------------------------------------------------------------------------


def _copy_runs(conn: sqlite3.Connection, node: str, key: str, after_run: int) -> dict[int, int]:
    """The shard's runs after the watermark, copied or brought up to date: shard run id -> archive run id
    (for every run of the shard the archive has)."""
    mine = {row[1] for row in conn.execute("PRAGMA main.table_info(runs)")}
    theirs = [row[1] for row in conn.execute("PRAGMA shard.table_info(runs)")]
    columns = [name for name in theirs if name in mine and name != "id"]
    copied = {shard_run: run for shard_run, run in conn.execute("SELECT shard_run, run_id FROM run_origins WHERE shard = ?", [key])}  # fmt: skip
    for row in conn.execute(f"SELECT id, {', '.join(columns)} FROM shard.runs WHERE id > ? ORDER BY id", [after_run]).fetchall():  # fmt: skip
        shard_run, values = row[0], list(row[1:])
        if shard_run in copied:
            assignments = ", ".join(f"{name} = ?" for name in columns)
            conn.execute(f"UPDATE main.runs SET {assignments} WHERE id = ?", [*values, copied[shard_run]])
            continue
        cursor = conn.execute(
            f"INSERT INTO main.runs ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})", values
        )
        copied[shard_run] = int(cursor.lastrowid or 0)
        conn.execute(
            "INSERT INTO run_origins (run_id, node, shard, shard_run) VALUES (?, ?, ?, ?)",
            [copied[shard_run], node, key, shard_run],
        )
    return copied


def _copy_failures(conn: sqlite3.Connection, runs: dict[int, int], after_run: int) -> int:
    """The shard's failures of runs after the watermark, each once, under the copied run."""
    rows = conn.execute(
        "SELECT run_id, at, spider, stage, url, info_code, status, reason FROM shard.failures"
        " WHERE COALESCE(run_id, 0) > ? ORDER BY id",
        [after_run],
    ).fetchall()
    added = 0
    for run, at, spider, stage, url, code, status, reason in rows:
        mapped = runs.get(run) if run is not None else None
        same = conn.execute(
            "SELECT 1 FROM main.failures WHERE run_id IS ? AND at IS ? AND url IS ? AND stage IS ? AND reason IS ?",
            [mapped, at, url, stage, reason],
        ).fetchone()
        if same is None:
            conn.execute(
                "INSERT INTO main.failures (run_id, at, spider, stage, url, info_code, status, reason)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                [mapped, at, spider, stage, url, code, status, reason],
            )
            added += 1
    return added


def _drop_failures_stored_later(conn: sqlite3.Connection) -> None:
    """A merged run's failure of an article that some version, fetched after it, stored: the page
    was there after all (whichever shard was merged first)."""
    conn.execute(
        "DELETE FROM main.failures WHERE info_code IS NOT NULL AND run_id IN (SELECT run_id FROM run_origins)"
        " AND EXISTS (SELECT 1 FROM (SELECT info_code, COALESCE(fetched_at, first_seen_at) AS t FROM main.articles"
        " UNION ALL SELECT info_code, COALESCE(fetched_at, first_seen_at) FROM main.revisions) v"
        " WHERE v.info_code = failures.info_code AND v.t > failures.at)"
    )


def _copy_seen(conn: sqlite3.Connection, runs: dict[int, int], after_run: int) -> int:
    """``seen`` and ``filtered`` at the later of the two times."""
    rows = conn.execute(
        "SELECT info_code, last_seen_at, last_seen_run FROM shard.seen WHERE COALESCE(last_seen_run, 0) > ?",
        [after_run],
    ).fetchall()
    conn.executemany(
        "INSERT INTO main.seen (info_code, last_seen_at, last_seen_run) VALUES (?, ?, ?) ON CONFLICT (info_code)"
        " DO UPDATE SET last_seen_at = excluded.last_seen_at, last_seen_run = excluded.last_seen_run"
        " WHERE seen.last_seen_at IS NULL OR excluded.last_seen_at > seen.last_seen_at",
        [(code, at, runs.get(run) if run is not None else None) for code, at, run in rows],
    )
    filtered = conn.execute(
        "SELECT info_code, title, published_at, source, run_id, at FROM shard.filtered WHERE COALESCE(run_id, 0) > ?",
        [after_run],
    ).fetchall()
    conn.executemany(
        "INSERT INTO main.filtered (info_code, title, published_at, source, run_id, at) VALUES (?, ?, ?, ?, ?, ?)"
        " ON CONFLICT (info_code) DO UPDATE SET title = excluded.title, published_at = excluded.published_at,"
        " source = excluded.source, run_id = excluded.run_id, at = excluded.at"
        " WHERE filtered.at IS NULL OR excluded.at > filtered.at",
        [(*row[:4], runs.get(row[4]) if row[4] is not None else None, row[5]) for row in filtered],
    )
    return len(rows)
