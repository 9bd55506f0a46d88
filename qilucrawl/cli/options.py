"""What the commands share: their options, their settings from -s/--log-*, and the API's
errors said as one line with the exit status the README documents."""

from __future__ import annotations

import sqlite3
import sys
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import click

from qilucrawl import api
from qilucrawl.jobs import ExitStatus, RunResult
from qilucrawl.lock import LockedError
from qilucrawl.store import NoArchive, StoreError


class CannotRun(click.ClickException):
    """The command could not do its work (archive unusable, file unwritable): exit status 4."""

    exit_code = ExitStatus.ERROR


@contextmanager
def said_plainly(interrupted: str = "") -> Iterator[None]:
    """The API's errors as one line each, with the exit status the README documents; its
    warnings (a filter no article matches) as a line each on stderr; Ctrl-C as exit 4, with
    ``interrupted`` saying what it left."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("always", api.FilterWarning)
            shown = warnings.showwarning

            def show(message: Warning | str, category: type[Warning], *args: Any, **kwargs: Any) -> None:
                if issubclass(category, api.FilterWarning):
                    click.echo(f"qilucrawl: warning: {message}", err=True)
                else:
                    shown(message, category, *args, **kwargs)

            warnings.showwarning = show
            yield
    except LockedError as error:
        click.echo(f"qilucrawl: locked: {error}; not starting (exit {ExitStatus.LOCKED:d})", err=True)
        sys.exit(ExitStatus.LOCKED)
    except NoArchive as error:
        raise click.UsageError(str(error)) from None
    except StoreError as error:
        raise CannotRun(f"cannot use the archive: {error}") from None
    except sqlite3.Error as error:  # the API says these as StoreErrors; a last guard
        raise CannotRun(f"cannot use the archive: {error}") from None
    except ValueError as error:
        raise click.UsageError(str(error)) from None
    except KeyboardInterrupt:
        left = f"; {interrupted}" if interrupted else ""
        click.echo(f"qilucrawl: interrupted (Ctrl-C){left} (exit {ExitStatus.ERROR:d})", err=True)
        sys.exit(ExitStatus.ERROR)


def _base_url(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    """--base-url must be an http(s) URL with a host, or Scrapy fails mid-crawl."""
    if value is None:
        return None
    from urllib.parse import urlsplit

    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise click.BadParameter(f"{value!r} is not an http(s) URL with a host, e.g. http://127.0.0.1:8800")
    return value


def date_option(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
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
ping_option = click.option(
    "--ping",
    metavar="URL",
    help="Dead-man's switch: request URL/start now and URL/<exit status> at the end (healthchecks.io style); "
    "a ping that fails is a warning, never the run's failure.",
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


def crawl_settings(overrides: tuple[str, ...], log_file: str | None, log_level: str | None) -> dict[str, Any]:
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


def report(result: RunResult) -> None:
    for run in result.runs:
        click.echo(
            f"run {run['id']} ({run['spider']}): {run['new']} new, {run['updated']} updated, "
            f"{run['unchanged']} unchanged, {run['skipped']} skipped as known, {run['failed']} failed"
            f" — {run['status']}"
        )
        if run.get("alarm"):
            click.echo(f"  quality alarm: {run['alarm']}")
    click.echo(f"finished in {result.seconds:.1f}s, exit status {int(result.status)}")


def limit_option(default: int, help_text: str) -> Callable:
    """--limit: a whole number from 1 to SQLite's largest."""
    return click.option(
        "--limit", type=click.IntRange(1, api.MAX_LIMIT), default=default, show_default=True, help=help_text
    )


def filter_options(command: Callable) -> Callable:
    """--since, --until, --source (shared by export and search)."""
    command = click.option("--source", metavar="MEDIUM", help="Only this medium, e.g. 齐鲁网.")(command)
    command = click.option("--until", metavar="DATE", callback=date_option, help="Published before this day/time.")(
        command
    )
    return click.option("--since", metavar="DATE", callback=date_option, help="Published on or after this day/time.")(
        command
    )
