"""``export --dataset-card``: a Hugging Face dataset card (``README.md``) and a Croissant file
(``croissant.json``, :mod:`.croissant`) beside an exported Parquet or JSON Lines file.

The card's YAML header is what the Hub and ``datasets.load_dataset(folder)`` read: license
``other`` (the articles are their publishers' copyright), ``language: zh``, task and size
categories, a ``configs`` entry whose ``data_files`` is the exported file (so the manifest and
other files in the folder are not taken for data) and ``dataset_info`` features typed as the file
holds them.  Fields and their meanings come from the data dictionary
(:data:`qilucrawl.items.DATA_DICTIONARY`), as the Croissant file's do.

A ``README.md`` or ``croissant.json`` that qilucrawl did not write is never replaced: the card
carries a marker line, and a folder whose README.md lacks it is refused before anything is
written.  Both files are written atomically, with the user's umask, like the data.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pyarrow as pa
import yaml

from qilucrawl.exporters import atomic_output
from qilucrawl.exporters.croissant import croissant
from qilucrawl.exporters.to_parquet import SCHEMA
from qilucrawl.items import DATA_DICTIONARY

CARD = "README.md"
CROISSANT = "croissant.json"
CARD_FORMATS = ("parquet", "jsonl")
# The line that marks a card as qilucrawl's, and so one the next export may replace.
MARKER = "<!-- written by qilucrawl export --dataset-card: the next such export into this folder replaces it -->"
TITLE = "Qilu news archive"
DESCRIPTION = (
    "Chinese news articles (Shandong, Qilu-net style media) archived by qilucrawl: one record per article,"
    " cleaned title, time, medium, authors and body as text and sanitized HTML."
)
LICENSE_NAME = "news-publishers-copyright"
LICENSE_NOTE = (
    "The articles are the copyright of their publishers (the medium in `source`); this dataset is an archive"
    " for research, search and reading. Check each publisher's terms before republishing their text or images."
)
TASK_CATEGORIES = ["text-classification", "text-generation", "summarization"]
# The Hub's size categories: (upper bound, name); over the last bound is "n>1T".
_SIZES = [(10**3, "n<1K"), (10**4, "1K<n<10K"), (10**5, "10K<n<100K"), (10**6, "100K<n<1M"),
          (10**7, "1M<n<10M"), (10**8, "10M<n<100M"), (10**9, "100M<n<1B"), (10**10, "1B<n<10B"),
          (10**11, "10B<n<100B"), (10**12, "100B<n<1T")]  # fmt: skip


def refuse_card_targets(out: Path) -> None:
    """ValueError, before anything is written, when the card or Croissant file beside ``out``
    would replace a file qilucrawl did not write (or ``out`` is one of them)."""
    card, meta = out.with_name(CARD), out.with_name(CROISSANT)
    if out.name in (CARD, CROISSANT):
        raise ValueError(f"--dataset-card writes {CARD} and {CROISSANT} beside --out: name the data file otherwise")
    if card.exists() or card.is_symlink():
        if not _ours(card):
            raise ValueError(f"--dataset-card: {card} is not a card qilucrawl wrote; not replacing it (export into another folder)")  # fmt: skip
    elif meta.exists() or meta.is_symlink():  # ours only ever beside our card
        raise ValueError(f"--dataset-card: {meta} is not one qilucrawl wrote; not replacing it (export into another folder)")  # fmt: skip


def _ours(card: Path) -> bool:
    if card.is_symlink() or not card.is_file():
        return False
    try:
        with open(card, encoding="utf-8", errors="replace") as handle:
            return MARKER in handle.read(64 * 1024)
    except OSError:
        return False


def write_dataset_card(out: Path, fmt: str, manifest: dict[str, Any]) -> list[Path]:
    """Write ``README.md`` and ``croissant.json`` beside the export ``out``; returns their paths.

    Call :func:`refuse_card_targets` first: a file that appeared since is left as it is."""
    card, meta = out.with_name(CARD), out.with_name(CROISSANT)
    replace = _ours(card)  # else neither existed when checked: never replace what appears meanwhile
    with atomic_output(card, keep_existing=not replace, encoding="utf-8", newline="\n") as handle:
        handle.write(card_text(out.name, fmt, manifest))
    document = croissant(
        out.name, fmt, manifest, title=TITLE, description=DESCRIPTION, license_note=f"other: {LICENSE_NOTE}"
    )
    with atomic_output(meta, keep_existing=not replace, encoding="utf-8", newline="\n") as handle:
        json.dump(document, handle, ensure_ascii=False, indent=2)
        handle.write("\n")
    return [card, meta]


def card_text(file_name: str, fmt: str, manifest: dict[str, Any]) -> str:
    """The card: its YAML header, then what the data is, its license, fields and provenance."""
    header = yaml.safe_dump(card_header(file_name, fmt, manifest["rows"]), allow_unicode=True, sort_keys=False)
    filters = ", ".join(f"{name} {value}" for name, value in manifest["filters"].items()) or "none"
    span = f"published from {manifest['published_from']} to {manifest['published_to']}"
    if manifest["published_from"] is None:  # no article with a publish time
        span = "none with a publish time"
    lines = [
        f"---\n{header}---",
        MARKER,
        "",
        f"# {TITLE}",
        "",
        DESCRIPTION,
        "",
        f"{manifest['rows']} articles, {span}, in `{file_name}` ({fmt}).",
        "",
        "```python",
        "from datasets import load_dataset",
        "",
        'articles = load_dataset("path/to/this/folder", split="train")',
        "```",
        "",
        "The same fields are described for other tools in `croissant.json` (Croissant 1.1).",
        "",
        "## License",
        "",
        LICENSE_NOTE,
        "",
        "## Fields",
        "",
        "| field | type | meaning |",
        "|---|---|---|",
        *(f"| `{name}` | {doc.kind} | {doc.meaning} |" for name, doc in DATA_DICTIONARY.items()),
        "",
        "Times are ISO 8601 in Beijing time (+08:00)" + (
            "; in Parquet, timestamps with time zone Asia/Shanghai." if fmt == "parquet" else "."
        ),
        "",
        "## Provenance",
        "",
        f"- exported by qilucrawl {manifest['qilucrawl']} at {manifest['created_at']}, record schema {manifest['schema_version']}",
        f"- filters: {filters}",
        f"- sha256 of `{file_name}`: `{manifest['sha256']}`",
        "",
    ]  # fmt: skip
    return "\n".join(lines)


def card_header(file_name: str, fmt: str, rows: int) -> dict[str, Any]:
    """The YAML header as a dict (what the Hub and ``datasets`` read)."""
    return {
        "license": "other",
        "license_name": LICENSE_NAME,
        "license_link": "README.md",  # the card's own License section says it
        "language": ["zh"],
        "pretty_name": TITLE,
        "task_categories": TASK_CATEGORIES,
        "tags": ["news", "chinese"],
        "size_categories": [size_category(rows)],
        "configs": [{"config_name": "default", "data_files": [{"split": "train", "path": file_name}]}],
        # No `splits`: the Hub wants their size in Arrow bytes, which only `datasets` can compute.
        "dataset_info": {"config_name": "default", "features": features(fmt)},
    }


def size_category(rows: int) -> str:
    """The Hub's size category of ``rows`` records (``n<1K``, ``1K<n<10K`` …)."""
    for bound, name in _SIZES:
        if rows < bound:
            return name
    return "n>1T"


def features(fmt: str) -> list[dict[str, Any]]:
    """``dataset_info.features`` as ``datasets`` writes them, for the columns as ``fmt`` holds
    them: the Parquet schema's types; in JSON Lines times are ISO 8601 text."""
    return [{"name": column.name, **_feature(column.type, fmt)} for column in SCHEMA]


def _feature(kind: pa.DataType, fmt: str) -> dict[str, Any]:
    if pa.types.is_list(kind):
        inner = _feature(kind.value_type, fmt)
        return {"list": inner.get("dtype", inner.get("struct"))}
    if pa.types.is_struct(kind):
        return {"struct": [{"name": part.name, **_feature(part.type, fmt)} for part in kind]}
    if pa.types.is_timestamp(kind) and fmt != "parquet":
        return {"dtype": "string"}
    return {"dtype": str(kind)}  # pyarrow's names are datasets' (string, int32, timestamp[s, tz=…])
