"""A backfill's date range cut into partitions, each one Scrapyd job with a fixed id, and the
politeness settings each job gets so that the cluster as a whole is as gentle as one machine.

A job id names its source and its range (``iqilu-2025-03`` a month, ``iqilu-2025-03-07`` a day,
``iqilu-2025-03-07-3d`` three days from the 7th): the same command run again asks for the same
ids, which is what makes rescheduling idempotent (:mod:`qilucrawl.cluster.schedule`).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

MONTH = "month"
DAY = "day"
_DAYS = re.compile(r"^([1-9][0-9]{0,3})d$")

# The settings that bound how hard one crawl presses on one site, and how each is shared out
# among k crawls of the same site at once: concurrency divided (at least 1), delays multiplied.
POLITENESS = (
    "CONCURRENT_REQUESTS_PER_DOMAIN",
    "DOWNLOAD_DELAY",
    "AUTOTHROTTLE_START_DELAY",
    "AUTOTHROTTLE_TARGET_CONCURRENCY",
)


@dataclass(frozen=True, slots=True)
class Partition:
    """Articles of ``source`` dated in [since, until), crawled by one job into one shard."""

    source: str
    since: date
    until: date
    job_id: str

    @property
    def shard_name(self) -> str:
        """The shard's file name on its worker (one archive per partition)."""
        return f"{self.job_id}.db"


def check_every(every: str) -> str:
    """``month``, ``day`` or ``Nd`` (N days); ValueError otherwise."""
    if every in (MONTH, DAY) or _DAYS.match(every):
        return every
    raise ValueError(f"--every takes month, day or a number of days such as 7d, not {every!r}")


def partitions(source: str, since: date, until: date, every: str = MONTH) -> list[Partition]:
    """[since, until) in consecutive partitions, oldest first.  A month partition is a calendar
    month (the first and last cut at ``since`` and ``until``); ``Nd`` ones count from ``since``."""
    check_every(every)
    if until <= since:
        raise ValueError(f"--until must be after --since ({until} is not after {since})")
    found = []
    start = since
    while start < until:
        if every == MONTH:
            end = min(_next_month(start), until)
            job = f"{source}-{start:%Y-%m}"
        else:
            days = 1 if every == DAY else int(every[:-1])
            end = min(start + timedelta(days=days), until)
            job = f"{source}-{start:%Y-%m-%d}" + ("" if days == 1 else f"-{days}d")
        found.append(Partition(source, start, end, job))
        start = end
    return found


def _next_month(day: date) -> date:
    return date(day.year + day.month // 12, day.month % 12 + 1, 1)


def assign(parts: list[Partition], nodes: list[str], placed: Mapping[str, str] | None = None) -> dict[str, str]:
    """job id -> node: where a job ran before (its shard is there), else the nodes in turn."""
    placed = placed or {}
    return {part.job_id: placed.get(part.job_id) or nodes[index % len(nodes)] for index, part in enumerate(parts)}


def shared_politeness(base: Mapping[str, Any], crawlers: int) -> dict[str, str]:
    """The politeness settings of one of ``crawlers`` crawls of the same site at once.

    ``base`` holds one machine's values (``-s`` overrides over qilucrawl's defaults).  The delay
    between two requests of one crawl is multiplied by k and its concurrency divided by k, so k
    crawls together send no more requests per second than one does (README, "Past one machine":
    the load formula)."""
    k = max(1, crawlers)
    concurrency = int(base["CONCURRENT_REQUESTS_PER_DOMAIN"])
    return {
        "CONCURRENT_REQUESTS_PER_DOMAIN": str(max(1, concurrency // k)),
        "DOWNLOAD_DELAY": _number(float(base["DOWNLOAD_DELAY"]) * k),
        "AUTOTHROTTLE_START_DELAY": _number(float(base["AUTOTHROTTLE_START_DELAY"]) * k),
        "AUTOTHROTTLE_TARGET_CONCURRENCY": _number(float(base["AUTOTHROTTLE_TARGET_CONCURRENCY"]) / k),
    }


def _number(value: float) -> str:
    return f"{value:g}"
