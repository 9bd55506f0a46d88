"""iqilu.com-shaped pages for the demo site, rendered from ``corpus/iqilu/*.json``.

List pages ``/shandong/yuanchuang/list_564_<N>.shtml`` (newest first, ``PER_PAGE`` items each,
``<h3><a>`` plus a date), and article pages in both URL styles with the Baidu field spans, the
body container of their era, a pager for continuation pages, and the share block, 责任编辑 line
and related-news list a real page has after the body.  ``layout="redesign"`` renders the article
pages as a site redesign would (the demo site's edition 3): the same content, the body in a
container of another name and the fields in spans without the Baidu ids — the change that makes a
parser stop fitting without a single failed request.
"""

from __future__ import annotations

import html
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

PER_PAGE = 5
LIST_PATH = "/shandong/yuanchuang/list_564_{n}.shtml"


@dataclass
class IqiluArticle:
    id: str
    url_style: str
    channel: str
    sub: str
    datetime: str
    title: str
    author: str | None
    source: str
    editor: str | None
    pages: list[str]
    encoding: str
    fault: str | None
    expect: dict[str, Any] | None

    def path(self, page: int = 1) -> str:
        day = self.datetime[:10].replace("-", "")
        suffix = f"_{page}" if page > 1 else ""
        if self.url_style == "old":
            return f"/{self.channel}/{self.sub}/{day[:4]}/{day[4:]}/{self.id}{suffix}.shtml"
        return f"/{self.channel}/{day}/{self.id}{suffix}.shtml"


def load_iqilu(corpus: Path) -> list[IqiluArticle]:
    fields = IqiluArticle.__dataclass_fields__
    articles = []
    for path in sorted((corpus / "iqilu").glob("*.json")):
        data = json.loads(path.read_text(encoding="utf-8"))
        articles.append(IqiluArticle(**{name: data.get(name) for name in fields}))
    return sorted(articles, key=lambda a: a.datetime, reverse=True)


def list_page(articles: list[IqiluArticle], number: int) -> str | None:
    """List page ``number`` (from 1), or None past the last one."""
    chunk = articles[(number - 1) * PER_PAGE : number * PER_PAGE]
    if number < 1 or (not chunk and number > 1):
        return None
    items = "\n".join(
        f'<li><h3><a href="{a.path()}" target="_blank">{html.escape(a.title)}</a></h3>'
        f'<span class="time">{a.datetime[:16]}</span></li>'
        for a in chunk
    )
    pager = f'<div class="pages"><a href="{LIST_PATH.format(n=number + 1)}">下一页</a></div>' if chunk else ""
    return _document(
        "原创 - 齐鲁网",
        f'<div class="mod-list"><ul class="list">\n{items}\n</ul></div>{pager}',
    )


LAYOUTS = ("classic", "redesign")


def article_page(article: IqiluArticle, page: int, layout: str = "classic") -> str | None:
    if not 1 <= page <= len(article.pages):
        return None
    if layout == "redesign":
        return _redesigned_page(article, page)
    container = 'id="context"' if article.url_style == "old" else 'class="article-main"'
    pager = ""
    if len(article.pages) > 1:
        links = " ".join(
            f'<a href="{article.path(n)}">{n}</a>' if n != page else f"<span>{n}</span>"
            for n in range(1, len(article.pages) + 1)
        )
        pager = f'<div class="pages">{links}</div>'
    author = f'<span id="author_baidu">作者：{html.escape(article.author)}</span>' if article.author else ""
    editor = f'<p class="editor">责任编辑：{html.escape(article.editor)}</p>' if article.editor else ""
    body = f"""
<div class="article">
  <h1>{html.escape(article.title)}</h1>
  <div class="info"><span id="pubtime_baidu">{article.datetime}</span>
    <span id="source_baidu">来源：{html.escape(article.source)}</span> {author}</div>
  <div {container}>{article.pages[page - 1]}</div>
  {pager}
  <div class="share"><p>扫一扫，分享到微信</p><img src="/images/qrcode.png"></div>
  {editor}
  <div class="related"><h4>相关新闻</h4><ul><li><a href="/shandong/20261101/5100001.shtml">另一条新闻</a></li></ul></div>
</div>"""
    return _document(f"{article.title} - 齐鲁网", body)


def _redesigned_page(article: IqiluArticle, page: int) -> str:
    """The redesign: the body in ``div.detail-content``, the fields in plain classed spans."""
    author = f'<span class="author">{html.escape(article.author)}</span>' if article.author else ""
    body = f"""
<div class="detail">
  <h1 class="detail-title">{html.escape(article.title)}</h1>
  <div class="detail-meta"><span class="time">{article.datetime}</span>
    <span class="media">{html.escape(article.source)}</span> {author}</div>
  <div class="detail-content">{article.pages[page - 1]}</div>
  <div class="detail-share"><p>扫一扫，分享到微信</p><img src="/images/qrcode.png"></div>
</div>"""
    return _document(f"{article.title} - 齐鲁网", body)


def _document(title: str, body: str) -> str:
    return f"""<!DOCTYPE html>
<html><head><meta http-equiv="Content-Type" content="text/html; charset={{charset}}">
<title>{html.escape(title)}</title>
<script>var _hmt = _hmt || [];</script></head>
<body><div class="header"><a class="logo" href="/">齐鲁网</a>
<ul class="nav"><li><a href="/shandong/">山东</a></li><li><a href="/china/">国内</a></li></ul></div>
{body}
<div class="footer">Copyright &copy; 齐鲁网 版权所有</div></body></html>"""
