"""Issue 7: properties that hold for any input (hypothesis), not only for the inputs we thought of.

- the cleaner (``extract`` -> ``build_article``) turns any feed text body, HTML fragment or
  title into a valid, sanitized Article or refuses it with ExtractError and a reason;
- the date parser never raises: an ISO time in +08:00 that parses back, or None with a flag;
- the Jekyll writer and reader round-trip any title, body, date and category;
- export -> import through ``write_jekyll`` and ``import_posts`` into a fresh archive keeps
  titles, times, sources and paragraphs.
"""

from __future__ import annotations

import html
import json
import re
import string
from datetime import datetime, timedelta, timezone

import lxml.html
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

import qilucrawl.extract.plain_text
from qilucrawl.clean import dates
from qilucrawl.clean.article import build_article
from qilucrawl.clean.render import ALLOWED_ATTRIBUTES, ALLOWED_TAGS, sanitize
from qilucrawl.clean.text import clean_title
from qilucrawl.exporters.to_jekyll import write_jekyll
from qilucrawl.extract import extract
from qilucrawl.importer import import_posts
from qilucrawl.items import FEED_TEXT, HTML, Article, ExtractError, Image, ListEntry, Page, RawArticle
from qilucrawl.jekyll import post_filename, read_post, render_post
from qilucrawl.store import Store

BEIJING = timezone(timedelta(hours=8))
# Every quality flag the code defines (FLAG_* constants): an article carries no other.
FLAGS = {
    value
    for module in (dates, qilucrawl.extract, qilucrawl.extract.plain_text, qilucrawl.clean.article)
    for name, value in vars(module).items()
    if name.startswith("FLAG_") and isinstance(value, str)
}
CHECKS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# --- strategies ---------------------------------------------------------------------------------

# Text as news sources give it, with everything that breaks naive code mixed in.
_hostile_chars = st.sampled_from(
    list(
        "济南青岛山东省新闻记者报道。，、：；“”（）【】《》—…\u3000\u00a0\u200b\ufeff\r\n\t <>&\"'/=#{}%|*_[]`\\"
        "\x00\x07\x1b\x7f\ud800\udfff\ufffe"
    )
)
TEXT = st.text(alphabet=st.one_of(_hostile_chars, st.characters()), max_size=120)
TAGS = [
    "p",
    "div",
    "span",
    "b",
    "strong",
    "em",
    "i",
    "a",
    "img",
    "script",
    "style",
    "svg",
    "iframe",
    "object",
    "embed",
    "math",
    "table",
    "tr",
    "td",
    "ul",
    "li",
    "h1",
    "h3",
    "br",
    "center",
    "font",
    "figure",
    "figcaption",
    "blockquote",
    "form",
    "input",
    "noscript",
    "template",
    "video",
    "source",
    "base",
    "meta",
]
ATTRIBUTES = [
    "src",
    "href",
    "onerror",
    "onclick",
    "onload",
    "style",
    "class",
    "id",
    "data-src",
    "width",
    "height",
    "xlink:href",
    "srcdoc",
    "action",
    "formaction",
    "hidden",
    "align",
]
URLS = st.sampled_from(
    [
        "javascript:alert(1)",
        "JaVaScRiPt:alert(1)",
        " javascript:alert(1)",
        "data:image/png;base64,AAAA",
        "data:text/html,<script>alert(1)</script>",
        "vbscript:x",
        "//evil.example/x.png",
        "/uploads/a.jpg",
        "http://news.example.com/a.jpg",
        "https://news.example.com/b.png",
        "x",
        "",
        "#",
        "&#106;avascript:alert(1)",
    ]
)


@st.composite
def elements(draw, depth: int = 0) -> str:
    tag = draw(st.sampled_from(TAGS))
    attributes = draw(st.lists(st.tuples(st.sampled_from(ATTRIBUTES), st.one_of(URLS, TEXT)), max_size=3))
    attrs = "".join(f' {name}="{value.replace(chr(34), "&quot;")}"' for name, value in attributes)
    children = draw(st.lists(st.one_of(TEXT, elements(depth + 1)) if depth < 3 else TEXT, max_size=4))
    closed = draw(st.booleans())
    return f"<{tag}{attrs}>{''.join(children)}" + (f"</{tag}>" if closed else "")


