"""Lines that are about the article rather than part of it, and what they tell us.

``（文章来源：齐鲁网）`` names the medium, ``原标题：…`` the original title, ``记者 蔡宇丹`` the
author; ``责任编辑``, QR-code and share prompts, "返回" links and related-article lists are
dropped.  Everything here works on the text of short blocks, so a long paragraph that happens to
mention 来源 or 编辑 is never touched.
"""

from __future__ import annotations

import html as htmllib
import re
from dataclasses import dataclass, field

import lxml.html

from qilucrawl.clean.bylines import parse_byline, split_names
from qilucrawl.clean.html import Block
from qilucrawl.clean.media import normalize_media

_SHORT = 60  # boilerplate lines are short; a paragraph longer than this is content

_OPEN = r"^[\s（(【\[]*"
_CLOSE = r"[\s）)】\]。.]*$"
_SOURCE = re.compile(_OPEN + r"(?:文章|本文|稿件|信息|新闻)?来源\s*[:：]\s*(?P<name>[^）)】\]]+?)" + _CLOSE)
_EDITOR = re.compile(_OPEN + r"(?:责任编辑|责编|编辑|值班编辑|网络编辑|审核|终审|校对|监制|统筹|制作|编审)\s*[:：]")
_ORIGINAL_TITLE = re.compile(_OPEN + r"原标题\s*[:：]\s*(?P<title>.+?)" + _CLOSE)
_FIELD_AFTER_TITLE = re.compile(r"\s+(?=(?:文章|本文)?来源\s*[:：]|作者\s*[:：]|记者\s*[:：]|(?:责任)?编辑\s*[:：])")
# Share and download prompts: noise when the line is no sentence ("扫一扫，下载客户端") or asks the
# reader to follow or download something; not in news about them ("市民可以扫一扫二维码预约挂号。").
_SHARE_PROMPT = re.compile(r"扫一扫|扫描二维码|二维码|长按识别|微信扫码|扫码关注|关注公众号|分享到|分享至|点击下载")
_FOLLOW_US = re.compile(r"关注|下载|客户端|公众号|官方微信|官微|微博|APP|app")
_SENTENCE_END = re.compile(r"[。！？!?]")
# "…结束。（责任编辑：王五）": the note goes, the paragraph stays.
_TRAILING_EDITOR = re.compile(
    r"(?<=[。！？!?”」』）)])\s*[（(]?\s*(?:责任编辑|责编|值班编辑|网络编辑)\s*[:：][^（）()。]{1,40}[）)]?\s*$"
)
_NOISE = re.compile(
    r"打印本页|关闭窗口|【纠错】|我要纠错|字号[:：]?\s*大\s*中\s*小|责任编辑[:：]|"
    r"^(?:【?返回\S{0,8}?】?\s*)+$|^上一篇|^下一篇|版权所有|未经授权|禁止转载|转载请注明|请勿转载|谢绝转载|不得转载|"
    r"^点击(?:进入|查看|阅读)|^\[?查看原文\]?$|^更多精彩|"
    # a stock-quote box under a syndicated body
    r"最新价\s*[:：]|涨跌幅\s*[:：]|查看行情"
)
# Notices about the platform, not the news: a line opening with a notice's label, or saying what
# only such notices say ("仅代表作者本人观点", "用户上传并发布"), whatever its length.
_NOTICE = re.compile(
    r"^[【\[（(]?\s*(?:免责|平台|特别|版权|郑重|法律)?声明\s*[】\]）)]?\s*[:：]|^[【\[]?风险提示[】\]]?\s*[:：]|"
    r"仅代表作者(?:本人|个人)?(?:的)?(?:观点|立场)|不构成(?:任何)?投资建议|用户上传并发布|仅提供信息存储(?:空间)?服务|"
    r"如有侵权[，,]?\s*请(?:与我们)?联系|不代表本(?:站|网|平台)(?:的)?(?:观点|立场)"
)
_NOTICE_MAX = 300
# An image captioned like this is a QR code ("扫一扫，下载客户端"), whatever its file is called.
_QR_CAPTION = re.compile(r"扫一扫|扫描二维码|二维码|长按识别|扫码")
_RELATED = re.compile(
    r"^[【\[]?(?:相关(?:新闻|阅读|报道|链接|文章|推荐|专题)|延伸阅读|推荐阅读|热点推荐|往期回顾|猜你喜欢|热门推荐)[】\]]?\s*[:：]?$"
)


@dataclass(slots=True)
class BodyFacts:
    """What the boilerplate lines said."""

    source: str | None = None
    original_title: str | None = None
    authors: list[str] = field(default_factory=list)
    editors: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)  # texts taken out, for `qilucrawl parse`


