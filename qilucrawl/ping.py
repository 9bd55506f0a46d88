"""A dead-man's switch for scheduled runs, healthchecks.io-style (``--ping URL``).

A crawl or backfill given ``--ping URL`` requests ``URL/start`` when it starts and ``URL/<exit
status>`` when it ends (``URL/0``, ``URL/1``, ``URL/5`` …; 3 when another run held the lock, 4 when
it could not run or was interrupted) — the protocol of healthchecks.io and its clones, which alert
when a run does not report in time, or reports a non-zero status.

Only that URL is requested: no redirect is followed, nothing else is sent.  A ping never fails or
holds up the run: each waits at most ``QILU_PING_TIMEOUT`` seconds, and one that fails is a warning
in the log.
"""

from __future__ import annotations

import logging
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from qilucrawl.jobs import ExitStatus
from qilucrawl.lock import LockedError
from qilucrawl.store import NoArchive
from qilucrawl.version import __version__

logger = logging.getLogger(__name__)


def check_url(url: str) -> str:
    """The ping URL without a trailing slash; ValueError unless it is http(s) with a host."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.query or parts.fragment:
        raise ValueError(f"--ping {url!r} is not an http(s) URL with a host (and no ?query), e.g. https://hc-ping.com/<uuid>")  # fmt: skip
    return url.rstrip("/")


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    """The configured URL only: a redirect is an answer, not a second request."""

    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


_OPENER = urllib.request.build_opener(_NoRedirects)


def ping(url: str, what: str, timeout: float) -> str | None:
    """Request ``url/what``; None when it answered 2xx, else why not (also logged as a warning)."""
    target = f"{url}/{what}"
    request = urllib.request.Request(target, headers={"User-Agent": f"qilucrawl/{__version__}"})
    try:
        with _OPENER.open(request, timeout=timeout) as answer:
            answer.read(1024)
            return None
    except urllib.error.HTTPError as error:
        problem = f"HTTP {error.code}"
    except (OSError, ValueError) as error:  # refused, unresolvable, timed out, TLS …
        problem = str(getattr(error, "reason", None) or error) or type(error).__name__
    logger.warning("Ping %s failed (%s); the run goes on", target, problem)
    return problem


@dataclass(slots=True)
class Pinged:
    """What the run sets for the closing ping: its exit status."""

    status: int = ExitStatus.ERROR


def status_of(error: BaseException) -> int:
    """The exit status a command says for an error the API raised (README, "Exit statuses")."""
    if isinstance(error, LockedError):
        return ExitStatus.LOCKED
    if isinstance(error, NoArchive | ValueError):
        return ExitStatus.USAGE
    return ExitStatus.ERROR  # an archive that cannot be used (StoreError), interrupted, could not run


@contextmanager
def pinged(url: str | None, timeout: float) -> Iterator[Pinged]:
    """Ping ``url/start``, run the block, ping ``url/<status>`` — the status it set, or the one its
    error means.  Without a URL, only the block runs."""
    outcome = Pinged()
    if url is None:
        yield outcome
        return
    url = check_url(url)
    ping(url, "start", timeout)
    try:
        yield outcome
    except BaseException as error:
        ping(url, str(int(status_of(error))), timeout)
        raise
    ping(url, str(int(outcome.status)), timeout)
