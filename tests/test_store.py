"""The store's API on real SQLite files: batches, revisions, refusals, migrations."""

from __future__ import annotations

import json
import sqlite3

from qilucrawl.extract import extract
from qilucrawl.items import FEED_TEXT, ListEntry, Page
from qilucrawl.schema import SCHEMA_VERSION
from qilucrawl.store import Store

CODE = "NW202611180000000001"


def article(body: str, code: str = CODE, time: str = "2026-11-18 09:30:00"):
    payload = json.dumps({"text": body}, ensure_ascii=False).encode()
    page = Page(
        url=f"http://127.0.0.1/NewsData/GetNewsText.do?id={code}",
        body=payload,
        kind=FEED_TEXT,
        entry=ListEntry(code, "标题", time, "齐鲁网"),
    )
    return extract(page)


def test_one_batch_new_repeat_change_and_another(tmp_path):
    store = Store(tmp_path / "a.db")
    counts = store.save_articles(
        [
            article("<p>一。</p>"),
            article("<p>一。</p>"),
            article("<p>二。</p>"),
            article("<p>三。</p>", "NW202611180000000002"),
        ]
    )
    assert counts.outcomes == ["new", "unchanged", "updated", "new"]
    assert (counts.new, counts.updated, counts.unchanged) == (2, 1, 1)
    assert store.get(CODE)["revision"] == 2 and store.get(CODE)["body_text"] == "二。"
    assert [r["body_text"] for r in store.revisions(CODE)] == ["一。"]
    assert [r["info_code"] for r in store.search("二")] == [CODE] and store.search("一") == []


def test_worse_data_never_overwrites(tmp_path):
    store = Store(tmp_path / "a.db")
    store.save_articles([article("<p>正文。</p>")])
    worse = article("<p>正文。</p>")
    worse.published_at = None
    worse.content_hash = "different"
    counts = store.save_articles([worse])
    assert counts.outcomes == ["refused"] and counts.failed == 1
    assert store.get(CODE)["published_at"] == "2026-11-18T09:30:00+08:00"
    assert "no publish time" in store.failures()[0]["reason"]


def test_a_stub_body_never_replaces_a_whole_one(tmp_path):
    store = Store(tmp_path / "a.db")
    whole = "<p>济南市今天召开新闻发布会，介绍了全市经济运行的最新情况，前三季度地区生产总值同比增长。</p>"
    store.save_articles([article(whole)])
    counts = store.save_articles([article("<p>短。</p>")])  # the text endpoint glitched
    assert counts.outcomes == ["refused"] and "stub" in store.failures()[0]["reason"]
    assert store.get(CODE)["body_text"].startswith("济南市") and store.revisions(CODE) == []
    assert store.save_articles([article(whole.replace("同比", "比上年"))]).outcomes == ["updated"]


def test_last_seen_moves_without_rewriting_the_article(tmp_path):
    store = Store(tmp_path / "a.db")
    store.save_articles([article("<p>正文。</p>")])
    first = store.get(CODE)
    store.db.execute("UPDATE seen SET last_seen_at = '2000-01-01T00:00:00+08:00'")
    store.save_articles([article("<p>正文。</p>")])
    again = store.get(CODE)
    assert again["last_seen_at"] > "2000" and again["first_seen_at"] == first["first_seen_at"]
    assert again["revision"] == 1 and store.db["revisions"].count == 0


def test_an_archive_from_schema_2_is_migrated(tmp_path):
    path = tmp_path / "old.db"
    store = Store(path)
    store.save_articles([article("<p>正文。</p>")])
    store.close()
    conn = sqlite3.connect(path)  # make it look like a schema-2 archive: last_seen_at in articles
    conn.execute("ALTER TABLE articles ADD COLUMN last_seen_at TEXT")
    conn.execute("UPDATE articles SET last_seen_at = '2025-01-01T00:00:00+08:00'")
    conn.execute("DROP TABLE seen")
    conn.execute("PRAGMA user_version = 2")
    conn.commit()
    conn.close()
    store = Store(path)
    assert "last_seen_at" not in store.db["articles"].columns_dict
    assert store.get(CODE)["last_seen_at"] == "2025-01-01T00:00:00+08:00"
    assert store.db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION


def test_reads_come_in_storage_order_or_with_a_date_filter_in_date_order(tmp_path):
    store = Store(tmp_path / "a.db")
    times = ["2026-11-18 09:30:00", "2026-11-16 08:00:00", "2026-11-17 12:00:00", "2026-11-16 08:00:00"]
    codes = [f"NW20261118000000000{i}" for i in range(4)]
    store.save_articles([article(f"<p>第{i}篇。</p>", code, time) for i, (code, time) in enumerate(zip(codes, times))])
    assert [r["info_code"] for r in store.iter_articles()] == codes
    by_date = [codes[1], codes[3], codes[2], codes[0]]  # ties in storage order
    assert [r["info_code"] for r in store.iter_articles(since="2026-11-01")] == by_date
    assert [r["info_code"] for r in store.iter_articles(source="齐鲁网")] == by_date
    assert [r["info_code"] for r in store.iter_articles(until="2026-11-18")] == by_date[:3]
