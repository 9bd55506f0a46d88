"""Bylines: who wrote a piece, read the same way by every parser and the generic extractor.

``记者 蔡宇丹``, ``（记者 张三 通讯员 李四）``, ``文/王五``, ``本报讯（记者 李明 王芳）``: role words
and person names.  Editors, photographers and outlets are never authors; placeholders and
link texts are never names.
"""

from __future__ import annotations

import re

from qilucrawl.clean.text import normalize_text

# A byline is role words and names: "记者 张三 通讯员 李四", "每经记者 刘阳 每经编辑 陈旭",
# "文/王五".  Author roles may carry a medium before them (本报记者, 新华社记者, 每经记者).
# The role words of those who wrote a piece (one list for every rule that reads roles).
_WRITERS = r"(?:记者|通讯员|撰稿人?|撰文|作者|实习生|评论员|执笔人?)"
_MEDIUM_PREFIX = r"[\u4e00-\u9fff·]{0,12}?"
_AUTHOR_ROLE = re.compile(rf"^(?:{_MEDIUM_PREFIX}{_WRITERS}|文|文字|文/图|图/文)$")
# A raw author field's leading role: "作者：张三", "本报记者 李四"; "文" only with a separator
# after it ("文静" is a name).
_ROLE_PREFIX = re.compile(rf"^(?:{_MEDIUM_PREFIX}{_WRITERS}\s*[:：/|｜丨]?\s*|文(?:\s*[:：/|｜丨]\s*|\s+))")
_OTHER_ROLE = re.compile(
    r"^[\u4e00-\u9fff·]{0,12}?(?:编辑|责编|审核|审校|校对|监制|统筹|摄影|摄|图片?|供图|视频|剪辑|设计|制图|海报|翻译|编译)$"
)
# "齐鲁晚报·齐鲁壹点 记者 张三": a medium's name, then a bare role.
_MEDIUM_BEFORE_ROLE = re.compile(r"^[\u4e00-\u9fff·]{1,12}(?:报|社|网|台|壹点|新闻|客户端|频道|财经)$")
_BARE_WRITER = re.compile(rf"^{_WRITERS}$")
_GLUED_ROLE = re.compile(r"(记者|通讯员|作者|实习生|撰文|评论员|执笔人|编辑|摄影)(?=[\u4e00-\u9fffA-Za-z])")
_BYLINE_SEPARATORS = re.compile(r"[\s:：/|｜丨,，、;；]+")
_NAME_LIST_SEPARATORS = re.compile(r"[、，,;；/|丨]+|\s+(?:和|及|与)\s+")
_NOT_A_NAME = re.compile(
    r"\d|报道|发自|电|讯|综合|整理|整合|编译|社|中心|消息|日|报|网|编辑|审核|摄|图|了|到|的|获悉|采访|发现|看到|走访|"
    r"表示|介绍|说|从|对|是|在|这|我|你|他们|记者|通讯员|作者|评论员|实习生|执笔|撰稿|特约|"
    # Placeholders sites print where a name would be.
    r"未知|佚名|匿名|不详|本站|本网|编辑部|最新|文章|网友|管理员|小编|admin|unknown|anonymous",
    re.IGNORECASE,
)


