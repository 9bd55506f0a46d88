"""End to end: `qilucrawl backfill iqilu` / `crawl iqilu` against the demo site's iqilu pages."""

from __future__ import annotations

import json
from datetime import date

import pytest

from qilucrawl.demo.iqilu_pages import LIST_PATH, load_iqilu
from qilucrawl.demo.server import CORPUS
from qilucrawl.extract.iqilu import iqilu_info_code
from qilucrawl.jobs import ExitStatus
from tests.conftest import LOCAL_SETTINGS, rows, run_cli

ARTICLES = load_iqilu(CORPUS)
GOOD = [a for a in ARTICLES if a.expect]
OFFSITE = [a for a in ARTICLES if a.fault == "redirect-offsite"]


@pytest.fixture
def backfill(demo_server, db_path):
    def run(*extra: object):
        return run_cli(
            "backfill",
            "iqilu",
            "--db",
            db_path,
            "--base-url",
            demo_server.url,
            "--log-level",
            "WARNING",
            *LOCAL_SETTINGS,
            *extra,
        )

    return run


def article_requests(site):
    return [r for r in site.requests if r.endswith(".shtml") and "list_564" not in r]


def test_the_corpus_has_what_the_tests_need():
    assert len(GOOD) >= 12 and OFFSITE
    assert sum(len(a.pages) > 1 for a in GOOD) >= 2
    assert any(a.encoding == "gbk" for a in GOOD)
    assert {a.fault for a in ARTICLES} >= {"500-then-ok", "429-retry-after", "redirect-offsite"}


def test_backfill_stores_every_article_with_its_pages_joined(backfill, db_path):
    result = backfill("--since", "2026-01-01")
    assert result.returncode == ExitStatus.FAILURES, result.stderr  # the off-site redirect
    stored = {r["info_code"]: r for r in rows(db_path, "SELECT * FROM articles")}
    assert set(stored) == {iqilu_info_code(a.id) for a in GOOD}
    for article in GOOD:
        row, expect = stored[iqilu_info_code(article.id)], article.expect
        assert row["title"] == expect["title"]
        assert row["published_at"] == expect["published_at"]
        assert row["source"] == expect["source"]
        assert json.loads(row["authors"]) == expect["authors"]
        for snippet in expect["must_contain"]:
            assert snippet in row["body_text"], (article.id, snippet)
        for snippet in expect["must_not_contain"]:
            assert snippet not in row["body_text"], (article.id, snippet)
        captions = sum(1 for image in json.loads(row["images"]) if image["caption"])
        assert len(row["body_text"].split("\n\n")) == expect["paragraphs"] + captions, article.id
        assert ("multi_page" in json.loads(row["quality_flags"])) == (len(article.pages) > 1)
        assert row["source_url"].endswith(article.path())
    parts = rows(db_path, "SELECT info_code, COUNT(*) AS n FROM pages GROUP BY info_code")
    assert {p["info_code"]: p["n"] for p in parts} == {iqilu_info_code(a.id): len(a.pages) for a in GOOD}


def test_an_off_site_redirect_is_refused_and_recorded(backfill, db_path):
    backfill("--since", "2026-01-01")
    failures = rows(db_path, "SELECT * FROM failures")
    for article in OFFSITE:
        found = [f for f in failures if f["info_code"] == iqilu_info_code(article.id)]
        assert found and "off-site" in found[0]["reason"]
    assert not [f for f in failures if f["stage"] == "list"]  # the list's end is not a failure


def test_since_and_until_select_days_and_stop_the_walk_early(backfill, db_path, demo_server):
    backfill("--since", "2026-11-15", "--until", "2026-11-18")
    wanted = {
        iqilu_info_code(a.id)
        for a in GOOD
        if date(2026, 11, 15) <= date.fromisoformat(a.datetime[:10]) < date(2026, 11, 18)
    }
    assert wanted and {r["info_code"] for r in rows(db_path, "SELECT info_code FROM articles")} == wanted
    lists = [r for r in demo_server.site.requests if "list_564" in r]
    assert LIST_PATH.format(n=3) not in lists  # the newest pages suffice for these days


def test_rerun_fetches_nothing_stored(backfill, db_path, demo_server):
    backfill("--since", "2026-01-01")
    demo_server.site.requests.clear()
    result = backfill("--since", "2026-01-01")
    assert result.returncode == ExitStatus.FAILURES  # the redirect, again
    asked = article_requests(demo_server.site)
    assert asked == [a.path() for a in OFFSITE]
    assert rows(db_path, "SELECT skipped FROM runs ORDER BY id DESC LIMIT 1")[0]["skipped"] == len(GOOD)
    assert len(rows(db_path, "SELECT 1 FROM articles")) == len(GOOD)


