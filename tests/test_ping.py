"""``--ping URL``, end to end: a tiny real HTTP server on 127.0.0.1 stands in for healthchecks.io
and records what it was asked; the real CLI crawls the demo site and pings it."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from qilucrawl.jobs import ExitStatus
from qilucrawl.lock import RunLock
from tests.conftest import LOCAL_SETTINGS, run_cli


class PingServer:
    """Answers every GET with 200 (or a redirect, when told to) and remembers its path."""

    def __init__(self, redirect: bool = False) -> None:
        self.paths: list[str] = []
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                owner.paths.append(self.path)
                self.send_response(302 if redirect else 200)
                if redirect:
                    self.send_header("Location", "/elsewhere")
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"OK")

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}/ping/abc-123"

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def ping_server() -> Iterator[PingServer]:
    server = PingServer()
    yield server
    server.close()


def test_a_crawl_pings_at_start_and_with_its_exit_status(crawl_feed, ping_server):
    result = crawl_feed("--ping", ping_server.url)
    assert result.returncode == ExitStatus.FAILURES, result.stderr
    assert ping_server.paths == ["/ping/abc-123/start", "/ping/abc-123/1"]
    result = crawl_feed("--ping", ping_server.url + "/", "-s", "QILU_QUALITY_FEED_SILENT_HOURS=0.0001")
    assert result.returncode == ExitStatus.ALARM
    assert ping_server.paths[2:] == ["/ping/abc-123/start", "/ping/abc-123/5"]


def test_a_backfill_pings_too_and_a_locked_one_says_3(demo_server, db_path, ping_server):
    args = ["backfill", "iqilu", "--db", db_path, "--base-url", demo_server.url, "--since", "2026-11-19",
            "--ping", ping_server.url, "--log-level", "WARNING", *LOCAL_SETTINGS]  # fmt: skip
    assert run_cli(*args).returncode == ExitStatus.OK
    with RunLock(db_path):
        assert run_cli(*args).returncode == ExitStatus.LOCKED
    assert ping_server.paths == ["/ping/abc-123/start", "/ping/abc-123/0", "/ping/abc-123/start", "/ping/abc-123/3"]


def test_an_unreachable_or_redirecting_ping_url_never_fails_the_crawl(crawl_feed):
    with socket.socket() as closed:  # a port nobody listens on
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    result = crawl_feed("--ping", f"http://127.0.0.1:{port}/x")
    assert result.returncode == ExitStatus.FAILURES, result.stderr
    assert f"Ping http://127.0.0.1:{port}/x/start failed" in result.stderr and "the run goes on" in result.stderr
    assert "Traceback" not in result.stderr
    redirecting = PingServer(redirect=True)
    try:
        result = crawl_feed("--ping", redirecting.url)
        assert result.returncode == ExitStatus.FAILURES
        assert redirecting.paths == ["/ping/abc-123/start", "/ping/abc-123/1"]  # the redirects not followed
        assert "HTTP 302" in result.stderr
    finally:
        redirecting.close()


def test_a_ping_url_that_is_none_is_a_usage_error(crawl_feed, db_path):
    for url in ("ftp://example.com/x", "not a url", "https://hc-ping.com/x?token=1"):
        result = crawl_feed("--ping", url)
        assert result.returncode == ExitStatus.USAGE
        assert "is not an http(s) URL" in result.stderr and "Traceback" not in result.stderr
    assert not db_path.exists()
