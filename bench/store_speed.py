"""Store speed: upserts of new articles, and the re-crawl of unchanged ones.

``Store.save_articles`` is given N synthetic articles (titles of 20–40 characters, bodies of
300–3,000, each with its raw text-endpoint page, as a crawl hands them over) in batches of
``QILU_STORE_BATCH_SIZE``, one transaction per batch, as ``StorePipeline`` does.

Baseline, same run, same input: raw ``sqlite3`` ``executemany`` INSERTs of the same rows —
the article row, its page row and its full-text index row, built from the same Article objects inside the timing (JSON
lists, zlib-compressed page, sha256, the index's text of neighbouring character pairs made by
``qilucrawl.fulltext.segment``) — into the same schema (created by ``Store``), with the
same PRAGMAs (WAL, ``synchronous=NORMAL``) and the same batches and transactions.  It is what
any writer of those rows must at least do; it skips the product's dedup look-up, revision
logic and run counters.  Target: the store ≥ 50% of the raw rate.

Then the same articles are saved again, unchanged (a re-crawl with ``--refetch``): target ≥
50,000 articles/s; shown beside a raw ``executemany`` of the one UPDATE it must make
(``last_seen_at``, an upsert into the narrow ``seen`` table).  Each measurement is repeated on fresh files; medians are reported.
"""

from __future__ import annotations

import json
import sqlite3
import statistics
import sys
import tempfile
import time
import zlib
from collections.abc import Sequence
from hashlib import sha256
from pathlib import Path

from bench import synthetic
from bench.figures import Figure, bench_main, say
from qilucrawl import settings
from qilucrawl.clean.dates import now_iso
from qilucrawl.fulltext import search_key, segment
from qilucrawl.items import Article
from qilucrawl.schema import ARTICLE_COLUMNS
from qilucrawl.store import Store

ARTICLES = {"quick": 3_000, "default": 10_000, "full": 30_000}
REPEATS = {"quick": 3, "default": 3, "full": 5}
BATCH = settings.QILU_STORE_BATCH_SIZE
TARGET_SHARE = 0.5
TARGET_UNCHANGED = 50_000
_JSON = ("tags", "authors", "images", "quality_flags")
_ARTICLE_SQL = f"INSERT INTO articles ({', '.join(ARTICLE_COLUMNS)}) VALUES ({', '.join('?' * len(ARTICLE_COLUMNS))})"
# last_seen_at is in the narrow `seen` table: what a re-crawl of an unchanged article writes.
_SEEN_SQL = (
    "INSERT INTO seen (info_code, last_seen_at, last_seen_run) VALUES (?, ?, ?)"
    " ON CONFLICT (info_code) DO UPDATE SET last_seen_at = excluded.last_seen_at,"
    " last_seen_run = excluded.last_seen_run"
)
_PAGE_SQL = (
    "INSERT INTO pages (info_code, revision, part, url, status, content_type, fetched_at, sha256, body)"
    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"
)


def batches(items: Sequence[Article]) -> list[Sequence[Article]]:
    return [items[i : i + BATCH] for i in range(0, len(items), BATCH)]


def product_rates(path: Path, count: int) -> tuple[float, float]:
    """(new articles/s, unchanged articles/s) through ``Store.save_articles``."""
    articles = [synthetic.article(f) for f in synthetic.fakes(count)]
    store = Store(path)
    run_id = store.start_run("bench", {}, 0)
    started = time.perf_counter()
    for batch in batches(articles):
        counts = store.save_articles(batch, run_id)
        assert counts.new == len(batch), counts
    new = count / (time.perf_counter() - started)
    started = time.perf_counter()
    for batch in batches(articles):
        counts = store.save_articles(batch, run_id)
        assert counts.unchanged == len(batch), counts
    unchanged = count / (time.perf_counter() - started)
    store.close()
    return new, unchanged


