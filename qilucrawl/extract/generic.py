"""Any Chinese news page no site parser claims: find the body, title, time, authors and source.

The body is found by scoring, in one walk over the tree.  The page is cut into text lines
("blocks") at block elements and ``<br>``, as :mod:`qilucrawl.clean.html` cuts a body, and each
line gets a value: its length when it reads like prose (sentence punctuation, few links), minus
its length when it is mostly links (menus, headline lists) or a footer line, a small minus when
it is a short unpunctuated label.  For every container the best run of consecutive parts (child
containers taken whole, and its own lines) is found by maximum subarray, and the container and
run with the highest total is the body: the tightest element holding the prose wins, whether it
is a modern ``<div>`` or a ``<td>`` of a 1990s layout table that also holds a sidebar.  Share,
ad and comment containers (by class or id) count against a run; link lists left inside are
pruned; the lines before the article starts (title, date, byline) and from a "热门评论" /
"相关新闻" heading on are taken out.

The title is the longest line that ``<title>`` (or og:title) repeats, headings first; the
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
from qilucrawl.clean.boilerplate import is_noise_container, parse_byline, split_names
from qilucrawl.clean.text import normalize_paragraph, normalize_text
from qilucrawl.extract.base import Document, ExtractError, RawArticle

NAME = "generic"
VERSION = "V1"

Element = lxml.html.HtmlElement

# Elements whose text is never content (read for metadata first, then removed).
_STRIP_TAGS = ("script", "style", "noscript", "template", "select", "textarea", "button", "svg")
# Where a line ends; the same cut :mod:`qilucrawl.clean.html` makes.
_BLOCK_TAGS = frozenset(
    [
        "p",
        "div",
        "section",
        "article",
        "main",
        "header",
        "footer",
        "aside",
        "center",
        "figure",
        "figcaption",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "li",
        "ul",
        "ol",
        "dl",
        "dt",
        "dd",
        "blockquote",
        "pre",
        "address",
        "hr",
        "body",
        "html",
        "table",
        "tbody",
        "thead",
        "tfoot",
        "tr",
        "td",
        "th",
        "caption",
        "details",
        "summary",
        "form",
        "nav",
    ]
)
_UNSEEN = frozenset(("head", "title", *_STRIP_TAGS))
_HEADINGS = frozenset(("h1", "h2", "h3", "h4", "h5", "h6"))
_HEADING_WEIGHT = {"h1": 1.3, "h2": 1.15, "h3": 1.1}

# Sentence punctuation: prose has it, menus, labels and date lines do not.  Colons and brackets
# are left out because bylines and date lines use them.
_PUNCT = re.compile(r"[，。！？；、“”‘’《》…]|[,!?;](?=\s|$)|\.(?=\s)")
_SENTENCE = re.compile(r"[，。！？；]")
_NOT_WORD = re.compile(r"[\W\d_]+")
_DIGITS = re.compile(r"\d")
_DIGIT_WEIGHT = 0.25  # lengths count letters and ideographs, not digits or spaces
_HIDDEN = re.compile(r"display\s*:\s*none|visibility\s*:\s*hidden", re.IGNORECASE)
# Footer lines: a run of article text should stop before them.
_FOOTER = re.compile(
    r"ICP[备证]|版权所有|版权声明|免责声明|All Rights Reserved|Copyright\s*(?:©|\(c\)|\d)|不良信息举报",
    re.IGNORECASE,
)
# A heading that starts what follows an article: comments, related articles, notices.
_AFTER_ARTICLE = re.compile(
    r"^[【\[]?(?:热门评论|最新评论|网友评论|精彩评论|评论区|我要评论|发表评论|我来说两句|相关(?:新闻|阅读|报道|链接|文章|推荐|专题)|"
    r"延伸阅读|推荐阅读|热点推荐|热门推荐|猜你喜欢|往期回顾)[】\]]?\s*[:：]?"
    # a notice may name the site first: "振兴东北网版权与免责声明："
    r"|^[【\[]?.{0,10}?(?:版权|侵权|免责|法律|郑重|特别)(?:与免责)?(?:声明|公告)[】\]]?\s*[:：]?$"
)

_LINK_DENSE = 0.5  # a line or container with more link text than this is navigation
_UNPUNCTUATED_PROSE = 20  # an unpunctuated line this long may still be prose (some blogs)
_SURE_BODY = 200  # a run worth this much is an article, not a stray blurb
_HEAD_LINE = 30  # an unpunctuated line before the article this short is not part of it
_META_LINE_MAX = 120  # lines holding time, byline or source are short
_NEAR_TITLE = 12  # lines after the title searched for time, byline and source
_BODY_EDGE = 6  # lines at each end of the body searched too
_TITLE_MAX = 120
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
_NODE = "\ue000"  # marks where one text node ends and the next begins in a meta line
_SHORT_LABELS = ("文", "时间", "日期", "编辑")  # only a label after a space or bracket
_FIELD_START = " \t|｜丨/【[（(　\ue000"
_TIME_LABELS = ("发布时间", "发表时间", "发布日期", "发表日期", "时间", "日期", "发表于", "发布于")
_AUTHOR_LABELS = ("作者", "记者", "撰文", "撰稿", "文", "通讯员", "执笔", "执笔人")
_SOURCE_LABELS = ("来源", "出处", "稿源")
# Bylines without a field label.  "光明日报记者 王建宏 张文攀", "本报记者罗科苏盈发自北京": a role, then names.
_ROLE = re.compile(r"(?P<role>记者|通讯员|实习生|评论员)\s*[:：]?\s*")
_PHOTO_CREDIT = re.compile(r"摄|图")
# Where the names of a byline or author field stop.
_NAME_END = re.compile(
    r"发自|出自|摄影?|/|／|[(（\[【]|\d|\s*(?:阅读|评论|点击|浏览|人气|编辑|责编|发表|发布|更新|来源|时间|日期)"
)
# Forums and blogs: "ggjjzhzz 发表于 2005-9-15 11:46", "发布时间 2005/03/15 22:36 by duscha".
_POSTED_BY = re.compile(r"^(?P<name>[^\s:：]{2,20})\s+发表于|\bby\s+(?P<name2>[A-Za-z][\w.\-]{1,30})")
# "新华社拉萨电（记者 格桑边觉）记者近日…": the credit in the first paragraph.
_LEAD_CREDIT = re.compile(
    r"电\s*[（(]\s*(?:[^（）()]{0,8}?)(?:记者|通讯员|实习生)\s*(?P<names>[^（）()]{2,30}?)\s*[)）]"
)
# "…新春佳节。（常书香 马丹阳）", "（记者 胡晓蓉）", "（姚峰 上海报道）": the credit closing the last paragraph.
_TRAILING_CREDIT = re.compile(r"[（(]\s*(?P<inner>[^（）()]{2,30}?)\s*[)）]\s*$")
_NOT_CREDIT = re.compile(r"来源|图|摄|完|编辑|责编|审核|校对|转载")
_CLOSING = {"）": "（", ")": "(", "】": "【", "]": "["}
_TIME_HINT = re.compile(
    r"(?:^|[\s_-])(?:time|date|pubtime|pubdate|publish\w*|post-?time|datetime)(?:$|[\s_-])",
    re.IGNORECASE,
)
_YEAR = re.compile(r"(?:19|20)\d\d")
_TITLE_SEPARATORS = re.compile(r"\s*(?:_|\||｜|--?|—+|–| - |::)\s*")


@dataclass(slots=True)
class _Block:
    """One line of the page."""

    raw: str
    owner: Element  # the innermost block element holding the line
    chars: float  # letters and ideographs (digits count a quarter)
    links: float  # of which inside links
    value: float
    path: tuple[Element, ...]  # the block elements around it, outermost first
    slots: list[tuple[Element, bool]]  # where its text sits: (element, is the tail)
    parts: list[str]  # its text nodes
    normalized: str | None = None

    @property
    def text(self) -> str:
        """The line as :func:`normalize_paragraph` writes it (computed when first asked for)."""
        if self.normalized is None:
            self.normalized = normalize_paragraph(self.raw)
        return self.normalized

    @property
    def marked(self) -> str:
        """The line with a mark between its text nodes: in "来源：<a>齐鲁网</a><a>举报</a>" the
        medium ends where its link does (for reading fields, not for output)."""
        return normalize_text(_NODE.join(self.parts))

    def blank(self) -> None:
        """Take the line's text out of the tree."""
        for element, is_tail in self.slots:
            if is_tail:
                element.tail = None
            else:
                element.text = None


