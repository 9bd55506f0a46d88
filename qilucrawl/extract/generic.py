"""Any Chinese news page no site parser claims: find the body, title, time, authors and source.

One walk cuts the page into scored lines (:mod:`~qilucrawl.extract.page_walk`); the body is the
best run of them (:mod:`~qilucrawl.extract.body_finder`); the title, time, authors and source
come from meta tags, JSON-LD and the short lines around the title and at the ends of the body
(:mod:`~qilucrawl.extract.page_meta`).  This parser only finds strings; :mod:`qilucrawl.clean`
reads dates and names.
"""

from __future__ import annotations

import lxml.etree

from qilucrawl.clean.text import normalize_text, remove_layout_breaks
from qilucrawl.extract.base import Document
from qilucrawl.extract.body_finder import Body, article_end, best_body, closing_end, cut, head_end, prune
from qilucrawl.extract.page_meta import (
    MetaLines,
    json_ld,
    line_before,
    meta_authors,
    meta_region,
    meta_tags,
    outlet_source,
    publish_time,
    title_of,
)
from qilucrawl.extract.page_walk import STRIP_TAGS, Element, PageLines, adopt_strays, walk
from qilucrawl.items import ExtractError, RawArticle

NAME = "generic"
VERSION = "V1_1"  # layout V1, revision 1 (see extract.PARSER_VERSIONS)


class GenericParser:
    """Title, time, authors, source and body of any news page, by rules and text scoring."""

    name = NAME
    versions = (VERSION,)

    def matches(self, doc: Document) -> bool:
        return True

    def parse(self, doc: Document) -> RawArticle:
        root = doc.tree
        meta = meta_tags(root)
        linked = json_ld(root)
        adopt_strays(root)
        lxml.etree.strip_elements(root, *STRIP_TAGS, with_tail=False)
        page, chosen = _visible_or_revealed(root, meta, linked)
        if chosen is None:
            raise ExtractError("no text on the page")
        title, title_at = title_of(root, meta, linked, page, chosen.start)
        start, end = chosen.start, article_end(page.blocks, chosen.start, chosen.end)
        if end == chosen.end:
            end = closing_end(chosen, page.blocks, end)
        if title is None:
            title, title_at = line_before(page.blocks, start)
        facts = MetaLines(page.blocks, start, end, title_at if title_at is not None else start)
        facts.read_all(meta_region(page.blocks, title_at, start, end))
        published = publish_time(meta, linked, root, facts, doc.url)  # before the tree is cut
        head = head_end(page.blocks, start, end, title, facts.used)
        cut(page, chosen, head, end, title)
        prune(page, chosen, head, end)
        return RawArticle(
            parser=f"{NAME}/{VERSION}",
            body=chosen.element,
            title=_as_written(page, title, title_at),
            published=published,
            authors=facts.authors or meta_authors(meta, linked),
            source=facts.source or outlet_source(meta, linked, page.blocks, head, end),
            base_url=doc.url,
            known_lines=[page.blocks[i].text for i in sorted(facts.used) if head <= i < end],
        )


# Less than this is no article (a "加载中" skeleton, a login prompt): the text a script reveals may be.
_MIN_VISIBLE = 40


def _visible_or_revealed(root: Element, meta: dict[str, str], linked: dict[str, str]) -> tuple[PageLines, Body | None]:
    """The page's lines and body as shown; or, when what is shown holds no article, with the
    text inline styles hide (``display:none`` until a script reveals it) read too."""
    page = walk(root)
    chosen = best_body(page, *title_of(root, meta, linked, page))
    if chosen is not None and chosen.score >= _MIN_VISIBLE:
        return page, chosen
    revealed = walk(root, show_hidden=True)
    found = best_body(revealed, *title_of(root, meta, linked, revealed))
    if found is not None and (chosen is None or found.score > chosen.score):
        return revealed, found
    return page, chosen


def _as_written(page: PageLines, title: str | None, title_at: int | None) -> str | None:
    """The title as its line writes it: a space between the two parts of a headline
    ("老街开出“深夜食堂” 客流增四成") is the headline's own, not padding."""
    if title is None or title_at is None or page.blocks[title_at].text != title:
        return title
    return normalize_text(remove_layout_breaks(page.blocks[title_at].raw))