def raw_rates(path: Path, count: int) -> tuple[float, float]:
    """(insert rows/s, update rows/s) through plain sqlite3 on the same schema and input."""
    articles = [synthetic.article(f) for f in synthetic.fakes(count)]
    Store(path).close()  # the schema, nothing else
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA synchronous = NORMAL")
    started = time.perf_counter()
    for batch in batches(articles):
        now = now_iso()
        rows, pages, index = [], [], []
        for article in batch:
            record = {name: getattr(article, name, None) for name in ARTICLE_COLUMNS}
            for name in _JSON:
                record[name] = json.dumps(
                    record[name]
                    if name != "images"
                    else [{"url": i.url, "caption": i.caption} for i in article.images],
                    ensure_ascii=False,
                )
            record.update(revision=1, first_seen_at=now, run_id=1)
            rows.append(tuple(record[name] for name in ARTICLE_COLUMNS))
            page = article.page
            assert page is not None
            pages.append(
                (
                    article.info_code,
                    1,
                    1,
                    page.url,
                    page.status,
                    page.content_type,
                    page.fetched_at,
                    sha256(page.body).hexdigest(),
                    zlib.compress(page.body, 6),
                )
            )
            key = search_key(article.published_at, article.info_code)
            index.append(
                (
                    (key, article.info_code, article.source),
                    (key, segment(article.title or ""), segment(article.body_text)),
                )
            )
        with conn:
            conn.executemany(_ARTICLE_SQL, rows)
            conn.executemany(_SEEN_SQL, [(a.info_code, now, 1) for a in batch])
            conn.executemany(_PAGE_SQL, pages)
            conn.executemany(
                "INSERT INTO search_keys (key, info_code, source) VALUES (?, ?, ?)", [keys for keys, _ in index]
            )
            conn.executemany(
                "INSERT INTO articles_fts (rowid, title, body) VALUES (?, ?, ?)", [texts for _, texts in index]
            )
    insert = count / (time.perf_counter() - started)
    started = time.perf_counter()
    for batch in batches(articles):
        now = now_iso()
        with conn:
            conn.executemany(_SEEN_SQL, [(a.info_code, now, 1) for a in batch])
    update = count / (time.perf_counter() - started)
    conn.close()
    return insert, update


def run(size: str = "default") -> list[Figure]:
    count, repeats = ARTICLES[size], REPEATS[size]
    say(f"store_speed: {count:,} articles in batches of {BATCH}, {repeats} repeats")
    product, raw = [], []
    with tempfile.TemporaryDirectory(prefix="qilubench-store-") as tmp:
        for attempt in range(repeats):  # alternate, so load on the machine hits both alike
            raw.append(raw_rates(Path(tmp) / f"raw{attempt}.db", count))
            product.append(product_rates(Path(tmp) / f"store{attempt}.db", count))
            say(
                f"  #{attempt + 1}: store {product[-1][0]:,.0f} new/s, {product[-1][1]:,.0f} unchanged/s;"
                f" raw {raw[-1][0]:,.0f} inserts/s, {raw[-1][1]:,.0f} updates/s"
            )
    new, unchanged = (statistics.median(p[i] for p in product) for i in (0, 1))
    insert, update = (statistics.median(r[i] for r in raw) for i in (0, 1))
    return [
        Figure(
            f"store: new articles ({count:,}, batches of {BATCH})",
            new,
            "articles/s",
            baseline="raw sqlite3 executemany, same rows",
            baseline_value=insert,
            ratio=new / insert,
            ratio_text="× raw",
            target="≥ 0.5× raw",
            passed=new / insert >= TARGET_SHARE,
        ),
        Figure(
            f"store: unchanged re-crawl ({count:,})",
            unchanged,
            "articles/s",
            baseline="raw executemany upsert of last_seen_at into seen",
            baseline_value=update,
            ratio=unchanged / update,
            ratio_text="× raw",
            target=f"≥ {TARGET_UNCHANGED:,} articles/s",
            passed=unchanged >= TARGET_UNCHANGED,
        ),
    ]


def main(argv: list[str] | None = None) -> int:
    return bench_main(run, __doc__, argv)


if __name__ == "__main__":
    sys.exit(main())
