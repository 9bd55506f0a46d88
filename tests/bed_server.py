"""Serves a test bed written by someone who did not read the parsers (``tests/beds/<name>/``).

A bed is a folder: ``site/`` (files served at their path under it; a path ending in ``/`` is
its folder's ``index.html``), ``routes.json`` (special answers: status, Content-Type or none,
HTTP 500 for the first N requests, a redirect; query parameters matched as a set) and
``expected.json`` or ``cases.json`` (what the product must make of it).  ``{{ORIGIN}}`` and
``{{HOST}}`` in served files become this server's origin and host, byte for byte, so absolute
and protocol-relative links work in any charset.
"""

from __future__ import annotations

import json
import threading
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from tests.hostile_server import HostileServer, Reply

BEDS = Path(__file__).parent / "beds"
_TYPES = {".html": "text/html; charset=utf-8", ".shtml": "text/html; charset=utf-8", ".htm": "text/html; charset=utf-8",
          ".json": "application/json; charset=utf-8", ".do": "application/json; charset=utf-8",
          ".txt": "text/plain; charset=utf-8", ".xml": "application/xml"}  # fmt: skip


def _key(target: str) -> tuple[str, frozenset[tuple[str, str]]]:
    parts = urlsplit(target)
    return parts.path, frozenset(parse_qsl(parts.query, keep_blank_values=True))


class BedServer(HostileServer):
    """A real HTTP server on 127.0.0.1 that serves one bed."""

    def __init__(self, bed: str | Path) -> None:
        super().__init__()
        self.folder = BEDS / bed if isinstance(bed, str) else bed
        routes = self.folder / "routes.json"
        self.bed_routes: dict[tuple[str, frozenset[tuple[str, str]]], dict[str, Any]] = {}
        for route in json.loads(routes.read_text(encoding="utf-8")) if routes.exists() else []:
            self.bed_routes[_key(route["path"])] = route
        self.answered: dict[tuple[str, frozenset[tuple[str, str]]], int] = {}
        self._count_lock = threading.Lock()
        self.fallback(self._answer)

    def expected(self, name: str = "expected.json") -> Any:
        return json.loads((self.folder / name).read_text(encoding="utf-8"))

    def paths(self) -> list[str]:
        """The paths (without queries) requested so far, in order."""
        return [urlsplit(target).path for target in self.targets()]

    def _answer(self, target: str) -> Reply | None:
        key = _key(target)
        route = self.bed_routes.get(key, {})
        with self._count_lock:
            seen = self.answered[key] = self.answered.get(key, 0) + 1
        if seen <= route.get("fail_first", 0):
            return Reply(500, b"<html><body>500 Internal Server Error</body></html>", "text/html")
        if "redirect" in route:
            return Reply(302, b"", "text/html", headers={"Location": route["redirect"]})
        file = self._file(key[0], route)
        if file is None:
            return Reply(route.get("status", 404), b"<html><body>404 Not Found</body></html>", "text/html")
        body = file.read_bytes().replace(b"{{ORIGIN}}", self.url.encode()).replace(b"{{HOST}}", self.url[7:].encode())
        content_type = route["content_type"] if "content_type" in route else _TYPES.get(file.suffix, None)
        return Reply(route.get("status", 200), body, content_type)

    def _file(self, path: str, route: dict[str, Any]) -> Path | None:
        if "file" in route:
            candidate = self.folder / route["file"]
        else:
            relative = path.lstrip("/") + ("index.html" if path.endswith("/") else "")
            candidate = self.folder / "site" / relative
        try:
            candidate.resolve().relative_to(self.folder.resolve())
        except ValueError:
            return None  # a ../ path out of the bed
        return candidate if candidate.is_file() else None
