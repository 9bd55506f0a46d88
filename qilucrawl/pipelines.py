"""Item pipelines, one job each: extract, filter by medium, store."""

from __future__ import annotations

import logging
import os
import sqlite3
from collections.abc import Callable
from typing import Any, TypeVar

from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.exceptions import CloseSpider, NotConfigured

from qilucrawl.extract import extract
from qilucrawl.items import Article, ExtractError, Failure, Filtered, Page, Seen
from qilucrawl.lock import LockedError, RunLock
from qilucrawl.quality import QualityRules, assess, record, rules_for
from qilucrawl.store import SaveCounts, Store, StoreError

logger = logging.getLogger(__name__)
_T = TypeVar("_T")


class ExtractPipeline:
    """Page -> Article, or a Failure saying why the page could not be read."""

    def process_item(self, item: Any) -> Any:
        if not isinstance(item, Page):
            return item
        try:
            return extract(item)
        except ExtractError as error:
            return Failure(
                url=item.url, reason=str(error), stage="extract", info_code=item.info_code, spider=item.spider
            )
        except Exception as error:  # a parser bug must cost one page, not the crawl
            logger.exception("Extracting %s failed", item.url)
            return Failure(
                url=item.url,
                reason=f"internal error: {type(error).__name__}: {error}",
                stage="extract",
                info_code=item.info_code,
                spider=item.spider,
            )


class MediaFilterPipeline:
    """Drops articles whose medium is not one of ``QILU_MEDIA`` (when that is set)."""

    def __init__(self, media: list[str]) -> None:
        self.media = set(media)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> MediaFilterPipeline:
        media = crawler.settings.getlist("QILU_MEDIA")
        if not media:
            raise NotConfigured
        return cls(media)

    def process_item(self, item: Any) -> Any:
        if isinstance(item, Article) and item.source not in self.media:
            # Expected (the medium is known only once the text is read): remembered, not stored.
            return Filtered(item.info_code or "", item.title, item.published_at, item.source)
        return item


