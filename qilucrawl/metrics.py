"""The archive's figures as Prometheus metrics, for node_exporter's textfile collector.

``qilucrawl stats --prom FILE`` writes them: per spider, when it last succeeded, what its last
run counted, failed (by stage) and measured (the coverage shares of :mod:`qilucrawl.quality`),
whether that run raised a quality alarm; for the archive, its size and all failures by stage.
The file is written whole or not at all (``prometheus_client.write_to_textfile``: a temporary
file renamed into place), so the collector never reads half of it.

:func:`gather` reads the figures as plain data; :func:`write` turns them into metrics.
``prometheus_client`` is imported only to write.
"""

from __future__ import annotations

import sqlite3
from datetime import datetime
from pathlib import Path
from typing import Any

from qilucrawl.schema import QUALITY_FIELDS, RUN_COUNTS

PREFIX = "qilucrawl"
SUCCEEDED = ("ok", "failures")  # finished; a run with a quality alarm is no success


def gather(conn: sqlite3.Connection, db_path: str | Path) -> dict[str, Any]:
    """The figures the metrics are made of, as plain data."""
    spiders = [row[0] for row in conn.execute("SELECT DISTINCT spider FROM runs ORDER BY spider")]
    return {
        "spiders": {spider: _spider(conn, spider) for spider in spiders},
        "failures_by_stage": dict(conn.execute("SELECT stage, COUNT(*) FROM failures GROUP BY stage").fetchall()),
        "articles": conn.execute("SELECT COUNT(*) FROM articles").fetchone()[0],
        "revisions": conn.execute("SELECT COUNT(*) FROM revisions").fetchone()[0],
        "size_bytes": sum(path.stat().st_size for path in _archive_files(Path(db_path))),
    }


def _spider(conn: sqlite3.Connection, spider: str) -> dict[str, Any]:
    """One spider's last run, last success and last measured shares."""
    last = _row(conn, "SELECT * FROM runs WHERE spider = ? ORDER BY id DESC LIMIT 1", [spider]) or {}
    success = conn.execute(
        "SELECT MAX(finished_at) FROM runs WHERE spider = ? AND status IN ('ok', 'failures') AND alarm IS NULL",
        [spider],
    ).fetchone()[0]
    measured = _row(conn, "SELECT * FROM runs WHERE spider = ? AND share_title IS NOT NULL ORDER BY id DESC LIMIT 1",
                    [spider])  # fmt: skip
    stages = conn.execute("SELECT stage, COUNT(*) FROM failures WHERE run_id = ? GROUP BY stage", [last.get("id")])
    return {
        "last_success": _epoch(success),
        "last_run": {
            "id": last.get("id"),
            "status": last.get("status"),
            "started": _epoch(last.get("started_at")),
            "finished": _epoch(last.get("finished_at")),
            "counts": {name: last.get(name) for name in RUN_COUNTS},
            "failures_by_stage": dict(stages.fetchall()),
            "alarm": last.get("alarm"),
        },
        "shares": {name: measured[f"share_{name}"] for name in QUALITY_FIELDS} if measured else {},
    }


def _row(conn: sqlite3.Connection, sql: str, params: list[Any]) -> dict[str, Any] | None:
    cursor = conn.execute(sql, params)
    row = cursor.fetchone()
    return dict(zip([column[0] for column in cursor.description], row, strict=True)) if row else None


def _epoch(stamp: str | None) -> float | None:
    return datetime.fromisoformat(stamp).timestamp() if stamp else None


def _archive_files(db_path: Path) -> list[Path]:
    """The archive and its write-ahead log: together, what it takes on disk."""
    return [path for path in (db_path, Path(f"{db_path}-wal")) if path.exists()]


def write(figures: dict[str, Any], path: str | Path) -> int:
    """Write the figures as a textfile-collector file, atomically; the number of samples."""
    from prometheus_client import write_to_textfile

    registry = _registry(figures)
    write_to_textfile(str(path), registry)
    return sum(len(metric.samples) for metric in registry.collect())


def _registry(figures: dict[str, Any]) -> Any:
    from prometheus_client import CollectorRegistry, Gauge

    registry = CollectorRegistry()

    def gauge(name: str, text: str, labels: tuple[str, ...] = ()) -> Gauge:
        return Gauge(f"{PREFIX}_{name}", text, labels, registry=registry)

    success = gauge("last_success_timestamp_seconds", "When the spider's last run finished without a quality alarm.", ("spider",))  # fmt: skip
    finished = gauge("last_run_timestamp_seconds", "When the spider's last run finished (or started, if it has not).", ("spider",))  # fmt: skip
    duration = gauge("last_run_duration_seconds", "How long the spider's last run took.", ("spider",))
    articles = gauge("last_run_articles", "What the spider's last run counted, by outcome.", ("spider", "outcome"))
    failures = gauge("last_run_failures", "Failures of the spider's last run, by stage.", ("spider", "stage"))
    alarm = gauge("last_run_quality_alarm", "1 if the spider's last run raised a quality alarm.", ("spider",))
    status = gauge("last_run_status", "The status of the spider's last run (1 for the one it has).", ("spider", "status"))  # fmt: skip
    shares = gauge("coverage_share", "Share of the articles the spider's last measured run stored that have each field.", ("spider", "field"))  # fmt: skip
    for spider, facts in figures["spiders"].items():
        run = facts["last_run"]
        if facts["last_success"] is not None:
            success.labels(spider).set(facts["last_success"])
        finished.labels(spider).set(run["finished"] or run["started"] or 0)
        if run["finished"] and run["started"]:
            duration.labels(spider).set(run["finished"] - run["started"])
        for outcome, count in run["counts"].items():
            articles.labels(spider, outcome).set(count or 0)
        for stage, count in run["failures_by_stage"].items():
            failures.labels(spider, stage or "").set(count)
        alarm.labels(spider).set(1 if run["alarm"] else 0)
        status.labels(spider, run["status"] or "").set(1)
        for name, share in facts["shares"].items():
            if share is not None:
                shares.labels(spider, name).set(share)
    recorded = gauge("failures_recorded", "Failures recorded in the archive, by stage.", ("stage",))
    for stage, count in figures["failures_by_stage"].items():
        recorded.labels(stage or "").set(count)
    gauge("archive_articles", "Articles in the archive.").set(figures["articles"])
    gauge("archive_revisions", "Earlier revisions kept in the archive.").set(figures["revisions"])
    gauge("archive_size_bytes", "The archive's size on disk (database and write-ahead log).").set(figures["size_bytes"])  # fmt: skip
    return registry
