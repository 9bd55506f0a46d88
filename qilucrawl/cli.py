"""The ``qilucrawl`` command: one thin function per subcommand, each calling one function of
:mod:`qilucrawl.api` and printing what it returns.  ``--help`` on any command shows its
options and an example.  Errors become one line and a documented exit status (README, "Exit
statuses"), never a traceback."""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import click

from qilucrawl import __version__, api
from qilucrawl import settings as defaults
from qilucrawl.items import ExtractError
from qilucrawl.jobs import ExitStatus, RunResult
from qilucrawl.lock import LockedError
from qilucrawl.store import NoArchive, StoreError


class CannotRun(click.ClickException):
    """The command could not do its work (archive unusable, file unwritable): exit status 4."""

    exit_code = ExitStatus.ERROR


@contextmanager
def _said_plainly() -> Iterator[None]:
    """The API's errors as one line each, with the exit status the README documents."""
    try:
        yield
    except LockedError as error:
        click.echo(f"qilucrawl: locked: {error}; not starting (exit {ExitStatus.LOCKED:d})", err=True)
        sys.exit(ExitStatus.LOCKED)
    except NoArchive as error:
        raise click.UsageError(str(error)) from None
    except StoreError as error:
        raise CannotRun(f"cannot use the archive: {error}") from None
    except ValueError as error:
        raise click.UsageError(str(error)) from None


