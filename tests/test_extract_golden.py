"""Golden pages of the non-site parsers (feed text bodies, plain text, Jekyll posts), and the
`qilucrawl parse` command on saved pages of every kind."""

from __future__ import annotations

import json
from typing import Any

import pytest

from qilucrawl.exporters import RECORD_FIELDS
from qilucrawl.extract import extract
from tests.conftest import run_cli
from tests.pages.regenerate import FIELDS, PAGES, golden_path, load_golden, page_of

KINDS = ["feed_text", "plain_text", "jekyll"]
GOLDEN = [
    pytest.param(kind, name, entry, id=name) for kind in KINDS for name, entry in sorted(load_golden(kind).items())
]


@pytest.mark.parametrize(("kind", "name", "entry"), GOLDEN)
def test_golden_page(kind: str, name: str, entry: dict[str, Any]) -> None:
    record = extract(page_of(kind, name, entry)).to_record()
    assert record["parser"] == entry["parser"]
    assert {field: record[field] for field in FIELDS} == entry["expected"]


@pytest.mark.parametrize("kind", KINDS)
def test_every_kind_has_golden_pages(kind: str) -> None:
    golden = load_golden(kind)
    assert golden, golden_path(kind)
    assert list(golden) == sorted(golden)


def test_parse_json_prints_one_record_per_input_in_order():
    inputs = [
        PAGES / "iqilu" / "Iqilu_2014_09_23.html",
        PAGES / "plain_text" / "print_layout.txt",
        PAGES / "jekyll" / "2023-03-14-NW202303141234567890.md",
        PAGES / "eastmoney" / "does-not-exist.html",
    ]
    result = run_cli("parse", *inputs, "--json")
    assert result.returncode == 1  # the missing file
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert [line["input"] for line in lines] == [str(p) for p in inputs]
    first, plain, post, missing = lines
    assert set(RECORD_FIELDS) <= set(first)
    assert first["title"] == load_golden("iqilu")["Iqilu_2014_09_23.html"]["expected"]["title"]
    assert plain["title"] == "湿地保护进入精细化管理阶段" and plain["published_at"] is None
    assert post["info_code"] == "NW202303141234567890" and post["category"] == "qiluwang"
    assert "No such file" in missing["error"] and first["error"] is None
    assert all(missing[field] is None for field in RECORD_FIELDS)  # null where unknown


def test_parse_a_saved_text_endpoint_response_with_what_the_list_said(tmp_path):
    saved = tmp_path / "text.json"
    saved.write_text(
        json.dumps(
            {
                "text": "<p>\u3000\u3000全市经济运行平稳，前三季度地区生产总值同比增长。</p>\r\n"
                '<p class="em_media">（文章来源：大众日报）</p>'
            }
        ),
        encoding="utf-8",
    )
    bare = run_cli("parse", saved)
    assert bare.returncode == 1 and "give the list's with --title" in bare.stdout
    titled = json.loads(run_cli("parse", saved, "--json", "--title", "经济运行").stdout)
    assert titled["info_code"] is None and titled["title"] == "经济运行"  # no --url: unknown, null
    url = "http://127.0.0.1/NewsData/GetNewsText.do?id=NW202611020000000003"
    result = run_cli(
        "parse", saved, "--json", "--url", url, "--title", "经济运行", "--published", "2026-11-02 10:00:00"
    )
    record = json.loads(result.stdout)
    assert result.returncode == 0 and record["info_code"] == "NW202611020000000003"
    assert (record["title"], record["published_at"], record["source"]) == (
        "经济运行",
        "2026-11-02T10:00:00+08:00",
        "大众日报",
    )


def test_parse_single_file_human_output_and_url_option():
    page = PAGES / "iqilu" / "Iqilu_2014_09_23.html"
    result = run_cli("parse", page, "--url", "http://news.iqilu.com/shandong/yaowen/2014/0923/2145678.shtml")
    assert result.returncode == 0, result.stderr
    assert "title: 济青高铁项目可研报告获批" in result.stdout and "parser: iqilu/V1_1" in result.stdout