def parse_byline(text: str) -> list[str]:
    """Names in a byline such as ``记者 蔡宇丹``, ``（记者 张三 通讯员 李四）``, ``文/王五``.

    The line must open with an author role and hold nothing but roles and names; names after
    an editor or photographer role are not authors.  Anything else is not a byline: [].
    """
    core = _GLUED_ROLE.sub(r"\1 ", text.strip(" （）()【】[]"))
    core = re.sub(r"^(文|图)\s*[/｜|丨]", r"\1 ", core)
    tokens = [t for t in _BYLINE_SEPARATORS.split(core) if t]
    if len(tokens) > 2 and _MEDIUM_BEFORE_ROLE.match(tokens[0]) and _BARE_WRITER.match(tokens[1]):
        tokens = tokens[1:]
    if not tokens or not _AUTHOR_ROLE.match(tokens[0]):
        return []
    names: list[str] = []
    collecting = True
    for position, token in enumerate(_join_spaced_names(tokens[1:])):
        if _AUTHOR_ROLE.match(token):
            collecting = True
        elif _OTHER_ROLE.match(token):
            collecting = False
        elif token.endswith("报道") and (names or position > 0):
            continue  # "济南报道": where the report was filed from
        elif not collecting:
            continue
        elif _looks_like_name(name := token.removesuffix("报道")):
            if name not in names:
                names.append(name)
        elif names:
            break  # the names are read; the line goes on ("记者 张三/文 受访者供图")
        else:
            return []
    return names


def _join_spaced_names(tokens: list[str]) -> list[str]:
    """ "John", "Smith" -> "John Smith": Latin names keep their spaces; "方", "敏" -> "方敏": a
    two-character name spaced out for layout is one name."""
    joined: list[str] = []
    single = False  # the last token is a lone character waiting for its pair
    for token in tokens:
        if joined and re.fullmatch(r"[A-Za-z.'-]+", token) and re.fullmatch(r"[A-Za-z .'-]+", joined[-1]):
            joined[-1] += " " + token
        elif single and _LONE_CHARACTER.fullmatch(token):
            joined[-1] += token
            single = False
            continue
        else:
            joined.append(token)
        single = bool(_LONE_CHARACTER.fullmatch(token))
    return joined


_LONE_CHARACTER = re.compile(r"[\u4e00-\u9fff]")


def strip_role(value: str) -> str:
    """A raw author field without its role: "执笔人：李四 王五" -> "李四 王五"."""
    # normalize_text, not normalize_paragraph: "作者：刘晓燕 孙浩" separates names by a space.
    return _ROLE_PREFIX.sub("", normalize_text(value), count=1)


def split_names(value: str | None) -> list[str]:
    """Person names from a list such as ``张三、李四`` or ``张三 李四``; no roles, no places."""
    if not value:
        return []
    value = re.sub(r"[（(【\[].*?[）)】\]]", " ", value).strip(" （）()【】[]")
    names: list[str] = []
    for piece in _NAME_LIST_SEPARATORS.split(value):
        piece = piece.strip(" :：·.。")
        latin = re.fullmatch(r"[A-Za-z][A-Za-z .'-]*", piece)
        for position, token in enumerate([piece] if latin else _name_tokens(piece)):
            if token.endswith("报道"):  # "蔡宇丹报道" is a name, "济南报道" after one is a place
                if position > 0 or names:
                    continue
                token = token[: -len("报道")]
            if _looks_like_name(token) and token not in names:
                names.append(token)
    return names


def _name_tokens(piece: str) -> list[str]:
    """Space-separated names, with a two-character name spaced out for layout kept whole:
    "赵 培" is one name, "张三 李四" two."""
    tokens = piece.split()
    if len(tokens) == 2 and all(re.fullmatch(r"[\u4e00-\u9fff]", t) for t in tokens):
        return ["".join(tokens)]
    return tokens


def _looks_like_name(name: str) -> bool:
    if not name or _NOT_A_NAME.search(name):
        return False
    if re.fullmatch(r"[\u4e00-\u9fff]{2,4}|[\u4e00-\u9fff]{1,6}·[\u4e00-\u9fff·]{1,12}", name):
        return True
    return bool(re.fullmatch(r"[A-Za-z][A-Za-z .'-]{1,40}", name))


# --- credits inside paragraphs --------------------------------------------------------------------

