"""The Eastmoney-style feed (SOURCES.md §1): list endpoints, then each new item's text.

All list endpoints are read first and their items merged by infoCode (the same article is
listed by several endpoints, sometimes under its bare numeric id), so each article is fetched
once, with the richest list context.  ``start()`` then hands the text requests over one at a
time, as the downloader has room, rather than queueing them all.  Items stored unchanged (same title and time) are not
fetched again.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
from collections.abc import AsyncIterator, Iterator
from typing import Any
from urllib.parse import urlsplit

import scrapy
from scrapy import signals
from scrapy.http import Response
from twisted.python.failure import Failure as TwistedFailure

from qilucrawl.clean.article import listed_state
from qilucrawl.clean.dates import now_iso, parse_datetime
from qilucrawl.clean.media import normalize_media
from qilucrawl.items import FEED_TEXT, INFO_CODE, Failure, ListEntry, Page, Seen
from qilucrawl.spiders.errors import describe_failure, failed_request
from qilucrawl.spiders.known import KnownArticles

_LIST_KEYS = ("record", "records", "nodeList", "list", "items", "data", "result", "Data")
_CODE_KEYS = ("infoCode", "infocode", "InfoCode", "info_code", "code")
_TITLE_KEYS = ("title", "Title", "simtitle")
_TIME_KEYS = ("datetime", "showtime", "showTime", "ShowTime", "dateTime", "time", "date")
_MEDIA_KEYS = ("medianame", "mediaName", "MediaName", "from", "source", "Source")
_DIGEST_KEYS = ("digest", "simdigest", "Digest")
_URL_KEYS = ("url_w", "url", "Url", "url_m")
_STOP_CHECK = 0.5  # seconds between looks at whether the crawl is stopping, while start() waits
_BARE_ID = re.compile(r"[0-9]{18}")  # ASCII digits only, as in INFO_CODE


class FeedSpider(scrapy.Spider):
    name = "feed"
    allowed_domains: list[str]
    known: KnownArticles  # what needs no fetch (set in from_crawler)

    def __init__(self, base_url: str | None = None, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.base_url = base_url.rstrip("/") if base_url else None
        self.entries: dict[str, ListEntry] = {}
        self.pending_lists = 0
        self._closing = False

    def _base(self, setting: str) -> str:
        return self.base_url or self.settings.get(setting).rstrip("/")

    def list_urls(self) -> list[tuple[str, bool]]:
        """Every list endpoint, and whether it is the rolling feed."""
        count = self.settings.getint("QILU_FEED_COUNT", 100)
        market = self._base("QILU_FEED_MARKET_BASE_URL") + self.settings.get("QILU_FEED_MARKET_PATH")
        webapi = self._base("QILU_FEED_WEBAPI_BASE_URL") + self.settings.get("QILU_FEED_WEBAPI_PATH")
        rolling_type = self.settings.getint("QILU_FEED_ROLLING_TYPE")
        urls = [(market.format(n=n, count=count), False) for n in self.settings.getlist("QILU_FEED_MARKET_TYPES")]
        urls += [
            (webapi.format(n=n, count=count), int(n) == rolling_type)
            for n in self.settings.getlist("QILU_FEED_WEBAPI_TYPES")
        ]
        return urls

    @classmethod
    def from_crawler(cls, crawler: Any, *args: Any, **kwargs: Any) -> FeedSpider:
        spider = super().from_crawler(crawler, *args, **kwargs)
        # Before spider_opened, when Scrapy's offsite filter reads it.
        spider.known = KnownArticles(
            crawler.settings.get("QILU_DB_PATH"),
            media=crawler.settings.getlist("QILU_MEDIA"),
            refetch=crawler.settings.getbool("QILU_REFETCH"),
        )
        spider.allowed_domains = sorted(
            {
                urlsplit(spider._base(setting)).hostname or ""
                for setting in (
                    "QILU_FEED_MARKET_BASE_URL",
                    "QILU_FEED_WEBAPI_BASE_URL",
                    "QILU_FEED_TEXT_BASE_URL",
                    "QILU_FEED_SHARE_BASE_URL",
                )
            }
        )
        crawler.signals.connect(spider._spider_closing, signal=signals.spider_closed)
        crawler.signals.connect(spider._spider_closing, signal=signals.engine_stopped)
        return spider

    async def start(self) -> AsyncIterator[Any]:
        """The list endpoints; once all of them are in, the text of each new article, handed
        over only as the downloader has room (so 100,000 queued articles cost no memory).

        Both waits give up as soon as the crawl is stopping (Ctrl-C, SIGTERM, a failed write):
        a list request dropped by the stop never answers, and while the engine stops it stays
        "backed out" for good, so waiting on either would hold the run open forever."""
        urls = self.list_urls()
        self.pending_lists = len(urls)
        self.lists_done = asyncio.Event()
        for url, rolling in urls:
            yield scrapy.Request(
                url,
                callback=self.parse_list,
                errback=self.list_failed,
                cb_kwargs={"rolling": rolling},
                dont_filter=True,
            )
        while not self.lists_done.is_set():
            if self._stopping():
                return
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.lists_done.wait(), _STOP_CHECK)
        async for item in self._texts():
            yield item

    async def _texts(self) -> AsyncIterator[Any]:
        wanted, problems = select_entries(self.entries.values())
        for problem in problems:
            yield self._failure(problem)
        wanted, unchanged = self.known.split(wanted, by_list=True)
        if unchanged:
            yield Seen(unchanged)
        text_base, share_base = self._base("QILU_FEED_TEXT_BASE_URL"), self._base("QILU_FEED_SHARE_BASE_URL")
        self.crawler.stats.set_value("qilu/articles_queued", len(wanted))
        for entry in wanted:
            while self.crawler.engine.needs_backout():  # Scrapy's way to make start() lazy
                if self._stopping():
                    return
                await asyncio.sleep(0.01)
            yield scrapy.Request(
                text_base + self.settings.get("QILU_FEED_TEXT_PATH").format(code=entry.info_code),
                callback=self.parse_text,
                errback=self.text_failed,
                cb_kwargs={
                    "entry": entry,
                    "share_url": share_base + self.settings.get("QILU_FEED_SHARE_PATH").format(code=entry.info_code),
                },
            )

    def _stopping(self) -> bool:
        """Whether the crawl is on its way out: the engine stopped or the spider closing."""
        engine = self.crawler.engine
        return self._closing or not engine.running or engine.spider is None

    def _spider_closing(self, *args: Any, **kwargs: Any) -> None:
        self._closing = True

    def closed(self, reason: str) -> None:
        self.known.close()

    def parse_list(self, response: Response, rolling: bool) -> Iterator[Any]:
        self.crawler.stats.inc_value("qilu/list_pages")
        entries, failures = read_list(
            response.body,
            response.url,
            rolling=rolling,
            max_items=self.settings.getint("QILU_FEED_MAX_LIST_ITEMS", 1000),
            max_failures=self.settings.getint("QILU_FEED_MAX_LIST_FAILURES", 20),
        )
        for failure in failures:
            yield self._failure(failure)
        for entry in entries:
            merge_entry(self.entries, entry)
        self._list_done()

    def list_failed(self, failure: TwistedFailure) -> Iterator[Any]:
        request = failed_request(failure)
        reason, status = describe_failure(failure)
        yield Failure(url=request.url, reason=reason, status=status, stage="list", spider=self.name)
        self._list_done()

    def _list_done(self) -> None:
        self.pending_lists -= 1
        if self.pending_lists <= 0:
            self.lists_done.set()

    def parse_text(self, response: Response, entry: ListEntry, share_url: str) -> Iterator[Any]:
        yield Page(
            url=response.url,
            body=response.body,
            kind=FEED_TEXT,
            status=response.status,
            content_type=(response.headers.get(b"Content-Type") or b"").decode("latin-1") or None,
            fetched_at=now_iso(),
            entry=entry,
            source_url=share_url,
            spider=self.name,
        )

    def text_failed(self, failure: TwistedFailure) -> Iterator[Any]:
        request = failed_request(failure)
        reason, status = describe_failure(failure)
        entry = request.cb_kwargs.get("entry")
        yield Failure(
            url=request.url,
            reason=reason,
            status=status,
            stage="article",
            info_code=entry.info_code if entry else None,
            spider=self.name,
        )

    def _failure(self, failure: Failure) -> Failure:
        failure.spider = self.name
        return failure


def read_list(
    body: bytes, url: str, *, rolling: bool = False, max_items: int | None = None, max_failures: int | None = None
) -> tuple[list[ListEntry], list[Failure]]:
    """Entries of one list endpoint's JSON, whichever of the three shapes it has.

    At most ``max_items`` items are read and ``max_failures`` bad ones recorded one by one; past
    either cap, one more failure sums up what was left out (a list of a million bad items costs
    21 failure rows, not a million)."""
    try:
        payload = json.loads(body)
    except (ValueError, RecursionError) as error:
        return [], [Failure(url=url, reason=f"malformed list JSON: {error}", stage="list")]
    items = _items(payload)
    del payload  # the items are all that is needed of it
    if items is None:
        return [], [Failure(url=url, reason="no list of items in the list JSON", stage="list")]
    entries: list[ListEntry] = []
    failures: list[Failure] = []
    bad = 0
    for position, item in enumerate(items[:max_items] if max_items is not None else items):
        entry, reason = _entry(item, position, url, rolling)
        if entry is not None:
            entries.append(entry)
            continue
        bad += 1
        if max_failures is None or bad <= max_failures:
            failures.append(Failure(url=url, reason=reason, stage="list"))
    if summary := _left_out(len(items), max_items, bad, max_failures):
        failures.append(Failure(url=url, reason=summary, stage="list"))
    return entries, failures


def _entry(item: Any, position: int, url: str, rolling: bool) -> tuple[ListEntry | None, str]:
    """One list item as an entry, or None and why not."""
    if not isinstance(item, dict):
        return None, f"item {position} is not an object"
    raw_code = _first(item, _CODE_KEYS) or _first(item, ("id", "Id", "newsid"))
    code = normalize_info_code(raw_code)
    if code is None:
        return None, f"item {position}: not an infoCode: {_shown_code(raw_code)}"
    entry = ListEntry(
        info_code=code,
        title=_first(item, _TITLE_KEYS),
        published=_first(item, _TIME_KEYS),
        media=normalize_media(_first(item, _MEDIA_KEYS)),
        digest=_first(item, _DIGEST_KEYS),
        web_url=_first(item, _URL_KEYS),
        list_url=url,
        rolling=rolling,
    )
    return entry, ""


def _left_out(total: int, max_items: int | None, bad: int, max_failures: int | None) -> str | None:
    """The one failure that says what a capped list left out, or None."""
    parts = []
    if max_items is not None and total > max_items:
        parts.append(f"the list has {total} items: only the first {max_items} were read (QILU_FEED_MAX_LIST_ITEMS)")
    if max_failures is not None and bad > max_failures:
        parts.append(
            f"{bad - max_failures} more bad items not recorded one by one (QILU_FEED_MAX_LIST_FAILURES={max_failures})"
        )
    return "; ".join(parts) or None


def _shown_code(raw: str | None) -> str:
    if raw is None:
        return "none"
    shown = repr(raw)[:80]
    if any(c.isdigit() and not c.isascii() for c in raw):
        return f"{shown} (an infoCode's digits are ASCII 0-9)"
    return shown


def _items(payload: Any) -> list | None:
    if isinstance(payload, list):
        return payload
    if not isinstance(payload, dict):
        return None
    for key in _LIST_KEYS:
        value = payload.get(key)
        if isinstance(value, list):
            return value
        if isinstance(value, dict) and (nested := _items(value)) is not None:
            return nested
    return None


def _first(item: dict, keys: tuple[str, ...]) -> str | None:
    for key in keys:
        value = item.get(key)
        if isinstance(value, (str, int, float)) and not isinstance(value, bool):
            text = str(value).strip()
            if text:
                return text
    return None


def normalize_info_code(raw: str | None) -> str | None:
    """``NW`` + 18 ASCII digits; a bare 18-digit id is the same article's number without ``NW``.
    Anything else is None: full-width or Arabic-Indic digits, full-width letters included (read as
    the same number they would make a second copy of the article under another key)."""
    if raw is None:
        return None
    code = raw.strip()
    if not code.isascii():
        return None
    code = code.upper()
    if _BARE_ID.fullmatch(code):
        return "NW" + code
    return code if INFO_CODE.fullmatch(code) else None


def merge_entry(entries: dict[str, ListEntry], entry: ListEntry) -> None:
    """Keep one entry per article, filling gaps from every list that names it."""
    known = entries.get(entry.info_code)
    if known is None:
        entries[entry.info_code] = entry
        return
    for name in ("title", "published", "media", "digest", "web_url"):
        if not getattr(known, name) and getattr(entry, name):
            setattr(known, name, getattr(entry, name))
    known.rolling = known.rolling and entry.rolling


def select_entries(entries: Any) -> tuple[list[ListEntry], list[Failure]]:
    """Entries worth fetching; items with no title or no usable time are failures."""
    wanted, failures = [], []
    for entry in entries:
        title, published = listed_state(entry)
        problem = None
        if not title:
            problem = "list item has no title"
        elif not entry.published:
            problem = "list item has no time"
        elif not published:
            flags = ", ".join(parse_datetime(entry.published).flags)
            problem = f"list item time {entry.published[:40]!r} unusable ({flags})"
        if problem:
            failures.append(Failure(url=entry.list_url or "", reason=problem, stage="list", info_code=entry.info_code))
        else:  # the medium is the body's source line, else the list's: known once the text is read
            wanted.append(entry)
    return wanted, failures
