"""iqilu list pages read by structure: the list's own items, never the page's other lists."""

from __future__ import annotations

import pytest

from qilucrawl.extract.base import Document
from qilucrawl.extract.iqilu_list import read_list_page

URL = "http://news.iqilu.com/shandong/yuanchuang/list_564_2.shtml"


def _page(body: str, url: str = URL):
    return read_list_page(Document(f"<html><body>{body}</body></html>", url))


def _items(day: str, ids: range, h3: bool = True) -> str:
    link = '<a href="/shandong/{day}/{id}.shtml">新闻{id}</a>'
    wrap = "<h3>{link}</h3>" if h3 else "{link}"
    return "".join(
        f"<li>{wrap.format(link=link.format(day=day, id=i))}<span>{day[:4]}-{day[4:6]}-{day[6:]} 10:00</span></li>"
        for i in ids
    )


SIDEBAR = '<div class="r-box"><h3 class="tit">热点新闻</h3><ul>{}</ul></div>'.format(
    _items("20150101", range(90, 96), False)
)


@pytest.mark.parametrize("where", ["before", "after"])
def test_sidebars_with_dated_items_are_not_the_list(where):
    main = f"<div class='main'><ul class='news'>{_items('20251231', range(10, 18))}</ul></div>"
    page = _page(SIDEBAR + main if where == "before" else main + SIDEBAR)
    assert [e.web_url.rsplit("/", 1)[1] for e in page.entries] == [f"{i}.shtml" for i in range(10, 18)]
    assert {e.published for e in page.entries} == {"2025-12-31T10:00:00+08:00"}


def test_a_bare_sidebar_under_a_hot_heading_is_not_the_list():
    hot = f"<div><div>排行榜</div><ul>{_items('20140303', range(50, 60), False)}</ul></div>"
    main = f"<div><ul>{_items('20251231', range(10, 16))}</ul></div>"
    assert {e.web_url.rsplit("/", 1)[1] for e in _page(hot + main).entries} == {f"{i}.shtml" for i in range(10, 16)}


def test_the_contract_container_wins_over_a_longer_list_elsewhere():
    other = f"<div class='box'><ul>{_items('20251230', range(100, 130), False)}</ul></div>"
    main = f"<div class='mod-list'><ul>{_items('20251231', range(10, 14), False)}</ul></div>"
    assert len(_page(other + main).entries) == 4


def test_a_link_text_cut_short_takes_the_title_attribute():
    body = (
        '<div class="mod-list"><ul><li><a href="/shandong/20251231/1.shtml" title="济南至青岛高铁全线开通运营">'
        "济南至青岛高铁全线…</a><span>2025-12-31</span></li>"
        '<li><a href="/shandong/20251231/2.shtml" title="点击阅读">山东发布冬季供暖新规</a><span>12-31</span></li></ul></div>'
    )
    assert [e.title for e in _page(body).entries] == ["济南至青岛高铁全线开通运营", "山东发布冬季供暖新规"]


@pytest.mark.parametrize(
    ("href", "expected"),
    [
        ("list_564_3.shtml", "http://news.iqilu.com/shandong/yuanchuang/list_564_3.shtml"),
        ("/shandong/yuanchuang/list_564_3.shtml", "http://news.iqilu.com/shandong/yuanchuang/list_564_3.shtml"),
        (
            "//news.iqilu.com/shandong/yuanchuang/list_564_3.shtml",
            "http://news.iqilu.com/shandong/yuanchuang/list_564_3.shtml",
        ),
        ("http://news.iqilu.com/x/list_564_3.shtml", "http://news.iqilu.com/x/list_564_3.shtml"),
    ],
)
def test_the_next_page_comes_from_the_pager_in_any_href_style(href, expected):
    pager = f'<div class="page"><a href="list_564_1.shtml">1</a><span>2</span><a href="{href}">下一页</a></div>'
    assert _page(pager).next_url == expected


@pytest.mark.parametrize(
    "pager",
    [
        '<div class="page"><a href="list_564_1.shtml">上一页</a><span class="disabled">下一页</span></div>',
        '<div class="page"><a class="disabled" href="javascript:;">下一页</a></div>',
        '<div class="page"><a>下一页</a></div>',
        '<div class="page"><a href="list_564_1.shtml">1</a><span class="cur">2</span></div>',
    ],
)
def test_a_disabled_next_or_a_last_number_ends_the_walk(pager):
    assert _page(pager).next_url is None


def test_a_numbered_pager_without_next_text_gives_the_page_after_the_current():
    pager = '<p><a href="/shandong/index.shtml">1</a> <b>2</b> <a href="/shandong/index_3.shtml">3</a></p>'
    assert _page(pager, "http://news.iqilu.com/shandong/index_2.shtml").next_url.endswith("/shandong/index_3.shtml")


def test_no_pager_falls_back_to_the_next_list_number_only_on_numbered_lists():
    assert _page("<p>无</p>").next_url == "http://news.iqilu.com/shandong/yuanchuang/list_564_3.shtml"
    assert _page("<p>无</p>", "http://news.iqilu.com/shandong/").next_url is None


def test_a_pager_of_list_items_marks_its_current_page():
    pager = (
        '<ul class="pagination"><li><a href="list_564_1.shtml">1</a></li><li class="active"><a href="#">2</a></li>'
        '<li><a href="list_564_3.shtml">3</a></li></ul>'
    )
    assert _page(pager).next_url.endswith("list_564_3.shtml")
