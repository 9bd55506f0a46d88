"""Print (or write) the expected JSON of a site's golden pages from what extraction outputs now.

    python -m tests.pages.regenerate --site eastmoney              # print the proposed JSON
    python -m tests.pages.regenerate --site eastmoney --overwrite  # write Eastmoney.json

Like fundus' ``--overwrite_json``, the output is a proposal: the JSON says what a *correct*
cleaner outputs, so a person reads the ``git diff`` before committing it.

``tests/pages/<site>/<Site>.json`` maps a page's file name to ``url`` (where it was served),
``parser`` (the parser version expected to read it), optional ``continuations`` (``[{"file",
"url"}]``, the later pages of a multi-page article, in order), optional ``kind`` (the page kind
a spider hands over; ``html`` when absent, ``auto`` to detect it as ``qilucrawl parse`` does) and
``entry`` (the list context: ``info_code``, ``title``, ``published``, ``media``), and
``expected`` (the record's fields).  A page file not yet in the JSON is added when it names its URL in
``<link rel="canonical">`` or ``og:url``; its continuations must be added by hand.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path
from typing import Any

from qilucrawl.extract import extract
from qilucrawl.items import HTML, ListEntry, Page

PAGES = Path(__file__).resolve().parent
# The record fields a golden page pins down (Article.to_record() names).
FIELDS = (
    "authors", "body_text", "category", "images", "original_title", "published_at",
    "quality_flags", "source", "subtitle", "summary", "title",
)  # fmt: skip
_CANONICAL = re.compile(
    rb"""<link[^>]+rel=["']canonical["'][^>]+href=["']([^"']+)|"""
    rb"""<meta[^>]+property=["']og:url["'][^>]+content=["']([^"']+)"""
)


def golden_path(site: str) -> Path:
    """``tests/pages/eastmoney/Eastmoney.json`` for the site ``eastmoney``."""
    return PAGES / site / f"{site.capitalize()}.json"


def load_golden(site: str) -> dict[str, dict[str, Any]]:
    path = golden_path(site)
    return json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}


def page_of(site: str, name: str, entry: dict[str, Any]) -> Page:
    """The Page a spider would hand over for this golden file, continuations included."""
    folder = PAGES / site
    continuations = [
        Page(url=c["url"], body=(folder / c["file"]).read_bytes(), kind=HTML) for c in entry.get("continuations", [])
    ]
    body = (folder / name).read_bytes()
    listed = ListEntry(**entry["entry"]) if "entry" in entry else None
    return Page(url=entry["url"], body=body, kind=entry.get("kind", HTML), entry=listed, continuations=continuations)


def expected_of(page: Page) -> tuple[str | None, dict[str, Any]]:
    """(parser, expected fields) as extraction outputs them now."""
    record = extract(page).to_record()
    return record["parser"], {name: record[name] for name in FIELDS}


def regenerate(site: str) -> dict[str, dict[str, Any]]:
    """The site's golden JSON rebuilt from the current output, new page files included."""
    golden = load_golden(site)
    golden.update(_new_entries(site, golden))
    for name, entry in golden.items():
        entry["parser"], entry["expected"] = expected_of(page_of(site, name, entry))
    return golden


def _new_entries(site: str, golden: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    known = set(golden) | {c["file"] for e in golden.values() for c in e.get("continuations", [])}
    found: dict[str, dict[str, Any]] = {}
    for path in sorted((PAGES / site).glob("*.html")):  # other kinds are added by hand
        if path.name in known:
            continue
        match = _CANONICAL.search(path.read_bytes()[:8192])
        if match is None:
            print(f"skipped {path.name}: no canonical URL, add it by hand", file=sys.stderr)
            continue
        found[path.name] = {"url": (match.group(1) or match.group(2)).decode("ascii", "replace")}
    return found


def dumps(golden: dict[str, dict[str, Any]]) -> str:
    return json.dumps(golden, ensure_ascii=False, indent=2, sort_keys=True) + "\n"


def main(argv: list[str] | None = None) -> int:
    options = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    options.add_argument("--site", required=True, help="folder under tests/pages, e.g. eastmoney")
    options.add_argument("--overwrite", action="store_true", help="write the JSON, don't print it")
    args = options.parse_args(argv)
    text = dumps(regenerate(args.site))
    if args.overwrite:
        golden_path(args.site).write_text(text, encoding="utf-8")
        print(f"wrote {golden_path(args.site)}", file=sys.stderr)
    else:
        sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
