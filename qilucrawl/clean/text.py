"""Character-level normalization of Chinese news text.

Feeds indent paragraphs with ideographic spaces (U+3000), pad with NBSP and leave zero-width
characters from copy-and-paste; none of that is content, and all of it breaks search and
deduplication, so it goes here, once, for every source.
"""

from __future__ import annotations

import html
import re
import unicodedata

# Characters that take no space and carry no meaning in news text.
# (A pattern: deleting through it is several times faster than str.translate on Chinese text.)
_ZERO_WIDTH = "\u200b\u200c\u200d\u2060\ufeff\u00ad\u180e"
# Bidirectional controls (U+202E turns "gnp.exe" into "exe.png" on screen): never content.
_BIDI = "\u200e\u200f\u061c\u202a-\u202e\u2066-\u2069"
# A terminal's escape sequences (\x1b[31m colours, \x1b]0;title\x07): dropped whole, not just
# their ESC, which would leave "[31m" in the text.
_TERMINAL_ESCAPE = re.compile(r"\x1b(?:\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]*(?:\x07|\x1b\\)?|[@-Z\\-_])?")
# Control characters that are no kind of space (BEL, BS, ESC …): dropped, not made a space.
_CONTROLS = "\x00-\x08\x0e-\x1b\x7f-\x84\x86-\x9f"
_ZERO_WIDTH_RUN = re.compile(f"[{_ZERO_WIDTH}{_BIDI}{_CONTROLS}]+")
# Every space-like or control character, and line breaks: any run of them is one space.
_SPACE_RUN = re.compile(r"[ \t\r\n\x0b\x0c\x1c-\x1f\x85\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]+")
# Half of a UTF-16 pair (JSON's "\ud800" escape): no UTF-8 encoder, SQLite or lxml accepts one.
_SURROGATES = "\ud800-\udfff"
_LONE_SURROGATE = re.compile(f"[{_SURROGATES}]")
# What XML 1.0 (and so lxml) refuses in text and attribute values.
_NOT_XML_CHARS = "\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff"
_NOT_XML = re.compile(f"[{_NOT_XML_CHARS}]")
# Text with none of these (nearly all text) skips the substitutions: one scan instead of two.
_RARE = re.compile(f"[{_SURROGATES}{_ZERO_WIDTH}{_BIDI}{_CONTROLS}]")
_NOT_XML_OR_SURROGATE = re.compile(f"[{_NOT_XML_CHARS}{_SURROGATES}]")  # \x1b is one of them
_CJK = r"\u2e80-\u9fff\uf900-\ufaff\uff00-\uffef\u3000-\u303f"
# A line break in the source between two Chinese characters is layout, not a space (CSS Text's
# segment-break rule, which browsers follow); a real space there is kept (记者 张三).
_BREAK_BETWEEN_CJK = re.compile(rf"(?<=[{_CJK}])[ \t]*[\r\n]+[ \t]*(?=[{_CJK}])")

# A line that ends with one of these ends a sentence; anything else may continue.  Closing
# quotes and brackets count only after one of them: 他说：“好。” ends, 从“退”到“还” does not.
SENTENCE_END = "。！？!?…；;."
_CLOSERS = "”」』）)》>\"'’】］]"


def normalize_text(text: str | None, *, strip: bool = True) -> str:
    """One line of text: no zero-width, bidirectional or control characters (nor terminal escape
    sequences), line and paragraph separators made spaces, spaces collapsed, trimmed."""
    if not text or (strip and text.isspace()):  # all whitespace: nothing is left of it
        return ""
    if _RARE.search(text) is not None:
        if "\x1b" in text:
            text = _TERMINAL_ESCAPE.sub("", text)
        text = _ZERO_WIDTH_RUN.sub("", unicodedata.normalize("NFC", _LONE_SURROGATE.sub("\ufffd", text)))
    else:
        text = unicodedata.normalize("NFC", text)
    text = _SPACE_RUN.sub(" ", text)
    return text.strip() if strip else text


def xml_safe(text: str) -> str:
    """``text`` without what XML refuses: control characters dropped, lone surrogates replaced."""
    if _NOT_XML_OR_SURROGATE.search(text) is None:
        return text
    if "\x1b" in text:
        text = _TERMINAL_ESCAPE.sub("", text)
    return _NOT_XML.sub("", _LONE_SURROGATE.sub("\ufffd", text))


def remove_layout_breaks(text: str) -> str:
    """Drop source line breaks between two Chinese characters (before whitespace collapses)."""
    if "\n" not in text and "\r" not in text:  # the common case, without the regex's scan
        return text
    return _BREAK_BETWEEN_CJK.sub("", text)


def normalize_paragraph(text: str | None) -> str:
    """A paragraph: :func:`normalize_text` after layout line breaks are removed."""
    if not text:
        return ""
    text = normalize_text(remove_layout_breaks(text))
    if " " not in text and _SPACE_RUN_ANY.search(text) is None:  # nothing to look at below
        return text
    return _SPACE_RUN_ANY.sub(lambda run: _space_or_padding(text, run), text)


