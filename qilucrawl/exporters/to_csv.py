"""CSV: one row per article, the data dictionary's columns; lists as JSON text.

Fields with newlines, quotes and commas are quoted by the csv module, so every record stays one
CSV record.  With ``bom=True`` the file starts with a UTF-8 byte-order mark, which is what makes
Excel read Chinese text as UTF-8 instead of the system code page.

A text cell that starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is written
with a ``'`` in front: a spreadsheet would otherwise run it as a formula (CSV injection), and an
article's title or body is text from the web.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from qilucrawl.exporters import RECORD_FIELDS, StdoutSink, output, record
from qilucrawl.items import LIST_FIELDS


def write_csv(rows: Iterable[dict[str, Any]], path: str | Path | StdoutSink, *, bom: bool = False) -> int:
    count = 0
    encoding = "utf-8-sig" if bom else "utf-8"
    with output(path, "w", encoding=encoding, newline="") as out:
        writer = csv.writer(out, quoting=csv.QUOTE_MINIMAL, lineterminator="\r\n")
        writer.writerow(RECORD_FIELDS)
        for row in rows:
            values = record(row)
            writer.writerow(_cell(name, values[name]) for name in RECORD_FIELDS)
            count += 1
    return count


# What makes Excel, LibreOffice and Google Sheets read a cell as a formula (OWASP's list).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _cell(name: str, value: Any) -> Any:
    if name in LIST_FIELDS:
        return json.dumps(value or [], ensure_ascii=False)
    if value is None:
        return ""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value
