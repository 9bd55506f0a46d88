"""Issue 7: a crash never costs data — SIGKILL at random moments, then run again.

The real CLI in a subprocess is killed with SIGKILL at seeded random moments while it crawls the
feed (a synthetic corpus of the demo feed's format, first edition and then the corrected second
edition, so revisions are written while it dies), back-fills iqilu pages, imports a Jekyll
archive and exports every format; then the same command runs to completion.  After every kill
and at the end: ``PRAGMA integrity_check`` is ok, every article is stored exactly once (compared
to the corpus), no revision is lost, no export file is half-written under its final name, and
killed runs are marked interrupted.  Also: an export and a search while a crawl writes, and two
crawls started at once.
"""

from __future__ import annotations

import csv
import json
import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from qilucrawl.demo.server import DemoServer, DemoSite
from qilucrawl.extract.iqilu import iqilu_info_code
from qilucrawl.jekyll import post_filename, read_post, render_post
from qilucrawl.jobs import ExitStatus
from tests.conftest import LOCAL_SETTINGS, ROOT, run_cli

SEED = 20261122
MEDIA = ["齐鲁网", "大众日报", "齐鲁晚报", "山东商报"]
FEED_ARTICLES = 60
IQILU_ARTICLES = 30
POSTS = 300
EXPORT_ROWS = 3000
# Small batches: many commits during a run, so a kill can land between any two of them.
FAST = [*LOCAL_SETTINGS, "-s", "QILU_STORE_BATCH_SIZE=7", "-s", "QILU_PROGRESS=off", "--log-level", "ERROR"]
# The demo site's marketType=39 always answers 404 (a demo failure case): not listed here.
FEED = [*FAST, "-s", "QILU_FEED_MARKET_TYPES=37,38", "-s", "CONCURRENT_REQUESTS_PER_DOMAIN=16"]
# A back-fill resumes where the last one died, so later runs have little left to do: paced, so
# that each run still spends a while writing.
BACKFILL = [*FAST, "-s", "DOWNLOAD_DELAY=0.04", "-s", "CONCURRENT_REQUESTS_PER_DOMAIN=2"]


# --- corpora in the demo's formats, in tmp ------------------------------------------------------


def paragraph(n: int, salt: str) -> str:
    return f"\u3000\u3000第{n}段：{salt}这是合成语料里的一段正文，用来在进程被杀死的任意时刻检验存档是否完好无损。"


def write_feed_corpus(folder: Path, count: int) -> list[dict]:
    """``count`` articles in ``corpus/feed/`` format; every third one has a second edition."""
    (folder / "feed").mkdir(parents=True)
    articles = []
    start = datetime(2026, 11, 1, 8, 0, 0)
    for n in range(count):
        moment = start + timedelta(minutes=157 * n)
        code = f"NW{moment:%Y%m%d}{7000000000 + n:010d}"
        media = MEDIA[n % len(MEDIA)]
        body = "\r\n".join(f"<p>{paragraph(k, code)}</p>" for k in range(1, 4))
        body += f'\r\n<p class="em_media">（文章来源：{media}）</p>'
        corrected = body.replace("第2段：", "第2段（更正）：")
        # Each list endpoint shows its newest 100 items only: spread the corpus over three, with
        # duplicates across endpoints as the real feed has them.
        lists = [["market37"], ["market38"], ["type45"]][n % 3] + (["market37"] if n % 5 == 1 else [])
        article = {
            "info_code": code,
            "title": f"合成新闻第{n}号",
            "datetime": f"{moment:%Y-%m-%d %H:%M:%S}",
            "media": media,
            "lists": lists,
            "body_key": "text",
            "body": body,
            "digest": None,
            "fault": None,
            "edition2": {"body": corrected} if n % 3 == 0 else None,
            "expect": {"source": media, "authors": [], "must_contain": [code], "must_not_contain": ["文章来源"]},
        }
        (folder / "feed" / f"{n:03d}_synthetic.json").write_text(
            json.dumps(article, ensure_ascii=False), encoding="utf-8"
        )
        articles.append(article)
    return articles


