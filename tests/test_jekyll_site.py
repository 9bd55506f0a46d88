"""The Jekyll site builds from anywhere: `export --format jekyll` writes what the site needs
(shipped in the package, the same files as the checkout's archive/) into a new folder, never over
a user's own; the built site publishes no archive data, pages every post by month, links each post
to its neighbours, shows authors, and tags a medium named …新闻 once.  And the package itself: a
wheel that installs and runs the demo outside the checkout.

The CLI runs in a subprocess on real SQLite files; Jekyll builds are Debian's `jekyll` (skipped
when it is absent; `.ci/run` installs it).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import sysconfig
import tomllib
import zipfile
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote

import pytest

from tests.conftest import LOCAL_SETTINGS, ROOT, rows
from tests.test_export_safety import cli, grow

SHIPPED = ROOT / "qilucrawl" / "site"
NEEDED = {"_config.yml", "index.html", "_layouts/default.html", "_layouts/post.html", "_layouts/category.html"}
# What lives beside the site in archive/ and must never be published.
ARCHIVE_DATA = [
    "demo.db", "demo.db.lock", "demo.jsonl", "demo.jsonl.manifest.json",
    "qilucrawl.db", "qilucrawl.db-wal", "qilucrawl.db-shm", "qilucrawl.db-journal", "qilucrawl.db.lock",
    "news.sqlite3", "articles.csv", "articles.parquet", "crawl.log", ".demo.jsonl.4242.abcd1234.part",
    "_posts.manifest.json",
]  # fmt: skip
needs_jekyll = pytest.mark.skipif(
    shutil.which("jekyll") is None, reason="jekyll is not installed (apt-get install jekyll)"
)


def shipped() -> dict[str, bytes]:
    return {p.relative_to(SHIPPED).as_posix(): p.read_bytes() for p in SHIPPED.rglob("*") if p.is_file()}


def site_files(site: Path) -> dict[str, bytes]:
    return {name: (site / name).read_bytes() for name in shipped() if (site / name).is_file()}


@pytest.fixture(scope="module")
def archive(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("archive")
    result = cli("demo", "--db", "demo.db", "--out", "demo.jsonl", *LOCAL_SETTINGS[:4], cwd=folder)
    assert result.returncode == 0, result.stderr.decode()
    return folder / "demo.db"


def export_site(db: Path, site: Path, *extra: object) -> None:
    result = cli("export", "--db", db, "--format", "jekyll", "--out", site, *extra, cwd=site.parent)
    assert result.returncode == 0, result.stderr.decode()


# --- 7. the site's own files: package data, one source --------------------------------------------


def test_the_site_files_ship_with_the_package_and_archive_holds_the_same():
    files = shipped()
    assert NEEDED | {"_layouts/month.html"} <= set(files)
    package_data = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["package-data"]
    assert "site/**/*" in package_data["qilucrawl"]
    # archive/ is where the checkout's site lives: the same files, no second version to drift.
    hand_written = {
        p.relative_to(ROOT / "archive").as_posix()
        for p in [
            ROOT / "archive" / "_config.yml",
            ROOT / "archive" / "index.html",
            *(ROOT / "archive").glob("_layouts/*"),
        ]
        if p.is_file()
    }
    assert hand_written == set(files)
    assert {name: (ROOT / "archive" / name).read_bytes() for name in files} == files


def test_an_export_into_a_new_folder_writes_what_the_site_needs(archive, tmp_path):
    site = tmp_path / "new" / "site"
    site.parent.mkdir()
    export_site(archive, site)
    assert site_files(site) == shipped()
    posts = sorted(p.name for p in (site / "_posts").glob("*.md"))
    assert len(posts) == len(rows(archive, "SELECT info_code FROM articles"))
    assert {p.stem for p in (site / "months").glob("*.html")} == {name[:7] for name in posts}
    page = (site / "months" / f"{posts[0][:7]}.html").read_text(encoding="utf-8")
    year, month = posts[0][:4], int(posts[0][5:7])
    assert page == f'---\nlayout: month\ntitle: {year}年{month}月\nmonth: "{posts[0][:7]}"\n---\n'


def test_an_export_never_overwrites_the_user_s_own_site_files(archive, tmp_path):
    site = tmp_path / "site"
    (site / "_layouts").mkdir(parents=True)
    mine = {
        "_config.yml": b"title: My own archive\n",
        "_layouts/post.html": b"---\nlayout: default\n---\n<div class=mine>{{ content }}</div>\n",
    }
    for name, content in mine.items():
        (site / name).write_bytes(content)
    (site / "elsewhere.html").write_text("<p>mine</p>\n")
    (site / "index.html").symlink_to(site / "elsewhere.html")  # a link is the user's too
    export_site(archive, site)
    export_site(archive, site)
    assert {name: (site / name).read_bytes() for name in mine} == mine
    assert (site / "index.html").is_symlink() and (site / "elsewhere.html").read_text() == "<p>mine</p>\n"
    for name in NEEDED - set(mine) - {"index.html"}:  # the missing ones were written
        assert (site / name).read_bytes() == shipped()[name]


# --- 9. the doubled tag --------------------------------------------------------------------------


def test_a_medium_whose_name_ends_in_xinwen_is_tagged_once(archive, tmp_path):
    stored = rows(archive, "SELECT source, category, tags FROM articles WHERE source LIKE '%新闻'")
    assert {r["source"] for r in stored} >= {"闪电新闻", "每日经济新闻"}
    assert all(json.loads(r["tags"]) == [r["source"]] for r in stored)
    site = tmp_path / "site"
    export_site(archive, site, "--site-host", "news.example.org")
    text = "\n".join(p.read_text(encoding="utf-8") for p in site.rglob("*.*") if p.suffix in (".md", ".html"))
    assert "新闻新闻" not in text
    (flash,) = [p for p in (site / "_posts").glob("*.md") if "tags: 闪电新闻\n" in p.read_text(encoding="utf-8")][:1]
    assert "[返回闪电新闻](//news.example.org/category/shandianxinwen.html)" in flash.read_text(encoding="utf-8")
    assert "title: 闪电新闻\n" in (site / "category" / "shandianxinwen.html").read_text(encoding="utf-8")
    # The export reads back as it was: 闪电新闻, not 闪电.
    again = tmp_path / "again.db"
    assert cli("import", site / "_posts", "--db", again, cwd=tmp_path).returncode == 0
    back = rows(again, "SELECT source, category, tags FROM articles WHERE category = 'shandianxinwen'")
    assert back and all((r["source"], json.loads(r["tags"])) == ("闪电新闻", ["闪电新闻"]) for r in back)


def test_an_older_archive_s_doubled_tag_still_reads_as_the_medium(tmp_path):
    post = tmp_path / "_posts" / "2025-12-30-NW202512301845092631.md"
    post.parent.mkdir()
    post.write_text(
        '---\nlayout: post\ntitle: "日照首条城市快速路全线贯通"\ndate: 2025-12-30 18:45:00 +0800\n'
        "categories: shandianxinwen\ntags: 闪电新闻新闻\n---\n<p>日照首条城市快速路今天全线贯通。</p>\n\n"
        "<http://finance.eastmoney.com/a/202512301845092631.html>\n\n"
        "[返回闪电新闻新闻](//localhost:4000/category/shandianxinwen.html)｜[返回首页](//localhost:4000/)\n",
        encoding="utf-8",
    )
    db = tmp_path / "old.db"
    assert cli("import", post.parent, "--db", db, cwd=tmp_path).returncode == 0
    (article,) = rows(db, "SELECT source, category, tags FROM articles")
    assert (article["source"], article["category"], json.loads(article["tags"])) == (
        "闪电新闻",
        "shandianxinwen",
        ["闪电新闻"],
    )


# --- 7–9. a real build ---------------------------------------------------------------------------


class Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.links: list[tuple[str, str]] = []  # (rel, href)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag == "a" and values.get("href"):
            self.links.append((values.get("rel") or "", unquote(values["href"] or "")))


def links(page: Path) -> list[tuple[str, str]]:
    parser = Links()
    parser.feed(page.read_text(encoding="utf-8"))
    return parser.links


def jekyll_build(site: Path, out: Path) -> str:
    result = subprocess.run(
        ["jekyll", "build", "--source", str(site), "--destination", str(out)],
        capture_output=True,
        text=True,
        timeout=400,
        check=False,
        cwd=site.parent,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout + result.stderr


@needs_jekyll
def test_the_exported_site_builds_from_a_new_folder_and_publishes_no_archive_data(archive, tmp_path):
    site = tmp_path / "site"
    site.mkdir()
    big = site / "demo.db"  # the archive inside the site folder, as archive/qilucrawl.db is
    count = grow(archive, big, 5)  # more posts than the index's newest 100
    assert count > 150
    for name in ARCHIVE_DATA:
        if not (site / name).exists():
            (site / name).write_bytes(b"SQLite format 3\x00 not for publishing")
    export_site(big, site)
    for name in ("demo.db-wal", "demo.db-shm"):  # the export's own, while it reads
        (site / name).write_bytes(b"not for publishing")
    out = tmp_path / "_site"
    log = jekyll_build(site, out)
    assert "does not exist" not in log and "Warning" not in log, log
    published = {p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file()}
    names = {os.path.basename(name) for name in published}
    assert [name for name in [*ARCHIVE_DATA, "demo.db-wal", "demo.db-shm"] if name in names] == []
    assert "index.html" in published

    posts = {name for name in published if re.fullmatch(r"[a-z]+/\d{4}/\d{2}/\d{2}/[^/]+\.html", name)}
    assert len(posts) == count
    # Every post is reachable from the index: the newest 100 on it, all of them through its months.
    index = links(out / "index.html")
    months = [href for _, href in index if href.startswith("/months/")]
    assert len([href for _, href in index if href.lstrip("/") in posts]) == 100
    assert sorted(months, reverse=True) == months and len(months) == len(list((site / "months").glob("*.html")))
    reached = {href.lstrip("/") for month in months for _, href in links(out / month.lstrip("/"))}
    assert posts <= reached
    # Posts link to their neighbours; authors are shown; a medium …新闻 is named once.
    pages = sorted(posts)
    neighbours = [rel for page in pages for rel, href in links(out / page) if rel in ("prev", "next")]
    assert neighbours.count("prev") == neighbours.count("next") == count - 1
    with_authors = rows(big, "SELECT info_code, authors FROM articles WHERE authors != '[]' LIMIT 1")
    assert with_authors
    (page,) = [p for p in pages if with_authors[0]["info_code"][2:] in p]
    text = (out / page).read_text(encoding="utf-8")
    assert "作者：" + "、".join(json.loads(with_authors[0]["authors"])) in text
    assert not [p for p in published if p.endswith(".html") and "新闻新闻" in (out / p).read_text(encoding="utf-8")]


# --- 11. packaging --------------------------------------------------------------------------------


def test_the_build_requires_a_setuptools_that_reads_the_license_expression():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert isinstance(project["project"]["license"], str)  # "MIT": PEP 639, setuptools >= 77
    (requirement,) = [r for r in project["build-system"]["requires"] if r.startswith("setuptools")]
    minimum = re.fullmatch(r"setuptools>=(\d+)(?:\.\d+)*", requirement)
    assert minimum and int(minimum[1]) >= 77


@pytest.mark.slow
def test_a_wheel_installs_and_runs_the_demo_outside_the_checkout(tmp_path):
    source = tmp_path / "source"
    source.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, source / name)
    shutil.copytree(ROOT / "qilucrawl", source / "qilucrawl", ignore=shutil.ignore_patterns("__pycache__"))
    built = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--wheel-dir", tmp_path / "wheels", source],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert built.returncode == 0, built.stdout + built.stderr
    (wheel,) = (tmp_path / "wheels").glob("qilucrawl-*.whl")
    with zipfile.ZipFile(wheel) as archive_file:
        names = set(archive_file.namelist())
        metadata = next(archive_file.read(n).decode() for n in names if n.endswith(".dist-info/METADATA"))
    assert {f"qilucrawl/site/{name}" for name in NEEDED | set(shipped())} <= names
    assert any(n.startswith("qilucrawl/demo/corpus/feed/") for n in names)
    assert "Requires-Dist: scrapy" in metadata and "License-Expression: MIT" in metadata

    # A fresh venv: the wheel installed into it; its dependencies are the dev venv's, reached
    # through a .pth line (no download; the dev venv's editable qilucrawl is not on that path).
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", venv], check=True, timeout=120)
    python = venv / "bin" / "python"
    purelib = subprocess.run(
        [python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        capture_output=True, text=True, check=True,
    ).stdout.strip()  # fmt: skip
    Path(purelib, "dev-dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    install = subprocess.run(
        [python, "-m", "pip", "install", "--quiet", "--no-deps", "--no-index", wheel],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert install.returncode == 0, install.stdout + install.stderr

    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}

    def run(*args: object) -> subprocess.CompletedProcess:
        return subprocess.run(
            [venv / "bin" / "qilucrawl", *map(str, args)],
            capture_output=True, text=True, timeout=240, check=False, cwd=elsewhere, env=env,
        )  # fmt: skip

    where = subprocess.run(
        [python, "-c", "import qilucrawl; print(qilucrawl.__file__)"],
        capture_output=True, text=True, check=True, cwd=elsewhere, env=env,
    ).stdout  # fmt: skip
    assert where.startswith(str(venv)), where
    # `make demo`'s job: qilucrawl demo --db archive/demo.db --out archive/demo.jsonl
    demo = run("demo", "--db", "archive/demo.db", "--out", "archive/demo.jsonl", *LOCAL_SETTINGS[:4])
    assert demo.returncode == 0, demo.stdout + demo.stderr
    stored = len(rows(elsewhere / "archive" / "demo.db", "SELECT info_code FROM articles"))
    assert stored >= 40 and f"{stored} articles; exported {stored}" in demo.stdout
    assert len((elsewhere / "archive" / "demo.jsonl").read_text(encoding="utf-8").splitlines()) == stored
    site = run("export", "--db", "archive/demo.db", "--format", "jekyll", "--out", "site")
    assert site.returncode == 0, site.stderr
    assert site_files(elsewhere / "site") == shipped()
    if shutil.which("jekyll"):
        log = jekyll_build(elsewhere / "site", elsewhere / "_site")
        assert "does not exist" not in log and (elsewhere / "_site" / "index.html").exists()
