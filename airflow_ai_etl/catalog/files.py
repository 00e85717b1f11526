"""Files and S3 objects as catalog tables: columns and types inferred from a sample of the data.

A file has no declared schema (Parquet aside), so its columns are inferred the way a reader would
see them: Parquet from the file's own schema (and its exact row count), CSV and JSON lines from
their first rows by pyarrow's type inference. A prefix or glob becomes one table, inferred from its
first file. Types are named in DuckDB's dialect (BIGINT, DOUBLE, TIMESTAMPTZ, DECIMAL(p,s), JSON),
the SQL engine that queries such files directly, which the transfer type rules understand.

A connection can declare the datasets it holds for `introspect`: an `aws` (S3) or `fs` (local)
connection whose extra has `"ai_etl_files": [{"path": ..., "format": ..., "name": ...}, ...]`
(without that key such a connection has no catalog, as before).
"""

from __future__ import annotations

import io
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from airflow_ai_etl.catalog.errors import CatalogError
from airflow_ai_etl.catalog.models import Column, SchemaCatalog, Table
from airflow_ai_etl.files.locations import list_sources, local_copy, parse_location
from airflow_ai_etl.files.readers import CsvLayout, stream_codec

#: Dialect of the type names below.
FILE_DIALECT = "duckdb"
#: Connection types whose extra may list files for the catalog.
FILE_CONN_TYPES = ("aws", "fs")
#: Extra key of such a connection that lists them.
EXTRA_KEY = "ai_etl_files"
_SAMPLE_BYTES = 1 << 20


@dataclass(frozen=True)
class FileDataset:
    """A file, prefix or glob to describe, and how to read it."""

    path: str
    format: str
    name: str | None = None
    csv: CsvLayout | None = None
    compression: str = "auto"


def arrow_type_name(arrow_type: Any) -> str:
    """The SQL type (DuckDB's names) for an Arrow type; nested types are JSON."""
    import pyarrow as pa

    types = pa.types
    if types.is_boolean(arrow_type):
        return "BOOLEAN"
    if types.is_integer(arrow_type):
        width = arrow_type.bit_width + (8 if types.is_unsigned_integer(arrow_type) else 0)
        return "SMALLINT" if width <= 16 else "INTEGER" if width <= 32 else "BIGINT"
    if types.is_floating(arrow_type):
        return "DOUBLE" if arrow_type.bit_width == 64 else "REAL"
    if types.is_decimal(arrow_type):
        return f"DECIMAL({arrow_type.precision},{arrow_type.scale})"
    if types.is_timestamp(arrow_type):
        return "TIMESTAMPTZ" if arrow_type.tz else "TIMESTAMP"
    if types.is_date(arrow_type):
        return "DATE"
    if types.is_time(arrow_type):
        return "TIME"
    if types.is_duration(arrow_type):
        return "INTERVAL"
    if (
        types.is_binary(arrow_type)
        or types.is_large_binary(arrow_type)
        or types.is_fixed_size_binary(arrow_type)
    ):
        return "BLOB"
    if types.is_nested(arrow_type) or types.is_map(arrow_type):
        return "JSON"
    return "TEXT"  # strings, and columns whose sample holds only NULLs


def table_name(dataset: FileDataset) -> str:
    """A table name for a dataset: given, else the file name (or folder of a prefix) as an identifier."""
    if dataset.name:
        return dataset.name
    location = parse_location(dataset.path)
    parts = [p for p in location.key.split("/") if p]
    last = parts[-1] if parts else "files"
    if location.is_pattern and not location.key.endswith("/") and len(parts) > 1:
        last = parts[-2]  # a glob's folder names its files better than the pattern does
    stem = last.split(".")[0]
    name = re.sub(r"[^A-Za-z0-9_]", "_", stem).strip("_") or "files"
    return f"t_{name}" if name[0].isdigit() else name


def _sample_schema(name: str, local_path: str, dataset: FileDataset) -> Any:
    import pyarrow as pa
    import pyarrow.csv as pa_csv
    import pyarrow.json as pa_json

    codec = stream_codec(name, dataset.compression)
    with pa.input_stream(local_path, compression=codec) as stream:
        sample = stream.read(_SAMPLE_BYTES)
        complete = len(sample) < _SAMPLE_BYTES
    if not complete:  # keep whole lines only
        sample = sample[: sample.rfind(b"\n") + 1]
    if dataset.format == "csv":
        layout = dataset.csv or CsvLayout()
        read_options = pa_csv.ReadOptions(
            autogenerate_column_names=not layout.header, block_size=_SAMPLE_BYTES
        )
        parse_options = pa_csv.ParseOptions(delimiter=layout.delimiter)
        convert_options = pa_csv.ConvertOptions(null_values=[layout.null], strings_can_be_null=True)
        table = pa_csv.read_csv(
            io.BytesIO(sample),
            read_options=read_options,
            parse_options=parse_options,
            convert_options=convert_options,
        )
        return table.schema
    lines = [line for line in sample.splitlines() if line.strip()]
    table = pa_json.read_json(io.BytesIO(b"\n".join(lines[:1000]) + b"\n"))
    return table.schema


