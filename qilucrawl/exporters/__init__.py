"""Dataset exports: one module per format, all streaming rows from the store.

Every export is written to a temporary file beside the target and renamed into place when
complete, so an interrupted export never leaves a half-written file under the final name; the
manifest (format, filters, row count, time range, sha256, schema version) is written last, so a
manifest that matches its file's sha256 marks a complete export.  Files are created as any other
file the user creates: their mode is 0666 less the process umask (0644 under umask 022).

``out`` may be ``-`` (standard output) for JSONL and CSV: no manifest file then, its values are
returned.  An ``out`` that is the archive itself (its -wal, -shm, -journal or lock file, or a link
to one of them) or anything but a regular file (a device, a pipe) is refused with a ValueError
before anything is read or written.
"""

from __future__ import annotations

import codecs
import hashlib
import json
import os
import secrets
import stat
import sys
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from glob import escape as glob_escape
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from qilucrawl import settings
from qilucrawl.clean.dates import now_iso
from qilucrawl.items import ARTICLE_FIELDS
from qilucrawl.version import __version__

if TYPE_CHECKING:
    from qilucrawl.store import Store

# The data dictionary's fields, in the order exports write them (README, "Data dictionary").
RECORD_FIELDS = ARTICLE_FIELDS


def record(row: dict[str, Any]) -> dict[str, Any]:
    """A stored article row as an export record: the dictionary's fields, in order."""
    return {name: row.get(name) for name in RECORD_FIELDS}


@contextmanager
def atomic_output(path: str | Path, mode: str = "w", *, keep_existing: bool = False, **open_args: Any) -> Iterator[IO]:
    """Open a temporary file next to ``path``; rename it over ``path`` only on success.

    The temporary file is ``.<name>.<pid>.<random>.part``, so that one left by a writer that
    died (a killed export) can be told apart and removed (:func:`remove_dead_parts`).  It is
    created with mode 0666 and so gets what the umask allows, as any file the user creates
    (``tempfile.mkstemp`` would make it 0600, a mode the rename would carry into place).
    With ``keep_existing``, a ``path`` that exists by then is left as it is (the new file is
    linked into place, which fails rather than replace anything).
    """
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, temporary = _create_part(target)
    try:
        with open(fd, mode, **open_args) as handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        if keep_existing:
            _link_unless_there(temporary, target)
        else:
            os.replace(temporary, target)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


def _link_unless_there(temporary: Path, target: Path) -> None:
    try:
        os.link(temporary, target)
    except FileExistsError:
        pass
    except OSError:  # a file system without hard links
        if not (target.exists() or target.is_symlink()):
            os.replace(temporary, target)
    temporary.unlink(missing_ok=True)


def _create_part(target: Path) -> tuple[int, Path]:
    """A new, empty ``.<name>.<pid>.<random>.part`` beside ``target``, opened for writing."""
    while True:
        temporary = target.with_name(f".{target.name}.{os.getpid()}.{secrets.token_hex(4)}.part")
        flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0)
        try:  # O_EXCL: never opens what is already there (a file, or a link planted in its place)
            return os.open(temporary, flags, 0o666), temporary
        except FileExistsError:
            continue
        except BaseException:  # Ctrl-C just after the file was made: the caller never sees it
            temporary.unlink(missing_ok=True)
            raise


class StdoutSink:
    """Standard output as an export's file: text is encoded, hashed (the returned manifest's
    sha256) and written to its binary stream; nothing is ever closed."""

    def __init__(self, stream: IO[bytes] | None = None) -> None:
        if stream is None:
            sys.stdout.flush()  # what was printed before comes first
        # A replaced sys.stdout (a StringIO in a caller's tests) has no binary stream: text then.
        self.stream = stream if stream is not None else getattr(sys.stdout, "buffer", None)
        self.digest = hashlib.sha256()
        self._encoder = codecs.getincrementalencoder("utf-8")()

    def start(self, encoding: str) -> None:
        self._encoder = codecs.getincrementalencoder(encoding)()

    def write(self, text: str) -> int:
        data = self._encoder.encode(text)
        self.digest.update(data)
        if self.stream is None:
            self._guarded(sys.stdout.write, data.decode("utf-8"))
        else:
            self._guarded(self.stream.write, data)
        return len(text)

    def flush(self) -> None:
        self._guarded(self.stream.flush if self.stream is not None else sys.stdout.flush)

    def _guarded(self, call: Callable[..., Any], *args: Any) -> None:
        try:
            call(*args)
        except BrokenPipeError:
            # The reader went away (``| head``): point the descriptor at /dev/null so that the
            # interpreter's last flush of stdout at exit fails silently, and say so once.
            try:
                devnull = os.open(os.devnull, os.O_WRONLY)
                os.dup2(devnull, (self.stream or sys.stdout).fileno())
                os.close(devnull)
            except (OSError, ValueError):  # no descriptor to point elsewhere
                pass
            raise BrokenPipeError("standard output was closed by its reader") from None


