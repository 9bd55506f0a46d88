"""Bytes to text for Chinese pages, checking the declared charset against the bytes.

Chinese pages are often GBK/GB2312 and often mislabelled (declared gb2312 but stored as UTF-8,
or the reverse).  Trusting the label is the most common failure of other extractors here, so
the bytes decide: valid UTF-8 is UTF-8 whatever the label says (GB18030 decodes almost any
byte string, so it cannot be the first guess), and GB2312/GBK labels are read as GB18030, their
superset, so characters outside GB2312 survive.  Old pages often hold a few bytes no codec
accepts (a character cut in half by an editor); one bad pair does not make a GBK page
anything else, so a codec that reads all but a handful of the bytes wins over a statistical
guess, which on short or mostly-ASCII pages is often an unrelated codec.
"""

from __future__ import annotations

import codecs
import re

from charset_normalizer import from_bytes

_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([a-zA-Z0-9_\-]+)""", re.IGNORECASE)
_XML_ENCODING = re.compile(rb"""^<\?xml[^>]+encoding\s*=\s*["']([a-zA-Z0-9_\-]+)""")
# Wrappers of saved pages (CleanEval's <text ... encoding="gb2312">) declare it as an attribute.
_ENCODING_ATTRIBUTE = re.compile(rb"""<[a-zA-Z][^>]*\sencoding\s*=\s*["']([a-zA-Z0-9_\-]+)""")
_HEADER_CHARSET = re.compile(r"charset\s*=\s*[\"']?([a-zA-Z0-9_\-]+)", re.IGNORECASE)
_GB_FAMILY = {"gb2312", "gbk", "gb18030", "x-gbk", "cp936", "euc-cn", "hz-gb-2312", "ms936"}
# A UTF-8 page with a handful of broken bytes (a truncated download, one bad paste) is still
# UTF-8; more invalid sequences than this share of its non-ASCII bytes means it is something
# else (read as UTF-8, GBK text breaks on nearly every character).
_UTF8_ERROR_TOLERANCE = 0.01
# The same for a GB18030 or declared codec that fails on a few stray bytes of an old page.
_LEGACY_ERROR_TOLERANCE = 0.01
_ASCII = bytes(range(128))
_BOMS = (
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)


def declared_charset(data: bytes, content_type: str | None = None) -> str | None:
    """The charset the HTTP header or the document itself declares, if any."""
    if content_type and (header := _HEADER_CHARSET.search(content_type)):
        return header.group(1)
    head = data[:4096]
    found = _META_CHARSET.search(head) or _XML_ENCODING.search(head) or _ENCODING_ATTRIBUTE.search(head[:1024])
    return found.group(1).decode("ascii", "ignore") if found else None


def _codec(name: str | None) -> str | None:
    if not name:
        return None
    name = name.strip().lower()
    if name in _GB_FAMILY:
        return "gb18030"
    try:
        return codecs.lookup(name).name
    except LookupError:
        return None


def decode(data: bytes, content_type: str | None = None) -> tuple[str, str]:
    """Decode ``data`` and say which encoding was used."""
    for bom, name in _BOMS:
        if data.startswith(bom):
            return data[len(bom) :].decode(name, errors="replace"), name
    if data.isascii():
        return data.decode("ascii"), "ascii"
    non_ascii = len(data.translate(None, _ASCII))
    utf8, errors = _utf8_with_error_count(data)
    if errors <= max(1, non_ascii * _UTF8_ERROR_TOLERANCE):
        return utf8, "utf-8"
    declared = _codec(declared_charset(data, content_type))
    candidates = [name for name in dict.fromkeys((declared, "gb18030")) if name and name != "utf-8"]
    for name in candidates:
        try:
            return data.decode(name), name
        except (UnicodeDecodeError, LookupError):
            continue
    tolerant = [(_error_count(data, name), name) for name in candidates]
    if tolerant:
        fewest, name = min(tolerant)
        if fewest <= non_ascii * _LEGACY_ERROR_TOLERANCE:
            return data.decode(name, errors="replace"), name
    best = from_bytes(data).best()
    if best is not None and best.encoding:
        name = _codec(best.encoding) or best.encoding
        return data.decode(name, errors="replace"), name
    return utf8, "utf-8"


def _error_count(data: bytes, name: str) -> int:
    try:
        return data.decode(name, errors="replace").count("\ufffd") - data.count("\ufffd".encode())
    except LookupError:
        return len(data)


def _utf8_with_error_count(data: bytes) -> tuple[str, int]:
    try:
        return data.decode("utf-8"), 0
    except UnicodeDecodeError:
        text = data.decode("utf-8", errors="replace")
        # U+FFFD already present in the page is not a decoding error.
        return text, text.count("\ufffd") - data.count("\ufffd".encode())
