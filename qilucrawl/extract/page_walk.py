"""A web page cut into scored text lines: the one walk the generic extractor makes.

The page is cut into lines ("blocks") at block elements and ``<br>``, as
:mod:`qilucrawl.clean.html` cuts a body, and each line gets a value: its length when it reads
like prose (sentence punctuation, few links), minus its length when it is mostly links (menus,
headline lists) or a footer line, a small minus when it is a short unpunctuated label.  Every
element's totals (value, letters, link letters, and the value with share/ad/comment containers
counted against it) are summed up the tree, for :mod:`qilucrawl.extract.body_finder`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TypeAlias

import lxml.etree
import lxml.html

from qilucrawl.clean.boilerplate import is_noise_container
from qilucrawl.clean.text import normalize_paragraph, normalize_text

Element: TypeAlias = lxml.html.HtmlElement

# Elements whose text is never content (read for metadata first, then removed).
STRIP_TAGS = ("script", "style", "noscript", "template", "select", "textarea", "button", "svg")
# Where a line ends; the same cut :mod:`qilucrawl.clean.html` makes.
_BLOCK_TAGS = frozenset((
    "p", "div", "section", "article", "main", "header", "footer", "aside", "center", "figure", "figcaption",
    "h1", "h2", "h3", "h4", "h5", "h6", "li", "ul", "ol", "dl", "dt", "dd", "blockquote", "pre", "address",
    "hr", "body", "html", "table", "tbody", "thead", "tfoot", "tr", "td", "th", "caption", "details",
    "summary", "form", "nav",
))  # fmt: skip
_UNSEEN = frozenset(("head", "title", *STRIP_TAGS))

# Sentence punctuation: prose has it, menus, labels and date lines do not.  Colons and brackets
# are left out because bylines and date lines use them.
_PUNCT = re.compile(r"[，。！？；、“”‘’《》…]|[,!?;](?=\s|$)|\.(?=\s)")
NOT_WORD = re.compile(r"[\W\d_]+")
_DIGITS = re.compile(r"\d")
_DIGIT_WEIGHT = 0.25  # lengths count letters and ideographs, not digits or spaces
_HIDDEN = re.compile(r"display\s*:\s*none|visibility\s*:\s*hidden", re.IGNORECASE)
# Footer lines: a run of article text should stop before them.
_FOOTER = re.compile(
    r"ICP[备证]|版权所有|版权声明|免责声明|All Rights Reserved|Copyright\s*(?:©|\(c\)|\d)|不良信息举报",
    re.IGNORECASE,
)
LINK_DENSE = 0.5  # a line or container with more link text than this is navigation
_UNPUNCTUATED_PROSE = 20  # an unpunctuated line this long may still be prose (some blogs)
NODE = "\ue000"  # marks where one text node ends and the next begins in a meta line


@dataclass(slots=True)
class Block:
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
        return normalize_text(NODE.join(self.parts))

    def blank(self) -> None:
        """Take the line's text out of the tree."""
        for element, is_tail in self.slots:
            if is_tail:
                element.tail = None
            else:
                element.text = None


@dataclass(slots=True)
class PageLines:
    """What one walk over the tree found."""

    blocks: list[Block] = field(default_factory=list)
    # element -> [score, chars, link chars, screened score] of everything inside it; the
    # screened score counts share/ad/comment containers (by class or id) against it
    totals: dict[Element, list[float]] = field(default_factory=dict)
    spans: dict[Element, tuple[int, int]] = field(default_factory=dict)  # first line, end line
    depths: dict[Element, int] = field(default_factory=dict)
    noisy: set[Element] = field(default_factory=set)  # share/ad/comment containers
    shadowed: set[Element] = field(default_factory=set)  # they and what is inside them


def adopt_strays(root: Element) -> None:
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


def walk(root: Element, show_hidden: bool = False) -> PageLines:
    page = PageLines()
    walker = _Walker(page, show_hidden)
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

    __slots__ = ("chars", "links", "page", "parts", "shade", "show_hidden", "slots", "stack")

    def __init__(self, page: PageLines, show_hidden: bool = False) -> None:
        self.show_hidden = show_hidden  # read what inline styles hide too
        self.page = page
        self.stack: list[Element] = []
        self.parts: list[str] = []
        self.slots: list[tuple[Element, bool]] = []
        self.chars = 0.0
        self.links = 0.0
        self.shade = 0  # how many share/ad/comment containers are open

    def walk(self, element: Element, in_link: bool) -> None:
        """One call per element (recursion depth = tree depth, which libxml2 caps at 255)."""
        tag = element.tag
        if isinstance(tag, str) and tag not in _UNSEEN and (self.show_hidden or not _hidden(element)):
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
        letters = len(NOT_WORD.sub("", text))
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
        self.chars = self.links = 0.0
        if not self.stack or not text.strip():
            return
        owner = self.stack[-1]
        value = _value(text, chars, links, owner.tag)
        self.page.blocks.append(Block(text, owner, chars, links, value, tuple(self.stack), slots, parts))
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
    if links > chars * LINK_DENSE or _FOOTER.search(text):
        return -float(max(chars, 1))
    prose = chars - links
    if tag == "h1":  # the page's headline, not its text
        return -0.5 * min(prose, _UNPUNCTUATED_PROSE)
    if _PUNCT.search(text) is None:
        return 0.25 * prose if prose >= _UNPUNCTUATED_PROSE else -0.5 * prose
    return float(prose)
