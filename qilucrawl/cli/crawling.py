"""Commands that crawl or import into the archive: crawl, backfill, import."""

from __future__ import annotations

import json
import sys

import click

from qilucrawl import api
from qilucrawl.cli.options import (
    CannotRun,
    base_url_option,
    crawl_options,
    crawl_settings,
    date_option,
    db_option,
    list_url_option,
    ping_option,
    report,
    said_plainly,
)  # fmt: skip
from qilucrawl.jobs import ExitStatus

# ---- crawling -----------------------------------------------------------------------------------


@click.group()
def crawl() -> None:
    """Crawl a source into the archive (incremental: only what is new or changed)."""


@crawl.command("feed")
@db_option
@base_url_option
@click.option("--media", multiple=True, metavar="NAME", help="Only archive this medium, e.g. 齐鲁网 (repeatable).")
@click.option("--refetch", is_flag=True, help="Fetch every listed article, even those stored unchanged.")
@ping_option
@crawl_options
def crawl_feed(
    db_path: str,
    base_url: str | None,
    media: tuple[str, ...],
    refetch: bool,
    ping: str | None,
    overrides: tuple[str, ...],
    log_file: str | None,
    log_level: str | None,
) -> None:
    """Crawl the Eastmoney-style feed: every list endpoint, then each new item's text.

    Example:

    \b
        qilucrawl crawl feed --db archive/qilucrawl.db --media 齐鲁网
    """
    settings = crawl_settings(overrides, log_file, log_level)
    with said_plainly():
        result = api.crawl(
            "feed", db_path, base_url=base_url, media=media, refetch=refetch, settings=settings, ping=ping
        )
    report(result)
    sys.exit(result.status)


@crawl.command("iqilu")
@db_option
@base_url_option
@list_url_option
@click.option(
    "--refetch", is_flag=True, help="Fetch every listed article, even those stored (articles stored "
    "with no usable time are fetched again without it, once their time has come)."
)  # fmt: skip
@ping_option
@crawl_options
def crawl_iqilu(
    db_path: str,
    base_url: str | None,
    list_url: str | None,
    refetch: bool,
    ping: str | None,
    overrides: tuple[str, ...],
    log_file: str | None,
    log_level: str | None,
) -> None:
    """Crawl iqilu.com's newest list pages until a page holds nothing new.

    Example:

    \b
        qilucrawl crawl iqilu --db archive/qilucrawl.db
    """
    settings = crawl_settings(overrides, log_file, log_level)
    with said_plainly():
        result = api.crawl(
            "iqilu", db_path, base_url=base_url, list_url=list_url, refetch=refetch, settings=settings, ping=ping
        )
    report(result)
    sys.exit(result.status)


@click.group()
def backfill() -> None:
    """Walk a source back in time; resumable (re-run the same command after any stop)."""


@backfill.command("iqilu")
@db_option
@click.option("--since", required=True, callback=date_option, metavar="DATE", help="Oldest day to archive.")
@click.option("--until", callback=date_option, metavar="DATE", help="Archive days before this one.")
@base_url_option
@list_url_option
@ping_option
@crawl_options
def backfill_iqilu(
    db_path: str,
    since: str,
    until: str | None,
    base_url: str | None,
    list_url: str | None,
    ping: str | None,
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
    settings = crawl_settings(overrides, log_file, log_level)
    if until is not None and until[:10] <= since[:10]:
        raise click.UsageError("--until must be after --since")
    with said_plainly():
        result = api.backfill(
            "iqilu", db_path, since=since[:10], until=until[:10] if until else None,
            base_url=base_url, list_url=list_url, settings=settings, ping=ping,
        )  # fmt: skip
    report(result)
    sys.exit(result.status)


@click.command("import")
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
    with said_plainly(
        interrupted="the posts stored so far are kept, its run is marked interrupted; run it again to finish"
    ):
        try:
            result = api.import_archive(paths, db_path)
        except OSError as error:
            raise CannotRun(f"cannot use the archive {db_path}: {error}") from None
    for warning in result.warnings:
        click.echo(f"qilucrawl: warning: {warning}", err=True)
    for line in result.reports:
        if as_json:
            click.echo(json.dumps(line, ensure_ascii=False))
        else:
            reason = f"  ({line['reason']})" if line["reason"] else ""
            click.echo(f"{line['outcome']:<10} {line['info_code'] or '-':<22} {line['path']}{reason}")
    totals = ", ".join(f"{n} {outcome}" for outcome, n in result.totals.items())
    click.echo(f"run {result.run['id']}: {totals}", err=as_json)
    sys.exit(ExitStatus.FAILURES if result.totals.get("failed") else ExitStatus.OK)
