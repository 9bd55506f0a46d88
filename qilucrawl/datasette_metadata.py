"""Datasette metadata for an archive: what ``qilucrawl datasette-metadata`` prints.

Table descriptions are the schema's own list of tables (the docstring of :mod:`qilucrawl.schema`),
column descriptions the data dictionary's (:data:`qilucrawl.items.DATA_DICTIONARY`), so neither
is written a second time here.  The internal tables (raw pages, the search index and its keys,
reprocess bookkeeping) are hidden; articles get facets by medium, category and Beijing day (the
``day`` facet of :mod:`qilucrawl.datasette_plugin`: datasette's own date facet would count days
in UTC); a canned query ``search`` finds articles as ``qilucrawl search`` does, through the
plugin's SQL functions.  Datasette itself is not imported.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from qilucrawl import schema
from qilucrawl.items import DATA_DICTIONARY
from qilucrawl.version import __version__

TITLE = "qilucrawl news archive"
# Tables a reader has no use for: raw page bytes, the full-text index (a contentless FTS5 table
# and its shadow tables) and its keys, and the resume points of re-cleaning jobs.
HIDDEN = ("pages", "search_keys", "reprocess_progress", "articles_fts",
          *(f"articles_fts_{shadow}" for shadow in ("data", "idx", "content", "docsize", "config")))  # fmt: skip
# The tables whose rows are articles (or what is known of one): their columns are described
# by the data dictionary, and these, which the schema adds to them.
ARTICLE_TABLES = ("articles", "revisions", "seen", "filtered")
EXTRA_COLUMNS = {
    "run_id": "the run (`runs.id`) that stored this version (for `filtered`: that read the article)",
    "superseded_at": "when a newer version replaced this one",
    "superseded_by_run": "the run (`runs.id`) that stored the newer version",
    "last_seen_run": "the run (`runs.id`) that last listed or fetched the article",
}
TRUNCATE_CELLS = 300  # characters of a cell shown in table views (datasette's truncate_cells_html)

# The plugin's functions: qilu_match(q) is the FTS5 expression `qilucrawl search` matches
# (two-character words included); qilu_snippet(title, body, q) its snippet, matches marked 【…】.
SEARCH_SQL = """select a.info_code, a.published_at, a.source, a.title,
  qilu_snippet(a.title, a.body_text, :q) as snippet
from articles_fts
join search_keys k on k.key = articles_fts.rowid
join articles a on a.info_code = k.info_code
where articles_fts match qilu_match(:q)
order by articles_fts.rowid desc
limit 100"""


# Facets and order of the tables a reader browses.
BROWSING: dict[str, dict[str, Any]] = {
    "articles": {"facets": ["source", "category", {"day": "published_at"}], "sort_desc": "published_at"},
    "runs": {"facets": ["spider", "status"], "sort_desc": "id"},
    "failures": {"facets": ["stage", "spider"], "sort_desc": "id"},
}


def metadata(db: str | Path, columns: dict[str, list[str]]) -> dict[str, Any]:
    """The metadata for serving the archive ``db`` whose tables have ``columns`` (datasette
    names a database by its file's stem)."""
    docs = table_docs()
    tables: dict[str, Any] = {}
    for name, names in columns.items():
        if name in HIDDEN:
            continue
        described = {column: _column_doc(column) for column in names if name in ARTICLE_TABLES and _column_doc(column)}
        table = {"description": docs.get(name), "columns": described or None, **BROWSING.get(name, {})}
        tables[name] = {key: value for key, value in table.items() if value}
    for name in HIDDEN:
        tables[name] = {"hidden": True}
    return {
        "title": TITLE,
        "description": (
            f"Articles archived by qilucrawl {__version__}. Search in Chinese with the `search` query"
            " (two-character words work); facet articles by medium, category and day."
        ),
        "license": "The articles are the copyright of their publishers (the medium in `source`).",
        "databases": {
            Path(db).stem: {
                "title": TITLE,
                "tables": tables,
                "queries": {
                    "search": {
                        "title": "Search the articles",
                        "description": (
                            "Articles with every word of q in title or body, newest first (100 at most),"
                            " as `qilucrawl search` finds them."
                        ),
                        "sql": SEARCH_SQL,
                    }
                },
            }
        },
    }


def table_docs() -> dict[str, str]:
    """Each table's description from :mod:`qilucrawl.schema`'s list of tables, as plain text."""
    doc = schema.__doc__ or ""
    found = {}
    for match in re.finditer(r"^- ``(\w+)``\s+(.*?)(?=^- ``|\n\n|\Z)", doc, re.MULTILINE | re.DOTALL):
        text = " ".join(match.group(2).split())
        text = re.sub(r":\w+:`([^`]+)`", r"\1", text).replace("``", "`")  # reST roles and literals
        found[match.group(1)] = text
    return found


def _column_doc(column: str) -> str | None:
    doc = DATA_DICTIONARY.get(column)
    return doc.meaning if doc else EXTRA_COLUMNS.get(column)
