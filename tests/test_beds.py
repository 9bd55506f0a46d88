"""Sites nobody here wrote: crawls of the beds in ``tests/beds/`` against their expected records.

Each bed was written by someone who had read only the sources contract (``SOURCES.md``) and
the README, never the parsers: a mock iqilu.com with the chrome real pages carry, and a mock
Eastmoney-style feed with the quirks of real data.  Each run of a bed's ``expected.json``
crawls a fresh archive through the real CLI and must store exactly the articles it lists,
each with the fields it gives, fetch none of the pages it must not, and record its failures.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from tests.bed_server import BEDS, BedServer
from tests.conftest import LOCAL_SETTINGS, rows, run_cli

CRAWL_BEDS = [bed for bed in ("iqilu_site", "feed_site") if (BEDS / bed / "expected.json").exists()]


def _runs() -> list[Any]:
    params = []
    for bed in CRAWL_BEDS:
        expected = json.loads((BEDS / bed / "expected.json").read_text(encoding="utf-8"))
        for number, run in enumerate(expected["runs"]):
            params.append(pytest.param(bed, number, id=f"{bed}-{run['name']}"))
    return params


@pytest.mark.parametrize(("bed", "number"), _runs())
def test_a_crawl_of_the_bed_stores_exactly_what_it_should(bed: str, number: int, tmp_path: Path) -> None:
    db = tmp_path / "bed.db"
    with BedServer(bed) as site:
        expected = site.expected()
        run = expected["runs"][number]
        result = run_cli(*run["args"], "--db", db, "--base-url", site.url, "--log-level", "WARNING", *LOCAL_SETTINGS)
        assert result.returncode in (0, 1), result.stderr[-3000:]
        assert "Traceback" not in result.stderr, result.stderr[-3000:]
        stored = {row["info_code"]: row for row in rows(db, "SELECT * FROM articles")}
        assert sorted(stored) == sorted(run["stored"])
        problems = [
            problem for code in run["stored"] for problem in _mismatches(stored[code], expected["articles"][code])
        ]
        assert not problems, "\n".join(problems)
        requested = set(site.targets()) | set(site.paths())
        assert not requested & set(run.get("never_requested", []))
        failures = rows(db, "SELECT url, stage FROM failures")
        for wanted in run.get("failures", []):
            part = wanted.get("path") or wanted["path_contains"]
            assert any(part in f["url"] and f["stage"] == wanted["stage"] for f in failures), (wanted, failures)
        planted = [  # the bed's broken pages, whichever run it expects them in
            w.get("path") or w["path_contains"]
            for r in expected["runs"]
            for w in r.get("failures", [])
            if w["stage"] == "extract"
        ]
        unread = [f for f in failures if f["stage"] == "extract" and not any(p in f["url"] for p in planted)]
        assert not unread, unread  # a page the bed serves as a good one was not read


def test_a_second_crawl_of_the_bed_fetches_no_article_again(tmp_path: Path) -> None:
    """The first run of each bed, twice: the second lists the same articles and fetches none."""
    for bed in CRAWL_BEDS:
        db = tmp_path / f"{bed}.db"
        with BedServer(bed) as site:
            run = site.expected()["runs"][0]
            args = [*run["args"], "--db", db, "--base-url", site.url, "--log-level", "WARNING", *LOCAL_SETTINGS]
            run_cli(*args)
            before = len(site.targets())
            again = run_cli(*args)
            assert again.returncode in (0, 1), again.stderr[-2000:]
            stored = {_target(row["url"]) for row in rows(db, "SELECT url FROM articles")}
            fetched = [t for t in site.targets()[before:] if _is_article(t) and t in stored]
            assert fetched == [], (bed, fetched)  # failed ones are tried again; stored ones are not


def _target(url: str) -> str:
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def _is_article(target: str) -> bool:
    return "GetNewsText" in target or (target.endswith(".shtml") and "list_" not in target and "index" not in target)


def _mismatches(row: dict[str, Any], want: dict[str, Any]) -> list[str]:
    code, problems = row["info_code"], []
    for name in ("title", "published_at", "source", "category", "summary"):
        if name in want and row[name] != want[name]:
            problems.append(f"{code} {name}: {row[name]!r} != {want[name]!r}")
    for name in ("authors", "tags"):
        if name in want and json.loads(row[name]) != want[name]:
            problems.append(f"{code} {name}: {row[name]} != {want[name]}")
    body = row["body_text"]
    problems += [f"{code} body lacks {s!r}" for s in want.get("body_contains", []) if s not in body]
    problems += [f"{code} body has {s!r}" for s in want.get("body_lacks", []) if s in body]
    if "multi_page" in want and ("multi_page" in json.loads(row["quality_flags"])) != want["multi_page"]:
        problems.append(f"{code} multi_page flag: {row['quality_flags']}")
    if "path" in want and not row["url"].endswith(want["path"]):
        problems.append(f"{code} url {row['url']} is not {want['path']}")
    if "source_url_endswith" in want and not row["source_url"].endswith(want["source_url_endswith"]):
        problems.append(f"{code} source_url {row['source_url']}")
    if "paragraphs" in want and len(body.split("\n\n")) != want["paragraphs"]:
        problems.append(f"{code} {len(body.split(chr(10) * 2))} paragraphs, not {want['paragraphs']}")
    return problems


# --- pages in the image of the failure classes found on unseen real pages ----------------------

GENERIC = BEDS / "generic_unseen"
CASES = json.loads((GENERIC / "cases.json").read_text(encoding="utf-8")) if (GENERIC / "cases.json").exists() else {}


@pytest.mark.parametrize("case", sorted(CASES))
def test_a_page_of_a_failure_class_reads_right(case: str) -> None:
    from qilucrawl.extract import extract
    from qilucrawl.items import Page

    want = CASES[case]
    article = extract(Page(url=want["url"], body=(GENERIC / f"{case}.html").read_bytes())).to_record()
    problems = _mismatches({**article, "info_code": case, "authors": json.dumps(article["authors"]),
                            "tags": json.dumps(article["tags"]), "quality_flags": "[]", "url": want["url"]},
                           {k: v for k, v in want.items() if k not in ("published_at", "url")})  # fmt: skip
    published = want.get("published_at")
    if published is None or len(published) > 10:
        if article["published_at"] != published:
            problems.append(f"{case} published_at: {article['published_at']!r} != {published!r}")
    elif not (article["published_at"] or "").startswith(published):
        problems.append(f"{case} published_at: {article['published_at']!r} is not on {published}")
    if (start := want.get("first_paragraph_startswith")) and not article["body_text"].startswith(start):
        problems.append(f"{case} body starts {article['body_text'][:40]!r}, not {start!r}")
    assert not problems, "\n".join(problems)