@dataclass(slots=True)
class _Page:
    """What one walk over the tree found."""

    blocks: list[_Block] = field(default_factory=list)
    # element -> [score, chars, link chars, screened score] of everything inside it; the
    # screened score counts share/ad/comment containers (by class or id) against it
    totals: dict[Element, list[float]] = field(default_factory=dict)
    spans: dict[Element, tuple[int, int]] = field(default_factory=dict)  # first line, end line
    depths: dict[Element, int] = field(default_factory=dict)
    noisy: set[Element] = field(default_factory=set)  # share/ad/comment containers
    shadowed: set[Element] = field(default_factory=set)  # they and what is inside them


@dataclass(slots=True)
class _Body:
    """The chosen container and the run of its parts that holds the article."""

    element: Element
    start: int  # first line of the run
    end: int  # line after the run
    score: float
    depth: int
    outside: list[tuple[Element | None, int, int]]  # parts before or after the run
    screened: bool  # found with share/ad/comment containers counted against it


class GenericParser:
    """Title, time, authors, source and body of any news page, by rules and text scoring."""

    name = NAME

    def matches(self, doc: Document) -> bool:
        return True

    def parse(self, doc: Document) -> RawArticle:
        root = doc.tree
        meta = _meta_tags(root)
        linked = _json_ld(root)
        _adopt_strays(root)
        lxml.etree.strip_elements(root, *_STRIP_TAGS, with_tail=False)
        page = _walk(root)
        title, title_at = _title(root, meta, linked, page)
        chosen = _best_body(page)
        if chosen is None:
            raise ExtractError("no text on the page")
        start, end = chosen.start, _article_end(page.blocks, chosen.start, chosen.end)
        if title is None:
            title, title_at = _line_before(page.blocks, start)
        facts = _MetaLines(page.blocks, start, end, title_at if title_at is not None else start)
        facts.read_all(_meta_region(page.blocks, title_at, start, end))
        published = _published(meta, linked, root, facts, doc.url)  # before the tree is cut
        head = _head_end(page.blocks, start, end, title, facts.used)
        _cut(page, chosen, head, end, title)
        _prune(page, chosen, head, end)
        return RawArticle(
            parser=f"{NAME}/{VERSION}",
            body=chosen.element,
            title=title,
            published=published,
            authors=facts.authors or _meta_authors(meta, linked),
            source=facts.source,
            base_url=doc.url,
            known_lines=[page.blocks[i].text for i in sorted(facts.used) if head <= i < end],
        )


