"""Run spiders in-process: Scrapy's settings with ``-s`` overrides, the jobs in one reactor,
under the archive's lock, and the exit status (:mod:`qilucrawl.jobs`).

Ctrl-C and SIGTERM are the runner's from the moment it starts until it returns, whatever the
crawl is doing — still setting up, waiting for its lists, writing: the first signal stops the crawl
gracefully (what is fetched is stored, the run is marked ``interrupted``); what has not stopped
``QILU_STOP_TIMEOUT`` seconds later (or at a second signal) is stopped anyway, its batch written
and its run marked; and should even that not end it, the process ends shortly after.  A signal
is never raised as KeyboardInterrupt into whatever code it lands in, and no run is left
``running``.
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import sqlite3
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType
from typing import Any, Self

from scrapy.crawler import Crawler, CrawlerProcess
from scrapy.settings import SETTINGS_PRIORITIES, Settings
from scrapy.utils.defer import deferred_from_coro
from twisted.internet import defer
from twisted.internet.error import ReactorNotRunning

from qilucrawl.jobs import RunResult, exit_status, locked_archive
from qilucrawl.pipelines import StorePipeline
from qilucrawl.store import Store, StoreError

logger = logging.getLogger(__name__)

# After the forced stop, how long before the process is ended outright (the main thread stuck).
_LAST_RESORT = 10.0
_SIGNALS = (signal.SIGINT, signal.SIGTERM)
# Signals that came before the runner took over: see hold_signals().
_held: list[int] = []


def hold_signals(already: list[int] | None = None) -> None:
    """From now until :func:`run_jobs` takes over, SIGINT and SIGTERM are recorded, not raised;
    run_jobs then does not start the crawl (exit 4).  ``qilucrawl``'s main calls it (with what it
    held itself while loading) for the commands that crawl: a KeyboardInterrupt raised inside
    Python's import machinery can leave the import lock held, and the crawl hangs for good."""
    _held.extend(already or [])
    for signum in _SIGNALS:
        signal.signal(signum, _hold)


def _hold(signum: int, frame: FrameType | None) -> None:
    _held.append(signum)


@dataclass(slots=True)
class Job:
    """One spider to run, with its arguments (recorded in the run row)."""

    spider: str
    kwargs: dict[str, Any] = field(default_factory=dict)


def project_settings(db_path: str | Path, overrides: dict[str, str] | None = None) -> Settings:
    """qilucrawl.settings, then the archive path, then ``-s`` overrides (highest priority)."""
    settings = Settings()
    settings.setmodule("qilucrawl.settings", priority="project")
    settings.set("QILU_DB_PATH", str(db_path), priority="cmdline")
    for name, value in (overrides or {}).items():
        settings.set(name, value, priority="cmdline")
    return settings


def parse_overrides(pairs: tuple[str, ...] | list[str]) -> dict[str, str]:
    """``NAME=VALUE`` strings, as ``scrapy -s`` takes them."""
    overrides = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or not name.strip():
            raise ValueError(f"-s expects NAME=VALUE, got {pair!r}")
        overrides[name.strip()] = value
    return overrides


def run_jobs(jobs: list[Job], settings: Settings) -> RunResult:
    """Run the jobs one after another under the archive's lock; say how it went."""
    started = time.monotonic()
    db_path = settings.get("QILU_DB_PATH")
    with Interruptions(db_path, settings.getfloat("QILU_STOP_TIMEOUT", 10.0)) as interruptions:
        with locked_archive(db_path):  # LockedError / StoreError: the caller says so, exit 3 / 4
            crawlers = [] if interruptions.signum is not None else _crawl(jobs, settings, interruptions)
            runs = _finished_runs(db_path, crawlers)
        if interruptions.signum is not None and not runs:
            logger.warning("Interrupted (%s) before the crawl started: nothing was done", _name(interruptions.signum))
    return RunResult(exit_status(runs, len(jobs)), runs, time.monotonic() - started)