def _base_url(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    """--base-url must be an http(s) URL with a host, or Scrapy fails mid-crawl."""
    if value is None:
        return None
    from urllib.parse import urlsplit

    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise click.BadParameter(f"{value!r} is not an http(s) URL with a host, e.g. http://127.0.0.1:8800")
    return value


def _date_option(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    """A day or a time (ISO 8601, the one date syntax of every command) as the ISO prefix stored
    times compare with; click names the option in the error."""
    if value is None:
        return None
    from qilucrawl.clean.dates import iso_option

    try:
        return iso_option(value)
    except ValueError:
        raise click.BadParameter(f"{value!r} is not a date (YYYY-MM-DD, or an ISO 8601 time)") from None


def _db_option(help_text: str) -> Callable:
    return click.option(
        "--db", "db_path", type=click.Path(dir_okay=False), default=api.DEFAULT_DB, show_default=True, help=help_text
    )


db_option = _db_option("The SQLite archive file (created if missing).")
read_db_option = _db_option("The SQLite archive file to read.")
base_url_option = click.option(
    "--base-url", callback=_base_url, help="Serve every endpoint of the source from this base URL (a mirror)."
)
list_url_option = click.option(
    "--list-url",
    metavar="URL",
    help="Walk from this list page (a channel page such as /shandong/, or /html/scroll/) instead of list_564_1.",
)
settings_option = click.option(
    "-s",
    "--set",
    "overrides",
    multiple=True,
    metavar="NAME=VALUE",
    help="A Scrapy or QILU_* setting, as `scrapy -s` takes it (repeatable).",
)
log_file_option = click.option("--log-file", type=click.Path(dir_okay=False), help="Append the crawl log to this file.")
log_level_option = click.option(
    "--log-level",
    type=click.Choice(["DEBUG", "INFO", "WARNING", "ERROR"]),
    default=None,
    help="How much the crawl logs [default: INFO; WARNING beside the progress bar on a terminal].",
)


def crawl_options(command: Callable) -> Callable:
    """-s, --log-file, --log-level: what every crawl takes."""
    for option in (log_level_option, log_file_option, settings_option):
        command = option(command)
    return command


def _crawl_settings(overrides: tuple[str, ...], log_file: str | None, log_level: str | None) -> dict[str, Any]:
    """The crawl's settings from -s NAME=VALUE, --log-file and --log-level."""
    if log_level is None:  # keep a terminal's progress bar readable; logs to files stay complete
        log_level = "WARNING" if sys.stderr.isatty() and not log_file else "INFO"
    settings: dict[str, Any] = {"LOG_LEVEL": log_level}
    for pair in overrides:
        name, sep, value = pair.partition("=")
        if not sep or not name.strip():
            raise click.UsageError(f"-s expects NAME=VALUE, got {pair!r}")
        settings[name.strip()] = value
    if log_file:
        try:  # a missing folder is made, as for the archive; an unwritable file is said plainly
            Path(log_file).parent.mkdir(parents=True, exist_ok=True)
            Path(log_file).open("a").close()
        except OSError as error:
            raise CannotRun(f"cannot write the log file {log_file}: {error}") from None
        settings["LOG_FILE"] = log_file
    return settings


def _report(result: RunResult) -> None:
    for run in result.runs:
        click.echo(
            f"run {run['id']} ({run['spider']}): {run['new']} new, {run['updated']} updated, "
            f"{run['unchanged']} unchanged, {run['skipped']} skipped as known, {run['failed']} failed"
            f" — {run['status']}"
        )
    click.echo(f"finished in {result.seconds:.1f}s, exit status {int(result.status)}")


@click.group()
@click.version_option(__version__, prog_name="qilucrawl")
def cli() -> None:
    """Crawl, clean and archive Qilu-net style news into SQLite; export datasets."""


# --- crawling -----------------------------------------------------------------------------------


@cli.group()
def crawl() -> None:
    """Crawl a source into the archive (incremental: only what is new or changed)."""


@crawl.command("feed")
@db_option
@base_url_option
@click.option("--media", multiple=True, metavar="NAME", help="Only archive this medium, e.g. 齐鲁网 (repeatable).")
@click.option("--refetch", is_flag=True, help="Fetch every listed article, even those stored unchanged.")
@crawl_options
def crawl_feed(
    db_path: str,
    base_url: str | None,
    media: tuple[str, ...],
    refetch: bool,
    overrides: tuple[str, ...],
    log_file: str | None,
    log_level: str | None,
) -> None:
    """Crawl the Eastmoney-style feed: every list endpoint, then each new item's text.

    Example:

    \b
        qilucrawl crawl feed --db archive/qilucrawl.db --media 齐鲁网
    """
    settings = _crawl_settings(overrides, log_file, log_level)
    with _said_plainly():
        result = api.crawl("feed", db_path, base_url=base_url, media=media, refetch=refetch, settings=settings)
    _report(result)
    sys.exit(result.status)


@crawl.command("iqilu")
@db_option
@base_url_option
@list_url_option
@crawl_options
def crawl_iqilu(
    db_path: str,
    base_url: str | None,
    list_url: str | None,
    overrides: tuple[str, ...],
    log_file: str | None,
    log_level: str | None,
) -> None:
    """Crawl iqilu.com's newest list pages until a page holds nothing new.

    Example:

    \b
        qilucrawl crawl iqilu --db archive/qilucrawl.db
    """
    settings = _crawl_settings(overrides, log_file, log_level)
    with _said_plainly():
        result = api.crawl("iqilu", db_path, base_url=base_url, list_url=list_url, settings=settings)
    _report(result)
    sys.exit(result.status)


@cli.group()
def backfill() -> None:
    """Walk a source back in time; resumable (re-run the same command after any stop)."""


@backfill.command("iqilu")
@db_option
@click.option("--since", required=True, callback=_date_option, metavar="DATE", help="Oldest day to archive.")
@click.option("--until", callback=_date_option, metavar="DATE", help="Archive days before this one.")
@base_url_option
@list_url_option
@crawl_options
def backfill_iqilu(
    db_path: str,
    since: str,
    until: str | None,
    base_url: str | None,
    list_url: str | None,
    overrides: tuple[str, ...],
    log_file: str | None,
    log_level: str | None,
) -> None:
    """Walk iqilu.com list pages back to --since, fetching each article and its continuation pages.

    Days are Beijing days, --since included, --until not (ISO 8601 dates, or times, of which
    the day is taken).  Stopped at any point (Ctrl-C, SIGKILL), the same command finishes the
    job without refetching what is stored.  Example:

    \b
        qilucrawl backfill iqilu --db archive/qilucrawl.db --since 2026-01-01 --until 2026-02-01
    """
    settings = _crawl_settings(overrides, log_file, log_level)
    if until is not None and until[:10] <= since[:10]:
        raise click.UsageError("--until must be after --since")
    with _said_plainly():
        result = api.backfill(
            "iqilu", db_path, since=since[:10], until=until[:10] if until else None,
            base_url=base_url, list_url=list_url, settings=settings,
        )  # fmt: skip
    _report(result)
    sys.exit(result.status)


@cli.command("import")
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True), metavar="PATH...")
@db_option
@click.option("--json", "as_json", is_flag=True, help="One JSON report per file, one per line.")
def import_(paths: tuple[str, ...], db_path: str, as_json: bool) -> None:
    """Import existing Jekyll archives (_posts/ folders or post files) into the archive.

    Posts are deduplicated by info_code against what is stored; each file is reported as
    imported, updated, unchanged, skipped or failed, with the reason.  Re-running changes
    nothing.  Example:

    \b
        qilucrawl import old-site/_posts --db archive/qilucrawl.db
    """
    with _said_plainly():
        try:
            result = api.import_archive(paths, db_path)
        except OSError as error:
            raise CannotRun(f"cannot use the archive {db_path}: {error}") from None
    for report in result.reports:
        if as_json:
            click.echo(json.dumps(report, ensure_ascii=False))
        else:
            reason = f"  ({report['reason']})" if report["reason"] else ""
            click.echo(f"{report['outcome']:<10} {report['info_code'] or '-':<22} {report['path']}{reason}")
    totals = ", ".join(f"{n} {outcome}" for outcome, n in result.totals.items())
    click.echo(f"run {result.run['id']}: {totals}", err=as_json)
    sys.exit(ExitStatus.FAILURES if result.totals.get("failed") else ExitStatus.OK)


