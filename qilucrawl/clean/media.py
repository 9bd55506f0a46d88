"""Media names and the category slugs existing archives derive from them (齐鲁网 -> qiluwang)."""

from __future__ import annotations

import re
from functools import lru_cache

from qilucrawl.clean.text import text_field

# Existing archives file rolling-feed items (no named medium) under this category and tag.
ROLLING_CATEGORY = "emnews"
ROLLING_TAG = "东财滚动新闻"
_NOT_SLUG = re.compile(r"[^a-z0-9]+")
# "来源：齐鲁网 作者：…", "齐鲁网（济南）", "大众日报 2022-02-20": only the name is the medium.
_MEDIA_TAIL = re.compile(
    r"\s*(?:[（(【\[].*|(?:作者|记者|编辑|责任编辑|责编|时间|发布时间|日期)\s*[:：].*|\d{4}\s*[-/.年].*|\d{1,2}月.*)$"
)


def normalize_media(name: str | None) -> str | None:
    """The medium's name as archives write it, or None when there is none."""
    name = text_field(name).strip("（()）【】[] ")  # text: tags a feed left in are not the name
    name = re.sub(r"^(?:文章|本文|稿件)?来源\s*[:：]\s*", "", name)
    name = _MEDIA_TAIL.sub("", name).strip(" ：:·|｜-—")
    return name[:40] or None


@lru_cache(maxsize=4096)
def category_slug(media: str | None) -> str | None:
    """Toneless pinyin with no separators, lower case ASCII only: 齐鲁网 -> qiluwang."""
    if not media:
        return None
    # Imported on first use: loading pypinyin's dictionary takes ~0.7 s, which a cron run that
    # finds nothing new would pay for nothing.
    from pypinyin import Style, lazy_pinyin

    slug = _NOT_SLUG.sub("", "".join(lazy_pinyin(media, style=Style.NORMAL)).lower())
    return slug[:80] or None


def media_tag(media: str | None) -> str | None:
    """The tag existing archives give a medium's posts: 齐鲁网 -> 齐鲁网新闻; a name that already
    ends in 新闻 is its own tag (闪电新闻 -> 闪电新闻, not 闪电新闻新闻)."""
    if not media:
        return None
    return media if media.endswith("新闻") else f"{media}新闻"
