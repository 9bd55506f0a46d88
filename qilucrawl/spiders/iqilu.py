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

import re
from collections.abc import AsyncIterator, Iterator
from datetime import date
from typing import Any
from urllib.parse import urljoin, urlsplit

import lxml.html
import scrapy
from scrapy.http import Response
from twisted.python.failure import Failure as TwistedFailure

from qilucrawl.clean.dates import date_from_url, now_iso, parse_datetime
from qilucrawl.clean.encoding import decode
from qilucrawl.clean.text import clean_title
from qilucrawl.extract.base import Document, ExtractError
from qilucrawl.extract.iqilu import continuation_urls, iqilu_article_id, iqilu_info_code
from qilucrawl.items import HTML, Failure, ListEntry, Page, Seen
from qilucrawl.spiders.errors import describe_failure
from qilucrawl.store import read_known

MEDIUM = "齐鲁网"
_CONTINUATION = re.compile(r"_\d+\.s?html?$")


class IqiluSpider(scrapy.Spider):
    name = "iqilu"

    def __init__(
        self,
        since: str | date | None = None,
        until: str | date | None = None,
        base_url: str | None = None,
        *args: Any,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.since = _as_date(since)
        self.until = _as_date(until)
        self.base_url = base_url.rstrip("/") if base_url else None
        self.queued: set[str] = set()

    @property
    def base(self) -> str:
        return self.base_url or self.settings.get("QILU_IQILU_BASE_URL").rstrip("/")

    def list_url(self, number: int) -> str:
        return self.base + self.settings.get("QILU_IQILU_LIST_PATH").format(page=number)

    @classmethod
    def from_crawler(cls, crawler: Any, *args: Any, **kwargs: Any) -> IqiluSpider:
        spider = super().from_crawler(crawler, *args, **kwargs)
        # Before spider_opened, when Scrapy's offsite filter reads it.
        spider.allowed_domains = [urlsplit(spider.base).hostname or ""]
        return spider

    async def start(self) -> AsyncIterator[Any]:
        yield self._list_request(1)

    def _list_request(self, number: int) -> scrapy.Request:
        return scrapy.Request(
            self.list_url(number),
            callback=self.parse_list,
            errback=self.failed,
            cb_kwargs={"number": number},
            dont_filter=True,
        )

    def parse_list(self, response: Response, number: int) -> Iterator[Any]:
        self.crawler.stats.inc_value("qilu/list_pages")
        try:
            entries = read_list_page(response)
        except ExtractError as error:  # an empty or unparseable list page
            yield Failure(
                url=response.url,
                reason=f"unreadable list page: {error}",
                status=response.status,
                stage="list",
                spider=self.name,
            )
            return
        wanted = [e for e in entries if self._in_range(e)]
        stored = read_known(self.settings.get("QILU_DB_PATH"), [e.info_code for e in wanted])
        fresh = [e for e in wanted if e.info_code not in stored and e.info_code not in self.queued]
        if known := [e.info_code for e in wanted if e.info_code in stored]:
            yield Seen(known)  # listed again, stored: counted as skipped, last seen now
        for entry in fresh:
            self.queued.add(entry.info_code)
            self.crawler.stats.inc_value("qilu/articles_queued")
            yield scrapy.Request(
                entry.web_url, callback=self.parse_article, errback=self.failed, cb_kwargs={"entry": entry, "pages": []}
            )
        if self._keep_walking(entries, wanted, fresh, number):
            yield self._list_request(number + 1)

    def _in_range(self, entry: ListEntry) -> bool:
        day = _day(entry)
        if day is None:
            return self.since is None
        return (self.since is None or day >= self.since) and (self.until is None or day < self.until)

    def _keep_walking(
        self, entries: list[ListEntry], wanted: list[ListEntry], fresh: list[ListEntry], number: int
    ) -> bool:
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
            text, _ = decode(page.body, page.content_type)
            limit = self.settings.getint("QILU_IQILU_MAX_CONTINUATION_PAGES")
            try:
                urls = continuation_urls(Document(text, page.url))[:limit]
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
        reason, status = describe_failure(failure)
        entry = failure.request.cb_kwargs.get("entry")
        stage = "list" if entry is None else "article"
        if stage == "list" and status == 404 and failure.request.cb_kwargs.get("number", 1) > 1:
            self.logger.info("End of the list at %s", failure.request.url)
            return
        pages = failure.request.cb_kwargs.get("pages")
        if pages:
            reason = f"continuation page {failure.request.url}: {reason}"
        yield Failure(
            url=failure.request.url,
            reason=reason,
            status=status,
            stage=stage,
            info_code=entry.info_code if entry else None,
            spider=self.name,
        )
        if pages and status in _GONE:  # the article is stored without it, flagged
            pages[0].continuations.append(
                Page(
                    url=failure.request.url, body=b"", kind=HTML, status=status, fetched_at=now_iso(), spider=self.name
                )
            )
            yield self._next_page(entry, pages, failure.request.cb_kwargs["urls"])
        # Any other failure of a continuation (a timeout, a 5xx): the article waits for a later run.


def read_list_page(response: Response) -> list[ListEntry]:
    """Article links of a list page (``<h3><a>``, ``div.mod-list``, the scroll page …), newest
    first: any link whose URL has the shape of an iqilu article, with the time its list item
    prints (an article page without its own time is dated by it; the URL gives only the day)."""
    text, _ = decode(response.body, _content_type(response))
    doc = Document(text, response.url)
    site = urlsplit(response.url).hostname
    entries: dict[str, ListEntry] = {}
    for link in doc.tree.iter("a"):
        url = urljoin(response.url, (link.get("href") or "").strip())
        article_id = iqilu_article_id(url)
        day = date_from_url(url)
        if article_id is None or day is None or _CONTINUATION.search(urlsplit(url).path):
            continue
        if urlsplit(url).hostname != site:  # links off the site are not followed
            continue
        code = iqilu_info_code(article_id)
        title = clean_title(link.get("title") or link.text_content())
        if code not in entries:
            entries[code] = ListEntry(
                info_code=code,
                title=title or None,
                published=_listed_time(link, day),
                media=MEDIUM,
                web_url=url,
                list_url=response.url,
            )
    return list(entries.values())


_GONE = (404, 410)  # a continuation page answering so will not come back: store the rest
_ITEM_TAGS = ("li", "tr", "dd", "dt", "p")
_SAME_DAY = 1  # days a list may print away from the URL's (a late-evening article filed next day)


def _listed_time(link: lxml.html.HtmlElement, day: date) -> str | None:
    """The time printed beside ``link`` in its list item, when it agrees with the URL's day."""
    item = link
    for _ in range(3):  # <a> in <h3> in <li>: the item is close, or there is none
        item = item.getparent()
        if item is None or len(item.xpath(".//a[@href]")) > 1:
            return None  # a container of several items: its dates belong to the others
        text = item.text_content().replace(link.text_content(), " ")
        if any(c.isdigit() for c in text):
            parsed = parse_datetime(text, year_hint=day.year)
            if parsed.iso and abs((date.fromisoformat(parsed.iso[:10]) - day).days) <= _SAME_DAY:
                return parsed.iso
        if item.tag in _ITEM_TAGS:
            return None
    return None


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
