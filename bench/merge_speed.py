"""Merge speed: ``qilucrawl merge`` of 4 shards of N articles each, and the cluster demo's
partitions per minute with 1 Scrapyd node against 3.

The shards: N synthetic feed articles each (bench.synthetic, distinct infoCodes), saved through
the store with their raw pages in a recorded run, as a worker's backfill leaves them.  Cached in
``bench/out/`` and read in place (a merge only reads a shard, through a snapshot).

Measured, in the same run:

- baseline: a plain ``INSERT … SELECT`` of the same rows (articles, revisions, pages, seen) from
  each attached shard into an empty archive — the copy alone, no decision, no search index;
- ``merge`` into an empty archive (every article new: decided, saved, indexed for search, pages
  copied, runs copied with their origin);
- the same copy followed by the search index built (``fulltext.rebuild``): the part of a
  merge's work the plain copy leaves out, measured to say where the time goes;
- ``merge`` into an archive holding them all already (its watermarks removed, so that every
  version of every shard is read and found there: the cost of a merge that finds nothing new).

Target (the issue's): each merge ≤ 2× the baseline.  Then the cluster demo's backfill of the demo
site's iqilu pages in day partitions (12 jobs) on 1 node and on 3 (loopback Scrapyd processes):
partitions per minute, from scheduling to the last job finished.
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


def insert_select(paths: list[Path], target: Path) -> float:
    """Seconds to copy the shards' rows with plain INSERT … SELECT (the baseline)."""
    Store(target).close()  # the empty archive, tables made (not timed)
    conn = sqlite3.connect(target)
    started = time.perf_counter()
    for path in paths:
        conn.execute("ATTACH DATABASE ? AS shard", [str(path)])
        with conn:
            for table in _COPIED:
                columns = [row[1] for row in conn.execute(f"PRAGMA main.table_info({table})") if row[1] != "id"]
                names = ", ".join(columns)
                conn.execute(f"INSERT OR IGNORE INTO main.{table} ({names}) SELECT {names} FROM shard.{table}")
        conn.execute("DETACH DATABASE shard")
    seconds = time.perf_counter() - started
    conn.close()
    return seconds


def index_all(target: Path) -> float:
    """Seconds to build the search index of everything copied (what the baseline left out)."""
    from qilucrawl.fulltext import rebuild

    conn = sqlite3.connect(target)
    started = time.perf_counter()
    with conn:
        rebuild(conn)
    seconds = time.perf_counter() - started
    conn.close()
    return seconds


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
        baseline = insert_select(paths, folder / "baseline.db")
        say(f"  INSERT … SELECT: {baseline:.1f} s")
        indexing = index_all(folder / "baseline.db")
        say(f"  … and the search index of it all: {indexing:.1f} s")
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
    figures = [
        Figure(
            f"merge {SHARDS}×{count:,} articles into {what}",
            total / seconds,
            "articles/s",
            baseline="INSERT … SELECT of the same rows, same run",
            baseline_value=total / baseline,
            ratio=seconds / baseline,
            ratio_text="× INSERT … SELECT time",
            target=f"≤ {TARGET:g}×",
            passed=seconds / baseline <= TARGET,
        )
        for what, seconds in (("an empty archive", into_empty), ("an archive holding them all", into_full))
    ]
    figures.append(
        Figure(
            f"merge {SHARDS}×{count:,} articles into an empty archive, against copy + search index",
            total / into_empty,
            "articles/s",
            baseline="INSERT … SELECT, then the search index built (fulltext.rebuild), same run",
            baseline_value=total / (baseline + indexing),
            ratio=into_empty / (baseline + indexing),
            ratio_text="× copy + index time",
            note="the search index (segmenting, FTS5) is most of a merge of new articles",
        )
    )
    figures.append(
        Figure(
            f"cluster demo: {parts} day partitions of the demo site, 3 Scrapyd nodes against 1",
            parts / three * 60,
            "partitions/min",
            baseline="1 node, same run",
            baseline_value=parts / one * 60,
            ratio=one / three,
            ratio_text="× 1 node",
            note="loopback nodes sharing this machine's cores; a job is mostly a Python process starting",
        )
    )
    return figures


def main(argv: list[str] | None = None) -> int:
    return bench_main(run, __doc__, argv)


if __name__ == "__main__":
    sys.exit(main())
