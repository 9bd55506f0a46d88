"""``qilucrawl canary``, end to end: the real CLI checks the demo site on 127.0.0.1 as published
(every parser fits: exit 0) and after iqilu's redesign (edition 3: the iqilu parser no longer
fits: exit 5); and the parsers' promises hold on their golden pages."""

from __future__ import annotations

import json
import socket
from pathlib import Path

import pytest

from qilucrawl.canary import PROMISES, CanaryReport, check_page
from qilucrawl.demo.server import REDESIGN_EDITION
from qilucrawl.items import FEED_TEXT, ListEntry, Page
from qilucrawl.jobs import ExitStatus
from tests.conftest import ROOT, run_cli

PAGES = ROOT / "tests" / "pages"


def _reports(result) -> dict[str, dict]:
    return {report["source"]: report for report in map(json.loads, result.stdout.splitlines())}


def test_the_canary_finds_every_parser_fitting_the_demo_site(demo_server):
    result = run_cli("canary", "--base-url", demo_server.url, "--json")
    assert result.returncode == ExitStatus.OK, result.stdout + result.stderr
    reports = _reports(result)
    assert [reports[s]["status"] for s in ("feed", "iqilu")] == ["ok", "ok"]
    assert reports["iqilu"]["found"] == dict.fromkeys(PROMISES["iqilu"], True)
    assert reports["feed"]["parser"].startswith("feed_text/") and reports["iqilu"]["parser"].startswith("iqilu/")
    # A few polite requests, all to the configured host: robots.txt, one list and one article each.
    asked = demo_server.site.requests
    assert asked.count("/robots.txt") == 1 and len(asked) == 5, asked
    assert any(r.startswith("/NewsData/GetNewsText.do") for r in asked)
    assert demo_server.site.user_agents == {"qilucrawl/0.1 (+https://github.com/qilucrawl/qilucrawl; news archiving for research)"}  # fmt: skip


def test_the_canary_says_the_iqilu_parser_no_longer_fits_the_redesigned_site(demo_server):
    demo_server.site.edition = REDESIGN_EDITION
    result = run_cli("canary", "--base-url", demo_server.url)
    assert result.returncode == ExitStatus.ALARM, result.stdout + result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].split()[:2] == ["feed", "ok"]
    assert lines[2].split()[:2] == ["iqilu", "broken"]
    assert "the iqilu parser no longer finds: published, source, body" in result.stdout
    report = _reports(run_cli("canary", "--base-url", demo_server.url, "--source", "iqilu", "--json"))["iqilu"]
    assert report["found"] == {"title": True, "published": False, "source": False, "body": False}
    assert report["article_url"].startswith(demo_server.url) and report["article_url"].endswith(".shtml")


def test_a_source_that_does_not_answer_could_not_be_checked(tmp_path):
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    result = run_cli("canary", "--base-url", f"http://127.0.0.1:{port}", "--source", "iqilu")
    assert result.returncode == ExitStatus.ERROR
    assert "unreachable" in result.stdout and "Connection refused" in result.stdout
    assert "Traceback" not in result.stderr
    result = run_cli("canary", "--source", "nowhere")
    assert result.returncode == ExitStatus.USAGE and "Traceback" not in result.stderr


@pytest.mark.parametrize("name", sorted(json.loads((PAGES / "iqilu" / "Iqilu.json").read_text(encoding="utf-8"))))
def test_the_iqilu_parser_keeps_its_promises_on_its_golden_pages(name):
    url = json.loads((PAGES / "iqilu" / "Iqilu.json").read_text(encoding="utf-8"))[name]["url"]
    report = CanaryReport("iqilu")
    check_page(report, Page(url=url, body=(PAGES / "iqilu" / name).read_bytes(), spider="iqilu"))
    assert report.status == "ok", report.problems


def test_the_feed_text_parser_keeps_its_promise_on_its_golden_pages():
    golden: dict = json.loads((PAGES / "feed_text" / "Feed_text.json").read_text(encoding="utf-8"))
    checked = 0
    for name, case in golden.items():
        if not case["parser"].startswith("feed_text/"):
            continue
        entry = ListEntry(**case["entry"]) if case.get("entry") else None
        report = CanaryReport("feed")
        check_page(report, Page(url=case["url"], body=Path(PAGES / "feed_text" / name).read_bytes(), kind=FEED_TEXT,
                                entry=entry))  # fmt: skip
        assert report.status == "ok", (name, report.problems)
        checked += 1
    assert checked >= 2