def write_iqilu_corpus(folder: Path, count: int) -> list[dict]:
    """``count`` articles in ``corpus/iqilu/`` format; every fourth one has two pages."""
    (folder / "iqilu").mkdir(parents=True, exist_ok=True)
    articles = []
    start = datetime(2026, 11, 1, 7, 0, 0)
    for n in range(count):
        moment = start + timedelta(hours=11 * n)
        pages = [
            "".join(f"<p>{paragraph(k, f'页{page}')}</p>" for k in range(1, 4))
            for page in range(1, 3 if n % 4 == 0 else 2)
        ]
        article = {
            "id": str(5400000 + n),
            "url_style": "new" if n % 2 else "old",
            "channel": "shandong",
            "sub": "yuanchuang",
            "datetime": f"{moment:%Y-%m-%d %H:%M:%S}",
            "title": f"合成齐鲁网新闻第{n}号",
            "author": "合成记者",
            "source": "齐鲁网",
            "editor": "值班编辑",
            "pages": pages,
            "encoding": "utf-8",
            "fault": None,
            "expect": {"title": f"合成齐鲁网新闻第{n}号"},
        }
        (folder / "iqilu" / f"{n:03d}_synthetic.json").write_text(
            json.dumps(article, ensure_ascii=False), encoding="utf-8"
        )
        articles.append(article)
    return articles


def write_posts(folder: Path, count: int) -> set[str]:
    """``count`` posts of an old Jekyll archive; returns their info codes."""
    folder.mkdir(parents=True)
    codes = set()
    start = datetime(2025, 6, 1, 9, 0, 0)
    for n in range(count):
        moment = start + timedelta(hours=5 * n)
        code = f"NW{moment:%Y%m%d}{8000000000 + n:010d}"
        row = {
            "info_code": code,
            "title": f"旧站帖子第{n}号",
            "published_at": f"{moment:%Y-%m-%dT%H:%M:%S}+08:00",
            "category": "qiluwang",
            "source": "齐鲁网",
            "tags": ["齐鲁网新闻"],
            "summary": None,
            "body_html": "\n".join(f"<p>{paragraph(k, code)[2:]}</p>" for k in range(1, 4)),
            "source_url": f"http://finews.zning.xyz/html_News/NewsShare.html?infoCode={code}",
        }
        (folder / post_filename(row)).write_text(render_post(row, site_host="finews.zning.xyz"), encoding="utf-8")
        codes.add(code)
    return codes


# --- killing ------------------------------------------------------------------------------------


@dataclass
class KillLog:
    kills: int = 0
    kills_while_working: int = 0  # after the command began its work (a run row, a .part file)
    finished_before_kill: int = 0
    runs_cut: set[int] = field(default_factory=set)  # runs a kill left 'running'
    delays: list[float] = field(default_factory=list)


def cli_command(*args: object) -> list[str]:
    return [sys.executable, "-m", "qilucrawl", *map(str, args)]


# A command "works" from the moment a probe made before it started sees a new run row (or a new
# temporary export file) until that run is finished (or that file renamed into place).


class _Watch:
    def __init__(self, began, ended) -> None:
        self.began, self.ended = began, ended


def new_run(db: Path):
    def probe() -> _Watch:
        before = last_run(db)
        began = lambda: last_run(db) > before
        ended = lambda: began() and not running_after(db, before)
        return _Watch(began, ended)

    return probe


def new_part_file(folder: Path):
    def probe() -> _Watch:
        before = set(folder.rglob("*.part"))
        seen: set[Path] = set()

        def began() -> bool:
            seen.update(set(folder.rglob("*.part")) - before)
            return bool(seen)

        return _Watch(began, lambda: began() and not any(path.exists() for path in seen))

    return probe


def last_run(db: Path) -> int:
    try:
        return query(db, "SELECT COALESCE(MAX(id), 0) FROM runs")[0][0] if db.exists() else 0
    except sqlite3.OperationalError:  # no runs table yet, or busy
        return 0


def running_after(db: Path, run: int) -> bool:
    try:
        return bool(query(db, "SELECT COUNT(*) FROM runs WHERE id > ? AND status = 'running'", (run,))[0][0])
    except sqlite3.OperationalError:
        return True


def wait_until(ready, process: subprocess.Popen, limit: float = 60) -> float:
    """Seconds until ``ready()`` (or the process ends)."""
    started = time.monotonic()
    while not ready() and process.poll() is None and time.monotonic() - started < limit:
        time.sleep(0.01)
    return time.monotonic() - started


def calibrate(command: list[str], probe) -> tuple[float, float]:
    """(seconds until the work begins, seconds the work lasts) in one whole run of ``command``."""
    watch = probe()
    process = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    lead = wait_until(watch.began, process)
    work = wait_until(watch.ended, process)
    _, err = process.communicate(timeout=300)
    assert process.returncode in (0, 1), err[-2000:]
    return lead, max(work, 0.05)


