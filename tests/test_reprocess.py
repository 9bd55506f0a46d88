"""`qilucrawl reprocess`: the archive re-cleaned from its own raw pages, through the real CLI.

"An older parser" is made the way it shows in a real archive: stored versions whose fields
are not what today's parsers make of the same pages (the rows are changed in SQL; the pages,
the parsers and the save path are the real ones).
"""

from __future__ import annotations

import json
import random
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
import zlib
from pathlib import Path

import pytest

from qilucrawl.extract import parser_versions
from qilucrawl.fulltext import index_rows, unindex
from tests.conftest import LOCAL_SETTINGS, ROOT, rows, run_cli

TAIL = "（旧版解析器留下的一句页脚）"


@pytest.fixture(scope="module")
def crawled(tmp_path_factory) -> Path:
    """The demo site crawled once (feed and iqilu)."""
    folder = tmp_path_factory.mktemp("reprocess")
    result = run_cli("demo", "--db", folder / "demo.db", "--out", folder / "demo.jsonl", *LOCAL_SETTINGS[:4])
    assert result.returncode == 0, result.stderr
    return folder / "demo.db"


@pytest.fixture
def archive(crawled, tmp_path) -> Path:
    db = tmp_path / "archive.db"
    shutil.copy(crawled, db)
    return db


def age(db: Path, codes: list[str] | None = None, *, content: bool = True) -> list[str]:
    """Make these articles (default: three) look as an older parser stored them: a page footer
    left in the body, a wrong author.  (Not the title: a feed article's comes from its list.)"""
    conn = sqlite3.connect(db)
    try:
        if codes is None:
            codes = [r[0] for r in conn.execute("SELECT info_code FROM articles ORDER BY rowid LIMIT 3")]
        unindex(conn, codes)  # the search index holds the text as stored: keep it so
        for code in codes:
            conn.execute("UPDATE articles SET parser = replace(parser, '_1', '') WHERE info_code = ?", [code])
            if content:
                conn.execute(
                    "UPDATE articles SET body_text = body_text || ?, authors = '[\"旧解析器\"]',"
                    " content_hash = 'old-' || info_code WHERE info_code = ?",
                    [f"\n\n{TAIL}", code],
                )
        marks = ",".join("?" * len(codes))
        stored = conn.execute(
            f"SELECT info_code, published_at, source, title, body_text FROM articles WHERE info_code IN ({marks})",
            codes,
        ).fetchall()
        index_rows(conn, stored)
        conn.commit()
    finally:
        conn.close()
    return codes


def reprocess(db: Path, *args: object):
    return run_cli("reprocess", "--db", db, *args)


def test_a_dry_run_says_what_would_change_and_writes_nothing(archive):
    aged = age(archive)
    before = archive.read_bytes()
    result = reprocess(archive, "--dry-run", "--json", "--workers", "2")
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["counts"]["updated"] == len(aged) and report["run"] is None
    assert report["by_field"]["authors"] == report["by_field"]["body_text"] == len(aged)
    example = report["examples"][0]
    assert example["info_code"] in aged and example["authors"][0] == ["旧解析器"]
    assert example["body_text"][0].endswith(TAIL) and not example["body_text"][1].endswith(TAIL)
    assert sum(counts.get("updated", 0) for counts in report["by_parser"].values()) == len(aged)
    assert archive.read_bytes() == before  # not a byte written
    text = reprocess(archive, "--dry-run").stdout
    assert f"{len(aged)} would change" in text and "body_text" in text


def test_changed_articles_become_revisions_and_a_second_run_changes_nothing(archive):
    aged = age(archive)
    result = reprocess(archive, "--workers", "2")
    assert result.returncode == 0, result.stderr
    assert f"{len(aged)} changed" in result.stdout
    current = {r["info_code"]: r for r in rows(archive, "SELECT * FROM articles")}
    for code in aged:
        assert "旧解析器" not in current[code]["authors"] and TAIL not in current[code]["body_text"]
        assert (
            current[code]["revision"] == 2
            and current[code]["parser"] in parser_versions().values()
            or "+" in (current[code]["parser"])
        )
    kept = rows(archive, "SELECT info_code, revision, body_text FROM revisions")
    assert sorted(r["info_code"] for r in kept) == sorted(aged) and all(r["body_text"].endswith(TAIL) for r in kept)
    (run,) = rows(archive, "SELECT * FROM runs WHERE spider = 'reprocess'")
    assert run["status"] == "ok" and run["updated"] == len(aged)
    assert json.loads(run["args"])["versions"] == parser_versions()
    again = reprocess(archive, "--json")
    assert json.loads(again.stdout)["counts"].get("updated", 0) == 0
    assert len(rows(archive, "SELECT 1 FROM revisions")) == len(aged)


