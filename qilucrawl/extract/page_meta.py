"""A page's metadata: meta tags and JSON-LD, the title, and the short lines around the title and
at the ends of the body that give time, byline and source ("发布时间：2022-02-20 16:17",
"来源：齐鲁网 作者：张三").  These only find strings; :mod:`qilucrawl.clean` reads dates and names.
"""

from __future__ import annotations

import json
import re
from datetime import date

from qilucrawl.clean import dates
from qilucrawl.clean.bylines import (
    REPORTER_ROLE,
    dateline_outlet,
    is_outlet,
    lead_credit,
    parse_byline,
    split_names,
    trailing_credit,
)  # fmt: skip
from qilucrawl.clean.text import normalize_paragraph, normalize_text
from qilucrawl.extract.page_walk import LINK_DENSE, NODE, Block, Element, PageLines

_HEADINGS = frozenset(("h1", "h2", "h3", "h4", "h5", "h6"))
_HEADING_WEIGHT = {"h1": 1.3, "h2": 1.15, "h3": 1.1}
_SENTENCE = re.compile(r"[，。！？；]")
_META_LINE_MAX = 120  # lines holding time, byline or source are short
_NEAR_TITLE = 12  # lines after the title searched for time, byline and source
_BODY_EDGE = 6  # lines at each end of the body searched too
_TITLE_MAX = 120
_NAME_ONLY = 8  # a page title part no longer than this names a site or section, not an article
_HEAD_PROSE = 30  # a punctuated line worth this much is the article's text, not its head
_AFTER_BODY = 4  # lines after the body searched for a closing byline or date line
_REGION_MAX = 400

# Meta tags naming the publish time, most trusted first (name, property or itemprop, lower case).
_META_TIME = (
    "article:published_time", "og:article:published_time", "og:published_time",
    "og:release_date", "datepublished", "pubdate", "publishdate", "publish_date",
    "publication_date", "publishtime", "publish-date", "dc.date.issued", "dc.date", "date",
    "sailthru.date", "parsely-pub-date", "weibo:article:create_at", "article:created_time",
    "created", "firstpublishedtime", "releasedate",
)  # fmt: skip
# Other sites' own names for it ("apub:time", "pubtime", "og:release-date") ...
_META_TIME_NAME = re.compile(
    r"(?:publish|pub|release|issue|create|post)\w*[:._-]?(?:time|date)|(?:time|date)[:._-]?(?:publish|pub|release)",
    re.IGNORECASE,
)
_META_NOT_TIME = re.compile(r"modif|updat|expir|edit", re.IGNORECASE)  # ... but not the last change
_META_AUTHOR = (
    "author",
    "article:author",
    "og:article:author",
    "byline",
    "dc.creator",
    "sailthru.author",
)
_META_TITLE = ("og:title", "twitter:title", "headline")
_NOT_A_PERSON = re.compile(r"https?:|www\.|\.(?:com|cn|net|org)\b|@", re.IGNORECASE)
# Labels of the fields of a meta line; a field's value runs to the next label.
_FIELD = re.compile(
    r"(?P<label>责任编辑|编辑|责编|审核|图片来源|视频来源|图片|摄影|来源|出处|稿源|作者|记者|撰文|撰稿|文|通讯员|执笔人?|"
    r"发布时间|发表时间|发布日期|发表日期|更新时间|时间|日期|发表于|发布于|点击(?:数|量|率)?|"
    r"浏览(?:次数|量)?|阅读(?:数|量)?|字号|人气|评论)[\s\ue000]*(?:[:：/]|(?=(?:19|20)\d\d))"
)
_SHORT_LABELS = ("文", "时间", "日期", "编辑")  # only a label after a space or bracket
_FIELD_START = " \t|｜丨/【[（(　\ue000"
_TIME_LABELS = ("发布时间", "发表时间", "发布日期", "发表日期", "时间", "日期", "发表于", "发布于")
_AUTHOR_LABELS = ("作者", "记者", "撰文", "撰稿", "文", "通讯员", "执笔", "执笔人")
_SOURCE_LABELS = ("来源", "出处", "稿源")
_PHOTO_CREDIT = re.compile(r"摄|图")
# Where the names of a byline or author field stop.
_NAME_END = re.compile(
    r"发自|出自|摄影?|/|／|[(（\[【]|\d|\s*(?:阅读|评论|点击|浏览|人气|编辑|责编|发表|发布|更新|来源|时间|日期)"
)
# Forums and blogs: "ggjjzhzz 发表于 2005-9-15 11:46", "发布时间 2005/03/15 22:36 by duscha".
_POSTED_BY = re.compile(r"^(?P<name>[^\s:：]{2,20})\s+发表于|\bby\s+(?P<name2>[A-Za-z][\w.\-]{1,30})")
_CLOSING = {"）": "（", ")": "(", "】": "【", "]": "["}
_TIME_HINT = re.compile(
    r"(?:^|[\s_-])(?:time|date|pubtime|pubdate|publish\w*|post-?time|datetime)(?:$|[\s_-])",
    re.IGNORECASE,
)
_YEAR = re.compile(r"(?:19|20)\d\d")
_TITLE_SEPARATORS = re.compile(r"\s*(?:_|\||｜|--?|—+|–| - |::)\s*")


