"""The records that flow from spiders through pipelines into the store.

A spider yields a :class:`Page` (raw bytes plus what the list said about it) or a
:class:`Failure`.  ``ExtractPipeline`` turns a Page into an :class:`Article` — the data
dictionary of the README — or a Failure.  ``StorePipeline`` writes both.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field, fields
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # only a type here: importing the records must not load a parser
    import lxml.html

# An Eastmoney infoCode: two letters and 18 digits, the first 8 the date (NW202202202282305213).
# ASCII only: ``\d`` would take full-width (２０２６) or Arabic-Indic (٢٠٢٦) digits, and the same
# article would come back as another one under a code that only looks the same.
INFO_CODE = re.compile(r"[A-Z]{2}[0-9]{18}")

# Quality flags: what the cleaner repaired or doubts (README, data dictionary, quality_flags).
FLAG_SHORT_BODY = "short_body"  # under 30 characters of body text
FLAG_REJOINED = "paragraphs_rejoined"  # plain text cut mid-sentence by a print layout, joined again
FLAG_MULTI_PAGE = "multi_page"  # read from several pages (_2, _3 …)
FLAG_CONTINUATION_UNREADABLE = "continuation_unreadable"  # a later page was gone (404/410)
FLAG_NO_YEAR = "published_no_year"
FLAG_INVALID = "published_invalid"
FLAG_FUTURE = "published_in_future"
FLAG_MISSING = "published_missing"
FLAG_YEAR_BORROWED = "published_year_from_context"
FLAG_MONTH_ONLY = "published_month_only"  # "1998年3月": stored as the 1st, at month precision
# A time read from the URL, a Jekyll post's file name or the infoCode: only a day, flagged so.
FLAG_FROM_URL = "published_from_url"
FLAG_FROM_INFO_CODE = "published_from_info_code"

# Page kinds: which family of parsers can read the bytes.
FEED_TEXT = "feed_text"  # JSON from the text endpoint (`text` / `content` keys)
HTML = "html"  # an article web page (Eastmoney, iqilu, anything else)
PLAIN_TEXT = "plain_text"  # a body as plain text, one paragraph per line
JEKYLL = "jekyll"  # a post of an existing Jekyll archive
AUTO = "auto"  # unknown: detect from the content


@dataclass(slots=True)
class ListEntry:
    """What a list endpoint or list page said about one article, before it is fetched."""

    info_code: str
    title: str | None = None
    published: str | None = None  # as the list wrote it, e.g. "2022-02-20 16:17:15"
    media: str | None = None
    digest: str | None = None
    web_url: str | None = None
    list_url: str | None = None
    rolling: bool = False  # only in the 7x24 rolling feed (no named medium)


@dataclass(slots=True)
class Page:
    """One fetched article page: the raw bytes and where they came from."""

    url: str
    body: bytes = field(repr=False)  # logs show where a page came from, not its bytes
    kind: str = AUTO
    status: int = 200
    content_type: str | None = None
    fetched_at: str | None = None
    entry: ListEntry | None = None
    source_url: str | None = None  # the public URL an archive links to
    spider: str | None = None
    # Continuation pages of a multi-page article, in order (their raw bytes are kept too).
    continuations: list[Page] = field(default_factory=list)
    # The page decoded and parsed (an extract.base.Document), when a spider had to read it
    # already: the extractor reads that, not the bytes again.  Never stored.
    parsed: Any = field(default=None, repr=False, compare=False)

    @property
    def info_code(self) -> str | None:
        return self.entry.info_code if self.entry else None


@dataclass(slots=True)
class Image:
    url: str | None  # None: a caption whose image the source did not carry
    caption: str | None = None


class ExtractError(Exception):
    """A page that cannot become an article; the message says why, for the failures table."""


@dataclass(slots=True)
class RawArticle:
    """Fields as a parser found them, before cleaning (:mod:`qilucrawl.clean.article` cleans them)."""

    parser: str  # "<parser>/V<layout>_<revision>", e.g. "eastmoney/V2_1"
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
    source_url: str | None = None  # the public page the page itself links as its source (a post's share link)


@dataclass(slots=True)
class Article:
    """A normalized article: the data dictionary (README, "Data dictionary"), in its order.

    This declaration is the one list of the article's fields: the store's columns, the export
    columns and their order all derive from it (:data:`ARTICLE_FIELDS`)."""

    info_code: str | None
    title: str | None = None
    subtitle: str | None = None
    original_title: str | None = None  # the 原标题 line, when the body had one
    summary: str | None = None  # the list's digest, when it had one
    published_at: str | None = None  # ISO 8601 with +08:00
    source: str | None = None  # media name, e.g. 齐鲁网
    category: str | None = None  # pinyin slug of the media name, e.g. qiluwang
    tags: list[str] = field(default_factory=list)
    authors: list[str] = field(default_factory=list)
    body_text: str = ""
    body_html: str = ""
    images: list[Image] = field(default_factory=list)
    source_url: str | None = None
    url: str | None = None  # the URL actually fetched
    parser: str | None = None  # which parser (and version) read the page
    quality_flags: list[str] = field(default_factory=list)
    content_hash: str | None = None
    # Set by the store.
    revision: int | None = None
    first_seen_at: str | None = None
    last_seen_at: str | None = None
    fetched_at: str | None = None
    # Not part of the record: the page it came from, kept so the store can save the raw bytes.
    page: Page | None = field(default=None, repr=False, compare=False)

    def to_record(self) -> dict[str, Any]:
        """The article as a plain dict of the data dictionary's fields (no raw page)."""
        record = asdict(self)
        record.pop("page", None)
        return record


