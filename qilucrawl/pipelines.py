"""Item pipelines, one job each: extract, filter by medium, store."""

from __future__ import annotations

import logging
import os
from typing import Any

from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured

from qilucrawl.extract import extract
from qilucrawl.items import Article, ExtractError, Failure, Filtered, Page, Seen
from qilucrawl.lock import RunLock
from qilucrawl.store import SaveCounts, Store

logger = logging.getLogger(__name__)


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
    """Writes articles and failures to the archive in batches and records the run."""

    def __init__(self, crawler: Crawler) -> None:
        settings = crawler.settings
        self.crawler = crawler
        self.db_path = settings.get("QILU_DB_PATH")
        self.batch_size = settings.getint("QILU_STORE_BATCH_SIZE", 50)
        self.store: Store | None = None
        self.lock: RunLock | None = None
        self.run_id: int | None = None
        self.articles: list[Article] = []
        self.failures: list[Failure] = []
        self.counts = SaveCounts()

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> StorePipeline:
        pipeline = cls(crawler)
        # Pipelines close before Scrapy knows why the spider closed; the run is finished
        # when that reason is known.
        crawler.signals.connect(pipeline.spider_closed, signal=signals.spider_closed)
        return pipeline

    def open_spider(self, spider=None) -> None:
        # The runner holds it already (the lock is re-entrant in a process); `scrapy crawl` does not.
        self.lock = RunLock(self.db_path)
        self.lock.acquire()
        self.store = Store(self.db_path)
        spider = self.crawler.spider
        run_args = getattr(spider, "run_args", None) or {"spider": spider.name, "pid": os.getpid()}
        self.run_id = self.store.start_run(spider.name, run_args, os.getpid())
        self.crawler.stats.set_value("qilu/run_id", self.run_id)

    def process_item(self, item: Any) -> Any:
        if isinstance(item, Article):
            self.articles.append(item)
        elif isinstance(item, Failure):
            # One INFO line: the failure is recorded in the archive, where it is looked at.
            logger.info("Failed (%s) %s: %s", item.stage, item.url, item.reason)
            self.failures.append(item)
        elif isinstance(item, Seen):
            self.counts.add(self._store().touch(item.info_codes, self.run_id))
        elif isinstance(item, Filtered):
            self.counts.add(self._store().remember_filtered([item], self.run_id))
        if len(self.articles) + len(self.failures) >= self.batch_size:
            self.flush()
        return item

    def flush(self) -> None:
        store = self._store()
        if self.articles:
            self.counts.add(store.save_articles(self.articles, self.run_id))
            self.articles.clear()
        if self.failures:
            self.counts.failed += store.record_failures(self.failures, self.run_id)
            self.failures.clear()

    def close_spider(self, spider=None) -> None:
        self.flush()

    def spider_closed(self, spider, reason: str) -> None:
        if self.store is None:
            return
        try:
            if reason != "finished":
                status = "interrupted"
            else:
                status = "failures" if self.counts.failed else "ok"
            if self.run_id is not None:
                self._store().finish_run(self.run_id, status)
            self.crawler.stats.set_value("qilu/run_status", status)
        finally:
            if self.store is not None:
                self.store.close()
            if self.lock is not None:
                self.lock.release()

    def _store(self) -> Store:
        if self.store is None:
            raise RuntimeError("StorePipeline used before open_spider")
        return self.store
