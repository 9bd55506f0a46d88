"""One run at a time per archive: an advisory lock on the archive file itself.

The lock is ``flock`` on the archive, by its resolved path: a symlinked ``--db`` is the same
archive and the same lock, and no lock file can be deleted from under a running crawl (a second
crawl would otherwise lock a new file of the same name and run beside it).  The kernel releases
the lock when the holding process dies, however it dies, so a stale lock (a crawl killed with
SIGKILL) is simply taken over by the next run.  ``flock`` and SQLite's own (``fcntl``) locks do
not interact on Linux; the descriptor is closed only once this process's connections are closed.

``<archive>.lock`` beside it records the holder's pid and start time for the "locked" message;
it is opened without following symbolic links (a link there is refused, never written through).

It is taken in one place for every job — the runner, around crawls and imports alike — and is
re-entrant within a process: the store pipeline of a crawl the runner started asks for it too
(it must hold it when Scrapy is run on its own, ``scrapy crawl feed``), and simply shares it.
"""

from __future__ import annotations

import errno
import fcntl
import os
from pathlib import Path
from typing import Self

from qilucrawl.clean.dates import now_iso

# Locks this process holds: resolved archive path -> [descriptor, holders].
_HELD: dict[Path, list[int]] = {}
_NOFOLLOW = os.O_NOFOLLOW | os.O_CLOEXEC


class LockedError(Exception):
    """Another live process holds the archive's run lock."""


class LockFileError(OSError):
    """The lock cannot be taken safely (a symbolic link where the holder file goes)."""


class RunLock:
    def __init__(self, db_path: str | os.PathLike) -> None:
        self.db = Path(db_path)
        self.path = Path(f"{db_path}.lock")  # where the holder is recorded (as given)
        self._holding = False
        self._key: Path | None = None

    def acquire(self) -> None:
        if self._holding:
            return
        key = _resolved(self.db)
        if key in _HELD:  # this process holds it already (the runner, for its pipeline)
            _HELD[key][1] += 1
        else:
            _HELD[key] = [self._lock(key), 1]
        self._key = key
        self._holding = True

    def _lock(self, archive: Path) -> int:
        archive.parent.mkdir(parents=True, exist_ok=True)
        # Read-only: the lock must be taken on an archive this process cannot write, too (that
        # is then said plainly, by the job).  Created when missing: an empty file is an empty
        # SQLite database.
        fd = _open(archive, os.O_RDONLY | os.O_CREAT)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            raise LockedError(f"{self.db} is in use by {_holder(archive)}") from None
        try:
            _record_holder(archive)
        except BaseException:
            os.close(fd)
            raise
        return fd

    def release(self) -> None:
        if not self._holding or self._key is None:
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


def _resolved(db: Path) -> Path:
    """The archive's real path: symbolic links followed, relative paths made absolute."""
    return Path(os.path.realpath(db))


def _open(path: Path, flags: int) -> int:
    """``os.open`` that never follows a symbolic link at ``path`` itself."""
    try:
        return os.open(path, flags | _NOFOLLOW, 0o644)
    except OSError as error:
        if error.errno == errno.ELOOP:
            raise LockFileError(
                errno.ELOOP, f"{path} is a symbolic link: not following it (remove it, it is no lock of ours)"
            ) from None
        raise


def _holder_file(archive: Path) -> Path:
    return Path(f"{archive}.lock")


def _record_holder(archive: Path) -> None:
    fd = _open(_holder_file(archive), os.O_WRONLY | os.O_CREAT)
    try:
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"pid {os.getpid()} since {now_iso()}\n".encode(), 0)
    finally:
        os.close(fd)


def _holder(archive: Path) -> str:
    try:
        fd = _open(_holder_file(archive), os.O_RDONLY)
    except OSError:
        return "another process"
    try:
        return os.pread(fd, 200, 0).decode("utf-8", "replace").strip() or "another process"
    finally:
        os.close(fd)
