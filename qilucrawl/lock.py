"""One run at a time per archive: an advisory lock file next to the database.

The lock is ``flock`` on ``<db>.lock``: the kernel releases it when the holding process dies,
however it dies, so a stale lock (a crawl killed with SIGKILL) is simply taken over by the next
run.  The file records the holder's pid and start time for the "locked" message.
"""

from __future__ import annotations

import fcntl
import os
from pathlib import Path
from typing import Self

from qilucrawl.clean.dates import now_iso


class LockedError(Exception):
    """Another live process holds the archive's run lock."""


class RunLock:
    def __init__(self, db_path: str | os.PathLike) -> None:
        self.path = Path(f"{db_path}.lock")
        self._fd: int | None = None

    def acquire(self) -> None:
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
        self._fd = fd

    def release(self) -> None:
        if self._fd is not None:
            os.close(self._fd)  # closing the descriptor releases the flock
            self._fd = None

    def __enter__(self) -> Self:
        self.acquire()
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()