def meta_tags(root: Element) -> dict[str, str]:
    """``<meta>`` contents keyed by lower-case name, property or itemprop (first one wins)."""
    found: dict[str, str] = {}
    for element in root.iter("meta"):
        key = element.get("name") or element.get("property") or element.get("itemprop")
        content = element.get("content")
        if key and content and content.strip():
            found.setdefault(key.strip().lower(), content.strip())
    return found


def json_ld(root: Element) -> dict[str, str]:
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


def outlet_source(meta: dict[str, str], linked: dict[str, str], blocks: list[Block], head: int, end: int) -> str | None:
    """The outlet a page names without a 来源 line: its dateline ("新华社北京电"), else a meta
    author that is an outlet, not a person ("齐州商报")."""
    for block in blocks[head : min(end, head + 2)]:
        if outlet := dateline_outlet(block.text):
            return outlet
    for value in (*(meta.get(key) for key in _META_AUTHOR), linked.get("author")):
        if value and is_outlet(value):
            return value.strip()
    return None


def meta_authors(meta: dict[str, str], linked: dict[str, str]) -> list[str]:
    for value in (*(meta.get(key) for key in _META_AUTHOR), linked.get("author")):
        if value and not _NOT_A_PERSON.search(value):
            return [value]
    return []


# --------------------------------------------------------------------------- title


def title_of(
    root: Element, meta: dict[str, str], linked: dict[str, str], page: PageLines, body_start: int | None = None
) -> tuple[str | None, int | None]:
    """The article title and the index of the line showing it (None: only ``<title>`` has it).

    The title is the longest line of the page that ``<title>`` or og:title repeats (headings
    first); a line much shorter than the title's main part (a section name) does not count.
    Where they name only the site or a section ("东岳网-首页", "新闻中心"), the page's main
    heading just above the body (a heading, or an element classed as a title) is the title.
    """
    page_title = normalize_paragraph(root.findtext(".//title"))
    named = [normalize_paragraph(meta.get(key) or linked.get(key)) for key in _META_TITLE]
    references = [(text, _main_part(text)) for text in (page_title, *named) if text]
    found: dict[str, tuple[float, int]] = {}
    for index, block in enumerate(page.blocks):
        head = block.raw.lstrip()[:1]
        if block.chars > _TITLE_MAX or not any(head in ref for ref, _ in references):
            continue
        text = block.text
        if not 4 <= len(text) <= _TITLE_MAX:
            continue
        if not any(text in ref and len(text) * 2 >= main and not _site_part(text, ref) for ref, main in references):
            continue
        score = len(text) * _HEADING_WEIGHT.get(block.owner.tag, 1.0) - (1 if block.links else 0)
        if text not in found or score > found[text][0]:
            found[text] = (score, index)
    # "标题_频道" is the page title again when "标题" is a line of its own.
    for text in [t for t in found if any(_adds_site(t, other) for other in found)]:
        del found[text]
    headline = _headline_above(page.blocks, body_start) if body_start is not None else None
    if found:
        text, (_, index) = max(found.items(), key=lambda item: (item[1][0], -item[1][1]))
        # A page title that is this short line and nothing more names a site or section.
        generic = text in (page_title, *named) and len(text) <= _NAME_ONLY
        if headline is not None and headline[1] > index and headline[0] != text and generic:
            return headline
        return text, index
    if headline is not None:
        # The page's main heading, unless it is the page title with more around it ("原创" + the
        # title: a badge; "蔡健雅早年经历" under "蔡健雅_百度百科": a section); a page title
        # that is not in it is the site's name.
        inner = [part for ref in (*named, page_title) for part in _parts_within(ref, headline[0])]
        return (inner[0], headline[1]) if inner else headline
    for text in named:
        if text:
            return text, _find_block(page.blocks, text)
    headings = list(root.iter("h1"))
    if len(headings) == 1:
        text = normalize_paragraph(headings[0].text_content())
        if 4 <= len(text) <= _TITLE_MAX:
            return text, _find_block(page.blocks, text)
    return page_title or None, None


