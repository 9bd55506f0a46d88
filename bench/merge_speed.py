"""Merge speed: ``qilucrawl merge`` of 4 shards of N articles each, and the cluster demo's
partitions per minute with 1 Scrapyd node against 3.

The shards: N synthetic feed articles each (bench.synthetic, distinct infoCodes), saved through
the store with their raw pages in a recorded run, as a worker's backfill leaves them.  Cached in
``bench/out/`` and read in place (a merge only reads a shard, through a snapshot).

Measured, in the same run:

- baseline: a plain ``INSERT … SELECT`` of the same rows from each attached shard into an empty
  archive: the tables (articles, revisions, pages, seen) and the search index's rows (its keys,
  and its FTS5 rows, whose text the one SQL function ``segment`` cuts into the index's tokens:
  the only way a row gets into a contentless FTS5 index is through its tokenizer);
- the tables' copy alone, and the search index's rows alone, to say where the time goes;
- ``merge`` into an empty archive (every article new: decided, saved, indexed for search, pages
  copied, runs copied with their origin);
- ``merge`` into an archive holding them all already (its watermarks removed, so that every
  version of every shard is read and found there: the cost of a merge that finds nothing new),
  against the tables' copy (it indexes nothing).

Target (the issue's): each merge ≤ 2× the INSERT … SELECT of the same rows.  Then the cluster
demo's backfill of the demo site's iqilu pages in day partitions (12 jobs) on 1 node and on 3
(loopback Scrapyd processes): partitions per minute, from scheduling to the last job finished.
"""

from __future__ import annotations

import shutil
import sqlite3
import sys
import tempfile
import time
from pathlib import Path

from bench import synthetic
from bench.figures import OUT, Figure, bench_main, say
from qilucrawl import api
from qilucrawl.fulltext import segment
from qilucrawl.jobs import recorded_run
from qilucrawl.store import Store

ARTICLES = {"quick": 2_500, "default": 25_000, "full": 25_000}
SHARDS = 4
TARGET = 2.0
_COPIED = ("articles", "revisions", "pages", "seen")


def shards(count: int) -> list[Path]:
    """The cached shards of ``count`` articles each."""
    folder = OUT / f"merge-shards-{count}"
    paths = [folder / f"iqilu-part{index}.db" for index in range(SHARDS)]
    if all(path.exists() for path in paths):
        return paths
    folder.mkdir(parents=True, exist_ok=True)
    for index, path in enumerate(paths):
        say(f"  merge_speed: building shard {index + 1}/{SHARDS} of {count:,} articles …")
        building = path.with_suffix(".building.db")
        building.unlink(missing_ok=True)
        store = Store(building)
        with recorded_run(
            store, "iqilu", {"settings": {"QILU_CLUSTER_NODE": f"http://10.0.0.{index + 2}:6800"}}
        ) as run:
            batch = []
            for fake in synthetic.fakes(count, seed=15, start=index * count):
                batch.append(synthetic.article(fake))
                if len(batch) == 500:
                    store.save_articles(batch, run)
                    batch = []
            store.save_articles(batch, run)
        store.close()
        conn = sqlite3.connect(building)
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        conn.close()
        building.rename(path)
    return paths


def insert_select(paths: list[Path], target: Path, *, index: bool = True, tables: bool = True) -> float:
    """Seconds to copy the shards' rows with plain INSERT … SELECT: the tables, the search
    index's rows, or both (the baseline)."""
    Store(target).close()  # the empty archive, tables made (not timed)
    conn = sqlite3.connect(target)
    conn.create_function("segment", 1, segment, deterministic=True)
    started = time.perf_counter()
    for path in paths:
        conn.execute("ATTACH DATABASE ? AS shard", [str(path)])
        with conn:
            for table in _COPIED if tables else ():
                columns = [row[1] for row in conn.execute(f"PRAGMA main.table_info({table})") if row[1] != "id"]
                names = ", ".join(columns)
                conn.execute(f"INSERT OR IGNORE INTO main.{table} ({names}) SELECT {names} FROM shard.{table}")
            if index:
                conn.execute(_KEYS_SQL)
                conn.execute(_FTS_SQL)
        conn.execute("DETACH DATABASE shard")
    seconds = time.perf_counter() - started
    conn.close()
    return seconds


