"""Dataset exports: one module per format, all streaming rows from the store.

Every export is written to a temporary file beside the target and renamed into place when
complete, so an interrupted export never leaves a half-written file under the final name.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

# The data dictionary's fields, in the order exports write them (README, "Data dictionary").
RECORD_FIELDS = (
    "info_code", "title", "subtitle", "original_title", "summary", "published_at", "source",
    "category", "tags", "authors", "body_text", "body_html", "images", "source_url", "url",
    "parser", "quality_flags", "content_hash", "revision", "first_seen_at", "last_seen_at",
    "fetched_at",
)  # fmt: skip


def record(row: dict[str, Any]) -> dict[str, Any]:
    """A stored article row as an export record: the dictionary's fields, in order."""
    return {name: row.get(name) for name in RECORD_FIELDS}


@contextmanager
def atomic_output(path: str | Path, mode: str = "w", **open_args: Any) -> Iterator[IO]:
    """Open a temporary file next to ``path``; rename it over ``path`` only on success."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, temporary = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".part", dir=target.parent)
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