# The data dictionary's fields, in order; the ones holding lists (stored as JSON text).
ARTICLE_FIELDS: tuple[str, ...] = tuple(f.name for f in fields(Article) if f.name != "page")
LIST_FIELDS: tuple[str, ...] = tuple(f.name for f in fields(Article) if str(f.type).startswith("list["))


@dataclass(frozen=True, slots=True)
class FieldDoc:
    """One row of the data dictionary: the type as a reader is told it, and what the field means."""

    kind: str  # "text", "text or null", "list of text", "integer" …
    meaning: str  # Markdown: `code` in backticks


# What each field means, in the fields' order: the README's "Data dictionary" table (a test holds
# them equal), the dataset card's field table, the Croissant file's field descriptions and
# datasette's column descriptions are all this one mapping.
DATA_DICTIONARY: dict[str, FieldDoc] = {
    "info_code": FieldDoc(
        "text",
        "the dedup key: `NW` + 18 digits (the first 8 are the date), e.g. `NW202202202282305213`; a bare "
        "18-digit feed id becomes `NW` + id; iqilu.com articles: `IQ` + the article id zero-padded to 18 "
        "digits",
    ),
    "title": FieldDoc("text", "the headline, entities decoded, no site suffix (`_东方财富网`)"),
    "subtitle": FieldDoc("text or null", "the sub-title (副标题) when the body has one"),
    "original_title": FieldDoc("text or null", "the `原标题：` line of a re-titled article"),
    "summary": FieldDoc("text or null", "the list's digest (rolling feed), without its `【title】` prefix"),
    "published_at": FieldDoc(
        "text or null",
        "ISO 8601 in Beijing time, e.g. `2022-02-20T16:17:15+08:00`; null (with a flag) rather than guessed",
    ),
    "source": FieldDoc(
        "text or null", "the medium, e.g. `齐鲁网`, from the body's `（文章来源：…）` line, else the list"
    ),
    "category": FieldDoc(
        "text",
        "pinyin slug of the medium as existing archives write it (`齐鲁网` → `qiluwang`); `emnews` for "
        "rolling-feed items with no medium",
    ),
    "tags": FieldDoc("list of text", '`["<medium>新闻"]` (`["东财滚动新闻"]` for the rolling feed)'),
    "authors": FieldDoc(
        "list of text",
        "names from the byline (`记者 蔡宇丹` → `蔡宇丹`), or credited inside the first or last paragraph "
        "(`本报讯（记者 李明 王芳）…`, `…。（常书香 马丹阳）`); a name spaced out for layout (`方 敏`) is one name; editors, "
        "agencies and outlets are not authors",
    ),
    "body_text": FieldDoc(
        "text",
        "the body as plain text, paragraphs (and image captions, where they stand) separated by one blank"
        " line; it opens with the article's first paragraph (a lead picture's caption, or one printed "
        "above the title, is in `images` only)",
    ),
    "body_html": FieldDoc(
        "text",
        "the body as sanitized HTML: `<p>` paragraphs, `<h2>`–`<h4>` heads, `<figure>` images, lists, "
        "tables; no script/style/iframe, no `on*=` attributes, only http(s) URLs",
    ),
    "images": FieldDoc(
        "list of `{url, caption}`",
        "images of the body, absolute URLs, with captions (url null for a caption whose image the source "
        "did not carry)",
    ),
    "source_url": FieldDoc(
        "text",
        "the public page an archive links to: the feed's share page "
        "`…/html_News/NewsShare.html?infoCode=…` on the host crawled; for a rolling-feed item with no "
        "medium (`emnews`), its web URL (`url_w`), as the archives link those",
    ),
    "url": FieldDoc("text", "the URL actually fetched"),
    "parser": FieldDoc(
        "text",
        "which parser read the page, and its version: `<parser>/V<layout>_<revision>`, e.g. "
        "`feed_text/V1_1`, `eastmoney/V2_1` (a page two parsers read: `iqilu/V1_1+generic/V1_1`); the "
        "revision is bumped whenever what the parser puts out changes",
    ),
    "quality_flags": FieldDoc(
        "list of text",
        "what the cleaner repaired or doubts: `paragraphs_rejoined`, `short_body`, `published_missing`, "
        "`published_no_year`, `published_invalid`, `published_in_future`, `published_from_url` (the day "
        "in the URL, or in a Jekyll post's file name, when the page has no time), "
        "`published_from_info_code`, `published_year_from_context`, `published_month_only`, `multi_page`,"
        " `continuation_unreadable`",
    ),
    "content_hash": FieldDoc(
        "text",
        "sha256 of the content fields (title, subtitle, time, source, authors, body, images): a change "
        "makes a new revision",
    ),
    "revision": FieldDoc("integer", "1 for the first version; +1 for each change"),
    "first_seen_at": FieldDoc("text", "ISO 8601 (+08:00): when the article was first stored"),
    "last_seen_at": FieldDoc(
        "text", "ISO 8601 (+08:00): when a list last named the article or its page was last fetched"
    ),
    "fetched_at": FieldDoc("text", "ISO 8601 (+08:00): when this version's page was fetched"),
}


@dataclass(slots=True)
class Seen:
    """Articles a list named that are stored unchanged, so they were not fetched again."""

    info_codes: list[str]


@dataclass(slots=True)
class Filtered:
    """An article read but not archived: its medium is not one of ``QILU_MEDIA``.  Remembered, so
    a later run with the same selection does not fetch it again while it is listed unchanged."""

    info_code: str
    title: str | None
    published_at: str | None
    source: str | None


@dataclass(slots=True)
class Failure:
    """Something that could not be fetched or read: recorded, and the crawl goes on."""

    url: str
    reason: str
    stage: str  # "list", "article", "extract", "store", "import"
    status: int | None = None
    info_code: str | None = None
    spider: str | None = None