def test_outdated_re_cleans_only_what_an_older_revision_read(archive):
    aged = age(archive, content=False)  # the same content, read by an older revision
    first = json.loads(reprocess(archive, "--outdated", "--json").stdout)
    assert first["examined"] == len(aged) and first["counts"] == {"unchanged": len(aged)}
    assert rows(archive, "SELECT 1 FROM revisions") == []  # no revision for the same content
    assert json.loads(reprocess(archive, "--outdated", "--json").stdout)["examined"] == 0


def test_a_worse_result_is_refused_and_recorded(archive):
    (code,) = age(
        archive,
        [rows(archive, "SELECT info_code FROM articles WHERE parser LIKE 'feed_text%' LIMIT 1")[0]["info_code"]],
    )
    conn = sqlite3.connect(archive)
    conn.execute("UPDATE pages SET body = ? WHERE info_code = ?", [zlib.compress(b'{"text": "<p>\\u77ed</p>"}'), code])
    conn.commit()
    conn.close()
    result = reprocess(archive, "--info-code", code, "--json")
    report = json.loads(result.stdout)
    assert report["counts"] == {"refused": 1}, report
    assert rows(archive, "SELECT body_text FROM articles WHERE info_code = ?", [code])[0]["body_text"].endswith(TAIL)
    failure = rows(archive, "SELECT stage, reason FROM failures WHERE info_code = ? AND stage = 'store'", [code])
    assert failure and "stub" in failure[0]["reason"]
    assert result.returncode == 1  # some pages failed, as for a crawl


def test_selection_by_parser_and_info_code(archive):
    iqilu = len(rows(archive, "SELECT 1 FROM articles WHERE parser LIKE 'iqilu/%'"))
    assert json.loads(reprocess(archive, "--parser", "iqilu", "--dry-run", "--json").stdout)["examined"] == iqilu > 0
    code = rows(archive, "SELECT info_code FROM articles LIMIT 1")[0]["info_code"]
    assert json.loads(reprocess(archive, "--info-code", code, "--dry-run", "--json").stdout)["examined"] == 1


def test_imported_posts_are_re_cleaned_from_the_post_text(tmp_path):
    db = tmp_path / "a.db"
    post = ROOT / "tests" / "pages" / "jekyll" / "2023-03-14-NW202303141234567890.md"
    assert run_cli("import", post, "--db", db).returncode == 0
    age(db)
    report = json.loads(reprocess(db, "--json").stdout)
    assert report["counts"] == {"updated": 1}
    (row,) = rows(db, "SELECT body_text, authors, source_url FROM articles")
    assert TAIL not in row["body_text"] and row["authors"] == "[]"
    assert row["source_url"].endswith("NW202303141234567890")


def test_a_read_of_no_archive_is_one_line(tmp_path):
    result = reprocess(tmp_path / "none.db")
    assert result.returncode == 2 and "no archive" in result.stderr and "Traceback" not in result.stderr


# --- killed at any moment ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def big(tmp_path_factory) -> Path:
    """1,200 synthetic feed articles saved through the store, raw pages kept."""
    sys.path.insert(0, str(ROOT))
    from bench.synthetic import article, fakes
    from qilucrawl.store import Store

    db = tmp_path_factory.mktemp("big") / "big.db"
    store = Store(db)
    batch = [article(fake) for fake in fakes(1200, seed=14)]
    for start in range(0, len(batch), 200):
        store.save_articles(batch[start : start + 200])
    store.close()
    return db


def test_sigkill_at_any_moment_then_the_same_command_finishes_the_job(big, tmp_path):
    db = tmp_path / "big.db"
    shutil.copy(big, db)
    codes = [r["info_code"] for r in rows(db, "SELECT info_code FROM articles")]
    age(db, codes)
    rng = random.Random(20261204)
    kills = 0
    for _ in range(4):
        process = subprocess.Popen(
            [sys.executable, "-m", "qilucrawl", "reprocess", "--db", str(db), "--workers", "2"],
            cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        time.sleep(rng.uniform(0.8, 2.5))
        if process.poll() is None:
            process.send_signal(signal.SIGKILL)
            kills += 1
        process.wait()
        assert sqlite3.connect(db).execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    final = reprocess(db, "--workers", "2", "--json")
    assert final.returncode == 0, final.stderr
    assert kills >= 1
    # Every article once more, each aged version kept once: no revision made twice.
    revisions = rows(db, "SELECT info_code, COUNT(*) AS n FROM revisions GROUP BY info_code")
    assert len(revisions) == len(codes) and {r["n"] for r in revisions} == {1}
    assert not rows(db, "SELECT 1 FROM articles WHERE body_text LIKE ?", [f"%{TAIL}%"])
    assert not rows(db, "SELECT 1 FROM runs WHERE status = 'running'")
    assert json.loads(reprocess(db, "--json").stdout)["counts"].get("updated", 0) == 0
