"""How a fetched version of an article compares with the stored one: new, unchanged, a new
revision, or refused because it would lose what the stored one has (no body, no time, no title,
a stub where the stored body is whole).  A re-crawl, an import and a re-clean are judged alike.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator, Sequence
from typing import Any

from qilucrawl.items import FLAG_SHORT_BODY, Article


def rounds(articles: Sequence[Article]) -> Iterator[list[tuple[int, Article]]]:
    """The batch, with each article's position, cut where an info_code comes back with other
    content: that copy is decided against the first one, stored by then."""
    current: list[tuple[int, Article]] = []
    hashes: dict[str, str | None] = {}
    for position, article in enumerate(articles):
        code = article.info_code
        if code and code in hashes and hashes[code] != article.content_hash:
            yield current
            current, hashes = [], {}
        if code:
            hashes[code] = article.content_hash
        current.append((position, article))
    if current:
        yield current


def decide(article: Article, previous: dict[str, Any] | None, conn: sqlite3.Connection) -> tuple[str, str | None]:
    """(outcome, reason): new, unchanged, updated, or refused and why."""
    if not article.info_code:
        return "refused", "article has no info_code"
    if previous is None:
        return "new", None
    if previous["content_hash"] == article.content_hash:
        return "unchanged", None
    if "has_body" not in previous:  # only a changed article needs the rest of its row
        found = conn.execute(
            "SELECT title, published_at, body_text != '', quality_flags FROM articles WHERE info_code = ?",
            [article.info_code],
        ).fetchone()
        previous.update(
            title=found[0],
            published_at=found[1],
            has_body=bool(found[2]),
            short_body=FLAG_SHORT_BODY in json.loads(found[3] or "[]"),
        )
    reason = worse_reason(article, previous)
    return ("refused", reason) if reason else ("updated", None)


def worse_reason(article: Article, previous: dict[str, Any] | None) -> str | None:
    """Why the new version would lose data the stored one has (then it is not stored)."""
    if previous is None:
        return None
    if previous["has_body"] and not article.body_text:
        return "refused: the new version has no body text, the stored one has"
    if previous["published_at"] and not article.published_at:
        return "refused: the new version has no publish time, the stored one has"
    if previous["title"] and not article.title:
        return "refused: the new version has no title, the stored one has"
    if FLAG_SHORT_BODY in article.quality_flags and not previous["short_body"]:
        # A text endpoint that answers with a stub for a while: the full body stays.
        return f"refused: the new version's body is a stub ({len(article.body_text)} characters), the stored one is not"
    return None