def kill_at_random(
    command: list[str], rounds: int, timing: tuple[float, float], probe, rng: random.Random, log: KillLog, after_each
) -> None:
    """Start ``command`` ``rounds`` times and SIGKILL it at a random moment: one round in four
    anywhere from its start (imports, opening the archive …), the others at a random point of
    its work once it has begun; ``after_each()`` once it is dead."""
    lead, work = timing
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    for _ in range(rounds):
        watch = probe()
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        started = time.monotonic()
        if rng.random() < 0.25:
            target = started + rng.uniform(0.05, lead + work)
        else:
            wait_until(watch.began, process)
            target = time.monotonic() + rng.uniform(0, work)
        log.delays.append(round(target - started, 2))
        try:
            process.wait(timeout=max(0.0, target - time.monotonic()))
            log.finished_before_kill += 1
        except subprocess.TimeoutExpired:
            process.send_signal(signal.SIGKILL)
            process.wait()
            log.kills += 1
            log.kills_while_working += watch.began() and not watch.ended()
        assert process.returncode in (-signal.SIGKILL, 0, 1), process.returncode
        after_each()


# --- what must hold after any kill -------------------------------------------------------------


def query(db: Path, sql: str, parameters: tuple = ()) -> list[tuple]:
    conn = sqlite3.connect(db, timeout=30)
    try:
        return conn.execute(sql, parameters).fetchall()
    finally:
        conn.close()


def assert_consistent(db: Path, known: set[str]) -> None:
    """Intact file; only known articles, each once, each with the raw page of its revision."""
    if not db.exists():
        return
    assert query(db, "PRAGMA integrity_check") == [("ok",)]
    tables = {name for (name,) in query(db, "SELECT name FROM sqlite_master WHERE type = 'table'")}
    if "articles" not in tables:
        return
    codes = [code for (code,) in query(db, "SELECT info_code FROM articles")]
    assert len(codes) == len(set(codes))
    assert set(codes) <= known, set(codes) - known
    orphans = query(
        db,
        "SELECT a.info_code FROM articles a WHERE NOT EXISTS (SELECT 1 FROM pages p"
        " WHERE p.info_code = a.info_code AND p.revision = a.revision)",
    )
    assert not orphans, orphans  # an article and its raw page are written in one transaction
    gaps = query(
        db,
        "SELECT a.info_code FROM articles a WHERE a.revision > 1 AND (SELECT COUNT(*) FROM revisions r"
        " WHERE r.info_code = a.info_code) != a.revision - 1",
    )
    assert not gaps, gaps  # every earlier revision is kept
    assert len(query(db, "SELECT id FROM runs WHERE status = 'running'")) <= 1


def checker(db: Path, known: set[str], log: KillLog):
    """What runs after each kill: the consistency checks, and counting the runs it cut short."""

    def check() -> None:
        assert_consistent(db, known)
        if db.exists() and "runs" in {n for (n,) in query(db, "SELECT name FROM sqlite_master")}:
            log.runs_cut |= {run for (run,) in query(db, "SELECT id FROM runs WHERE status = 'running'")}

    return check


def assert_runs_closed(db: Path, log: KillLog) -> None:
    """No run is left 'running'; each run a kill cut short is marked interrupted."""
    statuses = [status for (status,) in query(db, "SELECT status FROM runs ORDER BY id")]
    assert statuses[-1] in ("ok", "failures"), statuses
    assert "running" not in statuses, statuses
    assert statuses.count("interrupted") == len(log.runs_cut), (statuses, log)


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    folder = tmp_path_factory.mktemp("corpus")
    feed = write_feed_corpus(folder, FEED_ARTICLES)
    iqilu = write_iqilu_corpus(folder, IQILU_ARTICLES)
    return folder, feed, iqilu


@pytest.fixture
def site(corpus):
    folder, _, _ = corpus
    with DemoServer(site=DemoSite(corpus=folder)) as server:
        yield server


# --- the kill loops ----------------------------------------------------------------------------


