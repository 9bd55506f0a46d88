"""The archive's tables, their indexes and the migrations between schema versions.

Tables (README, "The database"):

- ``articles``  the current version of each article (the data dictionary's fields)
- ``revisions`` every earlier version, whole, keyed by (info_code, revision)
- ``pages``     the raw bytes each version was cleaned from (zlib), for re-cleaning offline
- ``runs``      one row per crawl, backfill or import: arguments, start, end, counts, status,
                and (schema 8) the quality of what a crawl stored: its shares and its alarm
- ``failures``  what could not be fetched or read: URL, info_code, stage, reason, HTTP status
- ``seen``      when each article was last listed or fetched (``last_seen_at``), apart from the
                big rows so that a re-crawl writes a few bytes per article
- ``filtered``  articles read but left out because ``--media`` did not select their medium
- ``reprocess_progress`` how far each ``reprocess`` job has come (the last rowid saved), so that
                the same command run again after a kill resumes there
- ``run_origins``, ``merge_watermarks``, ``merge_progress`` (schema 9, ``qilucrawl merge``): where
                each run copied from a shard came from (node, shard, run id), how far each shard
                is merged, and a killed merge's resume point (:mod:`qilucrawl.cluster.merge`)
- ``articles_fts`` the full-text index of titles and bodies (see :mod:`qilucrawl.fulltext`), keyed
                by ``search_keys`` (a key that grows with the publish time -> info_code)

``PRAGMA user_version`` is the schema version.
"""

from __future__ import annotations

from sqlite_utils import Database

from qilucrawl.fulltext import ASTRAL_HAN, FTS_DELETE_SQL, FTS_SQL, INDEXED_TEXT_SQL, rebuild, segment, segment_v4
from qilucrawl.items import ARTICLE_FIELDS, LIST_FIELDS

SCHEMA_VERSION = 9
JSON_COLUMNS = LIST_FIELDS
# The data dictionary's fields but last_seen_at (in `seen`), and the run that stored the version.
ARTICLE_COLUMNS: dict[str, type] = {
    **{name: int if name == "revision" else str for name in ARTICLE_FIELDS if name != "last_seen_at"},
    "run_id": int,
}
# When an article was last listed or fetched lives in the narrow `seen` table: updating it in
# `articles` would rewrite the whole row, body and all, on every re-crawl.
SEEN_COLUMNS = {"info_code": str, "last_seen_at": str, "last_seen_run": int}
FILTERED_COLUMNS = {"info_code": str, "title": str, "published_at": str, "source": str, "run_id": int, "at": str}
RUN_COUNTS = ("new", "updated", "unchanged", "failed", "skipped")


def migrate(db: Database) -> None:
    """Bring the archive to SCHEMA_VERSION, in one transaction (an interrupted migration is
    rolled back and simply runs again)."""
    version = next(db.query("PRAGMA user_version"))["user_version"]
    if version >= SCHEMA_VERSION:
        return
    with db.atomic():
        if version < 1:
            _create_v1(db)
        if version < 2:
            _create_v2(db)
        if version < 3:
            _create_v3(db)
        if version < 4:
            _create_v4(db)  # indexes with today's segment(): nothing for v5 to redo
        elif version == 4:
            _create_v5(db)
        if version < 6:
            _create_v6(db)
        if version < 7:
            _create_v7(db)
        if version < 8:
            _create_v8(db)
        if version < 9:
            _create_v9(db)
        db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")


def foreign_tables(db: Database) -> list[str] | None:
    """What a database holds, told apart: None for an archive (its tables are ours), ``[]`` for
    an empty database (a new archive), else the tables of another application's database, which
    must not be given ours."""
    tables = [
        name
        for (name,) in db.execute(
            "SELECT name FROM sqlite_master WHERE type IN ('table', 'view') AND name NOT LIKE 'sqlite_%' ORDER BY name"
        ).fetchall()
    ]
    if not tables:
        return []
    if {"articles", "runs"} <= set(tables):
        columns = {row[1] for row in db.execute("PRAGMA table_info(articles)").fetchall()}
        if {"info_code", "content_hash"} <= columns:
            return None
    return tables


def _create_v1(db: Database) -> None:
    db.table("articles").create(ARTICLE_COLUMNS, pk="info_code", if_not_exists=True)
    db.table("revisions").create(
        {**ARTICLE_COLUMNS, "last_seen_at": str, "superseded_at": str, "superseded_by_run": int},
        pk=("info_code", "revision"),
        if_not_exists=True,
    )
    db.table("pages").create(
        {
            "id": int,
            "info_code": str,
            "revision": int,
            "part": int,
            "url": str,
            "status": int,
            "content_type": str,
            "fetched_at": str,
            "sha256": str,
            "body": bytes,
        },
        pk="id",
        if_not_exists=True,
    )
    db.table("runs").create(
        {
            "id": int,
            "spider": str,
            "args": str,
            "pid": int,
            "started_at": str,
            "finished_at": str,
            "status": str,
            **{name: int for name in RUN_COUNTS},
        },
        pk="id",
        defaults={name: 0 for name in RUN_COUNTS},
        if_not_exists=True,
    )
    db.table("failures").create(
        {
            "id": int,
            "run_id": int,
            "at": str,
            "spider": str,
            "stage": str,
            "url": str,
            "info_code": str,
            "status": int,
            "reason": str,
        },
        pk="id",
        if_not_exists=True,
    )
    db.table("articles").create_index(["published_at"], if_not_exists=True)
    db.table("articles").create_index(["source", "published_at"], if_not_exists=True)
    db.table("articles").create_index(["category"], if_not_exists=True)
    db.table("articles").create_index(["run_id"], if_not_exists=True)
    db.table("pages").create_index(["info_code", "url", "sha256"], unique=True, if_not_exists=True)
    db.table("failures").create_index(["run_id"], if_not_exists=True)


