"""Article bodies as HTML: any fragment cut into blocks, captions paired with their images.

Every source ends here: feed text bodies, plain text (as ``<p>`` paragraphs), web page bodies
picked by a site parser or the generic extractor, and Jekyll posts.  The body becomes a list of
:class:`Block` (paragraph, heading, list item, quote, table, image, caption); boilerplate is
taken out by :mod:`qilucrawl.clean.boilerplate`, and :mod:`qilucrawl.clean.render` writes
``body_html`` and ``body_text``.
"""

from __future__ import annotations

import html as htmllib
import re
from dataclasses import dataclass, field
from typing import NamedTuple
from urllib.parse import urljoin, urlsplit

import lxml.etree
import lxml.html

from qilucrawl.clean.markup import BLOCK_TAGS, parse_fragment
from qilucrawl.clean.text import normalize_paragraph, normalize_text, remove_layout_breaks

# Dropped with everything inside them.
_DROP_TAGS = {
    "script", "style", "iframe", "frame", "frameset", "object", "embed", "applet", "noscript",
    "form", "input", "button", "select", "textarea", "option", "svg", "math", "link", "meta",
    "template", "canvas", "audio", "video", "source", "track", "map", "area", "head", "title",
    "base", "nav", "dialog",
}  # fmt: skip
# Void elements libxml2's HTML 4 parser does not know: everything after an unclosed
# ``<embed src="….swf">`` ends up inside it, so it must go without what it "contains".
_VOID_READ_AS_CONTAINERS = {"embed", "source", "track"}
_HEADINGS = {"h1": "h2", "h2": "h2", "h3": "h3", "h4": "h4", "h5": "h4", "h6": "h4"}
_INLINE_KEEP = {"strong": "strong", "b": "strong", "em": "em", "i": "em", "sup": "sup", "sub": "sub"}
_HIDDEN_STYLE = re.compile(r"display\s*:\s*none|visibility\s*:\s*hidden", re.IGNORECASE)
_CENTERED_STYLE = re.compile(r"text-align\s*:\s*center", re.IGNORECASE)
# Lazy-loading pages put a placeholder in src and the picture in a data-* attribute, so those
# come first; src is the picture only when none of them is there.
_IMG_SOURCES = ("data-original", "data-src", "data-lazy-src", "data-echo", "original", "src")
_MAX_CAPTION = 80
_EMPTY_PAIR = re.compile(r"<(strong|em|sup|sub)>\s*</\1>")
_SPACES = re.compile(r" {2,}")
# A space just inside a block's first opening or last closing tag (``<strong> 标题 </strong>``).
_LEADING_SPACE = re.compile(r"^((?:<(?:strong|em|sup|sub)>)+) +")
_TRAILING_SPACE = re.compile(r" +((?:</(?:strong|em|sup|sub)>)+)$")


@dataclass(slots=True)
class Block:
    """One unit of an article body."""

    kind: str  # p, h2, h3, h4, li, quote, table, img, caption
    text: str = ""
    html: str = ""  # inline markup of the block (escaped text plus strong/em …)
    src: str | None = None  # img only
    caption: str | None = None  # img only
    centered: bool = False
    ancestors: tuple[int, ...] = ()  # numbers of the block elements around it, for caption pairing
    rows: list[list[str]] = field(default_factory=list)  # table only


def drop_unwanted(root: lxml.html.HtmlElement) -> None:
    """Remove scripts, embeds, forms, hidden elements and comments, in place."""
    doomed = []
    for element in root.iter():
        tag = element.tag
        if not isinstance(tag, str) or _unwanted(element, tag.lower()):  # str: not a comment
            doomed.append(element)
    for element in doomed:
        if element is not root and element.getparent() is not None:
            if isinstance(element.tag, str) and element.tag.lower() in _VOID_READ_AS_CONTAINERS:
                element.drop_tag()  # what libxml2 put inside it is the text after it
            else:
                element.drop_tree()


def _unwanted(element: lxml.html.HtmlElement, tag: str) -> bool:
    return tag in _DROP_TAGS or _is_hidden(element)


