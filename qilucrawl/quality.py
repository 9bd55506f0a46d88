"""The quality of what a crawl stored, and when it raises a quality alarm.

A crawl that silently stores empty bodies after a site changed its layout finishes "ok": every
page answered, every page was read.  So each crawl measures the articles it stored — the share
with a title, a real publish time, a body of normal length, authors and a source — and raises a
quality alarm (exit status 5, README "Exit statuses") when a share is under its threshold, or far
under the median of the spider's last runs, or when a feed crawl has stored nothing new for too
long.  The shares and the alarm are recorded in the run's row (``runs.share_*``, ``runs.alarm``).

Plain SQL on the archive's connection: no Scrapy here (``qilucrawl runs`` and ``stats`` read what
this wrote).  The thresholds are settings (``QILU_QUALITY_*``, :mod:`qilucrawl.settings`).
"""

from __future__ import annotations

import json
import sqlite3
import statistics
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import qilucrawl.settings as defaults
from qilucrawl.clean.dates import BEIJING
from qilucrawl.items import FLAG_FROM_INFO_CODE, FLAG_FROM_URL, FLAG_INVALID, FLAG_MISSING
from qilucrawl.schema import QUALITY_FIELDS

FIELDS = QUALITY_FIELDS
# A time flagged so is no publish time: only a day read off the URL or the infoCode, or none.
_NOT_A_TIME = (FLAG_MISSING, FLAG_INVALID, FLAG_FROM_URL, FLAG_FROM_INFO_CODE)
MEASURED = ("ok", "failures")  # runs that finished: an interrupted run's shares are of a part


@dataclass(frozen=True, slots=True)
class QualityRules:
    """One spider's thresholds (see the ``QILU_QUALITY_*`` settings for why each is what it is)."""

    thresholds: dict[str, float]
    body_min_chars: int = 100
    min_articles: int = 5
    history_runs: int = 10
    history_min: int = 3
    median_margin: float = 0.25
    silent_hours: float | None = None  # feed crawls only


@dataclass(slots=True)
class Quality:
    """What a run stored, the share of it with each field (None: it stored nothing), its alarms."""

    stored: int
    shares: dict[str, float] | None
    alarms: list[str] = field(default_factory=list)

    @property
    def alarm(self) -> str | None:
        return "; ".join(self.alarms) or None


def rules_for(spider: str, setting: Callable[[str], Any]) -> QualityRules:
    """The rules of ``spider`` from settings (``setting(name)`` -> value, a JSON string when given
    with ``-s``); a given threshold table is merged over the defaults field by field.  ValueError
    naming the setting for a value that is none."""
    name = "QILU_QUALITY_THRESHOLDS"
    try:
        thresholds = {field: 0.0 for field in FIELDS}
        thresholds.update(defaults.QILU_QUALITY_THRESHOLDS.get(spider, {}))
        given = _mapping(_mapping(setting(name)).get(spider))
        thresholds.update({k: float(v) for k, v in given.items() if k in FIELDS})
        name = "QILU_QUALITY_BODY_MIN_CHARS"
        body = {**defaults.QILU_QUALITY_BODY_MIN_CHARS, **_mapping(setting(name))}
        numbers = {}
        for key in ("MIN_ARTICLES", "HISTORY_RUNS", "HISTORY_MIN", "MEDIAN_MARGIN", "FEED_SILENT_HOURS"):
            name = f"QILU_QUALITY_{key}"
            numbers[key] = float(setting(name) or 0)
        silent = numbers["FEED_SILENT_HOURS"]
        return QualityRules(
            thresholds=thresholds,
            body_min_chars=int(body.get(spider, 100)),
            min_articles=int(numbers["MIN_ARTICLES"]),
            history_runs=int(numbers["HISTORY_RUNS"]),
            history_min=int(numbers["HISTORY_MIN"]),
            median_margin=numbers["MEDIAN_MARGIN"],
            silent_hours=silent if spider == "feed" and silent > 0 else None,
        )
    except (TypeError, ValueError) as error:
        raise ValueError(f"bad setting {name}: {error}") from None


def _mapping(value: Any) -> dict[str, Any]:
    """A dict setting, given as a dict or (from ``-s``) as JSON text; ValueError otherwise."""
    if value is None or value == "":
        return {}
    if isinstance(value, str):
        value = json.loads(value)
    if not isinstance(value, dict):
        raise TypeError(f"expected a JSON object, not {value!r}")
    return dict(value)


