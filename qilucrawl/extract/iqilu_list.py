"""iqilu.com list pages (SOURCES.md §2): the list's own items, and where the next page is.

A real list page is mostly other lists: a nav menu, 热点/排行/推荐 sidebars, related links and a
footer, all full of links of the same shape as the list's items, many with dates beside them.
Taking every article-shaped link made a backfill stop early (a sidebar's old links looked like
the end of the range).  So the page is read by structure:

1. every link to an iqilu article is placed in its *item* (the largest element around it that
   holds no other article) and the item in its *container* (the item's parent);
2. containers are grouped into *regions* (a ``div.mod-list`` or ``#nr_left`` of the contract
   holds all its containers) and each region is scored: items with a date beside them, the
   contract's markup (``<h3><a>`` items, ``mod-list``, ``nr_left``) for it, sidebar, nav and
   footer markup and 热点/相关/推荐 headings against it;
3. the best region is the list.

The next page comes from the pager (下一页, else the numbered link after the current one);
a disabled 下一页 ends the walk, and a page with no pager at all falls back to
``list_564_<N+1>``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import TypeAlias
from urllib.parse import urldefrag, urljoin, urlsplit

import lxml.html

from qilucrawl.clean.dates import date_from_url, parse_datetime
from qilucrawl.clean.text import clean_title
from qilucrawl.extract.base import Document
from qilucrawl.extract.iqilu import iqilu_article_id, iqilu_info_code, is_continuation
from qilucrawl.items import ListEntry

Element: TypeAlias = lxml.html.HtmlElement

MEDIUM = "齐鲁网"
# The contract's list containers: channel pages' div.mod-list, the scroll page's div#nr_left.
_LIST_CLASS = "mod-list"
_LIST_ID = "nr_left"
# Class/id words of page furniture that is not the list: a token starting with one of these.
_FURNITURE = (
    "side", "aside", "right", "rank", "hot", "top", "paihang", "tuijian", "recommend", "relat",
    "xiangguan", "foot", "nav", "menu", "head", "banner", "guanggao", "widget", "links", "friend",
    "copyright", "tool", "share",
)  # fmt: skip
_FURNITURE_TAGS = frozenset(("aside", "nav", "footer", "header"))
_TOKEN = re.compile(r"[a-z]+")
# Headings that introduce a list of other stories.
_FURNITURE_HEADING = re.compile(r"热点|热门|热读|排行|推荐|相关|猜你|精彩|图片|视频|专题|阅读|关注|最新|导航|友情")
_ITEM_CLIMB = 4  # <a> in <h3> in <div> in <li>: an item is close around its link
_DATE_SIBLINGS = 3  # siblings after an item searched for its date (<h3><a/></h3><span>date</span>)
_ITEM_TAGS = ("li", "tr", "td", "dd", "dt", "p")  # elements that are one list item each
_SAME_DAY = 1  # days a list may print away from the URL's (a late-evening article filed next day)
_TRUNCATED = ("…", "...", "..", "⋯")

_NEXT_TEXT = re.compile(r"^(?:下一?页|后一?页|下一頁|next(?:\s*page)?|›|»|>|>>)$", re.IGNORECASE)
_CURRENT = re.compile(r"(?:^|[-_\s])(?:cur|current|active|on|sel|selected|thisclass|now)(?:$|[-_\s])", re.IGNORECASE)
_DISABLED = re.compile(r"disabled?|unable|grey|gray|nolink", re.IGNORECASE)
_PAGE_NUMBER = re.compile(r"(?:list_\d+_|index_|_|page[=/_-]?|p=)(\d+)(?:\.s?html?)?(?:[?#]|$)", re.IGNORECASE)
_LIST_564 = re.compile(r"(list_\d+_)(\d+)(\.s?html?)$")


@dataclass(slots=True)
class ListPage:
    """What one list page says: its items, newest first, and the next page's URL (None: the end)."""

    entries: list[ListEntry]
    next_url: str | None


def read_list_page(doc: Document, medium: str = MEDIUM) -> ListPage:
    """The list's own items and the next page of ``doc`` (a list page at ``doc.url``)."""
    root = doc.tree
    url = doc.url or ""
    links = _article_links(root, url)
    region = _best_region(links)
    entries = [_entry(link, code, url, medium) for link, code in (region.links if region else [])]
    return ListPage(entries=list({e.info_code: e for e in entries}.values()), next_url=next_page_url(root, url))


# --- the list's items ---------------------------------------------------------------------------


@dataclass(slots=True)
class _Link:
    element: Element
    url: str
    info_code: str
    day: date
    item: Element
    listed: str | None = None  # the time printed beside it, as ISO


@dataclass(slots=True)
class _Region:
    element: Element
    links: list[tuple[_Link, str]]
    score: float = 0.0