_SPACE_RUN_ANY = re.compile(r"\s+")
# Full-width punctuation carries its own spacing: a space beside it is padding, not content.
# ("1 “底盘”之争" keeps its space: a digit is not Chinese.)
_CLOSING_PUNCTUATION = set("，。：；！？、）」』》”’】")
_OPENING_PUNCTUATION = set("（「『《“‘【")
_CJK_CHARACTER = re.compile(f"[{_CJK}]")


def _space_or_padding(text: str, run: re.Match) -> str:
    """The space run as it is, or nothing when it pads full-width punctuation.  (Spaces are few
    in Chinese text: finding them first and looking at their neighbours is several times faster
    than one pattern with look-behinds tried at every character.)"""
    start, end = run.span()
    before = text[start - 1] if start else ""
    after = text[end] if end < len(text) else ""
    if before in _CLOSING_PUNCTUATION or after in _CLOSING_PUNCTUATION:
        return ""
    if after in _OPENING_PUNCTUATION and before and _CJK_CHARACTER.match(before):
        return ""
    return run.group()


def normalize_multiline(text: str | None) -> str:
    """Text whose line structure matters: CRLF/CR to LF, each line normalized."""
    if not text:
        return ""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    return "\n".join(normalize_text(line) for line in lines)


# A lead-in ("有这样一股推力——", "具体如下：") may also end a paragraph on purpose.
PARAGRAPH_END = SENTENCE_END + "：:—"


def ends_sentence(line: str) -> bool:
    """True when the line ends with sentence-final punctuation (so it is not cut mid-sentence)."""
    core = line.rstrip().rstrip(_CLOSERS)
    return bool(core) and core[-1] in SENTENCE_END


def ends_paragraph(line: str) -> bool:
    """True when a paragraph may end after this line: a full stop, or a colon or dash lead-in."""
    core = line.rstrip().rstrip(_CLOSERS)
    return bool(core) and core[-1] in PARAGRAPH_END


# Site names appended to page titles: "标题_东方财富网", "标题-齐鲁网", "标题 | 新闻中心".
_LAST_SEPARATOR = re.compile(r"^(?P<head>.*\S)\s*(?:_|\||｜| - | — |--?|—)\s*(?P<tail>[^_|｜—]+)$")
_SITE_NAME_ENDS = r"网|报|新闻|频道|中心|资讯|在线|日报|晚报|电视台|客户端|\.com|\.cn|\.net"
_SITE_WORDS = re.compile(rf"(?:{_SITE_NAME_ENDS}|首页|专题)$", re.IGNORECASE)
_ONLY_A_SITE = re.compile(rf"^\s*(?:_|\||｜|-|—)+\s*[^_|｜—]{{1,20}}?(?:{_SITE_NAME_ENDS})\s*$", re.IGNORECASE)


def strip_site_suffix(title: str) -> str:
    """Drop trailing "_东方财富网"-style segments that name the site or section, not the article."""
    title = normalize_text(title)
    if _ONLY_A_SITE.match(title):  # "_齐鲁网": the template's suffix with an empty title before it
        return ""
    while (match := _LAST_SEPARATOR.match(title)) is not None:
        head, tail = match["head"].strip(), match["tail"].strip()
        if head == tail and _SITE_WORDS.search(tail):
            return ""  # "齐鲁网_齐鲁网": the site's name twice, no article's
        if len(tail) > 20 or len(head) < 4 or not _SITE_WORDS.search(tail):
            break
        title = head
    return title.rstrip(" _|｜-—")


# Tags feeds leave in titles ("<em>济南</em>"), and those of any element a broken or hostile feed
# may put there; anything else with "<" is text.  Scripts and styles go with their content.
_TITLE_TAG = re.compile(
    r"</?(?:a|abbr|animate|applet|audio|b|base|big|blink|body|br|button|center|code|del|details"
    r"|dialog|div|em|embed|font|form|frame|frameset|h[1-6]|head|html|i|iframe|image|img|input|ins"
    r"|isindex|keygen|link|marquee|math|meta|noscript|object|p|s|script|select|small|source|span|strike|style"
    r"|strong|sub|summary|sup|svg|table|tbody|td|template|textarea|th|title|tr|u|use|video|xmp)"
    r"(?=[\s/>])[^<>]*>",
    re.IGNORECASE,
)
_SCRIPT_ELEMENT = re.compile(r"<(script|style)\b[^>]*>.*?(?:</\1\s*>|$)", re.IGNORECASE | re.DOTALL)


def text_field(raw: str | None) -> str:
    """A field that feeds give as text (title, digest): entities decoded, stray tags dropped
    (scripts and styles with their content), spaces normalized.  It is text, not HTML:
    ``A<B股`` keeps its ``<``; a space between two Chinese words of a headline is the
    headline's own separator and stays."""
    if not raw:
        return ""
    text = html.unescape(raw)
    if "<" in text:
        text = _TITLE_TAG.sub("", _SCRIPT_ELEMENT.sub("", text))
    return normalize_text(text)


def clean_title(raw: str | None) -> str:
    """A title: :func:`text_field` without the site's name appended to it."""
    return strip_site_suffix(text_field(raw))
