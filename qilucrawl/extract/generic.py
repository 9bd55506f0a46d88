"""Any Chinese news page no site parser claims: find the body, title, time, authors and source.

The body is found by scoring, in one walk over the tree.  The page is cut into text blocks at
block elements and ``<br>`` (as :mod:`qilucrawl.clean.html` cuts a body), and each block gets a
value: its text length when it reads like prose (sentence punctuation, few links), a negative
value when it is mostly links (menus, headline lists) or a short unpunctuated label.  A
container's score is the sum of the values of the blocks inside it, and the body is the
container with the highest score: a wrapper around the article gains nothing by also holding the
navigation, so the tightest element holding the prose wins, whether it is a modern ``<div>`` or
a ``<td>`` of a 1990s layout table.  Link lists and share/QR/related containers left inside it
are pruned, and leading title or byline lines are taken off.

The title is the heading (or, on old pages, the bold cell) that the ``<title>`` repeats; the
time, authors and source come from meta tags and JSON-LD, and from the short lines around the
title and at the ends of the body ("发布时间：2022-02-20 16:17", "来源：齐鲁网 作者：张三").
This parser only finds strings; :mod:`qilucrawl.clean` reads dates and names.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import date

import lxml.etree
import lxml.html

from qilucrawl.clean import dates
from qilucrawl.clean.boilerplate import drop_noise_containers, parse_byline
from qilucrawl.clean.text import normalize_paragraph
from qilucrawl.extract.base import Document, ExtractError, RawArticle

NAME = "generic"
VERSION = "V1"

# Elements whose text is never content (read for metadata first, then removed).
_STRIP_TAGS = ("script", "style", "noscript", "template", "select", "textarea", "button", "svg")
# Where a text block ends; the same cut :mod:`qilucrawl.clean.html` makes.
_BLOCK_TAGS = frozenset(
    "p div section article main header footer aside center figure figcaption h1 h2 h3 h4 h5 h6 "
    "li ul ol dl dt dd blockquote pre address hr body html table tbody thead tfoot tr td th "
    "caption details summary form nav".split()
)
_HEADING_TAGS = ("h1", "h2", "h3")
# Sentence punctuation: prose has it, menus, labels and date lines do not.  Colons and brackets
# are left out because bylines and date lines use them.
_PUNCT = re.compile(r"[，。！？；、“”‘’《》…]|[,!?;](?=\s|$)|\.(?=\s)")
_SENTENCE = re.compile(r"[，。！？；]")
_HIDDEN = re.compile(r"display\s*:\s*none|visibility\s*:\s*hidden", re.I)

_LINK_DENSE = 0.5  # a block or container with more link text than this is navigation
_UNPUNCTUATED_PROSE = 20  # an unpunctuated line this long may still be prose
_META_LINE_MAX = 120  # lines holding time, byline or source are short
_NEAR_TITLE = 12
_TITLE_MAX = 80  # blocks after the title searched for time, byline and source
_BODY_EDGE = 6  # blocks at each end of the body searched too

# Meta tags naming the publish time, most trusted first (name, property or itemprop, lower case).
_META_TIME = (
    "article:published_time", "og:article:published_time", "og:published_time",
    "og:release_date", "datepublished", "pubdate", "publishdate", "publish_date",
    "publication_date", "publishtime", "publish-date", "dc.date.issued", "dc.date", "date",
    "sailthru.date", "parsely-pub-date", "weibo:article:create_at", "article:created_time",
    "created", "firstpublishedtime", "releasedate",
)  # fmt: skip
_META_AUTHOR = ("author", "article:author", "og:article:author", "byline", "dc.creator", "sailthru.author")
_META_TITLE = ("og:title", "twitter:title", "headline")
# Labels of the fields in a meta line; a field's value runs to the next label.
_FIELD = re.compile(
    r"(?P<label>责任编辑|编辑|责编|审核|来源|出处|稿源|作者|记者|撰文|撰稿|文|通讯员|"
    r"发布时间|发表时间|发布日期|发表日期|更新时间|时间|日期|发表于|发布于|点击(?:数|量|率)?|"
    r"浏览(?:次数|量)?|阅读(?:数|量)?|字号|人气|评论)\s*[:：/]"
)
_TIME_LABELS = ("发布时间", "发表时间", "发布日期", "发表日期", "时间", "日期", "发表于", "发布于")
_AUTHOR_LABELS = ("作者", "记者", "撰文", "撰稿", "文", "通讯员")
_SOURCE_LABELS = ("来源", "出处", "稿源")
_TIME_HINT = re.compile(r"(?:^|[\s_-])(?:time|date|pubtime|pubdate|publish\w*|post-?time|datetime)(?:$|[\s_-])", re.I)
_YEAR = re.compile(r"(?:19|20)\d\d")


@dataclass(slots=True)
class _Block:
    text: str
    owner: lxml.html.HtmlElement  # the innermost block element holding the text
    chars: int
    links: int
    value: float
    path: tuple[lxml.html.HtmlElement, ...]  # the block elements around it, outermost first


@dataclass(slots=True)
class _Page:
    """What one walk over the tree found."""

    blocks: list[_Block] = field(default_factory=list)
    # element -> [score, chars, link chars] of everything inside it
    totals: dict[lxml.html.HtmlElement, list[float]] = field(default_factory=dict)
    # element -> (first block, end block) for block elements
    spans: dict[lxml.html.HtmlElement, tuple[int, int]] = field(default_factory=dict)
    depths: dict[lxml.html.HtmlElement, int] = field(default_factory=dict)


@dataclass(slots=True)
class _Body:
    """The chosen container, the run of its parts that holds the article, and what to cut."""

    element: lxml.html.HtmlElement
    start: int  # first block of the run
    end: int  # block after the run
    score: float
    outside: list[lxml.html.HtmlElement]  # parts of the container before or after the run


class GenericParser:
    """Title, time, authors, source and body of any news page, by rules and text scoring."""

    name = NAME

    def matches(self, doc: Document) -> bool:
        return True

    def parse(self, doc: Document) -> RawArticle:
        root = doc.tree
        meta = _meta_tags(root)
        linked = _json_ld(root)
        lxml.etree.strip_elements(root, *_STRIP_TAGS, with_tail=False)
        page = _walk(root)
        title, title_at = _title(root, meta, linked, page)
        chosen = _best_body(page)
        if chosen is None:
            raise ExtractError("no text on the page")
        body, start, end = chosen.element, chosen.start, chosen.end
        if title is None:
            title, title_at = _line_before(page.blocks, start)
        for element in chosen.outside:
            if element.getparent() is not None:
                element.drop_tree()
        region = _meta_region(page.blocks, title_at, start, end)
        facts = _MetaLines()
        for index in region:
            facts.read(page.blocks[index], index)
        published = _published(meta, linked, root, facts, doc.url)
        authors = facts.authors or _meta_authors(meta, linked)
        known = [page.blocks[i].text for i in facts.used if start <= i < end]
        _trim_head(page, body, start, end, title, facts.used)
        _prune(page, body)
        return RawArticle(
            parser=f"{NAME}/{VERSION}",
            body=_without_noise(body, page),
            title=title,
            published=published,
            authors=authors,
            source=facts.source,
            base_url=doc.url,
            known_lines=known,
        )


# --------------------------------------------------------------------------- metadata


def _meta_tags(root: lxml.html.HtmlElement) -> dict[str, str]:
    """``<meta>`` contents keyed by lower-case name, property or itemprop (first one wins)."""
    found: dict[str, str] = {}
    for element in root.iter("meta"):
        key = element.get("name") or element.get("property") or element.get("itemprop")
        content = element.get("content")
        if key and content and content.strip():
            found.setdefault(key.strip().lower(), content.strip())
    return found


def _json_ld(root: lxml.html.HtmlElement) -> dict[str, str]:
    """datePublished, headline and author of the page's JSON-LD article, if it has one."""
    found: dict[str, str] = {}
    for script in root.iter("script"):
        if (script.get("type") or "").lower() != "application/ld+json" or not script.text:
            continue
        try:
            data = json.loads(script.text, strict=False)
        except ValueError:
            continue
        for item in _json_items(data):
            for key in ("datePublished", "pubDate", "dateCreated", "headline"):
                value = item.get(key)
                if isinstance(value, str) and value.strip():
                    found.setdefault(key, value.strip())
            if author := _json_author(item.get("author")):
                found.setdefault("author", author)
    return found