@pytest.mark.slow
def test_sigkill_during_feed_crawls_and_revisions_loses_nothing(corpus, site, tmp_path):
    _, feed, _ = corpus
    known = {a["info_code"] for a in feed}
    db = tmp_path / "feed.db"
    crawl = cli_command("crawl", "feed", "--db", db, "--base-url", site.url, *FEED)
    scratch = tmp_path / "calibrate.db"
    timing = calibrate(cli_command("crawl", "feed", "--db", scratch, "--base-url", site.url, *FEED), new_run(scratch))
    rng, log = random.Random(SEED), KillLog()
    kill_at_random(crawl, 4, timing, new_run(db), rng, log, checker(db, known, log))
    assert subprocess.run(crawl, cwd=ROOT, check=False, capture_output=True).returncode == ExitStatus.OK
    assert_consistent(db, known)
    assert {code for (code,) in query(db, "SELECT info_code FROM articles")} == known
    first = dict(query(db, "SELECT info_code, body_text FROM articles"))

    site.site.edition = 2  # the corrections: a refetch writes revision 2 of every third article
    refetch = [*crawl, "--refetch"]
    kill_at_random(refetch, 3, timing, new_run(db), rng, log, checker(db, known, log))
    assert subprocess.run(refetch, cwd=ROOT, check=False, capture_output=True).returncode == ExitStatus.OK
    assert_consistent(db, known)
    assert_runs_closed(db, log)
    changed = {a["info_code"] for a in feed if a["edition2"]}
    revisions = dict(query(db, "SELECT info_code, revision FROM articles"))
    assert {code for code, revision in revisions.items() if revision == 2} == changed
    assert set(revisions.values()) <= {1, 2}
    kept = dict(query(db, "SELECT info_code, body_text FROM revisions WHERE revision = 1"))
    assert set(kept) == changed and all(kept[code] == first[code] for code in changed)
    assert not query(db, "SELECT reason FROM failures")
    record_figure("feed", log)


@pytest.mark.slow
def test_sigkill_during_backfill_loses_nothing(corpus, site, tmp_path):
    _, _, iqilu = corpus
    known = {iqilu_info_code(a["id"]) for a in iqilu}
    db = tmp_path / "iqilu.db"
    backfill = cli_command("backfill", "iqilu", "--db", db, "--base-url", site.url, "--since", "2026-01-01", *BACKFILL)
    scratch = tmp_path / "calibrate.db"
    timing = calibrate(
        cli_command("backfill", "iqilu", "--db", scratch, "--base-url", site.url, "--since", "2026-01-01", *BACKFILL),
        new_run(scratch),
    )
    rng, log = random.Random(SEED + 1), KillLog()
    kill_at_random(backfill, 4, timing, new_run(db), rng, log, checker(db, known, log))
    assert subprocess.run(backfill, cwd=ROOT, check=False, capture_output=True).returncode == ExitStatus.OK
    assert_consistent(db, known)
    assert_runs_closed(db, log)
    assert {code for (code,) in query(db, "SELECT info_code FROM articles")} == known
    parts = dict(query(db, "SELECT info_code, COUNT(*) FROM pages GROUP BY info_code"))
    assert parts == {iqilu_info_code(a["id"]): len(a["pages"]) for a in iqilu}  # multi-page articles whole
    record_figure("backfill", log)


@pytest.mark.slow
def test_sigkill_during_import_loses_nothing(tmp_path):
    posts = tmp_path / "old-site" / "_posts"
    known = write_posts(posts, POSTS)
    db = tmp_path / "import.db"
    command = cli_command("import", posts, "--db", db)
    scratch = tmp_path / "calibrate.db"
    timing = calibrate(cli_command("import", posts, "--db", scratch), new_run(scratch))
    rng, log = random.Random(SEED + 2), KillLog()
    kill_at_random(command, 4, timing, new_run(db), rng, log, checker(db, known, log))
    result = subprocess.run(command, cwd=ROOT, check=False, capture_output=True, text=True)
    assert result.returncode == ExitStatus.OK, result.stderr[-2000:]
    assert_consistent(db, known)
    assert_runs_closed(db, log)
    assert {code for (code,) in query(db, "SELECT info_code FROM articles")} == known
    assert query(db, "SELECT COUNT(*) FROM revisions")[0][0] == 0  # a re-import changes nothing
    record_figure("import", log)


