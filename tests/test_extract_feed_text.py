import json

import pytest

from qilucrawl.extract import extract
from qilucrawl.items import FEED_TEXT, ExtractError, ListEntry, Page

CODE = "NW202611180012345678"


def _page(payload, title="山东新闻标题", time="2026-11-18 09:30:00", media="齐鲁网"):
    body = payload if isinstance(payload, bytes) else json.dumps(payload, ensure_ascii=False).encode()
    return Page(
        url=f"http://127.0.0.1/NewsData/GetNewsText.do?id={CODE}",
        body=body,
        kind=FEED_TEXT,
        entry=ListEntry(CODE, title, time, media),
        source_url=f"http://127.0.0.1/html_News/NewsShare.html?infoCode={CODE}",
    )


TEXT = "\r\n".join(  # noqa: FLY002 (one paragraph a line reads better)
    [
        "<p>\u3000\u3000第一段，介绍背景。</p>",
        "<p>\u3000\u3000<strong>一、小标题</strong></p>",
        "<p>\u3000\u3000第二段。</p>",
        '<p class="em_media">（文章来源：大众日报）</p>',
    ]
)


def test_text_key_gives_the_record():
    article = extract(_page({"text": TEXT}, media="大众日报"))
    assert article.info_code == CODE
    assert article.title == "山东新闻标题"
    assert article.published_at == "2026-11-18T09:30:00+08:00"
    assert (article.source, article.category, article.tags) == ("大众日报", "dazhongribao", ["大众日报新闻"])
    assert article.body_text == "第一段，介绍背景。\n\n一、小标题\n\n第二段。"
    assert article.source_url.endswith(f"NewsShare.html?infoCode={CODE}")
    assert len(article.content_hash) == 64


def test_a_rolling_feed_item_without_a_medium_links_to_its_web_url():
    web = "http://finance.eastmoney.com/a/202611180012345678.html"
    page = _page({"text": "<p>北向资金净流入超40亿元，其中沪股通净流入约25亿元。</p>"}, media=None)
    page.entry.rolling, page.entry.web_url = True, web
    article = extract(page)
    assert (article.category, article.source_url) == ("emnews", web)
    named = _page({"text": TEXT}, media=None)  # the body names its medium: filed, and linked, as its post
    named.entry.rolling, named.entry.web_url = True, web
    article = extract(named)
    assert article.category == "dazhongribao" and article.source_url.endswith(f"NewsShare.html?infoCode={CODE}")


def test_a_title_repeated_at_the_top_is_dropped_unless_it_is_all_there_is():
    article = extract(_page({"text": "<p>山东新闻标题</p><p>第一段。</p>"}))
    assert article.body_text == "第一段。"
    article = extract(_page({"text": "<p>山东新闻标题</p>"}))  # a flash whose body is its headline
    assert article.body_text == "山东新闻标题"


def test_a_summary_loses_its_label_not_its_words():
    page = _page({"text": TEXT}, media="大众日报")
    page.entry.digest = "摘要：全省前三季度经济运行平稳。"
    assert extract(page).summary == "全省前三季度经济运行平稳。"
    page.entry.digest = "摘要的写法很重要。"
    assert extract(page).summary == "摘要的写法很重要。"


def test_content_key_with_link_markup():
    content = TEXT.replace(
        "背景", '<span id="stock_1.600000"><a href="http://quote.eastmoney.com/sh600000.html">浦发银行</a></span>背景'
    )
    article = extract(_page({"content": content}))
    assert "介绍浦发银行背景" in article.body_text and "<a" not in article.body_html


def test_body_source_line_wins_over_the_list_medium():
    assert extract(_page({"text": TEXT}, media="齐鲁网")).source == "大众日报"


def test_body_nested_under_a_wrapper_key():
    assert extract(_page({"data": {"text": TEXT}})).body_text.startswith("第一段")


def test_plain_text_body_is_read_as_plain_text():
    article = extract(_page({"text": "山东新闻标题\n\n记者 孙丽\n\n正文第一段。\n\n正文第二段。"}))
    assert article.authors == ["孙丽"] and article.body_text == "正文第一段。\n\n正文第二段。"


def test_same_content_same_hash_changed_content_new_hash():
    one, two = extract(_page({"text": TEXT})), extract(_page({"text": TEXT}))
    changed = extract(_page({"text": TEXT.replace("第二段", "第二段（更正）")}))
    assert one.content_hash == two.content_hash != changed.content_hash


@pytest.mark.parametrize(
    "payload, reason",
    [
        (b'{"text": "<p>broken', "malformed JSON"),
        ({"other": 1}, "no text or content"),
        ({"text": "   "}, "no text or content"),
        ({"text": "<p>\u3000</p><script>x</script>"}, "no body text"),
        (b"", "malformed JSON"),
        ([1, 2, 3], "no text or content"),
    ],
)
def test_unusable_responses_say_why(payload, reason):
    with pytest.raises(ExtractError, match=reason):
        extract(_page(payload))


def test_missing_title_everywhere_is_an_error():
    with pytest.raises(ExtractError, match="no title"):
        extract(_page({"text": TEXT}, title=""))


def test_text_that_is_not_json_from_the_text_endpoint_is_refused():
    with pytest.raises(ExtractError, match="not JSON"):
        extract(_page(b"Service Unavailable"))


def test_the_list_title_and_time_win_over_the_json_ones():
    article = extract(_page({"text": TEXT, "title": "另一个标题", "showtime": "2026-11-19 10:00:00"}))
    assert article.title == "山东新闻标题" and article.published_at == "2026-11-18T09:30:00+08:00"
