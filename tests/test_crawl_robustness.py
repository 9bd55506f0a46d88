"""A crawl under the faults a cron crawler meets: what it leaves on the machine, slow sources, an
archive it cannot write, lock files tampered with, hostile list endpoints, odd infoCodes, signals
at any moment, a clock that was behind, redirect loops, and ``scrapy crawl`` run by hand.

Every crawl is the real CLI (or ``scrapy crawl``) in a subprocess against a real HTTP server on
127.0.0.1, into a real SQLite file.  Waits have generous deadlines; nothing is timed.
"""

from __future__ import annotations

import json
import os
import random
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from qilucrawl.clean.dates import BEIJING, parse_datetime
from qilucrawl.demo.iqilu_pages import IqiluArticle, article_page, list_page
from qilucrawl.demo.server import DemoServer
from qilucrawl.extract.iqilu import iqilu_info_code
from qilucrawl.items import FLAG_FUTURE
from qilucrawl.jobs import ExitStatus
from tests.conftest import LOCAL_SETTINGS, ROOT, rows
from tests.hostile_server import HostileServer, Reply

TEXT_PATH = "/NewsData/GetNewsText.do?id={code}"
MARKET_PATH = "/information/newmarket/web/webapi?marketType={n}&count=100"
WEBAPI_PATH = "/web/webapi?type={n}&count=100&newsid=1"
IQILU_LIST = "/shandong/yuanchuang/list_564_{n}.shtml"
# One market list (37) and one empty webapi list (45): the feed of these tests.
ONE_LIST = ["-s", "QILU_FEED_MARKET_TYPES=37", "-s", "QILU_FEED_WEBAPI_TYPES=45"]
QUIET = ["-s", "QILU_PROGRESS=off"]
LIST_TIME = "2026-11-16 10:00:00"


def code(n: int) -> str:
    return f"NW20261116{n:010d}"


def item(info_code: str, n: int = 0) -> dict:
    return {"infoCode": info_code, "title": f"稳健性测试文章{n}", "datetime": LIST_TIME, "medianame": "齐鲁网"}


def good_text(info_code: str) -> bytes:
    body = (
        "<p>\u3000\u3000这是稳健性测试的正文，用来检验抓取在各种故障之下照常入库保存，不丢不重。</p>\r\n"
        f"<p>\u3000\u3000编号{info_code}的第二段。</p>\r\n"
        '<p class="em_media">（文章来源：齐鲁网）</p>'
    )
    return json.dumps({"text": body}, ensure_ascii=False).encode("utf-8")


def serve_feed(server: HostileServer, items: list[dict], *, texts: bool = True) -> None:
    """List 37 holds ``items``, list 45 is empty; with ``texts``, every text endpoint answers."""
    server.serve(MARKET_PATH.format(n=37), Reply(body=json.dumps({"record": items}, ensure_ascii=False).encode()))
    server.serve(WEBAPI_PATH.format(n=45), Reply(body=b'{"nodeList": []}'))
    if texts:
        prefix = TEXT_PATH.format(code="")
        server.fallback(lambda t: Reply(body=good_text(t[len(prefix) :])) if t.startswith(prefix) else None)


def cli(*args: object) -> list[str]:
    return [sys.executable, "-m", "qilucrawl", *map(str, args)]


def crawl_feed(db: Path, url: str, *extra: object) -> list[str]:
    return cli("crawl", "feed", "--db", db, "--base-url", url, *LOCAL_SETTINGS, *QUIET, *extra)


def env(**extra: str) -> dict[str, str]:
    """This checkout first on the path (whatever the working directory), unbuffered output."""
    return {**os.environ, "PYTHONPATH": str(ROOT), "PYTHONUNBUFFERED": "1", **extra}