def build_archive(db: Path, rows: int) -> None:
    """An archive of ``rows`` articles, written through the store (the crawl's own path)."""
    from qilucrawl.clean.article import build_article
    from qilucrawl.items import FEED_TEXT, ListEntry, Page, RawArticle
    from qilucrawl.store import Store

    store = Store(db)
    start = datetime(2024, 1, 1, 8, 0, 0)
    batch = []
    for n in range(rows):
        moment = start + timedelta(minutes=97 * n)
        code = f"NW{moment:%Y%m%d}{9000000000 + n:010d}"
        raw = RawArticle(
            parser="test/V1",
            body="".join(f"<p>{paragraph(k, code)}</p>" for k in range(1, 6)),
            title=f"导出测试第{n}号",
            published=f"{moment:%Y-%m-%d %H:%M:%S}",
            source=MEDIA[n % 4],
        )
        page = Page(
            url=f"http://127.0.0.1/NewsData/GetNewsText.do?id={code}",
            body=b"{}",
            kind=FEED_TEXT,
            entry=ListEntry(code, title=f"导出测试第{n}号"),
            source_url=f"http://finews.zning.xyz/html_News/NewsShare.html?infoCode={code}",
        )
        batch.append(build_article(raw, page))
        if len(batch) == 500:
            store.save_articles(batch)
            batch = []
    store.save_articles(batch)
    store.close()


def export_formats() -> list[str]:
    from qilucrawl.exporters import FORMATS

    return list(FORMATS)


def read_export(fmt: str, out: Path) -> int:
    """Rows of a complete export; fails on a truncated or unparseable one."""
    if fmt == "jsonl":
        return sum(1 for line in out.read_text(encoding="utf-8").splitlines() if json.loads(line))
    if fmt == "csv":
        with out.open(encoding="utf-8-sig", newline="") as handle:
            return sum(1 for _ in csv.DictReader(handle))
    if fmt == "parquet":
        import pyarrow.parquet as pq

        return pq.read_table(out).num_rows
    for path in (out / "_posts").glob("*.md"):
        read_post(path.read_text(encoding="utf-8"), path.name)  # every post whole
    return len(list((out / "_posts").glob("*.md")))


def manifest_of(fmt: str, out: Path) -> Path:
    from qilucrawl.exporters import manifest_path

    return manifest_path(out, fmt)


def check_export(fmt: str, out: Path, rows: int) -> None:
    """A file under the final name is complete; a manifest that matches its file says so."""
    from qilucrawl.exporters import _digest

    if fmt == "jekyll":
        if out.exists():
            read_export(fmt, out)  # posts are written one by one, each whole
    elif out.exists():
        assert read_export(fmt, out) == rows
    manifest = manifest_of(fmt, out)
    if manifest.exists():
        data = json.loads(manifest.read_text(encoding="utf-8"))
        if data["sha256"] == _digest(out, fmt):
            assert data["rows"] == rows == read_export(fmt, out)


@pytest.fixture(scope="module")
def big_archive(tmp_path_factory) -> Path:
    db = tmp_path_factory.mktemp("export") / "big.db"
    build_archive(db, EXPORT_ROWS)
    return db


@pytest.mark.slow
@pytest.mark.parametrize("fmt", export_formats())
def test_sigkill_during_export_leaves_no_half_written_file(big_archive, tmp_path, fmt):
    out = tmp_path / ("site" if fmt == "jekyll" else f"articles.{fmt}")
    # A site is a file per article, each written and synced on its own: a sixth of the archive.
    since = ["--since", "2024-06-20"] if fmt == "jekyll" else []
    rows = (
        query(big_archive, "SELECT COUNT(*) FROM articles WHERE published_at >= ?", (since[-1],))[0][0]
        if since
        else EXPORT_ROWS
    )
    command = cli_command("export", "--db", big_archive, "--format", fmt, "--out", out, *since)
    scratch = tmp_path / "calibrate"
    scratch.mkdir()
    timing = calibrate(
        cli_command("export", "--db", big_archive, "--format", fmt, "--out", scratch / out.name, *since),
        new_part_file(scratch),
    )
    rng, log = random.Random(SEED + 3), KillLog()
    kill_at_random(command, 3, timing, new_part_file(tmp_path), rng, log, lambda: check_export(fmt, out, rows))
    assert subprocess.run(command, cwd=ROOT, check=False, capture_output=True).returncode == 0
    check_export(fmt, out, rows)
    assert read_export(fmt, out) == rows
    data = json.loads(manifest_of(fmt, out).read_text(encoding="utf-8"))
    assert data["rows"] == rows
    for leftover in out.parent.glob("*.part"):  # never under the final name, never read as an export
        assert not leftover.name.startswith(out.name) and leftover.name.startswith(".")
    record_figure(f"export {fmt}", log)


