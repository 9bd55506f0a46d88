"""qilucrawl's datasette plugin (entry point ``datasette: qilucrawl``): Chinese search and Beijing days.

- SQL functions on every connection: ``qilu_match(q)``, the FTS5 expression ``qilucrawl search``
  matches for the words ``q`` (:func:`qilucrawl.fulltext.fts_query`: the bigram index's pairs, so
  a two-character word works), and ``qilu_snippet(title, body, q)``, its snippet with the
  matches marked 【…】.  A query without a word matches nothing rather than being an error.
- A facet ``day`` (``_facet_day=published_at``): articles by the day their time says, in Beijing
  time.  Datasette's ``date`` facet goes through SQLite's ``date()``, which turns
  ``2026-11-20T07:30:00+08:00`` into the UTC day before; this facet takes the text's own
  ``YYYY-MM-DD`` and selects a day with ``published_at__startswith``.
"""

from __future__ import annotations

import sqlite3
from typing import Any

from datasette import hookimpl
from datasette.database import QueryInterrupted
from datasette.facets import Facet
from datasette.utils import escape_sqlite, path_with_added_args, path_with_removed_args

from qilucrawl.fulltext import fts_query, query_terms, result_snippet

NOTHING = '""'  # an empty FTS5 phrase: matches no row (NULL or '' would be a syntax error)


def match_expression(query: str | None) -> str:
    return fts_query(query or "") or NOTHING


def snippet(title: str | None, body: str | None, query: str | None) -> str:
    return result_snippet(title, body, query_terms(query or ""))


@hookimpl
def prepare_connection(conn: sqlite3.Connection) -> None:
    conn.create_function("qilu_match", 1, match_expression, deterministic=True)
    conn.create_function("qilu_snippet", 3, snippet, deterministic=True)


@hookimpl
def register_facet_classes() -> list[type]:
    return [DayFacet]


class DayFacet(Facet):
    """Counts by the ``YYYY-MM-DD`` an ISO 8601 text column starts with (its own time zone's day)."""

    type = "day"

    async def suggest(self) -> list[dict[str, Any]]:
        return []  # offered by the metadata for published_at, not guessed for other columns

    async def facet_results(self) -> tuple[list[dict[str, Any]], list[str]]:
        results: list[dict[str, Any]] = []
        timed_out: list[str] = []
        selected_days = dict(self.get_querystring_pairs())
        size = self.get_facet_size()
        for config in self.get_configs():
            column = config["config"].get("column") or config["config"]["simple"]
            day = f"substr({escape_sqlite(column)}, 1, 10)"
            sql = (
                f"select {day} as value, count(*) as count from ({self.sql})"
                f" where {escape_sqlite(column)} glob '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]*'"
                f" group by value order by value desc limit {size + 1}"
            )
            try:
                found = await self.ds.execute(
                    self.database, sql, self.params, truncate=False,
                    custom_time_limit=self.ds.setting("facet_time_limit_ms"),
                )  # fmt: skip
            except QueryInterrupted:  # over facet_time_limit_ms: said as datasette says its own
                timed_out.append(column)
                continue
            key = f"{column}__startswith"
            values = []
            for row in found.rows[:size]:
                selected = selected_days.get(key) == row["value"]
                toggle = (path_with_removed_args if selected else path_with_added_args)(
                    self.request, {key: row["value"]}
                )
                values.append(
                    {
                        "value": row["value"],
                        "label": row["value"],
                        "count": row["count"],
                        "toggle_url": self.ds.absolute_url(self.request, toggle),
                        "selected": selected,
                    }
                )
            results.append(
                {
                    "name": column,
                    "type": self.type,
                    "results": values,
                    "hideable": config["source"] != "metadata",
                    "toggle_url": path_with_removed_args(self.request, {"_facet_day": column}),
                    "truncated": len(found.rows) > size,
                }
            )
        return results, timed_out
