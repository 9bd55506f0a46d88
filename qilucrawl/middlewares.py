"""Downloader middleware: retries that wait before trying again; no redirects off the site, and
no redirect that goes round in a loop."""

from __future__ import annotations

import asyncio
import email.utils
import logging
import time
from typing import Any, ClassVar
from urllib.parse import urljoin, urlsplit

from scrapy import Request
from scrapy.downloadermiddlewares.retry import RetryMiddleware
from scrapy.exceptions import IgnoreRequest
from scrapy.http import HtmlResponse, Response
from scrapy.settings import BaseSettings
from scrapy.utils.response import get_meta_refresh
from w3lib.url import canonicalize_url

logger = logging.getLogger(__name__)


class BackoffRetryMiddleware(RetryMiddleware):
    """Scrapy's retry, plus exponential backoff and ``Retry-After``.

    Scrapy retries at once; a server that answered 500 or 429 a moment ago usually needs a
    moment.  The n-th retry waits ``QILU_RETRY_BACKOFF_BASE * 2**(n-1)`` seconds, or what the
    server's ``Retry-After`` asks if that is longer, never more than ``QILU_RETRY_BACKOFF_MAX``.
    """

    def __init__(self, settings: BaseSettings) -> None:
        super().__init__(settings)
        self.backoff_base = settings.getfloat("QILU_RETRY_BACKOFF_BASE", 1.0)
        self.backoff_max = settings.getfloat("QILU_RETRY_BACKOFF_MAX", 60.0)

    async def process_response(self, request: Request, response: Response, spider=None):  # type: ignore[override]
        result = super().process_response(request, response)
        if isinstance(result, Request):
            await self._wait(result, retry_after(response))
        return result

    async def process_exception(self, request: Request, exception: Exception, spider=None):  # type: ignore[override]
        result = super().process_exception(request, exception)
        if isinstance(result, Request):
            await self._wait(result, None)
        return result

    async def _wait(self, retry: Request, asked: float | None) -> None:
        attempt = retry.meta.get("retry_times", 1)
        delay = self.backoff_base * 2 ** (attempt - 1)
        delay = min(max(delay, asked or 0.0), self.backoff_max)
        if delay > 0:
            logger.debug("Waiting %.1fs before retry %d of %s", delay, attempt, retry.url)
            await asyncio.sleep(delay)


def retry_after(response: Response) -> float | None:
    """Seconds a ``Retry-After`` header asks for (delta-seconds or an HTTP date)."""
    raw = response.headers.get(b"Retry-After")
    if not raw:
        return None
    value = raw.decode("latin-1").strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


class OffsiteRedirectMiddleware:
    """Refuses a redirect to a host outside the spider's ``allowed_domains``, or back to a URL of
    its own chain (to itself, A → B → A), through the request's errback, so the refusal is
    recorded as a failure; any other redirect is followed, even to a URL fetched before.

    Scrapy's own offsite filter would drop the redirected request silently (it acts when the
    request is scheduled, where no errback runs) and lets ``dont_filter`` requests through; its
    duplicate filter would drop a redirect to a URL already requested just as silently, and the
    article with it.
    """

    _REDIRECTS: ClassVar[set[int]] = {301, 302, 303, 307, 308}
    crawler: Any

    @classmethod
    def from_crawler(cls, crawler) -> OffsiteRedirectMiddleware:
        middleware = cls()
        middleware.crawler = crawler
        return middleware

    def process_response(self, request: Request, response: Response, spider=None) -> Response:
        location = response.headers.get(b"Location")
        if response.status in self._REDIRECTS and location:
            target = urljoin(request.url, location.decode("latin-1"))
            if not self._on_site(target):
                host = (urlsplit(target).hostname or "").lower()
                raise IgnoreRequest(f"redirect to off-site host {host!r} ({target[:200]})")
            if (chain := _loop(request, target)) is not None:
                raise IgnoreRequest(f"redirect loop: {chain}")
            # Followed whatever the duplicate filter says: the redirected request is built from
            # this one (RedirectMiddleware, next), and another article's fetch of the same URL
            # must not make this article vanish.
            request.dont_filter = True
        elif isinstance(response, HtmlResponse) and not request.meta.get("dont_redirect"):
            self._check_meta_refresh(request, response)
        return response

    def _check_meta_refresh(self, request: Request, response: HtmlResponse) -> None:
        """A page whose ``<meta http-equiv="refresh">`` points off the site or to a non-http URL
        (``javascript:``) is read as it is: the refresh is not followed.  (Scrapy would follow an
        off-site one where its offsite filter drops it unrecorded, and fails on ``javascript:``.)"""
        ignore_tags = self.crawler.settings.getlist("METAREFRESH_IGNORE_TAGS")
        try:
            _, target = get_meta_refresh(response, ignore_tags=ignore_tags)
        except ValueError:
            return
        if target and (urlsplit(target).scheme not in ("http", "https") or not self._on_site(target)):
            logger.info("Not following the meta refresh of %s to %s", request.url, target[:200])
            request.meta["dont_redirect"] = True
        elif target and _loop(request, target) is not None:  # refreshes itself: the page is what there is
            logger.info("Not following the meta refresh of %s back to %s", request.url, target[:200])
            request.meta["dont_redirect"] = True
        elif target:
            request.dont_filter = True  # as for an HTTP redirect: followed, even to a URL seen before

    def _on_site(self, url: str) -> bool:
        host = (urlsplit(url).hostname or "").lower()
        allowed = getattr(self.crawler.spider, "allowed_domains", None) or []
        return not allowed or any(host == d or host.endswith("." + d) for d in allowed)


def _loop(request: Request, target: str) -> str | None:
    """The chain ``A → B → A`` when ``target`` is a URL this request's redirects came through
    (itself included), else None."""
    chain = [*request.meta.get("redirect_urls", []), request.url]
    seen = {canonicalize_url(url) for url in chain}
    if canonicalize_url(target) not in seen:
        return None
    return " → ".join(url[:200] for url in [*chain, target])