def test_a_rerun_export_cleans_up_what_a_killed_one_left(big_archive, tmp_path):
    out = tmp_path / "articles.jsonl"
    process = subprocess.Popen(
        cli_command("export", "--db", big_archive, "--format", "jsonl", "--out", out),
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 60
    while not list(tmp_path.glob(".articles.jsonl.*.part")) and time.monotonic() < deadline:
        time.sleep(0.005)
    process.send_signal(signal.SIGKILL)
    process.wait()
    assert list(tmp_path.glob("*.part")), "the kill must land while the export writes"
    assert run_cli("export", "--db", big_archive, "--format", "jsonl", "--out", out).returncode == 0
    assert not list(tmp_path.glob("*.part"))


# --- concurrency ------------------------------------------------------------------------------


def wait_for_articles(db: Path, minimum: int, process: subprocess.Popen, limit: float = 60) -> None:
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline and process.poll() is None:
        try:
            if db.exists() and query(db, "SELECT COUNT(*) FROM articles")[0][0] >= minimum:
                return
        except sqlite3.OperationalError:
            pass
        time.sleep(0.05)


@pytest.mark.slow
def test_export_and_search_while_a_crawl_writes(corpus, site, tmp_path):
    _, feed, _ = corpus
    known = {a["info_code"] for a in feed}
    db = tmp_path / "busy.db"
    # One request at a time, ~0.1 s apart: a crawl that keeps writing for several seconds.
    slow = [
        *FEED,
        "-s",
        "CONCURRENT_REQUESTS_PER_DOMAIN=1",
        "-s",
        "DOWNLOAD_DELAY=0.12",
        "-s",
        "QILU_STORE_BATCH_SIZE=3",
    ]
    crawl = subprocess.Popen(
        cli_command("crawl", "feed", "--db", db, "--base-url", site.url, *slow),
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    wait_for_articles(db, 3, crawl)
    exports, searches = [], []
    while crawl.poll() is None and len(exports) < 6:
        out = tmp_path / f"during-{len(exports)}.jsonl"
        exported = run_cli("export", "--db", db, "--format", "jsonl", "--out", out)
        assert exported.returncode == 0, exported.stderr[-2000:]
        lines = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
        assert len({r["info_code"] for r in lines}) == len(lines) and {r["info_code"] for r in lines} <= known
        exports.append(len(lines))
        found = run_cli("search", "合成语料", "--db", db, "--json", "--limit", "1000")
        assert found.returncode == 0, found.stderr[-2000:]
        hits = [json.loads(line) for line in found.stdout.splitlines() if line.strip()]
        assert {h["info_code"] for h in hits} <= known
        searches.append(len(hits))
    assert crawl.wait(timeout=300) == ExitStatus.OK, crawl.stderr.read()[-2000:]
    assert exports and min(exports) < len(known), "the exports must overlap the crawl"
    assert exports == sorted(exports)  # each export saw a consistent, growing archive
    assert_consistent(db, known)
    assert {code for (code,) in query(db, "SELECT info_code FROM articles")} == known
    final = run_cli("search", "合成语料", "--db", db, "--json", "--limit", "1000")
    assert len([line for line in final.stdout.splitlines() if line.strip()]) == len(known)
    print(f"\nexports during the crawl saw {exports} articles; searches found {searches}")


@pytest.mark.slow
def test_two_crawls_started_at_once_one_runs_one_is_locked(corpus, site, tmp_path):
    _, feed, _ = corpus
    known = {a["info_code"] for a in feed}
    db = tmp_path / "twice.db"
    slow = [*FEED, "-s", "DOWNLOAD_DELAY=0.01", "-s", "CONCURRENT_REQUESTS_PER_DOMAIN=2"]
    command = cli_command("crawl", "feed", "--db", db, "--base-url", site.url, *slow)
    both = [
        subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(2)
    ]
    results = [(p.wait(timeout=300), p.stderr.read()) for p in both]
    statuses = sorted(status for status, _ in results)
    assert statuses == [ExitStatus.OK, ExitStatus.LOCKED], results
    locked = next(err for status, err in results if status == ExitStatus.LOCKED)
    assert "locked" in locked and "Traceback" not in locked
    assert_consistent(db, known)
    assert {code for (code,) in query(db, "SELECT info_code FROM articles")} == known
    assert [s for (s,) in query(db, "SELECT status FROM runs")] == ["ok"]  # the locked one did nothing


# --- the figures for the README (shown with ``pytest -s``) -------------------------------------


def record_figure(name: str, log: KillLog) -> None:
    print(
        f"\n{name}: {log.kills} SIGKILLs, {log.kills_while_working} of them while it worked "
        f"({len(log.runs_cut)} runs cut short, {log.finished_before_kill} runs finished first), delays {log.delays}"
    )
