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
arguments; :class:`OptionError` names the argument as the command line does).  A filter that no
article matches is a :class:`FilterWarning`.  SQLite's own errors on an open archive come as
StoreErrors.  Read functions open the archive read-only and change nothing in it.  Scrapy is
imported only by the functions that crawl.
"""

from __future__ import annotations

import sqlite3
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import qilucrawl.settings as defaults
from qilucrawl.checks import MAX_LIMIT, FilterWarning, OptionError, check_filters, check_limit, check_range  # noqa: F401  (part of the API: the CLI reads them here)
from qilucrawl.jobs import RunResult, locked_archive, recorded_run
from qilucrawl.schema import SCHEMA_VERSION
from qilucrawl.store import NoArchive, Store, StoreError

DEFAULT_DB = defaults.QILU_DB_PATH
SOURCES = ("feed", "iqilu")
# A saved page or post larger than a crawl would download (DOWNLOAD_MAXSIZE) is no article
# page: it is refused with that reason rather than read into memory and parsed for minutes.
MAX_PAGE_BYTES = defaults.DOWNLOAD_MAXSIZE
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
    ping: str | None = None,
) -> RunResult:
    """Crawl ``source`` ("feed" or "iqilu") into the archive: only what is new or changed.

    ``settings`` are Scrapy or ``QILU_*`` settings, as ``-s NAME=VALUE`` gives them.  ``ping``: a
    healthchecks-style URL told when the crawl starts and how it ended (:mod:`qilucrawl.ping`)."""
    if source not in SOURCES:
        raise ValueError(f"unknown source {source!r}: one of {', '.join(SOURCES)}")
    extra: dict[str, Any] = {"QILU_REFETCH": str(refetch)}
    if media:
        extra["QILU_MEDIA"] = ",".join(media)
    kwargs = {"base_url": base_url} if source == "feed" else {"base_url": base_url, "list_url": list_url}
    return _run_spider(source, kwargs, db, {**extra, **(settings or {})}, ping)


def backfill(
    source: str,
    db: str | Path = DEFAULT_DB,
    *,
    since: str,
    until: str | None = None,
    base_url: str | None = None,
    list_url: str | None = None,
    settings: dict[str, Any] | None = None,
    ping: str | None = None,
) -> RunResult:
    """Walk ``source``'s lists back to ``since`` (a day, Beijing time), archiving each article
    dated in ``[since, until)``; resumable: run it again after any stop.  ``ping`` as for
    :func:`crawl`."""
    if source != "iqilu":
        raise ValueError(f"only iqilu has lists to walk back, not {source!r}")
    if until is not None and until <= since:
        raise ValueError("until must be after since")
    kwargs = {"since": since, "until": until, "base_url": base_url, "list_url": list_url}
    return _run_spider(source, kwargs, db, settings or {}, ping)


def _run_spider(
    spider: str, kwargs: dict[str, Any], db: str | Path, settings: dict[str, Any], ping: str | None = None
) -> RunResult:
    from qilucrawl.ping import pinged
    from qilucrawl.quality import rules_for
    from qilucrawl.runner import Job, project_settings, run_jobs

    given = project_settings(db, settings)
    rules_for(spider, given.get)  # a bad QILU_QUALITY_* value: a usage error, before the crawl
    with pinged(ping, given.getfloat("QILU_PING_TIMEOUT", defaults.QILU_PING_TIMEOUT)) as run:
        result = run_jobs([Job(spider, kwargs)], given)
        run.status = result.status
    return result


def canary(
    sources: Sequence[str] = SOURCES, *, base_url: str | None = None, settings: dict[str, Any] | None = None
) -> dict[str, Any]:
    """Whether each source's parser still fits its site (:mod:`qilucrawl.canary`): its newest list
    read, one article fetched and read by its parser.  ``{"status": exit status, "sources": [one
    report per source]}``; ``status`` is 5 when a parser no longer fits, 4 when a source could not
    be checked."""
    from qilucrawl.canary import exit_status, run_canary
    from qilucrawl.runner import project_settings

    unknown = [source for source in sources if source not in SOURCES]
    if unknown or not sources:
        raise OptionError("--source", f"unknown source {', '.join(unknown) or 'none'}: one of {', '.join(SOURCES)}")
    reports = run_canary(list(dict.fromkeys(sources)), project_settings(DEFAULT_DB, settings), base_url)
    return {"status": exit_status(reports), "sources": reports}


# --- importing -----------------------------------------------------------------------------------


@dataclass(slots=True)
class ImportResult:
    """An import's run row and one report per file (path, outcome, info_code, reason)."""

    run: dict[str, Any]
    reports: list[dict[str, Any]]
    warnings: list[str] = field(default_factory=list)  # paths given that hold no post

    @property
    def totals(self) -> dict[str, int]:
        return dict(sorted(Counter(report["outcome"] for report in self.reports).items()))


