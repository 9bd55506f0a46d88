"""Scrapyd nodes on this machine, each on its own loopback address with its own folder: what
``make cluster-demo`` and the tests run.  A node is a real ``scrapyd`` process (its own session,
so that stopping it by its pid stops the crawls it started too).

Each node's folder holds a ``scrapy.cfg`` read by both Scrapyd (``[scrapyd]``: address, port,
``max_proc = 1`` so a node runs one job — one shard writer — at a time, its logs, eggs and queue
folders) and the crawls it starts (``[settings]``: the project ``qilucrawl`` is the installed
package's settings, so no egg needs deploying), and the shards its jobs write (``shards/``).
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Self

from qilucrawl.cluster.scrapyd import Node, NodeError

_CONFIG = """\
# A Scrapyd node of qilucrawl's cluster (written by qilucrawl.cluster.local).
[settings]
qilucrawl = qilucrawl.settings

[scrapyd]
bind_address = {host}
http_port = {port}
max_proc = 1
poll_interval = {poll}
logs_dir = logs
items_dir =
eggs_dir = eggs
dbs_dir = dbs
jobs_to_keep = 100
finished_to_keep = 100
"""


def loopback_hosts(count: int) -> list[str]:
    """127.0.0.2, .3 … when this machine routes all of 127/8 to loopback (Linux does); else
    127.0.0.1 for all (the nodes then differ by port only)."""
    hosts = [f"127.0.0.{2 + index}" for index in range(count)]
    try:
        for host in hosts:
            with socket.socket() as probe:
                probe.bind((host, 0))
    except OSError:
        return ["127.0.0.1"] * count
    return hosts


def free_port(host: str) -> int:
    with socket.socket() as probe:
        probe.bind((host, 0))
        return int(probe.getsockname()[1])


class LocalNode:
    """One Scrapyd daemon in ``folder`` on ``host:port`` (0: a free port)."""

    def __init__(self, folder: Path, host: str = "127.0.0.1", port: int = 0, poll: float = 0.5) -> None:
        self.folder = Path(folder)
        self.host = host
        self.port = port or free_port(host)
        self.poll = poll
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def pid(self) -> int | None:
        return self.process.pid if self.process else None

    @property
    def shards(self) -> Path:
        return self.folder / "shards"

    def start(self, timeout: float = 60.0) -> Self:
        self.folder.mkdir(parents=True, exist_ok=True)
        self.shards.mkdir(exist_ok=True)
        (self.folder / "scrapy.cfg").write_text(_CONFIG.format(host=self.host, port=self.port, poll=self.poll))
        log = open(self.folder / "scrapyd.out", "ab")  # noqa: SIM115 (the child holds it)
        self.process = subprocess.Popen(
            [sys.executable, "-m", "scrapyd", "--pidfile=", "--logfile=scrapyd.log"],
            cwd=self.folder,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: stopped with the crawls it runs
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
        log.close()
        deadline = time.monotonic() + timeout
        while True:
            try:
                Node(self.url, timeout=2).daemon_status()
                return self
            except NodeError:
                if self.process.poll() is not None:
                    raise NodeError(
                        f"scrapyd in {self.folder} exited {self.process.returncode}: see scrapyd.out"
                    ) from None
                if time.monotonic() > deadline:
                    self.stop()
                    raise NodeError(
                        f"scrapyd in {self.folder} did not answer on {self.url} in {timeout:.0f}s"
                    ) from None
                time.sleep(0.2)

    def stop(self, timeout: float = 15.0) -> None:
        """Stop the daemon and the crawls it runs: SIGTERM to its process group, by its pid, then
        SIGKILL to what is left."""
        if self.process is None or self.process.poll() is not None:
            self._kill_group()
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            pass
        self._kill_group()
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.process.wait(5)

    def kill(self) -> None:
        """A worker dying at once (SIGKILL to the daemon and its crawls, by its pid): no run is
        marked, no queue written."""
        self._kill_group()
        if self.process is not None:
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.process.wait(10)

    def _kill_group(self) -> None:
        if self.process is not None:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(self.process.pid, signal.SIGKILL)


def wait_for_jobs(urls: list[str], job_ids: list[str], timeout: float = 300.0) -> None:
    """Until every job is finished on some node (TimeoutError after ``timeout`` seconds)."""
    deadline = time.monotonic() + timeout
    wanted = set(job_ids)
    while True:
        listed = [Node(url).jobs() for url in urls]
        busy = {job["id"] for jobs in listed for job in jobs.pending + jobs.running} & wanted
        finished = {job["id"] for jobs in listed for job in jobs.finished}
        if not busy and wanted <= finished:
            return
        if time.monotonic() > deadline:
            raise TimeoutError(
                f"jobs not finished after {timeout:.0f}s: {', '.join(sorted(busy or wanted - finished))}"
            )
        time.sleep(0.5)
