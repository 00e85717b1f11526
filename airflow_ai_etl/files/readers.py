"""Rows out of CSV, JSON-lines and Parquet files, in bounded batches, with positions for errors.

Every row carries where it came from (a line for CSV and JSON lines, a row number for Parquet), so
a malformed line, or later a value the target refuses, is reported as `file: line N`. CSV fields
stay text (the database converts them to the column's type, as it does for COPY); JSON values keep
their JSON types, nested objects and arrays becoming JSON text; Parquet values keep their types.
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

FORMATS = ("csv", "parquet", "jsonl")
#: Whole-file compression of CSV and JSON lines, as pyarrow's stream codecs name it.
STREAM_CODECS = ("gzip", "zstd")
_SUFFIX_CODECS = {".gz": "gzip", ".gzip": "gzip", ".zst": "zstd", ".zstd": "zstd"}


class FileFormatError(ValueError):
    """A file that does not read as its format says; the message names the file and line or row."""


@dataclass(frozen=True)
class CsvLayout:
    delimiter: str = ","
    header: bool = True
    null: str = ""


@dataclass
class RowBatch:
    """Rows of one file; `positions[i]` is the line (or Parquet row) of `rows[i]`."""

    source: str
    columns: list[str]
    rows: list[tuple[Any, ...]]
    positions: list[int]
    unit: str = "line"

    def where(self, index: int) -> str:
        return f"{self.source}: {self.unit} {self.positions[index]}"


def stream_codec(name: str, compression: str) -> str | None:
    """The codec of a CSV or JSON-lines file: given, or from its suffix when `compression` is auto."""
    if compression == "auto":
        lowered = name.lower()
        return next((codec for suffix, codec in _SUFFIX_CODECS.items() if lowered.endswith(suffix)), None)
    if compression == "none":
        return None
    if compression not in STREAM_CODECS:
        raise ValueError(f"compression {compression!r} is not one of auto, none, {', '.join(STREAM_CODECS)}")
    return compression


@contextlib.contextmanager
def _lines(name: str, local_path: str, codec: str | None) -> Iterator[Iterator[str]]:
    """The file's lines as text, decoded one by one so that bad bytes are reported at their line."""
    import pyarrow as pa

    with pa.input_stream(local_path, compression=codec) as raw, io.BufferedReader(raw) as buffered:

        def decoded() -> Iterator[str]:
            for number, line in enumerate(buffered, 1):
                try:
                    text = line.decode("utf-8")
                except UnicodeDecodeError as error:
                    raise FileFormatError(f"{name}: line {number}: not UTF-8 text ({error.reason})") from None
                yield text.removeprefix("\ufeff") if number == 1 else text

        yield decoded()


def json_text(value: Any) -> Any:
    """Nested values go to a column as JSON text: drivers cannot bind dicts or lists."""
    return json.dumps(value, ensure_ascii=False) if isinstance(value, dict | list) else value


def _csv_batches(
    name: str,
    text: Iterator[str],
    layout: CsvLayout,
    columns: Sequence[str] | None,
    batch_size: int,
) -> Iterator[RowBatch]:
    reader = csv.reader(text, delimiter=layout.delimiter, quotechar='"', strict=True)

    def rows() -> Iterator[list[str]]:
        while True:
            try:
                row = next(reader)
            except StopIteration:
                return
            except csv.Error as error:
                raise FileFormatError(f"{name}: line {reader.line_num}: malformed CSV ({error})") from None
            if row:  # a blank line is no row
                yield row

    records = rows()
    if layout.header:
        header = next(records, None)
        if header is None:
            return  # an empty file: no rows
        header = [h.strip() for h in header]
        if len(set(header)) != len(header) or "" in header:
            raise FileFormatError(f"{name}: line 1: the header names a column twice or leaves one empty")
        wanted = list(columns) if columns is not None else header
        missing = [c for c in wanted if c not in header]
        if missing:
            raise FileFormatError(f"{name}: the header has no column {', '.join(missing)}")
        picks = [header.index(c) for c in wanted]
        width = len(header)
    else:
        assert columns is not None, "a CSV file without a header needs columns"
        wanted, picks, width = list(columns), list(range(len(columns))), len(columns)
    null = layout.null
    batch = RowBatch(name, wanted, [], [])
    for row in records:
        if len(row) != width:
            raise FileFormatError(
                f"{name}: line {reader.line_num}: expected {width} fields, found {len(row)}"
            )
        batch.rows.append(tuple(None if row[i] == null else row[i] for i in picks))
        batch.positions.append(reader.line_num)
        if len(batch.rows) >= batch_size:
            yield batch
            batch = RowBatch(name, wanted, [], [])
    if batch.rows:
        yield batch