def _is_hidden(element: lxml.html.HtmlElement) -> bool:
    if not element.keys():  # most elements have no attributes: one call instead of three
        return False
    if element.get("hidden") is not None or element.get("aria-hidden") == "true":
        return True
    return bool(_HIDDEN_STYLE.search(element.get("style") or ""))


_BLOCK_KINDS = {**_HEADINGS, "li": "li", "blockquote": "quote", "figcaption": "caption"}


class _Level(NamedTuple):
    """What a block cut inside one open block element inherits from it and those around it."""

    kind: str  # set by the nearest heading, li, blockquote or figcaption; else "p"
    # The open block elements by number (not id(): lxml makes a new proxy object for an element
    # each time it is reached, and a freed proxy's id comes back for a different element).
    ancestors: tuple[int, ...]  # <html> and <body> left out
    centered: bool  # this element or its parent is centered
    self_centered: bool

    def inner(self, tag: str, ident: int, centered: bool) -> _Level:
        ancestors = self.ancestors if tag in ("html", "body") else (*self.ancestors, ident)
        return _Level(_BLOCK_KINDS.get(tag, self.kind), ancestors, centered or self.self_centered, centered)


class _Tag(str):
    """One of our own inline tags, as opposed to page text that merely looks like one."""


class _BlockBuilder:
    """Walks a tree once and cuts it into blocks at block elements and ``<br>``."""

    def __init__(self, base_url: str | None) -> None:
        self.base_url = base_url
        self.blocks: list[Block] = []
        self._html: list[str] = []  # text runs and _Tag markers
        self._text: list[str] = []
        self._stack: list[_Level] = [_Level("p", (), False, False)]  # the open block elements
        self._opened = 0  # block elements opened so far: each one's number, its identity
        self._inline: list[_Tag] = []  # inline tags open around the walk's position

    def walk(self, element: lxml.html.HtmlElement, top: bool = False) -> None:
        """Cut ``element`` and what is inside it into blocks; what drop_unwanted would remove
        (scripts, hidden elements, comments) is skipped, its tail kept, as drop_tree keeps it.
        Two frames per level of nesting (walk, then _block or _children), and libxml2 nests at
        most 256 levels: well inside Python's recursion limit."""
        tag = element.tag
        if not isinstance(tag, str):  # a comment or processing instruction
            self._tail(element)
            return
        tag = tag.lower()
        if tag in _VOID_READ_AS_CONTAINERS:
            tag = "span"  # what libxml2 put inside it is the text after it: read it as text
        elif not top and _unwanted(element, tag):
            self._tail(element)
            return
        if tag in BLOCK_TAGS:
            self._block(element, tag)
        elif tag in _INLINE_KEEP:
            opening = _Tag(f"<{_INLINE_KEEP[tag]}>")
            self._html.append(opening)
            self._inline.append(opening)
            self._children(element)
            self._inline.pop()
            self._html.append(_Tag(f"</{_INLINE_KEEP[tag]}>"))
        elif tag == "br":
            self.flush()
        elif tag == "img":
            self._image(element)
        elif tag == "table":
            drop_unwanted(element)  # a data table's cells are read whole (text_content), not walked
            if (rows := _data_table_rows(element)) is not None:
                self.flush()
                self._table(rows)
            else:  # a layout table: its cells are blocks like any other
                self._block(element, tag)
        else:  # span, a, font …: keep the text, drop the markup
            self._children(element)
        if not top:
            self._tail(element)

    def _tail(self, element: lxml.html.HtmlElement) -> None:
        tail = element.tail
        if tail:
            self._text.append(tail)
            self._html.append(tail)

    def _block(self, element: lxml.html.HtmlElement, tag: str) -> None:
        self.flush()
        style = element.get("style")
        centered = tag == "center" or (style is not None and _CENTERED_STYLE.search(style) is not None)
        centered = centered or (element.get("align") or "").lower() == "center"
        self._opened += 1
        self._stack.append(self._stack[-1].inner(tag, self._opened, centered))
        if text := element.text:  # _children, inline: one frame less per level
            self._text.append(text)
            self._html.append(text)
        for child in element:
            self.walk(child)
        self.flush()
        self._stack.pop()

    def _children(self, element: lxml.html.HtmlElement) -> None:
        if text := element.text:
            self._text.append(text)
            self._html.append(text)
        for child in element:
            self.walk(child)

    def flush(self) -> None:
        # Called at both ends of every block element and at each <br>: most calls find nothing
        # or only the line breaks between tags, which need no normalizing to be dropped.
        # A block cut inside <strong> (by a <br> or a <p>) leaves the rest of it bold: the
        # next block starts with the inline tags still open, as a browser would show it.
        if not self._text:
            if self._html != self._inline:
                self._html = list(self._inline)
            return
        raw = "".join(self._text)
        parts, self._html = self._html, list(self._inline)
        self._text = []
        if raw.isspace():
            return
        text = normalize_paragraph(raw)
        if not text:
            return
        level = self._stack[-1]
        marked = any(isinstance(part, _Tag) for part in parts)
        inline = _inline_markup(parts) if marked else htmllib.escape(text, quote=False)
        self.blocks.append(Block(level.kind, text, inline, centered=level.centered, ancestors=level.ancestors))

    def _image(self, element: lxml.html.HtmlElement) -> None:
        src = image_url(element, self.base_url)
        if src is None:
            return
        self.flush()
        level = self._stack[-1]
        self.blocks.append(Block("img", src=src, centered=level.centered, ancestors=level.ancestors))

    def _table(self, raw_rows: list[list[str]]) -> None:
        rows = [cells for row in raw_rows if any(cells := [normalize_paragraph(cell) for cell in row])]
        if rows:
            text = "\n".join(" ".join(cell for cell in row if cell) for row in rows)
            self.blocks.append(Block("table", text, rows=rows, ancestors=self._stack[-1].ancestors))


