"""The README says what the code does: its data dictionary is the article's field list, and
every command (and every function of the Python API) is documented there."""

from __future__ import annotations

import re
from pathlib import Path

import click

from qilucrawl.cli import cli
from qilucrawl.items import ARTICLE_FIELDS, DATA_DICTIONARY

README = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")


def _section(title: str) -> str:
    start = README.index(f"\n## {title}\n")
    end = README.find("\n## ", start + 1)
    return README[start : end if end != -1 else None]


def test_the_data_dictionary_is_the_article_s_field_list_in_order():
    rows = [line for line in _section("Data dictionary").splitlines() if line.startswith("| `")]
    documented = [name for row in rows for name in re.findall(r"`([a-z_]+)`", row.split("|")[1])]
    assert documented == list(ARTICLE_FIELDS)


def test_the_data_dictionary_table_is_the_code_s_word_for_word():
    """The dataset card, the Croissant file and datasette describe fields from DATA_DICTIONARY:
    the README's table says the same, row for row."""
    rows = [line for line in _section("Data dictionary").splitlines() if line.startswith("| `")]
    assert list(DATA_DICTIONARY) == list(ARTICLE_FIELDS)
    assert rows == [f"| `{name}` | {doc.kind} | {doc.meaning} |" for name, doc in DATA_DICTIONARY.items()]


def _commands(group: click.Group, prefix: str = "") -> list[str]:
    found = []
    for name, command in sorted(group.commands.items()):
        if isinstance(command, click.Group):
            found += _commands(command, f"{prefix}{name} ")
        else:
            found.append(f"{prefix}{name}")
    return found


def test_every_command_has_help_and_is_in_the_readme():
    for name in _commands(cli):
        command = cli
        for part in name.split():
            command = command.commands[part]  # type: ignore[attr-defined]
        assert (command.help or "").strip(), f"{name} has no help text"
        assert f"qilucrawl {name}" in README, f"the README does not show `qilucrawl {name}`"


def test_every_function_of_the_api_is_importable_from_the_package_and_in_the_readme():
    import inspect

    import qilucrawl
    from qilucrawl import api

    public = {
        name
        for name, value in vars(api).items()
        if inspect.isfunction(value) and value.__module__ == api.__name__ and not name.startswith("_")
    }
    # A module of the package has the name (``qilucrawl.demo`` is the demo site's package):
    # ``qilucrawl.api`` has the function, and the README says so.
    modules = {path.stem for path in Path(qilucrawl.__file__).parent.iterdir()}
    assert public & modules == {"canary", "datasette_metadata", "demo", "metrics", "reprocess"}
    assert all(f"`{name}`" in README for name in ("canary", "datasette_metadata", "metrics", "reprocess"))
    public -= modules
    assert public <= set(qilucrawl.__all__), public - set(qilucrawl.__all__)
    assert all(getattr(qilucrawl, name) is getattr(api, name) for name in public)
    table = README.split("## Python API", 1)[1].split("\n## ", 1)[0]
    assert not [name for name in public if f"`{name}(" not in table]
