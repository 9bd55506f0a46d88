"""The archive as a Jekyll site: one post per article, one page per medium and per month
(SOURCES.md §3).

Writes ``<site>/_posts/YYYY-MM-DD-<infoCode>.md``, ``<site>/category/<category>.html`` and
``<site>/months/<YYYY-MM>.html``, and whatever else the site needs to build — ``_config.yml``,
``index.html``, ``_layouts/`` — when it is missing: those ship with the package
(``qilucrawl/site/``, of which the checkout's ``archive/`` holds the same files) and a file of
that name already in the site is the user's, never overwritten.  Each file is written
atomically.  An article whose info code is not a safe file name (or that has no date to name
the file by) is skipped and logged, never turned into a path.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Iterator
from importlib.resources import files
from importlib.resources.abc import Traversable
from pathlib import Path, PurePosixPath
from typing import Any

from qilucrawl.exporters import atomic_output
from qilucrawl.jekyll import (
    PostError,
    article_media,
    post_filename,
    post_month,
    render_category_page,
    render_month_page,
    render_post,
)

logger = logging.getLogger(__name__)

_POST_NAME = re.compile(r"\d{4}-\d{2}-\d{2}-(?P<code>[A-Z]{2}\d{18})\.md")


def write_jekyll_site(
    rows: Iterable[dict[str, Any]],
    site_dir: str | Path,
    *,
    site_host: str,
    skipped: list[tuple[str, str]] | None = None,
) -> int:
    """The whole site (what ``export --format jekyll`` writes): the site's own files where
    missing (:func:`write_site_files`), a post per row with a page per category
    (:func:`write_jekyll`), and a page per month of the posts written; returns how many
    posts were written."""
    write_site_files(site_dir)
    months: set[str] = set()
    count = write_jekyll(rows, site_dir, site_host=site_host, skipped=skipped, months=months)
    for month in sorted(months):
        _write(Path(site_dir) / "months" / f"{month}.html", render_month_page(month))
    return count


def write_jekyll(
    rows: Iterable[dict[str, Any]],
    site_dir: str | Path,
    *,
    site_host: str,
    skipped: list[tuple[str, str]] | None = None,
    months: set[str] | None = None,
) -> int:
    """Write a post per row and a page per category; returns how many posts were written.

    Rows that cannot become a post are logged and, when ``skipped`` is given, appended to it
    as ``(info_code, reason)``; ``months`` (when given) gets the month (YYYY-MM) of each post.
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
        if months is not None:
            months.add(post_month(name))
        count += 1
    for category, media in categories.items():
        page = render_category_page(category, media)
        _write(Path(site_dir) / "category" / f"{category}.html", page)
    return count


def site_files() -> Iterator[tuple[PurePosixPath, bytes]]:
    """The files a site needs besides its posts and pages (``_config.yml``, ``index.html``,
    ``_layouts/*``), as shipped in the package: (path in the site, content)."""

    def walk(folder: Traversable, prefix: PurePosixPath) -> Iterator[tuple[PurePosixPath, bytes]]:
        for entry in sorted(folder.iterdir(), key=lambda e: e.name):
            if entry.is_dir():
                yield from walk(entry, prefix / entry.name)
            elif entry.is_file() and not entry.name.startswith("."):
                yield prefix / entry.name, entry.read_bytes()

    yield from walk(files("qilucrawl") / "site", PurePosixPath())


def write_site_files(site_dir: str | Path) -> list[str]:
    """Write each of :func:`site_files` that ``site_dir`` lacks; returns the paths written.
    One that exists (a file, a folder, a link) is the user's and stays as it is."""
    written = []
    for relative, content in site_files():
        target = Path(site_dir, relative)
        if target.exists() or target.is_symlink():
            continue
        with atomic_output(target, "wb", keep_existing=True) as out:
            out.write(content)
        written.append(str(relative))
    return written


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