def describe_dataset(dataset: FileDataset, storage_conn_id: str | None = None) -> Table:
    """One table for the dataset, from its first file; CatalogError (naming the path) on failure."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        location = parse_location(dataset.path)
        sources = list_sources(location, storage_conn_id)
        first = sources[0]
        with local_copy(first, storage_conn_id) as local_path:
            row_count = None
            if dataset.format == "parquet":
                metadata = pq.read_metadata(local_path)
                schema = metadata.schema.to_arrow_schema()
                row_count = metadata.num_rows if len(sources) == 1 else None
            elif dataset.format in ("csv", "jsonl"):
                schema = _sample_schema(first.name, local_path, dataset)
            else:
                raise CatalogError(f"{dataset.path}: format {dataset.format!r} is not csv, parquet or jsonl")
    except CatalogError:
        raise
    except (OSError, ValueError, pa.ArrowException) as error:
        raise CatalogError(f"cannot infer the schema of {dataset.path}: {error}") from error
    columns = [Column(name=field.name, type=arrow_type_name(field.type)) for field in schema]
    more = f" and {len(sources) - 1} more file(s) like it" if len(sources) > 1 else ""
    return Table(
        name=table_name(dataset),
        kind="file",
        columns=columns,
        row_count=row_count,
        comment=f"{dataset.format} at {dataset.path} (inferred from {first.name}{more})",
    )


def read_file_catalog(
    conn_id: str, datasets: Sequence[FileDataset], storage_conn_id: str | None = None
) -> SchemaCatalog:
    """A catalog of file datasets: one table each, named apart."""
    tables = [describe_dataset(d, storage_conn_id) for d in datasets]
    names = [t.name.lower() for t in tables]
    twice = sorted({n for n in names if names.count(n) > 1})
    if twice:
        raise CatalogError(
            f"connection '{conn_id}': datasets share the table name(s) {', '.join(twice)}; name them"
        )
    return SchemaCatalog(conn_id=conn_id, dialect=FILE_DIALECT, tables=tables)


def datasets_from_extra(conn_id: str, extra: Mapping[str, Any]) -> list[FileDataset]:
    """The datasets a connection's extra declares under `ai_etl_files`; CatalogError when malformed."""
    entries = extra.get(EXTRA_KEY)
    if not isinstance(entries, list) or not entries:
        raise CatalogError(
            f"connection '{conn_id}' holds files, not tables: list them in its extra as "
            f'"{EXTRA_KEY}": [{{"path": "s3://bucket/prefix/*.csv", "format": "csv"}}]'
        )
    datasets = []
    for index, entry in enumerate(entries):
        if not isinstance(entry, dict) or not isinstance(entry.get("path"), str) or "format" not in entry:
            raise CatalogError(f"connection '{conn_id}': {EXTRA_KEY}[{index}] needs 'path' and 'format'")
        csv = entry.get("csv")
        try:
            layout = CsvLayout(**csv) if isinstance(csv, dict) else None
        except TypeError as error:
            raise CatalogError(f"connection '{conn_id}': {EXTRA_KEY}[{index}].csv: {error}") from None
        datasets.append(
            FileDataset(
                path=entry["path"],
                format=str(entry["format"]),
                name=entry.get("name"),
                csv=layout,
                compression=str(entry.get("compression", "auto")),
            )
        )
    return datasets


def introspect_files(conn_id: str, conn_type: str, extra: Mapping[str, Any]) -> SchemaCatalog:
    """The catalog of a file connection (`aws` for S3, `fs` for local files) from its declared datasets."""
    datasets = datasets_from_extra(conn_id, extra)
    storage = conn_id if conn_type == "aws" else None
    for dataset in datasets:
        try:
            location = parse_location(dataset.path)
        except ValueError as error:
            raise CatalogError(f"connection '{conn_id}': {error}") from None
        if location.is_s3 != (conn_type == "aws"):
            raise CatalogError(
                f"connection '{conn_id}' (type '{conn_type}'): {dataset.path} is "
                f"{'an S3' if conn_type != 'aws' else 'a local'} path; list it under a matching connection"
            )
    return read_file_catalog(conn_id, datasets, storage)
