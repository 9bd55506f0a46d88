"""The bundled offline demo site: the feed's endpoints in their real shapes, on 127.0.0.1.

It serves the hand-written articles in ``corpus/feed/`` (see its README) through the three list
endpoint shapes, the text endpoint and the share page of SOURCES.md §1, plus the failure cases
a real crawl meets: a list endpoint that 404s (``marketType=39``), a text endpoint that answers
500 twice and then recovers, one that 404s for good, malformed JSON, and list items with no
title or no time.  ``/__demo/edition?n=2`` switches to the corrected second edition of a few
articles, so a re-crawl sees them change; edition 3 is the second with iqilu's article pages
redesigned (:func:`~qilucrawl.demo.iqilu_pages.article_page`, ``layout="redesign"``): every page
still answers, but the iqilu parser no longer fits them — what ``qilucrawl canary`` and the
quality alarms are for.

Used by ``make demo`` / ``qilucrawl demo``, by ``qilucrawl demo-server`` and by the tests.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Self
from urllib.parse import parse_qs, urlsplit

from qilucrawl.demo.iqilu_pages import IqiluArticle, article_page, list_page, load_iqilu

CORPUS = Path(__file__).parent / "corpus"
FAILING_MARKET_TYPE = "39"  # its list endpoint answers 404
FAIL_TIMES = 2  # a "500-then-ok" article fails this many times before it is served
# The articles as first published; with the corrections of `edition2`; and those with iqilu's
# article pages in a redesigned layout.
EDITIONS = (1, 2, 3)
REDESIGN_EDITION = 3

Response = tuple[int, str, bytes, dict[str, str]]


@dataclass
class FeedArticle:
    info_code: str
    title: str
    datetime: str
    media: str
    lists: list[str]
    body_key: str
    body: str
    digest: str | None
    fault: str | None
    edition2: dict[str, Any] | None
    expect: dict[str, Any] | None

    def edition(self, number: int) -> FeedArticle:
        if number < 2 or not self.edition2:
            return self
        return FeedArticle(**{**self.__dict__, **self.edition2, "edition2": None})


def load_feed(corpus: Path = CORPUS) -> list[FeedArticle]:
    """The feed articles of a corpus folder, in file-name order."""
    fields = FeedArticle.__dataclass_fields__
    articles = []
    for path in sorted((corpus / "feed").glob("*.json")):
        data = json.loads(path.read_text(encoding="utf-8"))
        articles.append(FeedArticle(**{name: data.get(name) for name in fields}))
    return articles


class DemoSite:
    """The site's content and state; independent of HTTP so tests can inspect it."""

    def __init__(self, corpus: Path = CORPUS, edition: int = 1) -> None:
        if edition not in EDITIONS:
            raise ValueError(f"no edition {edition} of the demo site: one of {', '.join(map(str, EDITIONS))}")
        self.feed = load_feed(corpus)
        self.iqilu = load_iqilu(corpus)
        self.edition = edition
        self.hits: dict[str, int] = {}
        self.requests: list[str] = []  # every path?query served, in order
        self.user_agents: set[str] = set()
        self._lock = threading.Lock()
        self.routes: list[tuple[re.Pattern[str], Callable[[dict[str, str]], Response]]] = [
            (re.compile(r"^/robots\.txt$"), self.robots),
            (re.compile(r"^/information/newmarket/web/webapi$"), self.market_list),
            (re.compile(r"^/web/webapi$"), self.webapi_list),
            (re.compile(r"^/NewsData/GetNewsText\.do$"), self.news_text),
            (re.compile(r"^/html_News/NewsShare\.html$"), self.share_page),
            (re.compile(r"^/__demo/edition$"), self.set_edition),
            (re.compile(r"^/shandong/yuanchuang/list_564_(?P<n>\d+)\.shtml$"), self.iqilu_list),
            (re.compile(r"/(?P<id>\d{7})(?:_(?P<page>\d+))?\.shtml$"), self.iqilu_article),
        ]

    def articles(self) -> list[FeedArticle]:
        return [a.edition(self.edition) for a in self.feed]

    def text_requests(self) -> list[str]:
        """The infoCodes the text endpoint was asked for, in order (repeats included)."""
        prefix = "/NewsData/GetNewsText.do?id="
        return [r[len(prefix) :] for r in self.requests if r.startswith(prefix)]

    def handle(self, path: str, query: dict[str, str], user_agent: str = "") -> Response:
        with self._lock:
            self.requests.append(path + ("?" + "&".join(f"{k}={v}" for k, v in query.items()) if query else ""))
            self.user_agents.add(user_agent)
        for pattern, handler in self.routes:
            if match := pattern.search(path):
                return handler({**query, **{k: v for k, v in match.groupdict().items() if v}, "_path": path})
        return _text(HTTPStatus.NOT_FOUND, "not found")

    # --- routes -------------------------------------------------------------------------------

    def robots(self, query: dict[str, str]) -> Response:
        return _text(200, "User-agent: *\nDisallow: /__demo/\n")

    def market_list(self, query: dict[str, str]) -> Response:
        market = query.get("marketType", "")
        if market == FAILING_MARKET_TYPE:
            return _text(HTTPStatus.NOT_FOUND, "no such market")
        items = [
            {"infoCode": a.info_code, "title": a.title, "datetime": a.datetime, "medianame": a.media}
            for a in self._listed(f"market{market}", query)
        ]
        return _json({"record": items, "rc": 1})

    def webapi_list(self, query: dict[str, str]) -> Response:
        kind = query.get("type", "")
        listed = self._listed(f"type{kind}", query)
        if kind == "45":
            nodes = [
                {"infocode": a.info_code, "title": a.title, "showtime": a.datetime, "from": a.media} for a in listed
            ]
            return _json({"nodeList": nodes, "total": len(nodes)})
        if kind == "102":
            records = [
                {
                    "id": a.info_code[2:],
                    "infoCode": a.info_code,
                    "title": a.title,
                    "digest": a.digest or f"【{a.title}】",
                    "showtime": a.datetime,
                    "url_w": f"http://finance.eastmoney.com/a/{a.info_code[2:]}.html",
                }
                for a in listed
            ]
            return _json({"records": records})
        return _text(HTTPStatus.NOT_FOUND, "no such list")

    def news_text(self, query: dict[str, str]) -> Response:
        code = query.get("id", "")
        article = next((a for a in self.articles() if a.info_code == code), None)
        if article is None or article.fault == "404":
            return _json({"error": "not found"}, HTTPStatus.NOT_FOUND)
        if article.fault == "500-then-ok":
            with self._lock:
                self.hits[code] = self.hits.get(code, 0) + 1
                failing = self.hits[code] <= FAIL_TIMES
            if failing:
                return _text(HTTPStatus.INTERNAL_SERVER_ERROR, "internal error")
        if article.fault == "malformed":
            whole = json.dumps({article.body_key: article.body}, ensure_ascii=False)
            return 200, "application/json; charset=utf-8", whole[: len(whole) // 2].encode(), {}
        return _json({article.body_key: article.body})

    def share_page(self, query: dict[str, str]) -> Response:
        code = re.sub(r"[^A-Z0-9]", "", query.get("infoCode", ""))
        shell = (
            '<!DOCTYPE html><html><head><meta charset="utf-8"><title>东方财富网</title></head>'
            f'<body><div id="content" data-infocode="{code}"></div>'
            '<script src="/js/share.js"></script></body></html>'
        )
        return 200, "text/html; charset=utf-8", shell.encode(), {}

    def set_edition(self, query: dict[str, str]) -> Response:
        number = query.get("n", "1")
        if number not in {str(n) for n in EDITIONS}:
            return _text(HTTPStatus.BAD_REQUEST, f"no edition {number!r}: one of {', '.join(map(str, EDITIONS))}")
        self.edition = int(number)
        with self._lock:
            self.hits.clear()
        return _text(200, f"edition {self.edition}")

    def iqilu_list(self, query: dict[str, str]) -> Response:
        page = list_page(self.iqilu, int(query["n"]))
        if page is None:
            return _text(HTTPStatus.NOT_FOUND, "no such page")
        return _html(page, "utf-8")

    def iqilu_article(self, query: dict[str, str]) -> Response:
        article = next((a for a in self.iqilu if a.id == query["id"]), None)
        number = int(query.get("page", "1"))
        if article is None or query["_path"] != article.path(number):
            return _text(HTTPStatus.NOT_FOUND, "no such article")
        if (fault := self._iqilu_fault(article, number)) is not None:
            return fault
        page = article_page(article, number, "redesign" if self.edition >= REDESIGN_EDITION else "classic")
        return _html(page, article.encoding) if page else _text(HTTPStatus.NOT_FOUND, "no such page")

    def _iqilu_fault(self, article: IqiluArticle, number: int) -> Response | None:
        if article.fault == "redirect-offsite":
            return 302, "text/html", b"", {"Location": f"http://elsewhere.invalid/{article.id}.html"}
        limits = {"500-then-ok": (FAIL_TIMES, HTTPStatus.INTERNAL_SERVER_ERROR), "429-retry-after": (1, 429)}
        if article.fault not in limits or number != 1:
            return None
        times, status = limits[article.fault]
        with self._lock:
            self.hits[article.id] = self.hits.get(article.id, 0) + 1
            failing = self.hits[article.id] <= times
        if not failing:
            return None
        return int(status), "text/plain", b"try again", {"Retry-After": "1"} if status == 429 else {}

    def _listed(self, name: str, query: dict[str, str]) -> list[FeedArticle]:
        listed = [a for a in self.articles() if name in a.lists]
        listed.sort(key=lambda a: a.datetime or "", reverse=True)  # newest first, like the feed
        count = query.get("count", "")
        return listed[: int(count)] if count.isdigit() else listed


def _json(payload: Any, status: int = 200) -> Response:
    return status, "application/json; charset=utf-8", json.dumps(payload, ensure_ascii=False).encode(), {}


def _html(page: str, encoding: str) -> Response:
    """A page in its encoding; GBK pages declare gb2312, as old Chinese sites do."""
    charset = "gb2312" if encoding.lower() in ("gbk", "gb2312", "gb18030") else "utf-8"
    codec = "gbk" if charset == "gb2312" else "utf-8"
    body = page.replace("{charset}", charset).encode(codec, errors="xmlcharrefreplace")
    return 200, f"text/html; charset={charset}", body, {}


def _text(status: int, text: str) -> Response:
    return int(status), "text/plain; charset=utf-8", text.encode(), {}


class _Handler(BaseHTTPRequestHandler):
    site: DemoSite
    server_version = "qilucrawl-demo/1"

    def do_GET(self) -> None:
        parts = urlsplit(self.path)
        query = {k: v[0] for k, v in parse_qs(parts.query).items()}
        agent = self.headers.get("User-Agent", "")
        status, content_type, body, headers = self.site.handle(parts.path, query, agent)
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for name, value in headers.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:  # quiet: the crawler logs
        pass


class DemoServer:
    """The demo site on ``127.0.0.1:<port>`` (0 = a free port), served from a thread."""

    def __init__(self, port: int = 0, site: DemoSite | None = None) -> None:
        self.site = site or DemoSite()
        handler = type("Handler", (_Handler,), {"site": self.site})
        self.httpd = ThreadingHTTPServer(("127.0.0.1", port), handler)
        self.httpd.daemon_threads = True
        self._thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self.httpd.server_address[:2]
        return f"http://{host!s}:{port}"

    def start(self) -> Self:
        self._thread.start()
        return self

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
