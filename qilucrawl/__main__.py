"""``python -m qilucrawl`` is the ``qilucrawl`` command."""

from qilucrawl.cli import main

main()
