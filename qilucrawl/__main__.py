"""The ``qilucrawl`` command (and ``python -m qilucrawl``)."""

import sys


def main() -> None:
    # sqlite-utils imports pandas and numpy whenever they are installed, for DataFrame helpers
    # qilucrawl never calls: where they are (a venv with the test extras), that costs every cron
    # run 0.3–0.8 s and ~75 MB.  This process is the command's own, so it is told they are absent.
    for name in ("pandas", "numpy"):
        sys.modules.setdefault(name, None)  # type: ignore[arg-type]  # None: "not installed"
    from qilucrawl.cli import cli

    cli()


if __name__ == "__main__":
    main()
