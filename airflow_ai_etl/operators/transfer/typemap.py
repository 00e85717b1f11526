"""Column types between PostgreSQL, ClickHouse, SQLite and Spark, through one small table.

A native type name is parsed into a `ColumnType` (a kind plus precision/scale where the kind has
them) and rendered back in another dialect. The table below is the whole mapping: one row per
kind, one column per dialect; the parsers read a dialect's aliases into those kinds. A type that
is not in the table is refused with an error naming the column and the type, never guessed.

`create_target=True` renders the target's DDL from these, and the ClickHouse path casts Arrow
batches to the Arrow type of each target column (`arrow_type`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pyarrow as pa

DIALECTS = ("postgresql", "clickhouse", "sqlite", "spark")


class UnmappableTypeError(ValueError):
    """A column's type has no counterpart in the dialect asked for."""


@dataclass(frozen=True)
class ColumnType:
    """A type independent of dialect: `kind`, and precision/scale for decimals (None: unconstrained)."""

    kind: str
    precision: int | None = None
    scale: int | None = None


#: kind -> its name in postgresql, clickhouse, sqlite, spark ({p}/{s}: decimal precision and scale).
_RENDER: dict[str, tuple[str, str, str, str]] = {
    "boolean": ("boolean", "Bool", "INTEGER", "boolean"),
    "int8": ("smallint", "Int8", "INTEGER", "tinyint"),
    "int16": ("smallint", "Int16", "INTEGER", "smallint"),
    "int32": ("integer", "Int32", "INTEGER", "int"),
    "int64": ("bigint", "Int64", "INTEGER", "bigint"),
    "float32": ("real", "Float32", "REAL", "float"),
    "float64": ("double precision", "Float64", "REAL", "double"),
    "decimal": ("numeric({p}, {s})", "Decimal({p}, {s})", "NUMERIC", "decimal({p},{s})"),
    "string": ("text", "String", "TEXT", "string"),
    "binary": ("bytea", "String", "BLOB", "binary"),
    "date": ("date", "Date32", "TEXT", "date"),
    "timestamp": ("timestamp", "DateTime64(6)", "TEXT", "timestamp_ntz"),
    "timestamptz": ("timestamptz", "DateTime64(6, 'UTC')", "TEXT", "timestamp"),
    "json": ("jsonb", "String", "TEXT", "string"),
    "uuid": ("uuid", "UUID", "TEXT", "string"),
}
#: An unconstrained decimal (PostgreSQL `numeric`) where the dialect needs a precision.
_DEFAULT_DECIMAL = (38, 10)

#: Lower-case base names (parameters stripped) of each dialect's types, read into kinds.
_PARSE: dict[str, dict[str, str]] = {
    "postgresql": {
        "boolean": "boolean", "bool": "boolean",
        "smallint": "int16", "int2": "int16", "smallserial": "int16",
        "integer": "int32", "int": "int32", "int4": "int32", "serial": "int32",
        "bigint": "int64", "int8": "int64", "bigserial": "int64",
        "real": "float32", "float4": "float32",
        "double precision": "float64", "float8": "float64", "float": "float64",
        "numeric": "decimal", "decimal": "decimal",
        "text": "string", "varchar": "string", "character varying": "string", "character": "string",
        "char": "string", "bpchar": "string", "name": "string", "citext": "string",
        "bytea": "binary",
        "date": "date",
        "timestamp": "timestamp", "timestamp without time zone": "timestamp",
        "timestamptz": "timestamptz", "timestamp with time zone": "timestamptz",
        "json": "json", "jsonb": "json",
        "uuid": "uuid",
    },
    "clickhouse": {
        "bool": "boolean", "boolean": "boolean",
        "int8": "int8", "uint8": "int16", "int16": "int16", "uint16": "int32",
        "int32": "int32", "uint32": "int64", "int64": "int64",
        "float32": "float32", "float64": "float64",
        "decimal": "decimal", "decimal32": "decimal", "decimal64": "decimal", "decimal128": "decimal",
        "string": "string", "fixedstring": "string", "enum8": "string", "enum16": "string",
        "date": "date", "date32": "date",
        "datetime": "timestamp", "datetime64": "timestamp",
        "json": "json",
        "uuid": "uuid",
    },
    "spark": {
        "boolean": "boolean",
        "tinyint": "int8", "byte": "int8", "smallint": "int16", "short": "int16",
        "int": "int32", "integer": "int32", "bigint": "int64", "long": "int64",
        "float": "float32", "real": "float32", "double": "float64",
        "decimal": "decimal", "dec": "decimal", "numeric": "decimal",
        "string": "string", "varchar": "string", "char": "string",
        "binary": "binary",
        "date": "date",
        "timestamp": "timestamptz", "timestamp_ltz": "timestamptz", "timestamp_ntz": "timestamp",
    },
}  # fmt: skip

_WRAPPERS = ("nullable", "lowcardinality")
_LABEL = {"postgresql": "PostgreSQL", "clickhouse": "ClickHouse", "sqlite": "SQLite", "spark": "Spark"}


