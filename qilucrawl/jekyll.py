"""The Jekyll post format of the existing archives, read and written (SOURCES.md §3).

One post per article, ``_posts/YYYY-MM-DD-<infoCode>.md``::

    ---
    layout: post
    title: "<title>"
    date: YYYY-MM-DD HH:MM:SS +0800
    categories: <category>
    tags: <media>新闻
    ---
    <body HTML>

    <source URL>

    [返回<media>新闻](//<site>/category/<category>.html)｜[返回首页](//<site>/)

(a medium whose name ends in 新闻 is its own tag: ``tags: 闪电新闻``, ``[返回闪电新闻]``).

:func:`read_post` takes whatever real archives hold (broken YAML, empty titles and dates, back
links in every shape, CRLF); :func:`render_post` writes only the form above, so that what it
writes reads back to the same values.  Pure functions: no file system, no cleaning rules (those
live in :mod:`qilucrawl.clean`).
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import parse_qs, quote, urlsplit

import yaml

from qilucrawl.clean.dates import BEIJING, date_from_info_code
from qilucrawl.clean.media import ROLLING_CATEGORY, ROLLING_TAG, category_slug, media_tag
from qilucrawl.items import INFO_CODE

TAG_SUFFIX = "新闻"
SAFE_CATEGORY = re.compile(r"[a-z0-9]{1,80}")

# Notes on quirks met while reading (Post.notes).
NOTE_BOM = "bom"
NOTE_CRLF = "crlf"
NOTE_LEADING_BLANK = "blank_lines_before_front_matter"
NOTE_NOT_YAML = "front_matter_not_yaml"
NOTE_EMPTY_TITLE = "empty_title"
NOTE_NO_DATE = "no_date"
NOTE_EMPTY_LINK = "empty_source_link"
NOTE_NO_LINK = "no_source_link"
NOTE_NO_BACK_LINKS = "no_back_links"
NOTE_SPLIT_BACK_LINKS = "back_links_on_two_lines"
NOTE_RELATIVE_BACK_LINKS = "relative_back_links"
NOTE_BAD_INFO_CODE = "unusable_info_code_in_link"

_FENCE = re.compile(r"---[ \t]*")
_KEY_LINE = re.compile(r"(?P<key>[A-Za-z_][\w-]*)[ \t]*:(?:[ \t]+(?P<value>.*))?")
_SOURCE_LINE = re.compile(r"<(?P<url>(?:[A-Za-z][A-Za-z0-9+.-]*:|//)[^\s<>]*)?>")
_LINK = re.compile(r"\[(?P<label>[^\]\n]*)\]\((?P<href>[^)\s]*)\)")
_LINK_SEPARATORS = re.compile(r"[\s｜|]*")
_EIGHTEEN_DIGITS = re.compile(r"(?<!\d)(\d{18})(?!\d)")
_FILE_ID = re.compile(r"(?:^|[-_])(?P<id>[A-Z]{2}\d{18}|\d{18})(?![\d])")
_FILE_DATE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})-")
_DATE_IN_VALUE = re.compile(r"\d{4}\s*[-/.年]\s*\d{1,2}")
_HTML_TAG = re.compile(r"<\s*/?\s*[A-Za-z][\w-]*[^>]*>")
_LIQUID_OPEN = re.compile(r"\{(?=[{%])")
_ESCAPED_BRACE = "&#123;"
# What a digest line must not say raw: HTML, Markdown emphasis/links/tables, Liquid.
_DIGEST_ESCAPES = {c: f"&#{ord(c)};" for c in "&<>*_[]`\\{|"}
# PyYAML refuses these raw in a stream, and line breaks would be folded inside quotes.
_YAML_UNSAFE = re.compile("[^\x09\x20-\x7e\xa0-\u2027\u202a-\ud7ff\ue000-\ufefe\uff00-\ufffd\U00010000-\U0010ffff]")
_YAML_ESCAPES = {"\\": "\\\\", '"': '\\"', "\n": "\\n", "\t": "\\t", "\r": "\\r"}


class PostError(ValueError):
    """A text that is not a Jekyll post, or an article that cannot be written as one."""


@dataclass(frozen=True, slots=True)
class BackLink:
    label: str  # e.g. 返回齐鲁网新闻
    href: str  # as written: //host/category/qiluwang.html, ../emnews/ …


@dataclass(slots=True)
class Post:
    """One post as the archive wrote it; values are raw (no cleaning)."""

    title: str
    date: str  # raw front-matter value ("2022-02-20 16:17:15 +0800", "+0800", "")
    categories: list[str]
    tags: list[str]
    layout: str | None
    body: str  # the post's body (HTML or plain text), without digest and trailing link lines
    source_url: str | None = None
    back_links: list[BackLink] = field(default_factory=list)
    digest: str | None = None  # rolling-feed posts: the "> …" first line
    info_code: str | None = None
    filename: str | None = None
    notes: list[str] = field(default_factory=list)
    # Not in the archives' format: qilucrawl's exports add it so a re-import keeps the byline
    # the cleaner took out of the body.
    authors: list[str] = field(default_factory=list)

    @property
    def category(self) -> str | None:
        return self.categories[0] if self.categories else None

    @property
    def media(self) -> str | None:
        """The medium named by ``tags: <media>新闻``; None for rolling-feed and site posts.

        A tag that is the medium's own name (闪电新闻, whose name ends in 新闻) is told from
        ``<media>新闻`` by the category, the medium's slug: ``shandianxinwen`` is 闪电新闻's
        (older archives wrote ``闪电新闻新闻`` for it, which reads as 闪电新闻 too)."""
        tag = self.tags[0] if self.tags else ""
        if self.category == ROLLING_CATEGORY or tag == ROLLING_TAG or not tag.endswith(TAG_SUFFIX):
            return None
        if self.category and category_slug(tag) == self.category:
            return tag
        return tag.removesuffix(TAG_SUFFIX) or None

    @property
    def published(self) -> str | None:
        """The front-matter date, or — as Jekyll does — the file name's date when it has none."""
        if _has_date(self.date):
            return self.date
        match = _FILE_DATE.match(self.filename or "")
        return "-".join(match.groups()) if match else None

    @property
    def dated_by_filename(self) -> bool:
        """True when :attr:`published` is the file name's day, the front matter having no date."""
        return not _has_date(self.date) and self.published is not None

    @property
    def body_html(self) -> str:
        """The body as HTML: Markdown paragraphs (blank-line separated) for plain-text bodies."""
        if _HTML_TAG.search(self.body):
            return self.body
        paragraphs = (" ".join(p.split("\n")).strip() for p in re.split(r"\n[ \t]*\n", self.body))
        return "\n".join(f"<p>{html.escape(p, quote=False)}</p>" for p in paragraphs if p)


