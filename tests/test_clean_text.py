from qilucrawl.clean.text import (
    ends_paragraph,
    ends_sentence,
    normalize_multiline,
    normalize_paragraph,
    normalize_text,
    strip_site_suffix,
)


def test_ideographic_indent_nbsp_and_zero_width_are_removed():
    assert normalize_paragraph("\u3000\u3000据悉，\u00a0山东\u200b省今天") == "据悉，山东省今天"


def test_spaces_between_latin_words_survive():
    assert normalize_paragraph("大摩上调苹果目标价至200美元 VR和自动驾驶") == "大摩上调苹果目标价至200美元 VR和自动驾驶"
    assert normalize_text("Apple  \t Inc.") == "Apple Inc."


def test_control_characters_go_and_line_breaks_become_spaces():
    assert normalize_text("a\x00b\r\nc\x1fd") == "ab c d"  # NUL is no space; \x1f separates
    assert normalize_text("今日\x07发布\x1b[31m红\x1b[0m\u202e字\u2028完") == "今日发布红字 完"


def test_multiline_keeps_lines_and_normalizes_crlf():
    assert normalize_multiline("一\r\n\u3000二\r三") == "一\n二\n三"


def test_sentence_and_paragraph_ends():
    assert ends_sentence("这是一句话。") and ends_sentence("真的吗？") and ends_sentence("他说：“好。”")
    assert not ends_sentence("海智造入选山东省级产业")
    assert ends_paragraph("有这样一股推力——") and ends_paragraph("具体如下：")
    assert not ends_sentence("有这样一股推力——")


def test_site_suffix_is_stripped_but_real_titles_are_not():
    assert strip_site_suffix("山东工业互联网何以“领跑”全国？_东方财富网") == "山东工业互联网何以“领跑”全国？"
    assert strip_site_suffix("济南新闻标题 - 新闻中心 - 齐鲁网") == "济南新闻标题"
    assert strip_site_suffix("中美-贸易谈判进展") == "中美-贸易谈判进展"
    assert strip_site_suffix("A-B合作") == "A-B合作"


def test_a_title_that_is_only_the_site_s_name_is_no_title():
    # The page template's suffix with nothing before it: the list's title is used instead.
    assert strip_site_suffix("_齐鲁网") == "" and strip_site_suffix(" - 东方财富网") == ""
    assert strip_site_suffix("齐鲁网_齐鲁网") == ""
    assert strip_site_suffix("东方财富网") == "东方财富网"  # a title about the site is a title


def test_titles_are_text_not_html():
    from qilucrawl.clean.text import clean_title

    assert clean_title("A<B股&amp;C <em>济南</em> &quot;十五五&quot;_东方财富网") == 'A<B股&C 济南 "十五五"'
    assert clean_title("港股半导体板块走高 英恒科技涨近8%") == "港股半导体板块走高 英恒科技涨近8%"


def test_source_line_breaks_between_chinese_vanish_real_spaces_stay():
    assert normalize_paragraph("山东\n   省今天") == "山东省今天"
    assert normalize_paragraph("记者 张晓明 通讯员 李华") == "记者 张晓明 通讯员 李华"
    assert normalize_paragraph("Apple\nInc.") == "Apple Inc."


def test_media_names_lose_only_trailing_junk():
    from qilucrawl.clean.media import category_slug, normalize_media

    assert normalize_media("来源：大众日报 作者：张三") == "大众日报"
    assert normalize_media("齐鲁网（济南）") == "齐鲁网"
    assert normalize_media("大众日报 2022-02-20 10:00") == "大众日报"
    assert normalize_media("（文章来源：齐鲁网）") == "齐鲁网"
    assert normalize_media("Reuters 路透") == "Reuters 路透"
    assert category_slug("齐鲁网") == "qiluwang" and category_slug("21世纪经济报道") == "21shijijingjibaodao"


def test_a_dangling_separator_is_not_part_of_the_title():
    assert strip_site_suffix("关于进一步加强安全生产工作的决议_") == "关于进一步加强安全生产工作的决议"