def _json_items(data: object) -> list[dict]:
    if isinstance(data, list):
        return [item for element in data for item in _json_items(element)]
    if not isinstance(data, dict):
        return []
    return [data, *(_json_items(data["@graph"]) if "@graph" in data else [])]


def _json_author(value: object) -> str | None:
    if isinstance(value, str):
        return value
    if isinstance(value, dict) and isinstance(value.get("name"), str):
        return value["name"]
    if isinstance(value, list):
        names = [name for item in value if (name := _json_author(item))]
        return "、".join(names) or None
    return None


def _meta_authors(meta: dict[str, str], linked: dict[str, str]) -> list[str]:
    for value in (*(meta.get(key) for key in _META_AUTHOR), linked.get("author")):
        if value:
            return [value]
    return []


# --------------------------------------------------------------------------- title


_TITLE_SEPARATORS = re.compile(r"\s*(?:_|\||｜|--?|—+|–| - |::)\s*")


def _title(
    root: lxml.html.HtmlElement, meta: dict[str, str], linked: dict[str, str], page: _Page
) -> tuple[str | None, int | None]:
    """The article title and the index of the block showing it (None: only ``<title>`` has it)."""
    page_title = normalize_paragraph(root.findtext(".//title"))
    named = [normalize_paragraph(meta.get(key) or linked.get(key)) for key in _META_TITLE]
    references = [text for text in (page_title, *named) if text]
    best: tuple[int, str, lxml.html.HtmlElement] | None = None
    for rank, tag in enumerate(_HEADING_TAGS):
        for element in root.iter(tag):
            text = normalize_paragraph(element.text_content())
            if 4 <= len(text) <= 120 and any(text in ref for ref in references):
                score = len(text) - rank * 200
                if best is None or score > best[0]:
                    best = (score, text, element)
    if best is not None:
        return best[1], _first_block(page, best[2], best[1])
    # Old pages show the title in a bold cell or a big font: the line that <title> repeats.
    segments = {s for s in _TITLE_SEPARATORS.split(page_title) if len(s) >= 4} if page_title else set()
    segments |= {text for text in named if len(text) >= 4}
    for index, block in enumerate(page.blocks):
        if block.text in segments:
            return block.text, index
    if named and named[0]:
        return named[0], _find_block(page.blocks, named[0])
    headings = list(root.iter("h1"))
    if len(headings) == 1:
        text = normalize_paragraph(headings[0].text_content())
        if 4 <= len(text) <= 120:
            return text, _first_block(page, headings[0], text)
    return page_title or None, None


