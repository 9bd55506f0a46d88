"""Query speed on the big archive, through the Store's own methods.

On the archive of ``bench.make_archive`` (1,000,000 articles; ``--quick`` 100,000):

- by ``info_code``: ``Store.get`` of 1,000 random articles (decoded row), median and p95;
  target < 1 ms;
- by day range: ``Store.iter_articles(since=, until=)`` materialized, for 20 random single
  days (about 900 articles each at a million) — target < 50 ms — and, without a target, for 5
  random calendar months (about 28,000 articles, whole rows);
- FTS word search: ``Store.search(word)`` (the newest 20 matches with snippets, as ``qilucrawl
  search`` prints them) for Chinese words of 2–4 characters, common and rare; target < 100 ms.

No baseline: these are absolute targets.  Each query runs after one warm-up pass (the archive
in the page cache, as on a server that has been up a while).
"""

from __future__ import annotations

import random
import statistics
import sys
import time
from datetime import date, timedelta

from bench.figures import Figure, bench_main, say
from bench.make_archive import ARTICLES, ensure_archive
from bench.synthetic import DAYS, START
from qilucrawl.store import Store

LOOKUPS = 1_000
DAYS_SAMPLED = 20
MONTHS_SAMPLED = 5
# Common and rare words of the synthetic text (the demo corpus's vocabulary), 2–4 characters.
WORDS = ("山东", "济南", "同比增长", "海上风电", "新能源", "港口", "集装箱", "冬季", "黄河", "阿胶")


def _ms(seconds: list[float]) -> tuple[float, float]:
    ordered = sorted(seconds)
    return statistics.median(ordered) * 1e3, ordered[int(len(ordered) * 0.95) - 1] * 1e3


def by_info_code(store: Store, rng: random.Random, count: int) -> list[float]:
    rowids = [rng.randint(1, count) for _ in range(LOOKUPS)]
    codes = [
        row[0]
        for rowid in rowids
        for row in store.db.execute("SELECT info_code FROM articles WHERE rowid = ?", [rowid])
    ]
    times = []
    for code in codes + codes:  # the first pass warms the cache; the second is kept
        started = time.perf_counter()
        found = store.get(code)
        times.append(time.perf_counter() - started)
        assert found is not None
    return times[len(codes) :]


def by_range(store: Store, ranges: list[tuple[str, str]]) -> tuple[list[float], int]:
    times, rows = [], 0
    for since, until in ranges:
        list(store.iter_articles(since=since, until=until))  # warm
        started = time.perf_counter()
        found = list(store.iter_articles(since=since, until=until))
        times.append(time.perf_counter() - started)
        rows += len(found)
    return times, rows // max(1, len(ranges))


def by_word(store: Store) -> tuple[list[float], int]:
    times, hits = [], 0
    for word in WORDS:
        store.search(word)  # warm
        for _ in range(3):
            started = time.perf_counter()
            found = store.search(word)
            times.append(time.perf_counter() - started)
        hits += len(found)
    return times, hits


def run(size: str = "default") -> list[Figure]:
    count = ARTICLES[size]
    store = Store(ensure_archive(count))
    rng = random.Random(6)
    say(f"query_speed: {count:,}-article archive")
    get_median, get_p95 = _ms(by_info_code(store, rng, count))
    days = [START.date() + timedelta(days=rng.randrange(DAYS)) for _ in range(DAYS_SAMPLED)]
    day_times, day_rows = by_range(store, [(d.isoformat(), (d + timedelta(days=1)).isoformat()) for d in days])
    months = [date(2023 + rng.randrange(3), 1 + rng.randrange(12), 1) for _ in range(MONTHS_SAMPLED)]
    month_ranges = [(m.isoformat(), date(m.year + m.month // 12, m.month % 12 + 1, 1).isoformat()) for m in months]
    month_times, month_rows = by_range(store, month_ranges)
    day_median, day_p95 = _ms(day_times)
    month_median, _ = _ms(month_times)
    figures = [
        Figure(
            f"query by info_code (Store.get, {LOOKUPS:,} random)",
            get_median,
            "ms",
            target="< 1 ms",
            passed=get_median < 1,
            note=f"p95 {get_p95:.2f} ms",
        ),
        Figure(
            f"query by day range: one day (~{day_rows:,} articles, materialized)",
            day_median,
            "ms",
            target="< 50 ms",
            passed=day_median < 50,
            note=f"p95 {day_p95:.1f} ms",
        ),
        Figure(
            f"query by day range: one month (~{month_rows:,} articles, materialized)",
            month_median,
            "ms",
            note="no target; whole rows, JSON lists decoded",
        ),
    ]
    if hasattr(store, "search"):
        word_times, hits = by_word(store)
        word_median, word_p95 = _ms(word_times)
        figures.append(
            Figure(
                f"FTS word search (Store.search, {len(WORDS)} words of 2–4 characters)",
                word_median,
                "ms",
                target="< 100 ms",
                passed=word_median < 100,
                note=f"p95 {word_p95:.0f} ms, {hits // len(WORDS)} results per word",
            )
        )
    else:
        figures.append(
            Figure("FTS word search", None, "ms", target="< 100 ms", note="Store.search does not exist yet: skipped")
        )
    store.close()
    return figures


def main(argv: list[str] | None = None) -> int:
    return bench_main(run, __doc__, argv)


if __name__ == "__main__":
    sys.exit(main())
