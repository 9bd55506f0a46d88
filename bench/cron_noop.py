"""The incremental cron run with nothing new: how long it takes and what it fetches.

The demo site's readable articles (its corpus less the fault cases, which a later run rightly
tries again) are crawled once with ``qilucrawl crawl feed``; then the same command runs again,
as cron would, against the unchanged site.  Measured: the second run's wall time (the whole
child process, interpreter start-up included, as cron sees it) and how many text-endpoint
requests it made (``DemoSite.text_requests()``).  Targets: no article request; < 3 s.  No
baseline: both targets are absolute.  Repeated; the median wall time is reported.
"""

from __future__ import annotations

import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.figures import Figure, bench_main, say
from qilucrawl.demo.server import CORPUS, DemoServer, DemoSite

BIN = Path(sys.executable).parent
REPEATS = {"quick": 3, "default": 5, "full": 7}
TARGET_SECONDS = 3.0
SETTINGS = ("DOWNLOAD_DELAY=0", "AUTOTHROTTLE_ENABLED=False", "CONCURRENT_REQUESTS_PER_DOMAIN=16", "QILU_PROGRESS=off")


def readable_corpus(folder: Path) -> Path:
    """A copy of the demo corpus without the articles that fail on purpose."""
    (folder / "feed").mkdir(parents=True)
    for path in sorted((CORPUS / "feed").glob("*.json")):
        if json.loads(path.read_text(encoding="utf-8")).get("expect") is not None:
            shutil.copy(path, folder / "feed" / path.name)
    return folder


def crawl_once(url: str, db: Path) -> tuple[float, str]:
    command = [
        str(BIN / "qilucrawl"),
        "crawl",
        "feed",
        "--db",
        str(db),
        "--base-url",
        url,
        "--log-level",
        "WARNING",
    ] + [part for s in SETTINGS for part in ("-s", s)]
    started = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    return time.perf_counter() - started, done.stdout.strip().splitlines()[0] if done.stdout.strip() else done.stderr[
        -300:
    ]


def run(size: str = "default") -> list[Figure]:
    seconds, requests, first_line = [], [], ""
    with tempfile.TemporaryDirectory(prefix="qilubench-cron-") as tmp:
        site = DemoSite(corpus=readable_corpus(Path(tmp) / "corpus"))
        with DemoServer(site=site) as server:
            db = Path(tmp) / "cron.db"
            _, first_line = crawl_once(server.url, db)
            say(f"cron_noop: first run: {first_line}")
            for attempt in range(REPEATS[size]):
                before = len(site.text_requests())
                wall, line = crawl_once(server.url, db)
                seconds.append(wall)
                requests.append(len(site.text_requests()) - before)
                say(f"  no-op run #{attempt + 1}: {wall:.2f}s, {requests[-1]} article requests: {line}")
    wall = statistics.median(seconds)
    fetched = max(requests)
    return [
        Figure(
            "incremental cron run with nothing new: article requests",
            fetched,
            "requests",
            target="0",
            passed=fetched == 0,
            note=f"{len(seconds)} runs, the most any made",
        ),
        Figure(
            "incremental cron run with nothing new: wall time",
            wall,
            "s",
            target=f"< {TARGET_SECONDS:g} s",
            passed=wall < TARGET_SECONDS,
            note=f"child process incl. start-up; min {min(seconds):.2f} s",
        ),
    ]


def main(argv: list[str] | None = None) -> int:
    return bench_main(run, __doc__, argv)


if __name__ == "__main__":
    sys.exit(main())
