"""The Jekyll post format both ways (qilucrawl.jekyll), its parser, the exporter and the site.

The posts under tests/pages/jekyll/ are written for these tests; each reproduces quirks of real
archives (SOURCES.md §3).  Tests that need the shared seed or the ``jekyll`` executable skip
when those are absent.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from qilucrawl.clean.html import blocks_from_html
from qilucrawl.exporters.to_jekyll import write_jekyll
from qilucrawl.extract import extract
from qilucrawl.items import JEKYLL, Page
from qilucrawl.jekyll import (
    BackLink,
    Post,
    PostError,
    post_filename,
    read_post,
    render_category_page,
    render_post,
)

ROOT = Path(__file__).resolve().parents[1]
PAGES = ROOT / "tests" / "pages" / "jekyll"
SEED = ROOT.parent / "shared" / "seeds" / "000_f0a55db7695c555a.txt"
HOST = "archive.example.net"
CANONICAL = "2023-03-14-NW202303141234567890.md"
SHARE = "http://feeds.example.com/html_News/NewsShare.html?infoCode="
CANONICAL_ARTICLE: dict[str, Any] = {
    "info_code": "NW202303141234567890",
    "title": "济南新开三条公交线路服务“黄河北”",
    "published_at": "2023-03-14T09:05:30+08:00",
    "source": "齐鲁网",
    "category": "qiluwang",
    "tags": ["齐鲁网新闻"],
    "summary": None,
    "body_html": (
        "<p>3月14日起，济南公交新开通三条线路，串联起黄河北岸的多个新建小区与地铁站点。</p>\n"
        "<p><strong>早晚高峰加密班次</strong></p>\n"
        "<p>据介绍，新线路早晚高峰发车间隔不超过10分钟，平峰时段不超过20分钟，票价与现有线路一致。</p>"
    ),
    "source_url": SHARE + "NW202303141234567890",
}
ROLLING_ARTICLE: dict[str, Any] = {
    "info_code": "NW202303161234567804",
    "title": "山东发布支持民营经济发展若干措施",
    "published_at": "2023-03-16T10:00:12+08:00",
    "source": None,
    "category": "emnews",
    "tags": ["东财滚动新闻"],
    "summary": "*ST某某：措施涉及 <融资> & [用地]_人才 {{ x }}",
    "body_html": "<p>山东省发布支持民营经济发展的若干措施。</p>",
    "source_url": "http://finance.example.com/news/1350,202303161234567804.html",
}


def fixture(name: str) -> str:
    # newline="" keeps CRLF as the file has it: mixed line ends are one of the quirks.
    with open(PAGES / name, encoding="utf-8", newline="") as handle:
        return handle.read()


def read_fixture(name: str) -> Post:
    return read_post(fixture(name), name)


def as_article(post: Post) -> dict[str, Any]:
    """What the store would hold for a post, mapped field by field (no cleaning)."""
    tag = post.tags[0] if post.tags else None
    published = post.published
    iso = published.replace(" +0800", "+08:00").replace(" ", "T") if published else None
    return {
        "info_code": post.info_code,
        "title": post.title,
        "published_at": iso,
        "source": post.media,
        "category": post.category,
        "tags": [tag] if tag else [],
        "summary": post.digest,
        "body_html": post.body,
        "source_url": post.source_url,
    }


def paragraphs(body_html: str) -> list[str]:
    return [block.text for block in blocks_from_html(body_html)]


def front_matter(text: str) -> dict[str, Any]:
    return yaml.safe_load(text.split("---\n")[1])


# --- reading: every quirk -----------------------------------------------------------------------


def test_canonical_post_reads_every_field():
    post = read_fixture(CANONICAL)
    assert (post.layout, post.title, post.date) == (
        "post",
        CANONICAL_ARTICLE["title"],
        "2023-03-14 09:05:30 +0800",
    )
    assert (post.categories, post.tags, post.media) == (["qiluwang"], ["齐鲁网新闻"], "齐鲁网")
    assert paragraphs(post.body) == [*paragraphs(CANONICAL_ARTICLE["body_html"]), "（文章来源：齐鲁网）"]
    assert post.source_url == CANONICAL_ARTICLE["source_url"]
    assert post.info_code == "NW202303141234567890"
    assert post.back_links == [
        BackLink("返回齐鲁网新闻", f"//{HOST}/category/qiluwang.html"),
        BackLink("返回首页", f"//{HOST}/"),
    ]
    assert post.digest is None and post.notes == []


def test_empty_title_empty_date_empty_link_and_digest():
    post = read_fixture("-202303151234567801.md")
    assert post.title == "" and post.date == "+0800" and post.published is None
    assert post.source_url is None
    assert post.digest is not None and post.digest.startswith("某新能源车企宣布")
    assert post.body.startswith('<p style="display:none;">') and not post.body.startswith(">")
    # No date and no NW code in "-<id>.md": the id is the rolling feed's 18 digits.
    assert post.info_code == "NW202303151234567801"
    assert post.media is None  # rolling feed: no named medium
    assert {"empty_title", "no_date", "empty_source_link"} <= set(post.notes)
    assert [link.href for link in post.back_links] == [f"//{HOST}/emnews/", f"//{HOST}/"]


def test_plain_text_flash_with_relative_back_links_on_two_lines():
    post = read_fixture("2023-03-15-202303151234567802.md")
    assert post.date == "2023-03-15 13:21:08"  # no zone
    assert post.body == "数据显示，截至午后，北向资金净流入超30亿元。"
    assert post.body_html == "<p>数据显示，截至午后，北向资金净流入超30亿元。</p>"
    assert post.source_url == "http://finance.example.com/news/1353,202303151234567802.html"
    assert post.info_code == "NW202303151234567802"  # the number in the web URL
    assert [link.href for link in post.back_links] == ["../emnews/", "../"]
    assert {"back_links_on_two_lines", "relative_back_links"} <= set(post.notes)


def test_bom_blank_lines_unescaped_quotes_crlf_and_no_back_links():
    post = read_fixture("2023-03-15-NW202303151234567803.md")
    assert post.title == '市民说"这条路终于通了"'
    assert post.date == "2023-03-15 18:40:00 +0800"
    assert post.categories == ["dazhongribao"] and post.media == "大众日报"
    assert "\r" not in post.body and paragraphs(post.body) == [
        "连接两个街道的断头路15日正式通车。",
        "附近居民出行距离缩短约两公里。",
    ]
    assert post.back_links == []
    assert post.source_url == SHARE + "NW202303151234567803"
    assert {
        "bom",
        "crlf",
        "blank_lines_before_front_matter",
        "front_matter_not_yaml",
        "no_back_links",
    } <= set(post.notes)


def test_same_article_in_two_categories_gets_one_info_code():
    rolling = read_fixture("2023-03-16-202303161234567804.md")
    medium = read_fixture("2023-03-16-NW202303161234567804.md")
    assert rolling.info_code == medium.info_code == "NW202303161234567804"
    assert (rolling.category, medium.category) == ("emnews", "dazhongribao")
    assert rolling.digest and medium.digest is None
    assert [link.href for link in rolling.back_links] == [f"//{HOST}/emnews/", f"//{HOST}/"]
    assert "back_links_on_two_lines" in rolling.notes


def test_site_post_without_article_id():
    post = read_fixture("2023-03-01-welcome.md")
    assert post.info_code is None
    assert post.source_url is None and post.back_links == []
    assert post.media is None  # 站长消息 is no medium's tag
    assert post.body == "欢迎访问"


@pytest.mark.parametrize(
    "filename, info_code",
    [
        ("2022-02-20-NW202202202282305213.md", "NW202202202282305213"),
        ("-202205262391921712.md", "NW202205262391921712"),
        ("NW202205262391921712.md", "NW202205262391921712"),
        ("202112082206672930.md", "NW202112082206672930"),
        ("_posts/2021-12-08-202112082206672930.md", "NW202112082206672930"),
        ("2021-12-01-init.md", None),
        ("2021-12-08-2021120822066729301.md", None),  # 19 digits: no id
        (None, None),
    ],
)
def test_info_code_from_file_name(filename, info_code):
    text = '---\nlayout: post\ntitle: "x"\n---\n<p>x</p>\n'
    assert read_post(text, filename).info_code == info_code


def test_share_link_wins_over_file_name_and_bad_code_falls_through():
    post = '---\ntitle: "x"\n---\n<p>x</p>\n\n<http://h/NewsShare.html?infoCode={}>\n'
    text = post.format("NW202202202282305213")
    assert read_post(text, "2022-02-20-NW209999999999999999.md").info_code == "NW202202202282305213"
    hostile = post.format("../../etc")
    post = read_post(hostile, "2022-02-20-NW202202202282305213.md")
    assert post.info_code == "NW202202202282305213" and "unusable_info_code_in_link" in post.notes


@pytest.mark.parametrize("name", ["not_a_post.txt", "unclosed_front_matter.md"])
def test_files_that_are_not_posts_raise(name):
    with pytest.raises(PostError):
        read_fixture(name)


@pytest.mark.parametrize("text", ["", "\n\n", "plain text", "---\nfoo: bar\n---\nbody"])
def test_other_non_posts_raise_a_value_error(text):
    with pytest.raises(ValueError):
        read_post(text, None)


# --- writing ------------------------------------------------------------------------------------


def test_render_reproduces_the_canonical_post_byte_for_byte():
    assert render_post(CANONICAL_ARTICLE, site_host=HOST) == fixture(CANONICAL)


def test_site_host_is_configurable():
    text = render_post(CANONICAL_ARTICLE, site_host="news.example.org")
    assert text.endswith("[返回齐鲁网新闻](//news.example.org/category/qiluwang.html)｜[返回首页](//news.example.org/)")
    assert text.replace("news.example.org", HOST) == fixture(CANONICAL)


@pytest.mark.parametrize("article", [CANONICAL_ARTICLE, ROLLING_ARTICLE], ids=["medium", "rolling"])
def test_render_read_render_is_stable(article):
    first = render_post(article, site_host=HOST)
    post = read_post(first, post_filename(article))
    assert post.info_code == article["info_code"]
    assert post.digest == article["summary"]
    source_line = ["（文章来源：齐鲁网）"] if article["source"] else []
    assert paragraphs(post.body) == [*paragraphs(article["body_html"]), *source_line]
    assert render_post(as_article(post), site_host=HOST) == first


def test_rolling_post_opens_with_its_digest_and_links_its_web_url():
    text = render_post(ROLLING_ARTICLE, site_host=HOST)
    body = text.split("---\n", 2)[2]
    assert body.startswith("> ") and "<融资>" not in body and "{{" not in body
    assert f"<{ROLLING_ARTICLE['source_url']}>" in text
    assert front_matter(text)["tags"] == "东财滚动新闻"
    assert text.endswith(f"[返回东财滚动新闻](//{HOST}/category/emnews.html)｜[返回首页](//{HOST}/)")


def test_render_then_parse_through_the_real_pipeline_is_stable():
    """What an import of an exported site stores renders to the same post again."""
    first = render_post(CANONICAL_ARTICLE, site_host=HOST)
    name = post_filename(CANONICAL_ARTICLE)
    page = Page(
        url=f"file:///site/_posts/{name}",
        body=first.encode(),
        source_url=CANONICAL_ARTICLE["source_url"],
    )
    article = extract(page).to_record()
    assert (article["info_code"], article["source"], article["category"]) == (
        "NW202303141234567890",
        "齐鲁网",
        "qiluwang",
    )
    assert render_post(article, site_host=HOST) == first


HOSTILE_TITLES = [
    'He said "hi"',
    "市民说“好”: 标题",
    "---",
    "line one\nline two",
    "{{ site.title }}",
    "{% include x %}",
    "{% endraw %}{{ page.path }}",
    "'single' and #hash",
    "- a list? [1, 2] {a: b}",
    "back\\slash \\n not a newline",
    "tab\there\rand\u2028separator\x85\x07",
    "&amp; <b>bold</b>",
    "",
]


@pytest.mark.parametrize("title", HOSTILE_TITLES)
def test_hostile_titles_survive_yaml_and_stay_on_one_line(title):
    text = render_post({**CANONICAL_ARTICLE, "title": title}, site_host=HOST)
    lines = text.split("\n")
    assert lines[:2] == ["---", "layout: post"] and lines[2].startswith('title: "') and lines[3].startswith("date: ")
    assert front_matter(text)["title"] == title  # what Jekyll's YAML reader sees
    post = read_post(text, None)
    assert post.title == title and "front_matter_not_yaml" not in post.notes
    assert render_post(as_article(post), site_host=HOST) == text


def test_liquid_in_the_body_is_made_inert():
    article = {
        **CANONICAL_ARTICLE,
        "body_html": "<p>{{ site.title }} {% include x %} {%- raw -%}{{{</p>",
    }
    text = render_post(article, site_host=HOST)
    assert "{{" not in text.split("---\n", 2)[2] and "{%" not in text.split("---\n", 2)[2]
    assert paragraphs(read_post(text, None).body) == [
        "{{ site.title }} {% include x %} {%- raw -%}{{{",
        "（文章来源：齐鲁网）",
    ]


def test_plain_titles_are_written_exactly_as_archives_write_them():
    text = render_post({**CANONICAL_ARTICLE, "title": "山东：一季度GDP增长5%"}, site_host=HOST)
    assert 'title: "山东：一季度GDP增长5%"\n' in text


@pytest.mark.parametrize(
    "info_code",
    ["../x", "NW2023031412345678/../../x", "NW 202303141234567890", "A" * 500, "NW" + "1" * 500,
     "nw202303141234567890", "NW20230314123456789", "", None, 202303141234567890],
)  # fmt: skip
def test_unsafe_info_codes_never_become_file_names(info_code):
    with pytest.raises(PostError):
        post_filename({**CANONICAL_ARTICLE, "info_code": info_code})


def test_post_filename_uses_the_beijing_date():
    assert post_filename(CANONICAL_ARTICLE) == "2023-03-14-NW202303141234567890.md"
    late = {
        **CANONICAL_ARTICLE,
        "published_at": "2023-03-13T17:30:00+00:00",
    }  # 01:30 next day in Beijing
    assert post_filename(late) == "2023-03-14-NW202303141234567890.md"
    undated = {**CANONICAL_ARTICLE, "published_at": None}
    assert post_filename(undated) == "2023-03-14-NW202303141234567890.md"  # from the infoCode
    assert "\ndate:" not in render_post(undated, site_host=HOST)  # Jekyll takes the file's date


def test_category_page():
    assert render_category_page("qiluwang", "齐鲁网") == (
        "---\nlayout: category\ntitle: 齐鲁网新闻\ncategory: qiluwang\n---\n"
    )
    with pytest.raises(PostError):
        render_category_page("../x", "齐鲁网")


# --- the parser ---------------------------------------------------------------------------------


def parse_fixture(name: str) -> dict[str, Any]:
    path = PAGES / name
    return extract(Page(url=path.as_uri(), body=path.read_bytes())).to_record()


def test_parser_reads_a_medium_post_into_an_article():
    article = parse_fixture("2023-03-16-NW202303161234567804.md")
    assert article["parser"] == "jekyll/V1_1"
    assert article["info_code"] == "NW202303161234567804"
    assert article["title"] == "山东发布支持民营经济发展若干措施"
    assert article["published_at"] == "2023-03-16T10:00:12+08:00"
    assert (article["source"], article["category"], article["tags"]) == (
        "大众日报",
        "dazhongribao",
        ["大众日报新闻"],
    )
    assert paragraphs(article["body_html"]) == [
        "山东省发布支持民营经济发展的若干措施，涉及融资、用地、人才等方面。",
        "措施提出，对符合条件的民营企业新增贷款给予贴息支持。",
    ]
    assert "文章来源" not in article["body_text"]


def test_parser_reads_a_rolling_flash():
    article = parse_fixture("2023-03-15-202303151234567802.md")
    assert article["source"] is None and article["info_code"] == "NW202303151234567802"
    assert article["published_at"] == "2023-03-15T13:21:08+08:00"
    assert article["body_text"] == "数据显示，截至午后，北向资金净流入超30亿元。"
    rolling = parse_fixture("2023-03-16-202303161234567804.md")
    assert rolling["summary"].startswith("山东省发布支持民营经济发展的若干措施")


# --- the exporter -------------------------------------------------------------------------------


def test_write_jekyll_writes_posts_and_category_pages_and_skips_unsafe(tmp_path):
    site = tmp_path / "site"
    hostile = {**CANONICAL_ARTICLE, "info_code": "../../escaped"}
    skipped: list[tuple[str, str]] = []
    count = write_jekyll([CANONICAL_ARTICLE, ROLLING_ARTICLE, hostile], site, site_host=HOST, skipped=skipped)
    assert count == 2
    assert [code for code, _ in skipped] == ["../../escaped"]
    assert sorted(p.name for p in (site / "_posts").iterdir()) == [
        "2023-03-14-NW202303141234567890.md", "2023-03-16-202303161234567804.md",  # rolling: its bare id
    ]  # fmt: skip
    assert (site / "_posts" / CANONICAL).read_text(encoding="utf-8") == fixture(CANONICAL)
    assert sorted(p.name for p in (site / "category").iterdir()) == ["emnews.html", "qiluwang.html"]
    emnews_page = (site / "category" / "emnews.html").read_text(encoding="utf-8")
    assert "title: 东财滚动新闻\n" in emnews_page
    files = [p for p in tmp_path.rglob("*") if p.is_file()]
    assert all(site in p.parents for p in files) and len(files) == 4  # nothing escaped, no .part


def test_write_jekyll_replaces_a_post_whose_date_changed(tmp_path):
    write_jekyll([CANONICAL_ARTICLE], tmp_path, site_host=HOST)
    moved = {**CANONICAL_ARTICLE, "published_at": "2023-03-15T08:00:00+08:00"}
    write_jekyll([moved], tmp_path, site_host=HOST)
    assert [p.name for p in (tmp_path / "_posts").iterdir()] == ["2023-03-15-NW202303141234567890.md"]


# --- the shared seed (skipped when /work/shared is absent) --------------------------------------


@pytest.mark.skipif(not SEED.exists(), reason="the shared seed is not available here")
def test_seed_reads_and_renders_back_to_the_same_post():
    original = SEED.read_text(encoding="utf-8")
    post = read_post(original, "2022-02-20-NW202202202282305213.md")
    again = render_post(as_article(post), site_host="finews.withounder.com")
    reread = read_post(again, None)
    fields = (
        "title",
        "date",
        "categories",
        "tags",
        "layout",
        "info_code",
        "source_url",
        "back_links",
    )
    assert {f: getattr(reread, f) for f in fields} == {f: getattr(post, f) for f in fields}
    assert front_matter(again) == front_matter(original)
    assert paragraphs(reread.body) == paragraphs(post.body) and len(paragraphs(post.body)) == 15
    last_lines = original.rstrip("\n").split("\n")[-3:]  # link line, blank, back-links line
    assert again.split("\n")[-3:] == last_lines


@pytest.mark.skipif(not SEED.exists(), reason="the shared seed is not available here")
def test_seed_becomes_a_clean_article():
    article = extract(Page(url=SEED.as_uri(), body=SEED.read_bytes())).to_record()
    assert article["title"] == "山东工业互联网何以“领跑”全国？"
    assert article["published_at"] == "2022-02-20T16:17:15+08:00"
    assert (article["source"], article["category"], article["info_code"]) == (
        "齐鲁网",
        "qiluwang",
        "NW202202202282305213",
    )
    assert len(paragraphs(article["body_html"])) == 14 and "文章来源" not in article["body_text"]


# --- a real Jekyll build (skipped without the `jekyll` executable) ------------------------------


@pytest.mark.skipif(shutil.which("jekyll") is None, reason="jekyll is not installed (apt-get install jekyll)")
def test_exported_site_builds_with_jekyll(tmp_path):
    site = tmp_path / "site"
    shutil.copytree(
        ROOT / "archive",
        site,
        ignore=shutil.ignore_patterns(
            "_posts",
            "category",
            "_site",
            ".jekyll-cache",
            "*.db*",
            "*.jsonl",
            "*.lock",
            "*.manifest.json",
        ),
    )
    (site / "archive.db").write_bytes(b"SQLite format 3\x00")  # must not be published
    hostile = {
        **CANONICAL_ARTICLE,
        "info_code": "NW202303141234567891",
        "title": '他说"{{ site.title }}" {% include x %}',
        "body_html": "<p>正文里有 {{ site.title }} 和 {% include nothing.html %}</p>",
    }
    assert write_jekyll([CANONICAL_ARTICLE, ROLLING_ARTICLE, hostile], site, site_host=HOST) == 3
    result = subprocess.run(
        ["jekyll", "build", "--source", str(site), "--destination", str(tmp_path / "out")],
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    out = tmp_path / "out"
    post_page = (out / "qiluwang/2023/03/14/NW202303141234567890.html").read_text(encoding="utf-8")
    assert CANONICAL_ARTICLE["title"] in post_page and "平峰时段不超过20分钟" in post_page
    assert "2023-03-14 09:05" in post_page and f'href="//{HOST}/category/qiluwang.html"' in post_page
    category_page = (out / "category/qiluwang.html").read_text(encoding="utf-8")
    assert CANONICAL_ARTICLE["title"] in category_page and "齐鲁网新闻" in category_page
    rolling_page = (out / "emnews/2023/03/16/202303161234567804.html").read_text(encoding="utf-8")
    assert "山东省发布支持民营经济发展的若干措施" in rolling_page and "<blockquote>" in rolling_page
    hostile_page = (out / "qiluwang/2023/03/14/NW202303141234567891.html").read_text(encoding="utf-8")
    assert "他说&quot;{{ site.title }}&quot; {% include x %}" in hostile_page  # shown, not executed
    assert "正文里有 &#123;{ site.title }}" in hostile_page  # a browser shows {{ site.title }}
    assert "齐鲁新闻存档" not in hostile_page.split("<main>")[1]
    assert not (out / "archive.db").exists()
    assert CANONICAL_ARTICLE["title"] in (out / "index.html").read_text(encoding="utf-8")


def test_a_post_dated_only_by_its_file_name_says_so():
    post = (
        '---\nlayout: post\ntitle: "空日期"\ndate:  +0800\ncategories: qiluwang\ntags: 齐鲁网新闻\n---\n'
        "<p>济南市今天召开新闻发布会，介绍了全市经济运行的最新情况。</p>\n\n"
        "<http://feeds.example.com/html_News/NewsShare.html?infoCode=NW202611012388060008>\n"
    )
    url = "file:///archive/_posts/2026-11-01-NW202611012388060008.md"
    article = extract(Page(url=url, body=post.encode(), kind=JEKYLL))
    assert article.published_at == "2026-11-01T00:00:00+08:00"
    assert {"published_from_url", "published_missing"} <= set(article.quality_flags)
    dated = extract(
        Page(url=url, body=post.replace("date:  +0800", "date: 2026-11-01 09:30:00 +0800").encode(), kind=JEKYLL)
    )
    assert dated.published_at == "2026-11-01T09:30:00+08:00" and not any(
        f.startswith("published") for f in dated.quality_flags
    )


def test_an_exported_post_keeps_its_authors_through_a_re_import():
    # The cleaner took the byline out of the body; the front matter carries it back.
    article = {**CANONICAL_ARTICLE, "authors": ["曲晓燕", "John Smith"]}
    text = render_post(article, site_host=HOST)
    assert 'authors: ["曲晓燕", "John Smith"]' in text.splitlines()
    post = read_post(text, "2022-02-20-NW202202202282305213.md")
    assert post.authors == ["曲晓燕", "John Smith"]
    again = extract(Page(url="file:///a/_posts/2022-02-20-NW202202202282305213.md", body=text.encode(), kind=JEKYLL))
    assert again.authors == ["曲晓燕", "John Smith"]
    assert "authors:" not in render_post(CANONICAL_ARTICLE, site_host=HOST)  # none: the archive's format
