"""Raw parser output plus list context -> a normalized :class:`~qilucrawl.items.Article`.

The same rules for every source: which of the page, the list entry and the body's boilerplate
wins for each field, how the publish time and names are read, and what makes a page unusable.
"""

from __future__ import annotations

import hashlib
import json
import re
from datetime import date

from qilucrawl.clean import dates
from qilucrawl.clean.boilerplate import BodyFacts, split_boilerplate
from qilucrawl.clean.bylines import lead_credit, split_names, strip_role, trailing_credit
from qilucrawl.clean.html import Block, blocks_from_html
from qilucrawl.clean.media import (
    ROLLING_CATEGORY,
    ROLLING_TAG,
    category_slug,
    media_tag,
    normalize_media,
)
from qilucrawl.clean.render import render
from qilucrawl.clean.text import clean_title, normalize_paragraph, text_field
from qilucrawl.items import (
    FLAG_FROM_INFO_CODE,
    FLAG_FROM_URL,
    FLAG_MISSING,
    FLAG_NO_YEAR,
    FLAG_SHORT_BODY,
    Article,
    ExtractError,
    Image,
    ListEntry,
    Page,
    RawArticle,
)

_SHORT_BODY = 30  # characters; a rolling-feed flash can be this short, so it is a flag, not an error
_HASHED_FIELDS = ("title", "subtitle", "published_at", "source", "authors", "body_html", "images")


def build_article(raw: RawArticle, page: Page | None = None) -> Article:
    """Clean ``raw`` into an Article; raises ExtractError when no usable article is left."""
    entry = page.entry if page else None
    url = page.url if page else raw.base_url
    title = _title(raw, entry)
    if not title:
        raise ExtractError("no title")
    blocks = blocks_from_html(raw.body, raw.base_url or url) if raw.body is not None else []
    blocks, facts = split_boilerplate(blocks)
    # After the boilerplate is gone: a body that is only the title and its source line keeps it.
    blocks = _drop_repeated_head(blocks, [title, raw.subtitle, *raw.known_lines])
    body_html, body_text = render(blocks)
    images = raw.images + [Image(b.src, b.caption) for b in blocks if b.kind == "img"]
    if not body_text and not images:
        raise ExtractError("no body text")
    flags = list(raw.flags)
    published_at = _published(raw, entry, url, flags)
    source = facts.source or normalize_media(raw.source) or normalize_media(entry.media if entry else None)
    article = Article(
        info_code=(entry.info_code if entry else None) or raw.info_code,  # "" in an entry: unknown
        title=title,
        subtitle=normalize_paragraph(raw.subtitle) or None,
        original_title=facts.original_title or (normalize_paragraph(raw.original_title) or None),
        summary=_summary(raw, entry),
        published_at=published_at,
        source=source,
        category=category_slug(source) if source else _rolling(raw, entry, ROLLING_CATEGORY),
        tags=_tags(source, raw, entry),
        authors=_authors(raw, facts, blocks),
        body_html=body_html,
        body_text=body_text,
        images=images,
        source_url=_source_url(page, raw, rolling_item=not source and _is_rolling(raw, entry)),
        url=url,
        parser=raw.parser,
        fetched_at=page.fetched_at if page else None,
        page=page,
    )
    article.quality_flags = _quality_flags(article, flags)
    article.content_hash = content_hash(article)
    return article


def content_hash(article: Article) -> str:
    """Identity of an article's content: a change here makes a new revision."""
    # The same JSON as of ``article.to_record()``'s fields, without its deep copy of the record.
    fields = [getattr(article, name) for name in _HASHED_FIELDS]
    fields[_HASHED_FIELDS.index("images")] = [{"url": i.url, "caption": i.caption} for i in article.images]
    payload = json.dumps(fields, ensure_ascii=False, sort_keys=True)
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def listed_state(entry: ListEntry) -> tuple[str | None, str | None]:
    """What a list says of an article, as an article stored from that list holds it: the title
    and the publish time, cleaned.  The one normalization of both: the stored article's and the
    incremental crawls' comparison with it."""
    parsed = dates.parse_datetime(entry.published) if entry.published else None
    return clean_title(entry.title) or None, parsed.iso if parsed else None


def _title(raw: RawArticle, entry: ListEntry | None) -> str | None:
    if raw.title and (title := clean_title(raw.title)):
        return title
    return listed_state(entry)[0] if entry else None


