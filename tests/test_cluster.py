"""Past one machine: Scrapyd nodes as real processes on loopback (127.0.0.2–4), a backfill of the
demo site scheduled across them, shards merged, the result compared with a single-process
backfill; merges run again, killed, and fed two versions of one article."""

from __future__ import annotations

import hashlib
import json
import random
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from qilucrawl.cluster.compare import compare, versions_of
from qilucrawl.cluster.local import LocalNode, loopback_hosts, wait_for_jobs
from qilucrawl.cluster.partitions import partitions, shared_politeness
from qilucrawl.cluster.scrapyd import Node
from qilucrawl.items import Article, Page
from qilucrawl.jobs import recorded_run
from qilucrawl.store import Store
from tests.conftest import LOCAL_SETTINGS, ROOT, rows, run_cli

SINCE, UNTIL, EVERY = "2026-11-10", "2026-11-22", "3d"  # the demo site's iqilu pages: 4 partitions


def start_nodes(folder: Path, count: int = 3) -> list[LocalNode]:
    nodes: list[LocalNode] = []
    try:
        for index, host in enumerate(loopback_hosts(count)):
            nodes.append(LocalNode(folder / f"node{index + 1}", host).start())
    except BaseException:
        stop_nodes(nodes)
        raise
    return nodes


def stop_nodes(nodes: list[LocalNode]) -> None:
    for node in nodes:
        node.stop()


def schedule(nodes: list[LocalNode], base_url: str, *extra: object) -> subprocess.CompletedProcess:
    node_options = [arg for node in nodes for arg in ("--node", node.url)]
    shard_options = [arg for node in nodes for arg in ("--shards", node.shards)]
    return run_cli(
        "schedule", *node_options, *shard_options, "--every", EVERY, "--json",
        "backfill", "iqilu", "--since", SINCE, "--until", UNTIL, "--base-url", base_url, *LOCAL_SETTINGS, *extra,
    )  # fmt: skip


def shards_of(nodes: list[LocalNode]) -> list[Path]:
    return sorted(path for node in nodes for path in node.shards.glob("*.db"))


@pytest.fixture(scope="module")
def site():
    """One demo site for the module: image URLs carry its address, and content hashes with them."""
    from qilucrawl.demo.server import DemoServer

    with DemoServer() as server:
        yield server


@pytest.fixture(scope="module")
def single(site, tmp_path_factory):
    """A single-process backfill of the same range: what the merged archive must equal."""
    db = tmp_path_factory.mktemp("single") / "single.db"
    done = run_cli("backfill", "iqilu", "--db", db, "--since", SINCE, "--until", UNTIL,
                   "--base-url", site.url, "--log-level", "WARNING", *LOCAL_SETTINGS)  # fmt: skip
    assert done.returncode in (0, 1), done.stderr
    assert versions_of(db)
    return db


def test_loopback_addresses_bind_here():
    assert loopback_hosts(3) == ["127.0.0.2", "127.0.0.3", "127.0.0.4"]  # Linux: all of 127/8 is loopback


