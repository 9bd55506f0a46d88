"""Whether two archives hold the same articles: what ``make cluster-demo`` and the tests ask of a
merged archive and a single-process crawl of the same range."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from qilucrawl.store import Store


def versions_of(db: str | Path) -> dict[str, tuple[str, tuple[str, ...], int]]:
    """info_code -> (current content hash, every content hash held, number of versions)."""
    store = Store(db, readonly=True)
    try:
        conn = store.db.conn
        found: dict[str, tuple[str, tuple[str, ...], int]] = {}
        history: dict[str, list[str]] = {}
        for code, content_hash in conn.execute("SELECT info_code, content_hash FROM revisions ORDER BY revision"):
            history.setdefault(code, []).append(content_hash)
        for code, content_hash in conn.execute("SELECT info_code, content_hash FROM articles"):
            held = [*history.get(code, []), content_hash]
            found[code] = (content_hash, tuple(sorted(held)), len(held))
        return found
    finally:
        store.close()


def compare(first: str | Path, second: str | Path) -> dict[str, Any]:
    """Whether two archives hold the same articles: the same infoCodes, current content hashes,
    content hashes held and revision counts; what differs if not."""
    a, b = versions_of(first), versions_of(second)
    differing = sorted(code for code in a.keys() & b.keys() if a[code] != b[code])
    return {
        "same": a == b,
        "articles": [len(a), len(b)],
        "revisions": [sum(v[2] - 1 for v in a.values()), sum(v[2] - 1 for v in b.values())],
        "only_in_first": sorted(a.keys() - b.keys()),
        "only_in_second": sorted(b.keys() - a.keys()),
        "differing": differing,
    }
