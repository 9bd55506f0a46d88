"""Export speed and peak memory: the big archive to JSONL and to Parquet through the product.

``qilucrawl export --format jsonl|parquet`` runs in a child process on the archive of
``bench.make_archive`` (1,000,000 articles; ``--quick`` 100,000).  Baseline, same run, same
archive: ``sqlite-utils rows --nl <db> articles`` (the sqlite-utils CLI in the venv) writing
every row of the same table to a file — a plain dump that streams rows to JSON, with no field
ordering, filters, manifest or atomic rename.  Targets: each export ≤ 1.5× the baseline's
time, and a peak memory (the child's RSS, polled every 20 ms) ≤ 300 MB.

The archive file is read once before timing so every command starts with it in the page
cache; the commands run interleaved, round by round, and each output is deleted after it is
measured (a million articles make files of several GB).
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psutil

from bench.figures import Figure, bench_main, say
from bench.make_archive import ARTICLES, ensure_archive

BIN = Path(sys.executable).parent
ROUNDS = {"quick": 3, "default": 1, "full": 2}  # a 1,000,000-article round takes minutes
TARGET_RATIO = 1.5
TARGET_MB = 300


def run_child(command: list[str], stdout: Path | None = None) -> tuple[float, float, int]:
    """(wall seconds, peak RSS in MB, exit status) of one child process.

    The peak is polled with psutil every 20 ms: ``ru_maxrss`` of a child started by
    ``subprocess`` (vfork + exec) starts at this process's own RSS, which would hide the
    child's."""
    with open(stdout or os.devnull, "wb") as out:
        started = time.perf_counter()
        child = subprocess.Popen(command, stdout=out, stderr=subprocess.PIPE)
        watched = psutil.Process(child.pid)
        peak = 0
        while child.poll() is None:
            try:
                peak = max(peak, watched.memory_info().rss)
            except psutil.Error:
                break
            time.sleep(0.02)
        child.wait()
        seconds = time.perf_counter() - started
        stderr = child.stderr.read().decode(errors="replace") if child.stderr else ""
    if child.returncode != 0:
        say(f"  {' '.join(command[:3])}… exited {child.returncode}: {stderr.strip()[-300:]}")
    return seconds, peak / 1e6, child.returncode


def parquet_available() -> bool:
    help_text = subprocess.run(
        [str(BIN / "qilucrawl"), "export", "--help"], capture_output=True, text=True, check=False
    ).stdout
    return "parquet" in help_text


def warm(path: Path) -> None:
    with open(path, "rb") as handle:
        while handle.read(16 << 20):
            pass


def run(size: str = "default") -> list[Figure]:
    count = ARTICLES[size]
    db = ensure_archive(count)
    warm(db)
    commands: dict[str, tuple[list[str], bool]] = {}
    with tempfile.TemporaryDirectory(prefix="qilubench-export-", dir=db.parent) as tmp:
        out = Path(tmp)
        commands["sqlite-utils rows --nl"] = ([str(BIN / "sqlite-utils"), "rows", "--nl", str(db), "articles"], True)
        commands["jsonl"] = (
            [
                str(BIN / "qilucrawl"),
                "export",
                "--db",
                str(db),
                "--format",
                "jsonl",
                "--out",
                str(out / "export.jsonl"),
            ],
            False,
        )
        if parquet_available():
            commands["parquet"] = (
                [
                    str(BIN / "qilucrawl"),
                    "export",
                    "--db",
                    str(db),
                    "--format",
                    "parquet",
                    "--out",
                    str(out / "export.parquet"),
                ],
                False,
            )
        results: dict[str, list[tuple[float, float, int]]] = {name: [] for name in commands}
        sizes: dict[str, int] = {}
        say(f"export_speed: {count:,} articles, {ROUNDS[size]} rounds")
        for round_number in range(ROUNDS[size]):
            for name, (command, to_stdout) in commands.items():
                target = out / "baseline.jsonl" if to_stdout else None
                results[name].append(run_child(command, target))
                sizes[name] = sum(f.stat().st_size for f in out.iterdir() if not f.name.endswith(".json"))
                for produced in out.iterdir():
                    produced.unlink()
                seconds, peak, status = results[name][-1]
                say(
                    f"  round {round_number + 1} {name}: {seconds:.1f}s, peak {peak:.0f} MB, exit {status},"
                    f" {sizes.get(name, 0) / 1e9:.2f} GB"
                )
    base_seconds = statistics.median(r[0] for r in results["sqlite-utils rows --nl"])
    base_peak = statistics.median(r[1] for r in results["sqlite-utils rows --nl"])
    figures = []
    for name in ("jsonl", "parquet"):
        if name not in results:
            figures.append(
                Figure(
                    f"export {count:,} articles to Parquet",
                    None,
                    "s",
                    target="≤ 1.5× baseline",
                    note="`qilucrawl export --format parquet` not available",
                )
            )
            continue
        ok = all(r[2] == 0 for r in results[name])
        seconds = statistics.median(r[0] for r in results[name])
        peak = max(r[1] for r in results[name])
        label = "JSONL" if name == "jsonl" else "Parquet"
        note = f"{sizes.get(name, 0) / 1e9:.2f} GB file" + ("" if ok else "; FAILED")
        figures.append(
            Figure(
                f"export {count:,} articles to {label}: time",
                seconds if ok else None,
                "s",
                baseline="sqlite-utils rows --nl",
                baseline_value=base_seconds,
                ratio=seconds / base_seconds,
                ratio_text="× baseline",
                target=f"≤ {TARGET_RATIO:g}× baseline",
                passed=ok and seconds / base_seconds <= TARGET_RATIO,
                note=note,
            )
        )
        figures.append(
            Figure(
                f"export {count:,} articles to {label}: peak memory (max RSS)",
                peak,
                "MB",
                baseline="sqlite-utils rows --nl",
                baseline_value=base_peak,
                ratio=peak / base_peak,
                ratio_text="× baseline",
                target=f"≤ {TARGET_MB} MB",
                passed=ok and peak <= TARGET_MB,
            )
        )
    return figures


def main(argv: list[str] | None = None) -> int:
    return bench_main(run, __doc__, argv)


if __name__ == "__main__":
    sys.exit(main())
