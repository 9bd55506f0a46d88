"""CSV: one row per article, the data dictionary's columns; lists as JSON text.

Fields with newlines, quotes and commas are quoted by the csv module, so every record stays one
CSV record.  With ``bom=True`` the file starts with a UTF-8 byte-order mark, which is what makes
Excel read Chinese text as UTF-8 instead of the system code page.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from qilucrawl.exporters import RECORD_FIELDS, atomic_output, record
from qilucrawl.items import LIST_FIELDS


def write_csv(rows: Iterable[dict[str, Any]], path: str | Path, *, bom: bool = False) -> int:
    count = 0
    encoding = "utf-8-sig" if bom else "utf-8"
    with atomic_output(path, "w", encoding=encoding, newline="") as out:
        writer = csv.writer(out, quoting=csv.QUOTE_MINIMAL, lineterminator="\r\n")
        writer.writerow(RECORD_FIELDS)
        for row in rows:
            values = record(row)
            writer.writerow(_cell(name, values[name]) for name in RECORD_FIELDS)
            count += 1
    return count


def _cell(name: str, value: Any) -> Any:
    if name in LIST_FIELDS:
        return json.dumps(value or [], ensure_ascii=False)
    return "" if value is None else value
