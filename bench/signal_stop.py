"""A signal at a random moment ends a crawl within seconds, marked interrupted: the long loop.

``tests/test_crawl_robustness.py`` sends SIGINT and SIGTERM at five fixed moments and at a
handful of seeded random ones; this script runs the same trial many more times (40; ``--quick``
10, ``--full`` 100), which is too long for ``make test``.  Each trial starts the real
``qilucrawl crawl feed`` of the demo site in a child process, with the default politeness back
(a delay between requests, AutoThrottle: the lists take seconds), sends SIGINT or SIGTERM 0.3 to
1.2 s after the start (while it loads, or once its run has begun) and waits for it to end.  The
draws come from the tests' seed in the tests' order, so the first trials here are the ones
``test_signals_at_random_moments_each_end_the_crawl_within_seconds`` runs.

A trial passes as the test's does: exit status 4, no traceback, and the archive holds either no
run or one run marked ``interrupted``; a child still running 30 s after the signal (the test's
deadline) is killed and counted as a failure.  Reported: how many trials passed (target: all),
and the seconds from the signal to the exit (median, and the longest, which has the deadline as
its target).  No baseline: the targets are absolute.
"""

from __future__ import annotations

import os
import random
import signal
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from bench.figures import Figure, bench_main, say
from qilucrawl.demo.server import DemoServer

ROOT = Path(__file__).resolve().parents[1]
TRIALS = {"quick": 10, "default": 40, "full": 100}
SEED = 20261204  # the tests' seed (test_crawl_robustness.py)
DEADLINE = 30.0  # seconds from the signal to the exit, as the tests allow
EXIT_INTERRUPTED = 4
# The tests' crawl (LOCAL_SETTINGS, QUIET), then the default politeness back (polite_again()).
SETTINGS = (
    "DOWNLOAD_DELAY=0", "AUTOTHROTTLE_ENABLED=False", "CONCURRENT_REQUESTS_PER_DOMAIN=8",
    "QILU_RETRY_BACKOFF_BASE=0.05", "QILU_PROGRESS=off",
    "DOWNLOAD_DELAY=1", "AUTOTHROTTLE_ENABLED=True", "CONCURRENT_REQUESTS_PER_DOMAIN=2",
)  # fmt: skip


@dataclass(slots=True)
class Trial:
    signum: int
    after: float  # seconds after the start
    status: int | None  # None: still running at the deadline (then killed)
    seconds: float  # from the signal to the exit (or to the deadline)
    runs: list[str]  # the statuses of the archive's runs
    traceback: bool

    @property
    def passed(self) -> bool:
        return self.status == EXIT_INTERRUPTED and not self.traceback and self.runs in ([], ["interrupted"])

    def describe(self) -> str:
        name = signal.Signals(self.signum).name
        where = "in the run" if self.runs else "while loading"
        ended = "still running (killed)" if self.status is None else f"exit {self.status}"
        return f"{name} {self.after:.2f}s after the start, {where}: {ended} {self.seconds:.2f}s later, runs {self.runs}"


def draws(count: int) -> list[tuple[int, float]]:
    """(signal, seconds after the start) of ``count`` trials, drawn as the tests draw them."""
    chance = random.Random(SEED)
    drawn = []
    for _ in range(count):
        signum = chance.choice([signal.SIGINT, signal.SIGTERM])
        drawn.append((signum, chance.uniform(0.3, 1.2)))
    return drawn


def run_statuses(db: Path) -> list[str]:
    if not db.exists():
        return []
    conn = sqlite3.connect(db, timeout=30)
    try:
        return [status for (status,) in conn.execute("SELECT status FROM runs ORDER BY id")]
    except sqlite3.OperationalError:  # no runs table: the crawl never began
        return []
    finally:
        conn.close()


def trial(url: str, db: Path, signum: int, after: float) -> Trial:
    command = [sys.executable, "-m", "qilucrawl", "crawl", "feed", "--db", str(db), "--base-url", url]
    command += [part for setting in SETTINGS for part in ("-s", setting)]
    env = {**os.environ, "PYTHONPATH": str(ROOT), "PYTHONUNBUFFERED": "1"}
    process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    time.sleep(after)
    process.send_signal(signum)
    signalled = time.monotonic()
    status: int | None
    try:
        _, err = process.communicate(timeout=DEADLINE)
        status = process.returncode
    except subprocess.TimeoutExpired:
        process.kill()
        _, err = process.communicate()
        status = None
    seconds = time.monotonic() - signalled
    return Trial(signum, after, status, seconds, run_statuses(db), "Traceback" in err)


def run(size: str = "default") -> list[Figure]:
    trials: list[Trial] = []
    with tempfile.TemporaryDirectory(prefix="qilubench-signal-") as tmp, DemoServer() as demo:
        for number, (signum, after) in enumerate(draws(TRIALS[size])):
            done = trial(demo.url, Path(tmp) / f"trial{number}.db", signum, after)
            trials.append(done)
            say(f"  #{number + 1}: {done.describe()}{'' if done.passed else '  FAILED'}")
    passed = sum(t.passed for t in trials)
    in_run = sum(bool(t.runs) for t in trials)
    seconds = [t.seconds for t in trials]
    return [
        Figure(
            "a signal at a random moment of a crawl: exit 4, no traceback, run marked interrupted",
            passed,
            "trials",
            target=f"all {len(trials)}",
            passed=passed == len(trials),
            note=f"of {len(trials)}; {in_run} landed in the run, {len(trials) - in_run} while the command loaded",
        ),
        Figure(
            "a signal at a random moment of a crawl: seconds from the signal to the exit, longest",
            max(seconds),
            "s",
            target=f"< {DEADLINE:g} s",
            passed=max(seconds) < DEADLINE and all(t.status is not None for t in trials),
            note=f"median {statistics.median(seconds):.2f} s",
        ),
    ]


def main(argv: list[str] | None = None) -> int:
    return bench_main(run, __doc__, argv)


if __name__ == "__main__":
    sys.exit(main())