class StorePipeline:
    """Writes articles and failures to the archive in batches and records the run.

    A batch is written when it holds ``QILU_STORE_BATCH_SIZE`` items or its oldest is
    ``QILU_STORE_FLUSH_SECONDS`` old, whichever comes first.  A write that fails (disk full, a
    malformed file, another writer holding the archive past ``QILU_STORE_BUSY_TIMEOUT``) stops the
    crawl: the run ends ``interrupted`` (exit 4) with a ``store`` failure saying why, and the batch
    is kept — written when the crawl closes if the archive can be written by then, else fetched
    again by the next run (it is not stored, so it is not known).
    """

    def __init__(self, crawler: Crawler) -> None:
        settings = crawler.settings
        self.crawler = crawler
        self.db_path = settings.get("QILU_DB_PATH")
        self.batch_size = settings.getint("QILU_STORE_BATCH_SIZE", 50)
        self.flush_seconds = settings.getfloat("QILU_STORE_FLUSH_SECONDS", 5.0)
        self.busy_timeout = settings.getfloat("QILU_STORE_BUSY_TIMEOUT", 30.0)
        self.store: Store | None = None
        self.lock: RunLock | None = None
        self.run_id: int | None = None
        self.articles: list[Article] = []
        self.failures: list[Failure] = []
        self.counts = SaveCounts()
        self.flush_timer: Any = None  # the pending age flush (a Twisted IDelayedCall)
        self.write_error: str | None = None  # why the archive could not be written, once it could not
        self.stopping = False
        self.finished = False
        # Read now: a bad QILU_QUALITY_* value stops the crawl before it starts, in one line.
        spider = crawler.spider.name if crawler.spider else ""
        self.quality_rules: QualityRules = rules_for(spider, settings.get)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> StorePipeline:
        pipeline = cls(crawler)
        # Pipelines close before Scrapy knows why the spider closed; the run is finished
        # when that reason is known.
        crawler.signals.connect(pipeline.spider_closed, signal=signals.spider_closed)
        return pipeline

    def open_spider(self, spider=None) -> None:
        # The runner holds it already (the lock is re-entrant in a process); `scrapy crawl` does not.
        lock = RunLock(self.db_path)
        try:
            lock.acquire()
        except LockedError as error:  # only under `scrapy crawl`: nothing is done (exit 3)
            logger.error("locked: %s; not starting", error)
            self.crawler.stats.set_value("qilu/locked", True)
            raise CloseSpider("locked") from None
        self.lock = lock
        self.store = Store(self.db_path)
        self._busy(self.busy_timeout)
        spider = self.crawler.spider
        run_args = getattr(spider, "run_args", None) or command_run_args(spider, self.crawler.settings)
        self.run_id = self.store.start_run(spider.name, run_args, os.getpid())
        self.crawler.stats.set_value("qilu/run_id", self.run_id)

    def process_item(self, item: Any) -> Any:
        if isinstance(item, Article):
            self.articles.append(item)
        elif isinstance(item, Failure):
            # One INFO line: the failure is recorded in the archive, where it is looked at.
            logger.info("Failed (%s) %s: %s", item.stage, item.url, item.reason)
            self.failures.append(item)
        elif isinstance(item, Seen) and self.write_error is None:
            self._write(lambda store: self.counts.add(store.touch(item.info_codes, self.run_id)))
        elif isinstance(item, Filtered) and self.write_error is None:
            self._write(lambda store: self.counts.add(store.remember_filtered([item], self.run_id)))
        if len(self.articles) + len(self.failures) >= self.batch_size:
            self.flush()
        elif (self.articles or self.failures) and self.flush_timer is None and self.flush_seconds > 0:
            from twisted.internet import reactor as installed

            reactor: Any = installed  # twisted types the module, not the reactor installed
            self.flush_timer = reactor.callLater(self.flush_seconds, self._flush_due)
        return item

    def _flush_due(self) -> None:
        self.flush_timer = None
        self.flush()

    def flush(self, *, last: bool = False) -> None:
        """Write the batch.  After a failed write only the ``last`` one (at close) tries again."""
        if self.flush_timer is not None:
            if self.flush_timer.active():
                self.flush_timer.cancel()
            self.flush_timer = None
        if self.write_error is not None and not last:
            return
        self._write(self._write_batch, last=last)

    def _write_batch(self, store: Store) -> None:
        if self.articles:
            self.counts.add(store.save_articles(self.articles, self.run_id))
            self.articles.clear()
        if self.failures:
            self.counts.failed += store.record_failures(self.failures, self.run_id)
            self.failures.clear()

    def _write(self, write: Callable[[Store], object], *, last: bool = False) -> bool:
        """Run one write; a failure stops the crawl (once) and is remembered for the run."""
        if self.store is None:  # finished (the runner may stop a crawl before Scrapy closes it)
            return False
        try:
            _in_transaction(self.store, write)
            return True
        except (sqlite3.Error, OSError, StoreError) as error:
            if self.write_error is None:
                self.write_error = str(error) or type(error).__name__
                logger.error(
                    "Stopping the crawl: cannot write the archive %s (%s); what is not written is fetched"
                    " again by the next run",
                    self.db_path,
                    self.write_error,
                )
                self._stop("archive_unwritable")
            elif last:
                logger.warning(
                    "Still cannot write the archive (%s): %d fetched articles are left for the next run",
                    error,
                    len(self.articles),
                )
            return False

    def _stop(self, reason: str) -> None:
        engine = self.crawler.engine
        if self.stopping or engine is None or engine.spider is None:
            return
        self.stopping = True
        from scrapy.utils.defer import deferred_from_coro

        deferred_from_coro(engine.close_spider_async(reason=reason))

    def close_spider(self, spider=None) -> None:
        if self.store is None:
            return
        if self.write_error is not None:  # one last try, waiting as long as a store does
            self._busy(max(self.busy_timeout, 30.0))
        self.flush(last=True)

    def spider_closed(self, spider, reason: str) -> None:
        self.finish("interrupted" if reason != "finished" else None)

    def finish(self, status: str | None = None) -> None:
        """Record the end of the run (``status``, else ``ok`` or ``failures``), then let go of the
        archive.  Called once the spider is closed; also by the runner when it stops a crawl
        that would not stop by itself (then the batch is written first)."""
        if self.store is None or self.finished:
            return
        if status is not None and (self.articles or self.failures):  # stopped by the runner, not closed
            self.flush(last=True)
        self.finished = True
        try:
            status = _in_transaction(self._store(), lambda store: self._record_end(store, status))
            self.crawler.stats.set_value("qilu/run_status", status)
        except (sqlite3.Error, OSError, StoreError) as error:
            # The runner, or else the next run, marks the run interrupted.
            logger.error("Cannot record the end of run %s in the archive %s: %s", self.run_id, self.db_path, error)
            self.crawler.stats.set_value("qilu/run_status", "interrupted")
        finally:
            self._store().close()
            self.store = None  # nothing is written after this, whoever calls
            if self.lock is not None:
                self.lock.release()

    def _record_end(self, store: Store, status: str | None) -> str:
        if self.write_error is not None:
            status = "interrupted"
            failure = Failure(
                url=str(self.db_path),
                reason=f"cannot write the archive: {self.write_error}",
                stage="store",
                spider=self.crawler.spider.name if self.crawler.spider else None,
            )
            self.counts.failed += store.record_failures([failure], self.run_id)
        if status is None:
            status = "failures" if self.counts.failed else "ok"
        if self.run_id is not None:
            run = store.finish_run(self.run_id, status)
            self._record_quality(store, run)
        return status

    def _record_quality(self, store: Store, run: dict[str, Any]) -> None:
        """The run's shares and quality alarm (qilucrawl.quality), in its row and the log."""
        quality = assess(store.db.conn, run, self.quality_rules)
        record(store.db.conn, run["id"], quality)
        if quality.alarm:
            logger.warning("Quality alarm, run %s (%s): %s", run["id"], run["spider"], quality.alarm)
            self.crawler.stats.set_value("qilu/quality_alarm", quality.alarm)

    def _busy(self, seconds: float) -> None:
        """How long a write waits for another writer before it fails."""
        self._store().db.execute(f"PRAGMA busy_timeout = {max(0, int(seconds * 1000))}")

    def _store(self) -> Store:
        if self.store is None:
            raise RuntimeError("StorePipeline used before open_spider")
        return self.store