# --- reading ------------------------------------------------------------------------------------


def read_post(text: str, filename: str | None = None) -> Post:
    """Read a post, tolerating every quirk of real archives; PostError if it is not a post."""
    notes: list[str] = []
    lines = _lines(text, notes)
    front, body_lines = _split_front_matter(lines, notes)
    values = _front_matter(front, notes)
    if not {"title", "date", "layout"} & values.keys():
        raise PostError("front matter has no title, date or layout: not a post")
    body_lines, back_links = _take_back_links(body_lines, notes)
    body_lines, source_url = _take_source_link(body_lines, notes)
    digest, body = _take_digest(body_lines)
    name = _basename(filename)
    post = Post(
        title=_title(values.get("title")),
        date=_text(values.get("date")),
        categories=_words(values.get("categories") or values.get("category")),
        tags=_words(values.get("tags")),
        layout=_text(values.get("layout")) or None,
        body=body.replace(_ESCAPED_BRACE, "{"),
        source_url=source_url,
        back_links=back_links,
        digest=digest,
        filename=name,
        notes=notes,
        authors=_names(values.get("authors")),
    )
    post.info_code = _info_code(source_url, name, notes)
    notes += [NOTE_EMPTY_TITLE] if not post.title.strip() else []
    notes += [NOTE_NO_DATE] if not _has_date(post.date) else []
    return post


def _has_date(value: str) -> bool:
    """``2022-02-20 …`` is a date; `` +0800`` alone (an archive's empty date) is not."""
    return bool(_DATE_IN_VALUE.search(value))


def _lines(text: str, notes: list[str]) -> list[str]:
    if text.startswith("\ufeff"):
        notes.append(NOTE_BOM)
        text = text[1:]
    if "\r" in text:
        notes.append(NOTE_CRLF)
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    return text.split("\n")