# Class or id words of an element holding a headline ("article-title", "tit", "news_biaoti").
_HEADLINE_WORD = re.compile(r"(?:^|[\s_-])(?:tit|title|headline|biaoti|bt)(?:$|[\s_\d-])", re.IGNORECASE)
_NOT_HEADLINE_WORD = re.compile(r"sub|fu|vice|small|side|list|nav", re.IGNORECASE)


def _headline_above(blocks: list[Block], start: int) -> tuple[str, int] | None:
    """The heading nearest above the body's first paragraph: a line in ``<h1>``–``<h3>`` or in
    an element whose class or id says title, that is no field line, date or link list."""
    found = None
    for index in range(max(0, start - _NEAR_TITLE), min(len(blocks), start + 3)):
        block, text = blocks[index], blocks[index].text
        if block.value > _HEAD_PROSE and _SENTENCE.search(text):
            break  # the article has begun
        fits = 4 <= len(text) <= _TITLE_MAX and block.links <= block.chars * LINK_DENSE
        if fits and _is_headline(block) and not _has_date(text) and not _FIELD.search(text):
            found = (text, index)
    return found


def _is_headline(block: Block) -> bool:
    owner = block.owner
    if owner.tag in ("h1", "h2", "h3"):
        return True
    for element in (owner, owner.getparent()):
        if element is None:
            continue
        words = f"{element.get('class') or ''} {element.get('id') or ''}"
        if _HEADLINE_WORD.search(words) and not _NOT_HEADLINE_WORD.search(words):
            return True
    return False


def _site_part(text: str, title: str) -> bool:
    """True when ``text`` is what a page title ends with after the article's title (the site)."""
    return title != text and title.endswith(text) and len(title) - len(text) >= 4


def _adds_site(longer: str, shorter: str) -> bool:
    """True when ``longer`` is ``shorter`` plus a separator and more (a site or section name)."""
    return longer != shorter and longer.startswith(shorter) and bool(_TITLE_SEPARATORS.match(longer[len(shorter) :]))


def _parts_within(title: str | None, heading: str) -> list[str]:
    """The parts of a page title ("蔡健雅_百度百科") that a heading repeats as its main words."""
    parts = _TITLE_SEPARATORS.split(title or "")
    return [part for part in parts if len(part) >= 2 and len(part) * 3 >= len(heading) and part in heading]


def _main_part(title: str) -> int:
    """Length of the longest separator-delimited part of a page title (its article title)."""
    return max((len(part) for part in _TITLE_SEPARATORS.split(title)), default=len(title))


def _find_block(blocks: list[Block], title: str) -> int | None:
    for index, block in enumerate(blocks):
        if title in block.text and len(block.text) <= len(title) + 30:
            return index
    return None


def line_before(blocks: list[Block], start: int) -> tuple[str | None, int | None]:
    """A page without a title element: the short line closest above the body names it."""
    for index in range(start - 1, max(-1, start - 1 - _NEAR_TITLE), -1):
        block, text = blocks[index], blocks[index].text
        fits = 4 <= len(text) <= _TITLE_MAX and block.links <= block.chars * LINK_DENSE
        if fits and not _has_date(text) and not _FIELD.search(text):
            return text, index
    return None, None