@contextmanager
def output(target: str | Path | StdoutSink, mode: str = "w", **open_args: Any) -> Iterator[IO]:
    """Where a writer writes: standard output (a :class:`StdoutSink`) or a file written
    atomically (:func:`atomic_output`)."""
    if isinstance(target, StdoutSink):
        if "b" in mode:
            raise ValueError("binary formats cannot be written to standard output")
        target.start(open_args.get("encoding") or "utf-8")
        yield target  # type: ignore[misc]  # a write-only text stream is all writers use
        target.flush()
        return
    with atomic_output(target, mode, **open_args) as handle:
        yield handle


def remove_dead_parts(folder: Path, name: str = "*") -> int:
    """Remove the temporary files that writers which died left in ``folder`` (for files named
    ``name``, a glob); returns how many."""
    removed = 0
    for part in folder.glob(f".{name}.*.part") if folder.is_dir() else []:
        pid = part.name.rsplit(".", 3)[-3]
        if pid.isdigit() and not _alive(int(pid)):
            part.unlink(missing_ok=True)
            removed += 1
    return removed


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process: alive
        return True
    return True


# --- the formats and their manifest ---------------------------------------------------------

FORMATS = ("jsonl", "csv", "parquet", "jekyll")
STDOUT = "-"  # --out -: standard output
STREAMABLE = ("jsonl", "csv")  # the formats standard output can take
SCHEMA_VERSION = 1  # of the exported record; bumped when a field changes meaning or type


@dataclass(slots=True)
class ExportFilters:
    since: str | None = None  # published on or after (YYYY-MM-DD or ISO)
    until: str | None = None  # published before
    source: str | None = None
    category: str | None = None
    changed_since_run: int | None = None  # only what run N and later added or changed

    def as_dict(self) -> dict[str, Any]:
        return {k: v for k, v in asdict(self).items() if v is not None}


def export_articles(
    store: Store,
    fmt: str,
    out: str | Path,
    filters: ExportFilters,
    *,
    bom: bool = False,
    site_host: str = settings.QILU_SITE_HOST,
    dataset_card: bool = False,
) -> dict[str, Any]:
    """Stream the filtered articles into ``out`` in ``fmt``; write and return its manifest.

    With ``dataset_card`` (parquet, jsonl), a Hugging Face card and a Croissant file are written
    beside ``out`` last (:mod:`.dataset_card`); the returned manifest names them.

    ``out`` ``-`` is standard output (JSONL and CSV): the manifest is returned, not written.
    ValueError, before anything is read or written, for an ``out`` that is the archive (or one
    of its companion files) or no regular file; see :func:`refuse_target`.
    """
    if fmt not in FORMATS:
        raise ValueError(f"unknown export format {fmt!r}; one of {', '.join(FORMATS)}")
    if str(out) == STDOUT:
        return _export_to_stdout(store, fmt, filters, bom=bom)
    out = Path(out)
    refuse_target(out, fmt, store.path)
    if dataset_card:
        from qilucrawl.exporters.dataset_card import refuse_card_targets

        refuse_card_targets(out)
    if fmt == "jekyll":  # a killed export's leftovers: swept once here, not once per post
        for folder in (out, out / "_posts", out / "category", out / "months", out / "_layouts"):
            remove_dead_parts(folder)
    else:
        remove_dead_parts(out.parent, glob_escape(out.name) + "*")
    stats = _RangeTracker()
    rows = stats.track(store.iter_articles(**asdict(filters)))
    count = _writer(fmt)(rows, out, bom=bom, site_host=site_host)
    manifest = {
        "format": fmt,
        "file": str(out),
        "filters": filters.as_dict(),
        "rows": count,
        "published_from": stats.first,
        "published_to": stats.last,
        "sha256": _digest(Path(out), fmt),
        "schema_version": SCHEMA_VERSION,
        "fields": list(RECORD_FIELDS),
        "created_at": now_iso(),
        "qilucrawl": __version__,
    }
    with atomic_output(manifest_path(out, fmt)) as handle:
        json.dump(manifest, handle, ensure_ascii=False, indent=2)
    if dataset_card:
        from qilucrawl.exporters.dataset_card import write_dataset_card

        manifest["dataset_card"] = [str(path) for path in write_dataset_card(out, fmt, manifest)]
    return manifest


