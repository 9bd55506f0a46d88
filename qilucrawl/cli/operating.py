"""Commands for running qilucrawl unattended: canary (does each parser still fit its site?)."""

from __future__ import annotations

import json
import sys

import click

from qilucrawl import api
from qilucrawl.cli.options import base_url_option, crawl_settings, said_plainly, settings_option


@click.command()
@click.option(
    "--source",
    "sources",
    multiple=True,
    type=click.Choice(list(api.SOURCES)),
    help="Only this source (repeatable) [default: every source].",
)
@base_url_option
@settings_option
@click.option("--json", "as_json", is_flag=True, help="One JSON report per source, one per line.")
def canary(sources: tuple[str, ...], base_url: str | None, overrides: tuple[str, ...], as_json: bool) -> None:
    """Check that each source's parser still fits its site: read its newest list, fetch one
    article, and check that the parser finds every field it promises.

    Exit status 0: every parser fits; 5: a parser no longer fits its site (a redesign); 4: a
    source could not be checked (its list or articles did not answer).  A daily cron line:

    \b
        qilucrawl canary || mail -s "qilucrawl: a parser no longer fits" you@example.org
    """
    settings = crawl_settings(overrides, None, "WARNING")
    with said_plainly():
        result = api.canary(sources or api.SOURCES, base_url=base_url, settings=settings)
    for report in result["sources"]:
        if as_json:
            click.echo(json.dumps(report, ensure_ascii=False))
            continue
        found = ", ".join(f"{name} {'yes' if there else 'NO'}" for name, there in report["found"].items())
        click.echo(f"{report['source']:<6} {report['status']:<12} {report['parser'] or '-'}  {found}".rstrip())
        click.echo(f"       article: {report['article_url'] or '-'}")
        for problem in report["problems"]:
            click.echo(f"       {problem}")
    sys.exit(result["status"])
