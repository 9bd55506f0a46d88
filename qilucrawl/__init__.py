"""qilucrawl: crawl, clean and archive Qilu-net style news into SQLite; export datasets and a Jekyll site.

The Python API (:mod:`qilucrawl.api`) is here too — ``qilucrawl.crawl(...)``, ``qilucrawl.search(...)``
— loaded when first used, so that importing the package costs nothing.  (``qilucrawl.api.demo``
runs the demo; ``qilucrawl.demo`` is the demo site's package.)  ``canary``,
``datasette_metadata``, ``metrics`` and ``reprocess`` are modules of the package too: their
functions are called from :mod:`qilucrawl.api`.
"""

from typing import Any

from qilucrawl.version import __version__

__all__ = [
    "__version__",
    "backfill",
    "cluster_status",
    "crawl",
    "export",
    "import_archive",
    "merge",
    "parse_page",
    "runs",
    "schedule",
    "search",
    "show",
    "stats",
]  # fmt: skip
API = frozenset(__all__[1:])


def __getattr__(name: str) -> Any:
    if name in API:
        from qilucrawl import api

        return getattr(api, name)
    raise AttributeError(f"module 'qilucrawl' has no attribute {name!r}")
