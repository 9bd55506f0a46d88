import pytest

from qilucrawl.clean.boilerplate import split_boilerplate
from qilucrawl.clean.bylines import parse_byline, split_names
from qilucrawl.clean.html import blocks_from_html


def _split(fragment):
    kept, facts = split_boilerplate(blocks_from_html(fragment))
    return [b.text for b in kept], facts


def test_source_line_gives_the_medium_and_leaves_the_body():
    kept, facts = _split('<p>正文。</p><p class="em_media">（文章来源：齐鲁网）</p>')
    assert kept == ["正文。"] and facts.source == "齐鲁网"


def test_source_line_with_author_field():
    kept, facts = _split("<p>来源：大众日报 作者：张明 编辑：李华</p><p>正文。</p>")
    assert kept == ["正文。"] and facts.source == "大众日报" and facts.authors == ["张明"]


def test_original_title_is_kept_as_a_field():
    kept, facts = _split("<p>正文。</p><p>原标题：《山东工业互联网领跑》</p>")
    assert kept == ["正文。"] and facts.original_title == "山东工业互联网领跑"


@pytest.mark.parametrize(
    "line", ["（责任编辑：DF529）", "责任编辑：王五", "扫一扫，分享到朋友圈", "返回搜狐", "打印本页", "【纠错】"]
)
def test_editor_share_and_return_lines_are_dropped(line):
    kept, facts = _split(f"<p>正文。</p><p>{line}</p>")
    assert kept == ["正文。"]
    assert facts.authors == []


def test_an_editor_line_read_as_the_caption_of_an_end_icon_is_dropped():
    blocks = blocks_from_html(
        '<p>正文，讲述了事情的经过。</p><div><img src="http://x.test/end.png">本文来源：某某周刊责任编辑：杨某_NF4425</div>'
    )
    kept, facts = split_boilerplate(blocks)
    assert [(b.kind, b.caption) for b in kept] == [("p", None), ("img", None)]
    assert facts.removed == ["本文来源：某某周刊责任编辑：杨某_NF4425"]


def test_a_byline_that_opens_a_news_sentence_gives_its_author_and_keeps_the_news():
    kept, facts = _split("<p>记者 张三 报道：昨日山东省举办学习会。</p><p>正文。</p>")
    assert facts.authors == ["张三"] and kept == ["记者 张三 报道：昨日山东省举办学习会。", "正文。"]


def test_an_editor_note_ending_a_paragraph_goes_the_paragraph_stays():
    long = "最后一段讲述了项目建设的进展，" * 5 + "在这里结束。"
    kept, facts = _split(
        f"<p>正文。</p><p>最后一段的内容在这里结束。（责任编辑：王五）</p><p>{long}（责任编辑：DF123）</p>"
    )
    assert kept == ["正文。", "最后一段的内容在这里结束。", long]
    assert facts.editors == ["（责任编辑：王五）", "（责任编辑：DF123）"]
    html = "".join(b.html for b in split_boilerplate(blocks_from_html("<p>结束。（责任编辑：王五）</p>"))[0])
    assert html == "结束。"


@pytest.mark.parametrize(
    "line, noise",
    [
        ("扫一扫，下载齐鲁网客户端", True),
        ("扫描二维码，关注齐鲁网官方微信公众号，获取更多资讯。", True),
        ("更多猛料！欢迎扫描左方二维码关注新浪新闻官方微信", True),
        ("市民可以扫一扫二维码进行预约挂号，非常方便。", False),
        ("作为该派中一员，他就能分享到一份胜利者的光荣。", False),
    ],
)
def test_share_prompts_go_news_about_scanning_stays(line, noise):
    kept, _ = _split(f"<p>正文。</p><p>{line}</p>")
    assert kept == (["正文。"] if noise else ["正文。", line])


def test_an_original_title_line_that_goes_on_with_the_source():
    kept, facts = _split("<p>原标题：老标题 来源：大众日报</p><p>正文。</p>")
    assert kept == ["正文。"] and (facts.original_title, facts.source) == ("老标题", "大众日报")


def test_related_article_list_is_dropped_with_its_items():
    kept, _ = _split("<p>正文。</p><p>相关新闻</p><ul><li>另一篇新闻标题一</li><li>另一篇新闻标题二</li></ul>")
    assert kept == ["正文。"]


def test_long_paragraphs_that_mention_sources_are_content():
    long = "据了解，来源：这句话出现在一个很长的段落里，" + "内容" * 40 + "。"
    kept, facts = _split(f"<p>{long}</p>")
    assert kept == [long] and facts.source is None


@pytest.mark.parametrize(
    "line, names",
    [
        ("记者 蔡宇丹", ["蔡宇丹"]),
        ("（记者 张三 通讯员 李四）", ["张三", "李四"]),
        ("文/王五", ["王五"]),
        ("作者：赵六", ["赵六"]),
        ("本报记者 孙七 摄影 周八", ["孙七"]),
        ("记者 刘某某 济南报道", ["刘某某"]),
        ("记者 阿卜杜·热合曼", ["阿卜杜·热合曼"]),
        ("作者：John Smith", ["John Smith"]),
        ("记者了解到", []),
        ("记者从省政府获悉", []),
    ],
)
def test_bylines(line, names):
    assert parse_byline(line) == names


def test_byline_near_the_top_becomes_authors():
    kept, facts = _split("<p>记者 张晓明 通讯员 李华</p><p>正文第一段。</p><p>正文第二段。</p>")
    assert kept == ["正文第一段。", "正文第二段。"] and facts.authors == ["张晓明", "李华"]


def test_split_names():
    assert split_names("张三、李四,王五") == ["张三", "李四", "王五"]
    assert split_names("张三 和 李四") == ["张三", "李四"]
    assert split_names("济南市委宣传部") == []


@pytest.mark.parametrize(
    "line, names",
    [
        ("记者 崔文静", ["崔文静"]),
        ("记者崔文静", ["崔文静"]),
        ("每经记者 刘阳 每经编辑 陈旭", ["刘阳"]),
        ("新华社记者 王宁、赵可", ["王宁", "赵可"]),
        ("张三 李四", []),
    ],
)
def test_more_bylines(line, names):
    assert parse_byline(line) == names


def test_placeholders_are_not_names_and_spaced_names_stay_whole():
    assert split_names("未知") == [] and split_names("最新文章") == [] and split_names("佚名") == []
    assert split_names("赵 培") == ["赵培"]
    assert split_names("张三 李四") == ["张三", "李四"]


@pytest.mark.parametrize(
    "line, names",
    [
        ("顶端新闻·河南商报记者马俊峰/文受访者供图", ["马俊峰"]),
        ("（评论员 罗博 萧海川）", ["罗博", "萧海川"]),
        ("执笔人：闵乐夫 赵兰波 刘韬", ["闵乐夫", "赵兰波", "刘韬"]),
        ("齐鲁晚报·齐鲁壹点 记者 张三", ["张三"]),
        ("新华社 记者 王五 李六", ["王五", "李六"]),
        ("张三 记者 李四", []),  # a name first is not a medium
        ("平台声明：该文观点仅代表作者本人，搜狐号系信息发布平台", []),
    ],
)
def test_roles_with_long_media_prefixes_and_trailing_credits(line, names):
    assert parse_byline(line) == names
