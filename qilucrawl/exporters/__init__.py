"""Dataset exports: one module per format, all streaming rows from the store.

Every export is written to a temporary file beside the target and renamed into place when
complete, so an interrupted export never leaves a half-written file under the final name; the
manifest (format, filters, row count, time range, sha256, schema version) is written last, so a
manifest that matches its file's sha256 marks a complete export.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
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
def atomic_output(path: str | Path, mode: str = "w", **open_args: Any) -> Iterator[IO]:
    """Open a temporary file next to ``path``; rename it over ``path`` only on success.

    The temporary file is ``.<name>.<pid>.<random>.part``, so that one left by a writer that
    died (a killed export) can be told apart and removed (:func:`remove_dead_parts`).
    """
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    prefix = f".{target.name}.{os.getpid()}."
    fd, temporary = tempfile.mkstemp(prefix=prefix, suffix=".part", dir=target.parent)
    os.close(fd)
    try:
        with open(temporary, mode, **open_args) as handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


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
) -> dict[str, Any]:
    """Stream the filtered articles into ``out`` in ``fmt``; write and return its manifest."""
    out = Path(out)
    if fmt == "jekyll":  # a killed export's leftovers: swept once here, not once per post
        for folder in (out, out / "_posts", out / "category"):
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
    return manifest


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
        from qilucrawl.exporters.to_jekyll import write_jekyll

        return lambda rows, out, site_host, **_: write_jekyll(rows, out, site_host=site_host)
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
