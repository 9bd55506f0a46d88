"""The Python API, without the command line: the same work, returning plain data.

A crawl runs Scrapy's reactor, which a process can start only once, so crawls run in a child
Python process that calls the API (not the CLI); the reads run here.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

import qilucrawl
from qilucrawl.items import ExtractError
from qilucrawl.lock import LockedError, RunLock
from qilucrawl.store import NoArchive
from tests.conftest import LOCAL_SETTINGS, ROOT

SETTINGS = dict(pair.split("=", 1) for pair in LOCAL_SETTINGS[1::2])
OWN_POST = Path(__file__).parent / "pages" / "jekyll" / "2023-03-14-NW202303141234567890.md"


@pytest.fixture(scope="module")
def crawled(tmp_path_factory) -> tuple[Path, dict]:
    """The demo site's feed crawled through qilucrawl.crawl() in a child process."""
    db = tmp_path_factory.mktemp("api") / "archive.db"
    script = (
        "import json, sys, qilucrawl\n"
        "from qilucrawl.demo.server import DemoServer\n"
        "with DemoServer() as server:\n"
        f"    result = qilucrawl.crawl('feed', {str(db)!r}, base_url=server.url, settings={SETTINGS!r})\n"
        "print(json.dumps({'status': int(result.status), 'runs': result.runs}))\n"
    )
    child = subprocess.run(
        [sys.executable, "-c", script], check=False, capture_output=True, text=True, cwd=ROOT, timeout=180
    )
    assert child.returncode == 0, child.stderr[-2000:]
    return db, json.loads(child.stdout.splitlines()[-1])


def test_crawl_returns_its_status_and_run_rows(crawled):
    _, result = crawled
    (run,) = result["runs"]
    assert result["status"] == 1 and run["spider"] == "feed" and run["status"] == "failures"  # the planted ones
    assert run["new"] > 30 and run["failed"] == 5


def test_reads_return_plain_data(crawled, tmp_path):
    db, _ = crawled
    figures = qilucrawl.stats(db)
    assert figures["articles"] == sum(row["articles"] for row in figures["by_source"])
    found = qilucrawl.search(db, "天鹅", limit=5)
    assert found and all("天鹅" in row["title"] + row["snippet"].replace("【", "").replace("】", "") for row in found)
    article = qilucrawl.show(db, found[0]["info_code"], revisions=True)
    assert article["info_code"] == found[0]["info_code"] and article["revisions"] == []
    assert qilucrawl.show(db, "NW000000000000000000") is None
    assert [run["spider"] for run in qilucrawl.runs(db)] == ["feed"]
    manifest = qilucrawl.export(db, "jsonl", tmp_path / "out.jsonl", source="齐鲁网")
    lines = (tmp_path / "out.jsonl").read_text(encoding="utf-8").splitlines()
    assert manifest["rows"] == len(lines) > 0 and {json.loads(line)["source"] for line in lines} == {"齐鲁网"}


def test_a_read_of_a_missing_archive_says_so(tmp_path):
    with pytest.raises(NoArchive):
        qilucrawl.stats(tmp_path / "none.db")
    assert not (tmp_path / "none.db").exists()


def test_import_archive_records_its_run_and_reports_each_file(tmp_path):
    result = qilucrawl.import_archive([OWN_POST], tmp_path / "a.db")
    assert result.run["spider"] == "import" and result.run["status"] == "ok" and result.run["new"] == 1
    assert result.reports == [
        {"path": str(OWN_POST), "outcome": "imported", "info_code": "NW202303141234567890", "reason": None}
    ]
    assert qilucrawl.import_archive([OWN_POST], tmp_path / "a.db").totals == {"unchanged": 1}


def test_import_archive_takes_the_archive_s_lock(tmp_path):
    db = tmp_path / "a.db"
    child = subprocess.Popen(
        [sys.executable, "-c", (f"from qilucrawl.lock import RunLock; import time\nwith RunLock({str(db)!r}):\n"
                                "    print('held', flush=True); time.sleep(30)")],
        stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert child.stdout.readline().strip() == "held"
        with pytest.raises(LockedError):
            qilucrawl.import_archive([OWN_POST], db)
    finally:
        child.kill()
        child.wait()
    with RunLock(db), RunLock(db):  # the lock is re-entrant within a process
        pass


def test_parse_page_reads_bytes_files_and_says_why_not():
    article = qilucrawl.parse_page(OWN_POST)
    assert article["info_code"] == "NW202303141234567890" and article["source"] == "齐鲁网"
    assert qilucrawl.parse_page(OWN_POST.read_bytes(), url="http://x.test/a.md")["title"] == article["title"]
    with pytest.raises(ExtractError):
        qilucrawl.parse_page(b"   ")


def test_the_package_loads_the_api_only_when_used():
    child = subprocess.run(
        [sys.executable, "-c", "import sys, qilucrawl; print('qilucrawl.api' in sys.modules, 'scrapy' in sys.modules)"],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    assert child.stdout.split() == ["False", "False"]
