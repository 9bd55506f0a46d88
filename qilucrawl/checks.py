"""Checks of what a caller asks of the API, before any work: a limit in range, a date range that
is not empty, filters that can match (an impossible one is an OptionError naming the option; one
no article matches, a FilterWarning naming the archive's values)."""

from __future__ import annotations

import warnings
from typing import Any

from qilucrawl.store import Store

MAX_LIMIT = 2**63 - 1  # SQLite's largest integer


class OptionError(ValueError):
    """A bad value of one argument, named as the command line names it (``--category``)."""

    def __init__(self, option: str, message: str) -> None:
        super().__init__(message)
        self.option = option


class FilterWarning(UserWarning):
    """A filter of an export or a search that no article matches (the archive's values said)."""


def check_limit(limit: int) -> None:
    if not 1 <= limit <= MAX_LIMIT:
        raise OptionError("--limit", f"--limit must be from 1 to {MAX_LIMIT}, not {limit}")


def check_range(since: str | None, until: str | None) -> None:
    """``until`` after ``since``: an empty range is a mistake, not a question."""
    from qilucrawl.clean.dates import iso_option

    moments = []
    for name, value in (("--since", since), ("--until", until)):
        try:
            moment = iso_option(value) if value else None
        except ValueError:
            raise OptionError(name, f"{name} {value!r} is not a date (YYYY-MM-DD, or an ISO 8601 time)") from None
        moments.append(moment if moment is None or "T" in moment else f"{moment}T00:00:00+08:00")
    if moments[0] and moments[1] and moments[1] <= moments[0]:
        raise OptionError("--until", f"--until must be after --since ({until} is not after {since})")


def check_filters(
    store: Store, *, source: str | None = None, category: str | None = None, changed_since_run: int | None = None
) -> None:
    """Filters that cannot match are OptionErrors; a medium or category no article has, a
    FilterWarning naming the archive's."""
    db = store.db
    if changed_since_run is not None:
        last = db.execute("SELECT MAX(id) FROM runs").fetchone()[0]
        if last is None or not 1 <= changed_since_run <= last:
            had = f"its runs are 1 to {last}" if last else "it has had no run"
            raise OptionError(
                "--changed-since-run", f"--changed-since-run {changed_since_run}: no such run in the archive ({had})"
            )
    if category is not None:
        from qilucrawl.clean.media import category_slug

        if category != category_slug(category):  # not a slug: a medium's name?
            filed = db.execute("SELECT category FROM articles WHERE source = ? LIMIT 1", [category]).fetchone()
            slug = filed[0] if filed else category_slug(category)
            hint = f"its slug would be {slug}"
            if filed:
                hint = f"{category}'s articles are filed under {slug}: --category {slug}, or --source {category}"
            raise OptionError(
                "--category", f"--category takes a slug (lower-case pinyin, e.g. qiluwang), not {category!r}: {hint}"
            )
        if db.execute("SELECT 1 FROM articles WHERE category = ? LIMIT 1", [category]).fetchone() is None:
            known = _most_common(db, "category")
            warnings.warn(f"--category {category}: no article is filed under it; the archive's categories: {known}",
                          FilterWarning, stacklevel=3)  # fmt: skip
    if (
        source is not None
        and db.execute("SELECT 1 FROM articles WHERE source = ? LIMIT 1", [source]).fetchone() is None
    ):
        known = _most_common(db, "source")
        warnings.warn(f"--source {source}: no article has this medium; the archive's media: {known}",
                      FilterWarning, stacklevel=3)  # fmt: skip


def _most_common(db: Any, column: str, shown: int = 12) -> str:
    """The archive's values of ``column`` (source or category), most articles first."""
    sql = f"SELECT {column}, COUNT(*) AS n FROM articles WHERE {column} IS NOT NULL GROUP BY {column} ORDER BY n DESC"
    values = [row[0] for row in db.execute(sql).fetchall()]
    if not values:
        return "none (the archive has no articles)"
    return ", ".join(values[:shown]) + (f" and {len(values) - shown} more" if len(values) > shown else "")
