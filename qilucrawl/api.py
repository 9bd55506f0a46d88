"""The Python API: what each ``qilucrawl`` command does, as one function returning plain data.

    >>> import qilucrawl
    >>> result = qilucrawl.crawl("feed", "archive/qilucrawl.db", media=["齐鲁网"])
    >>> result.status, result.runs[0]["new"]
    (<ExitStatus.OK: 0>, 12)
    >>> qilucrawl.fulltext("archive/qilucrawl.db", "趵突泉", limit=3)[0]["title"]
    '趵突泉三股水持续喷涌'

The command line is a thin layer over these (``qilucrawl crawl feed`` calls :func:`crawl`), so
both do the same thing.  Errors are exceptions: :class:`~qilucrawl.lock.LockedError` (another
run holds the archive), :class:`~qilucrawl.store.StoreError` (the archive cannot be used),
:class:`~qilucrawl.store.NoArchive` (a read of an archive that does not exist),
:class:`~qilucrawl.items.ExtractError` (a page that is no article) and ``ValueError`` (bad
arguments).  Scrapy is imported only by the functions that crawl.
"""

from __future__ import annotations

import urllib.request
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import qilucrawl.settings as defaults
from qilucrawl.jobs import RunResult, locked_archive, recorded_run
from qilucrawl.store import NoArchive, Store
from qilucrawl.version import __version__

DEFAULT_DB = defaults.QILU_DB_PATH
SOURCES = ("feed", "iqilu")
_PARSE_MAX_BYTES = 16 * 1024 * 1024


# --- crawling ------------------------------------------------------------------------------------


def crawl(
    source: str,
    db: str | Path = DEFAULT_DB,
    *,
    base_url: str | None = None,
    list_url: str | None = None,
    media: Sequence[str] = (),
    refetch: bool = False,
    settings: dict[str, Any] | None = None,
) -> RunResult:
    """Crawl ``source`` ("feed" or "iqilu") into the archive: only what is new or changed.

    ``settings`` are Scrapy or ``QILU_*`` settings, as ``-s NAME=VALUE`` gives them."""
    if source not in SOURCES:
        raise ValueError(f"unknown source {source!r}: one of {', '.join(SOURCES)}")
    extra: dict[str, Any] = {"QILU_REFETCH": str(refetch)}
    if media:
        extra["QILU_MEDIA"] = ",".join(media)
    kwargs = {"base_url": base_url} if source == "feed" else {"base_url": base_url, "list_url": list_url}
    return _run_spider(source, kwargs, db, {**extra, **(settings or {})})


def backfill(
    source: str,
    db: str | Path = DEFAULT_DB,
    *,
    since: str,
    until: str | None = None,
    base_url: str | None = None,
    list_url: str | None = None,
    settings: dict[str, Any] | None = None,
) -> RunResult:
    """Walk ``source``'s lists back to ``since`` (a day, Beijing time), archiving each article
    dated in ``[since, until)``; resumable: run it again after any stop."""
    if source != "iqilu":
        raise ValueError(f"only iqilu has lists to walk back, not {source!r}")
    if until is not None and until <= since:
        raise ValueError("until must be after since")
    kwargs = {"since": since, "until": until, "base_url": base_url, "list_url": list_url}
    return _run_spider(source, kwargs, db, settings or {})


def _run_spider(spider: str, kwargs: dict[str, Any], db: str | Path, settings: dict[str, Any]) -> RunResult:
    from qilucrawl.runner import Job, project_settings, run_jobs

    return run_jobs([Job(spider, kwargs)], project_settings(db, settings))


# --- importing -----------------------------------------------------------------------------------


@dataclass(slots=True)
class ImportResult:
    """An import's run row and one report per file (path, outcome, info_code, reason)."""

    run: dict[str, Any]
    reports: list[dict[str, Any]]

    @property
    def totals(self) -> dict[str, int]:
        return dict(sorted(Counter(report["outcome"] for report in self.reports).items()))


def import_archive(paths: Iterable[str | Path], db: str | Path = DEFAULT_DB) -> ImportResult:
    """Import Jekyll archives (``_posts/`` folders or post files), under the archive's lock, in
    a run of its own (spider ``import``) like a crawl's."""
    from qilucrawl.importer import import_posts

    paths = [str(path) for path in paths]
    with locked_archive(db):
        store = Store(db)
        try:
            with recorded_run(store, "import", {"paths": paths}) as run_id:
                reports = import_posts(paths, store, run_id)
            run = store.run(run_id)
        finally:
            store.close()
    return ImportResult(run, [report.as_dict() for report in reports])


# --- one page, no crawl --------------------------------------------------------------------------


def parse_page(
    source: str | Path | bytes,
    *,
    url: str | None = None,
    title: str | None = None,
    published: str | None = None,
    media: str | None = None,
) -> dict[str, Any]:
    """The article a saved page becomes (HTML page, feed JSON, plain text or Jekyll post, told
    apart by its content), as an export record; ExtractError says why a page is none.

    ``source`` is the page's bytes, a file or an http(s) URL.  A saved text-endpoint response
    carries no title, time or medium: ``title``, ``published`` and ``media`` give them as the
    list did (the infoCode is read from ``url``)."""
    from qilucrawl.exporters import record
    from qilucrawl.extract import extract
    from qilucrawl.items import INFO_CODE, ListEntry, Page

    body, fetched_from = _read_source(source)
    entry = None
    if title or published or media:
        code = INFO_CODE.search(url or "")
        entry = ListEntry(code.group() if code else "", title, published, media)
    return record(extract(Page(url=url or fetched_from or "", body=body, entry=entry)).to_record())