# --------------------------------------------------------------------------- metadata


def _meta_tags(root: Element) -> dict[str, str]:
    """``<meta>`` contents keyed by lower-case name, property or itemprop (first one wins)."""
    found: dict[str, str] = {}
    for element in root.iter("meta"):
        key = element.get("name") or element.get("property") or element.get("itemprop")
        content = element.get("content")
        if key and content and content.strip():
            found.setdefault(key.strip().lower(), content.strip())
    return found


def _json_ld(root: Element) -> dict[str, str]:
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
        if value and not _NOT_A_PERSON.search(value):
            return [value]
    return []


# --------------------------------------------------------------------------- the walk


def _adopt_strays(root: Element) -> None:
    """Content after a stray ``</html>`` lands in a second root element; move it into the body."""
    strays = [element for element in root.itersiblings() if isinstance(element.tag, str)]
    if not strays:
        return
    body = root.find("body")
    if body is None:
        body = lxml.etree.SubElement(root, "body")
    for stray in strays:
        inner = stray.find("body")
        for child in list(inner if inner is not None else stray):
            if child.tag != "head":
                body.append(child)


def _walk(root: Element) -> _Page:
    page = _Page()
    walker = _Walker(page)
    walker.walk(root, False)
    walker.flush()
    totals, noisy = page.totals, page.noisy
    for element in reversed(list(root.iter())):
        own = totals.get(element)
        if own is None:
            continue
        parent = element.getparent()
        if parent is None:
            continue
        screened = -own[1] if element in noisy else own[3]
        into = totals.get(parent)
        if into is None:
            totals[parent] = [own[0], own[1], own[2], screened]
        else:
            into[0] += own[0]
            into[1] += own[1]
            into[2] += own[2]
            into[3] += screened
    return page