# --- reading the archive ------------------------------------------------------------------------


def filter_options(command: Callable) -> Callable:
    """--since, --until, --source (shared by export and search)."""
    command = click.option("--source", metavar="MEDIUM", help="Only this medium, e.g. 齐鲁网.")(command)
    command = click.option("--until", metavar="DATE", callback=_date_option, help="Published before this day/time.")(
        command
    )
    return click.option("--since", metavar="DATE", callback=_date_option, help="Published on or after this day/time.")(
        command
    )


@cli.command()
@read_db_option
@click.option(
    "--format", "fmt", type=click.Choice(["jsonl", "csv", "parquet", "jekyll"]), default="jsonl", show_default=True
)
@click.option(
    "--out", "out_path", type=click.Path(), help="File to write (for jekyll: the site folder, default archive/)."
)
@filter_options
@click.option("--category", metavar="SLUG", help="Only this category, e.g. qiluwang.")
@click.option("--changed-since-run", type=int, metavar="N", help="Only articles run N or a later run added or changed.")
@click.option("--bom", is_flag=True, help="CSV: start with a UTF-8 byte-order mark (for Excel).")
@click.option("--site-host", default=None, help="Jekyll: the host of the back links [default: QILU_SITE_HOST].")
def export(
    db_path: str,
    fmt: str,
    out_path: str | None,
    since: str | None,
    until: str | None,
    source: str | None,
    category: str | None,
    changed_since_run: int | None,
    bom: bool,
    site_host: str | None,
) -> None:
    """Export articles as a dataset file or a Jekyll site, with a manifest beside it.

    The file is written whole or not at all (a temporary file renamed into place); the
    manifest (<file>.manifest.json) records format, filters, rows, time range and sha256.
    Example:

    \b
        qilucrawl export --db archive/qilucrawl.db --format parquet --out articles.parquet --since 2026-01-01
    """
    from qilucrawl.exporters import manifest_path

    if out_path is None:
        if fmt != "jekyll":
            raise click.UsageError("--out is required for this format")
        out_path = "archive"
    if fmt != "jekyll" and Path(out_path).is_dir():
        raise click.BadParameter(f"{out_path} is a directory; --out names the file to write", param_hint="--out")
    with _said_plainly():
        try:
            manifest = api.export(
                db_path, fmt, out_path, since=since, until=until, source=source, category=category,
                changed_since_run=changed_since_run, bom=bom, site_host=site_host,
            )  # fmt: skip
        except OSError as error:
            raise CannotRun(f"cannot write {out_path}: {error}") from None
    click.echo(f"wrote {manifest['rows']} articles to {out_path} ({fmt}); manifest {manifest_path(out_path, fmt)}")


