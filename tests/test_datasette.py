"""The archive in datasette: `qilucrawl datasette-metadata` and qilucrawl's datasette plugin,
served by a real datasette process on loopback over a demo archive and asked over HTTP."""

from __future__ import annotations

import html
import json
import os
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from pathlib import Path

import pytest
import yaml

from qilucrawl.items import DATA_DICTIONARY
from tests.conftest import LOCAL_SETTINGS, ROOT, rows, run_cli

DATASETTE = Path(sys.executable).with_name("datasette")
HIDDEN = {"pages", "search_keys", "reprocess_progress", "articles_fts", "articles_fts_data", "articles_fts_idx",
          "articles_fts_docsize", "articles_fts_config"}  # fmt: skip


@pytest.fixture(scope="module")
def archive(tmp_path_factory) -> Path:
    """The demo site crawled once (feed and iqilu) into a real archive."""
    folder = tmp_path_factory.mktemp("archive")
    result = run_cli("demo", "--db", folder / "demo.db", "--out", folder / "demo.jsonl", *LOCAL_SETTINGS[:4])
    assert result.returncode == 0, result.stderr
    return folder / "demo.db"


@pytest.fixture(scope="module")
def metadata_file(archive) -> Path:
    result = run_cli("datasette-metadata", "--db", archive)
    assert result.returncode == 0, result.stderr
    path = archive.with_name("metadata.yml")
    path.write_text(result.stdout, encoding="utf-8")
    return path


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="module")
def served(archive, metadata_file):
    """datasette serving the archive with the metadata (and, installed with qilucrawl, the plugin)."""
    port = free_port()
    log = open(archive.with_name("datasette.log"), "w+b")  # noqa: SIM115  # read after the process ends
    process = subprocess.Popen(
        [DATASETTE, "serve", archive, "--metadata", metadata_file, "--host", "127.0.0.1", "--port", str(port),
         "--setting", "truncate_cells_html", "300"],
        stdout=log, stderr=subprocess.STDOUT, env={**os.environ, "PYTHONPATH": str(ROOT)},
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(f"{base}/-/versions.json", timeout=2):
                    break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    log.seek(0)
                    pytest.fail(f"datasette did not answer: {log.read().decode(errors='replace')}")
                time.sleep(0.1)
        yield base
    finally:
        os.kill(process.pid, 15)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.kill(process.pid, 9)
            process.wait()
        log.close()


def get(base: str, path: str, **params: str) -> bytes:
    query = ("?" + urllib.parse.urlencode(params)) if params else ""
    with urllib.request.urlopen(f"{base}{path}{query}", timeout=30) as response:
        assert response.status == 200
        return response.read()


def get_json(base: str, path: str, **params: str):
    return json.loads(get(base, path, **params))


@pytest.mark.parametrize("words", ["天鹅", "山东", "济南 山东", "亿元", "2026年", "泉", "冬季 天鹅"])
def test_the_canned_search_finds_what_qilucrawl_search_finds(archive, served, words):
    result = run_cli("search", *words.split(), "--db", archive, "--json", "--limit", "100")
    assert result.returncode == 0, result.stderr
    expected = [json.loads(line) for line in result.stdout.splitlines()]
    assert expected  # every query here has matches in the demo archive
    found = get_json(served, "/demo/search.json", q=words, _shape="array")
    assert [(row["info_code"], row["title"], row["snippet"]) for row in found] == [
        (row["info_code"], row["title"], row["snippet"]) for row in expected
    ]


def test_a_two_character_query_matches_as_in_the_command_line(archive, served):
    found = get_json(served, "/demo/search.json", q="天鹅", _shape="array")
    assert len(found) >= 2
    assert all("天鹅" in row["title"] or "【天鹅】" in row["snippet"] for row in found)
    bodies = {r["info_code"]: r["title"] + r["body_text"] for r in rows(archive, "SELECT * FROM articles")}
    assert {row["info_code"] for row in found} == {code for code, text in bodies.items() if "天鹅" in text}


def test_a_query_without_words_matches_nothing_rather_than_failing(served):
    assert get_json(served, "/demo/search.json", q="？！", _shape="array") == []
    assert get_json(served, "/demo/search.json", q="", _shape="array") == []


def test_internal_tables_are_hidden_and_the_others_described(served):
    tables = {table["name"]: table for table in get_json(served, "/demo.json")["tables"]}
    assert {name for name, table in tables.items() if table["hidden"]} == HIDDEN
    assert {name for name, table in tables.items() if not table["hidden"]} >= {"articles", "revisions", "runs"}
    metadata = get_json(served, "/-/metadata.json")["databases"]["demo"]
    articles = metadata["tables"]["articles"]
    assert articles["description"].startswith("the current version of each article")
    assert {name: articles["columns"][name] for name in DATA_DICTIONARY if name != "last_seen_at"} == {
        name: doc.meaning for name, doc in DATA_DICTIONARY.items() if name != "last_seen_at"
    }
    page = html.unescape(get(served, "/demo/articles").decode())
    assert DATA_DICTIONARY["content_hash"].meaning in page  # the table page shows the descriptions


def test_the_metadata_file_is_the_json_the_command_prints(archive, metadata_file):
    result = run_cli("datasette-metadata", "--db", archive, "--json")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == yaml.safe_load(metadata_file.read_text(encoding="utf-8"))


def test_articles_are_faceted_by_source_category_and_beijing_day(archive, served):
    facets = get_json(served, "/demo/articles.json", _size="0")["facet_results"]
    assert list(facets) == ["source", "category", "published_at"]
    by_source = {value["value"]: value["count"] for value in facets["source"]["results"]}
    stored = rows(archive, "SELECT source, COUNT(*) AS n FROM articles GROUP BY source")
    assert by_source == {row["source"]: row["n"] for row in stored}
    days = {value["value"]: value["count"] for value in facets["published_at"]["results"]}
    per_day = rows(archive, "SELECT substr(published_at, 1, 10) AS day, COUNT(*) AS n FROM articles GROUP BY day")
    assert not facets["published_at"]["truncated"] and days == {row["day"]: row["n"] for row in per_day}
    # An article published before 08:00 Beijing time counts on its own day, not the UTC one before.
    early = rows(archive, "SELECT published_at FROM articles WHERE substr(published_at, 12, 2) < '08' LIMIT 1")
    assert early
    day = early[0]["published_at"][:10]
    selected = get_json(served, "/demo/articles.json", _size="max", published_at__startswith=day, _shape="array")
    assert early[0]["published_at"] in {row["published_at"] for row in selected} and len(selected) == days[day]


def test_long_bodies_are_cut_in_the_table_and_whole_on_the_article_s_page(archive, served):
    article = rows(archive, "SELECT info_code, body_text FROM articles ORDER BY length(body_text) DESC LIMIT 1")[0]
    assert len(article["body_text"]) > 300
    table = html.unescape(get(served, "/demo/articles", info_code=article["info_code"]).decode())
    assert article["body_text"][:200] in table and article["body_text"] not in table
    page = html.unescape(get(served, f"/demo/articles/{article['info_code']}").decode())
    assert article["body_text"] in page


def test_datasette_metadata_of_a_missing_archive_is_one_clear_line(tmp_path):
    result = run_cli("datasette-metadata", "--db", tmp_path / "none.db")
    assert result.returncode == 2
    assert [line for line in result.stderr.splitlines() if line.startswith("Error:")] == [
        f"Error: no archive at {tmp_path / 'none.db'}"
    ]
    assert "Traceback" not in result.stderr and not (tmp_path / "none.db").exists()