FRAGMENTS = st.lists(st.one_of(TEXT, elements()), min_size=0, max_size=6).map("".join)
TITLES = st.one_of(
    TEXT, FRAGMENTS, st.sampled_from(["", " ", "<script>x</script>", "{{ site.x }}", "---", "&lt;b&gt;"])
)
TIMES = st.one_of(
    TEXT,
    st.sampled_from(
        [
            "0000-00-00 00:00:00",
            "2099-01-01",
            " +0800",
            "+0800",
            "2026-02-30 10:00",
            "2026-11-15 25:61:61",
            "1763345400",
            "1763345400000",
            "11-15 10:00",
            "2026年11月15日 10时20分",
            "20261115102030",
            "1998年3月",
            "2026年13月",
            "1989年12月",
        ]
    ),
    st.datetimes(min_value=datetime(1900, 1, 1), max_value=datetime(2100, 1, 1)).map(str),
)


def assert_valid_article(article: Article) -> None:
    """The data dictionary's types, and the sanitizer's invariants on body_html."""
    assert isinstance(article.title, str) and article.title.strip()
    assert article.title == article.title.strip() and "\n" not in article.title
    for name in ("subtitle", "original_title", "summary", "source", "category", "published_at", "source_url", "url"):
        assert getattr(article, name) is None or isinstance(getattr(article, name), str), name
    assert isinstance(article.body_text, str) and isinstance(article.body_html, str)
    assert article.body_text or article.images
    assert all(isinstance(tag, str) for tag in article.tags) and all(isinstance(a, str) for a in article.authors)
    assert set(article.quality_flags) <= FLAGS, article.quality_flags
    assert re.fullmatch(r"[0-9a-f]{64}", article.content_hash)
    if article.category is not None:
        assert re.fullmatch(r"[a-z0-9]{1,80}", article.category)
    if article.published_at is not None:
        moment = datetime.fromisoformat(article.published_at)
        assert moment.utcoffset() == timedelta(hours=8)
    for image in article.images:
        assert isinstance(image, Image)
        assert image.url is None or re.match(r"https?://", image.url), image.url
    for value in (article.title, article.body_text, article.body_html, article.source or "", *article.authors):
        assert not re.search("[\ud800-\udfff\x00]", value)
        value.encode("utf-8")  # SQLite and every export write UTF-8
    # render() writes body_html without a sanitizer pass: the allow-list sanitizer (nh3) must
    # find nothing to change in it — no tag, attribute or URL outside the list, no unbalanced tag.
    assert sanitize(article.body_html) == article.body_html
    root = lxml.html.fragment_fromstring(article.body_html or "<p></p>", create_parent="div")
    for element in root.iter():
        if element is root:
            continue
        assert isinstance(element.tag, str) and element.tag in ALLOWED_TAGS, element.tag
        for name, value in element.attrib.items():
            assert name in ALLOWED_ATTRIBUTES.get(element.tag, ()), (element.tag, name)
            if name == "src":
                assert re.match(r"https?://", value), value
    assert not re.search(r"<\s*/?\s*(?:script|svg|iframe|object|embed|style|math)\b", article.body_html, re.IGNORECASE)
    for element in root.iter():  # words like "javascript:" may be text; never a URL
        assert not any(re.match(r"\s*(?:javascript|vbscript|data):", v, re.IGNORECASE) for v in element.attrib.values())
    # title, source and authors are text: no tag a feed left in survives ("<b" alone is text; so
    # is "<IMG.>": as HTML reads it, a tag's name ends at a space, "/" or ">")
    for value in (article.title, article.source or "", *article.authors):
        assert not re.search(r"</?(?:script|svg|img|iframe|style)(?=[\s/>])[^<>]*>", value, re.IGNORECASE), value


def cleaned_or_refused(page: Page) -> Article | None:
    try:
        article = extract(page)
    except ExtractError as error:
        assert str(error).strip(), "an ExtractError must say why"
        return None
    assert_valid_article(article)
    return article


def entry(
    title: str = "山东新闻标题", published: str = "2026-11-15 10:00:00", media: str | None = "齐鲁网"
) -> ListEntry:
    return ListEntry("NW202611150000000001", title=title, published=published, media=media)


# --- the cleaner --------------------------------------------------------------------------------


@CHECKS
@given(
    body=FRAGMENTS,
    key=st.sampled_from(["text", "content"]),
    title=TITLES,
    published=TIMES,
    media=st.one_of(st.none(), TEXT),
)
def test_any_feed_text_body_cleans_to_a_valid_article_or_is_refused(body, key, title, published, media):
    payload = json.dumps({key: body}, ensure_ascii=False).encode("utf-8", "surrogatepass")
    page = Page(
        url="http://127.0.0.1/NewsData/GetNewsText.do?id=NW202611150000000001",
        body=payload,
        kind=FEED_TEXT,
        entry=entry(title, published, media),
        source_url="http://127.0.0.1/share",
    )
    article = cleaned_or_refused(page)
    if article is not None:
        assert article.title == clean_title(title) or not clean_title(title)


