"""The archive as a Jekyll site: one post per article, one page per medium (SOURCES.md §3).

Writes ``<site>/_posts/YYYY-MM-DD-<infoCode>.md`` and ``<site>/category/<category>.html``; the
site's layouts and ``_config.yml`` live in ``archive/``.  Each file is written atomically.  An
article whose info code is not a safe file name (or that has no date to name the file by) is
skipped and logged, never turned into a path.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from qilucrawl.exporters import atomic_output
from qilucrawl.jekyll import (
    PostError,
    article_media,
    post_filename,
    render_category_page,
    render_post,
)

logger = logging.getLogger(__name__)

_POST_NAME = re.compile(r"\d{4}-\d{2}-\d{2}-(?P<code>[A-Z]{2}\d{18})\.md")


def write_jekyll(
    rows: Iterable[dict[str, Any]],
    site_dir: str | Path,
    *,
    site_host: str,
    skipped: list[tuple[str, str]] | None = None,
) -> int:
    """Write a post per row and a page per category; returns how many posts were written.

    Rows that cannot become a post are logged and, when ``skipped`` is given, appended to it
    as ``(info_code, reason)``.
    """
    posts = Path(site_dir) / "_posts"
    existing = _existing_posts(posts)
    categories: dict[str, str] = {}
    count = 0
    for row in rows:
        try:
            name = post_filename(row)
            text = render_post(row, site_host=site_host)
        except PostError as error:
            logger.warning("jekyll export: skipped %.60r: %s", row.get("info_code"), error)
            if skipped is not None:
                skipped.append((str(row.get("info_code"))[:60], str(error)))
            continue
        _write(posts / name, text)
        _remove_stale(posts, existing.get(row["info_code"], []), keep=name)
        if row.get("category") and (media := article_media(row)):
            categories.setdefault(row["category"], media)
        count += 1
    for category, media in categories.items():
        page = render_category_page(category, media)
        _write(Path(site_dir) / "category" / f"{category}.html", page)
    return count


def _write(path: Path, text: str) -> None:
    with atomic_output(path, "w", encoding="utf-8", newline="\n") as out:
        out.write(text)


def _existing_posts(posts: Path) -> dict[str, list[str]]:
    """Post files already in the site, by info code."""
    found: dict[str, list[str]] = {}
    if posts.is_dir():
        for path in posts.iterdir():
            if match := _POST_NAME.fullmatch(path.name):
                found.setdefault(match["code"], []).append(path.name)
    return found


def _remove_stale(posts: Path, names: list[str], *, keep: str) -> None:
    """A new revision with another publish date must not leave the old post as a duplicate."""
    for name in names:
        if name != keep:
            (posts / name).unlink(missing_ok=True)
