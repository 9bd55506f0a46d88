"""Run every benchmark, each beside its baseline from the same run, and write the results.

    .venv/bin/python -m bench            # the issue's sizes (builds the 1,000,000-article archive once)
    .venv/bin/python -m bench --quick    # smaller sizes, a few minutes
    .venv/bin/python -m bench --full     # adds the 100,000-article crawl (peak memory)
    .venv/bin/python -m bench --only store_speed,query_speed   # merged into the last results

Each benchmark runs in its own child process (``python -m bench.<name> --json …``), so one's
memory or crash does not touch the next.  Writes ``bench/out/results.json`` and
``bench/out/results.md`` (machine, date, every figure with its baseline, ratio and PASS/MISS).
``bench.extract_quality`` (extraction quality on the shared real pages) runs last; its targets
are listed from its own report.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench.figures import OUT, Figure, add_size_arguments, figure_table, machine, say, size_of

# In order: the fast ones first, the archive before what reads it.
BENCHMARKS = ("extract_speed", "store_speed", "make_archive", "export_speed", "query_speed", "crawl_rate", "cron_noop",
              "merge_speed", "signal_stop")  # fmt: skip
QUALITY = "extract_quality"


def run_one(name: str, size: str) -> tuple[list[Figure], float, str | None]:
    """(figures, seconds, error) of ``python -m bench.<name>`` in a child process."""
    started = time.monotonic()
    with tempfile.NamedTemporaryFile(suffix=".json") as out:
        flags = {"quick": ["--quick"], "default": [], "full": ["--full"]}[size]
        if name == "make_archive":  # a generator, not a benchmark: it just builds or reuses
            command = [sys.executable, "-m", f"bench.{name}"] + (["--quick"] if size == "quick" else [])
        else:
            command = [sys.executable, "-m", f"bench.{name}", *flags, "--json", out.name]
        done = subprocess.run(command, check=False)
        seconds = time.monotonic() - started
        if done.returncode != 0:
            return [], seconds, f"exited {done.returncode}"
        if name == "make_archive":
            return [], seconds, None
        figures = [Figure(**item) for item in json.loads(Path(out.name).read_text("utf-8") or "[]")]
    return figures, seconds, None


def run_quality() -> tuple[list[Figure], str | None]:
    """extract_quality's own targets, as figures (it writes bench/out/extract_quality.json)."""
    report = OUT / "extract_quality.json"
    before = report.stat().st_mtime if report.exists() else None
    done = subprocess.run([sys.executable, "-m", f"bench.{QUALITY}"], capture_output=True, text=True, check=False)
    if done.returncode != 0:
        return [], f"exited {done.returncode}: {done.stderr.strip()[-300:]}"
    if not report.exists() or report.stat().st_mtime == before:
        return [
            Figure(
                "extraction quality (bench.extract_quality)",
                None,
                "",
                note=done.stdout.strip().splitlines()[0] if done.stdout.strip() else "no report",
            )
        ], None
    payload = json.loads(report.read_text("utf-8"))
    return [
        Figure(
            f"extraction quality: {t['target']}",
            None,
            "",
            target=t["target"],
            passed=t["ok"],
            note=f"{t['detail']}; {payload.get('pages')} real pages, see extract_quality.md",
        )
        for t in payload.get("targets", [])
    ], None


def merge_previous(
    size: str, wanted: list[str], figures: list[tuple[str, Figure]], timings: dict[str, float]
) -> list[tuple[str, Figure]]:
    """With ``--only``: the other benchmarks' figures from the last run of the same size."""
    path = OUT / "results.json"
    if not path.exists():
        return figures
    previous = json.loads(path.read_text("utf-8"))
    if previous.get("size") != size:
        return figures
    kept = [
        (item.pop("bench"), Figure(**item)) for item in previous.get("figures", []) if item.get("bench") not in wanted
    ]
    for name, seconds in previous.get("seconds", {}).items():
        timings.setdefault(name, seconds)
    order = [*BENCHMARKS, QUALITY]
    merged = kept + figures
    return sorted(merged, key=lambda pair: order.index(pair[0]) if pair[0] in order else len(order))


def write_results(
    size: str,
    named: list[tuple[str, Figure]],
    timings: dict[str, float],
    errors: dict[str, str],
    only: list[str] | None = None,
) -> str:
    figures = [figure for _, figure in named]
    info = machine()
    when = datetime.now(UTC).astimezone()
    lines = [
        f"# qilucrawl benchmarks ({size} sizes)",
        "",
        f"Run {when:%Y-%m-%d %H:%M %Z} with `python -m bench{'' if size == 'default' else ' --' + size}"
        + (
            f" --only {','.join(only)}`; the other figures are from the previous run of the same size."
            if only
            else "`."
        ),
        "",
        (
            f"Machine: {info['cpu']}, {info['cores']} cores, {info['ram']} RAM, {info['os']}; "
            f"Python {info['python']}, SQLite {info['sqlite']}."
        ),
        (
            "Versions: "
            + ", ".join(f"{k} {info[k]}" for k in info if k not in ("cpu", "cores", "ram", "os", "python", "sqlite"))
            + "."
        ),
        "",
        figure_table(figures),
        "",
        "Benchmark times: " + ", ".join(f"{name} {seconds:.0f}s" for name, seconds in timings.items()) + ".",
    ]
    if errors:
        lines += ["", "Errors: " + "; ".join(f"{name}: {error}" for name, error in errors.items())]
    text = "\n".join(lines) + "\n"
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "results.md").write_text(text, "utf-8")
    payload: dict[str, Any] = {
        "size": size,
        "date": when.isoformat(timespec="seconds"),
        "machine": info,
        "figures": [{"bench": name, **asdict(f)} for name, f in named],
        "seconds": timings,
        "errors": errors,
    }
    (OUT / "results.json").write_text(json.dumps(payload, ensure_ascii=False, indent=1), "utf-8")
    return text


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    add_size_arguments(parser)
    parser.add_argument("--only", help="comma-separated benchmark names (default: all)")
    args = parser.parse_args(argv)
    size = size_of(args)
    wanted = args.only.split(",") if args.only else [*BENCHMARKS, QUALITY]
    figures: list[tuple[str, Figure]] = []
    timings: dict[str, float] = {}
    errors: dict[str, str] = {}
    for name in wanted:
        say(f"\n=== bench.{name} ({size}) ===")
        started = time.monotonic()
        if name == QUALITY:
            found, error = run_quality()
            seconds = time.monotonic() - started
        else:
            found, seconds, error = run_one(name, size)
        figures += [(name, figure) for figure in found]
        timings[name] = seconds
        if error:
            errors[name] = error
    if args.only:
        figures = merge_previous(size, wanted, figures, timings)
    text = write_results(size, figures, timings, errors, wanted if args.only else None)
    print("\n" + text)
    print(f"written: {OUT / 'results.md'}, {OUT / 'results.json'}")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
