"""A job on the archive, however it runs: its lock, its run record, its exit status.

Crawls (Scrapy, :mod:`qilucrawl.runner`) and imports alike run under the archive's lock, in a
run of their own in the ``runs`` table, and end with one of the documented exit statuses
(README, "Exit statuses"):

====  ==============================================================
0     finished, nothing failed
1     finished, some pages failed (recorded in the failures table)
2     usage error (bad arguments)
3     another run holds this archive's lock; nothing was done
4     could not run, or was interrupted (Ctrl-C, SIGTERM, crash)
5     finished, but the data looks wrong: a quality alarm (qilucrawl.quality);
      it wins over 1 (the failures are recorded all the same), 3 and 4 win over it
====  ==============================================================
"""

from __future__ import annotations

import os
import sqlite3
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from enum import IntEnum
from pathlib import Path
from types import FrameType
from typing import Any

from qilucrawl.lock import RunLock
from qilucrawl.store import Store, StoreError


class ExitStatus(IntEnum):
    OK = 0
    FAILURES = 1
    USAGE = 2
    LOCKED = 3
    ERROR = 4
    ALARM = 5  # finished, but the data looks wrong (a quality alarm)


@dataclass(slots=True)
class RunResult:
    """How a job went: its exit status, its run rows (plain dicts) and how long it took."""

    status: ExitStatus
    runs: list[dict[str, Any]]
    seconds: float


@contextmanager
def locked_archive(db_path: str | Path) -> Iterator[None]:
    """Hold the archive's run lock (LockedError if another process does), with the archive
    checked usable first — opened, and writable: an archive that is not is a StoreError here,
    said in one line before any work starts, not a crash mid-job."""
    lock = RunLock(db_path)
    try:
        lock.acquire()
    except OSError as error:  # no such folder, read-only file system, a symlink for a lock file …
        raise StoreError(f"{db_path}: cannot lock the archive: {error.strerror or error}") from error
    try:
        check_writable(db_path)
        yield
    finally:
        lock.release()


def check_writable(db_path: str | Path) -> None:
    """StoreError unless the archive can be opened and written (a read-only or immutable file, a
    full disk): a write that changes nothing, rolled back."""
    store = Store(db_path)
    try:
        conn = store.db.conn
        try:
            conn.execute("BEGIN IMMEDIATE")
            try:
                version = conn.execute("PRAGMA user_version").fetchone()[0]
                conn.execute(f"PRAGMA user_version = {int(version)}")
            finally:
                conn.execute("ROLLBACK")
        except sqlite3.Error as error:
            raise StoreError(f"{db_path}: the archive cannot be written ({error})") from error
    finally:
        store.close()


@contextmanager
def recorded_run(store: Store, spider: str, args: dict[str, Any]) -> Iterator[int]:
    """A run row for a job done in this process (an import): ``running`` while it works,
    ``interrupted`` when it does not finish (an exception, Ctrl-C), else ``ok`` or ``failures``."""
    run_id = store.start_run(spider, args, os.getpid())
    try:
        yield run_id
    except BaseException:
        store.finish_run(run_id, "interrupted")
        raise
    store.finish_run(run_id, "failures" if store.run(run_id)["failed"] else "ok")


def exit_status(runs: list[dict[str, Any]], expected: int) -> ExitStatus:
    """The exit status of a job that should have made ``expected`` runs."""
    if len(runs) < expected or any(run["status"] in ("interrupted", "running") for run in runs):
        return ExitStatus.ERROR
    # The data looking wrong is the news a cron user must not miss; failed pages are routine.
    if any(run.get("alarm") for run in runs):
        return ExitStatus.ALARM
    if any(run["failed"] for run in runs):
        return ExitStatus.FAILURES
    return ExitStatus.OK


class ExitStatusExtension:
    """``scrapy crawl`` exits with the documented statuses, as ``qilucrawl crawl`` does: 0 ok,
    1 some pages failed, 3 locked, 4 interrupted or could not run, 5 a quality alarm.

    Scrapy's own command exits 0 whatever the run's outcome; this extension sets the exit code of
    the Scrapy command running it (found on the call stack) when the engine stops.  Run by
    :mod:`qilucrawl.runner` or any other code, there is no such command and it does nothing: the
    runner says the status itself (:func:`exit_status`).
    """

    def __init__(self, crawler: Any, command: Any) -> None:
        self.crawler = crawler
        self.command = command

    @classmethod
    def from_crawler(cls, crawler: Any) -> ExitStatusExtension:
        from scrapy import signals
        from scrapy.exceptions import NotConfigured

        command = _scrapy_command()
        if command is None:
            raise NotConfigured
        extension = cls(crawler, command)
        # A crawl that never starts (locked) closes its spider but never stops its engine; one
        # that runs stops its engine after the run is recorded: the last to fire decides.
        crawler.signals.connect(extension.set_exit_code, signal=signals.spider_closed)
        crawler.signals.connect(extension.set_exit_code, signal=signals.engine_stopped)
        return extension

    def set_exit_code(self, *args: Any, **kwargs: Any) -> None:
        stats = self.crawler.stats
        if stats.get_value("qilu/locked"):
            status = ExitStatus.LOCKED
        elif stats.get_value("qilu/quality_alarm") and stats.get_value("qilu/run_status") in ("ok", "failures"):
            status = ExitStatus.ALARM
        else:
            status = {"ok": ExitStatus.OK, "failures": ExitStatus.FAILURES}.get(
                stats.get_value("qilu/run_status"), ExitStatus.ERROR
            )
        self.command.exitcode = int(status)


def _scrapy_command() -> Any:
    """The Scrapy command (``scrapy crawl``) this process runs, if any: looked for on the stack."""
    from scrapy.commands import ScrapyCommand

    frame: FrameType | None = sys._getframe(1)
    while frame is not None:
        for name in ("self", "cmd"):
            candidate = frame.f_locals.get(name)
            if isinstance(candidate, ScrapyCommand):
                return candidate
        frame = frame.f_back
    return None