# The shard's keys (one the archive has from another shard is left out, with its text), then
# the text of each under its key, in key order as the archive's own indexing writes it.
_KEYS_SQL = (
    "INSERT OR IGNORE INTO main.search_keys (key, info_code, source) SELECT key, info_code, source"
    " FROM shard.search_keys"
)
_FTS_SQL = (
    "INSERT INTO main.articles_fts (rowid, title, body) SELECT k.key, segment(a.title), segment(a.body_text)"
    " FROM shard.search_keys k JOIN main.search_keys m ON m.key = k.key AND m.info_code = k.info_code"
    " JOIN shard.articles a ON a.info_code = k.info_code ORDER BY k.key"
)


def merged(paths: list[Path], target: Path) -> float:
    started = time.perf_counter()
    result = api.merge(paths, target)
    seconds = time.perf_counter() - started
    if result.run["status"] != "ok":
        raise RuntimeError(f"merge ended {result.run['status']}")
    return seconds


def forget_watermarks(target: Path) -> None:
    conn = sqlite3.connect(target)
    with conn:
        conn.execute("DELETE FROM merge_watermarks")
    conn.close()


def cluster_rate(nodes: int, folder: Path) -> tuple[float, int]:
    """(seconds, partitions) of the cluster demo's backfill in day partitions on ``nodes`` nodes."""
    from qilucrawl.cli.cluster_demo import run_cluster
    from qilucrawl.demo.server import DemoServer

    with DemoServer() as server:
        result = run_cluster(folder, nodes, server.url, say=lambda text: None, every="day")
    return result["seconds"], result["partitions"]


def run(size: str = "default") -> list[Figure]:
    count = ARTICLES[size]
    paths = shards(count)
    total = count * SHARDS
    say(f"merge_speed: {SHARDS} shards of {count:,} articles")
    with tempfile.TemporaryDirectory(prefix="qilubench-merge-") as tmp:
        folder = Path(tmp)
        copy = insert_select(paths, folder / "tables.db", index=False)
        say(f"  INSERT … SELECT of the tables: {copy:.1f} s")
        indexing = insert_select(paths, folder / "index.db", tables=False)
        say(f"  INSERT … SELECT of the search index's rows: {indexing:.1f} s")
        baseline = insert_select(paths, folder / "baseline.db")
        say(f"  INSERT … SELECT of both (the baseline): {baseline:.1f} s")
        into_empty = merged(paths, folder / "merged.db")
        say(f"  merge into an empty archive: {into_empty:.1f} s")
        full = folder / "full.db"
        shutil.copy(folder / "merged.db", full)
        forget_watermarks(full)
        into_full = merged(paths, full)
        say(f"  merge into an archive holding them all: {into_full:.1f} s")
        one, parts = cluster_rate(1, folder / "one")
        three, _ = cluster_rate(3, folder / "three")
        say(f"  cluster demo, {parts} day partitions: 1 node {one:.1f} s, 3 nodes {three:.1f} s")
    label = f"merge {SHARDS}×{count:,} articles into"
    return [
        _against(f"{label} an empty archive", total, into_empty, baseline, "the same rows, search index included"),
        _against(f"{label} an archive holding them all", total, into_full, copy, "the tables (it indexes nothing)"),
        _against(
            f"{label} an empty archive, against the tables alone",
            total,
            into_empty,
            copy,
            "the tables only (no search index)",
            target=None,
            note=f"no target: the search index's rows alone take {indexing / copy:.1f}× this copy",
        ),
        Figure(
            f"cluster demo: {parts} day partitions of the demo site, 3 Scrapyd nodes against 1",
            parts / three * 60,
            "partitions/min",
            baseline="1 node, same run",
            baseline_value=parts / one * 60,
            ratio=one / three,
            ratio_text="× 1 node",
            note="loopback nodes sharing this machine's cores; a job is mostly a Python process starting",
        ),
    ]


def _against(
    what: str, total: int, seconds: float, baseline: float, rows: str, target: float | None = TARGET, note: str = ""
) -> Figure:
    """A merge's figure beside an INSERT … SELECT of ``rows`` from the same run."""
    return Figure(
        what,
        total / seconds,
        "articles/s",
        baseline=f"INSERT … SELECT of {rows}, same run",
        baseline_value=total / baseline,
        ratio=seconds / baseline,
        ratio_text="× INSERT … SELECT time",
        target=f"≤ {target:g}×" if target else "—",
        passed=seconds / baseline <= target if target else None,
        note=note,
    )


def main(argv: list[str] | None = None) -> int:
    return bench_main(run, __doc__, argv)


if __name__ == "__main__":
    sys.exit(main())
