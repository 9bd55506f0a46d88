"""Bytes to text: the bytes decide, the label only breaks ties (qilucrawl.clean.encoding)."""

from __future__ import annotations

import codecs

import pytest

from qilucrawl.clean.encoding import declared_charset, decode

ARTICLE = "济南新东站片区今年新建学校12所，新增学位1.2万个。省农业厅副厅长王喆介绍了情况。"


def page(charset: str | None, body: str = ARTICLE, head: str = "") -> str:
    meta = f'<meta http-equiv="Content-Type" content="text/html; charset={charset}">' if charset else ""
    return f"<html><head>{meta}{head}</head><body><p>{body}</p></body></html>"


def test_ascii_is_ascii() -> None:
    assert decode(b"<html><body>plain</body></html>") == (
        "<html><body>plain</body></html>",
        "ascii",
    )


@pytest.mark.parametrize(("bom", "codec"), [(codecs.BOM_UTF8, "utf-8"), (codecs.BOM_UTF16_LE, "utf-16-le")])
def test_a_byte_order_mark_decides(bom: bytes, codec: str) -> None:
    text, name = decode(bom + page(None).encode(codec))
    assert name == codec and ARTICLE in text


def test_utf8_declared_as_gb2312_is_read_as_utf8() -> None:
    text, name = decode(page("gb2312").encode("utf-8"))
    assert name == "utf-8" and ARTICLE in text


def test_gbk_declared_as_gb2312_keeps_characters_outside_gb2312() -> None:
    data = page("gb2312").encode("gbk")  # 喆 is GBK, not GB2312
    with pytest.raises(UnicodeEncodeError):
        "喆".encode("gb2312")
    text, name = decode(data)
    assert name == "gb18030" and ARTICLE in text


def test_gbk_without_any_label_is_read_as_gb18030() -> None:
    text, name = decode(page(None).encode("gbk"))
    assert name == "gb18030" and ARTICLE in text


def test_gbk_declared_as_utf8_is_read_as_gb18030() -> None:
    text, name = decode(page("utf-8").encode("gbk"))
    assert name == "gb18030" and ARTICLE in text


def test_mostly_ascii_gbk_page_is_not_taken_for_utf8() -> None:
    padding = "<!-- " + "x" * 20000 + " -->"
    text, name = decode(page(None, body="新闻", head=padding).encode("gbk"))
    assert name == "gb18030" and "新闻" in text


def test_a_few_broken_bytes_do_not_make_a_gbk_page_something_else() -> None:
    good = page("gb2312", body=ARTICLE * 20).encode("gbk")
    broken = good.replace("学校".encode("gbk"), b"\xd1\x20", 1)  # a lead byte without its pair
    text, name = decode(broken)
    assert name == "gb18030"
    assert text.count("\ufffd") <= 2 and "新增学位1.2万个" in text


def test_a_few_broken_bytes_do_not_make_a_utf8_page_something_else() -> None:
    data = page(None, body=ARTICLE * 20).encode("utf-8")
    data = data[:200] + b"\xff" + data[200:]
    text, name = decode(data)
    assert name == "utf-8" and ARTICLE in text


def test_a_declared_non_chinese_codec_is_used() -> None:
    text, name = decode(page("shift_jis", body="東京で新しい学校が開校した。").encode("shift_jis"))
    assert name == "shift_jis" and "東京で新しい学校が開校した。" in text


def test_big5_declared_is_big5() -> None:
    text, name = decode(page("big5", body="新竹尖石鄉的楓葉轉紅了。").encode("big5"))
    assert name == "big5" and "新竹尖石鄉的楓葉轉紅了。" in text


def test_http_header_charset_counts_as_the_label() -> None:
    data = page(None, body="東京で新しい学校が開校した。").encode("shift_jis")
    assert decode(data, "text/html; charset=Shift_JIS")[1] == "shift_jis"


@pytest.mark.parametrize(
    ("data", "content_type", "expected"),
    [
        (b'<meta charset="gbk">', None, "gbk"),
        (b"<meta http-equiv='Content-Type' content='text/html; charset=GB2312'>", None, "GB2312"),
        (b'<?xml version="1.0" encoding="gb18030"?><html>', None, "gb18030"),
        (
            b'<text id="http://example.cn/a.html" title="t" encoding="gb2312">\n<html>',
            None,
            "gb2312",
        ),
        (b'<meta charset="gbk">', "text/html; charset=utf-8", "utf-8"),
        (b"<html><body>no label</body></html>", None, None),
    ],
)
def test_declared_charset(data: bytes, content_type: str | None, expected: str | None) -> None:
    assert declared_charset(data, content_type) == expected
