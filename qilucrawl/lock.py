"""One run at a time per archive: an advisory lock file next to the database.

The lock is ``flock`` on ``<db>.lock``: the kernel releases it when the holding process dies,
however it dies, so a stale lock (a crawl killed with SIGKILL) is simply taken over by the next
run.  The file records the holder's pid and start time for the "locked" message.

It is taken in one place for every job — the runner, around crawls and imports alike — and is
re-entrant within a process: the store pipeline of a crawl the runner started asks for it too
(it must hold it when Scrapy is run on its own, ``scrapy crawl feed``), and simply shares it.
"""

from __future__ import annotations

import fcntl
import os
from pathlib import Path
from typing import Self

from qilucrawl.clean.dates import now_iso

# Locks this process holds: lock file -> [descriptor, holders].
_HELD: dict[Path, list[int]] = {}


class LockedError(Exception):
    """Another live process holds the archive's run lock."""


class RunLock:
    def __init__(self, db_path: str | os.PathLike) -> None:
        self.path = Path(f"{db_path}.lock")
        self._holding = False

    def acquire(self) -> None:
        if self._holding:
            return
        key = self.path.resolve() if self.path.parent.exists() else self.path.absolute()
        if key in _HELD:  # this process holds it already (the runner, for its pipeline)
            _HELD[key][1] += 1
        else:
            _HELD[key] = [self._lock(), 1]
        self._key = key
        self._holding = True

    def _lock(self) -> int:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 200, 0).decode("utf-8", "replace").strip() or "another process"
            os.close(fd)
            raise LockedError(f"{self.path.with_suffix('')} is in use by {holder}") from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"pid {os.getpid()} since {now_iso()}\n".encode(), 0)
        return fd

    def release(self) -> None:
        if not self._holding:
            return
        self._holding = False
        held = _HELD[self._key]
        held[1] -= 1
        if held[1] == 0:
            del _HELD[self._key]
            os.close(held[0])  # closing the descriptor releases the flock

    def __enter__(self) -> Self:
        self.acquire()
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()
