"""Commands that read the archive: export, search, show, stats, runs."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import click

import qilucrawl.settings as defaults
from qilucrawl import api
from qilucrawl.cli.options import (
    CannotRun,
    filter_options,
    limit_option,
    read_db_option,
    said_plainly,
)  # fmt: skip
from qilucrawl.jobs import ExitStatus


@click.command()
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
@click.option(
    "--site-host",
    default=None,
    help=f"Jekyll: the host of the back links [default: {defaults.QILU_SITE_HOST}, QILU_SITE_HOST].",
)
@click.option(
    "--dataset-card",
    is_flag=True,
    help="Parquet, JSONL: also write a Hugging Face dataset card (README.md) and croissant.json beside the file.",
)
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
    dataset_card: bool,
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
    left = "each post written is whole; no manifest" if fmt == "jekyll" else "no file was written under its name"
    with said_plainly(interrupted=left):
        try:
            manifest = api.export(
                db_path, fmt, out_path, since=since, until=until, source=source, category=category,
                changed_since_run=changed_since_run, bom=bom, site_host=site_host, dataset_card=dataset_card,
            )  # fmt: skip
        except OSError as error:
            raise CannotRun(f"cannot write {out_path}: {error}") from None
    if out_path == "-":  # standard output holds the data: the summary goes to stderr
        click.echo(
            f"wrote {manifest['rows']} articles to standard output ({fmt}), sha256 {manifest['sha256']}", err=True
        )
        return
    click.echo(f"wrote {manifest['rows']} articles to {out_path} ({fmt}); manifest {manifest_path(out_path, fmt)}")
    if manifest.get("dataset_card"):
        click.echo(f"dataset card: {' and '.join(manifest['dataset_card'])}")


@click.command()
@click.argument("words", nargs=-1, required=True, metavar="WORDS...")
@read_db_option
@filter_options
@limit_option(20, "How many results, newest first.")
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
    with said_plainly():
        results = api.search(db_path, " ".join(words), since=since, until=until, source=source, limit=limit)
    for row in results:
        if as_json:
            click.echo(json.dumps(row, ensure_ascii=False))
        else:
            click.echo(f"{row['published_at'] or '-':<26} {row['source'] or '-':<8} {row['info_code']}  {row['title']}")
            click.echo(f"    {row['snippet']}")
    if not results and not as_json:
        click.echo("no articles match", err=True)


@click.command()
@read_db_option
@click.option("--json", "as_json", is_flag=True, help="Print the statistics as JSON.")
@click.option(
    "--prom",
    "prom_path",
    type=click.Path(dir_okay=False),
    metavar="FILE",
    help="Instead, write Prometheus metrics to FILE (atomically), for node_exporter's textfile collector.",
)
def stats(db_path: str, as_json: bool, prom_path: str | None) -> None:
    """Counts by source and by day, recent runs (with their quality shares and alarms), and failures.

    Examples:

    \b
        qilucrawl stats --db archive/qilucrawl.db
        qilucrawl stats --db archive/qilucrawl.db --prom /var/lib/node_exporter/textfile/qilucrawl.prom
    """
    if prom_path is not None:
        _write_metrics(db_path, prom_path)
        return
    with said_plainly():
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
        _print_quality(run, indent="      ")
    click.echo("failures (most common):")
    for row in figures["failures"]:
        click.echo(f"  {row['count']:>7}  [{row['stage']}] {row['reason']}")


@click.command()
@read_db_option
@limit_option(20, "How many runs, newest first.")
@click.option("--json", "as_json", is_flag=True, help="Print the runs as JSON.")
def runs(db_path: str, limit: int, as_json: bool) -> None:
    """Past crawls, backfills and imports with their counts, newest first.

    Example:

    \b
        qilucrawl runs --db archive/qilucrawl.db --limit 5
    """
    with said_plainly():
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
        if run.get("alarm"):
            click.echo(f"{'':>7}quality alarm: {run['alarm']}")


def _write_metrics(db_path: str, prom_path: str) -> None:
    with said_plainly():
        try:
            figures = api.metrics(db_path, prom_path)
        except OSError as error:
            raise CannotRun(f"cannot write {prom_path}: {error.strerror or error}") from None
    click.echo(f"wrote {figures['samples']} samples to {prom_path}")


def _print_quality(run: dict[str, Any], indent: str) -> None:
    """A run's shares (when it stored articles) and its quality alarm (when it raised one)."""
    from qilucrawl.schema import QUALITY_FIELDS

    shares = [(name, run.get(f"share_{name}")) for name in QUALITY_FIELDS]
    if all(share is not None for _, share in shares):
        click.echo(indent + "shares: " + ", ".join(f"{name} {share:.2f}" for name, share in shares))
    if run.get("alarm"):
        click.echo(f"{indent}quality alarm: {run['alarm']}")


@click.command()
@click.argument("info_code")
@read_db_option
@click.option("--revisions", is_flag=True, help="Also the earlier versions, oldest first.")
@click.option("--json", "as_json", is_flag=True, help="The article as one JSON object.")
def show(info_code: str, db_path: str, revisions: bool, as_json: bool) -> None:
    """One article, whole, with its revision history on request.

    Example:

    \b
        qilucrawl show NW202202202282305213 --db archive/qilucrawl.db --revisions
    """
    with said_plainly():
        article = api.show(db_path, info_code, revisions=revisions)
    if article is None:
        click.echo(f"qilucrawl: no article {info_code} in {db_path}", err=True)
        sys.exit(ExitStatus.FAILURES)
    if as_json:
        click.echo(json.dumps(article, ensure_ascii=False, indent=2))
        return
    _print_fields(article, indent="")
    for earlier in article.get("revisions") or []:
        click.echo(f"\n-- revision {earlier['revision']} (superseded {earlier['superseded_at']})")
        _print_fields(earlier, indent="   ")


_HEAD_FIELDS = ("info_code", "title", "subtitle", "original_title", "summary", "published_at", "source", "category",
                "tags", "authors", "source_url", "url", "parser", "quality_flags", "revision", "first_seen_at",
                "last_seen_at", "fetched_at")  # fmt: skip


def _print_fields(article: dict[str, Any], indent: str) -> None:
    """Values as a reader writes them: lists joined, nothing for an empty field."""
    for name in _HEAD_FIELDS:
        value = article.get(name)
        if value in (None, "", []):
            continue
        shown = "、".join(map(str, value)) if isinstance(value, list) else value
        click.echo(f"{indent}{name}: {shown}")
    for image in article.get("images") or []:
        click.echo(f"{indent}image: {image.get('url') or '-'}  {image.get('caption') or ''}".rstrip())
    click.echo(f"{indent}body:")
    for paragraph in (article.get("body_text") or "").split("\n\n"):
        click.echo(f"{indent}  {paragraph}")