def _export_to_stdout(store: Store, fmt: str, filters: ExportFilters, *, bom: bool) -> dict[str, Any]:
    if fmt not in STREAMABLE:
        raise ValueError(f"--out - (standard output) takes {' or '.join(STREAMABLE)}, not {fmt}: name a file")
    sink = StdoutSink()
    stats = _RangeTracker()
    count = _writer(fmt)(stats.track(store.iter_articles(**asdict(filters))), sink, bom=bom, site_host="")
    return {
        "format": fmt,
        "file": STDOUT,
        "filters": filters.as_dict(),
        "rows": count,
        "published_from": stats.first,
        "published_to": stats.last,
        "sha256": sink.digest.hexdigest(),
        "schema_version": SCHEMA_VERSION,
        "fields": list(RECORD_FIELDS),
        "created_at": now_iso(),
        "qilucrawl": __version__,
    }


# The archive's own files: the database, SQLite's WAL, shared-memory and journal files, the lock.
_ARCHIVE_FILES = {
    "": "the archive being exported",
    "-wal": "the archive's write-ahead log",
    "-shm": "the archive's shared-memory file",
    "-journal": "the archive's journal",
    ".lock": "the archive's lock file",
}


def refuse_target(out: Path, fmt: str, db: Path) -> None:
    """ValueError unless ``out`` (and, for a file format, its manifest) may be written: never
    the archive or one of its companion files (by name, through a link, or a hard link), never
    a device, pipe or socket (the rename would replace it), for a site a folder."""
    targets = [out] if fmt == "jekyll" else [out, manifest_path(out, fmt)]
    for target in targets:
        for suffix, what in _ARCHIVE_FILES.items():
            own = db.with_name(db.name + suffix)
            if _same_file(target, own):
                subject = f"--out {out}" if target == out else f"the manifest of --out {out} ({target})"
                via = "" if os.path.abspath(target) == os.path.abspath(own) else f" ({own}, through a link)"
                raise ValueError(f"{subject} is {what}{via}; name another file")
    try:
        mode = out.stat().st_mode
    except OSError:
        return  # nothing there yet (or nothing we may look at: writing it will say so)
    if fmt == "jekyll":
        if not stat.S_ISDIR(mode):
            raise ValueError(f"--out {out} is not a folder; for jekyll --out names the site folder")
    elif stat.S_ISDIR(mode):
        raise ValueError(f"--out {out} is a directory; --out names the file to write")
    elif not stat.S_ISREG(mode):
        raise ValueError(
            f"--out {out} is not a regular file (a device, pipe or socket): an export replaces its --out; "
            "write to a file, or use --out - for standard output"
        )


def _same_file(a: Path, b: Path) -> bool:
    if os.path.realpath(a) == os.path.realpath(b):
        return True
    try:
        return os.path.samefile(a, b)  # a hard link
    except OSError:
        return False


def manifest_path(out: str | Path, fmt: str) -> Path:
    """``<file>.manifest.json`` beside a file; ``<site>/_posts.manifest.json`` for a site."""
    out = Path(out)
    return out / "_posts.manifest.json" if fmt == "jekyll" else out.with_name(out.name + ".manifest.json")


def _writer(fmt: str) -> Callable[..., int]:
    if fmt == "jsonl":
        from qilucrawl.exporters.to_jsonl import write_jsonl

        return lambda rows, out, **_: write_jsonl(rows, out)
    if fmt == "csv":
        from qilucrawl.exporters.to_csv import write_csv

        return lambda rows, out, bom, **_: write_csv(rows, out, bom=bom)
    if fmt == "parquet":
        from qilucrawl.exporters.to_parquet import write_parquet

        return lambda rows, out, **_: write_parquet(rows, out)
    if fmt == "jekyll":
        from qilucrawl.exporters.to_jekyll import write_jekyll_site

        return lambda rows, out, site_host, **_: write_jekyll_site(rows, out, site_host=site_host)
    raise ValueError(f"unknown export format {fmt!r}; one of {', '.join(FORMATS)}")


class _RangeTracker:
    """The earliest and latest publish time of the rows that pass through (for the manifest)."""

    def __init__(self) -> None:
        self.first: str | None = None
        self.last: str | None = None

    def track(self, rows: Iterable[dict[str, Any]]) -> Iterator[dict[str, Any]]:
        for row in rows:
            stamp = row.get("published_at")
            if stamp:
                self.first = stamp if self.first is None or stamp < self.first else self.first
                self.last = stamp if self.last is None or stamp > self.last else self.last
            yield row


def _digest(out: Path, fmt: str) -> str:
    """sha256 of the file; for a site, of its post files' names and contents in name order."""
    digest = hashlib.sha256()
    files = sorted((out / "_posts").glob("*.md")) if fmt == "jekyll" else [out]
    for path in files:
        if fmt == "jekyll":
            digest.update(path.name.encode() + b"\0")
        with open(path, "rb") as handle:
            for chunk in iter(lambda: handle.read(1 << 20), b""):
                digest.update(chunk)
    return digest.hexdigest()
