"""Eastmoney (东方财富网) article pages, in the two layouts the site has used.

V1, the older layout: ``div.newsContent`` holding the ``h1``, ``div.time``, the source, an
abstract in ``div.b-review`` and the body ``div#ContentBody.Body``.  V2, the newer one: time,
source (and sometimes author) as ``div.infos > div.item`` and the body
``div.txtinfos#ContentBody``.  The version is picked by the markup present, not by date:
mirrors serve both layouts today and no saved page says when the site switched.  The markup
is unverified against real pages (SOURCES.md §1), so every selector tolerates class order,
extra wrappers and missing parts, and a page without ``#ContentBody`` is left to the generic
extractor.  Trailing ``（文章来源：…）``, ``（责任编辑：DF…）`` and ``原标题：`` lines stay in
the body: :mod:`qilucrawl.clean.boilerplate` reads and removes them.
"""

from __future__ import annotations

import copy
import re
from urllib.parse import urlsplit

import lxml.etree
import lxml.html

from qilucrawl.clean.boilerplate import drop_noise_containers
from qilucrawl.extract.base import Document, RawArticle, first_text, has_class, xpaths

NAME = "eastmoney"
HOST = "eastmoney.com"

# Cheap markers of an Eastmoney article served from another host (a mirror).
_BODY_MARKER = re.compile(r"""id\s*=\s*["']?ContentBody\b""")
_LAYOUT_MARKER = re.compile(
    r"<title[^>]*>[^<]*_东方财富网|class\s*=\s*[\"'][^\"']*\b(?:newsContent|txtinfos)\b"
)
# An infos item that holds the publish time: "2026年08月19日 17:46" or "2026-08-19 17:46".
_DATE_ITEM = re.compile(r"(?:19|20)\d\d\s*[年/-]")
_SOURCE_ITEM = re.compile("来源")
_AUTHOR_ITEM = re.compile("作者")


_ARTICLE_NUMBER = re.compile(r"(?<!\d)(\d{18})(?!\d)")


def info_code_from_url(url: str | None) -> str | None:
    """Eastmoney article URLs carry the infoCode's 18 digits (``/a/202202202282305213.html``,
    ``NewsShare.html?infoCode=NW…``): the article is ``NW`` + those digits."""
    match = _ARTICLE_NUMBER.search(url or "")
    return f"NW{match.group(1)}" if match else None


class _Layout:
    """What both layouts share: body, abstract and the title fallbacks."""

    version = ""
    _title: tuple[lxml.etree.XPath, ...] = ()
    _fallback_title = xpaths("//meta[@property='og:title' or @name='og:title']/@content", "//title")
    _body = lxml.etree.XPath("//*[@id='ContentBody']")
    _summary = xpaths(
        f"//*[{has_class('b-review')}]", f"//*[{has_class('abstract')}]//*[{has_class('txt')}]"
    )

    def parse(self, doc: Document) -> RawArticle:
        root = doc.tree
        return RawArticle(
            parser=f"{NAME}/{self.version}",
            body=self.body(root),
            title=first_text(root, *self._title) or first_text(root, *self._fallback_title),
            published=self.published(root),
            authors=self.authors(root),
            source=self.source(root),
            summary=first_text(root, *self._summary),
            base_url=doc.url,
            info_code=info_code_from_url(doc.url),
        )

    def body(self, root: lxml.html.HtmlElement) -> lxml.html.HtmlElement | None:
        found = self._body(root)
        if not found:
            return None
        # A copy: the generic fallback may still need the untouched tree.
        body = copy.deepcopy(found[0])
        body.tail = None  # text after the body element is not the article
        drop_noise_containers(body)
        return body

    def published(self, root: lxml.html.HtmlElement) -> str | None:
        raise NotImplementedError

    def source(self, root: lxml.html.HtmlElement) -> str | None:
        raise NotImplementedError

    def authors(self, root: lxml.html.HtmlElement) -> list[str]:
        raise NotImplementedError


class V1(_Layout):
    """Older layout: ``div.newsContent`` with ``h1``, ``div.time``, ``div.source``."""

    version = "V1"
    _title = xpaths(f"//*[{has_class('newsContent')}]//h1", "//h1")
    # Inside the article header first; a page whose header lost its wrapper still has the divs.
    _time = xpaths(
        f"//*[{has_class('newsContent')}]//*[{has_class('time')}]", f"//div[{has_class('time')}]"
    )
    _source = xpaths(
        f"//*[{has_class('newsContent')}]//*[{has_class('source')}]",
        f"//*[{has_class('newsContent')}]//*[@data-source]/@data-source",
        f"//div[{has_class('source')}]",
    )
    _author = xpaths(f"//*[{has_class('newsContent')}]//*[{has_class('author')}]")

    def published(self, root: lxml.html.HtmlElement) -> str | None:
        return first_text(root, *self._time)

    def source(self, root: lxml.html.HtmlElement) -> str | None:
        return first_text(root, *self._source)

    def authors(self, root: lxml.html.HtmlElement) -> list[str]:
        author = first_text(root, *self._author)
        return [author] if author else []


class V2(_Layout):
    """Newer layout: ``div.infos > div.item`` lines and ``div.txtinfos#ContentBody``."""

    version = "V2"
    # The newer layout shows the title in a div just above the infos line, or in an h1.
    _title = xpaths(
        f"//*[{has_class('infos')}]/preceding-sibling::*[{has_class('title')}]",
        f"//*[{has_class('infos')}]/preceding-sibling::h1",
        "//h1",
    )
    _items = lxml.etree.XPath(f"//*[{has_class('infos')}]//*[{has_class('item')}]")

    def _item(self, root: lxml.html.HtmlElement, wanted: re.Pattern[str]) -> str | None:
        """The item ``wanted`` finds, from where it matched: one item may hold several fields."""
        for element in self._items(root):
            text = element.text_content()
            if match := wanted.search(text):
                return text[match.start() :]
        return None

    def published(self, root: lxml.html.HtmlElement) -> str | None:
        return self._item(root, _DATE_ITEM)

    def source(self, root: lxml.html.HtmlElement) -> str | None:
        return self._item(root, _SOURCE_ITEM)

    def authors(self, root: lxml.html.HtmlElement) -> list[str]:
        author = self._item(root, _AUTHOR_ITEM)
        return [author] if author else []


_V2_MARKER = lxml.etree.XPath(
    f"boolean(//*[{has_class('txtinfos')}] | //*[{has_class('infos')}])"
)


class EastmoneyParser:
    """Eastmoney article pages on eastmoney.com or a mirror; V1 or V2 by the markup."""

    name = NAME
    versions = ("V1", "V2")
    _layouts = {"V1": V1(), "V2": V2()}

    def matches(self, doc: Document) -> bool:
        host = (urlsplit(doc.url or "").hostname or "").lower()
        if host == HOST or host.endswith("." + HOST):
            return True
        return bool(_BODY_MARKER.search(doc.text) and _LAYOUT_MARKER.search(doc.text))

    def parse(self, doc: Document) -> RawArticle:
        return self.layout(doc).parse(doc)

    def layout(self, doc: Document) -> _Layout:
        return self._layouts["V2" if _V2_MARKER(doc.tree) else "V1"]
