"""`qilucrawl export` in every format, with filters and manifests, from a real demo archive."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import sqlite3
from pathlib import Path

import pytest

from qilucrawl.exporters import RECORD_FIELDS
from tests.conftest import LOCAL_SETTINGS, SHARED, run_cli

SEED = SHARED / "seeds" / "000_f0a55db7695c555a.txt"
OWN_POST = Path(__file__).parent / "pages" / "jekyll" / "2023-03-14-NW202303141234567890.md"


@pytest.fixture(scope="module")
def archive(tmp_path_factory) -> Path:
    """The demo site crawled once (feed and iqilu) into a real archive."""
    folder = tmp_path_factory.mktemp("archive")
    result = run_cli("demo", "--db", folder / "demo.db", "--out", folder / "demo.jsonl", *LOCAL_SETTINGS[:4])
    assert result.returncode == 0, result.stderr
    return folder / "demo.db"


def stored(db, where="", params=()):
    conn = sqlite3.connect(db)
    conn.row_factory = sqlite3.Row
    try:
        return [dict(r) for r in conn.execute(f"SELECT * FROM articles {where} ORDER BY info_code", params)]
    finally:
        conn.close()


def export(db, fmt, out, *options):
    result = run_cli("export", "--db", db, "--format", fmt, "--out", out, *options)
    assert result.returncode == 0, result.stderr
    return json.loads(
        Path(f"{out}.manifest.json" if fmt != "jekyll" else Path(out) / "_posts.manifest.json").read_text()
    )


def test_jsonl_has_every_article_and_the_dictionary_fields(archive, tmp_path):
    out = tmp_path / "a.jsonl"
    manifest = export(archive, "jsonl", out)
    records = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert sorted(r["info_code"] for r in records) == [r["info_code"] for r in stored(archive)]
    assert all(list(r) == list(RECORD_FIELDS) for r in records)
    assert manifest["rows"] == len(records) and manifest["format"] == "jsonl"
    assert manifest["sha256"] == hashlib.sha256(out.read_bytes()).hexdigest()
    times = sorted(r["published_at"] for r in records)
    assert (manifest["published_from"], manifest["published_to"]) == (times[0], times[-1])


def test_csv_survives_newlines_and_quotes_and_has_a_bom_on_request(archive, tmp_path):
    out = tmp_path / "a.csv"
    export(archive, "csv", out, "--bom")
    raw = out.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    reader = csv.DictReader(io.StringIO(raw.decode("utf-8-sig"), newline=""))
    assert reader.fieldnames == list(RECORD_FIELDS)
    rows = {r["info_code"]: r for r in reader}
    for article in stored(archive):
        row = rows[article["info_code"]]
        assert row["title"] == article["title"] and row["body_text"] == article["body_text"]
        assert json.loads(row["tags"]) == json.loads(article["tags"])
    assert any("\n" in r["body_text"] for r in rows.values()) and any('"' in r["title"] for r in rows.values())
    export(archive, "csv", tmp_path / "plain.csv")
    assert not (tmp_path / "plain.csv").read_bytes().startswith(b"\xef\xbb\xbf")


def test_parquet_is_typed_and_loads_in_pandas_and_datasets(archive, tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    out = tmp_path / "a.parquet"
    export(archive, "parquet", out)
    schema = pq.read_schema(out)
    assert pa.types.is_timestamp(schema.field("published_at").type) and schema.field("published_at").type.tz
    assert pa.types.is_list(schema.field("tags").type) and pa.types.is_list(schema.field("authors").type)
    assert pa.types.is_struct(schema.field("images").type.value_type)

    pandas = pytest.importorskip("pandas")
    frame = pandas.read_parquet(out)
    assert len(frame) == len(stored(archive))
    assert str(frame["published_at"].dtype).startswith("datetime64") and "Asia/Shanghai" in str(
        frame["published_at"].dtype
    )
    first = frame.sort_values("info_code").iloc[0]
    assert list(first["tags"]) == json.loads(stored(archive)[0]["tags"])

    datasets = pytest.importorskip("datasets")
    dataset = datasets.load_dataset("parquet", data_files=str(out), split="train")
    assert dataset.num_rows == len(frame) and "timestamp" in str(dataset.features["published_at"])


def test_filters_select_what_the_database_says(archive, tmp_path):
    everything = stored(archive)
    out = tmp_path / "f.jsonl"
    manifest = export(archive, "jsonl", out, "--since", "2026-11-10", "--until", "2026-11-15", "--source", "齐鲁网")
    got = sorted(json.loads(line)["info_code"] for line in out.read_text(encoding="utf-8").splitlines())
    want = sorted(
        a["info_code"]
        for a in everything
        if "2026-11-10" <= a["published_at"] < "2026-11-15" and a["source"] == "齐鲁网"
    )
    assert got == want and want
    assert manifest["filters"] == {"since": "2026-11-10", "until": "2026-11-15", "source": "齐鲁网"}
    export(archive, "jsonl", out, "--category", "dazhongribao")
    assert {json.loads(l)["category"] for l in out.read_text(encoding="utf-8").splitlines()} == {"dazhongribao"}


def test_changed_since_run_gives_only_what_that_run_added_or_changed(archive, tmp_path):
    out = tmp_path / "c.jsonl"
    export(archive, "jsonl", out, "--changed-since-run", "2")
    codes = [json.loads(line)["info_code"] for line in out.read_text(encoding="utf-8").splitlines()]
    assert codes and all(code.startswith("IQ") for code in codes)  # run 2 is the iqilu backfill


def test_a_bad_date_is_a_usage_error(archive, tmp_path):
    result = run_cli(
        "export", "--db", archive, "--format", "jsonl", "--out", tmp_path / "x.jsonl", "--since", "yesterday-ish"
    )
    assert result.returncode == 2 and "not a date" in result.stderr
    assert not (tmp_path / "x.jsonl").exists()


def test_jekyll_site_has_a_post_per_article_and_a_page_per_medium(archive, tmp_path):
    site = tmp_path / "site"
    manifest = export(archive, "jekyll", site, "--site-host", "news.example.org")
    posts = sorted((site / "_posts").glob("*.md"))
    articles = stored(archive)
    assert manifest["rows"] == len(posts) == len(articles)
    assert {p.name[11:-3] for p in posts} == {a["info_code"] for a in articles}
    categories = {a["category"] for a in articles if a["category"] != "emnews"}
    assert {p.stem for p in (site / "category").glob("*.html")} >= categories
    text = posts[0].read_text(encoding="utf-8")
    assert text.startswith("---\nlayout: post\ntitle: ") and "//news.example.org/" in text


def _roundtrip(post: Path, tmp_path: Path, host: str) -> tuple[str, str]:
    db = tmp_path / "rt.db"
    assert run_cli("import", post, "--db", db).returncode == 0
    site = tmp_path / "site"
    export(db, "jekyll", site, "--site-host", host)
    (written,) = (site / "_posts").glob("*.md")
    return post.read_text(encoding="utf-8"), written.read_text(encoding="utf-8")


def _parts(post: str) -> tuple[list[str], list[str], list[str]]:
    import re

    post = post.replace("\r\n", "\n").lstrip("\ufeff\n")
    front, body = post.split("\n---\n", 1)
    lines = [line.strip() for line in body.split("\n") if line.strip()]
    paragraphs = [re.sub(r"\s+", "", p) for p in re.findall(r"<p>(.*?)</p>", body)]
    return front.splitlines(), paragraphs, [l for l in lines if l.startswith(("<http", "[返回"))]


def test_import_then_export_gives_the_same_post_back(tmp_path):
    original, again = _roundtrip(OWN_POST, tmp_path, "archive.example.net")
    assert _parts(again)[0][:4] == _parts(original)[0][:4]
    assert _parts(again)[1] == _parts(original)[1]
    assert _parts(again)[2][0] == _parts(original)[2][0]


@pytest.mark.skipif(not SEED.exists(), reason="../shared is not there (a user's clone)")
def test_the_seed_round_trips(tmp_path):
    seed = tmp_path / "2022-02-20-NW202202202282305213.md"
    seed.write_bytes(SEED.read_bytes())
    original, again = _roundtrip(seed, tmp_path, "finews.withounder.com")
    front, paragraphs, links = _parts(original)
    front2, paragraphs2, links2 = _parts(again)
    assert front2 == front and paragraphs2 == paragraphs and links2 == links
    # Exactly: the same 14 paragraphs, the medium's line, the share link and the back links.
    assert again == original.replace("\r\n", "\n")
    assert '<p class="em_media">（文章来源：齐鲁网）</p>' in again and len(paragraphs) == 14


def test_an_imported_rolling_post_keeps_its_file_name(tmp_path):
    post = tmp_path / "2021-12-08-202112082206672930.md"
    post.write_text(
        '---\nlayout: post\ntitle: "离岸人民币兑美元升至新高"\ndate: 2021-12-08 10:46:18 +0800\n'
        "categories: emnews\ntags: 东财滚动新闻\n---\n> 离岸人民币兑美元日内涨超100点。\n\n"
        "<p>离岸人民币兑美元日内涨超100点，升至2018年以来最高水平。</p>\n\n"
        "<http://finance.eastmoney.com/a/202112082206672930.html>\n\n"
        "[返回东财滚动新闻](//archive.example.net/category/emnews.html)｜[返回首页](//archive.example.net/)",
        encoding="utf-8",
    )
    original, again = _roundtrip(post, tmp_path, "archive.example.net")
    assert (tmp_path / "site" / "_posts" / post.name).exists()
    assert again == original


def test_parse_of_a_post_gives_its_share_link_as_source_url_as_import_does(tmp_path):
    db = tmp_path / "a.db"
    assert run_cli("import", OWN_POST, "--db", db).returncode == 0
    parsed = json.loads(run_cli("parse", OWN_POST, "--json").stdout.splitlines()[0])
    (imported,) = stored(db)
    assert (
        parsed["source_url"]
        == imported["source_url"]
        == ("http://feeds.example.com/html_News/NewsShare.html?infoCode=NW202303141234567890")
    )
