"""Progress of a crawl: a bar on a terminal (pages, articles, rate, ETA), log lines otherwise.

Spiders count what they queue (``qilu/list_pages``, ``qilu/articles_queued`` in the crawl
stats); this extension counts what comes back and reports every ``QILU_PROGRESS_INTERVAL``
seconds (half a second for the bar).
"""

from __future__ import annotations

import logging
import sys
import time
from typing import Any

from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured
from twisted.internet import task

from qilucrawl.items import Article, Failure

logger = logging.getLogger(__name__)


class ProgressExtension:
    def __init__(self, crawler: Crawler, interval: float, bar: bool) -> None:
        self.stats = crawler.stats
        self.interval = 0.5 if bar else interval
        self.bar = None
        self.use_bar = bar
        self.done = 0
        self.started = time.monotonic()
        self.loop: task.LoopingCall | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ProgressExtension:
        mode = str(crawler.settings.get("QILU_PROGRESS", "auto")).lower()
        if mode in ("off", "false", "0", "none"):
            raise NotConfigured
        bar = mode == "bar" or (mode == "auto" and sys.stderr.isatty())
        extension = cls(crawler, crawler.settings.getfloat("QILU_PROGRESS_INTERVAL", 60.0), bar)
        crawler.signals.connect(extension.opened, signal=signals.spider_opened)
        crawler.signals.connect(extension.closed, signal=signals.spider_closed)
        crawler.signals.connect(extension.scraped, signal=signals.item_scraped)
        return extension

    def opened(self, spider: Any) -> None:
        self.started = time.monotonic()
        if self.use_bar:
            from tqdm import tqdm

            self.bar = tqdm(total=0, unit="article", desc=spider.name, dynamic_ncols=True, file=sys.stderr)
        self.loop = task.LoopingCall(self.report)
        self.loop.start(self.interval, now=False)

    def scraped(self, item: Any) -> None:
        if isinstance(item, Article) or (isinstance(item, Failure) and item.stage != "list"):
            self.done += 1

    def report(self) -> None:
        pages = self.stats.get_value("qilu/list_pages", 0)
        queued = self.stats.get_value("qilu/articles_queued", 0)
        elapsed = max(time.monotonic() - self.started, 1e-9)
        rate = self.done / elapsed
        if self.bar is not None:
            self.bar.total = max(queued, self.done)
            self.bar.n = self.done
            self.bar.set_postfix(list_pages=pages, refresh=False)
            self.bar.refresh()
            return
        eta = f"{(queued - self.done) / rate:.0f}s" if rate > 0 and queued > self.done else "-"
        logger.info(
            "progress: %d list pages, %d/%d articles, %.1f articles/s, ETA %s", pages, self.done, queued, rate, eta
        )

    def closed(self, spider: Any) -> None:
        if self.loop is not None and self.loop.running:
            self.loop.stop()
        if self.bar is not None:
            self.report()
            self.bar.close()
