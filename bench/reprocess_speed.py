"""Re-clean speed: ``qilucrawl reprocess`` over an archive of N stored articles, 1 and 2 workers.

The archive: N synthetic feed articles (bench.synthetic) saved through the store with their raw
text-endpoint pages, then re-cleaned once so that what is stored is what today's parsers make,
and finally labelled as read by an older parser revision (``feed_text/V1``) — the archive a
parser release leaves behind.  Cached in ``bench/out/`` and copied afresh for each measurement.

Measured, in the same run, each on a fresh copy:

- baseline: the extraction alone, in this process — every article's pages read from the archive
  and extracted (the work of one worker, nothing written);
- ``qilucrawl reprocess --workers 1`` and ``--workers 2`` as commands (start-up included),
  with the peak memory of the whole process tree (the writer and its workers, summed).

Targets (the issue's): 2 workers ≥ 1.7× the rate of 1; the writer's overhead ≤ 15% over the
pure extraction (1 worker against the baseline); peak memory ≤ 300 MB.
"""

from __future__ import annotations

import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psutil

from bench import synthetic
from bench.figures import OUT, Figure, bench_main, say
from qilucrawl.reprocess import RANGE, Selection, _extract_range, _ranges
from qilucrawl.store import Store

ARTICLES = {"quick": 5_000, "default": 100_000, "full": 100_000}
TARGET_SPEEDUP = 1.7
TARGET_OVERHEAD = 0.15
TARGET_MEMORY = 300 * 1024 * 1024


def archive(count: int) -> Path:
    """The cached archive of ``count`` articles, stored as today's parsers make them."""
    path = OUT / f"reprocess-{count}.db"
    if path.exists():
        return path
    OUT.mkdir(parents=True, exist_ok=True)
    building = path.with_suffix(".building.db")
    building.unlink(missing_ok=True)
    say(f"  reprocess_speed: building an archive of {count:,} articles with raw pages …")
    store = Store(building)
    batch = []
    for fake in synthetic.fakes(count, seed=21):
        batch.append(synthetic.article(fake))
        if len(batch) == 500:
            store.save_articles(batch)
            batch = []
    store.save_articles(batch)
    store.close()
    subprocess.run(
        [sys.executable, "-m", "qilucrawl", "reprocess", "--db", str(building), "--workers", "2"], check=True
    )
    conn = sqlite3.connect(building)
    with conn:
        conn.execute("UPDATE articles SET parser = 'feed_text/V1'")
        conn.execute("DELETE FROM revisions")
        conn.execute("DELETE FROM runs WHERE spider = 'reprocess'")
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.execute("VACUUM")
    conn.close()
    building.rename(path)
    return path


def fresh_copy(source: Path, folder: Path) -> Path:
    target = folder / "archive.db"
    for suffix in ("", "-wal", "-shm", ".lock"):
        Path(f"{target}{suffix}").unlink(missing_ok=True)
    shutil.copy(source, target)
    return target


def extraction_only(db: Path) -> float:
    """Seconds to read and extract every article once, in this process, nothing written."""
    started = time.perf_counter()
    done = 0
    for rows in _ranges(db, Selection(), 0, lambda parser: True):
        done += len(_extract_range(str(db), rows))
    return time.perf_counter() - started


def command(db: Path, workers: int) -> tuple[float, int]:
    """(seconds, peak bytes of the process tree) of ``qilucrawl reprocess --workers N``."""
    started = time.perf_counter()
    process = psutil.Popen(
        [sys.executable, "-m", "qilucrawl", "reprocess", "--db", str(db), "--workers", str(workers)],
        stdout=subprocess.DEVNULL,
    )
    peak = 0
    while process.poll() is None:
        try:
            tree = [process, *process.children(recursive=True)]
            peak = max(peak, sum(p.memory_info().rss for p in tree if p.is_running()))
        except psutil.Error:
            pass
        time.sleep(0.05)
    seconds = time.perf_counter() - started
    if process.returncode != 0:
        raise RuntimeError(f"reprocess exited {process.returncode}")
    return seconds, peak


def run(size: str = "default") -> list[Figure]:
    count = ARTICLES[size]
    source = archive(count)
    say(f"reprocess_speed: {count:,} articles, ranges of {RANGE}")
    with tempfile.TemporaryDirectory(prefix="qilubench-reprocess-") as tmp:
        folder = Path(tmp)
        baseline = extraction_only(fresh_copy(source, folder))
        say(f"  extraction only: {baseline:.1f} s ({count / baseline:,.0f} articles/s)")
        one, one_peak = command(fresh_copy(source, folder), 1)
        say(f"  --workers 1: {one:.1f} s, peak {one_peak / 2**20:.0f} MB")
        two, two_peak = command(fresh_copy(source, folder), 2)
        say(f"  --workers 2: {two:.1f} s, peak {two_peak / 2**20:.0f} MB")
    overhead = one / baseline - 1
    peak = max(one_peak, two_peak)
    return [
        Figure(
            f"reprocess {count:,} articles, 2 workers against 1 (rate)",
            count / two,
            "articles/s",
            baseline="--workers 1, same archive",
            baseline_value=count / one,
            ratio=one / two,
            ratio_text="× 1 worker",
            target=f"≥ {TARGET_SPEEDUP}× 1 worker",
            passed=one / two >= TARGET_SPEEDUP,
        ),
        Figure(
            f"reprocess {count:,} articles, 1 worker against extraction alone (writer overhead)",
            count / one,
            "articles/s",
            baseline="read + extract in-process, nothing written",
            baseline_value=count / baseline,
            ratio=one / baseline,
            ratio_text="× extraction time",
            target=f"≤ {1 + TARGET_OVERHEAD:.2f}× (overhead ≤ {TARGET_OVERHEAD:.0%})",
            passed=overhead <= TARGET_OVERHEAD,
        ),
        Figure(
            f"reprocess {count:,} articles: peak memory of the process tree",
            peak / 2**20,
            "MB",
            target="≤ 300 MB",
            passed=peak <= TARGET_MEMORY,
        ),
    ]


def main(argv: list[str] | None = None) -> int:
    return bench_main(run, __doc__, argv)


if __name__ == "__main__":
    sys.exit(main())
