"""The command line's answers to bad arguments, unusable archives and hostile files: one line
naming the option or the file, the documented exit status (README, "Exit statuses"), never a
traceback; and read commands that change nothing."""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import click
import pytest

from qilucrawl.cli import cli
from qilucrawl.jobs import ExitStatus
from qilucrawl.schema import SCHEMA_VERSION
from tests.conftest import LOCAL_SETTINGS, ROOT, rows, run_cli

PAGES = Path(__file__).parent / "pages"


def one_clear_line(result: subprocess.CompletedProcess, *words: str) -> str:
    """The error line of a failed command (click's usage lines aside), which names ``words``."""
    assert "Traceback" not in result.stderr, result.stderr[-3000:]
    lines = [line for line in result.stderr.splitlines() if line.startswith(("Error:", "qilucrawl:"))]
    assert len(lines) == 1, result.stderr
    for word in words:
        assert word in lines[0], (word, lines[0])
    return lines[0]


def post(code: str, title: str, body: str, *, day: str = "2026-11-19", category: str = "qiluwang") -> str:
    media = {"qiluwang": "齐鲁网", "dazhongribao": "大众日报"}[category]
    paragraphs = "\n\n".join(f"<p>{p}</p>" for p in body.split("\n"))
    return (
        f'---\nlayout: post\ntitle: "{title}"\ndate: {day} 09:00:00 +0800\ncategories: {category}\n'
        f"tags: {media}新闻\n---\n{paragraphs}\n\n"
        f"<http://finews.zning.xyz/html_News/NewsShare.html?infoCode={code}>\n"
    )


def archive_of(tmp_path: Path, posts: dict[str, str], name: str = "a.db") -> Path:
    """An archive made by `qilucrawl import` of these posts (file name -> text)."""
    folder = tmp_path / f"{name}-posts"
    folder.mkdir()
    for file_name, text in posts.items():
        (folder / file_name).write_text(text, encoding="utf-8")
    db = tmp_path / name
    result = run_cli("import", folder, "--db", db)
    assert result.returncode == 0, result.stdout + result.stderr
    return db


@pytest.fixture(scope="module")
def small_archive(tmp_path_factory) -> Path:
    tmp = tmp_path_factory.mktemp("small")
    return archive_of(
        tmp,
        {
            "2026-11-19-NW202611190000000001.md": post(
                "NW202611190000000001", "济南冬季供暖热线开通", "济南市今年冬季供暖工作安排已经公布，热线全天开通。"
            ),
            "2026-11-18-NW202611180000000002.md": post(
                "NW202611180000000002",
                "大众日报评论",
                "山东省统计局发布前三季度数据，全省经济运行稳中向好。",
                day="2026-11-18",
                category="dazhongribao",
            ),
        },
    )


