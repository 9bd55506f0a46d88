"""What every parser returns, and what it is given.

A parser only finds things: it returns raw strings and the body's HTML.  Turning them into an
:class:`~qilucrawl.items.Article` (dates, names, boilerplate, sanitizing) is
:func:`qilucrawl.clean.article.build_article`'s job, the same for every parser.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, Protocol

import lxml.etree
import lxml.html

from qilucrawl.clean.html import UTF8_PARSER
from qilucrawl.clean.text import xml_safe
from qilucrawl.items import Image, Page


class ExtractError(Exception):
    """A page that cannot become an article; the message says why, for the failures table."""


@dataclass(slots=True)
class RawArticle:
    """Fields as a parser found them, before cleaning."""

    parser: str  # "<parser>/<version>", e.g. "eastmoney/V2"
    body: str | lxml.html.HtmlElement | None  # HTML of the body (a fragment or an element)
    title: str | None = None
    subtitle: str | None = None
    published: str | None = None  # as the page writes it
    authors: list[str] = field(default_factory=list)  # raw, e.g. "作者：张三"
    source: str | None = None  # raw, e.g. "来源：齐鲁网"
    original_title: str | None = None
    summary: str | None = None
    images: list[Image] = field(default_factory=list)  # images outside the body (lead image)
    flags: list[str] = field(default_factory=list)
    base_url: str | None = None  # for relative links in the body
    # Leading body lines the parser knows are not content (it read them as title, byline …).
    known_lines: list[str] = field(default_factory=list)
    # The article's infoCode when the page itself names it (a Jekyll post); the list entry's wins.
    info_code: str | None = None
    rolling: bool = False  # the page says it is a rolling-feed item (no named medium)


class Document:
    """A decoded page, parsed at most once however many parsers look at it."""

    def __init__(self, text: str, url: str | None, page: Page | None = None) -> None:
        self.text = text
        self.url = url
        self.page = page

    @cached_property
    def tree(self) -> lxml.html.HtmlElement:
        # lxml refuses str input that declares an encoding; the text is already decoded.
        # Control characters the parser lets through make later lxml edits (drop_tree) raise.
        cleaned = xml_safe(self.text)
        if not cleaned.strip():
            raise ExtractError("empty page")
        try:
            return lxml.html.document_fromstring(cleaned.encode("utf-8"), parser=UTF8_PARSER)
        except Exception as error:  # lxml raises several unrelated types on hostile input
            raise ExtractError(f"unparseable HTML: {error}") from error




class Parser(Protocol):
    """One kind of page.  ``matches`` must be cheap; ``parse`` may raise ExtractError."""

    name: str

    def matches(self, doc: Document) -> bool: ...

    def parse(self, doc: Document) -> RawArticle: ...


# --- selector helpers shared by the site parsers ----------------------------------------------


def has_class(name: str) -> str:
    """XPath predicate for one class among several, in any order."""
    return f"contains(concat(' ', normalize-space(@class), ' '), ' {name} ')"


def xpaths(*expressions: str) -> tuple[lxml.etree.XPath, ...]:
    """Selectors tried in turn, most specific first (an XPath union would not keep that order)."""
    return tuple(lxml.etree.XPath(expression) for expression in expressions)


def first_text(root: lxml.html.HtmlElement, *paths: lxml.etree.XPath) -> str | None:
    """Text of the first element (or attribute) found that has any; paths tried in turn."""
    for path in paths:
        if (text := text_of_first(path(root))) is not None:
            return text
    return None


def text_of_first(found: Iterable[Any]) -> str | None:
    """Text of the first of these elements (or attribute values) that has any."""
    for item in found:
        text = item if isinstance(item, str) else item.text_content()
        if text.strip():
            return str(text)
    return None
