"""Synthetic articles with realistic Chinese text, made from the demo corpus's own sentences.

The sentences of the demo site's hand-written articles (feed and iqilu) are shuffled into new
articles: titles of 20–40 characters, bodies of 300–3,000 characters in paragraphs of a few
sentences (most bodies short, a few long, like real regional news), dates over three years and
a handful of media.  Deterministic for a given seed.
"""

from __future__ import annotations

import hashlib
import html
import json
import random
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from functools import lru_cache

from qilucrawl.clean.media import category_slug, media_tag
from qilucrawl.demo.server import CORPUS, load_feed
from qilucrawl.items import FEED_TEXT, Article, Image, ListEntry, Page
from qilucrawl.schema import ARTICLE_COLUMNS

BEIJING = timezone(timedelta(hours=8))
MEDIA = ("齐鲁网", "大众日报", "齐鲁晚报", "济南日报", "青岛日报", "闪电新闻", "中国证券报", "证券时报")
NAMES = ("王海涛", "李静", "张晓明", "刘晓燕", "陈刚", "赵敏", "孙浩", "周婷", "蔡宇丹", "吴磊")
START = datetime(2023, 1, 1, tzinfo=BEIJING)
DAYS = 3 * 365
TITLE_CHARS = (20, 40)
BODY_CHARS = (300, 3000)
BODY_MODE = 700  # most news bodies are short; a triangular law gives a mean near 1,300
_TAG = re.compile(r"<[^>]+>")
_SENTENCE = re.compile(r"[^。！？!?\n]+[。！？!?]")


@lru_cache(maxsize=1)
def sentences() -> tuple[str, ...]:
    """Every sentence of the demo corpus's bodies, tags and indents stripped, deduplicated."""
    texts = [a.body for a in load_feed(CORPUS) if a.body]
    for path in sorted((CORPUS / "iqilu").glob("*.json")):
        texts += json.loads(path.read_text(encoding="utf-8")).get("pages") or []
    found: dict[str, None] = {}
    for text in texts:
        plain = html.unescape(_TAG.sub("\n", text)).replace("\u3000", "").replace("\u00a0", "")
        for sentence in _SENTENCE.findall(plain):
            sentence = sentence.strip()
            if 8 <= len(sentence) <= 120 and "来源" not in sentence and "编辑" not in sentence:
                found[sentence] = None
    return tuple(found)


@dataclass(slots=True)
class Fake:
    """One synthetic article's content."""

    info_code: str
    title: str
    published: datetime
    media: str
    authors: list[str]
    paragraphs: list[str]

    @property
    def body_text(self) -> str:
        return "\n\n".join(self.paragraphs)

    @property
    def body_html(self) -> str:
        return "\n".join(f"<p>{html.escape(p, quote=False)}</p>" for p in self.paragraphs)

    @property
    def published_iso(self) -> str:
        return self.published.isoformat(timespec="seconds")


def fakes(count: int, seed: int = 6, start: int = 0) -> Iterator[Fake]:
    """``count`` articles, numbered from ``start`` (the number makes the infoCode unique)."""
    rng = random.Random(seed * 1_000_003 + start)
    pool = sentences()
    mean = sum(map(len, pool)) / len(pool)
    for number in range(start, start + count):
        published = START + timedelta(days=rng.randrange(DAYS), seconds=rng.randrange(86400))
        target = int(rng.triangular(BODY_CHARS[0], BODY_CHARS[1], BODY_MODE))
        picked = rng.choices(pool, k=int(target / mean * 1.5) + 4)
        paragraphs, length, para = [], 0, []
        for sentence in picked:
            para.append(sentence)
            length += len(sentence)
            if len(para) >= rng.randint(2, 5):
                paragraphs.append("".join(para))
                para = []
            if length >= target:
                break
        if para:
            paragraphs.append("".join(para))
        yield Fake(
            info_code=f"NW{published:%Y%m%d}{number:010d}",
            title=_title(rng, pool),
            published=published,
            media=MEDIA[rng.randrange(len(MEDIA))],
            authors=rng.sample(NAMES, rng.randint(0, 2)),
            paragraphs=paragraphs,
        )


def _title(rng: random.Random, pool: tuple[str, ...]) -> str:
    size = rng.randint(*TITLE_CHARS)
    text = ""
    while len(text) < size:
        text += rng.choice(pool).rstrip("。！？!?") + " "
    return text[:size].strip()


def article(fake: Fake, base_url: str = "http://choicewzp1.eastmoney.com") -> Article:
    """The Article the feed pipeline would make of it, raw page attached (as a crawl stores it)."""
    body_html = fake.body_html
    url = f"{base_url}/NewsData/GetNewsText.do?id={fake.info_code}"
    images = (
        [Image(url=f"http://img.example.cn/{fake.info_code}.jpg", caption=fake.title[:12])]
        if fake.info_code[-1] in "05"
        else []
    )
    item = Article(
        info_code=fake.info_code,
        title=fake.title,
        published_at=fake.published_iso,
        source=fake.media,
        category=category_slug(fake.media),
        body_text=fake.body_text,
        body_html=body_html,
        tags=[media_tag(fake.media) or ""],
        authors=list(fake.authors),
        images=images,
        source_url=f"http://finews.zning.xyz/html_News/NewsShare.html?infoCode={fake.info_code}",
        url=url,
        parser="feed_text/V1_1",
        fetched_at=fake.published_iso,
    )
    item.content_hash = hashlib.sha256((fake.title + fake.body_text).encode()).hexdigest()
    raw = json.dumps({"text": body_html}, ensure_ascii=False).encode()
    entry = ListEntry(
        info_code=fake.info_code, title=fake.title, published=f"{fake.published:%Y-%m-%d %H:%M:%S}", media=fake.media
    )
    item.page = Page(
        url=url,
        body=raw,
        kind=FEED_TEXT,
        content_type="application/json; charset=utf-8",
        fetched_at=fake.published_iso,
        entry=entry,
    )
    return item


def archive_row(fake: Fake, run_id: int) -> tuple:
    """The ``articles`` row of an article (as the store writes it), in ``ARTICLE_COLUMNS`` order."""
    body_text = fake.body_text
    when = fake.published_iso
    images = (
        [{"url": f"http://img.example.cn/{fake.info_code}.jpg", "caption": fake.title[:12]}]
        if fake.info_code[-1] in "05"
        else []
    )
    row = {
        "info_code": fake.info_code,
        "title": fake.title,
        "subtitle": None,
        "original_title": None,
        "summary": None,
        "published_at": when,
        "source": fake.media,
        "category": category_slug(fake.media),
        "tags": json.dumps([media_tag(fake.media)], ensure_ascii=False),
        "authors": json.dumps(fake.authors, ensure_ascii=False),
        "body_text": body_text,
        "body_html": fake.body_html,
        "images": json.dumps(images, ensure_ascii=False),
        "source_url": f"http://finews.zning.xyz/html_News/NewsShare.html?infoCode={fake.info_code}",
        "url": f"http://choicewzp1.eastmoney.com/NewsData/GetNewsText.do?id={fake.info_code}",
        "parser": "feed_text/V1_1",
        "quality_flags": "[]",
        "content_hash": hashlib.sha256((fake.title + body_text).encode()).hexdigest(),
        "revision": 1,
        "first_seen_at": when,
        "last_seen_at": when,
        "fetched_at": when,
        "run_id": run_id,
    }
    return tuple(row[name] for name in ARTICLE_COLUMNS)