def _read_source(source: str | Path | bytes) -> tuple[bytes, str | None]:
    if isinstance(source, bytes):
        return source, None
    if str(source).startswith(("http://", "https://")):
        request = urllib.request.Request(str(source), headers={"User-Agent": f"qilucrawl/{__version__}"})
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.read(_PARSE_MAX_BYTES), response.geturl()
    path = Path(source)
    return path.read_bytes(), path.resolve().as_uri()


# --- reading the archive -------------------------------------------------------------------------


def export(
    db: str | Path,
    fmt: str,
    out: str | Path,
    *,
    since: str | None = None,
    until: str | None = None,
    source: str | None = None,
    category: str | None = None,
    changed_since_run: int | None = None,
    bom: bool = False,
    site_host: str | None = None,
) -> dict[str, Any]:
    """Export articles as ``fmt`` (jsonl, csv, parquet, jekyll) into ``out``; returns the
    manifest written beside it."""
    from qilucrawl.exporters import ExportFilters, export_articles

    filters = ExportFilters(since, until, source, category, changed_since_run)
    with _reading(db) as store:
        return export_articles(store, fmt, out, filters, bom=bom, site_host=site_host or defaults.QILU_SITE_HOST)


def search(
    db: str | Path,
    words: str,
    *,
    since: str | None = None,
    until: str | None = None,
    source: str | None = None,
    limit: int = 20,
) -> list[dict[str, Any]]:
    """Articles with every word in title or body, newest first, each with a snippet."""
    with _reading(db) as store:
        return store.search(words, since=since, until=until, source=source, limit=limit)


def show(db: str | Path, info_code: str, *, revisions: bool = False) -> dict[str, Any] | None:
    """One article, whole (None when the archive has no such article); with ``revisions``,
    its earlier versions under ``"revisions"``, oldest first."""
    with _reading(db) as store:
        article = store.get(info_code)
        if article is not None and revisions:
            article["revisions"] = store.revisions(info_code)
        return article


def stats(db: str | Path) -> dict[str, Any]:
    """Counts by source and day, recent runs, the most common failures."""
    with _reading(db) as store:
        return store.stats()


def runs(db: str | Path, limit: int = 20) -> list[dict[str, Any]]:
    """Past crawls, backfills and imports with their counts, newest first."""
    with _reading(db) as store:
        return store.runs(limit)


class _reading:
    """An archive that must exist, opened for the length of a ``with`` block."""

    def __init__(self, db: str | Path) -> None:
        if not Path(db).exists():
            raise NoArchive(f"no archive at {db}")
        self.store = Store(db)

    def __enter__(self) -> Store:
        return self.store

    def __exit__(self, *exc: object) -> None:
        self.store.close()


# --- the demo ------------------------------------------------------------------------------------


@dataclass(slots=True)
class DemoResult:
    """The demo's crawl, what it archived and exported, its failures and one article to show."""

    url: str
    crawl: RunResult
    articles: int
    exported: int
    failures: list[dict[str, Any]]
    sample: dict[str, Any] | None


def demo(
    db: str | Path = defaults.QILU_DEMO_DB_PATH,
    out: str | Path = defaults.QILU_DEMO_JSONL_PATH,
    *,
    settings: dict[str, Any] | None = None,
    on_start: Any = None,
) -> DemoResult:
    """Start the bundled offline demo site, crawl it (feed, then iqilu), export JSONL.
    ``on_start(url)`` is called once the site is up."""
    from qilucrawl.demo.server import DemoServer
    from qilucrawl.exporters.to_jsonl import write_jsonl
    from qilucrawl.runner import Job, project_settings, run_jobs

    with DemoServer() as server:
        if on_start is not None:
            on_start(server.url)
        jobs = [
            Job("feed", {"base_url": server.url}),
            Job("iqilu", {"base_url": server.url, "since": defaults.QILU_DEMO_SINCE}),
        ]
        result = run_jobs(jobs, project_settings(db, {**defaults.QILU_DEMO_SETTINGS, **(settings or {})}))
    from qilucrawl.exporters import record

    with _reading(db) as store:
        exported = write_jsonl(store.iter_articles(), out)
        failures = [failure for run in result.runs for failure in store.failures(run["id"])]
        sample = store.sample()
        return DemoResult(server.url, result, store.count(), exported, failures, sample and record(sample))


# --- re-cleaning ---------------------------------------------------------------------------------


def reprocess(
    db: str | Path = DEFAULT_DB,
    *,
    parser: str | None = None,
    since: str | None = None,
    until: str | None = None,
    info_codes: Sequence[str] = (),
    outdated: bool = False,
    workers: int | None = None,
    dry_run: bool = False,
    progress: Any = None,
) -> Any:
    """Re-clean stored articles from their raw pages with today's parsers: a changed one
    becomes a new revision, a worse one is refused; ``dry_run`` writes nothing and says what
    would change.  Returns a :class:`qilucrawl.reprocess.ReprocessResult`."""
    from qilucrawl.reprocess import Selection
    from qilucrawl.reprocess import reprocess as reclean

    if not Path(db).exists():
        raise NoArchive(f"no archive at {db}")
    selection = Selection(parser, since, until, tuple(info_codes), outdated)
    return reclean(db, selection, workers=workers, dry_run=dry_run, progress=progress)
