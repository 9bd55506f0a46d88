"""Commands that rework what the archive holds: reprocess."""

from __future__ import annotations

import json
import sys
from typing import Any

import click

from qilucrawl import api
from qilucrawl.cli.options import date_option, db_option, said_plainly
from qilucrawl.jobs import ExitStatus


@click.command()
@db_option
@click.option("--parser", metavar="NAME", help="Only articles this parser read: iqilu, feed_text, generic …")
@click.option("--since", callback=date_option, metavar="DATE", help="Only articles published on or after this.")
@click.option("--until", callback=date_option, metavar="DATE", help="Only articles published before this.")
@click.option("--info-code", "info_codes", multiple=True, metavar="CODE", help="Only this article (repeatable).")
@click.option("--outdated", is_flag=True, help="Only articles an older parser revision read.")
@click.option("--workers", type=click.IntRange(1, 64), help="Extraction processes [default: the machine's cores].")
@click.option("--dry-run", is_flag=True, help="Write nothing; say what would change.")
@click.option("--json", "as_json", is_flag=True, help="The report as JSON.")
def reprocess(
    db_path: str,
    parser: str | None,
    since: str | None,
    until: str | None,
    info_codes: tuple[str, ...],
    outdated: bool,
    workers: int | None,
    dry_run: bool,
    as_json: bool,
) -> None:
    """Re-clean stored articles from their raw pages with today's parsers (no request is made).

    A changed article becomes a new revision (the old one kept); an unchanged one changes
    nothing; one that would lose its body, time or title is refused and recorded.  Stopped at
    any point, the same command finishes the job.  Examples:

    \b
        qilucrawl reprocess --db archive/qilucrawl.db --dry-run
        qilucrawl reprocess --db archive/qilucrawl.db --outdated --workers 2
    """
    bar = _progress_bar() if sys.stderr.isatty() and not as_json else None
    with said_plainly():
        result = api.reprocess(
            db_path, parser=parser, since=since, until=until, info_codes=info_codes, outdated=outdated,
            workers=workers, dry_run=dry_run, progress=bar,
        )  # fmt: skip
    if bar is not None:
        bar.close()
    if as_json:
        click.echo(json.dumps(result.as_dict(), ensure_ascii=False, indent=2))
    else:
        _print_report(result, dry_run)
    if result.run and result.run["status"] != "ok":
        sys.exit(ExitStatus.FAILURES)


def _print_report(result: Any, dry_run: bool) -> None:
    counts = result.counts
    verb = "would change" if dry_run else "changed"
    click.echo(
        f"{result.examined} articles re-cleaned: {counts['updated']} {verb}, {counts['unchanged']} unchanged, "
        f"{counts['refused']} refused, {counts['failed']} failed"
        + (f" (resumed after row {result.resumed_after})" if result.resumed_after else "")
    )
    if result.run:
        click.echo(f"run {result.run['id']} (reprocess): {result.run['status']}")
    for parser, outcomes in sorted(result.by_parser.items()):
        click.echo(f"  {parser:<32} " + ", ".join(f"{n} {what}" for what, n in sorted(outcomes.items())))
    if result.by_field:
        click.echo("fields " + verb + ": " + ", ".join(f"{name} {n}" for name, n in result.by_field.most_common()))
    for example in result.examples:
        click.echo(f"  {example['info_code']}")
        for name, (before, after) in ((k, v) for k, v in example.items() if k != "info_code"):
            click.echo(f"    {name}: {before!s} -> {after!s}")


class _progress_bar:
    def __init__(self) -> None:
        from tqdm import tqdm

        self.bar = tqdm(unit=" articles", file=sys.stderr, leave=False)

    def __call__(self, done: int, total: int) -> None:
        self.bar.total = total
        self.bar.n = done
        self.bar.refresh()

    def close(self) -> None:
        self.bar.close()