def import_archive(paths: Iterable[str | Path], db: str | Path = DEFAULT_DB) -> ImportResult:
    """Import Jekyll archives (``_posts/`` folders or post files), under the archive's lock, in
    a run of its own (spider ``import``) like a crawl's.  Posts are stored in batches as they
    are read; an interrupted import keeps what it stored and its run says ``interrupted``.

    OptionError when no path holds a post file; a path without any is in ``warnings``."""
    from qilucrawl.importer import POST_SUFFIXES, find_posts

    given = [str(path) for path in paths]
    empty = [path for path in given if not find_posts([path])]
    kinds = ", ".join(POST_SUFFIXES)
    if len(empty) == len(given):
        _usable(db)  # an archive that cannot be used is said first, as when there are posts
        raise OptionError("PATH", f"no post files ({kinds}) to import in {', '.join(given) or 'nothing'}")
    notes = [f"no post files ({kinds}) in {path}" for path in empty]
    with _sqlite_errors(db):
        run, reports = _import(given, db)
    return ImportResult(run, [report.as_dict() for report in reports], notes)


def _usable(db: str | Path) -> None:
    """StoreError for an archive a writer could not use, found without creating it: an existing
    file is opened read-only; for a new one, its folder must be there or be made."""
    if Path(db).exists():
        try:
            Store(db, readonly=True).close()
        except NoArchive:  # an empty database: a writer makes an archive of it
            pass
        return
    try:
        Path(db).parent.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise StoreError(f"{db}: cannot create its folder: {error.strerror or error}") from error


def _import(paths: list[str], db: str | Path) -> tuple[dict[str, Any], list[Any]]:
    from qilucrawl.importer import import_posts

    with locked_archive(db):
        store = Store(db)
        try:
            with recorded_run(store, "import", {"paths": paths}) as run_id:
                reports = import_posts(paths, store, run_id)
            return store.run(run_id), reports
        finally:
            store.close()


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
    from qilucrawl.items import INFO_CODE, ExtractError, ListEntry, Page
    from qilucrawl.page_source import read_page

    body, fetched_from = read_page(source, MAX_PAGE_BYTES)
    entry = None
    if title or published or media:
        code = INFO_CODE.search(url or "")
        entry = ListEntry(code.group() if code else "", title, published, media)
    try:
        return record(extract(Page(url=url or fetched_from or "", body=body, entry=entry)).to_record())
    except ExtractError as error:
        if str(error).startswith("no title") and not title:
            raise ExtractError(f"{error} ({_no_title_hint(body)})") from None
        raise


def _no_title_hint(body: bytes) -> str:
    """What to do about a page with no title, by what the page is."""
    from qilucrawl.clean.encoding import decode
    from qilucrawl.extract import detect_kind
    from qilucrawl.items import FEED_TEXT, JEKYLL

    kind = detect_kind(decode(body[:8192], None)[0])
    if kind == JEKYLL:
        return (
            "the post's title is empty, as in the archives' rolling-feed copies: `qilucrawl import` it beside"
            " the medium's post of the same article, which is stored instead, or give one with --title"
        )
    if kind == FEED_TEXT:
        return "a text-endpoint response has none: give the list's with --title"
    return "give one with --title"


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
    dataset_card: bool = False,
) -> dict[str, Any]:
    """Export articles as ``fmt`` (jsonl, csv, parquet, jekyll) into ``out``; returns the
    manifest written beside it.  With ``dataset_card`` (parquet, jsonl) a Hugging Face dataset
    card (README.md) and croissant.json are written beside the file too (``"dataset_card"``).

    OptionError, before anything is written, for filters that cannot match (``until`` not
    after ``since``, a medium's name as ``category``, a run the archive has not had) and for
    ``bom`` with another format than csv; a FilterWarning for a ``source`` or ``category`` no
    article has."""
    from qilucrawl.exporters import ExportFilters, export_articles

    if bom and fmt != "csv":
        raise OptionError("--bom", f"--bom is for --format csv (a byte-order mark for Excel), not {fmt}")
    if dataset_card:
        _check_dataset_card(fmt, out)
    check_range(since, until)
    filters = ExportFilters(since, until, source, category, changed_since_run)
    with _reading(db) as store:
        check_filters(store, source=source, category=category, changed_since_run=changed_since_run)
        return export_articles(
            store, fmt, out, filters, bom=bom, site_host=site_host or defaults.QILU_SITE_HOST, dataset_card=dataset_card
        )


def _check_dataset_card(fmt: str, out: str | Path) -> None:
    from qilucrawl.exporters.dataset_card import CARD_FORMATS

    if fmt not in CARD_FORMATS:
        raise OptionError("--dataset-card", f"--dataset-card is for --format {' or '.join(CARD_FORMATS)}, not {fmt}")
    if str(out) == "-":
        raise OptionError(
            "--dataset-card", "--dataset-card writes README.md and croissant.json beside --out: name a file, not -"
        )


