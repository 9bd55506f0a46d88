"""Site parsers against golden pages (fundus style), plus the iqilu URL helpers and matching.

Every page under ``tests/pages/<site>/`` listed in ``<Site>.json`` is extracted as a spider
would hand it over and each expected field must match exactly.  The pages were written for
these tests (no real page is copied); ``python -m tests.pages.regenerate --site <site>``
proposes new expectations for a person to review.
"""

from __future__ import annotations

from typing import Any

import pytest

from qilucrawl.clean.encoding import decode
from qilucrawl.extract import SITE_PARSERS, extract, extract_raw
from qilucrawl.extract.base import Document
from qilucrawl.extract.eastmoney import EastmoneyParser
from qilucrawl.extract.iqilu import IqiluParser, continuation_urls, iqilu_article_id
from qilucrawl.items import HTML, Page
from tests.pages.regenerate import FIELDS, PAGES, golden_path, load_golden, page_of

SITES = [parser.name for parser in SITE_PARSERS]
GOLDEN = [
    pytest.param(site, name, entry, id=name) for site in SITES for name, entry in sorted(load_golden(site).items())
]


def _doc(site: str, name: str, url: str) -> Document:
    text, _ = decode((PAGES / site / name).read_bytes())
    return Document(text, url)


@pytest.mark.parametrize(("site", "name", "entry"), GOLDEN)
def test_golden_page(site: str, name: str, entry: dict[str, Any]) -> None:
    article = extract(page_of(site, name, entry))
    record = article.to_record()
    assert article.parser == entry["parser"]
    assert {field: record[field] for field in FIELDS} == entry["expected"]


@pytest.mark.parametrize("site", SITES)
def test_golden_json_is_complete_and_sorted(site: str) -> None:
    path = golden_path(site)
    golden = load_golden(site)
    assert golden, f"{path} has no pages"
    assert list(golden) == sorted(golden)
    for name, entry in golden.items():
        assert list(entry) == sorted(entry)
        assert list(entry["expected"]) == sorted(FIELDS), name
        # Only complete articles: a golden page always has a title, a time and a body.
        assert entry["expected"]["title"] and entry["expected"]["published_at"], name
        assert entry["expected"]["body_text"], name


@pytest.mark.parametrize("parser", SITE_PARSERS, ids=SITES)
def test_every_parser_version_has_golden_pages(parser: Any) -> None:
    covered = {entry["parser"] for entry in load_golden(parser.name).values()}
    for version in parser.versions:
        assert f"{parser.name}/{version}" in covered


def test_multi_page_article_joins_continuations_in_order() -> None:
    golden = load_golden("iqilu")
    name, entry = next((n, e) for n, e in golden.items() if e.get("continuations"))
    joined = extract(page_of("iqilu", name, entry))
    first_only = extract(page_of("iqilu", name, {**entry, "continuations": []}))
    assert joined.body_text.startswith(first_only.body_text + "\n\n")
    assert "multi_page" in joined.quality_flags and "multi_page" not in first_only.quality_flags


def test_unreadable_continuation_is_flagged_not_fatal() -> None:
    golden = load_golden("iqilu")
    name, entry = next((n, e) for n, e in golden.items() if e.get("continuations"))
    page = page_of("iqilu", name, {**entry, "continuations": []})
    page.continuations = [Page(url=entry["continuations"][0]["url"], body=b"", kind=HTML)]
    article = extract(page)
    assert {"multi_page", "continuation_unreadable"} <= set(article.quality_flags)


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("http://news.iqilu.com/shandong/yaowen/2014/0923/2145678.shtml", "2145678"),
        ("https://news.iqilu.com/shandong/20231012/5512345.shtml", "5512345"),
        ("http://news.iqilu.com/shandong/kejiwenhua/2017/0605/3567890_2.shtml", "3567890"),
        ("https://news.iqilu.com/shandong/20231012/5512345.shtml?from=timeline#top", "5512345"),
        ("http://news.iqilu.com/shandong/yuanchuang/list_564_2.shtml", None),
        ("https://news.iqilu.com/shandong/", None),
        ("", None),
    ],
)
def test_iqilu_article_id(url: str, expected: str | None) -> None:
    assert iqilu_article_id(url) == expected


def test_continuation_urls_from_the_pager() -> None:
    url = "http://news.iqilu.com/shandong/kejiwenhua/2017/0605/3567890.shtml"
    doc = _doc("iqilu", "Iqilu_2017_06_05.html", url)
    assert continuation_urls(doc) == [url.replace(".shtml", "_2.shtml")]


def test_continuation_urls_relative_ordered_and_same_article_only() -> None:
    url = "https://news.iqilu.com/shandong/20231012/5512345_2.shtml"
    html = """<html><body><div id="context"><p>正文</p></div><div class="pages">
      <a href="5512345.shtml">1</a><a href="5512345_3.shtml#top">3</a>
      <a href="5512345_10.shtml">10</a>
      <a href="/shandong/20231012/5512345_3.shtml">下一页</a><a href="5599999_2.shtml">别的文章</a>
      <a href="javascript:void(0)">打印</a></div></body></html>"""
    assert continuation_urls(Document(html, url)) == [
        "https://news.iqilu.com/shandong/20231012/5512345_3.shtml",
        "https://news.iqilu.com/shandong/20231012/5512345_10.shtml",
    ]


def test_continuation_urls_of_a_non_article_page() -> None:
    html = '<html><body><a href="123_2.shtml">2</a></body></html>'
    doc = Document(html, "https://www.iqilu.com/")
    assert continuation_urls(doc) == []


def test_matches_by_host_and_by_markers() -> None:
    eastmoney, iqilu = EastmoneyParser(), IqiluParser()
    em_page = _doc("eastmoney", "Eastmoney_2025_01_08.html", "https://mirror.example.org/a/1.html")
    iq_page = _doc("iqilu", "Iqilu_2023_10_12.html", "https://mirror.example.org/b/2.shtml")
    assert eastmoney.matches(em_page) and not iqilu.matches(em_page)
    assert iqilu.matches(iq_page) and not eastmoney.matches(iq_page)
    assert eastmoney.matches(Document("<html></html>", "https://stock.eastmoney.com/a/1.html"))
    assert iqilu.matches(Document("<html></html>", "http://news.iqilu.com/china/"))


def test_an_unrelated_page_is_not_claimed() -> None:
    html = """<html><head><title>某市召开经济工作会议_新闻中心</title></head><body>
      <h1>某市召开经济工作会议</h1><span id="pubtime_baidu">2024-01-05 09:00</span>
      <div id="ContentBody"><p>会议总结了全年经济工作，部署了明年的重点任务。</p></div></body></html>"""
    doc = Document(html, "https://news.example.com/2024/0105/1.html")
    assert not any(parser.matches(doc) for parser in SITE_PARSERS)
    raw = extract_raw(Page(url=doc.url or "", body=html.encode(), kind=HTML))
    assert raw.parser.startswith("generic/")


def test_site_page_without_body_falls_back_to_generic() -> None:
    html = """<html><head><title>东方财富网行情中心</title></head><body><div class="main">
      <p>沪深两市今日震荡走高，创业板指涨逾1%，两市成交额连续第五个交易日突破万亿元。</p>
      <p>北向资金全天净买入超过50亿元，银行、券商板块领涨，半导体板块午后回落。</p></div></body></html>"""
    page = Page(url="https://quote.eastmoney.com/center/", body=html.encode(), kind=HTML)
    raw = extract_raw(page)
    assert raw.parser.startswith("eastmoney/V1_1+generic/")
