"""A local HTTP server that serves whatever bytes a test tells it to, the way hostile or broken
servers do: any status, any (or no, or lying) Content-Type, gzip Content-Encoding with or without
a truthful body, no Content-Length, slow first bytes, a body that dribbles in, redirects to
another host.  Every request is recorded with its ``Host`` header, so a test can prove that no
request left the configured host.

Like Scrapy's ``tests/mockserver``: a real server on 127.0.0.1, no mocks of our own code.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Self

CHUNK = 64 * 1024


@dataclass
class Reply:
    """One response.  ``body`` may be a Path, streamed from disk (for pages of many MB)."""

    status: int = 200
    body: bytes | Path = b""
    content_type: str | None = "application/json; charset=utf-8"
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0  # seconds before the status line
    dribble: float = 0.0  # seconds between chunks of the body
    content_length: bool = True  # False: no Content-Length, the body ends when the connection closes

    def size(self) -> int:
        return self.body.stat().st_size if isinstance(self.body, Path) else len(self.body)

    def chunks(self):
        if isinstance(self.body, Path):
            with self.body.open("rb") as handle:
                while chunk := handle.read(CHUNK):
                    yield chunk
        else:
            for start in range(0, len(self.body), CHUNK):
                yield self.body[start : start + CHUNK]


@dataclass(frozen=True)
class Hit:
    host: str  # the Host header as sent ("127.0.0.1:PORT", "localhost:PORT" …)
    target: str  # path?query as sent


Handler = Callable[[str], Reply | None]


class HostileServer:
    """``serve(target, reply)`` for exact ``path?query`` targets, ``fallback(fn)`` for the rest
    (``fn(target)`` returns a Reply or None); anything else is a 404."""

    def __init__(self) -> None:
        self.routes: dict[str, Reply] = {}
        self.fallbacks: list[Handler] = []
        self.hits: list[Hit] = []
        self._lock = threading.Lock()
        server = self

        class _Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.0"  # the connection closes after each response

            def do_GET(self) -> None:
                with server._lock:
                    server.hits.append(Hit(self.headers.get("Host", ""), self.path))
                reply = server.reply_for(self.path)
                try:
                    self._send(reply)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up (size or time cap): that is the point

            def _send(self, reply: Reply) -> None:
                if reply.delay:
                    time.sleep(reply.delay)
                self.send_response(reply.status)
                if reply.content_type is not None:
                    self.send_header("Content-Type", reply.content_type)
                if reply.content_length:
                    self.send_header("Content-Length", str(reply.size()))
                for name, value in reply.headers.items():
                    self.send_header(name, value)
                self.end_headers()
                for chunk in reply.chunks():
                    self.wfile.write(chunk)
                    if reply.dribble:
                        self.wfile.flush()
                        time.sleep(reply.dribble)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self.httpd.daemon_threads = True
        self._thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    @property
    def port(self) -> int:
        return self.httpd.server_address[1]

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def other_host_url(self) -> str:
        """The same server under another host name: what an off-site redirect or link points to."""
        return f"http://localhost:{self.port}"

    def serve(self, target: str, reply: Reply) -> None:
        self.routes[target] = reply

    def fallback(self, handler: Handler) -> None:
        self.fallbacks.append(handler)

    def reply_for(self, target: str) -> Reply:
        if target in self.routes:
            return self.routes[target]
        for handler in self.fallbacks:
            if (reply := handler(target)) is not None:
                return reply
        return Reply(404, b"not found", "text/plain")

    def hosts(self) -> set[str]:
        """Host names the server was asked for (without ports)."""
        return {hit.host.rsplit(":", 1)[0] for hit in self.hits}

    def targets(self) -> list[str]:
        return [hit.target for hit in self.hits]

    def start(self) -> HostileServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
