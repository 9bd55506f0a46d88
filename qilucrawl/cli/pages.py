"""Commands about pages and the demo: parse one saved page, run or serve the demo site."""

from __future__ import annotations

import errno
import json
import sys
import time
from typing import Any

import click

import qilucrawl.settings as defaults
from qilucrawl import api
from qilucrawl.cli.options import (
    CannotRun,
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
@click.option(
    "--url",
    "original_url",
    help="The page's original URL: makes image URLs absolute, gives the infoCode and dates in URLs.",
)
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
    --media; the infoCode is read from --url).  Without --url, images keep the relative URLs
    the page gives them, and an infoCode that only the URL carries is unknown.  Examples:

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
        if result and original_url is None and not source.startswith(("http://", "https://")):
            _say_what_the_url_gives(source, result)
        if as_json:  # every field on every line, null where unknown (or unreadable)
            click.echo(json.dumps({"input": source, **(result or dict.fromkeys(ARTICLE_FIELDS)), "error": error},
                                  ensure_ascii=False))  # fmt: skip
        else:
            _print_article(source, result, error)
    sys.exit(ExitStatus.FAILURES if failed else ExitStatus.OK)


# Always shown ("-" when unknown): what a reader checks first.  The others only when they have a value.
_ALWAYS = ("info_code", "title", "published_at", "source", "category", "parser")
_SHOWN = ("info_code", "title", "subtitle", "original_title", "published_at", "source", "category", "authors",
          "tags", "parser", "quality_flags")  # fmt: skip


def _print_article(source: str, result: dict[str, Any], error: str | None) -> None:
    """Values as a reader writes them (lists joined, "-" for unknown), not Python's reprs."""
    click.echo(f"== {source}")
    if error:
        click.echo(f"   error: {error}")
        return
    for name in _SHOWN:
        value = result.get(name)
        if value in (None, "", []) and name not in _ALWAYS:
            continue
        shown = "、".join(map(str, value)) if isinstance(value, list) else value
        click.echo(f"   {name}: {shown if shown not in (None, '') else '-'}")
    images = result.get("images") or []
    click.echo(f"   images: {len(images)}")
    for image in images:
        click.echo(f"     {image.get('url') or '-'}  {image.get('caption') or ''}".rstrip())
    click.echo("   body:")
    for paragraph in (result.get("body_text") or "").split("\n\n"):
        click.echo(f"     {paragraph}")


def _say_what_the_url_gives(source: str, result: dict[str, Any]) -> None:
    """A saved page parsed without --url: what is missing for want of it, on stderr."""
    relative = [i["url"] for i in result.get("images") or [] if i.get("url") and "://" not in i["url"]]
    missing = []
    if relative:
        more = " …" if len(relative) > 1 else ""
        missing.append(f"{len(relative)} image(s) keep the relative URL the page gives ({relative[0]}{more})")
    if not result.get("info_code"):
        missing.append("the infoCode is unknown (the page's URL carries it)")
    if missing:
        click.echo(f"qilucrawl: note: {source} without --url: {'; '.join(missing)}; give the page's original "
                   "address with --url", err=True)  # fmt: skip


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
@click.option("--port", type=click.IntRange(0, 65535), default=8800, show_default=True, help="0 picks a free port.")
@click.option(
    "--edition",
    type=click.IntRange(1, 3),  # qilucrawl.demo.server.EDITIONS (not imported here: every command would pay for it)
    default=1,
    show_default=True,
    help="Which edition of the articles: 1; 2 (a few of them corrected, for trying re-crawls); 3 (as 2, "
    "with iqilu's article pages in a redesigned layout, for trying `qilucrawl canary` and quality alarms).",
)
def demo_server(port: int, edition: int) -> None:
    """Serve the demo site in the foreground until Ctrl-C (for trying crawls by hand).

    Example:

    \b
        qilucrawl demo-server --port 8800 &
        qilucrawl crawl feed --base-url http://127.0.0.1:8800 --db /tmp/try.db
    """
    from qilucrawl.demo.server import DemoServer, DemoSite

    try:
        server = DemoServer(port, DemoSite(edition=edition)).start()
    except OSError as error:
        busy = " (another server has it: choose another --port, or --port 0 for a free one)"
        raise CannotRun(f"cannot serve on 127.0.0.1:{port}: {error.strerror or error}"
                        f"{busy if error.errno == errno.EADDRINUSE else ''}") from None  # fmt: skip
    click.echo(server.url, err=False)
    sys.stdout.flush()
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        server.stop()
