"""Generate the big benchmark archive: N synthetic articles in the project's schema.

Not a benchmark of the store: ``qilucrawl.store.Store`` creates the schema (tables, indexes,
full-text index), then the rows are bulk-inserted with ``executemany``, one transaction per
chunk.  The text is realistic Chinese (sentences of the demo corpus; titles 20–40 characters,
bodies 300–3,000), dates spread over three years (2023–2025), eight media.  Rows go in in random date order: the
worst case for reading the archive in date order (an archive filled by cron runs is mostly in
date order already; one filled by several backfills is not).  The full-text
index is filled with exactly the text the store would index.

The archive is cached as ``bench/out/archive-<N>.db`` (git-ignored) and reused when its
``.json`` sidecar says it was completed; ``--force`` rebuilds it.  The test suite never
creates it.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import sqlite3
import sys
import time
from pathlib import Path

from bench import synthetic
from bench.figures import OUT, say
from qilucrawl.fulltext import rebuild
from qilucrawl.schema import ARTICLE_COLUMNS
from qilucrawl.store import Store

ARTICLES = {"quick": 100_000, "default": 1_000_000, "full": 1_000_000}
CHUNK = 5_000
_CODE, _PUBLISHED = list(ARTICLE_COLUMNS).index("info_code"), list(ARTICLE_COLUMNS).index("published_at")
_INSERT = f"INSERT INTO articles ({', '.join(ARTICLE_COLUMNS)}) VALUES ({', '.join('?' * len(ARTICLE_COLUMNS))})"


def _make_chunk(job: tuple[int, int, int]) -> list[tuple]:
    """Rows of articles ``start`` … ``start + size - 1``."""
    start, size, run_id = job
    return [synthetic.archive_row(f, run_id) for f in synthetic.fakes(size, start=start)]


def archive_path(count: int) -> Path:
    return OUT / f"archive-{count}.db"


def ensure_archive(count: int, force: bool = False) -> Path:
    """The archive of ``count`` articles, built if it is not cached yet."""
    path = archive_path(count)
    done = path.with_suffix(".json")
    if not force and path.exists() and done.exists():
        # An archive made by an older schema is migrated here, once, outside any timing.
        Store(path).close()
        return path
    for stale in (path, done, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
        stale.unlink(missing_ok=True)
    OUT.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    store = Store(path)
    run_id = store.start_run("bench-archive", {"articles": count}, 0)
    store.close()
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA synchronous = OFF")
    conn.execute("PRAGMA cache_size = -200000")
    has_seen = conn.execute("SELECT 1 FROM sqlite_master WHERE name = 'seen'").fetchone() is not None
    chunks = [(start, min(CHUNK, count - start), run_id) for start in range(0, count, CHUNK)]
    done_count = 0
    # One process makes the rows while this one writes them (the machine has two cores).
    with multiprocessing.get_context("fork").Pool(1) as pool:
        for rows in pool.imap(_make_chunk, chunks):
            with conn:
                conn.executemany(_INSERT, rows)
                if has_seen:  # schema v3: when each article was last listed, in its own table
                    conn.executemany(
                        "INSERT INTO seen (info_code, last_seen_at, last_seen_run) VALUES (?, ?, ?)",
                        [(row[_CODE], row[_PUBLISHED], run_id) for row in rows],
                    )
            done_count += len(rows)
            if done_count % 50_000 < CHUNK or done_count == count:
                rate = done_count / (time.monotonic() - started)
                say(f"  make_archive: {done_count:,}/{count:,} articles ({rate:,.0f}/s)")
    conn.execute("UPDATE runs SET finished_at = datetime('now'), status = 'ok', new = ? WHERE id = ?", [count, run_id])
    conn.commit()
    conn.close()
    say("  make_archive: building the search index (fulltext.rebuild) …")
    store = Store(path)
    with store.db.atomic():
        rebuild(store.db.conn)
    store.close()
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    # Statistics from a sample of each index: a full ANALYZE reads the whole 17 GB file in
    # random order, which took over ten minutes here without improving any plan we use.
    conn.execute("PRAGMA analysis_limit = 1000")
    conn.execute("ANALYZE")
    conn.close()
    seconds = time.monotonic() - started
    done.write_text(
        json.dumps({"articles": count, "seconds": round(seconds, 1), "fts": True, "bytes": path.stat().st_size}),
        "utf-8",
    )
    say(f"  make_archive: {path} ({path.stat().st_size / 1e9:.2f} GB) in {seconds:.0f}s")
    return path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--articles", type=int, help="how many (default 1,000,000; --quick 100,000)")
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--force", action="store_true", help="rebuild even if cached")
    args = parser.parse_args(argv)
    count = args.articles or ARTICLES["quick" if args.quick else "default"]
    print(ensure_archive(count, args.force))
    return 0


if __name__ == "__main__":
    sys.exit(main())