def _split_front_matter(lines: list[str], notes: list[str]) -> tuple[list[str], list[str]]:
    start = 0
    while start < len(lines) and not lines[start].strip():
        start += 1
    if start:
        notes.append(NOTE_LEADING_BLANK)
    if start == len(lines) or not _FENCE.fullmatch(lines[start]):
        raise PostError("no front matter: the text does not start with ---")
    for end in range(start + 1, len(lines)):
        if _FENCE.fullmatch(lines[end]):
            return lines[start + 1 : end], lines[end + 1 :]
    raise PostError("front matter is not closed by ---")


class _StringLoader(yaml.SafeLoader):
    """YAML with every plain scalar a string: a date stays as written, ``+0800`` is no number.

    Aliases are refused: archives never write them, and nested ones ("billion laughs") expand
    a few lines of front matter into gigabytes when a value is flattened to text.
    """

    def compose_node(self, parent: Any, index: Any) -> Any:
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()
            raise yaml.composer.ComposerError(None, None, "aliases are not read", event.start_mark)
        return super().compose_node(parent, index)


_StringLoader.yaml_implicit_resolvers = {}


def _front_matter(lines: list[str], notes: list[str]) -> dict[str, Any]:
    try:
        # A SafeLoader that resolves nothing: safe, and every value stays a string.
        values = yaml.load("\n".join(lines), Loader=_StringLoader)
    except yaml.YAMLError:
        values = None
    if isinstance(values, dict) and all(isinstance(key, str) for key in values):
        return values
    if values is not None or any(line.strip() for line in lines):
        notes.append(NOTE_NOT_YAML)
    return _front_matter_by_lines(lines)


def _front_matter_by_lines(lines: list[str]) -> dict[str, Any]:
    """What YAML could not read (``title: "他说"好""``): one ``key: value`` per line, quotes
    around the whole value removed, nothing inside unescaped (these archives never escaped)."""
    values: dict[str, Any] = {}
    for line in lines:
        match = _KEY_LINE.fullmatch(line.rstrip())
        if match is None:
            continue
        value = (match["value"] or "").strip()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
            value = value[1:-1]
        values.setdefault(match["key"], value)
    return values


def _title(value: Any) -> str:
    """The title exactly as quoted (only a whole-value YAML list or number is flattened)."""
    return value if isinstance(value, str) else _text(value)


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, list):
        return " ".join(_text(item) for item in value)
    return str(value).strip()


def _names(value: Any) -> list[str]:
    """``authors: ["张三", "John Smith"]`` (a list; a name may hold a space)."""
    items = value if isinstance(value, list) else [value] if value else []
    return [name for item in items if (name := _text(item).strip())]


def _words(value: Any) -> list[str]:
    """Jekyll's rule for categories and tags: a list, or a string split on whitespace."""
    if isinstance(value, list):
        return [word for item in value for word in _text(item).split()]
    return _text(value).split()


def _take_back_links(lines: list[str], notes: list[str]) -> tuple[list[str], list[BackLink]]:
    lines = _strip_blank_tail(lines)
    found: list[list[BackLink]] = []
    while lines and (links := _back_link_line(lines[-1])):
        found.insert(0, links)
        lines = _strip_blank_tail(lines[:-1])
    back_links = [link for line in found for link in line]
    if not back_links:
        notes.append(NOTE_NO_BACK_LINKS)
    if len(found) > 1:
        notes.append(NOTE_SPLIT_BACK_LINKS)
    if any(not link.href.startswith(("//", "http://", "https://")) for link in back_links):
        notes.append(NOTE_RELATIVE_BACK_LINKS)
    return lines, back_links


def _back_link_line(line: str) -> list[BackLink]:
    """The links of a line made only of ``[返回…](…)`` links and separators, else []."""
    links = [BackLink(m["label"], m["href"]) for m in _LINK.finditer(line)]
    if not links or not all(link.label.startswith("返回") for link in links):
        return []
    return links if _LINK_SEPARATORS.fullmatch(_LINK.sub("", line)) else []


def _take_source_link(lines: list[str], notes: list[str]) -> tuple[list[str], str | None]:
    lines = _strip_blank_tail(lines)
    match = _SOURCE_LINE.fullmatch(lines[-1].strip()) if lines else None
    if match is None:
        notes.append(NOTE_NO_LINK)
        return lines, None
    if not match["url"]:
        notes.append(NOTE_EMPTY_LINK)
    return lines[:-1], match["url"] or None


