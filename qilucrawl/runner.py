"""Run spiders in-process for the CLI: the run lock, ``-s`` overrides and the exit status.

Exit statuses (README, "Exit statuses"):

====  ==============================================================
0     finished, nothing failed
1     finished, some pages failed (recorded in the failures table)
2     usage error (bad arguments)
3     another run holds this archive's lock; nothing was done
4     could not run, or was interrupted (Ctrl-C, SIGTERM, crash)
====  ==============================================================
"""

from __future__ import annotations

import contextlib
import logging
import os
import time
from dataclasses import dataclass, field
from enum import IntEnum
from pathlib import Path
from typing import Any

from scrapy.crawler import CrawlerProcess
from scrapy.settings import SETTINGS_PRIORITIES, Settings
from twisted.internet import defer
from twisted.internet.error import ReactorNotRunning

from qilucrawl.lock import RunLock
from qilucrawl.store import Store, StoreError

logger = logging.getLogger(__name__)


class ExitStatus(IntEnum):
    OK = 0
    FAILURES = 1
    USAGE = 2
    LOCKED = 3
    ERROR = 4


@dataclass(slots=True)
class Job:
    """One spider to run, with its arguments (recorded in the run row)."""

    spider: str
    kwargs: dict[str, Any] = field(default_factory=dict)


@dataclass(slots=True)
class RunResult:
    status: ExitStatus
    runs: list[dict[str, Any]]
    seconds: float


def project_settings(db_path: str | Path, overrides: dict[str, str] | None = None) -> Settings:
    """qilucrawl.settings, then the archive path, then ``-s`` overrides (highest priority)."""
    settings = Settings()
    settings.setmodule("qilucrawl.settings", priority="project")
    settings.set("QILU_DB_PATH", str(db_path), priority="cmdline")
    for name, value in (overrides or {}).items():
        settings.set(name, value, priority="cmdline")
    return settings


def parse_overrides(pairs: tuple[str, ...] | list[str]) -> dict[str, str]:
    """``NAME=VALUE`` strings, as ``scrapy -s`` takes them."""
    overrides = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or not name.strip():
            raise ValueError(f"-s expects NAME=VALUE, got {pair!r}")
        overrides[name.strip()] = value
    return overrides


def run_jobs(jobs: list[Job], settings: Settings) -> RunResult:
    """Run the jobs one after another under the archive's lock; say how it went."""
    started = time.monotonic()
    db_path = settings.get("QILU_DB_PATH")
    lock = RunLock(db_path)
    try:
        lock.acquire()  # raises LockedError: the caller turns it into ExitStatus.LOCKED
    except OSError as error:  # no such folder, read-only file system …
        raise StoreError(f"{db_path}: cannot create the lock file: {error.strerror or error}") from error
    try:
        Store(db_path).close()  # an unusable archive is a StoreError here, not a crash mid-crawl
        settings.set("QILU_LOCK_HELD", True, priority="cmdline")
        crawlers = _crawl(jobs, settings)
    finally:
        lock.release()
    run_ids = [c.stats.get_value("qilu/run_id") for c in crawlers]
    store = Store(db_path)
    try:
        runs = [store.run(run_id) for run_id in run_ids if run_id is not None]
    finally:
        store.close()
    return RunResult(_status(runs, len(jobs)), runs, time.monotonic() - started)


def _crawl(jobs: list[Job], settings: Settings) -> list:
    """Run the jobs in sequence in one reactor (Scrapy's reactor cannot be restarted)."""
    process = CrawlerProcess(settings)
    crawlers: list = []

    @defer.inlineCallbacks
    def one_after_another():
        job = None
        try:
            for job in jobs:
                crawler = process.create_crawler(job.spider)
                crawlers.append(crawler)
                yield process.crawl(crawler, run_args=_run_args(job, settings), **job.kwargs)
        except Exception as error:  # noqa: BLE001 (a bad -s value, a component that cannot start: no run row)
            logger.error("Could not run %s: %s: %s", job.spider if job else "?", type(error).__name__, error)
        finally:
            from twisted.internet import reactor  # installed by the first crawler

            if reactor.running:
                with contextlib.suppress(ReactorNotRunning):  # Ctrl-C: Scrapy is stopping it already
                    reactor.stop()
            else:  # failed before the reactor started: stop it as soon as it does
                reactor.callWhenRunning(reactor.stop)

    one_after_another()
    process.start(stop_after_crawl=False)
    return crawlers


def _run_args(job: Job, settings: Settings) -> dict[str, Any]:
    """What the runs table records of a run: the spider's arguments and the settings given."""
    given = {
        name: settings[name]
        for name in settings
        if settings.getpriority(name) == SETTINGS_PRIORITIES["cmdline"]
        and name not in ("QILU_LOCK_HELD", "QILU_DB_PATH")
    }
    arguments = {k: v for k, v in job.kwargs.items() if v is not None}
    return {"spider": job.spider, **arguments, "settings": given, "pid": os.getpid()}


def _status(runs: list[dict[str, Any]], expected: int) -> ExitStatus:
    if len(runs) < expected or any(run["status"] in ("interrupted", "running") for run in runs):
        return ExitStatus.ERROR
    if any(run["failed"] for run in runs):
        return ExitStatus.FAILURES
    return ExitStatus.OK
