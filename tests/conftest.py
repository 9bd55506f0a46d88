"""Shared fixtures: a real demo server on 127.0.0.1, a fresh archive path, the real CLI."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from qilucrawl.demo.server import DemoServer

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
# The demo server is ours and local: politeness off, retries quick.
LOCAL_SETTINGS = [
    "-s", "DOWNLOAD_DELAY=0",
    "-s", "AUTOTHROTTLE_ENABLED=False",
    "-s", "CONCURRENT_REQUESTS_PER_DOMAIN=8",
    "-s", "QILU_RETRY_BACKOFF_BASE=0.05",
]  # fmt: skip


def run_cli(*args: object, cwd: Path | None = None, timeout: float = 180) -> subprocess.CompletedProcess:
    """``qilucrawl ARGS`` in a subprocess, as a user runs it."""
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    return subprocess.run(
        [sys.executable, "-m", "qilucrawl", *map(str, args)],
        check=False,
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=cwd or ROOT,
        env=env,
    )


def rows(db_path: Path, sql: str, params: tuple | list = ()) -> list[dict]:
    """Rows of a query on an archive file, as dicts (a fresh connection: what a user sees)."""
    conn = sqlite3.connect(db_path)
    conn.row_factory = sqlite3.Row
    try:
        return [dict(row) for row in conn.execute(sql, params)]
    finally:
        conn.close()


@pytest.fixture
def demo_server():
    with DemoServer() as server:
        yield server


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "archive.db"


@pytest.fixture
def crawl_feed(demo_server, db_path):
    """Crawl the demo feed into ``db_path`` through the CLI; extra CLI arguments allowed."""

    def crawl(*extra: object) -> subprocess.CompletedProcess:
        return run_cli(
            "crawl",
            "feed",
            "--db",
            db_path,
            "--base-url",
            demo_server.url,
            "--log-level",
            "WARNING",
            *LOCAL_SETTINGS,
            *extra,
        )

    return crawl