def _article_links(root: Element, page_url: str) -> list[_Link]:
    site = urlsplit(page_url).hostname
    found: list[_Link] = []
    for anchor in root.iter("a"):
        href = (anchor.get("href") or "").strip()
        if not href or href.startswith(("#", "javascript:")):
            continue
        url = urldefrag(urljoin(page_url, href)).url
        article_id, day = iqilu_article_id(url), date_from_url(url)
        if article_id is None or day is None or is_continuation(url) or urlsplit(url).hostname != site:
            continue
        found.append(_Link(anchor, url, iqilu_info_code(article_id), day, anchor))
    codes = {id(link.element): link.info_code for link in found}
    for link in found:
        link.item = _item(link, codes)
        link.listed = _listed_time(link, codes)
    return found


def _item(link: _Link, codes: dict[int, str]) -> Element:
    """The largest element around ``link`` that links to no other article."""
    item = link.element
    for _ in range(_ITEM_CLIMB):
        parent = item.getparent()
        if parent is None or parent.tag in ("body", "html") or _other_article(parent, link, codes):
            break
        item = parent
    return item


def _other_article(element: Element, link: _Link, codes: dict[int, str]) -> bool:
    return any(codes.get(id(a), link.info_code) != link.info_code for a in element.iter("a"))


def _listed_time(link: _Link, codes: dict[int, str]) -> str | None:
    """The time printed in the link's item or just after it (agreeing with the URL's day).

    After it means in the same container: ``<h3><a/></h3><span>date</span>``.  Within an item
    element that holds several articles (``<li><a/><a/> date</li>``) a date is nobody's."""
    title = link.element.text_content().strip()
    texts = [link.item.text_content().replace(title, " ") if title else link.item.text_content()]
    parent = link.item.getparent()
    shared = parent is not None and parent.tag in _ITEM_TAGS
    sibling = None if shared else link.item.getnext()
    if not shared:
        texts[0] += " " + (link.item.tail or "")
    while sibling is not None and len(texts) <= _DATE_SIBLINGS and not _other_article(sibling, link, codes):
        texts.append(sibling.text_content() + " " + (sibling.tail or ""))
        sibling = sibling.getnext()
    for text in texts:
        if any(c.isdigit() for c in text):
            parsed = parse_datetime(text, year_hint=link.day.year)
            if parsed.iso and abs((date.fromisoformat(parsed.iso[:10]) - link.day).days) <= _SAME_DAY:
                return parsed.iso
    return None


def _best_region(links: list[_Link]) -> _Region | None:
    regions: dict[int, _Region] = {}
    for link in links:
        container = link.item.getparent()
        if container is None:
            continue
        marked = _marked_list(container)
        element = container if marked is None else marked
        region = regions.setdefault(id(element), _Region(element, []))
        same = next((at for at, (_, code) in enumerate(region.links) if code == link.info_code), None)
        if same is None:
            region.links.append((link, link.info_code))
        elif len(_title(link.element)) > len(_title(region.links[same][0].element)):
            region.links[same] = (link, link.info_code)  # the headline link, not the thumbnail's
    candidates = list(regions.values())
    # The contract names the list's container: where the page has one, the list is there.
    marked = [r for r in candidates if _marked_list(r.element) is not None and not _is_furniture(r.element)]
    for region in candidates:
        region.score = _score(region)
    best = max(marked or candidates, key=lambda r: r.score, default=None)
    return best if best is not None and best.score > 0 else None


def _marked_list(element: Element) -> Element | None:
    """The contract's list container (div.mod-list, #nr_left) around ``element``, if any."""
    for node in (element, *element.iterancestors()):
        if _LIST_CLASS in (node.get("class") or "").split() or node.get("id") == _LIST_ID:
            return node
    return None


def _score(region: _Region) -> float:
    dated = sum(1 for link, _ in region.links if link.listed is not None)
    undated = len(region.links) - dated
    score = dated + 0.3 * undated
    if len(region.links) < 2:
        score *= 0.5  # one link is a teaser, not a list
    if _marked_list(region.element) is not None:
        score *= 3
    if sum(1 for link, _ in region.links if _in_heading(link.element)) * 2 > len(region.links):
        score *= 2  # the contract's <h3><a> items
    if _is_furniture(region.element):
        score *= 0.2
    if _furniture_heading(region.element):
        score *= 0.3
    return score


def _in_heading(anchor: Element) -> bool:
    parent = anchor.getparent()
    return parent is not None and parent.tag in ("h2", "h3", "h4")


def _is_furniture(element: Element) -> bool:
    for node in (element, *element.iterancestors()):
        if node.tag in _FURNITURE_TAGS:
            return True
        if node.get("id") == _LIST_ID or _LIST_CLASS in (node.get("class") or "").split():
            return False  # inside the contract's list: its own classes do not make it furniture
        words = f"{node.get('class') or ''} {node.get('id') or ''}".lower()
        if any(token.startswith(_FURNITURE) for token in _TOKEN.findall(words)):
            return True
    return False


def _furniture_heading(element: Element) -> bool:
    """Whether a heading just before the region (or as its first child) names another list."""
    for node in (element, element.getparent()):
        if node is None:
            continue
        before = node.getprevious()
        first = node[0] if len(node) and isinstance(node[0].tag, str) else None
        for candidate in (before, first):
            if candidate is not None and isinstance(candidate.tag, str) and candidate.tag != "ul":
                text = candidate.text_content().strip()
                if (
                    text
                    and len(text) <= 20
                    and _FURNITURE_HEADING.search(text)
                    and not candidate.xpath(".//a[@href][contains(@href, '.s')]")
                ):
                    return True
    return False


