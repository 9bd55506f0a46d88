"""`qilucrawl export --dataset-card`: the Hugging Face card loads with `datasets`, and the
Croissant file validates and loads with `mlcroissant`, on exports of a real demo archive."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from qilucrawl.items import DATA_DICTIONARY
from tests.conftest import LOCAL_SETTINGS, ROOT, rows

EXIT_USAGE = 2


def cli(*args: object, cwd: Path, umask: int = 0o027) -> subprocess.CompletedProcess:
    """``qilucrawl ARGS`` as a user runs it; a umask other than the usual, to see it obeyed."""
    env = {**os.environ, "PYTHONUNBUFFERED": "1", "PYTHONPATH": str(ROOT)}
    return subprocess.run(
        [sys.executable, "-m", "qilucrawl", *map(str, args)],
        check=False, capture_output=True, text=True, timeout=180, cwd=cwd, env=env, umask=umask,
    )  # fmt: skip


@pytest.fixture(scope="module")
def archive(tmp_path_factory) -> Path:
    """The demo site crawled once (feed and iqilu) into a real archive."""
    folder = tmp_path_factory.mktemp("archive")
    result = cli("demo", "--db", "demo.db", "--out", "demo.jsonl", *LOCAL_SETTINGS[:4], cwd=folder)
    assert result.returncode == 0, result.stderr
    return folder / "demo.db"


def export_with_card(archive: Path, folder: Path, fmt: str) -> Path:
    out = folder / f"articles.{fmt}"
    result = cli("export", "--db", archive, "--format", fmt, "--out", out, "--dataset-card", cwd=folder.parent)
    assert result.returncode == 0, result.stderr
    assert f"dataset card: {folder / 'README.md'} and {folder / 'croissant.json'}" in result.stdout
    return out


def card_header(folder: Path) -> dict:
    text = (folder / "README.md").read_text(encoding="utf-8")
    assert text.startswith("---\n")
    return yaml.safe_load(text.split("---\n")[1])


def exported_records(folder: Path, fmt: str) -> dict[str, dict]:
    if fmt == "jsonl":
        lines = (folder / "articles.jsonl").read_text(encoding="utf-8").splitlines()
        return {record["info_code"]: record for record in map(json.loads, lines)}
    import pyarrow.parquet as pq

    return {record["info_code"]: record for record in pq.read_table(folder / "articles.parquet").to_pylist()}


@pytest.mark.parametrize("fmt", ["parquet", "jsonl"])
def test_datasets_loads_the_folder_with_the_card_s_features(archive, tmp_path, fmt):
    import datasets

    folder = tmp_path / "dataset"
    out = export_with_card(archive, folder, fmt)
    header = card_header(folder)
    stored = rows(archive, "SELECT info_code, title, tags FROM articles ORDER BY info_code")
    assert header["license"] == "other" and header["license_name"] and header["language"] == ["zh"]
    assert header["size_categories"] == ["n<1K"] and header["task_categories"]
    assert header["configs"] == [{"config_name": "default", "data_files": [{"split": "train", "path": out.name}]}]
    assert [feature["name"] for feature in header["dataset_info"]["features"]] == list(DATA_DICTIONARY)

    loaded = datasets.load_dataset(str(folder), split="train", cache_dir=str(tmp_path / "hf-cache"))
    assert loaded.features == datasets.Features._from_yaml_list(header["dataset_info"]["features"])
    assert loaded.num_rows == len(stored)  # the manifest and the card in the folder are not data
    by_code = {row["info_code"]: row for row in loaded}
    for article in stored:
        row = by_code[article["info_code"]]
        assert row["title"] == article["title"] and row["tags"] == json.loads(article["tags"])
    # The card's field table is the data dictionary; the license note is in the card.
    text = (folder / "README.md").read_text(encoding="utf-8")
    assert all(f"| `{name}` | {doc.kind} | {doc.meaning} |" in text for name, doc in DATA_DICTIONARY.items())
    assert "copyright of their publishers" in text
    # Written like the data: the user's umask (0o027 here), no temporary files left.
    modes = {stat.S_IMODE(path.stat().st_mode) for path in folder.iterdir()}
    assert modes == {0o640}
    assert sorted(path.name for path in folder.iterdir()) == sorted(
        ["README.md", "croissant.json", out.name, f"{out.name}.manifest.json"]
    )


@pytest.mark.parametrize("fmt", ["parquet", "jsonl"])
def test_mlcroissant_validates_the_croissant_file_and_loads_the_export_s_records(archive, tmp_path, fmt):
    import mlcroissant

    folder = tmp_path / "dataset"
    out = export_with_card(archive, folder, fmt)
    document = json.loads((folder / "croissant.json").read_text(encoding="utf-8"))
    manifest = json.loads((folder / f"{out.name}.manifest.json").read_text(encoding="utf-8"))
    assert document["conformsTo"] == "http://mlcommons.org/croissant/1.1"
    assert document["distribution"][0]["sha256"] == manifest["sha256"]
    fields = document["recordSet"][0]["field"]
    assert [(f["name"], f["description"]) for f in fields] == [(n, d.meaning) for n, d in DATA_DICTIONARY.items()]

    dataset = mlcroissant.Dataset(jsonld=folder / "croissant.json")  # raises on an invalid file
    assert not dataset.metadata.issues.errors and not dataset.metadata.issues.warnings
    records = list(dataset.records("articles"))
    exported = exported_records(folder, fmt)
    assert len(records) == len(exported) == manifest["rows"]
    for record in records:
        code = record["articles/info_code"].decode()
        article = exported[code]
        assert record["articles/title"].decode() == article["title"]
        assert [tag.decode() for tag in record["articles/tags"]] == article["tags"]
        assert record["articles/revision"] == article["revision"]
        images = [{"url": image["articles/images/url"], "caption": image["articles/images/caption"]}
                  for image in record["articles/images"]]  # fmt: skip
        assert images == [
            {key: value and value.encode() for key, value in image.items()} for image in article["images"]
        ]
        published = record["articles/published_at"]
        assert published.isoformat() == str(article["published_at"]).replace(" ", "T")
    assert any(record["articles/images"] for record in records)


def test_a_readme_qilucrawl_did_not_write_is_never_replaced(archive, tmp_path):
    folder = tmp_path / "mine"
    folder.mkdir()
    (folder / "README.md").write_text("# my own notes\n", encoding="utf-8")
    result = cli("export", "--db", archive, "--format", "parquet", "--out", folder / "a.parquet", "--dataset-card",
                 cwd=tmp_path)  # fmt: skip
    assert result.returncode == EXIT_USAGE
    errors = [line for line in result.stderr.splitlines() if line.startswith("Error:")]
    refused = f"{folder / 'README.md'} is not a card qilucrawl wrote; not replacing it (export into another folder)"
    assert errors == [f"Error: --dataset-card: {refused}"]
    assert "Traceback" not in result.stderr
    assert (folder / "README.md").read_text(encoding="utf-8") == "# my own notes\n"
    assert sorted(path.name for path in folder.iterdir()) == ["README.md"]  # refused before writing anything

    (folder / "README.md").unlink()
    (folder / "croissant.json").write_text("{}", encoding="utf-8")  # someone else's, without our card
    result = cli("export", "--db", archive, "--format", "jsonl", "--out", folder / "a.jsonl", "--dataset-card",
                 cwd=tmp_path)  # fmt: skip
    assert result.returncode == EXIT_USAGE and "croissant.json is not one qilucrawl wrote" in result.stderr
    assert (folder / "croissant.json").read_text(encoding="utf-8") == "{}"


def test_its_own_card_is_replaced_by_the_next_export(archive, tmp_path):
    folder = tmp_path / "dataset"
    export_with_card(archive, folder, "parquet")
    result = cli("export", "--db", archive, "--format", "parquet", "--out", folder / "articles.parquet",
                 "--dataset-card", "--source", "齐鲁网", cwd=tmp_path)  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "filters: source 齐鲁网" in (folder / "README.md").read_text(encoding="utf-8")


@pytest.mark.parametrize(
    ("fmt", "out", "says"),
    [
        ("csv", "a.csv", "Error: --dataset-card is for --format parquet or jsonl, not csv"),
        ("jekyll", "site", "Error: --dataset-card is for --format parquet or jsonl, not jekyll"),
        ("jsonl", "-", "Error: --dataset-card writes README.md and croissant.json beside --out: name a file, not -"),
    ],
)
def test_dataset_card_with_another_format_or_stdout_is_one_clear_line(archive, tmp_path, fmt, out, says):
    result = cli("export", "--db", archive, "--format", fmt, "--out", out, "--dataset-card", cwd=tmp_path)
    assert result.returncode == EXIT_USAGE
    assert [line for line in result.stderr.splitlines() if line.startswith("Error:")] == [says]
    assert "Traceback" not in result.stderr and list(tmp_path.iterdir()) == []