# A table inside, or paragraphs in a cell: a layout table wrapping the page (old Chinese sites).
_LAYOUT_TABLE = lxml.etree.XPath("boolean(.//table | .//td//p | .//td//div)")


def _data_table_rows(table: lxml.html.HtmlElement) -> list[list[str]] | None:
    """The cell texts, row by row, of a table of figures; None for a layout table."""
    if _LAYOUT_TABLE(table):
        return None
    rows = [[cell.text_content() for cell in row if cell.tag in ("td", "th")] for row in table.iter("tr")]
    lengths = [len(cell.strip()) for row in rows for cell in row]
    return rows if lengths and max(lengths) <= 200 else None


def _inline_markup(parts: list[str]) -> str:
    """Escaped inline HTML from text runs and our own tags, with paragraph whitespace rules.

    A block cut at a ``<br>`` inside ``<strong>`` ends with that tag open: ends are added where
    missing (and strays dropped), so every block is balanced on its own.
    """
    out = []
    open_tags: list[str] = []
    for part in parts:
        if not isinstance(part, _Tag):
            out.append(htmllib.escape(normalize_text(remove_layout_breaks(part), strip=False), quote=False))
        elif part[1] != "/":
            open_tags.append(part)
            out.append(part)
        elif open_tags and open_tags[-1][1:] == part[2:]:
            open_tags.pop()
            out.append(part)
    out.extend(f"</{tag[1:]}" for tag in reversed(open_tags))
    markup = _SPACES.sub(" ", "".join(out))
    while (shorter := _EMPTY_PAIR.sub("", markup)) != markup:
        markup = shorter
    return _TRAILING_SPACE.sub(r"\1", _LEADING_SPACE.sub(r"\1", markup.strip()))