@cli.command()
@click.argument("words", nargs=-1, required=True, metavar="WORDS...")
@read_db_option
@filter_options
@click.option("--limit", type=int, default=20, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="One JSON object per result, one per line.")
def search(
    words: tuple[str, ...],
    db_path: str,
    since: str | None,
    until: str | None,
    source: str | None,
    limit: int,
    as_json: bool,
) -> None:
    """Find articles by words in title and body (all words must match), newest first.

    Chinese words of any length work, two characters included.  Example:

    \b
        qilucrawl search 趵突泉 --db archive/qilucrawl.db --since 2026-11-01
    """
    with _said_plainly():
        results = api.search(db_path, " ".join(words), since=since, until=until, source=source, limit=limit)
    for row in results:
        if as_json:
            click.echo(json.dumps(row, ensure_ascii=False))
        else:
            click.echo(f"{row['published_at'] or '-':<26} {row['source'] or '-':<8} {row['info_code']}  {row['title']}")
            click.echo(f"    {row['snippet']}")
    if not results and not as_json:
        click.echo("no articles match", err=True)


@cli.command()
@read_db_option
@click.option("--json", "as_json", is_flag=True, help="Print the statistics as JSON.")
def stats(db_path: str, as_json: bool) -> None:
    """Counts by source and by day, recent runs, and failures.

    Example:

    \b
        qilucrawl stats --db archive/qilucrawl.db
    """
    with _said_plainly():
        figures = api.stats(db_path)
    if as_json:
        click.echo(json.dumps(figures, ensure_ascii=False, indent=2))
        return
    click.echo(f"{figures['articles']} articles, {figures['revisions']} earlier revisions\n")
    click.echo("by source:")
    for row in figures["by_source"]:
        click.echo(f"  {row['articles']:>7}  {row['source'] or '-'} ({row['category'] or '-'})")
    click.echo("by day (newest 31):")
    for row in figures["by_day"]:
        click.echo(f"  {row['articles']:>7}  {row['day'] or 'no date'}")
    click.echo("runs (newest 10):")
    for run in figures["runs"]:
        click.echo(
            f"  #{run['id']} {run['spider']} {run['started_at']} {run['status']}: {run['new']} new,"
            f" {run['updated']} updated, {run['unchanged']} unchanged, {run['skipped']} skipped,"
            f" {run['failed']} failed"
        )
    click.echo("failures (most common):")
    for row in figures["failures"]:
        click.echo(f"  {row['count']:>7}  [{row['stage']}] {row['reason']}")


@cli.command()
@read_db_option
@click.option("--limit", type=int, default=20, show_default=True, help="How many runs, newest first.")
@click.option("--json", "as_json", is_flag=True, help="Print the runs as JSON.")
def runs(db_path: str, limit: int, as_json: bool) -> None:
    """Past crawls, backfills and imports with their counts, newest first.

    Example:

    \b
        qilucrawl runs --db archive/qilucrawl.db --limit 5
    """
    with _said_plainly():
        rows = api.runs(db_path, limit)
    if as_json:
        click.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    click.echo(
        f"{'run':>5}  {'spider':<7} {'started':<25} {'finished':<25} {'status':<11} "
        f"{'new':>6} {'upd':>5} {'same':>6} {'skip':>6} {'fail':>5}"
    )
    for run in rows:
        click.echo(
            f"{run['id']:>5}  {run['spider']:<7} {run['started_at']:<25} {run['finished_at'] or '-':<25} "
            f"{run['status']:<11} {run['new']:>6} {run['updated']:>5} {run['unchanged']:>6} "
            f"{run['skipped']:>6} {run['failed']:>5}"
        )


# --- one page, no crawl -------------------------------------------------------------------------


