"""Which container of a page holds the article, and what to cut from it.

For every container the best run of consecutive parts (child containers taken whole, and its
own lines) is found by maximum subarray, and the container and run with the highest total is
the body: the tightest element holding the prose wins, whether it is a modern ``<div>`` or a
``<td>`` of a 1990s layout table that also holds a sidebar.  Share, ad and comment containers
(by class or id) count against a run; link lists left inside are pruned; the lines before the
article starts (title, date, byline) and from a "热门评论" / "相关新闻" heading on are taken out.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from qilucrawl.clean.boilerplate import is_noise_container
from qilucrawl.extract.page_walk import LINK_DENSE, NOT_WORD, Block, Element, PageLines

# A heading that starts what follows an article: comments, related articles, notices.
_AFTER_ARTICLE = re.compile(
    r"^[【\[]?(?:热门评论|最新评论|网友评论|精彩评论|全部评论|评论区|我要评论|发表评论|我来说两句|网友留言|读者留言|留言区|"
    r"话题讨论|网友讨论|网友发言|相关(?:新闻|阅读|报道|链接|文章|推荐|专题)|"
    r"延伸阅读|推荐阅读|热点推荐|热门推荐|猜你喜欢|往期回顾|常见问题|常见问答|热点问答|相关问答)[】\]]?\s*[:：]?"
    # a notice may name the site first: "振兴东北网版权与免责声明："
    r"|^[【\[]?.{0,10}?(?:版权|侵权|免责|法律|郑重|特别)(?:与免责)?(?:声明|公告)[】\]]?\s*[:：]?$"
)
_AFTER_HEADING = 40  # such a heading may say more ("话题讨论 #雪后出行#（以下为网友发言）"), not much
_SURE_BODY = 200  # a run worth this much is an article, not a stray blurb
_UNDER_TITLE = 12  # lines under the title searched for the article's first paragraph
_PROSE_LINE = 20  # a line worth this much is prose
# A run that repeats this share of the title's character pairs is about it; one below, not.
_ON_TOPIC = 0.3
_DIP = 0.5  # of the lead's own value: how deep a dip a run under the title may cross
_HEAD_LINE = 30  # an unpunctuated line before the article this short is not part of it


@dataclass(slots=True)
class Body:
    """The chosen container and the run of its parts that holds the article."""

    element: Element
    start: int  # first line of the run
    end: int  # line after the run
    score: float
    depth: int
    outside: list[tuple[Element | None, int, int]]  # parts before or after the run
    screened: bool  # found with share/ad/comment containers counted against it


def best_body(page: PageLines, title: str | None = None, title_at: int | None = None) -> Body | None:
    """The container and the run of its parts with the highest total value.

    A container's parts are its child block elements (whole) and the lines directly in it; the
    best run of consecutive parts (maximum subarray) leaves out a sidebar, a headline list or
    a copyright notice that shares a layout cell with the article.  On a tie the deeper
    container wins: it holds the same article with less around it.  Share, ad and comment
    containers count against a run, unless what is left is too little to be an article (a
    site that names its article div "print" or "comment-box").

    An article is about its headline: when the best run says nothing of the title and the
    text right under the title does, that text is the body, however short (a flash beside a
    membership pop-up, an "about us" box or a cookie notice).
    """
    lead = _first_prose(page.blocks, title_at) if title else None
    # Runs through the lead, inside the article's container: the smallest holding title and lead.
    around = _article_containers(page.blocks, title_at, lead) if lead is not None else set()
    best: dict[bool, Body] = {}
    near: dict[bool, Body] = {}
    for element, (start, end) in page.spans.items():
        if end <= start:
            continue
        depth = page.depths[element]
        parts = _parts(page, start, end, depth)
        through = None
        if lead is not None and element in around:
            through = next((i for i, part in enumerate(parts) if part[3] <= lead < part[4]), None)
        for screened in (False, True):
            if screened and element in page.shadowed:
                continue
            values = [part[1] if screened else part[0] for part in parts]
            _keep(best, screened, element, parts, depth, *_best_run(values))
            if through is not None:
                _keep(near, screened, element, parts, depth, *_best_run_through(values, through))
    chosen = _pick(best, lead)
    if chosen is None or lead is None or chosen.start <= lead < chosen.end:
        return chosen
    under = _pick(near, lead)
    if under is not None and _about(page, under, title) >= _ON_TOPIC > _about(page, chosen, title):
        return under
    return chosen


def _keep(
    found: dict[bool, Body],
    screened: bool,
    element: Element,
    parts: list,
    depth: int,
    score: float,
    first: int,
    last: int,
) -> None:
    current = found.get(screened)
    if score > 0 and (current is None or (score, depth) > (current.score, current.depth)):
        outside = [part[2:] for i, part in enumerate(parts) if not first <= i <= last]
        found[screened] = Body(element, parts[first][3], parts[last][4], score, depth, outside, screened)


def _pick(found: dict[bool, Body], lead: int | None = None) -> Body | None:
    """The run found with share/ad/comment/pop-up containers counted against it, unless too
    little is left to be an article and it does not hold the first paragraph under the title."""
    screened, plain = found.get(True), found.get(False)
    if screened is None:
        return plain
    holds_lead = lead is not None and screened.start <= lead < screened.end
    if plain is None or holds_lead or screened.score * 4 >= plain.score or screened.score >= _SURE_BODY:
        return screened
    return plain


def _first_prose(blocks: list[Block], title_at: int | None) -> int | None:
    """The first line of prose under the title (the article's first paragraph, as laid out)."""
    if title_at is None:
        return None
    for index in range(title_at + 1, min(len(blocks), title_at + 1 + _UNDER_TITLE)):
        if blocks[index].value >= _PROSE_LINE:
            return index
    return None


def _article_containers(blocks: list[Block], title_at: int | None, lead: int) -> set[Element]:
    """The lead's containers from the smallest one that also holds the title down."""
    lead_path = blocks[lead].path
    title_path = blocks[title_at].path if title_at is not None else ()
    shared = 0
    while shared < min(len(lead_path), len(title_path)) and lead_path[shared] is title_path[shared]:
        shared += 1
    return set(lead_path[max(shared - 1, 0) :])


def _about(page: PageLines, body: Body, title: str | None) -> float:
    """Share of the title's character pairs that the run's text repeats."""
    pairs = _pairs(title or "")
    if not pairs:
        return 1.0
    text = "".join(block.text for block in page.blocks[body.start : body.end])
    return sum(1 for pair in pairs if pair in text) / len(pairs)


def _pairs(text: str) -> set[str]:
    letters = NOT_WORD.sub("", text)
    return {letters[i : i + 2] for i in range(len(letters) - 1)}


def _parts(page: PageLines, start: int, end: int, depth: int) -> list[tuple[float, float, Element | None, int, int]]:
    """(value, screened value, child element or None for a line of the container's own,
    first line, end line) for each part of a container, in order."""
    parts = []
    index = start
    blocks, spans, totals, noisy = page.blocks, page.spans, page.totals, page.noisy
    while index < end:
        path = blocks[index].path
        if len(path) > depth + 1:
            child = path[depth + 1]
            stop = spans[child][1]
            stats = totals[child]
            parts.append((stats[0], -stats[1] if child in noisy else stats[3], child, index, stop))
            index = stop
        else:
            value = blocks[index].value
            parts.append((value, value, None, index, index + 1))
            index += 1
    return parts


def _best_run(values: list[float]) -> tuple[float, int, int]:
    """Maximum-sum run of consecutive values: (sum, first, last)."""
    best, best_first, best_last = float("-inf"), 0, 0
    running, first = 0.0, 0
    for index, value in enumerate(values):
        if running <= 0:
            running, first = value, index
        else:
            running += value
        if running > best:
            best, best_first, best_last = running, first, index
    return best, best_first, best_last


def _best_run_through(values: list[float], index: int) -> tuple[float, int, int]:
    """The best run of consecutive values that includes ``values[index]`` and crosses no dip
    deeper than half of that value (text beyond a sidebar or a link list is another story's):
    (sum, first, last)."""
    core = values[index]
    if core <= 0:
        return core, index, index
    floor = -core * _DIP
    left, first, running = 0.0, index, 0.0
    for position in range(index - 1, -1, -1):
        running += values[position]
        if running < floor:
            break
        if running > left:
            left, first = running, position
    right, last, running = 0.0, index, 0.0
    for position in range(index + 1, len(values)):
        running += values[position]
        if running < floor:
            break
        if running > right:
            right, last = running, position
    return core + left + right, first, last


def article_end(blocks: list[Block], start: int, end: int) -> int:
    """Where the article stops: at a comments / related / notice heading once it has begun."""
    total = sum(block.value for block in blocks[start:end] if block.value > 0)
    seen = 0.0
    for index in range(start, end):
        block = blocks[index]
        if len(block.text) <= _AFTER_HEADING and _AFTER_ARTICLE.match(block.text) and seen * 4 > total:
            return index
        seen += max(block.value, 0.0)
    return end


# The lines closing a notice or announcement: its attachments, the issuing body, the date.
_ATTACHMENT = re.compile(r"^附件\s*\d*\s*[:：]")
_ISSUER = re.compile(
    r"^[\u4e00-\u9fff（）()]{2,28}(?:局|委员会|委|办公室|办|政府|公司|中心|协会|学会|学校|大学|学院|医院|银行|集团|"
    r"部|厅|院|所|站|社|处|室|小组|指挥部|联合会|基金会|研究会|商会|管理处)$"
)
_DATE_LINE = re.compile(r"^(?:19|20)\d\d\s*(?:年\s*\d{1,2}\s*月\s*\d{1,2}\s*日|[-/.]\d{1,2}[-/.]\d{1,2})$")
_CLOSING_LINES = 6


def closing_end(body: Body, blocks: list[Block], end: int) -> int:
    """Where the article ends once the lines closing a notice are in: a run of prose stops at
    its last sentence, but "附件：…", the issuing body and the date that follow belong to it."""
    stop = end
    while stop < min(len(blocks), end + _CLOSING_LINES) and body.element in blocks[stop].path:
        text = blocks[stop].text
        if not (_ATTACHMENT.match(text) and len(text) <= 60 or _ISSUER.match(text) or _DATE_LINE.match(text)):
            break
        stop += 1
    if stop > end:  # the lines were outside the run: they stay
        body.outside = [part for part in body.outside if not end <= part[1] < stop]
        body.end = max(body.end, stop)
    return stop


def head_end(blocks: list[Block], start: int, end: int, title: str | None, used: set[int]) -> int:
    """The first line of the article proper, after the title, date and byline lines."""
    index = start
    while index < min(end, start + 8):
        block = blocks[index]
        heading = block.text == title or index in used
        label = block.value <= 0 and len(block.text) <= _HEAD_LINE
        if not (heading or label):
            break
        index += 1
    return index if index < end else start


def cut(page: PageLines, body: Body, head: int, end: int, title: str | None) -> None:
    """Take out of the container what is not the article: the parts outside the run, the
    lines before the article starts and everything from where it stops."""
    for element, first, _ in body.outside:
        if element is None:
            page.blocks[first].blank()
        elif element.getparent() is not None:
            element.drop_tree()
    for index in [*range(body.start, head), *range(end, body.end)]:
        page.blocks[index].blank()
    for index in range(head, end):  # the headline repeated above the text (a second layout) ...
        if page.blocks[index].value >= _PROSE_LINE:
            break  # ... not a sub-head that repeats it inside the text
        if title and page.blocks[index].text == title:
            page.blocks[index].blank()
    if end < body.end:
        doomed = []
        for element in body.element.iterdescendants():
            span = page.spans.get(element)
            if span is not None and span[1] <= body.end and (span[0] > end or span[0] == end < span[1]):
                doomed.append(element)
        for element in doomed:
            if element.getparent() is not None:
                element.drop_tree()


def prune(page: PageLines, body: Body, head: int, end: int) -> None:
    """Take link lists (related articles, tags, page numbers) and, when the body was found with
    them screened out, share/ad/comment containers out of the article's lines.  Only elements
    inside those lines are candidates: a wrapper around the whole page is not a link list."""
    article = sum(block.chars for block in page.blocks[head:end])
    doomed = []
    for element in body.element.iterdescendants():
        span = page.spans.get(element)
        inside = span is not None and head <= span[0] and span[1] <= end
        stats = page.totals.get(element)
        if inside and stats is not None and stats[1] >= 4 and stats[2] > stats[1] * LINK_DENSE and stats[0] < 0:
            doomed.append(element)
        elif body.screened and (inside or span is None) and is_noise_container(element):
            chars = stats[1] if stats is not None else len(NOT_WORD.sub("", element.text_content()))
            if chars * 2 < article:
                doomed.append(element)
    for element in doomed:
        if element.getparent() is not None:
            element.drop_tree()