def image_url(element: lxml.html.HtmlElement, base_url: str | None) -> str | None:
    """The absolute http(s) URL of an ``<img>``, or None for data:, javascript: and pixels.

    With no web base URL (a saved page parsed without ``--url``) a relative URL is kept as written:
    dropping it would lose the picture, and the reader can still resolve it."""
    for attribute in _IMG_SOURCES:
        raw = (element.get(attribute) or "").strip()
        if raw:
            break
    else:
        return None
    if any((element.get(dim) or "").strip() in ("0", "1", "2") for dim in ("width", "height")):
        return None  # a tracking pixel
    if base_url and urlsplit(base_url).scheme not in ("http", "https"):
        base_url = None  # a saved file's file:// address resolves nothing a reader can fetch
    url = urljoin(base_url, raw) if base_url else raw
    if url.startswith("//"):
        url = "https:" + url
    scheme = urlsplit(url).scheme
    if scheme in ("http", "https") or (not scheme and not base_url):
        return url
    return None


def blocks_from_html(fragment: str | lxml.html.HtmlElement, base_url: str | None = None) -> list[Block]:
    """Cut a body into blocks (scripts, hidden elements and markup noise removed)."""
    root = parse_fragment(fragment) if isinstance(fragment, str) else fragment
    builder = _BlockBuilder(base_url)
    builder.walk(root, top=True)  # the root itself is kept, whatever its style says
    builder.flush()
    return pair_captions(builder.blocks)


def pair_captions(blocks: list[Block]) -> list[Block]:
    """Attach to each image the short text that captions it, and take that text out of the body.

    A caption is a ``<figcaption>``, or a short paragraph right after the image inside the same
    container (``<p><img><br>图为…</p>``) or centered like it (``<center>`` charts).
    """
    sizes = _container_sizes(blocks)
    paragraphs = [b for b in blocks if b.kind == "p"]
    # Where most paragraphs are centered (blogs), centering says nothing about captions.
    centering_tells = sum(b.centered for b in paragraphs) <= len(paragraphs) / 2
    result: list[Block] = []
    index = 0
    while index < len(blocks):
        block = blocks[index]
        following = blocks[index + 1] if index + 1 < len(blocks) else None
        if block.kind == "img" and following is not None and _is_caption_of(following, block, sizes, centering_tells):
            block.caption = following.text
            index += 1
        elif block.kind == "caption" and not (result and result[-1].kind == "img"):
            block = Block("img", caption=block.text)  # a caption whose image is gone (plain text)
        result.append(block)
        index += 1
    return result


# A short line right after an image that reads like a caption is one, centered or not.
_CAPTION_WORDS = re.compile(
    r"^[（(\[【]?(?:图[为：:片示\d一二三四五六七八九]|资料图|示意图|航拍图|截图|配图)|"
    r"(?:摄|供图|图片来源[:：].*|图源[:：].*|翻拍)[）)\]】]?$"
)
# A container holding the image and its caption holds little else; in a bigger one (a blog
# post's whole body, say) the short line after an image is just the next paragraph.
_CAPTION_CONTAINER_MAX = 3


def _container_sizes(blocks: list[Block]) -> dict[int, int]:
    """How many blocks each image's nearest container holds."""
    wanted = {b.ancestors[-1] for b in blocks if b.kind == "img" and b.ancestors}
    sizes = dict.fromkeys(wanted, 0)
    for block in blocks:
        for ancestor in wanted.intersection(block.ancestors):
            sizes[ancestor] += 1
    return sizes


def _is_caption_of(candidate: Block, image: Block, sizes: dict[int, int], centering_tells: bool) -> bool:
    if candidate.kind == "caption":
        return True
    if candidate.kind != "p" or len(candidate.text) > _MAX_CAPTION:
        return False
    container = image.ancestors[-1] if image.ancestors else None
    same_container = (
        container is not None and container in candidate.ancestors and sizes.get(container, 0) <= _CAPTION_CONTAINER_MAX
    )
    if same_container or _CAPTION_WORDS.search(candidate.text):
        return True
    return centering_tells and image.centered and candidate.centered


def text_of(fragment: str) -> str:
    """Plain text of a small HTML fragment (a title, a list digest), whitespace normalized."""
    if "<" not in fragment and "&" not in fragment:
        return normalize_paragraph(fragment)
    root = parse_fragment(fragment)
    drop_unwanted(root)
    return normalize_paragraph(root.text_content())
