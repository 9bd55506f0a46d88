"""``croissant.json``: the export described in Croissant 1.1 (MLCommons' JSON-LD for datasets).

One FileObject (the exported file, with its sha256) and one RecordSet, ``articles``, whose
fields are the data dictionary's (:data:`qilucrawl.items.DATA_DICTIONARY`) with the types the
Parquet schema gives them (:data:`qilucrawl.exporters.to_parquet.SCHEMA`): lists are ``isArray``
fields, images a field of ``url`` and ``caption`` sub-fields.  Every field is read from its
column (``extract.column``), in JSON Lines as in Parquet.
"""

from __future__ import annotations

from typing import Any

import pyarrow as pa

from qilucrawl.exporters.to_parquet import SCHEMA
from qilucrawl.items import DATA_DICTIONARY

CONFORMS_TO = "http://mlcommons.org/croissant/1.1"
RECORD_SET = "articles"
ENCODINGS = {"parquet": "application/x-parquet", "jsonl": "application/jsonlines"}

# Croissant 1.1's JSON-LD context, as the specification (and mlcroissant) write it: a file with
# another context is read with a warning.
CONTEXT: dict[str, Any] = {
    "@language": "en",
    "@vocab": "https://schema.org/",
    "arrayShape": "cr:arrayShape",
    "citeAs": "cr:citeAs",
    "column": "cr:column",
    "conformsTo": "dct:conformsTo",
    "containedIn": "cr:containedIn",
    "cr": "http://mlcommons.org/croissant/",
    "rai": "http://mlcommons.org/croissant/RAI/",
    "data": {"@id": "cr:data", "@type": "@json"},
    "dataType": {"@id": "cr:dataType", "@type": "@vocab"},
    "dct": "http://purl.org/dc/terms/",
    "description": {"@container": "@language"},
    "equivalentProperty": "cr:equivalentProperty",
    "examples": {"@id": "cr:examples", "@type": "@json"},
    "extract": "cr:extract",
    "field": "cr:field",
    "fileProperty": "cr:fileProperty",
    "fileObject": "cr:fileObject",
    "fileSet": "cr:fileSet",
    "format": "cr:format",
    "includes": "cr:includes",
    "isArray": "cr:isArray",
    "isLiveDataset": "cr:isLiveDataset",
    "jsonPath": "cr:jsonPath",
    "key": "cr:key",
    "md5": "cr:md5",
    "name": {"@container": "@language"},
    "parentField": "cr:parentField",
    "path": "cr:path",
    "recordSet": "cr:recordSet",
    "references": "cr:references",
    "regex": "cr:regex",
    "repeated": "cr:repeated",
    "replace": "cr:replace",
    "samplingRate": "cr:samplingRate",
    "sc": "https://schema.org/",
    "separator": "cr:separator",
    "source": "cr:source",
    "subField": "cr:subField",
    "transform": "cr:transform",
}


def croissant(
    file_name: str, fmt: str, manifest: dict[str, Any], *, title: str, description: str, license_note: str
) -> dict[str, Any]:
    """The Croissant document of an export ``file_name`` (beside it) whose manifest is ``manifest``."""
    day = str(manifest["created_at"])[:10]
    return {
        "@context": CONTEXT,
        "@type": "sc:Dataset",
        "conformsTo": CONFORMS_TO,
        "name": title,
        "description": description,
        # Croissant wants a license URL or name; the articles' copyright is their publishers'.
        "license": license_note,
        "datePublished": day,
        "version": f"{manifest['schema_version']}.0.0",
        "citeAs": f"{title}, exported {day} by qilucrawl {manifest['qilucrawl']}",
        "inLanguage": "zh",
        "keywords": ["news", "Chinese", "Shandong"],
        "distribution": [
            {
                "@type": "cr:FileObject",
                "@id": file_name,
                "name": file_name,
                "contentUrl": file_name,
                "encodingFormat": ENCODINGS[fmt],
                "sha256": manifest["sha256"],
            }
        ],
        "recordSet": [
            {
                "@type": "cr:RecordSet",
                "@id": RECORD_SET,
                "name": RECORD_SET,
                "description": "One record per article, the current version of each.",
                "key": {"@id": f"{RECORD_SET}/info_code"},
                "field": [_field(column.name, column.type, file_name) for column in SCHEMA],
            }
        ],
    }


def _field(name: str, kind: pa.DataType, file_name: str) -> dict[str, Any]:
    field: dict[str, Any] = {
        "@type": "cr:Field",
        "@id": f"{RECORD_SET}/{name}",
        "name": name,
        "description": DATA_DICTIONARY[name].meaning,
    }
    if pa.types.is_list(kind):
        field["isArray"] = True
        field["arrayShape"] = "-1"
        kind = kind.value_type
    if pa.types.is_struct(kind):  # images: {url, caption}, each read from the column's objects
        field["subField"] = [
            {
                "@type": "cr:Field",
                "@id": f"{RECORD_SET}/{name}/{part.name}",
                "name": part.name,
                "dataType": _data_type(part.type),
                "source": _source(name, file_name, json_path=part.name),
            }
            for part in kind
        ]
        return field
    field["dataType"] = _data_type(kind)
    field["source"] = _source(name, file_name)
    return field


def _source(column: str, file_name: str, json_path: str | None = None) -> dict[str, Any]:
    source: dict[str, Any] = {"fileObject": {"@id": file_name}, "extract": {"column": column}}
    if json_path is not None:
        source["transform"] = {"jsonPath": json_path}
    return source


def _data_type(kind: pa.DataType) -> str:
    # The ISO 8601 times of a JSON Lines export are read as times too (pandas parses *_at columns).
    if pa.types.is_timestamp(kind):
        return "sc:DateTime"
    if pa.types.is_integer(kind):
        return "sc:Integer"
    return "sc:Text"
