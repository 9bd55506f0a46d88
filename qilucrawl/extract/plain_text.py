"""Bodies that arrive as plain text, one paragraph per line, as print layouts leave them.

The shape (``seeds/002``): an image caption, the title, a sub-title, lead paragraphs, a byline
(``记者 蔡宇丹``), numbered section heads (``1 “底盘”之争``) and paragraphs cut mid-sentence
across blank lines.  A line that does not end a sentence continues in the next one unless the
next one is a head; articles repaired that way are flagged ``paragraphs_rejoined``.
"""

from __future__ import annotations

import html
import re

from qilucrawl.clean.boilerplate import is_boilerplate_line
from qilucrawl.clean.bylines import parse_byline
from qilucrawl.clean.text import ends_paragraph, ends_sentence, normalize_paragraph
from qilucrawl.extract.base import Document
from qilucrawl.items import FLAG_REJOINED, ExtractError, Image, RawArticle

NAME = "plain_text"
VERSION = "V1_1"  # layout V1, revision 1 (see extract.PARSER_VERSIONS)

_HEAD_LINE_MAX = 60  # captions, titles and sub-titles are short
_SECTION_HEAD = re.compile(
    r"^(?:\d{1,2}(?=\s)|[一二三四五六七八九十]{1,3}[、.．]|[（(][一二三四五六七八九十\d]{1,3}[）)]|第[一二三四五六七八九十\d]{1,3}[部章节])"
    r"\s*\S.{0,28}$"
)
_HEAD_MAX = 30


class PlainTextParser:
    name = NAME
    versions = (VERSION,)

    def matches(self, doc: Document) -> bool:
        return "<" not in doc.text[:2000] and not doc.text.lstrip().startswith("{")

    def parse(self, doc: Document) -> RawArticle:
        known_title = doc.page.entry.title if doc.page and doc.page.entry else None
        return parse_plain_text(doc.text, known_title=known_title)


def parse_plain_text(text: str, *, known_title: str | None = None) -> RawArticle:
    """Recover caption, title, sub-title, byline, heads and paragraphs from plain text."""
    lines = [normalize_paragraph(line) for line in text.replace("\r\n", "\n").split("\n")]
    lines = [line for line in lines if line]
    if not lines:
        raise ExtractError("empty text body")
    captions, title, subtitle, rest = _split_head(lines, known_title)
    authors: list[str] = []
    body_lines: list[str] = []
    for line in rest:
        names = parse_byline(line) if len(line) <= 40 and not authors else []
        if names:
            authors.extend(names)
        else:
            body_lines.append(line)
    blocks, rejoined = _join_broken(body_lines)
    # A caption printed above the title belongs to an image the text does not carry: it is the
    # images list's, not a paragraph of the body (the lead is the body's first paragraph).
    fragment = "".join(_block_html(kind, line) for kind, line in blocks)
    return RawArticle(
        parser=f"{NAME}/{VERSION}",
        body=fragment,
        title=title,
        subtitle=subtitle,
        authors=authors,
        images=[Image(url=None, caption=caption) for caption in captions],
        flags=[FLAG_REJOINED] if rejoined else [],
    )


def _split_head(lines: list[str], known_title: str | None) -> tuple[list[str], str | None, str | None, list[str]]:
    """Leading short lines: captions (sentences) before the title, then title and sub-title."""
    head_end = 0
    while head_end < len(lines) and len(lines[head_end]) <= _HEAD_LINE_MAX and head_end < 5:
        head_end += 1
    head = lines[:head_end]
    title_at = _title_position(head, known_title)
    if title_at is None:
        return [], None, None, lines
    captions = head[:title_at]
    title = known_title or head[title_at]  # the list's spelling, spaces and all
    after = title_at + 1
    subtitle = None
    candidate = head[after] if after < head_end else ""
    if candidate and not ends_sentence(candidate) and not is_section_head(candidate) and not parse_byline(candidate):
        subtitle = candidate
        after += 1
    return captions, title, subtitle, lines[after:]


def _title_position(head: list[str], known_title: str | None) -> int | None:
    """Where the title line is: the known title if the text repeats it, else (when no title is
    known) the first short line that is not a sentence, after any caption sentences."""
    if known_title:
        wanted = normalize_paragraph(known_title)
        return next((at for at, line in enumerate(head) if line == wanted), None)
    for position, line in enumerate(head[:-1]):  # a title is followed by something
        if ends_sentence(line):
            continue  # a caption before the title
        if is_section_head(line) or parse_byline(line):
            return None
        return position
    return None


def is_section_head(line: str) -> bool:
    """``1 “底盘”之争``, ``一、总体要求``, ``（二）加强监管``: short, numbered, no full stop."""
    return len(line) <= _HEAD_MAX and bool(_SECTION_HEAD.match(line)) and not ends_sentence(line)


def _join_broken(lines: list[str]) -> tuple[list[tuple[str, str]], bool]:
    blocks: list[tuple[str, str]] = []
    rejoined = False
    for line in lines:
        if is_section_head(line):
            blocks.append(("h3", line))
            continue
        previous = blocks[-1] if blocks else None
        if previous and previous[0] == "p" and _continues(previous[1], line):
            blocks[-1] = ("p", _glue(previous[1], line))
            rejoined = True
        else:
            blocks.append(("p", line))
    return blocks, rejoined


def _continues(previous: str, line: str) -> bool:
    """Whether ``line`` is the rest of ``previous``'s sentence.  A source or editor line
    (``（文章来源：大众日报）``) stands alone, whatever the line before it ends with."""
    return not ends_paragraph(previous) and not is_boilerplate_line(previous) and not is_boilerplate_line(line)


def _glue(left: str, right: str) -> str:
    """Join two halves of a sentence; a space only between two Latin letters or digits."""
    if left[-1:].isascii() and left[-1:].isalnum() and right[:1].isascii() and right[:1].isalnum():
        return f"{left} {right}"
    return left + right


def _block_html(kind: str, line: str) -> str:
    return f"<{kind}>{html.escape(line, quote=False)}</{kind}>"