def _line_before(blocks: list[_Block], start: int) -> tuple[str | None, int | None]:
    """A page without a title element: the short line closest above the body names it."""
    for index in range(start - 1, max(-1, start - 1 - _NEAR_TITLE), -1):
        block = blocks[index]
        if 4 <= len(block.text) <= _TITLE_MAX and block.links <= block.chars * _LINK_DENSE:
            if not _has_date(block.text) and not _FIELD.search(block.text):
                return block.text, index
    return None, None


def _first_block(page: _Page, element: lxml.html.HtmlElement, text: str) -> int | None:
    start, end = page.spans.get(element, (0, 0))
    return start if start < end else _find_block(page.blocks, text)


def _find_block(blocks: list[_Block], title: str) -> int | None:
    for index, block in enumerate(blocks):
        if title in block.text and len(block.text) <= len(title) + 30:
            return index
    return None


# --------------------------------------------------------------------------- the body


def _walk(root: lxml.html.HtmlElement) -> _Page:
    page = _Page()
    walker = _Walker(page)
    walker.walk(root, False)
    walker.flush()
    totals = page.totals
    for element in reversed(list(root.iter())):
        own = totals.get(element)
        if own is None:
            continue
        parent = element.getparent()
        if parent is not None:
            into = totals.get(parent)
            if into is None:
                totals[parent] = list(own)
            else:
                into[0] += own[0]
                into[1] += own[1]
                into[2] += own[2]
    return page


