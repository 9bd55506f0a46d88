"""End to end: the real CLI in a subprocess crawls the demo feed on 127.0.0.1 into a real SQLite
file.  Expectations come from the corpus files the server serves (their ``expect`` blocks)."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import urllib.request
from datetime import datetime

import pytest

from qilucrawl.clean.media import category_slug
from qilucrawl.clean.text import clean_title
from qilucrawl.demo.iqilu_pages import load_iqilu
from qilucrawl.demo.server import CORPUS as CORPUS_DIR
from qilucrawl.demo.server import FAIL_TIMES, FAILING_MARKET_TYPE, load_feed
from qilucrawl.jobs import ExitStatus
from qilucrawl.lock import RunLock
from tests.conftest import LOCAL_SETTINGS, ROOT, rows, run_cli

CORPUS = load_feed()
GOOD = [a for a in CORPUS if a.fault in (None, "500-then-ok") and a.title and a.datetime]
NOT_FOUND = [a for a in CORPUS if a.fault == "404"]
MALFORMED = [a for a in CORPUS if a.fault == "malformed"]
NO_TITLE = [a for a in CORPUS if not a.title]
NO_TIME = [a for a in CORPUS if a.title and not a.datetime]
FLAKY = [a for a in CORPUS if a.fault == "500-then-ok"]
CHANGED = [a for a in GOOD if a.edition2]


def iso(stamp: str) -> str:
    return datetime.strptime(stamp, "%Y-%m-%d %H:%M:%S").isoformat() + "+08:00"


def test_the_corpus_has_what_the_tests_need():
    assert len(GOOD) >= 30
    assert NOT_FOUND and MALFORMED and NO_TITLE and NO_TIME and FLAKY and CHANGED
    assert len({a.info_code for a in CORPUS}) == len(CORPUS)


def test_first_crawl_stores_every_good_article_once_with_its_fields(crawl_feed, db_path, demo_server):
    result = crawl_feed()
    assert result.returncode == ExitStatus.FAILURES, result.stderr
    stored = {r["info_code"]: r for r in rows(db_path, "SELECT * FROM articles")}
    assert set(stored) == {a.info_code for a in GOOD}
    for article in GOOD:
        row = stored[article.info_code]
        expect = article.expect
        assert row["title"] == clean_title(article.title)
        assert row["published_at"] == iso(article.datetime)
        assert row["source"] == expect["source"]
        assert row["category"] == category_slug(expect["source"])
        # A medium's tag is its name + 新闻, unless the name already ends in 新闻 (闪电新闻).
        source = expect["source"]
        assert json.loads(row["tags"]) == [source if source.endswith("新闻") else f"{source}新闻"]
        assert json.loads(row["authors"]) == expect["authors"]
        assert row["source_url"] == f"{demo_server.url}/html_News/NewsShare.html?infoCode={article.info_code}"
        assert row["revision"] == 1 and len(row["content_hash"]) == 64
        for snippet in expect["must_contain"]:
            assert snippet in row["body_text"], (article.info_code, snippet)
        for snippet in expect["must_not_contain"]:
            assert snippet not in row["body_text"] and snippet not in row["body_html"], (article.info_code, snippet)
        assert not re.search(r"<script|\son\w+\s*=|javascript:|<iframe|<style", row["body_html"], re.IGNORECASE)
        assert (
            "\u3000" not in row["body_text"] and "\u00a0" not in row["body_text"] and "\u200b" not in row["body_text"]
        )
        assert "（文章来源" not in row["body_text"]
    # Each article's text was asked for once; the flaky one until it answered.
    asked = demo_server.site.text_requests()
    for article in GOOD:
        expected = FAIL_TIMES + 1 if article.fault == "500-then-ok" else 1
        assert asked.count(article.info_code) == expected, article.info_code


def test_raw_pages_are_kept_compressed(crawl_feed, db_path):
    crawl_feed()
    pages = rows(db_path, "SELECT info_code, length(body) AS size FROM pages")
    assert {p["info_code"] for p in pages} == {a.info_code for a in GOOD}
    assert all(p["size"] > 0 for p in pages)


def test_every_failure_is_recorded_and_the_crawl_goes_on(crawl_feed, db_path):
    crawl_feed()
    failures = rows(db_path, "SELECT * FROM failures")

    def matching(**fields):
        return [f for f in failures if all(f[k] == v for k, v in fields.items())]

    assert (
        matching(stage="list", status=404)
        and f"marketType={FAILING_MARKET_TYPE}" in matching(stage="list", status=404)[0]["url"]
    )
    for article in NOT_FOUND:
        assert matching(stage="article", status=404, info_code=article.info_code)
    for article in MALFORMED:
        found = matching(stage="extract", info_code=article.info_code)
        assert found and "malformed JSON" in found[0]["reason"]
    for article in NO_TITLE:
        assert "no title" in matching(stage="list", info_code=article.info_code)[0]["reason"]
    for article in NO_TIME:
        assert "no time" in matching(stage="list", info_code=article.info_code)[0]["reason"]
    run = rows(db_path, "SELECT * FROM runs")[0]
    assert run["status"] == "failures" and run["failed"] == len(failures)
    assert run["new"] == len(GOOD) and run["finished_at"]


def test_second_crawl_adds_nothing_and_fetches_no_stored_article(crawl_feed, db_path, demo_server):
    crawl_feed()
    before = rows(db_path, "SELECT info_code, content_hash, revision, first_seen_at FROM articles ORDER BY info_code")
    demo_server.site.requests.clear()
    result = crawl_feed()
    assert result.returncode == ExitStatus.FAILURES
    after = rows(db_path, "SELECT info_code, content_hash, revision, first_seen_at FROM articles ORDER BY info_code")
    assert after == before
    asked = set(demo_server.site.text_requests())
    assert not asked & {a.info_code for a in GOOD}
    second = rows(db_path, "SELECT * FROM runs ORDER BY id DESC LIMIT 1")[0]
    assert (second["new"], second["updated"], second["skipped"]) == (0, 0, len(GOOD))


def test_refetch_of_unchanged_articles_only_touches_last_seen(crawl_feed, db_path):
    crawl_feed()
    seen = "SELECT a.info_code, content_hash, revision, last_seen_at FROM articles a JOIN seen USING (info_code) ORDER BY info_code"
    before = rows(db_path, seen)
    crawl_feed("--refetch")
    after = rows(db_path, seen)
    assert all(a["last_seen_at"] >= b["last_seen_at"] for a, b in zip(after, before))
    assert [(r["info_code"], r["content_hash"], r["revision"]) for r in after] == [
        (r["info_code"], r["content_hash"], r["revision"]) for r in before
    ]
    assert rows(db_path, "SELECT unchanged FROM runs ORDER BY id DESC LIMIT 1")[0]["unchanged"] == len(GOOD)
    assert rows(db_path, "SELECT COUNT(*) AS n FROM revisions")[0]["n"] == 0


def test_a_changed_article_becomes_revision_2_and_revision_1_is_kept(crawl_feed, db_path, demo_server):
    crawl_feed()
    first = {r["info_code"]: r for r in rows(db_path, "SELECT * FROM articles")}
    urllib.request.urlopen(f"{demo_server.url}/__demo/edition?n=2").read()
    crawl_feed("--refetch")
    now = {r["info_code"]: r for r in rows(db_path, "SELECT * FROM articles")}
    for article in GOOD:
        code = article.info_code
        if article.edition2:
            assert now[code]["revision"] == 2 and now[code]["content_hash"] != first[code]["content_hash"]
            assert now[code]["first_seen_at"] == first[code]["first_seen_at"]
            old = rows(db_path, "SELECT * FROM revisions WHERE info_code = ?", (code,))
            assert len(old) == 1 and old[0]["revision"] == 1
            assert old[0]["body_text"] == first[code]["body_text"] and old[0]["title"] == first[code]["title"]
        else:
            assert now[code]["revision"] == 1 and now[code]["content_hash"] == first[code]["content_hash"]
    assert rows(db_path, "SELECT updated FROM runs ORDER BY id DESC LIMIT 1")[0]["updated"] == len(CHANGED)


def test_media_option_restricts_the_archive(crawl_feed, db_path):
    crawl_feed("--media", "齐鲁网")
    sources = {r["source"] for r in rows(db_path, "SELECT source FROM articles")}
    assert sources == {"齐鲁网"}
    assert len(rows(db_path, "SELECT 1 FROM articles")) == sum(a.expect["source"] == "齐鲁网" for a in GOOD)


def test_an_article_left_out_for_its_medium_is_not_fetched_again(crawl_feed, db_path, demo_server):
    crawl_feed("--media", "齐鲁网")
    left_out = rows(db_path, "SELECT info_code, source FROM filtered")
    assert left_out and all(r["source"] != "齐鲁网" for r in left_out)
    before = len(demo_server.site.text_requests())
    crawl_feed("--media", "齐鲁网")
    failed = {r["info_code"] for r in rows(db_path, "SELECT info_code FROM failures WHERE stage != 'list'")}
    assert set(demo_server.site.text_requests()[before:]) <= failed  # neither stored nor left-out ones
    crawl_feed()  # without the selection, the left-out ones are archived
    sources = {r["source"] for r in rows(db_path, "SELECT source FROM articles")}
    assert {r["source"] for r in left_out} <= sources


def test_polite_by_default_identifies_itself_and_reads_robots(crawl_feed, demo_server):
    crawl_feed()
    assert "/robots.txt" in demo_server.site.requests
    assert all("qilucrawl" in agent for agent in demo_server.site.user_agents)


def test_a_locked_archive_is_left_alone(crawl_feed, db_path, demo_server):
    with RunLock(db_path):
        result = crawl_feed()
    assert result.returncode == ExitStatus.LOCKED
    assert "locked" in result.stderr and str(db_path) in result.stderr
    assert demo_server.site.requests == []


def test_bad_setting_syntax_is_a_usage_error(crawl_feed):
    result = crawl_feed("-s", "NOEQUALSIGN")
    assert result.returncode == ExitStatus.USAGE and "NAME=VALUE" in result.stderr


def test_export_jsonl_and_stats(crawl_feed, db_path, tmp_path):
    crawl_feed()
    out = tmp_path / "articles.jsonl"
    result = run_cli("export", "--db", db_path, "--format", "jsonl", "--out", out)
    assert result.returncode == 0, result.stderr
    lines = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert sorted(r["info_code"] for r in lines) == sorted(a.info_code for a in GOOD)
    stored = {r["info_code"]: r for r in rows(db_path, "SELECT * FROM articles")}
    for record in lines:
        assert record["title"] == stored[record["info_code"]]["title"]
        assert record["body_text"] == stored[record["info_code"]]["body_text"]
        assert isinstance(record["tags"], list) and isinstance(record["images"], list)
    stats = run_cli("stats", "--db", db_path)
    assert stats.returncode == 0
    assert "齐鲁网 (qiluwang)" in stats.stdout and "HTTP 404" in stats.stdout and "no title" in stats.stdout


def test_scrapy_crawl_works_from_the_project_root(demo_server, db_path):
    command = [
        sys.executable,
        "-m",
        "scrapy",
        "crawl",
        "feed",
        "-a",
        f"base_url={demo_server.url}",
        "-s",
        f"QILU_DB_PATH={db_path}",
        "-s",
        "LOG_LEVEL=WARNING",
        *LOCAL_SETTINGS,
    ]
    result = subprocess.run(command, cwd=ROOT, check=False, capture_output=True, text=True, timeout=180)
    # The same statuses as `qilucrawl crawl`: the demo feed's broken pages make it 1, not 0.
    assert result.returncode == ExitStatus.FAILURES, result.stderr
    assert len(rows(db_path, "SELECT 1 FROM articles")) == len(GOOD)


@pytest.mark.parametrize("runs", [2])
def test_demo_command_twice_adds_no_duplicate(tmp_path, runs):
    db, out = tmp_path / "demo.db", tmp_path / "demo.jsonl"
    outputs = [run_cli("demo", "--db", db, "--out", out, *LOCAL_SETTINGS[:4]) for _ in range(runs)]
    for result in outputs:
        assert result.returncode == 0, result.stderr
        assert "sample article" in result.stdout
    iqilu = [a for a in load_iqilu(CORPUS_DIR) if a.expect]
    first, second = outputs[0].stdout, outputs[1].stdout
    assert f"(feed): {len(GOOD)} new" in first and f"(iqilu): {len(iqilu)} new" in first
    assert second.count("0 new, 0 updated") == 2
    assert len(out.read_text(encoding="utf-8").splitlines()) == len(GOOD) + len(iqilu)
