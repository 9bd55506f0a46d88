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
====  ==============================================================
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from enum import IntEnum
from pathlib import Path
from typing import Any

from qilucrawl.lock import RunLock
from qilucrawl.store import Store, StoreError


class ExitStatus(IntEnum):
    OK = 0
    FAILURES = 1
    USAGE = 2
    LOCKED = 3
    ERROR = 4


@dataclass(slots=True)
class RunResult:
    """How a job went: its exit status, its run rows (plain dicts) and how long it took."""

    status: ExitStatus
    runs: list[dict[str, Any]]
    seconds: float


@contextmanager
def locked_archive(db_path: str | Path) -> Iterator[None]:
    """Hold the archive's run lock (LockedError if another process does), with the archive
    checked usable first: an unusable one is a StoreError here, not a crash mid-job."""
    lock = RunLock(db_path)
    try:
        lock.acquire()
    except OSError as error:  # no such folder, read-only file system …
        raise StoreError(f"{db_path}: cannot create the lock file: {error.strerror or error}") from error
    try:
        Store(db_path).close()
        yield
    finally:
        lock.release()


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
    if any(run["failed"] for run in runs):
        return ExitStatus.FAILURES
    return ExitStatus.OK
