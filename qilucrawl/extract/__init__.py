"""Which parser reads a page, and the one entry point: :func:`extract`.

Pages are matched by kind (feed JSON, plain text, Jekyll post, web page) and, for web pages,
by site: each site parser says whether it recognises the page, and the generic extractor reads
any other page — or a recognised one whose site parser found no body.  The later pages of a
multi-page article (``Page.continuations``) are read by the parser that read the first one, and
their bodies appended to its body in order.
"""

from __future__ import annotations

import json
import re

import lxml.html

from qilucrawl.clean.article import build_article
from qilucrawl.clean.encoding import decode
from qilucrawl.clean.html import image_url
from qilucrawl.clean.markup import parse_fragment
from qilucrawl.extract.base import Document, Parser
from qilucrawl.extract.eastmoney import EastmoneyParser
from qilucrawl.extract.feed_text import FeedTextParser
from qilucrawl.extract.generic import GenericParser
from qilucrawl.extract.iqilu import IqiluParser
from qilucrawl.extract.jekyll_post import JekyllParser
from qilucrawl.extract.plain_text import PlainTextParser
from qilucrawl.items import (
    AUTO,
    FEED_TEXT,
    FLAG_CONTINUATION_UNREADABLE,
    FLAG_MULTI_PAGE,
    HTML,
    JEKYLL,
    PLAIN_TEXT,
    Article,
    ExtractError,
    Page,
    RawArticle,
)

__all__ = ["ExtractError", "RawArticle", "detect_kind", "extract", "extract_raw"]

# Web-page parsers, most specific first; GENERIC reads whatever none of them claims.
SITE_PARSERS: list[Parser] = [EastmoneyParser(), IqiluParser()]
GENERIC: Parser | None = GenericParser()
BY_KIND: dict[str, Parser] = {
    FEED_TEXT: FeedTextParser(),
    PLAIN_TEXT: PlainTextParser(),
    JEKYLL: JekyllParser(),
}
# Quality flags of an article read from several pages.


FRAGMENT_VERSION = "V1_1"  # a bare body fragment given to `qilucrawl parse`


# Parser versions, fundus-style: "<parser>/V<layout>_<revision>".  A layout is a page design
# the parser reads (Eastmoney's V1 and V2); the revision is bumped whenever what the parser puts
# out changes — its own rules or the cleaning every parser shares — so that `qilucrawl
# reprocess --outdated` re-cleans exactly the articles an older revision read.
def parser_versions() -> dict[str, str]:
    """Today's version of every parser and layout: ``{"eastmoney/V2": "eastmoney/V2_1", …}``."""
    parsers: list[Parser] = [*SITE_PARSERS, *BY_KIND.values(), *([GENERIC] if GENERIC else [])]
    current = {f"{p.name}/{v}": f"{p.name}/{v}" for p in parsers for v in p.versions}
    current[f"fragment/{FRAGMENT_VERSION}"] = f"fragment/{FRAGMENT_VERSION}"
    return {_layout(label): label for label in current}


def is_outdated(parser: str | None) -> bool:
    """Whether a stored article's ``parser`` ("iqilu/V1_1", "iqilu/V1+generic/V1") names a
    revision older than today's (a version without a revision is revision 0)."""
    if not parser:
        return True
    today = parser_versions()
    return any(today.get(_layout(part), part) != part for part in parser.split("+"))


def _layout(label: str) -> str:
    """ "eastmoney/V2_1" -> "eastmoney/V2" """
    name, _, version = label.partition("/")
    return f"{name}/{version.split('_', 1)[0]}"


def register_site_parser(parser: Parser) -> None:
    SITE_PARSERS.append(parser)


def detect_kind(text: str) -> str:
    """Guess what a saved page is from its content: feed JSON, Jekyll post, HTML or plain text."""
    head = text.lstrip("\ufeff \t\r\n")[:4096]
    if head[:1] in ("{", "["):
        return FEED_TEXT
    if head.startswith("---") and "\n" in head and ("title:" in head or "layout:" in head):
        return JEKYLL
    lowered = head.lower()
    if "<html" in lowered or "<body" in lowered or "<head" in lowered or "<!doctype" in lowered:
        return HTML
    if any(tag in lowered for tag in ("<p", "<div", "<br", "<img", "<span", "<table")):
        return FEED_TEXT  # a bare body fragment reads like the text endpoint's `text`
    return PLAIN_TEXT


