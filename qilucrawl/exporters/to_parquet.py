"""Parquet with typed columns: timestamps with time zone, lists of strings, a list of
``{url, caption}`` structs for images — loads in pandas and Hugging Face ``datasets`` as is.

Rows are written in row groups of ``ROW_GROUP`` articles, so memory stays flat however large the
archive is.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from qilucrawl.exporters import RECORD_FIELDS, atomic_output, record

# Small enough that a group's Python rows and its Arrow copy stay well under 100 MB with long
# bodies; large enough for Parquet's column compression to work.
ROW_GROUP = 1_000
TIMEZONE = "Asia/Shanghai"
_TIME = pa.timestamp("s", tz=TIMEZONE)
_STRINGS = pa.list_(pa.string())
_TYPES: dict[str, pa.DataType] = {
    "published_at": _TIME,
    "first_seen_at": _TIME,
    "last_seen_at": _TIME,
    "fetched_at": _TIME,
    "tags": _STRINGS,
    "authors": _STRINGS,
    "quality_flags": _STRINGS,
    "images": pa.list_(pa.struct([("url", pa.string()), ("caption", pa.string())])),
    "revision": pa.int32(),
}
SCHEMA = pa.schema([(name, _TYPES.get(name, pa.string())) for name in RECORD_FIELDS])


def write_parquet(rows: Iterable[dict[str, Any]], path: str | Path) -> int:
    count = 0
    with atomic_output(path, "wb") as out, pq.ParquetWriter(out, SCHEMA, compression="zstd") as writer:
        for batch in _batches(rows):
            writer.write_table(pa.Table.from_pylist(batch, schema=SCHEMA))
            count += len(batch)
    return count


def _batches(rows: Iterable[dict[str, Any]]) -> Iterator[list[dict[str, Any]]]:
    batch: list[dict[str, Any]] = []
    for row in rows:
        batch.append(_typed(record(row)))
        if len(batch) >= ROW_GROUP:
            yield batch
            batch = []
    if batch:
        yield batch


def _typed(values: dict[str, Any]) -> dict[str, Any]:
    for name, kind in _TYPES.items():
        if kind == _TIME and values[name]:
            values[name] = datetime.fromisoformat(values[name])
    return values