class _Walker:
    """Cuts the tree into text blocks and gives each block's value to the element that owns it."""

    __slots__ = ("page", "stack", "parts", "chars", "links")

    def __init__(self, page: _Page) -> None:
        self.page = page
        self.stack: list[lxml.html.HtmlElement] = []
        self.parts: list[str] = []
        self.chars = 0
        self.links = 0

    def walk(self, element: lxml.html.HtmlElement, in_link: bool) -> None:
        tag = element.tag
        if isinstance(tag, str) and not _hidden(element):
            if tag == "br" or tag == "img":
                self.flush()
            elif tag in _BLOCK_TAGS:
                self.flush()
                self.page.depths[element] = len(self.stack)
                self.stack.append(element)
                start = len(self.page.blocks)
                self.children(element, in_link)
                self.flush()
                self.stack.pop()
                self.page.spans[element] = (start, len(self.page.blocks))
            else:
                self.children(element, in_link or tag == "a")
        if element.tail:
            self.add(element.tail, in_link)

    def children(self, element: lxml.html.HtmlElement, in_link: bool) -> None:
        if element.text:
            self.add(element.text, in_link)
        for child in element:
            self.walk(child, in_link)

    def add(self, text: str, in_link: bool) -> None:
        self.parts.append(text)
        count = len("".join(text.split()))
        self.chars += count
        if in_link:
            self.links += count

    def flush(self) -> None:
        if not self.parts:
            return
        chars, links = self.chars, self.links
        text = "".join(self.parts)
        self.parts.clear()
        self.chars = self.links = 0
        if not chars or not self.stack:
            return
        owner = self.stack[-1]
        value = _value(text, chars, links)
        block = _Block(normalize_paragraph(text), owner, chars, links, value, tuple(self.stack))
        self.page.blocks.append(block)
        own = self.page.totals.get(owner)
        if own is None:
            self.page.totals[owner] = [value, chars, links]
        else:
            own[0] += value
            own[1] += chars
            own[2] += links


def _hidden(element: lxml.html.HtmlElement) -> bool:
    style = element.get("style")
    return bool(style) and bool(_HIDDEN.search(style))


def _value(text: str, chars: int, links: int) -> float:
    """How much a block says "article": prose counts for, links and bare labels against."""
    if links > chars * _LINK_DENSE:
        return -float(chars)
    prose = chars - links
    if _PUNCT.search(text) is None:
        # A label, a date line, a title; but some writers (blogs) leave punctuation out.
        return 0.25 * prose if prose >= _UNPUNCTUATED_PROSE else -0.5 * prose
    return float(prose)


def _best_body(page: _Page) -> _Body | None:
    """The container and the run of its parts with the highest total value.

    A container's parts are its child block elements (whole) and the text lines directly in
    it; the best run of consecutive parts (maximum subarray) leaves out a sidebar, a headline
    list or a copyright notice that shares a layout cell with the article.  On a tie the
    deeper container wins: it holds the same article with less around it.
    """
    best: _Body | None = None
    best_key = (0.0, 0)
    for element, (start, end) in page.spans.items():
        if end <= start:
            continue
        depth = page.depths[element]
        parts = _parts(page, start, end, depth)
        score, first, last = _best_run([value for value, _, _, _ in parts])
        key = (score, depth)
        if score > 0 and key > best_key:
            outside = [part for i, (_, part, _, _) in enumerate(parts) if part is not None and not first <= i <= last]
            best = _Body(element, parts[first][2], parts[last][3], score, outside)
            best_key = key
    return best