def parse(dialect: str, type_name: str, column: str) -> ColumnType:
    """The kind of `type_name` in `dialect`; UnmappableTypeError names the column if it has none."""
    if dialect not in DIALECTS:
        raise UnmappableTypeError(f"column {column!r}: unknown dialect {dialect!r}")
    if dialect == "sqlite":
        if not type_name.strip():
            raise UnmappableTypeError(
                f"column {column!r}: SQLite declares no type for it (an expression?); "
                "create the target table yourself or cast the column in the query"
            )
        return _sqlite_affinity(type_name)
    name, args = _split(type_name)
    while dialect == "clickhouse" and name in _WRAPPERS and args:
        name, args = _split(args)
    zoned = (name == "datetime64" and "," in args) or (name == "datetime" and bool(args))
    kind = "timestamptz" if dialect == "clickhouse" and zoned else _PARSE[dialect].get(name, "")
    if not kind or type_name.strip().endswith("]"):
        raise UnmappableTypeError(
            f"column {column!r}: {_LABEL[dialect]} type {type_name!r} has no mapping "
            f"(supported: {', '.join(sorted(_RENDER))})"
        )
    if kind != "decimal":
        return ColumnType(kind)
    numbers = [int(n) for n in re.findall(r"\d+", args)]
    if name in ("decimal32", "decimal64", "decimal128"):  # DecimalN(S)
        precision = {"decimal32": 9, "decimal64": 18, "decimal128": 38}[name]
        return ColumnType(kind, precision, numbers[0] if numbers else 0)
    if not numbers:
        return ColumnType(kind)
    return ColumnType(kind, numbers[0], numbers[1] if len(numbers) > 1 else 0)


def render(dialect: str, ctype: ColumnType, column: str) -> str:
    """The name of `ctype` in `dialect`."""
    if dialect not in DIALECTS:
        raise UnmappableTypeError(f"column {column!r}: cannot write types for dialect {dialect!r}")
    pattern = _RENDER[ctype.kind][DIALECTS.index(dialect)]
    if ctype.kind != "decimal":
        return pattern
    if ctype.precision is None:
        if dialect == "postgresql":
            return "numeric"
        precision, scale = _DEFAULT_DECIMAL
    else:
        precision, scale = ctype.precision, ctype.scale or 0
    return pattern.format(p=precision, s=scale)


def convert(type_name: str, source: str, target: str, column: str) -> str:
    """A `source`-dialect type name rendered as the `target` dialect's."""
    return render(target, parse(source, type_name, column), column)


def arrow_type(ctype: ColumnType) -> pa.DataType:
    """The Arrow type that carries values of `ctype` (what the ClickHouse path casts batches to)."""
    import pyarrow as pa

    simple: dict[str, Any] = {
        "boolean": pa.bool_(),
        "int8": pa.int8(),
        "int16": pa.int16(),
        "int32": pa.int32(),
        "int64": pa.int64(),
        "float32": pa.float32(),
        "float64": pa.float64(),
        "string": pa.string(),
        "binary": pa.binary(),
        "date": pa.date32(),
        "timestamp": pa.timestamp("us"),
        "timestamptz": pa.timestamp("us", tz="UTC"),
        "json": pa.string(),
        "uuid": pa.string(),
    }
    if ctype.kind != "decimal":
        return simple[ctype.kind]
    precision, scale = (
        (ctype.precision, ctype.scale or 0) if ctype.precision is not None else _DEFAULT_DECIMAL
    )
    return pa.decimal128(precision, scale) if precision <= 38 else pa.decimal256(precision, scale)


def _split(type_name: str) -> tuple[str, str]:
    """`Decimal(10, 2)` -> ('decimal', '10, 2'); whitespace inside names is normalised."""
    text = type_name.strip()
    opening = text.find("(")
    if opening < 0 or not text.endswith(")"):  # also `timestamp(3) with time zone`
        return " ".join(re.sub(r"\([^)]*\)", " ", text).lower().split()), ""
    base = text[:opening]
    return " ".join(base.lower().split()), text[opening + 1 : -1].strip()


def _sqlite_affinity(type_name: str) -> ColumnType:
    """SQLite's own rules (section 3.1 of its datatype page): any declared name has an affinity."""
    upper = type_name.upper()
    if "INT" in upper:
        return ColumnType("int64")
    if any(word in upper for word in ("CHAR", "CLOB", "TEXT")):
        return ColumnType("string")
    if "BLOB" in upper:
        return ColumnType("binary")
    if any(word in upper for word in ("REAL", "FLOA", "DOUB")):
        return ColumnType("float64")
    if "BOOL" in upper:
        return ColumnType("boolean")
    if "DATE" in upper or "TIME" in upper:
        return ColumnType("timestamp" if "TIME" in upper else "date")
    return ColumnType("decimal")


def create_table_sql(
    dialect: str,
    table: str,
    columns: list[tuple[str, ColumnType]],
    key: list[str],
    *,
    replacing: bool = False,
) -> str:
    """CREATE TABLE IF NOT EXISTS for `columns`; key columns are NOT NULL and the primary key.

    ClickHouse tables are MergeTree ordered by the key (ReplacingMergeTree when `replacing`, which
    is how upserts land there); every other ClickHouse column is Nullable, since a query's result
    does not say which of its columns can be NULL.
    """
    from airflow_ai_etl.operators._sql import quote_identifier, quote_table

    escape = "`{}`" if dialect == "clickhouse" else '"{}"'
    parts = []
    for name, ctype in columns:
        rendered = render(dialect, ctype, name)
        if dialect == "clickhouse":
            rendered = rendered if name in key else f"Nullable({rendered})"
        elif name in key:
            rendered += " NOT NULL"
        parts.append(f"{quote_identifier(name, escape)} {rendered}")
    keys = ", ".join(quote_identifier(k, escape) for k in key)
    head = f"CREATE TABLE IF NOT EXISTS {quote_table(table, escape)} ({', '.join(parts)}"
    if dialect != "clickhouse":
        return f"{head}, PRIMARY KEY ({keys}))" if key else f"{head})"
    engine = "ReplacingMergeTree" if replacing else "MergeTree"
    order = "tuple()" if not key else keys if len(key) == 1 else f"({keys})"
    return f"{head}) ENGINE = {engine} ORDER BY {order}"