def _take_digest(lines: list[str]) -> tuple[str | None, str]:
    """Rolling-feed posts open with a Markdown quote: the digest."""
    start = 0
    while start < len(lines) and not lines[start].strip():
        start += 1
    end = start
    while end < len(lines) and lines[end].startswith(">"):
        end += 1
    digest = " ".join(line[1:].strip() for line in lines[start:end]).strip()
    body = "\n".join(_strip_blank_tail(lines[end:])).strip("\n")
    return (html.unescape(digest) or None) if end > start else None, body


def _strip_blank_tail(lines: list[str]) -> list[str]:
    end = len(lines)
    while end and not lines[end - 1].strip():
        end -= 1
    return lines[:end]


def _basename(filename: str | None) -> str | None:
    if not filename:
        return None
    return re.split(r"[\\/]", filename)[-1] or None


def _info_code(source_url: str | None, filename: str | None, notes: list[str]) -> str | None:
    """infoCode from the share link, else the 18-digit id in the URL, else the file name."""
    if source_url:
        for value in parse_qs(urlsplit(source_url).query).get("infoCode", []):
            if INFO_CODE.fullmatch(value.strip().upper()):
                return value.strip().upper()
            notes.append(NOTE_BAD_INFO_CODE)
        if match := _EIGHTEEN_DIGITS.search(urlsplit(source_url).path):
            return "NW" + match[1]
    stem = re.sub(r"\.(?:md|markdown|html?)$", "", filename or "", flags=re.IGNORECASE)
    if matches := list(_FILE_ID.finditer(stem)):
        found = matches[-1]["id"]
        return found if found[0].isalpha() else "NW" + found
    return None


# --- writing ------------------------------------------------------------------------------------


def post_filename(article: dict[str, Any]) -> str:
    """``YYYY-MM-DD-<info_code>.md`` (the bare id for rolling-feed posts); PostError unless the
    info code is a safe ``NW…`` code."""
    info_code = article.get("info_code")
    if not isinstance(info_code, str) or not INFO_CODE.fullmatch(info_code):
        raise PostError(f"unsafe info code for a file name: {str(info_code)[:60]!r}")
    day = _published(article.get("published_at"))
    post_day = day.date() if day else date_from_info_code(info_code)
    if post_day is None:
        raise PostError(f"{info_code}: no publish date for the post's file name")
    # The archives name rolling-feed posts by their bare feed id (2021-12-08-202112082206672930.md)
    # and a medium's posts by the infoCode: keeping that keeps every post's URL.
    name = info_code[2:] if _category(article) == ROLLING_CATEGORY and info_code.startswith("NW") else info_code
    return f"{post_day.isoformat()}-{name}.md"


def render_post(article: dict[str, Any], *, site_host: str) -> str:
    """A stored article row as a post, in exactly the archive's format (no final newline)."""
    category = _category(article)
    tag = article_tag(article)
    front = ["---", "layout: post", f"title: {yaml_quote(article.get('title') or '')}"]
    if (moment := _published(article.get("published_at"))) is not None:
        front.append(f"date: {moment.strftime('%Y-%m-%d %H:%M:%S %z')}")
    front += [f"categories: {category}"] if category else []
    front += [f"tags: {_yaml_plain_or_quoted(tag)}"] if tag else []
    if authors := [str(name) for name in article.get("authors") or [] if name]:
        front.append("authors: [" + ", ".join(yaml_quote(name) for name in authors) + "]")
    front.append("---")
    parts = ["\n".join(front) + "\n" + _body(article, category)]
    if source := safe_url(article.get("source_url")):
        parts.append(f"<{source}>")
    parts.append(_back_links_line(tag, category, site_host))
    return "\n\n".join(parts)


def render_category_page(category: str, media: str) -> str:
    """The page ``category/<category>.html`` listing one medium's posts."""
    if not SAFE_CATEGORY.fullmatch(category or ""):
        raise PostError(f"unsafe category for a file name: {str(category)[:60]!r}")
    title = _yaml_plain_or_quoted(media_tag(media) or "")
    return f"---\nlayout: category\ntitle: {title}\ncategory: {category}\n---\n"


MONTH = re.compile(r"\d{4}-(?:0[1-9]|1[0-2])")


def render_month_page(month: str) -> str:
    """The page ``months/<YYYY-MM>.html`` listing one month's posts (layout ``month``)."""
    if not MONTH.fullmatch(month or ""):
        raise PostError(f"not a month (YYYY-MM): {str(month)[:60]!r}")
    year, number = month.split("-")
    return f'---\nlayout: month\ntitle: {year}年{int(number)}月\nmonth: "{month}"\n---\n'


