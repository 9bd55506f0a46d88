"""The ``qilucrawl`` command: one thin function per subcommand, each calling one function of
:mod:`qilucrawl.api` and printing what it returns.  ``--help`` on any command shows its
options and an example.  Errors become one line and a documented exit status (README, "Exit
statuses"), never a traceback.  The commands live by what they do: :mod:`.crawling`,
:mod:`.reading`, :mod:`.pages`; what they share is :mod:`.options`."""

from __future__ import annotations

import click

from qilucrawl.cli import cluster, crawling, maintenance, operating, pages, publishing, reading
from qilucrawl.version import __version__


@click.group()
@click.version_option(__version__, prog_name="qilucrawl")
def cli() -> None:
    """Crawl, clean and archive Qilu-net style news into SQLite; export datasets."""


for command in (crawling.crawl, crawling.backfill, crawling.import_, reading.export, reading.search, reading.show, reading.stats,
                reading.runs, maintenance.reprocess, pages.parse, pages.demo, pages.demo_server,
                publishing.datasette_metadata):  # fmt: skip
    cli.add_command(command)
cli.add_command(operating.canary)
for command in (cluster.schedule, cluster.merge, cluster.cluster):  # past one machine (README)
    cli.add_command(command)
