"""Blocks back to ``body_html`` and ``body_text``, and the allow-list ``body_html`` keeps to.

``body_html`` is safe by construction: only our own tags, escaped text, checked http(s) image
URLs, every block's inline tags balanced.  :func:`sanitize` (nh3, the Rust ``ammonia``
allow-list) states the same list; the tests hold every rendered body to it
(``sanitize(body_html) == body_html``) instead of paying for a second parse at crawl time.
"""

from __future__ import annotations

import html as htmllib

import nh3

from qilucrawl.clean.html import Block

ALLOWED_TAGS = {
    "p", "h2", "h3", "h4", "strong", "em", "sup", "sub", "ul", "li", "blockquote", "figure",
    "figcaption", "img", "table", "tbody", "tr", "td",
}  # fmt: skip
# The sanitizer's own list of tags removed with their content (everything else unwrapped).
_DROP_WITH_CONTENT = {
    "script",
    "style",
    "iframe",
    "object",
    "embed",
    "template",
    "svg",
    "math",
    "noscript",
    "textarea",
    "select",
    "applet",
    "frameset",
}
ALLOWED_ATTRIBUTES = {"img": {"src", "alt"}, "td": {"colspan", "rowspan"}}


def render(blocks: list[Block]) -> tuple[str, str]:
    """``(body_html, body_text)`` from blocks; body_text has one blank line between paragraphs
    and opens with the article's first paragraph, not a lead picture's caption."""
    html_parts: list[str] = []
    text_parts: list[str] = []
    in_list = False
    for block in blocks:
        if block.kind == "li" and not in_list:
            html_parts.append("<ul>")
            in_list = True
        elif block.kind != "li" and in_list:
            html_parts.append("</ul>")
            in_list = False
        html_parts.append(_render_block(block))
        if block.kind != "img" and block.text:
            text_parts.append(block.text)
        elif block.kind == "img" and block.caption and text_parts:
            # A caption is text a reader sees, where it stands; a lead picture's caption stays
            # with the picture (images): the text's first paragraph is the article's lead.
            text_parts.append(block.caption)
    if in_list:
        html_parts.append("</ul>")
    # Safe by construction: the tags are ours, text is escaped, image URLs were checked
    # (image_url) — so no sanitizer pass; tests hold the output to sanitize()'s allow-list.
    return "\n".join(html_parts), "\n\n".join(text_parts)


def _render_block(block: Block) -> str:
    if block.kind == "img":
        caption = f"<figcaption>{htmllib.escape(block.caption, quote=False)}</figcaption>" if block.caption else ""
        image = f'<img src="{_escape_attribute(block.src)}">' if block.src else ""
        return f"<figure>{image}{caption}</figure>"
    if block.kind == "table":
        rows = "".join(
            "<tr>" + "".join(f"<td>{htmllib.escape(c, quote=False)}</td>" for c in row) + "</tr>" for row in block.rows
        )
        return f"<table><tbody>{rows}</tbody></table>"
    if block.kind == "quote":
        return f"<blockquote><p>{block.html}</p></blockquote>"
    if block.kind in ("h2", "h3", "h4", "li"):
        return f"<{block.kind}>{block.html}</{block.kind}>"
    return f"<p>{block.html}</p>"


def _escape_attribute(value: str) -> str:
    """An attribute value in double quotes, escaped the way HTML serializers (and nh3) do."""
    escaped = value.replace("&", "&amp;").replace('"', "&quot;").replace("<", "&lt;").replace(">", "&gt;")
    return escaped.replace("\u00a0", "&nbsp;")


def sanitize(markup: str) -> str:
    """The allow-list: only the tags and attributes qilucrawl writes, only http(s) URLs."""
    return nh3.clean(
        markup,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes={"http", "https"},
        link_rel=None,
        strip_comments=True,
        clean_content_tags=_DROP_WITH_CONTENT,
    )
