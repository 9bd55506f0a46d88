"""What every benchmark returns: figures next to their baselines, and the results table.

A :class:`Figure` is one measured value, the baseline measured in the same run, their ratio
and whether the issue's target is met.  Each ``bench.<name>`` module has ``run(size) ->
list[Figure]`` and a ``main()`` that prints them (``--json PATH`` also writes them, which is
how ``python -m bench`` collects them from a child process).
"""

from __future__ import annotations

import argparse
import importlib.metadata
import json
import os
import platform
import sqlite3
import statistics
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

OUT = Path(__file__).resolve().parent / "out"
# Run sizes: "quick" for a few minutes, "default" for the figures, "full" adds the
# 100,000-article crawl.
SIZES = ("quick", "default", "full")


@dataclass(slots=True)
class Figure:
    """One measured figure beside its baseline from the same run."""

    what: str
    value: float | None  # None: could not be measured (see note)
    unit: str
    baseline: str = "—"  # what it is compared with
    baseline_value: float | None = None
    ratio: float | None = None
    ratio_text: str = ""  # how to read the ratio, e.g. "× lxml"
    target: str = "—"
    passed: bool | None = None  # None: no target, or not measured
    note: str = ""

    @property
    def verdict(self) -> str:
        return {True: "PASS", False: "MISS", None: "—"}[self.passed]


def add_size_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--quick", action="store_true", help="smaller sizes, a few minutes")
    parser.add_argument("--full", action="store_true", help="also the largest variants")
    parser.add_argument("--json", type=Path, help="also write the figures to this JSON file")


def size_of(args: argparse.Namespace) -> str:
    return "quick" if args.quick else "full" if args.full else "default"


def bench_main(run: Callable[[str], list[Figure]], doc: str | None, argv: list[str] | None = None) -> int:
    """The command line every benchmark module shares."""
    parser = argparse.ArgumentParser(description=(doc or "").split("\n\n")[0])
    add_size_arguments(parser)
    args = parser.parse_args(argv)
    figures = run(size_of(args))
    print()
    print(figure_table(figures))
    if args.json:
        args.json.write_text(json.dumps([asdict(f) for f in figures], ensure_ascii=False, indent=1), "utf-8")
    return 0


def timed(fn: Callable[[], Any]) -> float:
    """Seconds one call of ``fn`` takes (perf_counter)."""
    started = time.perf_counter()
    fn()
    return time.perf_counter() - started


def median_time(fn: Callable[[], Any], repeats: int) -> float:
    return statistics.median(timed(fn) for _ in range(repeats))


def say(text: str) -> None:
    print(text, flush=True)


# --- the table --------------------------------------------------------------------------------


def _number(value: float | None, unit: str = "") -> str:
    if value is None:
        return "n/a"
    if abs(value) >= 100:
        text = f"{value:,.0f}"
    elif abs(value) >= 10:
        text = f"{value:.1f}"
    elif abs(value) >= 0.1:
        text = f"{value:.2f}"
    else:
        text = f"{value:.3g}"
    return f"{text} {unit}".strip()


def figure_table(figures: list[Figure]) -> str:
    lines = [
        "| figure | value | baseline (same run) | ratio | target | result |",
        "|---|---|---|---|---|---|",
    ]
    for f in figures:
        baseline = f.baseline if f.baseline_value is None else f"{f.baseline}: {_number(f.baseline_value, f.unit)}"
        ratio = "" if f.ratio is None else f"{f.ratio:.2f}{f.ratio_text}"
        what = f.what + (f" ({f.note})" if f.note else "")
        lines.append(f"| {what} | {_number(f.value, f.unit)} | {baseline} | {ratio} | {f.target} | {f.verdict} |")
    return "\n".join(lines)


def machine() -> dict[str, str]:
    """CPU model, cores, RAM, Python, SQLite and the measured libraries' versions."""
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    ram = ""
    try:
        kib = next(
            int(line.split()[1])
            for line in Path("/proc/meminfo").read_text().splitlines()
            if line.startswith("MemTotal")
        )
        ram = f"{kib / 1024 / 1024:.1f} GiB"
    except (OSError, StopIteration):
        pass
    info = {
        "cpu": cpu,
        "cores": str(os.cpu_count()),
        "ram": ram,
        "os": f"{platform.system()} {platform.release()}",
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
    }
    for package in ("qilucrawl", "scrapy", "lxml", "trafilatura", "sqlite-utils", "pyarrow", "nh3"):
        try:
            info[package] = importlib.metadata.version(package)
        except importlib.metadata.PackageNotFoundError:
            info[package] = "absent"
    return info
