"""HTML text to trees: one parser for pages and body fragments, and markup nested too deep
for it flattened first.

libxml2 (through lxml) is fast and forgiving, but drops everything nested deeper than 256
elements, and hostile or broken pages nest thousands deep: such markup loses its excess
wrappers (their text kept, a block's bounds kept as a line break) before it is parsed.
"""

from __future__ import annotations

import re

import lxml.etree
import lxml.html

from qilucrawl.clean.text import xml_safe

# Where a line of text ends: block elements (their bounds survive flattening as ``<br>``).
BLOCK_TAGS = {
    "p", "div", "section", "article", "main", "header", "footer", "aside", "center", "figure",
    "figcaption", "h1", "h2", "h3", "h4", "h5", "h6", "li", "ul", "ol", "dl", "dt", "dd",
    "blockquote", "pre", "address", "hr", "body", "html", "tbody", "thead", "tfoot", "tr", "td",
    "th", "caption", "details", "summary", "font-block",
}  # fmt: skip
# Text already decoded (and made XML-safe) to UTF-8 bytes: the encoding is known, never sniffed.
UTF8_PARSER = lxml.html.HTMLParser(encoding="utf-8", remove_comments=True)
# Every element an HtmlElement, chosen in C: lxml.html's own lookup is a Python method called for
# each element object made (a tenth of a body's walk), only to give <form>, <input> … classes of
# their own, which are never read here.
UTF8_PARSER.set_element_class_lookup(
    lxml.etree.ElementDefaultClassLookup(element=lxml.html.HtmlElement, comment=lxml.html.HtmlComment)
)
_FULL_HTML = re.compile(r"\s*<(?:html|!doctype)", re.IGNORECASE)


def parse_document(text: str) -> lxml.html.HtmlElement:
    """Parse a page (text already decoded and :func:`xml_safe`).  libxml2 drops everything
    nested deeper than 256 elements; markup nested that deep is flattened first, so no text
    is lost (the wrappers beyond the depth go, a block's bounds stay as line breaks)."""
    data = text.encode("utf-8")
    root = lxml.html.document_fromstring(data, parser=UTF8_PARSER)
    if text.count("<") > _MAX_NESTING and _too_deep(UTF8_PARSER):
        root = lxml.html.document_fromstring(flatten_nesting(text).encode("utf-8"), parser=UTF8_PARSER)
    return root


def _too_deep(parser: lxml.html.HTMLParser) -> bool:
    return any(entry.type_name == "ERR_RESOURCE_LIMIT" for entry in parser.error_log)


_MAX_NESTING = 200  # kept under libxml2's 256, with room for the document's own levels
_TAG = re.compile(r"<(/?)([A-Za-z][A-Za-z0-9]*)\b[^>]*>")
_VOID_TAGS = frozenset(
    ("br", "img", "hr", "meta", "link", "input", "area", "base", "col", "embed", "param", "source", "wbr")
)


def flatten_nesting(text: str, limit: int = _MAX_NESTING) -> str:
    """``text`` with the tags nested deeper than ``limit`` dropped (their text kept); a dropped
    block element's bounds become ``<br>`` so its paragraphs stay apart."""
    out: list[str] = []
    position = depth = 0
    stack: list[tuple[str, bool]] = []  # open elements: (name, kept)
    for match in _TAG.finditer(text):
        name = match[2].lower()
        if name in _VOID_TAGS or match[0].endswith("/>"):
            continue
        if not match[1]:  # an opening tag
            kept = depth < limit
            stack.append((name, kept))
            depth += kept
        else:
            at = next((i for i in range(len(stack) - 1, -1, -1) if stack[i][0] == name), None)
            if at is None:
                continue  # a stray closing tag: the parser ignores it
            kept = stack[at][1]
            depth -= sum(1 for _, was_kept in stack[at:] if was_kept)
            del stack[at:]
        if not kept:
            out.append(text[position : match.start()])
            out.append("<br>" if name in BLOCK_TAGS else "")
            position = match.end()
    out.append(text[position:])
    return "".join(out)


def parse_fragment(fragment: str) -> lxml.html.HtmlElement:
    """Parse a body fragment (any HTML, however broken) under one ``<div>``."""
    fragment = xml_safe(fragment)
    if not fragment.strip():
        return lxml.html.Element("div")
    if not _FULL_HTML.match(fragment):  # the common case: the <body> the parser makes is the <div>
        document = parse_document(f"<html><body>{fragment}</body></html>")
        body = document.find("body")
        if body is not None:
            body.tag = "div"
            body.attrib.clear()
            body.tail = None
            return body
    try:
        root = lxml.html.fragment_fromstring(fragment, create_parent="div")
    except (lxml.etree.ParserError, ValueError):
        root = lxml.html.Element("div")
        root.text = fragment
    return root
