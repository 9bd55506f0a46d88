"""What every parser returns, and what it is given.

A parser only finds things: it returns raw strings and the body's HTML (a
:class:`~qilucrawl.items.RawArticle`).  Turning them into an
:class:`~qilucrawl.items.Article` (dates, names, boilerplate, sanitizing) is
:func:`qilucrawl.clean.article.build_article`'s job, the same for every parser.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import cached_property
from typing import Any, Protocol, cast

import lxml.etree
import lxml.html

from qilucrawl.clean.markup import parse_document
from qilucrawl.clean.text import xml_safe
from qilucrawl.items import ExtractError, Page, RawArticle


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
            return parse_document(cleaned)
        except Exception as error:  # lxml raises several unrelated types on hostile input
            raise ExtractError(f"unparseable HTML: {error}") from error


class Parser(Protocol):
    """One kind of page.  ``matches`` must be cheap; ``parse`` may raise ExtractError."""

    name: str

    @property
    def versions(self) -> tuple[str, ...]:
        """ "V<layout>_<revision>", one per layout it reads."""
        ...

    def matches(self, doc: Document) -> bool: ...

    def parse(self, doc: Document) -> RawArticle: ...


# --- selector helpers shared by the site parsers ----------------------------------------------


class Landmarks:
    """The elements a site parser reads, named ``#id`` or ``.class``, found in one pass.

    An XPath call walks the whole page however little it finds: a parser asking one per field
    walked it a dozen times, more than the parse itself cost.  This walks it once, collecting
    every ``id`` and ``class`` value, and the parser picks its fields from what was found, in
    page order.
    """

    def __init__(self, *names: str) -> None:
        self._ids = {name[1:] for name in names if name.startswith("#")}
        self._classes = {name[1:] for name in names if name.startswith(".")}

    # Attribute values, not elements: libxml2 tests a predicate on every node slowly, and an
    # element proxy costs more than a string; only the elements named are made into proxies.
    _values = lxml.etree.XPath("//@id | //@class")

    def __call__(self, root: lxml.html.HtmlElement) -> Found:
        named: dict[str, list[tuple[int, lxml.html.HtmlElement]]] = {}
        for position, value in enumerate(select(self._values, root)):
            if value.attrname == "id":
                if value in self._ids:
                    named.setdefault(f"#{value}", []).append((position, value.getparent()))
            elif tokens := self._classes.intersection(value.split()):
                element = value.getparent()
                for token in tokens:
                    named.setdefault(f".{token}", []).append((position, element))
        return Found(named)


class Found:
    """What :class:`Landmarks` found on one page."""

    def __init__(self, named: dict[str, list[tuple[int, lxml.html.HtmlElement]]]) -> None:
        self._named = named

    def all(self, *names: str, inside: str | None = None) -> list[lxml.html.HtmlElement]:
        """Elements with any of these names, in page order; only those within an ``inside``
        element when given (the CSS descendant selector ``inside name``)."""
        found = sorted((pair for name in names for pair in self._named.get(name, ())), key=lambda pair: pair[0])
        elements = list(dict.fromkeys(element for _, element in found))  # one element, two names
        if inside is None:
            return elements
        containers = self.all(inside)
        return [e for e in elements if any(a in containers for a in e.iterancestors())]

    def text(self, *names: str, inside: str | None = None) -> str | None:
        """Text of the first of those elements that has any."""
        return text_of_first(self.all(*names, inside=inside))


def select(path: lxml.etree.XPath, root: lxml.html.HtmlElement) -> list[Any]:
    """What a compiled XPath of element or attribute nodes finds (typed for the checker)."""
    return cast("list[Any]", path(root))


def xpaths(*expressions: str) -> tuple[lxml.etree.XPath, ...]:
    """Selectors tried in turn, most specific first (an XPath union would not keep that order)."""
    return tuple(lxml.etree.XPath(expression) for expression in expressions)


def first_text(root: lxml.html.HtmlElement, *paths: lxml.etree.XPath) -> str | None:
    """Text of the first element (or attribute) found that has any; paths tried in turn."""
    for path in paths:
        if (text := text_of_first(select(path, root))) is not None:
            return text
    return None


def text_of_first(found: Iterable[Any]) -> str | None:
    """Text of the first of these elements (or attribute values) that has any."""
    for item in found:
        text = item if isinstance(item, str) else item.text_content()
        if text.strip():
            return str(text)
    return None