def _create_v2(db: Database) -> None:
    """Version 2 had a one-character-per-token index; version 4 replaces it."""


def _create_v3(db: Database) -> None:
    """``seen`` holds last_seen_at; archives made before it move theirs over.  The state
    index answers "is this article stored, and unchanged?" without reading a row, whose
    body sits between its key and its hash."""
    db.table("seen").create(SEEN_COLUMNS, pk="info_code", if_not_exists=True)
    db.table("articles").create_index(
        ["info_code", "content_hash", "revision", "first_seen_at"],
        index_name="articles_state",
        if_not_exists=True,
    )
    if "last_seen_at" in db.table("articles").columns_dict:
        db.execute(
            "INSERT OR IGNORE INTO seen (info_code, last_seen_at, last_seen_run)"
            " SELECT info_code, last_seen_at, run_id FROM articles"
        )
        db.execute("ALTER TABLE articles DROP COLUMN last_seen_at")


def _create_v4(db: Database) -> None:
    """The search index as :mod:`qilucrawl.fulltext` describes it, built from the articles."""
    db.execute("DROP TABLE IF EXISTS articles_fts")
    db.execute("CREATE VIRTUAL TABLE articles_fts USING fts5(title, body, content='', tokenize='unicode61')")
    db.execute(
        "CREATE TABLE IF NOT EXISTS search_keys (key INTEGER PRIMARY KEY, info_code TEXT NOT NULL UNIQUE, source TEXT)"
    )
    rebuild(db.conn)


def _create_v5(db: Database) -> None:
    """Re-index the articles whose text has CJK extension B–G characters, which schema 4
    left out of the index's character pairs (a search for 𠮷 found nothing)."""
    conn = db.conn
    pattern = f"*[{ASTRAL_HAN}]*"
    affected = conn.execute(INDEXED_TEXT_SQL + "a.title GLOB ? OR a.body_text GLOB ?", [pattern, pattern]).fetchall()
    conn.executemany(FTS_DELETE_SQL, [(key, segment_v4(title), segment_v4(body)) for key, title, body in affected])
    conn.executemany(FTS_SQL, [(key, segment(title), segment(body)) for key, title, body in affected])


def _create_v6(db: Database) -> None:
    """``filtered``: articles read but not archived because their medium was not selected."""
    db.table("filtered").create(FILTERED_COLUMNS, pk="info_code", if_not_exists=True)


def _create_v7(db: Database) -> None:
    """``reprocess_progress``: the last articles rowid each re-clean job saved (its resume point)."""
    db.table("reprocess_progress").create({"job": str, "last_rowid": int, "at": str}, pk="job", if_not_exists=True)


# The quality of a crawl's stored articles (qilucrawl.quality): the share with each field, and why
# the run raised a quality alarm (NULL: none).  Runs from before schema 8 have NULLs: not measured.
QUALITY_FIELDS = ("title", "published", "body", "authors", "source")
QUALITY_COLUMNS: dict[str, type] = {
    **{f"share_{name}": float for name in QUALITY_FIELDS},
    "alarm": str,
}


def _create_v8(db: Database) -> None:
    """``runs`` gains the quality columns (QUALITY_COLUMNS)."""
    have = db.table("runs").columns_dict
    for name, kind in QUALITY_COLUMNS.items():
        if name not in have:
            db.table("runs").add_column(name, kind)


def _create_v9(db: Database) -> None:
    """What ``qilucrawl merge`` keeps: each copied run's origin, each shard's watermark (the last
    shard run whose rows are all in, and the fingerprint of the snapshot merged), and the resume
    point of a merge killed mid-shard."""
    db.table("run_origins").create(
        {"run_id": int, "node": str, "shard": str, "shard_run": int}, pk="run_id", if_not_exists=True
    )
    db.table("run_origins").create_index(["shard", "shard_run"], unique=True, if_not_exists=True)
    db.table("merge_watermarks").create(
        {
            "shard": str,
            "node": str,
            "path": str,
            "last_run": int,
            "fingerprint": str,
            "merged_at": str,
            "merge_run": int,
        },
        pk="shard",
        if_not_exists=True,
    )
    db.table("merge_progress").create(
        {"shard": str, "fingerprint": str, "last_rowid": int, "at": str}, pk="shard", if_not_exists=True
    )