class _Walker:
    """Cuts the tree into lines and gives each line's value to the element that owns it."""

    __slots__ = ("chars", "links", "page", "parts", "shade", "slots", "stack")

    def __init__(self, page: _Page) -> None:
        self.page = page
        self.stack: list[Element] = []
        self.parts: list[str] = []
        self.slots: list[tuple[Element, bool]] = []
        self.chars = 0
        self.links = 0
        self.shade = 0  # how many share/ad/comment containers are open

    def walk(self, element: Element, in_link: bool) -> None:
        """One call per element (recursion depth = tree depth, which libxml2 caps at 255)."""
        tag = element.tag
        if isinstance(tag, str) and tag not in _UNSEEN and not _hidden(element):
            if tag == "br" or tag == "img":
                self.flush()
            else:
                block = tag in _BLOCK_TAGS
                if block:
                    self.open(element)
                link = in_link or tag == "a"
                if element.text:
                    self.add(element.text, link, element, False)
                for child in element:
                    self.walk(child, link)
                if block:
                    self.close(element)
        if element.tail:
            self.add(element.tail, in_link, element, True)

    def open(self, element: Element) -> None:
        self.flush()
        page = self.page
        page.depths[element] = len(self.stack)
        page.spans[element] = (len(page.blocks), -1)
        if is_noise_container(element):
            page.noisy.add(element)
            self.shade += 1
        if self.shade:
            page.shadowed.add(element)
        self.stack.append(element)

    def close(self, element: Element) -> None:
        self.flush()
        self.stack.pop()
        page = self.page
        page.spans[element] = (page.spans[element][0], len(page.blocks))
        if element in page.noisy:
            self.shade -= 1

    def add(self, text: str, in_link: bool, element: Element, is_tail: bool) -> None:
        self.parts.append(text)
        self.slots.append((element, is_tail))
        if text.isspace():  # indentation between tags: most text nodes of a page
            return
        letters = len(_NOT_WORD.sub("", text))
        # Digits count a little: "[1] [2] [3]" page links are links, "(2005-04-27 14:32)"
        # after a headline does not make it prose.
        count = letters + _DIGIT_WEIGHT * len(_DIGITS.findall(text))
        self.chars += count
        if in_link:
            self.links += count

    def flush(self) -> None:
        if not self.parts:
            return
        chars, links, slots = self.chars, self.links, self.slots
        parts = self.parts
        text = "".join(parts)
        self.parts = []
        self.slots = []
        self.chars = self.links = 0
        if not self.stack or not text.strip():
            return
        owner = self.stack[-1]
        value = _value(text, chars, links, owner.tag)
        self.page.blocks.append(_Block(text, owner, chars, links, value, tuple(self.stack), slots, parts))
        own = self.page.totals.get(owner)
        if own is None:
            self.page.totals[owner] = [value, chars, links, value]
        else:
            own[0] += value
            own[1] += chars
            own[2] += links
            own[3] += value


def _hidden(element: Element) -> bool:
    style = element.get("style")
    return bool(style) and bool(_HIDDEN.search(style))


def _value(text: str, chars: float, links: float, tag: str) -> float:
    """How much a line says "article": prose counts for, links, footers and labels against."""
    if links > chars * _LINK_DENSE or _FOOTER.search(text):
        return -float(max(chars, 1))
    prose = chars - links
    if tag == "h1":  # the page's headline, not its text
        return -0.5 * min(prose, _UNPUNCTUATED_PROSE)
    if _PUNCT.search(text) is None:
        return 0.25 * prose if prose >= _UNPUNCTUATED_PROSE else -0.5 * prose
    return float(prose)


# --------------------------------------------------------------------------- the body


def _best_body(page: _Page) -> _Body | None:
    """The container and the run of its parts with the highest total value.

    A container's parts are its child block elements (whole) and the lines directly in it; the
    best run of consecutive parts (maximum subarray) leaves out a sidebar, a headline list or
    a copyright notice that shares a layout cell with the article.  On a tie the deeper
    container wins: it holds the same article with less around it.  Share, ad and comment
    containers count against a run, unless what is left is too little to be an article (a
    site that names its article div "print" or "comment-box").
    """
    best: dict[bool, _Body] = {}
    for element, (start, end) in page.spans.items():
        if end <= start:
            continue
        depth = page.depths[element]
        parts = _parts(page, start, end, depth)
        for screened in (False, True):
            if screened and element in page.shadowed:
                continue
            score, first, last = _best_run([part[screened] for part in parts])
            current = best.get(screened)
            if score > 0 and (current is None or (score, depth) > (current.score, current.depth)):
                outside = [part[2:] for i, part in enumerate(parts) if not first <= i <= last]
                best[screened] = _Body(element, parts[first][3], parts[last][4], score, depth, outside, screened)
    screened, plain = best.get(True), best.get(False)
    if screened is not None and (plain is None or screened.score * 4 >= plain.score or screened.score >= _SURE_BODY):
        return screened
    return plain


