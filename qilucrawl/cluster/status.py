"""What the cluster is doing (``qilucrawl cluster status``): each node's jobs, as Scrapyd lists
them, and each partition's counts and exit status, read from its shard's ``runs`` (Scrapyd does
not keep a job's exit code; the shard's last run says how the partition went)."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from qilucrawl.cluster.scrapyd import Node, NodeError
from qilucrawl.schema import RUN_COUNTS

# A run's status as the exit status its command would have had (README, "Exit statuses").
EXIT_STATUS = {"ok": 0, "failures": 1, "interrupted": 4}


def find_shards(places: Sequence[str | Path]) -> list[Path]:
    """Shard files: each place a file, or a folder whose ``*.db`` files are shards."""
    found: list[Path] = []
    for place in map(Path, places):
        if place.is_dir():
            found += sorted(place.glob("*.db"))
        else:
            found.append(place)
    return found


def read_shard(path: Path) -> dict[str, Any]:
    """A partition as its shard tells it: the last run's status, exit status and counts, the
    articles held, the node the job ran on; ``error`` when the file is no shard."""
    report: dict[str, Any] = {"partition": path.stem, "shard": str(path)}
    if not path.is_file():
        return {**report, "error": f"no shard at {path}"}
    try:
        conn = sqlite3.connect(f"file:{path.resolve()}?mode=ro", uri=True, timeout=10)
    except sqlite3.Error as error:
        return {**report, "error": f"{path}: {error}"}
    try:
        names = {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        if not {"articles", "runs"} <= names:
            return {
                **report,
                "error": f"{path} is not a qilucrawl archive (tables: {', '.join(sorted(names)) or 'none'})",
            }
        columns = ", ".join(("id", "status", "args", "started_at", "finished_at", *RUN_COUNTS))
        last = conn.execute(f"SELECT {columns} FROM runs ORDER BY id DESC LIMIT 1").fetchone()
        articles = conn.execute("SELECT COUNT(*) FROM articles").fetchone()[0]
        runs = conn.execute("SELECT COUNT(*) FROM runs").fetchone()[0]
    except sqlite3.Error as error:
        return {**report, "error": f"{path}: {error}"}
    finally:
        conn.close()
    report.update(articles=articles, runs=runs, status=None, exit_status=None, node=None)
    if last is not None:
        run = dict(zip(("id", "status", "args", "started_at", "finished_at", *RUN_COUNTS), last))
        args = _json(run.pop("args"))
        report.update(
            status=run["status"],
            exit_status=EXIT_STATUS.get(run["status"]),
            node=(args.get("settings") or {}).get("QILU_CLUSTER_NODE"),
            since=args.get("since"),
            until=args.get("until"),
            run=run,
        )
    return report


def _json(text: str | None) -> dict[str, Any]:
    try:
        value = json.loads(text or "{}")
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def cluster_status(nodes: Sequence[str], shards: Sequence[str | Path] = ()) -> dict[str, Any]:
    """Each node's jobs (pending, running, finished; ``error`` for one that cannot be asked) and
    each shard's partition report (:func:`read_shard`)."""
    reports: list[dict[str, Any]] = []
    for url in nodes:
        try:
            jobs = Node(url).jobs()
        except NodeError as error:
            reports.append({"node": url, "error": str(error)})
            continue
        reports.append(
            {
                "node": url,
                "pending": [job["id"] for job in jobs.pending],
                "running": [{"id": job["id"], "pid": job.get("pid"), "start_time": job.get("start_time")} for job in jobs.running],
                "finished": [{"id": job["id"], "start_time": job.get("start_time"), "end_time": job.get("end_time")} for job in jobs.finished],
            }
        )  # fmt: skip
    partitions = sorted((read_shard(path) for path in find_shards(shards)), key=lambda part: part["partition"])
    return {"nodes": reports, "partitions": partitions}
