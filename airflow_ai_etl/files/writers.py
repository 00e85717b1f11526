"""Rows into CSV, JSON-lines and Parquet files, batch by batch (a file never waits in memory whole).

Values are written so that our loader (or any common reader) gets them back: CSV fields as text
(NULL as the layout's null text, booleans as true/false, dates and times in ISO 8601, decimals
exactly), JSON lines with ISO dates and decimals as strings (JSON numbers would round them), and
Parquet with column types from the source cursor where the driver reports them (PostgreSQL type
OIDs), else inferred from the first batch.
"""

from __future__ import annotations

import base64
import csv
import datetime as dt
import io
import json
import uuid
from collections.abc import Sequence
from decimal import Decimal
from typing import IO, Any, Protocol

from airflow_ai_etl.files.readers import CsvLayout, json_text

#: Default Parquet codec when an export says 'auto'.
PARQUET_DEFAULT_CODEC = "snappy"


class RowWriter(Protocol):
    def write(self, rows: Sequence[Sequence[Any]]) -> None: ...

    def close(self) -> None: ...


def _text_value(value: Any) -> Any:
    """A value as JSON or CSV can hold it."""
    if isinstance(value, bool):
        return value
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, Decimal | uuid.UUID | dt.timedelta):
        return str(value)
    if isinstance(value, bytes | bytearray | memoryview):
        return base64.b64encode(bytes(value)).decode("ascii")
    return value


def _csv_field(value: Any, null: str) -> Any:
    if value is None:
        return null
    if isinstance(value, bool):
        return "true" if value else "false"
    return json_text(_text_value(value))


def _output_text(local_path: str, codec: str | None) -> IO[str]:
    import pyarrow as pa

    raw = pa.output_stream(local_path, compression=codec)
    return io.TextIOWrapper(raw, encoding="utf-8", newline="")


class CsvWriter:
    def __init__(self, local_path: str, columns: Sequence[str], layout: CsvLayout, codec: str | None) -> None:
        self._text = _output_text(local_path, codec)
        self._csv = csv.writer(self._text, delimiter=layout.delimiter, lineterminator="\n")
        self._null = layout.null
        if layout.header:
            self._csv.writerow(columns)

    def write(self, rows: Sequence[Sequence[Any]]) -> None:
        null = self._null
        self._csv.writerows([_csv_field(v, null) for v in row] for row in rows)

    def close(self) -> None:
        self._text.close()


class JsonLinesWriter:
    def __init__(self, local_path: str, columns: Sequence[str], codec: str | None) -> None:
        self._text = _output_text(local_path, codec)
        self._columns = list(columns)

    def write(self, rows: Sequence[Sequence[Any]]) -> None:
        columns = self._columns
        self._text.writelines(
            json.dumps(dict(zip(columns, row, strict=True)), ensure_ascii=False, default=_text_value) + "\n"
            for row in rows
        )

    def close(self) -> None:
        self._text.close()


#: PostgreSQL type OIDs (what psycopg2 reports as a column's type_code) -> Arrow type factories.
def _postgres_arrow_type(type_code: Any, precision: Any, scale: Any) -> Any:
    import pyarrow as pa

    simple = {
        16: pa.bool_(),
        20: pa.int64(),
        21: pa.int16(),
        23: pa.int32(),
        26: pa.int64(),
        700: pa.float32(),
        701: pa.float64(),
        25: pa.string(),
        1043: pa.string(),
        1042: pa.string(),
        18: pa.string(),
        19: pa.string(),
        114: pa.string(),
        3802: pa.string(),
        2950: pa.string(),
        17: pa.binary(),
        1082: pa.date32(),
        1083: pa.time64("us"),
        1114: pa.timestamp("us"),
        1184: pa.timestamp("us", tz="UTC"),
        1186: pa.duration("us"),
    }
    if type_code == 1700 and isinstance(precision, int) and 0 < precision <= 38 and precision < 65535:
        return pa.decimal128(precision, scale if isinstance(scale, int) and scale >= 0 else 0)
    return simple.get(type_code) if isinstance(type_code, int) else None


