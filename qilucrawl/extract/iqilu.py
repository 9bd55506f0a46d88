"""iqilu.com (齐鲁网) article pages, and the two URL facts the iqilu spider needs.

Article URLs are ``/<channel>/<sub>/YYYY/MMDD/<id>.shtml`` (older) or
``/<channel>/YYYYMMDD/<id>.shtml`` (newer); a long article continues at ``<id>_2.shtml``,
``<id>_3.shtml`` … linked from a pager.  The page marks its fields for Baidu's news crawler
(``span#pubtime_baidu``, ``#author_baidu``, ``#source_baidu``); the body is ``div#context``
(older) or ``div.article-main`` (newer), followed by a QR-code share block and a 责任编辑 line.
Most of that markup is unverified against a real page (SOURCES.md §2), so selectors fall back
in turn and the pager is recognised by where its links point rather than by its class.
"""

from __future__ import annotations

import copy
import re
from urllib.parse import urldefrag, urljoin, urlsplit

import lxml.etree
import lxml.html

from qilucrawl.clean.boilerplate import drop_noise_containers
from qilucrawl.extract.base import Document, Found, Landmarks, first_text, select
from qilucrawl.items import RawArticle

NAME = "iqilu"
VERSION = "V1_1"  # layout V1, revision 1 (see extract.PARSER_VERSIONS)
HOST = "iqilu.com"

# /2014/0923/2145678.shtml, /20231012/5512345.shtml, and _2, _3 … for continuation pages.
_ARTICLE_PATH = re.compile(r"/(?:\d{4}/\d{4}|\d{8})/(?P<id>\d+)(?:_(?P<page>\d+))?\.s?html?$")
# A mirror keeps the Baidu field ids and names the site somewhere on the page.
_FIELD_MARKER = re.compile(r"""id\s*=\s*["']?pubtime_baidu\b""")
_SITE_MARKER = re.compile(r"iqilu\.com|齐鲁网")
# Pager containers that say so; others are found by their links (see _drop_pager).
_PAGER = re.compile(r"(?:^|\s)(?:pages?|pager|paging|fenye|page-?box)(?:$|\s)", re.IGNORECASE)
_PAGER_TEXT_MAX = 60  # a pager line is "上一页 1 2 3 下一页", never a paragraph
_LOGO = re.compile(r"logo", re.IGNORECASE)


def iqilu_article_id(url: str) -> str | None:
    """The article id of an iqilu article URL (a continuation page's too), else None."""
    match = _ARTICLE_PATH.search(urlsplit(url).path)
    return match["id"] if match else None


def is_continuation(url: str) -> bool:
    """Whether ``url`` is a later page (``_2``, ``_3`` …) of a multi-page article."""
    match = _ARTICLE_PATH.search(urlsplit(url).path)
    return bool(match and match["page"])


def iqilu_info_code(article_id: str) -> str:
    """An iqilu article's info_code: ``IQ`` + its article id zero-padded to 18 digits
    (``…/5012345.shtml`` -> ``IQ000000000005012345``) — stable, derived from the id alone, and
    of the same shape as the feed's infoCodes."""
    return f"IQ{int(article_id):018d}"


def _article_page(url: str) -> tuple[str, int] | None:
    """(path up to the id, page number) of an article URL; the first page is number 1."""
    path = urlsplit(url).path
    match = _ARTICLE_PATH.search(path)
    if match is None:
        return None
    return path[: match.end("id")], int(match["page"] or 1)


def continuation_urls(doc: Document) -> list[str]:
    """Absolute URLs of this article's other pages numbered 2 and up, in page order."""
    here = _article_page(doc.url or "")
    if here is None:
        return []
    found: dict[int, str] = {}
    for href in doc.tree.xpath("//a/@href"):
        url = urldefrag(urljoin(doc.url or "", str(href).strip())).url
        page = _article_page(url)
        if page and page[0] == here[0] and page[1] >= 2 and page[1] != here[1]:
            found.setdefault(page[1], url)
    return [found[number] for number in sorted(found)]