def measure(conn: sqlite3.Connection, run_id: int, body_min_chars: int) -> Quality:
    """The shares of the articles whose current version run ``run_id`` stored."""
    not_a_time = " AND ".join(f"quality_flags NOT LIKE '%\"{flag}\"%'" for flag in _NOT_A_TIME)
    row = conn.execute(
        "SELECT COUNT(*),"
        " SUM(COALESCE(title, '') != ''),"
        f" SUM(published_at IS NOT NULL AND {not_a_time}),"
        " SUM(length(COALESCE(body_text, '')) >= ?),"
        " SUM(COALESCE(authors, '[]') != '[]'),"
        " SUM(COALESCE(source, '') != '')"
        " FROM articles WHERE run_id = ?",
        [body_min_chars, run_id],
    ).fetchone()
    stored = int(row[0])
    if not stored:
        return Quality(0, None)
    return Quality(stored, {name: round(count / stored, 4) for name, count in zip(FIELDS, row[1:], strict=True)})


def share_alarms(quality: Quality, rules: QualityRules, history: list[dict[str, float]]) -> list[str]:
    """Why the shares look wrong: under a threshold, or ``median_margin`` under the median of the
    ``history`` (earlier runs' shares, when there are enough of them)."""
    if quality.shares is None or quality.stored < rules.min_articles:
        return []
    alarms = []
    for name in FIELDS:
        share = quality.shares[name]
        if share < rules.thresholds.get(name, 0.0):
            alarms.append(f"{name} {share:.2f} under its threshold {rules.thresholds[name]:.2f}")
            continue
        past = [run[name] for run in history if run.get(name) is not None]
        if len(past) >= rules.history_min:
            median = statistics.median(past)
            if share < median - rules.median_margin:
                alarms.append(f"{name} {share:.2f} far under the median {median:.2f} of the last {len(past)} runs")
    return alarms


def history(conn: sqlite3.Connection, run: dict[str, Any], rules: QualityRules) -> list[dict[str, float]]:
    """The shares of the spider's last measured runs before ``run`` that stored enough to count."""
    columns = ", ".join(f"share_{name}" for name in FIELDS)
    rows = conn.execute(
        f"SELECT {columns} FROM runs WHERE spider = ? AND id < ? AND status IN ('ok', 'failures')"
        " AND share_title IS NOT NULL AND new + updated >= ? ORDER BY id DESC LIMIT ?",
        [run["spider"], run["id"], rules.min_articles, rules.history_runs],
    ).fetchall()
    return [dict(zip(FIELDS, row, strict=True)) for row in rows]


def silence_alarm(conn: sqlite3.Connection, run: dict[str, Any], hours: float | None, now: datetime) -> str | None:
    """For a feed crawl that stored nothing new: an alarm when the last one that did (else the
    first feed crawl) is more than ``hours`` ago."""
    if hours is None or run["new"] + run["updated"] > 0:
        return None
    last = conn.execute(
        "SELECT MAX(finished_at) FROM runs WHERE spider = ? AND id < ? AND new + updated > 0",
        [run["spider"], run["id"]],
    ).fetchone()[0]
    since = last or conn.execute("SELECT MIN(started_at) FROM runs WHERE spider = ?", [run["spider"]]).fetchone()[0]
    if since is None:
        return None
    silent = (now - datetime.fromisoformat(since)).total_seconds() / 3600
    if silent <= hours:
        return None
    shown = f"{silent:.1f} h" if silent >= 1 else f"{silent * 60:.0f} min"
    return f"no new article for {shown} (since {since}; alarm after {hours:g} h)"


def assess(conn: sqlite3.Connection, run: dict[str, Any], rules: QualityRules, now: datetime | None = None) -> Quality:
    """Measure a finished run and decide its alarms (nothing is written)."""
    quality = measure(conn, run["id"], rules.body_min_chars)
    if run["status"] not in MEASURED:
        return quality
    quality.alarms = share_alarms(quality, rules, history(conn, run, rules))
    silent = silence_alarm(conn, run, rules.silent_hours, now or datetime.now(BEIJING))
    if silent:
        quality.alarms.append(silent)
    return quality


def record(conn: sqlite3.Connection, run_id: int, quality: Quality) -> None:
    """Write the run's shares and alarm into its row."""
    shares = quality.shares or {}
    columns = [f"share_{name}" for name in FIELDS]
    conn.execute(
        f"UPDATE runs SET {', '.join(f'{c} = ?' for c in columns)}, alarm = ? WHERE id = ?",
        [*(shares.get(name) for name in FIELDS), quality.alarm, run_id],
    )