def _jsonl_batches(
    name: str, text: Iterator[str], columns: Sequence[str] | None, batch_size: int
) -> Iterator[RowBatch]:
    wanted = list(columns) if columns is not None else None
    batch: RowBatch | None = None
    for line_number, line in enumerate(text, 1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except ValueError as error:
            raise FileFormatError(f"{name}: line {line_number}: not valid JSON ({error})") from None
        if not isinstance(record, dict):
            raise FileFormatError(
                f"{name}: line {line_number}: expected a JSON object, got {type(record).__name__}"
            )
        if wanted is None:
            wanted = list(record)
        elif columns is None:
            extra = [k for k in record if k not in wanted]
            if extra:
                raise FileFormatError(
                    f"{name}: line {line_number}: key(s) {', '.join(extra)} not in the first record's "
                    f"keys ({', '.join(wanted)}); set 'columns' to choose the fields to load"
                )
        if batch is None:
            batch = RowBatch(name, wanted, [], [])
        batch.rows.append(tuple(json_text(record.get(c)) for c in wanted))
        batch.positions.append(line_number)
        if len(batch.rows) >= batch_size:
            yield batch
            batch = None
    if batch is not None and batch.rows:
        yield batch


def _parquet_batches(
    name: str, local_path: str, columns: Sequence[str] | None, batch_size: int
) -> Iterator[RowBatch]:
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        parquet = pq.ParquetFile(local_path)
    except (pa.ArrowInvalid, OSError) as error:
        raise FileFormatError(f"{name}: not a readable Parquet file ({error})") from None
    names = parquet.schema_arrow.names
    wanted = list(columns) if columns is not None else names
    missing = [c for c in wanted if c not in names]
    if missing:
        raise FileFormatError(f"{name}: the file has no column {', '.join(missing)}")
    first = 1
    for record_batch in parquet.iter_batches(batch_size=batch_size, columns=wanted):
        data = [record_batch.column(c).to_pylist() for c in wanted]
        rows = [tuple(json_text(v) for v in values) for values in zip(*data, strict=True)]
        yield RowBatch(name, wanted, rows, list(range(first, first + len(rows))), unit="row")
        first += len(rows)


def read_batches(
    name: str,
    local_path: str,
    format: str,
    *,
    columns: Sequence[str] | None = None,
    csv_layout: CsvLayout | None = None,
    compression: str = "auto",
    batch_size: int = 10_000,
) -> Iterator[RowBatch]:
    """Batches of at most `batch_size` rows of one file; `name` is how errors refer to it."""
    if format == "parquet":
        yield from _parquet_batches(name, local_path, columns, batch_size)
        return
    if format not in FORMATS:
        raise ValueError(f"format {format!r} is not one of {', '.join(FORMATS)}")
    codec = stream_codec(name, compression)
    try:
        with _lines(name, local_path, codec) as text:
            if format == "csv":
                yield from _csv_batches(name, text, csv_layout or CsvLayout(), columns, batch_size)
            else:
                yield from _jsonl_batches(name, text, columns, batch_size)
    except OSError as error:  # pyarrow's decompression errors are OSErrors
        if isinstance(error, FileNotFoundError):
            raise
        raise FileFormatError(f"{name}: cannot be read as {codec or 'uncompressed'} text ({error})") from None