@CHECKS
@given(body=FRAGMENTS, title=TITLES, head=TITLES)
def test_any_html_page_cleans_to_a_valid_article_or_is_refused(body, title, head):
    page_html = (
        f"<html><head><meta charset='utf-8'><title>{head}</title></head><body><h1>{title}</h1>"
        f"<span id='pubtime_baidu'>2026-11-15 08:00</span><div class='article-main'>{body}</div></body></html>"
    )
    page = Page(
        url="http://news.iqilu.com/shandong/20261115/5300001.shtml",
        body=page_html.encode("utf-8", "surrogatepass"),
        kind=HTML,
        entry=entry(title=None),
    )
    cleaned_or_refused(page)


@CHECKS
@given(raw_bytes=st.binary(max_size=400), kind=st.sampled_from([FEED_TEXT, HTML, "auto", "plain_text", "jekyll"]))
def test_any_bytes_clean_or_are_refused(raw_bytes, kind):
    page = Page(url="http://127.0.0.1/shandong/20261115/5300002.shtml", body=raw_bytes, kind=kind, entry=entry())
    cleaned_or_refused(page)


@CHECKS
@given(
    paragraphs=st.lists(TEXT, max_size=5),
    title=TITLES,
    subtitle=st.one_of(st.none(), TEXT),
    authors=st.lists(TEXT, max_size=3),
    source=st.one_of(st.none(), TEXT),
    published=st.one_of(st.none(), TIMES),
)
def test_build_article_on_any_raw_fields(paragraphs, title, subtitle, authors, source, published):
    raw = RawArticle(
        parser="test/V1",
        body="".join(f"<p>{p}</p>" for p in paragraphs),
        title=title,
        subtitle=subtitle,
        authors=authors,
        source=source,
        published=published,
    )
    try:
        article = build_article(raw, Page(url="http://127.0.0.1/a/20261115/1.html", body=b"", entry=None))
    except ExtractError as error:
        assert str(error).strip()
        return
    assert_valid_article(article)


# --- the date parser ----------------------------------------------------------------------------


@settings(max_examples=400, deadline=None)
@given(
    text=st.one_of(TIMES, st.integers(min_value=-(10**15), max_value=10**15), st.floats(allow_nan=True), st.none()),
    year_hint=st.one_of(st.none(), st.integers(min_value=1, max_value=9999)),
)
def test_the_date_parser_never_raises_and_says_why_when_it_returns_nothing(text, year_hint):
    parsed = dates.parse_datetime(text, year_hint=year_hint)
    if parsed.iso is None:
        assert parsed.flags, "None must come with a flag"
        assert set(parsed.flags) <= FLAGS
        return
    moment = datetime.fromisoformat(parsed.iso)
    assert moment.utcoffset() == timedelta(hours=8)
    assert moment.isoformat() == parsed.iso  # it parses back to itself
    assert moment.year >= dates.EARLIEST_YEAR
    assert moment <= datetime.now(BEIJING) + dates.FUTURE_TOLERANCE
    assert parsed.precision in ("month", "day", "minute", "second")


@settings(max_examples=200, deadline=None)
@given(
    moment=st.datetimes(min_value=datetime(1990, 1, 1), max_value=datetime(2026, 1, 1)),
    shape=st.sampled_from(["%Y-%m-%d %H:%M:%S", "%Y/%m/%d %H:%M", "%Y年%m月%d日 %H:%M", "%Y-%m-%dT%H:%M:%S+08:00"]),
)
def test_a_well_formed_time_reads_as_itself(moment, shape):
    parsed = dates.parse_datetime(moment.strftime(shape))
    assert parsed.ok
    seconds = "%S" in shape
    expected = moment.replace(microsecond=0, second=moment.second if seconds else 0, tzinfo=BEIJING)
    assert datetime.fromisoformat(parsed.iso) == expected


# --- the Jekyll writer and reader ---------------------------------------------------------------

BODY_PARAGRAPHS = st.lists(TEXT.map(lambda t: re.sub(r"\s+", " ", t).strip()).filter(bool), min_size=1, max_size=4)
CATEGORIES = st.one_of(
    st.just("emnews"), st.text(alphabet=string.ascii_lowercase + string.digits, min_size=1, max_size=20)
)
MOMENTS = st.datetimes(min_value=datetime(1990, 1, 1), max_value=datetime(2030, 12, 31)).map(
    lambda m: m.replace(microsecond=0, tzinfo=BEIJING)
)


