"""The canary: does each source's parser still fit the site?  (``qilucrawl canary``)

For each source it reads the newest list, fetches one article (the newest that answers, of the
first few) and lets the source's own parser read it — not the chain a crawl uses, whose generic
fallback would hide a site parser that no longer finds the body.  Every field the parser promises
(:data:`PROMISES`: what its golden pages in ``tests/pages/`` always have) must be there.

A daily cron run catches a redesign before the crawls' quality alarms do, and on days with
nothing new to crawl.  Requests are few (robots.txt, one list, one to three articles per
source), identify the crawler, obey robots.txt and go to the configured hosts only.
"""

from __future__ import annotations

import urllib.error
import urllib.request
import urllib.robotparser
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any
from urllib.parse import urlsplit

from qilucrawl.clean.article import build_article, listed_state
from qilucrawl.clean.encoding import decode
from qilucrawl.extract import BY_KIND, SITE_PARSERS
from qilucrawl.extract.base import Document, Parser
from qilucrawl.extract.iqilu_list import MEDIUM, read_list_page
from qilucrawl.items import FEED_TEXT, ExtractError, ListEntry, Page, RawArticle
from qilucrawl.jobs import ExitStatus
from qilucrawl.spiders.feed import read_list

# What each parser finds on every page it fits (RawArticle fields, before any list's fallback).
PROMISES: dict[str, tuple[str, ...]] = {
    # The text endpoint carries only the body: title, time and medium come from the list.
    "feed_text": ("body",),
    # Every iqilu article page prints its title, time and 来源 (the Baidu field spans) and its body.
    "iqilu": ("title", "published", "source", "body"),
}
# List entries must have these (the list readers leave out items without them).
LIST_PROMISES = ("info_code", "title", "published")
ARTICLES_TRIED = 3  # an article that does not answer is no misfit: try the next newest

OK, BROKEN, UNREACHABLE = "ok", "broken", "unreachable"


@dataclass(slots=True)
class CanaryReport:
    """One source: ``ok`` (its parser fits), ``broken`` (it does not) or ``unreachable`` (no list
    or no article answered: nothing could be checked)."""

    source: str
    status: str = UNREACHABLE
    list_url: str | None = None
    article_url: str | None = None
    parser: str | None = None
    found: dict[str, bool] = field(default_factory=dict)  # each promised field: there or not
    problems: list[str] = field(default_factory=list)


Fetch = Callable[[str], bytes]


class Fetcher:
    """GET with the crawler's User-Agent, timeout and size cap, obeying robots.txt; a redirect to
    another host is refused, as a crawl refuses it."""

    def __init__(self, user_agent: str, timeout: float, max_bytes: int, obey_robots: bool = True) -> None:
        self.user_agent, self.timeout, self.max_bytes = user_agent, timeout, max_bytes
        self.obey_robots = obey_robots
        self._robots: dict[str, urllib.robotparser.RobotFileParser | None] = {}
        self._opener = urllib.request.build_opener(_SameHostRedirects)

    def __call__(self, url: str) -> bytes:
        if not self._allowed(url):
            raise OSError(f"robots.txt forbids {url}")
        return self._get(url)

    def _get(self, url: str) -> bytes:
        request = urllib.request.Request(url, headers={"User-Agent": self.user_agent})
        with self._opener.open(request, timeout=self.timeout) as answer:
            body = answer.read(self.max_bytes + 1)
        if len(body) > self.max_bytes:
            raise OSError(f"larger than {self.max_bytes} bytes")
        return bytes(body)

    def _allowed(self, url: str) -> bool:
        parts = urlsplit(url)
        site = f"{parts.scheme}://{parts.netloc}"
        if not self.obey_robots:
            return True
        if site not in self._robots:
            self._robots[site] = self._robots_txt(site)
        rules = self._robots[site]
        return rules is None or rules.can_fetch(self.user_agent, url)

    def _robots_txt(self, site: str) -> urllib.robotparser.RobotFileParser | None:
        """The site's robots.txt, fetched as the crawler (None: none there, all allowed, as Scrapy
        takes a missing or unreachable one)."""
        rules = urllib.robotparser.RobotFileParser(f"{site}/robots.txt")
        try:
            rules.parse(self._get(f"{site}/robots.txt").decode("utf-8", "replace").splitlines())
        except urllib.error.HTTPError as error:
            if error.code not in (401, 403):
                return None
            rules.disallow_all = True  # type: ignore[attr-defined]  # set by parse(); typeshed omits it
        except (OSError, ValueError):
            return None
        return rules


class _SameHostRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, req: Any, fp: Any, code: int, msg: str, headers: Any, newurl: str) -> Any:
        if urlsplit(newurl).hostname != urlsplit(req.full_url).hostname:
            raise urllib.error.HTTPError(newurl, code, f"redirect to another host refused: {newurl}", headers, fp)
        return super().redirect_request(req, fp, code, msg, headers, newurl)


def _why(error: Exception) -> str:
    if isinstance(error, urllib.error.HTTPError):
        return f"HTTP {error.code}"
    return str(getattr(error, "reason", None) or error) or type(error).__name__


# --- the sources ---------------------------------------------------------------------------------


def check_feed(settings: Any, fetch: Fetch, base_url: str | None = None) -> CanaryReport:
    """The feed: the first list endpoint that answers with items, then its newest article's text."""
    report = CanaryReport("feed")
    base = base_url.rstrip("/") if base_url else None
    entries: list[ListEntry] = []
    for url, rolling in _feed_lists(settings, base):
        try:
            body = fetch(url)
        except (OSError, ValueError) as error:
            report.problems.append(f"list {url}: {_why(error)}")
            continue
        report.list_url = url
        entries, failures = read_list(body, url, rolling=rolling, max_items=settings.getint("QILU_FEED_MAX_LIST_ITEMS"))
        if entries:
            break
        reason = failures[0].reason if failures else "no items"
        report.problems.append(f"list {url}: no item read ({reason})")
        report.status = BROKEN  # it answered, but the list reader found nothing in it
    text = (base or settings.get("QILU_FEED_TEXT_BASE_URL").rstrip("/")) + settings.get("QILU_FEED_TEXT_PATH")
    return _check_articles(report, entries, lambda entry: text.format(code=entry.info_code), fetch, "feed")