def search(
    db: str | Path,
    words: str,
    *,
    since: str | None = None,
    until: str | None = None,
    source: str | None = None,
    limit: int = 20,
) -> list[dict[str, Any]]:
    """Articles with every word in title or body, newest first, each with a snippet.

    OptionError for a query with no word (letters, digits or Chinese characters), a ``limit``
    under 1 and ``until`` not after ``since``; a FilterWarning for a ``source`` no article has."""
    from qilucrawl.fulltext import fts_query

    if fts_query(words) is None:
        raise OptionError("WORDS", f"nothing to search for in {words!r}: give words of letters, digits or Chinese")
    check_limit(limit)
    check_range(since, until)
    with _reading(db) as store:
        check_filters(store, source=source)
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


def metrics(db: str | Path, out: str | Path) -> dict[str, Any]:
    """Write the archive's Prometheus metrics to ``out`` for node_exporter's textfile collector,
    atomically (:mod:`qilucrawl.metrics`); the figures written, with ``"samples"`` counted."""
    from qilucrawl import metrics as prometheus

    with _reading(db) as store:
        figures = prometheus.gather(store.db.conn, db)
    figures["samples"] = prometheus.write(figures, out)
    return figures


def runs(db: str | Path, limit: int = 20) -> list[dict[str, Any]]:
    """Past crawls, backfills and imports with their counts, newest first."""
    check_limit(limit)
    with _reading(db) as store:
        return store.runs(limit)


def datasette_metadata(db: str | Path = DEFAULT_DB) -> dict[str, Any]:
    """Datasette metadata for serving the archive ``db``: its tables and columns described from
    the schema and the data dictionary, internal tables hidden, facets, and a canned query
    ``search`` (it needs the qilucrawl datasette plugin, installed with the package)."""
    from qilucrawl.datasette_metadata import metadata

    with _reading(db) as store:
        columns = {name: [column.name for column in store.db[name].columns] for name in store.db.table_names()}
    return metadata(db, columns)


@contextmanager
def _reading(db: str | Path) -> Iterator[Store]:
    """An archive that must exist, opened read-only for the length of a ``with`` block.

    One of an older schema is migrated first, by a writer under the run lock as a crawl would
    (a read-only one cannot be, and says so).  SQLite's errors while reading are StoreErrors."""
    if not Path(db).exists():
        raise NoArchive(f"no archive at {db}")
    store = Store(db, readonly=True)
    if store.schema_version < SCHEMA_VERSION:
        store.close()
        try:
            with locked_archive(db):  # opens it as a writer: migrates it
                pass
        except StoreError as error:
            raise StoreError(f"{error} (the archive is at schema {store.schema_version}: it must be migrated to "
                             f"schema {SCHEMA_VERSION} to be read, which takes write access)") from None  # fmt: skip
        store = Store(db, readonly=True)
    try:
        with _sqlite_errors(db):
            yield store
    finally:
        store.close()


@contextmanager
def _sqlite_errors(db: str | Path) -> Iterator[None]:
    """SQLite's errors on an open archive (malformed, read-only, disk full …) as StoreErrors."""
    try:
        yield
    except sqlite3.Error as error:
        raise StoreError(f"{db}: {error}") from error


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


# --- past one machine ----------------------------------------------------------------------------


def schedule(
    nodes: Sequence[str],
    source: str,
    *,
    since: str,
    until: str | None = None,
    every: str = "month",
    base_url: str | None = None,
    list_url: str | None = None,
    settings: dict[str, str] | None = None,
    shard_dir: str = "shards",
    shards: Sequence[str | Path] = (),
    dry_run: bool = False,
) -> dict[str, Any]:
    """Schedule a backfill of ``source`` over Scrapyd ``nodes``, a partition (``every``: month,
    day or Nd) per job with a fixed id, each job writing its shard under ``shard_dir`` on its
    worker; partitions pending, running or done (their shard, found in ``shards``, has a finished
    run) are left alone.  Returns the plan.  :class:`~qilucrawl.cluster.scrapyd.NodeError` for a
    node that cannot be asked (nothing is scheduled then)."""
    from qilucrawl.cluster.schedule import schedule as plan_and_schedule

    check_range(since, until)
    return plan_and_schedule(nodes, source, since=since, until=until, every=every, base_url=base_url,
                             list_url=list_url, settings=settings, shard_dir=shard_dir, shards=shards,
                             dry_run=dry_run)  # fmt: skip


def merge(shards: Sequence[str | Path], into: str | Path, *, progress: Any = None) -> Any:
    """Merge shards into the archive ``into`` by infoCode, through the crawl's save path (README,
    "Past one machine"); a shard merged before and unchanged since is skipped.  Returns a
    :class:`qilucrawl.cluster.merge.MergeResult`."""
    from qilucrawl.cluster.merge import merge as fold

    if not shards:
        raise OptionError("SHARD", "give at least one shard to merge")
    with _sqlite_errors(into):
        return fold(shards, into, progress=progress)


def cluster_status(nodes: Sequence[str], *, shards: Sequence[str | Path] = ()) -> dict[str, Any]:
    """Each node's jobs (pending, running, finished; ``error`` for one that cannot be asked) and
    each shard's partition: its last run's status, exit status and counts."""
    from qilucrawl.cluster.status import cluster_status as status

    return status(nodes, shards)