def run(command: list[str], *, cwd: Path = ROOT, timeout: float = 180, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run(
        command,
        check=False,
        cwd=cwd,
        env=kwargs.pop("env", env()),
        capture_output=True,
        text=True,
        timeout=timeout,
        **kwargs,
    )


def start(command: list[str], *, cwd: Path = ROOT, **kwargs) -> subprocess.Popen:
    return subprocess.Popen(
        command,
        cwd=cwd,
        env=kwargs.pop("env", env()),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        **kwargs,
    )


def query(db: Path, sql: str, params: tuple = ()) -> list[dict]:
    """rows(), or nothing while the archive or its tables do not exist yet."""
    try:
        return rows(db, sql, params) if db.exists() else []
    except sqlite3.OperationalError:
        return []


def wait_for(condition: Callable[[], object], deadline: float = 90, what: str = "") -> None:
    """Poll ``condition`` until it holds; a generous deadline turns a hang into a failure."""
    end = time.monotonic() + deadline
    while not condition():
        if time.monotonic() > end:
            pytest.fail(f"gave up waiting for {what or condition}")
        time.sleep(0.05)


def finish(process: subprocess.Popen, timeout: float = 120) -> tuple[int, str, str]:
    try:
        out, err = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        out, err = process.communicate()
        pytest.fail(f"the crawl did not end within {timeout}s; stderr:\n{err[-3000:]}")
    return process.returncode, out, err


@pytest.fixture
def server() -> Iterator[HostileServer]:
    with HostileServer() as hostile:
        yield hostile


# --- 1. No listening socket, nothing written outside the archive and its log -------------------


def listening_ports(pid: int) -> list[int]:
    """TCP ports the process listens on: its socket descriptors that are LISTEN sockets."""
    inodes = set()
    try:
        descriptors = list(Path(f"/proc/{pid}/fd").iterdir())
    except OSError:
        return []
    for fd in descriptors:
        try:
            target = os.readlink(fd)
        except OSError:
            continue
        if target.startswith("socket:["):
            inodes.add(target[len("socket:[") : -1])
    ports = []
    for table in ("tcp", "tcp6"):
        try:
            lines = Path(f"/proc/{pid}/net/{table}").read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            fields = line.split()
            if fields[3] == "0A" and fields[9] in inodes:  # 0A: LISTEN
                ports.append(int(fields[1].rsplit(":", 1)[1], 16))
    return ports


def all_files(folder: Path) -> list[str]:
    return sorted(str(path.relative_to(folder)) for path in folder.rglob("*"))


@pytest.mark.skipif(not Path("/proc/self/net/tcp").exists(), reason="needs /proc (Linux)")
def test_a_crawl_listens_on_no_port_and_writes_nothing_outside_the_archive_and_its_log(tmp_path):
    home, work, scratch = tmp_path / "home", tmp_path / "work", tmp_path / "tmp"
    for folder in (home, work, scratch):
        folder.mkdir()
    clean_env = {k: v for k, v in env().items() if not k.startswith("XDG_")}
    clean_env.update(HOME=str(home), TMPDIR=str(scratch))
    slow = ["-s", "DOWNLOAD_DELAY=0.1", "-s", "CONCURRENT_REQUESTS_PER_DOMAIN=1", "--log-file", "crawl.log"]
    with DemoServer() as demo:
        process = start(crawl_feed(Path("archive.db"), demo.url, *slow), cwd=work, env=clean_env)
        listening: set[int] = set()
        polls_while_crawling = 0
        while process.poll() is None:
            ports = listening_ports(process.pid)
            listening.update(ports)
            if any(r["status"] == "running" for r in query(work / "archive.db", "SELECT status FROM runs")):
                polls_while_crawling += 1
            time.sleep(0.05)
        status, _, stderr = finish(process)
    assert status == ExitStatus.FAILURES, stderr[-3000:]  # the demo site's planted failures
    assert polls_while_crawling > 10  # the sockets were looked at while it crawled
    assert listening == set(), f"the crawl listened on {sorted(listening)}"
    assert all_files(home) == [] and all_files(scratch) == []
    assert set(all_files(work)) <= {"archive.db", "archive.db-wal", "archive.db-shm", "archive.db.lock", "crawl.log"}
    assert "remote_control" not in (work / "crawl.log").read_text(encoding="utf-8")


# --- 2. Fetched articles are stored within seconds, not only every 50 ---------------------------


def test_a_slow_crawl_stores_what_it_fetched_within_seconds(server, tmp_path):
    db, release = tmp_path / "archive.db", threading.Event()
    fast, slow = code(1), code(2)
    serve_feed(server, [item(fast, 1), item(slow, 2)])

    def held_back(target: str) -> Reply | None:
        if target == TEXT_PATH.format(code=slow):
            release.wait(120)  # answered only once the test has seen the first article stored
            return Reply(body=good_text(slow))
        return None

    server.fallbacks.insert(0, held_back)
    process = start(
        crawl_feed(db, server.url, *ONE_LIST, "-s", "QILU_STORE_FLUSH_SECONDS=1", "-s", "DOWNLOAD_TIMEOUT=150")
    )
    try:
        stored = lambda: query(db, "SELECT info_code FROM articles")
        wait_for(lambda: stored() or process.poll() is not None, 60, "the first article in the archive")
        assert [r["info_code"] for r in stored()] == [fast], "stored only once the crawl ended"
        assert process.poll() is None and not release.is_set()  # still crawling, the second still held
    finally:
        release.set()
    status, _, stderr = finish(process)
    assert status == ExitStatus.OK, stderr[-3000:]
    assert {r["info_code"] for r in rows(db, "SELECT info_code FROM articles")} == {fast, slow}


# --- 3. A write that fails mid-crawl fails the run, and loses nothing ----------------------------


def test_a_store_write_that_fails_mid_crawl_stops_the_run_with_exit_4_and_loses_nothing(server, tmp_path):
    db, log, lists_go = tmp_path / "archive.db", tmp_path / "crawl.log", threading.Event()
    codes = [code(n) for n in range(1, 6)]
    serve_feed(server, [item(c, n) for n, c in enumerate(codes)])

    def list_held(target: str) -> Reply | None:
        if target == MARKET_PATH.format(n=37):
            lists_go.wait(120)  # until the test holds the archive's write lock
            return Reply(body=json.dumps({"record": [item(c, n) for n, c in enumerate(codes)]}).encode())
        return None

    server.routes.pop(MARKET_PATH.format(n=37))
    server.fallbacks.insert(0, list_held)
    busy = ["-s", "QILU_STORE_BUSY_TIMEOUT=1", "-s", "QILU_STORE_BATCH_SIZE=1", "--log-file", log]
    process = start(crawl_feed(db, server.url, *ONE_LIST, *busy))
    blocker = None
    try:
        wait_for(lambda: query(db, "SELECT id FROM runs WHERE status = 'running'"), 60, "the run to start")
        blocker = sqlite3.connect(db, timeout=30, isolation_level=None)
        blocker.execute("BEGIN IMMEDIATE")  # another writer holds the archive, past the busy timeout
        lists_go.set()
        said = lambda: log.exists() and "cannot write the archive" in log.read_text(encoding="utf-8")
        wait_for(lambda: said() or process.poll() is not None, 90, "the crawl to say it cannot write")
    finally:
        lists_go.set()
        if blocker is not None:
            blocker.execute("ROLLBACK")
            blocker.close()
    status, stdout, stderr = finish(process)
    assert status == ExitStatus.ERROR, stdout + stderr[-3000:]
    assert "Traceback" not in stderr and "Traceback" not in log.read_text(encoding="utf-8")
    said_lines = [line for line in log.read_text(encoding="utf-8").splitlines() if "cannot write the archive" in line]
    assert len(said_lines) == 1 and str(db) in said_lines[0] and "database is locked" in said_lines[0], said_lines
    (first,) = rows(db, "SELECT * FROM runs")
    assert first["status"] == "interrupted" and "— interrupted" in stdout
    assert rows(db, "SELECT stage FROM failures WHERE run_id = ?", (first["id"],)) == [{"stage": "store"}]
    # Nothing lost: what this run could not write, the next one does.
    again = run(crawl_feed(db, server.url, *ONE_LIST))
    assert again.returncode == ExitStatus.OK, again.stderr[-3000:]
    assert sorted(r["info_code"] for r in rows(db, "SELECT info_code FROM articles")) == codes


# --- 4. An archive that cannot be written is said in one line, before the crawl starts ----------


@pytest.fixture
def unwritable(tmp_path) -> Iterator[Path]:
    """An archive file this process cannot write: immutable for root, read-only for the others."""
    from qilucrawl.store import Store

    db = tmp_path / "archive.db"
    Store(db).close()
    if os.geteuid() == 0:
        if subprocess.run(["chattr", "+i", str(db)], capture_output=True, check=False).returncode != 0:
            pytest.skip("root, and chattr +i is not available here")
    else:
        db.chmod(0o444)
    try:
        yield db
    finally:
        if os.geteuid() == 0:
            subprocess.run(["chattr", "-i", str(db)], capture_output=True, check=False)
        db.chmod(0o644)


def test_an_archive_that_cannot_be_written_is_said_in_one_line_before_the_crawl_starts(unwritable):
    with DemoServer() as demo:
        result = run(crawl_feed(unwritable, demo.url, "--log-level", "INFO"))
        requests = list(demo.site.requests)
    assert result.returncode == ExitStatus.ERROR, result.stderr[-3000:]
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr[-3000:]
    assert str(unwritable) in lines[0] and "cannot be written" in lines[0]
    assert "Traceback" not in result.stderr and "Scrapy" not in result.stderr
    assert requests == []  # the crawl never started


# --- 5. The lock: a symlinked lock file, a deleted one, a symlinked --db --------------------------


def hold_lock(db: Path) -> subprocess.Popen:
    """Another process holding the archive's run lock (until it is killed)."""
    script = f"from qilucrawl.lock import RunLock; import time\nwith RunLock({str(db)!r}):\n"
    holder = start([sys.executable, "-c", script + "    print('held', flush=True); time.sleep(120)"])
    assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
    return holder


def test_the_lock_file_is_never_followed_through_a_symlink(tmp_path):
    db, precious = tmp_path / "archive.db", tmp_path / "precious.txt"
    precious.write_text("do not truncate me\n")
    Path(f"{db}.lock").symlink_to(precious)
    with DemoServer() as demo:
        result = run(crawl_feed(db, demo.url))
    assert precious.read_text() == "do not truncate me\n"
    assert result.returncode == ExitStatus.ERROR, result.stderr[-3000:]
    assert "symbolic link" in result.stderr and "Traceback" not in result.stderr


def test_a_deleted_lock_file_does_not_let_a_second_crawl_run(tmp_path):
    db = tmp_path / "archive.db"
    holder = hold_lock(db)
    try:
        Path(f"{db}.lock").unlink(missing_ok=True)  # a clean-up script, or a person, removed it
        with DemoServer() as demo:
            result = run(crawl_feed(db, demo.url))
            requests = list(demo.site.requests)
    finally:
        holder.kill()
        holder.communicate()
    assert result.returncode == ExitStatus.LOCKED, result.stderr[-3000:]
    assert requests == []


def test_a_symlinked_db_is_the_same_archive_and_the_same_lock(tmp_path):
    db, link = tmp_path / "archive.db", tmp_path / "link.db"
    link.symlink_to(db)
    holder = hold_lock(db)
    try:
        with DemoServer() as demo:
            result = run(crawl_feed(link, demo.url))
    finally:
        holder.kill()
        holder.communicate()
    assert result.returncode == ExitStatus.LOCKED, result.stderr[-3000:]
    # Within one process the lock stays re-entrant, whichever name the archive is given.
    script = f"from qilucrawl.lock import RunLock\nwith RunLock({str(db)!r}), RunLock({str(link)!r}):\n"
    child = run([sys.executable, "-c", script + "    print('both')"])
    assert child.stdout.strip() == "both", child.stderr


# --- 6. Hostile list answers: items and failures capped per response -----------------------------


def test_a_list_of_a_million_bad_items_costs_one_summary_not_a_million_rows(server, tmp_path):
    db = tmp_path / "archive.db"
    bad = json.dumps({"record": [{"infoCode": f"bad{n}", "title": "坏"} for n in range(200_000)]}).encode()
    server.serve(MARKET_PATH.format(n=38), Reply(body=bad))
    serve_feed(server, [item(code(n), n) for n in range(1, 51)])
    lists = ["-s", "QILU_FEED_MARKET_TYPES=37,38", "-s", "QILU_FEED_WEBAPI_TYPES=45"]
    result = run(crawl_feed(db, server.url, *lists, "-s", "QILU_FEED_MAX_LIST_ITEMS=30"), timeout=300)
    assert result.returncode == ExitStatus.FAILURES, result.stderr[-3000:]
    failures = rows(db, "SELECT url, reason FROM failures ORDER BY id")
    from_bad = [f["reason"] for f in failures if "marketType=38" in f["url"]]
    assert len(from_bad) == 21, from_bad[-3:]  # QILU_FEED_MAX_LIST_FAILURES one by one, then one summary
    assert "200000 items" in from_bad[-1] and "first 30" in from_bad[-1] and "10 more bad items" in from_bad[-1]
    from_good = [f["reason"] for f in failures if "marketType=37" in f["url"]]
    assert len(from_good) == 1 and "50 items" in from_good[0] and "first 30" in from_good[0], from_good
    assert len(rows(db, "SELECT 1 FROM articles")) == 30


@pytest.mark.slow
def test_five_15_mb_lists_of_bad_items_stay_in_bounded_memory(server, tmp_path):
    db = tmp_path / "archive.db"
    # A million bad items in just under DOWNLOAD_MAXSIZE (16 MB), as in the report.
    body = json.dumps({"record": [{"id": n} for n in range(1_000_000, 2_000_000)]}, separators=(",", ":"))
    assert 13_500_000 < len(body) < 16 * 1024 * 1024
    (tmp_path / "list.json").write_text(body)
    for n in range(40, 45):
        server.serve(MARKET_PATH.format(n=n), Reply(body=tmp_path / "list.json"))
    server.serve(WEBAPI_PATH.format(n=45), Reply(body=b'{"nodeList": []}'))
    lists = ["-s", "QILU_FEED_MARKET_TYPES=40,41,42,43,44", "-s", "QILU_FEED_WEBAPI_TYPES=45"]
    measured = (
        "import resource, subprocess, sys\n"
        "done = subprocess.run(sys.argv[1:], capture_output=True, text=True)\n"
        "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)\n"
        "sys.stderr.write(done.stderr); sys.exit(done.returncode)\n"
    )
    result = run([sys.executable, "-c", measured, *crawl_feed(db, server.url, *lists)], timeout=600)
    assert result.returncode == ExitStatus.FAILURES, result.stderr[-3000:]
    peak_mb = int(result.stdout.split()[-1]) / 1024
    print(f"five 15 MB lists of bad items: peak RSS {peak_mb:.0f} MB")  # the README's figure (-s)
    assert peak_mb < 1024, f"peak RSS {peak_mb:.0f} MB"
    assert len(rows(db, "SELECT 1 FROM failures")) == 5 * 21


# --- 7. infoCodes: ASCII digits only ---------------------------------------------------------------


def test_info_codes_with_non_ascii_digits_are_refused_by_item(server, tmp_path):
    db = tmp_path / "archive.db"
    digits = "202611160000000001"
    full_width = "".join(chr(ord(d) + 0xFEE0) for d in digits)  # ２０２６…
    arabic_indic = "".join(chr(ord(d) - ord("0") + 0x0660) for d in digits)  # ٢٠٢٦…
    items = [item("NW" + digits, 0), item("NW" + full_width, 1), item("NW" + arabic_indic, 2), item(full_width, 3)]
    serve_feed(server, items)
    result = run(crawl_feed(db, server.url, *ONE_LIST))
    assert result.returncode == ExitStatus.FAILURES, result.stderr[-3000:]
    assert [r["info_code"] for r in rows(db, "SELECT info_code FROM articles")] == ["NW" + digits]
    reasons = sorted(r["reason"] for r in rows(db, "SELECT reason FROM failures WHERE stage = 'list'"))
    assert [reason.split(":")[0] for reason in reasons] == ["item 1", "item 2", "item 3"], reasons
    assert all("ASCII" in reason for reason in reasons)
    asked = [t for t in server.targets() if t.startswith(TEXT_PATH.format(code=""))]
    assert asked == [TEXT_PATH.format(code="NW" + digits)]


# --- 8. A signal at any moment ends the run within seconds, marked interrupted ------------------


def signal_trial(url: str, db: Path, signum: int, *, after: float, from_run: bool) -> None:
    """One polite demo crawl, signalled ``after`` seconds into the process (or into its run)."""
    process = start(crawl_feed(db, url, *polite_again()))
    if from_run:
        wait_for(lambda: query(db, "SELECT id FROM runs") or process.poll() is not None, 60, "the run")
    time.sleep(after)
    process.send_signal(signum)
    status, stdout, stderr = finish(process, timeout=30)  # ends within seconds, never hangs
    where = f"{signal.Signals(signum).name} {after:.2f}s into the {'run' if from_run else 'process'}"
    assert status == ExitStatus.ERROR, f"{where}: exit {status}\n{stdout}{stderr[-3000:]}"
    assert "Traceback" not in stderr, f"{where}:\n{stderr[-3000:]}"
    statuses = [r["status"] for r in query(db, "SELECT status FROM runs")]
    assert statuses in ([], ["interrupted"]), f"{where}: runs {statuses}"


def polite_again() -> list[str]:
    """The default politeness back (a delay between requests): the lists take seconds."""
    return ["-s", "DOWNLOAD_DELAY=1", "-s", "AUTOTHROTTLE_ENABLED=True", "-s", "CONCURRENT_REQUESTS_PER_DOMAIN=2"]


def test_a_signal_ends_a_feed_crawl_within_seconds_marked_interrupted(tmp_path):
    trials = [
        (signal.SIGTERM, 0.3, False),  # while the command is still loading
        (signal.SIGINT, 0.8, False),
        (signal.SIGINT, 0.0, True),  # the run just started: the lists are on their way
        (signal.SIGTERM, 0.7, True),
        (signal.SIGINT, 2.5, True),
    ]
    with DemoServer() as demo:
        for number, (signum, after, from_run) in enumerate(trials):
            signal_trial(demo.url, tmp_path / f"trial{number}.db", signum, after=after, from_run=from_run)


# Seeded random moments on top of the fixed ones above.  The long loop (40 trials from the same
# seed, these six first) is a benchmark: `python -m bench.signal_stop` (bench/README.md).
RANDOM_SIGNALS = 6


@pytest.mark.slow
def test_signals_at_random_moments_each_end_the_crawl_within_seconds(tmp_path):
    chance = random.Random(20261204)
    with DemoServer() as demo:
        for number in range(RANDOM_SIGNALS):
            signum = chance.choice([signal.SIGINT, signal.SIGTERM])
            signal_trial(
                demo.url, tmp_path / f"trial{number}.db", signum, after=chance.uniform(0.3, 1.2), from_run=False
            )


# --- 9. An article stored while the clock was behind is fetched again once its time has come -----


# How long the article stays "in the future" after the crawl's first request: enough for that
# crawl to fetch and store it (well under a second here), short enough not to wait long for the
# second crawl.
AHEAD_SECONDS = 10


def test_an_iqilu_article_stored_with_a_time_in_the_future_is_refetched_once_it_is_not(server, tmp_path):
    db = tmp_path / "archive.db"
    made: dict = {}
    lock = threading.Lock()

    def pages() -> dict:
        """The list and the article, made at the first request the crawl sends (not before its
        command has loaded): more than a day ahead (the clock-skew tolerance), "in the future"
        for AHEAD_SECONDS more."""
        with lock:
            if made:
                return made
            ahead = timedelta(days=1, seconds=AHEAD_SECONDS)
            moment = (datetime.now(BEIJING) + ahead).replace(microsecond=0, tzinfo=None)
            stamp = f"{moment:%Y-%m-%d %H:%M:%S}"
            article = IqiluArticle(
                id="5400001", url_style="new", channel="shandong", sub="yuanchuang", datetime=stamp,
                title="时钟慢了一天时入库的文章", author="记者", source="齐鲁网", editor=None,
                pages=["<p>\u3000\u3000这篇文章入库时，抓取机器的时钟慢了一天多，发布时间看上去还在将来。</p>"],
                encoding="utf-8", fault=None, expect=None,
            )  # fmt: skip
            # The list's time to the second, as the article page gives it.
            listing = (list_page([article], 1) or "").replace(f"{stamp[:16]}</span>", f"{stamp}</span>")
            bodies = {IQILU_LIST.format(n=1): listing, article.path(): article_page(article, 1) or ""}
            html = "text/html; charset=utf-8"
            replies = {path: Reply(body=text.replace("{charset}", "utf-8").encode(), content_type=html)
                       for path, text in bodies.items()}  # fmt: skip
            made.update(moment=moment, stamp=stamp, path=article.path(), replies=replies)
            return made

    server.fallback(lambda target: pages()["replies"].get(target))
    info_code = iqilu_info_code("5400001")
    crawl = cli("crawl", "iqilu", "--db", db, "--base-url", server.url, *LOCAL_SETTINGS, *QUIET)

    first = run(crawl)
    assert first.returncode == ExitStatus.OK, first.stderr[-3000:]
    (stored,) = rows(db, "SELECT published_at, quality_flags FROM articles WHERE info_code = ?", (info_code,))
    assert FLAG_FUTURE in json.loads(stored["quality_flags"]), stored  # else the machine was too slow to tell
    moment, stamp, path = made["moment"], made["stamp"], made["path"]

    wait_for(lambda: parse_datetime(stamp).ok, 90, "the article's time to come")
    second = run(crawl)
    assert second.returncode == ExitStatus.OK, second.stderr[-3000:]
    (stored,) = rows(db, "SELECT published_at, quality_flags, revision FROM articles WHERE info_code = ?", (info_code,))
    assert stored["published_at"] == f"{moment:%Y-%m-%dT%H:%M:%S}+08:00"
    assert FLAG_FUTURE not in json.loads(stored["quality_flags"]) and stored["revision"] == 2
    assert server.targets().count(path) == 2
    third = run(crawl)  # and then it is known: not fetched a third time
    assert third.returncode == ExitStatus.OK and server.targets().count(path) == 2


# --- 10. A redirect back to an already-requested URL is recorded, never dropped ----------------


def test_redirect_loops_are_recorded_as_failures_and_no_article_vanishes(server, tmp_path):
    db = tmp_path / "archive.db"
    itself, loop, onward, good = code(1), code(2), code(3), code(4)
    serve_feed(server, [item(c, n) for n, c in enumerate([itself, loop, onward, good])])

    def redirect(source: str, target: str) -> None:
        server.serve(source, Reply(302, b"", "text/html", {"Location": f"{server.url}{target}"}))

    redirect(TEXT_PATH.format(code=itself), TEXT_PATH.format(code=itself))
    redirect(TEXT_PATH.format(code=loop), "/moved/b")
    redirect("/moved/b", TEXT_PATH.format(code=loop))
    # A redirect to a URL another article was (or will be) fetched from: followed.
    redirect(TEXT_PATH.format(code=onward), TEXT_PATH.format(code=good))
    result = run(crawl_feed(db, server.url, *ONE_LIST))
    assert result.returncode == ExitStatus.FAILURES, result.stderr[-3000:]
    stored = {r["info_code"] for r in rows(db, "SELECT info_code FROM articles")}
    failed = {r["info_code"]: r["reason"] for r in rows(db, "SELECT info_code, reason FROM failures")}
    assert stored == {onward, good}
    assert set(failed) == {itself, loop}
    assert all("redirect loop" in reason for reason in failed.values()), failed


# --- 11. `scrapy crawl` exits like `qilucrawl crawl` ---------------------------------------------


def scrapy_crawl(url: str, db: Path, *extra: str) -> subprocess.CompletedProcess:
    return run([sys.executable, "-m", "scrapy", "crawl", "feed", "-a", f"base_url={url}", "-s", f"QILU_DB_PATH={db}",
                "-s", "LOG_LEVEL=WARNING", *LOCAL_SETTINGS, *QUIET, *extra])  # fmt: skip


def test_scrapy_crawl_exits_with_the_documented_statuses(server, tmp_path):
    with DemoServer() as demo:
        failures = scrapy_crawl(demo.url, tmp_path / "demo.db")
    assert failures.returncode == ExitStatus.FAILURES, failures.stderr[-3000:]
    assert rows(tmp_path / "demo.db", "SELECT status FROM runs") == [{"status": "failures"}]

    serve_feed(server, [item(code(1), 1)])
    clean = scrapy_crawl(server.url, tmp_path / "clean.db", *ONE_LIST)
    assert clean.returncode == ExitStatus.OK, clean.stderr[-3000:]

    holder = hold_lock(tmp_path / "clean.db")
    try:
        locked = scrapy_crawl(server.url, tmp_path / "clean.db", *ONE_LIST)
    finally:
        holder.kill()
        holder.communicate()
    assert locked.returncode == ExitStatus.LOCKED, locked.stderr[-3000:]
    assert len(rows(tmp_path / "clean.db", "SELECT 1 FROM runs")) == 1


def test_crawl_iqilu_with_refetch_rereads_the_newest_pages_and_still_stops_where_nothing_is_new(tmp_path):
    db = tmp_path / "archive.db"
    with DemoServer() as demo:
        crawl = cli("crawl", "iqilu", "--db", db, "--base-url", demo.url, *LOCAL_SETTINGS, *QUIET)
        first = run(crawl)
        assert first.returncode == ExitStatus.FAILURES, first.stderr[-3000:]  # the demo's off-site redirect
        before = len(demo.site.requests)
        again = run([*crawl, "-s", "QILU_REFETCH=True"])  # what `crawl iqilu --refetch` sets
        asked = demo.site.requests[before:]
    assert again.returncode in (ExitStatus.OK, ExitStatus.FAILURES), again.stderr[-3000:]
    assert [r for r in asked if "list_564_" in r] == [IQILU_LIST.format(n=1)]  # not the whole site
    last = rows(db, "SELECT * FROM runs ORDER BY id DESC LIMIT 1")[0]
    assert last["unchanged"] >= 4 and last["new"] == 0  # page 1's articles read again, stored unchanged