def _parts(page: _Page, start: int, end: int, depth: int) -> list[tuple[float, float, Element | None, int, int]]:
    """(value, screened value, child element or None for a line of the container's own,
    first line, end line) for each part of a container, in order."""
    parts = []
    index = start
    blocks, spans, totals, noisy = page.blocks, page.spans, page.totals, page.noisy
    while index < end:
        path = blocks[index].path
        if len(path) > depth + 1:
            child = path[depth + 1]
            stop = spans[child][1]
            stats = totals[child]
            parts.append((stats[0], -stats[1] if child in noisy else stats[3], child, index, stop))
            index = stop
        else:
            value = blocks[index].value
            parts.append((value, value, None, index, index + 1))
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


def _article_end(blocks: list[_Block], start: int, end: int) -> int:
    """Where the article stops: at a comments / related / notice heading once it has begun."""
    total = sum(block.value for block in blocks[start:end] if block.value > 0)
    seen = 0.0
    for index in range(start, end):
        block = blocks[index]
        if len(block.text) <= 16 and _AFTER_ARTICLE.match(block.text) and seen * 4 > total:
            return index
        seen += max(block.value, 0.0)
    return end


def _head_end(blocks: list[_Block], start: int, end: int, title: str | None, used: set[int]) -> int:
    """The first line of the article proper, after the title, date and byline lines."""
    index = start
    while index < min(end, start + 8):
        block = blocks[index]
        heading = block.text == title or index in used
        label = block.value <= 0 and len(block.text) <= _HEAD_LINE
        if not (heading or label):
            break
        index += 1
    return index if index < end else start


def _cut(page: _Page, body: _Body, head: int, end: int, title: str | None) -> None:
    """Take out of the container what is not the article: the parts outside the run, the
    lines before the article starts and everything from where it stops."""
    for element, first, _ in body.outside:
        if element is None:
            page.blocks[first].blank()
        elif element.getparent() is not None:
            element.drop_tree()
    for index in [*range(body.start, head), *range(end, body.end)]:
        page.blocks[index].blank()
    for index in range(head, end):  # the headline repeated further down (a second layout)
        if title and page.blocks[index].text == title:
            page.blocks[index].blank()
    if end < body.end:
        doomed = []
        for element in body.element.iterdescendants():
            span = page.spans.get(element)
            if span is not None and span[1] <= body.end and (span[0] > end or span[0] == end < span[1]):
                doomed.append(element)
        for element in doomed:
            if element.getparent() is not None:
                element.drop_tree()


def _prune(page: _Page, body: _Body, head: int, end: int) -> None:
    """Take link lists (related articles, tags, page numbers) and, when the body was found with
    them screened out, share/ad/comment containers out of the article's lines.  Only elements
    inside those lines are candidates: a wrapper around the whole page is not a link list."""
    article = sum(block.chars for block in page.blocks[head:end])
    doomed = []
    for element in body.element.iterdescendants():
        span = page.spans.get(element)
        inside = span is not None and head <= span[0] and span[1] <= end
        stats = page.totals.get(element)
        if inside and stats is not None and stats[1] >= 4 and stats[2] > stats[1] * _LINK_DENSE and stats[0] < 0:
            doomed.append(element)
        elif body.screened and (inside or span is None) and is_noise_container(element):
            chars = stats[1] if stats is not None else len(_NOT_WORD.sub("", element.text_content()))
            if chars * 2 < article:
                doomed.append(element)
    for element in doomed:
        if element.getparent() is not None:
            element.drop_tree()


# --------------------------------------------------------------------------- title


def _title(root: Element, meta: dict[str, str], linked: dict[str, str], page: _Page) -> tuple[str | None, int | None]:
    """The article title and the index of the line showing it (None: only ``<title>`` has it).

    The title is the longest line of the page that ``<title>`` or og:title repeats (headings
    first); a line much shorter than the title's main part (a section name) does not count.
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
    if found:
        text, (_, index) = max(found.items(), key=lambda item: (item[1][0], -item[1][1]))
        return text, index
    for text in named:
        if text:
            return text, _find_block(page.blocks, text)
    headings = list(root.iter("h1"))
    if len(headings) == 1:
        text = normalize_paragraph(headings[0].text_content())
        if 4 <= len(text) <= _TITLE_MAX:
            return text, _find_block(page.blocks, text)
    return page_title or None, None


def _site_part(text: str, title: str) -> bool:
    """True when ``text`` is what a page title ends with after the article's title (the site)."""
    return title != text and title.endswith(text) and len(title) - len(text) >= 4