def _feed_lists(settings: Any, base: str | None) -> list[tuple[str, bool]]:
    """The list endpoints in the crawl's order, and whether each is the rolling feed."""
    count = settings.getint("QILU_FEED_COUNT")
    market = (base or settings.get("QILU_FEED_MARKET_BASE_URL").rstrip("/")) + settings.get("QILU_FEED_MARKET_PATH")
    webapi = (base or settings.get("QILU_FEED_WEBAPI_BASE_URL").rstrip("/")) + settings.get("QILU_FEED_WEBAPI_PATH")
    rolling = settings.getint("QILU_FEED_ROLLING_TYPE")
    urls = [(market.format(n=n, count=count), False) for n in settings.getlist("QILU_FEED_MARKET_TYPES")]
    return urls + [(webapi.format(n=n, count=count), int(n) == rolling) for n in settings.getlist("QILU_FEED_WEBAPI_TYPES")]  # fmt: skip


def check_iqilu(settings: Any, fetch: Fetch, base_url: str | None = None) -> CanaryReport:
    """iqilu.com: the first list page, then its newest article page."""
    report = CanaryReport("iqilu")
    base = (base_url or settings.get("QILU_IQILU_BASE_URL")).rstrip("/")
    url = report.list_url = base + settings.get("QILU_IQILU_LIST_PATH").format(page=1)
    try:
        text = decode(fetch(url))[0]
    except (OSError, ValueError) as error:
        report.problems.append(f"list {url}: {_why(error)}")
        return report
    try:
        entries = read_list_page(Document(text, url), MEDIUM).entries
    except ExtractError as error:
        entries, report.status = [], BROKEN
        report.problems.append(f"list {url}: unreadable ({error})")
    if not entries and report.status != BROKEN:
        report.status = BROKEN
        report.problems.append(f"list {url}: the list reader found no items")
    return _check_articles(report, entries, lambda entry: entry.web_url or "", fetch, "iqilu")


def _check_articles(
    report: CanaryReport, entries: list[ListEntry], url_of: Callable[[ListEntry], str], fetch: Fetch, spider: str
) -> CanaryReport:
    """Fetch the newest entries until one answers, and check it; the report, completed."""
    missing = [name for name in LIST_PROMISES if entries and not getattr(entries[0], name)]
    if missing:
        report.problems.append(f"list items lack {', '.join(missing)}")
        report.status = BROKEN
    newest = sorted(entries, key=lambda entry: listed_state(entry)[1] or "", reverse=True)[:ARTICLES_TRIED]
    for entry in newest:
        url = url_of(entry)
        try:
            body = fetch(url)
        except (OSError, ValueError) as error:
            report.problems.append(f"article {url}: {_why(error)}")
            continue
        report.article_url = url
        kind = FEED_TEXT if spider == "feed" else "auto"
        check_page(report, Page(url=url, body=body, kind=kind, entry=entry, spider=spider))
        return report
    return report


def check_page(report: CanaryReport, page: Page) -> None:
    """The source's own parser on the page: every promised field found, and an article made."""
    parser = _parser(report.source)
    doc = Document(decode(page.body, page.content_type)[0], page.url, page)
    problems = []
    try:
        if not parser.matches(doc):
            problems.append(f"the {parser.name} parser does not recognise the page")
        raw = parser.parse(doc)
        report.parser = raw.parser
        report.found = {name: _has(raw, name) for name in PROMISES[parser.name]}
        if missing := [name for name, there in report.found.items() if not there]:
            problems.append(f"the {parser.name} parser no longer finds: {', '.join(missing)}")
        elif not build_article(raw, page).body_text:
            problems.append("the article has no body text")
    except ExtractError as error:
        problems.append(f"the {parser.name} parser cannot read the page: {error}")
    report.problems += problems
    if report.status != BROKEN:
        report.status = BROKEN if problems else OK


def _parser(source: str) -> Parser:
    if source == "feed":
        return BY_KIND[FEED_TEXT]
    return next(parser for parser in SITE_PARSERS if parser.name == source)


def _has(raw: RawArticle, name: str) -> bool:
    value = getattr(raw, name)
    if name == "body":
        return value is not None and bool(value.strip() if isinstance(value, str) else value.text_content().strip())
    return bool(value.strip()) if isinstance(value, str) else bool(value)


CHECKS = {"feed": check_feed, "iqilu": check_iqilu}


def run_canary(sources: list[str], settings: Any, base_url: str | None = None) -> list[dict[str, Any]]:
    """Check each source; one plain report each."""
    fetch = Fetcher(
        settings.get("USER_AGENT"),
        settings.getfloat("DOWNLOAD_TIMEOUT"),
        settings.getint("DOWNLOAD_MAXSIZE"),
        obey_robots=settings.getbool("ROBOTSTXT_OBEY"),
    )
    return [asdict(CHECKS[source](settings, fetch, base_url)) for source in sources]


def exit_status(reports: list[dict[str, Any]]) -> ExitStatus:
    """5 when a parser no longer fits its site; else 4 when a source could not be checked; else 0."""
    statuses = {report["status"] for report in reports}
    if BROKEN in statuses:
        return ExitStatus.ALARM
    return ExitStatus.ERROR if UNREACHABLE in statuses else ExitStatus.OK
