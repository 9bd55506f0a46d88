"""The text endpoint's JSON (``/NewsData/GetNewsText.do?id=<infoCode>``).

The body is under ``text`` (HTML paragraphs) or ``content`` (the same with Eastmoney's
stock-link markup left in), sometimes one level down under a wrapper key, and sometimes it is
plain text rather than HTML.  Other fields the response may carry (title, time, media) are
read when present and otherwise left to the list entry.
"""

from __future__ import annotations

import json
import re
from typing import Any

from qilucrawl.extract.base import Document
from qilucrawl.extract.plain_text import parse_plain_text
from qilucrawl.items import ExtractError, RawArticle

NAME = "feed_text"
VERSION = "V1_1"  # layout V1, revision 1 (see extract.PARSER_VERSIONS)

_BODY_KEYS = ("text", "content", "Text", "Content", "body", "Body")
_WRAPPER_KEYS = ("data", "Data", "result", "Result", "news", "News", "article", "item")
_TITLE_KEYS = ("title", "Title", "simtitle")
_TIME_KEYS = ("showtime", "showTime", "ShowTime", "datetime", "dateTime", "time", "date", "publishTime")
_MEDIA_KEYS = ("medianame", "mediaName", "MediaName", "source", "Source", "from")
_AUTHOR_KEYS = ("author", "Author", "authors")
_HTML_TAG = re.compile(r"<\s*/?\s*(?:p|br|div|span|img|strong|b|center|a|table|h\d)\b", re.IGNORECASE)
_MAX_DEPTH = 3


class FeedTextParser:
    name = NAME
    versions = (VERSION,)

    def matches(self, doc: Document) -> bool:
        return doc.text.lstrip()[:1] in ("{", "[")

    def parse(self, doc: Document) -> RawArticle:
        try:
            payload = json.loads(doc.text)
        except (ValueError, RecursionError) as error:
            raise ExtractError(f"malformed JSON: {error}") from None
        record = _find_record(payload, 0)
        if record is None:
            raise ExtractError("no text or content in the response")
        body = record[_first_key(record, _BODY_KEYS, str)]
        if not body.strip():
            raise ExtractError("no text or content in the response (blank)")
        entry = doc.page.entry if doc.page else None
        list_title = entry.title if entry and entry.title else None
        raw = _from_body(body, list_title or _string(record, _TITLE_KEYS))
        # The list's title and time win: they are what the next run compares to decide that
        # an article is stored unchanged (a different spelling here would refetch it forever).
        raw.title = list_title or raw.title or _string(record, _TITLE_KEYS)
        raw.published = (entry.published if entry and entry.published else None) or _string(record, _TIME_KEYS)
        raw.source = _string(record, _MEDIA_KEYS)
        author = _string(record, _AUTHOR_KEYS)
        raw.authors += [author] if author else []
        raw.base_url = doc.url
        return raw


def _from_body(body: str, known_title: str | None) -> RawArticle:
    if _HTML_TAG.search(body):
        return RawArticle(parser=f"{NAME}/{VERSION}", body=body)
    raw = parse_plain_text(body, known_title=known_title)
    raw.parser = f"{NAME}/{VERSION}+{raw.parser}"
    return raw


def _find_record(payload: Any, depth: int) -> dict | None:
    """The dict that holds the body: the payload itself or one wrapper down."""
    if isinstance(payload, list):
        return next((r for item in payload[:5] if (r := _find_record(item, depth + 1))), None)
    if not isinstance(payload, dict) or depth > _MAX_DEPTH:
        return None
    if _first_key(payload, _BODY_KEYS, str):
        return payload
    for key in _WRAPPER_KEYS:
        if key in payload and (found := _find_record(payload[key], depth + 1)):
            return found
    return None


def _first_key(record: dict, keys: tuple[str, ...], kind: type) -> str | None:
    """The first of ``keys`` whose value is a non-empty ``kind``."""
    return next((key for key in keys if isinstance(record.get(key), kind) and record[key]), None)


def _string(record: dict, keys: tuple[str, ...]) -> str | None:
    for key in keys:
        value = record.get(key)
        if isinstance(value, (str, int)) and not isinstance(value, bool) and str(value).strip():
            return str(value).strip()
    return None
