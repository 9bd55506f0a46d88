"""Posts of an existing Jekyll archive (``_posts/YYYY-MM-DD-<infoCode>.md``, SOURCES.md §3).

The format itself — front matter, digest, source and back links, every quirk of real archives —
is :mod:`qilucrawl.jekyll`'s; this parser only maps a post onto the raw fields every parser
returns.  The medium is the tag ``<media>新闻``; rolling-feed posts (``emnews``) name none.
"""

from __future__ import annotations

import html
from urllib.parse import unquote, urlsplit

from qilucrawl.clean.media import ROLLING_CATEGORY
from qilucrawl.extract.base import Document
from qilucrawl.items import FLAG_FROM_URL, FLAG_MISSING, ExtractError, RawArticle
from qilucrawl.jekyll import PostError, read_post

NAME = "jekyll"
VERSION = "V1_1"  # layout V1, revision 1 (see extract.PARSER_VERSIONS)


class JekyllParser:
    name = NAME
    versions = (VERSION,)

    def matches(self, doc: Document) -> bool:
        return doc.text.lstrip("\ufeff \t\r\n").startswith("---")

    def parse(self, doc: Document) -> RawArticle:
        try:
            post = read_post(doc.text, _filename(doc.url))
        except PostError as error:
            raise ExtractError(f"not a Jekyll post: {error}") from None
        body = post.body_html
        if not body.strip() and post.digest:  # a flash whose only text is its digest
            body = f"<p>{html.escape(post.digest, quote=False)}</p>"
        return RawArticle(
            parser=f"{NAME}/{VERSION}",
            body=body,
            title=post.title or None,
            published=post.published,
            source=post.media,
            summary=post.digest,
            authors=post.authors,
            base_url=post.source_url,
            source_url=post.source_url,
            info_code=post.info_code,
            rolling=post.category == ROLLING_CATEGORY,
            flags=[FLAG_MISSING, FLAG_FROM_URL] if post.dated_by_filename else [],
        )


def _filename(url: str | None) -> str | None:
    """The post's file name (it may carry the date and the infoCode) from its file:// URL."""
    if not url:
        return None
    return unquote(urlsplit(url).path).rsplit("/", 1)[-1] or None