def post_month(filename: str) -> str:
    """The month a post is listed under: its file name's (Beijing) day, as Jekyll dates it."""
    return filename[:7]


def article_tag(article: dict[str, Any]) -> str | None:
    """``<media>新闻`` (:func:`media_tag`) for a medium's articles, 东财滚动新闻 for the rolling
    feed's."""
    if tag := media_tag(article.get("source")):
        return tag
    if article.get("category") == ROLLING_CATEGORY:
        return ROLLING_TAG
    tags = article.get("tags") or []
    return tags[0] if tags and isinstance(tags[0], str) and tags[0].strip() else None


def article_media(article: dict[str, Any]) -> str | None:
    """The medium a category page is titled after (its tag, ``<media>新闻``)."""
    source = article.get("source")
    if isinstance(source, str) and source and media_tag(source) == article_tag(article):
        return source
    tag = article_tag(article)
    return tag.removesuffix(TAG_SUFFIX) if tag else None


def yaml_quote(value: str) -> str:
    """A double-quoted YAML scalar that reads back as ``value``; plain text stays as is."""

    def escape(match: re.Match[str]) -> str:
        char = match[0]
        if char in _YAML_ESCAPES:
            return _YAML_ESCAPES[char]
        return f"\\u{ord(char):04x}" if ord(char) <= 0xFFFF else f"\\U{ord(char):08x}"

    return '"' + re.sub(r'[\\"]|' + _YAML_UNSAFE.pattern, escape, value) + '"'


def safe_url(url: Any) -> str | None:
    """An http(s) URL fit for a ``<…>`` line: no spaces, angle brackets or Liquid braces."""
    if not isinstance(url, str) or urlsplit(url.strip()).scheme not in ("http", "https"):
        return None
    return quote(url.strip(), safe="/:?#[]@!$&'()*+,;=%~-._")


def escape_liquid(markup: str) -> str:
    """Make ``{{``/``{%`` inert for Jekyll; ``&#123;`` is still ``{`` to a browser."""
    return _LIQUID_OPEN.sub(_ESCAPED_BRACE, markup)


def _category(article: dict[str, Any]) -> str | None:
    category = article.get("category")
    if category is None:
        return None
    if not isinstance(category, str) or not SAFE_CATEGORY.fullmatch(category):
        raise PostError(f"unsafe category: {str(category)[:60]!r}")
    return category


def _published(value: Any) -> datetime | None:
    if not value:
        return None
    try:
        moment = datetime.fromisoformat(str(value))
    except ValueError:
        return None
    return (moment if moment.tzinfo else moment.replace(tzinfo=BEIJING)).astimezone(BEIJING)


_BLOCK_LINE = re.compile(r"\n(?=<)")
_ENDS_WITH_SOURCE = re.compile(r"文章来源[:：][^<]*</p>\s*$")


def _body(article: dict[str, Any], category: str | None) -> str:
    body = (article.get("body_html") or "").strip("\n")
    source = article.get("source")
    if source and category != ROLLING_CATEGORY and not _ENDS_WITH_SOURCE.search(body):
        # The archives' posts end as the text endpoint's body does: with the medium's line.
        body += f'<p class="em_media">（文章来源：{html.escape(str(source), quote=False)}）</p>'
    # The archives start every block line but the first with a space (their CRLF + indent).
    body = escape_liquid(_BLOCK_LINE.sub("\n ", body))
    summary = article.get("summary")
    if category == ROLLING_CATEGORY and summary:
        digest = "".join(_DIGEST_ESCAPES.get(char, char) for char in " ".join(summary.split()))
        return f"> {digest}\n\n{body}"
    return body


def _back_links_line(tag: str | None, category: str | None, site_host: str) -> str:
    host = site_host.strip().strip("/")
    home = f"[返回首页](//{host}/)"
    if not (tag and category):
        return home
    label = tag.replace("]", "］").replace("[", "［")  # a bracket would end the link text
    return f"[返回{label}](//{host}/category/{category}.html)｜{home}"


def _yaml_plain_or_quoted(value: str) -> str:
    """``tags: 齐鲁网新闻`` unquoted as the archives write it, quoted if YAML would misread it."""
    try:
        same = yaml.load(f"k: {value}", Loader=_StringLoader) == {"k": value}
    except yaml.YAMLError:
        same = False
    plain = same and value == value.strip() and value[:1] not in ("", '"', "'")
    return value if plain else yaml_quote(value)