# --------------------------------------------------------------------------- meta lines


def meta_region(blocks: list[Block], title_at: int | None, start: int, end: int) -> list[int]:
    """Indexes of the lines that may hold time, byline and source, most likely first.

    From the title (or a little above the body) through the body to a few lines after it, in
    reading order: the first date line after the title is the publish time even on a forum
    thread whose replies carry later ones.  Then the lines just above the title.
    """
    if title_at is None or title_at >= end:
        first = max(0, start - _NEAR_TITLE)
    else:
        first = title_at + 1
    order = list(range(first, min(len(blocks), end + _AFTER_BODY, first + _REGION_MAX)))
    if first < start - _REGION_MAX:  # a title far above the body: its own lines, then the body's
        order = list(range(first, first + _NEAR_TITLE)) + list(range(start - _BODY_EDGE, end + _AFTER_BODY))
    if title_at is not None:
        order += range(max(0, title_at - 3), title_at)
    return [i for i in dict.fromkeys(order) if 0 <= i < len(blocks)]


class MetaLines:
    """Time, authors and source read from labelled fields and bylines in short lines."""

    def __init__(self, blocks: list[Block], start: int, end: int, anchor: int) -> None:
        self.blocks = blocks
        self.start, self.end = start, end
        self.anchor = anchor  # the title's line, or the body's first
        # (distance from the anchor, raw): labelled times ("发布时间：…"), bare date lines
        self.labelled: list[tuple[int, str]] = []
        self.bare: list[tuple[int, str]] = []
        self.authors: list[str] = []
        self.source: str | None = None
        self.used: set[int] = set()

    @property
    def times(self) -> list[str]:
        """Publish-time candidates: labelled ones first, each kind nearest the title first."""
        return [raw for _, raw in sorted(self.labelled, key=lambda item: item[0])] + [
            raw for _, raw in sorted(self.bare, key=lambda item: item[0])
        ]

    def read_all(self, region: list[int]) -> None:
        for index in region:
            self.read(index)
        if not self.authors:
            self.authors += _credit_in_body(self.blocks, self.start, self.end)

    def read(self, index: int) -> None:
        block = self.blocks[index]
        if len(block.raw) > _META_LINE_MAX * 8:
            return
        marked = block.marked
        text = _unmarked(marked)
        if not text or len(text) > _META_LINE_MAX * 2:
            return
        distance = abs(index - self.anchor)
        fields = _fields(marked)
        took = False
        for label, value in fields:
            if label in _TIME_LABELS and _has_date(value):
                self.labelled.append((distance, value))
                took = True
            elif label in _AUTHOR_LABELS and not self.authors and (name := _name_part(value)):
                self.authors.append(f"{label}：{name}")
                took = True
            elif label in _SOURCE_LABELS and value and self.source is None:
                self.source = f"来源：{value}"
                took = True
        if block.links > block.chars * LINK_DENSE:  # a headline list: only its labelled fields
            if took:
                self.used.add(index)
            return
        short = len(text) <= _META_LINE_MAX and _SENTENCE.search(text) is None
        if short and not any(label in _TIME_LABELS for label, _ in fields) and _has_date(text):
            self.bare.append((distance, text))
            took = True
        heading = block.owner.tag in _HEADINGS  # "作者最新文章" heads a list, it is no byline
        if short and not heading and not self.authors and (byline := self._byline(text, fields, index)):
            self.authors.append(byline)
            took = True
        if took:
            self.used.add(index)

    def _byline(self, text: str, fields: list[tuple[str, str]], index: int) -> str | None:
        """A byline without a field label: "记者 张三", "张三 发表于 …", "… by name"."""
        if not any(label in _AUTHOR_LABELS for label, _ in fields) and len(text) <= 40:
            if parse_byline(text):
                return text
            match = REPORTER_ROLE.search(text)
            if match and not _PHOTO_CREDIT.search(text) and (name := _name_part(text[match.end() :])):
                return f"{match['role']}：{name}"
        if match := _POSTED_BY.search(text):
            return match["name"] or match["name2"]
        return None