def _parts(
    page: _Page, start: int, end: int, depth: int
) -> list[tuple[float, lxml.html.HtmlElement | None, int, int]]:
    """(value, child element or None for a line of the container's own, first, end) in order."""
    parts = []
    index = start
    blocks, spans, totals = page.blocks, page.spans, page.totals
    while index < end:
        path = blocks[index].path
        if len(path) > depth + 1:
            child = path[depth + 1]
            stop = spans[child][1]
            parts.append((totals[child][0], child, index, stop))
            index = stop
        else:
            parts.append((blocks[index].value, None, index, index + 1))
            index += 1
    return parts


def _best_run(values: list[float]) -> tuple[float, int, int]:
    """Maximum-sum run of consecutive values: (sum, first, last)."""
    best, best_first, best_last = float("-inf"), 0, 0
    running, first = 0.0, 0
    for index, value in enumerate(values):
        if running <= 0:
            running, first = value, index
        else:
            running += value
        if running > best:
            best, best_first, best_last = running, first, index
    return best, best_first, best_last


def _prune(page: _Page, body: lxml.html.HtmlElement) -> None:
    """Take link lists (related articles, tags, page numbers) out of the chosen body."""
    doomed = []
    for element in body.iterdescendants():
        stats = page.totals.get(element)
        if stats is None:
            continue
        score, chars, links = stats
        if chars >= 4 and links > chars * _LINK_DENSE and score < 0:
            doomed.append(element)
    for element in doomed:
        if element.getparent() is not None:
            element.drop_tree()


def _without_noise(body: lxml.html.HtmlElement, page: _Page) -> lxml.html.HtmlElement:
    """The body without share/QR/ad containers, unless those rules would empty it."""
    chars = page.totals.get(body, [0, 0, 0])[1]
    copy = lxml.html.fromstring(lxml.html.tostring(body, encoding="unicode")) if chars else body
    drop_noise_containers(copy)
    kept = len("".join(copy.text_content().split()))
    return copy if kept * 2 >= chars else body


def _trim_head(
    page: _Page, body: lxml.html.HtmlElement, start: int, end: int, title: str | None, used: set[int]
) -> None:
    """Drop the title and meta lines the body starts with (they are fields, not content)."""
    for index in range(start, min(end, start + 8)):
        block = page.blocks[index]
        if block.value > 0 and index not in used:
            break
        is_head = index in used or (title is not None and block.text == title)
        owner = block.owner
        if is_head and owner is not body and page.spans.get(owner) == (index, index + 1):
            if owner.getparent() is not None:
                owner.drop_tree()


# --------------------------------------------------------------------------- meta lines


def _meta_region(blocks: list[_Block], title_at: int | None, start: int, end: int) -> list[int]:
    """Indexes of the blocks that may hold time, byline and source, most likely first."""
    order: list[int] = []
    if title_at is not None:
        order += range(title_at + 1, min(len(blocks), title_at + 1 + _NEAR_TITLE))
    order += range(start, min(end, start + _BODY_EDGE))
    order += range(max(start, end - _BODY_EDGE), end)
    if title_at is not None:
        order += range(max(0, title_at - 3), title_at)
    else:
        order += range(max(0, start - _NEAR_TITLE), start)
    return [i for i in dict.fromkeys(order) if len(blocks[i].text) <= _META_LINE_MAX * 4]


