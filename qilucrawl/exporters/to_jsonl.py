"""JSON Lines: one article per line, the data dictionary's fields in order, UTF-8."""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from qilucrawl.exporters import StdoutSink, output, record


def write_jsonl(rows: Iterable[dict[str, Any]], path: str | Path | StdoutSink) -> int:
    """Write ``rows`` to ``path`` (a file, or standard output); returns how many were written."""
    count = 0
    with output(path, "w", encoding="utf-8", newline="\n") as out:
        for row in rows:
            out.write(json.dumps(record(row), ensure_ascii=False))
            out.write("\n")
            count += 1
    return count