class IqiluParser:
    """iqilu.com article pages (and mirrors that keep the Baidu field ids)."""

    name = NAME
    versions = (VERSION,)
    _title = lxml.etree.XPath("//h1")
    _og_title = lxml.etree.XPath("//meta[@property='og:title' or @name='og:title']/@content")
    _page_title = lxml.etree.XPath("//title")
    _landmarks = Landmarks(
        "#pubtime_baidu", "#author_baidu", "#source_baidu", "#context", ".subtitle", ".sub-title", ".article-main"
    )
    # div#context holds the paragraphs on older pages; newer ones have only div.article-main.
    _bodies = ("#context", ".article-main")

    def matches(self, doc: Document) -> bool:
        if doc.page is not None and doc.page.spider == NAME:
            return True  # fetched from iqilu.com's lists (or a mirror of them): its layout is read by markup
        host = (urlsplit(doc.url or "").hostname or "").lower()
        if host == HOST or host.endswith("." + HOST):
            return True
        return bool(_FIELD_MARKER.search(doc.text) and _SITE_MARKER.search(doc.text))

    def parse(self, doc: Document) -> RawArticle:
        root = doc.tree
        found = self._landmarks(root)
        author = found.text("#author_baidu")
        return RawArticle(
            parser=f"{NAME}/{VERSION}",
            body=self._body(found, doc.url),
            title=self._title_text(root),
            subtitle=found.text(".subtitle", ".sub-title"),
            published=found.text("#pubtime_baidu"),
            authors=[author] if author else [],
            source=found.text("#source_baidu"),
            base_url=doc.url,
            info_code=iqilu_info_code(article_id) if (article_id := iqilu_article_id(doc.url or "")) else None,
        )

    def _title_text(self, root: lxml.html.HtmlElement) -> str | None:
        # Site headers often wrap the logo in an h1 too.
        for heading in select(self._title, root):
            text = heading.text_content()
            if text.strip() and not _in_logo(heading):
                return str(text)
        return first_text(root, self._og_title, self._page_title)

    def _body(self, found: Found, url: str | None) -> lxml.html.HtmlElement | None:
        for landmark in self._bodies:
            if elements := found.all(landmark):
                # A copy: the generic fallback may still need the untouched tree.
                body = copy.deepcopy(elements[0])
                body.tail = None  # text after the body element is not the article
                drop_noise_containers(body)
                _drop_pager(body, url)
                return body
        return None


def _in_logo(element: lxml.html.HtmlElement) -> bool:
    nodes = [element, *element.iterancestors()]
    return any(_LOGO.search(" ".join((n.get("class") or "", n.get("id") or ""))) for n in nodes)


def _drop_pager(body: lxml.html.HtmlElement, url: str | None) -> None:
    """Remove the pager: containers named for it, short blocks linking to the article's pages."""
    here = _article_page(url or "")
    doomed = []
    for element in body.iter():
        if not isinstance(element.tag, str) or element is body:
            continue
        if _PAGER.search(" ".join((element.get("class") or "", element.get("id") or ""))):
            doomed.append(element)
        elif element.tag == "a" and here is not None and _is_link(element.get("href")):
            target = _article_page(urljoin(url or "", element.get("href") or ""))
            if target is not None and target[0] == here[0]:
                doomed.append(_pager_block(element, body))
    for element in doomed:
        if element is not body and element.getparent() is not None:
            element.drop_tree()


def _is_link(href: str | None) -> bool:
    """A link to some page: not a missing or empty href, an anchor (``#top``) or script."""
    href = (href or "").strip()
    return bool(href) and not href.startswith("#") and not href.lower().startswith(("javascript:", "data:"))


def _pager_block(link: lxml.html.HtmlElement, body: lxml.html.HtmlElement) -> lxml.html.HtmlElement:
    """The largest short block around a page link, below the body itself."""
    block = link
    for parent in link.iterancestors():
        if parent is body or len(parent.text_content().strip()) > _PAGER_TEXT_MAX:
            break
        block = parent
    return block