def test_incremental_crawl_stops_at_the_first_page_with_nothing_new(backfill, db_path, demo_server):
    backfill("--since", "2026-01-01")
    demo_server.site.requests.clear()
    result = run_cli(
        "crawl", "iqilu", "--db", db_path, "--base-url", demo_server.url, "--log-level", "WARNING", *LOCAL_SETTINGS
    )
    assert result.returncode in (ExitStatus.OK, ExitStatus.FAILURES)
    lists = [r for r in demo_server.site.requests if "list_564" in r]
    assert lists == [LIST_PATH.format(n=1)]


def test_until_before_since_is_a_usage_error(backfill):
    result = backfill("--since", "2026-11-15", "--until", "2026-11-01")
    assert result.returncode == ExitStatus.USAGE and "--until" in result.stderr


def _list(items: str, url: str = "http://news.iqilu.com/shandong/yuanchuang/list_564_1.shtml"):
    from qilucrawl.extract.base import Document
    from qilucrawl.extract.iqilu_list import read_list_page

    body = f'<html><body><div class="mod-list"><ul>{items}</ul></div></body></html>'
    return {e.web_url.rsplit("/", 1)[1]: e.published for e in read_list_page(Document(body, url)).entries}


def test_a_list_item_s_printed_time_dates_the_entry_the_url_only_its_day():
    published = _list(
        '<li><h3><a href="/shandong/20261107/5200001.shtml">有时间</a></h3><span>2026-11-07 15:30</span></li>'
        '<li><a href="/shandong/20261107/5200002.shtml">月日时分</a><span>11-07 09:05</span></li>'
        '<li><h3><a href="/shandong/20261107/5200003.shtml">没有时间</a></h3></li>'
        '<li><a href="/shandong/20261107/5200004.shtml">2025年的标题</a> 2025-01-01</li>'  # not its day
        '<li><a href="/shandong/20261106/5200005.shtml">甲</a><a href="/shandong/20261106/5200006.shtml">乙</a> 2026-11-06 08:00</li>'
    )
    assert published == {
        "5200001.shtml": "2026-11-07T15:30:00+08:00",
        "5200002.shtml": "2026-11-07T09:05:00+08:00",
        "5200003.shtml": None,
        "5200004.shtml": None,
        "5200005.shtml": None,
        "5200006.shtml": None,  # whose time is it? neither's
    }


def test_an_article_dated_only_by_its_url_says_so():
    from qilucrawl.extract import extract
    from qilucrawl.items import HTML, ListEntry, Page

    url = "http://news.iqilu.com/shandong/20261107/5200003.shtml"
    page = (
        "<html><head><title>没有发布时间 - 齐鲁网</title></head><body><h1>没有发布时间</h1>"
        '<div class="article-main"><p>趵突泉地下水位连续十五个月保持在二十八米以上，三股水持续喷涌。</p></div></body></html>'
    )
    entry = ListEntry(iqilu_info_code("5200003"), "没有发布时间", None, "齐鲁网", web_url=url)
    article = extract(Page(url=url, body=page.encode(), kind=HTML, entry=entry))
    assert article.published_at == "2026-11-07T00:00:00+08:00"
    assert {"published_from_url", "published_missing"} <= set(article.quality_flags)


def test_crawl_with_refetch_fetches_stored_articles_again_and_changes_nothing(backfill, db_path, demo_server):
    backfill("--since", "2026-01-01")
    revisions = rows(db_path, "SELECT COUNT(*) AS n FROM revisions")[0]["n"]
    demo_server.site.requests.clear()
    crawl = ("crawl", "iqilu", "--db", db_path, "--base-url", demo_server.url, "--log-level", "WARNING")
    plain = run_cli(*crawl, *LOCAL_SETTINGS)
    assert plain.returncode in (ExitStatus.OK, ExitStatus.FAILURES), plain.stderr
    assert not [p for p in article_requests(demo_server.site) if p not in {a.path() for a in OFFSITE}]
    result = run_cli(*crawl, "--refetch", *LOCAL_SETTINGS)
    assert result.returncode in (ExitStatus.OK, ExitStatus.FAILURES), result.stderr
    refetched = {p for p in article_requests(demo_server.site)} & {a.path() for a in GOOD}
    assert refetched  # stored articles were fetched again ...
    assert rows(db_path, "SELECT COUNT(*) AS n FROM revisions")[0]["n"] == revisions  # ... and unchanged
    assert len(rows(db_path, "SELECT 1 FROM articles")) == len(GOOD)
