"""`qilucrawl search`: Chinese words in titles and bodies, newest first, with snippets."""

from __future__ import annotations

import json
import sqlite3

import pytest

from qilucrawl.fulltext import fts_query, key_range, search_key, segment, segment_v4, snippet
from qilucrawl.schema import SCHEMA_VERSION
from qilucrawl.store import Store
from tests.conftest import LOCAL_SETTINGS, run_cli


@pytest.fixture(scope="module")
def archive(tmp_path_factory):
    folder = tmp_path_factory.mktemp("archive")
    result = run_cli("demo", "--db", folder / "demo.db", "--out", folder / "demo.jsonl", *LOCAL_SETTINGS[:4])
    assert result.returncode == 0, result.stderr
    return folder / "demo.db"


def search(db, *args):
    result = run_cli("search", *args, "--db", db, "--json", "--limit", "100")
    assert result.returncode == 0, result.stderr
    return [json.loads(line) for line in result.stdout.splitlines()]


def containing(db, *words, source=None, since=None):
    conn = sqlite3.connect(db)
    try:
        rows = conn.execute("SELECT info_code, title, body_text, source, published_at FROM articles").fetchall()
    finally:
        conn.close()
    return {
        code
        for code, title, body, src, published in rows
        if all(w in title or w in body for w in words)
        and (source is None or src == source)
        and (since is None or published >= since)
    }


@pytest.mark.parametrize("words", [("山东",), ("济南",), ("泉",), ("济南", "地铁"), ("天鹅",)])
def test_results_are_exactly_the_articles_with_the_words(archive, words):
    results = search(archive, " ".join(words))
    assert {r["info_code"] for r in results} == containing(archive, *words)
    assert results, words


def test_newest_first_with_highlighted_snippets(archive):
    results = search(archive, "山东")
    times = [r["published_at"] for r in results]
    assert times == sorted(times, reverse=True)
    assert all("【山东】" in r["snippet"] or "山东" in r["title"] for r in results)
    assert not any(" 山" in r["snippet"] or "山 " in r["snippet"] for r in results)  # no index spacing


def test_filters(archive):
    results = search(archive, "山东", "--source", "齐鲁网", "--since", "2026-11-15")
    assert {r["info_code"] for r in results} == containing(archive, "山东", source="齐鲁网", since="2026-11-15")


def test_no_match_and_hostile_queries(archive):
    assert search(archive, "不存在的词语组合") == []
    for query in ["AND OR NOT", "a* (b", "NEAR(", "'; DROP TABLE articles; --"]:
        search(archive, query)  # no error
    nothing = run_cli("search", '"', "--db", archive)  # no word at all: a usage error, not "no match"
    assert nothing.returncode == 2 and "nothing to search for" in nothing.stderr
    assert containing(archive, "山东")  # the table is still there


def test_segmentation_query_keys_and_snippets():
    assert segment("山东COSMOPlat平台，济") == " 山东 COSMOPlat 平台 ， 济 "
    assert fts_query("山东工业 COSMO 济") == '"山东 东工 工业" AND "COSMO"* AND "济"*'
    assert fts_query('"') is None
    later = search_key("2026-11-18T09:30:00+08:00", "NW1")
    assert search_key("2026-11-17T23:59:59+08:00", "NW1") < later < search_key("2026-11-18T09:30:01+08:00", "NW1")
    low, high = key_range("2026-11-18", "2026-11-19")
    assert low <= later < high
    assert (
        snippet("前文很长的一段话。11月20日，山东省人工智能产业投资基金揭牌。", ["山东"], width=6)
        == "…1月20日，【山东】省人工智能产业投资基金揭…"
    )


def _rare_character_archive(path):
    from tests.test_store import article

    store = Store(path)
    store.save_articles(
        [
            article("<p>生僻字𠮷野家今天开业。</p>", "NW202611180000000011"),
            article("<p>吉野家今天开业。</p>", "NW202611180000000012"),
        ]
    )
    return store


def _codes(store, query):
    return sorted(r["info_code"] for r in store.search(query))


def test_extension_b_characters_are_searchable(tmp_path):
    store = _rare_character_archive(tmp_path / "a.db")
    assert _codes(store, "𠮷") == ["NW202611180000000011"]
    assert _codes(store, "𠮷野家") == ["NW202611180000000011"]
    assert _codes(store, "野家") == ["NW202611180000000011", "NW202611180000000012"]


def test_an_archive_indexed_by_schema_4_is_reindexed_where_it_differs(tmp_path):
    path = tmp_path / "v4.db"
    store = _rare_character_archive(path)
    conn = store.db.conn  # index the first article as schema 4 did, and say so
    key, title, body = conn.execute(
        "SELECT k.key, a.title, a.body_text FROM search_keys k JOIN articles a USING (info_code)"
        " WHERE info_code = 'NW202611180000000011'"
    ).fetchone()
    conn.execute(
        "INSERT INTO articles_fts (articles_fts, rowid, title, body) VALUES ('delete', ?, ?, ?)",
        [key, segment(title), segment(body)],
    )
    conn.execute(
        "INSERT INTO articles_fts (rowid, title, body) VALUES (?, ?, ?)", [key, segment_v4(title), segment_v4(body)]
    )
    conn.execute("PRAGMA user_version = 4")
    conn.commit()
    assert _codes(store, "𠮷野家") == []  # no pair "𠮷野" in that index
    store.close()
    store = Store(path)
    assert store.db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    assert _codes(store, "𠮷野家") == _codes(store, "𠮷") == ["NW202611180000000011"]
    assert _codes(store, "开业") == ["NW202611180000000011", "NW202611180000000012"]
    store.db.execute("INSERT INTO articles_fts (articles_fts) VALUES ('integrity-check')")


def _codes_in_one_slot(count):
    """``count`` infoCodes whose keys share a slot when published in the same second."""
    import zlib

    from qilucrawl.fulltext import SLOTS

    found, number = [], 0
    while len(found) < count:
        code = f"NW2026111800000{number:05d}"
        if zlib.crc32(code.encode()) % SLOTS == 7:
            found.append(code)
        number += 1
    return found


def test_articles_of_one_second_in_one_slot_each_get_a_key_of_their_own(tmp_path):
    from tests.test_store import article

    first, second, third, fourth = _codes_in_one_slot(4)
    store = Store(tmp_path / "a.db")
    store.save_articles([article("<p>甲乙丙。</p>", first)])  # the slot taken by an earlier batch
    store.save_articles(  # then three more in one batch: each moves up past the others
        [
            article("<p>甲乙丙丁。</p>", second),
            article("<p>甲乙丙戊。</p>", third),
            article("<p>甲乙丙己。</p>", fourth),
        ]
    )
    keys = dict(store.db.execute("SELECT info_code, key FROM search_keys").fetchall())
    assert sorted(keys.values()) == [keys[first] + step for step in range(4)]
    assert _codes(store, "甲乙丙") == sorted([first, second, third, fourth])
    assert _codes(store, "丙丁") == [second] and _codes(store, "丙戊") == [third] and _codes(store, "丙己") == [fourth]
    store.save_articles([article("<p>甲乙丙庚。</p>", third)])  # a new version re-indexed under a key of its own
    assert _codes(store, "丙戊") == [] and _codes(store, "丙庚") == [third]
    assert _codes(store, "甲乙丙") == sorted([first, second, third, fourth])
    store.db.execute("INSERT INTO articles_fts (articles_fts) VALUES ('integrity-check')")