def _crawl(jobs: list[Job], settings: Settings, interruptions: Interruptions) -> list[Crawler]:
    """Run the jobs in sequence in one reactor (Scrapy's reactor cannot be restarted)."""
    process = CrawlerProcess(settings)
    crawlers: list[Crawler] = []
    interruptions.crawlers = crawlers

    @defer.inlineCallbacks
    def one_after_another():
        job = None
        try:
            for job in jobs:
                if interruptions.signum is not None:  # stopped: the next job does not start
                    break
                crawler = process.create_crawler(job.spider)
                crawlers.append(crawler)
                yield process.crawl(crawler, run_args=_run_args(job, settings), **job.kwargs)
        except Exception as error:  # noqa: BLE001 (a bad -s value, a component that cannot start: no run row)
            logger.error("Could not run %s: %s: %s", job.spider if job else "?", type(error).__name__, error)
        finally:
            reactor = _reactor()
            if reactor is not None:
                if reactor.running:
                    with contextlib.suppress(ReactorNotRunning):  # stopping it already
                        reactor.stop()
                else:  # failed before the reactor started: stop it as soon as it does
                    reactor.callWhenRunning(reactor.stop)

    one_after_another()
    reactor = _reactor()
    if reactor is None:  # no crawler got as far as installing it: nothing to run
        return crawlers
    reactor.callWhenRunning(interruptions.reactor_started)
    # Scrapy's and Twisted's handlers would replace the runner's (Interruptions) and, between the
    # two, let a signal through as KeyboardInterrupt.
    process.start(stop_after_crawl=False, install_signal_handlers=False)
    interruptions.reactor_stopped()
    return crawlers


def _finished_runs(db_path: str, crawlers: list[Crawler]) -> list[dict[str, Any]]:
    """This process's runs, none of them left ``running``: a crawl stopped before its pipeline
    could record the end (forced, or failed mid-way) is marked ``interrupted`` here."""
    run_ids = []
    for crawler in crawlers:
        with contextlib.suppress(RuntimeError):  # no stats: the crawl never started
            run_ids.append(crawler.stats.get_value("qilu/run_id"))
    store = Store(db_path)
    try:
        try:
            left = store.db.execute("SELECT id FROM runs WHERE status = 'running' AND pid = ?", [os.getpid()])
            for (run_id,) in left.fetchall():
                store.finish_run(run_id, "interrupted")
                run_ids.append(run_id)
        except (sqlite3.Error, StoreError) as error:  # the next run marks it
            logger.error("Cannot mark the runs of this process interrupted in %s: %s", db_path, error)
        return [store.run(run_id) for run_id in dict.fromkeys(run_ids) if run_id is not None]
    finally:
        store.close()


def _run_args(job: Job, settings: Settings) -> dict[str, Any]:
    """What the runs table records of a run: the spider's arguments and the settings given."""
    given = {
        name: settings[name]
        for name in settings
        if settings.getpriority(name) == SETTINGS_PRIORITIES["cmdline"] and name != "QILU_DB_PATH"
    }
    arguments = {k: v for k, v in job.kwargs.items() if v is not None}
    return {"spider": job.spider, **arguments, "settings": given, "pid": os.getpid()}


def _reactor() -> Any:
    """The installed reactor, or None while no crawler has installed one (importing
    ``twisted.internet.reactor`` would install the default one)."""
    return sys.modules.get("twisted.internet.reactor")


def _name(signum: int) -> str:
    return signal.Signals(signum).name


