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
from typing import ClassVar
from urllib.parse import urlsplit

import lxml.etree
import lxml.html

from qilucrawl.clean.boilerplate import drop_noise_containers
from qilucrawl.extract.base import (
    Document,
    Found,
    Landmarks,
    first_text,
    select,
    text_of_first,
    xpaths,
)
from qilucrawl.items import RawArticle

NAME = "eastmoney"
HOST = "eastmoney.com"

# Cheap markers of an Eastmoney article served from another host (a mirror).
_BODY_MARKER = re.compile(r"""id\s*=\s*["']?ContentBody\b""")
_LAYOUT_MARKER = re.compile(r"<title[^>]*>[^<]*_东方财富网|class\s*=\s*[\"'][^\"']*\b(?:newsContent|txtinfos)\b")
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
    _fallback_title = xpaths("//h1", "//meta[@property='og:title' or @name='og:title']/@content", "//title")

    def parse(self, doc: Document, found: Found) -> RawArticle:
        root = doc.tree
        return RawArticle(
            parser=f"{NAME}/{self.version}",
            body=self.body(found),
            title=self.title(found) or first_text(root, *self._fallback_title),
            published=self.published(found),
            authors=self.authors(found),
            source=self.source(found),
            summary=found.text(".b-review") or found.text(".txt", inside=".abstract"),
            base_url=doc.url,
            info_code=info_code_from_url(doc.url),
        )

    def body(self, found: Found) -> lxml.html.HtmlElement | None:
        elements = found.all("#ContentBody")
        if not elements:
            return None
        # A copy: the generic fallback may still need the untouched tree.
        body = copy.deepcopy(elements[0])
        body.tail = None  # text after the body element is not the article
        drop_noise_containers(body)
        return body

    def title(self, found: Found) -> str | None:
        raise NotImplementedError

    def published(self, found: Found) -> str | None:
        raise NotImplementedError

    def source(self, found: Found) -> str | None:
        raise NotImplementedError

    def authors(self, found: Found) -> list[str]:
        raise NotImplementedError


class V1(_Layout):
    """Older layout: ``div.newsContent`` with ``h1``, ``div.time``, ``div.source``."""

    version = "V1_1"
    _data_source = lxml.etree.XPath(".//*[@data-source]/@data-source")

    def title(self, found: Found) -> str | None:
        return text_of_first(h1 for header in found.all(".newsContent") for h1 in header.iter("h1"))

    # Inside the article header first; a page whose header lost its wrapper still has the divs.
    def published(self, found: Found) -> str | None:
        return found.text(".time", inside=".newsContent") or text_of_first(_divs(found.all(".time")))

    def source(self, found: Found) -> str | None:
        return (
            found.text(".source", inside=".newsContent")
            or text_of_first(
                value for header in found.all(".newsContent") for value in select(self._data_source, header)
            )
            or text_of_first(_divs(found.all(".source")))
        )

    def authors(self, found: Found) -> list[str]:
        author = found.text(".author", inside=".newsContent")
        return [author] if author else []


class V2(_Layout):
    """Newer layout: ``div.infos > div.item`` lines and ``div.txtinfos#ContentBody``."""

    version = "V2_1"

    def title(self, found: Found) -> str | None:
        # The title sits in a div just above the infos line, or in an h1 there.
        above = [e for infos in found.all(".infos") for e in reversed(list(infos.itersiblings(preceding=True)))]
        return text_of_first(e for e in above if "title" in (e.get("class") or "").split()) or text_of_first(
            e for e in above if e.tag == "h1"
        )

    def _item(self, found: Found, wanted: re.Pattern[str]) -> str | None:
        """The item ``wanted`` finds, from where it matched: one item may hold several fields."""
        for element in found.all(".item", inside=".infos"):
            text = element.text_content()
            if match := wanted.search(text):
                return text[match.start() :]
        return None

    def published(self, found: Found) -> str | None:
        return self._item(found, _DATE_ITEM)

    def source(self, found: Found) -> str | None:
        return self._item(found, _SOURCE_ITEM)

    def authors(self, found: Found) -> list[str]:
        author = self._item(found, _AUTHOR_ITEM)
        return [author] if author else []


def _divs(elements: list[lxml.html.HtmlElement]) -> list[lxml.html.HtmlElement]:
    return [e for e in elements if e.tag == "div"]


_LANDMARKS = Landmarks(
    "#ContentBody",
    ".newsContent",
    ".time",
    ".source",
    ".author",
    ".b-review",
    ".abstract",
    ".txt",
    ".infos",
    ".item",
    ".txtinfos",
)


class EastmoneyParser:
    """Eastmoney article pages on eastmoney.com or a mirror; V1 or V2 by the markup."""

    name = NAME
    _layouts: ClassVar[dict[str, _Layout]] = {"V1": V1(), "V2": V2()}
    versions = tuple(layout.version for layout in _layouts.values())

    def matches(self, doc: Document) -> bool:
        host = (urlsplit(doc.url or "").hostname or "").lower()
        if host == HOST or host.endswith("." + HOST):
            return True
        return bool(_BODY_MARKER.search(doc.text) and _LAYOUT_MARKER.search(doc.text))

    def parse(self, doc: Document) -> RawArticle:
        found = _LANDMARKS(doc.tree)
        return self.layout(found).parse(doc, found)

    def layout(self, found: Found) -> _Layout:
        return self._layouts["V2" if found.all(".txtinfos", ".infos") else "V1"]
