"""`qilucrawl import` of Jekyll archives, through the CLI, into a real archive."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from qilucrawl.jobs import ExitStatus
from tests.conftest import SHARED, rows, run_cli

POSTS = Path(__file__).parent / "pages" / "jekyll"
SAMPLE = SHARED / "data" / "finews-sample"


def imported(db_path, *paths):
    result = run_cli("import", *paths, "--db", db_path, "--json")
    reports = [json.loads(line) for line in result.stdout.splitlines() if line.startswith("{")]
    return result, {Path(r["path"]).name: r for r in reports}


@pytest.fixture
def posts(tmp_path) -> Path:
    folder = tmp_path / "_posts"
    shutil.copytree(POSTS, folder)
    return folder


def test_import_reports_every_file(posts, db_path):
    result, report = imported(db_path, posts)
    assert result.returncode == ExitStatus.FAILURES, result.stderr  # one post is broken
    outcomes = {name: r["outcome"] for name, r in report.items()}
    assert outcomes["2023-03-14-NW202303141234567890.md"] == "imported"
    assert outcomes["2023-03-01-welcome.md"] == "skipped"
    assert "no identifiable article" in report["2023-03-01-welcome.md"]["reason"]
    assert outcomes["unclosed_front_matter.md"] == "failed"
    assert "not_a_post.txt" not in report  # only post files are read
    stored = {r["info_code"]: r for r in rows(db_path, "SELECT * FROM articles")}
    assert "NW202303141234567890" in stored
    failures = rows(db_path, "SELECT * FROM failures")
    assert sorted(f["url"] for f in failures if f["stage"] == "import") == [
        str(posts / "-202303151234567801.md"),
        str(posts / "unclosed_front_matter.md"),
    ]
    assert "no title" in report["-202303151234567801.md"]["reason"]  # empty title, no other copy


def test_the_same_article_as_two_posts_is_stored_once_from_its_medium(posts, db_path):
    _, report = imported(db_path, posts)
    media = report["2023-03-16-NW202303161234567804.md"]
    rolling = report["2023-03-16-202303161234567804.md"]
    assert media["outcome"] == "imported" and media["info_code"] == "NW202303161234567804"
    assert rolling["outcome"] == "skipped" and rolling["info_code"] == "NW202303161234567804"
    row = rows(db_path, "SELECT * FROM articles WHERE info_code = 'NW202303161234567804'")[0]
    assert (row["source"], row["category"], row["revision"]) == ("大众日报", "dazhongribao", 1)
    assert row["source_url"] == "http://feeds.example.com/html_News/NewsShare.html?infoCode=NW202303161234567804"
    assert rows(db_path, "SELECT COUNT(*) AS n FROM revisions")[0]["n"] == 0


def test_a_rolling_copy_whose_body_names_the_medium_is_still_the_copy(tmp_path, db_path):
    # Filed under the medium by its body's source line, it sorts like a medium post; the file
    # names put it first.  The medium's own post is still the one kept.
    folder = tmp_path / "_posts"
    folder.mkdir()
    body = '<p>全省前三季度地区生产总值同比增长百分之五点八。</p>\n<p class="em_media">（文章来源：齐鲁网）</p>'
    head = '---\nlayout: post\ntitle: "山东前三季度经济运行情况"\ndate: 2026-11-04 09:30:00 +0800\n'
    (folder / "2026-11-04-202611042388065801.md").write_text(
        f"{head}categories: emnews\ntags: 东财滚动新闻\n---\n> 前三季度增长5.8%。\n\n{body}\n\n"
        "<http://finance.eastmoney.com/a/202611042388065801.html>\n",
        encoding="utf-8",
    )
    (folder / "2026-11-04-NW202611042388065801.md").write_text(
        f"{head}categories: qiluwang\ntags: 齐鲁网新闻\n---\n{body}\n\n"
        "<http://feeds.example.com/html_News/NewsShare.html?infoCode=NW202611042388065801>\n",
        encoding="utf-8",
    )
    _, report = imported(db_path, folder)
    assert report["2026-11-04-202611042388065801.md"]["outcome"] == "skipped"
    assert report["2026-11-04-NW202611042388065801.md"]["outcome"] == "imported"
    row = rows(db_path, "SELECT * FROM articles")[0]
    assert row["source_url"] == "http://feeds.example.com/html_News/NewsShare.html?infoCode=NW202611042388065801"
    assert row["summary"] is None and row["url"].endswith("NW202611042388065801.md")


def test_a_rolling_post_imported_again_is_unchanged_and_skips_are_counted(tmp_path, db_path):
    rolling = tmp_path / "2023-03-16-202303161234567804.md"
    rolling.write_bytes(
        (POSTS / rolling.name)
        .read_bytes()
        .replace(b"</p>", '</p>\n<p class="em_media">（文章来源：大众日报）</p>'.encode(), 1)
    )
    _, first = imported(db_path, rolling)
    _, again = imported(db_path, rolling)  # it finds itself stored: not a medium's post
    assert (first[rolling.name]["outcome"], again[rolling.name]["outcome"]) == ("imported", "unchanged")
    _, report = imported(db_path, POSTS / "2023-03-16-NW202303161234567804.md", rolling)
    assert report[rolling.name]["outcome"] == "skipped"
    assert rows(db_path, "SELECT skipped FROM runs ORDER BY id")[-1]["skipped"] == 1


def test_reimport_changes_nothing(posts, db_path):
    imported(db_path, posts)
    before = rows(db_path, "SELECT info_code, content_hash, revision FROM articles ORDER BY info_code")
    result, report = imported(db_path, posts)
    assert result.returncode == ExitStatus.FAILURES
    after = rows(db_path, "SELECT info_code, content_hash, revision FROM articles ORDER BY info_code")
    assert after == before
    assert {r["outcome"] for r in report.values()} <= {"unchanged", "skipped", "failed"}


def test_human_readable_report_and_runs(posts, db_path):
    result = run_cli("import", posts, "--db", db_path)
    assert "imported" in result.stdout and "no identifiable article" in result.stdout
    runs = run_cli("runs", "--db", db_path)
    assert runs.returncode == 0 and "import" in runs.stdout


@pytest.mark.skipif(not SAMPLE.exists(), reason="../shared is not there (a user's clone)")
def test_the_real_sample_archive(db_path):
    _, report = imported(db_path, SAMPLE)
    posts = {name: r for name, r in report.items() if name.endswith(".md")}
    identifiable = {name: r for name, r in posts.items() if r["info_code"]}
    assert all(r["outcome"] in ("imported", "unchanged", "skipped") for r in identifiable.values())
    assert report["_posts__2021-12-01-init.md"]["outcome"] == "skipped"
    stored = {r["info_code"] for r in rows(db_path, "SELECT info_code FROM articles")}
    assert stored == {r["info_code"] for r in identifiable.values()}
