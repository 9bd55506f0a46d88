"""The command line itself: documentation, locks, logs, progress."""

from __future__ import annotations

import json
import re
from pathlib import Path

import click
import pytest

from qilucrawl.cli import cli
from qilucrawl.jobs import ExitStatus
from tests.conftest import ROOT, run_cli

README = (ROOT / "README.md").read_text(encoding="utf-8")


def _commands(group: click.Group, prefix: str = "") -> list[tuple[str, click.Command]]:
    found = []
    for name, command in group.commands.items():
        found.append((f"{prefix}{name}", command))
        if isinstance(command, click.Group):
            found += _commands(command, f"{prefix}{name} ")
    return found


@pytest.mark.parametrize("name, command", _commands(cli), ids=[n for n, _ in _commands(cli)])
def test_every_command_has_help_and_is_in_the_readme(name, command):
    assert command.help and command.help.strip()
    if not isinstance(command, click.Group):
        assert re.search(rf"qilucrawl {re.escape(name)}\b", README), f"README does not show `qilucrawl {name}`"


def test_readme_opens_with_the_two_commands():
    first_block = README.split("```")[1]
    assert "make demo" in first_block and "make test" in first_block


def test_a_stale_lock_file_is_taken_over(crawl_feed, db_path):
    db_path.parent.mkdir(parents=True, exist_ok=True)
    (db_path.parent / f"{db_path.name}.lock").write_text("pid 999999 since 2026-01-01T00:00:00+08:00\n")
    result = crawl_feed()
    assert result.returncode == ExitStatus.FAILURES, result.stderr  # ran: the demo has failures


def test_log_file_and_progress_lines_when_not_a_terminal(crawl_feed, tmp_path):
    log = tmp_path / "crawl.log"
    result = crawl_feed(
        "--log-file", log, "--log-level", "INFO", "-s", "QILU_PROGRESS_INTERVAL=0.05", "-s", "DOWNLOAD_DELAY=0.02"
    )
    assert result.returncode == ExitStatus.FAILURES
    text = log.read_text(encoding="utf-8")
    assert "Spider opened" in text and "progress:" in text and "articles/s" in text
    assert "Spider opened" not in result.stderr


def test_unknown_command_and_missing_archive_are_usage_errors(tmp_path):
    assert run_cli("frobnicate").returncode == ExitStatus.USAGE
    result = run_cli("stats", "--db", tmp_path / "nothing.db")
    assert result.returncode == ExitStatus.USAGE and "no archive" in result.stderr


def test_a_log_file_in_a_missing_folder_is_made_an_unwritable_one_is_an_error(tmp_path):
    log = tmp_path / "logs" / "cron" / "crawl.log"
    result = run_cli(
        "crawl",
        "feed",
        "--db",
        tmp_path / "a.db",
        "--log-file",
        log,
        "--base-url",
        "http://127.0.0.1:9",
        "-s",
        "RETRY_TIMES=0",
        "-s",
        "ROBOTSTXT_OBEY=False",
        "-s",
        "DOWNLOAD_TIMEOUT=2",
    )
    assert result.returncode == ExitStatus.FAILURES and "Traceback" not in result.stderr, result.stderr[-2000:]
    assert log.exists() and log.stat().st_size > 0
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    result = run_cli("crawl", "feed", "--db", tmp_path / "b.db", "--log-file", blocker / "crawl.log")
    assert result.returncode == ExitStatus.ERROR and "cannot write the log file" in result.stderr


def test_ctrl_c_stops_a_crawl_cleanly(demo_server, tmp_path):
    import signal
    import sqlite3
    import subprocess
    import sys
    import time

    from tests.conftest import rows

    db = tmp_path / "a.db"
    crawl = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "qilucrawl",
            "crawl",
            "feed",
            "--db",
            str(db),
            "--base-url",
            demo_server.url,
            "-s",
            "DOWNLOAD_DELAY=0.5",
            "-s",
            "AUTOTHROTTLE_ENABLED=False",
            "-s",
            "ROBOTSTXT_OBEY=False",
        ],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )

    def started() -> bool:
        try:
            return db.exists() and bool(rows(db, "SELECT id FROM runs"))
        except sqlite3.OperationalError:  # no file or no table yet
            return False

    deadline = time.monotonic() + 30
    while not started() and time.monotonic() < deadline:
        time.sleep(0.2)
    time.sleep(1)
    crawl.send_signal(signal.SIGINT)
    _, stderr = crawl.communicate(timeout=60)
    assert crawl.returncode == ExitStatus.ERROR, stderr[-2000:]
    assert "Traceback" not in stderr and "Unhandled error" not in stderr, stderr[-3000:]
    assert [r["status"] for r in rows(db, "SELECT status FROM runs")] == ["interrupted"]


def test_search_takes_several_words_and_date_errors_name_their_option(tmp_path):
    from qilucrawl.store import Store

    Store(tmp_path / "a.db").close()
    several = run_cli("search", "大天鹅", "荣成", "--db", tmp_path / "a.db")
    assert several.returncode == 0 and "no articles match" in several.stderr
    bad = run_cli("export", "--since", "2026-13-01", "--db", tmp_path / "a.db", "--out", tmp_path / "x.jsonl")
    assert bad.returncode == ExitStatus.USAGE and "'--since'" in bad.stderr


def test_show_prints_one_article_whole_with_its_revisions(tmp_path):
    db = tmp_path / "a.db"
    post = Path(__file__).parent / "pages" / "jekyll" / "2023-03-14-NW202303141234567890.md"
    assert run_cli("import", post, "--db", db).returncode == 0
    shown = run_cli("show", "NW202303141234567890", "--db", db)
    assert shown.returncode == 0, shown.stderr
    assert "title: 济南新开三条公交线路服务“黄河北”" in shown.stdout and "source: 齐鲁网" in shown.stdout
    assert "None" not in shown.stdout and "['" not in shown.stdout  # values, not Python reprs
    as_json = json.loads(run_cli("show", "NW202303141234567890", "--db", db, "--json", "--revisions").stdout)
    assert as_json["revisions"] == [] and as_json["revision"] == 1
    missing = run_cli("show", "NW000000000000000000", "--db", db)
    assert missing.returncode == ExitStatus.FAILURES and "no article NW000000000000000000" in missing.stderr