def test_a_backfill_over_three_nodes_merges_into_what_one_process_archives(site, single, tmp_path):
    nodes = start_nodes(tmp_path)
    try:
        done = schedule(nodes, site.url)
        assert done.returncode == 0, done.stderr
        plan = json.loads(done.stdout)
        assert [job["job"] for job in plan["jobs"]] == [
            "iqilu-2026-11-10-3d", "iqilu-2026-11-13-3d", "iqilu-2026-11-16-3d", "iqilu-2026-11-19-3d",
        ]  # fmt: skip
        assert {job["action"] for job in plan["jobs"]} == {"scheduled"}
        assert len({job["node"] for job in plan["jobs"]}) == 3 and plan["crawlers"] == 3
        assert plan["politeness"]["CONCURRENT_REQUESTS_PER_DOMAIN"] == "2"  # 8 for one machine, shared by 3
        wait_for_jobs([node.url for node in nodes], [job["job"] for job in plan["jobs"]], timeout=180)

        # The same command again: every partition is done (its shard has a finished run).
        again = schedule(nodes, site.url)
        assert again.returncode == 0, again.stderr
        assert {job["action"] for job in json.loads(again.stdout)["jobs"]} == {"done"}

        status = run_cli("cluster", "status", *[a for n in nodes for a in ("--node", n.url, "--shards", n.shards)])
        assert status.returncode == 0, status.stderr
        assert "0 pending, 0 running" in status.stdout
        for job in plan["jobs"]:
            assert job["job"] in status.stdout
        report = json.loads(run_cli("cluster", "status", "--node", nodes[0].url, "--shards", nodes[1].shards,
                                    "--json").stdout)  # fmt: skip
        assert {part["status"] for part in report["partitions"]} <= {"ok", "failures"}
    finally:
        stop_nodes(nodes)
    shards = shards_of(nodes)
    assert len(shards) == 4
    # A shard is a normal archive: its run recorded as a crawl's, with the Scrapyd job and node.
    run = rows(shards[0], "SELECT * FROM runs")[0]
    args = json.loads(run["args"])
    assert run["spider"] == "iqilu" and args["job"] == shards[0].stem and args["settings"]["QILU_CLUSTER_NODE"]

    merged = tmp_path / "merged.db"
    done = run_cli("merge", *shards, "--into", merged)
    assert done.returncode == 0, done.stderr
    assert compare(merged, single)["same"], compare(merged, single)
    assert len(rows(merged, "SELECT * FROM run_origins")) == 4
    assert run_cli("search", "--db", merged, "趵突泉").stdout.count("趵突泉") >= 1

    # A re-merge changes nothing.
    before = _dump(merged)
    again = run_cli("merge", *shards, "--into", merged, "--json")
    assert again.returncode == 0, again.stderr
    assert all(shard["unchanged_shard"] for shard in json.loads(again.stdout)["shards"])
    assert _dump(merged) == before


def _dump(db: Path) -> str:
    """Every table but the merges' own run rows (a re-merge records its run), as a hash."""
    tables = ["articles", "revisions", "pages", "failures", "seen", "run_origins", "search_keys", "merge_watermarks"]
    text = {t: rows(db, f"SELECT * FROM {t} ORDER BY 1, 2") for t in tables}
    text["runs"] = rows(db, "SELECT * FROM runs WHERE spider != 'merge' ORDER BY id")
    return hashlib.sha256(json.dumps(text, default=repr, sort_keys=True).encode()).hexdigest()


@pytest.mark.slow
def test_a_worker_killed_mid_job_and_its_partition_rescheduled_gives_the_same_archive(site, single, tmp_path):
    nodes = start_nodes(tmp_path)
    slow = ("-s", "DOWNLOAD_DELAY=0.3")  # x3 per job: a partition takes seconds, long enough to be killed in
    try:
        plan = json.loads(schedule(nodes, site.url, *slow).stdout)
        victim = nodes[0]
        deadline = time.monotonic() + 60
        while not Node(victim.url).jobs().running:
            assert time.monotonic() < deadline, "no job started"
            time.sleep(0.1)
        running = Node(victim.url).jobs().running[0]["id"]
        shard = victim.shards / f"{running}.db"
        while not (shard.exists() and _stored(shard)):  # killed once it has stored something
            assert time.monotonic() < deadline, "the job stored nothing"
            time.sleep(0.1)
        victim.kill()  # the daemon and its crawl, SIGKILL: the shard's run is left "running"
        assert rows(shard, "SELECT status FROM runs ORDER BY id DESC LIMIT 1")[0]["status"] == "running"
        nodes[0] = LocalNode(victim.folder, victim.host, victim.port).start()  # the worker back, its jobs forgotten

        again = json.loads(schedule(nodes, site.url, *slow).stdout)
        actions = {job["job"]: job["action"] for job in again["jobs"]}
        assert actions[running] == "scheduled"  # the same job id, on the same node, into the same shard
        ids = [job["job"] for job in plan["jobs"]]
        wait_for_jobs([node.url for node in nodes], ids, timeout=180)
        statuses = [r["status"] for r in rows(shard, "SELECT status FROM runs ORDER BY id")]
        assert statuses[0] == "interrupted" and statuses[-1] in ("ok", "failures")
    finally:
        stop_nodes(nodes)
    merged = tmp_path / "merged.db"
    done = run_cli("merge", *shards_of(nodes), "--into", merged)
    assert done.returncode == 0, done.stderr
    assert compare(merged, single)["same"], compare(merged, single)


