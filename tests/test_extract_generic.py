"""The generic extractor against golden pages (fundus style) and its rules one by one.

Every ``tests/pages/generic/<name>.html`` has ``<name>.json`` next to it: the URL it is read
under, the title, publish time, authors and source the product must output exactly, and body
snippets that must and must not be in ``body_text``.  The pages were written for these tests in
the layouts Chinese news sites use (a modern CMS page with share/QR/related blocks, a GBK
portal, a UTF-8 page labelled gb2312, a 1999 layout-table page, a page whose time is only a
line under the title, an ASP.NET blog with comments, a wire story); none is copied.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import lxml.html
import pytest

from qilucrawl.extract import GENERIC, extract, extract_raw, parser_versions
from qilucrawl.extract.base import Document
from qilucrawl.extract.generic import GenericParser
from qilucrawl.items import HTML, ExtractError, Page

PAGES = Path(__file__).resolve().parent / "pages" / "generic"
FIELDS = ("authors", "body_with", "body_without", "published_at", "source", "title", "url")
GOLDEN = sorted(PAGES.glob("*.html"))


def _expected(page: Path) -> dict[str, Any]:
    return json.loads(page.with_suffix(".json").read_text("utf-8"))


def _extract(html: str, url: str = "http://www.example.cn/news/a.html") -> Any:
    return extract(Page(url=url, body=html.encode("utf-8"), kind=HTML))


@pytest.mark.parametrize("page", GOLDEN, ids=[page.stem for page in GOLDEN])
def test_golden_page(page: Path) -> None:
    expected = _expected(page)
    article = extract(Page(url=expected["url"], body=page.read_bytes(), kind=HTML))
    assert article.parser == parser_versions()["generic/V1"]
    got = {
        "title": article.title,
        "published_at": article.published_at,
        "authors": article.authors,
        "source": article.source,
    }
    assert got == {field: expected[field] for field in got}
    for snippet in expected["body_with"]:
        assert snippet in article.body_text, snippet
    for snippet in expected["body_without"]:
        assert snippet not in article.body_text, snippet


@pytest.mark.parametrize("page", GOLDEN, ids=[page.stem for page in GOLDEN])
def test_golden_json_is_complete_and_sorted(page: Path) -> None:
    expected = _expected(page)
    assert list(expected) == list(FIELDS)
    assert expected["title"] and expected["published_at"] and expected["body_with"]


def test_golden_pages_cover_the_layouts() -> None:
    assert len(GOLDEN) >= 7
    encodings = {page.stem: page.read_bytes() for page in GOLDEN}
    assert not encodings["gbk_portal_2005"].isascii()
    with pytest.raises(UnicodeDecodeError):
        encodings["gbk_portal_2005"].decode("utf-8")
    assert b"charset=gb2312" in encodings["utf8_labelled_gb2312"]
    encodings["utf8_labelled_gb2312"].decode("utf-8")


def test_generic_is_the_registered_fallback() -> None:
    assert isinstance(GENERIC, GenericParser)
    assert GENERIC.name == "generic"
    assert GENERIC.matches(Document("<html></html>", None))


def test_raw_article_names_the_parser_and_returns_an_element() -> None:
    html = (PAGES / "modern_cms_2022.html").read_bytes()
    raw = extract_raw(Page(url="http://news.example-qilu.cn/a.shtml", body=html, kind=HTML))
    assert raw.parser == parser_versions()["generic/V1"]
    assert isinstance(raw.body, lxml.html.HtmlElement)
    assert raw.published is not None and "2022-02-20" in raw.published


def test_a_page_of_links_only_has_no_article() -> None:
    html = "<html><body>" + "".join(f"<p><a href='/{i}'>栏目{i}</a></p>" for i in range(30)) + "</body></html>"
    with pytest.raises(ExtractError):
        _extract(html)


def test_an_empty_page_is_an_error() -> None:
    with pytest.raises(ExtractError):
        extract(Page(url="http://www.example.cn/a.html", body=b"   ", kind=HTML))


PROSE = "".join(
    f"<p>第{n}段：这是正文的一段文字，讲述了一件完整的事情，有逗号，也有句号。后面还有一句话。</p>" for n in range(1, 6)
)


def test_editors_are_not_authors() -> None:
    html = (
        "<html><head><title>示例新闻标题在这里_示例网</title></head><body>"
        "<h1>示例新闻标题在这里</h1><div>2022-01-05 09:30 作者：张三 责任编辑：李四</div>"
        f"<div class='content'>{PROSE}<p>责任编辑：王五</p></div></body></html>"
    )
    article = _extract(html)
    assert article.authors == ["张三"]
    assert "王五" not in article.body_text and "李四" not in article.body_text


def test_title_drops_the_site_and_section_the_page_title_adds() -> None:
    html = (
        "<html><head><title>示例新闻标题在这里_国内新闻_示例网</title></head><body>"
        "<div class='crumb'><a href='/'>首页</a> &gt; <a href='/gn/'>国内新闻</a></div>"
        f"<h1>示例新闻标题在这里</h1><div>2022-01-05</div><div>{PROSE}</div></body></html>"
    )
    assert _extract(html).title == "示例新闻标题在这里"


def test_a_page_without_title_element_takes_the_line_above_the_body() -> None:
    html = (
        "<html><body><table><tr><td><a href='/'>首页</a> | <a href='/n'>新闻</a></td></tr></table>"
        f"<p><b>没有标题标签的老页面</b></p><p>2003-05-29 09:07</p>{PROSE}</body></html>"
    )
    article = _extract(html)
    assert article.title == "没有标题标签的老页面"
    assert article.published_at == "2003-05-29T09:07:00+08:00"


def test_the_time_nearest_the_title_wins_over_later_dates() -> None:
    html = (
        "<html><head><title>论坛主题帖的标题文字</title></head><body><h2>论坛主题帖的标题文字</h2>"
        f"<div class='post'>{PROSE}<p>发表时间 2005/05/17 22:11:42</p></div>"
        f"<div class='post'><p>回复：同意楼主的看法，说得很有道理，补充一点自己的经验。</p>"
        "<p>发表时间 2005/07/23 10:46:32</p></div></body></html>"
    )
    assert _extract(html).published_at == "2005-05-17T22:11:42+08:00"


def test_a_page_time_with_the_hour_in_another_line_keeps_the_hour() -> None:
    html = (
        "<html><head><title>示例新闻标题在这里</title>"
        "<meta name='publishdate' content='2022-02-13'></head><body>"
        f"<h1>示例新闻标题在这里</h1><p>2022-02-13 09:57 光明网</p><div>{PROSE}</div></body></html>"
    )
    assert _extract(html).published_at == "2022-02-13T09:57:00+08:00"


def test_trailing_credit_in_the_last_paragraph_names_the_authors() -> None:
    html = (
        "<html><head><title>示例新闻标题在这里</title></head><body><h1>示例新闻标题在这里</h1>"
        f"<p>2021-01-20 16:31</p><div>{PROSE}<p>最后一段也是正文，写完了。（常书香 马丹阳）</p></div></body></html>"
    )
    assert _extract(html).authors == ["常书香", "马丹阳"]


def test_photo_credit_is_not_an_author() -> None:
    html = (
        "<html><head><title>示例新闻标题在这里</title></head><body><h1>示例新闻标题在这里</h1>"
        f"<p>2021-01-20 16:31</p><div><p>工人正在车间里忙碌 本报记者 惠禾 摄</p>{PROSE}</div></body></html>"
    )
    assert _extract(html).authors == []


def test_comment_containers_are_not_the_body_even_when_longer() -> None:
    comments = "".join(
        f"<div class='comment'><p>网友{n}：这篇文章写得很好，我也有类似的经历，想补充几句自己的看法，供大家参考。</p></div>"
        for n in range(12)
    )
    html = (
        "<html><head><title>博客文章的标题文字</title></head><body><h2>博客文章的标题文字</h2>"
        f"<div class='post'>{PROSE}</div><div id='comments'>{comments}</div></body></html>"
    )
    article = _extract(html)
    assert "第1段" in article.body_text and "第5段" in article.body_text
    assert "网友" not in article.body_text


def test_an_article_inside_a_container_named_like_noise_is_still_found() -> None:
    html = (
        "<html><head><title>示例新闻标题在这里</title></head><body>"
        f"<div id='content_print'><h1>示例新闻标题在这里</h1><div>{PROSE}</div></div>"
        "<div class='side'><a href='/1'>别的新闻一</a><a href='/2'>别的新闻二</a></div></body></html>"
    )
    article = _extract(html)
    assert "第1段" in article.body_text and "第5段" in article.body_text


def test_deeply_nested_markup_does_not_exhaust_recursion() -> None:
    html = (
        "<html><head><title>嵌套很深的页面标题</title></head><body><h1>嵌套很深的页面标题</h1><p>2020-01-01</p>"
        + "<div><font>这是一段文字，有标点。" * 3000
        + "</body></html>"
    )
    article = _extract(html)
    assert "这是一段文字" in article.body_text