def _credit_in_body(blocks: list[Block], start: int, end: int) -> list[str]:
    """Credits inside paragraphs: "新华社北京电（记者 张三）…" at the start, "（张三 李四）" at the end."""
    for index in range(start, min(end, start + 4)):
        if names := lead_credit(blocks[index].text):
            return ["、".join(names)]
    for index in range(min(len(blocks), end + 2) - 1, max(start, end - 3) - 1, -1):
        if names := trailing_credit(blocks[index].text):
            return ["、".join(names)]
    return []


def _name_part(value: str) -> str:
    """The names at the start of a field value, up to the next field or a non-name word."""
    value = _NAME_END.split(value, 1)[0].strip(" :：·")
    return value if split_names(value) else ""


def _fields(text: str) -> list[tuple[str, str]]:
    """'来源：齐鲁网 作者：张三 2022-02-20' -> [('来源', '齐鲁网'), ('作者', '张三 2022-02-20')].

    ``text`` marks its node boundaries: a medium's name ends at one (its link), a name list or
    a time does not.
    """
    matches = [
        match
        for match in _FIELD.finditer(text)
        if match["label"] not in _SHORT_LABELS or match.start() == 0 or text[match.start() - 1] in _FIELD_START
    ]
    out = []
    for position, match in enumerate(matches):
        stop = matches[position + 1].start() if position + 1 < len(matches) else len(text)
        value = text[match.end() : stop].strip(" |｜丨　" + NODE)
        if match["label"] in _SOURCE_LABELS:
            value = value.split(NODE, 1)[0]
        value = _unmarked(value)
        if match["label"] not in _TIME_LABELS:
            value = re.split(r"\s{2,}|　", value)[0]
        out.append((match["label"], _unbracketed(value.strip())))
    return out


def _unmarked(text: str) -> str:
    return normalize_text(text.replace(NODE, " ")) if NODE in text else text


def _unbracketed(value: str) -> str:
    """'新华社）' -> '新华社': the closing bracket of a "（来源：新华社）" line is not the value's."""
    while value and value[-1] in _CLOSING and _CLOSING[value[-1]] not in value:
        value = value[:-1].rstrip()
    return value


def _has_date(text: str) -> bool:
    return _YEAR.search(text) is not None and dates.parse_datetime(text).ok


# --------------------------------------------------------------------------- publish time


def publish_time(
    meta: dict[str, str], linked: dict[str, str], root: Element, facts: MetaLines, url: str | None
) -> str | None:
    """The raw publish time: meta tags and JSON-LD, the lines near the title, <time> elements.

    The first that reads as a date wins, unless the URL carries a date and another one agrees
    with it; a later candidate of the same day that also knows the time of day replaces it.
    """
    candidates: list[str] = []
    candidates += [meta[key] for key in _META_TIME if key in meta]
    candidates += [
        value
        for key, value in meta.items()
        if key not in _META_TIME and _META_TIME_NAME.search(key) and not _META_NOT_TIME.search(key)
    ]
    candidates += [linked[key] for key in ("datePublished", "pubDate", "dateCreated") if key in linked]
    candidates += facts.times
    candidates += _time_elements(root)
    parsed = [(raw, result) for raw in candidates if (result := dates.parse_datetime(raw)).ok]
    # A month alone ("1998年3月") only when the page has no date with a day.
    parsed = [p for p in parsed if p[1].precision != "month"] or parsed
    if not parsed:
        return None
    chosen = parsed[0]
    url_day = dates.date_from_url(url)
    if url_day is not None:
        chosen = next((p for p in parsed if _day(p[1].iso) == url_day), chosen)
    day = _day(chosen[1].iso)
    for raw, result in parsed:
        if _day(result.iso) == day and _rank(result.precision) > _rank(chosen[1].precision):
            chosen = (raw, result)
    return chosen[0]


def _day(iso: str | None) -> date | None:
    return date.fromisoformat(iso[:10]) if iso else None


def _rank(precision: str | None) -> int:
    return {"day": 1, "minute": 2, "second": 3}.get(precision or "", 0)


def _time_elements(root: Element) -> list[str]:
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
