"""A small client of Scrapyd's HTTP API (1.6): daemonstatus, listjobs, schedule, cancel.

urllib and JSON only.  Every failure — a node that does not answer, answers something that is
not Scrapyd's JSON, or answers ``"status": "error"`` — is a :class:`NodeError` naming the node,
said by the command in one line.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from typing import Any

PROJECT = "qilucrawl"
TIMEOUT = 10.0


class NodeError(Exception):
    """A Scrapyd node that cannot be used: unreachable, or refusing a request."""


@dataclass(slots=True)
class Jobs:
    """A node's jobs of one project, by state, as listjobs.json gives them."""

    pending: list[dict[str, Any]] = field(default_factory=list)
    running: list[dict[str, Any]] = field(default_factory=list)
    finished: list[dict[str, Any]] = field(default_factory=list)

    def state(self, job_id: str) -> str | None:
        """pending, running or finished (the latest), or None: the node has no such job."""
        for name in ("running", "pending", "finished"):
            if any(job["id"] == job_id for job in getattr(self, name)):
                return name
        return None


class Node:
    """One Scrapyd daemon, by its URL (``http://10.0.0.5:6800``)."""

    def __init__(self, url: str, project: str = PROJECT, timeout: float = TIMEOUT) -> None:
        parts = urllib.parse.urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise NodeError(f"--node {url!r}: not an http(s) URL of a Scrapyd node (http://HOST:6800)")
        self.url = url.rstrip("/")
        self.project = project
        self.timeout = timeout

    def daemon_status(self) -> dict[str, Any]:
        return self._call("daemonstatus.json")

    def jobs(self) -> Jobs:
        answer = self._call("listjobs.json", {"project": self.project})
        return Jobs(answer.get("pending", []), answer.get("running", []), answer.get("finished", []))

    def schedule(self, spider: str, job_id: str, settings: dict[str, str], arguments: dict[str, str]) -> str:
        """Queue ``spider`` with this job id; each setting is passed as Scrapyd's ``setting=``."""
        fields: list[tuple[str, str]] = [("project", self.project), ("spider", spider), ("jobid", job_id)]
        fields += [("setting", f"{name}={value}") for name, value in settings.items()]
        fields += [(name, value) for name, value in arguments.items()]
        return str(self._call("schedule.json", fields, post=True)["jobid"])

    def cancel(self, job_id: str) -> str | None:
        return self._call("cancel.json", [("project", self.project), ("job", job_id)], post=True).get("prevstate")

    def _call(self, endpoint: str, params: Any = None, *, post: bool = False) -> dict[str, Any]:
        query = urllib.parse.urlencode(params or {})
        if post:
            request = urllib.request.Request(f"{self.url}/{endpoint}", data=query.encode(), method="POST")
        else:
            request = urllib.request.Request(f"{self.url}/{endpoint}" + (f"?{query}" if query else ""))
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                body = response.read(4 * 1024 * 1024)
        except urllib.error.HTTPError as error:
            raise NodeError(
                f"node {self.url}: {endpoint} answered HTTP {error.code} (is this a Scrapyd node?)"
            ) from None
        except (urllib.error.URLError, OSError) as error:
            reason = getattr(error, "reason", error)
            raise NodeError(f"node {self.url} is unreachable: {reason}") from None
        try:
            answer = json.loads(body)
        except ValueError:
            raise NodeError(f"node {self.url}: {endpoint} did not answer JSON (is this a Scrapyd node?)") from None
        if not isinstance(answer, dict) or answer.get("status") != "ok":
            message = answer.get("message", answer) if isinstance(answer, dict) else answer
            raise NodeError(f"node {self.url}: {endpoint} refused: {message}")
        return answer