def article_row(
    title: str, paragraphs: list[str], moment: datetime, category: str, media: str | None, number: int = 1
) -> dict:
    import html

    body_html = "\n".join(f"<p>{html.escape(p, quote=False)}</p>" for p in paragraphs)
    code = f"NW{moment:%Y%m%d}{number:010d}"
    return {
        "info_code": code,
        "title": title,
        "published_at": moment.isoformat(),
        "category": category,
        "source": None if category == "emnews" else media,
        "tags": [],
        "summary": "摘要" if category == "emnews" else None,
        "body_html": body_html,
        "body_text": "\n\n".join(paragraphs),
        "source_url": f"http://finews.example/html_News/NewsShare.html?infoCode={code}",
    }


@CHECKS
@given(
    title=TEXT,
    paragraphs=BODY_PARAGRAPHS,
    moment=MOMENTS,
    category=CATEGORIES,
    media=st.sampled_from(["齐鲁网", "大众日报", "A&B 媒体", "媒[体]"]),
)
def test_render_post_then_read_post_gives_back_what_was_written(title, paragraphs, moment, category, media):
    title = title.replace("\ud800", "").replace("\udfff", "")  # stored titles are valid text
    article = article_row(title, paragraphs, moment, category, media)
    text = render_post(article, site_host="archive.example")
    post = read_post(text, post_filename(article))
    assert post.title == title
    assert datetime.strptime(post.date, "%Y-%m-%d %H:%M:%S %z") == moment
    assert post.category == category
    # The archives' form: block lines after the first start with a space; a medium's line ends it.
    source_line = (
        f'<p class="em_media">（文章来源：{html.escape(media, quote=False)}）</p>' if article["source"] else ""
    )
    assert post.body == article["body_html"].replace("\n<", "\n <") + source_line
    assert post.info_code == article["info_code"]
    assert post.source_url == article["source_url"]
    front = text.split("\n---\n", 1)[0]
    assert all(re.fullmatch(r"---|[a-z]+: \S.*", line) for line in front.split("\n")), front  # one line per key
    assert not re.search(r"\{[{%]", text.split("\n---\n", 1)[1]), "Liquid in the body must be inert"


# --- export -> import ---------------------------------------------------------------------------


def _stored(paragraphs: list[str], title: str, moment: datetime, media: str, number: int) -> Article:
    raw = RawArticle(
        parser="test/V1",
        body="".join(f"<p>{p}</p>" for p in paragraphs),
        title=title,
        published=moment.strftime("%Y-%m-%d %H:%M:%S"),
        source=media,
    )
    page = Page(
        url=f"http://127.0.0.1/NewsData/GetNewsText.do?id=x{number}",
        body=b"x",
        kind=FEED_TEXT,
        entry=ListEntry(f"NW{moment:%Y%m%d}{number:010d}", title=title, media=media),
        source_url=f"http://finews.example/html_News/NewsShare.html?infoCode=NW{moment:%Y%m%d}{number:010d}",
    )
    return build_article(raw, page)


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture]
)
@given(
    batch=st.lists(
        st.tuples(TEXT, BODY_PARAGRAPHS, MOMENTS, st.sampled_from(["齐鲁网", "大众日报", "齐鲁晚报"])),
        min_size=1,
        max_size=6,
    )
)
def test_export_to_jekyll_then_import_keeps_titles_times_sources_and_paragraphs(tmp_path_factory, batch):
    work = tmp_path_factory.mktemp("roundtrip")
    articles = []
    for number, (title, paragraphs, moment, media) in enumerate(batch, start=1):
        try:
            articles.append(_stored(paragraphs, title, moment, media, number))
        except ExtractError:
            continue  # refused with a reason: nothing to round-trip
    assume(articles)
    first = Store(work / "first.db")
    first.save_articles(articles)
    rows = list(first.iter_articles())
    first.close()
    written = write_jekyll(rows, work / "site", site_host="archive.example")
    assert written == len(rows)
    second = Store(work / "second.db")
    reports = import_posts([work / "site" / "_posts"], second, None)
    assert {r.outcome for r in reports} == {"imported"}, [(r.outcome, r.reason) for r in reports]
    back = {row["info_code"]: row for row in second.iter_articles()}
    second.close()
    assert set(back) == {row["info_code"] for row in rows}
    for row in rows:
        again = back[row["info_code"]]
        assert again["title"] == row["title"]
        assert again["published_at"] == row["published_at"]
        assert again["source"] == row["source"] and again["category"] == row["category"]
        assert again["body_text"].split("\n\n") == row["body_text"].split("\n\n")