def split_boilerplate(blocks: list[Block]) -> tuple[list[Block], BodyFacts]:
    """Take boilerplate blocks out of a body and read what they say."""
    facts = BodyFacts()
    kept: list[Block] = []
    skipping_related = False
    for position, block in enumerate(blocks):
        text = block.text
        if block.kind == "img" and _QR_CAPTION.search(block.caption or ""):
            facts.removed.append(block.caption or "")  # a QR code, not a photo of the story
            continue
        if block.kind == "img" and block.caption and (_NOISE.search(block.caption) or _EDITOR.match(block.caption)):
            facts.removed.append(block.caption)  # the line after an end-of-article icon
            block.caption = None
        text = _cut_trailing_editor(block, facts)
        if block.kind in ("p", "li", "quote") and len(text) <= _NOTICE_MAX and _NOTICE.search(text):
            facts.removed.append(text)
            continue
        if block.kind in ("img", "table") or (len(text) > _SHORT and not skipping_related):
            skipping_related = False
            kept.append(block)
            continue
        if skipping_related and len(text) <= 40 and block.kind in ("p", "li"):
            facts.removed.append(text)
            continue
        skipping_related = False
        if _take_fact(text, facts, near_edge=position < 8 or position >= len(blocks) - 3):
            facts.removed.append(text)
        elif _RELATED.match(text):
            facts.removed.append(text)
            skipping_related = True
        else:
            kept.append(block)
    return kept, facts


def is_boilerplate_line(text: str) -> bool:
    """A source, editor, original-title or share line: about the article, not part of it."""
    return len(text) <= _SHORT and _take_fact(text, BodyFacts(), near_edge=False)


def _take_fact(text: str, facts: BodyFacts, *, near_edge: bool) -> bool:
    """Record what a boilerplate line says; False when the line is content."""
    if match := _ORIGINAL_TITLE.match(text):
        title, *rest = _FIELD_AFTER_TITLE.split(match["title"], maxsplit=1)
        facts.original_title = title.strip('《》"“” ')
        if rest:  # "原标题：旧标题 来源：大众日报": the rest is a line of its own
            _take_fact(rest[0], facts, near_edge=False)
        return True
    if match := _SOURCE.match(text):
        name, rest = _split_trailing_fields(match["name"])
        facts.source = facts.source or normalize_media(name)
        facts.authors += rest
        return True
    if _EDITOR.match(text):
        facts.editors.append(text)
        return True
    if _NOISE.search(text) or _is_share_prompt(text):
        return True
    if near_edge and (names := parse_byline(text)):
        facts.authors += [name for name in names if name not in facts.authors]
        return not _SENTENCE_END.search(text)  # "记者 张三 报道：昨日……。": the news stays
    return False


def _is_share_prompt(text: str) -> bool:
    prompt = _SHARE_PROMPT.search(text)
    return prompt is not None and (not _SENTENCE_END.search(text) or _FOLLOW_US.search(text) is not None)


def _cut_trailing_editor(block: Block, facts: BodyFacts) -> str:
    """The block's text without an editor's note it ends with (which is recorded)."""
    note = _TRAILING_EDITOR.search(block.text)
    if note is None or block.kind not in ("p", "li", "quote"):
        return block.text
    escaped = htmllib.escape(block.text[note.start() :], quote=False)
    if not block.html.endswith(escaped):  # the note inside inline markup: the block stays whole
        return block.text
    facts.editors.append(note.group().strip())
    block.text, block.html = block.text[: note.start()], block.html[: -len(escaped)]
    return block.text


_TRAILING_FIELD = re.compile(r"\s*(作者|记者|编辑|责任编辑|责编)\s*[:：]\s*")


def _split_trailing_fields(value: str) -> tuple[str, list[str]]:
    """'齐鲁网 作者：张三 编辑：李四' -> ('齐鲁网', ['张三'])."""
    parts = _TRAILING_FIELD.split(value)
    pairs = zip(parts[1::2], parts[2::2])
    authors = [name for role, names in pairs if role in ("作者", "记者") for name in split_names(names)]
    return parts[0], authors


# Containers whose class or id says they are not the article: share bars, QR codes, ads,
# related lists, comments.  Matched as whole words of the attribute so "header" is not "ad".
_NOISE_CONTAINER = re.compile(
    r"(?:^|[\s_-])(?:share|bdshare|qrcode|qr|erweima|ewm|weixin|wechat|related|relate|xgyd|"
    r"xgxw|recommend|tuijian|ad|ads|advert|advertisement|banner|comment|comments|pinglun|"
    r"footer|copyright|breadcrumb|crumb|print|toolbar|tool|pages?nav|pagination|"
    # pop-ups, consent and membership layers, FAQs, "about us" boxes: never the article
    r"modal|popup|pop|dialog|overlay|mask|cookie|consent|vip|paywall|login|faq|about)(?:$|[\s_-]|\d)",
    re.IGNORECASE,
)


def is_noise_container(element: lxml.html.HtmlElement) -> bool:
    """True when the element's class or id says share bar, QR code, ad, related list, comments …"""
    if not isinstance(element.tag, str):
        return False
    marker = " ".join((element.get("class") or "", element.get("id") or ""))
    return bool(marker.strip()) and bool(_NOISE_CONTAINER.search(marker))


def drop_noise_containers(root: lxml.html.HtmlElement) -> None:
    """Remove share/QR/ad/related/comment containers from a page or body tree, in place."""
    doomed = [element for element in root.iter() if element is not root and is_noise_container(element)]
    for element in doomed:
        if element.getparent() is not None:
            element.drop_tree()
