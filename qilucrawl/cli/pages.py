"""Commands about pages and the demo: parse one saved page, run or serve the demo site."""

from __future__ import annotations

import json
import sys
import time
from typing import Any

import click

import qilucrawl.settings as defaults
from qilucrawl import api
from qilucrawl.cli.options import (
    crawl_settings,
    report,
    said_plainly,
    settings_option,
)  # fmt: skip
from qilucrawl.items import ExtractError
from qilucrawl.jobs import ExitStatus

# --- one page, no crawl -------------------------------------------------------------------------


@click.command()
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


@click.command()
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
    settings = crawl_settings(overrides, None, defaults.QILU_DEMO_SETTINGS["LOG_LEVEL"])
    with said_plainly():
        result = api.demo(db_path, out_path, settings=settings, on_start=lambda url: click.echo(f"demo site on {url}"))
    report(result.crawl)
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


@click.command("demo-server")
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