def extract_raw(page: Page) -> RawArticle:
    """Decode the page and let the matching parser find its fields."""
    if not page.body.strip():
        empty = "empty response (no bytes)" if not page.body else "empty response (only whitespace)"
        raise ExtractError(f"malformed JSON: {empty}" if page.kind == FEED_TEXT else empty)
    doc = (
        page.parsed
        if isinstance(page.parsed, Document)
        else Document(decode(page.body, page.content_type)[0], page.url, page)
    )
    text = doc.text
    if (what := binary_kind(page.body, text)) is not None:
        raise ExtractError(f"binary data, not text ({what}, {len(page.body)} bytes)")
    detected = detect_kind(text)
    kind = page.kind if page.kind != AUTO else detected
    if kind == FEED_TEXT and text.lstrip("\ufeff \t\r\n")[:1] not in ("{", "[") and not _json_scalar(text):
        if detected == HTML:  # an error or login page where the text endpoint's JSON should be
            raise ExtractError("an HTML page where the text endpoint's JSON was expected")
        if page.kind == FEED_TEXT:  # fetched from the text endpoint, which answers JSON
            shown = " ".join(text.split())[:60]
            raise ExtractError(f"malformed JSON: the text endpoint answered text, not JSON ({shown!r})")
        return _fragment(doc)  # a saved body fragment given to `qilucrawl parse`
    if kind in BY_KIND:
        return BY_KIND[kind].parse(doc)
    if kind == HTML:
        return _web_page(doc)
    raise ExtractError(f"no parser for pages of kind {kind!r}")


def extract(page: Page) -> Article:
    """Page -> Article, or ExtractError saying why not."""
    try:
        return build_article(extract_raw(page), page)
    finally:
        page.parsed = None  # the article keeps its page for the raw bytes, not the parsed tree


# Magic numbers of binary formats a server may send where a page was expected.
_MAGIC = (
    (b"\x89PNG", "PNG image"), (b"GIF87a", "GIF image"), (b"GIF89a", "GIF image"),
    (b"\xff\xd8\xff", "JPEG image"), (b"%PDF-", "PDF document"), (b"PK\x03\x04", "ZIP archive"),
    (b"\x1f\x8b", "gzip data"), (b"\xfd7zXZ", "xz data"), (b"\x7fELF", "executable"),
)  # fmt: skip
_CONTROL = re.compile(r"[\x00-\x08\x0e-\x1f\x7f\ufffd]")
_BINARY_SHARE = 0.05  # of the characters: text has next to no control characters


def binary_kind(body: bytes, text: str) -> str | None:
    """What kind of binary data ``body`` is, or None when it is text."""
    for magic, name in _MAGIC:
        if body.startswith(magic):
            return name
    sample = text[:65536]
    if _CONTROL.search(sample) is None:  # text, without building the list below
        return None
    if len(_CONTROL.findall(sample)) > len(sample) * _BINARY_SHARE:
        return "control characters"
    return None


def _json_scalar(text: str) -> bool:
    """``null``, ``true``, ``12``, ``"…"``: JSON without a body, not a body of plain text."""
    try:
        json.loads(text)
    except ValueError:
        return False
    return True


def _fragment(doc: Document) -> RawArticle:
    """A bare HTML body (no JSON around it): the body is the whole text."""
    return RawArticle(parser=f"fragment/{FRAGMENT_VERSION}", body=doc.text, base_url=doc.url)


def _web_page(doc: Document) -> RawArticle:
    parser, raw = _first_page(doc)
    if doc.page is not None and doc.page.continuations:
        _append_continuations(raw, parser, doc.page.continuations)
    return raw


def _first_page(doc: Document) -> tuple[Parser, RawArticle]:
    """The parser that read the page (site parser, else generic) and what it found."""
    for parser in SITE_PARSERS:
        if parser.matches(doc):
            raw = parser.parse(doc)
            if GENERIC is not None and not _has_text(raw):
                fallback = GENERIC.parse(doc)
                fallback.parser = f"{raw.parser}+{fallback.parser}"
                return GENERIC, fallback
            return parser, raw
    if GENERIC is None:
        raise ExtractError("no parser recognises this page")
    return GENERIC, GENERIC.parse(doc)


def _append_continuations(raw: RawArticle, parser: Parser, pages: list[Page]) -> None:
    """Join the bodies of a multi-page article's later pages, in order, to the first page's."""
    joined = lxml.html.Element("div")
    if raw.body is not None:
        joined.append(_as_element(raw.body))
    for page in pages:
        body = _continuation_body(parser, page)
        if body is None:
            raw.flags.append(FLAG_CONTINUATION_UNREADABLE)
        else:
            joined.append(body)
    raw.body = joined
    raw.flags.append(FLAG_MULTI_PAGE)


def _continuation_body(parser: Parser, page: Page) -> lxml.html.HtmlElement | None:
    """A later page's body, its images made absolute against that page's own URL."""
    text, _ = decode(page.body, page.content_type)
    try:
        raw = parser.parse(Document(text, page.url, page))
    except ExtractError:
        return None
    if raw.body is None or not _has_text(raw):
        return None
    body = _as_element(raw.body)
    for image in body.iter("img"):
        if (src := image_url(image, raw.base_url or page.url)) is not None:
            image.set("src", src)
    return body


def _as_element(body: str | lxml.html.HtmlElement) -> lxml.html.HtmlElement:
    element = parse_fragment(body) if isinstance(body, str) else body
    element.tail = None  # moved under a new parent; text after it is not the article
    return element


def _has_text(raw: RawArticle) -> bool:
    body = raw.body
    if body is None:
        return False
    text = body if isinstance(body, str) else body.text_content()
    return bool(text.strip())