def _adds_site(longer: str, shorter: str) -> bool:
    """True when ``longer`` is ``shorter`` plus a separator and more (a site or section name)."""
    return longer != shorter and longer.startswith(shorter) and bool(_TITLE_SEPARATORS.match(longer[len(shorter) :]))


def _main_part(title: str) -> int:
    """Length of the longest separator-delimited part of a page title (its article title)."""
    return max((len(part) for part in _TITLE_SEPARATORS.split(title)), default=len(title))


def _find_block(blocks: list[_Block], title: str) -> int | None:
    for index, block in enumerate(blocks):
        if title in block.text and len(block.text) <= len(title) + 30:
            return index
    return None


def _line_before(blocks: list[_Block], start: int) -> tuple[str | None, int | None]:
    """A page without a title element: the short line closest above the body names it."""
    for index in range(start - 1, max(-1, start - 1 - _NEAR_TITLE), -1):
        block, text = blocks[index], blocks[index].text
        fits = 4 <= len(text) <= _TITLE_MAX and block.links <= block.chars * _LINK_DENSE
        if fits and not _has_date(text) and not _FIELD.search(text):
            return text, index
    return None, None


# --------------------------------------------------------------------------- meta lines


def _meta_region(blocks: list[_Block], title_at: int | None, start: int, end: int) -> list[int]:
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


class _MetaLines:
    """Time, authors and source read from labelled fields and bylines in short lines."""

    def __init__(self, blocks: list[_Block], start: int, end: int, anchor: int) -> None:
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
        if block.links > block.chars * _LINK_DENSE:  # a headline list: only its labelled fields
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
            match = _ROLE.search(text)
            if match and not _PHOTO_CREDIT.search(text) and (name := _name_part(text[match.end() :])):
                return f"{match['role']}：{name}"
        if match := _POSTED_BY.search(text):
            return match["name"] or match["name2"]
        return None


def _credit_in_body(blocks: list[_Block], start: int, end: int) -> list[str]:
    """Credits inside paragraphs: "新华社北京电（记者 张三）…" at the start, "（张三 李四）" at the end."""
    for index in range(start, min(end, start + 4)):
        if match := _LEAD_CREDIT.search(blocks[index].text[:80]):
            return [f"记者：{match['names']}"]
    for index in range(min(len(blocks), end + 2) - 1, max(start, end - 3) - 1, -1):
        match = _TRAILING_CREDIT.search(blocks[index].text)
        if match and not _NOT_CREDIT.search(match["inner"]):
            inner = match["inner"]
            role = _ROLE.search(inner)
            names = inner[role.end() :] if role else inner
            if _only_names(names.replace("报道", "").strip()) or (role and _name_part(names)):
                return [inner]
    return []


def _name_part(value: str) -> str:
    """The names at the start of a field value, up to the next field or a non-name word."""
    value = _NAME_END.split(value, 1)[0].strip(" :：·")
    return value if split_names(value) else ""


def _only_names(text: str) -> bool:
    """True when the line is a list of person names and nothing else."""
    names = split_names(text)
    rest = re.sub(r"[\s、，,;；/|丨&]+", "", text)
    return bool(names) and "".join(names) == rest and all(len(name) <= 4 for name in names)


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
        value = text[match.end() : stop].strip(" |｜丨　" + _NODE)
        if match["label"] in _SOURCE_LABELS:
            value = value.split(_NODE, 1)[0]
        value = _unmarked(value)
        if match["label"] not in _TIME_LABELS:
            value = re.split(r"\s{2,}|　", value)[0]
        out.append((match["label"], _unbracketed(value.strip())))
    return out


def _unmarked(text: str) -> str:
    return normalize_text(text.replace(_NODE, " ")) if _NODE in text else text


def _unbracketed(value: str) -> str:
    """'新华社）' -> '新华社': the closing bracket of a "（来源：新华社）" line is not the value's."""
    while value and value[-1] in _CLOSING and _CLOSING[value[-1]] not in value:
        value = value[:-1].rstrip()
    return value


def _has_date(text: str) -> bool:
    return _YEAR.search(text) is not None and dates.parse_datetime(text).ok


# --------------------------------------------------------------------------- publish time


def _published(
    meta: dict[str, str], linked: dict[str, str], root: Element, facts: _MetaLines, url: str | None
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
