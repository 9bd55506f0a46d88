"""``make cluster-demo``: the cluster on one machine.

Starts the demo site and three Scrapyd nodes on loopback addresses (127.0.0.2–4, each with its
own folder under ``build/cluster-demo/``), schedules a backfill of the demo site's iqilu pages
in partitions of a few days across them, waits for the jobs, shows the cluster's status, merges
the shards, and says whether the merged archive equals a single-process backfill of the same
range (the same infoCodes, content hashes and revision counts).  The nodes are stopped by their
pids whatever happens.

    .venv/bin/python -m qilucrawl.cli.cluster_demo [--dir build/cluster-demo] [--nodes 3]
"""

from __future__ import annotations

import argparse
import shutil
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import qilucrawl.settings as defaults

FOLDER = Path("build/cluster-demo")
SINCE, UNTIL, EVERY = "2026-11-10", "2026-11-22", "3d"  # the demo site's iqilu pages, in 4 partitions
# The demo site is ours and local: no politeness needed (a real cluster keeps the defaults).
SETTINGS = {name: value for name, value in defaults.QILU_DEMO_SETTINGS.items() if name != "LOG_LEVEL"}


def run_cluster(
    folder: Path, nodes: int, base_url: str, say: Callable[[str], None] = print, every: str = EVERY
) -> dict[str, Any]:
    """Nodes up, the backfill scheduled and finished, the shards merged into ``folder/merged.db``;
    the nodes stopped.  Returns the schedule's plan, the status, the merge and the seconds the
    jobs took."""
    from qilucrawl import api
    from qilucrawl.cluster.local import LocalNode, loopback_hosts, wait_for_jobs

    hosts = loopback_hosts(nodes)
    started = [LocalNode(folder / f"node{index + 1}", host) for index, host in enumerate(hosts)]
    try:
        for node in started:
            node.start()
            say(f"scrapyd node {node.url} (pid {node.pid}, folder {node.folder})")
        urls = [node.url for node in started]
        clock = time.monotonic()
        plan = api.schedule(urls, "iqilu", since=SINCE, until=UNTIL, every=every, base_url=base_url,
                            settings=dict(SETTINGS))  # fmt: skip
        wait_for_jobs(urls, [job["job"] for job in plan["jobs"]])
        seconds = time.monotonic() - clock
        status = api.cluster_status(urls, shards=[node.shards for node in started])
    finally:
        for node in started:
            node.stop()
    shards = sorted(path for node in started for path in node.shards.glob("*.db"))
    merged = api.merge(shards, folder / "merged.db")
    return {"plan": plan, "status": status, "merge": merged, "seconds": seconds, "partitions": len(plan["jobs"])}


def main(argv: list[str] | None = None) -> int:
    from qilucrawl import api
    from qilucrawl.cli.cluster import print_merge, print_plan, print_status
    from qilucrawl.cluster.compare import compare
    from qilucrawl.demo.server import DemoServer

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dir", type=Path, default=FOLDER, help="the demo's folder (made anew)")
    parser.add_argument("--nodes", type=int, default=3)
    options = parser.parse_args(argv)
    folder: Path = options.dir
    shutil.rmtree(folder, ignore_errors=True)  # the demo's own folder: only what it made
    folder.mkdir(parents=True)
    with DemoServer() as server:
        print(f"demo site at {server.url}")
        result = run_cluster(folder, options.nodes, server.url)
        print(f"\n$ qilucrawl schedule … backfill iqilu --since {SINCE} --until {UNTIL} --every {EVERY}")
        print_plan(result["plan"])
        print(f"\njobs done in {result['seconds']:.1f}s\n\n$ qilucrawl cluster status …")
        print_status(result["status"])
        print("\n$ qilucrawl merge build/cluster-demo/node*/shards/*.db --into build/cluster-demo/merged.db")
        print_merge(result["merge"].as_dict())
        single = folder / "single.db"
        print(f"\nsingle-process backfill of the same range into {single} …")
        api.backfill("iqilu", single, since=SINCE, until=UNTIL, base_url=server.url,
                     settings={**defaults.QILU_DEMO_SETTINGS})  # fmt: skip
    same = compare(folder / "merged.db", single)
    print(
        f"merged: {same['articles'][0]} articles, {same['revisions'][0]} revisions; single process:"
        f" {same['articles'][1]} articles, {same['revisions'][1]} revisions"
    )
    if same["same"]:
        print("the merged archive equals the single-process backfill (infoCodes, content hashes, revision counts)")
        return 0
    print(f"DIFFERENT: only merged {same['only_in_first']}, only single {same['only_in_second']},"
          f" differing {same['differing']}")  # fmt: skip
    return 1


if __name__ == "__main__":
    sys.exit(main())