def _stored(shard: Path) -> int:
    try:
        return rows(shard, "SELECT COUNT(*) AS n FROM articles")[0]["n"]
    except sqlite3.Error:  # not made yet
        return 0


# --- merging shards, without Scrapyd -------------------------------------------------------------


def article(code: str, text: str, fetched_at: str) -> Article:
    body = f"{text}。济南趵突泉三股水持续喷涌，游客络绎不绝。"
    page = Page(url=f"http://news.example/{code}.shtml", body=f"<p>{body}</p>".encode(), fetched_at=fetched_at)
    return Article(
        info_code=code, title=f"标题{code[-4:]}", published_at="2026-11-10T08:00:00+08:00", source="齐鲁网",
        category="qiluwang", body_text=body, body_html=f"<p>{body}</p>", url=page.url, parser="iqilu/V1_1",
        content_hash=hashlib.sha256(body.encode()).hexdigest(), fetched_at=fetched_at, page=page,
    )  # fmt: skip


def make_shard(path: Path, articles: list[Article], node: str = "http://10.0.0.5:6800") -> Path:
    store = Store(path)
    with recorded_run(store, "iqilu", {"settings": {"QILU_CLUSTER_NODE": node}}) as run_id:
        for start in range(0, len(articles), 200):
            store.save_articles(articles[start : start + 200], run_id)
    store.close()
    return path


def test_two_shards_with_two_versions_of_an_article_merge_into_one_with_both(tmp_path):
    first = make_shard(tmp_path / "a.db", [article("IQ202611100000000001", "初版", "2026-11-10T09:00:00+08:00")])
    second = make_shard(tmp_path / "b.db", [article("IQ202611100000000001", "更正版", "2026-11-12T09:00:00+08:00")])
    one, other = tmp_path / "one.db", tmp_path / "other.db"
    assert run_cli("merge", first, second, "--into", one).returncode == 0
    assert run_cli("merge", second, first, "--into", other).returncode == 0  # order does not matter
    for db in (one, other):
        current = rows(db, "SELECT revision, body_text FROM articles")
        assert len(current) == 1 and current[0]["revision"] == 2 and "更正版" in current[0]["body_text"]
        history = rows(db, "SELECT revision, body_text FROM revisions")
        assert [(r["revision"], "初版" in r["body_text"]) for r in history] == [(1, True)]
        assert [r["revision"] for r in rows(db, "SELECT revision FROM pages ORDER BY revision")] == [1, 2]
    assert compare(one, other)["same"]
    found = run_cli("search", "--db", other, "更正版", "--json").stdout.splitlines()
    assert [json.loads(hit)["info_code"] for hit in found] == ["IQ202611100000000001"]


