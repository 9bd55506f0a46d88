"""Commands that publish the archive: datasette-metadata."""

from __future__ import annotations

import json
from typing import Any

import click

from qilucrawl import api
from qilucrawl.cli.options import read_db_option, said_plainly


@click.command("datasette-metadata")
@read_db_option
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of YAML.")
def datasette_metadata(db_path: str, as_json: bool) -> None:
    """Print datasette metadata for the archive: described tables and columns, facets, hidden
    internal tables and a canned query `search` for Chinese words (via qilucrawl's plugin).

    Example:

    \b
        qilucrawl datasette-metadata --db archive/qilucrawl.db > metadata.yml
        datasette archive/qilucrawl.db --metadata metadata.yml --setting truncate_cells_html 300
    """
    with said_plainly():
        metadata = api.datasette_metadata(db_path)
    if as_json:
        click.echo(json.dumps(metadata, ensure_ascii=False, indent=2))
        return
    import yaml

    from qilucrawl.datasette_metadata import TRUNCATE_CELLS

    # Settings are not metadata in datasette 0.65: the command line says how long a cell may be.
    click.echo(f"# datasette {db_path} --metadata metadata.yml --setting truncate_cells_html {TRUNCATE_CELLS}")
    click.echo(
        yaml.dump(metadata, Dumper=_block_text_dumper(), allow_unicode=True, sort_keys=False, width=100), nl=False
    )


def _block_text_dumper() -> Any:
    """YAML's safe dumper writing text of several lines (the canned query's SQL) as a block."""
    import yaml

    class Dumper(yaml.SafeDumper):
        pass

    def text(dumper: Any, value: str) -> Any:
        style = "|" if "\n" in value else None
        return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)

    Dumper.add_representer(str, text)
    return Dumper