def sha256_of(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@contextmanager
def read_only(*paths: Path) -> Iterator[None]:
    """Make files and folders unwritable for real: chattr +i as root (who ignores modes), else
    chmod.  Skips the test where neither takes effect."""
    if os.geteuid() == 0:
        if shutil.which("chattr") is None:
            pytest.skip("running as root without chattr: cannot make a file read-only")
        if subprocess.run(["chattr", "+i", *map(str, paths)], check=False, capture_output=True).returncode != 0:
            pytest.skip("chattr +i is not permitted here")
        try:
            yield
        finally:
            subprocess.run(["chattr", "-i", *map(str, paths)], check=False, capture_output=True)
        return
    modes = {path: path.stat().st_mode for path in paths}
    for path in paths:
        path.chmod(0o555 if path.is_dir() else 0o444)
    try:
        yield
    finally:
        for path, mode in modes.items():
            path.chmod(mode)


# --- 1. demo-server -----------------------------------------------------------------------------


def test_demo_server_on_a_busy_port_a_port_out_of_range_or_an_unknown_edition_says_so(tmp_path):
    busy = socket.socket()
    busy.bind(("127.0.0.1", 0))
    busy.listen()
    port = busy.getsockname()[1]
    default_port = socket.socket()
    try:
        try:  # the default port, busy: ours, or somebody's already
            default_port.bind(("127.0.0.1", 8800))
            default_port.listen()
        except OSError:
            pass
        for args in (["--port", str(port)], []):
            result = run_cli("demo-server", *args, timeout=30)
            assert result.returncode == ExitStatus.ERROR, result.stderr
            shown = str(port) if args else "8800"
            one_clear_line(result, f"127.0.0.1:{shown}", "--port 0")
    finally:
        busy.close()
        default_port.close()
    result = run_cli("demo-server", "--port", "80000", timeout=30)
    assert result.returncode == ExitStatus.USAGE
    one_clear_line(result, "--port", "80000")
    result = run_cli("demo-server", "--edition", "4", "--port", "0", timeout=30)
    assert result.returncode == ExitStatus.USAGE
    one_clear_line(result, "--edition", "4")


def test_the_demo_site_refuses_an_edition_it_does_not_have(demo_server):
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(f"{demo_server.url}/__demo/edition?n=4", timeout=10)
    assert refused.value.code == 400
    assert demo_server.site.edition == 1
    with urllib.request.urlopen(f"{demo_server.url}/__demo/edition?n=2", timeout=10) as answer:
        assert answer.read() == b"edition 2"


# --- 2. filters that match nothing --------------------------------------------------------------


def test_export_filters_that_match_nothing_say_so(small_archive, tmp_path):
    out = tmp_path / "x.jsonl"

    def export(*args: object) -> subprocess.CompletedProcess:
        return run_cli("export", "--db", small_archive, "--out", out, *args)

    medium = export("--category", "齐鲁网")
    assert medium.returncode == ExitStatus.USAGE
    one_clear_line(medium, "--category", "slug", "qiluwang", "--source 齐鲁网")
    run = export("--changed-since-run", "99")
    assert run.returncode == ExitStatus.USAGE
    one_clear_line(run, "--changed-since-run 99", "1 to 1")
    bom = export("--bom")
    assert bom.returncode == ExitStatus.USAGE
    one_clear_line(bom, "--bom", "csv")
    backwards = export("--since", "2026-12-01", "--until", "2026-11-01")
    assert backwards.returncode == ExitStatus.USAGE
    one_clear_line(backwards, "--until must be after --since")
    same_day = export("--since", "2026-11-19", "--until", "2026-11-19")
    assert same_day.returncode == ExitStatus.USAGE
    assert not out.exists()  # the refused ones wrote nothing
    unknown = export("--source", "不存在")
    assert unknown.returncode == 0
    one_clear_line(unknown, "warning", "--source 不存在", "齐鲁网", "大众日报")
    unknown_slug = export("--category", "nosuch")
    assert unknown_slug.returncode == 0
    one_clear_line(unknown_slug, "warning", "--category nosuch", "qiluwang", "dazhongribao")
    csv = export("--format", "csv", "--bom", "--category", "qiluwang", "--changed-since-run", "1")
    assert csv.returncode == 0 and csv.stderr == "" and "wrote 1 articles" in csv.stdout
    assert out.read_bytes().startswith(b"\xef\xbb\xbf")


def test_search_without_words_with_a_bad_limit_or_backwards_dates_says_so(small_archive):
    for words in (",", "  ", "！？"):
        result = run_cli("search", words, "--db", small_archive)
        assert result.returncode == ExitStatus.USAGE, (words, result.stderr)
        one_clear_line(result, "nothing to search for")
    for limit in ("0", "-1", "99999999999999999999"):
        result = run_cli("search", "济南", "--db", small_archive, "--limit", limit)
        assert result.returncode == ExitStatus.USAGE, (limit, result.stderr)
        one_clear_line(result, "--limit", limit)
        result = run_cli("runs", "--db", small_archive, "--limit", limit)
        assert result.returncode == ExitStatus.USAGE, (limit, result.stderr)
    backwards = run_cli("search", "济南", "--db", small_archive, "--since", "2026-11-20", "--until", "2026-11-19")
    assert backwards.returncode == ExitStatus.USAGE
    one_clear_line(backwards, "--until must be after --since")
    unknown = run_cli("search", "济南", "--db", small_archive, "--source", "不存在")
    assert unknown.returncode == 0 and "--source 不存在" in unknown.stderr and "齐鲁网" in unknown.stderr
    found = run_cli("search", "济南", "--db", small_archive, "--limit", "9223372036854775807", "--json")
    assert found.returncode == 0 and len(found.stdout.splitlines()) == 1


def test_importing_an_empty_folder_says_so(tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    (empty / "notes.txt").write_text("no post here")
    db = tmp_path / "a.db"
    result = run_cli("import", empty, "--db", db)
    assert result.returncode == ExitStatus.USAGE
    one_clear_line(result, "no post files", str(empty))
    assert not db.exists()  # no run recorded for nothing
    one = tmp_path / "2023-03-14-NW202303141234567890.md"
    shutil.copy(PAGES / "jekyll" / one.name, one)
    mixed = run_cli("import", empty, one, "--db", db)
    assert mixed.returncode == 0, mixed.stderr
    one_clear_line(mixed, "warning", "no post files", str(empty))
    assert "1 imported" in mixed.stdout


# --- 3. SQLite errors after opening --------------------------------------------------------------


def test_a_malformed_archive_is_one_line_and_exit_4_for_every_command(small_archive, tmp_path):
    db = tmp_path / "malformed.db"
    shutil.copy(small_archive, db)
    conn = sqlite3.connect(db)  # the tables' first pages go; the schema and the runs stay, so it opens
    size = conn.execute("PRAGMA page_size").fetchone()[0]
    roots = conn.execute(
        "SELECT rootpage FROM sqlite_master WHERE name IN"
        " ('articles', 'articles_fts_data', 'articles_fts_idx', 'search_keys', 'revisions', 'seen')"
    ).fetchall()
    conn.close()
    with db.open("r+b") as handle:
        for (root,) in roots:
            handle.seek((root - 1) * size)
            handle.write(os.urandom(size))
    one = PAGES / "jekyll" / "2023-03-14-NW202303141234567890.md"
    for args in (
        ["search", "济南"],
        ["stats"],
        ["show", "NW202611190000000001"],
        ["export", "--out", tmp_path / "x.jsonl"],
        ["import", one],
    ):
        result = run_cli(*args, "--db", db)
        assert result.returncode == ExitStatus.ERROR, (args, result.stderr[-2000:])
        one_clear_line(result, "cannot use the archive", str(db))
    assert "malformed" in result.stderr
    assert "running" not in {r["status"] for r in rows(db, "SELECT status FROM runs")}


def test_an_immutable_archive_refuses_an_import_in_one_line_and_is_still_read(small_archive, tmp_path):
    db = tmp_path / "a.db"
    shutil.copy(small_archive, db)
    before = sha256_of(db)
    one = PAGES / "jekyll" / "2023-03-14-NW202303141234567890.md"
    with read_only(db):
        result = run_cli("import", one, "--db", db)
        assert result.returncode == ExitStatus.ERROR, result.stderr[-2000:]
        one_clear_line(result, str(db), "readonly")
        stats = run_cli("stats", "--db", db)
        assert stats.returncode == 0 and "2 articles" in stats.stdout, stats.stderr
    assert sha256_of(db) == before
    assert [r["status"] for r in rows(db, "SELECT status FROM runs")] == ["ok"]


def test_an_import_that_fills_the_disk_stops_in_one_line_and_marks_its_run(tmp_path):
    folder = tmp_path / "_posts"
    folder.mkdir()
    for i in range(1200):
        code = f"NW20261119{i:010d}"
        text = post(code, f"第{i}号 济南新闻", f"这是第{i}篇完整的正文，讲述济南市冬季供暖工作的安排。" * 8)
        (folder / f"2026-11-19-{code}.md").write_text(text, encoding="utf-8")
    db = tmp_path / "a.db"

    def small_disk() -> None:  # files may grow to 1.5 MB: a full disk, as SQLite meets it
        import resource

        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (1_500_000, 1_500_000))

    result = subprocess.run(
        [sys.executable, "-m", "qilucrawl", "import", str(folder), "--db", str(db)],
        check=False,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        preexec_fn=small_disk,
    )
    assert result.returncode == ExitStatus.ERROR, result.stderr[-2000:]
    one_clear_line(result, str(db))
    assert [r["status"] for r in rows(db, "SELECT status FROM runs")] == ["interrupted"]
    assert rows(db, "PRAGMA integrity_check")[0]["integrity_check"] == "ok"
    stored = rows(db, "SELECT COUNT(*) AS n FROM articles")[0]["n"]
    assert 0 < stored < 1200  # the batches stored before the disk was full are kept


def test_ctrl_c_in_an_export_is_one_line_and_exit_4(tmp_path):
    folder = tmp_path / "_posts"
    folder.mkdir()
    for i in range(1500):
        code = f"NW20261119{i:010d}"
        (folder / f"2026-11-19-{code}.md").write_text(post(code, f"第{i}号", "济南市冬季供暖工作安排。" * 4))
    db = tmp_path / "a.db"
    assert run_cli("import", folder, "--db", db).returncode == 0
    site = tmp_path / "site"
    export = subprocess.Popen(
        [sys.executable, "-m", "qilucrawl", "export", "--db", str(db), "--format", "jekyll", "--out", str(site)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 60
    while not list((site / "_posts").glob("*.md")) and time.monotonic() < deadline:
        time.sleep(0.02)
    export.send_signal(signal.SIGINT)
    stdout, stderr = export.communicate(timeout=60)
    if export.returncode == 0:
        pytest.skip("the export finished before Ctrl-C reached it")
    result = subprocess.CompletedProcess(export.args, export.returncode, stdout, stderr)
    assert result.returncode == ExitStatus.ERROR, stderr[-2000:]
    one_clear_line(result, "interrupted")
    assert not (tmp_path / "site" / "_posts.manifest.json").exists()


# --- 4. read commands read; a foreign database is refused -----------------------------------------


def test_read_commands_read_a_read_only_archive_and_change_nothing(small_archive, tmp_path):
    folder = tmp_path / "readonly"
    folder.mkdir()
    db = folder / "a.db"
    shutil.copy(small_archive, db)
    before = sha256_of(db)
    with read_only(db, folder):
        for args in (["stats"], ["runs"], ["search", "济南"], ["show", "NW202611190000000001"]):
            result = run_cli(*args, "--db", db)
            assert result.returncode == 0, (args, result.stderr[-2000:])
            assert "Traceback" not in result.stderr
        export = run_cli("export", "--db", db, "--out", tmp_path / "x.jsonl")
        assert export.returncode == 0, export.stderr[-2000:]
    assert sha256_of(db) == before
    assert sorted(p.name for p in folder.iterdir()) == ["a.db"]
    assert len((tmp_path / "x.jsonl").read_text(encoding="utf-8").splitlines()) == 2


def test_a_read_creates_nothing_and_an_old_schema_is_migrated_by_a_writer_only(small_archive, tmp_path):
    empty = tmp_path / "empty.db"
    empty.write_bytes(b"")
    result = run_cli("stats", "--db", empty)
    assert result.returncode == ExitStatus.USAGE
    one_clear_line(result, "no archive", str(empty))
    assert empty.read_bytes() == b""  # no tables given to it
    old = tmp_path / "old" / "a.db"
    old.parent.mkdir()
    shutil.copy(small_archive, old)
    conn = sqlite3.connect(old)
    conn.execute("DROP TABLE filtered")  # what schema 6 added
    conn.execute("PRAGMA user_version = 5")
    conn.commit()
    conn.close()
    before = sha256_of(old)
    with read_only(old, old.parent):
        refused = run_cli("stats", "--db", old)
        assert refused.returncode == ExitStatus.ERROR, refused.stderr
        one_clear_line(refused, str(old), "schema 5", f"schema {SCHEMA_VERSION}")
    assert sha256_of(old) == before
    migrated = run_cli("stats", "--db", old)  # writable: migrated first, as a crawl would
    assert migrated.returncode == 0, migrated.stderr
    assert rows(old, "PRAGMA user_version")[0]["user_version"] == SCHEMA_VERSION


def test_another_application_s_database_is_refused_untouched(tmp_path):
    db = tmp_path / "notes.sqlite"
    conn = sqlite3.connect(db)
    conn.execute("CREATE TABLE notes (id INTEGER PRIMARY KEY, text TEXT)")
    conn.execute("INSERT INTO notes (text) VALUES ('mine')")
    conn.commit()
    conn.close()
    before = sha256_of(db)
    one = PAGES / "jekyll" / "2023-03-14-NW202303141234567890.md"
    for args in (["stats"], ["search", "济南"], ["export", "--out", tmp_path / "x.jsonl"], ["import", one]):
        result = run_cli(*args, "--db", db)
        assert result.returncode == ExitStatus.ERROR, (args, result.stderr[-2000:])
        one_clear_line(result, str(db), "another application", "notes")
    crawl = run_cli("crawl", "feed", "--db", db, "--base-url", "http://127.0.0.1:9", "--log-level", "WARNING")
    assert crawl.returncode == ExitStatus.ERROR, crawl.stderr[-2000:]
    assert "another application" in crawl.stderr and "Traceback" not in crawl.stderr
    assert sha256_of(db) == before
    assert [r["name"] for r in rows(db, "SELECT name FROM sqlite_master")] == ["notes"]


# --- 5. numbers in search words ------------------------------------------------------------------


def test_a_word_mixing_digits_and_chinese_matches_that_phrase_only(tmp_path):
    texts = {
        "NW202611190000000011": "今年全省完成投资2150亿元，同比增长。",
        "NW202611190000000012": "新建高标准农田50万亩，带动百亿元产业集群。",
        "NW202611190000000013": "首期基金规模50亿元，重点投向人工智能。",
        "NW202611190000000014": "新增专项债券200亿元，支持重大项目。",
        "NW202611190000000015": "全年进出口突破200亿美元大关。",
        "NW202611190000000016": "去年实现营业收入500亿元，利润大增。",
        "NW202611190000000017": "地区生产总值同比增长5.6%。",
        "NW202611190000000018": "进出口总额同比增长15.6%。",
        "NW202611190000000019": "社会消费品零售总额增速5.68%。",
    }
    db = archive_of(
        tmp_path,
        {f"2026-11-19-{code}.md": post(code, f"经济新闻{code[-2:]}", text) for code, text in texts.items()},
    )

    def found(*words: str) -> set[str]:
        result = run_cli("search", *words, "--db", db, "--json", "--limit", "100")
        assert result.returncode == 0, result.stderr
        return {json.loads(line)["info_code"][-2:] for line in result.stdout.splitlines()}

    assert found("50亿元") == {"13"}
    assert found("200亿") == {"14", "15"}
    assert found("200亿元") == {"14"}
    assert found("2150亿元") == {"11"}
    assert found("50") == {"12", "13"}  # a number matches whole: not 2150, not 500
    assert found("亿元") == {"11", "12", "13", "14", "16"}
    assert found("5.6%") == {"17"}  # a decimal is one number: not 15.6, not 5.68
    marked = json.loads(run_cli("search", "50亿元", "--db", db, "--json").stdout)
    assert "【50亿元】" in marked["snippet"]


# --- 6. parse ------------------------------------------------------------------------------------


def test_parse_prints_values_not_python_reprs():
    page = PAGES / "iqilu" / "Iqilu_2014_09_23.html"
    result = run_cli("parse", page, "--url", "http://news.iqilu.com/shandong/yaowen/2014/0923/2145678.shtml")
    assert result.returncode == 0, result.stderr
    assert "None" not in result.stdout and "['" not in result.stdout and "[]" not in result.stdout
    assert "   authors: 李振" in result.stdout and "   tags: 大众日报新闻" in result.stdout
    assert "   info_code: IQ000000000002145678" in result.stdout


def test_parse_without_url_says_what_the_url_gives():
    page = PAGES / "iqilu" / "Iqilu_2023_10_12.html"
    result = run_cli("parse", page)
    assert result.returncode == 0, result.stderr
    note = one_clear_line(result, "note", "--url", "infoCode")
    assert str(page) in note
    assert "   info_code: -" in result.stdout
    with_url = run_cli("parse", page, "--url", "https://www.iqilu.com/shandong/20231012/5123456.shtml")
    assert with_url.returncode == 0 and with_url.stderr == ""


def test_parse_without_url_keeps_relative_images_and_says_what_url_gives():
    page = PAGES / "iqilu" / "Iqilu_2023_10_12.html"
    result = run_cli("parse", page, "--json")
    assert result.returncode == 0, result.stderr
    record = json.loads(result.stdout)
    assert [i["url"] for i in record["images"]] == ["/uploads/2023/10/12/c4f7e9a1b2.jpg"]
    one_clear_line(result, "note", "1 image(s)", "/uploads/2023/10/12/c4f7e9a1b2.jpg", "--url")
    absolute = json.loads(run_cli("parse", page, "--json", "--url", "https://www.iqilu.com/a/5123456.shtml").stdout)
    assert [i["url"] for i in absolute["images"]] == ["https://www.iqilu.com/uploads/2023/10/12/c4f7e9a1b2.jpg"]


def test_a_post_with_an_empty_title_gets_a_hint_about_posts(tmp_path):
    result = run_cli("parse", PAGES / "jekyll" / "-202303151234567801.md")
    assert result.returncode == ExitStatus.FAILURES
    assert "no title" in result.stdout and "post" in result.stdout and "qilucrawl import" in result.stdout
    assert "text-endpoint" not in result.stdout
    text = tmp_path / "text.json"
    text.write_text(json.dumps({"text": "<p>正文一段，足够长的正文内容。</p>"}, ensure_ascii=False))
    endpoint = run_cli("parse", text)
    assert "text-endpoint response has none" in endpoint.stdout


def test_a_page_over_the_size_cap_is_refused_with_that_reason(tmp_path):
    huge = tmp_path / "huge.html"
    with huge.open("wb") as handle:
        handle.write(b"<html><head><title>t</title></head><body><p>")
        handle.write("很长的正文。".encode() * (1024 * 1024))  # 18 MB
        handle.write(b"</p></body></html>")
    result = run_cli("parse", huge, "--json")
    assert result.returncode == ExitStatus.FAILURES
    error = json.loads(result.stdout)["error"]
    assert "size cap" in error and "16 MB" in error and "256" not in error
    fifo = tmp_path / "page.html"
    os.mkfifo(fifo)
    result = run_cli("parse", fifo, timeout=30)
    assert result.returncode == ExitStatus.FAILURES and "not a regular file (a FIFO)" in result.stdout


def test_a_url_that_cannot_be_fetched_is_said_in_words_a_reader_acts_on(demo_server):
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        closed = f"http://127.0.0.1:{probe.getsockname()[1]}/a.html"
    result = run_cli("parse", closed, f"{demo_server.url}/no/such/page.shtml", "--json")
    assert result.returncode == ExitStatus.FAILURES and "Traceback" not in result.stderr
    refused, missing = (json.loads(line)["error"] for line in result.stdout.splitlines())
    assert refused == "cannot fetch it: connection refused"
    assert missing.startswith("the server answered HTTP 404")
    assert "urlopen" not in result.stdout and "Errno" not in result.stdout


# --- 7. --help examples --------------------------------------------------------------------------


def _commands(group: click.Group, prefix: str = "") -> list[tuple[str, click.Command]]:
    found = []
    for name, command in group.commands.items():
        if isinstance(command, click.Group):
            found += _commands(command, f"{prefix}{name} ")
        else:
            found.append((f"{prefix}{name}", command))
    return found


@pytest.mark.parametrize("name, command", _commands(cli), ids=[n for n, _ in _commands(cli)])
def test_every_command_s_help_prints_its_examples_as_written(name, command):
    examples = [line.strip() for line in (command.help or "").splitlines() if line.strip().startswith("qilucrawl ")]
    assert examples, f"`qilucrawl {name} --help` shows no example"
    env = {**os.environ, "COLUMNS": "60"}  # narrower than every example: any re-wrapping shows
    command_line = [sys.executable, "-m", "qilucrawl", *name.split(), "--help"]
    result = subprocess.run(command_line, check=False, cwd=ROOT, capture_output=True, text=True, env=env)
    assert result.returncode == 0, result.stderr
    shown = [line.strip() for line in result.stdout.splitlines()]
    for example in examples:
        assert example in shown, f"{example!r} is not one line of `qilucrawl {name} --help`:\n{result.stdout}"


# --- 11. one date syntax -------------------------------------------------------------------------


def test_every_date_option_takes_iso_days_and_times_and_names_itself_when_wrong(demo_server, small_archive, tmp_path):
    db = tmp_path / "b.db"
    backfill = run_cli(
        "backfill", "iqilu", "--db", db, "--base-url", demo_server.url, "--since", "2026-11-01T00:00:00+08:00",
        "--log-level", "WARNING", *LOCAL_SETTINGS,
    )  # fmt: skip
    assert backfill.returncode in (ExitStatus.OK, ExitStatus.FAILURES), backfill.stderr[-2000:]
    assert "strptime" not in backfill.stderr and "Traceback" not in backfill.stderr
    assert rows(db, "SELECT COUNT(*) AS n FROM articles")[0]["n"] > 0
    out = tmp_path / "x.jsonl"
    export = run_cli("export", "--db", small_archive, "--out", out, "--since", "2026-01-01 08:00")
    assert export.returncode == 0, export.stderr
    assert len(out.read_text(encoding="utf-8").splitlines()) == 2
    for command in (["backfill", "iqilu", "--db", db], ["export", "--db", small_archive, "--out", out]):
        for option in ("--since", "--until"):
            extra = ["--since", "2026-01-01"] if option == "--until" else []
            bad = run_cli(*command, *extra, option, "2026/01/01")
            assert bad.returncode == ExitStatus.USAGE, (command, option, bad.stderr)
            assert re.search(rf"'{option}'.*2026/01/01", bad.stderr), bad.stderr
            assert "strptime" not in bad.stderr