def _arrow_value(value: Any, arrow_type: Any) -> Any:
    import pyarrow as pa

    if value is None:
        return None
    if pa.types.is_string(arrow_type):
        text = json_text(value)
        return text if isinstance(text, str) else str(_text_value(text))
    if isinstance(value, memoryview):
        return bytes(value)
    return value


class ParquetWriter:
    """Parquet with one row group per batch; the schema is fixed by the first batch."""

    def __init__(self, local_path: str, description: Sequence[Sequence[Any]], codec: str | None) -> None:
        self._path = local_path
        self._columns = [str(d[0]) for d in description]
        self._declared = [
            _postgres_arrow_type(d[1], d[4] if len(d) > 4 else None, d[5] if len(d) > 5 else None)
            for d in description
        ]
        self._codec = codec or "none"
        self._schema: Any = None
        self._writer: Any = None
        self._rows = 0

    def _fix_schema(self, columns: list[list[Any]]) -> None:
        import pyarrow as pa

        fields = []
        for name, declared, values in zip(self._columns, self._declared, columns, strict=True):
            arrow_type = declared
            if arrow_type is None:
                inferred = pa.array([json_text(v) for v in values]).type
                arrow_type = pa.string() if pa.types.is_null(inferred) else inferred
            fields.append(pa.field(name, arrow_type))
        self._schema = pa.schema(fields)

    def write(self, rows: Sequence[Sequence[Any]]) -> None:
        import pyarrow as pa
        import pyarrow.parquet as pq

        columns = [list(c) for c in zip(*rows, strict=True)] if rows else [[] for _ in self._columns]
        if self._schema is None:
            self._fix_schema(columns)
            self._writer = pq.ParquetWriter(self._path, self._schema, compression=self._codec)
        arrays = []
        for field, values in zip(self._schema, columns, strict=True):
            converted = [_arrow_value(v, field.type) for v in values]
            try:
                arrays.append(pa.array(converted, type=field.type))
            except (pa.ArrowInvalid, pa.ArrowTypeError, OverflowError) as error:
                index = _first_bad(converted, field.type)
                raise ValueError(
                    f"row {self._rows + index + 1}, column {field.name}: {converted[index]!r} does not fit "
                    f"the Parquet type {field.type} taken from the earlier rows ({error})"
                ) from None
        self._writer.write_table(pa.Table.from_arrays(arrays, schema=self._schema))
        self._rows += len(rows)

    def close(self) -> None:
        if self._writer is None:  # no rows at all: still a valid file with the columns
            self.write([])
        self._writer.close()


def _first_bad(values: list[Any], arrow_type: Any) -> int:
    import pyarrow as pa

    for index, value in enumerate(values):
        try:
            pa.array([value], type=arrow_type)
        except (pa.ArrowInvalid, pa.ArrowTypeError, OverflowError):
            return index
    return 0


def open_writer(
    format: str,
    local_path: str,
    description: Sequence[Sequence[Any]],
    *,
    csv_layout: CsvLayout | None = None,
    compression: str = "auto",
) -> RowWriter:
    """A writer of `format` at `local_path`, for rows shaped like the cursor `description`."""
    columns = [str(d[0]) for d in description]
    if format == "parquet":
        parquet_codec = PARQUET_DEFAULT_CODEC if compression == "auto" else compression
        return ParquetWriter(local_path, description, None if parquet_codec == "none" else parquet_codec)
    codec = None if compression in ("auto", "none") else compression
    if format == "csv":
        return CsvWriter(local_path, columns, csv_layout or CsvLayout(), codec)
    if format == "jsonl":
        return JsonLinesWriter(local_path, columns, codec)
    raise ValueError(f"format {format!r} is not one of csv, parquet, jsonl")