# Set by Scrapyd (logs, items, job folder) or the archive's own path: not the run's arguments.
_NOT_ARGUMENTS = {"QILU_DB_PATH", "LOG_FILE", "FEEDS", "JOBDIR"}


def command_run_args(spider: Any, settings: Any) -> dict[str, Any]:
    """What the run row records of a crawl started by ``scrapy crawl`` (as Scrapyd starts one),
    as the runner records its own: the spider, its arguments, the Scrapyd job id and the
    settings given with ``-s`` (a cluster job's node and politeness among them)."""
    from scrapy.settings import SETTINGS_PRIORITIES

    given = {
        name: settings[name]
        for name in settings
        if settings.getpriority(name) == SETTINGS_PRIORITIES["cmdline"] and name not in _NOT_ARGUMENTS
    }
    arguments = dict(getattr(spider, "arguments", None) or {})
    job = getattr(spider, "_job", None)  # Scrapyd passes its job id as the spider argument _job
    return {"spider": spider.name, **arguments, **({"job": job} if job else {}), "settings": given, "pid": os.getpid()}


def _in_transaction(store: Store, write: Callable[[Store], _T]) -> _T:
    """``write(store)`` in one transaction begun IMMEDIATE: it waits for another writer up to the
    busy timeout.  (A deferred one — the store's own — that has read first fails at once when it
    finds the archive held, whatever the timeout says.)"""
    conn = store.db.conn
    if conn.in_transaction:  # (not expected: some earlier statement left one open) join it
        return write(store)
    conn.execute("BEGIN IMMEDIATE")
    try:
        result = write(store)
        conn.execute("COMMIT")
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise
    return result
