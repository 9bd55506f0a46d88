"""Run spiders in-process: Scrapy's settings with ``-s`` overrides, the jobs in one reactor,
under the archive's lock, and the exit status (:mod:`qilucrawl.jobs`)."""

from __future__ import annotations

import contextlib
import logging
import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from scrapy.crawler import CrawlerProcess
from scrapy.settings import SETTINGS_PRIORITIES, Settings
from twisted.internet import defer
from twisted.internet.error import ReactorNotRunning

from qilucrawl.jobs import RunResult, exit_status, locked_archive
from qilucrawl.store import Store

logger = logging.getLogger(__name__)


@dataclass(slots=True)
class Job:
    """One spider to run, with its arguments (recorded in the run row)."""

    spider: str
    kwargs: dict[str, Any] = field(default_factory=dict)


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
    with locked_archive(db_path):  # LockedError / StoreError: the caller says so, exit 3 / 4
        crawlers = _crawl(jobs, settings)
    run_ids = [c.stats.get_value("qilu/run_id") for c in crawlers]
    store = Store(db_path)
    try:
        runs = [store.run(run_id) for run_id in run_ids if run_id is not None]
    finally:
        store.close()
    return RunResult(exit_status(runs, len(jobs)), runs, time.monotonic() - started)


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
            from twisted.internet import reactor as installed  # installed by the first crawler

            reactor: Any = installed  # twisted types the module, not the reactor installed

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
        if settings.getpriority(name) == SETTINGS_PRIORITIES["cmdline"] and name != "QILU_DB_PATH"
    }
    arguments = {k: v for k, v in job.kwargs.items() if v is not None}
    return {"spider": job.spider, **arguments, "settings": given, "pid": os.getpid()}