class _MetaLines:
    """Time, authors and source read from labelled fields and bylines in short lines."""

    def __init__(self) -> None:
        self.times: list[str] = []
        self.authors: list[str] = []
        self.source: str | None = None
        self.used: set[int] = set()

    def read(self, block: _Block, index: int) -> None:
        text = block.text
        if not text or block.links > block.chars * _LINK_DENSE:
            return
        fields = _fields(text) if len(text) <= _META_LINE_MAX * 4 else []
        took = False
        for label, value in fields:
            if label in _TIME_LABELS and _has_date(value):
                self.times.append(value)
                took = True
            elif label in _AUTHOR_LABELS and value and not self.authors:
                self.authors.append(f"{label}：{value}")
                took = True
            elif label in _SOURCE_LABELS and value and self.source is None:
                self.source = f"来源：{value}"
                took = True
        if len(text) > _META_LINE_MAX:
            return
        labelled = any(label in _TIME_LABELS for label, _ in fields)
        if not labelled and _SENTENCE.search(text) is None and _has_date(text):
            self.times.append(text)
            took = True
        if not self.authors and not fields and (names := parse_byline(text)):
            self.authors.append(text)
            took = bool(names)
        if took:
            self.used.add(index)


def _fields(text: str) -> list[tuple[str, str]]:
    """'来源：齐鲁网 作者：张三 2022-02-20' -> [('来源', '齐鲁网'), ('作者', '张三 2022-02-20')]."""
    matches = list(_FIELD.finditer(text))
    out = []
    for position, match in enumerate(matches):
        if match.start() > 0 and text[match.start() - 1] not in " \t|｜丨/【[（(　" and match["label"] in ("文", "时间", "日期", "编辑"):
            continue  # "发文：" "新时间：" are not these labels
        stop = matches[position + 1].start() if position + 1 < len(matches) else len(text)
        value = text[match.end() : stop].strip(" |｜丨　")
        value = re.split(r"\s{2,}|　", value)[0] if match["label"] not in _TIME_LABELS else value
        out.append((match["label"], value.strip()))
    return out


def _has_date(text: str) -> bool:
    return _YEAR.search(text) is not None and dates.parse_datetime(text).ok


# --------------------------------------------------------------------------- publish time


def _published(
    meta: dict[str, str],
    linked: dict[str, str],
    root: lxml.html.HtmlElement,
    facts: _MetaLines,
    url: str | None,
) -> str | None:
    """The raw publish time: meta tags and JSON-LD, the lines near the title, <time> elements."""
    candidates: list[str] = []
    candidates += [meta[key] for key in _META_TIME if key in meta]
    candidates += [linked[key] for key in ("datePublished", "pubDate", "dateCreated") if key in linked]
    candidates += facts.times
    candidates += _time_elements(root)
    parsed = [(raw, result) for raw in candidates if (result := dates.parse_datetime(raw)).ok]
    if not parsed:
        return None
    url_day = dates.date_from_url(url)
    chosen = parsed[0]
    if url_day is not None:
        chosen = next((p for p in parsed if _day(p[1].iso) == url_day), chosen)
    # A later candidate of the same day may know the time of day too.
    day = _day(chosen[1].iso)
    for raw, result in parsed:
        if _day(result.iso) == day and _rank(result.precision) > _rank(chosen[1].precision):
            chosen = (raw, result)
    return chosen[0]


def _day(iso: str | None) -> date | None:
    return date.fromisoformat(iso[:10]) if iso else None


def _rank(precision: str | None) -> int:
    return {"day": 1, "minute": 2, "second": 3}.get(precision or "", 0)


def _time_elements(root: lxml.html.HtmlElement) -> list[str]:
    """``<time datetime>`` and short elements whose class or id says time or date."""
    found = []
    for element in root.iter("time"):
        found.append(element.get("datetime") or element.text_content())
    for element in root.iter("span", "div", "p", "em", "i", "font", "td", "li"):
        marker = f"{element.get('class') or ''} {element.get('id') or ''}"
        if marker.strip() and _TIME_HINT.search(marker):
            text = normalize_paragraph(element.text_content())
            if 8 <= len(text) <= _META_LINE_MAX:
                found.append(text)
    return [text for text in found if text and _YEAR.search(text)]