def _drop_repeated_head(blocks: list[Block], lines: list[str | None]) -> list[Block]:
    """A body that starts by repeating the title (or sub-title) repeats it only once; a body
    that is nothing but the title keeps it (then it is the text, and a re-read keeps it too)."""
    known = {normalize_paragraph(line) for line in lines if line}
    start = 0
    while start < len(blocks) - 1 and start < 3 and blocks[start].kind != "img" and blocks[start].text in known:
        start += 1
    return blocks[start:]


def _published(raw: RawArticle, entry: ListEntry | None, url: str | None, flags: list[str]) -> str | None:
    first_failure: list[str] = []
    for candidate in (raw.published, entry.published if entry else None):
        if candidate is None:
            continue
        parsed = dates.parse_datetime(candidate)
        if FLAG_NO_YEAR in parsed.flags and (day := _day_hint(raw, entry, url)[0]) is not None:
            parsed = dates.parse_datetime(candidate, year_hint=day.year)  # "02-20 16:17"
        if parsed.ok:
            flags.extend(parsed.flags)
            return parsed.iso
        first_failure = first_failure or parsed.flags
    flags.extend(first_failure or [FLAG_MISSING])
    day, flag = _day_hint(raw, entry, url)
    if day is None:
        return None
    flags.append(flag)
    return dates.parse_datetime(day.isoformat()).iso


def _day_hint(raw: RawArticle, entry: ListEntry | None, url: str | None) -> tuple[date | None, str]:
    """The day the URL, else the infoCode, carries (asked only when the page's time falls short)."""
    if (day := dates.date_from_url(url)) is not None:
        return day, FLAG_FROM_URL
    return dates.date_from_info_code(entry.info_code if entry else raw.info_code), FLAG_FROM_INFO_CODE


def _source_url(page: Page | None, raw: RawArticle, *, rolling_item: bool) -> str | None:
    """The public page an archive links to: the share page, but the web URL (``url_w``) for a
    rolling-feed item with no medium, as the archives filed under ``emnews`` link them."""
    if page is None:
        return raw.base_url
    web_url = page.entry.web_url if page.entry else None
    if rolling_item and web_url and web_url.lower().startswith(("http://", "https://")):
        return web_url
    return page.source_url or raw.source_url or page.url


# "摘要：…", "【导读】…": the label of an abstract box (Eastmoney's div.b-review), not its text.
_SUMMARY_LABEL = re.compile(
    r"^(?:[【\[](?:摘要|内容摘要|内容提要|提要|导读)[】\]]\s*[:：]?|(?:摘要|内容摘要|内容提要|提要|导读)\s*[:：])\s*"
)


def _summary(raw: RawArticle, entry: ListEntry | None) -> str | None:
    summary = raw.summary or (entry.digest if entry else None)
    if not summary:
        return None
    summary = _SUMMARY_LABEL.sub("", text_field(summary))
    # Rolling-feed digests start with "【title】".
    if summary.startswith("【") and "】" in summary[:200]:
        summary = summary[summary.index("】") + 1 :].strip()
    return summary or None


def _tags(source: str | None, raw: RawArticle, entry: ListEntry | None) -> list[str]:
    tag = media_tag(source) or _rolling(raw, entry, ROLLING_TAG)
    return [tag] if tag else []


def _rolling(raw: RawArticle, entry: ListEntry | None, value: str) -> str | None:
    """Rolling-feed items with no medium are filed as existing archives file them."""
    return value if _is_rolling(raw, entry) else None


def _is_rolling(raw: RawArticle, entry: ListEntry | None) -> bool:
    return entry.rolling if entry else raw.rolling


def _authors(raw: RawArticle, facts: BodyFacts, blocks: list[Block]) -> list[str]:
    names: list[str] = []
    for value in raw.authors:
        for name in split_names(strip_role(value)):
            if name not in names:
                names.append(name)
    names += [name for name in facts.authors if name not in names]
    return names or _credited(blocks)


def _credited(blocks: list[Block]) -> list[str]:
    """Authors credited inside the body: at the start of its first paragraphs
    (``本报讯（记者 李明 王芳）…``), else closing its last ones (``…。（常书香 马丹阳）``)."""
    paragraphs = [block.text for block in blocks if block.kind == "p"]
    for text in paragraphs[:2]:
        if names := lead_credit(text):
            return names
    for text in reversed(paragraphs[-2:]):
        if names := trailing_credit(text):
            return names
    return []


def _quality_flags(article: Article, flags: list[str]) -> list[str]:
    if len(article.body_text) < _SHORT_BODY:
        flags.append(FLAG_SHORT_BODY)
    return sorted(set(flags))
