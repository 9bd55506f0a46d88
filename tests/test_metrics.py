"""``qilucrawl stats --prom FILE``, end to end: the real CLI crawls the demo site, then writes the
metrics file, which prometheus_client's own parser reads back."""

from __future__ import annotations

import subprocess
import sys
from datetime import datetime
from pathlib import Path

from prometheus_client.parser import text_string_to_metric_families

from qilucrawl.jobs import ExitStatus
from tests.conftest import ROOT, rows, run_cli


def _samples(path: Path) -> dict[tuple[str, tuple], float]:
    """Every sample of a metrics file, keyed by name and sorted labels."""
    found = {}
    for family in text_string_to_metric_families(path.read_text(encoding="utf-8")):
        for sample in family.samples:
            found[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return found


def test_the_metrics_file_says_what_the_runs_table_says(crawl_feed, db_path, tmp_path):
    assert crawl_feed().returncode == ExitStatus.FAILURES
    assert crawl_feed("-s", "QILU_QUALITY_FEED_SILENT_HOURS=0.0001").returncode == ExitStatus.ALARM
    out = tmp_path / "textfile" / "qilucrawl.prom"
    out.parent.mkdir()
    result = run_cli("stats", "--db", db_path, "--prom", out)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("wrote ") and str(out) in result.stdout
    assert [p.name for p in out.parent.iterdir()] == ["qilucrawl.prom"]  # no temporary file left
    samples = _samples(out)
    first, last = rows(db_path, "SELECT * FROM runs ORDER BY id")
    feed = (("spider", "feed"),)
    assert samples[("qilucrawl_last_run_articles", (("outcome", "skipped"), *feed))] == last["skipped"] == 35
    assert samples[("qilucrawl_last_run_articles", (("outcome", "new"), *feed))] == 0
    assert samples[("qilucrawl_last_run_quality_alarm", feed)] == 1  # the second run's alarm
    assert samples[("qilucrawl_last_run_status", (("spider", "feed"), ("status", "failures")))] == 1
    # The last success is the first run: the second finished with an alarm.
    success = datetime.fromisoformat(first["finished_at"]).timestamp()
    assert samples[("qilucrawl_last_success_timestamp_seconds", feed)] == success
    # Shares of the last run that stored articles (the first).
    assert samples[("qilucrawl_coverage_share", (("field", "authors"), *feed))] == first["share_authors"]
    assert samples[("qilucrawl_coverage_share", (("field", "body"), *feed))] == 1.0
    stages = {s: n["n"] for s, n in ((r["stage"], r) for r in rows(
        db_path, "SELECT stage, COUNT(*) AS n FROM failures WHERE run_id = 2 GROUP BY stage"))}  # fmt: skip
    for stage, count in stages.items():
        assert samples[("qilucrawl_last_run_failures", (("spider", "feed"), ("stage", stage)))] == count
    assert samples[("qilucrawl_failures_recorded", (("stage", "list"),))] == 2 * stages["list"]
    assert samples[("qilucrawl_archive_articles", ())] == 35
    assert samples[("qilucrawl_archive_size_bytes", ())] >= db_path.stat().st_size


def test_stats_prom_loads_neither_scrapy_nor_lxml_and_says_an_unwritable_file_in_one_line(
    crawl_feed, db_path, tmp_path
):
    crawl_feed()
    out = tmp_path / "m.prom"
    code = (
        "import sys\nfrom qilucrawl.__main__ import main\n"
        f"sys.argv = ['qilucrawl', 'stats', '--db', {str(db_path)!r}, '--prom', {str(out)!r}]\n"
        "try:\n    main()\nexcept SystemExit:\n    pass\n"
        "print('scrapy' in sys.modules, 'lxml' in sys.modules, file=sys.stderr)"
    )
    child = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=False)
    assert child.stderr.split()[-2:] == ["False", "False"] and out.exists()
    result = run_cli("stats", "--db", db_path, "--prom", tmp_path / "no-such-folder" / "m.prom")
    assert result.returncode == ExitStatus.ERROR
    assert "cannot write" in result.stderr and "Traceback" not in result.stderr
    result = run_cli("stats", "--db", tmp_path / "none.db", "--prom", out)
    assert result.returncode == ExitStatus.USAGE and "no archive at" in result.stderr
