"""Schedule a backfill over Scrapyd nodes (``qilucrawl schedule --node URL … backfill iqilu``).

The range is cut into partitions (:mod:`.partitions`), each one Scrapyd job with a fixed id
writing its own shard (``QILU_DB_PATH`` = ``<shard dir>/<job id>.db`` on its worker, relative to
the folder Scrapyd runs in), spread over the nodes in turn.  Before anything is scheduled every
node is asked for its jobs, and a partition is left alone when its job is pending or running on
some node, or finished with its shard (looked for in ``shards``, the places the shards are seen
from here) holding a finished run (ok or failures); a finished one whose shard is not seen here,
or whose last run was interrupted, is scheduled again, with the same id, on the node that ran it:
the backfill resumes in its shard, fetching nothing it stored.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import qilucrawl.settings as defaults
from qilucrawl.clean.dates import BEIJING
from qilucrawl.cluster.partitions import MONTH, POLITENESS, Partition, assign, partitions, shared_politeness
from qilucrawl.cluster.scrapyd import Node, NodeError
from qilucrawl.cluster.status import find_shards, read_shard

NODE_SETTING = "QILU_CLUSTER_NODE"
SHARD_DIR = "shards"
FINISHED = ("ok", "failures")


@dataclass(slots=True)
class Planned:
    """One partition's job: where, what range, and what was done about it."""

    job: str
    node: str
    since: str
    until: str
    shard: str  # on the worker
    action: str  # scheduled, rescheduled, pending, running, done (finished with an ok shard)
    reason: str = ""


def schedule(
    nodes: Sequence[str],
    source: str,
    *,
    since: str,
    until: str | None = None,
    every: str = MONTH,
    base_url: str | None = None,
    list_url: str | None = None,
    settings: dict[str, str] | None = None,
    shard_dir: str = SHARD_DIR,
    shards: Sequence[str | Path] = (),
    dry_run: bool = False,
) -> dict[str, Any]:
    """Plan the partitions and schedule those not done (see the module's text); returns the plan:
    ``jobs`` (each a :class:`Planned` as a dict), the ``politeness`` settings every job got and
    ``crawlers``, how many crawl the site at once.  NodeError, before anything is scheduled,
    for a node that cannot be asked; ValueError for bad arguments."""
    if source != "iqilu":
        raise ValueError(f"only iqilu has lists to walk back, not {source!r}")
    urls = list(dict.fromkeys(url.rstrip("/") for url in nodes))
    if not urls:
        raise ValueError("give at least one --node URL (a Scrapyd node, http://HOST:6800)")
    start = date.fromisoformat(since[:10])
    end = date.fromisoformat(until[:10]) if until else datetime.now(BEIJING).date() + timedelta(days=1)
    parts = partitions(source, start, end, every)
    clients = [Node(url) for url in urls]
    listed = {client.url: client.jobs() for client in clients}  # NodeError: nothing scheduled yet
    placed = _placed(listed)
    where = assign(parts, urls, {job: node for job, (node, _) in placed.items()})
    crawlers = min(len(urls), len(parts))  # one job at a time per node (max_proc = 1)
    base = {name: (settings or {}).get(name, getattr(defaults, name)) for name in POLITENESS}
    politeness = shared_politeness(base, crawlers)
    seen_here = {path.stem: path for path in find_shards(shards)}
    plan = []
    for part in parts:
        node = where[part.job_id]
        action, reason = _action(part, placed.get(part.job_id), seen_here.get(part.job_id))
        planned = Planned(part.job_id, node, part.since.isoformat(), part.until.isoformat(),
                          f"{shard_dir.rstrip('/')}/{part.shard_name}", action, reason)  # fmt: skip
        if action in ("scheduled", "rescheduled") and not dry_run:
            job_settings = {**(settings or {}), **politeness, "QILU_DB_PATH": planned.shard, NODE_SETTING: node}
            arguments = {"since": planned.since, "until": planned.until, "base_url": base_url, "list_url": list_url}
            Node(node).schedule(source, part.job_id, job_settings, {k: v for k, v in arguments.items() if v})
        plan.append(planned)
    return {
        "nodes": urls,
        "crawlers": crawlers,
        "politeness": politeness,
        "dry_run": dry_run,
        "jobs": [asdict(planned) for planned in plan],
    }


def _placed(listed: dict[str, Any]) -> dict[str, tuple[str, str]]:
    """job id -> (node, state) of every job the nodes know: running or pending first."""
    placed: dict[str, tuple[str, str]] = {}
    for state in ("finished", "pending", "running"):  # later states win
        for node, jobs in listed.items():
            for job in getattr(jobs, state):
                placed[job["id"]] = (node, state)
    return placed


def _action(part: Partition, placed: tuple[str, str] | None, shard: Path | None) -> tuple[str, str]:
    if placed is None:
        return "scheduled", ""
    node, state = placed
    if state in ("pending", "running"):
        return state, f"{state} on {node}"
    if shard is None:
        return "rescheduled", "finished; its shard is not seen here (--shards): resumed in its shard"
    report = read_shard(shard)
    if report.get("status") in FINISHED:
        return "done", f"finished, shard's last run {report['status']}"
    return "rescheduled", f"finished, shard's last run {report.get('status') or report.get('error') or 'none'}"


__all__ = ["NodeError", "Planned", "schedule"]