@pytest.mark.slow
def test_sigkill_during_a_merge_loses_nothing_and_the_rerun_finishes_it(tmp_path):
    shards = [
        make_shard(
            tmp_path / f"s{n}.db",
            [article(f"IQ2026111{n}{i:011d}", f"第{n}片{i}", f"2026-11-1{n}T09:00:00+08:00") for i in range(1500)],
        )
        for n in range(3)
    ]
    clean = tmp_path / "clean.db"
    assert run_cli("merge", *shards, "--into", clean).returncode == 0
    killed = tmp_path / "killed.db"
    rng = random.Random(15)
    kills = 0
    for _ in range(4):
        process = subprocess.Popen([sys.executable, "-m", "qilucrawl", "merge", *map(str, shards), "--into", str(killed)],
                                   cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
        time.sleep(rng.uniform(0.5, 2.0))
        if process.poll() is None:
            process.send_signal(signal.SIGKILL)
            kills += 1
        process.wait()
        if killed.exists():
            assert sqlite3.connect(killed).execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    final = run_cli("merge", *shards, "--into", killed, "--json")
    assert final.returncode == 0, final.stderr
    assert kills >= 1
    assert compare(killed, clean)["same"]
    assert len(rows(killed, "SELECT * FROM run_origins")) == 3  # each shard's run copied once
    assert rows(killed, "SELECT COUNT(*) AS n FROM pages")[0]["n"] == 4500
    assert rows(killed, "SELECT COUNT(*) AS n FROM search_keys")[0]["n"] == 4500
    assert not list((tmp_path / ".killed.db.merge").glob("*"))  # no snapshot left behind


# --- bad input: one line, the documented exit status --------------------------------------------------


def test_bad_shards_and_unreachable_nodes_are_said_in_one_line(tmp_path):
    foreign = tmp_path / "foreign.db"
    sqlite3.connect(foreign).execute("CREATE TABLE notes (x)").connection.commit()
    refused = run_cli("merge", foreign, "--into", tmp_path / "m.db")
    assert refused.returncode == 4 and "another application's SQLite database" in refused.stderr
    assert len(refused.stderr.strip().splitlines()) == 1 and "Traceback" not in refused.stderr
    missing = run_cli("merge", tmp_path / "nothing.db", "--into", tmp_path / "m.db")
    assert missing.returncode == 2 and "no shard at" in missing.stderr
    garbage = tmp_path / "garbage.db"
    garbage.write_bytes(b"not a database at all" * 100)
    assert run_cli("merge", garbage, "--into", tmp_path / "m.db").returncode == 4
    shard = make_shard(tmp_path / "s.db", [article("IQ202611100000000009", "正文", "2026-11-10T09:00:00+08:00")])
    itself = run_cli("merge", shard, "--into", shard)
    assert itself.returncode == 4 and "into itself" in itself.stderr

    closed = "http://127.0.0.1:9"  # discard: nobody listens
    unreachable = run_cli(
        "schedule", "--node", closed, "backfill", "iqilu", "--since", "2025-01-01", "--until", "2025-03-01"
    )
    assert (
        unreachable.returncode == 4
        and "unreachable" in unreachable.stderr
        and "nothing was scheduled" in unreachable.stderr
    )
    assert len(unreachable.stderr.strip().splitlines()) == 1
    status = run_cli("cluster", "status", "--node", closed)
    assert status.returncode == 4 and "unreachable" in status.stderr and "Traceback" not in status.stderr
    bad = run_cli("schedule", "--node", "ftp://x", "--every", "fortnight", "backfill", "iqilu", "--since", "2025-01-01")
    assert bad.returncode in (2, 4) and "Traceback" not in bad.stderr


def test_partitions_have_fixed_ids_and_politeness_is_shared():
    from datetime import date

    months = partitions("iqilu", date(2025, 1, 15), date(2025, 4, 1))
    assert [(p.job_id, str(p.since), str(p.until)) for p in months] == [
        ("iqilu-2025-01", "2025-01-15", "2025-02-01"),
        ("iqilu-2025-02", "2025-02-01", "2025-03-01"),
        ("iqilu-2025-03", "2025-03-01", "2025-04-01"),
    ]
    assert [p.job_id for p in partitions("iqilu", date(2025, 1, 1), date(2025, 1, 3), "day")] == ["iqilu-2025-01-01", "iqilu-2025-01-02"]  # fmt: skip
    one = {"CONCURRENT_REQUESTS_PER_DOMAIN": 2, "DOWNLOAD_DELAY": 1.0, "AUTOTHROTTLE_START_DELAY": 1.0,
           "AUTOTHROTTLE_TARGET_CONCURRENCY": 1.0}  # fmt: skip
    assert shared_politeness(one, 4) == {
        "CONCURRENT_REQUESTS_PER_DOMAIN": "1", "DOWNLOAD_DELAY": "4", "AUTOTHROTTLE_START_DELAY": "4",
        "AUTOTHROTTLE_TARGET_CONCURRENCY": "0.25",
    }  # fmt: skip