@cli.command()
@click.argument("inputs", nargs=-1, required=True, metavar="FILE_OR_URL...")
@click.option("--url", "original_url", help="The page's original URL (resolves relative links, dates in URLs).")
@click.option("--title", help="The list's title for it (a text-endpoint response carries none).")
@click.option("--published", help="The list's time for it, e.g. '2026-11-18 09:30:00'.")
@click.option("--media", help="The list's medium for it, e.g. 齐鲁网.")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per input, one per line.")
def parse(
    inputs: tuple[str, ...],
    original_url: str | None,
    title: str | None,
    published: str | None,
    media: str | None,
    as_json: bool,
) -> None:
    """Show the normalized article of saved pages: HTML, feed JSON, plain text or Jekyll post.

    The kind of each input is detected from its content.  A saved text-endpoint response
    becomes the article a crawl makes of it given what the list said (--title, --published,
    --media; the infoCode is read from --url).  Examples:

    \b
        qilucrawl parse saved/page.html --url https://news.iqilu.com/shandong/20220220/1.shtml
        qilucrawl parse saved/text.json --title 标题 --published '2026-11-18 09:30:00' --media 齐鲁网
    """
    from qilucrawl.items import ARTICLE_FIELDS

    failed = False
    for source in inputs:
        result: dict[str, Any] = {}
        error = None
        try:
            result = api.parse_page(source, url=original_url, title=title, published=published, media=media)
        except (ExtractError, OSError, ValueError) as problem:
            error, failed = str(problem), True
            if error.startswith("no title") and not title:
                error += " (a text-endpoint response has none: give the list's with --title)"
        if as_json:  # every field on every line, null where unknown (or unreadable)
            click.echo(json.dumps({"input": source, **(result or dict.fromkeys(ARTICLE_FIELDS)), "error": error},
                                  ensure_ascii=False))  # fmt: skip
        else:
            _print_article(source, result, error)
    sys.exit(ExitStatus.FAILURES if failed else ExitStatus.OK)


_SHOWN = ("title", "subtitle", "published_at", "source", "category", "authors", "tags", "original_title",
          "parser", "quality_flags")  # fmt: skip


def _print_article(source: str, result: dict[str, Any], error: str | None) -> None:
    click.echo(f"== {source}")
    if error:
        click.echo(f"   error: {error}")
        return
    for name in _SHOWN:
        click.echo(f"   {name}: {result.get(name)}")
    click.echo(f"   images: {len(result.get('images') or [])}")
    click.echo("   body:")
    for paragraph in (result.get("body_text") or "").split("\n\n"):
        click.echo(f"     {paragraph}")


# --- the demo -----------------------------------------------------------------------------------


@cli.command()
@click.option("--db", "db_path", type=click.Path(dir_okay=False), default=defaults.QILU_DEMO_DB_PATH, show_default=True)
@click.option(
    "--out", "out_path", type=click.Path(dir_okay=False), default=defaults.QILU_DEMO_JSONL_PATH, show_default=True
)
@settings_option
def demo(db_path: str, out_path: str, overrides: tuple[str, ...]) -> None:
    """Start the bundled offline demo site, crawl it, archive it and export JSONL.

    Running it again adds no duplicate.  Example:

    \b
        qilucrawl demo --db archive/demo.db --out archive/demo.jsonl
    """
    settings = _crawl_settings(overrides, None, defaults.QILU_DEMO_SETTINGS["LOG_LEVEL"])
    with _said_plainly():
        result = api.demo(db_path, out_path, settings=settings, on_start=lambda url: click.echo(f"demo site on {url}"))
    _report(result.crawl)
    click.echo(f"archive {db_path}: {result.articles} articles; exported {result.exported} to {out_path}")
    for failure in result.failures:
        status = f" HTTP {failure['status']}" if failure["status"] else ""
        click.echo(f"  failed [{failure['stage']}]{status} {failure['url']}: {failure['reason']}")
    if result.sample:
        shown = {k: v for k, v in result.sample.items() if k != "body_html"}
        shown["body_text"] = (shown["body_text"] or "")[:200] + "…"
        click.echo("\nsample article:")
        click.echo(json.dumps(shown, ensure_ascii=False, indent=2))
    if result.crawl.status in (ExitStatus.LOCKED, ExitStatus.ERROR):
        sys.exit(result.crawl.status)


@cli.command("demo-server")
@click.option("--port", type=int, default=8800, show_default=True, help="0 picks a free port.")
@click.option("--edition", type=int, default=1, show_default=True, help="2 serves the corrected articles.")
def demo_server(port: int, edition: int) -> None:
    """Serve the demo site in the foreground until Ctrl-C (for trying crawls by hand).

    Example:

    \b
        qilucrawl demo-server --port 8800 &
        qilucrawl crawl feed --base-url http://127.0.0.1:8800 --db /tmp/try.db
    """
    from qilucrawl.demo.server import DemoServer, DemoSite

    server = DemoServer(port, DemoSite(edition=edition)).start()
    click.echo(server.url, err=False)
    sys.stdout.flush()
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        server.stop()
