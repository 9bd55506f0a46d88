"""iqilu.com (SOURCES.md §2): list pages back in time, then each article and its continuations.

Two modes, both safe to re-run:

- backfill (``since`` given): walk ``list_564_1.shtml``, ``_2`` … until a page holds nothing
  newer than ``since``; fetch every article dated in ``[since, until)`` that is not stored yet.
  Killed at any moment, the same command run again finishes the job without refetching what is
  stored.
- incremental (no ``since``): stop at the first list page whose articles are all stored.

An iqilu article's ``info_code`` is :func:`~qilucrawl.extract.iqilu.iqilu_info_code`.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from datetime import date
from typing import Any
from urllib.parse import urljoin, urlsplit

import scrapy
from scrapy.http import Response
from twisted.python.failure import Failure as TwistedFailure

from qilucrawl.clean.dates import date_from_url, now_iso
from qilucrawl.clean.encoding import decode
from qilucrawl.extract.base import Document
from qilucrawl.extract.iqilu import continuation_urls
from qilucrawl.extract.iqilu_list import MEDIUM, read_list_page
from qilucrawl.items import HTML, ExtractError, Failure, ListEntry, Page, Seen
from qilucrawl.spiders.errors import describe_failure, failed_request
from qilucrawl.spiders.known import KnownArticles


class IqiluSpider(scrapy.Spider):
    name = "iqilu"
    allowed_domains: list[str]
    known: KnownArticles  # what needs no fetch (set in from_crawler)
    arguments: dict[str, str]

    def __init__(
        self,
        since: str | date | None = None,
        until: str | date | None = None,
        base_url: str | None = None,
        list_url: str | None = None,
        *args: Any,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        # As given: what a run started by `scrapy crawl` records (pipelines.command_run_args).
        self.arguments = {
            name: str(value)
            for name, value in (("since", since), ("until", until), ("base_url", base_url), ("list_url", list_url))
            if value is not None
        }
        self.since = _as_date(since)
        self.until = _as_date(until)
        self.base_url = base_url.rstrip("/") if base_url else None
        self.start_list = list_url  # a channel or scroll page to walk instead of list_564
        self.queued: set[str] = set()
        self.walked: set[str] = set()

    @property
    def base(self) -> str:
        return self.base_url or self.settings.get("QILU_IQILU_BASE_URL").rstrip("/")

    def first_list_url(self) -> str:
        if self.start_list:
            return urljoin(self.base + "/", self.start_list)
        return self.base + self.settings.get("QILU_IQILU_LIST_PATH").format(page=1)

    @classmethod
    def from_crawler(cls, crawler: Any, *args: Any, **kwargs: Any) -> IqiluSpider:
        spider = super().from_crawler(crawler, *args, **kwargs)
        # Before spider_opened, when Scrapy's offsite filter reads it.
        spider.allowed_domains = [urlsplit(spider.base).hostname or ""]
        spider.known = KnownArticles(
            crawler.settings.get("QILU_DB_PATH"),
            media=crawler.settings.getlist("QILU_MEDIA"),
            refetch=crawler.settings.getbool("QILU_REFETCH"),
        )
        return spider

    def closed(self, reason: str) -> None:
        self.known.close()

    async def start(self) -> AsyncIterator[Any]:
        yield self._list_request(self.first_list_url(), 1)

    def _list_request(self, url: str, number: int) -> scrapy.Request:
        self.walked.add(url)
        return scrapy.Request(
            url, callback=self.parse_list, errback=self.failed, cb_kwargs={"number": number}, dont_filter=True
        )

    def parse_list(self, response: Response, number: int) -> Iterator[Any]:
        self.crawler.stats.inc_value("qilu/list_pages")
        text, _ = decode(response.body, _content_type(response))
        try:
            listed = read_list_page(Document(text, response.url), MEDIUM)
        except ExtractError as error:  # an empty or unparseable list page
            yield Failure(
                url=response.url,
                reason=f"unreadable list page: {error}",
                status=response.status,
                stage="list",
                spider=self.name,
            )
            return
        entries = listed.entries
        wanted = [e for e in entries if self._in_range(e) and e.info_code not in self.queued]
        fresh, known = self.known.split(wanted, by_list=False)  # list titles are not the pages'
        if known:
            yield Seen(known)  # listed again, stored: counted as skipped, last seen now
        for entry in fresh:
            self.queued.add(entry.info_code)
            self.crawler.stats.inc_value("qilu/articles_queued")
            yield scrapy.Request(
                entry.web_url or "",
                callback=self.parse_article,
                errback=self.failed,
                cb_kwargs={"entry": entry, "pages": []},
            )
        if self.known.refetch:  # every listed article is fetched: the walk still stops where nothing is new
            stored = self.known.stored([entry.info_code for entry in fresh])
            new = [entry for entry in fresh if entry.info_code not in stored]
        else:
            new = fresh
        following = listed.next_url
        if following and following not in self.walked and self._keep_walking(entries, new, number):
            yield self._list_request(following, number + 1)

    def _in_range(self, entry: ListEntry) -> bool:
        day = _day(entry)
        if day is None:
            return self.since is None
        return (self.since is None or day >= self.since) and (self.until is None or day < self.until)

    def _keep_walking(self, entries: list[ListEntry], fresh: list[ListEntry], number: int) -> bool:
        """Whether the list goes on past this page: judged by the list's own items only."""
        if not entries or number >= self.settings.getint("QILU_IQILU_MAX_LIST_PAGES"):
            return False
        if self.since is None:  # incremental: a page with nothing new means we have caught up
            return bool(fresh)
        days = [day for e in entries if (day := _day(e)) is not None]
        return not days or min(days) >= self.since

    def parse_article(
        self, response: Response, entry: ListEntry, pages: list[Page], urls: list[str] | None = None
    ) -> Iterator[Any]:
        """Page 1 learns its continuation URLs; each page fetches the next; the last yields all."""
        page = Page(
            url=response.url,
            body=response.body,
            kind=HTML,
            status=response.status,
            content_type=_content_type(response),
            fetched_at=now_iso(),
            entry=entry,
            source_url=response.url,
            spider=self.name,
        )
        if urls is None:
            # Read once: the extractor reads this document, not the bytes again.
            page.parsed = Document(decode(page.body, page.content_type)[0], page.url, page)
            limit = self.settings.getint("QILU_IQILU_MAX_CONTINUATION_PAGES")
            try:
                urls = continuation_urls(page.parsed)[:limit]
            except ExtractError:  # an empty or unparseable page: ExtractPipeline records why
                urls = []
            pages = [page]
        else:
            pages[0].continuations.append(page)
        yield self._next_page(entry, pages, urls)

    def _next_page(self, entry: ListEntry, pages: list[Page], urls: list[str]) -> scrapy.Request | Page:
        """The request for the article's next continuation page, or the article once all are in."""
        done = len(pages[0].continuations)
        if done < len(urls):
            return scrapy.Request(
                urls[done],
                callback=self.parse_article,
                errback=self.failed,
                cb_kwargs={"entry": entry, "pages": pages, "urls": urls},
            )
        return pages[0]

    def failed(self, failure: TwistedFailure) -> Iterator[Any]:
        request = failed_request(failure)
        reason, status = describe_failure(failure)
        entry = request.cb_kwargs.get("entry")
        stage = "list" if entry is None else "article"
        if stage == "list" and status == 404 and request.cb_kwargs.get("number", 1) > 1:
            self.logger.info("End of the list at %s", request.url)
            return
        pages = request.cb_kwargs.get("pages")
        if pages:
            reason = f"continuation page {request.url}: {reason}"
        yield Failure(
            url=request.url,
            reason=reason,
            status=status,
            stage=stage,
            info_code=entry.info_code if entry else None,
            spider=self.name,
        )
        if pages and entry is not None and status in _GONE:  # the article is stored without it, flagged
            pages[0].continuations.append(
                Page(url=request.url, body=b"", kind=HTML, status=status, fetched_at=now_iso(), spider=self.name)
            )
            yield self._next_page(entry, pages, request.cb_kwargs["urls"])
        # Any other failure of a continuation (a timeout, a 5xx): the article waits for a later run.


_GONE = (404, 410)  # a continuation page answering so will not come back: store the rest


def _day(entry: ListEntry) -> date | None:
    """The day an entry is listed under: its listed time, else its URL's date."""
    if entry.published:
        return date.fromisoformat(entry.published[:10])
    return date_from_url(entry.web_url)


def _content_type(response: Response) -> str | None:
    return (response.headers.get(b"Content-Type") or b"").decode("latin-1") or None


def _as_date(value: str | date | None) -> date | None:
    if value is None or isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])