def _entry(link: _Link, code: str, list_url: str, medium: str) -> ListEntry:
    title = _title(link.element)
    return ListEntry(
        info_code=code,
        title=title or None,
        published=link.listed,
        media=medium,
        web_url=link.url,
        list_url=list_url,
    )


def _title(anchor: Element) -> str:
    """The link text, or its ``title`` attribute when the text is cut short (…) or empty."""
    text = clean_title(anchor.text_content())
    attribute = clean_title(anchor.get("title"))
    if attribute and (not text or text.endswith(_TRUNCATED) or attribute.startswith(text.rstrip("…. ⋯"))):
        return attribute
    return text


# --- the pager ----------------------------------------------------------------------------------


def next_page_url(root: Element, url: str) -> str | None:
    """The next list page after ``url``: the pager's 下一页, else its numbered link after the
    current page; None when the pager says this is the last page; ``list_564_<N+1>`` when the
    page has no pager at all."""
    for element in root.iter("a", "span", "li", "button", "em", "b", "i", "font"):
        text = " ".join(element.text_content().split())
        if _NEXT_TEXT.match(text) and not _inner_match(element):
            return _usable(element, url)
    numbered = _numbered_next(root, url)
    if numbered is not None:
        return numbered or None
    match = _LIST_564.search(urlsplit(url).path)
    if match is None:
        return None
    path = urlsplit(url).path
    return urljoin(url, path[: match.start(2)] + str(int(match[2]) + 1) + match[3])


def _inner_match(element: Element) -> bool:
    """A child says 下一页 too: the child is the pager element, not this wrapper."""
    return any(
        isinstance(child.tag, str) and _NEXT_TEXT.match(" ".join(child.text_content().split())) for child in element
    )


def _usable(element: Element, url: str) -> str | None:
    """Where a 下一页 element leads: None when it is disabled or leads nowhere new."""
    anchor = element if element.tag == "a" else next(element.iterancestors("a"), None)
    if anchor is None:
        anchor = next(element.iter("a"), None)
    if anchor is None:
        return None
    marks = " ".join((anchor.get("class") or "", element.get("class") or "", anchor.get("disabled") or ""))
    if anchor.get("disabled") is not None or _DISABLED.search(marks):
        return None
    href = (anchor.get("href") or "").strip()
    if not href or href.startswith(("#", "javascript:")):
        return None
    target = urldefrag(urljoin(url, href)).url
    return None if target == urldefrag(url).url else target


def _numbered_next(root: Element, url: str) -> str | None:
    """The numbered pager link to the page after the current one: its URL, "" when the pager
    shows no such page (this is the last), None when there is no numbered pager."""
    for container in _pager_containers(root):
        numbers = _pager_numbers(container, url)
        current = _current_number(container, url)
        if numbers and current is not None:
            return numbers.get(current + 1, "")
    return None


def _pager_containers(root: Element) -> list[Element]:
    """The smallest elements holding two or more links whose text is a number (``<li>``-wrapped
    pagers included), or one such link beside an unlinked current number."""
    digits = [a for a in root.iter("a") if (a.text_content() or "").strip().isdigit()]
    containers: dict[int, Element] = {}
    for anchor in digits:
        for node in list(anchor.iterancestors())[:3]:
            numbered = [
                e for e in node.iter() if isinstance(e.tag, str) and len(e) == 0 and (e.text or "").strip().isdigit()
            ]
            if len(numbered) >= 2:
                containers.setdefault(id(node), node)
                break
    return list(containers.values())


def _pager_numbers(container: Element, url: str) -> dict[int, str]:
    numbers: dict[int, str] = {}
    for anchor in container.iter("a"):
        text = (anchor.text_content() or "").strip()
        href = (anchor.get("href") or "").strip()
        if text.isdigit() and href and not href.startswith(("#", "javascript:")):
            target = urldefrag(urljoin(url, href)).url
            if iqilu_article_id(target) is None:
                numbers.setdefault(int(text), target)
    return numbers


def _current_number(container: Element, url: str) -> int:
    """The page the pager marks as current (an unlinked number or one classed so), else the
    number in this page's URL (a first page's URL has none: 1)."""
    for element in container.iter():
        if not isinstance(element.tag, str) or len(element) or not (element.text or "").strip().isdigit():
            continue
        around = [element, *element.iterancestors()]
        around = around[: around.index(container)] if container in around else around
        anchor = next((node for node in around if node.tag == "a"), None)
        href = (anchor.get("href") or "").strip() if anchor is not None else ""
        linked = bool(href) and not href.startswith(("#", "javascript:"))
        marked = any(_CURRENT.search(node.get("class") or "") or node.get("aria-current") for node in around)
        if marked or not linked:
            return int(element.text.strip())
    parts = urlsplit(url)
    match = _PAGE_NUMBER.search(parts.path + ("?" + parts.query if parts.query else ""))
    return int(match[1]) if match else 1
