"""Quality alarms, end to end: the real CLI crawls the demo site on 127.0.0.1 into a real archive,
which records each run's shares and alarm; exit status 5 says "finished, but the data looks
wrong", also when pages failed; ``runs`` and ``stats`` show it."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

import qilucrawl.settings as defaults
from qilucrawl.jobs import ExitStatus
from qilucrawl.quality import FIELDS, Quality, QualityRules, rules_for, share_alarms
from qilucrawl.schema import QUALITY_COLUMNS, SCHEMA_VERSION
from qilucrawl.store import Store
from tests.conftest import LOCAL_SETTINGS, rows, run_cli

SHARES = [f"share_{name}" for name in FIELDS]


def _shares(db_path: Path, run_id: int) -> dict:
    return rows(db_path, f"SELECT {', '.join(SHARES)}, alarm FROM runs WHERE id = ?", [run_id])[0]


def test_a_demo_crawl_records_its_shares_and_raises_no_alarm(crawl_feed, db_path):
    result = crawl_feed()
    assert result.returncode == ExitStatus.FAILURES, result.stderr  # the demo's planted failures
    run = _shares(db_path, 1)
    stored = rows(db_path, "SELECT COUNT(*) AS n, SUM(authors != '[]') AS authors FROM articles")[0]
    assert run["alarm"] is None
    assert run["share_title"] == run["share_published"] == run["share_body"] == run["share_source"] == 1.0
    assert run["share_authors"] == pytest.approx(stored["authors"] / stored["n"], abs=1e-4)
    listed = run_cli("stats", "--db", db_path)
    assert "shares: title 1.00, published 1.00, body 1.00" in listed.stdout and "quality alarm" not in listed.stdout


def test_a_share_under_its_threshold_is_an_alarm_that_wins_over_failed_pages(crawl_feed, db_path):
    result = crawl_feed("-s", 'QILU_QUALITY_THRESHOLDS={"feed": {"authors": 0.9}}')
    assert result.returncode == ExitStatus.ALARM, result.stderr
    assert "quality alarm: authors 0.29 under its threshold 0.90" in result.stdout
    assert "exit status 5" in result.stdout and "Quality alarm, run 1 (feed)" in result.stderr
    run = rows(db_path, "SELECT * FROM runs WHERE id = 1")[0]
    assert run["status"] == "failures" and run["failed"] == 5  # the failures are recorded all the same
    assert run["alarm"] == "authors 0.29 under its threshold 0.90"
    listed = run_cli("runs", "--db", db_path)
    assert listed.returncode == 0 and "quality alarm: authors 0.29 under its threshold 0.90" in listed.stdout
    figures = json.loads(run_cli("stats", "--db", db_path, "--json").stdout)
    assert figures["runs"][0]["alarm"] == run["alarm"] and figures["runs"][0]["share_authors"] == 0.2857


def test_a_feed_that_stores_nothing_new_for_too_long_raises_an_alarm(crawl_feed, db_path):
    assert crawl_feed().returncode == ExitStatus.FAILURES
    assert crawl_feed().returncode == ExitStatus.FAILURES  # nothing new, but not for long
    result = crawl_feed("-s", "QILU_QUALITY_FEED_SILENT_HOURS=0.0001")
    assert result.returncode == ExitStatus.ALARM, result.stderr
    alarm = _shares(db_path, 3)["alarm"]
    assert alarm.startswith("no new article for ") and "alarm after 0.0001 h" in alarm
    first = rows(db_path, "SELECT finished_at FROM runs WHERE id = 1")[0]["finished_at"]
    assert f"since {first}" in alarm  # the last run that stored something new
    assert _shares(db_path, 3)["share_title"] is None  # it stored nothing: nothing measured


def test_a_redesigned_site_falls_far_under_the_median_of_the_spider_s_last_runs(demo_server, db_path):
    """Backfills of the demo's iqilu site in slices make a history; then the site is redesigned
    (edition 3): every page answers and is stored, but the bylines are gone."""

    def backfill(since: str, until: str) -> int:
        result = run_cli(
            "backfill", "iqilu", "--db", db_path, "--base-url", demo_server.url, "--since", since, "--until", until,
            "--log-level", "WARNING", *LOCAL_SETTINGS, "-s", "QILU_QUALITY_MIN_ARTICLES=2",
        )  # fmt: skip
        assert "Traceback" not in result.stderr
        return result.returncode

    assert backfill("2026-11-10", "2026-11-12") == ExitStatus.OK
    assert backfill("2026-11-12", "2026-11-16") == ExitStatus.FAILURES  # the off-site redirect
    assert backfill("2026-11-16", "2026-11-18") == ExitStatus.OK
    demo_server.site.edition = 3
    assert backfill("2026-11-18", "2026-11-21") == ExitStatus.ALARM
    runs = rows(db_path, "SELECT id, new, share_authors, share_body, alarm FROM runs ORDER BY id")
    assert [run["alarm"] for run in runs[:3]] == [None, None, None]
    assert runs[3]["new"] == 3 and runs[3]["share_authors"] == 0.0 and runs[3]["share_body"] == 1.0
    assert runs[3]["alarm"] == "authors 0.00 far under the median 1.00 of the last 3 runs"
    parsers = {row["parser"] for row in rows(db_path, "SELECT parser FROM articles WHERE run_id = 4")}
    assert parsers == {"iqilu/V1_1+generic/V1_1"}  # the iqilu parser found no body: the generic one did


def test_a_bad_threshold_setting_is_said_in_one_line(crawl_feed, db_path):
    for value in ("[1, 2]", '{"feed": {"body": "most"}}'):
        result = crawl_feed("-s", f"QILU_QUALITY_THRESHOLDS={value}")
        assert result.returncode == ExitStatus.USAGE, result.stderr
        assert "Error: bad setting QILU_QUALITY_THRESHOLDS: " in result.stderr and "Traceback" not in result.stderr
    assert not db_path.exists()  # said before anything was done


def test_rules_merge_a_given_threshold_over_the_spider_s_defaults():
    given = {"QILU_QUALITY_THRESHOLDS": '{"iqilu": {"authors": 0.5}}'}
    rules = rules_for("iqilu", lambda name: given.get(name, getattr(defaults, name)))
    assert rules.thresholds == {**defaults.QILU_QUALITY_THRESHOLDS["iqilu"], "authors": 0.5}
    assert rules.silent_hours is None and rules.body_min_chars == 100  # silence is a feed's alarm


def test_a_small_run_or_a_short_history_decides_nothing_it_cannot():
    rules = QualityRules(thresholds=dict.fromkeys(FIELDS, 0.5), min_articles=5, history_min=3)
    empty = dict.fromkeys(FIELDS, 0.0)
    assert share_alarms(Quality(4, empty), rules, []) == []  # too few articles to judge
    assert len(share_alarms(Quality(5, empty), rules, [])) == len(FIELDS)
    fine = dict.fromkeys(FIELDS, 0.6)
    assert share_alarms(Quality(9, fine), rules, [dict.fromkeys(FIELDS, 1.0)] * 2) == []  # 2 runs: no median
    assert len(share_alarms(Quality(9, fine), rules, [dict.fromkeys(FIELDS, 1.0)] * 3)) == len(FIELDS)


def test_an_archive_at_schema_7_gains_the_quality_columns(tmp_path):
    db = tmp_path / "old.db"
    Store(db).close()
    conn = sqlite3.connect(db)
    for column in QUALITY_COLUMNS:
        conn.execute(f"ALTER TABLE runs DROP COLUMN {column}")
    conn.execute("PRAGMA user_version = 7")
    conn.commit()
    conn.close()
    store = Store(db)
    assert store.schema_version == SCHEMA_VERSION >= 8
    assert set(QUALITY_COLUMNS) <= set(store.db.table("runs").columns_dict)
    store.close()
