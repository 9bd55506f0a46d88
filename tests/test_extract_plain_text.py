import json
from pathlib import Path

import pytest

from qilucrawl.extract import extract
from qilucrawl.extract.plain_text import is_section_head, parse_plain_text
from qilucrawl.items import FLAG_REJOINED, ListEntry, Page

PAGES = Path(__file__).parent / "pages" / "plain_text"
SEED = Path(__file__).parents[2] / "shared" / "seeds" / "002_2b6213d0226a771b.txt"


def _article(path, entry=None):
    return extract(Page(url=path.resolve().as_uri(), body=path.read_bytes(), entry=entry))


def test_caption_title_subtitle_byline_heads_and_rejoined_paragraphs():
    article = _article(PAGES / "print_layout.txt")
    assert article.title == "湿地保护进入精细化管理阶段"
    assert article.subtitle == "东营黄河口国家公园候鸟监测数据背后，生态修复怎么做"
    assert article.authors == ["王海燕"]
    assert [i.caption for i in article.images] == ["黄河三角洲湿地的观鸟台上，志愿者正在记录越冬候鸟。"]
    paragraphs = article.body_text.split("\n\n")
    # The caption above the title belongs to the images list only: the body starts with the lead.
    assert paragraphs[0].startswith("入冬以来") and "志愿者正在记录越冬候鸟" not in article.body_text
    assert "<figure" not in article.body_html
    assert "记者 王海燕" not in article.body_text and "王海燕" not in paragraphs
    assert "<h3>1 从“退”到“还”</h3>" in article.body_html and "<h3>2 监测网络</h3>" in article.body_html
    assert (
        "过去十年，保护区累计实施退耕还湿工程，恢复湿地面积超过十万亩。这个数字背后，是一整套调水补湿的制度安排。"
        in paragraphs
    )
    assert "实现了对候鸟种群的全天候观测。" in article.body_text
    assert FLAG_REJOINED in article.quality_flags


def test_a_head_is_never_glued_to_the_sentence_before_it():
    lead = "导语段落写得很长，" * 8 + "最后没有句号"
    raw = parse_plain_text(f"标题行\n\n副标题行\n\n{lead}\n\n1 小节标题\n\n小节正文。")
    assert f"<p>{lead}</p><h3>1 小节标题</h3>" in raw.body


def test_a_source_line_is_never_glued_to_a_paragraph():
    entry = ListEntry("NW202611020000000003", "纯文本正文", "2026-11-02 10:00:00", "齐鲁网")
    body = "\u3000\u3000发布会介绍了全市经济运行情况。\r\n\r\n\u3000\u3000有关负责人作了说明（记者 张三）\r\n\r\n（文章来源：大众日报）"
    article = extract(
        Page(
            url="http://x.test/NewsData/GetNewsText.do?id=NW202611020000000003",
            body=json.dumps({"text": body}).encode(),
            kind="feed_text",
            entry=entry,
        )
    )
    assert article.source == "大众日报" and FLAG_REJOINED not in article.quality_flags
    assert article.body_text == "发布会介绍了全市经济运行情况。\n\n有关负责人作了说明（记者 张三）"
    raw = parse_plain_text("（来源：大众日报）\n正文第一段。", known_title="列表给的标题")  # nor a paragraph to one
    assert raw.body == "<p>（来源：大众日报）</p><p>正文第一段。</p>"


def test_known_title_from_the_list_is_found_in_the_text():
    raw = parse_plain_text("图片说明。\n列表给的标题\n正文第一段。", known_title="列表给的标题")
    assert raw.title == "列表给的标题" and "图片说明。" not in raw.body
    assert [image.caption for image in raw.images] == ["图片说明。"]


def test_body_without_a_title_line_keeps_every_paragraph():
    entry = ListEntry("NW202611180000000001", "另一个标题", "2026-11-18 09:00:00", "齐鲁网")
    raw = parse_plain_text("短句一。\n短句二。", known_title=entry.title)
    assert raw.title is None and raw.body == "<p>短句一。</p><p>短句二。</p>"


@pytest.mark.parametrize(
    "line, head",
    [
        ("1 “底盘”之争", True),
        ("一、总体要求", True),
        ("（二）加强监管", True),
        ("1月6日，山东省发布方案。", False),
        ("2023年上半年，山东高技术制造业投资增长", False),
    ],
)
def test_section_heads(line, head):
    assert is_section_head(line) is head


@pytest.mark.skipif(not SEED.exists(), reason="../shared is not there (a user's clone)")
def test_the_seed_plain_text_body():
    article = _article(SEED)
    assert article.title == "比拼先进制造业，产业互联网已下沉区县"
    assert article.subtitle == "山东规上工业增加值6.9%增速背后，平台经济怎么搞"
    assert article.authors == ["蔡宇丹"]
    assert "<h3>1 “底盘”之争</h3>" in article.body_html
    assert "德佑电气的客户面骤然扩大。" in article.body_text
    assert "记者 蔡宇丹" not in article.body_text
    # The caption printed above the title is the images list's; the body opens with the lead.
    assert [(i.url, i.caption) for i in article.images] == [
        (None, "东营垦利化工园区的管理现在已经从传统治理模式转向平台和算法治理模式。")
    ]
    assert article.body_text.split("\n\n")[0].startswith("各省刚刚公布的经济半年报显示")
    assert "东营垦利化工园区的管理现在" not in article.body_text
