"""The ``qilucrawl`` command (and ``python -m qilucrawl``)."""

import signal
import sys
from types import FrameType

# The commands that crawl: a signal while they load is held for the runner (see runner.hold_signals).
_CRAWLING = {"crawl", "backfill"}


def main() -> None:
    held: list[int] = []
    crawling = bool(_CRAWLING.intersection(sys.argv[1:3]))
    if crawling:
        # From the first line on: Python's default SIGTERM would end the process with no run
        # record and no message, and a KeyboardInterrupt inside an import can hang it.
        def hold(signum: int, frame: FrameType | None) -> None:
            held.append(signum)

        for signum in (signal.SIGINT, signal.SIGTERM):
            signal.signal(signum, hold)
    # sqlite-utils imports pandas and numpy whenever they are installed, for DataFrame helpers
    # qilucrawl never calls: where they are (a venv with the test extras), that costs every cron
    # run 0.3–0.8 s and ~75 MB.  This process is the command's own, so it is told they are absent.
    for name in ("pandas", "numpy"):
        sys.modules.setdefault(name, None)  # type: ignore[arg-type]  # None: "not installed"
    if crawling:
        from qilucrawl.runner import hold_signals

        hold_signals(held)
    from qilucrawl.cli import cli

    cli()


if __name__ == "__main__":
    main()