# "本报讯（记者 李明 王芳）", "某某商报讯（记者 王一 赵二）", "新华社北京12月1日电（记者 张三）": a
# dateline, then the credit in brackets.
_DATELINE_CREDIT = re.compile(r"^[^（(。！？]{0,30}?(?:讯|电|消息|报道)\s*[（(](?P<inner>[^（）()]{2,40}?)[)）]")
# "（总台记者 甲 乙）…", "（作者：某某）…": a paragraph that opens with the credit.
_OPENING_CREDIT = re.compile(r"^[（(](?P<inner>[^（）()]{2,40}?)[)）]")
# "大众日报记者 孙启航 报道：…", "本报记者 张三 报道 …": a byline that opens the news sentence.
_REPORTED_BY = re.compile(rf"^(?P<inner>{_MEDIUM_PREFIX}{_WRITERS}[^，。：:！？]{{1,30}}?报道)")
# "…新春佳节。（常书香 马丹阳）", "（记者 胡晓蓉）", "（姚峰 上海报道）": the credit closing a paragraph.
_TRAILING_CREDIT = re.compile(r"[（(]\s*(?P<inner>[^（）()]{2,30}?)\s*[)）]\s*$")
_NOT_CREDIT = re.compile(r"来源|图|摄|完|编辑|责编|审核|校对|转载|发$")
# A reporter's role inside a line ("本报记者罗科", "记者：张三"): where the names after it start.
REPORTER_ROLE = re.compile(r"(?P<role>记者|通讯员|实习生|评论员)\s*[:：]?\s*")


def lead_credit(paragraph: str) -> list[str]:
    """Authors credited at the start of a news paragraph (``本报讯（记者 李明 王芳）…``), or []."""
    head = paragraph[:80]
    for pattern in (_DATELINE_CREDIT, _OPENING_CREDIT, _REPORTED_BY):
        if (match := pattern.match(head)) and (names := _credit_names(match["inner"])):
            return names
    return []


def trailing_credit(paragraph: str) -> list[str]:
    """Authors credited in brackets at the end of a paragraph (``…佳节。（常书香 马丹阳）``), or []."""
    match = _TRAILING_CREDIT.search(paragraph)
    if match is None or _NOT_CREDIT.search(match["inner"]):
        return []
    inner = match["inner"]
    if names := parse_byline(inner):
        return names
    role = REPORTER_ROLE.search(inner)
    rest = inner[role.end() :] if role else inner
    names = split_names(rest)
    # Nothing but names (and where they filed from: "姚峰 上海报道"), or names after a role.
    tokens = [t for t in re.split(r"[\s、，,;；/|丨&]+", rest) if t]
    only_names = all(t in names or t.endswith("报道") for t in tokens)
    return names if names and (role or (only_names and all(len(name) <= 4 for name in names))) else []


def _credit_names(inner: str) -> list[str]:
    """Names of a bracketed credit: a byline (``记者 李明 王芳``, ``作者：某某``)."""
    return parse_byline(inner.replace("：", " ").replace(":", " "))


# --- outlets: the source, never an author -------------------------------------------------------

# "新华社北京3月1日电", "齐州商报讯": an outlet's dateline; 本报/本网/本台 name no one.
_DATELINE_OUTLET = re.compile(
    r"^据?(?P<outlet>[\u4e00-\u9fff·]{1,12}?(?:报|社|网|台|新闻|客户端))"
    r"(?:[\u4e00-\u9fff]{1,6}?\d{1,2}月\d{1,2}日)?(?:讯|电)(?=[（(\s，,：:]|$)"
)
_NO_OUTLET = ("本报", "本网", "本台", "本刊", "本社")


def is_outlet(name: str | None) -> bool:
    """A newspaper, agency, site or station (``齐州商报``, ``新华社``, ``大众网``), not a person."""
    name = (name or "").strip()
    return bool(_MEDIUM_BEFORE_ROLE.match(name)) and name not in _NO_OUTLET


def dateline_outlet(paragraph: str) -> str | None:
    """The outlet a news paragraph's dateline names (``新华社北京3月1日电…`` -> 新华社), or None."""
    match = _DATELINE_OUTLET.match(paragraph[:40])
    return match["outlet"] if match and is_outlet(match["outlet"]) else None