class Interruptions:
    """Ctrl-C and SIGTERM while the runner works: recorded by the handler, acted on in the reactor."""

    def __init__(self, db_path: str, grace: float) -> None:
        self.db_path = db_path
        self.grace = max(grace, 0.0)
        self.signum: int | None = None
        self.received = 0
        self.crawlers: list[Crawler] = []
        self.stopping = False
        self.forced = False
        self._asked: set[int] = set()  # crawlers asked to stop
        self._previous: dict[int, Any] = {}
        self._last_resort: threading.Timer | None = None
        self._stopper: Any = None

    def __enter__(self) -> Self:
        if threading.current_thread() is threading.main_thread():
            for signum in _SIGNALS:
                self._previous[signum] = signal.signal(signum, self._received)
        if _held:  # came while the command was loading
            self.signum = _held[0]
            _held.clear()
        if _release_leaked_import_lock():
            # Only a KeyboardInterrupt inside Python's import machinery leaves it held: a Ctrl-C
            # arrived while the command was loading.  Held, it would hang the crawl for good.
            self.signum = signal.SIGINT
        return self

    def __exit__(self, *exc: object) -> None:
        for signum, handler in self._previous.items():
            signal.signal(signum, handler)
        if self._last_resort is not None:
            self._last_resort.cancel()

    # --- in the signal handler: record, hand over to the reactor, nothing else ----------------

    def _received(self, signum: int, frame: FrameType | None) -> None:
        self.received += 1
        if self.signum is None:
            self.signum = signum
        reactor = _reactor()
        if reactor is None or not reactor.running:
            return  # not crawling yet: the runner does not start; or done: nothing to stop
        reactor.callFromThread(self.stop if self.received == 1 else self.force)

    # --- in the reactor ---------------------------------------------------------------------

    def reactor_started(self) -> None:
        if self.signum is not None:  # a signal came while the crawl was being set up
            self.stop()

    def stop(self) -> None:
        """Ask every crawl to stop gracefully; force what has not stopped within the grace."""
        if self.stopping:
            return
        self.stopping = True
        logger.warning(
            "Received %s: stopping the crawl (at most %.0fs; send it again to stop at once)",
            _name(self.signum or signal.SIGINT),
            self.grace,
        )
        from twisted.internet import task

        reactor = _reactor()
        self._stopper = task.LoopingCall(self._stop_crawlers)
        self._stopper.start(0.1)
        reactor.callLater(self.grace, self.force)
        self._last_resort = threading.Timer(self.grace + _LAST_RESORT, self._end_process)
        self._last_resort.daemon = True
        self._last_resort.start()

    def _stop_crawlers(self) -> None:
        """A crawler is stopped once its engine runs (Scrapy ignores a stop asked before)."""
        for crawler in self.crawlers:
            if id(crawler) in self._asked or not crawler.crawling:
                continue
            try:
                running = crawler.engine.running
            except RuntimeError:  # no engine yet
                continue
            if running:
                self._asked.add(id(crawler))
                deferred_from_coro(crawler.stop_async())

    def force(self) -> None:
        """Stop now: each run's batch written and its run marked, then the reactor halted."""
        if self.forced:
            return
        self.forced = True
        if self.stopping:
            logger.warning("The crawl did not stop within %.0fs: stopping it now", self.grace)
        for crawler in self.crawlers:
            with contextlib.suppress(RuntimeError):  # no engine: nothing was written
                pipeline = crawler.get_item_pipeline(StorePipeline)
                if pipeline is not None:
                    pipeline.finish("interrupted")
        reactor = _reactor()
        if reactor is not None and reactor.running:
            reactor.crash()  # no shutdown triggers: those would wait for the crawl

    def reactor_stopped(self) -> None:
        if self._stopper is not None and self._stopper.running:
            self._stopper.stop()
        reactor = _reactor()
        pool = getattr(reactor, "threadpool", None)
        if self.forced and pool is not None:  # skipped by crash(): its idle threads would hold the exit
            threading.Thread(target=pool.stop, daemon=True).start()

    # --- last resort, in a thread of its own --------------------------------------------------

    def _end_process(self) -> None:
        """The reactor could not stop the crawl (the main thread is stuck): mark this process's
        runs interrupted and end it, as a second Ctrl-C would be expected to."""
        with contextlib.suppress(Exception):
            conn = sqlite3.connect(self.db_path, timeout=5)
            with conn:
                conn.execute(
                    "UPDATE runs SET status = 'interrupted', finished_at = datetime('now')"
                    " WHERE status = 'running' AND pid = ?",
                    [os.getpid()],
                )
            conn.close()
        with contextlib.suppress(Exception):
            sys.stderr.write("qilucrawl: interrupted, and the crawl would not stop: ending it (exit 4)\n")
            sys.stderr.flush()
            sys.stdout.flush()
        os._exit(4)


def _release_leaked_import_lock() -> bool:
    """Release Python's global import lock if this thread holds it outside any import.

    A KeyboardInterrupt raised inside the import machinery at the wrong bytecode (a Ctrl-C while
    the command loads) leaves the lock held by the main thread for good: any other thread that
    imports — Twisted's resolver threads do — then blocks forever, and the crawl with it.  Held
    with no other thread alive, it can only have been left so."""
    import _imp

    if threading.active_count() != 1 or not _imp.lock_held():
        return False
    released = False
    while _imp.lock_held():
        try:
            _imp.release_lock()
        except RuntimeError:  # not ours after all
            break
        released = True
    return released
